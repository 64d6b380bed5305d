"""MuPoTS-3D scored from a detector's own people (``evaluate_mupots(detections=...)``, ``hdnet eval
--dataset mupots-3d --keypoints``): tied to the annotated people by the official 2D rule, misses
and false positives counted as the protocols count them. Figures by hand against a model that
answers with the truth 100 mm to the side; the real annotations (skipped without ../shared) against
the annotated-2D evaluation, which the detections reproduce when they are the annotations."""

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.data.mupots_annotations import MuPoTSSequence, mupots_image_frame, read_mupots_annotations
from hdnet.data.virtual_cameras import VirtualCameraConfig, VirtualCameras
from hdnet.graphs import convert_joints, get_skeleton
from hdnet.keypoint import evaluate_mupots
from hdnet.keypoint.formats import FORMATS
from hdnet.keypoint.model import MIN_JOINTS

from .conftest import shared_path
from .test_real import standing_people

FAR = np.array([5000.0, 0.0, 9000.0])  # where the fake model puts someone who is nobody annotated


def _scene(seed=6):
    """Two frames of the same three people: annotated 2D ``[2, 3, 17, 2]``, 3D, the camera."""
    views = VirtualCameras(VirtualCameraConfig(noise_frac=(0.0, 0.0), clean_prob=1.0, drop_prob=0.0,
                                               outlier_prob=0.0, truncate=False), seed=seed)(
        torch.from_numpy(standing_people(3, seed)), "mupots_17")
    px = np.repeat(views["joints_2d_px"].double().numpy()[None], 2, 0)
    j3 = np.repeat(views["joints_cam_mm"].double().numpy()[None], 2, 0)
    return px, j3, views["cameras"].camera(0)


class Aside:
    """The annotated person nearest in 2D (by the right shoulder, which every format has), their true
    pose 100 mm to the side, depth std 50 mm; someone 50 px from everyone: far away, std 10 mm."""

    skeleton_fit_scale = 1.0

    def __init__(self, px, j3):
        self.px, self.j3 = px, j3

    def output_skeleton(self, fmt):
        return get_skeleton("mupots_17")

    def input_skeleton(self, fmt):
        return FORMATS.get(fmt).skeleton

    def check_format(self, fmt):
        return fmt

    def predict(self, kp, camera, confidence=None, format=None, flip_test=False, height_mm=None):
        shoulder = convert_joints(np.asarray(kp), self.input_skeleton(format), "mupots_17")[0][:, 2]
        d = np.linalg.norm(self.px[0, None, :, 2] - shoulder[:, None], axis=-1)
        k, known = d.argmin(1), d.min(1) < 50.0
        rel = self.j3[0, k] - self.j3[0, k, 14:15]
        root = np.where(known[:, None], self.j3[0, k, 14] + [100.0, 0.0, 0.0], FAR)
        t = torch.from_numpy
        return SimpleNamespace(root_mm=t(root), joints_rel_mm=t(rel), joints_mm=t(root[:, None] + rel),
                               depth_std_mm=t(np.where(known, 50.0, 10.0)))


def _detections(px, fmt="mupots_17"):
    """Every annotated person of both frames as a detector's people in ``fmt``, each frame's in
    reverse order (the order of a detector's people means nothing)."""
    out = {}
    for f in range(len(px)):
        xy, _ = convert_joints(px[f, ::-1], "mupots_17", FORMATS.get(fmt).skeleton)
        score = np.isfinite(xy).all(-1, keepdims=True).astype(float)
        out[f"MultiPersonTestSet/TS7/img_{f:06d}.jpg"] = np.concatenate([np.nan_to_num(xy), score], -1)
    return out


def test_image_names_give_sequence_and_frame():
    assert mupots_image_frame("TS3/img_000120.jpg") == ("TS3", 120)
    assert mupots_image_frame("/data/MultiPersonTestSet/TS20/img_000000.png") == ("TS20", 0)
    assert mupots_image_frame("C:\\mupots\\TS2\\img_7.jpg") == ("TS2", 7)
    for bad in ("img_000120.jpg", "TS3/000120.jpg", "TS3/img_12.jpg.json", "7"):
        with pytest.raises(ValueError, match="not a MuPoTS-3D image name"):
            mupots_image_frame(bad)


@pytest.mark.parametrize("fmt", ["mupots_17", "coco_17"])
def test_a_detectors_misses_and_false_positives_count_as_the_protocols_count_them(fmt):
    """Six annotated people (two frames of three). The detector misses one, finds a person who is
    nobody annotated (500 px away) and one it gives a single joint (it cannot be placed). By hand:
    MRPE 100 mm over the five found; 3DPCK 5/6; AP_root^25 with every score 1 (the false positive
    ranked last) 4/6, RootNet's sum from the second step; with the uncertainty as the score the
    false positive (std 10 mm) ranks first, so precision runs 0, 1/2, ..., 5/6 over recall's steps
    of 1/6: (1/2 + 2/3 + 3/4 + 4/5 + 5/6) / 6."""
    px, j3, cam = _scene()
    seq = MuPoTSSequence("TS7", px, j3, j3, np.ones((2, 3), bool), np.zeros((2, 3, 17), bool), cam, 2048, 2048,
                         "test")
    model = Aside(px, j3)
    dets = _detections(px, fmt)
    first, second = sorted(dets)
    assert np.isfinite(dets[first]).all()
    ghost = dets[first][:1].copy()
    ghost[..., 0] += 500.0
    lone = np.zeros_like(ghost)
    lone[0, 5] = [900.0, 900.0, 1.0]  # one joint: under MIN_JOINTS
    assert MIN_JOINTS == 2
    dets[second] = np.concatenate([dets[second][:1], ghost, lone, dets[second][2:]])  # the middle person missed
    r = evaluate_mupots(model, [seq], detections=dets, detection_format=fmt)
    assert r["people"] == 6 and r["detected"] == 5
    assert r["detections"] == {"format": fmt, "placed": 6, "matched": 5, "unmatched": 1, "on_frames_without_people": 0,
                               "left_out": 1}
    assert r["per_sequence"]["TS7"]["unmatched"] == 1 and r["per_sequence"]["TS7"]["detected"] == 5
    h = r["hdnet"]
    assert h["mrpe_mm"] == pytest.approx(100.0) and h["mrpe_x_mm"] == pytest.approx(100.0)
    assert h["pck3d_rel"] == pytest.approx(100 * 5 / 6) and h["pck3d_abs"] == pytest.approx(100 * 5 / 6)
    assert h["ap_root_25"] == pytest.approx(4 / 6)
    assert h["ap_root_25_uncertainty"] == pytest.approx((1 / 2 + 2 / 3 + 3 / 4 + 4 / 5 + 5 / 6) / 6)
    assert h["depth_std_coverage"] == 1.0  # 100 mm to the side, none in depth: within the 50 mm
    # the detector's own scores rank the people for ap_root_25_detector: the ghost first, then last
    for ghost_score, ap in ((0.9, (1 / 2 + 2 / 3 + 3 / 4 + 4 / 5 + 5 / 6) / 6), (0.1, 4 / 6)):
        scores = {k: np.full(len(v), 0.5) for k, v in dets.items()}
        scores[second][1] = ghost_score
        scored = evaluate_mupots(model, [seq], detections=dets, detection_format=fmt, detection_scores=scores)
        assert scored["hdnet"]["ap_root_25_detector"] == pytest.approx(ap)
        assert scored["hdnet"]["ap_root_25"] == pytest.approx(4 / 6)
    assert "ap_root_25_detector" not in h
    # which person is missed: the one the detector did not give (frame 1, the middle one)
    from hdnet.keypoint.evaluation import mupots_detection_predictions
    rec, = mupots_detection_predictions(model, [seq], dets, fmt)
    assert rec["missed"]["frames"].tolist() == [1] and rec["missed"]["people"].tolist() == [1]
    assert rec["people"].tolist() == [2, 1, 0, 2, -1, 0]  # each frame's people in reverse, the ghost nobody
    # a scene over the frames: the detector's ids, else people linked in 2D; the ghost is placed too
    for scene in ("sequence", "live"):
        placed = evaluate_mupots(model, [seq], scene=scene, detections=dets, detection_format=fmt)
        assert placed["tracks"] == "linked" and placed["detections"]["placed"] == 6 and placed["scene"] == scene
    ids = {k: np.arange(len(v)) for k, v in dets.items()}
    assert evaluate_mupots(model, [seq], scene="sequence", detections=dets, detection_format=fmt,
                           track_ids=ids)["tracks"] == "given"


def test_a_sequence_where_the_detector_found_nobody_scores_nothing_found():
    """Two sequences of the same six people; in TS8 the detector found nobody (its file names a
    frame with no people). TS8's people are all misses: no MRPE to give (null, not NaN, so the
    JSON stays JSON), AP_root and 3DPCK 0; TS7 as by hand, 3DPCK the mean of the two."""
    from hdnet.apps.demo_real import public_report, report_markdown
    from hdnet.core.files import strict_json
    px, j3, cam = _scene()
    seqs = [MuPoTSSequence(name, px, j3, j3, np.ones((2, 3), bool), np.zeros((2, 3, 17), bool), cam, 2048, 2048,
                           "test") for name in ("TS7", "TS8")]
    dets = {**_detections(px), "TS8/img_000001.jpg": np.zeros((0, 17, 3))}
    for scene in ("none", "sequence", "live"):
        r = evaluate_mupots(Aside(px, j3), seqs, scene=scene, detections=dets, detection_format="mupots_17")
        row = r["per_sequence"]["TS8"]
        assert row["people"] == 6 and row["detected"] == 0 and row["hdnet"]["mrpe_mm"] is None
        assert row["hdnet"]["ap_root_25"] == 0.0 and row["hdnet"]["pck3d_abs"] == 0.0
        assert row["hdnet"]["floor_used"] == 0.0 and row["hdnet"]["depth_std_coverage"] is None
        assert r["people"] == 12 and r["detected"] == 6 and r["hdnet"]["mrpe_mm"] == pytest.approx(100.0)
        assert r["hdnet"]["pck3d_abs"] == pytest.approx(50.0)
        json.loads(strict_json(public_report(r)))
        assert "| TS8 | 6 | - / 0.0 / 0.0 |" in report_markdown(r)


def test_a_detection_on_a_frame_with_nobody_annotated_costs_nothing():
    """A third frame where nobody is annotated (valid all False) and the detector found someone:
    matched to nobody, but RootNet's AP_root skips images without ground truth, so every figure is
    the one without that detection, and the report counts it apart."""
    px, j3, cam = _scene()
    px3, j33 = np.concatenate([px, px[:1]]), np.concatenate([j3, j3[:1]])
    valid = np.ones((3, 3), bool)
    valid[2] = False
    seq = MuPoTSSequence("TS7", px3, j33, j33, valid, np.zeros((3, 3, 17), bool), cam, 2048, 2048, "test")
    dets = _detections(px)
    alone = evaluate_mupots(Aside(px, j3), [seq], detections=dets, detection_format="mupots_17")
    dets["TS7/img_000002.jpg"] = dets[sorted(dets)[0]][:1]
    r = evaluate_mupots(Aside(px, j3), [seq], detections=dets, detection_format="mupots_17")
    assert r["detections"]["unmatched"] == 1 and r["detections"]["on_frames_without_people"] == 1
    assert alone["detections"]["on_frames_without_people"] == 0
    for key in ("mrpe_mm", "ap_root_25", "ap_root_25_uncertainty", "pck3d_abs", "pck3d_rel"):
        assert r["hdnet"][key] == alone["hdnet"][key], key
    from hdnet.apps.demo_real import report_markdown
    assert "but for 1 on frames with nobody annotated, which it skips" in report_markdown(r)


def test_detections_that_cannot_be_scored_are_refused():
    px, j3, cam = _scene()
    seq = MuPoTSSequence("TS7", px, j3, j3, np.ones((2, 3), bool), np.zeros((2, 3, 17), bool), cam, 2048, 2048,
                         "test")
    model, dets = Aside(px, j3), _detections(px)
    cases = [({"detections": {"TS8/img_000000.jpg": dets[next(iter(dets))]}}, "none for TS7"),
             ({"detections": {"TS7/frame1.jpg": dets[next(iter(dets))]}}, "not a MuPoTS-3D image name"),
             ({"detections": {**dets, "TS7/img_000005.jpg": dets[next(iter(dets))]}}, "has 2 frames"),
             ({"detections": {**dets, "other/TS7/img_000000.jpg": dets[next(iter(dets))]}}, "the same image"),
             ({"detections": {k: v[..., :2] for k, v in dets.items()}}, r"\[Q, 17, 3\]"),
             ({"detections": {k: v * [1, 1, 0] for k, v in dets.items()}}, "not one person"),
             ({"detections": dets, "noise_px": 2.0}, "come as they are"),
             ({"detections": dets, "known_heights": "all"}, "come as they are"),
             ({"detections": dets, "detection_format": None}, "detection_format"),
             ({"detections": dets, "scene": "image", "tracks": "given"}, "track_ids"),
             ({"detections": dets, "track_ids": {k: [0] for k in dets}}, "1 values for 3 people"),
             ({"detections": dets, "detection_scores": {k: [1.0, 1.0] for k in dets}}, "2 values for 3 people"),
             ({"detections": None, "detection_scores": {k: [1.0] * 3 for k in dets}}, "none were given")]
    class Human36M(Aside):  # a model that answers Human3.6M people in Human3.6M's joints, as the shipped one
        def output_skeleton(self, fmt):
            return get_skeleton("h36m_17" if fmt == "h36m_17" else "mupots_17")
    with pytest.raises(ValueError, match="answers h36m_17 people in 'h36m_17'"):
        evaluate_mupots(Human36M(px, j3), [seq], detections=dets, detection_format="h36m_17")
    for kwargs, match in cases:
        kwargs = {"detection_format": "mupots_17", **kwargs}
        with pytest.raises(ValueError, match=match):
            evaluate_mupots(model, [seq], **kwargs)


def _coco_files(tmp_path, seqs, fmt="mupots_17"):
    """The sequences' valid annotated people as COCO results with integer image ids, and the COCO
    file that names the images (as RootNet's MuPoTS-3D.json does)."""
    images, results = [], []
    for seq in seqs:
        for f in range(len(seq.valid)):
            images.append({"id": len(images), "file_name": f"{seq.name}/img_{f:06d}.jpg", "width": seq.width,
                           "height": seq.height})
            for p in np.nonzero(seq.valid[f])[0]:
                kp = np.concatenate([seq.annot2[f, p], np.ones((17, 1))], -1)
                results.append({"image_id": images[-1]["id"], "category_id": 1, "score": 1.0,
                                "keypoints": kp.reshape(-1).tolist()})
    (tmp_path / "dets.json").write_text(json.dumps(results))
    (tmp_path / "images.json").write_text(json.dumps({"images": images}))
    return str(tmp_path / "dets.json"), str(tmp_path / "images.json")


def test_the_annotations_as_detections_score_as_the_annotations(tmp_path, capsys):
    """Real MuPoTS-3D (TS1, TS3), the shipped model: the annotated 2D given as a detector's people
    (COCO results through ``hdnet eval --keypoints``) match their people one to one and every
    figure equals the annotated-2D evaluation's."""
    folder = shared_path("realdata", "mupots")
    dets, images = _coco_files(tmp_path, read_mupots_annotations(folder, ["TS1", "TS3"]))
    common = ["eval", "--dataset", "mupots-3d", "--annotations", str(folder), "--sequences", "TS1", "TS3"]
    assert main(common + ["--out", str(tmp_path / "a.json")]) == 0
    assert main(common + ["--keypoints", dets, "--coco-annotations", images, "--keypoint-format", "mupots_17",
                          "--out", str(tmp_path / "d.json")]) == 0
    assert "0 nobody annotated" in capsys.readouterr().out
    a, d = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "d.json"))
    assert d["detections"]["matched"] == d["people"] == a["people"] and d["detections"]["unmatched"] == 0
    assert d["detections"]["file"] == dets
    for method in ("hdnet", "skeleton_fit", "k_value"):
        src = a[method] if method == "hdnet" else a["baselines"][method]
        got = d[method] if method == "hdnet" else d["baselines"][method]
        for key in ("mrpe_mm", "ap_root_25", "pck3d_abs", "pck3d_rel"):
            assert got[key] == pytest.approx(src[key], rel=1e-9), (method, key)
    assert d["hdnet"]["depth_std_coverage"] == a["hdnet"]["depth_std_coverage"]
    # the results' own scores (all 1 here) reach AP_root
    assert d["hdnet"]["ap_root_25_detector"] == pytest.approx(a["hdnet"]["ap_root_25"], rel=1e-9)
    assert "ap_root_25_detector" not in a["hdnet"]
    # --min-score: the people the detector was unsure of are not detections, so they are misses
    unsure = json.loads(Path(dets).read_text())
    for r in unsure[::10]:
        r["score"] = 0.2
    (tmp_path / "unsure.json").write_text(json.dumps(unsure))
    assert main(common + ["--keypoints", str(tmp_path / "unsure.json"), "--coco-annotations", images,
                          "--keypoint-format", "mupots_17", "--min-score", "0.5", "--out", str(tmp_path / "u.json")]) == 0
    u = json.loads((tmp_path / "u.json").read_text())
    n = len(unsure[::10])
    assert f"{n} scored under --min-score 0.5 not used" in capsys.readouterr().out
    assert u["detections"]["below_min_score"] == n and u["detections"]["min_score"] == 0.5
    assert u["people"] == a["people"] and u["detected"] == a["people"] - n
    assert u["hdnet"]["pck3d_rel"] < a["hdnet"]["pck3d_rel"] - 5
    # --clip-scores: scores past 1 (RTMPose's) read as 1, so every figure is the annotations' again
    sure = json.loads(Path(dets).read_text())
    for r in sure:
        r["keypoints"][2::3] = [1.1 * v for v in r["keypoints"][2::3]]
    (tmp_path / "sure.json").write_text(json.dumps(sure))
    assert main(common + ["--keypoints", str(tmp_path / "sure.json"), "--coco-annotations", images,
                          "--keypoint-format", "mupots_17", "--clip-scores", "--out", str(tmp_path / "c.json")]) == 0
    c = json.loads((tmp_path / "c.json").read_text())
    assert c["detections"]["clipped_scores"] == {"above": sum(v > 0 for r in sure for v in r["keypoints"][2::3]),
                                                 "below": 0, "lowest": pytest.approx(min(v for r in sure for v in
                                                                                         r["keypoints"][2::3])),
                                                 "highest": pytest.approx(1.1)}
    assert c["hdnet"]["mrpe_mm"] == pytest.approx(a["hdnet"]["mrpe_mm"], rel=1e-9)
    # errors, each one line and exit 2
    bad = [(["--keypoints", dets, "--keypoint-format", "mupots_17", "--noise-px", "3"], "come as they are"),
           (["--keypoint-format", "coco_17"], "without --keypoints"),
           (["--min-score", "0.5"], "without --keypoints"),
           (["--clip-scores"], "without --keypoints"),
           (["--keypoints", dets, "--coco-annotations", images], "say which"),
           (["--keypoints", dets, "--keypoint-format", "mupots_17"], "not a MuPoTS-3D image name"),
           (["--keypoints", dets, "--coco-annotations", images, "--keypoint-format", "mupots_17", "--scene", "image",
             "--tracks", "given"], "no track ids")]
    doubled = json.loads(Path(images).read_text())
    doubled["images"][1]["file_name"] = doubled["images"][0]["file_name"]
    (tmp_path / "doubled.json").write_text(json.dumps(doubled))
    bad.append((["--keypoints", dets, "--coco-annotations", str(tmp_path / "doubled.json"), "--keypoint-format",
                 "mupots_17"], "two image ids name 'TS1/img_000000.jpg'"))
    (tmp_path / "same.json").write_text(json.dumps([r | {"track_id": 0} for r in json.loads(Path(dets).read_text())]))
    bad.append((["--keypoints", str(tmp_path / "same.json"), "--coco-annotations", images, "--keypoint-format",
                 "mupots_17", "--scene", "sequence"], "have track id 0; a track is one body"))
    (tmp_path / "few.json").write_text(json.dumps({"images": json.loads(Path(images).read_text())["images"][:3]}))
    bad.append((["--keypoints", dets, "--coco-annotations", str(tmp_path / "few.json"), "--keypoint-format",
                 "mupots_17"], "no image with id"))
    for extra, match in bad:
        assert main(common + extra + ["--out", str(tmp_path / "x.json")]) == 2
        err = capsys.readouterr().err
        assert match in err and err.count("\n") == 1, err
    assert main(["eval", "--dataset", "mupots", "--annotations", "x.json", "--keypoints", dets]) == 2
    assert "--dataset mupots-3d, or h36m with a motion-capture file" in capsys.readouterr().err


def test_a_coco_detector_on_real_people_is_scored(tmp_path):
    """Real MuPoTS-3D TS1 as a COCO detector would give it (the annotated joints COCO has, no face):
    every person matched, placed within a sensible distance of the annotated-2D answer."""
    seqs = read_mupots_annotations(shared_path("realdata", "mupots"), ["TS1"])
    from hdnet.keypoint import KeypointHDNet
    model = KeypointHDNet.pretrained("coco_17")
    seq = seqs[0]
    dets = {}
    for f in range(len(seq.valid)):
        people = seq.annot2[f, seq.valid[f]]
        xy, _ = convert_joints(people, "mupots_17", "coco_17")
        dets[f"TS1/img_{f:06d}.jpg"] = np.concatenate([np.nan_to_num(xy), np.isfinite(xy).all(-1, keepdims=True)],
                                                      -1)
    r = evaluate_mupots(model, seqs, detections=dets, detection_format="coco_17")
    assert r["detected"] == r["people"] == seq.people and r["detections"]["unmatched"] == 0
    assert math.isfinite(r["hdnet"]["mrpe_mm"]) and r["hdnet"]["mrpe_mm"] < 600.0


def test_root_evaluation_counts_unmatched_detections_in_ap_root_only():
    from hdnet.metrics import evaluate_roots
    gt = np.array([[0.0, 0, 3000], [500, 0, 4000]])
    far = [[3000.0, 0, 9000]]
    alone = evaluate_roots(gt, gt, ["a", "a"])
    assert alone["ap_root_25"] == pytest.approx(0.5)  # RootNet's sum from the second step: 1 * (1 - 1/2)
    # the false positive ranked first: precision 0, 1/2, 2/3 over recall 0, 1/2, 1
    r = evaluate_roots(gt, gt, ["a", "a"], unmatched_roots=far, unmatched_image_ids=["a"], unmatched_scores=[2.0])
    assert r["ap_root_25"] == pytest.approx(0.5 * 0.5 + 2 / 3 * 0.5)
    assert r["mrpe_mm"] == 0.0 and r["people"] == 2 and r["detected"] == 2
    # on an image without ground truth it is skipped, as RootNet skips it
    assert evaluate_roots(gt, gt, ["a", "a"], unmatched_roots=far, unmatched_image_ids=["b"],
                          unmatched_scores=[2.0])["ap_root_25"] == pytest.approx(0.5)
    # RootNet's rule has no 2D: an unmatched detection near a person takes them when ranked first,
    # and the person's own detection is then the false positive: precision 1, 1/2, 2/3 over recall
    # 1/2, 1/2, 1
    near = evaluate_roots(gt, gt, ["a", "a"], unmatched_roots=[[0.0, 0, 3100]], unmatched_image_ids=["a"],
                          unmatched_scores=[2.0])
    assert near["ap_root_25"] == pytest.approx(1 / 2 * 0.0 + 2 / 3 * 0.5)
    for kwargs, match in (({"unmatched_roots": far, "unmatched_image_ids": []}, "unmatched_image_ids"),
                          ({"unmatched_roots": [[np.nan, 0, 1]], "unmatched_image_ids": ["a"]}, "finite roots"),
                          ({"unmatched_roots": far, "unmatched_image_ids": ["a"], "unmatched_scores": [1, 2]},
                           "unmatched_scores")):
        with pytest.raises(ValueError, match=match):
            evaluate_roots(gt, gt, ["a", "a"], **kwargs)


def test_coco_results_give_each_persons_score():
    from hdnet.data.keypoint_files import parse_person_scores
    kp = [1.0, 2.0, 1.0] * 17
    results = [{"image_id": 3, "keypoints": kp, "score": 0.75}, {"image_id": 3, "keypoints": kp, "score": 2},
               {"image_id": "b", "keypoints": kp, "score": 0.5}]
    got = parse_person_scores(results)
    assert set(got) == {"3", "b"} and got["3"].tolist() == [0.75, 2.0] and got["b"].tolist() == [0.5]
    assert parse_person_scores([{"image_id": 3, "keypoints": kp}]) is None
    assert parse_person_scores({"a.jpg": [[[1.0, 2.0, 1.0]]]}) is None
    for bad in ([{"image_id": 3, "keypoints": kp, "score": 0.7}, {"image_id": 3, "keypoints": kp}],
                [{"image_id": 3, "keypoints": kp, "score": float("nan")}],
                [{"image_id": 3, "keypoints": kp, "score": "high"}]):
        with pytest.raises(ValueError, match="entry .: score must be a finite number"):
            parse_person_scores(bad)


def test_openpose_run_on_each_sequence_folder(tmp_path, capsys):
    """OpenPose's --write_json output for each sequence's folder, kept in a folder per sequence
    (``TS1/img_000000_keypoints.json``, BODY_25 made from the annotated joints by name) for the
    first 20 frames: those frames' people are matched, every later person is a miss."""
    folder = shared_path("realdata", "mupots")
    seq = read_mupots_annotations(folder, ["TS1"])[0]
    out = tmp_path / "openpose" / "TS1"
    out.mkdir(parents=True)
    for f in range(20):
        xy, _ = convert_joints(seq.annot2[f, seq.valid[f]], "mupots_17", "body_25")
        flat = np.concatenate([np.nan_to_num(xy), np.isfinite(xy).all(-1, keepdims=True)], -1).reshape(len(xy), -1)
        (out / f"img_{f:06d}_keypoints.json").write_text(json.dumps(
            {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": p.tolist()} for p in flat]}))
    assert main(["eval", "--dataset", "mupots-3d", "--annotations", str(folder), "--sequences", "TS1", "--keypoints",
                 str(tmp_path / "openpose"), "--keypoint-format", "body_25", "--out", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["detected"] == int(seq.valid[:20].sum()) and r["people"] == seq.people
    assert r["detections"]["unmatched"] == 0 and r["detections"]["format"] == "body_25"
    (tmp_path / "empty").mkdir()
    assert main(["eval", "--dataset", "mupots-3d", "--annotations", str(folder), "--sequences", "TS1", "--keypoints",
                 str(tmp_path / "empty"), "--keypoint-format", "body_25", "--out", str(tmp_path / "x.json")]) == 2
    assert "no keypoint files and no folders of them" in capsys.readouterr().err


def test_ultralytics_labels_of_each_sequence_folder(tmp_path):
    """YOLO-pose's labels (``save_txt``: each line ``class cx cy w h`` and ``x y score`` per joint, all
    divided by the image's size, then the person's score) for each sequence's folder, COCO-17 made
    from the annotated joints by name, the first 20 frames of TS1 (2048 x 2048) and TS6 (1920 x
    1080): turned into pixels by each sequence's own image size, every person of those frames is
    matched and every later one is a miss."""
    from .test_keypoint_cli import _ultralytics_line
    folder = shared_path("realdata", "mupots")
    seqs = read_mupots_annotations(folder, ["TS1", "TS6"])
    assert {(s.width, s.height) for s in seqs} == {(2048, 2048), (1920, 1080)}
    for seq in seqs:
        out = tmp_path / "labels" / seq.name
        out.mkdir(parents=True)
        for f in range(20):
            xy, _ = convert_joints(seq.annot2[f, seq.valid[f]], "mupots_17", "coco_17")
            people = np.concatenate([np.nan_to_num(xy), np.isfinite(xy).all(-1, keepdims=True)], -1)
            (out / f"img_{f:06d}.txt").write_text("".join(_ultralytics_line(p, (seq.width, seq.height), conf=0.9)
                                                          + "\n" for p in people))
    assert main(["eval", "--dataset", "mupots-3d", "--annotations", str(folder), "--sequences", "TS1", "TS6",
                 "--keypoints", str(tmp_path / "labels"), "--keypoint-format", "coco_17",
                 "--out", str(tmp_path / "r.json")]) == 0
    r = json.loads((tmp_path / "r.json").read_text())
    assert r["detected"] == sum(int(s.valid[:20].sum()) for s in seqs) and r["people"] == sum(s.people for s in seqs)
    assert r["detections"]["unmatched"] == 0 and r["detections"]["format"] == "coco_17"
