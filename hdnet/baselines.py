"""Geometric depth baselines to measure every learned model against.

- :func:`k_value_depth`: RootNet's prior, depth from the box area and an assumed real area.
- :func:`skeleton_fit_depth`: depth from 2D joints and mean bone lengths.
- :func:`fit_k_value`, :func:`fit_skeleton_scale`: each baseline's one constant fitted by least
  squares on training data, so comparisons with a trained model are fair.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch

from .camera import CameraLike, as_cameras
from .graphs import Skeleton, resolve_skeleton

__all__ = ["k_value_depth", "rootnet_box", "skeleton_fit_depth", "fit_k_value",
           "fit_skeleton_scale", "MEAN_BONE_LENGTHS_MM"]

#: Mean bone lengths (mm) per skeleton, keyed by bone (as listed in the skeleton). Human3.6M:
#: the mean over subjects S1, S5, S7 and S8 of the real frames in the project's shared data
#: (Human3.6M's skeletons are left/right symmetric). MPI-INF-3DHP / MuPoTS: the mean of the two
#: MPI-INF-3DHP test frames there, left and right averaged.
MEAN_BONE_LENGTHS_MM: Dict[str, Dict[Tuple[int, int], float]] = {
    "h36m_17": {(0, 1): 133.7, (1, 2): 443.0, (2, 3): 443.3, (0, 4): 133.7, (4, 5): 443.0,
                (5, 6): 443.3, (0, 7): 236.3, (7, 8): 254.4, (8, 9): 116.5, (9, 10): 115.0,
                (8, 11): 150.8, (11, 12): 277.2, (12, 13): 248.0, (8, 14): 150.8,
                (14, 15): 277.2, (15, 16): 248.0},
    "mpi_inf_3dhp_17": {(0, 16): 198.1, (16, 1): 99.0, (1, 15): 288.3, (15, 14): 259.6,
                        (14, 8): 137.9, (14, 11): 137.9, (8, 9): 528.6, (9, 10): 411.8,
                        (11, 12): 528.6, (12, 13): 411.8, (1, 2): 165.3, (2, 3): 336.7,
                        (3, 4): 255.3, (1, 5): 165.3, (5, 6): 336.7, (6, 7): 255.3},
}

def _focals(camera: CameraLike, n: int) -> Tuple[np.ndarray, np.ndarray]:
    """fx, fy as ``[n]`` arrays of a camera for all or one per person."""
    cams = as_cameras(camera, n, what="camera")
    return cams.fx.double().numpy(), cams.fy.double().numpy()


def rootnet_box(boxes_xywh, aspect_ratio: float = 1.0, scale: float = 1.25,
                image_size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """RootNet's box processing: optional clipping to the image (its 'sanitize' step), then
    growing the shorter side to ``aspect_ratio`` (width / height of the network input) and both
    sides by ``scale``. Returns ``[N, 4]`` x, y, w, h."""
    b = np.asarray(boxes_xywh, dtype=np.float64)
    if b.size % 4 or (b.ndim > 1 and b.shape[-1] != 4):
        raise ValueError(f"boxes_xywh: expected [N, 4] boxes (x, y, width, height), got shape {b.shape}")
    b = b.reshape(-1, 4).copy()
    if not np.isfinite(b).all():
        raise ValueError("boxes_xywh: boxes must be finite")
    if np.any(b[:, 2:] <= 0):
        raise ValueError(f"boxes_xywh: width and height must be > 0 (boxes "
                         f"{np.nonzero(np.any(b[:, 2:] <= 0, axis=1))[0].tolist()})")
    if image_size is not None:
        w_img, h_img = image_size
        x1 = np.maximum(0, b[:, 0])
        y1 = np.maximum(0, b[:, 1])
        x2 = np.minimum(w_img - 1, x1 + np.maximum(0, b[:, 2] - 1))
        y2 = np.minimum(h_img - 1, y1 + np.maximum(0, b[:, 3] - 1))
        b = np.stack([x1, y1, x2 - x1, y2 - y1], 1)
        outside = np.nonzero((b[:, 2] <= 0) | (b[:, 3] <= 0))[0]
        if outside.size:
            raise ValueError(f"boxes_xywh: boxes {outside.tolist()} lie outside the {w_img}x{h_img} "
                             "image (nothing is left after clipping)")
    w, h = b[:, 2].copy(), b[:, 3].copy()
    cx, cy = b[:, 0] + w / 2, b[:, 1] + h / 2
    wide = w > aspect_ratio * h
    h = np.where(wide, w / aspect_ratio, h)
    w = np.where(~wide & (w < aspect_ratio * h), h * aspect_ratio, w)
    w, h = w * scale, h * scale
    return np.stack([cx - w / 2, cy - h / 2, w, h], 1)


def k_value_depth(boxes_xywh, camera, real_area_mm2: float = 2000.0 * 2000.0,
                  aspect_ratio: float = 1.0, scale: float = 1.25,
                  image_size: Optional[Tuple[int, int]] = None) -> np.ndarray:
    r"""RootNet's k-value depth, :math:`Z = \sqrt{f_x f_y A_{real} / A_{box}}` (mm).

    The box is first processed as RootNet does (:func:`rootnet_box`: aspect ratio of the
    network input, x1.25); :math:`A_{real}` is the assumed real area of that box (2000 mm x
    2000 mm in RootNet).

    Args:
        boxes_xywh: ``[N, 4]`` person boxes (x, y, width, height) in pixels.
        camera: a :class:`~hdnet.camera.Camera`, a list of N, or anything
            :func:`~hdnet.camera.as_cameras` takes.
    """
    if real_area_mm2 <= 0:
        raise ValueError(f"real_area_mm2: expected > 0, got {real_area_mm2}")
    b = rootnet_box(boxes_xywh, aspect_ratio, scale, image_size)
    fx, fy = _focals(camera, len(b))
    return np.sqrt(fx * fy * real_area_mm2 / (b[:, 2] * b[:, 3]))


def _normalized_joints(joints_2d_px, camera: CameraLike, num_joints: int) -> np.ndarray:
    j = np.asarray(joints_2d_px, dtype=np.float64)
    if j.ndim == 2:
        j = j[None]
    if j.shape[1:] != (num_joints, 2):
        raise ValueError(f"joints_2d_px: expected shape [N, {num_joints}, 2], got {j.shape}")
    cams = as_cameras(camera, len(j), what="camera", dtype=torch.float64)
    finite = np.isfinite(j).all(-1, keepdims=True)
    rays = cams.to_rays(torch.from_numpy(np.where(finite, j, cams.intrinsics[:, None, 2:].numpy()))).numpy()
    return np.where(finite, rays, np.nan)


def skeleton_fit_depth(joints_2d_px, camera, skeleton: Union[str, Skeleton],
                       bone_lengths_mm: Optional[Dict[Tuple[int, int], float]] = None,
                       scale: float = 1.0) -> np.ndarray:
    r"""Depth (mm) from 2D joints and known bone lengths.

    With the person's joints at about one depth :math:`Z`, a bone of length :math:`L_b`
    spans about :math:`L_b \cos\theta_b / Z` in normalised (undistorted) image coordinates, so

    .. math:: Z = s \cdot \sum_b L_b \Big/ \sum_b \ell_b

    with :math:`\ell_b` the bone's normalised 2D length. Bones seen end-on are foreshortened,
    which biases :math:`Z` up; ``scale`` :math:`s` (fitted by :func:`fit_skeleton_scale`)
    absorbs the average of that and of body size. Summing over all bones before dividing keeps
    one foreshortened bone from dominating.

    Args:
        joints_2d_px: ``[N, J, 2]`` (or ``[J, 2]``) pixels in the image of ``camera``; NaN marks
            a missing joint (its bones are left out of both sums).
        camera: a :class:`~hdnet.camera.Camera` or one per person (a list, a
            :class:`~hdnet.camera.Cameras`); distortion is undone first.
        skeleton: the joint set (name or Skeleton); bones with a length are used.
        bone_lengths_mm: ``{(a, b): L}`` for the skeleton's bones; default
            :data:`MEAN_BONE_LENGTHS_MM` for ``h36m_17`` and ``mpi_inf_3dhp_17``.
    """
    sk = resolve_skeleton(skeleton)
    if bone_lengths_mm is None:
        if sk.name not in MEAN_BONE_LENGTHS_MM:
            raise ValueError(f"bone_lengths_mm: required for skeleton {sk.name!r} (shipped for "
                             f"{sorted(MEAN_BONE_LENGTHS_MM)})")
        bone_lengths_mm = MEAN_BONE_LENGTHS_MM[sk.name]
    lengths = {tuple(sorted(k)): float(v) for k, v in bone_lengths_mm.items()}
    bones = [(a, b, lengths[tuple(sorted((a, b)))]) for a, b in sk.bones if tuple(sorted((a, b))) in lengths]
    if not bones:
        raise ValueError("bone_lengths_mm: none of the skeleton's bones has a length")
    xy = _normalized_joints(joints_2d_px, camera, sk.num_joints)
    seen = [np.isfinite(xy[:, a]).all(-1) & np.isfinite(xy[:, b]).all(-1) for a, b, _ in bones]
    total_3d = sum(np.where(ok, length, 0.0) for ok, (_, _, length) in zip(seen, bones, strict=True))
    total_2d = sum(np.where(ok, np.linalg.norm(np.nan_to_num(xy[:, a] - xy[:, b]), axis=-1), 0.0)
                   for ok, (a, b, _) in zip(seen, bones, strict=True))
    if np.any(total_2d <= 0):
        raise ValueError("joints_2d_px: a person without two seen joints of a bone, or whose joints all "
                         "coincide, has no scale")
    return np.asarray(scale * total_3d / total_2d, dtype=np.float64)


def fit_k_value(boxes_xywh, camera, depths_mm, **box_kwargs) -> float:
    r"""The real area :math:`A_{real}` (mm^2) that makes :func:`k_value_depth` best fit the
    depths in least squares: with :math:`s_i = \sqrt{f_x f_y / A_{box,i}}`,
    :math:`\sqrt{A} = \sum Z_i s_i / \sum s_i^2`."""
    s = k_value_depth(boxes_xywh, camera, 1.0, **box_kwargs)
    z = np.asarray(depths_mm, dtype=np.float64).reshape(-1)
    if z.shape != s.shape:
        raise ValueError(f"depths_mm: expected {s.shape[0]} depths, got {z.shape[0]}")
    return float((np.sum(z * s) / np.sum(s * s)) ** 2)


def fit_skeleton_scale(joints_2d_px, camera, depths_mm, skeleton: Union[str, Skeleton],
                       bone_lengths_mm=None) -> float:
    r"""The global scale :math:`s` for :func:`skeleton_fit_depth` that best fits the depths in
    least squares: :math:`s = \sum Z_i \hat Z_i / \sum \hat Z_i^2` with :math:`\hat Z` at s = 1."""
    zh = skeleton_fit_depth(joints_2d_px, camera, skeleton, bone_lengths_mm, 1.0)
    z = np.asarray(depths_mm, dtype=np.float64).reshape(-1)
    if z.shape != zh.shape:
        raise ValueError(f"depths_mm: expected {zh.shape[0]} depths, got {z.shape[0]}")
    return float(np.sum(z * zh) / np.sum(zh * zh))
