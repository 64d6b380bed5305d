"""Skeletons by name: :data:`SKELETONS`, a :class:`~hdnet.core.Registry`, and the functions
every layer calls on its ``skeleton`` argument.

Registering a skeleton that is the same as the one under its name (same joints, bones, root and
flip pairs) does nothing, so re-running a notebook cell is safe; a different skeleton under a
taken name is an error unless ``overwrite=True``.
"""

from __future__ import annotations

from typing import Iterable, Optional, Union

from ..core.registry import Registry
from .skeleton import Skeleton

__all__ = ["SKELETONS", "get_skeleton", "list_skeletons", "register_skeleton", "unregister_skeleton",
           "resolve_skeleton", "skeleton_from_dict"]

#: Every named skeleton (``hdnet.graphs.joint_sets`` registers the shipped ones).
SKELETONS: Registry[Skeleton] = Registry(
    "skeleton", same=lambda a, b: a.name == b.name and a.same_as(b),
    hint="register one with hdnet.register_skeleton(Skeleton(...))")


def register_skeleton(skeleton: Skeleton, aliases: Iterable[str] = (), overwrite: bool = False) -> Skeleton:
    """Add a skeleton (and optional alias names) to the registry; returns it.

    Raises:
        TypeError: ``skeleton`` is not a :class:`Skeleton`.
        ValueError: the name or an alias holds another skeleton and ``overwrite`` is False.
    """
    if not isinstance(skeleton, Skeleton):
        raise TypeError(f"skeleton: expected a Skeleton, got {type(skeleton).__name__}")
    return SKELETONS.register(skeleton.name, skeleton, aliases=aliases, overwrite=overwrite)


def unregister_skeleton(name: str) -> Skeleton:
    """Remove a skeleton (and its aliases) from the registry; returns it."""
    return SKELETONS.unregister(name)


def get_skeleton(name: str) -> Skeleton:
    """The registered skeleton called ``name`` (or one of its aliases).

    Raises:
        hdnet.core.NotRegisteredError: (a ``LookupError``) unknown name; the message lists every
            registered name.
    """
    return SKELETONS.get(name)


def list_skeletons(aliases: bool = False) -> list:
    """Sorted names of the registered skeletons (with their aliases when ``aliases``)."""
    return SKELETONS.names(aliases)


def resolve_skeleton(skeleton: Optional[Union[str, Skeleton]]) -> Skeleton:
    """A :class:`Skeleton` from a name or a skeleton (what layers call on their argument)."""
    if isinstance(skeleton, Skeleton):
        return skeleton
    if isinstance(skeleton, str):
        return get_skeleton(skeleton)
    raise TypeError(f"skeleton: expected a Skeleton or a registered name, got {type(skeleton).__name__}")


def skeleton_from_dict(stored: Union[str, dict]) -> Skeleton:
    """The skeleton a stored architecture holds (:meth:`Skeleton.to_dict`, or a registered name):
    the registered one when it is the same skeleton, else the stored one rebuilt (checkpoints
    of custom skeletons load where the skeleton was never registered)."""
    if isinstance(stored, str):
        return get_skeleton(stored)
    sk = Skeleton.from_dict(stored)
    registered = SKELETONS._lookup(sk.name)
    return registered if registered is not None and registered.same_as(sk) else sk
