"""Whole-body joint sets: COCO-WholeBody (133) and Halpe full-body (136).

Both are a body set followed by 68 face points and 21 points per hand:

- ``coco_wholebody_133``: COCO's 17, six foot points (left big toe, small toe, heel, then the
  right's), the face (23-90), the left hand (91-111), the right hand (112-132); the order of
  COCO-WholeBody (Jin et al., ECCV 2020) as RTMW, DWPose and MMPose's wholebody models output it.
- ``halpe_136``: Halpe's 26 (``halpe_26``), the face (26-93), the left hand (94-114), the right
  hand (115-135); AlphaPose's halpe136 order.

The face is the 68-point layout of 300-W / iBUG (jaw 0-16, brows 17-26, nose 27-35, eyes 36-47,
mouth 48-67), named from the person's side (``r_`` is their right: the image's left in a frontal
face), so that flipping swaps them. A hand is its root (at the wrist) and four points per finger,
from the palm out. Bones: each contour of the face as a chain (eyes and lips closed), its parts
joined through the nose bridge and the face to the body's nose; each finger a chain from the
hand's root, the root joined to the body's wrist; each foot point to its ankle.
"""

from typing import List, Tuple

from ..registry import register_skeleton
from ..skeleton import Skeleton
from .coco import _BONES as _COCO_BONES
from .coco import _JOINTS as _COCO_JOINTS
from .halpe import HALPE_26

_SIDE_RUN = [f"r_jaw_{i}" for i in range(8)] + ["chin"] + [f"l_jaw_{i}" for i in reversed(range(8))]
FACE_68: Tuple[str, ...] = tuple(
    _SIDE_RUN                                                                            # 0-16 jaw
    + [f"r_brow_{i}" for i in range(5)] + [f"l_brow_{i}" for i in reversed(range(5))]  # 17-26 brows
    + [f"nose_bridge_{i}" for i in range(4)]                                           # 27-30
    + ["r_nostril_1", "r_nostril_0", "nose_base", "l_nostril_0", "l_nostril_1"]        # 31-35
    + ["r_eye_corner_outer", "r_eye_upper_outer", "r_eye_upper_inner", "r_eye_corner_inner",
       "r_eye_lower_inner", "r_eye_lower_outer"]                                       # 36-41
    + ["l_eye_corner_inner", "l_eye_upper_inner", "l_eye_upper_outer", "l_eye_corner_outer",
       "l_eye_lower_outer", "l_eye_lower_inner"]                                       # 42-47
    + ["r_mouth_corner", "r_lip_upper_1", "r_lip_upper_0", "lip_upper", "l_lip_upper_0", "l_lip_upper_1",
       "l_mouth_corner", "l_lip_lower_1", "l_lip_lower_0", "lip_lower", "r_lip_lower_0",
       "r_lip_lower_1"]                                                                # 48-59
    + ["r_mouth_inner_corner", "r_lip_inner_upper", "lip_inner_upper", "l_lip_inner_upper",
       "l_mouth_inner_corner", "l_lip_inner_lower", "lip_inner_lower", "r_lip_inner_lower"])  # 60-67


def _chain(a: int, b: int, closed: bool = False) -> List[Tuple[int, int]]:
    out = [(i, i + 1) for i in range(a, b)]
    return out + [(b, a)] if closed else out


#: The face's bones, in its own indices 0-67; the nose tip (30) is where it joins the body.
FACE_BONES: Tuple[Tuple[int, int], ...] = tuple(
    _chain(0, 16) + _chain(17, 21) + _chain(22, 26) + _chain(27, 30) + _chain(31, 35)
    + _chain(36, 41, True) + _chain(42, 47, True) + _chain(48, 59, True) + _chain(60, 67, True)
    + [(30, 33), (27, 21), (27, 22), (27, 39), (27, 42), (33, 51), (48, 60), (54, 64), (8, 57), (0, 17), (16, 26)])
FACE_NOSE_TIP = 30

_FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def hand_21(side: str) -> Tuple[str, ...]:
    """The 21 points of one hand (``side`` ``"l"`` or ``"r"``): its root, then four per finger."""
    return (f"{side}_hand_root",) + tuple(f"{side}_{finger}_{i}" for finger in _FINGERS for i in range(1, 5))


#: A hand's bones in its own indices 0-20: each finger a chain from the root (0).
HAND_BONES: Tuple[Tuple[int, int], ...] = tuple(
    pair for f in range(5) for pair in [(0, 1 + 4 * f)] + _chain(1 + 4 * f, 4 + 4 * f))


def _shifted(bones, offset: int) -> List[Tuple[int, int]]:
    return [(a + offset, b + offset) for a, b in bones]


def _whole_body(name: str, body: Tuple[str, ...], body_bones, root: int, source: str) -> Skeleton:
    """``body`` (with its bones), then the face, the left hand and the right hand."""
    face, left, right = len(body), len(body) + 68, len(body) + 89
    joints = body + FACE_68 + hand_21("l") + hand_21("r")
    at = {j: i for i, j in enumerate(body)}
    bones = (list(body_bones) + _shifted(FACE_BONES, face) + [(at["nose"], face + FACE_NOSE_TIP)]
             + _shifted(HAND_BONES, left) + [(at["l_wrist"], left)]
             + _shifted(HAND_BONES, right) + [(at["r_wrist"], right)])
    return Skeleton(name=name, joints=joints, bones=tuple(bones), root=root, source=source)


_FEET = ("l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel")
_FOOT_BONES = ((15, 17), (15, 18), (15, 19), (16, 20), (16, 21), (16, 22))

COCO_WHOLEBODY_133 = register_skeleton(_whole_body(
    "coco_wholebody_133", _COCO_JOINTS + _FEET, _COCO_BONES + _FOOT_BONES, root=11,
    source="COCO-WholeBody order (RTMW, DWPose, MMPose wholebody): COCO's 17, feet, 68 face points, left and "
           "right hand; root = l_hip (no pelvis)"), aliases=("coco_wholebody",))

HALPE_136 = register_skeleton(_whole_body(
    "halpe_136", HALPE_26.joints, HALPE_26.bones, root=HALPE_26.root,
    source="Halpe full-body 136-keypoint order (AlphaPose halpe136): halpe_26, 68 face points, left and right "
           "hand"))
