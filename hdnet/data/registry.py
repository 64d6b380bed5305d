"""Dataset layouts by name (:data:`READERS`), for configs, the CLI and your own readers.

>>> from hdnet.data import list_readers
>>> "mupots" in list_readers()
True
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from ..core.registry import Registry

__all__ = ["READERS", "register_reader", "build_reader", "list_readers", "get_reader"]

#: Reader classes by name (``{"type": NAME, ...}`` in a training config).
READERS: Registry[Callable[..., Any]] = Registry(
    "dataset type", hint="register your reader with hdnet.data.register_reader(name, cls)")


def register_reader(name: str, reader: Callable[..., Any], overwrite: bool = False) -> Callable[..., Any]:
    """Make a reader class (a :class:`~hdnet.data.ReaderBase` subclass, or any callable that
    returns one) known as ``name`` to configs (``{"type": name, ...}``) and ``hdnet eval``."""
    if not callable(reader):
        raise TypeError(f"reader: expected a reader class, got {type(reader).__name__}")
    return READERS.register(name, reader, overwrite=overwrite)


def list_readers() -> list:
    """Registered reader names, sorted."""
    return READERS.names()


def get_reader(name: str) -> Callable[..., Any]:
    """The reader class registered as ``name`` (:class:`~hdnet.core.NotRegisteredError` if none)."""
    return READERS.get(name)


def build_reader(spec: Dict[str, Any], what: str = "datasets"):
    """A reader from a spec ``{"type": NAME, **arguments}`` (see :class:`~hdnet.train.TrainConfig`)."""
    if not isinstance(spec, dict):
        raise ValueError(f"{what}: each dataset must be a mapping with a 'type', got {type(spec).__name__}")
    spec = dict(spec)
    kind = spec.pop("type", None)
    if kind is None:
        raise ValueError(f"{what}: a dataset lacks its 'type' (one of {list_readers()})")
    cls = get_reader(kind)
    try:
        return cls(**spec)
    except TypeError as e:
        raise ValueError(f"{what}: bad arguments for {kind!r}: {e}") from None
