"""Convert keypoints between joint sets by joint meaning."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch

from .registry import resolve_skeleton
from .skeleton import Skeleton

__all__ = ["convert_joints", "joint_mapping", "DERIVED_JOINTS", "H36M_AS_MUPOTS"]

#: Joints that a set without them can still provide, as the mean of other joints. These are
#: the standard constructions (RootNet builds COCO's pelvis and thorax this way).
DERIVED_JOINTS: Dict[str, Tuple[str, ...]] = {
    "pelvis": ("l_hip", "r_hip"),
    "thorax": ("l_shoulder", "r_shoulder"),
}


#: Human3.6M joints that stand in for MuPoTS-3D / MPI-INF-3DHP joints of other names: its "Head"
#: marker (near the top of the head) for ``head_top``, its thorax (between the shoulders) for
#: ``neck``, its "Neck/Nose" for ``head``. They are close, not equal: the two datasets place
#: these joints differently (measured in docs/real.md).
H36M_AS_MUPOTS: Dict[str, str] = {"head_top": "head", "neck": "thorax", "head": "neck_nose"}


def joint_mapping(src: Union[str, Skeleton], dst: Union[str, Skeleton],
                  equivalents: Optional[Dict[str, str]] = None) -> list:
    """For each joint of ``dst``: the tuple of ``src`` indices to average, or ``()`` if it
    cannot be made.

    Joints match by name (joint names are shared across the shipped sets: ``l_hip`` means the
    same joint everywhere); a ``dst`` joint missing from ``src`` is derived by
    :data:`DERIVED_JOINTS` when ``src`` has the joints it needs. ``equivalents`` maps ``dst``
    joint names to ``src`` joints to stand in for them (e.g. :data:`H36M_AS_MUPOTS`), for
    joints that differ by name but mark nearly the same place.
    """
    src, dst = resolve_skeleton(src), resolve_skeleton(dst)
    where = {name: i for i, name in enumerate(src.joints)}
    out: List[Tuple[int, ...]] = []
    for name in dst.joints:
        if equivalents and name in equivalents and equivalents[name] in where:
            out.append((where[equivalents[name]],))
        elif name in where:
            out.append((where[name],))
        elif name in DERIVED_JOINTS and all(p in where for p in DERIVED_JOINTS[name]):
            out.append(tuple(where[p] for p in DERIVED_JOINTS[name]))
        else:
            out.append(())
    return out


def convert_joints(x, src: Union[str, Skeleton], dst: Union[str, Skeleton],
                   equivalents: Optional[Dict[str, str]] = None):
    """Map keypoints ``x [..., J_src, D]`` of joint set ``src`` to joint set ``dst``.

    Args:
        x: numpy array or torch tensor ``[..., J_src, D]`` (any D: 2D, 3D, with scores...).
        src, dst: skeletons or registered names.
        equivalents: ``{dst joint: src joint}`` stand-ins (see :func:`joint_mapping`).

    Returns:
        ``(y, mask)``: ``y [..., J_dst, D]`` of the same type and dtype (float) as ``x``;
        joints that cannot be made from ``src`` are NaN, and ``mask [J_dst]`` (bool) is True
        for the joints that were made. Differentiable for torch input.

    Raises:
        ValueError: ``x`` does not have ``J_src`` joints on its second-to-last axis.
    """
    src, dst = resolve_skeleton(src), resolve_skeleton(dst)
    is_numpy = isinstance(x, np.ndarray)
    if not is_numpy and not torch.is_tensor(x):
        raise TypeError(f"x: expected a numpy array or torch tensor, got {type(x).__name__}")
    if x.ndim < 2 or x.shape[-2] != src.num_joints:
        raise ValueError(
            f"x: expected shape [..., {src.num_joints}, D] for skeleton {src.name!r}, "
            f"got {tuple(x.shape)}"
        )
    mapping = joint_mapping(src, dst, equivalents)
    t = torch.from_numpy(np.asarray(x, dtype=np.float64, order="C")) if is_numpy else x
    if not t.is_floating_point():
        t = t.float()
    cols = []
    for parts in mapping:
        if parts:
            cols.append(t[..., list(parts), :].mean(dim=-2))
        else:
            cols.append(torch.full_like(t[..., 0, :], float("nan")))
    y = torch.stack(cols, dim=-2)
    mask = torch.tensor([bool(p) for p in mapping], dtype=torch.bool)
    if is_numpy:
        return y.numpy().astype(np.result_type(x.dtype, np.float32), copy=False), mask.numpy()
    return y, mask
