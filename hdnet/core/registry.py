"""One registry type for everything hdnet looks up by name: skeletons, graph convs, dataset
readers, checkpointable model classes, training tasks.

A :class:`Registry` maps names (and aliases) to objects. Registering the same object again under
its name does nothing (re-running a notebook cell is safe); another object under a taken name is
an error unless ``overwrite=True``. An unknown name raises :class:`NotRegisteredError` (a
``LookupError``) whose message lists every known name.

>>> from hdnet.core.registry import Registry
>>> colours = Registry("colour")
>>> colours.register("red", (255, 0, 0), aliases=("rouge",))
(255, 0, 0)
>>> colours.get("rouge")
(255, 0, 0)
>>> colours.names()
['red']
"""

from __future__ import annotations

from typing import Callable, Dict, Generic, Iterable, Iterator, List, Optional, Tuple, TypeVar

__all__ = ["Registry", "NotRegisteredError"]

T = TypeVar("T")


class NotRegisteredError(LookupError):
    """A name no registry entry has. ``kind`` and ``name`` say what was asked for, ``known``
    lists what there is."""

    def __init__(self, kind: str, name: object, known: List[str], hint: str = ""):
        self.kind, self.name, self.known = kind, name, known
        msg = f"unknown {kind} {name!r}; known: {', '.join(known) if known else '(none)'}"
        super().__init__(msg + (f". {hint}" if hint else ""))

    def __str__(self) -> str:  # LookupError's default repr-quotes a KeyError only; keep it plain
        return str(self.args[0])


class Registry(Generic[T]):
    """Names to objects of one kind.

    Args:
        kind: what the entries are, for messages (``"skeleton"``).
        same: when two objects count as the same entry (default: identity); registering an
            object that is the same as the one under its name is a no-op.
        fallback: ``fallback(name) -> object or None``, asked for names not registered (e.g.
            the graph convs of ``torch_geometric.nn``, found by class name).
        hint: added to the message of an unknown name (how to register one).
    """

    def __init__(self, kind: str, same: Optional[Callable[[T, T], bool]] = None,
                 fallback: Optional[Callable[[str], Optional[T]]] = None, hint: str = ""):
        self.kind = kind
        self._same = same or (lambda a, b: a is b)
        self._fallback = fallback
        self._hint = hint
        self._entries: Dict[str, T] = {}
        self._aliases: Dict[str, str] = {}

    def register(self, name: str, obj: T, *, aliases: Iterable[str] = (), overwrite: bool = False) -> T:
        """Make ``obj`` known as ``name`` (and each alias); returns ``obj``.

        Raises:
            TypeError: ``name`` or an alias is not a non-empty str.
            ValueError: ``name`` or an alias stands for another object and ``overwrite`` is False.
        """
        aliases = tuple(aliases)
        for n in (name, *aliases):
            if not isinstance(n, str) or not n:
                raise TypeError(f"name: expected a non-empty str for a {self.kind}, got {n!r}")
        existing = self._lookup(name)
        if existing is not None and self._same(existing, obj) and all(self._aliases.get(a) == name for a in aliases):
            return existing  # registered already: nothing to do
        if not overwrite:
            for n in (name, *aliases):
                held = self._lookup(n)
                if held is not None and not (n == name and self._same(held, obj)):
                    raise ValueError(f"{self.kind} name {n!r} is already registered to another "
                                     f"{self.kind}; pass overwrite=True to replace it")
        self._aliases.pop(name, None)
        self._entries[name] = obj
        for alias in aliases:
            self._entries.pop(alias, None)
            self._aliases[alias] = name
        return obj

    def unregister(self, name: str) -> T:
        """Remove an entry (by its name or an alias) and its aliases; returns it."""
        key = self._aliases.get(name, name)
        if key not in self._entries:
            raise NotRegisteredError(self.kind, name, self.names(aliases=True), self._hint)
        for alias in [a for a, target in self._aliases.items() if target == key]:
            del self._aliases[alias]
        return self._entries.pop(key)

    def _lookup(self, name: str) -> Optional[T]:
        return self._entries.get(self._aliases.get(name, name))

    def get(self, name: str) -> T:
        """The object registered as ``name`` (or an alias; then the fallback).

        Raises:
            TypeError: ``name`` is not a str. NotRegisteredError: nothing answers to it.
        """
        if not isinstance(name, str):
            raise TypeError(f"name: expected a {self.kind} name (str), got {type(name).__name__}")
        found = self._lookup(name)
        if found is None and self._fallback is not None:
            found = self._fallback(name)
        if found is None:
            raise NotRegisteredError(self.kind, name, self.names(aliases=True), self._hint)
        return found

    def name_of(self, obj: T) -> Optional[str]:
        """The name ``obj`` is registered under (None if it is not)."""
        return next((n for n, o in self._entries.items() if o is obj), None)

    def names(self, aliases: bool = False) -> List[str]:
        """Sorted names (with the aliases when ``aliases``)."""
        return sorted(list(self._entries) + (list(self._aliases) if aliases else []))

    def items(self) -> Iterator[Tuple[str, T]]:
        return iter(sorted(self._entries.items()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._lookup(name) is not None

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self)} entries)"
