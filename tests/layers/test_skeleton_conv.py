import functools

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.data import Batch
from torch_geometric.nn import GATConv, GCNConv, GraphConv
from torch_geometric.nn.aggr import MaxAggregation, SumAggregation

from hdnet.graphs import get_skeleton
from hdnet.layers import SkeletonConv, SkeletonGNN

SKELETONS = ["h36m_17", "mupots_17", "coco_19", "smpl_24", "halpe_26"]


def dense_reference(x, conv, sk, normalize):
    """The layer's equation written with dense matrices, independent of the message passing."""
    ws, wo = conv.weight[: conv.out_channels], conv.weight[conv.out_channels:]
    bs, bo = conv.bias[: conv.out_channels], conv.bias[conv.out_channels:]
    a = torch.zeros(sk.num_joints, sk.num_joints, dtype=x.dtype)
    for i, j in sk.bones:
        a[i, j] = a[j, i] = 1
    d = a.sum(1)
    hs, ho = x @ ws.t() + bs, x @ wo.t() + bo
    if normalize == "closed_mean":
        return (hs + a @ ho) / (d + 1)[:, None]
    if normalize == "sum":
        return hs + a @ ho
    s = 1 / torch.sqrt(d + 1)
    return hs / (d + 1)[:, None] + (s[:, None] * a * s[None, :]) @ ho


@pytest.mark.parametrize("name", SKELETONS)
@pytest.mark.parametrize("normalize", ["closed_mean", "sum", "sym"])
def test_conv_equals_dense_equation(name, normalize):
    sk = get_skeleton(name)
    conv = SkeletonConv(12, 7, normalize=normalize).double()
    x = torch.randn(sk.num_joints, 12, dtype=torch.float64)
    ref = dense_reference(x, conv, sk, normalize)
    ei = sk.edge_index()
    torch.testing.assert_close(conv(x, ei), ref, rtol=1e-5, atol=1e-10)
    torch.testing.assert_close(conv(x, operator=conv.operator(ei, sk.num_joints, torch.float64)), ref,
                               rtol=1e-5, atol=1e-10)
    adj_t = sk.adjacency(self_loops=False, dtype=torch.float64).to_sparse_csr()
    torch.testing.assert_close(conv(x, adj_t), ref, rtol=1e-5, atol=1e-10)
    dense = conv.forward_dense(x[None], sk.adjacency(self_loops=False, dtype=torch.float64))[0]
    torch.testing.assert_close(dense, ref, rtol=1e-5, atol=1e-10)
    with pytest.raises(ValueError, match="operator"):  # a fused operator is never guessed from its shape
        conv(x, conv.operator(ei, sk.num_joints, torch.float64))


def test_conv_on_a_batch_of_different_skeletons():
    names = ["h36m_17", "coco_19", "mpii_16"]
    conv = SkeletonConv(6, 5).double()
    xs = [torch.randn(get_skeleton(n).num_joints, 6, dtype=torch.float64) for n in names]
    batch = Batch.from_data_list([get_skeleton(n).to_data(x) for n, x in zip(names, xs, strict=True)])
    out = conv(batch.x, batch.edge_index)
    refs = torch.cat([dense_reference(x, conv, get_skeleton(n), "closed_mean")
                      for n, x in zip(names, xs, strict=True)])
    torch.testing.assert_close(out, refs, rtol=1e-5, atol=1e-10)
    gnn = SkeletonGNN("h36m_17", 5, in_channels=6).double().eval()
    res = gnn(batch.x, batch.edge_index, batch.batch)
    assert res.nodes.shape == (52, 5) and res.graph.shape == (3, 5)
    # the h36m graph of the batch equals the dense path on the same input
    dense = gnn(xs[0][None])
    torch.testing.assert_close(res.graph[0], dense.graph[0])


def test_gradients_reach_every_weight():
    sk = get_skeleton("h36m_17")
    conv = SkeletonConv(4, 3)
    x = torch.randn(17, 4)
    for graph in ({"edge_index": sk.edge_index()}, {"operator": conv.operator(sk.edge_index(), 17)}):
        conv.zero_grad()
        (conv(x, **graph) ** 2).sum().backward()
        for g in (conv.weight.grad[:3], conv.weight.grad[3:], conv.bias.grad[:3], conv.bias.grad[3:]):
            assert g.abs().sum() > 0


def original_gnn(x, gnn, sk):
    """HDNet's DepthGCN: dense row-normalised adjacency, diagonal to W_s, off-diagonal to W_o."""
    att = sk.adjacency(normalize="row", dtype=x.dtype)
    diag = torch.eye(sk.num_joints, dtype=x.dtype)
    h = x
    for conv, bn in zip(gnn.convs, gnn.norms, strict=True):
        fs = h @ conv.weight_self.t() + conv.bias[: conv.out_channels]
        fo = h @ conv.weight_neighbor.t() + conv.bias[conv.out_channels:]
        out = (att * diag) @ fs + (att * (1 - diag)) @ fo
        out = F.batch_norm(out.transpose(1, 2), bn.running_mean, bn.running_var, bn.weight,
                           bn.bias, False, 0.0, bn.eps).transpose(1, 2)
        h = F.relu(out)
    return h


@pytest.mark.parametrize("name", ["h36m_17", "muco_21", "panoptic_15"])
def test_gnn_equals_original_dense_gcn(name):
    sk = get_skeleton(name)
    gnn = SkeletonGNN(sk, 16, in_channels=10).double()
    for bn in gnn.norms:  # non-trivial running statistics
        bn.running_mean.normal_()
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.normal_()
        bn.bias.data.normal_()
    gnn.eval()
    x = torch.randn(5, sk.num_joints, 10, dtype=torch.float64)
    out = gnn(x)
    ref = original_gnn(x, gnn, sk)
    torch.testing.assert_close(out.nodes, ref, rtol=1e-5, atol=1e-10)
    torch.testing.assert_close(out.graph, ref.mean(1), rtol=1e-5, atol=1e-10)


def test_gnn_training_mode_batchnorm_over_batch_and_joints():
    gnn = SkeletonGNN("h36m_17", 8, num_layers=1)
    x = torch.randn(4, 17, 8)
    out = gnn(x).nodes
    conv = gnn.convs[0]
    pre = conv(x.reshape(-1, 8), get_skeleton("h36m_17").batch_edge_index(4))
    ref = F.relu((pre - pre.mean(0)) / torch.sqrt(pre.var(0, unbiased=False) + 1e-5))
    torch.testing.assert_close(out.reshape(-1, 8), ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("conv", [GCNConv, GraphConv, functools.partial(GATConv, heads=1)])
def test_gnn_takes_any_pyg_conv(conv):
    gnn = SkeletonGNN("coco_19", 8, conv=conv, in_channels=5).eval()
    x = torch.randn(3, 19, 5)
    out = gnn(x)
    assert out.nodes.shape == (3, 19, 8) and out.graph.shape == (3, 8)
    # same as running the conv by hand on the batched edge index
    ei = get_skeleton("coco_19").batch_edge_index(3)
    h = x.reshape(-1, 5)
    for c, n in zip(gnn.convs, gnn.norms, strict=True):
        h = F.relu(n(c(h, ei)))
    torch.testing.assert_close(out.nodes.reshape(-1, 8), h)


def test_readouts():
    x = torch.randn(3, 17, 6)
    base = SkeletonGNN("h36m_17", 6).eval()
    nodes = base(x).nodes
    for readout, ref in [("sum", nodes.sum(1)), ("max", nodes.amax(1)),
                         (SumAggregation(), nodes.sum(1)), (MaxAggregation(), nodes.amax(1))]:
        g = SkeletonGNN("h36m_17", 6, readout=readout).eval()
        weights = {k: v for k, v in base.state_dict().items() if not k.endswith("_extra_state")}
        assert g.load_state_dict(weights, strict=False).missing_keys == ["_extra_state"]  # another readout
        torch.testing.assert_close(g(x).graph, ref)


def test_swapping_skeletons_needs_no_code_change():
    for name in ["h36m_17", "smpl_24", "halpe_26"]:
        sk = get_skeleton(name)
        out = SkeletonGNN(name, 4)(torch.randn(2, sk.num_joints, 4))
        assert out.nodes.shape == (2, sk.num_joints, 4)


def test_autocast_bfloat16_no_nan():
    gnn = SkeletonGNN("h36m_17", 32).eval()
    x = torch.randn(4, 17, 32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = gnn(x)
    assert torch.isfinite(out.graph.float()).all()
    torch.testing.assert_close(out.graph.float(), gnn(x).graph, atol=0.1, rtol=0.05)


def test_bad_input():
    with pytest.raises(ValueError, match="normalize"):
        SkeletonConv(4, 4, normalize="mean")
    conv = SkeletonConv(4, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \[num_nodes, C\]"):
        conv(torch.randn(17, 5), get_skeleton("h36m_17").edge_index())
    gnn = SkeletonGNN("h36m_17", 4)
    with pytest.raises(ValueError, match=r"x: expected shape \[B, J, C\] = \[\*, 17, 4\]"):
        gnn(torch.randn(2, 16, 4))
    with pytest.raises(ValueError, match="edge_index: required"):
        gnn(torch.randn(17, 4))
    with pytest.raises(ValueError, match="readout"):
        SkeletonGNN("h36m_17", 4, readout="median")
    with pytest.raises(LookupError, match="unknown skeleton .h36m_71."):
        SkeletonGNN("h36m_71", 4)
    with pytest.raises(ValueError, match="norm"):
        SkeletonGNN("h36m_17", 4, norm="group")
    assert "SkeletonConv(4, 4" in repr(conv) and "h36m_17" in repr(gnn)
