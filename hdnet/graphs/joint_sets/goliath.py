"""Meta's Goliath keypoints (308), what Sapiens' pose models output (Khirodkar et al., ECCV 2024).

Order: Goliath's 308 points as Sapiens' ``pose/configs/_base_/datasets/goliath.py`` lists them
(``keypoint_info``), which its models output and its ``vis_pose.py`` writes: 15 body points
(COCO's without the wrists), six foot points, the right then the left hand (each a finger at a
time from its tip, then the wrist: the wrists are 41 and 62), arm landmarks (olecranon, cubital
fossa, acromion), the neck, and 238 face points. Names as Goliath's, with ``left_``/``right_`` in
front written ``l_``/``r_`` as in every hdnet joint set, so that COCO's 17 are found by name
(``hdnet.keypoint.formats.KEYPOINT_LAYOUTS`` reads Sapiens' 308 as ``coco_17``). Flip pairs are
Goliath's own ``swap`` (its face points mirror with numbers that do not follow their names).
Bones: Goliath's 65 links (the body, feet and hands), each arm landmark joined to its elbow or
shoulder, the neck to both shoulders, and every face point to the nose (Goliath links none of
them).
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

GOLIATH_JOINTS = (
    "nose", "l_eye", "r_eye", "l_ear", "r_ear", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_hip",
    "r_hip", "l_knee", "r_knee", "l_ankle", "r_ankle", "l_big_toe", "l_small_toe", "l_heel", "r_big_toe",
    "r_small_toe", "r_heel", "r_thumb4", "r_thumb3", "r_thumb2", "r_thumb_third_joint", "r_forefinger4",
    "r_forefinger3", "r_forefinger2", "r_forefinger_third_joint", "r_middle_finger4", "r_middle_finger3",
    "r_middle_finger2", "r_middle_finger_third_joint", "r_ring_finger4", "r_ring_finger3", "r_ring_finger2",
    "r_ring_finger_third_joint", "r_pinky_finger4", "r_pinky_finger3", "r_pinky_finger2",
    "r_pinky_finger_third_joint", "r_wrist", "l_thumb4", "l_thumb3", "l_thumb2", "l_thumb_third_joint",
    "l_forefinger4", "l_forefinger3", "l_forefinger2", "l_forefinger_third_joint", "l_middle_finger4",
    "l_middle_finger3", "l_middle_finger2", "l_middle_finger_third_joint", "l_ring_finger4", "l_ring_finger3",
    "l_ring_finger2", "l_ring_finger_third_joint", "l_pinky_finger4", "l_pinky_finger3", "l_pinky_finger2",
    "l_pinky_finger_third_joint", "l_wrist", "l_olecranon", "r_olecranon", "l_cubital_fossa", "r_cubital_fossa",
    "l_acromion", "r_acromion", "neck", "center_of_glabella", "center_of_nose_root", "tip_of_nose_bridge",
    "midpoint_1_of_nose_bridge", "midpoint_2_of_nose_bridge", "midpoint_3_of_nose_bridge",
    "center_of_labiomental_groove", "tip_of_chin", "upper_startpoint_of_r_eyebrow",
    "lower_startpoint_of_r_eyebrow", "end_of_r_eyebrow", "upper_midpoint_1_of_r_eyebrow",
    "lower_midpoint_1_of_r_eyebrow", "upper_midpoint_2_of_r_eyebrow", "upper_midpoint_3_of_r_eyebrow",
    "lower_midpoint_2_of_r_eyebrow", "lower_midpoint_3_of_r_eyebrow", "upper_startpoint_of_l_eyebrow",
    "lower_startpoint_of_l_eyebrow", "end_of_l_eyebrow", "upper_midpoint_1_of_l_eyebrow",
    "lower_midpoint_1_of_l_eyebrow", "upper_midpoint_2_of_l_eyebrow", "upper_midpoint_3_of_l_eyebrow",
    "lower_midpoint_2_of_l_eyebrow", "lower_midpoint_3_of_l_eyebrow", "l_inner_end_of_upper_lash_line",
    "l_outer_end_of_upper_lash_line", "l_centerpoint_of_upper_lash_line", "l_midpoint_2_of_upper_lash_line",
    "l_midpoint_1_of_upper_lash_line", "l_midpoint_6_of_upper_lash_line", "l_midpoint_5_of_upper_lash_line",
    "l_midpoint_4_of_upper_lash_line", "l_midpoint_3_of_upper_lash_line", "l_outer_end_of_upper_eyelid_line",
    "l_midpoint_6_of_upper_eyelid_line", "l_midpoint_2_of_upper_eyelid_line",
    "l_midpoint_5_of_upper_eyelid_line", "l_centerpoint_of_upper_eyelid_line",
    "l_midpoint_4_of_upper_eyelid_line", "l_midpoint_1_of_upper_eyelid_line",
    "l_midpoint_3_of_upper_eyelid_line", "l_midpoint_6_of_upper_crease_line",
    "l_midpoint_2_of_upper_crease_line", "l_midpoint_5_of_upper_crease_line",
    "l_centerpoint_of_upper_crease_line", "l_midpoint_4_of_upper_crease_line",
    "l_midpoint_1_of_upper_crease_line", "l_midpoint_3_of_upper_crease_line", "r_inner_end_of_upper_lash_line",
    "r_outer_end_of_upper_lash_line", "r_centerpoint_of_upper_lash_line", "r_midpoint_1_of_upper_lash_line",
    "r_midpoint_2_of_upper_lash_line", "r_midpoint_3_of_upper_lash_line", "r_midpoint_4_of_upper_lash_line",
    "r_midpoint_5_of_upper_lash_line", "r_midpoint_6_of_upper_lash_line", "r_outer_end_of_upper_eyelid_line",
    "r_midpoint_3_of_upper_eyelid_line", "r_midpoint_1_of_upper_eyelid_line",
    "r_midpoint_4_of_upper_eyelid_line", "r_centerpoint_of_upper_eyelid_line",
    "r_midpoint_5_of_upper_eyelid_line", "r_midpoint_2_of_upper_eyelid_line",
    "r_midpoint_6_of_upper_eyelid_line", "r_midpoint_3_of_upper_crease_line",
    "r_midpoint_1_of_upper_crease_line", "r_midpoint_4_of_upper_crease_line",
    "r_centerpoint_of_upper_crease_line", "r_midpoint_5_of_upper_crease_line",
    "r_midpoint_2_of_upper_crease_line", "r_midpoint_6_of_upper_crease_line", "l_inner_end_of_lower_lash_line",
    "l_outer_end_of_lower_lash_line", "l_centerpoint_of_lower_lash_line", "l_midpoint_2_of_lower_lash_line",
    "l_midpoint_1_of_lower_lash_line", "l_midpoint_6_of_lower_lash_line", "l_midpoint_5_of_lower_lash_line",
    "l_midpoint_4_of_lower_lash_line", "l_midpoint_3_of_lower_lash_line", "l_outer_end_of_lower_eyelid_line",
    "l_midpoint_6_of_lower_eyelid_line", "l_midpoint_2_of_lower_eyelid_line",
    "l_midpoint_5_of_lower_eyelid_line", "l_centerpoint_of_lower_eyelid_line",
    "l_midpoint_4_of_lower_eyelid_line", "l_midpoint_1_of_lower_eyelid_line",
    "l_midpoint_3_of_lower_eyelid_line", "r_inner_end_of_lower_lash_line", "r_outer_end_of_lower_lash_line",
    "r_centerpoint_of_lower_lash_line", "r_midpoint_1_of_lower_lash_line", "r_midpoint_2_of_lower_lash_line",
    "r_midpoint_3_of_lower_lash_line", "r_midpoint_4_of_lower_lash_line", "r_midpoint_5_of_lower_lash_line",
    "r_midpoint_6_of_lower_lash_line", "r_outer_end_of_lower_eyelid_line", "r_midpoint_3_of_lower_eyelid_line",
    "r_midpoint_1_of_lower_eyelid_line", "r_midpoint_4_of_lower_eyelid_line",
    "r_centerpoint_of_lower_eyelid_line", "r_midpoint_5_of_lower_eyelid_line",
    "r_midpoint_2_of_lower_eyelid_line", "r_midpoint_6_of_lower_eyelid_line", "tip_of_nose",
    "bottom_center_of_nose", "r_outer_corner_of_nose", "l_outer_corner_of_nose", "inner_corner_of_r_nostril",
    "outer_corner_of_r_nostril", "upper_corner_of_r_nostril", "inner_corner_of_l_nostril",
    "outer_corner_of_l_nostril", "upper_corner_of_l_nostril", "r_outer_corner_of_mouth",
    "l_outer_corner_of_mouth", "center_of_cupid_bow", "center_of_lower_outer_lip",
    "midpoint_1_of_upper_outer_lip", "midpoint_2_of_upper_outer_lip", "midpoint_1_of_lower_outer_lip",
    "midpoint_2_of_lower_outer_lip", "midpoint_3_of_upper_outer_lip", "midpoint_4_of_upper_outer_lip",
    "midpoint_5_of_upper_outer_lip", "midpoint_6_of_upper_outer_lip", "midpoint_3_of_lower_outer_lip",
    "midpoint_4_of_lower_outer_lip", "midpoint_5_of_lower_outer_lip", "midpoint_6_of_lower_outer_lip",
    "r_inner_corner_of_mouth", "l_inner_corner_of_mouth", "center_of_upper_inner_lip",
    "center_of_lower_inner_lip", "midpoint_1_of_upper_inner_lip", "midpoint_2_of_upper_inner_lip",
    "midpoint_1_of_lower_inner_lip", "midpoint_2_of_lower_inner_lip", "midpoint_3_of_upper_inner_lip",
    "midpoint_4_of_upper_inner_lip", "midpoint_5_of_upper_inner_lip", "midpoint_6_of_upper_inner_lip",
    "midpoint_3_of_lower_inner_lip", "midpoint_4_of_lower_inner_lip", "midpoint_5_of_lower_inner_lip",
    "midpoint_6_of_lower_inner_lip", "l_top_end_of_inferior_crus", "l_top_end_of_superior_crus",
    "l_start_of_antihelix", "l_end_of_antihelix", "l_midpoint_1_of_antihelix", "l_midpoint_1_of_inferior_crus",
    "l_midpoint_2_of_antihelix", "l_midpoint_3_of_antihelix", "l_point_1_of_inner_helix",
    "l_point_2_of_inner_helix", "l_point_3_of_inner_helix", "l_point_4_of_inner_helix",
    "l_point_5_of_inner_helix", "l_point_6_of_inner_helix", "l_point_7_of_inner_helix",
    "l_highest_point_of_antitragus", "l_bottom_point_of_tragus", "l_protruding_point_of_tragus",
    "l_top_point_of_tragus", "l_start_point_of_crus_of_helix", "l_deepest_point_of_concha", "l_tip_of_ear_lobe",
    "l_midpoint_between_22_15", "l_bottom_connecting_point_of_ear_lobe", "l_top_connecting_point_of_helix",
    "l_point_8_of_inner_helix", "r_top_end_of_inferior_crus", "r_top_end_of_superior_crus",
    "r_start_of_antihelix", "r_end_of_antihelix", "r_midpoint_1_of_antihelix", "r_midpoint_1_of_inferior_crus",
    "r_midpoint_2_of_antihelix", "r_midpoint_3_of_antihelix", "r_point_1_of_inner_helix",
    "r_point_8_of_inner_helix", "r_point_3_of_inner_helix", "r_point_4_of_inner_helix",
    "r_point_5_of_inner_helix", "r_point_6_of_inner_helix", "r_point_7_of_inner_helix",
    "r_highest_point_of_antitragus", "r_bottom_point_of_tragus", "r_protruding_point_of_tragus",
    "r_top_point_of_tragus", "r_start_point_of_crus_of_helix", "r_deepest_point_of_concha", "r_tip_of_ear_lobe",
    "r_midpoint_between_22_15", "r_bottom_connecting_point_of_ear_lobe", "r_top_connecting_point_of_helix",
    "r_point_2_of_inner_helix", "l_center_of_iris", "l_border_of_iris_3", "l_border_of_iris_midpoint_1",
    "l_border_of_iris_12", "l_border_of_iris_midpoint_4", "l_border_of_iris_9", "l_border_of_iris_midpoint_3",
    "l_border_of_iris_6", "l_border_of_iris_midpoint_2", "r_center_of_iris", "r_border_of_iris_3",
    "r_border_of_iris_midpoint_1", "r_border_of_iris_12", "r_border_of_iris_midpoint_4", "r_border_of_iris_9",
    "r_border_of_iris_midpoint_3", "r_border_of_iris_6", "r_border_of_iris_midpoint_2", "l_center_of_pupil",
    "l_border_of_pupil_3", "l_border_of_pupil_midpoint_1", "l_border_of_pupil_12",
    "l_border_of_pupil_midpoint_4", "l_border_of_pupil_9", "l_border_of_pupil_midpoint_3",
    "l_border_of_pupil_6", "l_border_of_pupil_midpoint_2", "r_center_of_pupil", "r_border_of_pupil_3",
    "r_border_of_pupil_midpoint_1", "r_border_of_pupil_12", "r_border_of_pupil_midpoint_4",
    "r_border_of_pupil_9", "r_border_of_pupil_midpoint_3", "r_border_of_pupil_6", "r_border_of_pupil_midpoint_2"
)

#: Goliath's links (``skeleton_info``), by joint name.
_LINKS = (
    ("l_ankle", "l_knee"), ("l_knee", "l_hip"), ("r_ankle", "r_knee"), ("r_knee", "r_hip"), ("l_hip", "r_hip"),
    ("l_shoulder", "l_hip"), ("r_shoulder", "r_hip"), ("l_shoulder", "r_shoulder"), ("l_shoulder", "l_elbow"),
    ("r_shoulder", "r_elbow"), ("l_elbow", "l_wrist"), ("r_elbow", "r_wrist"), ("l_eye", "r_eye"),
    ("nose", "l_eye"), ("nose", "r_eye"), ("l_eye", "l_ear"), ("r_eye", "r_ear"), ("l_ear", "l_shoulder"),
    ("r_ear", "r_shoulder"), ("l_ankle", "l_big_toe"), ("l_ankle", "l_small_toe"), ("l_ankle", "l_heel"),
    ("r_ankle", "r_big_toe"), ("r_ankle", "r_small_toe"), ("r_ankle", "r_heel"),
) + tuple(  # each hand: the wrist to each finger's third joint, then along the finger (2, 3, 4)
    link for side in "lr" for finger in ("thumb", "forefinger", "middle_finger", "ring_finger", "pinky_finger")
    for link in [(f"{side}_wrist", f"{side}_{finger}_third_joint"), (f"{side}_{finger}_third_joint", f"{side}_{finger}2"),
                 (f"{side}_{finger}2", f"{side}_{finger}3"), (f"{side}_{finger}3", f"{side}_{finger}4")]
)

#: Goliath's mirror pairs (``swap``), as index pairs.
_FLIPS = (
    (1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 18), (16, 19), (17, 20), (21, 42), (22, 43),
    (23, 44), (24, 45), (25, 46), (26, 47), (27, 48), (28, 49), (29, 50), (30, 51), (31, 52), (32, 53), (33, 54),
    (34, 55), (35, 56), (36, 57), (37, 58), (38, 59), (39, 60), (40, 61), (41, 62), (63, 64), (65, 66), (67, 68),
    (78, 87), (79, 88), (80, 89), (81, 90), (82, 91), (83, 93), (84, 92), (85, 95), (86, 94), (96, 120), (97, 121),
    (98, 122), (99, 123), (100, 124), (101, 125), (102, 126), (103, 127), (104, 128), (105, 129), (106, 130),
    (107, 131), (108, 132), (109, 133), (110, 134), (111, 135), (112, 136), (113, 137), (114, 138), (115, 139),
    (116, 140), (117, 141), (118, 142), (119, 143), (144, 161), (145, 162), (146, 163), (147, 164), (148, 165),
    (149, 166), (150, 167), (151, 168), (152, 169), (153, 170), (154, 171), (155, 172), (156, 173), (157, 174),
    (158, 175), (159, 176), (160, 177), (180, 181), (182, 185), (183, 186), (184, 187), (188, 189), (192, 193),
    (194, 195), (196, 199), (197, 198), (200, 203), (201, 202), (204, 205), (208, 209), (210, 211), (212, 215),
    (213, 214), (216, 219), (217, 218), (220, 246), (221, 247), (222, 248), (223, 249), (224, 250), (225, 251),
    (226, 252), (227, 253), (228, 254), (229, 255), (230, 256), (231, 257), (232, 258), (233, 259), (234, 260),
    (235, 261), (236, 262), (237, 263), (238, 264), (239, 265), (240, 266), (241, 267), (242, 268), (243, 269),
    (244, 270), (245, 271), (272, 281), (273, 286), (274, 285), (275, 284), (276, 283), (277, 282), (278, 289),
    (279, 288), (280, 287), (290, 299), (291, 304), (292, 303), (293, 302), (294, 301), (295, 300), (296, 307),
    (297, 306), (298, 305)
)

_ARM_LANDMARKS = {"l_olecranon": "l_elbow", "r_olecranon": "r_elbow", "l_cubital_fossa": "l_elbow",
                  "r_cubital_fossa": "r_elbow", "l_acromion": "l_shoulder", "r_acromion": "r_shoulder"}


def _bones() -> tuple:
    index = {name: i for i, name in enumerate(GOLIATH_JOINTS)}
    bones = [(index[a], index[b]) for a, b in _LINKS]
    bones += [(index[a], index[b]) for a, b in _ARM_LANDMARKS.items()]
    bones += [(index["neck"], index["l_shoulder"]), (index["neck"], index["r_shoulder"])]
    linked = {i for bone in bones for i in bone}
    bones += [(index["nose"], i) for i in range(len(GOLIATH_JOINTS)) if i not in linked]  # the face
    return tuple(bones)


GOLIATH_308 = register_skeleton(Skeleton(
    name="goliath_308",
    joints=GOLIATH_JOINTS,
    bones=_bones(),
    root=GOLIATH_JOINTS.index("l_hip"),
    flip_pairs=_FLIPS,
    source="Goliath 308-keypoint order (Sapiens pose models, goliath.py keypoint_info); root = l_hip (no pelvis)",
), aliases=("goliath", "sapiens_308"))
