"""Layer benchmarks: ``hdnet bench layers [--quick] [--device cuda] [--json FILE]``.

1. HeatmapAttentionPooling vs the original repeat_interleave formulation (P people, J joints,
   C channels, HxW grid): forward and forward+backward time, peak memory.
2. SkeletonGNN (PyG, fused CSR operator) vs a dense adjacency matmul of the same equation, vs
   the original HDNet dense GCN, vs plain PyG edge_index message passing.
3. torch-scatter: whether it is installed, and the same GNN rows with it if so.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..graphs import get_skeleton
from ..layers import HeatmapAttentionPooling, SkeletonGNN
from ._harness import (
    Report,
    Table,
    environment,
    interleaved_medians,
    median_ms,
    peak_memory_mib,
    resolve_device,
    run_main,
)


# ------------------------------------------------------------------ pooling
def original_pooling(logits, feats, mask):
    """HDNet's original pooling (one person per image): -1e15 masking and repeat_interleave."""
    b, j, h, w = logits.shape
    m = mask.view(b, 1, h, w).repeat(1, j, 1, 1).to(logits.dtype)
    prob = F.softmax((m * logits + (1 - m) * -1e15).view(b, j, -1), dim=-1).view(b, j, h, w)
    rep = torch.repeat_interleave(prob, feats.size(1), dim=1)
    return torch.sum(rep * feats.repeat(1, j, 1, 1), dim=[-2, -1]).view(b, j, -1)


def _pool_inputs(p, j, c, hw, grad, device="cpu"):
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(p, j, hw, hw, generator=g).to(device).requires_grad_(grad)
    feats = torch.randn(p, c, hw, hw, generator=g).to(device).requires_grad_(grad)
    mask = torch.zeros(p, hw, hw, dtype=torch.bool, device=device)
    mask[:, hw // 8: hw - hw // 8, hw // 4: hw - hw // 4] = True
    return logits, feats, mask


def pooling_fn(impl: str, p: int, j: int, c: int, hw: int, backward: bool, device: str = "cpu"):
    """Factory: the callable to time/measure for one pooling variant."""
    logits, feats, mask = _pool_inputs(p, j, c, hw, backward, device)
    pool = HeatmapAttentionPooling()
    run = (lambda: pool(logits, feats, mask=mask).features) if impl == "hdnet" \
        else (lambda: original_pooling(logits, feats, mask))

    def fn():
        if backward:
            logits.grad = feats.grad = None  # time one backward, not gradient accumulation
            run().sum().backward()
        else:
            with torch.no_grad():
                run()
    return fn


def bench_pooling(p, j, c, hw, repeats, device="cpu"):
    # correctness first: the two must agree
    logits, feats, mask = _pool_inputs(p, j, c, hw, False, device)
    torch.testing.assert_close(HeatmapAttentionPooling()(logits, feats, mask=mask).features,
                               original_pooling(logits, feats, mask), rtol=1e-4, atol=1e-4)
    rows = []
    for backward in (False, True):
        kw = dict(p=p, j=j, c=c, hw=hw, backward=backward, device=str(device))
        t_ref = median_ms(pooling_fn("original", **kw), repeats)
        t_new = median_ms(pooling_fn("hdnet", **kw), repeats)
        m_ref = peak_memory_mib("hdnet.benchmarks.layers:pooling_fn", impl="original", **kw)
        m_new = peak_memory_mib("hdnet.benchmarks.layers:pooling_fn", impl="hdnet", **kw)
        rows.append(["forward+backward" if backward else "forward", t_ref, t_new, t_ref / t_new,
                     m_ref, m_new, m_ref / max(m_new, 1e-3)])
    return Table(f"HeatmapAttentionPooling vs repeat_interleave, P={p}, J={j}, C={c}, {hw}x{hw}",
                 ["pass", "original ms", "hdnet ms", "speed-up", "original peak MiB",
                  "hdnet peak MiB", "memory ratio"], rows)


# ------------------------------------------------------------------ GNN
class DenseSkeletonGNN(torch.nn.Module):
    """The same equation with a dense [J, J] adjacency: one matmul per weight, A @ H."""

    def __init__(self, gnn: SkeletonGNN):
        super().__init__()
        self.gnn = gnn
        sk = gnn.skeleton
        a = sk.adjacency(self_loops=False)
        self.register_buffer("a_norm", a / (a.sum(1, keepdim=True) + 1))
        self.register_buffer("self_w", 1 / (a.sum(1) + 1))

    def forward(self, x):
        h = x
        for conv, bn in zip(self.gnn.convs, self.gnn.norms, strict=True):
            y = F.linear(h, conv.weight, conv.bias)
            hs, ho = y[..., : conv.out_channels], y[..., conv.out_channels:]
            out = hs * self.self_w[:, None] + torch.matmul(self.a_norm, ho)
            h = F.relu(bn(out.reshape(-1, out.shape[-1])).reshape(out.shape))
        return h.mean(1)


class OriginalDenseGCN(torch.nn.Module):
    """HDNet's DepthGCN as published: two Conv1d per layer, (att*I) @ f_s + (att*(1-I)) @ f_o."""

    def __init__(self, gnn: SkeletonGNN):
        super().__init__()
        self.gnn = gnn
        sk = gnn.skeleton
        self.register_buffer("att", sk.adjacency(normalize="row"))

    def forward(self, x):
        b, j, _ = x.shape
        att = self.att[None].repeat(b, 1, 1)
        diag = torch.eye(j, device=x.device)
        h = x
        for conv, bn in zip(self.gnn.convs, self.gnn.norms, strict=True):
            xt = h.transpose(1, 2)
            c = conv.out_channels
            fs = F.conv1d(xt, conv.weight[:c, :, None], conv.bias[:c]).transpose(1, 2)
            fo = F.conv1d(xt, conv.weight[c:, :, None], conv.bias[c:]).transpose(1, 2)
            out = torch.matmul(att * diag, fs) + torch.matmul(att * (1 - diag), fo)
            h = F.relu(bn(out.transpose(1, 2))).transpose(1, 2)
        return h.mean(1)


def edge_index_gnn(gnn: SkeletonGNN, x):
    """Plain PyG: the same convs on the batched edge_index (scatter aggregation)."""
    b, j, c = x.shape
    ei = gnn.skeleton.batch_edge_index(b).to(x.device)
    h = x.reshape(b * j, c)
    for conv, bn in zip(gnn.convs, gnn.norms, strict=True):
        h = F.relu(bn(conv(h, ei)))
    return h.reshape(b, j, -1).mean(1)


def bench_gnn(batch, channels, layers, repeats, skeleton="h36m_17", device="cpu"):
    sk = get_skeleton(skeleton)
    gnn = SkeletonGNN(sk, channels, num_layers=layers).to(device).eval()
    dense = DenseSkeletonGNN(gnn).to(device).eval()
    orig = OriginalDenseGCN(gnn).to(device).eval()
    x = torch.randn(batch, sk.num_joints, channels, device=device)
    with torch.no_grad():
        ref = dense(x)
        for out in (gnn(x).graph, orig(x), edge_index_gnn(gnn, x)):
            torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
        variants = [
            ("dense adjacency matmul (reference)", lambda: dense(x)),
            ("original HDNet DepthGCN (dense)", lambda: orig(x)),
            ("PyG edge_index (scatter)", lambda: edge_index_gnn(gnn, x)),
            ("hdnet SkeletonGNN (PyG, fused CSR)", lambda: gnn(x)),
        ]
        times = interleaved_medians(variants, max(repeats, 10), rounds=5)
    t_ref = times[variants[0][0]]
    rows = [[name, ms, ms / t_ref] for name, ms in times.items()]
    return Table(f"SkeletonGNN forward, {skeleton}, B={batch}, C={channels}, {layers} layers, eval",
                 ["implementation", "forward ms", "time / dense"], rows)


def scatter_note() -> str:
    try:
        import torch_scatter  # noqa: F401
        return "torch-scatter: installed (PyG picks its own kernels; the rows above include it)"
    except ImportError:
        return ("torch-scatter: not installed; the rows above use torch's own scatter/sparse "
                "kernels. Install the `scatter` extra and rerun to compare.")


def run(quick: bool = False, repeats: int = 20, device: str = "cpu") -> Report:
    dev = resolve_device(device)
    if quick:
        p, j, c, hw, b, ch, reps = 2, 5, 8, 8, 4, 16, 3
    else:
        p, j, c, hw, b, ch, reps = 16, 17, 256, 64, 64, 256, repeats
    pool = bench_pooling(p, j, c, hw, reps, dev)
    gnn = bench_gnn(b, ch, 2, reps, device=dev)
    gnn.notes.append(scatter_note())
    fwd, fwdbwd = pool.rows
    summary = {"pooling": {"forward_speedup": fwd[3], "forward_backward_speedup": fwdbwd[3],
                           "memory_ratio": fwd[6], "forward_backward_memory_ratio": fwdbwd[6]},
               "gnn": {"time_over_dense": gnn.rows[-1][2]}}
    return Report("layers", environment(dev), [pool, gnn], summary)


def main(argv=None) -> int:
    return run_main("hdnet bench layers", __doc__, 20, "tiny sizes (a smoke test, not a measurement)", run, argv)


if __name__ == "__main__":
    main()
