"""Choose the scene module's settings on Human3.6M scenes, not on MuPoTS-3D.

    python scripts/scene_dev_h36m.py [--checkpoint run/last.pt] [--out scene_dev.json]
    python scripts/scene_dev_h36m.py --moving     # the moving-camera test instead
    python scripts/scene_dev_h36m.py --rolled     # the scenes through cameras on their side
    python scripts/scene_dev_h36m.py --known-floor  # on each camera's calibrated floor
    python scripts/scene_dev_h36m.py --anchored     # each scene's first person of known height
    python scripts/scene_dev_h36m.py --live         # the frames given one at a time (LiveScene)

Human3.6M's cameras are static and its subjects walk on one floor (world z = 0), so its motion
capture makes scenes with a real floor, real cameras (with their lens distortion) and real
bodies: for each subject (S9 and S11 by default) and each of its four cameras, the subject's
actions taken three at a time become three people of one scene, frame by frame
(person k of the scene is action k: a track), each track's body scaled by its own factor from
N(1, 0.04) (clipped to 0.9-1.1: adult statures vary by about 4 %) about the floor point under its
pelvis, so the feet stay on the floor and the people differ in size as strangers do. Keypoints
are the ``mupots_17`` joints the keypoint model is trained on
(:func:`hdnet.keypoint.task.to_mupots`), projected exactly; the
model answers as it does on MuPoTS-3D, and :func:`hdnet.scene.reason_scene` re-places
everyone. Each setting is varied alone around the defaults; the table printed (and written to
``--out``) is MRPE in mm and the share of people within 25 cm, per image and per sequence.

S9 and S11 are the Human3.6M protocol's test subjects: the model never saw them, so its errors
here are those of people it does not know (on the training subjects they are much smaller, and
a development set made of them prefers the model to the floor). The Human3.6M protocol's figures
(MPJPE, PA-MPJPE, MRPE) do not involve the scene module, so choosing its settings here leaves
them untouched, and MuPoTS-3D stays a measurement (docs/scene.md).
"""

import argparse
import dataclasses
import functools
import json
from typing import Dict, List

import numpy as np
import torch

import hdnet.scene.placement as placement
import hdnet.scene.reasoning as reasoning
from hdnet.data.mocap import read_h36m_mocap, world_to_camera
from hdnet.data.pose_augment import axis_angle_matrices
from hdnet.graphs import get_skeleton
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.task import to_mupots
from hdnet.scene import ScenePeople, placed_by_floor, reason_scene, scene_windows

ROOT = 14  # MuPoTS pelvis
#: reason_scene's windows (a second; a fifteenth of one) at this file's 10 fps: 10 and 1 frames
TRACK_WINDOW, POSE_WINDOW = scene_windows(10.0)


def make_scenes(path: str, max_frames: int, subjects=("S9", "S11"), seed: int = 0) -> List[Dict]:
    """Per subject and camera, triples of actions as three-person sequences (world mm)."""
    data = read_h36m_mocap(path, list(subjects))
    rng = np.random.default_rng(seed)
    scenes = []
    for subject in subjects:
        mine = data.subject == subject
        actions = sorted(set(data.sequence[mine]))
        for cid, cam in sorted(data.cameras[subject].items()):
            for k in range(0, len(actions) - 2, 3):
                tracks = []
                for a in actions[k:k + 3]:
                    idx = np.nonzero(mine & (data.sequence == a))[0]
                    idx = idx[np.argsort(data.frame[idx])][:max_frames]
                    tracks.append(data.poses[idx])
                t = min(len(x) for x in tracks)
                world = np.stack([x[:t] for x in tracks], 1)  # [T, 3, 17, 3], z up, floor at 0
                size = np.clip(rng.normal(1.0, 0.04, 3), 0.9, 1.1)[None, :, None, None]
                base = world[:, :, :1] * np.array([1.0, 1.0, 0.0])  # the floor under each pelvis
                world = base + (world - base) * size
                mp = to_mupots(torch.as_tensor(world.reshape(-1, 17, 3), dtype=torch.float64)).numpy()
                x = world_to_camera(mp, cam.R, cam.T)
                scenes.append({"name": f"{subject}/{cid}/{k // 3}", "camera": cam.camera, "cam_mm": x,
                               "frames": np.repeat(np.arange(t), 3), "tracks": np.tile(np.arange(3), t)})
    return scenes


def predict(model, scenes: List[Dict], anchor_first: bool = False) -> None:
    """The model's answer for every scene's people (``s["people"]``, ``s["joints_rel_mm"]``; their
    keypoints ``s["px"]``);
    ``anchor_first``: the first person of each scene (track 0) is given their standing height
    (their body's skeleton length, as ``hdnet eval --known-heights first`` gives it)."""
    from hdnet.keypoint.height import height_from_length, skeleton_length_mm
    sk = get_skeleton("mupots_17")
    for s in scenes:
        px = s["camera"].project(s["cam_mm"])
        first = (s["tracks"] == 0) if anchor_first else np.zeros(len(px), bool)
        height = None
        if anchor_first:
            length = np.median(skeleton_length_mm(s["cam_mm"][first]))
            height = np.where(first, height_from_length(length, model), np.nan)
        p = model.predict(px, s["camera"], format="mupots_17", height_mm=height)
        s["px"], s["joints_rel_mm"] = px, p.joints_rel_mm.double().numpy()
        s["people"] = ScenePeople.from_prediction(
            px, np.ones(px.shape[:2]), sk, p.root_mm.double().numpy(), s["joints_rel_mm"],
            model.output_skeleton("mupots_17"), p.depth_std_mm.double().numpy(), s["camera"], s["frames"],
            s["tracks"], first)


def _rotation(axis: int, deg: np.ndarray) -> np.ndarray:
    """Rotations ``[N, 3, 3]`` of the camera by ``deg [N]`` about its x (tilt), y (pan) or z (roll) axis."""
    angles = torch.from_numpy(np.radians(np.asarray(deg, np.float64)))
    return axis_angle_matrices(torch.eye(3, dtype=torch.float64)[axis].expand(len(angles), 3), angles).numpy()


#: Camera motions laid over the static scenes: (name, axis, degrees as a function of the
#: frame's share of the sequence, 0..1)
CAMERA_MOTIONS = [("static", 0, lambda u: 0.0 * u), ("tilt 10 deg half-way", 0, lambda u: 10.0 * (u >= 0.5)),
                  ("tilt 20 deg half-way", 0, lambda u: 20.0 * (u >= 0.5)), ("tilt 0-30 deg", 0, lambda u: 30.0 * u),
                  ("roll 20 deg half-way", 2, lambda u: 20.0 * (u >= 0.5)), ("pan 0-30 deg", 1, lambda u: 30.0 * u)]


def moving_camera_table(model, scenes: List[Dict]) -> Dict[str, Dict[str, float]]:
    """Each motion of :data:`CAMERA_MOTIONS` over every scene: the share of scenes that
    ``sequence`` mode calls moving, and MRPE (mm) per mode."""
    rows = {}
    for name, axis, deg in CAMERA_MOTIONS:
        moved = []
        for s in scenes:
            u = s["frames"] / (s["frames"].max() + 1)
            moved.append(dict(s, cam_mm=np.einsum("pij,pkj->pki", _rotation(axis, deg(u)), s["cam_mm"])))
        predict(model, moved)
        sequence = score(moved, "sequence")
        rows[name] = {"called_moving": sequence["moving_camera"], "sequence_mrpe_mm": sequence["mrpe_mm"],
                      **{f"{m}_mrpe_mm": score(moved, m)["mrpe_mm"] for m in ("none", "image")}}
    return rows


def rolled_table(model, scenes: List[Dict], roll_deg: float = 90.0) -> Dict[str, Dict[str, float]]:
    """Every scene seen by its camera rolled by ``roll_deg`` about its optical axis (a camera on
    its side): per scene, the robust spread of the standing people's log heights under the floor
    found with the tilt limit lifted, and MRPE (mm) alone (``none``), in ``sequence`` mode as
    the module is (a floor far from the image's up refused) and with that floor allowed."""
    rows = {}
    rolled = [dict(s, cam_mm=np.einsum("pij,pkj->pki", _rotation(2, np.full(len(s["frames"]), roll_deg)),
                                       s["cam_mm"])) for s in scenes]
    predict(model, rolled)
    normal = reasoning.floor_normal

    def modes(group):
        out = {"none_mrpe_mm": score(group, "none")["mrpe_mm"], "sequence_mrpe_mm": score(group, "sequence")["mrpe_mm"]}
        reasoning.floor_normal = functools.partial(normal, max_tilt_deg=180.0)
        try:
            out["allowed_mrpe_mm"] = score(group, "sequence")["mrpe_mm"]
        finally:
            reasoning.floor_normal = normal
        return out
    for s in rolled:
        _, info = normal(s["people"], max_tilt_deg=180.0)
        rows[s["name"]] = {"spread": round(float(info.get("spread", np.nan)), 3), **modes([s])}
    rows["all"] = {"spread": float("nan"), **modes(rolled)}
    return rows


def known_floor_table(scenes: List[Dict], mocap: str) -> Dict[str, Dict[str, float]]:
    """Each scene on its camera's calibrated floor (:meth:`hdnet.scene.Floor.from_extrinsics`,
    Human3.6M's ground at world Z = 0, the MuPoTS-3D joints' ankles
    :func:`~hdnet.scene.ankle_height_for` above it), per mode and for a few settings; the
    people were predicted already."""
    from hdnet.scene import Floor, ankle_height_for
    subjects = sorted({s["name"].split("/")[0] for s in scenes})
    cams = read_h36m_mocap(mocap, subjects).cameras
    ankle = ankle_height_for("mupots_17")
    floors = {}
    for s in scenes:
        subject, cid, _ = s["name"].split("/")
        floors[s["name"]] = Floor.from_extrinsics(cams[subject][cid].R.T, cams[subject][cid].T, ankle_height_mm=ankle)
    rows = {"none": score(scenes, "none")}
    for mode in ("image", "sequence"):
        for name, kwargs in (("", {}), (", blend=0.7", {"blend": 0.7}), (", max_sigma=4", {"max_sigma": 4.0}),
                             (", max_sigma=100", {"max_sigma": 100.0})):
            rows[f"{mode}, the known floor{name}"] = score(scenes, mode, floors=floors, **kwargs)
    return rows


def anchored_table(model, scenes: List[Dict]) -> Dict[str, Dict[str, float]]:
    """The first person of each scene (track 0) given their standing height (:func:`predict`'s
    ``anchor_first``): the other two people's MRPE alone and on the floor that person anchors,
    per mode and floor weight."""
    predict(model, scenes, anchor_first=True)
    others = [dict(s, keep=s["tracks"] != 0) for s in scenes]
    rows = {"none": score(others, "none")}
    for mode in ("sequence", "image"):
        for name, kwargs in (("trusted fully (the default)", {}), ("blend 0.6", {"blend": 0.6}),
                             ("blend 0.3", {"blend": 0.3})):
            rows[f"{mode}, {name}"] = score(others, mode, **kwargs)
    return rows


def score(scenes: List[Dict], mode: str, scaled: bool = True, floors=None, **kwargs) -> Dict[str, float]:
    """MRPE, the share within 25 cm, the mean absolute joint error (``abs_mpjpe_mm``: root plus
    the pose, with the pose scaled as its person moved unless ``scaled`` is false), the mean
    root-relative one (``rel_mpjpe_mm``), the share of people re-placed and of sequences called moving."""
    kwargs.setdefault("track_window", TRACK_WINDOW)
    kwargs.setdefault("pose_window", POSE_WINDOW)
    err, used, moving, joint_abs, joint_rel = [], [], [], [], []
    for s in scenes:
        r = reason_scene(s["people"], mode, floor=floors[s["name"]] if floors else None, **kwargs)
        keep = s.get("keep", np.ones(len(s["cam_mm"]), bool))  # whom to score
        r = dataclasses.replace(r, root_mm=r.root_mm[keep], method=r.method[keep], scale=r.scale[keep])
        truth = s["cam_mm"][keep]
        err.append(np.linalg.norm(r.root_mm - truth[:, ROOT], axis=-1))
        rel = r.scaled_pose(s["joints_rel_mm"][keep]) if scaled else s["joints_rel_mm"][keep]
        joint_abs.append(np.linalg.norm(r.root_mm[:, None] + rel - truth, axis=-1).mean(1))
        joint_rel.append(np.linalg.norm(rel - (truth - truth[:, ROOT:ROOT + 1]), axis=-1).mean(1))
        used.append(placed_by_floor(r.method))
        moving.append(r.moving_camera)
    e, u = np.concatenate(err), np.concatenate(used)
    return {"mrpe_mm": round(float(e.mean()), 1), "within_25cm": round(float((e <= 250).mean()), 3),
            "abs_mpjpe_mm": round(float(np.concatenate(joint_abs).mean()), 1),
            "rel_mpjpe_mm": round(float(np.concatenate(joint_rel).mean()), 1),
            "floor_used": round(float(u.mean()), 3), "moving_camera": round(float(np.mean(moving)), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mocap", default="../shared/realdata/h36m_poses.h5")
    ap.add_argument("--checkpoint", default=None, help="a keypoint model (default: the shipped weights)")
    ap.add_argument("--max-frames", type=int, default=200, help="frames per scene (the file holds 10 fps)")
    ap.add_argument("--subjects", nargs="+", default=["S9", "S11"])
    ap.add_argument("--every", type=int, default=1, help="every n-th scene")
    ap.add_argument("--moving", action="store_true", help="measure the moving-camera test (CAMERA_MOTIONS)")
    ap.add_argument("--rolled", action="store_true", help="the scenes through cameras rolled by 90 degrees")
    ap.add_argument("--known-floor", action="store_true", help="the scenes on their cameras' calibrated floors")
    ap.add_argument("--anchored", action="store_true", help="each scene's first person of known height")
    ap.add_argument("--linked", action="store_true", help="the tracks linked from the 2D keypoints (link_tracks) "
                    "against the scenes' own")
    ap.add_argument("--live", action="store_true", help="the frames given one at a time to LiveScene (static and "
                    "moved cameras)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    model = KeypointHDNet.from_checkpoint(args.checkpoint) if args.checkpoint else KeypointHDNet.pretrained("mupots_17")
    model.eval()
    scenes = make_scenes(args.mocap, args.max_frames, args.subjects)[::args.every]
    if args.rolled:
        rows = rolled_table(model, scenes)
        _report(rows, "| scene (camera rolled 90 deg) | spread of log heights | none | sequence | sequence, the floor "
                "allowed (MRPE mm) |", lambda v: f"{v['spread']:.2f} | {v['none_mrpe_mm']:.0f} | "
                f"{v['sequence_mrpe_mm']:.0f} | {v['allowed_mrpe_mm']:.0f}", args.out)
        return
    if args.moving:
        rows = moving_camera_table(model, scenes)
        _report(rows, "| camera | called moving | none | image | sequence (MRPE mm) |",
                lambda v: f"{100 * v['called_moving']:.0f} % | {v['none_mrpe_mm']:.0f} | {v['image_mrpe_mm']:.0f} | "
                f"{v['sequence_mrpe_mm']:.0f}", args.out)
        return
    if args.live:
        _report(live_table(model, scenes), "| camera: placed by | MRPE mm | within 25 cm |",
                lambda v: f"{v['mrpe_mm']:.0f} | {100 * v['within_25cm']:.1f} %", args.out)
        return
    if args.anchored:
        _report(anchored_table(model, scenes), "| the other people's floor | MRPE mm | within 25 cm | floor used |",
                lambda v: f"{v['mrpe_mm']:.0f} | {100 * v['within_25cm']:.1f} % | {100 * v['floor_used']:.0f} %",
                args.out)
        return
    predict(model, scenes)
    if args.linked:
        _report(linked_table(scenes), "| tracks | share of people in a track of their own body | none | image | "
                "sequence (MRPE mm) | sequence, within 25 cm |",
                lambda v: f"{100 * v['purity']:.1f} % | {v['none_mrpe_mm']:.0f} | {v['image_mrpe_mm']:.0f} | "
                f"{v['sequence_mrpe_mm']:.0f} | {100 * v['sequence_within_25cm']:.1f} %", args.out)
        return
    if args.known_floor:
        _report(known_floor_table(scenes, args.mocap), "| setting | MRPE mm | within 25 cm | joints, absolute mm | "
                "joints, root-relative mm | floor used |",
                lambda v: f"{v['mrpe_mm']:.0f} | {100 * v['within_25cm']:.1f} % | {v['abs_mpjpe_mm']:.0f} | "
                f"{v['rel_mpjpe_mm']:.1f} | {100 * v['floor_used']:.0f} %", args.out)
        return
    print(f"{len(scenes)} scenes, {sum(len(s['frames']) for s in scenes)} people at 10 frames per second: the "
          f"track windows here are in these frames, a third of the same time at 30 frames per second")
    normal, weight = reasoning.floor_normal, placement.floor_weight
    rows = {"none": score(scenes, "none")}
    variants = [("defaults", {}, {})]
    variants += [(f"search_deg={d}", {"search_deg": d}, {}) for d in (0.0, 1.0, 4.0, 8.0)]
    variants += [(f"floor_weight most={m}", {}, {"most": m}) for m in (0.3, 0.5, 0.9, 1.0)]
    variants += [(f"floor_weight half={h}", {}, {"half": h}) for h in (1.0, 2.5, 10.0, 20.0)]
    for name, nk, wk in variants:
        reasoning.floor_normal = functools.partial(normal, **nk)
        placement.floor_weight = functools.partial(weight, **wk)
        try:
            rows[f"image, {name}"] = score(scenes, "image")
            rows[f"sequence, {name}"] = score(scenes, "sequence")
        finally:
            reasoning.floor_normal, placement.floor_weight = normal, weight
    for w in (1, 3, 5, 20, 30):
        rows[f"sequence, track_window={w}"] = score(scenes, "sequence", track_window=w)
    for m in (1.5, 4.0, 100.0):
        rows[f"image, max_sigma={m}"] = score(scenes, "image", max_sigma=m)
        rows[f"sequence, max_sigma={m}"] = score(scenes, "sequence", max_sigma=m)
    _report(rows, "| setting | MRPE mm | within 25 cm | floor used |",
            lambda v: f"{v['mrpe_mm']:.0f} | {100 * v['within_25cm']:.1f} % | {100 * v['floor_used']:.0f} %", args.out)


def live_table(model, scenes: List[Dict]) -> Dict[str, Dict[str, float]]:
    """The scenes' frames given one at a time to :class:`hdnet.keypoint.LiveScene` (10 frames
    per second), with the scenes' own tracks and with tracks it links, through the static
    cameras and through some of :data:`CAMERA_MOTIONS`: MRPE and the share within 25 cm, beside
    the model alone and ``sequence`` mode, which sees the whole sequence first."""
    from hdnet.keypoint import LiveScene
    rows = {}
    for name, axis, deg in [m for m in CAMERA_MOTIONS if m[0] in ("static", "tilt 10 deg half-way", "tilt 0-30 deg")]:
        moved = []
        for s in scenes:
            u = s["frames"] / (s["frames"].max() + 1)
            moved.append(dict(s, cam_mm=np.einsum("pij,pkj->pki", _rotation(axis, deg(u)), s["cam_mm"])))
        predict(model, moved)
        for mode in ("none", "sequence"):
            rows[f"{name}: {mode}"] = score(moved, mode)
        for tracks in ("given", "linked"):
            err = []
            for s in moved:
                live = LiveScene(model, s["camera"], "mupots_17", frame_rate=10.0, link=tracks == "linked")
                for f in np.unique(s["frames"]):
                    mine = np.nonzero(s["frames"] == f)[0]
                    answer, frame = live.update(s["px"][mine], track=s["tracks"][mine] if tracks == "given" else None)
                    truth = s["cam_mm"][mine[frame.person], ROOT]
                    err.append(np.linalg.norm(answer.root_mm.double().numpy() - truth, axis=-1))
            e = np.concatenate(err)
            rows[f"{name}: live, tracks {tracks}"] = {"mrpe_mm": round(float(e.mean()), 1),
                                                      "within_25cm": round(float((e <= 250).mean()), 3)}
    return rows


def linked_table(scenes: List[Dict]) -> Dict[str, Dict[str, float]]:
    """Each scene's tracks as given (the three actions), linked from the 2D keypoints by
    :func:`hdnet.scene.link_tracks`, and none: the share of people whose linked track is mostly
    their own body, and MRPE per mode."""
    from hdnet.scene import link_tracks
    rows = {}
    for name in ("given", "linked", "none"):
        changed, own, total = [], 0, 0
        for s in scenes:
            p = s["people"]
            track = {"given": s["tracks"], "none": None}.get(name)
            if name == "linked":
                track = link_tracks(s["px"], s["frames"])
                for t in np.unique(track[track >= 0]):
                    own += np.bincount(s["tracks"][track == t]).max()
                total += len(track)
            changed.append(dict(s, people=dataclasses.replace(p, track=track)))
        sequence = score(changed, "sequence")
        rows[name] = {"purity": own / total if total else 1.0, "none_mrpe_mm": score(changed, "none")["mrpe_mm"],
                      "image_mrpe_mm": score(changed, "image")["mrpe_mm"], "sequence_mrpe_mm": sequence["mrpe_mm"],
                      "sequence_within_25cm": sequence["within_25cm"]}
    return rows


def _report(rows: Dict[str, Dict[str, float]], header: str, cells, out) -> None:
    """``rows`` as a markdown table (``header``, then each row's name and ``cells(row)``), and as
    JSON to ``out`` where given."""
    print(header + "\n|" + "---|" * header.count(" |"))
    for k, v in rows.items():
        print(f"| {k} | {cells(v)} |")
    if out:
        with open(out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
