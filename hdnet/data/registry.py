"""The one reader registry: dataset layouts by name, for configs, the CLI and your own readers.

>>> from hdnet.data import list_readers
>>> "mupots" in list_readers()
True
"""

from __future__ import annotations

from typing import Any, Callable, Dict

__all__ = ["register_reader", "build_reader", "list_readers", "get_reader"]

_READERS: Dict[str, Callable[..., Any]] = {}


def register_reader(name: str, reader: Callable[..., Any], overwrite: bool = False) -> Callable[..., Any]:
    """Make a reader class (a :class:`~hdnet.data.ReaderBase` subclass, or any callable that
    returns one) known as ``name`` to configs (``{"type": name, ...}``) and ``hdnet eval``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    if not callable(reader):
        raise TypeError(f"reader: expected a reader class, got {type(reader).__name__}")
    if name in _READERS and _READERS[name] is not reader and not overwrite:
        raise ValueError(f"reader name {name!r} is already registered; pass overwrite=True")
    _READERS[name] = reader
    return reader


def list_readers() -> list:
    """Registered reader names, sorted."""
    return sorted(_READERS)


def get_reader(name: str) -> Callable[..., Any]:
    if name not in _READERS:
        raise ValueError(f"datasets: type must be one of {list_readers()}, got {name!r}")
    return _READERS[name]


def build_reader(spec: Dict[str, Any]):
    """A reader from a spec ``{"type": NAME, **arguments}`` (see :class:`~hdnet.train.TrainConfig`)."""
    if not isinstance(spec, dict):
        raise ValueError(f"datasets: each dataset must be a mapping with a 'type', got {type(spec).__name__}")
    spec = dict(spec)
    kind = spec.pop("type", None)
    cls = get_reader(kind)
    try:
        return cls(**spec)
    except TypeError as e:
        raise ValueError(f"datasets: bad arguments for {kind!r}: {e}") from None
