"""Unit-benchmark any PyG conv on any registered skeleton.

    python -m benchmarks.gnn --conv GCNConv --skeleton coco_19 --batch 64 --channels 256

``--conv`` is a class name in ``torch_geometric.nn``, ``SkeletonConv``, or an import path
(``package.module:Class`` or ``package.module.Class``) of your own layer; ``--conv-kwargs``
passes JSON keyword arguments (e.g. ``'{"heads": 1}'`` for GATConv). The layer runs inside
:class:`hdnet.layers.SkeletonGNN` (conv + BatchNorm + ReLU per layer, mean readout) on
batched copies of the skeleton graph. Where a dense equivalent is known (SkeletonConv,
GCNConv, GraphConv), it is checked to give the same output and timed beside it.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import statistics
import sys

import torch
import torch.nn.functional as F

from hdnet.graphs import get_skeleton, list_skeletons
from hdnet.layers import SkeletonConv, SkeletonGNN

from ._harness import environment, median_ms, table


def resolve_conv(name: str):
    """A conv class from a name in torch_geometric.nn, 'SkeletonConv', or an import path."""
    if name == "SkeletonConv":
        return SkeletonConv
    import torch_geometric.nn as pygnn
    if hasattr(pygnn, name):
        return getattr(pygnn, name)
    if ":" in name:
        mod, _, attr = name.partition(":")
    elif "." in name:
        mod, _, attr = name.rpartition(".")
    else:
        raise ValueError(f"--conv: {name!r} is not in torch_geometric.nn; give an import path "
                         "like 'mypkg.layers:MyConv'")
    try:
        return getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"--conv: cannot import {name!r}: {e}") from None


# dense equivalents: f(conv, x [B, J, C], a [J, J] 0/1 without self loops) -> [B, J, C']
def _dense_skeleton_conv(conv, x, a):
    return conv.forward_dense(x, a)


def _dense_gcn(conv, x, a):
    a_hat = a + torch.eye(a.shape[0])
    s = a_hat.sum(1).rsqrt()
    out = (s[:, None] * a_hat * s[None, :]) @ conv.lin(x)
    return out + conv.bias if conv.bias is not None else out


def _dense_graph_conv(conv, x, a):
    if conv.aggr != "add":
        raise NotImplementedError
    return conv.lin_rel(a @ x) + conv.lin_root(x)


DENSE = {"SkeletonConv": _dense_skeleton_conv, "GCNConv": _dense_gcn, "GraphConv": _dense_graph_conv}


def dense_forward(gnn: SkeletonGNN, dense_conv, a, x):
    h = x
    for conv, norm in zip(gnn.convs, gnn.norms):
        y = dense_conv(conv, h, a)
        h = F.relu(norm(y.reshape(-1, y.shape[-1])).reshape(y.shape))
    return h.mean(1)


def run(conv: str, skeleton: str, batch: int, channels: int, layers: int = 2, repeats: int = 20,
        conv_kwargs: dict | None = None, backward: bool = False) -> str:
    cls = resolve_conv(conv)
    factory = functools.partial(cls, **(conv_kwargs or {}))
    sk = get_skeleton(skeleton)
    gnn = SkeletonGNN(sk, channels, num_layers=layers, conv=factory).eval()
    x = torch.randn(batch, sk.num_joints, channels, requires_grad=backward)
    a = sk.adjacency(self_loops=False)
    dense = DENSE.get(getattr(cls, "__name__", ""))
    variants = [(f"SkeletonGNN({cls.__name__})", lambda: gnn(x).graph)]
    if dense is not None:
        with torch.no_grad():
            torch.testing.assert_close(dense_forward(gnn, dense, a, x), gnn(x).graph,
                                       rtol=1e-4, atol=1e-4)
        variants.insert(0, ("dense adjacency (reference)", lambda: dense_forward(gnn, dense, a, x)))

    def timed(fn):
        if not backward:
            with torch.no_grad():
                return median_ms(fn, repeats)
        def step():
            gnn.zero_grad(set_to_none=True)
            x.grad = None
            fn().sum().backward()
        return median_ms(step, repeats)

    times = {name: [] for name, _ in variants}
    for _ in range(3):  # interleaved rounds
        for name, fn in variants:
            times[name].append(timed(fn))
    t0 = statistics.median(times[variants[0][0]])
    rows = [[n, statistics.median(t), statistics.median(t) / t0] for n, t in times.items()]
    what = "forward+backward" if backward else "forward"
    return table(["implementation", f"{what} ms", "ratio"], rows,
                 f"{conv} on {skeleton}: B={batch}, C={channels}, {layers} layers, {what}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gnn", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conv", default="SkeletonConv", help="conv class name or import path")
    ap.add_argument("--conv-kwargs", default="{}", help="JSON keyword arguments for the conv")
    ap.add_argument("--skeleton", default="h36m_17", help=f"one of {list_skeletons()}")
    ap.add_argument("--batch", type=int, default=64, help="skeletons per batch")
    ap.add_argument("--channels", type=int, default=256, help="channels of every layer")
    ap.add_argument("--layers", type=int, default=2, help="number of layers")
    ap.add_argument("--repeats", type=int, default=20, help="timed runs per round (median)")
    ap.add_argument("--backward", action="store_true", help="time forward+backward")
    args = ap.parse_args(argv)
    try:
        kwargs = json.loads(args.conv_kwargs)
        print(f"# {environment()}")
        print(run(args.conv, args.skeleton, args.batch, args.channels, args.layers, args.repeats,
                  kwargs, args.backward))
    except (ValueError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
