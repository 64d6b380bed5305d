"""From what a detector gives to what :class:`~hdnet.keypoint.KeypointHDNet` takes: pixels to
undistorted normalised camera coordinates, each person's size, and confidences carried through
a change of joint set."""

from __future__ import annotations

from typing import Union

import torch
from torch import Tensor

from ..camera import CameraLike, as_cameras
from ..graphs import Skeleton, joint_mapping, resolve_skeleton

__all__ = ["normalize_keypoints", "person_scale", "convert_confidence"]


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
