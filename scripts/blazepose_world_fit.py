"""BlazePose's own 3D answer on the six real photos, placed by its 2D landmarks (docs/real.md).

    python scripts/blazepose_world_fit.py [--realdata DIR]

MediaPipe's BlazePose gives, beside its 33 image landmarks, the same 33 points in metres about
the middle of the hips (``pose_world_landmarks``: its own guess of the body, size included).
Both come from one network with one set of definitions, so fitting the 3D points to the 2D
ones with the true camera (the translation that minimises the visibility-weighted reprojection
error, linear in normalised coordinates) places the person with no definition gap between the
two; what it cannot know is the person's size, like any method from one image. Printed per
photo: the fitted root against the truth (the annotations' pelvis), the depth ratio, and the
mean root error. Analysis only (needs ``pip install "hdnet[mediapipe]"``); nothing is fitted on
the photos and nothing here is used by the model.
"""

import argparse
import json
from pathlib import Path

import numpy as np

from hdnet.keypoint.detectors import load_image_as_shown


def place(image_px: np.ndarray, world_mm: np.ndarray, weight: np.ndarray, f, c) -> np.ndarray:
    """The translation ``t`` (mm) that puts ``world_mm [J, 3]`` where it is seen, ``image_px [J,
    2]``: for each point ``x (Z + t_z) = X + t_x`` (and the same in y) in normalised coordinates
    ``x``, solved by weighted least squares."""
    x = (image_px - np.asarray(c, float)) / np.asarray(f, float)
    rows, rhs, w = [], [], []
    for j in range(len(x)):
        for axis in (0, 1):
            row = np.zeros(3)
            row[axis], row[2] = -1.0, x[j, axis]
            rows.append(row)
            rhs.append(world_mm[j, axis] - x[j, axis] * world_mm[j, 2])
            w.append(np.sqrt(weight[j]))
    a, b, sw = np.array(rows), np.array(rhs), np.array(w)
    return np.linalg.lstsq(a * sw[:, None], b * sw, rcond=None)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--realdata", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "realdata"))
    args = ap.parse_args()
    import mediapipe as mp
    errors = []
    for sub, root in (("h36m", 0), ("mpi_inf_3dhp", 14)):
        with open(Path(args.realdata) / sub / "annotations.json") as fh:
            frames = json.load(fh)["frames"]
        for fr in frames:
            path = Path(args.realdata) / sub / fr["image"].split("/")[-1]
            rgb = load_image_as_shown(path)
            with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
                found = pose.process(rgb)
            if found.pose_landmarks is None:
                print(f"{path.name}: nobody found")
                continue
            h, w = rgb.shape[:2]
            seen = np.array([[p.x * w, p.y * h, p.visibility] for p in found.pose_landmarks.landmark])
            world = 1000.0 * np.array([[p.x, p.y, p.z] for p in found.pose_world_landmarks.landmark])
            t = place(seen[:, :2], world, seen[:, 2], fr["camera"]["f"], fr["camera"]["c"])
            truth = np.asarray(fr["joints_cam_mm"])[root]
            errors.append(float(np.linalg.norm(t - truth)))
            print(f"{path.name}: root {np.round(t).astype(int).tolist()} mm, truth "
                  f"{np.round(truth).astype(int).tolist()}, error {errors[-1]:.0f} mm, depth x{t[2] / truth[2]:.3f}")
    if errors:
        print(f"mean root error over {len(errors)} photos: {np.mean(errors):.0f} mm")


if __name__ == "__main__":
    main()
