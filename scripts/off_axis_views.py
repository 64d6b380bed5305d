"""How far off the optical axis can the keypoint model place people, and does a view turned
towards them help? Human3.6M S9 and S11 (never trained on) standing on a floor, seen by a level
or slightly pitched camera (height 1.0-2.5 m, pitch -25..+5 degrees) from 1.5-6 m at any
bearing; each person's root error by the angle of their root's ray from the optical axis, with
the model as it is (which turns the view past ``WIDEST_TRAINED_DEG``), without any turn, and
with every view turned.

    python scripts/off_axis_views.py [--mocap ../shared/realdata/h36m_poses.h5] [--people 4000]
"""

import argparse
import math

import numpy as np
import torch

import hdnet.keypoint.model as keypoint_model
from hdnet import Camera
from hdnet.data.mocap import read_h36m_mocap
from hdnet.graphs import convert_joints
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.inputs import turn_towards_axis
from hdnet.keypoint.task import to_mupots

TURNS = {"as shipped": (keypoint_model.WIDEST_TRAINED_DEG, keypoint_model.FULL_TURN_DEG),
         "never turned": None, "always turned": (0.0, 1e-6)}


def _scene(rng, body_world):
    """One person's MuPoTS joints ``[17, 3]`` in a random level-ish camera's axes (mm), or None
    where part of the body is behind or too near the camera."""
    h, pitch = rng.uniform(1000, 2500), math.radians(rng.uniform(-25, 5))
    dist, bearing, yaw = rng.uniform(1500, 6000), math.radians(rng.uniform(-85, 85)), rng.uniform(-np.pi, np.pi)
    b = body_world - [body_world[14, 0], body_world[14, 1], 0.0]  # feet stay on the floor (z = 0)
    turn = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
    b = b @ turn.T + [dist * math.sin(bearing), dist * math.cos(bearing), -h]
    cam = np.stack([b[:, 0], -b[:, 2], b[:, 1]], -1)  # x right, y down, z forward
    c, s = math.cos(-pitch), math.sin(-pitch)
    cam = cam @ np.array([[1, 0, 0], [0, c, -s], [0, s, c]]).T
    return None if (cam[:, 2] < 300).any() else cam


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mocap", default="../shared/realdata/h36m_poses.h5")
    ap.add_argument("--people", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    data = read_h36m_mocap(args.mocap, ["S9", "S11"])
    pick = rng.choice(len(data.poses), args.people, replace=False)
    world = to_mupots(torch.as_tensor(data.poses[pick], dtype=torch.float64)).numpy()
    model = KeypointHDNet.pretrained("coco_17")
    camera = Camera(1000.0, 1000.0, 0.0, 0.0)
    bodies = [b for b in (_scene(rng, w) for w in world) if b is not None]
    kp = []
    for body in bodies:
        coco, made = convert_joints(camera.project(body)[None], "mupots_17", "coco_17")
        kp.append(np.concatenate([np.nan_to_num(coco[0]), made[:, None].astype(float)], -1))
    keypoints, roots = np.stack(kp), np.stack([b[14] for b in bodies])
    angle = np.degrees(np.arccos(roots[:, 2] / np.linalg.norm(roots, axis=1)))
    shipped = keypoint_model.turn_towards_axis
    errors = {}
    for name, turn in TURNS.items():
        keypoint_model.turn_towards_axis = (
            (lambda kp, vis, a, b: (kp, torch.eye(3, dtype=kp.dtype).expand(kp.shape[0], 3, 3))) if turn is None
            else (lambda kp, vis, a, b, t=turn: turn_towards_axis(kp, vis, *t)))
        out = model.predict(keypoints[..., :2], camera, keypoints[..., 2], format="coco_17")
        errors[name] = np.linalg.norm(out.root_mm.double().numpy() - roots, axis=1)
    keypoint_model.turn_towards_axis = shipped
    print(f"{len(bodies)} people of S9 and S11; root error (mm), mean / median, by the root's angle from the axis")
    print("| angle | people | " + " | ".join(TURNS) + " |")
    print("|---|---|" + "---|" * len(TURNS))
    for lo in range(0, 90, 10):
        sel = (angle >= lo) & (angle < lo + 10)
        if sel.sum() < 20:
            continue
        cells = [f"{errors[n][sel].mean():.0f} / {np.median(errors[n][sel]):.0f}" for n in TURNS]
        print(f"| {lo}-{lo + 10} | {int(sel.sum())} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
