"""OpenPose's joint sets: BODY_25 (25 joints), its experimental BODY_25B (25 joints in another
order) and its older COCO model (18 joints).

``body_25`` order: OpenPose's BODY_25 output (``pose_keypoints_2d``): 0 nose, 1 neck (between
the shoulders), 2-7 arms, 8 mid-hip (the mean of OpenPose's own hips, which sit lower than
motion-capture hip centres), 9-14 legs, 15-18 eyes and ears, 19-24 feet; bones from OpenPose's
BODY_25 pairs.

``openpose_18`` order: OpenPose's COCO model (``--model_pose COCO``, ``POSE_COCO_BODY_PARTS``):
COCO's 17 keypoints in OpenPose's order with the neck (between the shoulders) second; the same
order is written by AlphaPose's ``--format open`` and ``--format cmu`` and by the lightweight
OpenPose ports. Bones from OpenPose's COCO pairs (a tree from the neck).

``body_25b`` order: OpenPose's experimental BODY_25B model (openpose_train's
``experimental_models``; Pose2Sim's ``BODY_25B``): COCO's 17 in COCO's order, then the upper
neck (under the chin, not between the shoulders), the top of the head (``head``, as Halpe's),
and each foot's big toe, small toe and heel. Not BODY_25, whose 25 points are in another order.
Bones: a tree through the upper neck, the shoulders to the hips as COCO's. No pelvis: the root is
the left hip, as in ``coco_17``.
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

BODY_25B = register_skeleton(Skeleton(
    name="body_25b",
    joints=("nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist",
            "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "upper_neck", "head",
            "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel"),
    bones=((0, 1), (0, 2), (1, 3), (2, 4), (0, 17), (17, 18), (17, 5), (17, 6), (5, 7), (7, 9), (6, 8), (8, 10),
           (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (15, 19), (19, 20), (15, 21),
           (16, 22), (22, 23), (16, 24)),
    root=11,
    source="OpenPose experimental BODY_25B output order (openpose_train experimental_models; Pose2Sim BODY_25B); "
           "root = l_hip (no pelvis)",
), aliases=("openpose_25b",))
