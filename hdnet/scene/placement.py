r"""Re-placing people where the floor explains them.

A person whose lower ankle is seen stands where that ankle's ray meets the floor; the root is
then that point minus the model's own root-to-ankle offset:

.. math::
    \mathbf{X}_a = \frac{h}{-\mathbf{n}^\top \mathbf{r}_a}\, \mathbf{r}_a, \qquad
    \mathbf{root} = \mathbf{X}_a - (\mathbf{ankle} - \mathbf{root})_{\text{model}},

so the depth comes from a few pixels of ankle position and the floor, not from a guess of the
person's size. The person then moves along the ray of the model's root to the depth
:math:`Z = Z_{\text{model}}^{1 - w} Z_{\text{floor}}^{w}` (``blend`` :math:`w`: 1 trusts the
floor alone; less measured better on MuPoTS-3D TS1-TS10, because the floor's height
comes from the same people's depths and its tilt is known to a degree or two; by default the
weight grows with the number of people the floor was found from, :func:`floor_weight`). The
floor is used only where it agrees with the model within ``max_sigma`` of the model's own depth uncertainty
(people on furniture, stairs or in the air are kept where the model put them) and where the
ankle is seen below the horizon. People of known size (a given height) are not moved: their
answer already has the body's own size, which is what the floor stands in for.

With tracks (the same person over frames), a person's frames that the floor cannot place take
the track's median ratio of floor depth to model depth (a body size that stays the same), and
:func:`smooth_tracks` then fits each person's log depth by a straight line over the frames
around each frame (people move smoothly; the model's frame-to-frame noise is 1-7 % of depth on
MuPoTS-3D).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .floor import Floor, body_up, support_ankle
from .people import ScenePeople

__all__ = ["Placement", "place_on_floor", "smooth_tracks", "smooth_track_poses", "line_level", "floor_weight",
           "PLACED_BY",
           "BY_FLOOR", "placed_by_floor"]

#: How each person was placed, the values of :attr:`Placement.method`: the model's answer as it
#: was; on the floor; by their track's ratio to the floor (and smoothed); the model's answer with
#: its depth smoothed over its track where no floor was found (a sequence where nobody stands).
PLACED_BY = ("model", "floor", "track", "smoothed")

#: The :data:`PLACED_BY` values a floor placed (``floor_used`` counts them).
BY_FLOOR = (1, 2)


def placed_by_floor(method) -> np.ndarray:
    """``[P]`` bool: the people of ``method [P]`` (:data:`PLACED_BY` indices) a floor placed."""
    return np.isin(np.asarray(method), BY_FLOOR)


@dataclass
class Placement:
    """Per person: ``root_mm [P, 3]`` and ``method [P]`` (an index into :data:`PLACED_BY`)."""

    root_mm: np.ndarray
    method: np.ndarray

    @property
    def floor_used(self) -> float:
        """The share of people a floor re-placed (directly or by their track's ratio to it)."""
        return float(np.mean(placed_by_floor(self.method))) if len(self.method) else 0.0


def floor_weight(people_on_floor: int, most: float = 0.3, half: float = 5.0) -> float:
    r"""How much a floor found from ``people_on_floor`` standing people is trusted against the
    model's own depth (the ``blend`` :math:`w`): :math:`w = \text{most} \cdot N / (N + \text{half})`.
    ``most = 0.3`` was chosen on Human3.6M S9/S11 scenes (``scripts/scene_dev_h36m.py``: MRPE in
    ``sequence`` mode 0.3 / 0.5 / 0.7 / 1.0: 284 / 286 / 292 / 307 mm; docs/scene.md), not on
    MuPoTS-3D."""
    n = max(int(people_on_floor), 0)
    return most * n / (n + half)


def place_on_floor(people: ScenePeople, floor: Floor, max_sigma: float = 2.5, blend: Optional[float] = None,
                   min_track_frames: int = 5, min_angle_deg: float = 1.0) -> Placement:
    """Each person placed on ``floor`` where it explains them, else by their track, else as the
    model placed them (see the module docstring). ``blend``: the floor's weight ``w`` (default
    :func:`floor_weight` of the people the floor was found from; 1 for a floor at the true scale,
    found from none of them (a given floor, ``floor.people == 0``) or with its height from
    people of known size (``floor.known_people``): on the Human3.6M development scenes trusting
    such floors fully placed the others best)."""
    if blend is None:
        blend = 1.0 if floor.known_people or not floor.people else floor_weight(floor.people)
    if not 0.0 <= blend <= 1.0:
        raise ValueError(f"blend: expected a weight in [0, 1], got {blend}")
    p = len(people)
    method = np.zeros(p, np.int64)
    if p == 0:
        return Placement(people.root_mm.copy(), method)
    k = support_ankle(people, floor.normal)
    seen = k >= 0
    kk = np.where(seen, k, 0)
    rows = np.arange(p)
    ray = people.rays(people.ankles_px[rows, kk])
    on_floor = floor.depth_along(ray, min_angle_deg)
    candidate = on_floor - people.ankles_rel_mm[rows, kk]
    z_model = people.root_mm[:, 2]
    agree = np.abs(candidate[:, 2] - z_model) <= max_sigma * people.depth_std_mm
    _, standing = body_up(people)
    use = seen & standing & np.isfinite(candidate).all(1) & (candidate[:, 2] > 0) & agree & ~people.known_size
    log_ratio = np.zeros(p)
    log_ratio[use] = blend * np.log(candidate[use, 2] / z_model[use])
    method[use] = 1
    if people.track is not None:
        for t in np.unique(people.track[people.track >= 0]):
            mine = people.track == t
            placed = mine & use
            rest = mine & ~use & ~seen & ~people.known_size  # feet not seen: the body size of the track's others
            if placed.sum() < min_track_frames or not rest.any():
                continue
            log_ratio[rest] = float(np.median(log_ratio[placed]))
            method[rest] = 2
    root = people.root_mm * np.exp(log_ratio)[:, None]  # along the root's ray: the same pixel
    return Placement(root, method)


def smooth_track_poses(joints_rel_mm, frames, track, window: int = 2) -> np.ndarray:
    """Each track's root-relative poses ``joints_rel_mm [P, J, 3]`` averaged over its frames
    within ``window`` of each (``frames [P]`` frame numbers, ``track [P]`` ids; -1: no track,
    left as it is); NaN joints are left out of each mean. A detector's keypoints jitter from
    frame to frame and the pose lifted from them with them; bodies move smoothly. ``window = 2``
    (five frames, a sixth of a second at 30 frames per second) was set before any measurement.

    >>> poses = np.stack([np.full((1, 3), v) for v in (0.0, 3.0, 0.0)])
    >>> smooth_track_poses(poses, np.arange(3), np.zeros(3, int), window=1)[:, 0, 0].tolist()
    [1.5, 1.0, 1.5]
    """
    rel = np.asarray(joints_rel_mm, np.float64)
    frames, track = np.asarray(frames), np.asarray(track)
    if window < 0:
        raise ValueError(f"window: expected at least 0 frames, got {window}")
    if rel.ndim != 3 or rel.shape[-1] != 3 or frames.shape != rel.shape[:1] or track.shape != rel.shape[:1]:
        raise ValueError(f"joints_rel_mm, frames, track: expected [P, J, 3], [P], [P], got {rel.shape}, "
                         f"{frames.shape}, {track.shape}")
    out = rel.copy()
    if window == 0:
        return out
    for t in np.unique(track[track >= 0]):
        mine = np.nonzero(track == t)[0]
        mine = mine[np.argsort(frames[mine], kind="stable")]
        f = frames[mine].astype(np.float64)
        lo, hi = np.searchsorted(f, f - window, "left"), np.searchsorted(f, f + window, "right")
        seen = np.isfinite(rel[mine])
        # running sums over the track's frames in order: each window's sum is a difference of two
        total = np.concatenate([np.zeros((1,) + rel.shape[1:]), np.cumsum(np.where(seen, rel[mine], 0.0), 0)])
        count = np.concatenate([np.zeros((1,) + rel.shape[1:]), np.cumsum(seen, 0)])
        n = count[hi] - count[lo]
        out[mine] = np.where(n > 0, (total[hi] - total[lo]) / np.maximum(n, 1), np.nan)
    return out


def smooth_tracks(people: ScenePeople, placement: Placement, window: int = 30, label: int = 2) -> Placement:
    """Each track's depths smoothed: at every frame, a straight line fitted by least squares to the
    track's log depths over the frames within ``window`` of it (``people.image`` are frame
    numbers), each person moved along their root's ray to it. People without a track, or with
    fewer than 3 frames in reach, stay; the people it moves count as placed by ``label`` (a
    :data:`PLACED_BY` index: ``track``, or ``smoothed`` where there is no floor) where nothing else
    placed them; people of known size (``people.known_size``) stay.
    ``window = 30``: a second at 30 frames per second (on Human3.6M
    scenes at 10 fps, ``scripts/scene_dev_h36m.py``: windows of 0.1 / 0.3 / 0.5 / 1 / 2 / 3 s gave
    294 / 292 / 291 / 292 / 309 / 338 mm MRPE; docs/scene.md)."""
    if window < 1:
        raise ValueError(f"window: expected at least 1 frame, got {window}")
    root, method = placement.root_mm.copy(), placement.method.copy()
    if people.track is None or not len(people):
        return Placement(root, method)
    frames = people.image.astype(np.float64)
    log_z = np.log(np.maximum(placement.root_mm[:, 2], 1e-6))
    for t in np.unique(people.track[people.track >= 0]):
        mine = np.nonzero(people.track == t)[0]
        f, z = frames[mine], log_z[mine]
        for k, i in enumerate(mine):
            if people.known_size[i]:  # a given height: not moved
                continue
            near = np.abs(f - f[k]) <= window
            level = line_level(f[near] - f[k], z[near])
            if level is None:
                continue
            root[i] = placement.root_mm[i] * np.exp(level - z[k])
            if method[i] == 0:
                method[i] = label
    return Placement(root, method)


def line_level(offsets: np.ndarray, values: np.ndarray) -> Optional[float]:
    """Where a straight line fitted by least squares to ``values [N]`` at frame ``offsets [N]``
    (from the frame it is read at) stands at offset 0; None with fewer than 3 values or a single
    frame. A track's log depth read so is :func:`smooth_tracks`' (offsets either side) and
    :class:`hdnet.keypoint.LiveScene`'s (offsets up to 0).

    >>> round(line_level(np.array([-2.0, -1.0, 0.0]), np.array([1.0, 2.0, 3.0])), 9)
    3.0
    """
    if len(offsets) < 3 or np.ptp(offsets) == 0:
        return None
    a = np.stack([np.ones_like(offsets), offsets], 1)
    return float(np.linalg.lstsq(a, values, rcond=None)[0][0])
