"""Named training recipes: the settings a documented run uses, as the plain mapping that
:func:`~hdnet.train.load_config` layers a config file and ``--set`` overrides on
(``hdnet train --recipe NAME``).

- ``reference``: the original HDNet recipe (ResNet-50-FPN, 256 px framed on the principal point,
  Adam 1e-4 x0.8 every 10 epochs, batch 8, augmentation; the defaults of every group);
- ``demo``: the synthetic demo's compact image model (ResNet-18-FPN at a quarter of the width,
  64 px person crops, batch 32, items cached, bfloat16 autocast and channels-last, Adam 2e-3
  with a cosine schedule over a time budget);
- ``keypoint``: the keypoint model on Human3.6M motion capture (``hdnet.keypoint``).

>>> from hdnet.train import load_config
>>> load_config(base=RECIPES.get("demo")(), overrides=["data.batch_size=16"]).data.batch_size
16
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ..core.registry import Registry

__all__ = ["RECIPES", "reference", "demo"]

#: Recipe functions by name; each returns a config mapping (its arguments fill in paths and budgets).
RECIPES: Registry[Callable[..., Dict[str, Any]]] = Registry("recipe")


def reference(datasets: Optional[list] = None, out_dir: str = "runs/hdnet") -> Dict[str, Any]:
    """The original HDNet recipe on ``datasets`` (reader specs)."""
    return {"task": "hdnet", "data": {"datasets": list(datasets or [])}, "checkpoint": {"out_dir": out_dir}}


def demo(datasets: Optional[list] = None, out_dir: str = "runs/demo", minutes: float = 10.0, seed: int = 0,
         framing: str = "person", input_size: int = 64, bins_range=(1.0, 2.0), quick: bool = False) -> Dict[str, Any]:
    """The demo's compact image model for a CPU budget of ``minutes`` (``quick``: 6 steps)."""
    return {"task": "hdnet", "seed": seed, "amp": True, "channels_last": True, "progress": not quick,
            "model": {"skeleton": "mupots_17", "input_size": input_size, "framing": framing, "backbone_depth": 18,
                      "backbone_width": 16, "backbone_channels": 64, "branch_channels": 16, "channels": 64,
                      "bins_d_min": float(bins_range[0]), "bins_d_max": float(bins_range[1]), "num_bins": 61},
            "data": {"datasets": list(datasets or []), "augment": False, "cache_items": True, "batch_size": 32},
            "optim": {"lr": 2e-3, "grad_clip": 5.0},
            "schedule": {"kind": "cosine", "epochs": 1000, "minutes": minutes, "max_steps": 6 if quick else None},
            "checkpoint": {"out_dir": out_dir, "log_every": 10}}


RECIPES.register("reference", reference)
RECIPES.register("demo", demo)
