"""Scene reasoning over one camera's people: per image, or over a whole sequence.

``mode="image"``: each image's people share a floor (two people at least; one person alone gives
the model's own answer back). ``mode="sequence"``: every person in every frame shares one floor
(a static camera), with a body size kept over each track and each track's depths smoothed over
``track_window`` frames (:func:`~hdnet.scene.smooth_tracks`); where nobody stands (no floor),
each track's depths are still smoothed (``placed_by`` ``smoothed``, not counted in
``floor_used``). A sequence whose floor moves from one
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
from typing import Dict, Optional, Tuple

import numpy as np

from .floor import Floor, ankle_heights, fit_floor, floor_normal
from .people import ScenePeople
from .placement import PLACED_BY, Placement, place_on_floor, smooth_track_poses, smooth_tracks

__all__ = ["SceneResult", "reason_scene", "SCENE_MODES", "fit_scene_floor", "GIVEN_FLOOR_DEPTH_STD", "scene_windows"]

#: What ``--scene`` accepts.
SCENE_MODES = ("none", "image", "sequence")

#: The depth uncertainty (one standard deviation, a fraction of the depth) of a person placed
#: on a given floor from their feet: 68 % of such people on the Human3.6M S9/S11 development
#: scenes (``scripts/scene_dev_h36m.py --known-floor``, their cameras' calibrated floors; both
#: modes) were within 2.4 % of their true depth; the model's own uncertainty (a median 9.6 %)
#: held 99.7 % of them.
GIVEN_FLOOR_DEPTH_STD = 0.024


def scene_windows(frame_rate: float) -> Tuple[int, int]:
    """``(track_window, pose_window)`` for :func:`reason_scene` at ``frame_rate`` frames per
    second: a track's depth smoothed over a second either side, its pose over a fifteenth of one
    (at least a frame each); at 30 fps, :func:`reason_scene`'s defaults (30 and 2).

    >>> scene_windows(30.0), scene_windows(10.0), scene_windows(60.0)
    ((30, 2), (10, 1), (60, 4))
    """
    if isinstance(frame_rate, bool) or not isinstance(frame_rate, (int, float)) or not 0 < frame_rate < 1e4:
        raise ValueError(f"frame_rate: expected frames per second in (0, 10000), got {frame_rate!r}")
    return max(1, round(frame_rate)), max(1, round(2 * frame_rate / 30))


@dataclass
class SceneResult(Placement):
    """A :class:`Placement` of every person (``root_mm``, ``method``, ``floor_used``), the floors
    found (per image id in image mode, key ``-1`` for a sequence's one floor), whether a
    sequence looked like a moving camera (then placed image by image), and ``scale [P]``: how far
    each person moved along their root's ray, new depth over the model's (1: not moved)."""

    floors: Dict[int, Optional[Floor]] = field(default_factory=dict)
    moving_camera: bool = False
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    given_floor: bool = False  #: placed on a floor given to :func:`reason_scene`, not found
    #: in a sequence with tracks, ``(frames [P], track [P], window)``: each track's poses are
    #: averaged over ``window`` frames either side (:func:`~hdnet.scene.smooth_track_poses`)
    pose_smoothing: Optional[Tuple[np.ndarray, np.ndarray, int]] = None

    def floor_for(self, image: int) -> Optional[Floor]:
        """The floor that placed the people of ``image`` (an id of :class:`ScenePeople`'s
        ``image``): a sequence's one floor, or where each image was placed on its own (``image``
        mode, a moving camera) that image's; None where none was found."""
        return self.floors[-1] if -1 in self.floors else self.floors.get(int(image))

    def smoothed_pose(self, joints_rel_mm) -> np.ndarray:
        """The model's root-relative poses ``[P, J, 3]``, each track's averaged over its
        neighbouring frames in a sequence (:attr:`pose_smoothing`), at the model's size."""
        rel = np.asarray(joints_rel_mm, np.float64)
        if rel.ndim != 3 or rel.shape[0] != len(self.scale) or rel.shape[2] != 3:
            raise ValueError(f"joints_rel_mm: expected [{len(self.scale)}, J, 3], got {rel.shape}")
        if self.pose_smoothing is None:
            return rel
        frames, track, window = self.pose_smoothing
        return smooth_track_poses(rel, frames, track, window)

    def depth_std_mm(self, model_std_mm) -> np.ndarray:
        """``[P]`` each person's depth uncertainty after the placement: the model's
        ``model_std_mm`` scaled with the person's move, except for people standing on a given
        floor, whose depth comes from their feet: :data:`GIVEN_FLOOR_DEPTH_STD` of it (a floor
        found from the people is no surer than the model, so it keeps the model's)."""
        std = np.asarray(model_std_mm, np.float64)
        if std.shape != self.scale.shape:
            raise ValueError(f"model_std_mm: expected [{len(self.scale)}], got {std.shape}")
        on_floor = self.given_floor & (self.method == 1)
        return np.where(on_floor, GIVEN_FLOOR_DEPTH_STD * self.root_mm[:, 2], std * self.scale)

    def scaled_pose(self, joints_rel_mm) -> np.ndarray:
        """The model's root-relative poses ``[P, J, 3]`` (:meth:`smoothed_pose`) at the size their
        placement implies: a body moved along its root's ray to ``scale`` times its depth keeps
        its image only at ``scale`` times its size, so root plus scaled pose is the model's whole
        answer scaled about the camera (as a known height scales it: :meth:`KeypointHDNet.with_heights
        <hdnet.keypoint.KeypointHDNet.with_heights>`), and its joints still project onto the
        keypoints (up to the smoothing of a sequence's poses)."""
        return self.smoothed_pose(joints_rel_mm) * self.scale[:, None, None]


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
                 blend: Optional[float] = None, track_window: int = 30,
                 floor: Optional[Floor] = None, pose_window: int = 2) -> SceneResult:
    """Place ``people`` with their shared floor (see the module docstring). Never raises for
    what is in a scene: nobody, one person, no feet, NaN keypoints give the model's answers
    (``floor_used`` 0).

    ``floor``: the floor where it is known (a calibrated, static camera:
    :meth:`Floor.from_camera`, :meth:`Floor.from_extrinsics`) instead of one found from the
    people; then even one person alone is placed on it, every image shares it, and it is
    trusted fully (``blend`` 1 unless given) where it agrees with the model within
    ``max_sigma``.

    ``pose_window``: in a sequence, each track's poses are averaged over this many frames either
    side when the result gives them (:meth:`SceneResult.scaled_pose`; 0: not)."""
    if mode not in SCENE_MODES:
        raise ValueError(f"mode: expected one of {list(SCENE_MODES)}, got {mode!r}")
    if floor is not None and not isinstance(floor, Floor):
        raise TypeError(f"floor: expected a hdnet.scene.Floor, got {type(floor).__name__}")
    if floor is not None and mode == "none":
        raise ValueError("floor: a given floor places people in mode 'image' or 'sequence', not 'none'")
    if floor is not None:
        result = _place_on_given(people, mode, floor, max_sigma, blend, track_window)
    else:
        result = _place(people, mode, max_sigma, blend, track_window)
    z0, z1 = people.root_mm[:, 2], result.root_mm[:, 2]
    moved = np.isfinite(z0) & np.isfinite(z1) & (z0 > 0)
    result.scale = np.where(moved, z1 / np.where(moved, z0, 1.0), 1.0)
    if mode == "sequence" and people.track is not None and pose_window > 0:
        result.pose_smoothing = (people.image, people.track, int(pose_window))
    return result


def _place_on_given(people: ScenePeople, mode: str, floor: Floor, max_sigma: float, blend: Optional[float],
                    track_window: int) -> SceneResult:
    placed = place_on_floor(people, floor, max_sigma, blend)
    if mode == "sequence":
        placed = smooth_tracks(people, placed, track_window)
    return SceneResult(placed.root_mm, placed.method, floors={-1: floor}, given_floor=True)


def _place(people: ScenePeople, mode: str, max_sigma: float, blend: Optional[float],
           track_window: int) -> SceneResult:
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
        if floor is None:  # nobody stands (people lying, feet unseen): their tracks still move smoothly
            placed = smooth_tracks(people, result, track_window, label=PLACED_BY.index("smoothed"))
            result.root_mm, result.method = placed.root_mm, placed.method
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
