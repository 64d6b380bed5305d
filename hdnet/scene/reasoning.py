"""Scene reasoning over one camera's people: per image, or over a whole sequence.

``mode="image"``: each image's people share a floor (two people at least; one person alone gives
the model's own answer back). ``mode="sequence"``: every person in every frame shares one floor
(a static camera), with a body size kept over each track and each track's depths smoothed over
``track_window`` frames (:func:`~hdnet.scene.smooth_tracks`). A sequence whose floor moves from one
part to the next (a moving camera: the parts' up directions or heights disagree) falls back to
image mode and says so.

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

from .floor import Floor, body_up, fit_floor, floor_normal
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


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(abs(a @ b), -1.0, 1.0))))


def _looks_moving(people: ScenePeople, whole_up: np.ndarray, parts: int = 6, min_people: int = 12,
                  max_angle_deg: float = 20.0) -> bool:
    """The standing people's median body axis on ``parts`` consecutive runs of frames: a static
    camera sees one up direction, a camera that pans, tilts or rolls sees it turn."""
    frames = np.unique(people.image)
    if len(frames) < 2 * parts:
        return False
    for chunk in np.array_split(frames, parts):
        up, standing = body_up(people.subset(np.isin(people.image, chunk)))
        if up is not None and standing.sum() >= min_people and _angle_deg(up, whole_up) > max_angle_deg:
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
        whole_up, _ = body_up(people)
        if floor is not None and whole_up is not None and not _looks_moving(people, whole_up):
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
