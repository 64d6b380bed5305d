import json

import numpy as np
import pytest
import torch

from hdnet.data import HDNetTargets
from hdnet.losses import HDNetLoss, bins_loss, heatmap_loss, pose_loss
from hdnet.models import HDNetOutput

from .conftest import fixture_path


@pytest.fixture(scope="module")
def case():
    npz = np.load(fixture_path("official_hdnet", "case.npz"))
    meta = json.loads(fixture_path("official_hdnet", "case.json").read_text())
    return npz, meta


def _pred_target(npz):
    t = lambda k: torch.from_numpy(npz[k])  # noqa: E731
    b, j = npz["vis"].shape
    unused = torch.zeros(b)
    pred = HDNetOutput(heatmap=t("out_heatmap"), pose=t("out_pose").view(b, j, 2), bin_probs=t("out_bins"),
                       bin_index=t("out_bin_idx"), bin_logits=unused, depth_mm=unused, depth_std_mm=unused)
    target = HDNetTargets(heatmap=t("heatmap_gt"), pose=t("pose_gt").view(b, j, 2), bin_probs=t("bins_gt"),
                          bin_index=t("bin_idx_gt"), vis=t("vis"), have_depth=torch.ones(b))
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
                         ("bins", "bins"), ("bin_index", "bin_idx")]:
        np.testing.assert_allclose(float(mean[ours]), ref[theirs], rtol=1e-5)
        np.testing.assert_allclose(per[ours].numpy(), ref_ps[theirs], rtol=1e-5)
    weights = loss.weights(epoch)
    for k, w in ref["weights"].items():
        assert weights["bin_index" if k == "bin_idx" else k] == pytest.approx(w, rel=1e-12)


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
    none = torch.zeros(p)
    pred = HDNetOutput(torch.rand(p, j, 4, 4), torch.randn(p, j, 2), probs, torch.rand(p) * 60, none, none, none)
    target = HDNetTargets(heatmap=torch.rand(p, j, 4, 4), pose=torch.randn(p, j, 2),
                          bin_probs=torch.softmax(torch.randn(p, k), -1), bin_index=torch.rand(p) * 60,
                          vis=torch.ones(p, j), have_depth=torch.tensor([1.0, 0.0, 1.0]))
    out = HDNetLoss()(pred, target, reduction="none")
    assert out["bins"][1] == 0 and out["bin_index"][1] == 0 and out["bins"][0] > 0
    ce = -(target.bin_probs[0] * torch.log(probs[0] + 1e-8)).sum()
    torch.testing.assert_close(bins_loss(probs, target.bin_probs)[0], ce)


def test_bad_input():
    with pytest.raises(TypeError, match=r"pred: expected an HDNetOutput \(lacks \['heatmap', 'pose', 'bin_probs', "):
        HDNetLoss()({"heatmap": 0, "pose": 0, "bins": 0}, {})
    with pytest.raises(ValueError, match="pose"):
        pose_loss(torch.randn(2, 3, 3), torch.randn(2, 3, 3))
    with pytest.raises(ValueError, match="vis"):
        pose_loss(torch.randn(2, 3, 2), torch.randn(2, 3, 2), torch.ones(2, 4))
    with pytest.raises(ValueError, match="epoch"):
        HDNetLoss().weights(-1)
