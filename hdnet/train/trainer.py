"""One trainer for every task: optimiser, schedule, precision, checkpoints, exact resume,
logging and DistributedDataParallel. A :class:`~hdnet.train.Task` gives the model, the batches
and the loss."""

from __future__ import annotations

import csv
import gc
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from ..core.checkpoint import CheckpointError, check_same_architecture, read_checkpoint, save_checkpoint
from .config import TASKS, TrainConfig
from .task import Task

__all__ = ["Trainer", "TrainingError"]


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, say): the message names the step and batch."""


class Trainer:
    """Train the model of ``config.task`` as configured.

    ``fit()`` runs until ``schedule.epochs``, ``schedule.max_steps`` or ``schedule.minutes``;
    ``resume=True`` continues from ``OUT/last.pt`` so that the next step's loss equals an
    uninterrupted run's. Writes ``OUT/last.pt`` (every ``checkpoint.every`` steps and at each
    epoch end), ``OUT/log.csv`` (per epoch) and ``OUT/steps.csv`` (per logged step), on rank 0
    only. Under ``torchrun`` it trains with DistributedDataParallel (gloo on CPUs, nccl on GPUs).

    Args:
        config: a :class:`~hdnet.train.TrainConfig`.
        resume: continue from ``OUT/last.pt``.
        model: train this model instead of a new one from ``config.model``.
        task: use this task object instead of a new one of ``config.task``.
        on_log: called on rank 0 with each row written to ``steps.csv`` (``step``, ``epoch``, the
            loss terms, ``lr``, ``seconds``), e.g. to print progress.
    """

    def __init__(self, config: TrainConfig, resume: bool = False, model: Optional[nn.Module] = None,
                 task: Optional[Task] = None, on_log: Optional[Callable[[dict], None]] = None):
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config: expected a TrainConfig, got {type(config).__name__}")
        self.cfg = config
        self.on_log = on_log
        self.distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        self._owns_group = False
        if self.distributed and not dist.is_initialized():
            dist.init_process_group(config.backend or ("nccl" if torch.cuda.is_available() else "gloo"))
            self._owns_group = True
        self.rank = dist.get_rank() if self.distributed else 0
        self.world = dist.get_world_size() if self.distributed else 1
        self.device = torch.device(config.device if config.device is not None else
                                   f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
                                   if torch.cuda.is_available() else "cpu")
        self._seed_everything(config.seed)
        self.task: Task = task if task is not None else TASKS.get(config.task)(config)
        self.model = (model if model is not None else self.task.build_model()).to(self.device)
        if config.init and not resume:
            self._start_from(config.init)
        if config.channels_last:
            self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        opt = torch.optim.AdamW if config.optim.name == "adamw" else torch.optim.Adam
        self.optimizer = opt(self.model.parameters(), lr=config.optim.lr, weight_decay=config.optim.weight_decay,
                             fused=True)
        self.scaler = torch.amp.GradScaler("cuda", enabled=config.amp and self.device.type == "cuda")
        self.epoch, self.step, self.step_in_epoch = 0, 0, 0
        self.seconds = 0.0  # training time so far, resumed runs included
        self.history: List[dict] = []
        self.out = Path(config.checkpoint.out_dir)
        if self.rank == 0:
            self.out.mkdir(parents=True, exist_ok=True)
        self.task.prepare(self.model, self.rank, self.world)
        if resume:
            self.load(self.out / "last.pt")
        self.ddp: nn.Module = (torch.nn.parallel.DistributedDataParallel(
            self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
            if self.distributed else self.model)

    def _start_from(self, source: str) -> None:
        """Load the weights of checkpoint ``source`` (or the model class's shipped weights for
        ``"pretrained"``) into the freshly built model; another architecture is an error that
        names every setting that differs."""
        from ..core.checkpoint import CheckpointError, load_model, pretrained_request
        cls = type(self.model)
        request = pretrained_request(source)
        if request is not None:
            if not hasattr(cls, "pretrained"):
                raise ValueError(f"init: {cls.__name__} ships no weights; give a checkpoint file")
            start = cls.pretrained(**request)  # type: ignore[attr-defined]
        else:
            start = load_model(source)
        if type(start) is not cls:
            raise ValueError(f"init: {source!r} holds a {type(start).__name__}; this run trains a {cls.__name__}")
        try:
            self.model.load_weights_from(start)  # type: ignore[operator]
        except CheckpointError as e:
            raise CheckpointError(f"init: {source!r} does not fit the run's model settings (set model.* to "
                                  f"match): {e}") from None

    @staticmethod
    def _seed_everything(seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)

    @property
    def steps_per_epoch(self) -> int:
        return self.task.steps_per_epoch()

    # ------------------------------------------------------------------ the schedule
    def progress(self) -> float:
        """How far training is, 0 to 1: the furthest of steps / ``max_steps``, seconds /
        ``minutes`` and epochs / ``epochs``."""
        s = self.cfg.schedule
        p = (self.epoch + self.step_in_epoch / max(1, self.steps_per_epoch)) / s.epochs
        if s.max_steps:
            p = max(p, self.step / s.max_steps)
        if s.minutes:
            p = max(p, self.seconds / (60 * s.minutes))
        return min(1.0, max(0.0, p))

    def lr(self) -> float:
        """The learning rate of the next step: ``lr * decay^(epoch // decay_epochs)`` (``step``)
        or ``lr (1 + cos(pi progress)) / 2`` (``cosine``, from ``lr`` to 0 over the run)."""
        s, base = self.cfg.schedule, self.cfg.optim.lr
        if s.kind == "cosine":
            return base * 0.5 * (1.0 + math.cos(math.pi * self.progress()))
        return base * s.decay ** (self.epoch // s.decay_epochs)

    # ------------------------------------------------------------------ checkpoints
    def training_state(self) -> dict:
        """Everything besides the weights that an exact resume needs (plain data and tensors,
        so the checkpoint loads with ``weights_only=True``)."""
        kind, keys, pos, has_gauss, gauss = np.random.get_state()
        return {"optimizer": self.optimizer.state_dict(), "scaler": self.scaler.state_dict(),
                "epoch": self.epoch, "step": self.step, "step_in_epoch": self.step_in_epoch,
                "seconds": self.seconds, "task": self.task.state(),
                "rng": {"torch": torch.get_rng_state(),
                        "numpy": [str(kind), torch.from_numpy(np.asarray(keys, dtype=np.int64)),
                                  int(pos), int(has_gauss), float(gauss)],
                        "python": random.getstate()},
                "train_config": self.cfg.to_dict(), "history": self.history}

    def save(self, path: Optional[Path] = None) -> Optional[Path]:
        """Write the model's checkpoint with the training state (rank 0 only), atomically.
        Non-finite weights are never written."""
        if self.rank != 0:
            return None
        path = Path(path or self.out / "last.pt")
        save_checkpoint(self.model, path, training=self.training_state())
        return path

    def load(self, path: Path) -> None:
        """Continue from a training checkpoint (``--resume``)."""
        ckpt = read_checkpoint(path, "--resume")
        training = ckpt.get("training")
        if ckpt.get("format") != "hdnet-checkpoint" or not isinstance(training, dict) or ckpt.get("checksum") is None:
            raise CheckpointError(f"--resume: {os.fspath(path)!r} is not an hdnet training checkpoint")
        check_same_architecture(ckpt["architecture"], self.model.config(), "--resume",  # type: ignore[operator]
                                defaults=getattr(type(self.model), "config_defaults", None))
        try:
            self.model.load_state_dict(ckpt["state_dict"])
            self.optimizer.load_state_dict(training["optimizer"])
            self.scaler.load_state_dict(training["scaler"])
            self.epoch, self.step = int(training["epoch"]), int(training["step"])
            self.step_in_epoch = int(training["step_in_epoch"])
            self.seconds = float(training.get("seconds", 0.0))
            self.history = list(training.get("history", []))
            self.task.load_state(training.get("task"))
            rng = training["rng"]
            torch.set_rng_state(rng["torch"])
            kind, keys, pos, has_gauss, gauss = rng["numpy"]
            np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
            py = rng["python"]
            random.setstate((py[0], tuple(py[1]), py[2]))
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise CheckpointError(f"--resume: {os.fspath(path)!r} holds a training state this run cannot take "
                                  f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None

    # ------------------------------------------------------------------ one step
    def train_step(self, batch) -> Dict[str, float]:
        """One optimiser step on ``batch``; returns the loss terms as floats."""
        cfg = self.cfg
        self.ddp.train()
        if self.task.is_empty(batch) and not self.distributed:
            # nothing to learn from (under DDP every rank still joins the all-reduce)
            self.step += 1
            self.step_in_epoch += 1
            return {k: 0.0 for k in ("total", *self.task.terms)}
        lr = self.lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        dev = self.device
        amp_dtype = torch.float16 if dev.type == "cuda" else torch.bfloat16
        with torch.autocast(dev.type, dtype=amp_dtype, enabled=cfg.amp):
            total, terms = self.task.loss(self.ddp, batch, self.epoch, dev)
        if not bool(torch.isfinite(total)):
            bad = [k for k, v in terms.items() if not bool(torch.isfinite(v).all())]
            raise TrainingError(f"step {self.step + 1} (epoch {self.epoch}): the loss is {float(total)} "
                                f"(non-finite terms {bad}) on {self.task.describe(batch) or 'this batch'}; "
                                "training stopped, no checkpoint written from it")
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(total).backward()
        if cfg.optim.grad_clip:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.optim.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.step += 1
        self.step_in_epoch += 1
        return {"total": float(total.detach()), **{k: float(v.detach()) for k, v in terms.items()}}

    # ------------------------------------------------------------------ the loop
    def fit(self) -> List[dict]:
        """Train until the schedule ends; returns the per-epoch history."""
        cfg = self.cfg
        start, seconds_before = time.time(), self.seconds
        steps_log = self.out / "steps.csv"
        columns = ["total", *self.task.terms]
        if self.rank == 0 and not steps_log.exists():
            steps_log.write_text(",".join(["step", "epoch", *columns, "lr", "seconds"]) + "\n")
        stop = False
        s = cfg.schedule
        while self.epoch < s.epochs and not stop:
            bar = self._bar(self.steps_per_epoch - self.step_in_epoch)
            sums: Dict[str, float] = {}
            n = 0
            t_epoch = time.time()
            for batch in self.task.batches(self.epoch, self.step_in_epoch):
                lr = self.lr()
                losses = self.train_step(batch)
                n += 1
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + v
                if self.rank == 0:
                    if bar is not None:
                        bar.set_postfix(loss=f"{losses['total']:.4f}", refresh=False)
                        bar.update(1)
                    if cfg.checkpoint.log_every and self.step % cfg.checkpoint.log_every == 0:
                        row = {"step": self.step, "epoch": self.epoch, **{k: losses.get(k, 0.0) for k in columns},
                               "lr": lr, "seconds": round(time.time() - start, 1)}
                        with open(steps_log, "a") as f:
                            f.write(",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row.values()) + "\n")
                        if self.on_log is not None:
                            self.on_log(row)
                    if cfg.checkpoint.every and self.step % cfg.checkpoint.every == 0:
                        self.save()
                self.seconds = seconds_before + time.time() - start
                if s.minutes:  # the clock decides (stop, cosine progress): agreed by all ranks
                    self.seconds = self._max_over_ranks(self.seconds)
                out_of_time = s.minutes is not None and self.seconds > 60 * s.minutes
                if (s.max_steps and self.step >= s.max_steps) or out_of_time:
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
            if stop or self.epoch >= s.epochs:
                if self.rank == 0:
                    self.task.finish(self.model)
            self.save()
        if self.distributed:
            dist.barrier()  # rank 0's checkpoint is complete before any rank goes on
        return self.history

    def _max_over_ranks(self, value: float) -> float:
        """The largest ``value`` over all ranks, on every rank.

        Clock-based decisions (``minutes``, a time-driven cosine schedule) must agree across
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
        which keeps its trained weights): its reducer holds the group and must be gone before the
        group is. Then a barrier, so that no rank tears its connections down while another still
        uses them.
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
