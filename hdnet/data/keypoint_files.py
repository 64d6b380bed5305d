"""Detectors' keypoint files: ``{image: [[[x, y(, score)], ...], ...]}``, COCO results
``[{"image_id", "keypoints": [x, y, score, ...]}]`` (what MMPose, YOLO-pose, Detectron2 and
ViTPose write) and OpenPose's ``--write_json`` folder (:func:`read_openpose_folder`).

>>> people, layout = parse_keypoints({"a.jpg": [[[10.0, 20.0, 0.9], [30.0, 40.0, 0.8]]]})
>>> layout, people["a.jpg"].shape
('by-image', (1, 2, 3))
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..core.files import natural_key, read_json

__all__ = ["parse_keypoints", "parse_track_ids", "read_openpose_folder", "OPENPOSE_SUFFIX"]

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


def parse_keypoints(data: Any, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray], str]:
    """``({image id: [P, J, 3] float64 (x, y, score)}, layout)`` from a loaded keypoint file;
    ``layout`` is ``"coco-results"`` or ``"by-image"``. People without a score get 1; a joint
    with score 0 is missing and its coordinates may be anything (``null`` included).

    Raises:
        ValueError: naming ``what`` and the entry: a malformed entry, people of one image with
            different joint counts, scores outside [0, 1], NaN or infinite coordinates of a
            joint with a score above 0.
    """
    out: Dict[str, list] = {}
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


def read_openpose_folder(folder, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray],
                                                                     Optional[Dict[str, np.ndarray]]]:
    """OpenPose's ``--write_json`` output, a folder of ``<image stem>_keypoints.json`` files
    (``{"people": [{"pose_keypoints_2d": [x, y, c, ...], "person_id": [id]}, ...]}``), as
    ``({image stem: [P, J, 3] float64}, track ids)``: the images in frame order (names by
    :func:`~hdnet.core.files.natural_key`), each person's ``pose_keypoints_2d`` (BODY_25: 25
    joints; a joint OpenPose did not find is ``0, 0, 0``), and ``{image stem: [P] int64}``
    from ``person_id`` where every person has an id >= 0 (OpenPose's tracking), else None.

    Raises:
        ValueError: naming ``what`` and the file: no such files in the folder, a file that is not
            OpenPose's JSON, or a person without a flat ``[x, y, c, ...]`` list (confidences
            outside [0, 1] and the like: as :func:`parse_keypoints`).
    """
    names = sorted((f for f in os.listdir(folder) if f.endswith(OPENPOSE_SUFFIX)), key=natural_key)
    if not names:
        raise ValueError(f"{what}: {os.fspath(folder)!r} holds no OpenPose files (*{OPENPOSE_SUFFIX}, written by "
                         "openpose --write_json)")
    by_image: Dict[str, Optional[np.ndarray]] = {}
    ids: Dict[str, list] = {}
    for name in names:
        data = read_json(os.path.join(folder, name), what)
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise ValueError(f"{what}: {name!r} is not OpenPose's JSON (an object with a 'people' list)")
        stem = name[:-len(OPENPOSE_SUFFIX)]
        people = []
        for k, person in enumerate(data["people"]):
            flat = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
            if not isinstance(flat, list):
                raise ValueError(f"{what}: {name!r} person {k} has no pose_keypoints_2d list")
            people.append({"image_id": stem, "keypoints": flat})
            pid = person.get("person_id", [-1])
            pid = pid[0] if isinstance(pid, list) and pid else pid
            ids.setdefault(stem, []).append(pid if isinstance(pid, int) and not isinstance(pid, bool) else -1)
        try:
            parsed, _ = parse_keypoints(people, f"{what} {name!r}") if people else ({}, "")
        except ValueError as e:
            raise ValueError(str(e).replace(" entry ", " person ")) from None
        by_image[stem] = parsed.get(stem)
    counts = {v.shape[1] for v in by_image.values() if v is not None}
    if len(counts) > 1:
        raise ValueError(f"{what}: the OpenPose files hold {sorted(counts)} joints; one folder holds one model's")
    j = counts.pop() if counts else 25
    out: Dict[str, np.ndarray] = {k: v if v is not None else np.zeros((0, j, 3)) for k, v in by_image.items()}
    every = [t for v in ids.values() for t in v]
    tracks = ({k: np.asarray(ids.get(k, []), np.int64) for k in out} if every and min(every) >= 0 else None)
    return out, tracks
