"""What batching every image's people into one call is worth to ``hdnet predict --keypoints``
(docs/benchmarks.md): a video's keypoint file of made-up people (``--images`` frames of three
people each, COCO-17), run through the shipped model by ``_predict_images`` once for all the
images, against once per image (the straightforward way), median of ``--repeats`` interleaved
runs, one thread:

    python scripts/predict_batching.py [--images 2000] [--repeats 3]
"""

import argparse
import statistics
import time

import numpy as np
import torch

from hdnet.apps.keypoint_predict import _predict_images
from hdnet.camera import Camera
from hdnet.keypoint import KeypointHDNet

#: One standing person's COCO-17 keypoints (pixels), about 280 px tall.
PERSON = np.array([[320, 100], [325, 95], [315, 95], [332, 98], [308, 98], [345, 140], [295, 140], [355, 190],
                   [285, 190], [360, 235], [280, 235], [335, 240], [305, 240], [338, 310], [302, 310], [340, 380],
                   [300, 380]], dtype=np.float64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    work = []
    for i in range(args.images):
        kp = PERSON[None] + np.array([[[-150.0, 0.0]], [[0.0, 0.0]], [[150.0, 0.0]]]) + rng.normal(0, 2, (3, 17, 2))
        work.append((f"frame_{i}.jpg", kp, np.full((3, 17), 0.9), None))
    cams = {w[0]: (Camera(1000.0, 1000.0, 320.0, 240.0), "--camera") for w in work}
    model = KeypointHDNet.pretrained()
    times: dict = {"one call per image": [], "one batched call": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        for w in work:
            _predict_images(model, [w], cams, "coco_17", False)
        times["one call per image"].append(time.perf_counter() - start)
        start = time.perf_counter()
        _predict_images(model, work, cams, "coco_17", False)
        times["one batched call"].append(time.perf_counter() - start)
    m = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.images} images x 3 people, 1 thread: " + ", ".join(f"{k} {v:.2f} s" for k, v in m.items())
          + f"; {m['one call per image'] / m['one batched call']:.1f}x")


if __name__ == "__main__":
    main()
