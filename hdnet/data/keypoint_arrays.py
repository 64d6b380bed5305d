"""Keypoints saved as plain NumPy arrays, one row per video frame: what your own code writes with
``np.save`` or ``np.savez`` from a detector's Python API (rtmlib's ``keypoints, scores``,
Ultralytics' ``Results.keypoints.data``, MMPose's ``pred_instances``, a lifting pipeline's
``keypoints.npy``).

- ``.npy``: one array, ``[F, J, 2 or 3]`` (one person a frame) or ``[F, P, J, 2 or 3]`` (up to
  ``P`` people a frame: a slot whose points are all NaN, or whose scores are all 0, holds nobody
  in that frame). The third channel is each joint's score; without it a finite point is seen.
- ``.npz``: ``keypoints`` (the same shapes; or the archive's one array, whatever its name, as
  ``np.savez(path, arr)`` writes it), optionally ``scores`` (or ``keypoint_scores``: each joint's
  score, ``[F, J]`` or ``[F, P, J]``, as rtmlib returns them beside two-channel keypoints) and
  ``track_ids`` (``[F, P]``, or ``[P]`` where each slot is one person throughout; whole numbers
  from 0).

The frames are keyed by their number from 0 (``"0"``, ``"1"``, ...), as a video's frames are
(``hdnet predict --keypoints kp.npy --video clip.mp4``). Arrays are read as data
(``allow_pickle=False``): an object array is refused, never unpickled.

>>> import numpy as np, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "kp.npy")
>>> np.save(path, np.ones((4, 17, 3)) * [640.0, 360.0, 0.9])   # four frames, one person each
>>> people, tracks = read_keypoint_arrays(path)
>>> len(people), people["3"].shape, tracks is None
(4, (1, 17, 3), True)
"""

from __future__ import annotations

import os
import zipfile
from typing import Dict, Optional, Tuple

import numpy as np

from .keypoint_files import MAX_TRACK_ID, parse_keypoints

__all__ = ["read_keypoint_arrays", "is_keypoint_array_file", "ARRAY_SUFFIXES", "MAX_ARRAY_BYTES"]

#: The files read as arrays.
ARRAY_SUFFIXES = (".npy", ".npz")

#: The most bytes the arrays of one file may hold once read (2 GiB: a 30 fps hour of 133 points
#: for four people in float64 is 1 GiB).
MAX_ARRAY_BYTES = 2 * 1024 ** 3

_KEYPOINT_NAMES = ("keypoints",)
_SCORE_NAMES = ("scores", "keypoint_scores")
_TRACK_NAMES = ("track_ids",)


def is_keypoint_array_file(path) -> bool:
    """Whether ``path`` is a file this module reads: a ``.npy``, or an ``.npz`` that is not
    VideoPose3D's pickled layout (``positions_2d``: :mod:`hdnet.data.h36m_detections`)."""
    p = os.fspath(path)
    if not os.path.isfile(p) or not p.lower().endswith(ARRAY_SUFFIXES):
        return False
    if p.lower().endswith(".npy"):
        return True
    try:
        with zipfile.ZipFile(p) as archive:
            return "positions_2d.npy" not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return True  # read_keypoint_arrays says what is wrong with it


def read_keypoint_arrays(path, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray], Optional[Dict[str, np.ndarray]]]:
    """``({frame number: [P, J, 3] (x, y, score)}, track ids by frame or None)`` from a ``.npy``
    or ``.npz`` of keypoint arrays (the module docstring), every frame listed (those without
    people too), as :func:`~hdnet.data.keypoint_files.parse_keypoints` reads ``{image: people}``.

    Raises:
        FileNotFoundError: no file. ValueError: naming ``what`` and the file: not NumPy's, too
            large, an object (pickled) array, the wrong shape or dtype, scores whose shape is not
            the keypoints', track ids that are not whole numbers from 0 on every person.
    """
    p = os.fspath(path)
    where = f"{what} {p!r}"
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no file at {p!r}")
    if p.lower().endswith(".npz"):
        arrays = _read_npz(p, where)
        key = next((k for k in _KEYPOINT_NAMES if k in arrays), None)
        if key is None and len(arrays) == 1:
            key = next(iter(arrays))
        if key is None:
            raise ValueError(f"{where}: no 'keypoints' array among {sorted(arrays)} (np.savez(path, keypoints=..., "
                             "scores=..., track_ids=...))")
        keypoints = arrays[key]
        scores = next((arrays[k] for k in _SCORE_NAMES if k in arrays), None)
        tracks = next((arrays[k] for k in _TRACK_NAMES if k in arrays), None)
    else:
        keypoints, scores, tracks = _read_npy(p, where), None, None
    given = _numbers(keypoints, "keypoints", where)
    keypoints = _with_people_axis(given, where)
    f, n, j, c = keypoints.shape
    if scores is not None:
        s = _numbers(scores, "scores", where)
        if s.shape != given.shape[:-1]:
            raise ValueError(f"{where}: scores of shape {s.shape} for keypoints of shape {given.shape} (one score "
                             "per joint)")
        if c == 3:
            raise ValueError(f"{where}: both the keypoints' third channel and a scores array give scores; keep one")
        keypoints = np.concatenate([keypoints, s.reshape(f, n, j, 1)], -1)
    present = _present(keypoints)
    track_ids = None if tracks is None else _track_ids(_numbers(tracks, "track_ids", where), f, n, present, where)
    people = parse_keypoints({str(i): keypoints[i][present[i]] for i in range(f)}, where)[0]
    return people, None if track_ids is None else {str(i): track_ids[i][present[i]] for i in range(f)}


def _read_npy(path: str, where: str) -> np.ndarray:
    if os.path.getsize(path) > MAX_ARRAY_BYTES:
        raise ValueError(f"{where}: {os.path.getsize(path) / 2**20:.0f} MiB; hdnet reads arrays up to "
                         f"{MAX_ARRAY_BYTES / 2**20:.0f} MiB (split the video)")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as e:  # an object array (its pickle is never run), or no .npy header
        raise ValueError(f"{where}: not a plain NumPy array ({_reason(e)})") from None


def _read_npz(path: str, where: str) -> Dict[str, np.ndarray]:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{where}: not a NumPy .npz archive ({e})") from None
    if size > MAX_ARRAY_BYTES:
        raise ValueError(f"{where}: {size / 2**20:.0f} MiB once read; hdnet reads arrays up to "
                         f"{MAX_ARRAY_BYTES / 2**20:.0f} MiB (split the video)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"{where}: not an archive of plain NumPy arrays ({_reason(e)})") from None


def _reason(e: Exception) -> str:
    text = str(e)
    return "an object array, which hdnet does not unpickle" if "allow_pickle" in text else text


def _numbers(a: np.ndarray, name: str, where: str) -> np.ndarray:
    if a.dtype.kind not in "fiu":
        raise ValueError(f"{where}: {name} must hold numbers, got {a.dtype}")
    return a.astype(np.float64)


def _with_people_axis(a: np.ndarray, where: str) -> np.ndarray:
    """``[F, P, J, C]``: a ``[F, J, C]`` array gets one person a frame."""
    if a.ndim not in (3, 4) or a.shape[-1] not in (2, 3):
        hint = ("; MediaPipe's landmarks are [x, y, z, visibility]: keep a[..., [0, 1, 3]] in pixels"
                if a.ndim in (3, 4) and a.shape[-1] == 4 else "")
        raise ValueError(f"{where}: keypoints must have shape [frames, joints, 2 or 3] or [frames, people, joints, "
                         f"2 or 3] (x, y, score), got {a.shape}{hint}")
    return a[:, None] if a.ndim == 3 else a


def _present(keypoints: np.ndarray) -> np.ndarray:
    """``[F, P]``: the slots that hold a person: a point given (finite) with a score that is not
    0 (a point without a score channel is given where it is finite)."""
    given = np.isfinite(keypoints[..., :2]).all(-1)
    if keypoints.shape[-1] == 3:
        given &= (keypoints[..., 2] != 0) & ~np.isnan(keypoints[..., 2])
    return given.any(-1)


def _track_ids(t: np.ndarray, frames: int, slots: int, present: np.ndarray, where: str) -> np.ndarray:
    """``[F, P]`` int64 track ids (``[P]``: each slot's throughout), checked on every person."""
    if t.shape == (slots,):
        t = np.broadcast_to(t, (frames, slots))
    if t.shape != (frames, slots):
        raise ValueError(f"{where}: track_ids of shape {t.shape} for {frames} frames of {slots} people "
                         f"([{frames}, {slots}], or [{slots}]: each slot one person throughout)")
    ids = t[present]
    if not (np.isfinite(ids) & (ids >= 0) & (ids <= MAX_TRACK_ID) & (ids == np.round(ids))).all():
        raise ValueError(f"{where}: track_ids must be whole numbers from 0 to 2^53 on every person")
    return np.where(present, t, -1).astype(np.int64)
