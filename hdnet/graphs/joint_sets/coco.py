"""COCO keypoints (17) and COCO plus thorax and pelvis (19).

Order: the COCO keypoint order. ``coco_19`` appends thorax (mean of the shoulders) and pelvis
(mean of the hips) as RootNet's MSCOCO loader builds them. ``coco_17`` has no pelvis: its root is
the left hip; use ``coco_19`` where a true root joint matters.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

_JOINTS = ("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow",
           "r_elbow", "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle",
           "r_ankle")
# COCO's own skeleton (0-based): face, ears to shoulders, arms, torso loop, legs
_BONES = ((0, 1), (0, 2), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 6), (5, 7), (7, 9),
          (6, 8), (8, 10), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16))

COCO_17 = register_skeleton(Skeleton(
    name="coco_17", joints=_JOINTS, bones=_BONES, root=11,
    source="COCO keypoints order (person_keypoints); root = l_hip (no pelvis in COCO)",
), aliases=("coco",))

COCO_19 = register_skeleton(Skeleton(
    name="coco_19",
    joints=_JOINTS + ("thorax", "pelvis"),
    bones=((0, 1), (0, 2), (1, 3), (2, 4), (0, 17), (17, 5), (17, 6), (5, 7), (7, 9), (6, 8),
           (8, 10), (17, 18), (18, 11), (18, 12), (11, 13), (13, 15), (12, 14), (14, 16)),
    root=18,
    source="COCO keypoints + thorax (17) + pelvis (18), as RootNet's MSCOCO loader",
))
