"""Skeleton topologies, swappable anywhere a skeleton is taken.

>>> from hdnet.graphs import get_skeleton
>>> get_skeleton("h36m_17").num_joints
17
"""

from .convert import DERIVED_JOINTS, H36M_AS_MUPOTS, convert_joints, joint_mapping
from .describe import skeleton_markdown, skeleton_table_row
from .joint_sets import MUPOTS_EVAL_JOINTS
from .registry import (
    SKELETONS,
    get_skeleton,
    list_skeletons,
    register_skeleton,
    resolve_skeleton,
    skeleton_from_dict,
    unregister_skeleton,
)
from .skeleton import Skeleton, mirror_joint_name

__all__ = [
    "Skeleton", "SKELETONS", "mirror_joint_name", "get_skeleton", "list_skeletons", "register_skeleton",
    "resolve_skeleton", "skeleton_from_dict", "unregister_skeleton", "convert_joints", "joint_mapping",
    "DERIVED_JOINTS", "H36M_AS_MUPOTS", "MUPOTS_EVAL_JOINTS", "skeleton_markdown", "skeleton_table_row",
]
