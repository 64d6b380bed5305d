r"""The floor people stand on, estimated from the people themselves.

The floor's normal (the up direction in camera coordinates) starts from the model's own 3D
poses: a standing person's body axis (ankles to neck) is vertical, and the median over the
standing people (neck at least ``MIN_STANDING_MM`` above the ankles) was within 0.2-2.7 degrees of
the truth on MuPoTS-3D TS1-TS10 wherever people stood (the vanishing point of the people's image
axes, tried first, was 8-60 degrees off: walking people lean, and a row of people at one depth
leaves the pitch undetermined; on Human3.6M's cameras, looking 12 degrees down, the model's axes
were 2-6 degrees off). It is then refined, within ``search_deg`` (8 degrees: chosen on Human3.6M
S9/S11 scenes, ``scripts/scene_dev_h36m.py``, over 0 / 1 / 2 / 4 degrees), so that the floor
explains the model's depths: each standing person's lower ankle gives one floor height
:math:`h_i = -\mathbf{n}^\top \mathbf{X}_{\text{ankle},i}`; the normal minimises a robust
(Cauchy) spread of :math:`\log h_i` plus a Gaussian prior of ``prior_deg`` on leaving the body
axis. A tilted plane makes near and far people disagree, so many people at different depths fix
the pitch and roll that one body axis cannot.

The floor's height (the camera's height above the ankles' plane, ``n . X = -height``) is the
weighted median of the :math:`h_i` in log space (weights: the model's relative depth certainty).

>>> import numpy as np
>>> floor = Floor(np.array([0.0, -1.0, 0.0]), 1500.0, people=3)
>>> float(floor.depth_along(np.array([0.0, 0.3, 1.0]))[2])  # a ray 0.3 below the axis
5000.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np
import torch

from ..data.pose_augment import axis_angle_matrices
from ..graphs import resolve_skeleton
from .people import ScenePeople

__all__ = ["Floor", "floor_normal", "fit_floor", "support_ankle", "ankle_heights", "body_up", "MIN_ANKLE_SCORE",
           "MIN_STANDING_MM", "FLOOR_ANKLE_MM", "ankle_height_for"]

#: Ankles with a lower score are not used to find or to stand on the floor.
MIN_ANKLE_SCORE = 0.3

#: A person stands when the model's neck is at least this far from their ankles' midpoint
#: (standing adults: 1,300-1,450 mm; sitting, crouching and bending people fall below).
MIN_STANDING_MM = 1000.0


#: How high the lower ankle joint sits above the ground (mm) where people stand on a floor,
#: per the keypoint model's output joint sets: its median over every pose of Human3.6M's
#: training subjects S1, S5, S6, S7, S8 (world Z up, the floor at 0; subjects' medians 50-99
#: mm), as Human3.6M's own joints and as the MuPoTS-3D joints the keypoint model is trained on
#: (:func:`hdnet.keypoint.task.to_mupots`, whose shins are shorter; ``mupots_17`` is
#: ``mpi_inf_3dhp_17``). A given floor (:meth:`Floor.from_camera`) is the ground; the people
#: stand on it with their ankles this high (:func:`ankle_height_for`). Not tuned: on the
#: Human3.6M development scenes 75 mm would have placed the MuPoTS-3D joints better (docs/scene.md).
#: (:data:`hdnet.keypoint.height.ANKLE_HEIGHT_MM`, 50 mm, is another statistic for another use:
#: the ankle of a body standing still, added to the head top's reach for a standing height.)
FLOOR_ANKLE_MM = {"h36m_17": 77.0, "mpi_inf_3dhp_17": 101.0}


def ankle_height_for(skeleton) -> float:
    """:data:`FLOOR_ANKLE_MM` of ``skeleton`` (a name, alias or :class:`~hdnet.graphs.Skeleton`);
    a ``ValueError`` for joint sets it was not measured on."""
    name = resolve_skeleton(skeleton).name
    if name not in FLOOR_ANKLE_MM:
        raise ValueError(f"skeleton: no ankle height is known for {name!r} (measured: {sorted(FLOOR_ANKLE_MM)}); "
                         "give ankle_height_mm")
    return FLOOR_ANKLE_MM[name]


def _finite(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    return float(value)


@dataclass(frozen=True)
class Floor:
    """A plane ``n . X = -height_mm`` in camera coordinates: ``normal`` the unit up direction
    (Y is down, so a level camera has ``normal = (0, -1, 0)``), ``height_mm`` the camera's height
    above the ankles' plane (ankles sit about 70-100 mm above the ground)."""

    normal: np.ndarray
    height_mm: float
    people: int = 0  #: how many people it was fitted to
    height_spread: float = 0.0  #: robust spread of the people's log heights
    known_people: int = 0  #: how many people of known size its height came from (0: all the people)

    @classmethod
    def from_camera(cls, height_mm: float, pitch_deg: float, roll_deg: float = 0.0,
                    ankle_height_mm: float = FLOOR_ANKLE_MM["mpi_inf_3dhp_17"]) -> "Floor":
        """The floor of a camera ``height_mm`` above the ground that looks ``pitch_deg`` down
        (negative: up) and is rolled by ``roll_deg`` (the inverse of :attr:`pitch_deg` and
        :attr:`roll_deg`); the people's ankles are ``ankle_height_mm`` above the ground
        (:data:`FLOOR_ANKLE_MM` for the model's joints).

        >>> floor = Floor.from_camera(1600.0, 10.0)
        >>> round(floor.pitch_deg, 6), round(floor.height_mm, 1)
        (10.0, 1499.0)
        """
        h, pitch, roll = (_finite(v, n) for v, n in ((height_mm, "height_mm"), (pitch_deg, "pitch_deg"),
                                                      (roll_deg, "roll_deg")))
        ankle = _finite(ankle_height_mm, "ankle_height_mm")
        if not -90.0 < pitch < 90.0:
            raise ValueError(f"pitch_deg: expected an angle in (-90, 90) degrees, got {pitch}")
        if not -90.0 < roll < 90.0:
            raise ValueError(f"roll_deg: expected an angle in (-90, 90) degrees, got {roll}")
        if ankle < 0 or h <= ankle:
            raise ValueError(f"height_mm: the camera must be above the people's ankles ({ankle:g} mm above the "
                             f"ground), got {h}")
        t, r = math.radians(pitch), math.radians(roll)
        normal = np.array([math.cos(t) * math.sin(r), -math.cos(t) * math.cos(r), -math.sin(t)])
        return cls(normal, h - ankle)

    @classmethod
    def from_extrinsics(cls, rotation, centre_mm, up=(0.0, 0.0, 1.0), ground_mm: float = 0.0,
                        ankle_height_mm: float = FLOOR_ANKLE_MM["mpi_inf_3dhp_17"]) -> "Floor":
        """The floor of a calibrated camera: ``rotation [3, 3]`` from world to camera
        coordinates (``X_cam = R (X_world - centre)``), ``centre_mm [3]`` the camera's centre in
        the world, whose ``up`` axis (unit, default Z) is vertical and whose ground lies at
        ``ground_mm`` along it (Human3.6M: Z up, the ground at 0).

        >>> import numpy as np
        >>> level = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])  # x right, y down, z ahead
        >>> Floor.from_extrinsics(level, [0.0, 0.0, 1500.0]).normal.round(6).tolist()
        [0.0, -1.0, 0.0]
        """
        rot = np.asarray(rotation, np.float64)
        if rot.shape != (3, 3) or not np.isfinite(rot).all() or not np.allclose(rot @ rot.T, np.eye(3), atol=1e-6) \
                or np.linalg.det(rot) < 0:
            raise ValueError("rotation: expected a 3 x 3 rotation matrix (orthonormal, determinant +1)")
        centre, axis = np.asarray(centre_mm, np.float64), np.asarray(up, np.float64)
        for v, n in ((centre, "centre_mm"), (axis, "up")):
            if v.shape != (3,) or not np.isfinite(v).all():
                raise ValueError(f"{n}: expected 3 finite numbers, got shape {v.shape}")
        if not np.isclose(np.linalg.norm(axis), 1.0, atol=1e-6):
            raise ValueError(f"up: expected a unit vector, got length {np.linalg.norm(axis):.6g}")
        ankle = _finite(ankle_height_mm, "ankle_height_mm")
        h = float(centre @ axis) - _finite(ground_mm, "ground_mm")
        if ankle < 0 or h <= ankle:
            raise ValueError(f"centre_mm: the camera must be above the people's ankles ({ankle:g} mm above the "
                             f"ground), got {h:.1f} mm above the ground")
        return cls(rot @ axis, h - ankle)

    def as_camera(self, ankle_height_mm: float = FLOOR_ANKLE_MM["mpi_inf_3dhp_17"]) -> Tuple[float, float, float]:
        """``(height_mm, pitch_deg, roll_deg)``: how high the camera stands above the ground
        (the ankles' plane lowered by ``ankle_height_mm``), how far it looks down and how far it is
        rolled; what :meth:`from_camera` (and ``hdnet predict --floor H,PITCH,ROLL``) takes back.

        >>> floor = Floor.from_camera(1600.0, 10.0, -2.0)
        >>> [round(v, 6) for v in floor.as_camera()]
        [1600.0, 10.0, -2.0]
        """
        return self.height_mm + _finite(ankle_height_mm, "ankle_height_mm"), self.pitch_deg, self.roll_deg

    @property
    def pitch_deg(self) -> float:
        """How far the camera looks down (> 0) or up, in degrees."""
        return float(-np.degrees(np.arcsin(np.clip(self.normal[2], -1.0, 1.0))))

    @property
    def roll_deg(self) -> float:
        """The camera's roll about its axis, in degrees."""
        return float(np.degrees(np.arctan2(self.normal[0], -self.normal[1])))

    def depth_along(self, rays: np.ndarray, min_angle_deg: float = 1.0) -> np.ndarray:
        """Where rays ``[..., 3]`` meet the plane: points ``[..., 3]`` (mm); NaN for rays that do
        not point at least ``min_angle_deg`` below the horizon."""
        r = np.asarray(rays, np.float64)
        r = r / np.linalg.norm(r, axis=-1, keepdims=True)
        down = -(r @ self.normal)
        t = np.where(down > math.sin(math.radians(min_angle_deg)), self.height_mm / np.where(down > 0, down, 1.0),
                     np.nan)
        return r * t[..., None]


def support_ankle(people: ScenePeople, normal: np.ndarray) -> np.ndarray:
    """``[P]`` which ankle (0 left, 1 right) carries each person: the lower of the seen ones in
    the model's pose along ``normal`` (-1: neither is seen)."""
    height = people.ankles_rel_mm @ normal  # [P, 2], larger = higher
    seen = people.ankle_scores >= MIN_ANKLE_SCORE
    height = np.where(seen, height, np.inf)
    out = np.argmin(height, axis=1)
    return np.where(seen.any(1), out, -1)


def ankle_heights(people: ScenePeople, normal: np.ndarray) -> np.ndarray:
    """``[P]`` each person's height under the camera along ``normal``: of their lower seen ankle
    (:func:`support_ankle`), where the model put it; NaN where neither ankle is seen."""
    k = support_ankle(people, normal)
    ankle = people.root_mm + people.ankles_rel_mm[np.arange(len(people)), np.maximum(k, 0)]
    return np.where(k >= 0, -(ankle @ normal), np.nan)


def body_up(people: ScenePeople) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """The median up direction ``[3]`` of the standing people's body axes in the model's poses
    (``None`` if no one stands), and the ``[P]`` mask of who stands (both ankles seen, neck at
    least :data:`MIN_STANDING_MM` above their midpoint)."""
    seen = (people.ankle_scores >= MIN_ANKLE_SCORE).all(1)
    axis = people.neck_rel_mm - people.ankles_rel_mm.mean(1)
    length = np.linalg.norm(axis, axis=1)
    standing = seen & (length >= MIN_STANDING_MM) & np.isfinite(length)
    if not standing.any():
        return None, standing
    up = np.median(axis[standing] / length[standing, None], axis=0)
    return up / np.linalg.norm(up), standing


def _rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations ``[G, 3, 3]`` by ``angle [G]`` about the unit ``axis [3]`` (numpy front of
    :func:`hdnet.data.pose_augment.axis_angle_matrices`)."""
    angles = torch.from_numpy(np.asarray(angle, np.float64, order="C"))
    axes = torch.from_numpy(np.asarray(axis, np.float64, order="C")).expand(*angles.shape, 3)
    return axis_angle_matrices(axes, angles).numpy()


def floor_normal(people: ScenePeople, search_deg: float = 8.0, step_deg: float = 0.5, prior_deg: float = 2.0,
                 scale: float = 0.05, max_tilt_deg: float = 60.0, by_track: bool = False,
                 min_track: int = 5) -> Tuple[Optional[np.ndarray], dict]:
    """The floor's up direction ``[3]`` (unit, camera coordinates; see the module docstring)
    and diagnostics ``{"people": standing people, "tilt_deg": refinement, "reason": ...}``;
    ``None`` where no one stands, or where the body axes lean more than ``max_tilt_deg`` from
    the image's up (people lying down, or a camera on its side).

    ``by_track``: each track with at least ``min_track`` standing people has its log heights
    centred on its own median rather than on everyone's, so people of different sizes (whose
    model depths, and so heights, differ by their size) do not read as tilt; only a track's
    walk through the view constrains the floor. On the Human3.6M development scenes it halved
    the median error of the normal (2.3 -> 1.2 degrees, against the calibrated floors) but moved
    their MRPE by under 1 % (275.7 -> 274.3 mm), and on MuPoTS-3D TS1-TS10 `sequence` mode went
    220.0 -> 225.4 mm (with the floor's weight ``most`` 0.5, the development scenes' best with
    it); so it is not the default (docs/scene.md)."""
    up, standing = body_up(people)
    info: dict = {"people": int(standing.sum()), "tilt_deg": 0.0, "reason": ""}
    if up is None:
        info["reason"] = "no one is seen standing"
        return None, info
    if np.degrees(np.arccos(np.clip(-up[1], -1.0, 1.0))) > max_tilt_deg:
        info["reason"] = f"the body axes lean more than {max_tilt_deg:g} degrees from the image's up"
        return None, info
    if search_deg <= 0:
        return up, info
    e1 = np.cross(up, [0.0, 0.0, 1.0])
    e1 = e1 / np.linalg.norm(e1)
    e2 = np.cross(up, e1)
    idx = np.nonzero(standing)[0]
    ankles = people.root_mm[idx, None] + people.ankles_rel_mm[idx]  # [S, 2, 3]
    groups = np.full(len(idx), -1)
    if by_track and people.track is not None:
        tr = people.track[idx]
        ids, counts = np.unique(tr[tr >= 0], return_counts=True)
        for t in ids[counts >= min_track]:
            groups[tr == t] = t
    group_ids = np.unique(groups[groups >= 0])

    def centred(log_h: np.ndarray) -> np.ndarray:  # each long track about its own median, the rest about all
        res = log_h - np.median(log_h, axis=1, keepdims=True)
        for t in group_ids:
            m = groups == t
            res[:, m] = log_h[:, m] - np.median(log_h[:, m], axis=1, keepdims=True)
        return res

    def costs(a: np.ndarray, b: np.ndarray):
        normals = np.einsum("gij,gjk,k->gi", _rotation(e2, b), _rotation(e1, a), up)  # [G, 3]
        h = (-np.einsum("gk,sak->gsa", normals, ankles)).max(-1)  # [G, S]: the lower ankle carries the person
        log_h = np.log(np.maximum(h, 1.0))
        res = centred(log_h)
        res = np.where(h > 100.0, res, 1.0)  # an ankle above the plane (or on the camera): an outlier
        prior = (np.degrees(a) ** 2 + np.degrees(b) ** 2) / (2 * prior_deg ** 2)
        return normals, res, np.log1p((res / scale) ** 2).sum(1) + prior

    # coarse, then fine around the best
    grid = np.radians(np.arange(-search_deg, search_deg + 1e-9, 2 * step_deg))
    a, b = (g.ravel() for g in np.meshgrid(grid, grid, indexing="ij"))
    _, _, cost = costs(a, b)
    best = int(np.argmin(cost))
    fine = np.radians(np.arange(-2 * step_deg, 2 * step_deg + 1e-9, step_deg / 2))
    a, b = (g.ravel() for g in np.meshgrid(a[best] + fine, b[best] + fine, indexing="ij"))
    normals, res, cost = costs(a, b)
    best = int(np.argmin(cost))
    info["tilt_deg"] = float(np.degrees(np.arccos(np.clip(normals[best] @ up, -1.0, 1.0))))
    info["spread"] = float(1.4826 * np.median(np.abs(res[best])))  # robust sd of the log heights
    return normals[best], info


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    c = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(c, 0.5 * c[-1])])


def fit_floor(people: ScenePeople, normal: np.ndarray) -> Optional[Floor]:
    """The floor with ``normal`` at the height the standing people's model depths give (see the
    module docstring); ``None`` where no one stands in front of the camera. Where some standing
    people are of known size (``people.known_size``: a given height), the height comes from them
    alone (``known_people``): their depths carry their true size, the others' an average one."""
    _, standing = body_up(people)
    height = ankle_heights(people, normal)
    idx = np.nonzero(standing & (height > 0))[0]  # NaN (no ankle seen) is not > 0
    if not len(idx):
        return None
    n_people = len(idx)
    known = idx[people.known_size[idx]]
    if len(known):
        idx = known
    h = height[idx]
    rel_std = people.depth_std_mm[idx] / np.maximum(people.root_mm[idx, 2], 1.0)
    w = 1.0 / np.maximum(rel_std, 0.01) ** 2
    log_h = np.log(h)
    mid = _weighted_median(log_h, w)
    spread = 1.4826 * _weighted_median(np.abs(log_h - mid), w)
    return Floor(np.asarray(normal, np.float64), float(np.exp(mid)), people=n_people, height_spread=float(spread),
                 known_people=len(known))
