"""MPI-INF-3DHP / MuPoTS-3D (17 joints) and MuCo-3DHP (21 joints).

Order: the 17-joint test-set order of MPI-INF-3DHP, which MuPoTS-3D and RootNet's
``MuPoTS-3D.json`` use (pelvis = 14); MuCo-3DHP appends hands and toes (RootNet's ``MuCo-3DHP``
joint list). MuPoTS-3D evaluation uses the first 14 joints (:data:`MUPOTS_EVAL_JOINTS`).
"""

from ..registry import register_skeleton
from ..skeleton import Skeleton

_JOINTS_17 = ("head_top", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow",
              "l_wrist", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "pelvis",
              "spine", "head")
_BONES_17 = ((0, 16), (16, 1), (1, 15), (15, 14), (14, 8), (14, 11), (8, 9), (9, 10), (11, 12),
             (12, 13), (1, 2), (2, 3), (3, 4), (1, 5), (5, 6), (6, 7))

#: Joint indices that the MuPoTS-3D evaluation scores (head_top .. l_ankle).
MUPOTS_EVAL_JOINTS = tuple(range(14))

MPI_INF_3DHP_17 = register_skeleton(Skeleton(
    name="mpi_inf_3dhp_17",
    joints=_JOINTS_17,
    bones=_BONES_17,
    root=14,
    source="MPI-INF-3DHP test set / MuPoTS-3D 17-joint order (RootNet's MuPoTS-3D.json)",
), aliases=("mupots_17", "mupots"))

MUCO_21 = register_skeleton(Skeleton(
    name="muco_21",
    joints=_JOINTS_17 + ("r_hand", "l_hand", "r_toe", "l_toe"),
    bones=_BONES_17 + ((4, 17), (7, 18), (10, 19), (13, 20)),
    root=14,
    source="MuCo-3DHP 21-joint order (RootNet's MuCo-3DHP.json)",
), aliases=("muco",))
