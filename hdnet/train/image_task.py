"""The ``hdnet`` training task: the image model on dataset readers (the original recipe's
defaults)."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..core.config import ConfigBase, option
from ..data import HDNetTrainingSet, ImageBatch
from ..data.registry import build_reader
from ..data.transforms import FRAMINGS, Augmentation, Preprocessing
from ..layers import DepthBins
from ..losses import HDNetLoss
from ..models import HDNet, ResNetFPN
from ..models.hdnet import HDNetOutput
from .config import register_task
from .task import Task

__all__ = ["HDNetTask", "HDNetModelConfig", "HDNetDataConfig", "HDNetLossConfig"]


@dataclass
class HDNetModelConfig(ConfigBase):
    """The image model's architecture and input framing (stored in its checkpoints)."""

    skeleton: str = option("h36m_17", "the model's joint set; annotations are converted by joint meaning")
    input_size: int = option(256, "network input side in px (a multiple of 32)", low=32, high=4096)
    framing: str = option("principal", "`principal` (the original: a window on the principal point), `image` "
                          "(the whole image) or `person` (a crop per person)", choices=FRAMINGS)
    window_px: Optional[float] = option(None, "`principal`: the window's side in source px (none: fit the image)",
                                        kind="float", low=0, low_open=True, optional=True)
    backbone_depth: int = option(50, "ResNet depth", choices=(18, 34, 50, 101))
    backbone_width: int = option(64, "ResNet first-stage channels", low=1, high=1024)
    backbone_channels: int = option(256, "FPN channels", low=1, high=4096)
    backbone_weights: Optional[str] = option(None, "a local torchvision ResNet state dict to start from",
                                             kind="str", optional=True)
    branch_channels: int = option(64, "channels per pyramid level in each branch", low=1, high=4096)
    channels: int = option(256, "the skeleton GNN's channels", low=1, high=4096)
    num_layers: int = option(2, "the skeleton GNN's layers", low=1, high=64)
    bins_d_min: float = option(2.0, "depth bins over `Z / sqrt(fx fy)`: lowest", low=0, low_open=True)
    bins_d_max: float = option(8.0, "depth bins: highest", low=0, low_open=True)
    num_bins: int = option(61, "number of depth bins", low=2, high=4096)
    bins_spacing: str = option("log", "`log` or `linear` bins", choices=("log", "linear"))
    freeze_bn: bool = option(False, "keep the backbone's BatchNorm in eval mode")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.input_size % 32:
            raise ValueError(f"input_size: expected a multiple of 32, got {self.input_size}")
        if self.bins_d_max <= self.bins_d_min:
            raise ValueError(f"bins_d_max: expected more than bins_d_min = {self.bins_d_min}, got {self.bins_d_max}")

    def bins(self) -> DepthBins:
        return DepthBins(self.bins_d_min, self.bins_d_max, self.num_bins, self.bins_spacing)

    def preprocessing(self) -> Preprocessing:
        return Preprocessing(self.input_size, self.framing, self.window_px)


@dataclass
class HDNetDataConfig(ConfigBase):
    """The datasets and how they are fed."""

    datasets: List[Dict[str, Any]] = option(help="readers, `{type = NAME, ...arguments}` each (`mupots`, `muco`, "
                                            "`h36m`, `coco`, or registered ones); several are mixed, 2D-only sets "
                                            "with their depth terms masked", factory=list)
    batch_size: int = option(8, "items per step: images (with all their people), or person crops", low=1)
    num_workers: int = option(0, "data-loading processes", low=0, high=256)
    cache_items: bool = option(False, "keep every item in memory, all made before training (needs `augment = "
                               "false`; with `num_workers = 0`)")
    augment: bool = option(True, "scale, rotation, shift, flip (with flip pairs), colour")
    aug_scale: Tuple[float, float] = option((0.8, 1.2), "range of the crop-size factor", low=0.01, high=100)
    aug_rotation_deg: float = option(30.0, "largest rotation", low=0, high=180)
    aug_flip: float = option(0.5, "probability of a horizontal flip", low=0, high=1)
    max_depth_out_of_range: float = option(0.2, "the largest fraction of people whose depth may fall outside the "
                                           "bins (clamped to the end bins); above it training refuses to start",
                                           low=0, high=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cache_items and self.augment:
            raise ValueError("cache_items: items are only cacheable without augmentation (set augment = false)")

    def augmentation(self) -> Optional[Augmentation]:
        return Augmentation(scale=self.aug_scale, rotation_deg=self.aug_rotation_deg,
                            flip_prob=self.aug_flip) if self.augment else None


@dataclass
class HDNetLossConfig(ConfigBase):
    """:class:`~hdnet.losses.HDNetLoss`'s weights (the original's by default)."""

    heatmap_weight: float = option(10.0, "heatmap MSE, times `decay_base^(epoch / decay_epochs)`", low=0)
    pose_weight: float = option(1.0, "2D pose L1", low=0)
    bins_weight: float = option(1e-3, "bins cross-entropy, times the decay", low=0)
    bin_index_weight: float = option(1.0, "bin index L1", low=0)
    decay_base: float = option(0.5, "the decay's base", low=0, high=1, low_open=True)
    decay_epochs: float = option(10.0, "the decay's epochs", low=0, low_open=True)


class _Concat(Dataset):
    """Several training sets back to back (each keeps its own skeleton conversion)."""

    def __init__(self, sets):
        self.sets = sets
        self.offsets = np.cumsum([0] + [len(s) for s in sets])

    def __len__(self):
        return int(self.offsets[-1])

    def set_epoch(self, epoch):
        for s in self.sets:
            s.set_epoch(epoch)

    def __getitem__(self, i):
        k = int(np.searchsorted(self.offsets, i, side="right") - 1)
        return self.sets[k][i - int(self.offsets[k])]


class _EpochSampler(DistributedSampler):
    """PyTorch's DistributedSampler (a seeded permutation per epoch, split across ranks, the
    tail dropped so every rank sees as many samples) that can also start mid-epoch, which an
    exact resume needs."""

    def __init__(self, dataset, seed: int, rank: int = 0, world: int = 1):
        super().__init__(dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed, drop_last=True)
        self.skip = 0

    def set_epoch(self, epoch: int, skip_batches: int = 0, batch_size: int = 1) -> None:
        super().set_epoch(epoch)
        self.skip = skip_batches * batch_size

    def __iter__(self):
        return iter(list(super().__iter__())[self.skip:])

    def __len__(self):
        return max(self.num_samples - self.skip, 0)


@register_task
class HDNetTask(Task):
    """Train :class:`~hdnet.models.HDNet` on images from dataset readers with
    :class:`~hdnet.losses.HDNetLoss`."""

    name = "hdnet"
    ModelConfig = HDNetModelConfig
    DataConfig = HDNetDataConfig
    LossConfig = HDNetLossConfig
    terms = HDNetLoss.TERMS

    def __init__(self, config):
        super().__init__(config)
        lc = config.loss
        self.loss_fn = HDNetLoss(config.model.num_bins, lc.heatmap_weight, lc.pose_weight, lc.bins_weight,
                                 lc.bin_index_weight, lc.decay_base, lc.decay_epochs)
        self.data: Optional[Dataset] = None
        self.sampler: Optional[_EpochSampler] = None
        self.cached_items, self.cache_seconds = 0, 0.0

    def build_model(self) -> nn.Module:
        m = self.config.model
        backbone = ResNetFPN(m.backbone_depth, m.backbone_channels, weights=m.backbone_weights, width=m.backbone_width)
        model = HDNet(m.skeleton, bins=m.bins(), backbone=backbone, branch_channels=m.branch_channels,
                      num_layers=m.num_layers, channels=m.channels, preprocessing=m.preprocessing())
        if m.freeze_bn:
            model.backbone.freeze_bn()
        return model

    def prepare(self, model: nn.Module, rank: int, world: int) -> None:
        cfg, d = self.config, self.config.data
        if not d.datasets:
            raise ValueError("data.datasets: the config lists no dataset")
        prep: Preprocessing = model.preprocessing  # type: ignore[assignment]
        sets = [HDNetTrainingSet(build_reader(spec, f"data.datasets[{k}]"), model.skeleton, model.bins,  # type: ignore[arg-type]
                                 prep.input_size, prep.framing, prep.window_px, d.augmentation(),
                                 seed=cfg.seed + 7919 * k, cache=d.cache_items)
                for k, spec in enumerate(d.datasets)]
        self._check_depths(sets, model.bins)  # type: ignore[arg-type]
        data = sets[0] if len(sets) == 1 else _Concat(sets)
        per_rank = len(data) // world
        if per_rank < d.batch_size:
            raise ValueError(f"data.batch_size: {d.batch_size} is more than the {per_rank} training items "
                             f"{'per process ' if world > 1 else ''}(the last incomplete batch is dropped, so no "
                             "step would run); lower batch_size or add data")
        t0 = time.time()
        #: items made before training (``cache_items``), and the seconds that took
        self.cached_items = sum(s.fill_cache() for s in sets) if d.cache_items else 0
        self.cache_seconds = time.time() - t0
        self.data = data
        self.sampler = _EpochSampler(data, cfg.seed, rank, world)

    def _check_depths(self, sets, bins: DepthBins) -> None:
        """Depth targets outside the bins are clamped to the end bins and teach nothing: say how
        many, suggest a range, and refuse above ``max_depth_out_of_range``."""
        cov = [s.depth_coverage() for s in sets]
        people = sum(c["people"] for c in cov)
        out = sum(c["out_of_range"] for c in cov)
        if not people or not out:
            return
        lo = min(c["d_min"] for c in cov if c["d_min"] is not None)
        hi = max(c["d_max"] for c in cov if c["d_max"] is not None)
        msg = (f"depth bins: {out} of {people} training people ({out / people:.1%}) have a normalised "
               f"depth outside the bins' [{bins.d_min:g}, {bins.d_max:g}] and are clamped to the end bins; "
               f"the data spans [{lo:.3g}, {hi:.3g}]: set model.bins_d_min = {lo / 1.1:.3g} and "
               f"model.bins_d_max = {hi * 1.1:.3g} (see docs/training.md)")
        limit = self.config.data.max_depth_out_of_range
        if out / people > limit:
            raise ValueError(msg + f"; refusing to train with more than {limit:.0%} out of range "
                             "(data.max_depth_out_of_range)")
        warnings.warn(msg, stacklevel=3)

    def steps_per_epoch(self) -> int:
        assert self.sampler is not None, "prepare() first"
        return self.sampler.num_samples // self.config.data.batch_size

    def batches(self, epoch: int, skip: int) -> Iterator[ImageBatch]:
        assert self.sampler is not None and self.data is not None, "prepare() first"
        bs = self.config.data.batch_size
        self.sampler.set_epoch(epoch, skip, bs)
        if hasattr(self.data, "set_epoch"):
            self.data.set_epoch(epoch)
        return iter(DataLoader(self.data, batch_size=bs, sampler=self.sampler, num_workers=self.config.data.num_workers,
                               collate_fn=ImageBatch.collate, drop_last=True, persistent_workers=False))

    def is_empty(self, batch: ImageBatch) -> bool:
        return batch.num_people == 0

    def loss(self, model: nn.Module, batch: ImageBatch, epoch: int, device) -> Tuple[Tensor, Dict[str, Tensor]]:
        b = batch.to(device, channels_last=self.config.channels_last)
        out = model(b)
        out = HDNetOutput(*(v.float() for v in out))
        losses = self.loss_fn(out, b.targets, epoch=epoch)
        return losses["total"], {k: losses[k] for k in self.terms}

    def describe(self, batch: ImageBatch) -> str:
        return f"the batch of images {list(batch.meta.get('image_id', []))[:8]}"
