"""A name -> :class:`Skeleton` registry, so any registered skeleton can be asked for by name."""

from __future__ import annotations

from typing import Dict, Optional, Union

from .skeleton import Skeleton

__all__ = ["get_skeleton", "list_skeletons", "register_skeleton", "unregister_skeleton",
           "resolve_skeleton"]

_REGISTRY: Dict[str, Skeleton] = {}
_ALIASES: Dict[str, str] = {}


def register_skeleton(skeleton: Skeleton, aliases=(), overwrite: bool = False) -> Skeleton:
    """Add a skeleton (and optional alias names) to the registry; returns it.

    Raises:
        TypeError: ``skeleton`` is not a :class:`Skeleton`.
        ValueError: the name or an alias is taken and ``overwrite`` is False.
    """
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton: expected a Skeleton, got {type(skeleton).__name__}")
    for name in (skeleton.name, *aliases):
        taken = name in _REGISTRY or name in _ALIASES
        if taken and not overwrite:
            raise ValueError(f"skeleton name {name!r} is already registered; pass overwrite=True")
    _REGISTRY[skeleton.name] = skeleton
    _ALIASES.pop(skeleton.name, None)
    for alias in aliases:
        _ALIASES[alias] = skeleton.name
    return skeleton


def unregister_skeleton(name: str) -> Skeleton:
    """Remove a skeleton (and its aliases) from the registry; returns it."""
    skeleton = get_skeleton(name)
    del _REGISTRY[skeleton.name]
    for alias in [a for a, target in _ALIASES.items() if target == skeleton.name]:
        del _ALIASES[alias]
    return skeleton


def get_skeleton(name: str) -> Skeleton:
    """The registered skeleton called ``name`` (or one of its aliases).

    Raises:
        KeyError: unknown name; the message lists every registered name.
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a skeleton name (str), got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise KeyError(f"unknown skeleton {name!r}; registered skeletons: {list_skeletons(True)}")
    return _REGISTRY[key]


def list_skeletons(aliases: bool = False) -> list:
    """Sorted names of the registered skeletons (with their aliases when ``aliases``)."""
    names = list(_REGISTRY)
    if aliases:
        names += list(_ALIASES)
    return sorted(names)


def resolve_skeleton(skeleton: Optional[Union[str, Skeleton]]) -> Skeleton:
    """A :class:`Skeleton` from a name or a skeleton (what layers call on their argument)."""
    if isinstance(skeleton, Skeleton):
        return skeleton
    if isinstance(skeleton, str):
        return get_skeleton(skeleton)
    raise TypeError(f"skeleton: expected a Skeleton or a registered name, got {type(skeleton).__name__}")
