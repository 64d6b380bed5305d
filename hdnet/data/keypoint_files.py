"""Detectors' keypoint files: ``{image: [[[x, y(, score)], ...], ...]}``, COCO results
``[{"image_id", "keypoints": [x, y, score, ...]}]`` (what MMPose, YOLO-pose, Detectron2 and
ViTPose write), MMPose's inferencer output for a video (``[{"frame_id", "instances":
[{"keypoints": [[x, y], ...], "keypoint_scores": [...]}, ...]}, ...]``) and folders with a file
per image (OpenPose's ``--write_json``, MMPose's ``pred_out_dir``: :func:`read_keypoint_folder`).

>>> people, layout = parse_keypoints({"a.jpg": [[[10.0, 20.0, 0.9], [30.0, 40.0, 0.8]]]})
>>> layout, people["a.jpg"].shape
('by-image', (1, 2, 3))
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..core.files import natural_key, read_json

__all__ = ["parse_keypoints", "parse_track_ids", "parse_person_scores", "read_keypoint_folder", "read_keypoint_folders",
           "OPENPOSE_SUFFIX"]

#: How OpenPose names what ``--write_json DIR`` writes: one file per image or video frame,
#: ``<image name without its extension>_keypoints.json``.
OPENPOSE_SUFFIX = "_keypoints.json"


def parse_track_ids(data: Any, what: str = "--keypoints") -> Optional[Dict[str, np.ndarray]]:
    """``{image id: [P] int64}``: the ``track_id`` of every COCO result (PoseTrack's field; a
    tracker's person id, the same person across images), in the order :func:`parse_keypoints`
    gives the people; ``None`` where the file has none (or is not COCO results).

    Raises:
        ValueError: naming ``what`` and the entry: some results with a ``track_id`` and some
            without, or one that is not a whole number >= 0.
    """
    if not isinstance(data, list) or not any(isinstance(r, dict) and "track_id" in r for r in data):
        return None
    out: Dict[str, list] = {}
    for k, rec in enumerate(data):
        t = rec.get("track_id") if isinstance(rec, dict) else None
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise ValueError(f"{what}: entry {k}: track_id must be a whole number >= 0 on every result when "
                             f"any has one, got {t!r}")
        out.setdefault(str(rec["image_id"]), []).append(t)
    return {key: np.asarray(v, dtype=np.int64) for key, v in out.items()}


def parse_person_scores(data: Any, what: str = "--keypoints") -> Optional[Dict[str, np.ndarray]]:
    """``{image id: [P] float64}``: the detector's ``score`` of every COCO result (how sure it is
    of the whole person), in the order :func:`parse_keypoints` gives the people; ``None`` where
    the file has none (or is not COCO results).

    Raises:
        ValueError: naming ``what`` and the entry: some results with a score and some without, or
            one that is not a finite number.
    """
    if not isinstance(data, list) or not any(isinstance(r, dict) and "score" in r for r in data):
        return None
    out: Dict[str, list] = {}
    for k, rec in enumerate(data):
        v = rec.get("score") if isinstance(rec, dict) else None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
            raise ValueError(f"{what}: entry {k}: score must be a finite number on every result when any has one, "
                             f"got {v!r}")
        out.setdefault(str(rec["image_id"]), []).append(float(v))
    return {key: np.asarray(v, dtype=np.float64) for key, v in out.items()}


def parse_keypoints(data: Any, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray], str]:
    """``({image id: [P, J, 3] float64 (x, y, score)}, layout)`` from a loaded keypoint file;
    ``layout`` is ``"coco-results"``, ``"by-image"`` or ``"mmpose-video"`` (MMPose's inferencer
    on a video: each frame keyed by its ``frame_id``, frames without people kept). People without
    a score get 1; a joint with score 0 is missing and its coordinates may be anything (``null``
    included).

    Raises:
        ValueError: naming ``what`` and the entry: a malformed entry, people of one image with
            different joint counts, scores outside [0, 1], NaN or infinite coordinates of a
            joint with a score above 0.
    """
    out: Dict[str, list] = {}
    if isinstance(data, list) and data and all(isinstance(r, dict) and "instances" in r for r in data):
        results: Dict[str, List[dict]] = {}
        for k, frame in enumerate(data):
            fid = frame.get("frame_id")
            if isinstance(fid, bool) or not isinstance(fid, int):
                raise ValueError(f"{what}: frame {k} needs a whole-number frame_id, got {fid!r}")
            if str(fid) in results:
                raise ValueError(f"{what}: frame_id {fid} appears twice")
            results[str(fid)] = _mmpose_results(frame["instances"], str(fid), f"{what} frame {fid}")
        return _parse_per_image(results, what, 17), "mmpose-video"
    if isinstance(data, list):
        layout = "coco-results"
        for k, rec in enumerate(data):
            if not isinstance(rec, dict) or "image_id" not in rec or "keypoints" not in rec:
                raise ValueError(f"{what}: entry {k} must be an object with image_id and keypoints")
            if isinstance(rec["image_id"], (list, dict, bool)) or rec["image_id"] is None:
                raise ValueError(f"{what}: entry {k}: image_id must be a number or a string, got {rec['image_id']!r}")
            try:
                kp = np.asarray(rec["keypoints"], dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{what}: entry {k}: keypoints must be [x, y, score, ...] numbers") from None
            if kp.ndim != 1 or kp.size % 3 or kp.size == 0:
                raise ValueError(f"{what}: entry {k}: keypoints must be a flat list [x, y, score, ...] of 3 J "
                                 f"numbers, got {kp.size}")
            out.setdefault(str(rec["image_id"]), []).append(kp.reshape(-1, 3))
    elif isinstance(data, dict):
        layout = "by-image"
        for name, people in data.items():
            try:
                arr = np.asarray(people, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{what}: the people of {name!r} must be [[[x, y(, score)], ...], ...] "
                                 "with one joint count") from None
            if arr.ndim != 3 or arr.shape[-1] not in (2, 3):
                raise ValueError(f"{what}: the people of {name!r} must have shape [P, J, 2 or 3], got {arr.shape}")
            if arr.shape[-1] == 2:
                arr = np.concatenate([arr, np.ones(arr.shape[:2] + (1,))], -1)
            out[str(name)] = list(arr)
    else:
        raise ValueError(f"{what}: expected a JSON object {{image: people}} or a list of COCO results")
    for name, people in out.items():
        if len({len(p) for p in people}) > 1:
            raise ValueError(f"{what}: the people of {name!r} have different joint counts")
        arr = np.asarray(people, dtype=np.float64).reshape(len(people), -1, 3)
        scores = arr[..., 2]
        if not np.isfinite(scores).all() or ((scores < 0) | (scores > 1)).any():
            raise ValueError(f"{what}: the scores of {name!r} must lie in [0, 1]")
        if not np.isfinite(arr[..., :2][scores > 0]).all():
            raise ValueError(f"{what}: the keypoints of {name!r} hold NaN, null or inf where the score is above 0 "
                             "(a missing joint has score 0)")
    return {k: np.stack(v) if v else np.zeros((0, 0, 3)) for k, v in out.items()}, layout


def _mmpose_results(instances: Any, image_id: str, where: str) -> List[dict]:
    """MMPose's instances of one image (``[{"keypoints": [[x, y], ...], "keypoint_scores": [...]},
    ...]``, what its inferencer writes) as COCO results of ``image_id``."""
    if not isinstance(instances, list):
        raise ValueError(f"{where}: expected a list of MMPose instances")
    out = []
    for k, inst in enumerate(instances):
        kp = inst.get("keypoints") if isinstance(inst, dict) else None
        scores = inst.get("keypoint_scores") if isinstance(inst, dict) else None
        try:
            xy = np.asarray(kp, dtype=float)
            sc = np.asarray(scores, dtype=float)
        except (TypeError, ValueError):
            xy, sc = np.zeros(0), np.zeros(0)
        if xy.ndim != 2 or xy.shape[-1] != 2 or sc.shape != xy.shape[:1]:
            raise ValueError(f"{where}: instance {k} needs keypoints [[x, y], ...] and one keypoint_score per joint")
        out.append({"image_id": image_id, "keypoints": np.concatenate([xy, sc[:, None]], 1).reshape(-1).tolist()})
    return out


def _parse_per_image(results: Dict[str, List[dict]], what: str, joints: int) -> Dict[str, np.ndarray]:
    """``{image: [P, J, 3]}`` from each image's COCO results, images without people kept (empty)."""
    people, _ = parse_keypoints([r for rs in results.values() for r in rs], what)
    counts = {v.shape[1] for v in people.values()}
    if len(counts) > 1:
        raise ValueError(f"{what}: images with {sorted(counts)} joints; one file holds one format")
    j = counts.pop() if counts else joints
    return {k: people.get(k, np.zeros((0, j, 3))) for k in results}


def read_keypoint_folder(folder, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray],
                                                                     Optional[Dict[str, np.ndarray]]]:
    """A detector's output folder with one JSON file per image or video frame, as
    ``({image: [P, J, 3] float64 (x, y, score)}, track ids or None)``, the images in frame order
    (names by :func:`~hdnet.core.files.natural_key`), each keyed by its file's name without the
    suffix (the image's name without its extension):

    - OpenPose's ``--write_json`` folder, ``<image>_keypoints.json`` (``{"people":
      [{"pose_keypoints_2d": [x, y, c, ...], "person_id": [id]}, ...]}``: BODY_25, a joint it did
      not find is ``0, 0, 0``); the tracks are ``person_id`` where every person has one >= 0
      (OpenPose's tracking);
    - MMPose's inferencer ``pred_out_dir`` for images, ``<image>.json`` (a list of instances
      ``{"keypoints": [[x, y], ...], "keypoint_scores": [...]}``); no tracks.

    Raises:
        ValueError: naming ``what`` and the file: no such files, a file of neither kind, a person
            without keypoints, scores outside [0, 1] and the like (as :func:`parse_keypoints`).
    """
    files = sorted((f for f in os.listdir(folder) if f.endswith(".json")), key=natural_key)
    openpose = [f for f in files if f.endswith(OPENPOSE_SUFFIX)]
    if not files:
        raise ValueError(f"{what}: {os.fspath(folder)!r} holds no keypoint files (OpenPose's *{OPENPOSE_SUFFIX} "
                         "or MMPose's <image>.json)")
    results: Dict[str, List[dict]] = {}
    ids: List[int] = []
    for name in openpose or files:
        data = read_json(os.path.join(folder, name), what)
        where = f"{what} {name!r}"
        if openpose:
            key = name[:-len(OPENPOSE_SUFFIX)]
            if not isinstance(data, dict) or not isinstance(data.get("people"), list):
                raise ValueError(f"{where}: not OpenPose's JSON (an object with a 'people' list)")
            results[key] = []
            for k, person in enumerate(data["people"]):
                flat = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
                if not isinstance(flat, list):
                    raise ValueError(f"{where}: person {k} has no pose_keypoints_2d list")
                results[key].append({"image_id": key, "keypoints": flat})
                pid = person.get("person_id", [-1])
                pid = pid[0] if isinstance(pid, list) and pid else pid
                ids.append(pid if isinstance(pid, int) and not isinstance(pid, bool) else -1)
        else:
            results[name[:-len(".json")]] = _mmpose_results(data, name[:-len(".json")], where)
    people = _parse_per_image(results, what, 25 if openpose else 17)
    if not openpose or not ids or min(ids) < 0:
        return people, None
    split = np.cumsum([len(v) for v in people.values()])[:-1]
    return people, dict(zip(people, np.split(np.asarray(ids, np.int64), split), strict=True))


def read_keypoint_folders(folder, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray],
                                                                      Optional[Dict[str, np.ndarray]]]:
    """A folder of :func:`read_keypoint_folder` folders, one per sequence (a detector run on each of
    a data set's sequence folders: ``TS1/``, ``TS2/`` ... of MuPoTS-3D), as one
    ``({"<folder>/<image>": [P, J, 3]}, track ids or None)``: each sub-folder's keys behind its
    name; the track ids only where every sub-folder has them, each kept within its own folder's
    people (a sequence's ids are its own).

    Raises:
        ValueError: naming ``what``: no sub-folder, or any problem :func:`read_keypoint_folder` names.
    """
    subs = sorted((d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d))), key=natural_key)
    if not subs:
        raise ValueError(f"{what}: {os.fspath(folder)!r} holds no keypoint files and no folders of them")
    people: Dict[str, np.ndarray] = {}
    tracks: Optional[Dict[str, np.ndarray]] = {}
    for sub in subs:
        p, t = read_keypoint_folder(os.path.join(folder, sub), f"{what} {sub}/")
        people.update({f"{sub}/{key}": v for key, v in p.items()})
        tracks = None if t is None or tracks is None else {**tracks, **{f"{sub}/{key}": v for key, v in t.items()}}
    return people, tracks

