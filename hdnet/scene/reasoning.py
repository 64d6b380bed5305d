"""Scene reasoning over one camera's people: per image, or over a whole sequence.

``mode="image"``: each image's people share a floor (two people at least; one person alone gives
the model's own answer back). ``mode="sequence"``: every person in every frame shares one floor
(a static camera), with a body size kept over each track and each track's depths smoothed over
``track_window`` frames (:func:`~hdnet.scene.smooth_tracks`). A sequence whose floor moves from one
part to the next (a moving camera: the people's heights under the camera shift between parts)
falls back to image mode and says so.

>>> import numpy as np
>>> from hdnet import Camera
>>> nobody = ScenePeople(np.zeros((0, 2, 2)), np.zeros((0, 2)), np.zeros((0, 3)), np.zeros((0, 2, 3)),
...                      np.zeros((0, 3)), np.zeros(0), Camera(1000.0, 1000.0, 500.0, 500.0))
>>> reason_scene(nobody, "sequence").floor_used
0.0
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from .floor import Floor, ankle_heights, fit_floor, floor_normal
from .people import ScenePeople
from .placement import Placement, place_on_floor, smooth_tracks

__all__ = ["SceneResult", "reason_scene", "SCENE_MODES", "fit_scene_floor"]

#: What ``--scene`` accepts.
SCENE_MODES = ("none", "image", "sequence")


@dataclass
class SceneResult(Placement):
    """A :class:`Placement` of every person (``root_mm``, ``method``, ``floor_used``), the floors
    found (per image id in image mode, key ``-1`` for a sequence's one floor), and whether a
    sequence looked like a moving camera (then placed image by image)."""

    floors: Dict[int, Optional[Floor]] = field(default_factory=dict)
    moving_camera: bool = False


def fit_scene_floor(people: ScenePeople, min_people: int = 2) -> Optional[Floor]:
    """The floor of ``people`` (normal, then height), or ``None`` with fewer than ``min_people``
    standing people (:func:`~hdnet.scene.body_up`)."""
    normal, info = floor_normal(people)
    if normal is None or info["people"] < min_people:
        return None
    return fit_floor(people, normal)


def _looks_moving(people: ScenePeople, floor: Floor, parts: int = 6, min_people: int = 12,
                  max_shift: float = 0.15) -> bool:
    """Whether the floor moves between ``parts`` consecutive runs of frames: each person's
    lower seen ankle, where the model put it, lies at some height under the camera along the
    whole sequence's floor normal; a static camera keeps the runs' median (log) heights
    together, a camera that tilts moves them apart (10 degrees of tilt at 3-6 m: 0.2-0.4 in log
    height). Sitting, bending and lying people keep their ankles on the floor, so they do not
    look like a moving camera (their body axes did, to the earlier test on up directions)."""
    frames = np.unique(people.image)
    if len(frames) < 2 * parts:
        return False
    height = ankle_heights(people, floor.normal)
    ok = height > 0  # NaN (no ankle seen, or NaN keypoints) is not > 0
    if not ok.any():
        return False
    log_h = np.log(np.where(ok, height, 1.0))
    whole = np.median(log_h[ok])
    for chunk in np.array_split(frames, parts):
        mine = ok & np.isin(people.image, chunk)
        if mine.sum() >= min_people and abs(np.median(log_h[mine]) - whole) > max_shift:
            return True
    return False


def reason_scene(people: ScenePeople, mode: str = "sequence", max_sigma: float = 2.5,
                 blend: Optional[float] = None, track_window: int = 30) -> SceneResult:
    """Place ``people`` with their shared floor (see the module docstring). Never raises for
    what is in a scene: nobody, one person, no feet, NaN keypoints give the model's answers
    (``floor_used`` 0)."""
    if mode not in SCENE_MODES:
        raise ValueError(f"mode: expected one of {list(SCENE_MODES)}, got {mode!r}")
    root, method = people.root_mm.copy(), np.zeros(len(people), np.int64)
    result = SceneResult(root, method)
    if mode == "none" or len(people) == 0:
        return result
    if mode == "sequence":
        floor = fit_scene_floor(people)
        result.floors[-1] = floor
        if floor is not None and not _looks_moving(people, floor):
            placed = smooth_tracks(people, place_on_floor(people, floor, max_sigma, blend), track_window)
            result.root_mm, result.method = placed.root_mm, placed.method
            return result
        if floor is None:
            return result
        result.moving_camera = True
        result.floors.clear()
    for image in np.unique(people.image):
        mine = np.nonzero(people.image == image)[0]
        part = people.subset(mine)
        floor = fit_scene_floor(part)
        result.floors[int(image)] = floor
        if floor is None:
            continue
        placed = place_on_floor(part, floor, max_sigma, blend)
        result.root_mm[mine], result.method[mine] = placed.root_mm, placed.method
    return result
