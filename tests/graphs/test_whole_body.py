"""The whole-body joint sets against their published layouts: COCO-WholeBody (133) and Halpe
(136) begin with their body sets point for point, the face is 300-W's 68 points with its mirror
pairs, a hand is its root and four points per finger."""

import numpy as np

from hdnet.graphs import convert_joints, get_skeleton
from hdnet.keypoint.formats import KEYPOINT_LAYOUTS, body_keypoints, layout_indices

# 300-W / iBUG 68-point mirror pairs (a frontal face flipped left to right), written out
FACE_MIRROR = {(0, 16), (1, 15), (2, 14), (3, 13), (4, 12), (5, 11), (6, 10), (7, 9), (17, 26), (18, 25), (19, 24),
               (20, 23), (21, 22), (31, 35), (32, 34), (36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46),
               (48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)}


def test_whole_body_sets_begin_with_their_body_sets():
    for name in ("coco_wholebody_133", "halpe_136"):
        body, n = KEYPOINT_LAYOUTS[name]
        sk, b = get_skeleton(name), get_skeleton(body)
        assert sk.num_joints == n and sk.joints[:b.num_joints] == b.joints
        assert layout_indices(name) == tuple(range(b.num_joints))  # found by name: the first points


def test_openpose_coco_18_is_cocos_17_in_openposes_order():
    """OpenPose's COCO model (``POSE_COCO_BODY_PARTS``): nose, neck, right arm, left arm, right
    leg, left leg, right eye, left eye, right ear, left ear. Written out, the COCO-17 joint each
    COCO index stands for (AlphaPose's ``--format open`` writes the same order)."""
    op = get_skeleton("openpose_18")
    assert op.joints[1] == "neck" and op.num_joints == KEYPOINT_LAYOUTS["openpose_18"][1] == 18
    coco_in_openpose = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)
    assert layout_indices("openpose_18") == coco_in_openpose
    kp = np.arange(18 * 3, dtype=float).reshape(1, 18, 3)
    body, fmt = body_keypoints(kp, "openpose_18")
    assert fmt == "coco_17" and body[0, :, 0].tolist() == [3.0 * i for i in coco_in_openpose]
    conv, found = convert_joints(kp[..., :2], "openpose_18", "coco_17")
    assert found.all() and np.array_equal(conv, body[..., :2])  # by name, as the registry converts
    assert flip_order(op) == [0, 1, 5, 6, 7, 2, 3, 4, 11, 12, 13, 8, 9, 10, 15, 14, 17, 16]


def test_goliath_308_holds_cocos_17_where_sapiens_puts_them():
    """Sapiens' Goliath points: COCO's 15 without the wrists first, the right wrist at 41 and the
    left at 62 (after each hand's fingers), written out from its goliath.py; they mirror as
    Goliath's own swap says (its face points by number, not name)."""
    sk = get_skeleton("sapiens_308")
    assert sk.num_joints == KEYPOINT_LAYOUTS["goliath_308"][1] == 308 and sk.name == "goliath_308"
    assert layout_indices("goliath_308") == (0, 1, 2, 3, 4, 5, 6, 7, 8, 62, 41, 9, 10, 11, 12, 13, 14)
    flips = dict(sk.flip_pairs) | {b: a for a, b in sk.flip_pairs}
    j = sk.joints
    assert j[flips[j.index("l_wrist")]] == "r_wrist" and j[flips[j.index("l_big_toe")]] == "r_big_toe"
    assert j[flips[j.index("upper_midpoint_2_of_r_eyebrow")]] == "upper_midpoint_3_of_l_eyebrow"
    assert "nose" not in flips and len(sk.flip_pairs) == 146
    assert sk.parents[j.index("r_wrist")] == j.index("r_elbow") and sk.parents[j.index("tip_of_chin")] == 0


def flip_order(sk):
    flips = dict(sk.flip_pairs) | {b: a for a, b in sk.flip_pairs}
    return [flips.get(i, i) for i in range(sk.num_joints)]


def test_coco_wholebody_layout():
    sk = get_skeleton("coco_wholebody")
    j = sk.joints
    # COCO-WholeBody's indices: feet 17-22 (left big toe, small toe, heel, then right), face 23-90,
    # left hand 91-111, right hand 112-132 (root first, then thumb, index, middle, ring, pinky)
    assert j[17:23] == ("l_big_toe", "l_small_toe", "l_heel", "r_big_toe", "r_small_toe", "r_heel")
    assert (j[91], j[95], j[111], j[112], j[132]) == ("l_hand_root", "l_thumb_4", "l_pinky_4", "r_hand_root",
                                                     "r_pinky_4")
    face = {tuple(sorted((a - 23, b - 23))) for a, b in sk.flip_pairs if 23 <= a < 91}
    assert face == FACE_MIRROR
    flips = dict(sk.flip_pairs) | {b: a for a, b in sk.flip_pairs}
    assert all(flips[91 + i] == 112 + i for i in range(21))  # hands mirror point for point
    # each finger is a chain from the hand's root, and the root hangs from the wrist
    parents = sk.parents
    assert parents[91] == 9 and parents[92] == 91 and parents[95] == 94 and parents[112] == 10
    assert parents[23 + 30] == 0  # the face joins the body at the nose


def test_feet_convert_by_name_between_whole_body_and_halpe():
    x = np.random.default_rng(0).uniform(0, 500, (3, 133, 2))
    y, made = convert_joints(x, "coco_wholebody_133", "halpe_26")
    halpe = get_skeleton("halpe_26").joints
    for name in ("l_big_toe", "r_heel", "l_small_toe"):
        assert np.array_equal(y[:, halpe.index(name)], x[:, get_skeleton("coco_wholebody_133").joints.index(name)])
    assert not made[halpe.index("head")] and not made[halpe.index("neck")]
