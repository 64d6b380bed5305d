"""Skeleton convolution (HDNet's graph layer) on PyG message passing, and a GNN stack of it."""

from __future__ import annotations

import math
import warnings
from typing import Callable, NamedTuple, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.nn.aggr import Aggregation
from torch_geometric.utils import degree, spmm

from ..graphs import Skeleton, resolve_skeleton
from ._checks import check_tensor, is_tracing

__all__ = ["SkeletonConv", "SkeletonGNN", "GNNOutput"]

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
          ``Batch``), or a sparse CSR ``adj_t [num_nodes, num_nodes]`` with unit values, or the
          fused operator from :meth:`operator` (what :class:`SkeletonGNN` caches).
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
    def forward(self, x: Tensor, edge_index) -> Tensor:
        check_tensor(x, "x", "[num_nodes, C]", shape=(None, self.in_channels))
        n, c_out = x.shape[0], self.out_channels
        h = F.linear(x, self.weight, self.bias)  # [N, 2C']: self | neighbour
        if _is_operator(edge_index, n):
            # one sparse product does neighbours, self term and normalisation together
            return self.propagate(edge_index, x=h.reshape(2 * n, c_out), size=(2 * n, n))
        h_self, h_nb = h[:, :c_out], h[:, c_out:]
        deg = self._degree(edge_index, n, h.dtype)
        if self.normalize == "sym":
            s = (deg + 1).rsqrt()[:, None]
            agg = self.propagate(edge_index, x=(h_nb * s).contiguous(), size=(n, n))
            return h_self * (s * s) + agg * s
        agg = self.propagate(edge_index, x=h_nb.contiguous(), size=(n, n))
        if self.normalize == "sum":
            return h_self + agg
        return (h_self + agg) / (deg + 1)[:, None]

    def message(self, x_j: Tensor) -> Tensor:
        return x_j

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

    @staticmethod
    def _degree(edge_index, n: int, dtype) -> Tensor:
        if torch.is_tensor(edge_index) and edge_index.layout == torch.sparse_csr:
            crow = edge_index.crow_indices()
            return (crow[1:] - crow[:-1]).to(dtype)
        if not torch.is_tensor(edge_index) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
            raise ValueError("edge_index: expected a LongTensor [2, E] or a sparse CSR adjacency")
        return degree(edge_index[1], n, dtype=dtype)

    # ------------------------------------------------------------------ fused operator
    def operator(self, edge_index: Tensor, num_nodes: int, dtype=torch.float32) -> Tensor:
        """The fused sparse operator ``M [N, 2N]`` (CSR) of this layer on a fixed graph.

        With ``h = x W^T + b`` viewed as ``[2N, C']`` (row ``2i`` = node i's self term, row
        ``2j + 1`` = node j's neighbour term), ``M @ h`` is the layer's output. Build it once per
        graph and pass it as ``edge_index``: one matmul and one sparse product per layer.
        """
        check_tensor(edge_index, "edge_index", "[2, E]", shape=(2, None))
        ei = edge_index.to(torch.long)
        deg = degree(ei[1], num_nodes, dtype=torch.float64)
        nodes = torch.arange(num_nodes, device=ei.device)
        if self.normalize == "closed_mean":
            w_self = 1.0 / (deg + 1)
            w_nb = w_self[ei[1]]
        elif self.normalize == "sum":
            w_self = torch.ones_like(deg)
            w_nb = torch.ones(ei.shape[1], dtype=torch.float64, device=ei.device)
        else:
            w_self = 1.0 / (deg + 1)
            s = (deg + 1).rsqrt()
            w_nb = s[ei[1]] * s[ei[0]]
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
        h_self, h_nb = h[..., : self.out_channels], h[..., self.out_channels:]
        deg = adjacency.sum(-1)
        if self.normalize == "sym":
            s = (deg + 1).rsqrt()
            return h_self * (s * s)[:, None] + torch.matmul(adjacency * s[:, None] * s[None, :], h_nb)
        agg = torch.matmul(adjacency.to(h.dtype), h_nb)
        if self.normalize == "sum":
            return h_self + agg
        return (h_self + agg) / (deg + 1).to(h.dtype)[:, None]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"normalize={self.normalize!r}, bias={self.bias is not None})")


def _is_operator(edge_index, n: int) -> bool:
    return (torch.is_tensor(edge_index) and edge_index.layout == torch.sparse_csr
            and edge_index.shape[0] == n and edge_index.shape[1] == 2 * n)


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


class SkeletonGNN(nn.Module):
    r"""A stack of graph convolutions over batched skeleton graphs, with a graph readout.

    Each layer computes :math:`\mathbf{H}^{(l+1)} = \mathrm{ReLU}(\mathrm{Norm}(
    \mathrm{Conv}(\mathbf{H}^{(l)}, \mathcal{G})))` on ``B`` disjoint copies of the skeleton
    graph :math:`\mathcal{G}`; the readout pools joints per skeleton (HDNet: two
    :class:`SkeletonConv` layers of 256 channels, BatchNorm, mean readout).

    Args:
        skeleton: a :class:`~hdnet.graphs.Skeleton` or registered name.
        channels: output channels of every layer.
        num_layers: number of layers.
        conv: a factory ``conv(in_channels, out_channels) -> MessagePassing`` (default
            :class:`SkeletonConv`); any PyG conv class (``GCNConv``, ``GraphConv``,
            ``functools.partial(GATConv, heads=1)``, ...) works.
        norm: ``"batch"``, ``"layer"`` or None.
        readout: ``"mean"``, ``"max"``, ``"sum"``, or a :class:`torch_geometric.nn.aggr.Aggregation`.
        in_channels: input channels (default ``channels``).

    The batched graph is built once per batch size and device and cached; for
    :class:`SkeletonConv` layers it is the fused sparse operator (one matmul and one sparse
    product per layer). While traced (``torch.export``, ONNX export, ``torch.compile``) the
    plain batched ``edge_index`` is used instead, since sparse tensors cannot be traced.

    Shapes:
        - **x** ``[B, J, C]`` dense (the skeleton's graph), or ``[num_nodes, C]`` with
          **edge_index** ``[2, E]`` and **batch** ``[num_nodes]`` (any PyG ``Batch``, e.g. of
          different skeletons).
        - output: :class:`GNNOutput` ``(nodes [B, J, C'], graph [B, C'])``.
    """

    def __init__(self, skeleton: Union[str, Skeleton], channels: int, num_layers: int = 2,
                 conv: Optional[Callable[..., nn.Module]] = None, norm: Optional[str] = "batch",
                 readout: Union[str, Aggregation] = "mean", in_channels: Optional[int] = None):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers: expected >= 1, got {num_layers}")
        if not (isinstance(readout, Aggregation) or readout in ("mean", "max", "sum")):
            raise ValueError(f"readout: expected 'mean', 'max', 'sum' or an Aggregation, got {readout!r}")
        self.skeleton = resolve_skeleton(skeleton)
        self.channels = channels
        self.in_channels = channels if in_channels is None else in_channels
        self.num_layers = num_layers
        self.norm = norm
        factory = SkeletonConv if conv is None else conv
        self.convs = nn.ModuleList(
            factory(self.in_channels if i == 0 else channels, channels) for i in range(num_layers))
        self.norms = nn.ModuleList(_make_norm(norm, channels) for _ in range(num_layers))
        self.readout = readout
        self._graphs: dict = {}

    def reset_parameters(self) -> None:
        for conv, nrm in zip(self.convs, self.norms):
            conv.reset_parameters()
            if hasattr(nrm, "reset_parameters"):
                nrm.reset_parameters()
        if isinstance(self.readout, Aggregation):
            self.readout.reset_parameters()

    def _graph(self, layer: int, batch_size: int, device, dtype) -> Tensor:
        conv = self.convs[layer]
        # sparse CSR tensors cannot be traced (torch.export, ONNX, compile): edge_index there
        fused = isinstance(conv, SkeletonConv) and not is_tracing()
        key = (conv.normalize if fused else "edge_index", batch_size, device, dtype if fused else None)
        g = self._graphs.get(key)
        if g is None:
            ei = self.skeleton.batch_edge_index(batch_size).to(device)
            n = batch_size * self.skeleton.num_joints
            g = conv.operator(ei, n, dtype=dtype) if fused else ei
            if not is_tracing():  # a traced graph holds its own constant
                if len(self._graphs) > 32:
                    self._graphs.clear()
                self._graphs[key] = g
        return g

    def forward(self, x: Tensor, edge_index: Optional[Tensor] = None,
                batch: Optional[Tensor] = None) -> GNNOutput:
        if x.dim() == 3:
            if edge_index is not None or batch is not None:
                raise ValueError("edge_index, batch: not used with dense x [B, J, C]")
            check_tensor(x, "x", "[B, J, C]", shape=(None, self.skeleton.num_joints, self.in_channels))
            b, j = x.shape[:2]
            h = x.reshape(b * j, -1)
            dtype = torch.get_autocast_dtype(x.device.type) \
                if torch.is_autocast_enabled(x.device.type) else x.dtype
            if x.device.type == "cpu" and dtype in (torch.float16, torch.bfloat16):
                dtype = torch.float32  # see SkeletonConv.message_and_aggregate
            for i, (conv, nrm) in enumerate(zip(self.convs, self.norms)):
                h = F.relu(nrm(conv(h, self._graph(i, b, x.device, dtype))))
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
        for conv, nrm in zip(self.convs, self.norms):
            h = F.relu(nrm(conv(h, edge_index)))
        size = int(batch.max()) + 1 if batch.numel() else 0
        readout = self.readout
        if not isinstance(readout, Aggregation):
            from torch_geometric.utils import scatter
            return GNNOutput(h, scatter(h, batch, dim=0, dim_size=size, reduce=readout))
        return GNNOutput(h, readout(h, batch, dim_size=size))

    def __repr__(self) -> str:
        conv = self.convs[0].__class__.__name__
        ro = self.readout if isinstance(self.readout, str) else self.readout.__class__.__name__
        return (f"{self.__class__.__name__}(skeleton={self.skeleton.name!r}, "
                f"{self.in_channels}->{self.channels}, num_layers={self.num_layers}, conv={conv}, "
                f"norm={self.norm!r}, readout={ro!r})")
