import json

import numpy as np
import pytest

from hdnet.metrics import ap_root, match_people_2d, mpjpe, mrpe, n_mpjpe, pa_mpjpe, pck3d, pcod, rescale_bones

from .conftest import fixture_path


# ------------------------------------------------------------------ fixtures from ../shared
@pytest.fixture(scope="module")
def rootnet_case():
    d = fixture_path("rootnet_ap")
    return (json.loads((d / "preds.json").read_text()), json.loads((d / "gt.json").read_text()),
            json.loads((d / "expected.json").read_text()))


@pytest.mark.parametrize("threshold", ["100", "150", "250", "400"])
def test_ap_root_equals_rootnet(rootnet_case, threshold):
    preds, gt, expected = rootnet_case
    assert ap_root(preds, gt, float(threshold)) == pytest.approx(expected["AP_root"][threshold], abs=1e-9)


@pytest.fixture(scope="module")
def pck_case():
    d = fixture_path("mupots_pck")
    case = json.loads((d / "case.json").read_text())
    seqs = [{"name": s["name"], "frames": [{"gt_2d": f["gt_2d"], "gt_3d": f["gt_univ_3d"],
                                            "pred_2d": f["pred_2d"], "pred_3d": f["pred_3d"]}
                                           for f in s["frames"]]} for s in case["sequences"]]
    return seqs, json.loads((d / "expected.json").read_text())


@pytest.mark.parametrize("variant", ["posenet", "smap"])
@pytest.mark.parametrize("mode", ["all", "matched"])
@pytest.mark.parametrize("coords", ["relative", "absolute"])
def test_pck3d_equals_official_evaluation(pck_case, variant, mode, coords):
    seqs, expected = pck_case
    ours = pck3d(seqs, mode, coords, variant)
    ref = expected["results"][variant][mode][coords]
    for a, b in zip(ours["sequences"], ref["sequences"], strict=True):
        for k in ("pck_total", "auc_total", "mpjpe14_average"):
            assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-9), (a["name"], k)
        for k in ("annotated_people", "undetected_people", "n_instances"):
            assert a[k] == b[k]
        for g in b["pck_groups"]:
            assert a["pck_groups"][g] == pytest.approx(b["pck_groups"][g], abs=1e-9)
            assert a["auc_groups"][g] == pytest.approx(b["auc_groups"][g], abs=1e-9)
        np.testing.assert_allclose(a["mpjpe14_per_joint"], b["mpjpe14_per_joint"], rtol=1e-12)
        assert len(a["instances"]) == len(b["instances"])
        for ia, ib in zip(a["instances"], b["instances"], strict=True):
            assert (ia["frame"], ia["gt_index"], ia["pred_index"]) == \
                (ib["frame"], ib["gt_index"], ib["pred_index"])
            n = len(ib["error_mm"])
            np.testing.assert_allclose(ia["error_mm"][:n], ib["error_mm"], rtol=1e-12, atol=1e-9)
    for k in ("pck_total", "auc_total"):
        assert ours["overall_mean_of_sequences"][k] == pytest.approx(ref["overall_mean_of_sequences"][k], abs=1e-9)
        assert ours["overall_pooled"][k] == pytest.approx(ref["overall_pooled"][k], abs=1e-9)


def test_matching_equals_official(pck_case):
    seqs, expected = pck_case
    for seq, ref in zip(seqs, expected["matching"], strict=True):
        for frame, rf in zip(seq["frames"], ref["frames"], strict=True):
            assert match_people_2d(frame["gt_2d"], frame["pred_2d"]) == rf["matching_0based"]


def test_annot3_mistake_is_visible(pck_case):
    """Scoring against annot3 instead of univ_annot3 gives the documented wrong numbers."""
    seqs, expected = pck_case
    case = json.loads(fixture_path("mupots_pck", "case.json").read_text())
    wrong = [{"name": s["name"],
              "frames": [dict(f, gt_3d=c["gt_3d"]) for f, c in zip(s["frames"], cs["frames"], strict=True)]}
             for s, cs in zip(seqs, case["sequences"], strict=True)]
    ours = pck3d(wrong, "all", "relative")
    ref = expected["diagnostics"]["diag_posenet_gt_annot3"]["all"]["relative"]
    assert ours["overall_mean_of_sequences"]["pck_total"] == pytest.approx(
        ref["overall_mean_of_sequences"]["pck_total"], abs=1e-9)


# ------------------------------------------------------------------ hand-made cases
def test_mrpe_by_hand():
    gt = np.array([[0.0, 0, 1000], [100, 0, 2000]])
    pred = np.array([[3.0, 4, 1000], [100, 0, 2012]])  # errors 5 and 12
    r = mrpe(pred, gt)
    assert r["mrpe"] == pytest.approx(8.5) and r["x"] == pytest.approx(1.5)
    assert r["y"] == pytest.approx(2.0) and r["z"] == pytest.approx(6.0) and r["count"] == 2


def test_ap_root_by_hand():
    gt = {"annotations": [
        {"image_id": 1, "is_valid": 1, "keypoints_cam": [[0, 0, 0]] * 14 + [[0, 0, 3000]] + [[0, 0, 0]] * 2},
        {"image_id": 1, "is_valid": 1, "keypoints_cam": [[0, 0, 0]] * 14 + [[500, 0, 3000]] + [[0, 0, 0]] * 2},
        {"image_id": 2, "is_valid": 0, "keypoints_cam": [[0, 0, 0]] * 17}]}
    preds = [{"image_id": 1, "root_cam": [10, 0, 3000], "score": 0.9},      # TP (gt 0)
             {"image_id": 1, "root_cam": [0, 0, 3010], "score": 0.8},       # gt 0 again: FP
             {"image_id": 2, "root_cam": [0, 0, 3000], "score": 0.85},      # no valid gt: skipped
             {"image_id": 1, "root_cam": [520, 0, 3000], "score": 0.7}]     # TP (gt 1)
    # precision 1, 1/2, 2/3; recall 1/2, 1/2, 1
    assert ap_root(preds, gt, 250) == pytest.approx(0.5 * 0 + 2 / 3 * 0.5)
    assert ap_root(preds, gt, 250, standard=True) == pytest.approx(1 * 0.5 + 2 / 3 * 0.5)
    assert ap_root(preds, gt, 5) == 0.0


def test_rescale_bones_by_hand():
    parents, order = (0, 0, 1), (1, 2)
    gt = np.array([[0.0, 0, 0], [0, 100, 0], [0, 100, 50]])
    pred = np.array([[0.0, 0, 0], [0, 30, 0], [30, 30, 0]])  # same topology, other lengths
    out = rescale_bones(pred, gt, parents, order)
    np.testing.assert_allclose(out, [[0, 0, 0], [0, 100, 0], [50, 100, 0]])


def test_pose_errors_by_hand():
    rng = np.random.default_rng(0)
    gt = rng.normal(size=(4, 17, 3)) * 300
    assert mpjpe(gt + np.array([3.0, 4.0, 0.0]), gt) == pytest.approx(5.0)
    assert mpjpe(gt + np.array([3.0, 4.0, 0.0]), gt, root_index=0) == pytest.approx(0.0, abs=1e-9)
    theta = 0.7
    rot = np.array([[np.cos(theta), -np.sin(theta), 0], [np.sin(theta), np.cos(theta), 0], [0, 0, 1]])
    moved = 1.3 * gt @ rot.T + np.array([100.0, -50, 2000])
    assert pa_mpjpe(moved, gt) == pytest.approx(0.0, abs=1e-8)
    mirrored = gt * np.array([-1.0, 1, 1])  # a reflection is not a rotation: error stays
    assert pa_mpjpe(mirrored, gt) > 1.0
    assert n_mpjpe(2.5 * gt, gt, root_index=None) == pytest.approx(0.0, abs=1e-9)


def test_pcod_by_hand():
    gt = [1000.0, 2000.0, 2100.0]
    # pairs: (0,1) 0 closer; (0,2) 0 closer; (1,2) same (100 < 300)
    assert pcod([1000.0, 1900.0, 2150.0], gt) == pytest.approx(100.0)
    assert pcod([2500.0, 1900.0, 2150.0], gt) == pytest.approx(100 / 3)
    assert pcod([[1.0, 2000.0], [5.0]], [[2000.0, 2.0], [6.0]]) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="shapes differ"):
        mrpe(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"pred_roots: expected shape \[..., 3\]"):
        mrpe(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="mode"):
        pck3d([], mode="some")
    with pytest.raises(ValueError, match="coords"):
        pck3d([], coords="camera")
    with pytest.raises(ValueError, match="annotations"):
        ap_root([], {"images": []})
