"""PoseTrack's 17 keypoints (PoseTrack 2017 and 2018, the multi-person video benchmark).

Order: COCO's, with the eyes' slots holding ``head_bottom`` (the top of the neck, under the
chin) and ``head_top`` (the crown), as PoseTrack 2018's annotation files name them; the
other fifteen points are COCO's by name and definition (PoseTrack 2018 does not label the
ears). Bones: the face and head as a chain, the head's base to the shoulders, then COCO's limbs.
No pelvis: the root is the left hip, as in ``coco_17``.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

POSETRACK_17 = register_skeleton(Skeleton(
    name="posetrack_17",
    joints=("nose", "head_bottom", "head_top", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow",
            "l_wrist", "r_wrist", "l_hip", "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle"),
    bones=((0, 1), (1, 2), (2, 3), (2, 4), (1, 5), (1, 6), (5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11),
           (6, 12), (11, 12), (11, 13), (13, 15), (12, 14), (14, 16)),
    root=11,
    source="PoseTrack 2018 annotation files' person category (keypoints); root = l_hip",
), aliases=("posetrack",))
