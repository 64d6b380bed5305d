"""The converter from Human3.6M's official release (D3_Positions .cdf files and metadata.xml) to
the motion-capture HDF5 layout, on small releases the tests write in the official format."""

import numpy as np
import pytest

from hdnet.apps.cli import main
from hdnet.data.h36m_official import H36M_32_TO_17, H36M_CAMERA_IDS, read_metadata_cameras, rotation_from_angles
from hdnet.data.mocap import read_h36m_mocap, world_to_camera

from ..conftest import shared_path

cdflib = pytest.importorskip("cdflib", reason="the converter reads .cdf files with cdflib (pip install cdflib)")
Rotation = pytest.importorskip("scipy.spatial.transform").Rotation


def _write_cdf(path, poses32):
    from cdflib.cdfwrite import CDF
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.asarray(poses32, np.float64).reshape(1, len(poses32), 96)
    c = CDF(str(path))
    c.write_var({"Variable": "Pose", "Data_Type": CDF.CDF_DOUBLE, "Num_Elements": 1, "Rec_Vary": True,
                 "Dim_Sizes": [len(poses32), 96]}, var_data=data)
    c.close()


def _write_metadata(path, cameras):
    """``cameras[(subject 1-11, camera 1-4)] = (R world->camera, T, f, c, k, p)``; the rest zero
    angles and a unit camera. Angles made with scipy's intrinsic XYZ Euler angles."""
    w = np.zeros(300)
    for s in range(1, 12):
        for c in range(1, 5):
            e = np.zeros(6)
            if (s, c) in cameras:
                R, T = cameras[(s, c)][:2]
                e[:3] = Rotation.from_matrix(R).as_euler("XYZ")
                e[3:] = T
            w[6 * ((c - 1) * 11 + s - 1):][:6] = e
    for c in range(1, 5):
        intr = next((np.concatenate(v[2:]) for (s, cc), v in cameras.items() if cc == c),
                    np.array([1000.0, 1000.0, 500.0, 500.0, 0, 0, 0, 0, 0]))
        w[264 + 9 * (c - 1):][:9] = intr
    path.write_text("<?xml version='1.0'?>\n<h36m><w0>[" + " ".join(f"{v:.17g}" for v in w) + "]</w0></h36m>\n")


def test_metadata_angles_give_the_published_rotation():
    # S1, camera 54138969: the angles metadata.xml holds, and the rotation the dataset's own
    # tools give for them (X_cam = R (X - T))
    R = rotation_from_angles(-1.38382776045614, -3.16734304390158, 0.413636308164621)
    expected = np.array([[-0.9153617321513369, 0.40180836633680234, 0.02574754463350265],
                         [0.051548117060134555, 0.1803735689384521, -0.9822464900705729],
                         [-0.399319034032262, -0.8977836111057917, -0.185819527201491]])
    np.testing.assert_allclose(R, expected, atol=1e-12)


def test_convert_a_small_release(tmp_path):
    rng = np.random.default_rng(0)
    poses = {("S1", "Walking 1"): rng.normal(0, 500, (23, 32, 3)), ("S1", "Eating"): rng.normal(0, 500, (11, 32, 3)),
             ("S9", "Sitting"): rng.normal(0, 500, (6, 32, 3))}
    for (s, a), x in poses.items():
        _write_cdf(tmp_path / "release" / s / "MyPoseFeatures" / "D3_Positions" / f"{a}.cdf", x)
    R1 = Rotation.from_euler("zyx", [30, -100, 70], degrees=True).as_matrix()
    cams = {(1, 2): (R1, np.array([1800.0, 4900.0, 1500.0]), np.array([1149.7, 1147.6]), np.array([508.8, 508.1]),
                     np.array([-0.19, 0.24, 0.007]), np.array([-0.003, -0.002]))}
    _write_metadata(tmp_path / "release" / "metadata.xml", cams)
    out = tmp_path / "mocap.h5"
    assert main(["data", "h36m", str(tmp_path / "release"), "--out", str(out), "--every", "5"]) == 0
    mocap = read_h36m_mocap(out)
    assert sorted(set(mocap.subject)) == ["S1", "S9"]
    for (s, a), x in poses.items():
        got = mocap.poses[(mocap.subject == s) & (mocap.sequence == a)]
        np.testing.assert_allclose(got, x[::5][:, list(H36M_32_TO_17)], atol=1e-3)  # stored as float32
    cam = mocap.cameras["S1"][H36M_CAMERA_IDS[1]]
    X = rng.normal(0, 1000, (10, 3))
    np.testing.assert_allclose(world_to_camera(X, cam.R, cam.T), (X - cams[(1, 2)][1]) @ R1.T, atol=1e-6)
    assert cam.camera.fx == 1149.7 and cam.camera.radial == (-0.19, 0.24, 0.007)
    # bad input: named, exit 2
    assert main(["data", "h36m", str(tmp_path / "release"), "--out", str(out), "--subjects", "S5"]) == 2
    (tmp_path / "bad.xml").write_text("<h36m><w0>[1 2 3]</w0></h36m>")
    with pytest.raises(ValueError, match="has 3 numbers; Human3.6M's has 300"):
        read_metadata_cameras(tmp_path / "bad.xml")
    (tmp_path / "release" / "S9" / "MyPoseFeatures" / "D3_Positions" / "Sitting.cdf").write_bytes(b"cut")
    assert main(["data", "h36m", str(tmp_path / "release"), "--out", str(tmp_path / "x.h5")]) == 2
    assert not (tmp_path / "x.h5").exists()


def test_converted_cameras_give_back_the_real_frames(tmp_path, h36m_frames):
    """Cameras as metadata.xml holds them (angles, centre, intrinsics) and the stored sequences as
    32-joint .cdf files: the converted file reproduces the real frames' camera-space joints."""
    shared = read_h36m_mocap(shared_path("realdata", "h36m_poses.h5"), ["S1", "S5", "S7", "S8"])
    stored = [("S1", "Directions 1", 0), ("S5", "SittingDown", 412), ("S7", "Greeting", 79), ("S8", "WalkDog 1", 5)]
    cams = {}
    for subject, action, index in stored:
        x17 = shared.poses[(shared.subject == subject) & (shared.sequence == action)][:index + 1]
        x32 = np.zeros((len(x17), 32, 3))
        x32[:, list(H36M_32_TO_17)] = x17
        _write_cdf(tmp_path / subject / "MyPoseFeatures" / "D3_Positions" / f"{action}.cdf", x32)
        for c, cid in enumerate(H36M_CAMERA_IDS, start=1):
            m = shared.cameras[subject][cid]
            cams[(int(subject[1:]), c)] = (m.R.T, m.T, np.array([m.camera.fx, m.camera.fy]),
                                          np.array([m.camera.cx, m.camera.cy]), np.array(m.camera.radial),
                                          np.array(m.camera.tangential))
    _write_metadata(tmp_path / "metadata.xml", cams)
    assert main(["data", "h36m", str(tmp_path), "--out", str(tmp_path / "m.h5"), "--every", "1"]) == 0
    mocap = read_h36m_mocap(tmp_path / "m.h5")
    for frame, (subject, action, index) in zip(h36m_frames, stored, strict=True):
        cam = mocap.cameras[subject][str(frame["camera"]["id"])]
        got = world_to_camera(mocap.pose(subject, action, index), cam.R, cam.T)
        np.testing.assert_allclose(got, frame["joints_cam_mm"], atol=2e-2)
