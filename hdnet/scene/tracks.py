"""Tracks: the same person over the frames of a sequence, linked from 2D keypoints alone.

A detector run frame by frame (YOLO-pose, RTMPose, BlazePose) says who is where, not who is
who. :func:`link_tracks` links each frame's people to the people of the frames before it by how
far their keypoints moved, relative to their size in the image, so that a sequence's people get
the track ids that :func:`~hdnet.scene.reason_scene` uses to keep a body's size and smooth its
depth (docs/scene.md, "Tracks").
"""

from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from .people import whole_numbers

__all__ = ["link_tracks", "keypoint_distance", "TrackLinker"]


def keypoint_distance(a: np.ndarray, seen_a: np.ndarray, b: np.ndarray, seen_b: np.ndarray,
                      min_joints: int = 3) -> float:
    r"""How far one person's keypoints are from another's, relative to their size:

    .. math::
        c = \operatorname{median}_{j \in S_a \cap S_b} \lVert a_j - b_j \rVert_2 \,/\,
        \max(s_a, s_b)

    where :math:`S` are the seen joints and :math:`s` the diagonal of a person's seen keypoints'
    box. ``inf`` where fewer than ``min_joints`` joints are seen in both.

    Args:
        a, b: ``[J, 2]`` keypoints (px). seen_a, seen_b: ``[J]`` bool.

    Example:
        >>> a = np.array([[0.0, 0.0], [0.0, 100.0], [50.0, 100.0]])
        >>> round(keypoint_distance(a, np.ones(3, bool), a + [5.0, 0.0], np.ones(3, bool)), 3)
        0.045
    """
    return float(_distances(np.asarray(a, np.float64)[None], np.asarray(seen_a, bool)[None],
                            np.asarray(b, np.float64)[None], np.asarray(seen_b, bool)[None], min_joints)[0, 0])


def _row_nanmedian(x: np.ndarray) -> np.ndarray:
    """``np.nanmedian(x, axis=-1)`` of ``[R, J]`` rows that each hold at least one number, by one
    sort (numpy's own goes through masked arrays for short rows: 10x slower on a long video)."""
    n = (~np.isnan(x)).sum(-1)
    s = np.sort(np.where(np.isnan(x), np.inf, x), axis=-1)  # the numbers first, in order
    rows = np.arange(len(x))
    return (s[rows, (n - 1) // 2] + s[rows, n // 2]) / 2


def _distances(a: np.ndarray, seen_a: np.ndarray, b: np.ndarray, seen_b: np.ndarray, min_joints: int) -> np.ndarray:
    """:func:`keypoint_distance` between every person of ``a [T, J, 2]`` and of ``b [N, J, 2]``
    at once (``seen_a [T, J]``, ``seen_b [N, J]``): ``[T, N]``."""
    def sizes(x, seen):  # the diagonal of each person's seen keypoints' box
        lo = np.where(seen[..., None], x, np.inf).min(1)
        hi = np.where(seen[..., None], x, -np.inf).max(1)
        return np.linalg.norm(hi - lo, axis=-1)
    both = seen_a[:, None] & seen_b[None]                                          # [T, N, J]
    move = np.linalg.norm(np.nan_to_num(a)[:, None] - np.nan_to_num(b)[None], axis=-1)
    move = np.where(both, move, np.nan)
    enough = both.sum(-1) >= max(min_joints, 1)
    median = np.full(both.shape[:2], np.inf)
    if enough.any():
        median[enough] = _row_nanmedian(move[enough])
    scale = np.maximum(sizes(a, seen_a)[:, None], sizes(b, seen_b)[None])
    usable = enough & np.isfinite(scale) & (scale > 0)
    out = np.full(usable.shape, np.inf)
    out[usable] = median[usable] / scale[usable]
    return out


def link_tracks(keypoints, frame, confidence=None, *, max_cost: float = 0.3, max_gap: int = 10,
                min_joints: int = 3) -> np.ndarray:
    """Track ids for a sequence's people from their 2D keypoints: frame by frame, in the order of
    ``frame``, each frame's people are matched one to one (the Hungarian method, on
    :func:`keypoint_distance`) to the tracks last seen within ``max_gap`` frames before; a match
    costing more than ``max_cost`` (a fraction of the person's size in the image: people at 30
    fps move a few per cent of it from frame to frame) starts a new track. Nothing but geometry
    is used, so two people who cross in the image may swap ids or start new tracks; a new track
    is the safe failure (its frames are smoothed on their own).

    Args:
        keypoints: ``[P, J, 2]`` px (NaN: missing), every person of every frame.
        frame: ``[P]`` integer frame number of each person (any order; people of one frame
            share it).
        confidence: ``[P, J]`` scores (0: missing) or None (every finite keypoint seen).
        max_cost: the largest :func:`keypoint_distance` that links two people.
        max_gap: how many frames a track may go unseen and still continue.
        min_joints: joints seen in both that a link needs; people with fewer seen get -1.

    Returns:
        ``[P]`` int64 track ids, 0, 1, ... in order of first appearance; -1 for people seen too
        little to link.

    Example:
        >>> kp = np.array([[[0, 0], [0, 100], [40, 100]], [[300, 0], [300, 100], [340, 100]],
        ...                [[302, 1], [302, 101], [342, 101]], [[2, 1], [2, 101], [42, 101]]], float)
        >>> link_tracks(kp, [0, 0, 1, 1]).tolist()  # frame 1 lists the people the other way round
        [0, 1, 1, 0]
    """
    kp = np.asarray(keypoints, np.float64)
    if kp.ndim != 3 or kp.shape[-1] != 2:
        raise ValueError(f"keypoints: expected [P, J, 2], got {list(kp.shape)}")
    p, j = kp.shape[:2]
    fr = whole_numbers(frame, "frame", "frame numbers")
    if fr.shape != (p,):
        raise ValueError(f"frame: expected [{p}] frame numbers, got {list(fr.shape)}")
    seen = np.asarray(np.isfinite(kp).all(-1))
    if confidence is not None:
        conf = np.asarray(confidence, np.float64)
        if conf.shape != (p, j):
            raise ValueError(f"confidence: expected [{p}, {j}], got {list(conf.shape)}")
        seen &= np.nan_to_num(conf, nan=0.0) > 0
    linker = TrackLinker(max_cost=max_cost, max_gap=max_gap, min_joints=min_joints)  # checks them
    ids = np.full(p, -1, np.int64)
    if not p:
        return ids
    order = np.argsort(fr, kind="stable")
    frames, starts = np.unique(fr[order], return_index=True)
    for f, people in zip(frames, np.split(order, starts[1:]), strict=True):
        ids[people] = linker.step(int(f), kp[people], seen[people])
    return ids


class TrackLinker:
    """:func:`link_tracks` one frame at a time, for frames that arrive live: each :meth:`step`
    links a frame's people to the tracks seen within ``max_gap`` frames before it (the same
    rule and arguments as :func:`link_tracks`, which steps one of these through a sequence).

    Example:
        >>> linker = TrackLinker()
        >>> a = np.array([[[0, 0], [0, 100], [40, 100]], [[300, 0], [300, 100], [340, 100]]], float)
        >>> linker.step(0, a).tolist(), linker.step(1, a[::-1] + 2.0).tolist()
        ([0, 1], [1, 0])
    """

    def __init__(self, *, max_cost: float = 0.3, max_gap: int = 10, min_joints: int = 3):
        if not (np.isfinite(max_cost) and max_cost > 0):
            raise ValueError(f"max_cost: expected a positive number, got {max_cost}")
        if max_gap < 1:
            raise ValueError(f"max_gap: expected at least 1 frame, got {max_gap}")
        self.max_cost, self.max_gap, self.min_joints = float(max_cost), int(max_gap), int(min_joints)
        self._last: List[Tuple[np.ndarray, np.ndarray, int]] = []  # each track's last keypoints, seen, frame
        self._active: List[int] = []  # the tracks seen within max_gap frames (older ones never come back)
        self._frame: Optional[int] = None

    @property
    def tracks(self) -> int:
        """How many tracks have been started."""
        return len(self._last)

    def step(self, frame: int, keypoints, seen=None) -> np.ndarray:
        """Track ids ``[N]`` (-1: seen too little to link) for the people ``keypoints [N, J, 2]``
        (px, NaN: missing; ``seen [N, J]``: the joints found, default the finite ones) of
        ``frame``, a whole number after the last frame stepped."""
        from scipy.optimize import linear_sum_assignment  # imported here: scipy.optimize changes warning filters
        kp = np.asarray(keypoints, np.float64)
        if kp.ndim != 3 or kp.shape[-1] != 2:
            raise ValueError(f"keypoints: expected [N, J, 2], got {list(kp.shape)}")
        ok = np.isfinite(kp).all(-1)
        seen = ok if seen is None else np.asarray(seen, bool) & ok
        if seen.shape != kp.shape[:2]:
            raise ValueError(f"seen: expected {list(kp.shape[:2])}, got {list(seen.shape)}")
        f = int(whole_numbers(np.asarray([frame]), "frame", "frame numbers")[0])
        if self._frame is not None and f <= self._frame:
            raise ValueError(f"frame: {f} does not come after the last frame stepped ({self._frame})")
        self._frame = f
        ids = np.full(len(kp), -1, np.int64)
        now = [i for i in range(len(kp)) if seen[i].sum() >= max(self.min_joints, 1)]
        self._active = [t for t in self._active if f - self._last[t][2] <= self.max_gap]
        taken = [False] * len(now)
        if self._active and now:
            prev = self._active
            cost = _distances(np.stack([self._last[t][0] for t in prev]), np.stack([self._last[t][1] for t in prev]),
                              kp[now], seen[now], self.min_joints)
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e9))
            for r, c in zip(rows, cols, strict=True):
                if cost[r, c] <= self.max_cost:
                    ids[now[c]] = prev[r]
                    taken[c] = True
        for i, linked in zip(now, taken, strict=True):
            if not linked:
                ids[i] = len(self._last)
                self._active.append(len(self._last))
                self._last.append((kp[i], seen[i], f))
        for i in now:
            t = int(ids[i])
            self._last[t] = (kp[i], seen[i], f)
        return ids
