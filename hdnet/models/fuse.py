"""Inference-time folding of BatchNorm into the convolution before it.

In eval mode a BatchNorm is a fixed per-channel affine map, so ``BN(conv(x))`` is one
convolution with rescaled weights and a shifted bias:

.. math::
    W' = W \\cdot \\frac{\\gamma}{\\sqrt{\\sigma^2 + \\epsilon}}, \\qquad
    b' = (b - \\mu) \\frac{\\gamma}{\\sqrt{\\sigma^2 + \\epsilon}} + \\beta

:func:`fold_batchnorm` does this for every ``Conv2d`` followed by a ``BatchNorm2d`` in a model
(consecutive in an ``nn.Sequential``, or ``convN`` / ``bnN`` attribute pairs as in ResNet
blocks), replacing each folded BatchNorm by ``nn.Identity``. Equal to the unfolded model in eval
mode to float rounding (tested); the folded model is for inference only.
"""

from __future__ import annotations

import copy
import re

import torch
from torch import nn

__all__ = ["fold_batchnorm", "fold_conv_bn"]


@torch.no_grad()
def fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A new ``Conv2d`` equal to ``bn(conv(x))`` with ``bn`` in eval mode."""
    if not isinstance(conv, nn.Conv2d) or not isinstance(bn, nn.BatchNorm2d):
        raise TypeError(f"conv, bn: expected Conv2d and BatchNorm2d, got {type(conv).__name__}, {type(bn).__name__}")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn: a BatchNorm without running statistics cannot be folded")
    fused = copy.deepcopy(conv)
    scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(bn.running_var + bn.eps)
    shift = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
    fused.weight.copy_(conv.weight * scale.reshape(-1, *([1] * (conv.weight.dim() - 1))))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias = nn.Parameter((bias - bn.running_mean) * scale + shift)
    return fused


def fold_batchnorm(model: nn.Module, inplace: bool = False) -> nn.Module:
    """``model`` with every Conv2d + BatchNorm2d pair folded (a copy unless ``inplace``), in
    eval mode. Returns the folded model; counts the folds in ``model.folded_batchnorms``."""
    m = model if inplace else copy.deepcopy(model)
    m.eval()
    count = 0
    for module in list(m.modules()):
        if isinstance(module, nn.Sequential):
            names = list(module._modules)
            for a, b in zip(names, names[1:], strict=False):
                conv, bn = module._modules[a], module._modules[b]
                if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                    module._modules[a] = fold_conv_bn(conv, bn)
                    module._modules[b] = nn.Identity()
                    count += 1
        for name, child in list(module._modules.items()):
            match = re.fullmatch(r"bn(\d*)", name)
            if match and isinstance(child, nn.BatchNorm2d):
                partner = module._modules.get(f"conv{match.group(1)}")
                if isinstance(partner, nn.Conv2d):
                    module._modules[f"conv{match.group(1)}"] = fold_conv_bn(partner, child)
                    module._modules[name] = nn.Identity()
                    count += 1
    m.folded_batchnorms = count  # type: ignore[assignment]
    return m
