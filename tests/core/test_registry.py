"""The one registry type: names, aliases, re-registration, and errors that list what exists."""

import pytest

from hdnet import Skeleton, register_skeleton
from hdnet.core import NotRegisteredError, Registry
from hdnet.data import READERS, build_reader
from hdnet.graphs import SKELETONS, get_skeleton, unregister_skeleton
from hdnet.layers import CONVS, register_conv, resolve_conv, unregister_conv


def test_register_get_alias_unregister():
    reg = Registry("thing")
    a, b = object(), object()
    assert reg.register("a", a, aliases=("alpha",)) is a
    assert reg.get("alpha") is a and "alpha" in reg and reg.names() == ["a"]
    assert reg.names(aliases=True) == ["a", "alpha"]
    assert reg.register("a", a, aliases=("alpha",)) is a  # the same again: nothing happens
    with pytest.raises(ValueError, match="'a' is already registered to another thing"):
        reg.register("a", b)
    with pytest.raises(ValueError, match="'alpha' is already registered"):
        reg.register("b", b, aliases=("alpha",))
    reg.register("a", b, overwrite=True)
    assert reg.get("a") is b
    assert reg.unregister("alpha") is b and "alpha" not in reg and len(reg) == 0
    with pytest.raises(TypeError, match="non-empty str"):
        reg.register("", a)
    with pytest.raises(TypeError, match="thing name"):
        reg.get(3)


def test_unknown_names_are_one_lookup_error_listing_the_known():
    reg = Registry("colour", hint="call register")
    reg.register("red", 1)
    with pytest.raises(NotRegisteredError) as e:
        reg.get("blue")
    assert isinstance(e.value, LookupError) and not isinstance(e.value, KeyError)
    assert str(e.value) == "unknown colour 'blue'; known: red. call register"
    assert e.value.known == ["red"] and e.value.name == "blue"
    for lookup in (lambda: get_skeleton("nope"), lambda: resolve_conv("NoSuchConv"),
                   lambda: build_reader({"type": "nope"})):
        with pytest.raises(NotRegisteredError, match="unknown .* '[Nn]o"):
            lookup()
    assert "h36m_17" in SKELETONS and "GCNConv" not in CONVS.names() and "mupots" in READERS


def test_identical_skeleton_again_is_a_no_op_a_different_one_an_error():
    sk = Skeleton("test_reg_hand", ("wrist", "thumb"), ((0, 1),), 0)
    try:
        register_skeleton(sk)
        again = Skeleton("test_reg_hand", ("wrist", "thumb"), ((0, 1),), 0)  # a notebook cell re-run
        assert register_skeleton(again) is sk
        with pytest.raises(ValueError, match="already registered"):
            register_skeleton(Skeleton("test_reg_hand", ("wrist", "index"), ((0, 1),), 0))
    finally:
        unregister_skeleton("test_reg_hand")


def test_conv_registry_round_trip():
    from torch_geometric.nn import GraphConv

    def factory(i, o):
        return GraphConv(i, o)
    register_conv("test_reg_conv", factory)
    try:
        assert register_conv("test_reg_conv", factory) is factory
        assert resolve_conv("test_reg_conv") == (factory, "test_reg_conv")
        assert resolve_conv(GraphConv)[1] == "GraphConv"
    finally:
        unregister_conv("test_reg_conv")
    with pytest.raises(NotRegisteredError, match="register_conv"):
        resolve_conv("test_reg_conv")
