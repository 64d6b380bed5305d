"""Depth as bins: the bin geometry (:class:`DepthBins`) and a soft-argmax head (:class:`DepthBinHead`)."""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.checks import as_tensor, check_tensor, is_tracing

__all__ = ["DepthBins", "DepthBinHead", "BinIndex", "DepthBinOutput"]

Number = Union[float, int, Tensor]


class BinIndex(NamedTuple):
    """What :meth:`DepthBins.index` returns."""

    index: Tensor  # type: ignore[assignment]  # continuous bin index in ``[0, K - 1]`` (clamped)
    in_range: Tensor  #: bool, False where the depth was outside ``[d_min, d_max]`` and clamped


def _positive(t: Tensor, name: str) -> None:
    if not is_tracing() and (not torch.all(torch.isfinite(t)) or not torch.all(t > 0)):
        raise ValueError(f"{name}: expected finite values > 0, got "
                         f"{t.detach().flatten()[:8].tolist()}")


class DepthBins(nn.Module):
    r"""Depth bins: the map between depths and continuous bin indices.

    With :math:`d` the binned variable (the focal-normalised depth :math:`Z/\sqrt{f_x f_y}`
    when ``focal_normalized``, else the depth in mm) and :math:`K` bins:

    .. math::
        b = \frac{\log d - \log d_{min}}{\log d_{max} - \log d_{min}} (K - 1)
        \quad (\text{log spacing}), \qquad
        b = \frac{d - d_{min}}{d_{max} - d_{min}} (K - 1) \quad (\text{linear})

    and the two-hot training target :math:`t_k = \max(0, 1 - |k - b|)`.

    Args:
        d_min, d_max: range of :math:`d` (HDNet: 2.0 and 8.0, focal-normalised).
        num_bins: K (HDNet: 61).
        spacing: ``"log"`` or ``"linear"``.
        focal_normalized: bin :math:`Z / \sqrt{f_x f_y}` (then every method needs ``fx, fy``);
            otherwise bin the depth in mm directly.

    No learnable parameters; a module so it moves with the model and prints in its repr.
    """

    def __init__(self, d_min: float = 2.0, d_max: float = 8.0, num_bins: int = 61,
                 spacing: str = "log", focal_normalized: bool = True):
        super().__init__()
        if spacing not in ("log", "linear"):
            raise ValueError(f"spacing: expected 'log' or 'linear', got {spacing!r}")
        if not isinstance(num_bins, int) or num_bins < 2:
            raise ValueError(f"num_bins: expected an int >= 2, got {num_bins!r}")
        if not (math.isfinite(d_min) and math.isfinite(d_max) and d_max > d_min):
            raise ValueError(f"d_min, d_max: expected d_min < d_max, got {(d_min, d_max)}")
        if spacing == "log" and d_min <= 0:
            raise ValueError(f"d_min: log spacing needs d_min > 0, got {d_min}")
        self.d_min = float(d_min)
        self.d_max = float(d_max)
        self.num_bins = num_bins
        self.spacing = spacing
        self.focal_normalized = focal_normalized

    def reset_parameters(self) -> None:
        """No learnable parameters."""

    # ------------------------------------------------------------------ helpers
    def _scale(self, fx: Optional[Number], fy: Optional[Number], like: Tensor) -> Optional[Tensor]:
        if not self.focal_normalized:
            return None
        if fx is None or fy is None:
            raise ValueError("fx, fy: required for focal-normalised bins")
        dtype = torch.float64 if like.dtype == torch.float64 else torch.float32
        fx = fx.to(like.device, dtype) if torch.is_tensor(fx) else torch.as_tensor(fx, dtype=dtype, device=like.device)
        fy = fy.to(like.device, dtype) if torch.is_tensor(fy) else torch.as_tensor(fy, dtype=dtype, device=like.device)
        _positive(fx, "fx")
        _positive(fy, "fy")
        return torch.sqrt(fx * fy)

    def _to_unit(self, d: Tensor) -> Tensor:
        """``d`` to ``[0, 1]`` along the bins (unclamped)."""
        if self.spacing == "log":
            return (torch.log(d) - math.log(self.d_min)) / (math.log(self.d_max) - math.log(self.d_min))
        return (d - self.d_min) / (self.d_max - self.d_min)

    def _from_unit(self, u: Tensor) -> Tensor:
        if self.spacing == "log":
            lo, hi = math.log(self.d_min), math.log(self.d_max)
            return torch.exp(lo + u * (hi - lo))
        return self.d_min + u * (self.d_max - self.d_min)

    # ------------------------------------------------------------------ public
    def index(self, depth_mm, fx: Optional[Number] = None, fy: Optional[Number] = None) -> BinIndex:
        """Continuous bin index of depths ``[...]`` (mm, > 0), clamped to ``[0, K - 1]``.

        Returns:
            :class:`BinIndex` ``(index, in_range)``: out-of-range depths are clamped to the end
            bins and flagged False in ``in_range`` (never silently).
        """
        z = as_tensor(depth_mm)
        if not z.is_floating_point() or z.dtype in (torch.float16, torch.bfloat16):
            z = z.float()  # fx * fy overflows float16 (1000 * 1000 > 65504): fp32 inside
        _positive(z, "depth_mm")
        scale = self._scale(fx, fy, z)
        d = z / scale if scale is not None else z
        b = self._to_unit(d) * (self.num_bins - 1)
        in_range = (b >= 0) & (b <= self.num_bins - 1)
        return BinIndex(b.clamp(0, self.num_bins - 1), in_range)

    def depth(self, index, fx: Optional[Number] = None, fy: Optional[Number] = None) -> Tensor:
        """Depth in mm of continuous bin indices ``[...]`` (inverse of :meth:`index`)."""
        b = as_tensor(index)
        if not b.is_floating_point() or b.dtype in (torch.float16, torch.bfloat16):
            b = b.float()  # depths in mm and fx * fy overflow float16: fp32 inside and out
        d = self._from_unit(b / (self.num_bins - 1))
        scale = self._scale(fx, fy, d)
        return d * scale if scale is not None else d

    def soft_target(self, index) -> Tensor:
        """Two-hot target ``[..., K]``: ``t_k = max(0, 1 - |k - b|)`` (sums to 1 in range)."""
        b = as_tensor(index)
        if not b.is_floating_point():
            b = b.float()
        k = torch.arange(self.num_bins, dtype=b.dtype, device=b.device)
        return (1 - (k - b[..., None]).abs()).clamp_min(0)

    def centers(self, fx: Optional[Number] = None, fy: Optional[Number] = None) -> Tensor:
        """The value of every bin ``[K]``: :math:`d` (or mm when ``fx, fy`` are given)."""
        k = torch.arange(self.num_bins, dtype=torch.float32)
        d = self._from_unit(k / (self.num_bins - 1))
        scale = self._scale(fx, fy, d) if self.focal_normalized and fx is not None else None
        if scale is not None:
            return d * scale
        if not self.focal_normalized and fx is not None:
            raise ValueError("fx, fy: not used by bins that are not focal-normalised")
        return d

    def extra_repr(self) -> str:
        return (f"d_min={self.d_min}, d_max={self.d_max}, num_bins={self.num_bins}, "
                f"spacing={self.spacing!r}, focal_normalized={self.focal_normalized}")

    def config(self) -> dict:
        """The constructor arguments (to store in checkpoints and compare)."""
        return {"d_min": self.d_min, "d_max": self.d_max, "num_bins": self.num_bins,
                "spacing": self.spacing, "focal_normalized": self.focal_normalized}


class DepthBinOutput(NamedTuple):
    """What :class:`DepthBinHead` returns (depth fields are None without ``fx, fy``)."""

    logits: Tensor  #: ``[B, K]``
    probs: Tensor  #: ``[B, K]`` softmax
    index: Tensor  # type: ignore[assignment]  # ``[B]`` soft-argmax bin index
    depth_mm: Optional[Tensor]  #: ``[B]`` depth of ``index``
    depth_std_mm: Optional[Tensor]  #: ``[B]`` standard deviation of depth under ``probs``


class DepthBinHead(nn.Module):
    r"""Linear layer -> softmax over depth bins -> soft-argmax bin index (-> depth).

    .. math::
        \mathbf{p} = \mathrm{softmax}(\mathbf{W}\mathbf{x} + \mathbf{b}), \qquad
        \hat b = \sum_k k\, p_k, \qquad
        \hat Z = \mathrm{depth}(\hat b), \qquad
        \sigma_Z = \Big(\sum_k p_k (Z_k - \bar Z)^2\Big)^{1/2},\ \bar Z = \sum_k p_k Z_k

    with :math:`Z_k` the depth of bin :math:`k`. :math:`\sigma_Z` is a per-person uncertainty
    (the spread of the bin distribution in millimetres) that the original did not expose.

    Args:
        in_channels: input features C.
        bins: a :class:`DepthBins` (default ``DepthBins()``, HDNet's 61 log bins).

    Shapes:
        - **x** ``[B, C]``; **fx**, **fy** scalars or ``[B]`` (optional).
        - output: :class:`DepthBinOutput`.
    """

    def __init__(self, in_channels: int, bins: Optional[DepthBins] = None):
        super().__init__()
        self.in_channels = in_channels
        self.bins = DepthBins() if bins is None else bins
        if not isinstance(self.bins, DepthBins):
            raise TypeError(f"bins: expected a DepthBins, got {type(bins).__name__}")
        self.linear = nn.Linear(in_channels, self.bins.num_bins)
        self.register_buffer("bin_ids", torch.arange(self.bins.num_bins, dtype=torch.float32),
                             persistent=False)

    def reset_parameters(self) -> None:
        self.linear.reset_parameters()

    def forward(self, x: Tensor, fx: Optional[Number] = None, fy: Optional[Number] = None
                ) -> DepthBinOutput:
        check_tensor(x, "x", "[B, C]", shape=(None, self.in_channels))
        logits = self.linear(x)
        probs = F.softmax(logits.float(), dim=-1).to(logits.dtype)
        bin_ids: Tensor = self.bin_ids  # type: ignore[assignment]
        index = (probs.float() * bin_ids).sum(-1)
        depth = std = None
        if fx is not None or fy is not None or not self.bins.focal_normalized:
            if self.bins.focal_normalized:
                scale = self.bins._scale(fx, fy, index)
                assert scale is not None
                centers = self.bins.centers().to(index.device)[None] * scale.reshape(-1, 1)
            else:
                centers = self.bins.centers().to(index.device)[None]
            depth = self.bins.depth(index, fx, fy) if self.bins.focal_normalized \
                else self.bins.depth(index)
            p = probs.float()
            mean = (p * centers).sum(-1)
            std = ((p * (centers - mean[:, None]) ** 2).sum(-1)).clamp_min(0).sqrt()
        return DepthBinOutput(logits, probs, index, depth, std)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}"
