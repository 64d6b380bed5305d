"""How much of a keypoint model's root error on MuPoTS-3D is the people's size (docs/real.md).

    python scripts/mupots_size_analysis.py [--checkpoint CKPT] [--annotations DIR]

Per person (the person index of a sequence): their size (median skeleton length from the head
top to the ankles, ``hdnet.keypoint.height.skeleton_length_mm`` of ``annot3``) against the
model's depth bias (median of true over predicted depth, minus 1), with the correlation and the
slope; then the MRPE the model would reach if each person's answer were scaled about the camera
by their own median ratio (their size known), by their sequence's (each sequence's mean size
known), or by their own relative to their sequence's (the best a shared floor can do: it makes
people's sizes agree with each other, not with the truth). Analysis only: nothing here is used
by the model.

More measurements of the same records, cues that turned out not to be there:

- *Proportions as a ruler for the size*: each person's part lengths against their size (the
  elasticity of the head, spine, legs, arms, shoulder and hip widths); a part that grows more
  slowly than the body would let a keypoint model read the size from the body's shape.

- *Off the optical axis*: the slope of the log depth error against the angle between the
  person's root ray and the optical axis, pooled within each sequence and within each person
  (the people whose angle varies by at least 2 degrees). A geometric error would show in both;
  a pooled slope that vanishes within people is who stands where, i.e. size. The same slope on
  the training distribution's held-out views (``--mocap``, the Human3.6M file: every format's
  views of the calibration poses) says whether the model handles the geometry where it was
  trained.
- *Walking as a ruler for the focal length*: a wrong focal length stretches the scene along the
  optical axis, so people would walk faster towards the camera than across it. The true roots'
  speed along Z against X (10-frame steps, annot3) says how isotropically each sequence's
  people walk; it has to be near 1 everywhere for the cue to tell a focal length (scene.md).
- *Facing as a ruler for the focal length*: the stretch turns a walker's heading (``(vx, k vz)``)
  but not the way their body faces (the model reads that from the 2D shape, relative to the
  person's ray), so people who face where they walk would tell ``k``. With the true 3D (``k`` =
  1) the stretch that best aligns each sequence's facing (the hips' normal) with its heading
  says whether the people of MuPoTS-3D walk forwards often enough for that.
- *Calibration from pedestrians in 2D* (no model: the ground-truth 2D, the principal point at
  the image centre): the vertical vanishing point ``V`` from the people's ankles-to-head-top
  lines, the horizon from each track's foot against its image height (for a person of one
  height, ``v_foot = v_horizon + (camera height / person height) * image height``, along the
  direction to ``V``), and ``f^2 = |V| * d_horizon``; the truth from the ankles' plane in
  ``annot3``.

Last, what a known floor gives (the sequence's floor as the plane through its annotated ankles,
as a calibrated camera would tell it): scene.md, "A floor you know".
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from hdnet.core.checkpoint import load_model
from hdnet.data.mocap import read_h36m_mocap
from hdnet.data.mupots_annotations import read_mupots_annotations
from hdnet.data.virtual_cameras import VirtualCameras
from hdnet.keypoint import KeypointHDNet, mupots_predictions
from hdnet.keypoint.height import skeleton_length_mm
from hdnet.keypoint.inputs import normalize_keypoints
from hdnet.keypoint.model import MIN_CONFIDENCE
from hdnet.keypoint.task import KeypointDataConfig, calibration_split, make_views

PELVIS = 14


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="a keypoint model (default: the shipped one)")
    ap.add_argument("--annotations", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
                                                 / "mupots"), help="the MuPoTS-3D annotation folder")
    ap.add_argument("--mocap", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
                                           / "h36m_poses.h5"), help="the training motion capture (Human3.6M layout)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_model(args.checkpoint) if args.checkpoint else KeypointHDNet.pretrained()
    records = mupots_predictions(model.eval(), read_mupots_annotations(args.annotations))
    sizes, biases = [], []
    errors: dict = {"model alone": [], "each person's size": [], "each sequence's size": [],
                    "sizes relative to the sequence (a floor's best)": []}
    for rec in records:
        people, truth = rec["people"], rec["sequence"].annot3[rec["frames"], rec["people"]]
        ratio = truth[:, PELVIS, 2] / rec["root_mm"][:, 2]
        own = np.zeros(len(ratio))
        for p in np.unique(people):
            mine = people == p
            own[mine] = np.median(ratio[mine])
            sizes.append(float(np.median(skeleton_length_mm(truth[mine]))))
            biases.append(100.0 * (own[mine][0] - 1.0))
        seq = np.median(ratio)
        for key, scale in zip(errors, (np.ones(len(ratio)), own, np.full(len(ratio), seq), own / seq), strict=True):
            errors[key].append(np.linalg.norm(rec["root_mm"] * scale[:, None] - truth[:, PELVIS], axis=1))
    s, b = np.array(sizes), np.array(biases)
    print(f"{len(s)} people: depth bias (% too near) against size (mm): correlation {np.corrcoef(s, b)[0, 1]:.2f}, "
          f"slope {100 * np.polyfit(s, b, 1)[0]:.2f} % per 100 mm (a pure size confusion: "
          f"{1e4 / np.median(s):.2f})")
    for key, value in errors.items():
        print(f"MRPE, {key}: {np.mean(np.concatenate(value)):.0f} mm")
    off_axis(records)
    if Path(args.mocap).is_file():
        off_axis_training_views(model, args.mocap)
    proportions(records)
    walking(records)
    facing(records)
    pedestrians(records)
    known_floor(model, records)


def _ankle_plane_up(joints: np.ndarray) -> np.ndarray:
    """The unit up normal ``[3]`` (camera Y is down) of the plane through every ankle of
    ``joints [N, 17, 3]``: the floor as the annotations hold it."""
    ankles = joints[:, [10, 13]].reshape(-1, 3)
    normal = np.linalg.svd(ankles - ankles.mean(0))[2][2]
    return normal if normal[1] < 0 else -normal


def known_floor(model, records) -> None:
    """What a known floor would give (``hdnet predict --floor``; MuPoTS-3D ships no camera
    pose, so its floor is the plane through every annotated lower ankle of the sequence): the
    sequence mode placing people on it, against the floor the scene finds from the people, and
    that found floor's height along the true normal (a perfect tilt, the people's own scale)."""
    from hdnet.keypoint.formats import FORMATS
    from hdnet.scene import Floor, ScenePeople, fit_floor, reason_scene
    rows: dict = {"model alone": [], "the floor found from the people": [], "the true tilt, the people's height": [],
                  "the annotated floor": []}
    print("| sequence | " + " | ".join(rows) + " |\n|---|" + "---|" * len(rows))
    for rec in records:
        truth = rec["sequence"].annot3[rec["frames"], rec["people"]]
        up = _ankle_plane_up(truth)
        lower = (-(truth[:, [10, 13]] @ up)).max(1)  # each person's lower ankle: its height under the camera
        annotated = Floor(up, float(np.median(lower)))
        conf = np.isfinite(rec["input_2d"]).all(-1) * rec["confidence"]
        people = ScenePeople.from_prediction(rec["input_2d"], conf, FORMATS.get("mupots_17").skeleton, rec["root_mm"],
                                             rec["joints_rel_mm"], model.output_skeleton("mupots_17"),
                                             rec["depth_std_mm"], rec["camera"], rec["frames"], rec["people"])
        tilt_only = fit_floor(people, up)
        roots = [people.root_mm, reason_scene(people, "sequence").root_mm,
                 reason_scene(people, "sequence", floor=tilt_only).root_mm if tilt_only else people.root_mm,
                 reason_scene(people, "sequence", floor=annotated).root_mm]
        cells = []
        for key, root in zip(rows, roots, strict=True):
            rows[key].append(np.linalg.norm(root - truth[:, PELVIS], axis=1))
            cells.append(f"{rows[key][-1].mean():.0f}")
        print(f"| {rec['sequence'].name} | " + " | ".join(cells) + " |")
    print("| all | " + " | ".join(f"{np.concatenate(v).mean():.0f}" for v in rows.values()) + " |")


def _slope_per_10_degrees(angle: np.ndarray, log_error: np.ndarray) -> float:
    """Least-squares slope of ``log_error`` on ``angle`` (both centred), per 10 degrees."""
    a = angle - angle.mean()
    return float(10.0 * (a * (log_error - log_error.mean())).sum() / (a * a).sum())


def off_axis(records) -> None:
    pooled, within, weights = [], [], []
    for rec in records:
        truth = rec["sequence"].annot3[rec["frames"], rec["people"]][:, PELVIS]
        angle = np.degrees(np.arccos(truth[:, 2] / np.linalg.norm(truth, axis=1)))
        log_error = np.log(rec["root_mm"][:, 2] / truth[:, 2])
        pooled.append(_slope_per_10_degrees(angle, log_error))
        for p in np.unique(rec["people"]):
            mine = rec["people"] == p
            if angle[mine].std() >= 2.0:
                within.append(_slope_per_10_degrees(angle[mine], log_error[mine]))
                weights.append(int(mine.sum()))
    print(f"depth error off the optical axis, per 10 degrees: within sequences {100 * np.mean(pooled):+.1f} % "
          f"({', '.join(f'{100 * v:+.1f}' for v in pooled)}); within each of {len(within)} people "
          f"{100 * np.average(within, weights=weights):+.1f} %")


def off_axis_training_views(model, mocap: str, n: int = 16384) -> None:
    config = KeypointDataConfig(mocap=mocap)
    poses = read_h36m_mocap(mocap, config.subjects)
    _, held = calibration_split(poses)
    bodies = torch.from_numpy(poses.poses[held])
    g = torch.Generator().manual_seed(0)
    cameras = VirtualCameras(config.camera_config())
    cameras.generator = g
    angle, log_error = [], []
    for fmt in model.formats:
        views = make_views(bodies[torch.randint(len(bodies), (n // len(model.formats),), generator=g)], fmt, cameras,
                           config, poses.up, g)
        keep = (views["confidence"] >= MIN_CONFIDENCE).sum(1) >= 2
        with torch.no_grad():
            out = model(normalize_keypoints(views["keypoints_px"], views["cameras"]).float()[keep],
                        views["confidence"].float()[keep], fmt)
        root = views["h36m"][keep][:, 0].double()
        angle.append(torch.rad2deg(torch.acos(root[:, 2] / root.norm(dim=1))).numpy())
        log_error.append(np.log(out.depth_mm.double().numpy() / root[:, 2].numpy()))
    a, e = np.concatenate(angle), np.concatenate(log_error)
    bands = [(lo, lo + 10) for lo in range(0, 50, 10)]
    print(f"the training distribution's held-out views ({len(a)}, every format): per 10 degrees "
          f"{100 * _slope_per_10_degrees(a, e):+.1f} %; mean log depth error by angle "
          + ", ".join(f"{lo}-{hi}: {100 * e[(a >= lo) & (a < hi)].mean():+.1f} %" for lo, hi in bands))


#: Body parts as pairs of MuPoTS-3D joints (each part the sum of its bones' median lengths).
_PARTS = {"head (head top to neck)": [(0, 1)], "spine (pelvis to neck)": [(14, 15), (15, 1)],
          "leg (hip to ankle)": [(8, 9), (9, 10), (11, 12), (12, 13)], "arm (shoulder to wrist)": [(2, 3), (3, 4),
                                                                                                 (5, 6), (6, 7)],
          "shoulder width": [(2, 5)], "hip width": [(8, 11)]}


def proportions(records) -> None:
    """Do a body's proportions tell its size? Each person's median part lengths (``annot3``)
    against their size: where a part grows more slowly than the body (an elasticity under 1,
    as the head does across adults in anthropometric surveys), its share of the body's image
    would be a ruler a keypoint model could learn."""
    sizes, parts = [], {k: [] for k in _PARTS}
    for rec in records:
        seq = rec["sequence"]
        for p in range(seq.valid.shape[1]):
            joints = seq.annot3[seq.valid[:, p], p]
            if len(joints) < 10:
                continue
            sizes.append(float(np.median(skeleton_length_mm(joints))))
            for key, bones in _PARTS.items():
                n = 2 if len(bones) == 4 else 1  # left and right limbs: their mean
                parts[key].append(sum(float(np.median(np.linalg.norm(joints[:, a] - joints[:, b], axis=1)))
                                      for a, b in bones) / n)
    s = np.log(sizes)
    print(f"proportions of {len(sizes)} people against their size (elasticity: a part's log length against the "
          "size's; 1 = grows with the body):")
    for key, values in parts.items():
        v = np.log(values)
        print(f"  {key}: elasticity {np.polyfit(s, v, 1)[0]:.2f}, correlation of its share with the size "
              f"{np.corrcoef(s, v - s)[0, 1]:+.2f}")


def walking(records, step: int = 10) -> None:
    ratios = []
    for rec in records:
        seq = rec["sequence"]
        vx, vz = [], []
        for p in range(seq.valid.shape[1]):
            root, ok = seq.annot3[:, p, PELVIS], seq.valid[:, p]
            both = ok[step:] & ok[:-step]
            move = (root[step:] - root[:-step])[both]
            vx.append(move[:, 0])
            vz.append(move[:, 2])
        x, z = np.concatenate(vx), np.concatenate(vz)
        ratios.append(float(np.sqrt((z ** 2).mean() / (x ** 2).mean())))
    print(f"walking speed along the optical axis over across it (rms, {step}-frame steps), per sequence: "
          + ", ".join(f"{r:.2f}" for r in ratios))


def _facing_azimuth(joints: np.ndarray) -> np.ndarray:
    """``[N]`` the azimuth (about the camera's y axis) of the way a body ``[N, 17, 3]`` faces:
    the normal of the hips (left to right) and the body's axis (pelvis to neck)."""
    up = joints[:, 1] - joints[:, PELVIS]
    normal = np.cross(up, joints[:, 8] - joints[:, 11])
    return np.arctan2(normal[:, 0], normal[:, 2])


def facing(records, step: int = 10, min_step_mm: float = 130.0) -> None:
    stretches = np.exp(np.linspace(np.log(0.5), np.log(2.0), 141))
    out = []
    for rec in records:
        seq = rec["sequence"]
        cost = np.zeros(len(stretches))
        steps = 0
        for p in range(seq.valid.shape[1]):
            joints, ok = seq.annot3[:, p], seq.valid[:, p]
            both = ok[step:] & ok[:-step]
            root = joints[:, PELVIS]
            move = root[step:] - root[:-step]
            walking = both & (np.hypot(move[:, 0], move[:, 2]) > min_step_mm)
            if not walking.any():
                continue
            steps += int(walking.sum())
            face = np.angle((np.exp(1j * _facing_azimuth(joints[step:])) + np.exp(1j * _facing_azimuth(joints[:-step])))
                            [walking])
            at, move = root[step:][walking], move[walking]
            for i, k in enumerate(stretches):
                # the scene stretched by k: the heading turns, the facing turns with the ray
                ray_turn = np.arctan2(at[:, 0], k * at[:, 2]) - np.arctan2(at[:, 0], at[:, 2])
                heading = np.arctan2(move[:, 0], k * move[:, 2])
                cost[i] += np.abs(np.angle(np.exp(1j * (face + ray_turn - heading)))).sum()
        out.append(f"{seq.name} {stretches[np.argmin(cost)]:.2f} ({steps})" if steps else f"{seq.name} -")
    print(f"the stretch that best aligns facing with heading on the true 3D (1 would be right; {step}-frame "
          f"steps of over {min_step_mm:g} mm, their count): " + ", ".join(out))


def _vanishing_point(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Homogeneous ``[3]`` least-squares meeting point of the lines through ``a[i]`` and ``b[i]``."""
    one = np.ones((len(a), 1))
    lines = np.cross(np.hstack([a, one]), np.hstack([b, one]))
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    return np.linalg.svd(lines)[2][-1]


def _theil_sen_intercept(x: np.ndarray, y: np.ndarray) -> float:
    i, k = np.triu_indices(len(x), 1)
    ok = x[k] != x[i]
    slope = np.median((y[k] - y[i])[ok] / (x[k] - x[i])[ok])
    return float(np.median(y - slope * x))


def pedestrians(records, min_size_change: float = 1.1) -> None:
    out = []
    for rec in records:
        seq = rec["sequence"]
        centre = np.array([seq.width, seq.height]) / 2.0
        feet = (seq.annot2[..., 10, :] + seq.annot2[..., 13, :]) / 2 - centre
        tops = seq.annot2[..., 0, :] - centre
        v = _vanishing_point(feet[seq.valid], tops[seq.valid])
        vp = v[:2] / v[2]
        down = vp / np.linalg.norm(vp)
        normal = _ankle_plane_up(seq.annot3[seq.valid])
        true_vp = seq.camera.fx * normal[:2] / normal[2] + np.array([seq.camera.cx, seq.camera.cy]) - centre
        true_horizon = seq.camera.fx * abs(normal[2]) / np.linalg.norm(normal[:2])
        horizons = []
        for p in range(seq.valid.shape[1]):
            ok = seq.valid[:, p]
            foot, size = feet[ok, p] @ down, (feet[ok, p] - tops[ok, p]) @ down
            if size.min() > 0 and size.max() / size.min() >= min_size_change:
                horizons.append(-_theil_sen_intercept(size[::3], foot[::3]))
        horizon = float(np.median(horizons)) if horizons else float("nan")
        f = np.sqrt(np.linalg.norm(vp) * horizon) if horizon > 0 else float("nan")
        out.append(f"{seq.name} |V| {np.linalg.norm(vp):.0f} ({np.linalg.norm(true_vp):.0f}), horizon {horizon:.0f} "
                   f"({true_horizon:.0f}), f {f:.0f} ({seq.camera.fx:.0f})")
    print("calibration from pedestrians in 2D, px from the image centre (the truth in brackets; a horizon "
          f"needs a track whose image height changes by {min_size_change:g}x): " + "; ".join(out))


if __name__ == "__main__":
    main()
