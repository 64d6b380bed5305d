"""The people of a scene as scene reasoning needs them: where their ankles are seen, the model's
3D answer for each (root, root-relative pose, depth uncertainty), which image each is in and,
optionally, which track (the same person over frames).

>>> import numpy as np
>>> from hdnet import Camera
>>> people = ScenePeople(
...     ankles_px=np.array([[[480.0, 700.0], [520.0, 700.0]]]), ankle_scores=np.ones((1, 2)),
...     root_mm=np.array([[0.0, 0.0, 4000.0]]),
...     ankles_rel_mm=np.array([[[-100.0, 850.0, 0.0], [100.0, 850.0, 0.0]]]),
...     neck_rel_mm=np.array([[0.0, -500.0, 0.0]]), depth_std_mm=np.array([300.0]),
...     camera=Camera(1000.0, 1000.0, 500.0, 500.0))
>>> len(people)
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from ..camera import Camera
from ..graphs import Skeleton

__all__ = ["ScenePeople", "ankle_and_neck_indices"]


def ankle_and_neck_indices(skeleton: Skeleton) -> tuple:
    """``(l_ankle, r_ankle, neck)`` joint indices of ``skeleton`` (``neck``, else ``thorax``, else
    the shoulders' first), or a ``ValueError`` naming what is missing."""
    names = skeleton.joints
    missing = [j for j in ("l_ankle", "r_ankle") if j not in names]
    top = next((j for j in ("neck", "thorax", "l_shoulder") if j in names), None)
    if missing or top is None:
        raise ValueError(f"skeleton: scene reasoning needs both ankles and a neck (or thorax, or shoulders); "
                         f"{skeleton.name!r} lacks {missing + ([] if top else ['neck'])}")
    return names.index("l_ankle"), names.index("r_ankle"), names.index(top)


def _array(value, name: str, shape: Sequence[Optional[int]]) -> np.ndarray:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, a.shape, strict=True)):
        want = ", ".join("P" if s is None else str(s) for s in shape)
        raise ValueError(f"{name}: expected [{want}], got {list(a.shape)}")
    return a


def whole_numbers(value, name: str, what: str) -> np.ndarray:
    """``value`` as int64 ids or frame numbers (``what`` names them in errors, with ``name``).

    Raises:
        TypeError: not numbers. ValueError: a fraction, NaN or infinity.
    """
    a = np.asarray(value)
    if a.dtype.kind not in "iuf" and a.size:
        raise TypeError(f"{name}: expected {what}, got {a.dtype}")
    if a.dtype.kind == "f" and not (np.isfinite(a) & (a == np.round(a))).all():
        raise ValueError(f"{name}: expected whole {what}, got {a[~(np.isfinite(a) & (a == np.round(a)))][:3]}")
    return a.astype(np.int64)


def repeated_track(image: np.ndarray, track: np.ndarray) -> Optional[Tuple[int, int, int]]:
    """``(image, track id, people)`` of the first track id (>= 0) that stands more than once in one
    image, or None. A track is one body, so it is seen at most once per image: two people of one
    image with one id would be smoothed into one depth, a silent wrong answer."""
    known = track >= 0
    pairs = np.stack([image[known], track[known]], 1)
    if not len(pairs):
        return None
    uniq, counts = np.unique(pairs, axis=0, return_counts=True)
    if not (counts > 1).any():
        return None
    (img, tid), n = uniq[counts > 1][0], counts[counts > 1][0]
    return int(img), int(tid), int(n)


@dataclass
class ScenePeople:
    """``P`` people seen by one camera, in camera coordinates (mm, Y down, Z forward).

    Args:
        ankles_px: ``[P, 2, 2]`` the left and right ankle in pixels (NaN: not seen).
        ankle_scores: ``[P, 2]`` their detector scores in ``[0, 1]`` (0: missing).
        root_mm: ``[P, 3]`` the model's root.
        ankles_rel_mm: ``[P, 2, 3]`` the model's ankles relative to its root.
        neck_rel_mm: ``[P, 3]`` the model's neck relative to its root (the top of the body axis).
        depth_std_mm: ``[P]`` the model's depth uncertainty (one standard deviation).
        camera: the camera that saw them all.
        image: ``[P]`` which image (frame) each person is in (default: all in one).
        track: ``[P]`` which person over frames (the same id = the same body; -1 or omitted:
            unknown).
        known_size: ``[P]`` people whose size was given (a known height,
            :meth:`~hdnet.keypoint.KeypointHDNet.with_heights`): they help find the floor, but the
            scene does not move them (default: nobody).
    """

    ankles_px: np.ndarray
    ankle_scores: np.ndarray
    root_mm: np.ndarray
    ankles_rel_mm: np.ndarray
    neck_rel_mm: np.ndarray
    depth_std_mm: np.ndarray
    camera: Camera
    image: np.ndarray = None  # type: ignore[assignment]  # made zeros(P) when not given
    track: Optional[np.ndarray] = None
    known_size: np.ndarray = None  # type: ignore[assignment]  # made zeros(P) when not given

    def __post_init__(self) -> None:
        if not isinstance(self.camera, Camera):
            raise TypeError(f"camera: expected a Camera, got {type(self.camera).__name__}")
        self.root_mm = _array(self.root_mm, "root_mm", (None, 3))
        p = len(self.root_mm)
        self.ankles_px = _array(self.ankles_px, "ankles_px", (p, 2, 2))
        self.ankle_scores = _array(self.ankle_scores, "ankle_scores", (p, 2))
        self.ankles_rel_mm = _array(self.ankles_rel_mm, "ankles_rel_mm", (p, 2, 3))
        self.neck_rel_mm = _array(self.neck_rel_mm, "neck_rel_mm", (p, 3))
        self.depth_std_mm = _array(self.depth_std_mm, "depth_std_mm", (p,))
        scores = np.nan_to_num(self.ankle_scores, nan=0.0)
        if ((scores < 0) | (scores > 1)).any():
            raise ValueError("ankle_scores: expected scores in [0, 1]")
        self.ankle_scores = np.where(np.isfinite(self.ankles_px).all(-1), scores, 0.0)
        self.image = np.zeros(p, np.int64) if self.image is None else np.asarray(self.image).astype(np.int64)
        if self.image.shape != (p,):
            raise ValueError(f"image: expected [{p}] ids, got {list(self.image.shape)}")
        if self.track is not None:
            self.track = whole_numbers(self.track, "track", "track ids")
            if self.track.shape != (p,):
                raise ValueError(f"track: expected [{p}] ids, got {list(self.track.shape)}")
            twice = repeated_track(self.image, self.track)
            if twice is not None:
                raise ValueError(f"track: {twice[2]} people of image {twice[0]} have track id {twice[1]}; a track is "
                                 "one body, seen at most once per image (give -1 where a person's track is not known)")
        self.known_size = np.zeros(p, bool) if self.known_size is None else np.asarray(self.known_size)
        if self.known_size.shape != (p,) or self.known_size.dtype != bool:
            raise ValueError(f"known_size: expected [{p}] booleans, got {self.known_size.dtype} "
                             f"{list(self.known_size.shape)}")

    def __len__(self) -> int:
        return len(self.root_mm)

    def subset(self, mask) -> "ScenePeople":
        """The people where ``mask`` is true (a boolean ``[P]`` or indices)."""
        return ScenePeople(self.ankles_px[mask], self.ankle_scores[mask], self.root_mm[mask],
                           self.ankles_rel_mm[mask], self.neck_rel_mm[mask], self.depth_std_mm[mask],
                           self.camera, self.image[mask], None if self.track is None else self.track[mask],
                           self.known_size[mask])

    @classmethod
    def concatenate(cls, parts: Sequence["ScenePeople"], camera: Camera) -> "ScenePeople":
        """The people of ``parts`` (seen by ``camera``) as one, in order; people of a part
        without tracks get -1 (none)."""
        def cat(name: str, shape: Tuple[int, ...]) -> np.ndarray:
            arrays = [getattr(p, name) for p in parts]
            return np.concatenate(arrays) if arrays else np.zeros(shape)
        track = [p.track if p.track is not None else np.full(len(p), -1, np.int64) for p in parts]
        return cls(cat("ankles_px", (0, 2, 2)), cat("ankle_scores", (0, 2)), cat("root_mm", (0, 3)),
                   cat("ankles_rel_mm", (0, 2, 3)), cat("neck_rel_mm", (0, 3)), cat("depth_std_mm", (0,)), camera,
                   cat("image", (0,)).astype(np.int64),
                   np.concatenate(track).astype(np.int64) if track else np.zeros(0, np.int64),
                   cat("known_size", (0,)).astype(bool))

    def rays(self, points_px: np.ndarray) -> np.ndarray:
        """Pixels ``[..., 2]`` to unit rays ``[..., 3]`` (undistorted; NaN where not seen)."""
        pts = np.asarray(points_px, np.float64)
        ok = np.isfinite(pts).all(-1)
        xy = np.full(pts.shape, np.nan)
        if ok.any():
            xy[ok] = self.camera.to_rays(pts[ok])
        r = np.concatenate([xy, np.ones(pts.shape[:-1] + (1,))], -1)
        return r / np.linalg.norm(r, axis=-1, keepdims=True)

    @classmethod
    def from_prediction(cls, keypoints_px, confidence, input_skeleton: Skeleton, root_mm, joints_rel_mm,
                        output_skeleton: Skeleton, depth_std_mm, camera: Camera, image=None,
                        track=None, known_size=None) -> "ScenePeople":
        """From a keypoint model's input (``keypoints_px [P, J_in, 2]``, ``confidence [P, J_in]``
        on ``input_skeleton``) and answer (``root_mm``, ``joints_rel_mm [P, J_out, 3]`` on
        ``output_skeleton``, ``depth_std_mm``)."""
        kp = np.asarray(keypoints_px, np.float64)
        la, ra, _ = ankle_and_neck_indices(input_skeleton)
        ola, ora, oneck = ankle_and_neck_indices(output_skeleton)
        conf = np.ones(kp.shape[:2]) if confidence is None else np.asarray(confidence, np.float64)
        rel = np.asarray(joints_rel_mm, np.float64)
        return cls(kp[:, [la, ra]], conf[:, [la, ra]], root_mm, rel[:, [ola, ora]], rel[:, oneck], depth_std_mm,
                   camera, image, track, known_size)
