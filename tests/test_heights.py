"""Known heights: the body measures, the scaling about the camera, its calibration and the CLI."""

import json
import re

import numpy as np
import pytest
import torch

from hdnet import Camera
from hdnet.apps.cli import main
from hdnet.core.checkpoint import load_model
from hdnet.data.synthetic import sample_pose
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.height import (
    ANKLE_HEIGHT_MM,
    check_heights,
    height_from_length,
    skeleton_length_mm,
    standing_height_mm,
)
from hdnet.keypoint.task import calibrate_heights

from .conftest import shared_path

#: MuPoTS-3D joint indices (head_top, neck, ..., pelvis 14, spine 15, head 16)
TOP, NECK, R_HIP, R_KNEE, R_ANKLE, L_HIP, L_KNEE, L_ANKLE, PELVIS, SPINE, HEAD = 0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 16


def straight_body(scale=1.0):
    """A body standing straight up (Z up, mm) with known segment lengths: head top 1750 - 50 mm
    above the ankles' 50 mm, the trunk on the vertical, hips 100 mm to each side."""
    j = np.zeros((17, 3))
    j[[R_ANKLE, L_ANKLE], 2] = 50.0
    j[[R_KNEE, L_KNEE], 2] = 500.0
    j[[R_HIP, L_HIP], 2] = 950.0
    j[R_HIP, 0], j[R_KNEE, 0], j[R_ANKLE, 0] = -100.0, -100.0, -100.0
    j[L_HIP, 0], j[L_KNEE, 0], j[L_ANKLE, 0] = 100.0, 100.0, 100.0
    j[PELVIS, 2], j[SPINE, 2], j[NECK, 2], j[HEAD, 2], j[TOP, 2] = 950.0, 1200.0, 1450.0, 1580.0, 1750.0
    j[[2, 5], 2] = 1450.0  # shoulders and arms: not part of the length
    j[[2, 3, 4], 0], j[[5, 6, 7], 0] = -180.0, 180.0
    return j * scale


def test_skeleton_length_is_the_sum_of_its_segments_in_any_pose():
    body = straight_body()
    # head top 1750 -> pelvis 950 along the trunk: 800; pelvis -> hip: 100; hip -> knee -> ankle: 900
    assert skeleton_length_mm(body) == pytest.approx(800 + 100 + 900)
    bent = body.copy()  # the right knee swung forward about the hip: its leg keeps its length
    angle = np.radians(70)
    thigh, shin = body[R_KNEE] - body[R_HIP], body[R_ANKLE] - body[R_KNEE]
    rot = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    bent[R_KNEE] = body[R_HIP] + rot @ thigh
    bent[R_ANKLE] = bent[R_KNEE] + rot @ rot @ shin
    assert skeleton_length_mm(bent) == pytest.approx(1800.0)
    assert skeleton_length_mm(np.stack([body, 2 * body])) == pytest.approx([1800.0, 3600.0])
    with pytest.raises(ValueError, match="joints: expected MuPoTS-3D joints"):
        skeleton_length_mm(np.zeros((16, 3)))


def test_standing_height_is_the_head_top_above_the_floor():
    body = straight_body()
    reach = np.hypot(1700.0, 100.0)  # head top to either ankle (100 mm to the side)
    crouched = body.copy()
    crouched[TOP] -= [0, 0, 600]  # frames with the head lower do not count when most are upright
    frames = np.stack([body] * 19 + [crouched])
    assert standing_height_mm(frames) == pytest.approx(reach + ANKLE_HEIGHT_MM)
    with pytest.raises(ValueError, match="joints: expected frames"):
        standing_height_mm(body)


def test_check_heights_names_what_is_wrong():
    np.testing.assert_array_equal(check_heights(1700, 3), [1700.0] * 3)
    assert np.isnan(check_heights([1700, np.nan], 2)[1])  # NaN: not known
    for bad in (0.0, -1700.0, 5000.0, 170.0, np.inf):
        with pytest.raises(ValueError, match="height_mm: standing heights in mm between"):
            check_heights([1700.0, bad], 2)
    with pytest.raises(ValueError, match=r"height_mm: expected one height or \[3\]"):
        check_heights([1700.0, 1800.0], 3)
    with pytest.raises(TypeError, match="height_mm"):
        check_heights({"a": 1}, 1)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = KeypointHDNet(channels=16, num_layers=1, width=32, blocks=1).eval()
    m.reference_length_mm, m.reference_height_mm, m.known_height_std_scale = 1850.0, 1740.0, 0.5
    m.depth_std_scale = 2.0
    return m


def _keypoints(n=3, seed=0):
    rng = np.random.default_rng(seed)
    cam = Camera(1200.0, 1200.0, 640.0, 360.0)
    where = np.stack([rng.uniform(-1500, 1500, n), np.full(n, 200.0), rng.uniform(3000, 7000, n)], 1)
    bodies = np.stack([sample_pose(rng, 1750.0) + w for w in where])
    return cam.project(bodies), cam


def test_a_known_height_scales_the_person_about_the_camera(model):
    px, cam = _keypoints()
    plain = model.predict(px, cam, format="mupots_17")
    heights = np.array([1900.0, np.nan, 1560.0])
    known = model.predict(px, cam, format="mupots_17", height_mm=heights)
    k = torch.tensor([1900.0 / 1740.0, 1.0, 1560.0 / 1740.0], dtype=plain.depth_mm.dtype)
    torch.testing.assert_close(known.depth_mm, plain.depth_mm * k)
    torch.testing.assert_close(known.root_mm, plain.root_mm * k[:, None])
    torch.testing.assert_close(known.joints_rel_mm, plain.joints_rel_mm * k[:, None, None])
    torch.testing.assert_close(known.joints_mm, known.root_mm[:, None] + known.joints_rel_mm)
    # the uncertainty of a known height: calibrated on its own (0.5 against 2.0 for an unknown one)
    factor = torch.tensor([0.25, 1.0, 0.25], dtype=k.dtype)
    torch.testing.assert_close(known.depth_std_mm, plain.depth_std_mm * k * factor)
    # every joint still projects where it did: only the distance changed
    np.testing.assert_allclose(cam.project(known.joints_mm.double().numpy()), cam.project(plain.joints_mm.double()
                                                                                          .numpy()), rtol=1e-6)
    one = model.predict(px, cam, format="mupots_17", height_mm=1740.0)  # the reference height: no change
    torch.testing.assert_close(one.root_mm, plain.root_mm)
    flip = model.predict(px, cam, format="mupots_17", height_mm=heights, flip_test=True)
    torch.testing.assert_close(flip.depth_mm, model.predict(px, cam, format="mupots_17", flip_test=True).depth_mm * k)
    with pytest.raises(ValueError, match="height_mm: standing heights"):
        model.predict(px, cam, format="mupots_17", height_mm=[1800.0, 90000.0, 1700.0])


def test_a_model_without_a_reference_height_says_so(tmp_path):
    fresh = KeypointHDNet(channels=8, num_layers=1, width=16, blocks=1).eval()
    px, cam = _keypoints(2)
    with pytest.raises(ValueError, match="height_mm: this checkpoint does not record the height"):
        fresh.predict(px, cam, format="mupots_17", height_mm=1800.0)
    fresh.predict(px, cam, format="mupots_17", height_mm=[np.nan, np.nan])  # nobody's known: nothing needed
    with pytest.raises(ValueError, match="reference_height_mm"):
        height_from_length([1800.0], fresh)
    # an old checkpoint (no height data) loads; a partial one is refused
    path = fresh.save(tmp_path / "old.pt")
    assert load_model(path).reference_height_mm is None
    fresh.reference_height_mm = 1700.0
    with pytest.raises(ValueError, match="come together"):
        load_model(fresh.save(tmp_path / "partial.pt"))


def test_height_data_travels_with_the_checkpoint(model, tmp_path):
    again = load_model(model.save(tmp_path / "kp.pt"))
    assert (again.reference_length_mm, again.reference_height_mm, again.known_height_std_scale) == (1850.0, 1740.0,
                                                                                                    0.5)
    assert height_from_length(1850.0, again) == pytest.approx(1740.0)


def test_calibrate_heights_recovers_the_length_a_model_assumes():
    """A model that answers every body as if it were 1,800 mm long (its depth off by that ratio,
    times a log-normal noise of 5 %, with a spread it reports as 0.1): the reference length comes
    back, and with the length known the spread needs the factor that holds 68 % of the noise."""
    g = torch.Generator().manual_seed(0)
    n = 20000
    length = 1600 + 400 * torch.rand(n, generator=g, dtype=torch.float64)
    true = 2000 + 6000 * torch.rand(n, generator=g, dtype=torch.float64)
    noise = 0.05 * torch.randn(n, generator=g, dtype=torch.float64)
    views = {"depth_mm": true * 1800 / length * noise.exp(), "true_depth_mm": true, "length_mm": length,
             "sigma": torch.full((n,), 0.1, dtype=torch.float64)}
    ref_len, ref_height, scale = calibrate_heights(views, height_per_length=0.94)
    assert ref_len == pytest.approx(1800, rel=2e-3)
    assert ref_height == pytest.approx(0.94 * ref_len)
    # |Z k - Z| / (Z k sigma) = |1 - exp(-noise)| / 0.1: its 68th percentile ~ 0.05 * 0.994 / 0.1
    assert scale == pytest.approx(float(torch.quantile((1 - (-noise).exp()).abs() / 0.1, 0.6827)), rel=0.03)


def test_the_shipped_model_knows_its_reference_height():
    shipped = KeypointHDNet.pretrained()
    # the training subjects S1, S5, S6, S7, S8 stand 1.67-1.83 m (docs/real.md)
    assert 1600 < shipped.reference_height_mm < 1850
    assert 0 < shipped.known_height_std_scale < shipped.depth_std_scale


def test_cli_height_and_heights(tmp_path, capsys):
    px, cam = _keypoints(2, seed=4)
    kp = [{"image_id": i, "track_id": 7 + i, "keypoints": np.concatenate([p, np.ones((17, 1))], 1).ravel().tolist(),
           "score": 1.0} for i, p in enumerate(px)]
    (tmp_path / "kp.json").write_text(json.dumps(kp))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": cam.fx, "fy": cam.fy, "cx": cam.cx, "cy": cam.cy}))
    base = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "mupots_17",
            "--camera", str(tmp_path / "cam.json")]
    assert main(base + ["--out", str(tmp_path / "plain")]) == 0
    assert main(base + ["--height", "1900", "--out", str(tmp_path / "all")]) == 0
    (tmp_path / "h.json").write_text(json.dumps({"8": 1600}))
    assert main(base + ["--heights", str(tmp_path / "h.json"), "--out", str(tmp_path / "some")]) == 0
    plain, every, some = (json.loads((tmp_path / d / "people.json").read_text()) for d in ("plain", "all", "some"))
    ref = KeypointHDNet.pretrained().reference_height_mm
    for a, b in zip(plain, every, strict=True):
        assert b["height_mm"] == 1900.0 and a["height_mm"] is None
        np.testing.assert_allclose(b["root_cam"], np.array(a["root_cam"]) * 1900.0 / ref, rtol=1e-5)
    assert some[0]["height_mm"] is None and some[0]["root_cam"] == plain[0]["root_cam"]
    np.testing.assert_allclose(some[1]["root_cam"], np.array(plain[1]["root_cam"]) * 1600.0 / ref, rtol=1e-5)
    (tmp_path / "bad.json").write_text(json.dumps({"tall": 1800}))
    (tmp_path / "nine.json").write_text(json.dumps({"9": 1700}))
    for args, message in ((["--height", "1800", "--heights", str(tmp_path / "h.json")], "give one"),
                          (["--height", "17"], "standing heights in mm"),
                          (["--heights", str(tmp_path / "bad.json")], "not a track id"),
                          (["--heights", str(tmp_path / "nine.json")], r"track ids \[9\] are not in the keypoints")):
        capsys.readouterr()
        assert main(base + args + ["--out", str(tmp_path / "x")]) == 2
        assert re.search(message, capsys.readouterr().err), args


def test_known_heights_on_mupots_place_people_better():
    from hdnet.data.mupots_annotations import read_mupots_annotations
    from hdnet.keypoint import evaluate_mupots
    from hdnet.keypoint.evaluation import annotated_heights
    seqs = read_mupots_annotations(shared_path("realdata", "mupots"), ["TS1"])
    shipped = KeypointHDNet.pretrained()
    heights = annotated_heights(seqs[0], shipped)
    assert np.all((heights > 1700) & (heights < 2100))  # TS1's two tall people (docs/real.md)
    plain = evaluate_mupots(shipped, seqs)
    known = evaluate_mupots(shipped, seqs, known_heights=True)
    assert known["input"]["heights"] != "not given" and plain["input"]["heights"] == "not given"
    from hdnet.apps.demo_real import public_report, report_markdown
    assert "Heights given: each person's standing height" in report_markdown(public_report(known))
    assert "Heights given" not in report_markdown(public_report(plain))
    # TS1's people are taller than the training bodies: the model alone places them too near
    assert known["hdnet"]["mrpe_mm"] < 0.7 * plain["hdnet"]["mrpe_mm"]


def test_the_first_persons_height_anchors_the_sequences_floor(tmp_path, capsys):
    """--known-heights first: only person 0 of each sequence is given their height; in a scene
    their floor places the others (TS1: two tall people, both placed too near alone)."""
    from hdnet.data.mupots_annotations import read_mupots_annotations
    from hdnet.keypoint import evaluate_mupots
    seqs = read_mupots_annotations(shared_path("realdata", "mupots"), ["TS1"])
    shipped = KeypointHDNet.pretrained()
    plain = evaluate_mupots(shipped, seqs, scene="sequence")
    first = evaluate_mupots(shipped, seqs, scene="sequence", known_heights="first")
    assert first["input"]["heights"].startswith("person 0 of each sequence only")
    assert first["per_sequence"]["TS1"]["floor"]["height_mm"] != plain["per_sequence"]["TS1"]["floor"]["height_mm"]
    assert first["hdnet"]["mrpe_mm"] < 0.7 * plain["hdnet"]["mrpe_mm"]
    with pytest.raises(ValueError, match="known_heights"):
        evaluate_mupots(shipped, seqs, known_heights="some")
    capsys.readouterr()
    assert main(["eval", "--dataset", "h36m", "--annotations", str(tmp_path / "none.h5"), "--known-heights", "first",
                 "--out", str(tmp_path / "r.json")]) == 2
    assert "--known-heights first" in capsys.readouterr().err
