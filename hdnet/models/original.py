"""Conversion of the original HDNet checkpoint (the authors' ``ckpt.pth.tar``) to hdnet names.

The original code names its parts ``fpn.*`` (ResNet under ``fpn.resnet``, laterals
``toplayer``/``flatlayer1-3``, ``smooth1-3``), ``layers_hm_{2..5}`` and ``layers_dm_{2..5}``
(the branches, ``nn.Sequential`` with an ``Upsample`` at index 3 on levels 3-5),
``out_heatmap``, ``depth_gcn.gcn_layers.{l}`` (``layer_self`` and ``layer_others`` as 1x1
``Conv1d``, ``bn``) and ``out_bins``.
"""

from __future__ import annotations

import os
import re
from typing import Dict, Optional, Union

import torch
from torch import Tensor, nn

from ..core.checkpoint import torch_load

__all__ = ["convert_original_checkpoint", "load_original_state_dict"]

_LATERAL = {"toplayer": 3, "flatlayer1": 2, "flatlayer2": 1, "flatlayer3": 0}
_SMOOTH = {"smooth1": 2, "smooth2": 1, "smooth3": 0}
# index in the original nn.Sequential -> (part, index) in hdnet's branch level
_BRANCH_L2 = {0: ("reduce", 0), 1: ("reduce", 1), 3: ("refine", 0), 4: ("refine", 1)}
_BRANCH_UP = {0: ("reduce", 0), 1: ("reduce", 1), 4: ("refine", 0), 5: ("refine", 1)}


def load_original_state_dict(checkpoint: Union[str, os.PathLike, dict]) -> Dict[str, Tensor]:
    """The original state dict from a path, a ``{"model": ...}`` dict or a state dict, with
    any ``module.`` prefix removed."""
    if isinstance(checkpoint, (str, os.PathLike)):
        if not os.path.isfile(checkpoint):
            raise FileNotFoundError(f"checkpoint: no file at {os.fspath(checkpoint)!r}")
        checkpoint = torch_load(checkpoint, "checkpoint")
    if not isinstance(checkpoint, dict):
        raise TypeError(f"checkpoint: expected a path or a dict, got {type(checkpoint).__name__}")
    state = checkpoint.get("model", checkpoint)
    if not isinstance(state, dict) or not state or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError("checkpoint: expected a state dict of tensors (or a dict with 'model')")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _rename(key: str) -> Optional[str]:
    m = re.fullmatch(r"fpn\.resnet\.(.+)", key)
    if m:
        return f"backbone.resnet.{m.group(1)}"
    m = re.fullmatch(r"fpn\.(toplayer|flatlayer\d|smooth\d)\.(weight|bias)", key)
    if m:
        name, leaf = m.groups()
        if name in _LATERAL:
            return f"backbone.lateral.{_LATERAL[name]}.{leaf}"
        if name in _SMOOTH:
            return f"backbone.smooth.{_SMOOTH[name]}.{leaf}"
        return None
    m = re.fullmatch(r"layers_(hm|dm)_([2-5])\.(\d+)\.(.+)", key)
    if m:
        kind, level, idx, leaf = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        table = _BRANCH_L2 if level == 2 else _BRANCH_UP
        if idx not in table:
            return None
        part, sub = table[idx]
        branch = "heatmap_branch" if kind == "hm" else "depth_branch"
        return f"{branch}.levels.{level - 2}.{part}.{sub}.{leaf}"
    m = re.fullmatch(r"out_heatmap\.(weight|bias)", key)
    if m:
        return f"heatmap_head.{m.group(1)}"
    m = re.fullmatch(r"depth_gcn\.gcn_layers\.(\d+)\.bn\.(.+)", key)
    if m:
        return f"gnn.norms.{m.group(1)}.{m.group(2)}"
    m = re.fullmatch(r"out_bins\.(weight|bias)", key)
    if m:
        return f"bin_head.linear.{m.group(1)}"
    return None


def convert_original_checkpoint(state_dict: Dict[str, Tensor], model: Optional[nn.Module] = None
                                ) -> Dict[str, Tensor]:
    """Original HDNet state dict -> :class:`~hdnet.models.HDNet` state dict.

    Each GNN layer's ``layer_self`` and ``layer_others`` (1x1 Conv1d weights ``[C', C, 1]``) are
    stacked into :class:`~hdnet.layers.SkeletonConv`'s single ``[2C', C]`` weight (self rows
    first), and their biases likewise.

    Args:
        state_dict: the original state dict (``module.`` prefixes are removed).
        model: when given, the result is checked against ``model.state_dict()``.

    Raises:
        KeyError: keys the converter does not know, or (with ``model``) missing or unexpected
            keys and shape mismatches, all listed.
    """
    state = {k.removeprefix("module."): v for k, v in state_dict.items()}
    out: Dict[str, Tensor] = {}
    unknown = []
    gcn: Dict[int, Dict[str, Tensor]] = {}
    for key, value in state.items():
        m = re.fullmatch(r"depth_gcn\.gcn_layers\.(\d+)\.(layer_self|layer_others)\.(weight|bias)", key)
        if m:
            gcn.setdefault(int(m.group(1)), {})[f"{m.group(2)}.{m.group(3)}"] = value
            continue
        new = _rename(key)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    for layer, parts in sorted(gcn.items()):
        need = ["layer_self.weight", "layer_others.weight", "layer_self.bias", "layer_others.bias"]
        missing = [p for p in need if p not in parts]
        if missing:
            raise KeyError(f"checkpoint: GNN layer {layer} lacks {missing}")
        out[f"gnn.convs.{layer}.weight"] = torch.cat(
            [parts["layer_self.weight"].squeeze(-1), parts["layer_others.weight"].squeeze(-1)], 0)
        out[f"gnn.convs.{layer}.bias"] = torch.cat([parts["layer_self.bias"],
                                                    parts["layer_others.bias"]], 0)
    if unknown:
        raise KeyError(f"checkpoint: keys the original HDNet does not have: {unknown[:20]}")
    if model is not None:
        own = model.state_dict()
        # the model's own description (architecture, skeleton) is not in the original file
        out.update({k: v for k, v in own.items() if k.endswith("_extra_state")})
        missing = sorted(set(own) - set(out))
        unexpected = sorted(set(out) - set(own))
        shapes = [f"{k}: {tuple(out[k].shape)} vs {tuple(own[k].shape)}"
                  for k in set(own) & set(out) if torch.is_tensor(own[k]) and out[k].shape != own[k].shape]
        if missing or unexpected or shapes:
            raise KeyError(f"checkpoint does not fit the model: missing {missing[:20]}, "
                           f"unexpected {unexpected[:20]}, shape mismatches {shapes[:20]}")
    return out
