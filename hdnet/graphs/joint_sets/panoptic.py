"""CMU Panoptic, "coco19" joint order (19 joints) and its first 15 joints.

Order: the CMU Panoptic toolbox's coco19 body order (0 neck, 1 nose, 2 body centre = pelvis, ...,
15-18 eyes and ears) and its bone list. ``panoptic_15`` keeps joints 0-14 (no eyes or ears), as
multi-person methods on Panoptic (e.g. SMAP, VoxelPose) do.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

_JOINTS = ("neck", "nose", "pelvis", "l_shoulder", "l_elbow", "l_wrist", "l_hip", "l_knee",
           "l_ankle", "r_shoulder", "r_elbow", "r_wrist", "r_hip", "r_knee", "r_ankle", "l_eye",
           "l_ear", "r_eye", "r_ear")
_BONES = ((0, 1), (0, 3), (3, 4), (4, 5), (0, 2), (2, 6), (6, 7), (7, 8), (2, 12), (12, 13),
          (13, 14), (0, 9), (9, 10), (10, 11), (1, 15), (15, 16), (1, 17), (17, 18))

PANOPTIC_19 = register_skeleton(Skeleton(
    name="panoptic_19", joints=_JOINTS, bones=_BONES, root=2,
    source="CMU Panoptic toolbox coco19 order",
), aliases=("panoptic",))

PANOPTIC_15 = register_skeleton(PANOPTIC_19.subset(
    range(15), name="panoptic_15", source="CMU Panoptic coco19 order, joints 0-14"))
