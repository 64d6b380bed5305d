"""Geometric baselines on the real Human3.6M frames: ``hdnet bench baselines SHARED``.

Inputs per person: the ground-truth 2D joints, a box around them (the tight box of the 17
joints grown by 20% about its centre), and the camera with its distortion. Depth from each
baseline; X, Y by back-projecting the ground-truth 2D root at that depth; MRPE against the
ground-truth root. "fitted" constants are fitted leave-one-out (on the other frames).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..baselines import fit_k_value, fit_skeleton_scale, k_value_depth, skeleton_fit_depth
from ..camera import Camera
from ..metrics import mrpe
from ._harness import Report, Table, environment


def load(shared: Path):
    frames = json.loads((shared / "realdata" / "h36m" / "annotations.json").read_text())["frames"]
    cams = [Camera.from_dict(f["camera"]) for f in frames]
    joints = np.array([f["joints_2d_px"] for f in frames])
    roots = np.array([f["joints_cam_mm"][0] for f in frames])
    lo, hi = joints.min(1), joints.max(1)
    c, size = (lo + hi) / 2, (hi - lo) * 1.2
    boxes = np.concatenate([c - size / 2, size], 1)
    return cams, joints, roots, boxes


def evaluate(shared: Path) -> Table:
    cams, joints, roots, boxes = load(shared)
    n = len(cams)

    def roots_at(depths):
        return np.stack([cams[i].backproject(joints[i, 0], depths[i]) for i in range(n)])

    def loo(fit, predict):
        out = np.empty(n)
        for i in range(n):
            rest = [k for k in range(n) if k != i]
            out[i] = predict(i, fit(rest))
        return out

    rows = []
    z = k_value_depth(boxes, cams)
    rows.append(["k_value, RootNet's A = 2000 x 2000 mm", z])
    z = loo(lambda r: fit_k_value(boxes[r], [cams[k] for k in r], roots[r, 2]),
            lambda i, a: k_value_depth(boxes[i:i + 1], cams[i], a)[0])
    rows.append(["k_value, A fitted (leave-one-out)", z])
    z = skeleton_fit_depth(joints, cams, "h36m_17")
    rows.append(["skeleton_fit, mean bone lengths", z])
    z = loo(lambda r: fit_skeleton_scale(joints[r], [cams[k] for k in r], roots[r, 2], "h36m_17"),
            lambda i, s: skeleton_fit_depth(joints[i], cams[i], "h36m_17", scale=s)[0])
    rows.append(["skeleton_fit, scale fitted (leave-one-out)", z])
    out = []
    for name, depths in rows:
        m = mrpe(roots_at(depths), roots)
        out.append([name, m["mrpe"], m["x"], m["y"], m["z"]])
    return Table(f"Human3.6M real frames ({n}: S1, S5, S7, S8), ground-truth 2D joints and boxes",
                 ["baseline", "MRPE mm", "x", "y", "z"], out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="hdnet bench baselines", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shared", help="the folder holding realdata/h36m (licensed data, not shipped with hdnet)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    if not (shared / "realdata" / "h36m" / "annotations.json").is_file():
        print(f"error: shared: no realdata/h36m/annotations.json under {str(shared)!r}", file=sys.stderr)
        return 2
    Report("baselines", environment(), [evaluate(shared)]).emit(args.json, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
