"""OpenPose's joint sets: BODY_25 (25 joints) and its older COCO model (18 joints).

``body_25`` order: OpenPose's BODY_25 output (``pose_keypoints_2d``): 0 nose, 1 neck (between
the shoulders), 2-7 arms, 8 mid-hip (the mean of OpenPose's own hips, which sit lower than
motion-capture hip centres), 9-14 legs, 15-18 eyes and ears, 19-24 feet; bones from OpenPose's
BODY_25 pairs.

``openpose_18`` order: OpenPose's COCO model (``--model_pose COCO``, ``POSE_COCO_BODY_PARTS``):
COCO's 17 keypoints in OpenPose's order with the neck (between the shoulders) second; the same
order is written by AlphaPose's ``--format open`` and ``--format cmu`` and by the lightweight
OpenPose ports. Bones from OpenPose's COCO pairs (a tree from the neck).
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

BODY_25 = register_skeleton(Skeleton(
    name="body_25",
    joints=("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
            "mid_hip", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear",
            "l_ear", "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel"),
    bones=((1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11), (8, 12),
           (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18), (14, 19), (19, 20), (14, 21),
           (11, 22), (22, 23), (11, 24)),
    root=8,
    source="OpenPose BODY_25 output order; root = mid_hip (no pelvis in OpenPose)",
), aliases=("openpose_25", "openpose"))

OPENPOSE_18 = register_skeleton(Skeleton(
    name="openpose_18",
    joints=("nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
            "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear"),
    bones=((1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12),
           (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17)),
    root=1,
    source="OpenPose COCO model output order (POSE_COCO_BODY_PARTS; AlphaPose --format open); root = neck "
           "(no pelvis)",
), aliases=("openpose_coco",))
