"""``people.json`` read back: what ``hdnet predict`` wrote for its keypoint models (a record per
person: ``image_id``, ``root_cam``, ``joints_cam``, ``depth_std_mm``, the camera, ...) as numpy
arrays, one row per person in the file's order, with a track's people in frame order.

>>> import json, tempfile, os
>>> rec = {"image_id": "a.jpg", "person": 0, "root_cam": [0.0, 0.0, 3000.0],
...        "joints_cam": [[0.0, 0.0, 3000.0], [0.0, -500.0, 3000.0]], "joints": ["pelvis", "neck"],
...        "depth_std_mm": 250.0, "camera": {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0},
...        "format": "coco_17", "placed_by": "model"}
>>> path = os.path.join(tempfile.mkdtemp(), "people.json")
>>> with open(path, "w") as f:
...     json.dump([rec, {**rec, "person": 1, "root_cam": [500.0, 0.0, 4000.0]}], f)
>>> people = read_people(path)
>>> len(people), people.root_mm[:, 2].tolist(), people.joints
(2, [3000.0, 4000.0], ('pelvis', 'neck'))
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ..camera import Camera
from ..core.checks import check_number
from ..core.files import read_json

__all__ = ["PeopleFile", "read_people"]


@dataclass(frozen=True)
class PeopleFile:
    """The people of a ``people.json``, ``N`` rows in the file's order (docs/real.md lists every
    record field).

    Args:
        image_id: ``N`` image names (a video's frames: ``<video>#<frame>``).
        person: ``[N]`` each person's index among their image's people in the keypoint input.
        frame: ``[N]`` a video's frame number (-1 where the images were no video).
        track_id: ``[N]`` the person's track across images (-1: none; ``track_source`` says how).
        root_mm: ``[N, 3]`` the root (pelvis) in camera coordinates, mm.
        joints_mm: ``[N, J, 3]`` the joints in camera coordinates, mm, named by ``joints``.
        joints: the ``J`` joint names (one joint set for the whole file).
        depth_std_mm: ``[N]`` the depth's one-standard-deviation uncertainty.
        cameras: ``N`` cameras each person was seen through.
        placed_by: ``N`` how each was placed (``model``, ``floor``, ``track``, ``smoothed``).
        format: ``N`` keypoint formats read.
        detector_score: ``[N]`` the detector's score of the person (NaN: none given).
        height_mm: ``[N]`` the standing height given for the person (NaN: not given).
        track_source: ``N`` where each track id came from (``given``, ``linked``; ``""``: none).
        floor: ``[N, 3]`` the floor each person's scene placed them with (``hdnet predict --scene``):
            the camera's height above the ground (mm), how far it looks down and its roll
            (degrees), as ``--floor H,PITCH,ROLL`` takes them; NaN where none was found or asked for.
    """

    image_id: Tuple[str, ...]
    person: np.ndarray
    frame: np.ndarray
    track_id: np.ndarray
    root_mm: np.ndarray
    joints_mm: np.ndarray
    joints: Tuple[str, ...]
    depth_std_mm: np.ndarray
    cameras: Tuple[Camera, ...]
    placed_by: Tuple[str, ...]
    format: Tuple[str, ...]
    detector_score: np.ndarray
    height_mm: np.ndarray
    track_source: Tuple[str, ...]
    floor: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    def __len__(self) -> int:
        return len(self.image_id)

    def images(self) -> List[str]:
        """The images that have people, in the order they first appear."""
        return list(dict.fromkeys(self.image_id))

    def tracks(self) -> List[int]:
        """The track ids (>= 0), in the order they first appear."""
        return list(dict.fromkeys(int(t) for t in self.track_id if t >= 0))

    def in_image(self, image_id: str) -> np.ndarray:
        """Rows of one image's people, in the file's order."""
        return np.array([i for i, key in enumerate(self.image_id) if key == image_id], np.int64)

    def track(self, track_id: int) -> np.ndarray:
        """Rows of one track, in frame order (a video's frame numbers, else the file's order), so
        ``people.root_mm[people.track(t)]`` is where that person went.

        Raises:
            KeyError: no person has ``track_id``.
        """
        rows = np.nonzero(self.track_id == int(track_id))[0]
        if not len(rows) or track_id < 0:
            raise KeyError(f"track_id: no person has track {track_id} (tracks: {self.tracks()[:10]})")
        return rows[np.argsort(self.frame[rows], kind="stable")]

    def summary(self) -> Dict[str, Any]:
        """What the file holds, in numbers: people, images, tracks, formats, how people were
        placed, the depth range (mm), the median depth uncertainty (mm), how many floors placed
        them (``floors``; ``floor``: the one, where they share one, as :attr:`floor` gives it) and
        how many people had one (``people_with_a_floor``)."""
        depth = self.root_mm[:, 2]
        placed = {k: self.placed_by.count(k) for k in dict.fromkeys(self.placed_by)}
        has = np.isfinite(self.floor).all(1) if len(self.floor) == len(self) else np.zeros(len(self), bool)
        floors = np.unique(self.floor[has], axis=0) if has.any() else np.zeros((0, 3))
        return {"people": len(self), "images": len(self.images()), "tracks": len(self.tracks()),
                "formats": sorted(set(self.format)), "joints": list(self.joints), "placed_by": placed,
                "depth_mm": [float(depth.min()), float(np.median(depth)), float(depth.max())] if len(self) else [],
                "depth_std_mm_median": float(np.median(self.depth_std_mm)) if len(self) else None,
                "floors": len(floors), "floor": floors[0].tolist() if len(floors) == 1 else None,
                "people_with_a_floor": int(has.sum())}


def _number(value: Any, where: str, field: str, missing: Optional[float] = None, integer: bool = False) -> float:
    """A record's number, checked as :func:`hdnet.core.checks.check_number` checks (a file's
    content: a ValueError naming the record); ``missing`` where the record has none (None: one is
    required). Whole numbers stay within 2^53, which JSON's doubles hold exactly."""
    if value is None and missing is not None:
        return missing
    try:
        check_number(value, field, integer=integer, low=-2.0 ** 53 if integer else None,
                     high=2.0 ** 53 if integer else None)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: {e}") from None
    return value


def _points(value: Any, where: str, field: str, shape: Tuple[Optional[int], ...]) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {field} must be numbers") from None
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape, strict=True)):
        want = ", ".join("J" if s is None else str(s) for s in shape)
        raise ValueError(f"{where}: {field} must be [{want}], got {list(a.shape)}")
    if not np.isfinite(a).all():
        raise ValueError(f"{where}: {field} holds a value that is not a finite number")
    return a


def read_people(path) -> PeopleFile:
    """Read a ``people.json`` written by ``hdnet predict`` (keypoint models).

    Args:
        path: the file (JSON, at most :data:`hdnet.core.files.MAX_JSON_BYTES`).

    Returns:
        A :class:`PeopleFile`, one row per person.

    Raises:
        FileNotFoundError: no such file.
        ValueError: naming the file and the record: not a list of person records, a record
            without ``image_id``, ``root_cam`` [3], ``joints_cam`` [J, 3] or ``depth_std_mm``, joints
            named differently across records, a camera that is not one, or a number that is not.
    """
    where = f"people file {os.fspath(path)!r}"
    data = read_json(path, where)
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a list of person records (hdnet predict's people.json), got "
                         f"{type(data).__name__}")
    rows: Dict[str, list] = {k: [] for k in ("image_id", "person", "frame", "track_id", "root", "joints_mm",
                                             "std", "cameras", "placed_by", "format", "score", "height", "source",
                                             "floor")}
    joints: Optional[Tuple[str, ...]] = None
    for k, rec in enumerate(data):
        at = f"{where} record {k}"
        if not isinstance(rec, dict) or "root_cam" not in rec or "joints_cam" not in rec:
            raise ValueError(f"{at}: expected an object with image_id, root_cam, joints_cam, depth_std_mm "
                             "(hdnet predict's people.json)")
        key = rec.get("image_id")
        if isinstance(key, (bool, list, dict)) or key is None:
            raise ValueError(f"{at}: image_id must be a name or a number, got {key!r}")
        names = rec.get("joints")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{at}: joints must be the list of joint names")
        if joints is None:
            joints = tuple(names)
        elif tuple(names) != joints:
            raise ValueError(f"{at}: joints {names[:3]}... differ from the file's first record's; a people file "
                             "holds one joint set")
        rows["image_id"].append(str(key))
        rows["person"].append(_number(rec.get("person"), at, "person", missing=-1, integer=True))
        rows["frame"].append(_number(rec.get("frame"), at, "frame", missing=-1, integer=True))
        rows["track_id"].append(_number(rec.get("track_id"), at, "track_id", missing=-1, integer=True))
        rows["root"].append(_points(rec["root_cam"], at, "root_cam", (3,)))
        rows["joints_mm"].append(_points(rec["joints_cam"], at, "joints_cam", (len(joints), 3)))
        rows["std"].append(_number(rec.get("depth_std_mm"), at, "depth_std_mm"))
        try:
            rows["cameras"].append(Camera.from_dict(rec.get("camera", {}), f"{at}: camera"))
        except (TypeError, ValueError) as e:
            raise ValueError(str(e)) from None
        rows["placed_by"].append(str(rec.get("placed_by", "model")))
        rows["format"].append(str(rec.get("format", "")))
        rows["score"].append(_number(rec.get("detector_score"), at, "detector_score", missing=math.nan))
        rows["height"].append(_number(rec.get("height_mm"), at, "height_mm", missing=math.nan))
        rows["source"].append(str(rec.get("track_source", "")))
        rows["floor"].append(_floor(rec.get("floor"), at))
    j = len(joints) if joints is not None else 0
    return PeopleFile(
        image_id=tuple(rows["image_id"]), person=np.asarray(rows["person"], np.int64),
        frame=np.asarray(rows["frame"], np.int64), track_id=np.asarray(rows["track_id"], np.int64),
        root_mm=np.asarray(rows["root"], np.float64).reshape(-1, 3),
        joints_mm=np.asarray(rows["joints_mm"], np.float64).reshape(-1, j, 3) if j else np.zeros((0, 0, 3)),
        joints=joints or (),
        depth_std_mm=np.asarray(rows["std"], np.float64), cameras=tuple(rows["cameras"]),
        placed_by=tuple(rows["placed_by"]), format=tuple(rows["format"]),
        detector_score=np.asarray(rows["score"], np.float64), height_mm=np.asarray(rows["height"], np.float64),
        track_source=tuple(rows["source"]), floor=np.asarray(rows["floor"], np.float64).reshape(-1, 3))


#: A record's ``floor`` fields, in :attr:`PeopleFile.floor`'s order.
FLOOR_FIELDS = ("camera_height_mm", "pitch_deg", "roll_deg")


def _floor(value: Any, where: str) -> List[float]:
    """A record's ``floor`` as ``[height, pitch, roll]`` (NaN where it has none)."""
    if value is None:
        return [math.nan] * 3
    if not isinstance(value, dict):
        raise ValueError(f"{where}: floor must be an object with {', '.join(FLOOR_FIELDS)} (or null)")
    return [_number(value.get(k), where, f"floor {k}") for k in FLOOR_FIELDS]
