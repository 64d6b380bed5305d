"""MuPoTS-3D evaluation of a keypoint model with the published protocols.

:func:`evaluate_mupots` feeds every valid person's ground-truth 2D joints (optionally with
detector-like noise) and its sequence's camera to a :class:`~hdnet.models.KeypointHDNet`, and
scores the answers: MRPE and its axes, AP_root at 25 cm (RootNet's protocol, via
:func:`hdnet.metrics.evaluate_roots`), and 3DPCK (the official MuPoTS-3D protocol,
:func:`hdnet.metrics.pck3d`, ``posenet`` variant, all people, against ``univ_annot3``) in
root-relative and absolute coordinates. The geometric baselines get the same inputs:
``skeleton_fit`` (shipped bone lengths, the scale the model's checkpoint stores, fitted on the
training poses) and ``k_value`` (RootNet's, on the tight box of the 2D joints, A = 2000 x 2000
mm); the model's root-relative poses placed at ``skeleton_fit``'s roots give the baseline's
absolute 3DPCK.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from ..baselines import k_value_depth, skeleton_fit_depth
from ..data.mocap import H36M_TEST_SUBJECTS, MocapPoses, world_to_camera
from ..data.mupots_annotations import MuPoTSSequence, mupots_image_frame
from ..graphs import convert_joints
from ..metrics import DEPTH_BANDS_MM, evaluate_roots, match_people_2d, pa_mpjpe, pck3d
from ..scene import (
    SCENE_MODES,
    Floor,
    ScenePeople,
    ankle_height_for,
    link_tracks,
    placed_by_floor,
    reason_scene,
    scene_windows,
)
from .formats import FORMATS
from .height import height_from_length, skeleton_length_mm
from .model import MIN_CONFIDENCE, MIN_JOINTS, placeable
from .task import to_mupots

__all__ = ["evaluate_mupots", "mupots_predictions", "mupots_detection_predictions", "detector_like_2d",
           "depth_std_coverage", "uncertainty_score",
           "evaluate_h36m", "annotated_heights", "H36M_FLOORS"]

ROOT = 14  # MuPoTS pelvis

#: What ``known_heights=True`` (``"all"``) gives the model; ``"first"`` gives it only to the
#: first person of each sequence (person index 0: one person of known height per scene).
KNOWN_HEIGHTS = ("each person's standing height from the 3D annotations: the median skeleton length (head top to "
                 "ankles along the bones) times the training subjects' height over that length")

#: What ``known_heights`` takes: whose height the model is given.
KNOWN_HEIGHT_CHOICES = ("none", "all", "first")


def _whose_heights(known_heights) -> str:
    """``known_heights`` as one of :data:`KNOWN_HEIGHT_CHOICES` (``True``: all, ``False``: none)."""
    if isinstance(known_heights, bool):
        return "all" if known_heights else "none"
    if known_heights not in KNOWN_HEIGHT_CHOICES:
        raise ValueError(f"known_heights: expected a bool or one of {list(KNOWN_HEIGHT_CHOICES)}, "
                         f"got {known_heights!r}")
    return known_heights

#: What ``detector_like=True`` does to the ground-truth 2D joints (the real-input issue's protocol).
DETECTOR_LIKE = ("hips 2-5 % of the 2D height lower and 0-2 % wider, the pelvis with them; noise 1 % of the "
                 "height; scores U(0.5, 1); 5 % of joints dropped (never the pelvis)")


def detector_like_2d(keypoints_px: np.ndarray, rng: np.random.Generator):
    """MuPoTS-3D 2D joints ``[N, 17, 2]`` (pixels) as a detector might give them: per person, the
    hips moved down the body (neck to pelvis) by 2-5 % of the person's 2D height and apart by 0-2 %
    (a detector's hips are not the motion-capture hip centres), the pelvis with them (a detector's
    mid-hip); Gaussian noise of 1 % of the height on every joint; scores from U(0.5, 1); 5 % of
    joints dropped (score 0), the pelvis never. Returns ``(keypoints [N, 17, 2], scores [N, 17])``.
    The ranges are the issue's, not fitted to anything.

    >>> kp = np.zeros((1, 17, 2)); kp[0, :, 1] = np.linspace(0, 170, 17)
    >>> moved, scores = detector_like_2d(kp, np.random.default_rng(0))
    >>> moved.shape, bool(((scores == 0) | (scores >= 0.5)).all())
    ((1, 17, 2), True)
    """
    a = np.array(keypoints_px, np.float64)
    if a.ndim != 3 or a.shape[1:] != (17, 2):
        raise ValueError(f"keypoints_px: expected MuPoTS-3D joints [N, 17, 2], got {list(a.shape)}")

    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-6)
    joints = FORMATS.get("mupots_17").skeleton.joints
    r_hip, l_hip, neck = (joints.index(name) for name in ("r_hip", "l_hip", "neck"))
    n = len(a)
    height = np.maximum(np.ptp(a[..., 1], axis=-1), 1.0)[:, None]
    down, across = unit(a[:, ROOT] - a[:, neck]), unit(a[:, l_hip] - a[:, r_hip])
    lower = rng.uniform(0.02, 0.05, (n, 1)) * height
    wider = rng.uniform(0.0, 0.02, (n, 1)) * height
    a[:, r_hip] += down * lower - across * wider / 2
    a[:, l_hip] += down * lower + across * wider / 2
    a[:, ROOT] += down * lower
    a += rng.normal(0.0, 1.0, a.shape) * 0.01 * height[:, :, None]
    scores = rng.uniform(0.5, 1.0, (n, 17))
    scores[rng.random((n, 17)) < 0.05] = 0.0
    scores[:, ROOT] = np.maximum(scores[:, ROOT], 0.5)
    return a, scores


#: What a keypoint model's answer holds per person, as the evaluations keep it.
_ANSWERS = ("root_mm", "joints_rel_mm", "joints_mm", "depth_std_mm")


def _predict_batched(model, kp: np.ndarray, camera, conf: np.ndarray, format: str, flip_test: bool, batch: int,
                     height_mm=None, keys: Sequence[str] = _ANSWERS) -> Dict[str, np.ndarray]:
    """``model.predict`` over ``batch`` people at a time (``height_mm``: None, one height, or one
    per person), the answers ``keys`` joined as float64 arrays; empty ones for nobody."""
    if not len(kp):
        j = model.output_skeleton(format).num_joints
        empty = {"root_mm": (0, 3), "joints_rel_mm": (0, j, 3), "joints_mm": (0, j, 3), "depth_std_mm": (0,)}
        return {k: np.zeros(empty[k]) for k in keys}
    per_person = height_mm is not None and np.ndim(height_mm) > 0
    preds = [model.predict(kp[i:i + batch], camera, confidence=conf[i:i + batch], format=format, flip_test=flip_test,
                           height_mm=height_mm[i:i + batch] if per_person else height_mm)
             for i in range(0, len(kp), batch)]
    return {k: torch.cat([getattr(p, k) for p in preds]).double().numpy() for k in keys}


def mupots_predictions(model, sequences: Sequence[MuPoTSSequence], noise_px: float = 0.0, seed: int = 0,
                       batch: int = 4096, flip_test: bool = False, focal_scale: float = 1.0,
                       detector_like: bool = False, known_heights=False) -> List[Dict[str, Any]]:
    """Run the model on every valid person (its ``mupots_17`` input): one record per sequence
    with the inputs, the ground truth and the predictions (arrays over that sequence's valid
    people the detector found, frame order; ``missed``: the ``frames`` and ``people`` of those
    with fewer than two joints scored, which a sequence's ``confidence`` can make).
    ``focal_scale`` gives the model each camera with ``fx, fy`` times
    that (a wrong focal length; the scores stay against the truth). ``detector_like`` first
    moves the 2D joints as :func:`detector_like_2d` does (seeded by ``seed``; a sequence's own
    ``confidence`` still drops its zeros). ``known_heights`` (``True`` or ``"all"``) gives the
    model each person's standing height (:func:`annotated_heights`), ``"first"`` only the
    first person's of each sequence (person index 0)."""
    whose = _whose_heights(known_heights)
    sk = model.output_skeleton("mupots_17")
    if sk.num_joints != 17 or sk.root != ROOT:
        raise ValueError(f"model: MuPoTS-3D is scored on the 17 MuPoTS joints (pelvis 14); the model answers "
                         f"in {sk.name!r}")
    if not noise_px >= 0 or not np.isfinite(noise_px):
        raise ValueError(f"noise_px: expected a finite number >= 0, got {noise_px}")
    if not 0 < focal_scale < math.inf:
        raise ValueError(f"focal_scale: expected a finite number > 0, got {focal_scale}")
    rng = np.random.default_rng(seed)
    out = []
    for seq in sequences:
        frames, people = np.nonzero(seq.valid)
        if not frames.size:  # nobody to score here
            continue
        kp = seq.annot2[frames, people]
        conf = np.ones(kp.shape[:2]) if seq.confidence is None else seq.confidence[frames, people]
        if detector_like:
            kp, drawn = detector_like_2d(kp, rng)
            conf = np.where(conf > 0, drawn, 0.0)
        if noise_px > 0:
            kp = kp + rng.normal(0.0, noise_px, kp.shape)
        kp = np.where(conf[..., None] > 0, kp, np.nan)  # missing joints
        cam = dataclasses.replace(seq.camera, fx=seq.camera.fx * focal_scale, fy=seq.camera.fy * focal_scale)
        seen = placeable(kp, conf)  # the others the detector missed: scored as misses
        if not seen.any():
            raise ValueError(f"{seq.name}: no valid person has {MIN_JOINTS} joints with a score of at least "
                             f"{MIN_CONFIDENCE}; nobody to place")
        missed = {"frames": frames[~seen], "people": people[~seen]}
        frames, people, kp, conf = frames[seen], people[seen], kp[seen], conf[seen]
        heights = None
        if whose != "none":
            heights = annotated_heights(seq, model)[people]
            if whose == "first":
                heights = np.where(people == 0, heights, np.nan)
        try:
            cat = _predict_batched(model, kp, cam, conf, "mupots_17", flip_test, batch, heights)
        except ValueError as e:
            raise ValueError(f"{seq.name}: {e} (people are counted over the sequence's valid people, "
                             "frame by frame)") from None
        out.append({"sequence": seq, "frames": frames, "people": people, "missed": missed, "input_2d": kp,
                    "confidence": conf, "camera": cam,
                    "height_mm": np.full(len(kp), np.nan) if heights is None else heights, **cat})
    return out


def _detections_by_sequence(detections: Mapping[str, Any], sequences: Sequence[MuPoTSSequence]
                            ) -> Dict[str, Dict[int, str]]:
    """``{sequence: {frame: key}}`` for the detections' image names (:func:`mupots_image_frame`),
    checked against the sequences' frames."""
    out: Dict[str, Dict[int, str]] = {}
    for key in detections:
        try:
            name, frame = mupots_image_frame(key)
        except ValueError as e:
            raise ValueError(f"detections: {e}") from None
        if frame in out.setdefault(name, {}):
            raise ValueError(f"detections: {out[name][frame]!r} and {key!r} are the same image")
        out[name][frame] = key
    for seq in sequences:
        frames = out.get(seq.name)
        if not frames:
            raise ValueError(f"detections: none for {seq.name} (the keys name {sorted(out) or 'no sequence'}); "
                             "evaluate the sequences the detector ran on")
        late = max(frames)
        if late >= len(seq.valid):
            raise ValueError(f"detections: {frames[late]!r} is frame {late}, but {seq.name} has {len(seq.valid)} "
                             "frames (0 ...)")
    return out


def mupots_detection_predictions(model, sequences: Sequence[MuPoTSSequence], detections: Mapping[str, Any],
                                 format: str, track_ids: Optional[Mapping[str, Any]] = None,
                                 scores: Optional[Mapping[str, Any]] = None, flip_test: bool = False,
                                 focal_scale: float = 1.0, batch: int = 4096,
                                 match_threshold_px: float = 40.0) -> List[Dict[str, Any]]:
    """Run the model on a detector's own people and tie them to the ground truth as the official
    MuPoTS-3D script does: per frame, :func:`~hdnet.metrics.match_people_2d` (each valid annotated
    person in order takes the unmatched detection with the most of joints 1-13 within
    ``match_threshold_px`` in both x and y) on the detections' joints in the MuPoTS order (by
    name, :func:`~hdnet.graphs.convert_joints`: a COCO person gives joints 2-13; joints it lacks
    never count).

    Args:
        detections: ``{image name: [Q, J, 3] (x, y, score)}`` in ``format``; names as in the
            release, ``TS<n>/img_<frame>.jpg`` (:func:`mupots_image_frame`). A frame without a
            key is a frame where the detector found nobody.
        track_ids: ``{image name: [Q]}`` the detector's person ids (optional; a scene's tracks).
        scores: ``{image name: [Q]}`` the detector's score of each person (optional).

    Returns:
        one record per sequence, as :func:`mupots_predictions`'s, over every detection the model
        can place (:func:`~hdnet.keypoint.model.placeable`), with ``people`` the annotated person
        each matched (-1: nobody, a false positive or a person not annotated), ``input_2d`` in the
        MuPoTS order (NaN: a joint the format lacks), ``track`` and ``score`` (or None), ``missed`` the valid
        annotated people no detection matched, and ``left_out`` the detections that could not
        be placed.
    """
    sk = model.output_skeleton("mupots_17")
    if sk.num_joints != 17 or sk.root != ROOT:
        raise ValueError(f"model: MuPoTS-3D is scored on the 17 MuPoTS joints (pelvis 14); the model answers "
                         f"in {sk.name!r}")
    if not 0 < focal_scale < math.inf:
        raise ValueError(f"focal_scale: expected a finite number > 0, got {focal_scale}")
    format = model.check_format(format)
    answers = model.output_skeleton(format)
    if answers.name != sk.name:
        raise ValueError(f"detection_format: the model answers {format} people in {answers.name!r}'s joints; "
                         f"MuPoTS-3D scores its own ({sk.name!r}): give the detections in another format")
    skeleton = model.input_skeleton(format)
    keys = _detections_by_sequence(detections, sequences)
    out = []
    for seq in sequences:
        rows: List[np.ndarray] = []
        frames: List[int] = []
        tracks: List[np.ndarray] = []
        person_scores: List[np.ndarray] = []
        for f, key in sorted(keys[seq.name].items()):
            a = np.asarray(detections[key], np.float64)
            if a.size == 0:
                continue
            if a.ndim != 3 or a.shape[1:] != (skeleton.num_joints, 3):
                raise ValueError(f"detections: {key!r} holds shape {list(a.shape)}; {format} people are "
                                 f"[Q, {skeleton.num_joints}, 3] (x, y, score)")
            rows.append(a)
            frames += [f] * len(a)
            for given, into, what, dtype in ((track_ids, tracks, "track_ids", np.int64),
                                             (scores, person_scores, "scores", np.float64)):
                if given is not None:
                    v = np.asarray(given.get(key, []), dtype).reshape(-1)
                    if len(v) != len(a):
                        raise ValueError(f"{what}: {key!r} has {len(v)} values for {len(a)} people")
                    into.append(v)
        det = np.concatenate(rows) if rows else np.zeros((0, skeleton.num_joints, 3))
        frame = np.asarray(frames, np.int64)
        conf = np.nan_to_num(det[..., 2], nan=0.0)
        kp = np.where(conf[..., None] > 0, det[..., :2], np.nan)
        seen = placeable(kp, conf)
        left_out = {"frames": frame[~seen]}
        kp, conf, frame, det = kp[seen], conf[seen], frame[seen], det[seen]
        track = None if track_ids is None else np.concatenate(tracks)[seen] if rows else np.zeros(0, np.int64)
        score = None if scores is None else np.concatenate(person_scores)[seen] if rows else np.zeros(0)
        # a joint made from others (a COCO pelvis from the hips) only where they all are
        in_mupots, _ = convert_joints(np.concatenate([kp, conf[..., None]], -1), skeleton, "mupots_17")
        found = np.isfinite(in_mupots).all(-1) & (np.nan_to_num(in_mupots[..., 2]) > 0)
        conf17 = np.where(found, in_mupots[..., 2], 0.0)
        in_2d = np.where(found[..., None], in_mupots[..., :2], np.nan)
        people = np.full(len(kp), -1, np.int64)
        missed_f, missed_p = [], []
        for f in range(len(seq.valid)):
            every = np.nonzero(seq.valid[f])[0]
            if not every.size:
                continue
            here = np.nonzero(frame == f)[0]
            match = match_people_2d(seq.annot2[f, every], np.nan_to_num(in_2d[here], nan=0.0), match_threshold_px)
            for k, m in enumerate(match):
                if m >= 0:
                    people[here[m]] = every[k]
                else:
                    missed_f.append(f)
                    missed_p.append(int(every[k]))
        cam = dataclasses.replace(seq.camera, fx=seq.camera.fx * focal_scale, fy=seq.camera.fy * focal_scale)
        cat = _predict_batched(model, kp, cam, conf, format, flip_test, batch)
        out.append({"sequence": seq, "frames": frame, "people": people, "track": track, "score": score,
                    "missed": {"frames": np.asarray(missed_f, np.int64), "people": np.asarray(missed_p, np.int64)},
                    "left_out": left_out, "input_2d": in_2d, "confidence": conf17, "camera": cam,
                    "height_mm": np.full(len(kp), np.nan), **cat})
    return out


def annotated_heights(seq: MuPoTSSequence, model) -> np.ndarray:
    """``[P]`` each person's standing height (mm) from the annotations, as a user who knew them
    would give it: the median over their valid frames of their ``annot3`` skeleton length
    (:func:`~hdnet.keypoint.height.skeleton_length_mm`), by the model's training subjects'
    proportion of height to that length (:func:`~hdnet.keypoint.height.height_from_length`); NaN
    for a person never valid."""
    out = np.full(seq.valid.shape[1], np.nan)
    for p in range(seq.valid.shape[1]):
        frames = np.nonzero(seq.valid[:, p])[0]
        if frames.size:
            out[p] = float(np.median(skeleton_length_mm(seq.annot3[frames, p])))
    return height_from_length(out, model)


def depth_std_coverage(depth_mm, depth_std_mm, true_depth_mm) -> float:
    """The share of people whose depth error is within one predicted standard deviation (a
    calibrated Gaussian uncertainty gives 0.68)."""
    err = np.abs(np.asarray(depth_mm, np.float64) - np.asarray(true_depth_mm, np.float64))
    return float(np.mean(err <= np.asarray(depth_std_mm, np.float64))) if err.size else float("nan")


def uncertainty_score(depth_std_mm, radius_mm: float = 250.0) -> np.ndarray:
    """A detection score from the depth's uncertainty: the probability that a Gaussian depth
    error of that standard deviation is within ``radius_mm`` (AP_root^25's radius), so surer
    people rank first."""
    std = np.maximum(np.asarray(depth_std_mm, np.float64), 1e-6)
    return np.asarray([math.erf(radius_mm / (math.sqrt(2.0) * s)) for s in std.reshape(-1)]).reshape(std.shape)


def _scores(pred_roots, gt_roots, ids, pck_rel, pck_abs, depth_std=None, unmatched=None,
            detector_scores=None) -> Dict[str, Any]:
    """The root and 3DPCK figures of one method; ``unmatched``: ``(roots, image ids, depth std,
    detector scores)`` (the last two may be None) of the detections that are nobody annotated
    (false positives for AP_root); ``detector_scores``: the people's own, which add
    ``ap_root_25_detector``."""
    roots, un_ids, un_std, un_scores = unmatched if unmatched is not None else (None, (), None, None)
    if not np.isfinite(pred_roots).all(1).any():  # nobody detected (a sequence the detector missed)
        none = {"mrpe_mm": None, "mrpe_x_mm": None, "mrpe_y_mm": None, "mrpe_z_mm": None, "ap_root_25": 0.0,
                "pck3d_abs": pck_abs, "pck3d_rel": pck_rel, "by_depth": {}}
        if depth_std is not None:
            none.update(depth_std_coverage=None, ap_root_25_uncertainty=0.0)
        if detector_scores is not None:
            none["ap_root_25_detector"] = 0.0
        return none
    r = evaluate_roots(pred_roots, gt_roots, ids, unmatched_roots=roots, unmatched_image_ids=un_ids)
    out = {"mrpe_mm": r["mrpe_mm"], "mrpe_x_mm": r["mrpe_x_mm"], "mrpe_y_mm": r["mrpe_y_mm"],
           "mrpe_z_mm": r["mrpe_z_mm"], "ap_root_25": r["ap_root_25"], "pck3d_abs": pck_abs,
           "pck3d_rel": pck_rel, "by_depth": r["by_depth"]}
    if depth_std is not None:
        det = np.isfinite(pred_roots).all(1)  # the detected people
        out["depth_std_coverage"] = depth_std_coverage(pred_roots[det, 2], depth_std[det], gt_roots[det, 2])
        out["ap_root_25_uncertainty"] = evaluate_roots(
            pred_roots, gt_roots, ids, scores=uncertainty_score(depth_std), unmatched_roots=roots,
            unmatched_image_ids=un_ids, unmatched_scores=None if un_std is None else uncertainty_score(un_std)
        )["ap_root_25"]
    if detector_scores is not None:
        out["ap_root_25_detector"] = evaluate_roots(pred_roots, gt_roots, ids, scores=detector_scores,
                                                    unmatched_roots=roots, unmatched_image_ids=un_ids,
                                                    unmatched_scores=un_scores)["ap_root_25"]
    return out


def _pck(records, joints_key: str, coords: str) -> Dict[str, Any]:
    seqs = []
    for rec in records:
        seq: MuPoTSSequence = rec["sequence"]
        frames = []
        for f in range(seq.valid.shape[0]):
            every = np.nonzero(seq.valid[f])[0]  # the detector's misses are ground truth too
            if not every.size:
                continue
            sel, extra = rec["frames"] == f, rec["unmatched"]["frames"] == f  # the false positives compete too
            pred_2d = np.concatenate([rec["input_2d"][sel], rec["unmatched"]["input_2d"][extra]])
            frames.append({"gt_2d": seq.annot2[f, every], "gt_3d": seq.univ_annot3[f, every],
                           "pred_2d": np.nan_to_num(pred_2d, nan=0.0),  # (0, 0): missing
                           "pred_3d": np.concatenate([rec[joints_key][sel], rec["unmatched"][joints_key][extra]])})
        seqs.append({"name": seq.name, "frames": frames})
    return pck3d(seqs, mode="all", coords=coords, variant="posenet")


#: How :func:`evaluate_mupots` places a sequence's people: :data:`hdnet.scene.SCENE_MODES`, or
#: ``"live"``: frame by frame, each frame from the frames before it only
#: (:class:`~hdnet.keypoint.live.LiveScene`).
MUPOTS_SCENES = (*SCENE_MODES, "live")

#: Where a MuPoTS-3D sequence's tracks come from in a scene: ``given`` (the annotations' person
#: index), ``linked`` (:func:`hdnet.scene.link_tracks` on the 2D input, as for a detector's
#: people) or ``none``.
TRACK_SOURCES = ("given", "linked", "none")


def _apply_scene(model, rec: Dict[str, Any], scene: str, tracks: str = "given") -> None:
    """Re-place one sequence's people with :func:`hdnet.scene.reason_scene` (frames as images,
    the tracks from ``tracks``: :data:`TRACK_SOURCES`); records how (``placed_by``) and the floor
    found."""
    rec["placed_by"] = np.zeros(len(rec["root_mm"]), np.int64)
    rec["floor"] = None
    rec["model_joints_rel_mm"] = rec["joints_rel_mm"]  # the model's own pose, which the baselines place
    if scene == "none":
        return
    conf = np.isfinite(rec["input_2d"]).all(-1) * rec["confidence"]
    given = rec["track"] if "track" in rec else rec["people"]  # a detector's ids, else the annotations'
    track = (given if tracks == "given" else link_tracks(rec["input_2d"], rec["frames"], conf)
             if tracks == "linked" else None)
    people = ScenePeople.from_prediction(rec["input_2d"], conf, FORMATS.get("mupots_17").skeleton, rec["root_mm"],
                                         rec["joints_rel_mm"], model.output_skeleton("mupots_17"),
                                         rec["depth_std_mm"], rec["camera"], rec["frames"], track,
                                         np.isfinite(rec["height_mm"]))
    if scene == "live":
        _apply_live(model, rec, people)
        return
    result = reason_scene(people, scene)
    rec["model_joints_rel_mm"] = result.smoothed_pose(rec["joints_rel_mm"])  # a sequence's tracks smoothed
    rec["root_mm"] = result.root_mm
    rec["joints_rel_mm"] = result.scaled_pose(rec["joints_rel_mm"])
    rec["joints_mm"] = result.root_mm[:, None] + rec["joints_rel_mm"]
    rec["depth_std_mm"] = result.depth_std_mm(rec["depth_std_mm"])
    rec["placed_by"] = result.method
    floor = result.floors.get(-1)
    rec["floor"] = {"moving_camera": result.moving_camera,
                    "images_with_a_floor": int(sum(f is not None for f in result.floors.values())),
                    **({"pitch_deg": floor.pitch_deg, "roll_deg": floor.roll_deg, "height_mm": floor.height_mm,
                        "people": floor.people} if floor is not None else {})}


def _apply_live(model, rec: Dict[str, Any], people: ScenePeople) -> None:
    """One sequence's people placed frame by frame, in frame order, as a live camera's would be
    (:meth:`hdnet.keypoint.live.LiveScene.place`): each frame from the frames before it only."""
    from .live import LiveScene
    live = LiveScene(model, rec["camera"], "mupots_17", link=False)
    root, method = rec["root_mm"].copy(), np.zeros(len(people), np.int64)
    scale, std = np.ones(len(people)), rec["depth_std_mm"].copy()
    frames = rec["frames"]
    floor = None
    for f in np.unique(frames):
        mine = np.nonzero(frames == f)[0]
        placed = live.place(people.subset(mine), int(f), model.output_skeleton("mupots_17"))
        root[mine], method[mine], scale[mine], std[mine], floor = placed
    rec["root_mm"], rec["placed_by"], rec["depth_std_mm"] = root, method, std
    rec["joints_rel_mm"] = rec["joints_rel_mm"] * scale[:, None, None]
    rec["joints_mm"] = root[:, None] + rec["joints_rel_mm"]
    rec["floor"] = {"moving_camera": False, "images_with_a_floor": None,
                    **({"pitch_deg": floor.pitch_deg, "roll_deg": floor.roll_deg, "height_mm": floor.height_mm,
                        "people": floor.people} if floor is not None else {})}


def _place_baselines(rec: Dict[str, Any], scale: float) -> None:
    """The geometric baselines' roots for a sequence's people, from the same 2D input (its
    MuPoTS-order joints), with the model's relative poses at them."""
    cam, kp = rec["camera"], rec["input_2d"]  # the camera the model was given (focal_scale)
    z_fit = skeleton_fit_depth(kp, cam, "mpi_inf_3dhp_17", scale=scale)
    # where the root is seen: the pelvis, else the model's own 2D root (a missing pelvis)
    root_2d = np.where(np.isfinite(kp[:, ROOT]), kp[:, ROOT], cam.project(rec["root_mm"]))
    rec["fit_root"] = cam.backproject(root_2d, z_fit)
    rec["fit_joints"] = rec["fit_root"][:, None] + rec["model_joints_rel_mm"]
    lo, hi = np.nanmin(kp, 1), np.nanmax(kp, 1)
    z_k = k_value_depth(np.concatenate([lo, np.maximum(hi - lo, 1.0)], 1), cam)
    rec["k_root"] = cam.backproject(root_2d, z_k)
    rec["k_joints"] = rec["k_root"][:, None] + rec["model_joints_rel_mm"]


#: A sequence record's arrays with a row per person.
_PER_PERSON = ("frames", "people", "track", "score", "input_2d", "confidence", "height_mm", "root_mm", "joints_rel_mm",
               "joints_mm", "depth_std_mm", "placed_by", "model_joints_rel_mm", "fit_root", "fit_joints", "k_root",
               "k_joints")


def _set_aside_unmatched(rec: Dict[str, Any]) -> None:
    """Move the people who are nobody annotated (``people`` -1: a detector's false positives) from
    the record's arrays to ``rec["unmatched"]`` (empty for the annotated people's records)."""
    keep = rec["people"] >= 0
    rec["unmatched"] = {}
    for key in _PER_PERSON:
        if rec.get(key) is not None:
            rec["unmatched"][key], rec[key] = rec[key][~keep], rec[key][keep]


def evaluate_mupots(model, sequences: Sequence[MuPoTSSequence], noise_px: float = 0.0, seed: int = 0,
                    skeleton_fit_scale: Optional[float] = None, flip_test: bool = False,
                    focal_scale: float = 1.0, scene: str = "none", detector_like: bool = False,
                    known_heights=False, tracks: Optional[str] = None, detections: Optional[Mapping[str, Any]] = None,
                    detection_format: Optional[str] = None,
                    track_ids: Optional[Mapping[str, Any]] = None,
                    detection_scores: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Score ``model`` and the baselines on MuPoTS-3D sequences (see the module docstring).

    Returns ``{"people", "sequences", "input": {...}, "hdnet": {mrpe_mm, mrpe_x_mm, mrpe_y_mm,
    mrpe_z_mm, ap_root_25, pck3d_abs, pck3d_rel, by_depth, depth_std_coverage,
    ap_root_25_uncertainty, floor_used}, "baselines": {"skeleton_fit": {...},
    "k_value": {...}}, "per_sequence": {name: {"people", "hdnet": {...}, "skeleton_fit": {...},
    "k_value": {...}, "floor": {...}}}, "scene": MODE, "tracks": SOURCE}`` (``tracks`` with a
    scene only) with 3DPCK in percent and AP_root as a
    fraction. ``scene`` (:data:`MUPOTS_SCENES`): ``"image"`` re-places each frame's
    people on their shared floor, ``"sequence"`` every frame's (one static camera, a body size
    per person index), ``"live"`` each frame's from the frames before it only, as
    :class:`~hdnet.keypoint.live.LiveScene` places a live camera's; ``floor_used`` is the share of
    people re-placed. ``known_heights``: each
    person's standing height from the annotations is given to the model (:func:`annotated_heights`;
    ``"first"``: only the first person's of each sequence, who then anchors a scene's floor).
    ``tracks`` (:data:`TRACK_SOURCES`): in a scene, who is who over the frames: the annotations'
    person index (``"given"``), :func:`hdnet.scene.link_tracks` on the 2D input (``"linked"``:
    what a detector's people get) or nobody (``"none"``); default ``"given"``.

    ``detections`` (``{image name: [Q, J, 3]}`` in ``detection_format``, with optional
    ``track_ids``): a detector's own people instead of the annotated 2D, tied to the ground truth
    as the official script does (:func:`mupots_detection_predictions`). Annotated people no
    detection matched are misses; detections that matched nobody are false positives for
    AP_root (except on a frame with nobody annotated, which RootNet's AP_root skips:
    ``on_frames_without_people``) and compete in 3DPCK's matching; the report adds
    ``"detections": {"format", "placed", "matched", "unmatched", "on_frames_without_people",
    "left_out"}``. ``tracks="given"`` are then the detector's
    ids (the default where it gave some; else ``"linked"``). ``detection_scores`` (``{image name:
    [Q]}``, the detector's score of each person) add ``ap_root_25_detector``: AP_root ranked by
    them, as RootNet ranks its detections. Not with ``noise_px``,
    ``detector_like`` or ``known_heights``, which are about the annotated people.
    """
    whose = _whose_heights(known_heights)
    if scene not in MUPOTS_SCENES:
        raise ValueError(f"scene: expected one of {list(MUPOTS_SCENES)}, got {scene!r}")
    if tracks is None:
        tracks = "given" if detections is None or track_ids is not None else "linked"
    if tracks not in TRACK_SOURCES:
        raise ValueError(f"tracks: expected one of {list(TRACK_SOURCES)}, got {tracks!r}")
    if not sequences:
        raise ValueError("sequences: nothing to evaluate")
    scale = float(model.skeleton_fit_scale if skeleton_fit_scale is None else skeleton_fit_scale)
    if detections is None and (detection_scores is not None or track_ids is not None):
        raise ValueError("detection_scores, track_ids: describe detections; none were given")
    if detections is not None:
        if noise_px or detector_like or whose != "none":
            raise ValueError("detections: noise_px, detector_like and known_heights are about the annotated 2D "
                             "people; a detector's people come as they are")
        if detection_format is None:
            raise ValueError("detection_format: say which joint set the detections are in")
        if tracks == "given" and track_ids is None:
            raise ValueError("tracks: 'given' needs the detector's track_ids; use 'linked' to link its people "
                             "over the frames")
        records = mupots_detection_predictions(model, sequences, detections, detection_format, track_ids,
                                               detection_scores, flip_test=flip_test, focal_scale=focal_scale)
        if not any(len(r["frames"]) for r in records):
            raise ValueError("detections: not one person the model can place (2 joints scored "
                             f"{MIN_CONFIDENCE} or more)")
    else:
        records = mupots_predictions(model, sequences, noise_px, seed, flip_test=flip_test, focal_scale=focal_scale,
                                     detector_like=detector_like, known_heights=known_heights)
    if not records:
        raise ValueError(f"sequences: {[s.name for s in sequences]} hold no valid person to score")
    for rec in records:
        _apply_scene(model, rec, scene, tracks)
        _place_baselines(rec, scale)
        _set_aside_unmatched(rec)
        seq: MuPoTSSequence = rec["sequence"]
        gt = seq.annot3[rec["frames"], rec["people"]]
        rec["gt_root"] = gt[:, ROOT]
        rec["ids"] = [f"{seq.name}/{f}" for f in rec["frames"]]
        rec["unmatched"]["ids"] = [f"{seq.name}/{f}" for f in rec["unmatched"]["frames"]]
        missed = rec["missed"]  # their ground truth, scored as people without a detection
        missed["gt_root"] = seq.annot3[missed["frames"], missed["people"], ROOT]
        missed["ids"] = [f"{seq.name}/{f}" for f in missed["frames"]]

    def with_missed(rec, key):  # the detector's misses last, NaN: not detected (evaluate_roots)
        miss = rec["missed"]["gt_root"] if key == "gt_root" else np.full((len(rec["missed"]["ids"]),)
                                                                         + rec[key].shape[1:], np.nan)
        return np.concatenate([rec[key], miss])

    def gather(key):
        return np.concatenate([with_missed(r, key) for r in records])

    scored = any(r.get("score") is not None for r in records)  # the detector's own scores

    def unmatched(recs, key, std=False):  # (roots, image ids, depth std, scores): the false positives
        return (np.concatenate([r["unmatched"][key] for r in recs]), sum((r["unmatched"]["ids"] for r in recs), []),
                np.concatenate([r["unmatched"]["depth_std_mm"] for r in recs]) if std else None,
                np.concatenate([r["unmatched"]["score"] for r in recs]) if scored else None)
    ids: List[str] = sum((r["ids"] + r["missed"]["ids"] for r in records), [])
    gt_roots = gather("gt_root")
    methods = (("hdnet", "root_mm", "joints_mm"), ("skeleton_fit", "fit_root", "fit_joints"),
               ("k_value", "k_root", "k_joints"))
    # each 3DPCK once: its per-sequence values come with the overall mean. The relative one is
    # every method's: 3DPCK gives each bone the annotated length, so the scene's scaling of
    # hdnet's pose (the bones' directions kept) scores as the model's own pose
    rel = _pck(records, "model_joints_rel_mm", "relative")
    absolute = {name: _pck(records, joints_key, "absolute") for name, _, joints_key in methods}

    def pck_of(result, k=None):
        return result["overall_mean_of_sequences"]["pck_total"] if k is None else result["sequences"][k]["pck_total"]
    overall = {name: _scores(gather(root_key), gt_roots, ids, pck_of(rel), pck_of(absolute[name]),
                             gather("depth_std_mm") if name == "hdnet" else None,
                             unmatched(records, root_key, name == "hdnet"), gather("score") if scored else None)
               for name, root_key, _ in methods}
    overall["skeleton_fit"]["scale"] = scale
    overall["hdnet"]["floor_used"] = float(np.mean(placed_by_floor(np.concatenate([r["placed_by"] for r in records]))))
    report: Dict[str, Any] = {
        "scene": scene, **({"tracks": tracks} if scene != "none" else {}),
        "people": int(len(gt_roots)), "detected": int(sum(len(r["gt_root"]) for r in records)),
        "sequences": [s.name for s in sequences],
        "input": {"keypoints": "ground-truth 2D (annot2)" + (f", detector-like: {DETECTOR_LIKE}" if detector_like
                                                             else ""),
                  "noise_px": noise_px, "focal_scale": focal_scale,
                  "heights": {"none": "not given", "all": KNOWN_HEIGHTS,
                              "first": f"person 0 of each sequence only: {KNOWN_HEIGHTS}"}[whose],
                  "cameras": {s.name: s.camera_source for s in sequences}},
        "hdnet": overall["hdnet"],
        "baselines": {"skeleton_fit": overall["skeleton_fit"], "k_value": overall["k_value"]},
        "per_sequence": {},
        "depth_bands_mm": [list(b) for b in DEPTH_BANDS_MM],
    }
    if detections is not None:
        matched = report["detected"]
        extra = int(sum(len(r["unmatched"]["ids"]) for r in records))
        report["input"]["keypoints"] = (f"a detector's people ({detection_format}), tied to the annotated people in 2D "
                                        "by the official rule (joints 1-13 within 40 px)")
        # detections on a frame with nobody annotated: no false positive for AP_root (RootNet skips them)
        unscored = int(sum((~r["sequence"].valid[r["unmatched"]["frames"]].any(-1)).sum() for r in records))
        report["detections"] = {"format": detection_format, "placed": matched + extra, "matched": matched,
                                "unmatched": extra, "on_frames_without_people": unscored,
                                "left_out": int(sum(len(r["left_out"]["frames"]) for r in records))}
    for k, rec in enumerate(records):
        row: Dict[str, Any] = {"people": int(len(rec["gt_root"]) + len(rec["missed"]["ids"])),
                               "detected": int(len(rec["gt_root"]))}
        for name, root_key, _ in methods:
            row[name] = _scores(with_missed(rec, root_key), with_missed(rec, "gt_root"),
                                rec["ids"] + rec["missed"]["ids"], pck_of(rel, k), pck_of(absolute[name], k),
                                with_missed(rec, "depth_std_mm") if name == "hdnet" else None,
                                unmatched([rec], root_key, name == "hdnet"), with_missed(rec, "score") if scored else None)
            row[name].pop("by_depth")
        if detections is not None:
            row["unmatched"] = len(rec["unmatched"]["ids"])
        row["hdnet"]["floor_used"] = float(np.mean(placed_by_floor(rec["placed_by"]))) if len(rec["placed_by"]) else 0.0
        row["floor"] = rec["floor"]
        report["per_sequence"][rec["sequence"].name] = row
    report["_records"] = records  # for plots; dropped before writing JSON
    return report


#: Where a scene's floor comes from in :func:`evaluate_h36m`: found from the people, or the
#: capture's calibration (each camera's pose above Human3.6M's ground, world Z = 0).
H36M_FLOORS = ("people", "calibrated")


def _detected_views(keypoints_2d: Mapping[Any, np.ndarray], data: MocapPoses, sel: np.ndarray, subject: str,
                    camera: str, every: int, missing: List[Tuple[str, str, str]], left_out: List[int]):
    """``(poses seen, [V, 17, 2] px, [V, 17] scores)`` of one subject through one camera from a
    detector's 2D of each action's video: the stored pose ``k`` is the video's frame
    ``every * k``. Actions without a video in ``keypoints_2d`` are added to ``missing``; frames
    whose detection the model cannot place (under two joints scored) are counted in
    ``left_out[0]``."""
    views, pxs, confs = [], [], []
    for action in sorted(set(data.sequence[sel].tolist())):
        rows = sel[data.sequence[sel] == action]
        key = (subject, str(action), camera)
        a = keypoints_2d.get(key)
        if a is None:
            missing.append(key)
            continue
        a = np.asarray(a, np.float64)
        if a.ndim != 3 or a.shape[1:] != (17, 3):
            raise ValueError(f"keypoints_2d: {'/'.join(key)} has shape {a.shape}; h36m_17 detections are "
                             "[frames, 17, 3] (x, y, score)")
        last = int(data.frame[rows].max())
        if len(a) <= every * last:
            raise ValueError(f"keypoints_2d: {'/'.join(key)} has {len(a)} frames, but its stored pose {last}, one "
                             f"every {every} capture frames, is frame {every * last}: another capture rate (every) "
                             "or another video")
        seen = a[data.frame[rows] * every]
        px = np.where(seen[..., 2:] > 0, seen[..., :2], np.nan)
        ok = placeable(px, seen[..., 2])  # a frame where the detector all but lost the person: not scored
        left_out[0] += int((~ok).sum())
        views.append(rows[ok])
        pxs.append(px[ok])
        confs.append(seen[ok, :, 2])
    if not views:
        return np.zeros(0, np.int64), np.zeros((0, 17, 2)), np.zeros((0, 17))
    return np.concatenate(views), np.concatenate(pxs), np.concatenate(confs)


def evaluate_h36m(model, poses: MocapPoses, subjects: Sequence[str] = H36M_TEST_SUBJECTS, flip_test: bool = False,
                  batch: int = 4096, known_heights: bool = False, scene: str = "none", floor: str = "people",
                  frame_rate: float = 10.0, keypoints_2d: Optional[Mapping[Any, np.ndarray]] = None,
                  every: int = 5) -> Dict[str, Any]:
    """The Human3.6M protocol from ground-truth 2D: every stored pose of ``subjects`` (S9 and
    S11 by default; the model trained on the others) seen by each of the subject's real
    cameras, projected with the camera's lens distortion, in the model's ``h36m_17`` format.

    Returns ``{"people", "subjects", "mpjpe_mm"`` (protocol 1: root-relative, pelvis),
    ``"pa_mpjpe_mm"`` (protocol 2: after a similarity Procrustes alignment per pose),
    ``"mpjpe_action_mean_mm"``, ``"pa_mpjpe_action_mean_mm"`` (the mean of the 15 actions' means,
    what the lifting papers' tables average),
    ``"mrpe_mm"`` (the root's camera-space error), ``"depth_std_coverage"`` (the share of
    people whose depth is within one ``depth_std_mm``), ``"per_action": {action: {people,
    mpjpe_mm, pa_mpjpe_mm, mrpe_mm, depth_std_coverage}}``, ``"per_camera"`` likewise}``; every mean is over all poses (the
    file's frame rate: 10 fps for the shared file). ``known_heights``: each subject's standing
    height is given to the model (the median skeleton length of their poses as the MuPoTS-3D
    joints the model trains on, by :func:`~hdnet.keypoint.height.height_from_length`), and the
    result says ``"heights"`` per subject.

    ``scene`` (:data:`hdnet.scene.SCENE_MODES`) re-places the people with
    :func:`hdnet.scene.reason_scene`, each view alone (``"image"``) or each camera's views of a
    subject as one static camera's sequence (``"sequence"``: each action a track, its depth
    smoothed over a second of ``frame_rate`` and its pose over a fifteenth of one either side),
    and scales each pose as its person moved
    (:meth:`~hdnet.scene.SceneResult.scaled_pose`: the MPJPE then sees the size the placement
    implies). ``floor`` (:data:`H36M_FLOORS`): ``"people"`` finds it from the people,
    ``"calibrated"`` takes it from each camera's calibration (:meth:`hdnet.scene.Floor.from_extrinsics`:
    extra knowledge the protocol does not give; a calibrated static camera's setting). The result
    then says ``"scene"``, ``"floor"`` and ``"floor_used"``.

    ``keypoints_2d`` (``{(subject, action, camera id): [F, 17, 3]}`` x, y, score in ``h36m_17``,
    every frame of the 50 fps videos: a detector's, as :func:`~hdnet.data.h36m_detections.read_videopose3d_2d`
    reads them) replace the projected ground truth: the stored pose ``k`` of a sequence is seen
    in the video's frame ``every * k`` (the file keeps every ``every``-th capture frame: 5 for
    the shared one). Views the detections lack are left out and counted (``"views_missing"``,
    ``"first_missing"``); so are the frames whose detection cannot be placed (fewer than two joints
    scored: ``"left_out"``).
    """
    if "h36m_17" not in getattr(model, "formats", ()):
        raise ValueError(f"model: the Human3.6M protocol feeds h36m_17 keypoints; the model reads "
                         f"{list(getattr(model, 'formats', ()))}")
    if scene not in SCENE_MODES:
        raise ValueError(f"scene: expected one of {list(SCENE_MODES)}, got {scene!r}")
    if floor not in H36M_FLOORS:
        raise ValueError(f"floor: expected one of {list(H36M_FLOORS)}, got {floor!r}")
    if floor == "calibrated" and scene == "none":
        raise ValueError("floor: a calibrated floor places people with scene 'image' or 'sequence', not 'none'")
    track_window, pose_window = scene_windows(frame_rate)
    if floor == "calibrated" and poses.up != "z":
        raise ValueError(f"poses: a calibrated floor needs the world's Z up (Human3.6M), got up={poses.up!r}")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every: expected a whole number of capture frames >= 1, got {every!r}")
    data = poses.select(list(subjects))
    missing: List[Tuple[str, str, str]] = []
    left_out = [0]
    rows: Dict[str, List[np.ndarray]] = {"rel": [], "pa": [], "root": [], "used": [], "within_std": []}
    action, camera_ids = [], []
    heights: Dict[str, float] = {}
    for subject in subjects:
        cams = data.cameras.get(subject, {})
        if not cams:
            raise ValueError(f"poses: subject {subject!r} has no cameras in the motion-capture file")
        sel = np.nonzero(data.subject == subject)[0]
        if known_heights:
            length = np.median(skeleton_length_mm(to_mupots(torch.from_numpy(data.poses[sel])).numpy()))
            heights[subject] = float(height_from_length(length, model))
        for cid, mc in sorted(cams.items()):
            if keypoints_2d is None:
                view = sel
                x = world_to_camera(data.poses[view], mc.R, mc.T)
                px, conf = mc.camera.project(x), np.ones((len(view), 17))
            else:
                view, px, conf = _detected_views(keypoints_2d, data, sel, subject, cid, every, missing, left_out)
                if not len(view):
                    continue
                x = world_to_camera(data.poses[view], mc.R, mc.T)
            answer = _predict_batched(model, px, mc.camera, conf, "h36m_17", flip_test, batch, heights.get(subject),
                                      keys=("joints_rel_mm", "root_mm", "depth_std_mm"))
            rel, root, std = answer["joints_rel_mm"], answer["root_mm"], answer["depth_std_mm"]
            used = np.zeros(len(view), bool)
            if scene != "none":
                out_sk = model.output_skeleton("h36m_17")
                track = np.unique(data.sequence[view], return_inverse=True)[1].reshape(-1)
                frame = data.frame[view] + track * (int(data.frame[view].max()) + 10 * frame_rate + 1)
                people = ScenePeople.from_prediction(
                    px, conf, FORMATS.get("h36m_17").skeleton, root, rel, out_sk, std, mc.camera,
                    frame if scene == "sequence" else np.arange(len(view)), track,
                    np.full(len(view), subject in heights))
                given = (Floor.from_extrinsics(mc.R.T, mc.T, ankle_height_mm=ankle_height_for(out_sk))
                         if floor == "calibrated" else None)
                result = reason_scene(people, scene, track_window=track_window, floor=given, pose_window=pose_window)
                root, rel, used = result.root_mm, result.scaled_pose(rel), placed_by_floor(result.method)
                std = result.depth_std_mm(std)
            truth = x - x[:, :1]
            rows["rel"].append(np.linalg.norm(rel - truth, axis=-1).mean(1))
            rows["pa"].append(np.array([pa_mpjpe(a, b) for a, b in zip(rel, truth, strict=True)]))
            rows["root"].append(np.linalg.norm(root - x[:, 0], axis=-1))
            rows["used"].append(used)
            rows["within_std"].append(np.abs(root[:, 2] - x[:, 0, 2]) <= std)
            action += [str(q).split(" ")[0] for q in data.sequence[view]]
            camera_ids += [cid] * len(view)
    if not action:
        raise ValueError(f"keypoints_2d: no view of {list(subjects)} (first missing: {missing[0] if missing else '-'})")
    rel, pa, root, placed, within = (np.concatenate(rows[k]) for k in ("rel", "pa", "root", "used", "within_std"))
    acts, cids = np.asarray(action), np.asarray(camera_ids)

    def scores(mask):
        return {"people": int(mask.sum()), "mpjpe_mm": float(rel[mask].mean()), "pa_mpjpe_mm": float(pa[mask].mean()),
                "mrpe_mm": float(root[mask].mean()), "depth_std_coverage": float(within[mask].mean()),
                **({"floor_used": float(placed[mask].mean())} if scene != "none" else {})}
    everyone = np.ones(len(rel), bool)
    per_action = {a: scores(acts == a) for a in sorted(set(action))}
    return {**scores(everyone), "subjects": list(subjects),
            # what the lifting papers' tables average: the mean of the per-action means
            "mpjpe_action_mean_mm": float(np.mean([a["mpjpe_mm"] for a in per_action.values()])),
            "pa_mpjpe_action_mean_mm": float(np.mean([a["pa_mpjpe_mm"] for a in per_action.values()])),
            **({"heights": heights} if known_heights else {}),
            **({"views_missing": len(missing), "first_missing": list(missing[0]) if missing else None,
                "left_out": left_out[0]} if keypoints_2d is not None else {}),
            **({"scene": scene, "floor": floor} if scene != "none" else {}),
            "per_action": per_action,
            "per_camera": {c: scores(cids == c) for c in sorted(set(camera_ids))}}
