"""Keypoint model throughput: ``hdnet bench keypoint [--quick] [--device cuda] [--json FILE]``.

People per second of the shipped :class:`hdnet.keypoint.KeypointHDNet` (``pretrained()``, the
model ``hdnet predict`` runs; COCO-17 keypoints), at batch 1 and in large batches: one forward pass
over the whole batch of normalised keypoints, and ``predict`` (pixels and a camera in,
undistortion, passes of ``max_batch`` = 256 people), against the straightforward way of
running it: one person per call.
"""

from __future__ import annotations

import torch

from ..camera import Camera
from ..keypoint import KeypointHDNet
from ._harness import Report, Table, environment, interleaved_medians, resolve_device, run_main


def run(quick: bool = False, repeats: int = 10, device: str = "cpu", batches=(1, 64, 1024, 4096)) -> Report:
    dev = resolve_device(device)
    torch.manual_seed(0)
    model = KeypointHDNet.pretrained().to(dev).eval()
    sizes = (1, 16, 256) if quick else batches
    reps = 2 if quick else repeats
    rows, summary = [], {}
    one = torch.randn(1, 17, 2, device=dev) * 0.1
    fmt = "coco_17"

    def per_person(n, xy):
        for i in range(n):
            model(xy[i:i + 1], None, fmt)

    camera = Camera(1000.0, 1000.0, 640.0, 360.0, radial=(0.01, -0.002, 0.0))
    predict_s = {}
    for b in sizes:
        xy = torch.randn(b, 17, 2, device=dev) * 0.1
        px = (xy.double().cpu() * 1000 + torch.tensor([640.0, 360.0], dtype=torch.float64)).numpy()
        n_ref = min(b, 64)
        with torch.inference_mode():
            variants = [("batched", lambda: model(xy, None, fmt)),
                        ("predict", lambda: model.predict(px, camera, format=fmt)),
                        ("one person per call", lambda: per_person(n_ref, xy))]
            t = interleaved_medians(variants, reps)
        people_s = 1e3 * b / t["batched"]
        ref_s = 1e3 * n_ref / t["one person per call"]
        predict_s[str(b)] = 1e3 * b / t["predict"]
        rows.append([b, t["batched"], people_s, predict_s[str(b)], ref_s, predict_s[str(b)] / ref_s])
        summary[str(b)] = people_s
    with torch.inference_mode():
        model(one, None, fmt)
    best = max(summary.values())
    table = Table(f"shipped KeypointHDNet ({model.gnn.num_layers} x {model.channels} ch GNN, {model.width} wide, "
                  f"{fmt} input), inference_mode, {dev}",
                  ["batch", "forward ms", "people/s forward", "people/s predict (px in)",
                   "people/s one per call", "predict speed-up"], rows)
    return Report("keypoint", environment(dev), [table],
                  {"keypoint": {"people_per_s": summary, "people_per_s_batch1": summary[str(sizes[0])],
                                "people_per_s_best": best, "predict_people_per_s": predict_s,
                                "predict_people_per_s_largest": predict_s[str(sizes[-1])]}})


def main(argv=None) -> int:
    return run_main("hdnet bench keypoint", __doc__, 10, "small batches (a smoke test)", run, argv)


if __name__ == "__main__":
    main()
