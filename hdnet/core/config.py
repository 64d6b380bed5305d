"""Config dataclasses that check themselves and document themselves.

Declare every field with :func:`option` (its default, a one-line help and its range); subclass
:class:`ConfigBase`. Construction then validates every value (a ``TypeError``/``ValueError``
naming the key), :meth:`ConfigBase.from_dict` refuses unknown keys, and
:meth:`ConfigBase.table` writes the Markdown table that the docs carry (a test checks they
agree).

>>> from dataclasses import dataclass
>>> @dataclass
... class Optim(ConfigBase):
...     lr: float = option(1e-4, "learning rate", low=0, low_open=True)
>>> Optim(lr=3e-4).lr
0.0003
>>> Optim.from_dict({"lr": -1.0})
Traceback (most recent call last):
...
ValueError: lr: expected a value in (0, inf], got -1.0
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING, fields
from typing import Any, Dict, List, Optional, Sequence, Tuple, TypeVar

from .checks import check_number, check_range

__all__ = ["option", "ConfigBase"]

C = TypeVar("C", bound="ConfigBase")


def option(default: Any = MISSING, help: str = "", *, kind: Optional[str] = None, low: Optional[float] = None,
           high: Optional[float] = None, low_open: bool = False, choices: Optional[Sequence[Any]] = None,
           optional: bool = False, factory: Any = None) -> Any:
    """A config field: ``default`` (or ``factory`` for lists and dicts), ``help`` for the docs,
    and what a valid value is: ``kind`` (``"int"``, ``"float"``, ``"bool"``, ``"str"``,
    ``"range"`` for a (low, high) pair, ``"list"``, ``"dict"``; default: from the default's
    type), bounds ``low``/``high`` (``low_open``: ``low`` itself excluded), ``choices``, and
    ``optional`` (None allowed)."""
    if kind is None:
        sample = factory() if factory is not None else default
        kind = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict",
                tuple: "range"}.get(type(sample), "any")
    meta = {"help": help, "kind": kind, "low": low, "high": high, "low_open": low_open,
            "choices": tuple(choices) if choices is not None else None, "optional": optional or default is None}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class ConfigBase:
    """Validation, ``from_dict``/``to_dict`` and a docs table for :func:`option` fields."""

    #: added to the message of unknown keys
    unknown_hint = ""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            self._check_field(f, getattr(self, f.name))

    def _check_field(self, f: dataclasses.Field, value: Any) -> None:
        m = f.metadata
        name = f.name
        if not m:
            return
        if value is None:
            if not m["optional"]:
                raise TypeError(f"{name}: a value is required, got None")
            return
        kind = m["kind"]
        if kind in ("int", "float"):
            if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
                object.__setattr__(self, name, value)
            check_number(value, name, low=m["low"], high=m["high"], integer=kind == "int", low_open=m["low_open"])
        elif kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"{name}: expected true or false, got {value!r}")
        elif kind == "str":
            if not isinstance(value, str):
                raise TypeError(f"{name}: expected a string, got {value!r}")
        elif kind == "range":
            check_range(value, name, low=m["low"], high=m["high"])
            object.__setattr__(self, name, (float(value[0]), float(value[1])))
        elif kind == "list":
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{name}: expected a list, got {type(value).__name__}")
        elif kind == "dict":
            if not isinstance(value, dict):
                raise TypeError(f"{name}: expected a mapping, got {type(value).__name__}")
        if m["choices"] is not None and value not in m["choices"]:
            raise ValueError(f"{name}: expected one of {list(m['choices'])}, got {value!r}")

    @classmethod
    def from_dict(cls: type, data: Any, what: str = "config") -> Any:
        """An instance from a mapping of its keys (unknown keys refused, listing the known)."""
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ValueError(f"{what}: expected a mapping of keys to values, got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{what}: unknown keys {unknown}; known keys are {known}{getattr(cls, 'unknown_hint', '')}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{what}.{e}" if what != "config" else str(e)) from None

    def to_dict(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, ConfigBase) else list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def table(cls, prefix: str = "") -> List[Tuple[str, str, str]]:
        """``(key, default, help)`` of every field, for the docs."""
        rows = []
        for f in fields(cls):  # type: ignore[arg-type]
            if not f.metadata:  # a group of its own
                continue
            if f.default is not MISSING:
                d = f.default
            elif f.default_factory is not MISSING:  # type: ignore[misc]
                d = f.default_factory()  # type: ignore[misc]
            else:
                d = None
            shown = "none" if d is None else str(d).lower() if isinstance(d, bool) else \
                f"{list(d)}" if isinstance(d, tuple) else f"`{d}`" if isinstance(d, str) and d else \
                "(empty)" if d == "" else f"{d}"
            rows.append((f"{prefix}{f.name}", shown, f.metadata.get("help", "")))
        return rows

    @classmethod
    def markdown(cls, prefix: str = "") -> str:
        """:meth:`table` as Markdown."""
        lines = ["| key | default | meaning |", "|---|---|---|"]
        lines += [f"| `{k}` | {d} | {h} |" for k, d, h in cls.table(prefix)]
        return "\n".join(lines)
