"""What a training run needs, grouped: the task (``hdnet`` image model or ``keypoint`` model),
its ``model``, ``data`` and ``loss`` (each task's own dataclasses), and the groups every task
shares: ``optim``, ``schedule``, ``checkpoint``; then seed, device and precision.

A config file (TOML; YAML with PyYAML, or JSON) holds one table per group::

    task = "hdnet"
    [model]
    skeleton = "h36m_17"
    [data]
    datasets = [{type = "h36m", root = "data/Human36M", split = "train"}]
    [optim]
    lr = 1e-4

and ``--set group.key=value`` overrides any key (docs/training.md lists them all).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Optional

from ..core.checks import check_device
from ..core.config import ConfigBase, option
from ..core.registry import Registry

__all__ = ["TrainConfig", "OptimConfig", "ScheduleConfig", "CheckpointConfig", "TASKS", "register_task",
           "load_config", "GROUPS", "config_tables"]

#: Training tasks by name: classes with ``ModelConfig``, ``DataConfig`` and ``LossConfig``
#: dataclasses and the methods :class:`~hdnet.train.Trainer` calls (see :class:`~hdnet.train.Task`).
TASKS: Registry[type] = Registry("training task", hint="register yours with hdnet.train.register_task(cls)")


def register_task(cls: type) -> type:
    """Make a task class known by its ``name`` to configs (``task = NAME``). A class decorator."""
    for attr in ("name", "ModelConfig", "DataConfig", "LossConfig"):
        if not hasattr(cls, attr):
            raise TypeError(f"cls: a training task needs {attr!r}; {cls.__name__} has none")
    return TASKS.register(cls.name, cls, overwrite=True)  # type: ignore[attr-defined]


@dataclass
class OptimConfig(ConfigBase):
    """The optimiser (Adam by default, the original recipe's)."""

    name: str = option("adam", "`adam` or `adamw` (fused where torch can)", choices=("adam", "adamw"))
    lr: float = option(1e-4, "learning rate (the start of the schedule)", low=0, high=10, low_open=True)
    weight_decay: float = option(0.0, "weight decay (decoupled with `adamw`)", low=0, high=1)
    grad_clip: Optional[float] = option(None, "clip the gradient norm to this (none: no clipping)",
                                        kind="float", low=0, low_open=True, optional=True)


@dataclass
class ScheduleConfig(ConfigBase):
    """How long training runs and how the learning rate moves."""

    kind: str = option("step", "`step`: `lr * decay^(epoch // decay_epochs)`; `cosine`: "
                       "`lr (1 + cos(pi p)) / 2` with `p` the furthest of steps / `max_steps`, "
                       "time / `minutes` and epochs / `epochs`", choices=("step", "cosine"))
    decay: float = option(0.8, "`step`: the factor", low=0, high=1, low_open=True)
    decay_epochs: int = option(10, "`step`: every this many epochs", low=1)
    epochs: int = option(25, "stop after this many epochs", low=1, high=10**6)
    max_steps: Optional[int] = option(None, "stop after this many steps", kind="int", low=1, optional=True)
    minutes: Optional[float] = option(None, "stop after this much training time, resumed runs included",
                                      kind="float", low=0, low_open=True, high=10**7, optional=True)


@dataclass
class CheckpointConfig(ConfigBase):
    """Where the run writes, and how often."""

    out_dir: str = option("runs/hdnet", "output folder: `last.pt`, `log.csv`, `steps.csv`")
    every: int = option(0, "also write `last.pt` every this many steps (0: at each epoch end only)", low=0)
    log_every: int = option(20, "write a row of `steps.csv` every this many steps (0: never)", low=0)


GROUPS = ("model", "data", "loss", "optim", "schedule", "checkpoint")


@dataclass
class TrainConfig(ConfigBase):
    """Everything a training run needs (see the module docstring). ``model``, ``data`` and
    ``loss`` take the task's own dataclasses (or mappings of their keys)."""

    task: str = option("hdnet", "`hdnet` (the image model) or `keypoint` (the keypoint model)")
    model: Any = field(default=None)
    data: Any = field(default=None)
    loss: Any = field(default=None)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    seed: int = option(0, "weights, data order, augmentation and virtual views (reproducible)", low=0)
    device: Optional[str] = option(None, "`cpu`, `cuda` or `cuda:N`; none: the process's GPU (`LOCAL_RANK`) "
                                   "if torch sees one, else the CPU", kind="str", optional=True)
    backend: Optional[str] = option(None, "distributed backend under torchrun, `gloo` or `nccl` (none: nccl "
                                    "with GPUs, else gloo)", kind="str", optional=True, choices=("gloo", "nccl"))
    init: Optional[str] = option(None, "start from the weights of this checkpoint (a file from `hdnet train` or "
                                 "`model.save`, or `pretrained`: the shipped weights); its architecture must be the "
                                 "run's `model` settings (fine-tuning)", kind="str", optional=True)
    amp: bool = option(False, "mixed precision: bfloat16 autocast on a CPU, float16 with a gradient "
                       "scaler on CUDA")
    channels_last: bool = option(False, "channels-last memory format for the model and images")
    progress: bool = option(True, "a progress bar on a terminal")

    unknown_hint = f" (the groups {list(GROUPS)} are tables of their own)"

    def __post_init__(self) -> None:
        super().__post_init__()
        task: Any = TASKS.get(self.task)
        for group, cls in (("model", task.ModelConfig), ("data", task.DataConfig), ("loss", task.LossConfig)):
            value = getattr(self, group)
            setattr(self, group, cls() if value is None else cls.from_dict(value, group))
        for group, cls in (("optim", OptimConfig), ("schedule", ScheduleConfig), ("checkpoint", CheckpointConfig)):
            setattr(self, group, cls.from_dict(getattr(self, group), group))
        if self.device is not None:
            check_device(self.device)

    def to_dict(self) -> Dict[str, Any]:
        return {f.name: (getattr(self, f.name).to_dict() if isinstance(getattr(self, f.name), ConfigBase)
                         else getattr(self, f.name)) for f in fields(self)}


# ---------------------------------------------------------------------------- files
def _parse_value(text: str) -> Any:
    for conv in (int, float):
        try:
            v = conv(text)
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"--set: {text!r} is not a finite number")
            return v
        except ValueError as e:
            if "finite" in str(e):
                raise
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.lower() in ("none", "null"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _read_file(p: Path) -> dict:
    from ..core.files import read_json, read_text
    if p.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            return tomllib.loads(read_text(p, "config"))
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"config: {p.name!r} is not valid TOML ({e})") from None
    if p.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ModuleNotFoundError:
            raise ValueError("config: YAML needs PyYAML (pip install pyyaml); or use TOML") from None
        try:
            return yaml.safe_load(read_text(p, "config")) or {}
        except yaml.YAMLError as e:
            raise ValueError(f"config: {p.name!r} is not valid YAML ({e})") from None
    if p.suffix == ".json":
        return read_json(p, "config")
    raise ValueError(f"config: expected a .toml, .yaml or .json file, got {p.name!r}")


def load_config(path: Optional[str] = None, overrides: Optional[List[str]] = None,
                base: Optional[Dict[str, Any]] = None) -> TrainConfig:
    """A :class:`TrainConfig` from ``base`` (a mapping, e.g. a recipe's), then a TOML / YAML /
    JSON file, then ``group.key=value`` overrides (values parsed as numbers, booleans, JSON, or
    strings). Each layer replaces the keys it names."""
    data: Dict[str, Any] = json.loads(json.dumps(base)) if base else {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"config: no file at {os.fspath(path)!r}")
        loaded = _read_file(p)
        if not isinstance(loaded, dict):
            raise ValueError(f"config: {p.name!r} holds a {type(loaded).__name__}, not a mapping of keys to values")
        for key, value in loaded.items():
            if key in GROUPS and isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
    for item in overrides or []:
        if "=" not in item:
            raise ValueError(f"--set: expected group.key=value, got {item!r}")
        key, value = (t.strip() for t in item.split("=", 1))
        group, _, leaf = key.rpartition(".")
        if group:
            if group not in GROUPS:
                raise ValueError(f"--set: {key!r}: {group!r} is not a group; groups are {list(GROUPS)}")
            data.setdefault(group, {})
            if not isinstance(data[group], dict):
                raise ValueError(f"--set: {group!r} is not a table in the config")
            data[group][leaf] = _parse_value(value)
        else:
            data[key] = _parse_value(value)
    return TrainConfig.from_dict(data)


def config_tables() -> str:
    """Every training key with its default and meaning, as the Markdown docs/training.md carries
    (``python -m hdnet.train`` prints it; a test checks the docs agree)."""
    parts = ["Run settings (top level):", "", TrainConfig.markdown(), ""]
    for title, cls, prefix in (("Optimiser", OptimConfig, "optim."), ("Schedule", ScheduleConfig, "schedule."),
                               ("Checkpoints and logs", CheckpointConfig, "checkpoint.")):
        parts += [f"{title} (`[{prefix[:-1]}]`, every task):", "", cls.markdown(prefix), ""]
    for name, task in TASKS.items():
        for group in ("model", "data", "loss"):
            cls = getattr(task, f"{group.capitalize()}Config")
            parts += [f"Task `{name}`, `[{group}]`:", "", cls.markdown(f"{group}."), ""]
    return "\n".join(parts).rstrip() + "\n"
