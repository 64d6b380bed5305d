"""Training: the original recipe as defaults, configs, mixed precision, exact resume, DDP.

``Trainer(config).fit()`` trains on one process, or on many when started by ``torchrun``
(DistributedDataParallel; ``backend`` gloo on CPUs, nccl on GPUs). See docs/training.md.
"""

from __future__ import annotations

import csv
import gc
import json
import math
import os
import random
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .data import HDNetTrainingSet, collate_people
from .data.registry import build_reader
from .data.transforms import Augmentation, Preprocessing
from .layers import DepthBins
from .losses import HDNetLoss
from .models import HDNet, ResNetFPN
from .models.checkpoint import CheckpointError, check_same_architecture, read_checkpoint, save_checkpoint
from .models.hdnet import output_dict

__all__ = ["TrainConfig", "Trainer", "load_config", "build_reader", "CheckpointError",
           "TrainingError"]


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, say): the message names the step and batch."""


# ---------------------------------------------------------------------------- configuration
@dataclass
class TrainConfig:
    """Everything a training run needs. Defaults are the original HDNet recipe (Adam 1e-4,
    x0.8 every 10 epochs, the original loss weights and schedule), except the data.

    Datasets are dicts: ``{"type": "mupots" | "muco" | "h36m" | "coco", ...reader arguments}``
    (``annotation_file``/``image_root`` or ``root``/``split``/``layout``); several are mixed
    (2D-only sets have their depth terms masked).
    """

    datasets: List[Dict[str, Any]] = field(default_factory=list)
    out_dir: str = "runs/hdnet"
    skeleton: str = "h36m_17"
    input_size: int = 256
    framing: str = "principal"
    window_px: Optional[float] = None
    augment: bool = True
    aug_scale: List[float] = field(default_factory=lambda: [0.8, 1.2])
    aug_rotation_deg: float = 30.0
    aug_flip: float = 0.5
    backbone_depth: int = 50
    backbone_width: int = 64
    backbone_channels: int = 256
    backbone_weights: Optional[str] = None
    branch_channels: int = 64
    gnn_layers: int = 2
    gnn_channels: int = 256
    bins_d_min: float = 2.0
    bins_d_max: float = 8.0
    num_bins: int = 61
    bins_spacing: str = "log"
    epochs: int = 25
    max_steps: Optional[int] = None
    max_minutes: Optional[float] = None
    batch_size: int = 8
    lr: float = 1e-4
    lr_decay: float = 0.8
    lr_decay_epochs: int = 10
    lr_schedule: str = "step"
    weight_decay: float = 0.0
    grad_clip: Optional[float] = None
    amp: bool = False
    channels_last: bool = False
    freeze_bn: bool = False
    num_workers: int = 0
    #: keep every training item in memory, all made before training starts (needs
    #: ``augment = False``; with ``num_workers = 0``, where the cache lives)
    cache_items: bool = False
    seed: int = 0
    checkpoint_every: int = 0
    log_every: int = 20
    backend: Optional[str] = None
    #: ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; None: the process's GPU (``LOCAL_RANK``) if torch
    #: sees one, else the CPU
    device: Optional[str] = None
    progress: bool = True
    #: the largest fraction of training people whose depth may fall outside the bins' range
    #: (they are clamped to the end bins); above it training refuses to start
    max_depth_out_of_range: float = 0.2

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        if not isinstance(d, dict):
            raise ValueError(f"config: expected a mapping of keys to values, got {type(d).__name__}")
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"config: unknown keys {unknown}; known keys are {sorted(known)}")
        return cls(**d)

    def __post_init__(self) -> None:
        def need(ok: bool, key: str, what: str) -> None:
            if not ok:
                raise ValueError(f"{key}: expected {what}, got {getattr(self, key)!r}")
        for key in ("epochs", "batch_size", "input_size", "num_bins", "gnn_layers", "gnn_channels",
                    "branch_channels"):
            v = getattr(self, key)
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 1, key, "an int >= 1")
        need(self.max_steps is None or (isinstance(self.max_steps, int) and self.max_steps >= 1),
             "max_steps", "an int >= 1 or None")
        need(self.max_minutes is None or (isinstance(self.max_minutes, (int, float)) and self.max_minutes > 0),
             "max_minutes", "a number > 0 or None")
        need(isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr), "lr", "a number > 0")
        need(isinstance(self.datasets, list), "datasets", "a list of dataset specs")
        need(0.0 <= float(self.max_depth_out_of_range) <= 1.0, "max_depth_out_of_range", "a fraction in [0, 1]")
        if self.device is not None:
            try:
                dev = torch.device(self.device)
            except (RuntimeError, TypeError):
                dev = None
            need(dev is not None and dev.type in ("cpu", "cuda"), "device", "'cpu', 'cuda', 'cuda:N' or None")
            if dev is not None and dev.type == "cuda" and not torch.cuda.is_available():
                raise ValueError(f"device: {self.device!r} was asked for but torch sees no GPU")

    def bins(self) -> DepthBins:
        return DepthBins(self.bins_d_min, self.bins_d_max, self.num_bins, self.bins_spacing)

    def augmentation(self) -> Optional[Augmentation]:
        """The training augmentation (None with ``augment = False``)."""
        return Augmentation(scale=tuple(self.aug_scale), rotation_deg=self.aug_rotation_deg,
                            flip_prob=self.aug_flip) if self.augment else None

    def preprocessing(self) -> Preprocessing:
        """The framing the model is trained with (stored in its checkpoints)."""
        return Preprocessing(self.input_size, self.framing, self.window_px)

    def build_model(self) -> HDNet:
        backbone = ResNetFPN(self.backbone_depth, self.backbone_channels, self.backbone_weights,
                             width=self.backbone_width)
        model = HDNet(self.skeleton, self.bins(), backbone, self.branch_channels,
                      self.gnn_layers, self.gnn_channels, preprocessing=self.preprocessing())
        if self.freeze_bn:
            model.backbone.freeze_bn()
        return model


def _parse_value(text: str):
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() in ("none", "null"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def load_config(path: Optional[str] = None, overrides: Optional[List[str]] = None) -> TrainConfig:
    """A :class:`TrainConfig` from a TOML (``.toml``) or YAML (``.yaml``/``.yml``, needs PyYAML)
    or JSON file, then ``key=value`` overrides (values parsed as numbers, booleans, JSON, or
    strings)."""
    data: dict = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"config: no file at {os.fspath(path)!r}")
        if p.suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            try:
                data = tomllib.loads(p.read_text())
            except tomllib.TOMLDecodeError as e:
                raise ValueError(f"config: {p.name!r} is not valid TOML ({e})") from None
        elif p.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ModuleNotFoundError:
                raise ValueError("config: YAML needs PyYAML (pip install pyyaml); or use TOML") from None
            data = yaml.safe_load(p.read_text()) or {}
        elif p.suffix == ".json":
            try:
                data = json.loads(p.read_text())
            except json.JSONDecodeError as e:
                raise ValueError(f"config: {p.name!r} is not valid JSON ({e})") from None
        else:
            raise ValueError(f"config: expected a .toml, .yaml or .json file, got {p.name!r}")
        if not isinstance(data, dict):
            raise ValueError(f"config: {p.name!r} holds a {type(data).__name__}, not a mapping of keys to values")
        data = data.get("train", data)
        if not isinstance(data, dict):
            raise ValueError(f"config: the 'train' entry of {p.name!r} is not a mapping")
        data = dict(data)
    for item in overrides or []:
        if "=" not in item:
            raise ValueError(f"--set: expected key=value, got {item!r}")
        key, value = item.split("=", 1)
        data[key.strip()] = _parse_value(value.strip())
    return TrainConfig.from_dict(data)


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
        super().__init__(dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed,
                         drop_last=True)
        self.skip = 0

    def set_epoch(self, epoch: int, skip_batches: int = 0, batch_size: int = 1) -> None:
        super().set_epoch(epoch)
        self.skip = skip_batches * batch_size

    def __iter__(self):
        return iter(list(super().__iter__())[self.skip:])

    def __len__(self):
        return max(self.num_samples - self.skip, 0)


# ---------------------------------------------------------------------------- trainer
class Trainer:
    """Train an HDNet as configured.

    ``fit()`` runs until ``epochs``, ``max_steps`` or ``max_minutes``; ``resume=True`` continues
    from ``out_dir/last.pt`` so that the next step's loss equals an uninterrupted run's.
    Writes ``out_dir/last.pt`` (every ``checkpoint_every`` steps and at each epoch end),
    ``out_dir/log.csv`` (per epoch) and ``out_dir/steps.csv`` (per logged step), on rank 0 only.
    """

    def __init__(self, config: TrainConfig, resume: bool = False, model: Optional[HDNet] = None):
        self.cfg = config
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self._owns_group = False
        if self.distributed and not dist.is_initialized():
            backend = config.backend or ("nccl" if torch.cuda.is_available() else "gloo")
            dist.init_process_group(backend)
            self._owns_group = True
        self.rank = dist.get_rank() if self.distributed else 0
        self.world = dist.get_world_size() if self.distributed else 1
        self.device = torch.device(config.device if config.device is not None else
                                   f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
                                   if torch.cuda.is_available() else "cpu")
        self._seed_everything(config.seed)
        self.model = (model or config.build_model()).to(self.device)
        if config.channels_last:
            self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        self.loss_fn = HDNetLoss(config.num_bins)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr,
                                          weight_decay=config.weight_decay, fused=True)
        self.scheduler = torch.optim.lr_scheduler.StepLR(self.optimizer, config.lr_decay_epochs,
                                                         config.lr_decay)
        if config.lr_schedule not in ("step", "cosine"):
            raise ValueError(f"lr_schedule: expected 'step' or 'cosine', got {config.lr_schedule!r}")
        self.scaler = torch.amp.GradScaler("cuda", enabled=config.amp and self.device.type == "cuda")
        self.epoch, self.step, self.step_in_epoch = 0, 0, 0
        self.seconds = 0.0  # training time so far, resumed runs included
        self.history: List[dict] = []
        self.out = Path(config.out_dir)
        if self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
        self.train_set = self._build_data()
        self.sampler = _EpochSampler(self.train_set, config.seed, self.rank, self.world)
        if resume:
            self.load(self.out / "last.pt")
        self.ddp = (torch.nn.parallel.DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
            if self.distributed else self.model)

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _seed_everything(seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    def _build_data(self) -> Dataset:
        cfg = self.cfg
        if not cfg.datasets:
            raise ValueError("datasets: the config lists no dataset")
        sets = [HDNetTrainingSet(build_reader(spec), cfg.skeleton, self.model.bins, cfg.input_size,
                                 cfg.framing, cfg.window_px, cfg.augmentation(), seed=cfg.seed + 7919 * k,
                                 cache=cfg.cache_items)
                for k, spec in enumerate(cfg.datasets)]
        self._check_depths(sets)
        data = sets[0] if len(sets) == 1 else _Concat(sets)
        per_rank = len(data) // self.world
        if per_rank < cfg.batch_size:
            raise ValueError(f"batch_size: {cfg.batch_size} is more than the {per_rank} training items "
                             f"{'per process ' if self.world > 1 else ''}(the last incomplete batch is "
                             "dropped, so no step would run); lower batch_size or add data")
        t0 = time.time()
        #: items made before training (``cache_items``), and the seconds that took
        self.cached_items = sum(s.fill_cache() for s in sets) if cfg.cache_items else 0
        self.cache_seconds = time.time() - t0
        return data

    def _check_depths(self, sets) -> None:
        """Depth targets outside the bins are clamped to the end bins and teach nothing: say how
        many, suggest a range, and refuse above ``max_depth_out_of_range``."""
        cov = [s.depth_coverage() for s in sets]
        people = sum(c["people"] for c in cov)
        out = sum(c["out_of_range"] for c in cov)
        if not people or not out:
            return
        lo = min(c["d_min"] for c in cov if c["d_min"] is not None)
        hi = max(c["d_max"] for c in cov if c["d_max"] is not None)
        b = self.model.bins
        msg = (f"depth bins: {out} of {people} training people ({out / people:.1%}) have a normalised "
               f"depth outside the bins' [{b.d_min:g}, {b.d_max:g}] and are clamped to the end bins; "
               f"the data spans [{lo:.3g}, {hi:.3g}]: set bins_d_min = {lo / 1.1:.3g} and "
               f"bins_d_max = {hi * 1.1:.3g} (see docs/training.md)")
        if out / people > self.cfg.max_depth_out_of_range:
            raise ValueError(msg + f"; refusing to train with more than "
                             f"{self.cfg.max_depth_out_of_range:.0%} out of range (max_depth_out_of_range)")
        warnings.warn(msg, stacklevel=3)

    def _loader(self) -> DataLoader:
        return DataLoader(self.train_set, batch_size=self.cfg.batch_size, sampler=self.sampler,
                          num_workers=self.cfg.num_workers, collate_fn=collate_people,
                          drop_last=True, persistent_workers=False)

    @property
    def steps_per_epoch(self) -> int:
        return self.sampler.num_samples // self.cfg.batch_size

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> dict:
        """Everything besides the weights that an exact resume needs (plain data and tensors,
        so the checkpoint loads with ``weights_only=True``)."""
        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        return {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict(), "epoch": self.epoch, "step": self.step,
                "step_in_epoch": self.step_in_epoch, "seconds": self.seconds,
                "rng": {"torch": torch.get_rng_state(),
                        "numpy": [str(kind), torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                                  int(pos), int(has_gauss), float(gauss)],
                        "python": random.getstate()},
                "train_config": asdict(self.cfg), "history": self.history}

    def save(self, path: Optional[Path] = None) -> Optional[Path]:
        """Write the model's checkpoint with the training state (rank 0 only), atomically.
        Non-finite weights are never written."""
        if self.rank != 0:
            return None
        path = Path(path or self.out / "last.pt")
        save_checkpoint(self.model, path, training=self.training_state())
        return path

    def load(self, path: Path) -> None:
        ckpt = read_checkpoint(path, "--resume")
        training = ckpt.get("training")
        if ckpt.get("format") != "hdnet-checkpoint" or not isinstance(training, dict):
            raise CheckpointError(f"--resume: {os.fspath(path)!r} is not an hdnet training checkpoint")
        check_same_architecture(ckpt["architecture"], self.model.config(), "--resume")
        self.model.load_state_dict(ckpt["state_dict"])
        self.optimizer.load_state_dict(training["optimizer"])
        self.scheduler.load_state_dict(training["scheduler"])
        self.scaler.load_state_dict(training["scaler"])
        self.epoch, self.step = training["epoch"], training["step"]
        self.step_in_epoch = training["step_in_epoch"]
        self.seconds = float(training.get("seconds", 0.0))
        self.history = training.get("history", [])
        rng = training["rng"]
        torch.set_rng_state(rng["torch"])
        kind, keys, pos, has_gauss, gauss = rng["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
        py = rng["python"]
        random.setstate((py[0], tuple(py[1]), py[2]))

    # ------------------------------------------------------------------ one step
    def train_step(self, batch: dict) -> dict:
        cfg, dev = self.cfg, self.device
        self.ddp.train()
        if batch["index"].numel() == 0 and not self.distributed:
            # nobody in any image of the batch: nothing to learn from (under DDP every rank still
            # joins the all-reduce, with a zero loss)
            self.step += 1
            self.step_in_epoch += 1
            return {**{k: 0.0 for k in HDNetLoss.TERMS}, "total": 0.0}
        images = batch["images"].to(dev)
        if cfg.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        fx = batch["focal_bins"][batch["index"], 0].to(dev, torch.float32)
        fy = batch["focal_bins"][batch["index"], 1].to(dev, torch.float32)
        if cfg.lr_schedule == "cosine":
            for group in self.optimizer.param_groups:
                group["lr"] = self.cosine_lr()
        amp_dtype = torch.float16 if dev.type == "cuda" else torch.bfloat16
        with torch.autocast(dev.type, dtype=amp_dtype, enabled=cfg.amp):
            out = self.ddp(images, batch["coord_map"].to(dev), batch["mask"].to(dev),
                           index=batch["index"].to(dev), fx=fx, fy=fy)
        target = {k: batch[k].to(dev) for k in ("heatmap", "pose", "bins", "bin_idx", "vis", "have_depth")}
        out = {k: v.float() for k, v in output_dict(out).items()}
        losses = self.loss_fn(out, target, epoch=self.epoch)
        if not torch.isfinite(losses["total"]):
            bad = [k for k in HDNetLoss.TERMS if not torch.isfinite(losses[k])]
            raise TrainingError(f"step {self.step + 1} (epoch {self.epoch}): the loss is "
                                f"{float(losses['total'])} (non-finite terms {bad}) on the batch of "
                                f"images {list(batch.get('image_id', []))[:8]}; training stopped, "
                                "no checkpoint written from it")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(losses["total"]).backward()
        if cfg.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        self.step_in_epoch += 1
        return {k: float(v.detach()) for k, v in losses.items() if k != "weights"}

    # ------------------------------------------------------------------ the loop
    def fit(self) -> List[dict]:
        cfg = self.cfg
        start, seconds_before = time.time(), self.seconds
        steps_log = self.out / "steps.csv"
        if self.rank == 0 and not steps_log.exists():
            steps_log.write_text("step,epoch,total,heatmap,pose,bins,bin_idx,lr,seconds\n")
        stop = False
        while self.epoch < cfg.epochs and not stop:
            self.sampler.set_epoch(self.epoch, self.step_in_epoch, cfg.batch_size)
            if hasattr(self.train_set, "set_epoch"):
                self.train_set.set_epoch(self.epoch)
            loader = self._loader()
            bar = self._bar(len(loader))
            sums: Dict[str, float] = {}
            n = 0
            t_epoch = time.time()
            for batch in loader:
                losses = self.train_step(batch)
                n += 1
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + v
                if self.rank == 0:
                    if bar is not None:
                        bar.set_postfix(loss=f"{losses['total']:.4f}", refresh=False)
                        bar.update(1)
                    if cfg.log_every and self.step % cfg.log_every == 0:
                        with open(steps_log, "a") as f:
                            f.write(f"{self.step},{self.epoch},{losses['total']:.6g},{losses['heatmap']:.6g},"
                                    f"{losses['pose']:.6g},{losses['bins']:.6g},{losses['bin_idx']:.6g},"
                                    f"{self.optimizer.param_groups[0]['lr']:.3g},{time.time() - start:.1f}\n")
                    if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0:
                        self.save()
                self.seconds = seconds_before + time.time() - start
                if cfg.max_minutes:  # the clock decides (stop, cosine progress): agreed by all ranks
                    self.seconds = self._max_over_ranks(self.seconds)
                out_of_time = cfg.max_minutes is not None and cfg.max_minutes > 0 and self.seconds > 60 * cfg.max_minutes
                if (cfg.max_steps and self.step >= cfg.max_steps) or out_of_time:
                    stop = True
                    break
            if bar is not None:
                bar.close()
            epoch_done = not stop or self.step_in_epoch >= self.steps_per_epoch
            if n and self.rank == 0:
                row = {"epoch": self.epoch, "steps": n, "seconds": round(time.time() - t_epoch, 2),
                       "lr": self.optimizer.param_groups[0]["lr"], **{k: v / n for k, v in sums.items()}}
                self.history.append(row)
                self._log_epoch(row)
            if epoch_done:
                self.epoch += 1
                self.step_in_epoch = 0
                if cfg.lr_schedule == "step":
                    self.scheduler.step()
            self.save()
        if self.distributed:
            dist.barrier()  # rank 0's checkpoint is complete before any rank goes on
        return self.history

    def progress(self) -> float:
        """How far training is, 0 to 1: the furthest of steps / ``max_steps``, seconds /
        ``max_minutes`` and epochs / ``epochs``."""
        cfg = self.cfg
        p = (self.epoch + self.step_in_epoch / max(1, self.steps_per_epoch)) / cfg.epochs
        if cfg.max_steps:
            p = max(p, self.step / cfg.max_steps)
        if cfg.max_minutes:
            p = max(p, self.seconds / (60 * cfg.max_minutes))
        return min(1.0, max(0.0, p))

    def cosine_lr(self) -> float:
        """``lr_schedule = "cosine"``: ``lr (1 + cos(pi progress)) / 2``, from ``lr`` to 0 over
        the run, whichever of ``epochs``, ``max_steps`` and ``max_minutes`` ends it."""
        return self.cfg.lr * 0.5 * (1.0 + math.cos(math.pi * self.progress()))

    def _max_over_ranks(self, value: float) -> float:
        """The largest ``value`` over all ranks, on every rank.

        Clock-based decisions (``max_minutes``, a time-driven cosine schedule) must agree across
        ranks: a rank that stops while another takes one more step would leave the other
        waiting in DDP's all-reduce forever, and different learning rates would part the
        replicas' weights.
        """
        if not self.distributed:
            return float(value)
        t = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return float(t.item())

    def close(self) -> None:
        """Release the process group if this Trainer created it. Safe to call twice.

        The DistributedDataParallel wrapper goes first (``self.ddp`` becomes the plain model,
        which keeps its trained weights): its reducer holds the group, and a reducer still
        alive at interpreter exit, after the group was destroyed, aborted a gloo process in
        about 1 run in 10 here ("terminate called without an active exception"). Then a
        barrier, so that no rank tears its connections down while another still uses them.
        """
        if not self._owns_group:
            return
        self.ddp = self.model
        gc.collect()
        if dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()
        self._owns_group = False

    def __enter__(self) -> "Trainer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _bar(self, total: int):
        if self.rank != 0 or not self.cfg.progress:
            return None
        try:
            from tqdm import tqdm
        except ImportError:
            return None
        # disable=None: a bar on a terminal, nothing in a log file (the CSV logs have it all)
        return tqdm(total=total, desc=f"epoch {self.epoch}", unit="step", leave=False,
                    file=sys.stderr, dynamic_ncols=True, disable=None)

    def _log_epoch(self, row: dict) -> None:
        path = self.out / "log.csv"
        new = not path.exists()
        with open(path, "a", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(row))
            if new:
                w.writeheader()
            w.writerow(row)
        try:
            from torch.utils.tensorboard import SummaryWriter
        except Exception:
            return
        with SummaryWriter(os.fspath(self.out / "tb")) as tb:
            for k, v in row.items():
                if isinstance(v, float):
                    tb.add_scalar(f"train/{k}", v, row["epoch"])
