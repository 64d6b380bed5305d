"""Graph convolutions by name: hdnet's own, every conv in ``torch_geometric.nn``, and yours.

A conv is anything callable as ``conv(in_channels, out_channels, **kwargs)`` that returns a
module called as ``conv(x, edge_index)``. Names let a checkpoint say which conv a model uses
without storing code:

>>> from hdnet.layers import register_conv, resolve_conv
>>> factory, name = resolve_conv("GCNConv")
>>> name
'GCNConv'
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Dict, Optional, Tuple, Union

__all__ = ["register_conv", "unregister_conv", "resolve_conv", "conv_name", "list_convs",
           "ConvSpec"]

ConvSpec = Union[None, str, Callable[..., Any]]

_CONVS: Dict[str, Callable[..., Any]] = {}


def register_conv(name: str, factory: Callable[..., Any], overwrite: bool = False) -> Callable[..., Any]:
    """Make ``factory`` (a class or callable ``(in_channels, out_channels, **kw) -> module``)
    known as ``name``, so models using it can be saved and loaded by name.

    Raises:
        TypeError: ``factory`` is not callable, or ``name`` is not a str.
        ValueError: ``name`` is taken and ``overwrite`` is False.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    if not callable(factory):
        raise TypeError(f"factory: expected a conv class or factory, got {type(factory).__name__}")
    if name in _CONVS and _CONVS[name] is not factory and not overwrite:
        raise ValueError(f"conv name {name!r} is already registered; pass overwrite=True")
    _CONVS[name] = factory
    return factory


def unregister_conv(name: str) -> Callable[..., Any]:
    """Remove a registered conv; returns it."""
    if name not in _CONVS:
        raise KeyError(f"conv {name!r} is not registered; registered: {sorted(_CONVS)}")
    return _CONVS.pop(name)


def list_convs() -> list:
    """Names registered with :func:`register_conv` (PyG's convs resolve by name as well)."""
    return sorted(_CONVS)


def _qualified(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', type(obj).__name__)}"


def conv_name(factory: Callable[..., Any]) -> Tuple[str, Dict[str, Any]]:
    """The name and keyword arguments under which ``factory`` can be found again
    (``functools.partial`` is unwrapped into its keywords).

    The name is the registered one, the class name for ``torch_geometric.nn`` and hdnet's own
    convs, or ``module:qualname`` otherwise.
    """
    kwargs: Dict[str, Any] = {}
    while isinstance(factory, functools.partial):
        if factory.args:
            raise ValueError("conv: a functools.partial with positional arguments cannot be "
                             "named; pass keyword arguments")
        kwargs = {**factory.keywords, **kwargs}
        factory = factory.func
    for name, f in _CONVS.items():
        if f is factory:
            return name, kwargs
    from . import skeleton_conv
    if factory is skeleton_conv.SkeletonConv:
        return "SkeletonConv", kwargs
    import torch_geometric.nn as pygnn
    name = getattr(factory, "__name__", "")
    if name and getattr(pygnn, name, None) is factory:
        return name, kwargs
    return _qualified(factory), kwargs


def resolve_conv(spec: ConvSpec, kwargs: Optional[Dict[str, Any]] = None
                 ) -> Tuple[Callable[..., Any], str]:
    """``(factory, name)`` for a conv given by name, class or factory (None: SkeletonConv).

    A name is looked up among the registered convs, hdnet's ``SkeletonConv``, the classes of
    ``torch_geometric.nn``, and ``module:qualname`` of an ``nn.Module`` subclass in a module
    *already imported* (nothing is imported here, and no other callable is accepted: a name
    from a checkpoint never runs code of its choosing). ``kwargs`` are bound with
    :func:`functools.partial`.

    Raises:
        ValueError: an unknown name (the message says how to register it).
        TypeError: ``spec`` is neither a str nor callable.
    """
    from .skeleton_conv import SkeletonConv
    if spec is None:
        factory: Callable[..., Any] = SkeletonConv
    elif isinstance(spec, str):
        factory = _lookup(spec)
    elif callable(spec):
        factory = spec
    else:
        raise TypeError(f"conv: expected a name, a conv class or a factory, got {type(spec).__name__}")
    name, bound = conv_name(factory)
    bound = {**bound, **(kwargs or {})}
    return (functools.partial(factory, **bound) if bound else factory), name


def _lookup(name: str) -> Callable[..., Any]:
    if name in _CONVS:
        return _CONVS[name]
    from .skeleton_conv import SkeletonConv
    if name == "SkeletonConv":
        return SkeletonConv
    import torch_geometric.nn as pygnn
    found = getattr(pygnn, name, None)
    if isinstance(found, type):
        return found
    if ":" in name:
        mod, _, attr = name.partition(":")
        obj: Any = sys.modules.get(mod)
        for part in attr.split("."):
            obj = getattr(obj, part, None) if obj is not None else None
        import torch.nn as nn
        if isinstance(obj, type) and issubclass(obj, nn.Module):  # a module class, never any callable
            return obj
    raise ValueError(f"conv: {name!r} is neither registered nor a class of torch_geometric.nn; "
                     "import the module that defines it first (hdnet --import MODULE, or import "
                     "it in Python) or call hdnet.layers.register_conv(name, factory)")
