"""Videos: reading their frames, and ``hdnet predict --video`` with a detector that follows them."""

import json

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.keypoint import KeypointHDNet, detectors

from .test_scene import _walkers

cv2 = pytest.importorskip("cv2", reason="reading videos needs OpenCV (pip install \"hdnet[video]\")")

FPS = 10.0


def _video(path, n, size=(96, 64)):
    """An MJPG video of ``n`` flat frames, frame ``i`` of grey level ``20 i`` (modulo 260)."""
    w, h = size
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (w, h))
    for i in range(n):
        out.write(np.full((h, w, 3), 20 * (i % 13), np.uint8))
    out.release()
    return path


def test_video_frames_come_in_order_one_in_step(tmp_path):
    path = _video(tmp_path / "v.avi", 7)
    info = detectors.video_info(path)
    assert (info.width, info.height, info.fps, info.frames) == (96, 64, FPS, 7)
    every = list(detectors.video_frames(path))
    assert [i for i, _ in every] == list(range(7))
    assert all(f.shape == (64, 96, 3) and f.dtype == np.uint8 for _, f in every)
    assert [round(float(f.mean()) / 20) for _, f in every] == list(range(7))  # each frame's own grey (JPEG: +-1)
    assert [i for i, _ in detectors.video_frames(path, step=3)] == [0, 3, 6]
    for bad, match in ((lambda: detectors.video_info(path.with_suffix(".mp4")), "no file"),
                       (lambda: list(detectors.video_frames(path, step=0)), "step")):
        with pytest.raises(ValueError, match=match):
            bad()
    (path.parent / "not.avi").write_text("not a video")
    with pytest.raises(ValueError, match="not.avi"):
        detectors.video_info(path.parent / "not.avi")


class _Walkers:
    """A detector that 'sees' the walkers of :func:`tests.test_scene._walkers`, one frame per call in
    order (what a video's detector is given), and says how it was made and closed."""

    format = "coco_17"
    made: list = []

    def __init__(self, video=False):
        _Walkers.made.append(video)
        results = _walkers(12)
        self.frames = [np.array([r["keypoints"] for r in results if r["image_id"] == f"frame{f:03d}.jpg"]).reshape(
            2, 17, 3) for f in range(12)]
        self.calls = 0
        self.closed = False

    def __call__(self, rgb, boxes=None):
        out = self.frames[self.calls]
        self.calls += 1
        return out

    def close(self):
        self.closed = True


def test_predict_video_places_each_frames_people_as_the_python_api_does(tmp_path, monkeypatch):
    """``hdnet predict --video --detector`` on every 2nd frame of a 24-frame, 10 fps video: the
    records say their frame, and the people are placed as ``predict_scene`` places the same
    keypoints at their frame numbers at 10 fps (each track's depth smoothed over a second)."""
    from .test_scene import CAMERA
    monkeypatch.setattr(detectors.DETECTORS, "get", lambda name: _Walkers)
    video = _video(tmp_path / "walk.avi", 24)
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=8, width=16, blocks=0).eval()
    model.save(tmp_path / "kp.pt")
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    _Walkers.made.clear()
    assert main(["predict", "--video", str(video), "--detector", "mediapipe", "--frame-step", "2", "--camera",
                 str(tmp_path / "cam.json"), "--checkpoint", str(tmp_path / "kp.pt"), "--scene", "sequence",
                 "--out", str(tmp_path / "out"), "--pictures", "3"]) == 0
    assert _Walkers.made == [True]  # one detector, following the video
    records = json.loads((tmp_path / "out" / "people.json").read_text())
    assert [r["frame"] for r in records] == [f for f in range(0, 24, 2) for _ in range(2)]
    assert records[0]["image_id"] == "walk.avi#0" and records[0]["video"] == str(video)
    # the detector saw 12 frames in order (its own walkers' frames 0..11): the video's 0, 2, ..., 22
    kp = np.concatenate(_Walkers(False).frames)
    want, _ = model.predict_scene(kp, CAMERA, "sequence", format="coco_17", image=np.repeat(np.arange(0, 24, 2), 2),
                                  track=np.tile(np.arange(2), 12), frame_rate=FPS)
    np.testing.assert_allclose([r["root_cam"] for r in records], want.root_mm.numpy(), atol=2e-3)
    at_30, _ = model.predict_scene(kp, CAMERA, "sequence", format="coco_17", image=np.repeat(np.arange(12), 2),
                                   track=np.tile(np.arange(2), 12))
    assert not np.allclose(want.root_mm.numpy(), at_30.root_mm.numpy(), atol=1.0)  # the frame rate counts
    # every 3rd frame read drawn into one video: the 12 frames read give 4, each the frame beside the view
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["keypoints.json", "people.json", "walk_people.mp4"]
    # the detector's keypoints, kept, read back with the video: the same people without running it again
    assert main(["predict", "--keypoints", str(tmp_path / "out" / "keypoints.json"), "--keypoint-format", "coco_17",
                 "--video", str(video), "--camera", str(tmp_path / "cam.json"), "--checkpoint", str(tmp_path / "kp.pt"),
                 "--scene", "sequence", "--pictures", "0", "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "people.json").read_text())
    assert [(r["image_id"], r["frame"], r["person"]) for r in again] == [(r["image_id"], r["frame"], r["person"])
                                                                          for r in records]
    np.testing.assert_allclose([r["root_cam"] for r in again], [r["root_cam"] for r in records], atol=1e-3)
    drawn = list(detectors.video_frames(tmp_path / "out" / "walk_people.mp4"))
    assert len(drawn) == 4 and drawn[0][1].shape == (64, 96 + 64, 3)
    assert [round(float(f[:, :96].mean()) / 20) for _, f in drawn] == [0, 6, 12 % 13, 18 % 13]  # those frames


def test_predict_video_with_a_detectors_keypoints_of_its_frames(tmp_path, capsys):
    """MMPose's predictions for every 3rd frame of a 12-frame video (``frame_id`` from 0), given
    with the video: each frame's people at its frame number, pictures drawn on those frames."""
    from .test_scene import CAMERA
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=8, width=16, blocks=0).eval()
    model.save(tmp_path / "kp.pt")
    video = _video(tmp_path / "walk.avi", 12)
    seen = _Walkers(False).frames
    frames = [0, 3, 6, 9]
    preds = [{"frame_id": f, "instances": [{"keypoints": p[:, :2].tolist(), "keypoint_scores": p[:, 2].tolist()}
                                           for p in seen[k]]} for k, f in reversed(list(enumerate(frames)))]
    (tmp_path / "kp.json").write_text(json.dumps(preds))  # in any order: placed by frame number
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    args = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--video", str(video),
            "--camera", str(tmp_path / "cam.json"), "--checkpoint", str(tmp_path / "kp.pt"), "--scene", "sequence"]
    assert main(args + ["--out", str(tmp_path / "out"), "--pictures", "2"]) == 0
    records = json.loads((tmp_path / "out" / "people.json").read_text())
    assert [(r["image_id"], r["frame"]) for r in records[::2]] == [(str(f), f) for f in frames]
    kp = np.concatenate(seen[:4])
    want, _ = model.predict_scene(kp, CAMERA, "sequence", format="coco_17", image=np.repeat(frames, 2),
                                  track=np.array([r["track_id"] for r in records]), frame_rate=FPS)
    np.testing.assert_allclose([r["root_cam"] for r in records], want.root_mm.numpy(), atol=2e-3)
    drawn = list(detectors.video_frames(tmp_path / "out" / "walk_people.mp4"))
    assert len(drawn) == 2 and [round(float(f[:, :96].mean()) / 20) for _, f in drawn] == [0, 6]
    (tmp_path / "bad.json").write_text(json.dumps(preds[:1] + [dict(preds[1], frame_id=12)]))
    capsys.readouterr()
    assert main(args[:2] + [str(tmp_path / "bad.json")] + args[3:] + ["--out", str(tmp_path / "bad")]) == 2
    assert "'12' is past the video's last frame (11)" in capsys.readouterr().err


def test_predict_video_with_easy_vitposes_file_of_its_frames(tmp_path):
    """easy_ViTPose's --save-json of a video: every frame, each person's (y, x, score) under its
    tracker's id. With the video, each frame's people are at its frame number, swapped back to
    x, y, and the ids are the tracks ``--scene sequence`` smooths."""
    from .test_keypoint_cli import COCO_NAMES
    from .test_scene import CAMERA
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=8, width=16, blocks=0).eval()
    model.save(tmp_path / "kp.pt")
    video = _video(tmp_path / "walk.avi", 6)
    seen = _Walkers(False).frames[:6]
    (tmp_path / "walk_result.json").write_text(json.dumps({
        "keypoints": [{str(t + 1): p[:, [1, 0, 2]].tolist() for t, p in enumerate(people)} for people in seen],
        "skeleton": {str(k): n for k, n in enumerate(COCO_NAMES)}}))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    assert main(["predict", "--keypoints", str(tmp_path / "walk_result.json"), "--video", str(video), "--camera",
                 str(tmp_path / "cam.json"), "--checkpoint", str(tmp_path / "kp.pt"), "--scene", "sequence",
                 "--tracks", "given", "--pictures", "0", "--out", str(tmp_path / "out")]) == 0
    records = json.loads((tmp_path / "out" / "people.json").read_text())
    assert [(r["frame"], r["track_id"]) for r in records] == [(f, t) for f in range(6) for t in (1, 2)]
    want, _ = model.predict_scene(np.concatenate(seen), CAMERA, "sequence", format="coco_17",
                                  image=np.repeat(np.arange(6), 2), track=np.tile([1, 2], 6), frame_rate=FPS)
    np.testing.assert_allclose([r["root_cam"] for r in records], want.root_mm.numpy(), atol=2e-3)


def test_predict_video_with_videopose3ds_custom_file(tmp_path, capsys):
    """VideoPose3D's ``data_2d_custom_*.npz`` of a video (one person a frame, x and y), and the
    same points as a plain ``np.save`` array, given with the video: each frame's person at its
    frame number, as the same keypoints from a JSON file of frame numbers place them; ``hdnet
    info`` says what the file holds."""
    from .test_scene import CAMERA
    video = _video(tmp_path / "walk.avi", 6)
    seen = [people[:1] for people in _Walkers(False).frames[:6]]  # VideoPose3D keeps one person a frame
    np.savez_compressed(tmp_path / "data_2d_custom_walk.npz",
                        positions_2d={"walk.avi": {"custom": [np.stack([p[0, :, :2] for p in seen]).astype(np.float32)]}},
                        metadata={"layout_name": "coco", "num_joints": 17})
    (tmp_path / "frames.json").write_text(json.dumps({str(f): [np.c_[p[0, :, :2].astype(np.float32), np.ones(17)].tolist()]
                                                      for f, p in enumerate(seen)}))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    common = ["predict", "--video", str(video), "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(common + ["--keypoints", str(tmp_path / "data_2d_custom_walk.npz"), "--out", str(tmp_path / "a")]) == 0
    assert main(common + ["--keypoints", str(tmp_path / "frames.json"), "--keypoint-format", "coco_17",
                          "--out", str(tmp_path / "b")]) == 0
    np.save(tmp_path / "walk.npy", np.stack([p[0, :, :2] for p in seen]).astype(np.float32))
    assert main(common + ["--keypoints", str(tmp_path / "walk.npy"), "--keypoint-format", "coco_17",
                          "--out", str(tmp_path / "c")]) == 0
    a, b, c = (json.loads((tmp_path / d / "people.json").read_text()) for d in "abc")
    assert [r["frame"] for r in a] == list(range(6)) and [r["root_cam"] for r in a] == [r["root_cam"] for r in b]
    assert [r["frame"] for r in c] == list(range(6)) and [r["root_cam"] for r in c] == [r["root_cam"] for r in b]
    capsys.readouterr()
    assert main(["info", str(tmp_path / "data_2d_custom_walk.npz")]) == 0
    assert "(VideoPose3D custom 2D, layout coco (coco_17)): 1 video (walk.avi), 6 frames of one person each" in \
        capsys.readouterr().out


@pytest.mark.parametrize("extra,says", [
    (["--keypoints", "kp.json", "--frame-step", "2"], "--frame-step"),
    ([], "--detector"),
    (["--detector", "mediapipe", "x.jpg"], "--video, images"),
    (["--detector", "mediapipe", "--boxes", "b.json"], "--boxes"),
    (["--detector", "mediapipe", "--fps", "0"], "--fps"),
])
def test_predict_video_refuses_what_does_not_apply(tmp_path, capsys, extra, says):
    video = _video(tmp_path / "v.avi", 2)
    assert main(["predict", "--video", str(video), *extra, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0], err


def test_frame_step_needs_a_video(tmp_path, capsys):
    assert main(["predict", "--keypoints", "kp.json", "--frame-step", "2", "--out", str(tmp_path / "o")]) == 2
    assert "--frame-step" in capsys.readouterr().err


def test_openpose_names_give_the_frames_of_a_video(tmp_path, capsys):
    """OpenPose names its files ``<video>_<12-digit frame>``: those numbers are the frames; a name
    without one is refused, naming it."""
    from .test_scene import CAMERA
    video = _video(tmp_path / "clip.avi", 6)
    seen = _Walkers(False).frames
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    for name, people, code in (("ok", {"clip_000000000004": seen[1].tolist(), "clip_000000000001": seen[0].tolist()}, 0),
                               ("bad", {"clip_000000000001": seen[0].tolist(), "intro.jpg": seen[1].tolist()}, 2)):
        (tmp_path / f"{name}.json").write_text(json.dumps(people))
        assert main(["predict", "--keypoints", str(tmp_path / f"{name}.json"), "--keypoint-format", "coco_17",
                     "--video", str(video), "--camera", str(tmp_path / "cam.json"), "--pictures", "0",
                     "--out", str(tmp_path / name)]) == code
    records = json.loads((tmp_path / "ok" / "people.json").read_text())
    assert [r["frame"] for r in records] == [1, 1, 4, 4] and records[0]["image_id"] == "clip_000000000001"
    assert "'intro.jpg' names no frame" in capsys.readouterr().err


def test_ultralytics_labels_give_the_frames_of_a_video_counted_from_one(tmp_path, capsys):
    """``yolo pose predict source=clip.avi save_txt=True`` writes ``labels/clip_<frame>.txt`` with
    frames counted from 1, as fractions of the frame's size: frames 1 and 4 of its count are the
    video's frames 0 and 3, placed exactly as the same people given in pixels for those frames."""
    from .test_keypoint_cli import _ultralytics_line
    from .test_scene import CAMERA
    video = _video(tmp_path / "clip.avi", 6)
    seen = _Walkers(False).frames
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    (tmp_path / "labels").mkdir()
    for n, people in ((1, seen[0]), (4, seen[1])):
        (tmp_path / "labels" / f"clip_{n}.txt").write_text("".join(_ultralytics_line(p, (96, 64)) + "\n"
                                                                   for p in people))
    (tmp_path / "px.json").write_text(json.dumps({"0": seen[0].tolist(), "3": seen[1].tolist()}))
    common = ["--keypoint-format", "coco_17", "--video", str(video), "--camera", str(tmp_path / "cam.json"),
              "--pictures", "0"]
    for name, keypoints in (("labels", tmp_path / "labels"), ("px", tmp_path / "px.json")):
        assert main(["predict", "--keypoints", str(keypoints), *common, "--out", str(tmp_path / f"o_{name}")]) == 0
    got, want = (json.loads((tmp_path / f"o_{n}" / "people.json").read_text()) for n in ("labels", "px"))
    assert [r["frame"] for r in got] == [r["frame"] for r in want] == [0, 0, 3, 3]
    np.testing.assert_allclose([r["root_cam"] for r in got], [r["root_cam"] for r in want], atol=0.05)
    (tmp_path / "labels" / "clip_0.txt").write_text(_ultralytics_line(seen[0][0], (96, 64)) + "\n")
    capsys.readouterr()
    assert main(["predict", "--keypoints", str(tmp_path / "labels"), *common, "--out", str(tmp_path / "bad")]) == 2
    assert "'clip_0' names frame 0, but these keypoints count the frames from 1" in capsys.readouterr().err


def test_info_on_a_video_says_its_frames_and_the_camera_predict_takes(tmp_path, capfd):
    """``hdnet info clip.avi``: the frames as decoded, the frame rate and count its header says,
    and the camera ``hdnet predict --video`` takes without --camera or --fov (the 55-degree prior
    across the longer side); a damaged video is one error line, without FFmpeg's own."""
    import math
    _video(tmp_path / "clip.avi", 12, size=(160, 90))
    assert main(["info", str(tmp_path / "clip.avi"), "--json", str(tmp_path / "v.json")]) == 0
    assert "12 of 160 x 90 px as decoded, 10 per second (1.2 s" in capfd.readouterr().out
    got = json.loads((tmp_path / "v.json").read_text())
    assert got["frames"] == 12 and got["fps"] == FPS and got["camera_source"].startswith("prior")
    assert got["camera"]["fx"] == pytest.approx(160 / (2 * math.tan(math.radians(27.5))), rel=1e-9)
    (tmp_path / "cut.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(40))  # a header, no movie
    assert main(["info", str(tmp_path / "cut.mp4")]) == 2
    err = capfd.readouterr().err
    assert err.strip() == f"error: video: '{tmp_path / 'cut.mp4'}' is not a video OpenCV can read", err
