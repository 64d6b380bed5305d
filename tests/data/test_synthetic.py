import numpy as np
import pytest

from hdnet.data.synthetic import SceneConfig, camera_for, make_scene, render_scene, sample_pose
from hdnet.graphs import get_skeleton

SK = get_skeleton("mpi_inf_3dhp_17")


def test_scenes_are_deterministic_and_in_range():
    cfg = SceneConfig(image_size=96)
    a = render_scene(make_scene(np.random.default_rng(7), cfg), np.random.default_rng(1))
    b = render_scene(make_scene(np.random.default_rng(7), cfg), np.random.default_rng(1))
    assert a.shape == (96, 96, 3) and a.dtype == np.uint8 and np.array_equal(a, b)
    rng = np.random.default_rng(0)
    counts, heights, depths = [], [], []
    for _ in range(200):
        scene = make_scene(rng, cfg)
        counts.append(len(scene.people))
        for p in scene.people:
            heights.append(p.height_mm)
            depths.append(p.joints_cam[SK.root, 2])
            uv = scene.camera.project(p.joints_cam[SK.root])
            assert (0 <= uv).all() and (uv <= 96).all()  # pelvis inside the frustum
    assert min(counts) == 1 and max(counts) == 5
    assert 1500 <= min(heights) and max(heights) <= 1950 and np.std(heights) > 80
    assert min(depths) >= 1450 and max(depths) <= 10050


def test_poses_respect_the_body():
    rng = np.random.default_rng(3)
    for _ in range(50):
        h = rng.uniform(1500, 1950)
        p = sample_pose(rng, h)
        thigh = np.linalg.norm(p[SK.index("r_knee")] - p[SK.index("r_hip")])
        assert thigh == pytest.approx(0.25 * h)
        # the head is above the pelvis unless the person lies down (spine lean <= 45 degrees)
        assert p[SK.index("head")][1] < p[SK.root][1]
        knee = p[SK.index("l_knee")]
        shin = p[SK.index("l_ankle")] - knee
        assert np.linalg.norm(shin) == pytest.approx(0.247 * h)


def test_ground_plane_puts_feet_on_the_floor():
    cfg = SceneConfig(image_size=64, ground_plane=True, camera_height_m=1.4)
    scene = make_scene(np.random.default_rng(2), cfg)
    for p in scene.people:
        feet = p.joints_cam[[SK.index("r_ankle"), SK.index("l_ankle")], 1].max()
        assert feet == pytest.approx(1400.0)


def test_cameras():
    cam = camera_for("h36m", 256)
    assert cam.fx == pytest.approx(1145.05 * 0.256, rel=1e-6)
    with pytest.raises(ValueError, match="camera"):
        camera_for("kinect", 256)


def test_synthetic_mocap_is_human36m_bodies_on_a_floor():
    from hdnet.data.synthetic import synthetic_mocap
    from hdnet.graphs import get_skeleton

    mocap = synthetic_mocap(64, seed=3, sequences=4)
    j = {n: i for i, n in enumerate(get_skeleton("h36m_17").joints)}
    x = mocap.poses.astype(np.float64)
    assert mocap.skeleton.name == "h36m_17" and x.shape == (64, 17, 3) and mocap.up == "z"
    np.testing.assert_allclose(x[..., 2].min(1), 0.0, atol=1e-3)  # the lowest point on the floor
    assert (x[:, j["head"], 2] > x[:, j["pelvis"], 2]).all()  # Z is up: heads above pelvises
    # sample_pose's proportions: thigh 0.25 and shin 0.247 of the height, 1.5-1.9 m tall
    thigh = np.linalg.norm(x[:, j["r_knee"]] - x[:, j["r_hip"]], axis=-1)
    shin = np.linalg.norm(x[:, j["r_ankle"]] - x[:, j["r_knee"]], axis=-1)
    np.testing.assert_allclose(shin / thigh, 0.247 / 0.25, rtol=1e-4)
    assert ((thigh / 0.25 > 1499) & (thigh / 0.25 < 1901)).all()
    assert set(mocap.subject) == {"S1"} and len(set(mocap.sequence)) == 4
    with pytest.raises(ValueError, match="num_poses"):
        synthetic_mocap(0)
