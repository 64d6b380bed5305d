"""HDNet's loss terms and :class:`HDNetLoss` with the original weights and epoch schedule.

Every term is computed per sample (``[P]``) so a batch can be reduced, weighted or masked
freely. Terms that divide by a count of visible joints return 0, never NaN, for a sample
with none.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import torch
from torch import Tensor, nn

from .core.checks import check_tensor

__all__ = ["heatmap_loss", "pose_loss", "bins_loss", "bin_index_loss", "HDNetLoss"]


def _vis(vis: Optional[Tensor], p: int, j: int, like: Tensor) -> Tensor:
    if vis is None:
        return like.new_ones(p, j)
    check_tensor(vis, "vis", "[P, J]", shape=(p, j))
    return vis.to(like.dtype)


def heatmap_loss(pred: Tensor, target: Tensor, vis: Optional[Tensor] = None) -> Tensor:
    r"""Mean squared error of heatmaps, averaged over visible joints, per sample ``[P]``.

    :math:`L_p = \sum_j v_{pj}\, \mathrm{mean}_x (H_{pj}(x) - \hat H_{pj}(x))^2 / \sum_j v_{pj}`
    on the normalised maps ``[P, J, H, W]``.
    """
    check_tensor(pred, "heatmap", "[P, J, H, W]", ndim=4)
    check_tensor(target, "target heatmap", "[P, J, H, W]", shape=tuple(pred.shape))
    v = _vis(vis, pred.shape[0], pred.shape[1], pred)
    # an invisible joint's target may hold anything (NaN included): it never reaches the loss or
    # its gradient (NaN x 0 is NaN, so it is replaced, not multiplied away)
    target = torch.where(v[..., None, None] > 0, target, torch.zeros_like(target))
    per_joint = ((pred - target) ** 2).mean(dim=(-2, -1))
    return (per_joint * v).sum(-1) / v.sum(-1).clamp_min(1)


def pose_loss(pred: Tensor, target: Tensor, vis: Optional[Tensor] = None) -> Tensor:
    r"""L1 error of 2D joints ``[P, J, 2]``, averaged over the coordinates of visible joints,
    per sample ``[P]``: :math:`\sum_j v_{pj} \|u_{pj} - \hat u_{pj}\|_1 / (2 \sum_j v_{pj})`."""
    check_tensor(pred, "pose", "[P, J, 2]", shape=(None, None, 2))
    check_tensor(target, "target pose", "[P, J, 2]", shape=tuple(pred.shape))
    v = _vis(vis, pred.shape[0], pred.shape[1], pred)
    target = torch.where(v[..., None] > 0, target, torch.zeros_like(target))  # NaN x 0 would be NaN
    err = (pred - target).abs().sum(-1)
    return (err * v).sum(-1) / (2 * v.sum(-1)).clamp_min(1)


def bins_loss(pred_probs: Tensor, target: Tensor, eps: float = 1e-8) -> Tensor:
    r"""Cross-entropy :math:`-\sum_k t_k \log(p_k + \epsilon)` of bin probabilities ``[P, K]``
    against a (two-hot) target ``[P, K]``, per sample ``[P]``."""
    check_tensor(pred_probs, "bin_probs", "[P, K]", ndim=2)
    check_tensor(target, "target bin_probs", "[P, K]", shape=tuple(pred_probs.shape))
    return -(target * torch.log(pred_probs + eps)).sum(-1)


def bin_index_loss(pred_index: Tensor, target_index: Tensor, num_bins: int) -> Tensor:
    r"""L1 error of bin indices scaled to ``[0, 1]``: :math:`|b - \hat b| / (K - 1)`, ``[P]``."""
    check_tensor(pred_index, "bin_index", "[P]", ndim=1)
    check_tensor(target_index, "target bin_index", "[P]", shape=tuple(pred_index.shape))
    return (pred_index - target_index).abs() / (num_bins - 1)


class HDNetLoss(nn.Module):
    r"""The original HDNet training loss.

    .. math::
        L = w_h(e)\, L_{heatmap} + w_p\, L_{pose} + w_b(e)\, L_{bins} + w_i\, L_{bin\_index},
        \quad w_h(e) = 10 \cdot 0.5^{e/10},\ w_b(e) = 10^{-3} \cdot 0.5^{e/10},\ w_p = w_i = 1

    with :math:`e` the epoch (the heatmap and bin-distribution terms fade as training goes on).

    Args:
        num_bins: K, for the bin-index term (read from ``pred.bin_probs`` when None).
        heatmap_weight, pose_weight, bins_weight, bin_index_weight: base weights.
        decay_base, decay_epochs: the schedule ``decay_base ** (epoch / decay_epochs)`` on the
            heatmap and bins weights.

    ``forward(pred, target, epoch, reduction="mean")``: ``pred`` an
    :class:`~hdnet.models.HDNetOutput`, ``target`` the people's
    :class:`~hdnet.data.HDNetTargets` (people without depth ground truth, ``have_depth = 0``,
    e.g. from 2D-only datasets, have their bins and bin-index terms masked). Returns a dict with
    each term (``heatmap``, ``pose``, ``bins``, ``bin_index``, unweighted) and ``total``; terms
    are per-sample ``[P]`` with ``reduction="none"``.
    """

    TERMS = ("heatmap", "pose", "bins", "bin_index")

    def __init__(self, num_bins: Optional[int] = None, heatmap_weight: float = 10.0,
                 pose_weight: float = 1.0, bins_weight: float = 1e-3, bin_index_weight: float = 1.0,
                 decay_base: float = 0.5, decay_epochs: float = 10.0):
        super().__init__()
        self.num_bins = num_bins
        self.base = {"heatmap": heatmap_weight, "pose": pose_weight, "bins": bins_weight,
                     "bin_index": bin_index_weight}
        self.decay_base = decay_base
        self.decay_epochs = decay_epochs

    def weights(self, epoch: float) -> Dict[str, float]:
        """Loss weights at ``epoch``."""
        if epoch < 0:
            raise ValueError(f"epoch: expected >= 0, got {epoch}")
        decay = self.decay_base ** (epoch / self.decay_epochs)
        return {"heatmap": self.base["heatmap"] * decay, "pose": self.base["pose"],
                "bins": self.base["bins"] * decay, "bin_index": self.base["bin_index"]}

    def forward(self, pred, target, epoch: float = 0, reduction: str = "mean") -> Dict[str, Tensor]:
        if reduction not in ("mean", "none", "sum"):
            raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
        for name, obj, keys in (("pred", pred, ("heatmap", "pose", "bin_probs", "bin_index")),
                                ("target", target, ("heatmap", "pose", "bin_probs", "bin_index", "vis", "have_depth"))):
            missing = [k for k in keys if not torch.is_tensor(getattr(obj, k, None))]
            if missing:
                raise TypeError(f"{name}: expected an {'HDNetOutput' if name == 'pred' else 'HDNetTargets'} "
                                f"(lacks {missing}), got {type(obj).__name__}")
        k = self.num_bins or pred.bin_probs.shape[-1]
        # samples without depth may carry any placeholder, NaN included: replaced, not multiplied
        check_tensor(target.have_depth, "have_depth", "[P]", shape=(pred.bin_probs.shape[0],))
        keep = target.have_depth > 0
        bin_probs = torch.where(keep[:, None], target.bin_probs, torch.zeros_like(target.bin_probs))
        bin_index = torch.where(keep, target.bin_index, torch.zeros_like(target.bin_index))
        terms = {
            "heatmap": heatmap_loss(pred.heatmap, target.heatmap, target.vis),
            "pose": pose_loss(pred.pose, target.pose, target.vis),
            "bins": bins_loss(pred.bin_probs, bin_probs) * keep.to(pred.bin_probs.dtype),
            "bin_index": bin_index_loss(pred.bin_index, bin_index, k) * keep.to(pred.bin_index.dtype),
        }
        w = self.weights(epoch)
        total = sum(w[t] * terms[t] for t in self.TERMS)
        out: Dict[str, Any] = dict(terms, total=total)
        if reduction == "mean":  # no person: a zero loss that still carries the graph, not NaN
            out = {t: v.mean() if v.numel() else v.sum() for t, v in out.items()}
        elif reduction == "sum":
            out = {t: v.sum() for t, v in out.items()}
        return out
