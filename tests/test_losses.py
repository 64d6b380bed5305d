import json

import numpy as np
import pytest
import torch

from hdnet.losses import HDNetLoss, bins_loss, heatmap_loss, pose_loss

from .conftest import fixture_path


@pytest.fixture(scope="module")
def case():
    npz = np.load(fixture_path("official_hdnet", "case.npz"))
    meta = json.loads(fixture_path("official_hdnet", "case.json").read_text())
    return npz, meta


def _pred_target(npz):
    t = lambda k: torch.from_numpy(npz[k])  # noqa: E731
    b, j = npz["vis"].shape
    pred = {"heatmap": t("out_heatmap"), "pose": t("out_pose").view(b, j, 2),
            "bins": t("out_bins"), "bin_idx": t("out_bin_idx")}
    target = {"heatmap": t("heatmap_gt"), "pose": t("pose_gt").view(b, j, 2), "bins": t("bins_gt"),
              "bin_idx": t("bin_idx_gt"), "vis": t("vis")}
    return pred, target


@pytest.mark.parametrize("epoch", [0, 15])
def test_matches_original_losses(case, epoch):
    npz, meta = case
    pred, target = _pred_target(npz)
    ref = meta["losses"][f"loss_epoch{epoch}"]
    ref_ps = meta["losses"][f"loss_epoch{epoch}_per_sample"]
    loss = HDNetLoss()
    mean = loss(pred, target, epoch)
    per = loss(pred, target, epoch, reduction="none")
    for ours, theirs in [("total", "tot_loss"), ("heatmap", "heatmap"), ("pose", "pose"),
                         ("bins", "bins"), ("bin_idx", "bin_idx")]:
        np.testing.assert_allclose(float(mean[ours]), ref[theirs], rtol=1e-5)
        np.testing.assert_allclose(per[ours].numpy(), ref_ps[theirs], rtol=1e-5)
    for k, w in ref["weights"].items():
        assert mean["weights"][k] == pytest.approx(w, rel=1e-12)


def test_no_visible_joint_gives_zero_not_nan():
    pred = torch.randn(2, 3, 2)
    vis = torch.tensor([[0.0, 0, 0], [1, 1, 0]])
    out = pose_loss(pred, torch.zeros(2, 3, 2), vis)
    assert out[0] == 0 and torch.isclose(out[1], pred[1, :2].abs().sum() / 4)
    hm = heatmap_loss(torch.rand(2, 3, 4, 4), torch.rand(2, 3, 4, 4), vis)
    assert torch.isfinite(hm).all() and hm[0] == 0


def test_have_depth_masks_depth_terms():
    p, j, k = 3, 4, 61
    probs = torch.softmax(torch.randn(p, k), -1)
    pred = {"heatmap": torch.rand(p, j, 4, 4), "pose": torch.randn(p, j, 2), "bins": probs,
            "bin_idx": torch.rand(p) * 60}
    target = {"heatmap": torch.rand(p, j, 4, 4), "pose": torch.randn(p, j, 2),
              "bins": torch.softmax(torch.randn(p, k), -1), "bin_idx": torch.rand(p) * 60,
              "vis": torch.ones(p, j), "have_depth": torch.tensor([1.0, 0.0, 1.0])}
    out = HDNetLoss()(pred, target, reduction="none")
    assert out["bins"][1] == 0 and out["bin_idx"][1] == 0 and out["bins"][0] > 0
    ce = -(target["bins"][0] * torch.log(probs[0] + 1e-8)).sum()
    torch.testing.assert_close(bins_loss(probs, target["bins"])[0], ce)


def test_bad_input():
    with pytest.raises(KeyError, match="bin_idx"):
        HDNetLoss()({"heatmap": 0, "pose": 0, "bins": 0}, {})
    with pytest.raises(ValueError, match="pose"):
        pose_loss(torch.randn(2, 3, 3), torch.randn(2, 3, 3))
    with pytest.raises(ValueError, match="vis"):
        pose_loss(torch.randn(2, 3, 2), torch.randn(2, 3, 2), torch.ones(2, 4))
    with pytest.raises(ValueError, match="epoch"):
        HDNetLoss().weights(-1)
