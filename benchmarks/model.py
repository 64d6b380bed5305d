"""Whole-model benchmarks: ``python -m benchmarks.model [--quick]``.

1. People per image: HDNet on one image with P = 1, 4, 16 people (one backbone pass), against
   running the whole network once per person (the original's one-person-per-sample way).
2. Whole model at batch 1 and 8 (one person per image), against an original-style forward:
   the same weights, but the original's pooling (-1e15 masking, repeat_interleave) and dense
   GCN (two Conv1d per layer, masked attention matmuls). Images/s and peak memory.
3. Inference options: torch.inference_mode, channels_last, bfloat16 autocast.

CPU, eval mode, ResNet-50-FPN at 256x256 unless --quick.
"""

from __future__ import annotations

import statistics

import torch
import torch.nn.functional as F

from hdnet.models import HDNet, ResNetFPN

from ._harness import bench_parser, environment, median_ms, peak_memory_mib, table


def build(depth: int, size: int, n: int, p: int, seed: int = 0):
    torch.manual_seed(seed)
    model = HDNet(backbone=ResNetFPN(depth)).eval()
    h = size // 4
    images = torch.randn(n, 3, size, size)
    cmap = torch.randn(n, 2, h, h) * 0.3
    mask = torch.zeros(p, h, h, dtype=torch.bool)
    for i in range(p):
        y, x = (5 * i) % (h // 2), (7 * i) % (h // 2)
        mask[i, y:y + h // 2, x:x + h // 3] = True
    return model, images, cmap, mask


def original_forward(model: HDNet, images, cmap, mask):
    """HDNet's original person-level computation on hdnet's modules (one person per image)."""
    logits, dfeat = model.image_forward(images)
    b, j, h, w = logits.shape
    m = mask.view(b, 1, h, w).repeat(1, j, 1, 1).to(logits.dtype)
    prob = F.softmax((m * logits + (1 - m) * -1e15).view(b, j, -1), -1).view(b, j, h, w)
    pose = torch.sum(torch.repeat_interleave(prob, 2, 1) * cmap.repeat(1, j, 1, 1), dim=[-2, -1])
    rep = torch.repeat_interleave(prob, dfeat.size(1), dim=1)
    feat = torch.sum(rep * dfeat.repeat(1, j, 1, 1), dim=[-2, -1]).view(b, j, -1)
    att = model.skeleton.adjacency(normalize="row")[None].repeat(b, 1, 1)
    diag = torch.eye(j)
    hdn = feat
    for conv, bn in zip(model.gnn.convs, model.gnn.norms):
        c = conv.out_channels
        xt = hdn.transpose(1, 2)
        fs = F.conv1d(xt, conv.weight[:c, :, None], conv.bias[:c]).transpose(1, 2)
        fo = F.conv1d(xt, conv.weight[c:, :, None], conv.bias[c:]).transpose(1, 2)
        out = torch.matmul(att * diag, fs) + torch.matmul(att * (1 - diag), fo)
        hdn = F.relu(bn(out.transpose(1, 2))).transpose(1, 2)
    bins = F.softmax(model.bin_head.linear(hdn.mean(1)), -1)
    return {"pose": pose.view(b, j, 2), "bins": bins,
            "bin_idx": (bins * torch.arange(bins.shape[-1], dtype=bins.dtype)).sum(-1)}


def whole_model_fn(impl: str, depth: int, size: int, batch: int):
    """Factory for peak-memory runs: one forward of the model at this batch size."""
    model, images, cmap, mask = build(depth, size, batch, batch)
    if impl == "original":
        return lambda: _no_grad(original_forward, model, images, cmap, mask)
    return lambda: _inference(model, images, cmap, mask)


def _no_grad(fn, *args):
    with torch.no_grad():
        return fn(*args)


def _inference(model, *args, **kw):
    with torch.inference_mode():
        return model(*args, **kw)


def bench_people(depth, size, repeats, people=(1, 4, 16)):
    model, images, cmap, _ = build(depth, size, 1, 1)
    rows, t1 = [], None
    for p in people:
        _, _, _, mask = build(depth, size, 1, p)
        idx = torch.zeros(p, dtype=torch.long)
        t = median_ms(lambda: _inference(model, images, cmap, mask, index=idx), repeats)
        t1 = t if t1 is None else t1
        rows.append([f"hdnet, {p} people, one image", t, t / t1])
    # the original's way: every person is a sample, the image repeated P times
    p = people[-1]
    _, _, _, mask = build(depth, size, 1, p)
    rep_images, rep_cmap = images.expand(p, -1, -1, -1).contiguous(), cmap.expand(p, -1, -1, -1)
    t_per = median_ms(lambda: _inference(model, rep_images, rep_cmap, mask), max(repeats // 4, 2), 1)
    rows.append([f"whole network per person, {p} people", t_per, t_per / t1])
    note = f"speed-up at {p} people: {t_per / rows[len(people) - 1][1]:.1f}x"
    return table(["run", "ms", "time / (1 person)"], rows,
                 f"People per image, ResNet-{depth}-FPN {size}x{size}, eval, inference_mode") + "\n\n" + note


def bench_whole(depth, size, repeats, batches=(1, 8), memory=True):
    rows = []
    for b in batches:
        model, images, cmap, mask = build(depth, size, b, b)
        with torch.no_grad():
            ref = original_forward(model, images, cmap, mask)
            ours = model(images, cmap, mask)
            torch.testing.assert_close(ours["bin_idx"], ref["bin_idx"], rtol=1e-4, atol=1e-3)
        reps = max(repeats // b, 3)
        times = {"original": [], "hdnet": []}
        for _ in range(3):  # interleaved rounds
            times["original"].append(median_ms(lambda: _no_grad(original_forward, model, images, cmap, mask), reps, 1))
            times["hdnet"].append(median_ms(lambda: _inference(model, images, cmap, mask), reps, 1))
        t_o, t_h = statistics.median(times["original"]), statistics.median(times["hdnet"])
        m_o = m_h = float("nan")
        if memory:
            m_o = peak_memory_mib("benchmarks.model:whole_model_fn", impl="original", depth=depth, size=size, batch=b)
            m_h = peak_memory_mib("benchmarks.model:whole_model_fn", impl="hdnet", depth=depth, size=size, batch=b)
        rows.append([b, 1e3 * b / t_o, 1e3 * b / t_h, t_o / t_h, m_o, m_h, m_h / m_o])
    return table(["batch", "original img/s", "hdnet img/s", "speed-up", "original peak MiB",
                  "hdnet peak MiB", "memory hdnet/original"], rows,
                 f"Whole model, one person per image, ResNet-{depth}-FPN {size}x{size}, eval")


def bench_options(depth, size, repeats, batch=1):
    model, images, cmap, mask = build(depth, size, batch, batch)
    rows = []

    def run_no_grad():
        with torch.no_grad():
            return model(images, cmap, mask)

    def run_bf16():
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            return model(images, cmap, mask)

    base = median_ms(run_no_grad, repeats, 1)
    rows.append(["no_grad (baseline)", base, 1.0])
    t = median_ms(lambda: _inference(model, images, cmap, mask), repeats, 1)
    rows.append(["inference_mode", t, base / t])
    model_cl = model.to(memory_format=torch.channels_last)
    images_cl = images.contiguous(memory_format=torch.channels_last)
    t = median_ms(lambda: _inference(model_cl, images_cl, cmap, mask), repeats, 1)
    rows.append(["inference_mode + channels_last", t, base / t])
    model.to(memory_format=torch.contiguous_format)
    t = median_ms(run_bf16, min(repeats, 2), 1)  # slow without bf16 hardware: few runs
    with torch.no_grad():
        ref = model(images, cmap, mask)["bin_idx"]
    err = float((run_bf16()["bin_idx"].float() - ref).abs().max())
    rows.append([f"inference_mode + bfloat16 autocast (max bin_idx error {err:.2f})", t, base / t])
    return table(["option", "ms", "speed-up"], rows,
                 f"Inference options, batch {batch}, ResNet-{depth}-FPN {size}x{size}")


def main(argv=None) -> None:
    ap = bench_parser("python -m benchmarks.model", __doc__, 10, "ResNet-18 at 64x64 (a smoke test)")
    args = ap.parse_args(argv)
    depth, size, reps = (18, 64, 2) if args.quick else (50, 256, args.repeats)
    torch.set_grad_enabled(True)
    print(f"# hdnet model benchmarks ({environment()})")
    print(bench_people(depth, size, reps, (1, 2) if args.quick else (1, 4, 16)))
    print(bench_whole(depth, size, reps, (1, 2) if args.quick else (1, 8), memory=not args.quick))
    print(bench_options(depth, size, reps))


if __name__ == "__main__":
    main()
