"""How much a keypoint model's depth follows the pixel size of a person's small parts.

    python scripts/part_size_sensitivity.py [--checkpoint run/last.pt] [--format blazepose_33]

A detector's face, hand and foot points are definitions as much as anatomy: which point of an
eye, an ear or a heel it marks differs between detectors by a good part of the part's size. A
model that reads depth from the pixel spacing of those points (a ruler that is exact in
synthetic training data) moves a person whenever a detector marks them differently. Made from
Human3.6M S9 and S11 through their four calibrated cameras (every 25th frame, the format's
keypoints drawn with its definitions, projected exactly, scores 1): the face's points are
scaled about their mean by ``s``, each foot's (heel, toes) and each hand's about its ankle or
wrist, the rest of the body left as it is; printed is the median of depth / true depth at
``s`` = 0.8, 1 and 1.25 and the elasticity ``d log(depth) / d log(s)`` between them (0: the
model ignores the part's size; -1: the part alone sets the depth).
"""

import argparse

import numpy as np
import torch

from hdnet.core.checkpoint import load_model
from hdnet.data.mocap import read_h36m_mocap, world_to_camera
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.formats import FORMATS, synthesize_keypoints
from hdnet.keypoint.task import to_mupots

SCALES = (0.8, 1.0, 1.25)


def part_groups(joints):
    """``{part: [(points, anchor or None), ...]}``: the joints of each small part and the joint
    they are scaled about (None: about their own mean)."""
    face = [i for i, n in enumerate(joints) if any(t in n for t in ("eye", "ear", "nose", "mouth"))]
    feet = [([joints.index(p) for p in (f"{s}_heel", f"{s}_foot_index", f"{s}_big_toe", f"{s}_small_toe")
              if p in joints], joints.index(f"{s}_ankle")) for s in "lr"]
    hands = [([joints.index(p) for p in (f"{s}_pinky", f"{s}_index", f"{s}_thumb") if p in joints],
              joints.index(f"{s}_wrist")) for s in "lr"]
    groups = {"face": [(face, None)], "feet": feet, "hands": hands}
    return {k: [(i, a) for i, a in v if i] for k, v in groups.items() if any(i for i, _ in v)}


def scale_part(px: np.ndarray, members, s: float) -> np.ndarray:
    """Pixels ``[N, J, 2]`` with each group of ``members`` scaled by ``s`` about its anchor."""
    out = px.copy()
    for idx, anchor in members:
        centre = out[:, idx].mean(1, keepdims=True) if anchor is None else out[:, anchor:anchor + 1]
        out[:, idx] = centre + (out[:, idx] - centre) * s
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", help="a keypoint checkpoint (default: the shipped weights)")
    ap.add_argument("--format", default="blazepose_33", help="a detector format with small parts")
    ap.add_argument("--mocap", default="../shared/realdata/h36m_poses.h5")
    args = ap.parse_args()
    model = load_model(args.checkpoint) if args.checkpoint else KeypointHDNet.pretrained()
    model.eval()
    spec = FORMATS.get(args.format)
    groups = part_groups(list(spec.skeleton.joints))
    poses = read_h36m_mocap(args.mocap, ["S9", "S11"])
    ratios: dict = {}
    for subject in ("S9", "S11"):
        sel = np.nonzero(poses.subject == subject)[0][::25]
        for _, cam in sorted(poses.cameras[subject].items()):
            x = torch.from_numpy(world_to_camera(poses.poses[sel], cam.R, cam.T))
            pts = synthesize_keypoints(spec, x, to_mupots(x), torch.Generator().manual_seed(0))
            px = np.asarray(cam.camera.project(pts.numpy()))
            for part, members in groups.items():
                for s in SCALES:
                    with torch.no_grad():
                        out = model.predict(torch.from_numpy(scale_part(px, members, s)), cam.camera, format=spec.name)
                    z = out.root_mm[:, 2].double().numpy()
                    ratios.setdefault((part, s), []).append(z / x[:, 0, 2].numpy())
    print(f"| part ({spec.name}) | depth / true, x{SCALES[0]} | x1 | x{SCALES[2]} | elasticity |")
    print("|---|---|---|---|---|")
    for part in groups:
        r = {s: float(np.median(np.concatenate(ratios[(part, s)]))) for s in SCALES}
        e = np.log(r[SCALES[2]] / r[SCALES[0]]) / np.log(SCALES[2] / SCALES[0])
        print(f"| {part} | {r[SCALES[0]]:.3f} | {r[1.0]:.3f} | {r[SCALES[2]]:.3f} | {e:+.2f} |")


if __name__ == "__main__":
    main()
