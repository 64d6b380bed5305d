"""Input checks shared by the layers: clear errors that name the argument."""

from __future__ import annotations

from typing import Optional, Sequence

import torch


def is_tracing() -> bool:
    """True while torch.jit tracing, torch.compile or torch.export traces the code."""
    if torch.jit.is_tracing() or torch.jit.is_scripting():
        return True
    compiler = getattr(torch, "compiler", None)
    if compiler is None:
        return False
    exporting = getattr(compiler, "is_exporting", None)  # non-strict torch.export (ONNX uses it)
    return bool(compiler.is_compiling() or (exporting is not None and exporting()))


def check_tensor(t, name: str, expected: str, ndim: Optional[int] = None,
                 shape: Optional[Sequence[Optional[int]]] = None, floating: bool = False) -> None:
    """Raise TypeError/ValueError naming ``name`` unless ``t`` is a tensor of the expected form.

    ``shape`` may hold None for free axes. ``expected`` is the shape as written in docs
    (e.g. ``"[P, J, H, W]"``) and goes into the message.
    """
    if not torch.is_tensor(t):
        raise TypeError(f"{name}: expected a tensor {expected}, got {type(t).__name__}")
    if ndim is not None and t.dim() != ndim:
        raise ValueError(f"{name}: expected shape {expected}, got {tuple(t.shape)}")
    if shape is not None:
        ok = t.dim() == len(shape) and all(s is None or s == d for s, d in zip(shape, t.shape))
        if not ok:
            want = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
            raise ValueError(f"{name}: expected shape {expected} = {want}, got {tuple(t.shape)}")
    if floating and not t.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got {t.dtype}")
