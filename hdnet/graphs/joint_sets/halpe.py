"""Halpe full-body, 26 body joints (AlphaPose's halpe26).

Order: the Halpe/AlphaPose 26-keypoint order (COCO's 17, then head, neck, hip = pelvis, big toes,
small toes, heels); bones from AlphaPose's halpe26 skeleton.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

HALPE_26 = register_skeleton(Skeleton(
    name="halpe_26",
    joints=("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
            "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle",
            "r_ankle", "head", "neck", "pelvis", "l_big_toe", "r_big_toe", "l_small_toe",
            "r_small_toe", "l_heel", "r_heel"),
    bones=((15, 13), (13, 11), (11, 19), (16, 14), (14, 12), (12, 19), (17, 18), (18, 19),
           (18, 5), (5, 7), (7, 9), (18, 6), (6, 8), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3),
           (2, 4), (3, 5), (4, 6), (15, 20), (15, 22), (15, 24), (16, 21), (16, 23), (16, 25)),
    root=19,
    source="Halpe full-body 26-keypoint order (AlphaPose halpe26)",
), aliases=("halpe",))
