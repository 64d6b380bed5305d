"""Whole-model benchmarks: ``hdnet bench model [--quick] [--device cuda] [--json FILE]``.

1. People per image: HDNet on one image with P = 1, 4, 16 people (one backbone pass), against
   running the whole network once per person (the original's one-person-per-sample way).
2. Whole model at batch 1 and 8 (one person per image), against an original-style forward:
   the same weights, but the original's pooling (-1e15 masking, repeat_interleave) and dense
   GCN (two Conv1d per layer, masked attention matmuls). Images/s and peak memory.
3. Inference options: torch.inference_mode, channels_last, bfloat16 autocast, and with
   ``--compile`` torch.compile (inductor; its compile time reported).
4. Framing one input from a 1280x720 photo: hdnet's ``grid_sample`` from the affine against
   Pillow's affine transform of the 8-bit image then normalising.
5. End to end: photos on disk to camera-space roots with ``Predictor.predict_many``.

CPU, eval mode, ResNet-50-FPN at 256x256 unless --quick.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import ImageBatch
from ..models import HDNet, ResNetFPN
from ._harness import (
    Report,
    Table,
    bench_parser,
    environment,
    interleaved_medians,
    median_ms,
    peak_memory_mib,
    resolve_device,
)


def build(depth: int, size: int, n: int, p: int, seed: int = 0, device: str = "cpu"):
    torch.manual_seed(seed)
    model = HDNet(backbone=ResNetFPN(depth)).eval().to(device)
    h = size // 4
    images = torch.randn(n, 3, size, size, device=device)
    cmap = torch.randn(n, 2, h, h, device=device) * 0.3
    mask = torch.zeros(p, h, h, dtype=torch.bool, device=device)
    for i in range(p):
        y, x = (5 * i) % (h // 2), (7 * i) % (h // 2)
        mask[i, y:y + h // 2, x:x + h // 3] = True
    return model, _batch(images, cmap, mask)


def _batch(images, cmap, mask, channels_last: bool = False) -> ImageBatch:
    """One image per person when there are as many images as people, else all in image 0."""
    p, n = mask.shape[0], images.shape[0]
    people = torch.arange(p, device=images.device) if n == p else torch.zeros(p, dtype=torch.long, device=images.device)
    if channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    return ImageBatch(images, cmap, mask, people, torch.full((p, 2), 1000.0, device=images.device))


def original_forward(model: HDNet, batch: ImageBatch):
    """HDNet's original person-level computation on hdnet's modules (one person per image)."""
    images, cmap, mask = batch.images, batch.coord_map, batch.masks
    logits, dfeat = model.image_forward(images)
    b, j, h, w = logits.shape
    m = mask.view(b, 1, h, w).repeat(1, j, 1, 1).to(logits.dtype)
    prob = F.softmax((m * logits + (1 - m) * -1e15).view(b, j, -1), -1).view(b, j, h, w)
    pose = torch.sum(torch.repeat_interleave(prob, 2, 1) * cmap.repeat(1, j, 1, 1), dim=[-2, -1])
    rep = torch.repeat_interleave(prob, dfeat.size(1), dim=1)
    feat = torch.sum(rep * dfeat.repeat(1, j, 1, 1), dim=[-2, -1]).view(b, j, -1)
    att = model.skeleton.adjacency(normalize="row").to(images.device)[None].repeat(b, 1, 1)
    diag = torch.eye(j, device=images.device)
    hdn = feat
    for conv, bn in zip(model.gnn.convs, model.gnn.norms, strict=True):
        c = conv.out_channels
        xt = hdn.transpose(1, 2)
        wt: torch.Tensor = conv.weight  # type: ignore[assignment]
        bias: torch.Tensor = conv.bias  # type: ignore[assignment]
        fs = F.conv1d(xt, wt[:c, :, None], bias[:c]).transpose(1, 2)
        fo = F.conv1d(xt, wt[c:, :, None], bias[c:]).transpose(1, 2)
        out = torch.matmul(att * diag, fs) + torch.matmul(att * (1 - diag), fo)
        hdn = F.relu(bn(out.transpose(1, 2))).transpose(1, 2)
    bins = F.softmax(model.bin_head.linear(hdn.mean(1)), -1)
    return {"pose": pose.view(b, j, 2), "bin_probs": bins,
            "bin_index": (bins * torch.arange(bins.shape[-1], dtype=bins.dtype, device=bins.device)).sum(-1)}


def inference_model(model, inplace: bool = False):
    """hdnet's inference path, as the Predictor runs it: BatchNorm folded into the convolutions,
    channels-last memory format."""
    from ..models.fuse import fold_batchnorm
    return fold_batchnorm(model, inplace=inplace).to(memory_format=torch.channels_last)  # type: ignore[call-overload]


def whole_model_fn(impl: str, depth: int, size: int, batch: int, device: str = "cpu"):
    """Factory for peak-memory runs: one forward of the model at this batch size."""
    model, inputs = build(depth, size, batch, batch, device=device)
    if impl == "original":
        return lambda: _no_grad(original_forward, model, inputs)
    fast = inference_model(model, inplace=True)  # no second copy to inflate the high-water mark
    inputs = _batch(inputs.images, inputs.coord_map, inputs.masks, channels_last=True)
    return lambda: _inference(fast, inputs)


def _no_grad(fn, *args):
    with torch.no_grad():
        return fn(*args)


def _inference(model, batch):
    with torch.inference_mode():
        return model(batch)


def bench_people(depth, size, repeats, people=(1, 4, 16), device="cpu"):
    model, one = build(depth, size, 1, 1, device=device)
    _inference(model, one)  # warm-up
    rows, t1 = [], None
    for p in people:
        _, inputs = build(depth, size, 1, p, device=device)
        t = median_ms(lambda: _inference(model, inputs), repeats)
        t1 = t if t1 is None else t1
        rows.append([f"hdnet, {p} people, one image", t, t / t1])
    # the original's way: every person is a sample, the image repeated P times
    p = people[-1]
    _, inputs = build(depth, size, 1, p, device=device)
    per_person = _batch(inputs.images.expand(p, -1, -1, -1).contiguous(), inputs.coord_map.expand(p, -1, -1, -1),
                        inputs.masks)
    t_per = median_ms(lambda: _inference(model, per_person), max(repeats // 4, 2), 1)
    rows.append([f"whole network per person, {p} people", t_per, t_per / t1])
    speedup = t_per / rows[len(people) - 1][1]
    table = Table(f"People per image, ResNet-{depth}-FPN {size}x{size}, eval, inference_mode",
                  ["run", "ms", "time / (1 person)"], rows, [f"speed-up at {p} people: {speedup:.1f}x"])
    return table, {"t16_over_t1": rows[len(people) - 1][2], "per_person_speedup": speedup}


def bench_whole(depth, size, repeats, batches=(1, 8), memory=True, device="cpu"):
    rows, summary = [], []
    for b in batches:
        model, inputs = build(depth, size, b, b, device=device)
        fast = inference_model(model)
        inputs_cl = _batch(inputs.images, inputs.coord_map, inputs.masks, channels_last=True)
        with torch.no_grad():
            ref = original_forward(model, inputs)
            ours = fast(inputs_cl)
            torch.testing.assert_close(ours.bin_index, ref["bin_index"], rtol=1e-4, atol=1e-3)
        reps = max(repeats // b, 3)
        t = interleaved_medians([("original", lambda: _no_grad(original_forward, model, inputs)),
                                 ("hdnet", lambda: _inference(fast, inputs_cl))], reps * 3, warmup=1)
        t_o, t_h = t["original"], t["hdnet"]
        m_o = m_h = float("nan")
        if memory:
            kw = dict(depth=depth, size=size, batch=b, device=str(device))
            m_o = peak_memory_mib("hdnet.benchmarks.model:whole_model_fn", impl="original", **kw)
            m_h = peak_memory_mib("hdnet.benchmarks.model:whole_model_fn", impl="hdnet", **kw)
        rows.append([b, 1e3 * b / t_o, 1e3 * b / t_h, t_o / t_h, m_o, m_h, m_h / m_o])
        summary.append({"batch": b, "original_img_s": 1e3 * b / t_o, "hdnet_img_s": 1e3 * b / t_h,
                        "speedup": t_o / t_h, "memory_ratio": m_h / m_o})
    return Table(f"Whole model, one person per image, ResNet-{depth}-FPN {size}x{size}, eval (hdnet: the "
                 "Predictor's path, BatchNorm folded, channels-last, inference_mode)",
                 ["batch", "original img/s", "hdnet img/s", "speed-up", "original peak MiB",
                  "hdnet peak MiB", "memory hdnet/original"], rows), summary


def bench_options(depth, size, repeats, batch=1, device="cpu", compile=False):
    model, inputs = build(depth, size, batch, batch, device=device)
    dev_type = torch.device(device).type
    rows = []

    def run_no_grad():
        with torch.no_grad():
            return model(inputs)

    def run_bf16():
        with torch.inference_mode(), torch.autocast(dev_type, dtype=torch.bfloat16):
            return model(inputs)

    base = median_ms(run_no_grad, repeats, 1)
    rows.append(["no_grad (baseline)", base, 1.0])
    t = median_ms(lambda: _inference(model, inputs), repeats, 1)
    rows.append(["inference_mode", t, base / t])
    model_cl = model.to(memory_format=torch.channels_last)
    inputs_cl = _batch(inputs.images, inputs.coord_map, inputs.masks, channels_last=True)
    t = median_ms(lambda: _inference(model_cl, inputs_cl), repeats, 1)
    rows.append(["inference_mode + channels_last", t, base / t])
    model.to(memory_format=torch.contiguous_format)
    t = median_ms(run_bf16, min(repeats, 2) if dev_type == "cpu" else repeats, 1)
    with torch.no_grad():
        ref = model(inputs).bin_index
    err = float((run_bf16().bin_index.float() - ref).abs().max())
    rows.append([f"inference_mode + bfloat16 autocast (max bin_index error {err:.2f})", t, base / t])
    fast = inference_model(model)
    t = median_ms(lambda: _inference(fast, inputs_cl), repeats, 1)
    rows.append(["inference_mode + folded BatchNorm + channels_last (the Predictor's path)", t, base / t])
    if compile:
        import time
        compiled = torch.compile(fast)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = compiled(inputs_cl)
        seconds = time.perf_counter() - t0
        err = float((out.bin_index - ref).abs().max())
        t = median_ms(lambda: _inference(compiled, inputs_cl), repeats, 1)
        rows.append([f"the Predictor's path + torch.compile (inductor; compiling took {seconds:.0f} s, "
                     f"max bin_index error {err:.1e})", t, base / t])
    return Table(f"Inference options, batch {batch}, ResNet-{depth}-FPN {size}x{size}",
                 ["option", "ms", "speed-up"], rows)


def bench_framing(size, repeats, photo=(1280, 720)):
    """One network input (``size`` px, principal-point framing) from a photo: hdnet's warp
    (torch ``grid_sample`` on the float image, as ``Preprocessing.frame`` runs it) against
    Pillow's affine transform of the 8-bit image, each then normalised the same way."""
    import numpy as np
    from PIL import Image

    from ..camera import Camera, invert_affine
    from ..data.transforms import Preprocessing, load_image, normalize_image, warp_image
    rng = np.random.default_rng(0)
    w, h = photo
    pixels = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    camera = Camera(1000.0, 1000.0, w / 2 + 13.0, h / 2 - 7.0)
    prep = Preprocessing(size, "principal")
    affine = prep.affine(camera, (w, h))
    inv = invert_affine(np.asarray(affine, dtype=np.float64))
    pil = Image.fromarray(pixels)

    def with_pil():
        # Pillow's coordinates put pixel k's centre at k + 0.5, hdnet's at k: shift by half a
        # pixel on both sides of the inverse map
        c = inv @ np.array([-0.5, -0.5, 1.0]) + 0.5
        data = (inv[0, 0], inv[0, 1], c[0], inv[1, 0], inv[1, 1], c[1])
        out = pil.transform((size, size), Image.Transform.AFFINE, data, resample=Image.Resampling.BILINEAR)
        x = torch.from_numpy(np.asarray(out, dtype=np.float32) / 255.0).permute(2, 0, 1)
        return normalize_image(x, prep.mean, prep.std)

    image = load_image(pixels)

    def with_torch():
        return normalize_image(warp_image(image, affine, size), prep.mean, prep.std)

    t = interleaved_medians([("pil", with_pil), ("hdnet", with_torch),
                             ("frame", lambda: prep.frame(image, camera, affine))], repeats)
    inside = (slice(None), slice(4, -4), slice(4, -4))  # the borders differ in edge handling
    diff = float(((with_pil() - with_torch()) * torch.tensor(prep.std)[:, None, None])[inside].abs().max())
    rows = [["Pillow affine transform (uint8) + normalise", t["pil"], 1.0],
            ["hdnet warp_image (grid_sample, float32) + normalise", t["hdnet"], t["pil"] / t["hdnet"]],
            ["hdnet Preprocessing.frame (the warp + the coordinate map)", t["frame"], t["pil"] / t["frame"]]]
    return Table(f"Framing one {size} px input from a {w}x{h} photo", ["path", "ms", "speed-up"], rows,
                 [f"largest difference inside the frame: {255 * diff:.1f} / 255 (Pillow works in 8 bits)"])


def bench_end_to_end(depth, size, images=32, people=4, device="cpu", batch_images=8, workers=2):
    """Photos on disk to camera-space roots (decode, framing, network, back-projection) with
    ``Predictor.predict_many``, beside the network alone on the same batches and beside the
    plain loop of ``Predictor.predict`` per image."""
    import tempfile
    import time
    from pathlib import Path

    import numpy as np
    from PIL import Image

    from ..camera import Camera
    from ..data.transforms import Preprocessing
    from ..predict import Predictor
    torch.manual_seed(0)
    model = HDNet(backbone=ResNetFPN(depth), preprocessing=Preprocessing(size, "principal")).eval().to(device)
    predictor = Predictor(model, device=device)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        items = []
        for k in range(images):
            path = Path(tmp) / f"photo_{k}.jpg"
            Image.fromarray(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)).save(path, quality=90)
            x0 = rng.uniform(0, 400, people)
            boxes = np.stack([x0, np.full(people, 60.0), x0 + 150, np.full(people, 440.0)], 1)
            items.append((str(path), boxes, Camera(600.0, 600.0, 320.0, 240.0)))
        list(predictor.predict_many(items[:batch_images], workers=workers, batch_images=batch_images))  # warm-up
        t0 = time.perf_counter()
        results = list(predictor.predict_many(items, workers=workers, batch_images=batch_images))
        t_e2e = time.perf_counter() - t0
        assert len(results) == images and all(len(r) == people for r in results)
        jobs = [predictor._prepare(it) for it in items]
        groups = [jobs[i:i + batch_images] for i in range(0, images, batch_images)]
        t0 = time.perf_counter()
        with torch.inference_mode():
            for g in groups:
                predictor._forward_jobs(g)
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()
        t_net = time.perf_counter() - t0
        t0 = time.perf_counter()
        for it in items:
            predictor.predict(*it)
        t_loop = time.perf_counter() - t0
    rows = [["predict_many (decode + framing + network + back-projection)", images / t_e2e, people * images / t_e2e],
            ["network alone, same batches (inputs ready)", images / t_net, people * images / t_net],
            ["predict(), one image per call", images / t_loop, people * images / t_loop]]
    gap = 1 - t_net / t_e2e
    table = Table(f"End to end: {images} photos 640x480 with {people} people each, ResNet-{depth}-FPN {size}x{size}, "
                  f"batch {batch_images} images, {workers} decode threads",
                  ["path", "images/s", "people/s"], rows,
                  [f"gap between end to end and the network alone: {100 * gap:.1f} %"])
    return table, {"images_per_s": images / t_e2e, "network_only_images_per_s": images / t_net,
                   "people_per_s": people * images / t_e2e, "loop_images_per_s": images / t_loop,
                   "gap": gap}


def run(quick: bool = False, repeats: int = 10, device: str = "cpu", compile: bool = False) -> Report:
    dev = resolve_device(device)
    depth, size, reps = (18, 64, 2) if quick else (50, 256, repeats)
    torch.set_grad_enabled(True)
    people, people_summary = bench_people(depth, size, reps, (1, 2) if quick else (1, 4, 16), dev)
    whole, throughput = bench_whole(depth, size, reps, (1, 2) if quick else (1, 8), memory=not quick,
                                    device=dev)
    options = bench_options(depth, size, reps, device=dev, compile=compile)
    framing = bench_framing(size, reps)
    e2e, e2e_summary = bench_end_to_end(depth, size, images=4 if quick else 32, device=str(dev),
                                        batch_images=2 if quick else 8)
    return Report("model", environment(dev), [people, whole, options, framing, e2e],
                  {"throughput": throughput, "people": people_summary, "end_to_end": e2e_summary})


def main(argv=None) -> int:
    ap = bench_parser("hdnet bench model", __doc__, 10, "ResNet-18 at 64x64 (a smoke test)")
    ap.add_argument("--compile", action="store_true",
                    help="also time torch.compile (inductor needs a C++ compiler; compiling takes minutes)")
    args = ap.parse_args(argv)
    run(args.quick, args.repeats, args.device, args.compile).emit(args.json, args.markdown)
    return 0


if __name__ == "__main__":
    main()
