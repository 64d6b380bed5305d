"""``hdnet.keypoint.read_keypoints``: a detector's file read from Python as the command line reads
it: the arrays written come back, layouts are cut to their body format, the format is checked,
and the people go straight into ``KeypointHDNet.predict_scene``."""

import json
import warnings

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.keypoint import KeypointHDNet, read_keypoints
from hdnet.keypoint.formats import KeypointFormatWarning, layout_indices

from .test_keypoint_cli import COCO_NAMES, _coco_views


def test_the_arrays_written_come_back_with_their_tracks_and_scores(tmp_path):
    kp, _, _ = _coco_views(4, seed=3)
    results = [{"image_id": f"f{i // 2}.jpg", "keypoints": p.ravel().tolist(), "score": 0.5 + 0.1 * i, "track_id": i % 2}
               for i, p in enumerate(kp)]
    (tmp_path / "res.json").write_text(json.dumps(results))
    found = read_keypoints(tmp_path / "res.json", "coco_17")
    assert found.format == "coco_17" and len(found) == 4 and list(found.people) == ["f0.jpg", "f1.jpg"]
    np.testing.assert_array_equal(found.people["f1.jpg"], kp[2:])
    assert found.tracks["f1.jpg"].tolist() == [0, 1] and found.scores["f0.jpg"].tolist() == [0.5, 0.6]
    stacked, image, tracks = found.stacked()
    np.testing.assert_array_equal(stacked, kp)
    assert image.tolist() == [0, 0, 1, 1] and tracks.tolist() == [0, 1, 0, 1]
    assert found.images is None
    (tmp_path / "nobody.json").write_text(json.dumps({"a.jpg": [], "b.jpg": []}))
    empty = read_keypoints(tmp_path / "nobody.json", "coco_17")
    assert len(empty) == 0 and [a.shape for a in empty.stacked()] == [(0, 17, 3), (0,), (0,)]


def test_layouts_are_cut_to_their_body_and_formats_checked(tmp_path):
    kp, _, _ = _coco_views(3, seed=4)
    whole = np.zeros((3, 133, 3))
    whole[:, :17] = kp  # COCO-WholeBody: COCO's 17 first, then feet, face and hands
    (tmp_path / "whole.json").write_text(json.dumps({"a.jpg": whole.tolist()}))
    found = read_keypoints(tmp_path / "whole.json")
    assert found.format == "coco_17"
    np.testing.assert_array_equal(found.people["a.jpg"], kp)
    op = np.zeros((3, 18, 3))
    op[:, list(layout_indices("openpose_18"))] = kp  # OpenPose's COCO order, by joint name
    (tmp_path / "op.json").write_text(json.dumps({"a.jpg": op.tolist()}))
    np.testing.assert_array_equal(read_keypoints(tmp_path / "op.json").people["a.jpg"], kp)
    (tmp_path / "coco.json").write_text(json.dumps({"a.jpg": kp.tolist()}))
    with pytest.raises(ValueError, match=r"format: 17 joints fit .* say which \(format=...\) \(they look like coco_17"):
        read_keypoints(tmp_path / "coco.json")
    with pytest.warns(KeypointFormatWarning, match="format h36m_17: the keypoints look like coco_17"):
        assert read_keypoints(tmp_path / "coco.json", "h36m_17").format == "h36m_17"
    with warnings.catch_warnings():
        warnings.simplefilter("error", KeypointFormatWarning)
        read_keypoints(tmp_path / "coco.json", "coco_17")
    with pytest.raises(ValueError, match="format: 'smpl_24' is not one of this model's formats"):
        read_keypoints(tmp_path / "coco.json", "smpl_24")
    with pytest.raises(ValueError, match="path: 17 joints, but coco_wholebody_133 has 133"):
        read_keypoints(tmp_path / "coco.json", "coco_wholebody_133")
    with pytest.raises(ValueError, match="path: 17 joints, but format 'body_25' has 25"):
        read_keypoints(tmp_path / "coco.json", "body_25")
    with pytest.raises(FileNotFoundError, match="path: no file"):
        read_keypoints(tmp_path / "none.json")


def test_an_annotation_file_declares_its_format_and_images(tmp_path):
    kp, _, _ = _coco_views(2, seed=6)
    ann = {"images": [{"id": 3, "file_name": "x.jpg", "width": 640, "height": 480}],
           "annotations": [{"image_id": 3, "keypoints": np.concatenate([p[:, :2], np.full((17, 1), 2)], 1).ravel().tolist()}
                           for p in kp],
           "categories": [{"id": 1, "name": "person", "keypoints": COCO_NAMES}]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    found = read_keypoints(tmp_path / "ann.json")
    assert found.format == "coco_17" and found.images == {"3": {"file_name": "x.jpg", "width": 640, "height": 480}}
    np.testing.assert_array_equal(found.people["3"][..., :2], kp[..., :2])
    assert (found.people["3"][..., 2] == 1).all()
    with pytest.raises(ValueError, match="format h36m_17: the file names its keypoints otherwise"):
        read_keypoints(tmp_path / "ann.json", "h36m_17")


def test_a_file_goes_straight_into_predict_scene_as_the_command_line_places_it(tmp_path):
    """A video's keypoint file with track ids: ``read_keypoints`` then ``predict_scene`` gives
    the roots ``hdnet predict --scene sequence`` writes for it."""
    kp, _, _ = _coco_views(6, seed=8)
    frames = {f"frame_{i:03d}.jpg": [kp[i].tolist()] for i in range(6)}
    results = [{"image_id": name, "keypoints": np.asarray(people[0]).ravel().tolist(), "track_id": 4}
               for name, people in frames.items()]
    (tmp_path / "kp.json").write_text(json.dumps(results))
    cam = {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}
    (tmp_path / "cam.json").write_text(json.dumps(cam))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--scene", "sequence", "--pictures", "0", "--out", str(tmp_path / "o")]) == 0
    written = json.loads((tmp_path / "o" / "people.json").read_text())
    found = read_keypoints(tmp_path / "kp.json", "coco_17")
    stacked, frame, tracks = found.stacked()
    out, _ = KeypointHDNet.pretrained().predict_scene(stacked, cam, "sequence", format=found.format, image=frame,
                                                      track=tracks)
    np.testing.assert_allclose(out.root_mm.numpy(), [p["root_cam"] for p in written], atol=0.01)


def test_a_file_pythons_json_dump_wrote_with_nan_for_missing_joints(tmp_path):
    """``json.dump`` of keypoints with NaN where a joint was not found writes ``NaN`` tokens (not
    JSON, but what Python writes): read as missing joints, the same people as with score 0; with
    or without a score column. ``Infinity`` stays refused, and so does NaN outside keypoint files."""
    from hdnet.core.files import read_json
    kp, _, _ = _coco_views(2, seed=11)
    missing = kp.copy()
    missing[0, 3:5] = np.nan  # the ears of the first person not found, their scores NaN too
    (tmp_path / "nan.json").write_text(json.dumps({"a.jpg": missing.tolist()}))  # Python writes NaN
    assert "NaN" in (tmp_path / "nan.json").read_text()
    zeroed = kp.copy()
    zeroed[0, 3:5] = 0.0
    (tmp_path / "zero.json").write_text(json.dumps({"a.jpg": zeroed.tolist()}))
    a = read_keypoints(tmp_path / "nan.json", "coco_17").people["a.jpg"]
    b = read_keypoints(tmp_path / "zero.json", "coco_17").people["a.jpg"]
    np.testing.assert_array_equal(a[..., 2], b[..., 2])  # the same joints missing
    np.testing.assert_array_equal(a[a[..., 2] > 0], b[b[..., 2] > 0])  # and the same ones found
    (tmp_path / "xy.json").write_text(json.dumps({"a.jpg": missing[..., :2].tolist()}))  # no scores: seen or not
    got = read_keypoints(tmp_path / "xy.json", "coco_17").people["a.jpg"]
    np.testing.assert_array_equal(got[..., 2], np.isfinite(missing[..., :2]).all(-1).astype(float))
    (tmp_path / "inf.json").write_text(json.dumps({"a.jpg": np.where(kp > 0, np.inf, kp).tolist()}))
    with pytest.raises(ValueError, match="Infinity is not JSON"):
        read_keypoints(tmp_path / "inf.json", "coco_17")
    (tmp_path / "cam.json").write_text('{"fx": NaN, "fy": 1000, "cx": 500, "cy": 500}')
    with pytest.raises(ValueError, match="NaN is not JSON"):
        read_json(tmp_path / "cam.json", "--camera")


def test_a_camera_that_is_not_the_keypoints_is_refused_by_name_not_answered_with_nan():
    """A principal point of 1e30 px or a focal length of a thousandth of a pixel puts the keypoints
    past 89.99 degrees off the axis, where no lens shows anything: a ValueError naming the camera,
    not NaN answers; people 85 degrees off the axis (a wide lens's corner) are still answered."""
    import math

    model = KeypointHDNet.pretrained()
    kp, _, _ = _coco_views(2, seed=12)
    for cam in ({"fx": 1000.0, "fy": 1000.0, "cx": 1e30, "cy": 360.0}, {"fx": 1e-3, "fy": 1e-3, "cx": 640.0, "cy": 360.0}):
        with pytest.raises(ValueError, match=r"cameras: the keypoints of people \[0, 1\] lie all but 90 degrees off"):
            model.predict(kp, cam, format="coco_17")
    f = 100.0
    wide = kp.copy()
    wide[..., 0] += 640.0 + f * math.tan(math.radians(85.0)) - wide[..., 0].mean()  # 85 degrees to the right
    out = model.predict(wide, {"fx": f, "fy": f, "cx": 640.0, "cy": 360.0}, format="coco_17")
    assert torch.isfinite(out.root_mm).all()


def test_posetrack_keypoints_are_cocos_without_the_eyes_and_named_only(tmp_path):
    """PoseTrack's 17 points are COCO's with the head's bottom and top in the eyes' slots: named
    (or by its alias), they are read as COCO's with the eyes missing, so the model places the
    people as it places COCO keypoints whose eyes were not found; 17 points alone never mean it."""
    from hdnet import Camera
    kp, cams, _ = _coco_views(3, seed=6)
    track = kp.copy()
    track[:, 1:3, :2] = [[-50.0, -50.0], [900.0, 900.0]]  # head_bottom, head_top: nowhere near the eyes
    (tmp_path / "pt.json").write_text(json.dumps({"a.jpg": track.tolist()}))
    for name in ("posetrack_17", "posetrack"):
        found = read_keypoints(tmp_path / "pt.json", name)
        assert found.format == "coco_17"
        got = found.people["a.jpg"]
        assert np.isnan(got[:, 1:3, :2]).all() and (got[:, 1:3, 2] == 0).all()
        np.testing.assert_array_equal(np.delete(got, [1, 2], 1), np.delete(kp, [1, 2], 1))
    model = KeypointHDNet.pretrained("coco_17")
    k = cams.intrinsics[0]
    cam = Camera(float(k[0]), float(k[1]), float(k[2]), float(k[3]))
    eyeless = torch.from_numpy(kp[:, :, 2]).clone()
    eyeless[:, 1:3] = 0
    want = model.predict(torch.from_numpy(kp[:, :, :2]), cam, eyeless, format="coco_17").root_mm
    got = model.predict(torch.from_numpy(track[:, :, :2]), cam, torch.from_numpy(track[:, :, 2]),
                        format="posetrack_17").root_mm
    torch.testing.assert_close(got, want)
    with pytest.raises(ValueError, match="say which"):  # 17 points without a name: not PoseTrack's
        read_keypoints(tmp_path / "pt.json")


def _rtmpose_like(seed):
    """Three people's COCO keypoints with scores as RTMPose gives them (SimCC: 0.6-1.15 where a
    point is seen, one heatmap maximum below 0), and an MMPose folder of one file per image."""
    kp, _, _ = _coco_views(3, seed=seed)
    rng = np.random.default_rng(seed)
    kp[..., 2] = np.where(kp[..., 2] > 0, rng.uniform(0.6, 1.15, kp.shape[:2]), 0.0)
    kp[1, 4, 2] = -0.03
    return kp


def test_scores_outside_0_1_are_refused_or_read_as_the_nearer_end(tmp_path):
    """RTMPose's scores run past 1: refused by default, naming the image, the range and the option;
    with ``clip_scores`` each reads as ``np.clip`` of it (below 0: missing) and the file says how
    many were; points the format does not read (a whole-body file's face) are not checked."""
    from .test_keypoint_cli import _mmpose_instances
    kp = _rtmpose_like(21)
    (tmp_path / "mm").mkdir()
    for i, p in enumerate(kp):
        (tmp_path / "mm" / f"img{i}.json").write_text(json.dumps(_mmpose_instances(p[None])))
    with pytest.raises(ValueError) as refused:
        read_keypoints(tmp_path / "mm", "coco_17")
    said = str(refused.value)
    assert "'img0'" in said and f"{kp[..., 2].max():.4g}" in said and "-0.03" in said and "clip_scores=True" in said
    found = read_keypoints(tmp_path / "mm", "coco_17", clip_scores=True)
    for i in range(3):
        np.testing.assert_array_equal(found.people[f"img{i}"][0, :, 2], np.clip(kp[i, :, 2], 0.0, 1.0))
        np.testing.assert_array_equal(found.people[f"img{i}"][0, :, :2], kp[i, :, :2])
    assert found.people["img1"][0, 4, 2] == 0.0  # below 0: not found
    assert tuple(found.clipped) == (int((kp[..., 2] > 1).sum()), 1, -0.03, float(kp[..., 2].max()))
    flags = np.c_[kp[0, :, :2], np.where(np.arange(17) % 3 == 0, 2.0, np.where(kp[0, :, 2] > 0, 1.0, 0.0))]
    (tmp_path / "flags.json").write_text(json.dumps({"a.jpg": [flags.tolist()]}))  # COCO's visibility: 0, 1, 2
    with pytest.raises(ValueError, match="visibility flags are 0, 1 and 2"):
        read_keypoints(tmp_path / "flags.json", "coco_17")
    np.testing.assert_array_equal(read_keypoints(tmp_path / "flags.json", "coco_17", clip_scores=True)
                                  .people["a.jpg"][0, :, 2], (flags[:, 2] > 0).astype(float))  # labelled: seen
    (tmp_path / "ok.json").write_text(json.dumps({"a.jpg": np.c_[kp[0, :, :2], np.clip(kp[0, :, 2], 0, 1)][None].tolist()}))
    assert read_keypoints(tmp_path / "ok.json", "coco_17", clip_scores=True).clipped is None
    whole = np.zeros((1, 133, 3))
    whole[0, :17] = np.clip(kp[0], 0.0, 1.0)
    whole[0, 23:91] = [300.0, 200.0, 1.2]  # the face's scores past 1: not read, so not refused
    (tmp_path / "whole.json").write_text(json.dumps({"a.jpg": whole.tolist()}))
    np.testing.assert_array_equal(read_keypoints(tmp_path / "whole.json", "coco_wholebody_133").people["a.jpg"][0],
                                  whole[0, :17])


def test_clip_scores_on_the_command_line_places_people_as_the_clipped_file(tmp_path, capsys):
    from .test_keypoint_cli import _mmpose_instances
    kp = _rtmpose_like(22)
    (tmp_path / "mm").mkdir()
    for i, p in enumerate(kp):
        (tmp_path / "mm" / f"img{i}.json").write_text(json.dumps(_mmpose_instances(p[None])))
    (tmp_path / "clipped.json").write_text(json.dumps({f"img{i}": [np.c_[p[:, :2], np.clip(p[:, 2], 0, 1)].tolist()]
                                                       for i, p in enumerate(kp)}))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": 500.0, "cy": 500.0}))
    run = ["predict", "--keypoint-format", "coco_17", "--camera", str(tmp_path / "cam.json")]
    assert main(run + ["--keypoints", str(tmp_path / "mm"), "--out", str(tmp_path / "a")]) == 2
    assert "--clip-scores reads each" in capsys.readouterr().err
    assert main(run + ["--keypoints", str(tmp_path / "mm"), "--out", str(tmp_path / "a"), "--clip-scores"]) == 0
    assert f"{int((kp[..., 2] > 1).sum())} above 1 read as 1, 1 below 0" in capsys.readouterr().out
    assert main(run + ["--keypoints", str(tmp_path / "clipped.json"), "--out", str(tmp_path / "b")]) == 0
    a, b = (json.loads((tmp_path / d / "people.json").read_text()) for d in "ab")
    assert len(a) == 3 and [r["root_cam"] for r in a] == [r["root_cam"] for r in b]
    assert main(["info", str(tmp_path / "mm")]) == 0
    assert f"keypoint scores: -0.03 to {kp[..., 2].max():.4g} (outside [0, 1]" in capsys.readouterr().out
    assert main(["predict", "--images", str(tmp_path), "--detector", "mediapipe", "--clip-scores"]) == 2
    assert "--clip-scores: does not apply with --detector" in capsys.readouterr().err


#: easy_ViTPose's coco_25 joint names, as its --save-json writes them under "skeleton"
VITPOSE_25_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "neck", "left_shoulder", "right_shoulder",
                    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "hip",
                    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_big_toe", "left_small_toe",
                    "left_heel", "right_big_toe", "right_small_toe", "right_heel"]
#: where each of them stands in Halpe-26 (AlphaPose's order: ... head 17, neck 18, hip 19, big toes
#: 20-21, small toes 22-23, heels 24-25)
VITPOSE_FROM_HALPE = [0, 1, 2, 3, 4, 18, 5, 6, 7, 8, 9, 10, 11, 12, 19, 13, 14, 15, 16, 20, 22, 24, 21, 23, 25]


def _halpe_people(n, seed):
    """``n`` people's Halpe-26 keypoints ``[n, 26, 3]`` (x, y px, score): the body from standing
    people through virtual cameras, the points MuPoTS lacks put about the body, scores 0.5-1."""
    from hdnet.data.virtual_cameras import VirtualCameraConfig, VirtualCameras
    from hdnet.graphs import convert_joints

    from .test_real import standing_people
    views = VirtualCameras(VirtualCameraConfig(noise_frac=(0.0, 0.0), clean_prob=1.0, drop_prob=0.0, outlier_prob=0.0,
                                               truncate=False, distortion_prob=0.0, depth_mm=(2500.0, 5000.0)),
                           seed=seed)(torch.from_numpy(standing_people(n, seed)), "mupots_17")
    halpe, _ = convert_joints(views["joints_2d_px"].double().numpy(), "mupots_17", "halpe_26")
    rng = np.random.default_rng(seed)
    lacking = ~np.isfinite(halpe).all(-1)
    centre = np.nanmean(halpe, 1, keepdims=True)
    halpe = np.where(lacking[..., None], centre + rng.normal(0, 20, halpe.shape), halpe)
    return np.concatenate([halpe, rng.uniform(0.5, 1.0, halpe.shape[:2] + (1,))], -1), views["cameras"]


def _easy_vitpose_file(frames, names=VITPOSE_25_NAMES, ids=None):
    """easy_ViTPose's --save-json: each frame {person id: [[y, x, score], ...]}."""
    return {"keypoints": [{str(ids[f][p] if ids else p): np.asarray(people)[p][:, [1, 0, 2]].tolist()
                           for p in range(len(people))} for f, people in enumerate(frames)],
            "skeleton": {str(k): n for k, n in enumerate(names)}}


def test_easy_vitposes_files_read_as_halpe_without_the_head_their_points_turned(tmp_path, capsys):
    """easy_ViTPose writes (y, x, score) and its 25 points (coco_25) in an order of its own, which
    BODY_25's count would misread: its file names them, so it reads as Halpe-26 with the head
    missing, x and y in place; a video's frames are keyed by number with its tracker's ids; one
    image's file and a folder of them are keyed by the image's name; 17 COCO names say coco_17."""
    halpe, cams = _halpe_people(6, seed=31)
    vit = halpe[:, VITPOSE_FROM_HALPE]
    frames = [vit[:2], vit[2:5], vit[5:]]
    (tmp_path / "clip_result.json").write_text(json.dumps(_easy_vitpose_file(frames, ids=[[1, 2], [1, 2, 3], [3]])))
    found = read_keypoints(tmp_path / "clip_result.json")
    assert found.format == "halpe_26" and list(found.people) == ["0", "1", "2"]
    assert {k: v.tolist() for k, v in found.tracks.items()} == {"0": [1, 2], "1": [1, 2, 3], "2": [3]}
    got = np.concatenate(list(found.people.values()))
    seen = np.ones(26, bool)
    seen[17] = False  # Halpe's head: easy_ViTPose has none
    np.testing.assert_allclose(got[:, seen], halpe[:, seen])
    assert (got[:, 17, 2] == 0).all()
    model = KeypointHDNet.pretrained("halpe_26")
    expected = halpe.copy()
    expected[:, 17] = [0.0, 0.0, 0.0]
    k = torch.as_tensor(cams.intrinsics)
    from hdnet.camera import Camera
    cameras = [Camera(*map(float, row)) for row in k]
    a = model.predict(got[..., :2], cameras, got[..., 2], format="halpe_26")
    b = model.predict(expected[..., :2], cameras, expected[..., 2], format="halpe_26")
    torch.testing.assert_close(a.root_mm, b.root_mm)
    # the same keypoints as a plain file: 25 points are BODY_25's unless named
    (tmp_path / "plain.json").write_text(json.dumps({"a.jpg": vit.tolist()}))
    assert read_keypoints(tmp_path / "plain.json").format == "body_25"
    np.testing.assert_allclose(read_keypoints(tmp_path / "plain.json", "vitpose_25").people["a.jpg"][:, seen],
                               halpe[:, seen])
    # one image's file, detections numbered 0, 1, ... (no tracker): keyed by the image, no tracks
    (tmp_path / "photo_result.json").write_text(json.dumps(_easy_vitpose_file([vit[:3]])))
    photo = read_keypoints(tmp_path / "photo_result.json")
    assert list(photo.people) == ["photo"] and photo.tracks is None
    (tmp_path / "dir").mkdir()
    for i in range(2):
        (tmp_path / "dir" / f"im{i}_result.json").write_text(json.dumps(_easy_vitpose_file([vit[3 * i:3 * i + 3]])))
    folder = read_keypoints(tmp_path / "dir")
    assert folder.format == "halpe_26" and list(folder.people) == ["im0", "im1"]
    capsys.readouterr()
    assert main(["info", str(tmp_path / "dir")]) == 0
    assert "(easy_vitpose folder)" in (said := capsys.readouterr().out) and "the files name vitpose_25's" in said
    np.testing.assert_allclose(folder.people["im1"][:, seen], halpe[3:, seen])
    coco = halpe[:, :17]
    (tmp_path / "coco_result.json").write_text(json.dumps(_easy_vitpose_file([coco], names=COCO_NAMES)))
    assert read_keypoints(tmp_path / "coco_result.json").format == "coco_17"  # no format to name
    with pytest.raises(ValueError, match="names its keypoints otherwise"):
        read_keypoints(tmp_path / "coco_result.json", "h36m_17")
    (tmp_path / "dir" / "clip_result.json").write_text(json.dumps(_easy_vitpose_file(frames)))
    with pytest.raises(ValueError, match="a video's"):
        read_keypoints(tmp_path / "dir")
    (tmp_path / "bad_result.json").write_text(json.dumps({"keypoints": [{"0": [[1.0, 2.0]]}], "skeleton": {"0": "a"}}))
    with pytest.raises(ValueError, match=r"frame 0 person '0': expected \[\[y, x, score\]"):
        read_keypoints(tmp_path / "bad_result.json")
    (tmp_path / "lists_result.json").write_text(json.dumps({"keypoints": [[[1.0, 2.0, 0.5]]], "skeleton": ["nose"]}))
    with pytest.raises(ValueError, match="easy_ViTPose's file needs 'keypoints'"):
        read_keypoints(tmp_path / "lists_result.json")


def test_videopose3ds_custom_files_read_one_person_a_frame(tmp_path):
    """VideoPose3D's custom layout (``data_2d_custom_*.npz``, what lifting repositories feed on):
    each video's frames keyed by number (``<video>#<frame>`` where a file holds several), one
    person a frame with score 1, the format from its layout; its Human3.6M layout is refused,
    naming the command that reads it."""
    kp, _, _ = _coco_views(5, seed=41)
    xy = kp[..., :2].astype(np.float32)
    meta = {"layout_name": "coco", "num_joints": 17, "video_metadata": {"walk.mp4": {"w": 1920, "h": 1080}}}
    np.savez_compressed(tmp_path / "data_2d_custom_one.npz", positions_2d={"walk.mp4": {"custom": [xy]}}, metadata=meta)
    found = read_keypoints(tmp_path / "data_2d_custom_one.npz")
    assert found.format == "coco_17" and list(found.people) == ["0", "1", "2", "3", "4"]
    for f in range(5):
        np.testing.assert_array_equal(found.people[str(f)][0, :, :2], xy[f])
        assert (found.people[str(f)][0, :, 2] == 1).all()
    assert found.images["3"] == {"file_name": "3", "width": 1920, "height": 1080}  # its video_metadata
    assert main(["predict", "--keypoints", str(tmp_path / "data_2d_custom_one.npz"), "--fov", "60", "--pictures", "0",
                 "--out", str(tmp_path / "o")]) == 0  # the video's size: the camera needs no image
    assert json.loads((tmp_path / "o" / "people.json").read_text())[0]["camera"]["cx"] == 959.5
    with pytest.raises(ValueError, match="the file's layout is 'coco' \\(coco_17\\)"):
        read_keypoints(tmp_path / "data_2d_custom_one.npz", "h36m_17")
    np.savez_compressed(tmp_path / "data_2d_custom_two.npz", metadata=meta,
                        positions_2d={"a.mp4": {"custom": [xy[:2]]}, "b.mp4": {"custom": [xy[2:]]}})
    assert list(read_keypoints(tmp_path / "data_2d_custom_two.npz").people) == ["a.mp4#0", "a.mp4#1", "b.mp4#0",
                                                                                 "b.mp4#1", "b.mp4#2"]
    np.savez(tmp_path / "data_2d_h36m.npz", positions_2d={"S9": {"Walking": [xy] * 4}},
             metadata={"layout_name": "h36m", "num_joints": 17})
    with pytest.raises(ValueError, match="hdnet eval --dataset h36m --keypoints reads it"):
        read_keypoints(tmp_path / "data_2d_h36m.npz")


def test_numpy_arrays_read_a_frame_a_row_and_a_person_a_slot(tmp_path, capsys):
    """``np.save``/``np.savez`` of keypoints (a row per frame, a slot per person): the points
    written come back keyed by frame number, a slot of NaN or of zero scores holds nobody, a
    separate ``scores`` array (rtmlib's pair) is each joint's score, ``track_ids`` of ``[P]`` is
    each slot's id throughout; ``hdnet info`` says what the file holds."""
    kp, _, _ = _coco_views(6, seed=7)
    slots = kp.reshape(3, 2, 17, 3).copy()          # three frames of two slots
    slots[1, 1, :, :2] = np.nan                     # frame 1: the second slot empty (NaN)
    slots[2, 0, :, 2] = 0.0                         # frame 2: the first slot empty (scores 0)
    np.save(tmp_path / "kp.npy", slots)
    found = read_keypoints(tmp_path / "kp.npy", "coco_17")
    assert list(found.people) == ["0", "1", "2"] and found.tracks is None and len(found) == 4
    np.testing.assert_array_equal(found.people["0"], kp[:2])
    np.testing.assert_array_equal(found.people["1"], kp[2:3])
    np.testing.assert_array_equal(found.people["2"], kp[5:6])
    np.savez(tmp_path / "rtmlib.npz", keypoints=slots[..., :2], scores=slots[..., 2], track_ids=np.array([7, 3]))
    pair = read_keypoints(tmp_path / "rtmlib.npz", "coco_17")
    for key in found.people:
        np.testing.assert_array_equal(pair.people[key], found.people[key])
    assert {k: v.tolist() for k, v in pair.tracks.items()} == {"0": [7, 3], "1": [7], "2": [3]}
    np.save(tmp_path / "one.npy", kp[:, :, :2])     # [F, J, 2]: one person a frame, every point seen
    one = read_keypoints(tmp_path / "one.npy", "coco_17")
    assert len(one.people) == 6 and (one.people["4"][0, :, 2] == 1).all()
    np.testing.assert_array_equal(one.people["4"][0, :, :2], kp[4, :, :2])
    capsys.readouterr()
    assert main(["info", str(tmp_path / "rtmlib.npz")]) == 0
    out = capsys.readouterr().out
    assert "(NumPy arrays, frames numbered from 0): 4 people in 3 images, 17 joints" in out and "track ids: yes" in out
    # frames without their video have no size for --fov: the error names the video
    assert main(["predict", "--keypoints", str(tmp_path / "kp.npy"), "--keypoint-format", "coco_17", "--fov", "60",
                 "--out", str(tmp_path / "o")]) == 2
    assert "or --video VIDEO (its frames' size" in capsys.readouterr().err


@pytest.mark.parametrize("write,says", [
    (lambda p: np.save(p / "x.npy", np.array([{"a": 1}], dtype=object)), "an object array, which hdnet does not unpickle"),
    (lambda p: np.save(p / "x.npy", np.zeros((5, 33, 4))), r"got \(5, 33, 4\); MediaPipe's landmarks are \[x, y, z"),
    (lambda p: np.save(p / "x.npy", np.zeros((5, 17))), r"\[frames, joints, 2 or 3\] .* got \(5, 17\)"),
    (lambda p: np.save(p / "x.npy", np.full((5, 17, 3), "a")), "keypoints must hold numbers"),
    (lambda p: np.savez(p / "x.npz", a=np.zeros((3, 17, 3)), b=np.zeros(3)), r"no 'keypoints' array among \['a', 'b'\]"),
    (lambda p: np.savez(p / "x.npz", keypoints=np.zeros((3, 2, 17, 2)), scores=np.ones((3, 17))),
     r"scores of shape \(3, 17\) for keypoints of shape \(3, 2, 17, 2\)"),
    (lambda p: np.savez(p / "x.npz", keypoints=np.zeros((3, 17, 3)), scores=np.ones((3, 17))), "keep one"),
    (lambda p: np.savez(p / "x.npz", keypoints=np.ones((3, 2, 17, 3)), track_ids=np.array([0, -1])),
     "track_ids must be whole numbers from 0"),
    (lambda p: np.savez(p / "x.npz", keypoints=np.ones((3, 2, 17, 3)), track_ids=np.zeros((2, 2))),
     r"track_ids of shape \(2, 2\) for 3 frames of 2 people"),
    (lambda p: (p / "x.npz").write_text("not a zip"), "not a NumPy .npz archive"),
])
def test_numpy_arrays_that_are_not_keypoints_are_refused_by_name(tmp_path, write, says):
    write(tmp_path)
    path = next(tmp_path.glob("x.np*"))
    with pytest.raises(ValueError, match=says):
        read_keypoints(path, "coco_17")
    assert main(["predict", "--keypoints", str(path), "--keypoint-format", "coco_17", "--fov", "60",
                 "--out", str(tmp_path / "o")]) == 2


def test_numpy_arrays_past_the_size_limit_or_with_coco_annotations_are_refused(tmp_path, monkeypatch):
    from hdnet.data import keypoint_arrays
    np.save(tmp_path / "kp.npy", np.ones((40, 17, 3)))
    np.savez_compressed(tmp_path / "kp.npz", keypoints=np.ones((40, 17, 3)))  # compressed: its size once read counts
    (tmp_path / "coco.json").write_text(json.dumps({"images": [], "annotations": []}))
    with pytest.raises(ValueError, match="coco_annotations: does not apply to NumPy arrays"):
        read_keypoints(tmp_path / "kp.npy", "coco_17", coco_annotations=tmp_path / "coco.json")
    monkeypatch.setattr(keypoint_arrays, "MAX_ARRAY_BYTES", 10_000)
    for name in ("kp.npy", "kp.npz"):
        with pytest.raises(ValueError, match="hdnet reads arrays up to 0 MiB"):
            read_keypoints(tmp_path / name, "coco_17")
