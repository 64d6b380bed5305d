import numpy as np
import pytest
import torch

from hdnet.baselines import (
    MEAN_BONE_LENGTHS_MM,
    fit_k_value,
    fit_skeleton_scale,
    k_value_depth,
    rootnet_box,
    skeleton_fit_depth,
)
from hdnet.camera import Camera
from hdnet.graphs import get_skeleton


def test_k_value_by_hand():
    cam = Camera(1000.0, 1000.0, 500.0, 500.0)
    # 100 x 200 box -> square 200 x 200 -> x1.25 = 250 x 250; Z = sqrt(1e6 * 4e6 / 62500) = 8000
    np.testing.assert_allclose(k_value_depth([[0, 0, 100, 200]], cam), [8000.0])
    np.testing.assert_allclose(rootnet_box([[0, 0, 100, 200]]), [[-75, -25, 250, 250]])
    # RootNet's sanitising step: clip to the image, w - 1
    np.testing.assert_allclose(rootnet_box([[-10, 5, 50, 40]], scale=1.0, image_size=(30, 100)),
                               [[-5, 5, 39, 39]])  # clipped to 0, 5, 29 x 39, then squared
    z = k_value_depth(np.array([[0, 0, 100, 200], [0, 0, 50, 100]]), torch.tensor([[1000.0, 1000.0, 0.0, 0.0]]))
    np.testing.assert_allclose(z, [8000.0, 16000.0])


def planar_pose(skeleton, depth, rng):
    """A pose whose bones all lie in the plane Z = depth, with the shipped bone lengths."""
    lengths = {tuple(sorted(k)): v for k, v in MEAN_BONE_LENGTHS_MM[skeleton.name].items()}
    pts = np.zeros((skeleton.num_joints, 3))
    pts[skeleton.root] = [rng.uniform(-500, 500), rng.uniform(-300, 300), depth]
    order = sorted(range(skeleton.num_joints), key=lambda j: _depth_in_tree(skeleton, j))
    for j in order:
        par = skeleton.parents[j]
        if par < 0:
            continue
        a = rng.uniform(0, 2 * np.pi)
        pts[j] = pts[par] + lengths[tuple(sorted((j, par)))] * np.array([np.cos(a), np.sin(a), 0])
    return pts


def _depth_in_tree(sk, j):
    d = 0
    while sk.parents[j] >= 0:
        j, d = sk.parents[j], d + 1
    return d


@pytest.mark.parametrize("name", ["h36m_17", "mpi_inf_3dhp_17"])
def test_skeleton_fit_is_exact_for_a_fronto_parallel_pose(name):
    sk = get_skeleton(name)
    rng = np.random.default_rng(0)
    cam = Camera(1100.0, 1050.0, 500.0, 480.0)
    depths = np.array([2500.0, 4000.0, 7000.0])
    poses = np.stack([planar_pose(sk, z, rng) for z in depths])
    est = skeleton_fit_depth(cam.project(poses), cam, name)
    np.testing.assert_allclose(est, depths, rtol=1e-9)


def test_fits_recover_the_constants():
    sk = get_skeleton("h36m_17")
    rng = np.random.default_rng(1)
    cam = Camera(1000.0, 1000.0, 500.0, 500.0)
    depths = rng.uniform(2000, 8000, 20)
    poses = np.stack([planar_pose(sk, z, rng) for z in depths])
    joints = cam.project(poses)
    assert fit_skeleton_scale(joints, cam, 1.1 * depths, sk) == pytest.approx(1.1)
    boxes = rng.uniform(50, 300, (20, 2))
    boxes = np.concatenate([np.zeros((20, 2)), boxes], 1)
    true_area = 1.7e6
    z = k_value_depth(boxes, cam, true_area)
    assert fit_k_value(boxes, cam, z) == pytest.approx(true_area)


def test_real_h36m_frames_are_in_the_right_range(h36m_frames):
    cams = [Camera.from_dict(fr["camera"]) for fr in h36m_frames]
    joints = np.array([fr["joints_2d_px"] for fr in h36m_frames])
    truth = np.array([fr["joints_cam_mm"][0][2] for fr in h36m_frames])
    est = skeleton_fit_depth(joints, cams, "h36m_17")
    assert np.all(np.abs(est / truth - 1) < 0.35)


def test_bad_input():
    cam = Camera(1000.0, 1000.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="boxes_xywh"):
        k_value_depth([[0, 0, 0, 10]], cam)
    with pytest.raises(ValueError, match="real_area_mm2"):
        k_value_depth([[0, 0, 10, 10]], cam, real_area_mm2=0)
    with pytest.raises(ValueError, match="focal lengths must be > 0"):
        k_value_depth([[0, 0, 10, 10]], np.array([[0.0, 1.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="camera: 2 cameras for 1 rows"):
        k_value_depth([[0, 0, 10, 10]], [cam, cam])
    with pytest.raises(ValueError, match=r"joints_2d_px: expected shape \[N, 17, 2\]"):
        skeleton_fit_depth(np.zeros((2, 16, 2)), cam, "h36m_17")
    with pytest.raises(ValueError, match="bone_lengths_mm: required"):
        skeleton_fit_depth(np.zeros((19, 2)), cam, "coco_19")
    with pytest.raises(ValueError, match="no scale"):
        skeleton_fit_depth(np.zeros((17, 2)), cam, "h36m_17")
    with pytest.raises(ValueError, match="depths_mm"):
        fit_k_value([[0, 0, 10, 10]], cam, [1.0, 2.0])
