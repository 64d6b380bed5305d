"""Keypoint model throughput: ``hdnet bench keypoint [--quick] [--device cuda] [--json FILE]``.

People per second of :class:`hdnet.models.KeypointHDNet` (the default architecture, random
weights: speed does not depend on them) on normalised keypoints, at batch 1 and in large
batches, against the straightforward way of running it: one person per call.
"""

from __future__ import annotations

import torch

from ..models import KeypointHDNet
from ._harness import Report, Table, environment, interleaved_medians, resolve_device, run_main


def run(quick: bool = False, repeats: int = 10, device: str = "cpu", batches=(1, 64, 1024, 4096)) -> Report:
    dev = resolve_device(device)
    torch.manual_seed(0)
    model = KeypointHDNet().to(dev).eval()
    sizes = (1, 16, 256) if quick else batches
    reps = 2 if quick else repeats
    rows, summary = [], {}
    one = torch.randn(1, 17, 2, device=dev) * 0.1

    def per_person(n, xy):
        for i in range(n):
            model(xy[i:i + 1])

    for b in sizes:
        xy = torch.randn(b, 17, 2, device=dev) * 0.1
        with torch.inference_mode():
            variants = [("batched", lambda: model(xy))]
            n_ref = min(b, 64)
            variants.append(("one person per call", lambda: per_person(n_ref, xy)))
            t = interleaved_medians(variants, reps)
        people_s = 1e3 * b / t["batched"]
        ref_s = 1e3 * n_ref / t["one person per call"]
        rows.append([b, t["batched"], people_s, ref_s, people_s / ref_s])
        summary[str(b)] = people_s
    with torch.inference_mode():
        model(one)
    best = max(summary.values())
    table = Table(f"KeypointHDNet ({model.gnn.num_layers} x {model.channels} ch GNN, {model.skeleton.name}), "
                  f"inference_mode, {dev}",
                  ["batch", "ms per batch", "people/s", "people/s one per call", "speed-up"], rows)
    return Report("keypoint", environment(dev), [table],
                  {"keypoint": {"people_per_s": summary, "people_per_s_batch1": summary[str(sizes[0])],
                                "people_per_s_best": best}})


def main(argv=None) -> int:
    return run_main("hdnet bench keypoint", __doc__, 10, "small batches (a smoke test)", run, argv)


if __name__ == "__main__":
    main()
