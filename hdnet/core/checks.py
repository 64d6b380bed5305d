"""Input checks shared by every floor: clear errors that name the argument."""

from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np
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


def as_tensor(x, **kwargs) -> torch.Tensor:
    """``torch.as_tensor(x, **kwargs)`` for any numpy view too: torch cannot wrap a negative
    stride (a reversed array), so a numpy array is first made C-ordered (a copy only where it is
    not)."""
    if isinstance(x, np.ndarray):
        x = np.asarray(x, order="C")
    return torch.as_tensor(x, **kwargs)


def check_device(device, name: str = "device") -> torch.device:
    """``device`` (``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a :class:`torch.device`) as a device this
    process can use; a ``ValueError`` naming ``name`` for any other, for CUDA where torch sees no
    GPU, and for a GPU number past the ones it sees.

    >>> check_device("cpu")
    device(type='cpu')
    """
    try:
        dev = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, TypeError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda"):
        raise ValueError(f"{name}: expected 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{name}: {str(device)!r} was asked for but torch sees no GPU "
                             f"(torch {torch.__version__})")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}: {str(device)!r} was asked for but torch sees "
                             f"{torch.cuda.device_count()} GPU(s), numbered from 0")
    return dev


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
        ok = t.dim() == len(shape) and all(s is None or s == d for s, d in zip(shape, t.shape, strict=True))
        if not ok:
            want = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
            raise ValueError(f"{name}: expected shape {expected} = {want}, got {tuple(t.shape)}")
    if floating and not t.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got {t.dtype}")


def check_number(value, name: str, *, low: Optional[float] = None, high: Optional[float] = None,
                 integer: bool = False, low_open: bool = False, allow_none: bool = False) -> None:
    """Raise TypeError/ValueError naming ``name`` unless ``value`` is a finite number (an int
    when ``integer``; bools are neither) in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    if value is None and allow_none:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or (not integer and value != value):
        want = "an int" if integer else "a number"
        raise TypeError(f"{name}: expected {want}, got {value!r}")
    if not integer and value in (float("inf"), float("-inf")):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name}: expected a value in {'(' if low_open else '['}{lo}, {hi}], got {value!r}")


def check_range(value, name: str, *, low: Optional[float] = None, high: Optional[float] = None) -> None:
    """Raise unless ``value`` is a ``(low, high)`` pair of numbers with ``low <= high``, both in
    ``[low, high]``."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name}: expected a (low, high) pair, got {value!r}")
    for v in value:
        check_number(v, name, low=low, high=high)
    if value[0] > value[1]:
        raise ValueError(f"{name}: expected low <= high, got {tuple(value)}")


def select_names(found: Sequence[str], wanted: Optional[Sequence[str]], option: str, where: str) -> List[str]:
    """The names of ``found`` that are ``wanted`` (all of them for None), in ``found``'s order;
    a ``ValueError`` naming ``option`` lists the wanted names that are not there, and what is."""
    if wanted is None:
        return list(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise ValueError(f"{option}: {missing} are not in {where} (found {list(found)})")
    return [n for n in found if n in wanted]
