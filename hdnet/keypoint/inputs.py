"""From what a detector gives to what :class:`~hdnet.keypoint.KeypointHDNet` takes: pixels to
undistorted normalised camera coordinates, each person's size, confidences carried through
a change of joint set, and a view turned towards a person far off the optical axis."""

from __future__ import annotations

import math
from typing import Tuple, Union

import torch
from torch import Tensor

from ..camera import CameraLike, as_cameras
from ..graphs import Skeleton, joint_mapping, resolve_skeleton

__all__ = ["normalize_keypoints", "person_scale", "convert_confidence", "turn_towards_axis"]


def normalize_keypoints(keypoints_px, cameras: CameraLike, distortion=None) -> Tensor:
    """Pixels ``[P, J, 2]`` to undistorted normalised camera coordinates ``[P, J, 2]`` (float64).
    Missing points (NaN or infinite pixels) stay NaN.

    ``cameras``: anything :func:`~hdnet.camera.as_cameras` takes: one
    :class:`~hdnet.camera.Camera` for all, one per person, a :class:`~hdnet.camera.Cameras`, or
    intrinsics ``[P, 4]`` with optional ``distortion [P, 5]`` (or radial ``[P, 3]``).

    >>> from hdnet import Camera
    >>> normalize_keypoints([[[600.0, 400.0], [500.0, 300.0]]], Camera(1000.0, 1000.0, 500.0, 300.0))
    tensor([[[0.1000, 0.1000],
             [0.0000, 0.0000]]], dtype=torch.float64)
    """
    kp = torch.as_tensor(keypoints_px, dtype=torch.float64)
    if kp.dim() != 3 or kp.shape[-1] != 2:
        raise ValueError(f"keypoints_px: expected [P, J, 2], got {tuple(kp.shape)}")
    if kp.shape[0] == 0:
        return kp
    cams = as_cameras(cameras, kp.shape[0], distortion=distortion, dtype=torch.float64)
    finite = torch.isfinite(kp).all(-1, keepdim=True)
    if bool(finite.all()):
        return cams.to_rays(kp)
    centre = cams.intrinsics[:, None, 2:].expand_as(kp)  # a harmless stand-in for missing points
    rays = cams.to_rays(torch.where(finite, kp, centre))
    return torch.where(finite, rays, torch.full_like(rays, float("nan")))


def person_scale(keypoints_norm: Tensor, confidence: Tensor) -> Tensor:
    """``s``: the longer side of the box of each person's visible keypoints ``[P]``."""
    vis = confidence > 0
    big = torch.finfo(keypoints_norm.dtype).max
    lo = torch.where(vis[..., None], keypoints_norm, torch.full_like(keypoints_norm, big)).amin(1)
    hi = torch.where(vis[..., None], keypoints_norm, torch.full_like(keypoints_norm, -big)).amax(1)
    return (hi - lo).amax(-1)


def convert_confidence(confidence: Tensor, src: Union[str, Skeleton], dst: Union[str, Skeleton]) -> Tensor:
    """Confidences ``[P, J_src]`` on ``dst``'s joints ``[P, J_dst]``: a joint made from several
    (a derived pelvis from the hips) is as sure as its least sure part; a joint ``src`` cannot
    make is 0."""
    cols = []
    for parts in joint_mapping(resolve_skeleton(src), resolve_skeleton(dst)):
        cols.append(confidence[:, list(parts)].amin(1) if parts else torch.zeros_like(confidence[:, 0]))
    return torch.stack(cols, 1)


def turn_towards_axis(keypoints_norm: Tensor, visible: Tensor, start_deg: float, full_deg: float
                      ) -> Tuple[Tensor, Tensor]:
    r"""Each person seen through a camera turned (about its centre) towards them, where they stand
    far off the optical axis; the camera's own view elsewhere.

    With :math:`c` the mean of the unit rays of a person's visible keypoints and :math:`\theta`
    its angle from the optical axis, the camera turns by

    .. math::
        \phi = \theta \, \operatorname{clamp}\Big(\frac{\theta - \theta_0}{\theta_1 - \theta_0}, 0, 1\Big)

    about :math:`c \times e_z` (Rodrigues' rotation :math:`R`): nobody within :math:`\theta_0`
    (``start_deg``) moves (:math:`R = I` exactly), anybody beyond :math:`\theta_1`
    (``full_deg``) is turned onto the axis, and the turn grows smoothly between. A point's new
    coordinates are those of :math:`R (x, y, 1)`; something found in the turned view (a point
    :math:`X'`) is :math:`R^\top X'` in the camera's.

    Args:
        keypoints_norm: ``[P, J, 2]`` normalised camera coordinates (undistorted).
        visible: ``[P, J]`` bool; every person needs one visible point (others are ignored).
        start_deg, full_deg: :math:`\theta_0 < \theta_1`, degrees.

    Returns:
        ``(turned [P, J, 2], R [P, 3, 3])``; points that are not visible come back as they were.

    Example:
        >>> kp = torch.tensor([[[0.1, 0.0], [0.1, 0.2]], [[3.0, 0.0], [3.0, 0.4]]], dtype=torch.float64)  # 72 deg off
        >>> turned, R = turn_towards_axis(kp, torch.ones(2, 2, dtype=torch.bool), 50.0, 60.0)
        >>> bool((turned[0] == kp[0]).all()), turned[1].round(decimals=3).tolist()
        (True, [[0.003, -0.063], [-0.003, 0.063]])
    """
    if not 0.0 <= start_deg < full_deg <= 90.0:
        raise ValueError(f"start_deg, full_deg: expected 0 <= start < full <= 90, got {start_deg}, {full_deg}")
    vis = visible[..., None]
    rays = torch.cat([torch.where(vis, keypoints_norm, torch.zeros_like(keypoints_norm)),
                      torch.ones_like(keypoints_norm[..., :1])], -1)                    # [P, J, 3]
    unit = rays / torch.linalg.vector_norm(rays, dim=-1, keepdim=True)
    c = (unit * vis).sum(1)
    c = c / torch.linalg.vector_norm(c, dim=-1, keepdim=True).clamp_min(1e-12)
    axis = torch.stack([c[:, 1], -c[:, 0], torch.zeros_like(c[:, 0])], -1)            # c x e_z
    sin_theta = torch.linalg.vector_norm(axis, dim=-1)
    theta = torch.atan2(sin_theta, c[:, 2])
    frac = ((theta - math.radians(start_deg)) / math.radians(full_deg - start_deg)).clamp(0.0, 1.0)
    phi = theta * frac
    k = axis / sin_theta.clamp_min(1e-12)[:, None]
    zero = torch.zeros_like(k[:, 0])
    K = torch.stack([torch.stack([zero, -k[:, 2], k[:, 1]], -1), torch.stack([k[:, 2], zero, -k[:, 0]], -1),
                     torch.stack([-k[:, 1], k[:, 0], zero], -1)], 1)                   # [P, 3, 3]
    eye = torch.eye(3, dtype=rays.dtype, device=rays.device).expand_as(K)
    R = eye + torch.sin(phi)[:, None, None] * K + (1 - torch.cos(phi))[:, None, None] * (K @ K)
    turned = rays @ R.transpose(1, 2)
    xy = turned[..., :2] / turned[..., 2:]
    return torch.where(vis, xy, keypoints_norm), R
