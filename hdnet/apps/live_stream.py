"""``hdnet live``: a detector's people streamed in, frame by frame, and their places streamed
out as each frame arrives (:class:`hdnet.keypoint.LiveScene`), one JSON line per frame each way:
a detector in another process or language (a ROS node, a C++ tracker, a webcam loop) pipes its
keypoints through ``hdnet live`` and reads where everyone stands.

A frame in: ``[[[x, y, score], ...], ...]`` (its people, px), or ``{"people": [...],
"track_ids": [...], "frame": N}`` (``track_ids``: your tracker's, else people are linked over the
frames; ``frame``: its number, else one after the last: a gap is frames without people). A blank
line is skipped. A frame out: ``{"frame", "joints", "people": [{"person", "track_id",
"root_cam", "joints_cam", "depth_std_mm", "placed_by"}], "floor"}`` (mm, camera coordinates;
``person``: the index among the frame's people given; ``floor`` as ``people.json``'s records
say it), written and flushed before the next frame is read.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any, Dict, List, Optional, Tuple

import numpy as np

__all__ = ["parse_frame", "frame_record", "stream"]


def parse_frame(line: str, where: str) -> Optional[Tuple[np.ndarray, Optional[np.ndarray], Optional[int]]]:
    """``(keypoints [P, J, 2 or 3], track ids [P] or None, frame number or None)`` of one input
    line, None for a blank one.

    >>> kp, tracks, frame = parse_frame('{"people": [[[1, 2, 0.9], [3, 4, 1]]], "frame": 7}', "line 1")
    >>> kp.shape, tracks, frame
    ((1, 2, 3), None, 7)
    """
    if not line.strip():
        return None
    try:
        data = json.loads(line, parse_constant=lambda name: math.nan if name == "NaN" else _refuse(name))
    except ValueError as e:
        raise ValueError(f"{where}: not JSON ({e})") from None
    tracks = frame = None
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"people", "track_ids", "frame"})
        if unknown or "people" not in data:
            raise ValueError(f"{where}: a frame object holds people (and track_ids, frame), got {sorted(data)}")
        people, tracks, frame = data["people"], data.get("track_ids"), data.get("frame")
    else:
        people = data
    if not isinstance(people, list):
        raise ValueError(f"{where}: people must be a list [[[x, y, score], ...], ...], got {type(people).__name__}")
    try:
        kp = np.asarray(people, dtype=np.float64) if people else np.zeros((0, 0, 3))
    except (TypeError, ValueError):
        raise ValueError(f"{where}: people must be [[[x, y, score], ...], ...] numbers, one joint count") from None
    if kp.ndim != 3 or kp.shape[-1] not in (2, 3):
        raise ValueError(f"{where}: people must have shape [P, J, 2 or 3], got {list(kp.shape)}")
    if np.isinf(kp).any():  # 1e400 reads as infinity; NaN is a joint not found
        raise ValueError(f"{where}: a number out of range (infinite); a joint not found is NaN or score 0")
    ids = None
    if tracks is not None:
        ids = np.asarray(tracks)
        if ids.shape != kp.shape[:1] or ids.dtype.kind not in "iu" or (ids < 0).any():
            raise ValueError(f"{where}: track_ids must be {kp.shape[0]} whole numbers >= 0, one per person")
    if frame is not None and (isinstance(frame, bool) or not isinstance(frame, int) or frame < 0):
        raise ValueError(f"{where}: frame must be a whole number >= 0, got {frame!r}")
    return kp, ids, frame


def _refuse(name: str):
    raise ValueError(f"{name} is not a number here")


def frame_record(frame: int, joints: List[str], answer, info, ankle_height_mm: float,
                 floor_given: bool = False) -> Dict[str, Any]:
    """One output line's object for a :meth:`~hdnet.keypoint.LiveScene.update` (``answer``,
    ``info``; ``floor_given``: its floor was given, not found), millimetres to 0.001 mm."""
    from ..scene import PLACED_BY
    from .keypoint_predict import MM_DECIMALS, floor_record
    root = np.round(answer.root_mm.double().numpy(), MM_DECIMALS)
    joints_mm = np.round(answer.joints_mm.double().numpy(), MM_DECIMALS)
    std = np.round(answer.depth_std_mm.double().numpy(), MM_DECIMALS)
    people = [{"person": int(p), "track_id": int(t), "root_cam": r.tolist(), "joints_cam": j.tolist(),
               "depth_std_mm": float(s), "placed_by": PLACED_BY[int(m)]}
              for p, t, r, j, s, m in zip(info.person, info.track, root, joints_mm, std, info.placed_by, strict=True)]
    return {"frame": frame, "joints": joints, "people": people,
            "floor": floor_record(info.floor, ankle_height_mm, floor_given)}


def stream(live, source: IO[str], sink: IO[str], clip_scores: bool = False) -> int:
    """Read frames from ``source`` and write each one's people to ``sink`` as they come (see the
    module); returns how many frames were written. A bad line is a ``ValueError`` naming it,
    after the frames before it were written."""
    from ..data.keypoint_files import check_keypoint_scores
    from ..scene import ankle_height_for
    joints: List[str] = []
    read_as: Optional[str] = None
    ankle = 0.0
    written = 0
    next_frame = 0
    for n, line in enumerate(source, 1):
        parsed = parse_frame(line, f"line {n}")
        if parsed is None:
            continue
        kp, ids, frame = parsed
        frame = next_frame if frame is None else frame
        if frame < next_frame:
            raise ValueError(f"line {n}: frame {frame} does not come after frame {next_frame - 1}")
        if kp.shape[-1] == 3:  # as the keypoint files' scores are read (NaN: a joint not found)
            kp[..., 2] = np.nan_to_num(kp[..., 2], nan=0.0, posinf=np.inf, neginf=-np.inf)
            kp = check_keypoint_scores({f"frame {frame}": kp}, f"line {n}", clip=clip_scores,
                                       option="--clip-scores")[0][f"frame {frame}"]
        try:
            answer, info = live.update(kp, track=ids, frame=frame)
        except (ValueError, TypeError) as e:
            raise ValueError(f"line {n}: {e}") from None
        if info.format != read_as:  # the first frame's format (its answer's joints), or another
            skeleton = live.model.output_skeleton(info.format)
            joints, ankle, read_as = list(skeleton.joints), ankle_height_for(skeleton), info.format
        sink.write(json.dumps(frame_record(frame, joints, answer, info, ankle, live.floor_given)) + "\n")
        sink.flush()
        written += 1
        next_frame = frame + 1
    return written
