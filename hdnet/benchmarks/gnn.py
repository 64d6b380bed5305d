"""Unit-benchmark any graph conv on any skeleton, against a reference in the same run.

    hdnet bench gnn --conv GCNConv --skeleton coco_19 --batch 64 --channels 256
    hdnet bench gnn --conv mypkg.layers:MyConv --baseline GraphConv --import mypkg.layers
    hdnet bench gnn --conv SAGEConv --scaling --device cuda --json gnn.json

``--conv`` / ``--baseline``: a class of ``torch_geometric.nn``, ``SkeletonConv``, a name
registered with ``hdnet.layers.register_conv``, or ``module:Class`` of a module imported with
``--import``; ``--conv-kwargs`` / ``--baseline-kwargs`` pass JSON keyword arguments (e.g.
``'{"heads": 1}'`` for GATConv). Each conv runs inside :class:`hdnet.layers.SkeletonGNN`
(conv + BatchNorm + ReLU per layer, mean readout) on batched copies of the skeleton graph.
The reference is ``--baseline`` when given, else the same equation with a dense adjacency
where hdnet knows it (SkeletonConv, GCNConv, GraphConv), checked equal before timing;
otherwise the conv is timed alone and the report says so. ``--scaling`` times batches of
1 to 1024 skeletons to show how the time grows.

Python: ``hdnet.benchmarks.gnn.run(conv=GATConv, skeleton=my_skeleton, conv_kwargs={"heads": 1})``
returns a :class:`~hdnet.benchmarks.Report`.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from ..graphs import Skeleton, list_skeletons, resolve_skeleton
from ..layers import SkeletonConv, SkeletonGNN, resolve_conv
from ._harness import (
    Report,
    Table,
    bench_parser,
    environment,
    import_modules,
    interleaved_medians,
    json_option,
    resolve_device,
)

__all__ = ["run", "main", "dense_reference"]


# dense equivalents: f(conv, x [B, J, C], a [J, J] 0/1 without self loops) -> [B, J, C']
def _dense_skeleton_conv(conv, x, a):
    return conv.forward_dense(x, a)


def _dense_gcn(conv, x, a):
    a_hat = a + torch.eye(a.shape[0], dtype=a.dtype, device=a.device)
    s = a_hat.sum(1).rsqrt()
    out = (s[:, None] * a_hat * s[None, :]) @ conv.lin(x)
    return out + conv.bias if conv.bias is not None else out


def _dense_graph_conv(conv, x, a):
    if conv.aggr != "add":
        raise NotImplementedError
    return conv.lin_rel(a @ x) + conv.lin_root(x)


def _dense_table() -> Dict[Any, Callable]:
    import torch_geometric.nn as pygnn
    return {SkeletonConv: _dense_skeleton_conv, pygnn.GCNConv: _dense_gcn,
            pygnn.GraphConv: _dense_graph_conv}


def dense_reference(gnn: SkeletonGNN) -> Optional[Callable]:
    """``x [B, J, C] -> [B, C']``: the GNN's equation with a dense adjacency, where hdnet knows
    the dense form of its conv class (matched by class, not by name); else None."""
    dense = _dense_table().get(type(gnn.convs[0]))
    if dense is None:
        return None

    def forward(x):
        a = gnn.skeleton.adjacency(self_loops=False).to(x.device, x.dtype)
        h = x
        for conv, norm in zip(gnn.convs, gnn.norms, strict=True):
            y = dense(conv, h, a)
            h = F.relu(norm(y.reshape(-1, y.shape[-1])).reshape(y.shape))
        return h.mean(1)
    return forward


def _gnn(conv, kwargs, sk: Skeleton, channels: int, layers: int, device) -> SkeletonGNN:
    return SkeletonGNN(sk, channels, num_layers=layers, conv=conv, conv_kwargs=kwargs).to(device).eval()


def _timed(fn: Callable, modules: Sequence[torch.nn.Module], x: torch.Tensor, backward: bool) -> Callable:
    if not backward:
        def forward_only():
            with torch.no_grad():
                fn(x)
        return forward_only

    def step():
        for m in modules:
            m.zero_grad(set_to_none=True)
        x.grad = None
        fn(x).sum().backward()
    return step


def run(conv: Union[str, Callable[..., Any], None] = "SkeletonConv",
        skeleton: Union[str, Skeleton] = "h36m_17", batch: int = 64, channels: int = 256,
        layers: int = 2, repeats: int = 20, conv_kwargs: Optional[dict] = None,
        backward: bool = False, baseline: Union[str, Callable[..., Any], None] = None,
        baseline_kwargs: Optional[dict] = None, device: Union[str, torch.device] = "cpu",
        scaling: Optional[Sequence[int]] = None) -> Report:
    """Time ``conv`` in a :class:`SkeletonGNN` against a reference; returns a :class:`Report`.

    Args:
        conv, baseline: a conv name, class or factory (``baseline`` None: the dense form of
            ``conv`` where known).
        skeleton: a :class:`~hdnet.graphs.Skeleton` (registered or not) or a registered name.
        batch, channels, layers: the workload; ``scaling`` replaces ``batch`` by each of its
            sizes and reports how the time grows.
        backward: time forward+backward instead of forward.
        device: ``"cpu"`` or ``"cuda"`` (timings are synchronised).
    """
    dev = resolve_device(str(device))
    sk = resolve_skeleton(skeleton)
    _, conv_label = resolve_conv(conv, conv_kwargs)
    gnn = _gnn(conv, conv_kwargs, sk, channels, layers, dev)
    ref_name: str = ""
    ref_fn: Optional[Callable] = None
    ref_modules: List[torch.nn.Module] = []
    if baseline is not None:
        _, base_label = resolve_conv(baseline, baseline_kwargs)
        base = _gnn(baseline, baseline_kwargs, sk, channels, layers, dev)
        ref_name, ref_fn, ref_modules = f"SkeletonGNN({base_label}) (baseline)", lambda x: base(x).graph, [base]
    else:
        dense = dense_reference(gnn)
        if dense is not None:
            x0 = torch.randn(2, sk.num_joints, channels, device=dev)
            with torch.no_grad():
                torch.testing.assert_close(dense(x0), gnn(x0).graph, rtol=1e-4, atol=1e-4)
            ref_name, ref_fn, ref_modules = "dense adjacency (reference)", dense, [gnn]
    what = "forward+backward" if backward else "forward"
    sizes = list(scaling) if scaling else [batch]
    rows: List[List[Any]] = []
    for b in sizes:
        x = torch.randn(b, sk.num_joints, channels, device=dev, requires_grad=backward)
        variants = [(f"SkeletonGNN({conv_label})", _timed(lambda t: gnn(t).graph, [gnn], x, backward))]
        if ref_fn is not None:
            variants.insert(0, (ref_name, _timed(ref_fn, ref_modules, x, backward)))
        t = interleaved_medians(variants, repeats)
        t_conv = t[variants[-1][0]]
        if scaling:
            row: List[Any] = [b, t_conv, 1e3 * b / t_conv]
            if ref_fn is not None:
                row += [t[ref_name], t_conv / t[ref_name]]
            rows.append(row)
        else:
            t0 = t[variants[0][0]]
            rows = [[name, ms, ms / t0] for name, ms in t.items()]
    notes = [] if ref_fn is not None else [
        f"no reference: hdnet knows no dense form of {conv_label}; pass --baseline CONV to compare"]
    title = (f"{conv_label} on {sk.name} (J={sk.num_joints}): C={channels}, {layers} layers, "
             f"{what}, {dev}")
    if scaling:
        headers = ["batch", f"{what} ms", "skeletons/s"] + (
            [f"{ref_name} ms", "time / reference"] if ref_fn is not None else [])
        if len(rows) > 1:
            grow = rows[-1][1] / rows[0][1]
            notes.append(f"time grows {grow:.1f}x from batch {rows[0][0]} to {rows[-1][0]} "
                         f"({rows[-1][0] / rows[0][0]:.0f}x the skeletons)")
        table = Table(f"Scaling: {title}", headers, rows, notes)
    else:
        table = Table(f"{title}, B={batch}", ["implementation", f"{what} ms",
                                                "time / reference" if ref_fn is not None else "ratio"],
                      rows, notes)
    summary: Dict[str, Any] = {"conv": conv_label, "skeleton": sk.name, "channels": channels,
                               "layers": layers, "backward": backward}
    if not scaling and ref_fn is not None:
        summary["time_over_reference"] = rows[-1][2]
    return Report("gnn", environment(dev), [table], summary)


def main(argv=None) -> int:
    ap = bench_parser("hdnet bench gnn", __doc__, 20, "tiny sizes and few repeats (a smoke test)")
    ap.add_argument("--conv", default="SkeletonConv", help="conv name, module:Class or registered name")
    ap.add_argument("--conv-kwargs", default="{}", help="JSON keyword arguments for the conv, e.g. '{\"heads\": 1}'")
    ap.add_argument("--baseline", help="a second conv to compare against (default: the dense form)")
    ap.add_argument("--baseline-kwargs", default="{}", help="JSON keyword arguments for the baseline")
    ap.add_argument("--skeleton", default="h36m_17", help=f"a registered skeleton: {list_skeletons()}")
    ap.add_argument("--batch", type=int, default=64, help="skeletons per batch")
    ap.add_argument("--channels", type=int, default=256, help="channels of every layer")
    ap.add_argument("--layers", type=int, default=2, help="number of layers")
    ap.add_argument("--backward", action="store_true", help="time forward+backward")
    ap.add_argument("--scaling", action="store_true", help="time batches of 1 to 1024 skeletons")
    ap.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                    help="import a module that registers skeletons or convs first")
    args = ap.parse_args(argv)
    try:
        import_modules(args.imports)
        kw, bkw = json_option(args.conv_kwargs, "--conv-kwargs"), json_option(args.baseline_kwargs, "--baseline-kwargs")
        for option, value in (("--batch", args.batch), ("--channels", args.channels), ("--layers", args.layers)):
            if value < 1:
                raise ValueError(f"{option}: expected an int >= 1, got {value}")
        batch, channels, repeats = (4, 8, 3) if args.quick else (args.batch, args.channels, args.repeats)
        scaling = None
        if args.scaling:
            scaling = [1, 4, 16] if args.quick else [1, 4, 16, 64, 256, 1024]
        report = run(args.conv, args.skeleton, batch, channels, args.layers, repeats, kw,
                     args.backward, args.baseline, bkw, args.device, scaling)
    except (ValueError, LookupError, TypeError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    report.emit(args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
