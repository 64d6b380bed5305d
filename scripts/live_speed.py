"""How long :class:`hdnet.keypoint.LiveScene` takes per frame, against the straightforward way
to place a live camera's newest frame on the floor of the frames before it (``predict_scene`` of
``"sequence"`` mode over the last ``--history`` seconds, again at every frame) and against the
model alone (``predict``, no floor).

    python scripts/live_speed.py [--frames 360] [--people 3] [--threads 1]

A made-up video at 30 frames per second: ``--people`` bodies walking over a floor seen from 1.6 m,
12 degrees down. The times are medians over the frames after the history is full.
"""

import argparse
import time

import numpy as np
import torch

from hdnet import Camera
from hdnet.data.synthetic import standing_bodies
from hdnet.keypoint import KeypointHDNet, LiveScene

CAMERA = Camera(1400.0, 1400.0, 960.0, 540.0)


def walkers(frames: int, people: int, seed: int = 0) -> np.ndarray:
    """``[frames, people, 17, 2]`` keypoints of bodies walking on a floor (MuPoTS joints)."""
    p = np.radians(12.0)
    rot = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]]) @ \
        np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])
    t = -rot @ np.array([0.0, 0.0, 1600.0])
    rng = np.random.default_rng(seed)
    bodies = standing_bodies(people, seed)
    start = np.stack([rng.uniform(-1500, 1500, people), rng.uniform(3500, 7000, people)], 1)
    out = np.zeros((frames, people, 17, 2))
    for f in range(frames):
        for k in range(people):
            x, y = start[k] + 1000.0 * np.array([np.sin(f / 90 + k), np.cos(f / 120 + k)])
            world = bodies[k] - bodies[k][14] * [1, 1, 0] + [x, y, 0.0]
            out[f, k] = CAMERA.project(world @ rot.T + t)
    return out



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=360)
    ap.add_argument("--people", type=int, default=3)
    ap.add_argument("--history", type=float, default=10.0, help="seconds of frames the floor is found from")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = KeypointHDNet.pretrained("mupots_17")
    kp = walkers(args.frames, args.people)
    fps = 30.0
    history = int(args.history * fps)
    live = LiveScene(model, CAMERA, "mupots_17", frame_rate=fps, history_s=args.history)
    times = {"LiveScene.update": [], "predict_scene over the history": [], "predict alone": []}
    frame = np.repeat(np.arange(args.frames), args.people)
    for f in range(args.frames):
        t0 = time.perf_counter()
        live.update(kp[f])
        t1 = time.perf_counter()
        model.predict(kp[f], CAMERA, format="mupots_17")
        t2 = time.perf_counter()
        if f >= history:  # the straightforward way, once the history is full
            lo = (f - history + 1) * args.people
            flat = kp[:f + 1].reshape(-1, 17, 2)[lo:]
            model.predict_scene(flat, CAMERA, "sequence", format="mupots_17", image=frame[lo:(f + 1) * args.people])
            t3 = time.perf_counter()
            times["LiveScene.update"].append(t1 - t0)
            times["predict alone"].append(t2 - t1)
            times["predict_scene over the history"].append(t3 - t2)
    med = {k: 1e3 * float(np.median(v)) for k, v in times.items()}
    print(f"{args.people} people a frame, {args.history:g} s of history at {fps:g} fps, {args.threads} thread(s), "
          f"median over {len(times['predict alone'])} frames: " + ", ".join(f"{k} {v:.1f} ms" for k, v in med.items())
          + f"; LiveScene {med['predict_scene over the history'] / med['LiveScene.update']:.1f}x faster than the "
          f"straightforward way, {med['LiveScene.update'] / med['predict alone']:.1f}x the model alone")


if __name__ == "__main__":
    main()
