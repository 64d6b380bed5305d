import numpy as np
import pytest
import torch

from hdnet.camera import Camera, apply_affine
from hdnet.data.transforms import (
    Augmentation,
    box_masks,
    encode_targets,
    gaussian_heatmaps,
    person_framing,
    principal_point_framing,
    to_grid,
    warp_image,
)
from hdnet.graphs import get_skeleton
from hdnet.layers import DepthBins

SK = get_skeleton("h36m_17")
BINS = DepthBins()


def _decode(targets, camera, affine, input_size, output_size):
    cmap = torch.as_tensor(camera.coord_map(affine, input_size, output_size), dtype=torch.float64)
    hm = targets["heatmap"].double()
    xy = torch.einsum("jhw,chw->jc", hm, cmap).numpy()  # soft-argmax over the coord map
    px = camera.denormalize(xy)
    idx = (targets["bin_probs"].double() * torch.arange(BINS.num_bins, dtype=torch.float64)).sum()
    depth = float(BINS.depth(idx, camera.fx, camera.fy))
    return px, depth


@pytest.mark.parametrize("framing", ["original", "person", "person_rotated_flipped"])
def test_real_frames_round_trip(h36m_frames, framing):
    for fr in h36m_frames:
        cam = Camera.from_dict(fr["camera"])
        joints = np.array(fr["joints_2d_px"])
        root = np.array(fr["joints_cam_mm"][0])
        flipped = framing == "person_rotated_flipped"
        if framing == "original":
            a, size, out = principal_point_framing(cam, 256, window_px=1000.0), 256, 64
        else:
            box = np.concatenate([joints.min(0), joints.max(0)])
            a = person_framing(box, 256, 1.3, 25.0 if flipped else 0.0, flipped)
            size, out = 256, 64
        t = encode_targets(joints, root[2], cam, a, BINS, size, out, joints_vis=fr["joints_vis"],
                           flip_pairs=SK.flip_pairs, flipped=flipped)
        px, depth = _decode(t, cam, a, size, out)
        perm = SK.flip_permutation() if flipped else list(range(17))
        vis = t["vis"].numpy() > 0
        assert vis.sum() >= 15
        err = np.abs(px - joints[perm])[vis].max()
        assert err < 0.5, err
        back = cam.backproject(px[SK.root], depth)  # the root (pelvis) is its own flip partner
        assert np.linalg.norm(back - root) < 1.0
        assert t["depth_in_range"]
        assert t["bin_probs"].sum() == pytest.approx(1.0)


def test_gaussian_heatmaps():
    pts = np.array([[[10.3, 20.7], [0.0, 0.0]]])
    maps = gaussian_heatmaps(pts, 32, 1.5, vis=[[1, 0]])
    assert maps.shape == (1, 2, 32, 32)
    assert maps[0, 0].sum() == pytest.approx(1.0, abs=1e-6) and maps[0, 1].sum() == 0
    ax = torch.arange(32.0)
    cx = (maps[0, 0].sum(0) * ax).sum()
    cy = (maps[0, 0].sum(1) * ax).sum()
    assert float(cx) == pytest.approx(10.3, abs=1e-3) and float(cy) == pytest.approx(20.7, abs=1e-3)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_heatmaps(pts, 32, 0.0)


def test_warp_image_is_exact_for_shifts_and_identity():
    img = torch.arange(3 * 8 * 10, dtype=torch.float32).reshape(3, 8, 10)
    ident = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    torch.testing.assert_close(warp_image(img, ident, (10, 8)), img)
    shift = np.array([[1.0, 0, -2], [0, 1.0, -1]])  # output (x, y) shows source (x + 2, y + 1)
    out = warp_image(img, shift, (6, 5))
    torch.testing.assert_close(out, img[:, 1:6, 2:8])
    # a 2x downscale averages 2x2 blocks under bilinear sampling at block centres
    half = np.array([[0.5, 0, -0.25], [0, 0.5, -0.25]])
    out = warp_image(img, half, (5, 4))
    ref = img.reshape(3, 4, 2, 5, 2).mean((2, 4))
    torch.testing.assert_close(out, ref)


def test_box_masks_and_person_framing():
    a = person_framing([100, 100, 200, 300], 64, scale=1.0)  # 200 x 200 crop at (150, 200)
    m = box_masks([[100, 100, 200, 300], [149.9, 199.9, 150.1, 200.1]], a, 64, 16)
    # box 1 spans x in [100, 200] of the crop [50, 250]: half the width; full height
    assert m[0].sum() == 8 * 16
    assert m[1].sum() == 1  # tiny box: the cell under its centre
    with pytest.raises(ValueError, match="box_xyxy"):
        person_framing([10, 10, 5, 20], 64)


def test_augmentation_framing():
    base = person_framing([0, 0, 100, 100], 64, 1.0)
    ident = {"scale": 1.0, "rotation_deg": 0.0, "flip": False, "shift": np.zeros(2), "gain": np.ones(3)}
    np.testing.assert_allclose(Augmentation.framing(base, ident, 64), base, atol=1e-12)
    zoom = dict(ident, scale=2.0)  # crop twice as large: content half as big
    a = Augmentation.framing(base, zoom, 64)
    np.testing.assert_allclose(np.linalg.det(a[:, :2]), np.linalg.det(base[:, :2]) / 4)
    flip = dict(ident, flip=True)
    q = apply_affine(Augmentation.framing(base, flip, 64), [[0.0, 50.0]])
    np.testing.assert_allclose(q, [[63.5 - 0.0, 50 * 0.64 - 0.5]], atol=1e-9)
    params = Augmentation().sample(np.random.default_rng(0))
    assert set(params) == {"scale", "rotation_deg", "flip", "shift", "gain"}
    img = torch.rand(3, 4, 4)
    assert Augmentation.colour(img, params).max() <= 1.0


def test_to_grid():
    np.testing.assert_allclose(to_grid([[1.5, 253.5], [-0.5, 255.5]], 256, 64), [[0, 63], [-0.5, 63.5]])


def test_bin_focal_equals_the_camera_for_the_original_framing():
    from hdnet.data.transforms import bin_focal
    cam = Camera(1145.0, 1143.0, 512.5, 515.0)
    a = principal_point_framing(cam, 256, window_px=1000.0)
    assert bin_focal(cam, a) == pytest.approx((1145.0, 1143.0))
    # a crop twice as tight shows people twice as large: the bins see a focal twice as long
    b = person_framing([0, 0, 400, 400], 256, scale=1.25)  # 500 px -> 256
    assert bin_focal(cam, b) == pytest.approx((2290.0, 2286.0))
