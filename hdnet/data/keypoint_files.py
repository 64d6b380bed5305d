"""Detectors' keypoint files: ``{image: [[[x, y(, score)], ...], ...]}`` and COCO results
``[{"image_id", "keypoints": [x, y, score, ...]}]`` (what MMPose, YOLO-pose, Detectron2 and
ViTPose write).

>>> people, layout = parse_keypoints({"a.jpg": [[[10.0, 20.0, 0.9], [30.0, 40.0, 0.8]]]})
>>> layout, people["a.jpg"].shape
('by-image', (1, 2, 3))
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

__all__ = ["parse_keypoints", "parse_track_ids"]


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
