"""Which compile/export paths work for which layer (docs/layers.md states the same table)."""

import numpy as np
import pytest
import torch

from hdnet.graphs import get_skeleton
from hdnet.layers import DepthBinHead, HeatmapAttentionPooling, SkeletonConv, SkeletonGNN

SK = get_skeleton("h36m_17")


class Pool(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = HeatmapAttentionPooling()

    def forward(self, logits, feats, mask, cmap):
        out = self.pool(logits, feats, mask=mask, coord_map=cmap)
        return out.prob, out.features, out.coords


class GNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gnn = SkeletonGNN(SK, 8, in_channels=6)

    def forward(self, x):
        out = self.gnn(x)
        return out.nodes, out.graph


class DenseConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = SkeletonConv(6, 4)
        self.register_buffer("adjacency", SK.adjacency(self_loops=False))

    def forward(self, x):
        return (self.conv.forward_dense(x, self.adjacency),)


class Head(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.head = DepthBinHead(6)

    def forward(self, x, fx, fy):
        out = self.head(x, fx, fy)
        return out.probs, out.index, out.depth_mm, out.depth_std_mm


def _cases():
    mask = torch.zeros(2, 8, 8, dtype=torch.bool)
    mask[:, 2:6, 1:7] = True
    fx = torch.full((3,), 1100.0)
    return {
        "pool": (Pool(), (torch.randn(2, 5, 8, 8), torch.randn(2, 6, 8, 8), mask, torch.randn(2, 2, 8, 8))),
        "gnn": (GNN(), (torch.randn(3, 17, 6),)),
        "dense_conv": (DenseConv(), (torch.randn(3, 17, 6),)),
        "head": (Head(), (torch.randn(3, 6), fx, fx * 1.01)),
    }


CASES = list(_cases())


def _close(a, b):
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(x), y.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_torch_export(name):
    module, args = _cases()[name]
    module.eval()
    ref = module(*args)
    ep = torch.export.export(module, args)
    _close([t.detach().numpy() for t in ep.module()(*args)], ref)


@pytest.mark.parametrize("name", CASES)
def test_onnx_export_matches_onnxruntime(name, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    module, args = _cases()[name]
    module.eval()
    ref = module(*args)
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(module, args, str(path), dynamo=True)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: a.numpy() for i, a in zip(sess.get_inputs(), args, strict=True)}
    _close(sess.run(None, feeds), ref)


def test_skeleton_conv_edge_index_exports():
    conv = SkeletonConv(6, 4).eval()
    x, ei = torch.randn(17, 6), SK.edge_index()
    ep = torch.export.export(conv, (x, ei))
    torch.testing.assert_close(ep.module()(x, ei), conv(x, ei))


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_torch_compile(name):
    module, args = _cases()[name]
    module.eval()
    ref = module(*args)
    out = torch.compile(module)(*args)
    for a, b in zip(out, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)
