"""Heatmap-attention pooling: per-joint soft-argmax and feature pooling under a box mask."""

from __future__ import annotations

from typing import NamedTuple, Optional

import torch
from torch import Tensor, nn

from ..camera import pixel_grid
from ..core.checks import check_tensor, is_tracing

__all__ = ["HeatmapAttentionPooling", "PoolingOutput", "masked_spatial_softmax"]


class PoolingOutput(NamedTuple):
    """What :class:`HeatmapAttentionPooling` returns."""

    prob: Tensor  #: ``[P, J, H, W]`` per-joint spatial distributions
    features: Tensor  #: ``[P, J, C]`` pooled features
    coords: Tensor  #: ``[P, J, 2]`` soft-argmax coordinates


def masked_spatial_softmax(logits: Tensor, mask: Optional[Tensor] = None) -> Tensor:
    """Softmax over the last two axes of ``logits [P, J, H, W]``, restricted to ``mask [P, H, W]``.

    Logits outside the mask are replaced by the dtype's finite minimum (safe in float16 and
    bfloat16, unlike a literal such as ``-1e15``), so they get exactly zero probability as
    long as the mask is not empty. Logits inside are first clamped to half the dtype's finite
    range, so ``-inf`` (or hugely negative) logits inside a box still leave all the mass inside
    it (spread evenly over the box where every logit is ``-inf``) and ``+inf`` gives no NaN.
    Half-precision logits are normalised in float32. NaN logits raise a ``ValueError``
    (outside tracing).
    """
    p, j, h, w = logits.shape
    if not is_tracing() and logits.numel() and bool(torch.isnan(logits).any()):
        raise ValueError("logits: NaN heatmap logits (the network's output is broken)")
    info = torch.finfo(logits.dtype)
    logits = logits.clamp(info.min / 2, info.max / 2)
    if mask is not None:
        logits = logits.masked_fill(~mask[:, None], info.min)
    flat = logits.reshape(p, j, h * w)
    if flat.dtype in (torch.float16, torch.bfloat16):
        prob = torch.softmax(flat, dim=-1, dtype=torch.float32).to(flat.dtype)
    else:
        prob = torch.softmax(flat, dim=-1)
    return prob.reshape(p, j, h, w)


class HeatmapAttentionPooling(nn.Module):
    r"""Heatmaps as attention: joint coordinates and joint features pooled from feature maps.

    For person :math:`p` in image :math:`n = \mathrm{batch}[p]`, joint :math:`j`:

    .. math::
        P_{pj}(x) = \frac{\exp \ell_{pj}(x) \, [x \in M_p]}{\sum_{x' \in M_p} \exp \ell_{pj}(x')},
        \qquad
        \mathbf{f}_{pj} = \sum_x P_{pj}(x)\, \mathbf{F}_n(x),
        \qquad
        \mathbf{u}_{pj} = \sum_x P_{pj}(x)\, \mathbf{G}_n(x)

    with :math:`\ell` the heatmap logits, :math:`M_p` the person's box mask on the output grid,
    :math:`\mathbf{F}_n` the image's feature maps and :math:`\mathbf{G}_n` its coordinate map
    (e.g. normalised camera coordinates; the pixel-centre grid by default). This is HDNet's
    pose and depth-feature pooling, computed as one batched matrix product per image instead
    of the original's ``repeat_interleave`` (which materialises ``[P, J*C, H, W]``).

    Args:
        check_masks: raise on a person whose mask is empty (default True; skipped while
            tracing or compiling).

    Shapes:
        - **logits** ``[P, J, H, W]`` per person.
        - **features** ``[N, C, H, W]`` per image.
        - **mask** ``[P, H, W]`` bool or 0/1, optional.
        - **coord_map** ``[N, 2, H, W]`` or ``[2, H, W]``, optional.
        - **batch** ``[P]`` long, the image of each person (PyG's ``batch`` vector; default:
          person p in image p).
        - output: :class:`PoolingOutput` ``(prob [P, J, H, W], features [P, J, C],
          coords [P, J, 2])``.
    """

    def __init__(self, check_masks: bool = True):
        super().__init__()
        self.check_masks = check_masks

    def reset_parameters(self) -> None:
        """No learnable parameters."""

    def forward(self, logits: Tensor, features: Tensor, *, mask: Optional[Tensor] = None,
                coord_map: Optional[Tensor] = None, batch: Optional[Tensor] = None
                ) -> PoolingOutput:
        check_tensor(logits, "logits", "[P, J, H, W]", ndim=4)
        check_tensor(features, "features", "[N, C, H, W]", ndim=4)
        p, j, h, w = logits.shape
        n, c = features.shape[:2]
        if features.shape[-2:] != (h, w):
            raise ValueError(f"features: expected spatial size {(h, w)} like logits, got "
                             f"{tuple(features.shape[-2:])}")
        batch = self._check_batch(batch, p, n)
        mask = self._check_mask(mask, p, h, w)
        prob = masked_spatial_softmax(logits, mask)

        flat = prob.reshape(p, j, h * w)
        feats = features.reshape(n, c, h * w)
        if flat.dtype != feats.dtype and not torch.is_autocast_enabled(feats.device.type):
            flat_f = flat.to(feats.dtype)
        else:
            flat_f = flat
        pooled = _pool_per_image(flat_f, feats, batch)

        cmap = self._coord_map(coord_map, n, h, w, flat)
        cm = cmap.reshape(cmap.shape[0], 2, h * w)
        if batch is not None and cm.shape[0] > 1:
            cm = cm.index_select(0, batch)  # [P, 2, HW]: 2 channels, cheap to gather
        if cm.shape[0] == 1 and p != 1:
            coords = torch.matmul(flat.to(cm.dtype), cm[0].t())
        else:
            coords = torch.bmm(flat.to(cm.dtype), cm.transpose(1, 2))
        return PoolingOutput(prob, pooled, coords)

    # ------------------------------------------------------------------ helpers
    def _check_batch(self, batch: Optional[Tensor], p: int, n: int) -> Optional[Tensor]:
        if batch is None:
            if n != p:
                raise ValueError(f"batch: required when features has N={n} images for P={p} "
                                 "people (default is one person per image)")
            return None
        if not torch.is_tensor(batch) or batch.dtype not in (torch.long, torch.int32, torch.int64):
            raise TypeError("batch: expected a LongTensor [P]")
        if batch.shape != (p,):
            raise ValueError(f"batch: expected shape [{p}], got {tuple(batch.shape)}")
        batch = batch.long()
        if not is_tracing() and p > 0 and (int(batch.min()) < 0 or int(batch.max()) >= n):
            raise ValueError(f"batch: values must be in 0..{n - 1}, got {batch.tolist()[:20]}")
        return batch

    def _check_mask(self, mask: Optional[Tensor], p: int, h: int, w: int) -> Optional[Tensor]:
        if mask is None:
            return None
        check_tensor(mask, "mask", "[P, H, W]", shape=(p, h, w))
        if mask.dtype != torch.bool:
            if not is_tracing() and not torch.all((mask == 0) | (mask == 1)):
                raise ValueError("mask: expected a bool or 0/1 tensor")
            mask = mask > 0.5
        if self.check_masks and not is_tracing() and p > 0:
            empty = (~mask.flatten(1).any(dim=1)).nonzero().flatten().tolist()
            if empty:
                raise ValueError(f"mask: empty box mask for person indices {empty}; every person "
                                 "needs at least one cell of the output grid")
        return mask

    @staticmethod
    def _coord_map(coord_map: Optional[Tensor], n: int, h: int, w: int, like: Tensor) -> Tensor:
        if coord_map is None:
            dtype = like.dtype if like.dtype == torch.float64 else torch.float32
            return pixel_grid(h, w, dtype=dtype, device=like.device)[None]
        if coord_map.dim() == 3:
            coord_map = coord_map[None]
        if coord_map.dim() != 4 or coord_map.shape[1:] != (2, h, w) or coord_map.shape[0] not in (1, n):
            raise ValueError(f"coord_map: expected shape [{n}, 2, {h}, {w}] or [2, {h}, {w}], "
                             f"got {tuple(coord_map.shape)}")
        return coord_map

    def extra_repr(self) -> str:
        return f"check_masks={self.check_masks}"


def _bmm_pool(prob: Tensor, feats: Tensor) -> Tensor:
    """``prob [B, M, HW] @ feats[B, C, HW]^T -> [B, M, C]``.

    When the feature maps need a gradient it is computed as ``(feats @ prob^T)^T``, so that
    gradient comes out contiguous in the maps' own layout (no transposing copy of
    ``[B, C, HW]`` in the backward); otherwise in the orientation that is faster forward.
    """
    if feats.requires_grad and torch.is_grad_enabled():
        return torch.bmm(feats, prob.transpose(1, 2)).transpose(1, 2)
    return torch.bmm(prob, feats.transpose(1, 2))


def _pool_per_image(prob: Tensor, feats: Tensor, batch: Optional[Tensor]) -> Tensor:
    """``out[p] = prob[p] @ feats[batch[p]]^T`` for ``prob [P, J, HW]``, ``feats [N, C, HW]``.

    One batched matmul when people and images pair up, when there is one image, or when every
    image holds the same number of people in order; otherwise one matmul per image over all of
    its people, so feature maps are never copied per person. The per-image pieces are taken
    with ``split``/``unbind`` (whose backward is one concatenation) rather than by slicing
    (whose backward writes a zero tensor of the whole batch per slice: quadratic in N).
    """
    p, j, hw = prob.shape
    n, c = feats.shape[:2]
    if batch is None:
        return _bmm_pool(prob, feats)
    if n == 1:
        return _bmm_pool(prob.reshape(1, p * j, hw), feats).reshape(p, j, c)
    if is_tracing():  # data-independent path for export/compile: gather (copies per person)
        return _bmm_pool(prob, feats.index_select(0, batch))
    if p == 0:
        return prob.new_zeros(0, j, c)
    counts_t = torch.bincount(batch, minlength=n)
    k = p // n
    if k * n == p and bool((counts_t == k).all()) and bool((batch[1:] >= batch[:-1]).all()):
        # every image holds k people, listed image by image: one matmul over [N, k J, HW]
        return _bmm_pool(prob.reshape(n, k * j, hw), feats).reshape(p, j, c)
    order = torch.argsort(batch, stable=True)
    counts = counts_t.tolist()
    chunks = prob.index_select(0, order).split(counts)
    maps = feats.unbind(0)
    pooled = [_bmm_pool(chunk.reshape(1, size * j, hw), maps[img][None]).reshape(size, j, c)
              for img, (chunk, size) in enumerate(zip(chunks, counts, strict=True)) if size]
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(p, device=order.device)
    return torch.cat(pooled).index_select(0, inverse)
