"""Graph convolutions by name: hdnet's own, every conv in ``torch_geometric.nn``, and yours.

A conv is anything callable as ``conv(in_channels, out_channels, **kwargs)`` that returns a
module called as ``conv(x, edge_index)``. Names let a checkpoint say which conv a model uses
without storing code:

>>> from hdnet.layers import resolve_conv
>>> factory, name = resolve_conv("GCNConv")
>>> name
'GCNConv'
"""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Dict, Optional, Tuple, Union

from torch import nn

from ..core.registry import Registry

__all__ = ["CONVS", "register_conv", "unregister_conv", "resolve_conv", "conv_name", "list_convs", "ConvSpec"]

ConvSpec = Union[None, str, Callable[..., Any]]


def _known_class(name: str) -> Optional[Callable[..., Any]]:
    """A class of ``torch_geometric.nn`` by its name, or ``module:qualname`` of an ``nn.Module``
    subclass in a module *already imported*. Nothing is imported and no other callable is
    accepted: a name from a checkpoint never runs code of its choosing."""
    import torch_geometric.nn as pygnn
    found = getattr(pygnn, name, None)
    if isinstance(found, type):
        return found
    if ":" in name:
        mod, _, attr = name.partition(":")
        obj: Any = sys.modules.get(mod)
        for part in attr.split("."):
            obj = getattr(obj, part, None) if obj is not None else None
        if isinstance(obj, type) and issubclass(obj, nn.Module):
            return obj
    return None


#: Convs by name: registered ones (``SkeletonConv`` among them), then the classes of
#: ``torch_geometric.nn`` and ``module:Class`` of modules already imported.
CONVS: Registry[Callable[..., Any]] = Registry(
    "conv", fallback=_known_class,
    hint="a class of torch_geometric.nn, or import the module that defines it first (hdnet --import "
         "MODULE, or import it in Python) and name it module:Class, or call "
         "hdnet.layers.register_conv(name, factory)")


def register_conv(name: str, factory: Callable[..., Any], overwrite: bool = False) -> Callable[..., Any]:
    """Make ``factory`` (a class or callable ``(in_channels, out_channels, **kw) -> module``)
    known as ``name``, so models using it can be saved and loaded by name.

    Raises:
        TypeError: ``factory`` is not callable, or ``name`` is not a str.
        ValueError: ``name`` holds another conv and ``overwrite`` is False.
    """
    if not callable(factory):
        raise TypeError(f"factory: expected a conv class or factory, got {type(factory).__name__}")
    return CONVS.register(name, factory, overwrite=overwrite)


def unregister_conv(name: str) -> Callable[..., Any]:
    """Remove a registered conv; returns it."""
    return CONVS.unregister(name)


def list_convs() -> list:
    """Names registered with :func:`register_conv` (PyG's convs resolve by name as well)."""
    return CONVS.names()


def conv_name(factory: Callable[..., Any]) -> Tuple[str, Dict[str, Any]]:
    """The name and keyword arguments under which ``factory`` can be found again
    (``functools.partial`` is unwrapped into its keywords).

    The name is the registered one, the class name for ``torch_geometric.nn``, or
    ``module:qualname`` otherwise.
    """
    kwargs: Dict[str, Any] = {}
    while isinstance(factory, functools.partial):
        if factory.args:
            raise ValueError("conv: a functools.partial with positional arguments cannot be "
                             "named; pass keyword arguments")
        kwargs = {**factory.keywords, **kwargs}
        factory = factory.func
    registered = CONVS.name_of(factory)
    if registered is not None:
        return registered, kwargs
    name = getattr(factory, "__name__", "")
    if name and _known_class(name) is factory:
        return name, kwargs
    return f"{getattr(factory, '__module__', '?')}:{getattr(factory, '__qualname__', type(factory).__name__)}", kwargs


def resolve_conv(spec: ConvSpec, kwargs: Optional[Dict[str, Any]] = None) -> Tuple[Callable[..., Any], str]:
    """``(factory, name)`` for a conv given by name, class or factory (None: ``SkeletonConv``).
    ``kwargs`` are bound with :func:`functools.partial`.

    Raises:
        hdnet.core.NotRegisteredError: an unknown name (the message says how to register it).
        TypeError: ``spec`` is neither a str nor callable.
    """
    if spec is None:
        spec = "SkeletonConv"
    if isinstance(spec, str):
        factory: Callable[..., Any] = CONVS.get(spec)
    elif callable(spec):
        factory = spec
    else:
        raise TypeError(f"conv: expected a name, a conv class or a factory, got {type(spec).__name__}")
    name, bound = conv_name(factory)
    bound = {**bound, **(kwargs or {})}
    return (functools.partial(factory, **bound) if bound else factory), name
