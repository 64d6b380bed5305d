"""A detector's 2D of the Human3.6M videos in VideoPose3D's layout (``data_2d_h36m_*.npz``): read
as data only (a file that would run code is refused and runs nothing), and scored by the
Human3.6M protocol: the projected ground truth written in that layout scores exactly as the
ground-truth run (skipped without ../shared)."""

import json
import pickle

import numpy as np
import pytest

from hdnet.apps.cli import main
from hdnet.data.h36m_detections import VIDEOPOSE3D_CAMERAS, read_videopose3d_2d
from hdnet.data.mocap import read_h36m_mocap, world_to_camera

from .conftest import shared_path


def _save(path, positions, metadata=None):
    np.savez(path, positions_2d=positions, metadata=metadata or {"layout_name": "h36m", "num_joints": 17})
    return str(path)


def test_the_layout_is_read_camera_by_camera(tmp_path):
    a, b = np.full((4, 17, 2), 3.0), np.concatenate([np.full((5, 17, 2), 2.0), np.full((5, 17, 1), 0.5)], -1)
    path = _save(tmp_path / "d.npz", {"S9": {"Walking": [a, None, b, a]}, "S11": {"Eating 1": [a]}})
    views, layout = read_videopose3d_2d(path)
    assert layout == "h36m"
    assert sorted(views) == [("S11", "Eating 1", "54138969"), ("S9", "Walking", "54138969"),
                             ("S9", "Walking", "58860488"), ("S9", "Walking", "60457274")]
    assert VIDEOPOSE3D_CAMERAS[2] == "58860488"  # VideoPose3D's cam_map: the third array
    got = views[("S9", "Walking", "58860488")]
    assert got.shape == (5, 17, 3) and (got[..., 2] == 0.5).all() and (got[..., :2] == 2.0).all()
    assert (views[("S9", "Walking", "54138969")][..., 2] == 1.0).all()  # two channels: score 1


class _Runs:
    """A pickle that would create a file when read: the proof that nothing ran is that it is absent."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_hdnet_info_says_what_a_videopose3d_file_holds(tmp_path, capsys):
    """``hdnet info data_2d_h36m_*.npz``: its layout and format, subjects, actions, videos (the
    cameras' videos missing counted), frames, joints and score range, past 1 pointed out; a file
    that is no archive is one error line, not torch's own."""
    a, b = np.full((4, 17, 2), 3.0), np.concatenate([np.full((5, 17, 2), 2.0), np.full((5, 17, 1), 1.3)], -1)
    path = _save(tmp_path / "d.npz", {"S9": {"Walking": [a, None, b, a]}, "S11": {"Eating 1": [a]}})
    assert main(["info", path]) == 0
    out = capsys.readouterr().out
    assert "(VideoPose3D 2D, layout h36m (h36m_17)): 4 videos (2 actions of S11, S9; 4 of their cameras' videos " \
           "missing), 17 frames, 17 joints" in out
    assert "keypoint scores: 1 to 1.3 (outside [0, 1]" in out
    (tmp_path / "bad.npz").write_text("not a zip")
    assert main(["info", str(tmp_path / "bad.npz")]) == 2
    assert "not a NumPy .npz archive" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["code", "nested code", "not zip", "no positions", "shape", "nan",
                                  "joints", "not dict", "text"])
def test_bad_files_are_refused_naming_the_problem(tmp_path, case):
    marker = tmp_path / "ran"
    good = np.zeros((3, 17, 2))
    path = tmp_path / "d.npz"
    says = {"code": "reads data only", "nested code": "reads data only", "not zip": "not a NumPy .npz",
            "no positions": "no 'positions_2d'", "shape": r"expected \[frames, joints, 2 or 3\]", "nan": "NaN",
            "joints": "one file holds one layout", "not dict": "positions_2d must be",
            "text": "not the pickled object"}
    if case == "code":
        np.savez(path, positions_2d=np.array(_Runs(str(marker)), dtype=object), metadata={})
    elif case == "nested code":
        _save(path, {"S9": {"Walking": [good, _Runs(str(marker))]}})
    elif case == "not zip":
        path.write_bytes(b"not a zip at all")
    elif case == "no positions":
        np.savez(path, metadata={"layout_name": "h36m"})
    elif case == "shape":
        _save(path, {"S9": {"Walking": [np.zeros((3, 17))]}})
    elif case == "nan":
        _save(path, {"S9": {"Walking": [np.full((3, 17, 2), np.nan)]}})
    elif case == "joints":
        _save(path, {"S9": {"Walking": [good, np.zeros((3, 16, 2))]}})
    elif case == "not dict":
        _save(path, np.array([1, 2], dtype=object))
    else:
        _save(path, ["S9"])
    with pytest.raises(ValueError, match=says[case]):
        read_videopose3d_2d(path)
    assert not marker.exists(), "reading the file ran its code"
    with pytest.raises(FileNotFoundError):
        read_videopose3d_2d(tmp_path / "none.npz")
    assert pickle.loads(pickle.dumps(good)).shape == good.shape  # (the test's pickles are ordinary ones)


def test_detections_of_the_videos_score_as_the_ground_truth_they_were_made_from(tmp_path, capsys):
    """S9's stored poses (every 5th frame of the 50 fps capture) projected through its cameras and
    written as a VideoPose3D file at the videos' frame rate (the frames in between hold nonsense,
    so a wrong frame mapping would show): every camera's figures equal the ground-truth run's,
    except one video left out, which is counted and not scored."""
    h5 = shared_path("realdata", "h36m_poses.h5")
    poses = read_h36m_mocap(h5, ["S9"])
    positions: dict = {"S9": {}}
    for action in sorted(set(poses.sequence.tolist())):
        rows = np.nonzero(poses.sequence == action)[0]
        views = []
        for cid in VIDEOPOSE3D_CAMERAS:
            mc = poses.cameras["S9"][cid]
            video = np.full((5 * len(rows) + 3, 17, 2), 7.0, np.float32)
            video[poses.frame[rows] * 5] = mc.camera.project(world_to_camera(poses.poses[rows], mc.R, mc.T))
            views.append(video)
        positions["S9"][action] = views
    gone = sorted(positions["S9"])[3]
    positions["S9"][gone][1] = None
    lost = sorted(positions["S9"])[5]  # its first stored pose through the first camera: two joints scored 0.05
    video = np.concatenate([positions["S9"][lost][0], np.ones(positions["S9"][lost][0].shape[:2] + (1,))], -1)
    video[0, 2:, 2] = 0.0
    video[0, :2, 2] = 0.05
    positions["S9"][lost][0] = video.astype(np.float32)
    npz = _save(tmp_path / "data_2d_h36m_test.npz", positions)
    common = ["eval", "--dataset", "h36m", "--annotations", str(h5), "--subjects", "S9"]
    assert main(common + ["--out", str(tmp_path / "gt.json")]) == 0
    assert main(common + ["--keypoints", npz, "--out", str(tmp_path / "det.json")]) == 0
    assert f"1 videos not in --keypoints (first: S9/{gone}/{VIDEOPOSE3D_CAMERAS[1]})" in capsys.readouterr().out
    gt, det = (json.loads((tmp_path / n).read_text()) for n in ("gt.json", "det.json"))
    assert det["views_missing"] == 1 and det["first_missing"] == ["S9", gone, VIDEOPOSE3D_CAMERAS[1]]
    assert det["people"] == gt["people"] - int((poses.sequence == gone).sum()) - 1 and det["left_out"] == 1
    assert det["per_camera"][VIDEOPOSE3D_CAMERAS[0]]["people"] == gt["per_camera"][VIDEOPOSE3D_CAMERAS[0]]["people"] - 1
    for cid in (VIDEOPOSE3D_CAMERAS[2], VIDEOPOSE3D_CAMERAS[3]):
        for key in ("people", "mpjpe_mm", "pa_mpjpe_mm", "mrpe_mm"):
            assert det["per_camera"][cid][key] == pytest.approx(gt["per_camera"][cid][key], rel=1e-6), (cid, key)
    assert "a detector's 2D" in det["input"]["keypoints"]
    # scores past 1 (Detectron2's, RTMPose's): refused, or with --clip-scores read as 1, as the 2-channel videos' are
    sure = {action: list(views) for action, views in positions["S9"].items()}
    first = sorted(sure)[0]
    sure[first][0] = np.concatenate([sure[first][0], np.full(sure[first][0].shape[:2] + (1,), 1.2, np.float32)], -1)
    npz_sure = _save(tmp_path / "sure.npz", {"S9": sure})
    assert main(common + ["--keypoints", npz_sure, "--out", str(tmp_path / "x.json")]) == 2
    assert "--clip-scores reads each" in capsys.readouterr().err
    assert main(common + ["--keypoints", npz_sure, "--clip-scores", "--out", str(tmp_path / "sure.json")]) == 0
    clipped = json.loads((tmp_path / "sure.json").read_text())
    assert clipped["mpjpe_mm"] == pytest.approx(det["mpjpe_mm"], rel=1e-9)
    assert clipped["input"]["clipped_scores"]["above"] == sure[first][0].shape[0] * 17
    # the file's layout must be Human3.6M's; a wrong capture rate and a coco layout are refused
    coco = _save(tmp_path / "coco.npz", positions, {"layout_name": "coco", "num_joints": 17})
    for extra, says in ((["--keypoints", coco], "scores Human3.6M's joints"),
                        (["--keypoints", npz, "--keypoint-format", "coco_17"], "the file's layout is 'h36m'"),
                        (["--keypoints", npz, "--min-score", "0.5"], "--dataset mupots-3d")):
        assert main(common + extra + ["--out", str(tmp_path / "x.json")]) == 2
        assert says in capsys.readouterr().err
    from hdnet.keypoint import KeypointHDNet, evaluate_h36m
    views, _ = read_videopose3d_2d(npz)
    with pytest.raises(ValueError, match="another capture rate"):
        evaluate_h36m(KeypointHDNet.pretrained("h36m_17"), poses, ["S9"], keypoints_2d=views, every=7)
