"""Augmentation of 3D poses: mirror images and small changes of joint angles, so a model trained
on one motion-capture set sees more bodies and poses than it holds.

>>> import torch
>>> from hdnet.data.pose_augment import mirror_poses
>>> pose = torch.zeros(1, 17, 3); pose[0, 4, 0] = -100.0    # the left hip, 100 mm to the left
>>> mirror_poses(pose, "h36m_17")[0, 1, 0]                    # becomes the right hip, 100 mm right
tensor(100.)
"""

from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor

from ..graphs import Skeleton, resolve_skeleton
from .mocap import topological_order

__all__ = ["mirror_poses", "perturb_joint_angles", "axis_angle_matrices"]


def mirror_poses(poses: Tensor, skeleton: Union[str, Skeleton], axis: int = 0) -> Tensor:
    """The mirror images of poses ``[B, J, 3]``: coordinate ``axis`` negated (a vertical mirror
    when it is horizontal) and left and right joints swapped, so a left arm stays a left arm."""
    sk = resolve_skeleton(skeleton)
    out = poses.clone()
    out[..., axis] = -out[..., axis]
    return out[:, sk.flip_permutation()]


def axis_angle_matrices(axes: Tensor, angles: Tensor) -> Tensor:
    """Rotation matrices ``[..., 3, 3]`` about unit ``axes [..., 3]`` by ``angles [...]`` (radians,
    Rodrigues' formula)."""
    x, y, z = axes.unbind(-1)
    c, s = torch.cos(angles), torch.sin(angles)
    t = 1 - c
    return torch.stack([torch.stack([c + x * x * t, x * y * t - z * s, x * z * t + y * s], -1),
                        torch.stack([y * x * t + z * s, c + y * y * t, y * z * t - x * s], -1),
                        torch.stack([z * x * t - y * s, z * y * t + x * s, c + z * z * t], -1)], -2)


def perturb_joint_angles(poses: Tensor, skeleton: Union[str, Skeleton], std_deg: float = 10.0,
                         generator: Optional[torch.Generator] = None, joints: Optional[Sequence[int]] = None,
                         prob: float = 1.0) -> Tensor:
    """Rotate each bone (and everything hanging from it) about its parent joint by a random
    small rotation: axis uniform, angle normal with ``std_deg`` degrees, on a share ``prob`` of
    the poses. Bone lengths and the root stay; the pose changes as a body's would.

    Args:
        poses: ``[B, J, 3]`` (any frame).
        joints: the child joints whose bones turn (default every non-root joint).
    """
    sk = resolve_skeleton(skeleton)
    g = generator
    b = poses.shape[0]
    children: Dict[int, List[int]] = {j: [] for j in range(sk.num_joints)}
    for j, p in enumerate(sk.parents):
        if p >= 0:
            children[p].append(j)

    def subtree(j):
        out, stack = [], [j]
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(children[k])
        return out
    chosen = set(range(sk.num_joints)) if joints is None else set(joints)
    out = poses.clone()
    active = (torch.rand(b, generator=g) < prob).to(poses.dtype)
    for j in topological_order(sk.parents):
        p = sk.parents[j]
        if p < 0 or j not in chosen:
            continue
        axis = torch.randn(b, 3, generator=g, dtype=poses.dtype)
        axis = axis / axis.norm(dim=-1, keepdim=True).clamp_min(1e-9)
        angle = torch.randn(b, generator=g, dtype=poses.dtype) * math.radians(std_deg) * active
        rot = axis_angle_matrices(axis, angle)
        idx = subtree(j)
        pivot = out[:, p:p + 1]
        out[:, idx] = pivot + (out[:, idx] - pivot) @ rot.transpose(1, 2)
    return out
