"""Human3.6M, 17 joints.

Order: the 17-joint subset of the 32-joint Human3.6M skeleton used by HDNet, RootNet and most
3D pose work (indices 0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27 of the
original 32). Joint 9 is the joint Human3.6M calls "Neck/Nose" and joint 10 its "Head" (near the
top of the head); they have no exact equivalent in other sets and are named accordingly.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

H36M_17 = register_skeleton(Skeleton(
    name="h36m_17",
    joints=("pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine",
            "thorax", "neck_nose", "head", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder",
            "r_elbow", "r_wrist"),
    bones=((0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8), (8, 9), (9, 10),
           (8, 11), (11, 12), (12, 13), (8, 14), (14, 15), (15, 16)),
    root=0,
    source="Human3.6M 17-joint subset (HDNet / RootNet / Martinez et al. order)",
), aliases=("h36m", "human36m_17"))
