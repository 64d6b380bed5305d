"""Skeleton convolution (HDNet's graph layer) on PyG message passing, and a GNN stack of it."""

from __future__ import annotations

import math
import warnings
from typing import Any, Dict, NamedTuple, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.aggr import Aggregation
from torch_geometric.utils import degree, spmm

from ..core.checkpoint import Checkpointable
from ..core.checks import check_tensor, is_tracing
from ..graphs import Skeleton, resolve_skeleton, skeleton_from_dict
from .conv_registry import CONVS, resolve_conv

__all__ = ["SkeletonConv", "SkeletonGNN", "GNNOutput", "closed_neighbourhood_weights"]

_NORMALIZE = ("closed_mean", "sum", "sym")


class SkeletonConv(MessagePassing):
    r"""HDNet's skeleton graph convolution: separate weights for a joint and its neighbours.

    For node :math:`i` with bone neighbours :math:`\mathcal{N}(i)` and degree :math:`d_i`:

    .. math::
        \mathbf{h}_i' = \frac{1}{d_i + 1}\Big(\mathbf{W}_s \mathbf{h}_i + \mathbf{b}_s
            + \sum_{j \in \mathcal{N}(i)} (\mathbf{W}_o \mathbf{h}_j + \mathbf{b}_o)\Big)

    (``normalize="closed_mean"``, the original: a row-normalised adjacency with self loops
    whose diagonal uses :math:`\mathbf{W}_s` and off-diagonal :math:`\mathbf{W}_o`, biases
    included as written). ``"sum"`` drops the division; ``"sym"`` weights the self term by
    :math:`1/(d_i+1)` and neighbour :math:`j` by :math:`1/\sqrt{(d_i+1)(d_j+1)}`.

    Both weight matrices live in one ``[2 * out_channels, in_channels]`` parameter (rows
    ``:out`` are :math:`\mathbf{W}_s`, rows ``out:`` are :math:`\mathbf{W}_o`) so one matmul
    computes both.

    Args:
        in_channels: input channels C.
        out_channels: output channels C'.
        normalize: ``"closed_mean"`` (default), ``"sum"`` or ``"sym"``.
        bias: learn :math:`\mathbf{b}_s, \mathbf{b}_o`.
        **kwargs: passed to :class:`torch_geometric.nn.MessagePassing`.

    Shapes:
        - **x** ``[num_nodes, C]``.
        - **edge_index** ``[2, E]`` (both directions of every bone, any PyG graph or
          ``Batch``), or a sparse CSR ``adj_t [num_nodes, num_nodes]`` with unit values; or,
          keyword-only, **operator**: the fused operator from :meth:`operator` (what
          :class:`SkeletonGNN` caches).
        - output ``[num_nodes, C']``.
    """

    def __init__(self, in_channels: int, out_channels: int, normalize: str = "closed_mean",
                 bias: bool = True, **kwargs):
        kwargs.setdefault("aggr", "add")
        super().__init__(**kwargs)
        if normalize not in _NORMALIZE:
            raise ValueError(f"normalize: expected one of {_NORMALIZE}, got {normalize!r}")
        if in_channels <= 0 or out_channels <= 0:
            raise ValueError(f"in_channels, out_channels: expected positive sizes, got "
                             f"{(in_channels, out_channels)}")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.normalize = normalize
        self.weight = nn.Parameter(torch.empty(2 * out_channels, in_channels))
        self.bias = nn.Parameter(torch.empty(2 * out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        bound = 1.0 / math.sqrt(self.in_channels)  # nn.Linear's default, for each half
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    # views on the two halves, for reading and for checkpoint conversion
    @property
    def weight_self(self) -> Tensor:
        return self.weight[: self.out_channels]

    @property
    def weight_neighbor(self) -> Tensor:
        return self.weight[self.out_channels:]

    # ------------------------------------------------------------------ forward
    def forward(self, x: Tensor, edge_index: Optional[Tensor] = None, *,
                operator: Optional[Tensor] = None) -> Tensor:
        """``x [num_nodes, C]`` on a graph: ``edge_index [2, E]`` (or a sparse CSR adjacency
        ``[N, N]``), or the fused ``operator`` from :meth:`operator` (keyword-only)."""
        check_tensor(x, "x", "[num_nodes, C]", shape=(None, self.in_channels))
        n, c_out = x.shape[0], self.out_channels
        h = F.linear(x, self.weight, self.bias)  # [N, 2C']: self | neighbour
        if operator is not None:
            if edge_index is not None:
                raise ValueError("edge_index, operator: pass one of them, not both")
            if not (torch.is_tensor(operator) and operator.layout == torch.sparse_csr
                    and tuple(operator.shape) == (n, 2 * n)):
                raise ValueError(f"operator: expected the sparse CSR [{n}, {2 * n}] from "
                                 "SkeletonConv.operator()")
            # one sparse product does neighbours, self term and normalisation together
            return self.propagate(operator, x=h.reshape(2 * n, c_out), edge_weight=None,
                                  size=(2 * n, n))
        if edge_index is None:
            raise ValueError("edge_index: required (or pass operator=)")
        ei = _as_edge_index(edge_index, n)
        deg = degree(ei[1], n, dtype=h.dtype)
        w_self, w_nb = closed_neighbourhood_weights(self.normalize, deg, deg[ei[1]], deg[ei[0]])
        agg = self.propagate(ei, x=h[:, c_out:], edge_weight=w_nb, size=(n, n))
        return h[:, :c_out] * w_self[:, None] + agg

    def message(self, x_j: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        return x_j if edge_weight is None else x_j * edge_weight[:, None]

    def message_and_aggregate(self, adj_t, x: Tensor) -> Tensor:
        if x.device.type == "cpu" and (x.dtype in (torch.float16, torch.bfloat16)
                                       or torch.is_autocast_enabled("cpu")):
            # CPU sparse kernels have no half types: accumulate in float32, outside autocast
            with torch.autocast("cpu", enabled=False):
                out = spmm(adj_t.to(torch.float32), x.float(), reduce="sum")
            return out.to(x.dtype)
        if adj_t.dtype != x.dtype:
            adj_t = adj_t.to(x.dtype)
        return spmm(adj_t, x, reduce="sum")

    # ------------------------------------------------------------------ fused operator
    def operator(self, edge_index: Tensor, num_nodes: int, dtype=torch.float32) -> Tensor:
        """The fused sparse operator ``M [N, 2N]`` (CSR) of this layer on a fixed graph.

        With ``h = x W^T + b`` viewed as ``[2N, C']`` (row ``2i`` = node i's self term, row
        ``2j + 1`` = node j's neighbour term), ``M @ h`` is the layer's output. Build it once per
        graph and pass it as ``operator=``: one matmul and one sparse product per layer.
        """
        check_tensor(edge_index, "edge_index", "[2, E]", shape=(2, None))
        ei = edge_index.to(torch.long)
        deg = degree(ei[1], num_nodes, dtype=torch.float64)
        w_self, w_nb = closed_neighbourhood_weights(self.normalize, deg, deg[ei[1]], deg[ei[0]])
        nodes = torch.arange(num_nodes, device=ei.device)
        rows = torch.cat([nodes, ei[1]])
        cols = torch.cat([2 * nodes, 2 * ei[0] + 1])
        vals = torch.cat([w_self, w_nb]).to(dtype)
        coo = torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (num_nodes, 2 * num_nodes),
                                      check_invariants=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
            return coo.coalesce().to_sparse_csr()

    def forward_dense(self, x: Tensor, adjacency: Tensor) -> Tensor:
        """The same layer on dense input ``x [B, J, C]`` with a bone adjacency ``[J, J]``
        (0/1, no self loops): plain matmuls, for export paths without sparse ops."""
        check_tensor(x, "x", "[B, J, C]", shape=(None, None, self.in_channels))
        h = F.linear(x, self.weight, self.bias)
        a = adjacency.to(h.dtype)
        deg = a.sum(-1)
        w_self, w_nb = closed_neighbourhood_weights(self.normalize, deg, deg[:, None], deg[None, :])
        return h[..., : self.out_channels] * w_self[:, None] + torch.matmul(a * w_nb, h[..., self.out_channels:])

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, normalize={self.normalize!r}, "
                f"bias={self.bias is not None}")

    def __repr__(self) -> str:  # MessagePassing defines its own; use extra_repr's
        return f"{self.__class__.__name__}({self.extra_repr()})"


CONVS.register("SkeletonConv", SkeletonConv)


def closed_neighbourhood_weights(normalize: str, deg: Tensor, deg_target: Tensor,
                                 deg_source: Tensor) -> Tuple[Tensor, Tensor]:
    r"""The weights of :class:`SkeletonConv`'s normalisation, used by all of its paths.

    For node :math:`i` with :math:`d_i` bone neighbours, the self term is weighted by
    :math:`w_i` and the message from neighbour :math:`j` by :math:`w_{ij}`:

    - ``"closed_mean"``: :math:`w_i = w_{ij} = 1 / (d_i + 1)`;
    - ``"sum"``: :math:`w_i = w_{ij} = 1`;
    - ``"sym"``: :math:`w_i = 1 / (d_i + 1)`, :math:`w_{ij} = 1 / \sqrt{(d_i + 1)(d_j + 1)}`.

    Args:
        deg: ``[N]`` degrees (for the self weights).
        deg_target, deg_source: degrees of each message's target ``i`` and source ``j``, any
            broadcastable shape (``[E]`` per edge, ``[J, 1]`` and ``[1, J]`` for a matrix).

    Returns:
        ``(w_self [N], w_neighbour)`` in the broadcast shape of the two degree arguments.
    """
    if normalize == "sum":
        return torch.ones_like(deg), torch.ones_like(deg_target * deg_source)
    w_self = 1.0 / (deg + 1)
    if normalize == "closed_mean":
        return w_self, (1.0 / (deg_target + 1)) * torch.ones_like(deg_source)
    if normalize == "sym":
        return w_self, ((deg_target + 1) * (deg_source + 1)).rsqrt()
    raise ValueError(f"normalize: expected one of {_NORMALIZE}, got {normalize!r}")


def _as_edge_index(edge_index, n: int) -> Tensor:
    """``edge_index [2, E]`` from itself or a sparse CSR adjacency ``[N, N]`` (row = target)."""
    if torch.is_tensor(edge_index) and edge_index.layout == torch.sparse_csr:
        if tuple(edge_index.shape) != (n, n):
            raise ValueError(f"edge_index: a sparse adjacency must be [{n}, {n}], got "
                             f"{tuple(edge_index.shape)} (pass the fused operator as operator=)")
        crow = edge_index.crow_indices()
        target = torch.repeat_interleave(torch.arange(n, device=crow.device), crow[1:] - crow[:-1])
        return torch.stack([edge_index.col_indices().long(), target])
    if not torch.is_tensor(edge_index) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError("edge_index: expected a LongTensor [2, E] or a sparse CSR adjacency")
    return edge_index


class GNNOutput(NamedTuple):
    """What :class:`SkeletonGNN` returns."""

    nodes: Tensor  #: per-joint features ``[B, J, C']`` (``[num_nodes, C']`` for sparse input)
    graph: Tensor  #: readout ``[B, C']``


def _make_norm(norm: Optional[str], channels: int) -> nn.Module:
    if norm is None or norm == "none":
        return nn.Identity()
    if norm == "batch":
        return nn.BatchNorm1d(channels)
    if norm == "layer":
        return nn.LayerNorm(channels)
    raise ValueError(f"norm: expected 'batch', 'layer' or None, got {norm!r}")


class SkeletonGNN(Checkpointable, nn.Module):
    r"""A stack of graph convolutions over batched skeleton graphs, with a graph readout.

    Each layer computes :math:`\mathbf{H}^{(l+1)} = \mathrm{ReLU}(\mathrm{Norm}(
    \mathrm{Conv}(\mathbf{H}^{(l)}, \mathcal{G})))` on ``B`` disjoint copies of the skeleton
    graph :math:`\mathcal{G}`; the readout pools joints per skeleton (HDNet: two
    :class:`SkeletonConv` layers of 256 channels, BatchNorm, mean readout).

    Args:
        skeleton: a :class:`~hdnet.graphs.Skeleton` or registered name.
        channels: output channels of every layer.
        num_layers: number of layers.
        conv: the conv: None (:class:`SkeletonConv`), a name (``"GCNConv"``, any class of
            ``torch_geometric.nn``, or one registered with
            :func:`~hdnet.layers.register_conv`), or a class / factory callable as
            ``conv(in_channels, out_channels)`` returning a module called as
            ``conv(x, edge_index)`` (e.g. ``functools.partial(GATConv, heads=1)``).
        conv_kwargs: keyword arguments for every conv (stored in checkpoints with its name).
        norm: ``"batch"``, ``"layer"`` or None.
        readout: ``"mean"``, ``"max"``, ``"sum"``, or a :class:`torch_geometric.nn.aggr.Aggregation`.
        in_channels: input channels (default ``channels``).

    The batched graph is built once per batch size and device and cached; for
    :class:`SkeletonConv` layers it is the fused sparse operator (one matmul and one sparse
    product per layer). While traced (``torch.export``, ONNX export, ``torch.compile``) the
    plain batched ``edge_index`` is used instead, since sparse tensors cannot be traced.

    The architecture, skeleton included, travels with the weights: :meth:`state_dict` holds it
    (as ``_extra_state``), so loading the weights of a GNN on another skeleton raises an error
    naming the difference; :meth:`save` and :meth:`from_checkpoint` work on a GNN alone.

    Shapes:
        - **x** ``[B, J, C]`` dense (the skeleton's graph), or ``[num_nodes, C]`` with
          **edge_index** ``[2, E]`` and **batch** ``[num_nodes]`` (any PyG ``Batch``, e.g. of
          different skeletons).
        - output: :class:`GNNOutput` ``(nodes [B, J, C'], graph [B, C'])``; ``B = 0`` gives
          empty outputs.
    """

    def __init__(self, skeleton: Union[str, Skeleton], channels: int, *, num_layers: int = 2,
                 conv: Any = None, norm: Optional[str] = "batch",
                 readout: Union[str, Aggregation] = "mean", in_channels: Optional[int] = None,
                 conv_kwargs: Optional[Dict[str, Any]] = None):
        super().__init__()
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"num_layers: expected an int >= 1, got {num_layers!r}")
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels: expected an int >= 1, got {channels!r}")
        if not (isinstance(readout, Aggregation) or readout in ("mean", "max", "sum")):
            raise ValueError(f"readout: expected 'mean', 'max', 'sum' or an Aggregation, got {readout!r}")
        self.skeleton = resolve_skeleton(skeleton)
        self.channels = channels
        self.in_channels = channels if in_channels is None else in_channels
        self.num_layers = num_layers
        self.norm = norm
        factory, self.conv_name = resolve_conv(conv, conv_kwargs)
        self.conv_kwargs = dict(getattr(factory, "keywords", None) or {})
        self.convs = nn.ModuleList(self._make_conv(factory, self.in_channels if i == 0 else channels)
                                   for i in range(num_layers))
        self.norms = nn.ModuleList(_make_norm(norm, channels) for _ in range(num_layers))
        self.readout = readout
        self._graphs: dict = {}

    def _make_conv(self, factory, in_channels: int) -> nn.Module:
        try:
            conv = factory(in_channels, self.channels)
        except TypeError as e:
            raise TypeError(f"conv: must be callable as conv(in_channels, out_channels); "
                            f"{self.conv_name}({in_channels}, {self.channels}) failed: {e}") from None
        if not isinstance(conv, nn.Module):
            raise TypeError(f"conv: {self.conv_name}(in_channels, out_channels) must return an "
                            f"nn.Module, got {type(conv).__name__}")
        if torch.get_default_device().type == "meta":
            return conv  # built to read shapes only (checkpoint loading): nothing to run
        # one call on the skeleton's own graph: the output width must be `channels`
        x = torch.zeros(self.skeleton.num_joints, in_channels)
        was_training = conv.training
        try:
            with torch.no_grad():
                out = conv.eval()(x, self.skeleton.edge_index())
        except Exception as e:
            raise ValueError(f"conv: {self.conv_name} cannot run as conv(x [J, {in_channels}], "
                             f"edge_index [2, E]): {type(e).__name__}: {e}") from None
        finally:
            conv.train(was_training)
        if not torch.is_tensor(out) or tuple(out.shape) != (self.skeleton.num_joints, self.channels):
            got = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
            raise ValueError(f"conv: {self.conv_name}({in_channels}, {self.channels}) must output "
                             f"[num_nodes, {self.channels}], got {got} (e.g. GATConv needs "
                             "heads=1 or concat=False)")
        return conv

    def reset_parameters(self) -> None:
        for conv, nrm in zip(self.convs, self.norms, strict=True):
            conv.reset_parameters()  # type: ignore[operator]
            if hasattr(nrm, "reset_parameters"):
                nrm.reset_parameters()  # type: ignore[operator]
        if isinstance(self.readout, Aggregation):
            self.readout.reset_parameters()

    # ------------------------------------------------------------------ checkpoints
    config_limits = {"channels": (1, 65536), "in_channels": (1, 65536), "num_layers": (1, 256)}

    def config(self) -> dict:
        ro = self.readout if isinstance(self.readout, str) else type(self.readout).__name__
        return {"skeleton": self.skeleton.to_dict(), "channels": self.channels, "in_channels": self.in_channels,
                "num_layers": self.num_layers, "conv": self.conv_name, "conv_kwargs": dict(self.conv_kwargs),
                "norm": self.norm, "readout": ro}

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[dict] = None) -> "SkeletonGNN":
        readout = config.get("readout", "mean")
        if readout not in ("mean", "max", "sum"):
            import torch_geometric.nn.aggr as aggr
            found = getattr(aggr, str(readout), None)
            if not (isinstance(found, type) and issubclass(found, Aggregation)):
                raise ValueError(f"readout: {readout!r} is not an aggregation of torch_geometric.nn.aggr")
            readout = found()
        try:
            return cls(skeleton_from_dict(config["skeleton"]), config["channels"], num_layers=config["num_layers"],
                       conv=config.get("conv"), conv_kwargs=config.get("conv_kwargs") or None,
                       norm=config.get("norm", "batch"), readout=readout, in_channels=config.get("in_channels"))
        except KeyError as e:
            raise ValueError(f"architecture: the stored config lacks {e}") from None

    def __getstate__(self) -> dict:
        # the cached graph operators are rebuilt on demand; sparse CSR tensors cannot be
        # deep-copied or pickled, so copies (``copy.deepcopy``, ``fold_batchnorm``) start empty
        state = self.__dict__.copy()
        state["_graphs"] = {}
        return state

    # ------------------------------------------------------------------ forward
    def _graph(self, layer: int, batch_size: int, device, dtype) -> Tensor:
        conv = self.convs[layer]
        if is_tracing():
            # sparse CSR tensors cannot be traced (torch.export, ONNX, compile), and the batch
            # size may be symbolic (a dynamic number of people): a plain edge_index, built with
            # tensor ops and never cached
            ei = self.skeleton.edge_index().to(device)
            offsets = torch.arange(batch_size, device=device) * self.skeleton.num_joints
            return (ei[:, None, :] + offsets[None, :, None]).reshape(2, -1)
        fused = isinstance(conv, SkeletonConv)
        key = (conv.normalize if fused else "edge_index", batch_size, device, dtype if fused else None)
        g = self._graphs.get(key)
        if g is None:
            ei = self.skeleton.batch_edge_index(batch_size).to(device)
            n = batch_size * self.skeleton.num_joints
            g = conv.operator(ei, n, dtype=dtype) if fused else ei  # type: ignore[operator]
            if len(self._graphs) > 32:
                self._graphs.clear()
            self._graphs[key] = g
        return g

    def _layer(self, i: int, h: Tensor, graph: Tensor) -> Tensor:
        conv = self.convs[i]
        if graph.layout == torch.sparse_csr:
            return conv(h, operator=graph)
        return conv(h, graph)

    def forward(self, x: Tensor, edge_index: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> GNNOutput:
        if x.dim() == 3:
            if edge_index is not None or batch is not None:
                raise ValueError("edge_index, batch: not used with dense x [B, J, C]")
            check_tensor(x, "x", "[B, J, C]", shape=(None, self.skeleton.num_joints, self.in_channels))
            b, j = x.shape[:2]
            if b == 0 and not is_tracing():
                empty = x.new_zeros(0, j, self.channels)
                return GNNOutput(empty, x.new_zeros(0, self.channels))
            h = x.reshape(b * j, -1)
            dtype = torch.get_autocast_dtype(x.device.type) \
                if torch.is_autocast_enabled(x.device.type) else x.dtype
            if x.device.type == "cpu" and dtype in (torch.float16, torch.bfloat16):
                dtype = torch.float32  # see SkeletonConv.message_and_aggregate
            for i, nrm in enumerate(self.norms):
                h = F.relu(nrm(self._layer(i, h, self._graph(i, b, x.device, dtype))))
            nodes = h.reshape(b, j, -1)
            if isinstance(self.readout, Aggregation):
                idx = torch.arange(b, device=x.device).repeat_interleave(j)
                return GNNOutput(nodes, self.readout(h, idx, dim_size=b))
            if self.readout == "mean":
                return GNNOutput(nodes, nodes.mean(dim=1))
            if self.readout == "sum":
                return GNNOutput(nodes, nodes.sum(dim=1))
            return GNNOutput(nodes, nodes.amax(dim=1))
        check_tensor(x, "x", "[num_nodes, C] (with edge_index and batch) or [B, J, C]",
                     shape=(None, self.in_channels))
        if edge_index is None:
            raise ValueError("edge_index: required for sparse input x [num_nodes, C]")
        if batch is None:
            batch = x.new_zeros(x.shape[0], dtype=torch.long)
        h = x
        for i, nrm in enumerate(self.norms):
            h = F.relu(nrm(self._layer(i, h, edge_index)))
        size = int(batch.max()) + 1 if batch.numel() else 0
        readout = self.readout
        if not isinstance(readout, Aggregation):
            from torch_geometric.utils import scatter
            return GNNOutput(h, scatter(h, batch, dim=0, dim_size=size, reduce=readout))
        return GNNOutput(h, readout(h, batch, dim_size=size))

    def extra_repr(self) -> str:
        ro = self.readout if isinstance(self.readout, str) else self.readout.__class__.__name__
        return (f"skeleton={self.skeleton.name!r}, {self.in_channels}->{self.channels}, "
                f"num_layers={self.num_layers}, conv={self.conv_name}, norm={self.norm!r}, "
                f"readout={ro!r}")
