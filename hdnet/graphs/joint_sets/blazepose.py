"""MediaPipe BlazePose (33 landmarks).

Order: MediaPipe Pose's landmark order (``PoseLandmark``): face (nose, eyes inner/centre/outer,
ears, mouth corners), arms with pinky, index and thumb knuckles, hips, legs, heels and foot
indices; bones from MediaPipe's ``POSE_CONNECTIONS``, plus each mouth corner tied to the nose
and to its shoulder (MediaPipe draws the face apart from the body), so the graph is connected.
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

BLAZEPOSE_33 = register_skeleton(Skeleton(
    name="blazepose_33",
    joints=("nose", "l_eye_inner", "l_eye", "l_eye_outer", "r_eye_inner", "r_eye", "r_eye_outer", "l_ear",
            "r_ear", "l_mouth", "r_mouth", "l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist",
            "r_wrist", "l_pinky", "r_pinky", "l_index", "r_index", "l_thumb", "r_thumb", "l_hip", "r_hip",
            "l_knee", "r_knee", "l_ankle", "r_ankle", "l_heel", "r_heel", "l_foot_index", "r_foot_index"),
    bones=((0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (0, 9), (0, 10),
           (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16),
           (16, 18), (16, 20), (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26),
           (25, 27), (26, 28), (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32), (9, 11), (10, 12)),
    root=23,
    source="MediaPipe Pose landmark order (PoseLandmark); root = l_hip (no pelvis in BlazePose)",
), aliases=("blazepose", "mediapipe_33"))
