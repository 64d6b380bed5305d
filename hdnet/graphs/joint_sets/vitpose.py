"""easy_ViTPose's 25 keypoints (its ``coco_25`` models: ViTPose fine-tuned on COCO with the feet).

Order: ``joints_dict()["coco_25"]`` of easy_ViTPose (``vit_utils/visualization.py``): COCO's
face points, then the neck, COCO's shoulders to hips, the mid-hip (``hip``, here ``pelvis``),
COCO's knees and ankles, and each foot's big toe, small toe and heel. Not OpenPose's BODY_25,
which has 25 points in another order. Bones: easy_ViTPose's own skeleton list. Root = pelvis.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

VITPOSE_25 = register_skeleton(Skeleton(
    name="vitpose_25",
    joints=("nose", "l_eye", "r_eye", "l_ear", "r_ear", "neck", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
            "l_wrist", "r_wrist", "l_hip", "r_hip", "pelvis", "l_knee", "r_knee", "l_ankle", "r_ankle",
            "l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel"),
    bones=((17, 15), (15, 12), (18, 16), (16, 13), (12, 14), (13, 14), (5, 14), (6, 5), (7, 5), (6, 8), (7, 9),
           (8, 10), (9, 11), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (17, 21), (18, 24), (19, 20), (22, 23),
           (19, 21), (22, 24), (5, 0)),
    root=14,
    source="easy_ViTPose coco_25 order (joints_dict()['coco_25']: COCO's 17 with the neck, mid-hip and feet); "
           "root = pelvis (its 'hip')",
), aliases=("easy_vitpose_25",))
