"""The one typed input of the image model: :class:`ImageBatch` (N framed images and the P people
in them), with the training targets of those people (:class:`HDNetTargets`).

:class:`~hdnet.data.Preprocessing` builds it for training, evaluation and prediction alike;
:class:`~hdnet.models.HDNet` takes nothing else. ``ImageBatch.collate`` joins batches (what a
``DataLoader`` calls), renumbering each person's image.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, Dict, List, Optional, Sequence

import torch
from torch import Tensor

from ..core.checks import check_tensor, is_tracing

__all__ = ["ImageBatch", "HDNetTargets"]


@dataclass
class HDNetTargets:
    """HDNet's training targets, one row per person (``P`` people, ``J`` joints, ``K`` bins,
    an ``h x w`` output grid)."""

    heatmap: Tensor  #: ``[P, J, h, w]`` normalised Gaussians (zero for invisible joints)
    pose: Tensor  #: ``[P, J, 2]`` joints in normalised camera coordinates
    bin_probs: Tensor  #: ``[P, K]`` two-hot depth-bin target
    bin_index: Tensor  #: ``[P]`` continuous bin index of the root depth
    vis: Tensor  #: ``[P, J]`` 1 where the joint is annotated and inside the frame
    have_depth: Tensor  #: ``[P]`` 0 for people without depth ground truth (2D-only data)

    def to(self, device) -> "HDNetTargets":
        return HDNetTargets(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    @classmethod
    def cat(cls, parts: Sequence["HDNetTargets"]) -> "HDNetTargets":
        return cls(**{f.name: torch.cat([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def __len__(self) -> int:
        return self.bin_index.shape[0]


@dataclass
class ImageBatch:
    """N framed images and the P people in them: what :class:`~hdnet.models.HDNet` takes.

    Args:
        images: ``[N, 3, H, W]`` normalised network inputs (H, W multiples of 32).
        coord_map: ``[N, 2, h, w]`` normalised camera coordinates of every output cell
            (``h, w = H / 4, W / 4``; see :func:`hdnet.camera.coord_map`).
        masks: ``[P, h, w]`` bool, each person's box on the output grid.
        batch: ``[P]`` long, the image each person is in (PyG's ``batch`` vector).
        focal: ``[P, 2]`` the focal lengths ``(fx, fy)`` the depth bins use for each person
            (:func:`~hdnet.data.transforms.bin_focal`).
        targets: the people's training targets, when training.
        meta: per-image lists (``image_id``, ``sample_index``, ``person_index``, ``camera``) that
            ride along; the model never reads them.
    """

    images: Tensor
    coord_map: Tensor
    masks: Tensor
    batch: Tensor
    focal: Tensor
    targets: Optional[HDNetTargets] = None
    meta: Dict[str, List[Any]] = field(default_factory=dict)

    @property
    def num_images(self) -> int:
        return self.images.shape[0]

    @property
    def num_people(self) -> int:
        return self.batch.shape[0]

    def validate(self) -> None:
        """Raise ``ValueError``/``TypeError`` naming the field whose shape or type does not fit."""
        check_tensor(self.images, "images", "[N, 3, H, W]", shape=(None, 3, None, None), floating=True)
        n, _, hh, ww = self.images.shape
        if hh % 32 or ww % 32:
            raise ValueError(f"images: H and W must be multiples of 32, got {(hh, ww)}")
        h, w = hh // 4, ww // 4
        check_tensor(self.coord_map, "coord_map", "[N, 2, H/4, W/4]", shape=(n, 2, h, w), floating=True)
        p = self.batch.shape[0] if torch.is_tensor(self.batch) and self.batch.dim() == 1 else -1
        check_tensor(self.batch, "batch", "[P]", shape=(p,))
        if self.batch.dtype not in (torch.long, torch.int32):
            raise TypeError(f"batch: expected an integer tensor [P], got {self.batch.dtype}")
        check_tensor(self.masks, "masks", "[P, H/4, W/4]", shape=(p, h, w))
        check_tensor(self.focal, "focal", "[P, 2]", shape=(p, 2), floating=True)
        if not is_tracing() and p > 0:
            if int(self.batch.min()) < 0 or int(self.batch.max()) >= n:
                raise ValueError(f"batch: image indices must lie in 0..{n - 1}, got {self.batch.unique().tolist()[:10]}")
            if not bool((self.focal > 0).all()) or not bool(torch.isfinite(self.focal).all()):
                raise ValueError("focal: expected finite focal lengths > 0")

    def to(self, device, channels_last: bool = False) -> "ImageBatch":
        """The tensors on ``device`` (images in channels-last memory format if asked)."""
        images = self.images.to(device)
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        return replace(self, images=images, coord_map=self.coord_map.to(device), masks=self.masks.to(device),
                       batch=self.batch.to(device), focal=self.focal.to(device),
                       targets=self.targets.to(device) if self.targets is not None else None)

    @classmethod
    def collate(cls, items: Sequence["ImageBatch"]) -> "ImageBatch":
        """One batch from several: images stacked, people concatenated, each person's ``batch``
        shifted to its image's new place, targets and meta lists joined."""
        if not items:
            raise ValueError("items: nothing to collate")
        offsets, total = [], 0
        for it in items:
            offsets.append(total)
            total += it.num_images
        with_targets = [it.targets is not None for it in items]
        if any(with_targets) and not all(with_targets):
            raise ValueError("items: some batches have targets and some do not")
        keys = set().union(*(it.meta for it in items))
        return cls(images=torch.cat([it.images for it in items]),
                   coord_map=torch.cat([it.coord_map for it in items]),
                   masks=torch.cat([it.masks for it in items]),
                   batch=torch.cat([it.batch + o for it, o in zip(items, offsets, strict=True)]),
                   focal=torch.cat([it.focal for it in items]),
                   targets=HDNetTargets.cat([it.targets for it in items]) if all(with_targets) else None,  # type: ignore[misc]
                   meta={k: sum((list(it.meta.get(k, [None] * it.num_images)) for it in items), []) for k in keys})
