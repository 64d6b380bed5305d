"""`hdnet predict --keypoints` as a user runs it: the shipped model without --checkpoint, the
keypoint-format ambiguity, COCO results tied to files, --fov and EXIF cameras."""

import json
import math
import re
import warnings

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.data.virtual_cameras import VirtualCameraConfig, VirtualCameras
from hdnet.graphs import convert_joints
from hdnet.keypoint.model import shipped_weights_path

from .test_real import standing_people


def _coco_views(n, seed=0):
    """``n`` standing people through clean virtual cameras: COCO-17 ``[n, 17, 3]`` (x, y, 1 or
    0) from their MuPoTS joints, the cameras and the true root depths."""
    views = VirtualCameras(VirtualCameraConfig(noise_frac=(0.0, 0.0), clean_prob=1.0, drop_prob=0.0, outlier_prob=0.0,
                                               truncate=False, distortion_prob=0.0, depth_mm=(2500.0, 5000.0)),
                           seed=seed)(torch.from_numpy(standing_people(n, seed)), "mupots_17")
    px = views["joints_2d_px"].double().numpy()
    coco, made = convert_joints(px, "mupots_17", "coco_17")
    kp = np.concatenate([np.nan_to_num(coco), np.broadcast_to(made[None, :, None].astype(float), coco.shape[:2] + (1,))],
                        -1)
    return kp, views["cameras"], views["joints_cam_mm"][:, 14, 2].double().numpy()


def test_shipped_model_predicts_without_a_checkpoint(tmp_path):
    assert shipped_weights_path().is_file(), "the package ships its keypoint model"
    kp, cams, depth = _coco_views(12, seed=3)
    k = cams.intrinsics
    names = [f"im{i}.jpg" for i in range(len(kp))]  # one camera and one person per image
    (tmp_path / "kp.json").write_text(json.dumps({n: [kp[i].tolist()] for i, n in enumerate(names)}))
    (tmp_path / "cam.json").write_text(json.dumps({n: {"fx": float(k[i, 0]), "fy": float(k[i, 1]), "cx": float(k[i, 2]),
                                                       "cy": float(k[i, 3])} for i, n in enumerate(names)}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--out", str(tmp_path / "o")]) == 0
    people = json.loads((tmp_path / "o" / "people.json").read_text())
    assert len(people) == 12
    assert {"image_id", "root_cam", "joints_cam", "depth_std_mm"} <= set(people[0])
    by_name = {p["image_id"]: p["root_cam"][2] for p in people}
    got = np.array([by_name[n] for n in names])
    # a keypoint model cannot know a body's size: the depth is right up to that (about 10 %)
    assert np.median(np.abs(got / depth - 1)) < 0.15, got / depth


def test_ambiguous_joint_count_needs_the_format(tmp_path, capsys):
    kp, cams, _ = _coco_views(1)
    (tmp_path / "kp.json").write_text(json.dumps({"a.jpg": [kp[0].tolist()]}))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": 500.0, "cy": 500.0}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--camera", str(tmp_path / "cam.json"),
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--keypoint-format" in err and all(f in err for f in ("coco_17", "h36m_17", "mupots_17"))
    assert not (tmp_path / "o" / "people.json").exists()


def test_a_format_named_wrongly_is_warned_of(tmp_path, capsys):
    """Seventeen COCO points named ``h36m_17`` or ``mupots_17`` are read, but every person would be
    placed wrongly: read as another format the bones jump across the body, and one warning says
    which format the keypoints look like. Named rightly, nothing is said."""
    kp, _, _ = _coco_views(6, seed=7)
    (tmp_path / "kp.json").write_text(json.dumps({f"f{i}.jpg": [p.tolist()] for i, p in enumerate(kp)}))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}))
    base = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--camera", str(tmp_path / "cam.json"),
            "--pictures", "0", "--keypoint-format"]
    capsys.readouterr()
    for named in ("h36m_17", "mupots_17"):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert main(base + [named, "--out", str(tmp_path / named)]) == 0
        err = [line for line in capsys.readouterr().err.splitlines() if "--keypoint-format" in line]
        assert len(err) == 1 and f"--keypoint-format {named}: the keypoints look like coco_17" in err[0], err
        assert not [w for w in caught if "look like" in str(w.message)]  # said once, not again by the model
    assert main(base + ["coco_17", "--out", str(tmp_path / "coco")]) == 0
    assert "--keypoint-format" not in capsys.readouterr().err
    assert main(base[:-1] + ["--out", str(tmp_path / "unnamed")]) == 2  # still required; the error suggests one
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "say which" in err[0] and "they look like coco_17" in err[0]
    from hdnet.keypoint.formats import bone_spread, format_evidence, likely_format
    evidence = format_evidence(kp, ["coco_17", "h36m_17", "mupots_17"])
    assert min(evidence, key=evidence.get) == "coco_17" and evidence["h36m_17"] > 1.2 * evidence["coco_17"]
    assert likely_format(kp, ["coco_17", "h36m_17", "mupots_17"]) == "coco_17"
    assert likely_format(kp[:2], ["coco_17", "h36m_17", "mupots_17"]) is None  # two people: too few to say
    assert likely_format(kp, ["coco_17", "h36m_17"], ratio=10.0) is None  # none stands out that far
    assert np.isnan(bone_spread(np.zeros((1, 17, 3)), "coco_17")[0])  # nothing seen: no evidence
    with pytest.raises(ValueError, match=r"expected \[P, 17, 2 or 3\] for coco_17"):
        bone_spread(kp[:, :16], "coco_17")


def test_python_callers_are_warned_of_a_format_named_wrongly():
    """KeypointHDNet.predict says the same as the command line where its caller names a format the
    keypoints do not look like; named rightly, or too few people to tell, it says nothing."""
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.formats import KeypointFormatWarning
    kp, _, _ = _coco_views(6, seed=7)
    model = KeypointHDNet.pretrained()
    cam = {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}
    with pytest.warns(KeypointFormatWarning, match="look like 'coco_17', not 'h36m_17'"):
        model.predict(kp, cam, format="h36m_17")
    with warnings.catch_warnings():
        warnings.simplefilter("error", KeypointFormatWarning)
        model.predict(kp, cam, format="coco_17")
        model.predict(kp[:2], cam, format="h36m_17")


def test_info_says_what_a_keypoint_file_holds(tmp_path, capsys):
    """``hdnet info`` on what ``--keypoints`` reads: the layout, people, joints, the formats their
    count reads as and the one they look like; fractions of the image are pointed out."""
    kp, _, _ = _coco_views(4, seed=9)
    results = [{"image_id": f"f{i % 2}.jpg", "keypoints": p.ravel().tolist(), "score": 0.8, "track_id": i}
               for i, p in enumerate(kp)]
    (tmp_path / "res.json").write_text(json.dumps(results))
    assert main(["info", str(tmp_path / "res.json"), "--json", str(tmp_path / "i.json")]) == 0
    out = capsys.readouterr().out
    assert "(coco-results): 4 people in 2 images, 17 joints" in out
    assert "reads as: mupots_17, h36m_17, coco_17 (name one: --keypoint-format)" in out
    assert "they look like coco_17" in out and "track ids: yes; the detector's person scores: yes" in out
    info = json.loads((tmp_path / "i.json").read_text())
    assert info["looks_like"] == "coco_17" and info["people"] == 4 and info["track_ids"]
    xy = kp[..., :2][kp[..., 2] > 0]
    assert info["x_px"] == [pytest.approx(xy[:, 0].min()), pytest.approx(xy[:, 0].max())]
    fractions = kp.copy()
    fractions[..., :2] /= 2000.0
    (tmp_path / "frac.json").write_text(json.dumps({"a.jpg": fractions[:1].tolist()}))
    assert main(["info", str(tmp_path / "frac.json")]) == 0
    assert "fractions of the image?" in capsys.readouterr().out
    (tmp_path / "op").mkdir()
    op = np.concatenate([kp[0], kp[0, :1]])  # 18 points: read as OpenPose's COCO model
    (tmp_path / "op" / "f_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d":
                                                                              op.ravel().tolist()}]}))
    assert main(["info", str(tmp_path / "op")]) == 0
    out = capsys.readouterr().out
    assert "(openpose folder): 1 person in 1 image, 18 joints" in out and "coco_17 (the openpose_18 layout)" in out
    (tmp_path / "empty").mkdir()
    assert main(["info", str(tmp_path / "empty")]) == 2
    assert "a folder without keypoint files" in capsys.readouterr().err


COCO_NAMES = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
              "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
              "left_ankle", "right_ankle"]  # COCO's person category, as its annotation files and CVAT write it


def test_coco_annotation_files_are_read_as_their_categories_name_them(tmp_path, capsys):
    """A COCO keypoint annotation file (COCO's own, CVAT's, Label Studio's or Roboflow's export;
    PoseTrack's with track ids): its people placed exactly as the same keypoints given as COCO
    results with the file as --coco-annotations; visibility 1 (occluded) and 2 are positions, 0 is
    not labelled; crowds and people without a labelled keypoint left out; its images' sizes used;
    the format its categories name needs no --keypoint-format, another named is an error."""
    kp, _, _ = _coco_views(3, seed=5)
    kp[..., :2] *= 0.5  # inside 1280 x 720
    v = np.full((3, 17), 2)
    v[0, 3], v[1, 9], v[2, 15] = 1, 0, 1  # an occluded ear, an unlabelled wrist, an occluded ankle
    labelled = [np.concatenate([np.where(v[i, :, None] > 0, kp[i, :, :2], 0.0), v[i, :, None]], 1) for i in range(3)]
    images = [{"id": 11, "file_name": "a.jpg", "width": 1280, "height": 720},
              {"id": 12, "file_name": "b.jpg", "width": 1280, "height": 720},
              {"id": 13, "file_name": "empty.jpg", "width": 1280, "height": 720}]
    annotations = [{"id": i + 1, "image_id": 11 + (i > 0), "category_id": 1, "keypoints": labelled[i].ravel().tolist(),
                    "num_keypoints": int((v[i] > 0).sum()), "iscrowd": 0, "track_id": 7 + i} for i in range(3)]
    annotations += [{"id": 8, "image_id": 12, "category_id": 1, "keypoints": [0] * 51, "num_keypoints": 0, "iscrowd": 0,
                     "track_id": 20},
                    {"id": 9, "image_id": 11, "category_id": 1, "iscrowd": 1, "segmentation": {"counts": []}}]
    coco = {"images": images, "annotations": annotations,
            "categories": [{"id": 1, "name": "person", "keypoints": COCO_NAMES, "skeleton": []}]}
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    results = [{"image_id": a["image_id"], "keypoints": np.where(np.arange(51) % 3 == 2, np.minimum(
        np.asarray(a["keypoints"]), 1), a["keypoints"]).tolist(), "track_id": a["track_id"]} for a in annotations[:3]]
    (tmp_path / "res.json").write_text(json.dumps(results))
    common = ["predict", "--fov", "60", "--pictures", "0", "--scene", "image"]
    assert main(common + ["--keypoints", str(tmp_path / "ann.json"), "--out", str(tmp_path / "ann")]) == 0
    assert main(common + ["--keypoints", str(tmp_path / "res.json"), "--coco-annotations", str(tmp_path / "ann.json"),
                          "--keypoint-format", "coco_17", "--out", str(tmp_path / "res")]) == 0
    got = json.loads((tmp_path / "ann" / "people.json").read_text())
    want = json.loads((tmp_path / "res" / "people.json").read_text())
    assert [(p["image_id"], p["track_id"]) for p in got] == [("11", 7), ("12", 8), ("12", 9)]
    assert [p["root_cam"] for p in got] == [p["root_cam"] for p in want]
    assert got[0]["camera"]["cx"] == pytest.approx(639.5)  # the file's image size, with --fov
    capsys.readouterr()
    assert main(["info", str(tmp_path / "ann.json")]) == 0
    out = capsys.readouterr().out
    assert "(coco-annotations): 3 people in 3 images" in out and "reads as: coco_17" in out
    # PoseTrack names head_bottom and head_top where COCO has the eyes: not COCO's keypoints, but
    # PoseTrack's, read as COCO's with the eyes missing: the same people as COCO's keypoints with
    # the eyes left out (visibility 0)
    coco["categories"][0]["keypoints"] = COCO_NAMES[:1] + ["head_bottom", "head_top"] + COCO_NAMES[3:]
    (tmp_path / "posetrack.json").write_text(json.dumps(coco))
    assert main(common + ["--keypoints", str(tmp_path / "posetrack.json"), "--keypoint-format", "coco_17",
                          "--out", str(tmp_path / "x")]) == 2
    assert "1: head_bottom (coco_17: l_eye); 2: head_top" in capsys.readouterr().err
    for extra in ([], ["--keypoint-format", "posetrack_17"]):
        assert main(common + ["--keypoints", str(tmp_path / "posetrack.json"), *extra, "--out",
                              str(tmp_path / f"pt{len(extra)}")]) == 0
    eyeless = json.loads(json.dumps(coco))
    eyeless["categories"][0]["keypoints"] = COCO_NAMES
    for a in eyeless["annotations"][:3]:
        a["keypoints"][3:9] = [0, 0, 0, 0, 0, 0]
    (tmp_path / "eyeless.json").write_text(json.dumps(eyeless))
    assert main(common + ["--keypoints", str(tmp_path / "eyeless.json"), "--out", str(tmp_path / "eyeless")]) == 0
    want = [p["root_cam"] for p in json.loads((tmp_path / "eyeless" / "people.json").read_text())]
    for d in ("pt0", "pt2"):
        assert [p["root_cam"] for p in json.loads((tmp_path / d / "people.json").read_text())] == want
    assert want != [p["root_cam"] for p in got]  # the eyes were read before
    capsys.readouterr()
    assert main(["info", str(tmp_path / "posetrack.json")]) == 0
    assert "reads as: coco_17 (the posetrack_17 layout)" in capsys.readouterr().out
    coco["categories"][0]["keypoints"] = COCO_NAMES
    coco["annotations"][0]["keypoints"][2] = 0.5  # a score, not a visibility flag
    (tmp_path / "bad.json").write_text(json.dumps(coco))
    assert main(common + ["--keypoints", str(tmp_path / "bad.json"), "--out", str(tmp_path / "x")]) == 2
    assert "annotations[0]: each keypoint's visibility must be 0 (not labelled), 1 (occluded) or 2" in \
        capsys.readouterr().err


def test_coco_results_tied_to_files_and_a_field_of_view(tmp_path):
    kp, _, _ = _coco_views(2, seed=1)
    results = [{"image_id": 5, "category_id": 1, "keypoints": p.ravel().tolist(), "score": 0.9} for p in kp]
    (tmp_path / "res.json").write_text(json.dumps(results))
    (tmp_path / "ann.json").write_text(json.dumps({"images": [{"id": 5, "file_name": "street.jpg", "width": 1280,
                                                               "height": 720}], "annotations": []}))
    assert main(["predict", "--keypoints", str(tmp_path / "res.json"), "--keypoint-format", "coco_17",
                 "--coco-annotations", str(tmp_path / "ann.json"), "--fov", "60", "--out", str(tmp_path / "o")]) == 0
    people = json.loads((tmp_path / "o" / "people.json").read_text())
    assert len(people) == 2 and people[0]["camera_source"] == "--fov 60"
    cam = people[0]["camera"]
    assert cam["fx"] == pytest.approx(640.0 / math.tan(math.radians(30.0)))  # f = (W / 2) / tan(fov / 2)
    assert cam["cx"] == pytest.approx(639.5) and cam["cy"] == pytest.approx(359.5)


def test_the_detectors_person_scores_are_kept_and_can_leave_people_out(tmp_path, capsys):
    """COCO results' own ``score`` of each person: in every record as ``detector_score``, and
    ``--min-score`` leaves out the people scored under it (a warning counts them); each record's
    ``person`` stays its index in the file."""
    kp, _, _ = _coco_views(3, seed=2)
    results = [{"image_id": 5, "category_id": 1, "keypoints": p.ravel().tolist(), "score": s}
               for p, s in zip(kp, (0.9, 0.2, 0.6), strict=True)]
    (tmp_path / "res.json").write_text(json.dumps(results))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}))
    common = ["predict", "--keypoints", str(tmp_path / "res.json"), "--keypoint-format", "coco_17", "--camera",
              str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(common + ["--out", str(tmp_path / "all")]) == 0
    every = json.loads((tmp_path / "all" / "people.json").read_text())
    assert [(p["person"], p["detector_score"]) for p in every] == [(0, 0.9), (1, 0.2), (2, 0.6)]
    capsys.readouterr()
    assert main(common + ["--min-score", "0.5", "--out", str(tmp_path / "sure")]) == 0
    sure = json.loads((tmp_path / "sure" / "people.json").read_text())
    assert [(p["person"], p["detector_score"]) for p in sure] == [(0, 0.9), (2, 0.6)]
    assert [p["root_cam"] for p in sure] == [every[0]["root_cam"], every[2]["root_cam"]]  # each placed alone
    assert "1 person scored under --min-score 0.5" in capsys.readouterr().err
    (tmp_path / "plain.json").write_text(json.dumps({"a.jpg": [kp[0].tolist()]}))
    for args, says in ((["--keypoints", str(tmp_path / "plain.json"), "--keypoint-format", "coco_17", "--camera",
                         str(tmp_path / "cam.json"), "--min-score", "0.5"], "carry no person scores"),
                       (common[1:] + ["--min-score", "nan"], "finite number"),
                       (["a.jpg", "--detector", "mediapipe", "--min-score", "0.5"], "--min-score: does not apply"),
                       (common[1:] + ["--device", "cpu"], "--device: does not apply to keypoint models")):
        assert main(["predict", *args, "--out", str(tmp_path / "x")]) == 2
        assert says in capsys.readouterr().err


def test_a_camera_of_another_resolution_is_warned_of(tmp_path, capsys):
    """A 1920x1080 calibration without its size, given for 640x360 images: the principal point
    lies outside them, which says so in one warning; with its size in the file it is scaled and
    nothing is said. So are a focal length in millimetres and keypoints of another resolution."""
    from PIL import Image
    kp, _, _ = _coco_views(1, seed=4)
    kp[..., :2] *= 0.3  # inside a 640x360 image
    for name in ("a.jpg", "b.jpg"):
        Image.new("RGB", (640, 360)).save(tmp_path / name)
    (tmp_path / "kp.json").write_text(json.dumps({n: [kp[0].tolist()] for n in ("a.jpg", "b.jpg")}))
    full = {"fx": 1400.0, "fy": 1400.0, "cx": 959.5, "cy": 539.5}
    (tmp_path / "big.json").write_text(json.dumps(full))
    (tmp_path / "sized.json").write_text(json.dumps(full | {"image_width": 1920, "image_height": 1080}))
    (tmp_path / "right.json").write_text(json.dumps({"fx": 467.0, "fy": 467.0, "cx": 319.5, "cy": 179.5}))
    base = ["predict", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), "--keypoints", str(tmp_path / "kp.json"),
            "--keypoint-format", "coco_17", "--pictures", "0", "--camera"]
    capsys.readouterr()
    assert main(base + [str(tmp_path / "big.json"), "--out", str(tmp_path / "o1")]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "principal point lies outside 2 images" in err
    assert "'a.jpg', (959.5, 539.5) px for 640x360" in err
    for name in ("sized.json", "right.json"):
        assert main(base + [str(tmp_path / name), "--out", str(tmp_path / name[:-5])]) == 0
        assert "warning" not in capsys.readouterr().err
    # a focal length in millimetres (a phone's 4.25 mm) read as pixels: 178 degrees across
    (tmp_path / "mm.json").write_text(json.dumps({"fx": 4.25, "fy": 4.25, "cx": 319.5, "cy": 179.5}))
    assert main(base + [str(tmp_path / "mm.json"), "--out", str(tmp_path / "mm")]) == 0
    err = capsys.readouterr().err
    assert "the camera of 2 images would see 178 degrees across them (first: 'a.jpg', fx 4.25 px" in err
    # keypoints of the 1920x1080 frames given with 640x360 images: most lie outside them
    (tmp_path / "kp3.json").write_text(json.dumps({"a.jpg": [(kp[0] * [3.0, 3.0, 1.0] + [700.0, 500.0, 0.0]).tolist()],
                                                  "b.jpg": [kp[0].tolist()]}))
    base[4] = str(tmp_path / "kp3.json")
    assert main(base + [str(tmp_path / "right.json"), "--out", str(tmp_path / "o3")]) == 0
    err = capsys.readouterr().err
    assert "most keypoints of 1 image lie outside them (first: 'a.jpg', 640x360)" in err
    sized = json.loads((tmp_path / "sized" / "people.json").read_text())
    # scaled to the image, pixel centres kept: (959.5 + 0.5) / 3 - 0.5
    assert sized[0]["camera"]["cx"] == pytest.approx(319.5) and sized[0]["camera"]["fx"] == pytest.approx(1400 / 3)


def test_keypoints_keyed_by_windows_paths_find_their_images(tmp_path):
    """A keypoint file written on Windows names its images C:\\...\\name.jpg, in the case the user
    typed (Windows and macOS ignore it): matched to the images given here by file name, so their
    EXIF camera and size are used, as for plain names."""
    PIL = pytest.importorskip("PIL.Image")
    exif = PIL.Exif()
    exif.get_ifd(0x8769)[0xA405] = 26  # FocalLengthIn35mmFilm
    (tmp_path / "photos").mkdir()
    PIL.new("RGB", (800, 600)).save(tmp_path / "photos" / "phone.jpg", exif=exif)
    PIL.new("RGB", (400, 300)).save(tmp_path / "photos" / "cafe\u0301.jpg")  # as macOS writes é: e and an accent
    kp, _, _ = _coco_views(1, seed=2)
    (tmp_path / "kp.json").write_text(json.dumps({"C:\\Users\\al\\Pictures\\PHONE.jpg": [kp[0].tolist()],
                                                  "caf\u00e9.jpg": [kp[0].tolist()]}))  # é as one character
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 "--images", str(tmp_path / "photos"), "--out", str(tmp_path / "o")]) == 0
    person, cafe = json.loads((tmp_path / "o" / "people.json").read_text())
    assert cafe["camera"]["cx"] == pytest.approx(199.5)  # its image found: the 400 x 300 one's centre
    assert person["image_id"] == "C:\\Users\\al\\Pictures\\PHONE.jpg" and person["camera_source"].startswith("exif")
    assert person["camera"]["fx"] == pytest.approx(26 * math.hypot(800, 600) / math.hypot(36, 24), rel=1e-6)
    assert (tmp_path / "o" / "phone_people.png").is_file()
    # a per-image calibration file written there too: its camera is this image's
    (tmp_path / "cams.json").write_text(json.dumps({"D:\\calib\\Phone.JPG": {"fx": 700.0, "fy": 700.0, "cx": 400.0,
                                                                                "cy": 300.0}}))
    (tmp_path / "phone.json").write_text(json.dumps({"C:\\Users\\al\\Pictures\\PHONE.jpg": [kp[0].tolist()]}))
    assert main(["predict", "--keypoints", str(tmp_path / "phone.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cams.json"), "--images", str(tmp_path / "photos"), "--out", str(tmp_path / "c")]) == 0
    assert json.loads((tmp_path / "c" / "people.json").read_text())[0]["camera"]["fx"] == 700.0
    assert (tmp_path / "o" / "cafe\u0301_people.png").is_file()


def test_keypoints_found_on_a_turned_photos_stored_pixels_are_warned_of(tmp_path, capsys):
    """A portrait phone photo stored landscape with EXIF orientation 6: keypoints found on it as
    shown say nothing; the same people found on the stored pixels (a tool that ignores EXIF) lie
    on their side as shown, which one warning says."""
    PIL = pytest.importorskip("PIL.Image")
    exif = PIL.Exif()
    exif[0x0112] = 6
    PIL.new("RGB", (800, 600)).save(tmp_path / "portrait.jpg", exif=exif)  # shown 600 wide, 800 high
    kp, _, _ = _coco_views(3, seed=9)
    kp[..., :2] -= kp[..., :2].reshape(-1, 2).min(0)
    kp[..., :2] *= 550 / kp[..., :2].max()  # upright people inside the shown 600 x 800
    stored = kp.copy()
    stored[..., 0], stored[..., 1] = kp[..., 1], 599 - kp[..., 0]  # orientation 6 undone: shown (x, y) at (y, 599 - x)
    common = ["predict", "--keypoint-format", "coco_17", str(tmp_path / "portrait.jpg"), "--fov", "65",
              "--pictures", "0"]
    for name, people, warned in (("shown", kp, False), ("stored", stored, True)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"portrait.jpg": people.tolist()}))
        capsys.readouterr()
        assert main(common + ["--keypoints", str(tmp_path / f"{name}.json"), "--out", str(tmp_path / name)]) == 0
        err = capsys.readouterr().err
        assert ("lie on their side as the photo is shown" in err) == warned, err


def test_keypoints_whose_people_lie_on_their_side_are_warned_of(tmp_path, capsys):
    """x and y swapped (MoveNet's arrays) or y counted from the bottom (Apple's Vision) put upright
    people on their side or upside down: one warning says so, with how many; upright people, and
    one person lying among upright ones, say nothing."""
    kp, cams, _ = _coco_views(3, seed=12)
    k = cams.intrinsics
    (tmp_path / "cam.json").write_text(json.dumps({"fx": float(k[0, 0]), "fy": float(k[0, 1]), "cx": float(k[0, 2]),
                                                   "cy": float(k[0, 3])}))
    swapped, from_bottom, one_lying = kp.copy(), kp.copy(), kp.copy()
    swapped[..., [0, 1]] = kp[..., [1, 0]]
    from_bottom[..., 1] = 2000.0 - kp[..., 1]
    one_lying[0, :, [0, 1]] = kp[0, :, [1, 0]]
    says = "lie on their side or upside down in the images"
    for name, people, warned in (("upright", kp, False), ("swapped", swapped, True), ("from_bottom", from_bottom, True),
                                 ("one_lying", one_lying, False)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"a.jpg": people.tolist()}))
        capsys.readouterr()
        assert main(["predict", "--keypoints", str(tmp_path / f"{name}.json"), "--keypoint-format", "coco_17",
                     "--camera", str(tmp_path / "cam.json"), "--out", str(tmp_path / name)]) == 0
        err = capsys.readouterr().err
        assert (says in err) == warned, (name, err)
        if warned:
            assert "(3 of 3;" in err


def test_exif_focal_length_is_used_for_named_images(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    exif = PIL.Exif()
    exif.get_ifd(0x8769)[0xA405] = 26  # FocalLengthIn35mmFilm
    PIL.new("RGB", (800, 600)).save(tmp_path / "phone.jpg", exif=exif)
    kp, _, _ = _coco_views(1, seed=2)
    (tmp_path / "kp.json").write_text(json.dumps({"phone.jpg": [kp[0].tolist()]}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 str(tmp_path / "phone.jpg"), "--out", str(tmp_path / "o")]) == 0
    person = json.loads((tmp_path / "o" / "people.json").read_text())[0]
    assert person["camera_source"].startswith("exif")
    # the 35 mm equivalent is defined on the diagonal of a 36 x 24 mm frame
    assert person["camera"]["fx"] == pytest.approx(26 * math.hypot(800, 600) / math.hypot(36, 24), rel=1e-6)
    # and with --fov given, the EXIF is not used
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 str(tmp_path / "phone.jpg"), "--fov", "90", "--out", str(tmp_path / "o2")]) == 0
    assert json.loads((tmp_path / "o2" / "people.json").read_text())[0]["camera"]["fx"] == pytest.approx(400.0)


def test_a_damaged_exif_is_one_warning_line_and_what_can_be_read_is_used(tmp_path, capsys):
    """A photo whose EXIF Make tag claims 2 GB of text past the file's end (as a cut-off copy or a
    careless editor leaves it): Pillow warns on every open with a line that names neither the
    photo nor what is lost. ``hdnet predict`` says it once, as one ``warning:`` line naming the
    photo, and still reads the 35 mm-equivalent focal length from the EXIF's intact part."""
    PIL = pytest.importorskip("PIL.Image")
    exif = PIL.Exif()
    exif[0x010F] = "PhoneMaker"  # Make, in the first IFD
    exif.get_ifd(0x8769)[0xA405] = 26  # FocalLengthIn35mmFilm, in the Exif IFD
    PIL.new("RGB", (800, 600)).save(tmp_path / "phone.jpg", exif=exif)
    data = bytearray((tmp_path / "phone.jpg").read_bytes())
    tiff = data.index(b"Exif\x00\x00") + 6
    order = "little" if data[tiff:tiff + 2] == b"II" else "big"  # the TIFF header says its byte order
    entry = data.index((0x010F).to_bytes(2, order) + (2).to_bytes(2, order), tiff)  # Make, of type ASCII
    data[entry + 4:entry + 8] = (0x7FFFFFFF).to_bytes(4, order)  # its count: past the end of the file
    (tmp_path / "phone.jpg").write_bytes(bytes(data))
    kp, _, _ = _coco_views(1, seed=2)
    (tmp_path / "kp.json").write_text(json.dumps({"phone.jpg": [kp[0].tolist()]}))
    capsys.readouterr()
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 str(tmp_path / "phone.jpg"), "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert err.count("is damaged") == 1 and f"warning: image: '{tmp_path / 'phone.jpg'}' is damaged" in err, err
    assert "PIL" not in err and "UserWarning" not in err
    person = json.loads((tmp_path / "o" / "people.json").read_text())[0]
    assert person["camera_source"].startswith("exif")
    assert person["camera"]["fx"] == pytest.approx(26 * math.hypot(800, 600) / math.hypot(36, 24), rel=1e-6)
    from hdnet.core.files import DamagedImageWarning, open_image
    (tmp_path / "copy.jpg").write_bytes(bytes(data))
    with pytest.warns(DamagedImageWarning, match="copy.jpg"):  # in Python: a warning naming the photo,
        with open_image(tmp_path / "copy.jpg"):
            pass
    with warnings.catch_warnings(record=True) as again:  # once per photo and process
        warnings.simplefilter("always")
        with open_image(tmp_path / "copy.jpg"):
            pass
    assert again == []


def test_info_on_a_photo_says_the_camera_predict_takes(tmp_path, capsys):
    """``hdnet info PHOTO``: the size as shown (a portrait phone photo stored turned, EXIF
    orientation 6), and the camera ``hdnet predict`` takes for it without --camera or --fov: the
    35 mm-equivalent focal length on the diagonal; a photo without one gets the 55-degree prior
    and a hint."""
    PIL = pytest.importorskip("PIL.Image")
    exif = PIL.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0xA405] = 26
    PIL.new("RGB", (4032, 3024)).save(tmp_path / "phone.jpg", exif=exif)
    PIL.new("RGB", (640, 480)).save(tmp_path / "plain.png")
    capsys.readouterr()
    assert main(["info", str(tmp_path / "phone.jpg"), "--json", str(tmp_path / "phone.json")]) == 0
    out = capsys.readouterr().out
    assert "3024 x 4032 px as shown (EXIF orientation 6: stored turned by 90 degrees)" in out
    got = json.loads((tmp_path / "phone.json").read_text())
    f = 26 * math.hypot(4032, 3024) / math.hypot(36, 24)
    assert got["camera"]["fx"] == pytest.approx(f, rel=1e-9) and got["camera_source"] == "exif (35mm-equivalent)"
    assert (got["camera"]["cx"], got["camera"]["cy"]) == (1511.5, 2015.5)
    assert got["fov_deg"][1] == pytest.approx(2 * math.degrees(math.atan(4032 / 2 / f)))
    assert main(["info", str(tmp_path / "plain.png"), "--json", str(tmp_path / "plain.json")]) == 0
    out = capsys.readouterr().out
    assert "from prior (55 degree field of view)" in out and "give --camera or --fov" in out
    assert json.loads((tmp_path / "plain.json").read_text())["fov_deg"][0] == pytest.approx(55.0)


def test_phone_heic_photos_are_read_with_their_exif_camera(tmp_path):
    """An iPhone's HEIC photo (the heic extra, pillow-heif, writes one here): listed by --images,
    decoded as the photo it holds, and its EXIF focal length gives the camera, as for a JPEG."""
    pillow_heif = pytest.importorskip("pillow_heif", reason="needs the heic extra (pip install \"hdnet[heic]\")")
    from PIL import Image

    from hdnet.camera import Camera
    from hdnet.data import load_image
    pixels = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 26  # FocalLengthIn35mmFilm, as an iPhone's main camera writes
    (tmp_path / "photos").mkdir()
    pillow_heif.from_pillow(Image.fromarray(pixels)).save(tmp_path / "photos" / "IMG_0001.HEIC", quality=95,
                                                          exif=exif.tobytes())
    heic = tmp_path / "photos" / "IMG_0001.HEIC"
    decoded = load_image(heic).permute(1, 2, 0).numpy() * 255
    assert decoded.shape == pixels.shape and np.abs(decoded - pixels).mean() < 8  # lossy, 4x4 blocks
    f = 26 * math.hypot(256, 192) / math.hypot(36, 24)  # the 35 mm equivalent on the diagonal
    assert Camera.from_exif(heic).fx == pytest.approx(f, rel=1e-6)
    kp, _, _ = _coco_views(1, seed=2)
    (tmp_path / "kp.json").write_text(json.dumps({"IMG_0001.HEIC": [(kp[0] / 5).tolist()]}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 "--images", str(tmp_path / "photos"), "--out", str(tmp_path / "o")]) == 0
    person = json.loads((tmp_path / "o" / "people.json").read_text())[0]
    assert person["camera_source"].startswith("exif") and person["camera"]["fx"] == pytest.approx(f, rel=1e-6)
    assert (tmp_path / "o" / "IMG_0001_people.png").is_file()


def test_avif_photos_are_listed_and_read(tmp_path):
    from PIL import Image, features

    from hdnet.apps.keypoint_predict import list_images
    from hdnet.data import load_image
    if not features.check("avif"):
        pytest.skip("this Pillow was built without AVIF")
    y, x = np.mgrid[0:48, 0:64]
    pixels = np.stack([4 * x, 5 * y, 2 * (x + y)], -1).astype(np.uint8)  # smooth ramps: chroma subsampling keeps them
    Image.fromarray(pixels).save(tmp_path / "a.avif", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    assert list_images([], str(tmp_path)) == [str(tmp_path / "a.avif")]
    decoded = load_image(tmp_path / "a.avif").permute(1, 2, 0).numpy() * 255
    assert decoded.shape == pixels.shape and np.abs(decoded - pixels).mean() < 8  # lossy


def test_gif_images_are_listed_and_their_first_frame_read(tmp_path):
    """A GIF (palette colours) is an image of the folder; of an animated one the first frame is
    read, by the image models and the detectors alike."""
    from PIL import Image

    from hdnet.apps.keypoint_predict import list_images
    from hdnet.data import load_image
    from hdnet.keypoint.detectors import load_image_as_shown
    first = np.zeros((20, 30, 3), np.uint8)
    first[:, :15] = (255, 0, 0)
    second = np.full((20, 30, 3), 255, np.uint8)
    Image.fromarray(first).save(tmp_path / "clip.gif", save_all=True, append_images=[Image.fromarray(second)])
    assert list_images([], str(tmp_path)) == [str(tmp_path / "clip.gif")]
    np.testing.assert_array_equal(load_image_as_shown(tmp_path / "clip.gif"), first)
    np.testing.assert_array_equal(load_image(tmp_path / "clip.gif").permute(1, 2, 0).numpy() * 255, first)


def test_what_macos_and_windows_leave_in_folders_is_not_read(tmp_path):
    """A folder copied from a Mac to a USB drive or a zip holds ._<name> beside each file (macOS's
    metadata, not an image or JSON), .DS_Store and __MACOSX; Windows leaves Thumbs.db: left out of
    --images and of keypoint folders, which read as without them."""
    from PIL import Image

    from hdnet.apps.keypoint_predict import list_images
    from hdnet.data.keypoint_files import read_keypoint_folder
    Image.new("RGB", (64, 48)).save(tmp_path / "photo.jpg")
    for junk in ("._photo.jpg", ".DS_Store", "Thumbs.db"):
        (tmp_path / junk).write_bytes(b"\x00\x05\x16\x07" + bytes(60))  # AppleDouble's magic, then nothing
    assert list_images([], str(tmp_path)) == [str(tmp_path / "photo.jpg")]
    kp, _, _ = _coco_views(1, seed=3)
    op = tmp_path / "openpose"
    op.mkdir()
    (op / "photo_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": kp[0].ravel().tolist()}]}))
    (op / "._photo_keypoints.json").write_bytes(b"\x00\x05\x16\x07" + bytes(60))
    (op / "__MACOSX").mkdir()
    people, _, _ = read_keypoint_folder(op, joints=[17])
    assert list(people) == ["photo"]
    np.testing.assert_allclose(people["photo"][0], kp[0])


def test_a_heic_photo_without_its_extra_says_how_to_read_it(tmp_path, monkeypatch, capsys):
    import hdnet.core.files as files
    monkeypatch.setattr(files, "_heif_registered", False)  # as where pillow-heif is not installed
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "IMG_0002.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))  # not for Pillow
    with pytest.raises(ValueError, match=r"IMG_0002.heic.*pip install \"hdnet\[heic\]\""):
        files.open_image(tmp_path / "photos" / "IMG_0002.heic")
    (tmp_path / "kp.json").write_text(json.dumps({"IMG_0002.heic": [[[1.0, 2.0, 1.0]] * 17]}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 "--images", str(tmp_path / "photos"), "--out", str(tmp_path / "o")]) == 2
    assert 'pip install "hdnet[heic]"' in capsys.readouterr().err
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "notes.txt").write_text("no photos here")
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17",
                 "--images", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "--images: no image in" in capsys.readouterr().err


GOOD_CAMERA = {"fx": 1000.0, "fy": 1000.0, "cx": 500.0, "cy": 500.0}
BAD_CAMERAS = {
    "H36M scalar principal point": ({"f": [1145.0, 1144.0], "c": 512.0}, ["c", "2 numbers"]),
    "empty focal list": ({"f": [], "c": [512.0, 515.0]}, ["f", "1 or 2 numbers"]),
    "fx true": ({**GOOD_CAMERA, "fx": True}, ["fx", "bool"]),
    "fx a string": ({**GOOD_CAMERA, "fx": "1000"}, ["fx"]),
    "focal of 1e-300 px": ({**GOOD_CAMERA, "fx": 1e-300}, ["fx", "outside"]),
    "no focal at all": ({"cx": 500.0, "cy": 500.0}, ["fx"]),
    "a list": ([GOOD_CAMERA], ["JSON object"]),
    "per image, not an object": ({"a.jpg": 5}, ["a.jpg"]),
    "lens that folds back": ({**GOOD_CAMERA, "radial": [-10.0, 0.0, 0.0]}, ["radial", "folds back"]),
    "lens k1 = 1e6": ({**GOOD_CAMERA, "radial": [1e6, 0.0, 0.0]}, ["radial", "10x"]),
}


@pytest.fixture
def tiny_checkpoint(tmp_path):
    from hdnet.keypoint import KeypointHDNet
    torch.manual_seed(0)
    return str(KeypointHDNet(("coco_17",), channels=8, width=16, blocks=0).save(tmp_path / "kp.pt"))


@pytest.mark.parametrize("case", list(BAD_CAMERAS))
def test_bad_camera_files_exit_2_naming_the_field(tmp_path, tiny_checkpoint, capsys, case):
    camera, words = BAD_CAMERAS[case]
    kp, _, _ = _coco_views(1)
    kp[..., :2] = kp[..., :2] - kp[..., :2].mean(1, keepdims=True) + 500.0  # inside a 1000 px image
    (tmp_path / "kp.json").write_text(json.dumps({"a.jpg": [kp[0].tolist()]}))
    (tmp_path / "cam.json").write_text(json.dumps(camera))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--checkpoint", tiny_checkpoint, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert all(w in err[0] for w in words), (words, err[0])
    assert not (tmp_path / "o" / "people.json").exists()


def test_every_shipped_model_is_there_and_says_what_it_is(tmp_path, capsys):
    """Two models ship: ``keypoint`` (any camera, any format; the default) and ``h36m_studio``
    (the lifting benchmarks' model: reads the person's image size). Each file carries its card's
    facts; an unknown name lists the known ones, in Python and on the command line."""
    import inspect

    from hdnet.core.checkpoint import pretrained_request, read_checkpoint
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.model import SHIPPED_WEIGHTS
    assert sorted(SHIPPED_WEIGHTS.names()) == ["h36m_studio", "keypoint"]
    for name in SHIPPED_WEIGHTS.names():
        meta = read_checkpoint(shipped_weights_path(name))["meta"]
        assert meta["license"].startswith("research use only") and meta["card"] == "docs/model-card.md"
        assert "S9" not in meta["trained_on"] and "S11" not in meta["trained_on"]
    studio = KeypointHDNet.pretrained("h36m_17", weights="h36m_studio")
    assert studio.scale_input and not KeypointHDNet.pretrained().scale_input
    assert KeypointHDNet.pretrained("coco_wholebody_133").formats  # a layout holding a format it reads
    with pytest.raises(ValueError, match="holds coco_17's keypoints, which this model does not read"):
        KeypointHDNet(("mupots_17", "h36m_17"), channels=8, width=16, blocks=0).read_format("coco_wholebody_133")
    assert read_checkpoint(shipped_weights_path("h36m_studio"))["meta"]["recipe"] == "lifting"
    assert pretrained_request("pretrained") == {}  # pretrained()'s default: the keypoint model
    assert inspect.signature(KeypointHDNet.pretrained).parameters["weights"].default == "keypoint"
    assert pretrained_request("pretrained:h36m_studio") == {"weights": "h36m_studio"}
    assert pretrained_request("runs/x/last.pt") is None
    with pytest.raises(LookupError, match="h36m_studio"):
        KeypointHDNet.pretrained(weights="studio")
    assert main(["eval", "--dataset", "h36m", "--annotations", str(tmp_path / "none.h5"), "--checkpoint",
                 "pretrained:studio", "--out", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --checkpoint") and "h36m_studio" in err and "keypoint" in err


def test_a_folder_of_video_frames_is_read_in_frame_order(tmp_path):
    from hdnet.apps.keypoint_predict import list_images
    for name in ["frame_10.png", "frame_2.png", "frame_1.png", "notes.txt", "frame_9.JPG"]:
        (tmp_path / name).write_bytes(b"")
    got = [p.rsplit("/", 1)[-1] for p in list_images([], str(tmp_path))]
    assert got == ["frame_1.png", "frame_2.png", "frame_9.JPG", "frame_10.png"]  # numbers by value, not text


def _openpose_folder(folder, kp_body25, person_ids=None):
    """What ``openpose --write_json folder`` writes for these frames' people ``[F][P, 25, 3]``."""
    folder.mkdir()
    for f, people in enumerate(kp_body25):
        out = []
        for p, person in enumerate(people):
            flat = np.where(person[:, 2:] > 0, person, 0.0).reshape(-1).tolist()  # missing: 0, 0, 0
            out.append({"person_id": [-1 if person_ids is None else person_ids[f][p]], "pose_keypoints_2d": flat,
                        "face_keypoints_2d": [], "hand_left_keypoints_2d": []})
        (folder / f"clip_{f}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": out}))


def test_openpose_folder_is_read_in_frame_order_with_its_person_ids(tmp_path):
    from hdnet.data.keypoint_files import read_keypoint_folder
    rng = np.random.default_rng(0)
    frames = [np.concatenate([rng.uniform(0, 500, (n, 25, 2)), np.ones((n, 25, 1))], -1) for n in (2, 0, 1)] * 4
    for f in frames:
        f[:, 3, 2] = 0.0  # a joint OpenPose did not find
    _openpose_folder(tmp_path / "op", frames)
    people, tracks, scores = read_keypoint_folder(tmp_path / "op")
    assert scores is None  # OpenPose writes no person scores
    assert list(people) == [f"clip_{i}" for i in range(12)]  # clip_2 before clip_10
    for i, f in enumerate(frames):
        got = people[f"clip_{i}"]
        assert got.shape == (len(f), 25, 3)
        np.testing.assert_allclose(got[:, :, :2][got[:, :, 2] > 0], f[:, :, :2][f[:, :, 2] > 0])
        assert (got[:, 3, 2] == 0).all()
    assert tracks is None  # person_id -1: OpenPose ran without tracking
    _openpose_folder(tmp_path / "tracked", frames[:2], person_ids=[[4, 7], []])
    assert {k: v.tolist() for k, v in read_keypoint_folder(tmp_path / "tracked")[1].items()} == {
        "clip_0": [4, 7], "clip_1": []}


@pytest.mark.parametrize("content, says", [(None, "holds no keypoint files"),
                                           ({"people": 3}, "not OpenPose's JSON"),
                                           ({"people": [{"pose_keypoints_2d": "x"}]}, "person 0"),
                                           ({"people": [{"face": []}]}, "has no pose_keypoints_2d")])
def test_bad_openpose_folders_name_the_file(tmp_path, content, says):
    from hdnet.data.keypoint_files import read_keypoint_folder
    if content is not None:
        (tmp_path / "a_keypoints.json").write_text(json.dumps(content))
    with pytest.raises(ValueError, match=re.escape(says)):
        read_keypoint_folder(tmp_path)


def test_predict_reads_an_openpose_folder_and_ties_its_files_to_the_images(tmp_path):
    from PIL import Image
    kp, cams, depth = _coco_views(3, seed=5)  # COCO-17 people (limbs only), made into BODY_25 below
    body25, made = convert_joints(kp, "coco_17", "body_25")  # x, y and score carried over
    body25[:, ~made] = 0.0  # what BODY_25 has and COCO lacks (neck, mid hip, feet): not found
    frames = [np.nan_to_num(body25[i:i + 1]) for i in range(3)]
    _openpose_folder(tmp_path / "op", frames)
    k = cams.intrinsics
    (tmp_path / "cam.json").write_text(json.dumps({f"clip_{i}": {"fx": float(k[i, 0]), "fy": float(k[i, 1]),
                                                                 "cx": float(k[i, 2]), "cy": float(k[i, 3])}
                                                   for i in range(3)}))
    for i in range(3):
        Image.new("RGB", (64, 48)).save(tmp_path / f"clip_{i}.jpg")
    assert main(["predict", "--keypoints", str(tmp_path / "op"), "--camera", str(tmp_path / "cam.json"),
                 *[str(tmp_path / f"clip_{i}.jpg") for i in range(3)], "--out", str(tmp_path / "o")]) == 0
    people = json.loads((tmp_path / "o" / "people.json").read_text())
    assert [p["image_id"] for p in people] == ["clip_0", "clip_1", "clip_2"]
    assert {p["format"] for p in people} == {"body_25"}  # 25 joints: OpenPose's BODY_25, no flag needed
    assert [p["image"].rsplit("/", 1)[-1] for p in people] == ["clip_0.jpg", "clip_1.jpg", "clip_2.jpg"]
    got = np.array([p["root_cam"][2] for p in people])
    assert np.median(np.abs(got / depth - 1)) < 0.15, got / depth


def test_openpose_coco_18_is_read_as_coco_in_every_form_it_is_written(tmp_path):
    """OpenPose's COCO model (18 points: ``openpose --model_pose COCO --write_json``) and
    AlphaPose's ``--format open`` (one file ``{image: {"people": [...]}}`` and its ``sep-json``
    folder of ``<image>.json``) and ``--format cmu`` (``{image: {"bodies": [{"joints"}]}}``): each
    person is placed exactly as the same COCO-17 keypoints are, with no --keypoint-format."""
    kp, cams, _ = _coco_views(3, seed=6)
    # OpenPose's order, written out: nose, neck, right arm, left arm, right leg, left leg, eyes, ears
    order = ["nose", None, "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist", "r_hip",
             "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear"]
    coco = ["nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist",
            "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle"]
    op = np.stack([kp[:, coco.index(n)] if n else (kp[:, 5] + kp[:, 6]) / 2 for n in order], 1)  # [3, 18, 3]
    k = cams.intrinsics
    names = [f"im{i}" for i in range(3)]
    (tmp_path / "cam.json").write_text(json.dumps({n: {"fx": float(k[i, 0]), "fy": float(k[i, 1]),
                                                       "cx": float(k[i, 2]), "cy": float(k[i, 3])}
                                                   for i, n in enumerate(names)}))
    (tmp_path / "coco.json").write_text(json.dumps({n: [kp[i].tolist()] for i, n in enumerate(names)}))
    frames = {n: {"version": "AlphaPose v0.3", "people": [{"pose_keypoints_2d": op[i].ravel().tolist()}]}
              for i, n in enumerate(names)}
    (tmp_path / "open.json").write_text(json.dumps(frames))
    (tmp_path / "cmu.json").write_text(json.dumps({n: {"version": "AlphaPose v0.3", "bodies": [
        {"joints": op[i].ravel().tolist()}]} for i, n in enumerate(names)}))
    (tmp_path / "byimage.json").write_text(json.dumps({n: [op[i].tolist()] for i, n in enumerate(names)}))
    for folder, suffix in (("sep-json", ".json"), ("openpose", "_keypoints.json")):
        (tmp_path / folder).mkdir()
        for n, frame in frames.items():
            (tmp_path / folder / f"{n}{suffix}").write_text(json.dumps(frame))
    base = ["predict", "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(base + ["--keypoints", str(tmp_path / "coco.json"), "--keypoint-format", "coco_17", "--out",
                        str(tmp_path / "want")]) == 0
    want = json.loads((tmp_path / "want" / "people.json").read_text())
    for form in ("open.json", "cmu.json", "byimage.json", "sep-json", "openpose"):
        assert main(base + ["--keypoints", str(tmp_path / form), "--out", str(tmp_path / f"got_{form}")]) == 0, form
        got = json.loads((tmp_path / f"got_{form}" / "people.json").read_text())
        assert [p["image_id"] for p in got] == names and {p["format"] for p in got} == {"coco_17"}, form
        assert [p["root_cam"] for p in got] == [p["root_cam"] for p in want], form


def _ultralytics_line(person, size, conf=None, track=None, dims=3):
    """One Ultralytics YOLO-pose label line (written here from its documented layout: class, box
    centre and size, each joint's x y [score], all divided by the image's width and height, then
    the person's score and the tracker's id where written; ``%g`` as Ultralytics prints) for a
    person ``[J, 3]`` (x, y px, score) in an image of ``size`` (width, height)."""
    w, h = size
    seen = person[:, 2] > 0
    lo, hi = person[seen, :2].min(0), person[seen, :2].max(0)
    values = [0, (lo[0] + hi[0]) / 2 / w, (lo[1] + hi[1]) / 2 / h, (hi[0] - lo[0]) / w, (hi[1] - lo[1]) / h]
    for x, y, c in person:
        values += [x / w, y / h, c] if dims == 3 else ([x / w, y / h] if c > 0 else [0, 0])
    values += ([conf] if conf is not None else []) + ([track] if track is not None else [])
    return " ".join("%g" % v for v in values)


def test_ultralytics_labels_are_read_in_pixels_with_their_scores_and_ids(tmp_path):
    from hdnet.data.keypoint_files import read_keypoint_folder
    rng = np.random.default_rng(4)
    size = (640, 480)
    people = [np.concatenate([rng.uniform(20, 460, (n, 17, 2)), rng.uniform(0.2, 1, (n, 17, 1))], -1) for n in (2, 1)]
    people[0][1, 5, 2] = 0.0  # a joint the model did not see
    sizes = {"a": size, "b": size, "c": size}.get

    def write(folder, lines):
        folder.mkdir()
        for key, ls in lines.items():
            (folder / f"{key}.txt").write_text("".join(line + "\n" for line in ls))
        return read_keypoint_folder(folder, joints=[17], image_size=sizes)  # COCO-17, as --keypoint-format says

    def check(got):
        for key, truth in (("a", people[0]), ("b", people[1])):
            np.testing.assert_allclose(got[key][..., :2], truth[..., :2], atol=2e-3)  # %g: 6 digits
            np.testing.assert_allclose(got[key][..., 2], truth[..., 2], atol=1e-5)
        assert got["c"].shape == (0, 17, 3)  # an image where the model found nobody

    plain, tracks, scores = write(tmp_path / "plain", {"a": [_ultralytics_line(p, size) for p in people[0]],
                                                       "b": [_ultralytics_line(people[1][0], size)], "c": []})
    check(plain)
    assert tracks is None and scores is None
    conf = {"a": [0.9, 0.6], "b": [0.75]}
    ids = {"a": [3, 12], "b": [3]}
    got, tracks, scores = write(tmp_path / "conf", {k: [_ultralytics_line(p, size, conf=conf[k][i])
                                                        for i, p in enumerate(people[j])]
                                                    for j, k in enumerate("ab")} | {"c": []})
    check(got)
    assert tracks is None and {k: v.tolist() for k, v in scores.items()} == conf | {"c": []}
    got, tracks, scores = write(tmp_path / "track", {k: [_ultralytics_line(p, size, track=ids[k][i])
                                                         for i, p in enumerate(people[j])]
                                                     for j, k in enumerate("ab")} | {"c": []})
    check(got)
    assert scores is None and {k: v.tolist() for k, v in tracks.items()} == ids | {"c": []}
    got, tracks, scores = write(tmp_path / "both", {k: [_ultralytics_line(p, size, conf[k][i], ids[k][i])
                                                        for i, p in enumerate(people[j])]
                                                    for j, k in enumerate("ab")} | {"c": []})
    check(got)
    assert {k: v.tolist() for k, v in tracks.items()} == ids | {"c": []}
    assert {k: v.tolist() for k, v in scores.items()} == conf | {"c": []}
    # a frame where the tracker had nothing keeps its people without ids: their scores stay, tracks go
    got, tracks, scores = write(tmp_path / "untracked", {"a": [_ultralytics_line(p, size, conf["a"][i], ids["a"][i])
                                                               for i, p in enumerate(people[0])],
                                                         "b": [_ultralytics_line(people[1][0], size, conf["b"][0])]})
    assert tracks is None and scores["b"].tolist() == conf["b"]
    # x y only: a joint at 0 0 is missing, every other one seen
    got, _, _ = write(tmp_path / "xy", {"a": [_ultralytics_line(p, size, dims=2) for p in people[0]]})
    np.testing.assert_array_equal(got["a"][..., 2], (people[0][..., 2] > 0).astype(float))
    # saved again on Windows (Notepad: a UTF-8 byte-order mark and CRLF; PowerShell: UTF-16): the same people
    for codec, mark in (("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe")):
        folder = tmp_path / f"windows_{codec}"
        folder.mkdir()
        for key, ps in (("a", people[0]), ("b", people[1]), ("c", [])):
            text = "".join(_ultralytics_line(p, size) + "\r\n" for p in ps)
            (folder / f"{key}.txt").write_bytes(mark + text.encode(codec))
        check(read_keypoint_folder(folder, joints=[17], image_size=sizes)[0])


@pytest.mark.parametrize("lines, kwargs, says", [
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5"] * 26)], {}, "fits [17, 25, 26] joint count(s)"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 0.9"] * 17)], {}, "fits [17, 25] joint count(s)"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 0.9"] * 17), "0 0.5 x"], {"joints": [17]}, "line 2: expected numbers"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 1.5"] * 17)], {"joints": [17]}, "must lie in [0, 1]"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 0.9"] * 17) + " 1.5"], {"joints": [17]}, "must lie in [0, 1]"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 0.9"] * 17), "0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5"] * 17)],
     {"joints": [17]}, "label lines of [39, 56] numbers"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 0.5 0.9"] * 17)], {"joints": [17], "image_size": None},
     "whose size is not known"),
    (["0 0.5 0.5 0.2 0.4 " + " ".join(["0.5 nan 0.9"] * 17)], {"joints": [17]}, "NaN or infinite"),
])
def test_bad_ultralytics_labels_name_the_file(tmp_path, lines, kwargs, says):
    from hdnet.data.keypoint_files import read_keypoint_folder
    (tmp_path / "a.txt").write_text("\n".join(lines) + "\n")
    kwargs = {"image_size": lambda key: (640, 480)} | kwargs
    with pytest.raises(ValueError, match=re.escape(says)):
        read_keypoint_folder(tmp_path, **kwargs)


def test_predict_reads_ultralytics_labels_with_the_images_they_were_made_on(tmp_path, capsys):
    from PIL import Image
    kp, cams, depth = _coco_views(3, seed=7)
    k = cams.intrinsics
    (tmp_path / "labels").mkdir()
    (tmp_path / "images").mkdir()
    for i in range(3):  # each image as large as its camera's principal point says
        size = (int(round(2 * float(k[i, 2]))), int(round(2 * float(k[i, 3]))))
        Image.new("RGB", size).save(tmp_path / "images" / f"frame{i}.jpg")
        (tmp_path / "labels" / f"frame{i}.txt").write_text(_ultralytics_line(kp[i], size, conf=0.8) + "\n")
    (tmp_path / "cam.json").write_text(json.dumps({f"frame{i}": {"fx": float(k[i, 0]), "fy": float(k[i, 1]),
                                                                 "cx": float(k[i, 2]), "cy": float(k[i, 3])}
                                                   for i in range(3)}))
    common = ["predict", "--keypoints", str(tmp_path / "labels"), "--keypoint-format", "coco_17", "--camera",
              str(tmp_path / "cam.json")]
    assert main(common + ["--images", str(tmp_path / "images"), "--out", str(tmp_path / "o")]) == 0
    people = json.loads((tmp_path / "o" / "people.json").read_text())
    assert [p["image_id"] for p in people] == ["frame0", "frame1", "frame2"]
    assert [p["detector_score"] for p in people] == [0.8] * 3
    got = np.array([p["root_cam"][2] for p in people])
    assert np.median(np.abs(got / depth - 1)) < 0.15, got / depth
    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "x")]) == 2  # without the images their sizes are not known
    err = capsys.readouterr().err
    assert "normalised to its image, whose size is not known" in err and err.count("\n") == 1, err


def test_openpifpaf_json_output_is_read_by_image_file_name_with_its_scores(tmp_path, capsys):
    from PIL import Image

    from hdnet.data.keypoint_files import read_keypoint_folder
    kp, cams, depth = _coco_views(2, seed=8)
    (tmp_path / "pp").mkdir()
    for i, score in enumerate((0.7, 0.4)):  # OpenPifPaf's --json-output: <image file name>.predictions.json
        (tmp_path / "pp" / f"im{i}.jpg.predictions.json").write_text(json.dumps(
            [{"keypoints": kp[i].reshape(-1).tolist(), "bbox": [0, 0, 10, 10], "score": score, "category_id": 1}]))
        Image.new("RGB", (64, 48)).save(tmp_path / f"im{i}.jpg")
    (tmp_path / "pp" / "im2.jpg.predictions.json").write_text("[]")  # nobody found: needs no camera below
    people, tracks, scores = read_keypoint_folder(tmp_path / "pp")
    assert list(people) == ["im0.jpg", "im1.jpg", "im2.jpg"] and tracks is None
    np.testing.assert_array_equal(people["im1.jpg"][0], kp[1])
    assert {k: v.tolist() for k, v in scores.items()} == {"im0.jpg": [0.7], "im1.jpg": [0.4], "im2.jpg": []}
    k = cams.intrinsics
    (tmp_path / "cam.json").write_text(json.dumps({f"im{i}.jpg": {"fx": float(k[i, 0]), "fy": float(k[i, 1]),
                                                                  "cx": float(k[i, 2]), "cy": float(k[i, 3])}
                                                   for i in range(2)}))
    assert main(["predict", "--keypoints", str(tmp_path / "pp"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--min-score", "0.5", str(tmp_path / "im0.jpg"), str(tmp_path / "im1.jpg"),
                 "--pictures", "0", "--out", str(tmp_path / "o")]) == 0
    records = json.loads((tmp_path / "o" / "people.json").read_text())
    assert [(r["image_id"], r["detector_score"]) for r in records] == [("im0.jpg", 0.7)]  # im1's 0.4: left out
    assert records[0]["image"].endswith("im0.jpg")
    assert abs(records[0]["root_cam"][2] / depth[0] - 1) < 0.15
    (tmp_path / "pp" / "im3.jpg.predictions.json").write_text(json.dumps({"annotations": []}))
    with pytest.raises(ValueError, match="not OpenPifPaf's JSON"):
        read_keypoint_folder(tmp_path / "pp")


def _mmpose_instances(people):
    """MMPose's inferencer instances for people ``[P, J, 3]``."""
    return [{"keypoints": p[:, :2].tolist(), "keypoint_scores": p[:, 2].tolist(), "bbox": [[0, 0, 1, 1]],
             "bbox_score": 0.9} for p in people]


def test_mmpose_predictions_read_as_a_video_file_and_as_a_folder_of_images(tmp_path):
    from hdnet.data.keypoint_files import parse_keypoint_file, parse_keypoints, read_keypoint_folder
    rng = np.random.default_rng(1)
    frames = [np.concatenate([rng.uniform(0, 500, (n, 17, 2)), rng.uniform(0, 1, (n, 17, 1))], -1)
              for n in (1, 2, 0, 1)]
    video = [{"frame_id": i, "instances": _mmpose_instances(f)} for i, f in enumerate(frames)]
    people, layout = parse_keypoints(json.loads(json.dumps(video)))
    assert layout == "mmpose-video" and list(people) == ["0", "1", "2", "3"]
    for i, f in enumerate(frames):
        np.testing.assert_allclose(people[str(i)], f.reshape(len(f), 17, 3))  # the empty frame too: [0, 17, 3]
    (tmp_path / "mm").mkdir()
    for i, f in enumerate(frames):
        (tmp_path / "mm" / f"img{i * 5}.json").write_text(json.dumps(_mmpose_instances(f)))
    people, tracks, scores = read_keypoint_folder(tmp_path / "mm")
    assert list(people) == ["img0", "img5", "img10", "img15"] and tracks is None
    np.testing.assert_allclose(people["img5"], frames[1])
    # the person detector's bbox_score (a number, or a list of one) is each person's score
    assert {k: v.tolist() for k, v in scores.items()} == {"img0": [0.9], "img5": [0.9, 0.9], "img10": [], "img15": [0.9]}
    unsure = json.loads(json.dumps(video))
    unsure[1]["instances"][0]["bbox_score"], unsure[1]["instances"][1]["bbox_score"] = 0.25, [0.75]
    _, _, _, by_frame = parse_keypoint_file(unsure)
    assert {k: v.tolist() for k, v in by_frame.items()} == {"0": [0.9], "1": [0.25, 0.75], "3": [0.9]}
    for inst in unsure[0]["instances"]:
        del inst["bbox_score"]
    with pytest.raises(ValueError, match="score must be a finite number on every result when any has one"):
        parse_keypoint_file(unsure)
    with pytest.raises(ValueError, match="frame 0 needs a whole-number frame_id"):
        parse_keypoints([{"frame_id": "a", "instances": []}])
    with pytest.raises(ValueError, match="frame_id 0 appears twice"):
        parse_keypoints(video[:1] * 2)
    with pytest.raises(ValueError, match="instance 0 needs keypoints"):
        parse_keypoints([{"frame_id": 0, "instances": [{"keypoints": [[1, 2]], "keypoint_scores": [0.5, 0.5]}]}])
    tripled, _ = parse_keypoints([{"frame_id": 0, "instances": _mmpose_instances(frames[0] * [1, 1, 3])}])
    np.testing.assert_array_equal(tripled["0"][..., 2], frames[0][..., 2] * 3)  # as given: read_keypoints checks them
    # MMPose's demos (--save-predictions) and Sapiens' vis_pose.py wrap them: {meta_info, instance_info}
    wrapped, layout = parse_keypoints({"meta_info": {"dataset_name": "coco"}, "instance_info": video})
    assert layout == "mmpose-video" and all(np.array_equal(wrapped[k], people_k) for k, people_k in
                                            parse_keypoints(json.loads(json.dumps(video)))[0].items())
    (tmp_path / "sapiens").mkdir()
    for i, f in enumerate(frames):
        (tmp_path / "sapiens" / f"img{i}.json").write_text(json.dumps({"instance_info": _mmpose_instances(f)}))
    people, _, _ = read_keypoint_folder(tmp_path / "sapiens")
    np.testing.assert_allclose(people["img1"], frames[1])
    with pytest.raises(ValueError, match="one image's MMPose .or Sapiens. instances, which do not say the image"):
        parse_keypoints({"instance_info": _mmpose_instances(frames[0])})


def test_sapiens_308_points_place_people_as_their_coco_points_do(tmp_path):
    """Sapiens' ``vis_pose.py`` output for its 308-point (Goliath) model, a folder of
    ``<image>.json`` with ``instance_info``: read as ``coco_17`` by joint name, no format needed,
    each person placed exactly as the same COCO keypoints."""
    kp, cams, _ = _coco_views(2, seed=10)
    coco_at = (0, 1, 2, 3, 4, 5, 6, 7, 8, 62, 41, 9, 10, 11, 12, 13, 14)  # Goliath's index of each COCO point
    goliath = np.zeros((2, 308, 3))
    goliath[:, :, 2] = 0.7  # the other 291 points: found, not read
    goliath[:, list(coco_at)] = kp
    (tmp_path / "sapiens").mkdir()
    for i in range(2):
        (tmp_path / "sapiens" / f"im{i}.json").write_text(json.dumps({"instance_info": _mmpose_instances(goliath[i:i + 1])}))
    (tmp_path / "coco.json").write_text(json.dumps({f"im{i}": [kp[i].tolist()] for i in range(2)}))
    k = cams.intrinsics
    (tmp_path / "cam.json").write_text(json.dumps({f"im{i}": {"fx": float(k[i, 0]), "fy": float(k[i, 1]),
                                                              "cx": float(k[i, 2]), "cy": float(k[i, 3])}
                                                   for i in range(2)}))
    base = ["predict", "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(base + ["--keypoints", str(tmp_path / "coco.json"), "--keypoint-format", "coco_17", "--out",
                        str(tmp_path / "want")]) == 0
    assert main(base + ["--keypoints", str(tmp_path / "sapiens"), "--out", str(tmp_path / "got")]) == 0
    want, got = (json.loads((tmp_path / d / "people.json").read_text()) for d in ("want", "got"))
    assert {p["format"] for p in got} == {"coco_17"}
    np.testing.assert_allclose([p["root_cam"] for p in got], [p["root_cam"] for p in want], atol=2e-3)


def test_every_image_is_answered_in_one_batch_with_its_own_camera():
    from hdnet.apps.keypoint_predict import ImageRef, predict_records
    from hdnet.camera import Camera
    from hdnet.keypoint import KeypointHDNet
    model = KeypointHDNet.pretrained()
    kp, _, _ = _coco_views(5, seed=4)
    people = {"a.jpg": kp[:2], "b.jpg": kp[2:2], "c.jpg": kp[2:]}  # b has nobody
    cams = {"a.jpg": (Camera(900.0, 900.0, 500.0, 400.0), "--camera"),
            "b.jpg": (Camera(700.0, 700.0, 300.0, 300.0), "--camera"),
            "c.jpg": (Camera(1500.0, 1400.0, 640.0, 360.0, radial=(0.05, 0.0, 0.0)), "--camera")}
    heights = {"a.jpg": np.array([np.nan, 1650.0]), "b.jpg": np.zeros(0), "c.jpg": np.full(3, np.nan)}
    records = predict_records(model, people, "coco_17", {k: ImageRef(k) for k in people}, cams, heights=heights)
    assert [r["image_id"] for r in records] == ["a.jpg"] * 2 + ["c.jpg"] * 3
    for key, rows in (("a.jpg", records[:2]), ("c.jpg", records[2:])):  # each image on its own
        alone = model.predict(people[key][..., :2], cams[key][0], confidence=people[key][..., 2], format="coco_17",
                              height_mm=heights[key])
        np.testing.assert_allclose([r["joints_cam"] for r in rows], alone.joints_mm.double().numpy(), atol=0.05)
    assert records[1]["height_mm"] == 1650.0 and records[0]["height_mm"] is None


def test_a_bad_image_in_the_batch_is_named():
    from hdnet.apps.keypoint_predict import ImageRef, predict_records
    from hdnet.camera import Camera
    from hdnet.keypoint import KeypointHDNet
    kp, _, _ = _coco_views(3, seed=5)
    bad = kp[1:].copy()
    bad[0, 4, 2] = 1.5  # a score outside [0, 1]
    people = {"good.jpg": kp[:1], "bad.jpg": bad}
    cams = {k: (Camera(900.0, 900.0, 500.0, 400.0), "--camera") for k in people}
    with pytest.raises(ValueError, match=r"'bad\.jpg'.*\[0, 1\]"):
        predict_records(KeypointHDNet.pretrained(), people, "coco_17", {k: ImageRef(k) for k in people}, cams)


def test_a_video_is_summed_up_on_screen_after_the_first_images(tmp_path, capsys):
    from hdnet.apps.cli import SHOWN_IMAGES
    kp, _, _ = _coco_views(1, seed=6)
    n = SHOWN_IMAGES + 5
    (tmp_path / "kp.json").write_text(json.dumps({f"f{i}.jpg": [kp[0].tolist()] for i in range(n)}))
    (tmp_path / "cam.json").write_text(json.dumps(GOOD_CAMERA))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("f") and "1 person; depths" in line for line in out) == SHOWN_IMAGES
    assert any(f"{n} images in all, {n} people" in line for line in out)
    assert len(json.loads((tmp_path / "o" / "people.json").read_text())) == n


def test_a_detectors_keypoints_are_kept_and_read_back_the_same(tmp_path, monkeypatch, capsys):
    """``hdnet predict --images --detector`` writes the detector's keypoints beside people.json
    (``{image: people}``, a person it did not find as nulls with score 0, an image without boxes as
    ``[]``); given back with ``--keypoints``, they place the same people without the detector."""
    from PIL import Image

    from hdnet.keypoint import detectors
    kp, cams, _ = _coco_views(2, seed=9)
    lost = np.concatenate([np.full((17, 2), np.nan), np.zeros((17, 1))], -1)  # a box where it found nobody

    class Boxes:
        format = "coco_17"

        def __call__(self, image, boxes=None):
            return np.stack([kp[0], lost][:len(boxes)]) if boxes is not None and len(boxes) else np.zeros((0, 17, 3))

    monkeypatch.setattr(detectors.DETECTORS, "get", lambda name: Boxes)
    (tmp_path / "im").mkdir()
    for name in ("a.jpg", "b.jpg"):
        Image.new("RGB", (64, 48)).save(tmp_path / "im" / name)
    (tmp_path / "boxes.json").write_text(json.dumps({"a.jpg": [[0, 0, 10, 10], [5, 5, 20, 20]], "b.jpg": []}))
    k = cams.intrinsics
    (tmp_path / "cam.json").write_text(json.dumps({"fx": float(k[0, 0]), "fy": float(k[0, 1]), "cx": float(k[0, 2]),
                                                   "cy": float(k[0, 3])}))
    common = ["--images", str(tmp_path / "im"), "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(["predict", "--detector", "mediapipe", "--boxes", str(tmp_path / "boxes.json"), *common,
                 "--out", str(tmp_path / "o")]) == 0
    assert "keypoints.json (the detector's coco_17 keypoints" in capsys.readouterr().out
    kept = json.loads((tmp_path / "o" / "keypoints.json").read_text())
    assert list(kept) == [str(tmp_path / "im" / "a.jpg"), str(tmp_path / "im" / "b.jpg")]
    a = kept[str(tmp_path / "im" / "a.jpg")]
    np.testing.assert_array_equal(np.array(a[0]), kp[0])
    assert a[1] == [[None, None, 0.0]] * 17 and kept[str(tmp_path / "im" / "b.jpg")] == []
    assert main(["predict", "--keypoints", str(tmp_path / "o" / "keypoints.json"), "--keypoint-format", "coco_17",
                 *common, "--out", str(tmp_path / "again")]) == 0
    first, again = (json.loads((tmp_path / d / "people.json").read_text()) for d in ("o", "again"))
    assert len(first) == len(again) == 1  # the box where it found nobody is left out both times
    assert again[0]["person"] == first[0]["person"] == 0 and again[0]["root_cam"] == first[0]["root_cam"]


def test_max_people_reaches_the_detector_and_its_people_are_placed(tmp_path, monkeypatch, capsys):
    """``--max-people N`` is handed to the detector (image and video alike) and every person it
    returns is placed, each as ``predict`` places them alone; it is refused where the boxes or
    keypoints say who is where, and outside 1-100."""
    from PIL import Image

    from hdnet.keypoint import KeypointHDNet, detectors
    kp, cams, _ = _coco_views(3, seed=4)
    made = []

    class Group:
        format = "coco_17"

        def __init__(self, **kwargs):
            made.append(kwargs)

        def __call__(self, image, boxes=None):
            return kp[:made[-1].get("max_people", 1)]

    monkeypatch.setattr(detectors.DETECTORS, "get", lambda name: Group)
    (tmp_path / "im").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "im" / "a.jpg")
    k = cams.intrinsics[0]
    cam = {"fx": float(k[0]), "fy": float(k[1]), "cx": float(k[2]), "cy": float(k[3])}
    (tmp_path / "cam.json").write_text(json.dumps(cam))
    common = ["--images", str(tmp_path / "im"), "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    assert main(["predict", "--detector", "mediapipe", "--max-people", "3", *common, "--out", str(tmp_path / "o")]) == 0
    assert made == [{"max_people": 3}]
    people = json.loads((tmp_path / "o" / "people.json").read_text())
    assert [p["person"] for p in people] == [0, 1, 2]
    from hdnet.camera import Camera
    alone = KeypointHDNet.pretrained("coco_17").predict(torch.from_numpy(kp[:, :, :2]), Camera(**cam),
                                                        torch.from_numpy(kp[:, :, 2]), format="coco_17")
    np.testing.assert_allclose([p["root_cam"] for p in people], alone.root_mm.numpy(), atol=0.01)
    capsys.readouterr()
    assert main(["predict", "--detector", "mediapipe", *common, "--out", str(tmp_path / "one")]) == 0
    assert made[-1] == {}  # the detector's own default (one person), and the user is told how to find more
    assert "looking for one person per image (--max-people N" in capsys.readouterr().out
    (tmp_path / "boxes.json").write_text(json.dumps({"a.jpg": [[0, 0, 10, 10]]}))
    capsys.readouterr()
    for extra, match in ((["--boxes", str(tmp_path / "boxes.json")], "--max-people: does not apply with --keypoints "
                          "or --boxes"), ([], r"--max-people: expected a whole number from 1 to 100, got 0")):
        n = "0" if not extra else "2"
        assert main(["predict", "--detector", "mediapipe", "--max-people", n, *extra, *common,
                     "--out", str(tmp_path / "bad")]) == 2
        assert re.search(match, capsys.readouterr().err)
    assert main(["predict", "--images", str(tmp_path / "im"), "--boxes", str(tmp_path / "boxes.json"),
                 "--max-people", "2", "--out", str(tmp_path / "bad")]) == 2  # an image model's boxes
    assert "--max-people: does not apply to image models" in capsys.readouterr().err


def test_an_image_where_the_detector_finds_nobody_says_so(tmp_path, monkeypatch, capsys):
    from PIL import Image

    from hdnet.keypoint import detectors

    class Nobody:
        format = "coco_17"

        def __init__(self, **kwargs):
            pass

        def __call__(self, image, boxes=None):
            return np.zeros((0, 17, 3))

    monkeypatch.setattr(detectors.DETECTORS, "get", lambda name: Nobody)
    (tmp_path / "im").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "im" / "empty.jpg")
    assert main(["predict", "--detector", "mediapipe", "--max-people", "4", "--images", str(tmp_path / "im"),
                 "--pictures", "0", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "empty.jpg: nobody found by the detector" in out and "empty.jpg: 0 people; camera from" in out
    assert "depths (m) ;" not in out and json.loads((tmp_path / "o" / "people.json").read_text()) == []


def test_whole_body_keypoints_are_read_by_their_body_part(tmp_path, capsys):
    """COCO-WholeBody's 133 points begin with COCO's 17 and Halpe's 136 with Halpe's 26, point
    for point: the people are those of the body part alone, whatever the feet, face and hands say."""
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.formats import body_keypoints, keypoint_layout
    kp, cams, _ = _coco_views(4, seed=7)
    rng = np.random.default_rng(0)

    def extra(n):  # feet, face and hands anywhere in the image, any score
        return np.concatenate([rng.uniform(0, 900, (len(kp), n, 2)), rng.uniform(0, 1, (len(kp), n, 1))], -1)
    whole = np.concatenate([kp, extra(116)], 1)
    k = cams.intrinsics
    names = [f"im{i}.jpg" for i in range(len(kp))]
    (tmp_path / "cam.json").write_text(json.dumps({n: {"fx": float(k[i, 0]), "fy": float(k[i, 1]), "cx": float(k[i, 2]),
                                                       "cy": float(k[i, 3])} for i, n in enumerate(names)}))
    roots = {}
    for tag, points, fmt in (("wholebody", whole, []), ("coco", kp, ["--keypoint-format", "coco_17"])):
        (tmp_path / f"{tag}.json").write_text(json.dumps({n: [points[i].tolist()] for i, n in enumerate(names)}))
        assert main(["predict", "--keypoints", str(tmp_path / f"{tag}.json"), *fmt, "--camera", str(tmp_path / "cam.json"),
                     "--out", str(tmp_path / tag)]) == 0  # 133 joints: no format needed, no other layout has them
        roots[tag] = [p["root_cam"] for p in json.loads((tmp_path / tag / "people.json").read_text())]
    assert np.array_equal(roots["wholebody"], roots["coco"])
    # the Python API reads them the same way; Halpe's 136 as halpe_26
    model = KeypointHDNet.pretrained()
    cams_list = [cams.camera(i) for i in range(len(kp))]
    a, b = model.predict(whole, cams_list).root_mm, model.predict(kp, cams_list, format="coco_17").root_mm
    assert torch.equal(a, b)
    assert torch.equal(model.predict(whole, cams_list, format="coco_17").root_mm, b)  # 133 points said to be COCO
    halpe = np.concatenate([kp, kp[:, :9], extra(110)], 1)  # 26 body points (their values do not matter here)
    assert torch.equal(model.predict(halpe, cams_list, format="halpe_136").root_mm,
                       model.predict(halpe[:, :26], cams_list, format="halpe_26").root_mm)
    assert keypoint_layout(136) == "halpe_136" and body_keypoints(halpe, "halpe_136")[1] == "halpe_26"
    # and placed in a scene, as their body part is
    one = cams.camera(0)
    scene_whole, _ = model.predict_scene(whole, one, "image")
    scene_body, _ = model.predict_scene(kp, one, "image", format="coco_17")
    assert torch.equal(scene_whole.root_mm, scene_body.root_mm)
    with pytest.raises(ValueError, match="133"):
        body_keypoints(kp, "coco_wholebody_133")
    with pytest.raises(ValueError, match="layout"):
        body_keypoints(whole, "dwpose")
    # a layout named for keypoints of another count is one clear error
    assert main(["predict", "--keypoints", str(tmp_path / "coco.json"), "--keypoint-format", "halpe_136", "--camera",
                 str(tmp_path / "cam.json"), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --keypoints: 17 joints, but halpe_136 has 136"], err


def _ultralytics_summary(people, confidences, track_ids):
    """One image's detections as Ultralytics' ``Results.summary()`` writes them (pixels,
    ``normalize=False``): name, class, confidence, box, track_id (``model.track``), keypoints."""
    out = []
    for p, c, t in zip(people, confidences, track_ids, strict=True):
        out.append({"name": "person", "class": 0, "confidence": c,
                    "box": {"x1": float(p[:, 0].min()), "y1": float(p[:, 1].min()), "x2": float(p[:, 0].max()),
                            "y2": float(p[:, 1].max())}, "track_id": t,
                    "keypoints": {"x": p[:, 0].tolist(), "y": p[:, 1].tolist(), "visible": p[:, 2].tolist()}})
    return out


def test_ultralytics_summaries_are_read_as_the_same_keypoints(tmp_path, capsys):
    """``{image: Results.summary()}`` and a folder of ``Results.to_json()`` files place people
    exactly where the same keypoints in the plain layout place them, with each person's
    confidence as ``detector_score`` and the tracker's ids as the tracks; a frame without people
    is kept; coordinates written as fractions of the image are refused."""
    kp, _, _ = _coco_views(4, seed=6)
    kp[..., 2] = np.where(kp[..., 2] > 0, 0.8, 0.0)
    frames = {"f0.jpg": ([kp[0], kp[1]], [0.91, 0.55], [7, 3]), "f1.jpg": ([], [], []),
              "f2.jpg": ([kp[3], kp[2]], [0.8, 0.7], [3, 7])}
    summaries = {name: _ultralytics_summary(*f) for name, f in frames.items()}
    (tmp_path / "yolo.json").write_text(json.dumps(summaries))
    (tmp_path / "yolo").mkdir()
    for name, dets in summaries.items():  # result.to_json() per image, saved as <image>.json
        (tmp_path / "yolo" / f"{name[:-4]}.json").write_text(json.dumps(dets))
    (tmp_path / "plain.json").write_text(json.dumps({name: [p.tolist() for p in f[0]] for name, f in frames.items()}))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}))
    runs = {}
    for tag in ("yolo.json", "yolo", "plain.json"):
        assert main(["predict", "--keypoints", str(tmp_path / tag), "--keypoint-format", "coco_17", "--camera",
                     str(tmp_path / "cam.json"), "--pictures", "0", "--out", str(tmp_path / f"o_{tag}")]) == 0
        runs[tag] = json.loads((tmp_path / f"o_{tag}" / "people.json").read_text())
    for tag in ("yolo.json", "yolo"):
        assert [r["root_cam"] for r in runs[tag]] == [r["root_cam"] for r in runs["plain.json"]], tag
        assert [r["detector_score"] for r in runs[tag]] == [0.91, 0.55, 0.8, 0.7]
        assert [r["track_id"] for r in runs[tag]] == [7, 3, 3, 7] and runs[tag][0]["track_source"] == "given"
        assert [r["image_id"].split(".")[0] for r in runs[tag]] == ["f0", "f0", "f2", "f2"]
    assert main(["predict", "--keypoints", str(tmp_path / "yolo.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--pictures", "0", "--scene", "sequence", "--out", str(tmp_path / "s")]) == 0
    assert {r["track_id"] for r in json.loads((tmp_path / "s" / "people.json").read_text())} == {3, 7}
    # a frame the tracker gave no ids: the file's ids are left out (as OpenPose's), the people linked
    partial = {**summaries, "f2.jpg": [{k: v for k, v in d.items() if k != "track_id"} for d in summaries["f2.jpg"]]}
    (tmp_path / "partial.json").write_text(json.dumps(partial))
    assert main(["predict", "--keypoints", str(tmp_path / "partial.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--pictures", "0", "--scene", "sequence", "--out", str(tmp_path / "p")]) == 0
    assert {r["track_source"] for r in json.loads((tmp_path / "p" / "people.json").read_text())} == {"linked"}
    capsys.readouterr()
    w, h = np.abs(kp[..., 0]).max() + 1, np.abs(kp[..., 1]).max() + 1  # the image the people are in
    fractions = {name: [{**d, "keypoints": {"x": (np.array(d["keypoints"]["x"]) / w).tolist(),
                                             "y": (np.array(d["keypoints"]["y"]) / h).tolist(),
                                             "visible": d["keypoints"]["visible"]}} for d in dets]
                 for name, dets in summaries.items()}
    (tmp_path / "norm.json").write_text(json.dumps(fractions))
    broken = {"f0.jpg": [{**summaries["f0.jpg"][0], "keypoints": {"x": [1.0, 2.0], "y": [3.0]}}]}
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    for name, says in (("norm.json", "normalize=False"), ("broken.json", "detection 0 needs keypoints")):
        assert main(["predict", "--keypoints", str(tmp_path / name), "--keypoint-format", "coco_17", "--camera",
                     str(tmp_path / "cam.json"), "--out", str(tmp_path / "x")]) == 2
        assert says in capsys.readouterr().err
