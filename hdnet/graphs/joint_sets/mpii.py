"""MPII Human Pose, 16 joints.

Order: the MPII annotation order (0 r_ankle .. 15 l_wrist; pelvis = 6).
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

MPII_16 = register_skeleton(Skeleton(
    name="mpii_16",
    joints=("r_ankle", "r_knee", "r_hip", "l_hip", "l_knee", "l_ankle", "pelvis", "thorax",
            "upper_neck", "head_top", "r_wrist", "r_elbow", "r_shoulder", "l_shoulder",
            "l_elbow", "l_wrist"),
    bones=((0, 1), (1, 2), (2, 6), (3, 6), (3, 4), (4, 5), (6, 7), (7, 8), (8, 9), (7, 12),
           (12, 11), (11, 10), (7, 13), (13, 14), (14, 15)),
    root=6,
    source="MPII Human Pose annotation order",
), aliases=("mpii",))
