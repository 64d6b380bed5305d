"""Motion-capture poses: 3D people without images, for training models on keypoints.

:class:`MocapPoses` holds any ``[N, J, 3]`` array of poses on a skeleton (with the subject and
sequence of each pose, and the dataset's calibrated cameras where it has them);
:func:`read_h36m_mocap` reads the Human3.6M motion-capture file layout (``S*/poses/<action>``
world coordinates and ``S*/cameras/<id>``).

>>> import numpy as np
>>> poses = MocapPoses(np.zeros((2, 17, 3)), "h36m_17")
>>> len(poses)
2
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from ..camera import Camera
from ..core.files import open_h5
from ..graphs import Skeleton, resolve_skeleton

__all__ = ["MocapPoses", "MocapCamera", "read_h36m_mocap", "mocap_frame_step", "world_to_camera", "H36M_TRAIN_SUBJECTS",
           "H36M_TEST_SUBJECTS", "scale_bones", "bone_length_ratios", "topological_order",
           "H36M_TO_MUPOTS_BONE_RATIOS", "H36M_TO_MUPOTS_HEAD_TOP"]

H36M_TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
H36M_TEST_SUBJECTS = ("S9", "S11")


@dataclass(frozen=True)
class MocapCamera:
    """A calibrated camera of a capture: intrinsics and its pose, world to camera
    ``X_cam = R^T (X_world - T)`` (Human3.6M's convention, ``R`` as stored)."""

    camera: Camera
    R: np.ndarray  #: ``[3, 3]``
    T: np.ndarray  #: ``[3]`` mm, the camera centre in world coordinates
    width: int = 1000
    height: int = 1000


#: Median bone length in MuPoTS-3D's ``annot3`` over Human3.6M's (motion capture, with the
#: :data:`~hdnet.graphs.H36M_AS_MUPOTS` stand-ins), per MuPoTS bone ``(joint, parent)``: how the
#: two datasets' joint definitions differ (the head joints most: MuPoTS' head top sits 77 mm
#: above where Human3.6M's "Head" marker is). Measured once with :func:`bone_length_ratios`
#: on the dev split TS1-TS10 (allowed for calibration) against the Human3.6M *training*
#: subjects S1, S5, S6, S7, S8 only; applied to training poses only. (At first they were
#: measured against all seven subjects: the test subjects S9 and S11 took part, and the
#: training bodies came out 1.6 % shorter than MuPoTS-3D's people, the spine 9 % short.)
H36M_TO_MUPOTS_BONE_RATIOS: Dict[str, float] = {
    "head_top": 1.666, "head": 0.802, "neck": 1.075, "spine": 1.062, "r_hip": 0.958, "l_hip": 0.958,
    "r_knee": 1.039, "l_knee": 1.045, "r_ankle": 0.910, "l_ankle": 0.910, "r_shoulder": 1.115,
    "l_shoulder": 1.106, "r_elbow": 1.119, "l_elbow": 1.119, "r_wrist": 0.981, "l_wrist": 0.981,
}


#: MuPoTS-3D's head top is further from its neck than the bone chain through Human3.6M's
#: "Neck/Nose" marker (forward, at the face) and "Head" marker gives: median |head_top - neck|
#: in MuPoTS-3D's ``annot3`` (279 mm) over median |Head - Thorax| of the Human3.6M training
#: subjects S1, S5, S6, S7, S8 (169 mm), measured once on the dev split TS1-TS10 like the ratios
#: above. The keypoint task places the head top at ``neck + H36M_TO_MUPOTS_HEAD_TOP (Head -
#: Thorax)`` (so the ``head_top`` ratio above is not used): with the bone ratios alone the
#: training bodies were 3-5 % shorter than MuPoTS-3D's people, and the model placed them too near.
H36M_TO_MUPOTS_HEAD_TOP = 1.65


def topological_order(parents: Sequence[int]) -> List[int]:
    """Joint indices with every parent before its children."""
    order: List[int] = []
    seen: set = set()

    def visit(j: int) -> None:
        if j in seen:
            return
        if parents[j] >= 0:
            visit(parents[j])
        seen.add(j)
        order.append(j)
    for j in range(len(parents)):
        visit(j)
    return order


def scale_bones(poses, skeleton: Union[str, Skeleton], factors):
    """Each bone (joint to its parent in the kinematic tree) scaled by ``factors`` (``[J]`` or
    ``[N, J]``, indexed by the child joint; the root's entry is unused), rebuilt from the root
    outwards: the root stays, the shape of each bone is kept. numpy or torch in, same out."""
    sk = resolve_skeleton(skeleton)
    lib = np if isinstance(poses, np.ndarray) else None
    out = poses.copy() if lib is not None else poses.clone()
    f = factors
    for k in topological_order(sk.parents):
        p = sk.parents[k]
        if p < 0:
            continue
        fk = f[..., k:k + 1] if getattr(f, "ndim", 1) > 1 else f[k]
        out[:, k] = out[:, p] + (poses[:, k] - poses[:, p]) * fk
    return out


def bone_length_ratios(source: np.ndarray, target: np.ndarray, skeleton: Union[str, Skeleton]) -> Dict[str, float]:
    """Median bone length of ``target`` poses over ``source`` poses ``[N, J, 3]`` (one skeleton),
    per child joint name (how :data:`H36M_TO_MUPOTS_BONE_RATIOS` was measured)."""
    sk = resolve_skeleton(skeleton)
    out = {}
    for k, p in enumerate(sk.parents):
        if p < 0:
            continue
        a = np.median(np.linalg.norm(source[:, k] - source[:, p], axis=-1))
        b = np.median(np.linalg.norm(target[:, k] - target[:, p], axis=-1))
        out[sk.joints[k]] = float(b / a)
    return out


def world_to_camera(points_mm: np.ndarray, R: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``X_cam = R^T (X_world - T)`` for points ``[..., 3]`` (mm)."""
    p = np.asarray(points_mm, dtype=np.float64)
    return (p - np.asarray(T, dtype=np.float64)) @ np.asarray(R, dtype=np.float64)


@dataclass
class MocapPoses:
    """3D poses ``[N, J, 3]`` (mm) of one skeleton, with where each came from.

    Args:
        poses: ``[N, J, 3]`` float, world (or any fixed) coordinates in mm.
        skeleton: the joint set (a registered name or a :class:`~hdnet.graphs.Skeleton`).
        subject: ``[N]`` subject of each pose (default all ``""``).
        sequence: ``[N]`` sequence (action) of each pose.
        frame: ``[N]`` index of each pose within its sequence.
        cameras: per subject, that subject's calibrated cameras by id.
        up: the world's vertical axis (``"z"`` for Human3.6M: Z up, floor near 0).
    """

    poses: np.ndarray
    skeleton: Union[str, Skeleton]
    subject: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    sequence: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    frame: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cameras: Dict[str, Dict[str, MocapCamera]] = field(default_factory=dict)
    up: str = "z"

    def __post_init__(self) -> None:
        self.skeleton = resolve_skeleton(self.skeleton)
        p = np.asarray(self.poses, dtype=np.float32)
        j = self.skeleton.num_joints
        if p.ndim != 3 or p.shape[1:] != (j, 3):
            raise ValueError(f"poses: expected [N, {j}, 3] for skeleton {self.skeleton.name!r}, got {p.shape}")
        if not np.isfinite(p).all():
            raise ValueError("poses: NaN or inf coordinates")
        self.poses = p
        n = len(p)
        self.subject = np.asarray(self.subject if len(self.subject) else [""] * n, dtype=object)
        self.sequence = np.asarray(self.sequence if len(self.sequence) else [""] * n, dtype=object)
        self.frame = np.asarray(self.frame if len(self.frame) else np.arange(n), dtype=np.int64)
        for name in ("subject", "sequence", "frame"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name}: expected {n} entries, one per pose, got {len(getattr(self, name))}")
        if self.up not in ("x", "y", "z"):
            raise ValueError(f"up: expected 'x', 'y' or 'z', got {self.up!r}")

    def __len__(self) -> int:
        return len(self.poses)

    def select(self, subjects: Optional[Sequence[str]] = None, stride: int = 1) -> "MocapPoses":
        """The poses of some subjects, every ``stride``-th."""
        keep = np.ones(len(self), bool) if subjects is None else np.isin(self.subject, list(subjects))
        idx = np.nonzero(keep)[0][::stride]
        if subjects is not None and not idx.size:
            raise ValueError(f"subjects: none of {list(subjects)} is in the data "
                             f"({sorted(set(self.subject.tolist()))})")
        return MocapPoses(self.poses[idx], self.skeleton, self.subject[idx], self.sequence[idx],
                          self.frame[idx], {s: c for s, c in self.cameras.items()
                                            if subjects is None or s in subjects}, self.up)

    def pose(self, subject: str, sequence: str, frame: int) -> np.ndarray:
        """One stored pose ``[J, 3]`` by subject, sequence and frame index."""
        hit = np.nonzero((self.subject == subject) & (self.sequence == sequence) & (self.frame == frame))[0]
        if not hit.size:
            raise KeyError(f"no pose {subject!r} {sequence!r} frame {frame}")
        return self.poses[hit[0]]


def _h5_array(group, key: str, where: str, dtype) -> np.ndarray:
    """``group[key]`` as a numeric array, or a ``ValueError`` naming ``where``."""
    if key not in group:
        raise ValueError(f"{where}: missing")
    node = group[key]
    if not hasattr(node, "dtype") or node.dtype.kind not in "biuf":
        raise ValueError(f"{where}: expected a numeric dataset, got "
                         f"{getattr(node, 'dtype', type(node).__name__)}")
    return np.asarray(node, dtype=dtype)


def _read_camera(c, cid: str, where: str) -> MocapCamera:
    """One ``S*/cameras/<id>`` group: ``f`` (1 or 2 numbers), ``c`` (2), ``R`` ``[3, 3]``,
    ``T`` (3), optional ``k`` (3) and ``p`` (2); every value finite (``Camera`` checks ranges)."""
    sizes = {"f": (1, 2), "c": (2,), "R": (9,), "T": (3,), "k": (3,), "p": (2,)}
    v: Dict[str, np.ndarray] = {}
    for key, allowed in sizes.items():
        if key in ("k", "p") and key not in c:
            continue
        a = _h5_array(c, key, f"{where}/{key}", np.float64)
        if a.size not in allowed or (key == "R" and a.shape != (3, 3)):
            want = "[3, 3]" if key == "R" else " or ".join(map(str, allowed)) + " numbers"
            raise ValueError(f"{where}/{key}: expected {want}, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ValueError(f"{where}/{key}: NaN or inf values {a.ravel().tolist()}")
        v[key] = a.ravel()
    k, p = v.get("k"), v.get("p")
    try:
        cam = Camera(float(v["f"][0]), float(v["f"][-1]), float(v["c"][0]), float(v["c"][1]),
                     None if k is None else (float(k[0]), float(k[1]), float(k[2])),
                     None if p is None else (float(p[0]), float(p[1])))
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    height = 1002 if cid in ("54138969", "60457274") else 1000
    return MocapCamera(cam, v["R"].reshape(3, 3), v["T"], 1000, height)


def mocap_frame_step(path, default: int = 5) -> int:
    """How many capture frames lie between a motion-capture file's stored poses: its ``every``
    attribute (``hdnet data h36m --every``), else ``default`` (the layout's 5: 10 of Human3.6M's
    50 frames per second, as the shared file keeps)."""
    with open_h5(path, "mocap") as f:
        every = f.attrs.get("every")
    if every is None:
        return default
    if not float(every).is_integer() or int(every) < 1:
        raise ValueError(f"mocap: {str(path)!r} says every={every!r}; expected a whole number >= 1")
    return int(every)


def read_h36m_mocap(path, subjects: Optional[Sequence[str]] = None) -> MocapPoses:
    """Human3.6M motion capture from the HDF5 layout ``S*/poses/<action> [T, 17, 3]`` (world mm,
    H36M 17-joint order) and ``S*/cameras/<id>`` (``R``, ``T``, ``f``, ``c``, ``k``, ``p``).

    Raises:
        FileNotFoundError, ValueError: a missing, unreadable or malformed file (named).
    """
    poses: List[np.ndarray] = []
    subj: List[str] = []
    seq: List[str] = []
    frames: List[np.ndarray] = []
    cameras: Dict[str, Dict[str, MocapCamera]] = {}
    where = f"mocap: {str(path)!r}"
    with open_h5(path, "mocap") as f:
        names = sorted(k for k in f.keys() if k.startswith("S"))
        if not names:
            raise ValueError(f"{where} has no subject groups S*")
        joints = f.attrs.get("joints")
        if joints is not None:
            stored = json.loads(joints) if isinstance(joints, str) else list(joints)
            if len(stored) != 17:
                raise ValueError(f"{where} stores {len(stored)} joints, expected the 17 of h36m_17")
        for s in names:
            if subjects is not None and s not in subjects:
                continue
            g = f[s]
            if not hasattr(g, "keys") or "poses" not in g or not hasattr(g["poses"], "keys"):
                raise ValueError(f"{where} {s}: expected a group holding a group 'poses'")
            for action in sorted(g["poses"].keys()):
                a = _h5_array(g["poses"], action, f"{where} {s}/poses/{action}", np.float32)
                if a.ndim != 3 or a.shape[1:] != (17, 3):
                    raise ValueError(f"{where} {s}/poses/{action} has shape {a.shape}, expected [T, 17, 3]")
                bad = ~np.isfinite(a).all(axis=(1, 2))
                if bad.any():
                    raise ValueError(f"{where} {s}/poses/{action}: NaN or inf coordinates at frame "
                                     f"{int(np.argmax(bad))} ({int(bad.sum())} of {len(a)} frames)")
                poses.append(a)
                subj += [s] * len(a)
                seq += [action] * len(a)
                frames.append(np.arange(len(a)))
            cams = {}
            if "cameras" in g and not hasattr(g["cameras"], "keys"):
                raise ValueError(f"{where} {s}/cameras: expected a group of cameras")
            for cid in sorted(g.get("cameras", {}).keys()):
                cams[cid] = _read_camera(g["cameras"][cid], cid, f"{where} {s}/cameras/{cid}")
            cameras[s] = cams
    if not poses:
        raise ValueError(f"subjects: none of {list(subjects or [])} is in {str(path)!r}")
    return MocapPoses(np.concatenate(poses), "h36m_17", np.asarray(subj, dtype=object),
                      np.asarray(seq, dtype=object), np.concatenate(frames), cameras, up="z")
