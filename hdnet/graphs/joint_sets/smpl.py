"""SMPL body model, 24 joints.

Order: the SMPL kinematic tree (0 pelvis .. 23 right hand); bones are its parent links.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

SMPL_24 = register_skeleton(Skeleton(
    name="smpl_24",
    joints=("pelvis", "l_hip", "r_hip", "spine1", "l_knee", "r_knee", "spine2", "l_ankle",
            "r_ankle", "spine3", "l_foot", "r_foot", "neck", "l_collar", "r_collar", "head",
            "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_hand",
            "r_hand"),
    bones=tuple((p, i) for i, p in enumerate(_PARENTS) if p >= 0),
    root=0,
    source="SMPL joint order and kinematic tree",
), aliases=("smpl",))
