"""The keypoint formats the keypoint model reads, and how each format's keypoints are made from
motion capture for training.

A format is a detector's joint set with its *definitions*: a COCO or BlazePose hip is where a
detector puts a hip, a few centimetres below and outside the hip joint centre that motion capture
records; a nose, eyes and ears are points on a head that motion capture only marks twice. For
training, every format's keypoints are built in 3D from the 17 Human3.6M motion-capture joints of
each body (camera coordinates), with each definition drawn anew per body within a plausible range
(so a detector that places hips or shoulders a little differently does not move people), then
seen through the virtual camera with that format's difficulty per point.

The ranges below are anatomy (head and foot proportions) and the size of the definition
differences the project's issue reported ("a few per cent of body height"); nothing is fitted to
any evaluation data. The small parts (the face, each hand, each foot) are also drawn at a size
that strays from anatomy by up to :data:`PART_SIZE_RANGE` either way per body: drawn at one size
they are a ruler (eyes 6 cm apart give the depth to a few per cent), which a model learns to read
and which no detector's eye, ear or heel points hold to.

| format | detectors | output joints |
|---|---|---|
| ``mupots_17`` | MuPoTS-3D / MPI-INF-3DHP annotations | ``mupots_17`` |
| ``h36m_17`` | Human3.6M annotations, lifting benchmarks | ``h36m_17`` |
| ``coco_17`` | YOLO-pose, RTMPose, ViTPose, Detectron2, MMPose | ``mupots_17`` |
| ``halpe_26`` | AlphaPose (Halpe full body) | ``mupots_17`` |
| ``body_25`` | OpenPose BODY_25 | ``mupots_17`` |
| ``blazepose_33`` | MediaPipe BlazePose | ``mupots_17`` |

Other keypoint layouts are read as the format whose joints they hold (:data:`KEYPOINT_LAYOUTS`,
:func:`body_keypoints`), joint by joint name: COCO-WholeBody's 133 points (RTMW, DWPose, MMPose's
wholebody models) begin with COCO's 17, Halpe's 136 (AlphaPose) with Halpe's 26, and OpenPose's
COCO model (18 points; AlphaPose's ``--format open``) and Sapiens' Goliath points (308) hold
COCO's 17 in their own order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import torch
from torch import Tensor

from ..core.registry import Registry
from ..graphs import Skeleton, get_skeleton, resolve_skeleton

__all__ = ["InputFormat", "FORMATS", "INPUT_FORMATS", "PART_SIZE_RANGE", "synthesize_keypoints", "H36M",
           "face_elevation", "KEYPOINT_LAYOUTS", "NAMED_LAYOUTS", "reordered_layouts", "layout_name", "keypoint_layout",
           "layout_indices", "body_keypoints",
           "bone_spread", "format_evidence", "likely_format", "format_mismatch", "KeypointFormatWarning",
           "take_body_part", "format_of_names", "joint_name_differences", "check_format_name", "formats_with",
           "resolve_format"]

#: Human3.6M 17-joint indices (``h36m_17``).
H36M = {name: i for i, name in enumerate(get_skeleton("h36m_17").joints)}


@dataclass(frozen=True)
class InputFormat:
    """One input format: its skeleton, the 3D joints the model answers in, the joints whose mean
    stands for the body's centre, and how hard each point is for a detector (0 easy .. 1 hard)."""

    name: str
    output: str
    reference: Tuple[str, ...]
    difficulty: Dict[str, float]
    detectors: str = ""

    @property
    def skeleton(self):
        return get_skeleton(self.name)

    def difficulties(self) -> Tensor:
        return torch.tensor([self.difficulty.get(j, 0.1) for j in self.skeleton.joints], dtype=torch.float64)


_FACE = {"nose": 0.3, "l_eye": 0.35, "r_eye": 0.35, "l_ear": 0.5, "r_ear": 0.5, "l_eye_inner": 0.4,
         "r_eye_inner": 0.4, "l_eye_outer": 0.4, "r_eye_outer": 0.4, "l_mouth": 0.45, "r_mouth": 0.45}
_LIMBS = {"l_wrist": 0.25, "r_wrist": 0.25, "l_ankle": 0.2, "r_ankle": 0.2, "l_elbow": 0.15, "r_elbow": 0.15,
          "l_knee": 0.15, "r_knee": 0.15, "l_hip": 0.15, "r_hip": 0.15}
_EXTREMITIES = {n: 0.55 for n in ("l_big_toe", "r_big_toe", "l_small_toe", "r_small_toe", "l_heel", "r_heel",
                                   "l_foot_index", "r_foot_index", "l_pinky", "r_pinky", "l_index", "r_index",
                                   "l_thumb", "r_thumb")}

#: Input formats by name.
FORMATS: Registry[InputFormat] = Registry("keypoint format")
for _fmt in (
    InputFormat("mupots_17", "mupots_17", ("pelvis",), {**_LIMBS, "head_top": 0.3, "head": 0.25}, "MuPoTS-3D annotations"),
    InputFormat("h36m_17", "h36m_17", ("pelvis",), {**_LIMBS, "head": 0.3, "neck_nose": 0.25}, "Human3.6M annotations"),
    InputFormat("coco_17", "mupots_17", ("l_hip", "r_hip"), {**_LIMBS, **_FACE},
                "YOLO-pose, RTMPose, ViTPose, Detectron2, MMPose (COCO keypoints)"),
    InputFormat("halpe_26", "mupots_17", ("pelvis",), {**_LIMBS, **_FACE, **_EXTREMITIES, "head": 0.3},
                "AlphaPose (Halpe full body)"),
    InputFormat("body_25", "mupots_17", ("mid_hip",), {**_LIMBS, **_FACE, **_EXTREMITIES}, "OpenPose BODY_25"),
    InputFormat("blazepose_33", "mupots_17", ("l_hip", "r_hip"), {**_LIMBS, **_FACE, **_EXTREMITIES},
                "MediaPipe BlazePose"),
):
    FORMATS.register(_fmt.name, _fmt)

#: The formats the shipped model reads, in the order of its format input.
INPUT_FORMATS = ("mupots_17", "h36m_17", "coco_17", "halpe_26", "body_25", "blazepose_33")

#: Keypoint layouts the model reads as one of its formats, ``name: (format, joints)``: every joint
#: of ``format`` is in the layout under the same name (the same definition), found by name; the
#: layout's other points (feet, face, hands, OpenPose's neck) are not read. COCO-WholeBody (133:
#: COCO's 17, six foot points, 68 face points, 21 per hand) is read as ``coco_17``: as
#: ``halpe_26`` its feet would come with Halpe's head, neck and pelvis missing, which placed people
#: within 0.2 points of depth error of ``coco_17`` and posed them 12-17 % worse (``python
#: scripts/whole_body_choice.py``; docs/experiments.md). OpenPose's COCO model (``openpose_18``) is
#: COCO's 17 in another order with the neck, the mean of the shoulders; Sapiens' Goliath points
#: (``goliath_308``) hold COCO's 17 by name, the wrists among the hands' points. PoseTrack's 17
#: (``posetrack_17``) are COCO's with ``head_bottom`` and ``head_top`` where COCO has the eyes:
#: read as ``coco_17`` with the eyes missing (:data:`NAMED_LAYOUTS`). easy_ViTPose's 25
#: (``vitpose_25``) are Halpe's 26 without the head (the neck and mid-hip between COCO's points,
#: the feet's six): read as ``halpe_26`` with the head missing; OpenPose's experimental BODY_25B
#: (``body_25b``: COCO's 17, the upper neck, the top of the head, the feet) as ``halpe_26`` with its
#: neck and pelvis missing (its upper neck is not Halpe's neck, between the shoulders). BODY_25 has
#: 25 points in another order, so only a name means either.
KEYPOINT_LAYOUTS: Dict[str, Tuple[str, int]] = {"coco_wholebody_133": ("coco_17", 133),
                                                 "halpe_136": ("halpe_26", 136),
                                                 "openpose_18": ("coco_17", 18),
                                                 "goliath_308": ("coco_17", 308),
                                                 "posetrack_17": ("coco_17", 17),
                                                 "vitpose_25": ("halpe_26", 25),
                                                 "body_25b": ("halpe_26", 25)}

#: Layouts read only where they are named (``--keypoint-format``, a file's keypoint names): their
#: joint count is a format's own, so a count alone never means them. Their format's joints that
#: they lack (PoseTrack's eyes, easy_ViTPose's head, BODY_25B's neck and pelvis) are read as missing.
NAMED_LAYOUTS = frozenset({"posetrack_17", "vitpose_25", "body_25b"})
_Array = TypeVar("_Array", np.ndarray, Tensor)


def reordered_layouts(num_joints: int, candidates: Sequence[str]) -> List[str]:
    """The layouts of :data:`NAMED_LAYOUTS` with ``num_joints`` points that hold a format other
    than ``candidates`` (the formats of that count): the same count in another order, which bone
    spread tells apart (:func:`format_evidence`; PoseTrack's, COCO's with two points changed, it
    does not).

    >>> reordered_layouts(25, ["body_25"]), reordered_layouts(17, ["coco_17", "h36m_17"])
    (['body_25b', 'vitpose_25'], [])
    """
    return sorted(k for k in NAMED_LAYOUTS if KEYPOINT_LAYOUTS[k][1] == num_joints
                  and KEYPOINT_LAYOUTS[k][0] not in candidates)


def layout_name(name: Optional[str]) -> Optional[str]:
    """The registered name of the layout of :data:`KEYPOINT_LAYOUTS` that ``name`` is or is a
    skeleton alias of, else ``name`` as it is.

    >>> layout_name("goliath"), layout_name("openpose_coco"), layout_name("coco")
    ('goliath_308', 'openpose_18', 'coco')
    """
    if not isinstance(name, str) or name in KEYPOINT_LAYOUTS:
        return name
    try:
        registered = get_skeleton(name).name
    except (LookupError, ValueError):
        return name
    return registered if registered in KEYPOINT_LAYOUTS else name


def keypoint_layout(num_joints: int, name: Optional[str] = None) -> Optional[str]:
    """The layout of :data:`KEYPOINT_LAYOUTS` of keypoints with ``num_joints`` joints: ``name``
    where it is one (checked against the count), the one with that many joints where ``name`` is
    None or that layout's format (133 points said to be ``coco_17`` are COCO-WholeBody), else None.

    >>> keypoint_layout(133), keypoint_layout(18, "coco_17"), keypoint_layout(17, "coco_17")
    ('coco_wholebody_133', 'openpose_18', None)

    Raises:
        ValueError: ``name`` is a layout of another joint count.
    """
    name = layout_name(name)
    if name is None or name not in KEYPOINT_LAYOUTS:
        return next((k for k, (body, n) in KEYPOINT_LAYOUTS.items()
                     if n == num_joints and name in (None, body) and k not in NAMED_LAYOUTS), None)
    want = KEYPOINT_LAYOUTS[name][1]
    if num_joints != want:
        raise ValueError(f"keypoints: {num_joints} joints, but {name} has {want}")
    return name


def layout_indices(layout: str) -> Tuple[int, ...]:
    """Where each joint of a layout's format stands in the layout (by joint name), -1 for a joint
    the layout lacks (PoseTrack's eyes).

    >>> layout_indices("openpose_18")[:6]
    (0, 15, 14, 17, 16, 5)
    >>> layout_indices("posetrack_17")[:4]
    (0, -1, -1, 3)
    """
    if layout not in KEYPOINT_LAYOUTS:
        raise ValueError(f"layout: expected one of {sorted(KEYPOINT_LAYOUTS)}, got {layout!r}")
    names = get_skeleton(layout).joints
    return tuple(names.index(j) if j in names else -1 for j in FORMATS.get(KEYPOINT_LAYOUTS[layout][0]).skeleton.joints)


def _take(values: _Array, index: Tuple[int, ...], axis: int, fill: float) -> _Array:
    """``values`` at ``index`` along ``axis``, ``fill`` where the index is -1."""
    taken = values[(slice(None),) * (axis % values.ndim) + ([max(i, 0) for i in index],)]
    lacking = [k for k, i in enumerate(index) if i < 0]
    if lacking:
        taken = taken.clone() if isinstance(taken, Tensor) else taken.astype(np.result_type(taken, np.float32))
        taken[(slice(None),) * (axis % values.ndim) + (lacking,)] = fill
    return taken


def body_keypoints(keypoints: _Array, layout: str) -> Tuple[_Array, str]:
    """Keypoints ``[..., J, C]`` of a layout (``J`` its joints, any ``C``) as the format it holds,
    ``[..., J_format, C]``, and that format (:data:`KEYPOINT_LAYOUTS`); a joint the layout lacks
    is missing: NaN, with score 0 where ``C`` is 3.

    >>> kp, fmt = body_keypoints(np.zeros((2, 133, 3)), "coco_wholebody_133")
    >>> kp.shape, fmt
    ((2, 17, 3), 'coco_17')
    """
    index = layout_indices(layout)
    fmt, n = KEYPOINT_LAYOUTS[layout]
    if keypoints.ndim < 2 or keypoints.shape[-2] != n:
        raise ValueError(f"keypoints: expected [..., {n}, C] for {layout}, got {tuple(keypoints.shape)}")
    body = _take(keypoints, index, -2, float("nan"))
    if body.shape[-1] == 3 and min(index) < 0:
        body[..., [k for k, i in enumerate(index) if i < 0], 2] = 0.0
    return body, fmt


def take_body_part(keypoints: _Array, confidence: _Array, format: Optional[str]
                   ) -> Tuple[_Array, _Array, Optional[str]]:
    """``(keypoints [P, J, C], confidence [P, J], format)`` as the model reads them: a layout's
    joints of its format and that format (:func:`body_keypoints`), anything else as it is."""
    layout = keypoint_layout(keypoints.shape[1], format) if keypoints.ndim == 3 else None
    if layout is None:
        return keypoints, confidence, format
    body, fmt = body_keypoints(keypoints, layout)
    return body, _take(confidence, layout_indices(layout), -1, 0.0), fmt


def bone_spread(keypoints, format: Union[str, Skeleton]) -> np.ndarray:
    """``[P]`` each person's mean 2D bone length over the diagonal of their keypoints' box, the
    keypoints ``[P, J, 2 or 3]`` (pixels; a third column is the score, 0 missing; NaN missing)
    read as ``format``'s joints (NaN where fewer than two bones are seen). Read as their own format
    a body's bones join neighbouring points; read as another 17-joint format they jump across the
    body, 1.3-2.3 times as long (``format_evidence``).

    >>> kp = np.array([[[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]])
    >>> from hdnet.graphs import Skeleton
    >>> float(bone_spread(kp, Skeleton("line_3", ["a", "b", "c"], [(0, 1), (1, 2)], root=0))[0])
    0.5
    """
    sk = resolve_skeleton(format)
    kp = np.array(keypoints, dtype=np.float64)
    if kp.ndim != 3 or kp.shape[1] != sk.num_joints or kp.shape[2] not in (2, 3):
        raise ValueError(f"keypoints: expected [P, {sk.num_joints}, 2 or 3] for {sk.name}, got {list(kp.shape)}")
    xy = kp[..., :2]
    if kp.shape[2] == 3:
        xy = np.where((np.nan_to_num(kp[..., 2:], nan=0.0) > 0), xy, np.nan)
    bones = np.asarray(sk.bones)
    length = np.linalg.norm(xy[:, bones[:, 0]] - xy[:, bones[:, 1]], axis=-1)  # [P, B], NaN where unseen
    seen = np.isfinite(length)
    with np.errstate(invalid="ignore", divide="ignore"):
        diag = np.linalg.norm(np.nanmax(np.where(np.isfinite(xy), xy, -np.inf), 1)
                              - np.nanmin(np.where(np.isfinite(xy), xy, np.inf), 1), axis=-1)
        mean = np.where(seen, length, 0.0).sum(1) / seen.sum(1)
        out = mean / diag
    return np.where((seen.sum(1) >= 2) & (diag > 0) & np.isfinite(out), out, np.nan)


def format_evidence(keypoints, candidates) -> Dict[str, float]:
    """``{format: median bone spread}`` of people ``[P, J, 2 or 3]`` read as each candidate format
    of their joint count (:func:`bone_spread`; NaN where nobody has two bones seen): the format
    they are in has the shortest bones: on MuPoTS-3D's annotations (``mupots_17``) the other
    17-joint formats read 1.5-2.2 times as long on every sequence, on the training distribution's
    views 1.3-2.1 times (COCO read as ``h36m_17`` the nearest: 1.32), ``python
    scripts/format_evidence.py``.

    >>> kp = np.random.default_rng(0).uniform(0, 100, (4, 17, 2))
    >>> sorted(format_evidence(kp, ["coco_17", "h36m_17"]))
    ['coco_17', 'h36m_17']
    """
    out = {}
    for fmt in candidates:
        spread = bone_spread(keypoints, fmt)
        out[fmt] = float(np.nanmedian(spread)) if np.isfinite(spread).any() else math.nan
    return out


def likely_format(keypoints, candidates, ratio: float = 1.2, min_people: int = 3) -> Optional[str]:
    """The candidate format people ``[P, J, 2 or 3]`` look like: the one whose bones are shortest
    (:func:`format_evidence`), where every other reads at least ``ratio`` times as long and there
    are ``min_people`` people or more; else None. A hint, never a choice: hdnet asks for the format
    where a joint count fits several (``python scripts/format_evidence.py``: one person alone picks
    the right 17-joint format 82-98 % of the time).

    >>> kp = np.array([[[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]] * 3)
    >>> likely_format(kp, []) is None
    True
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if len(candidates) < 2 or kp.ndim != 3 or len(kp) < min_people:
        return None
    evidence = {f: v for f, v in format_evidence(kp, candidates).items() if np.isfinite(v)}
    if len(evidence) < 2:
        return None
    best = min(evidence, key=lambda f: evidence[f])
    return best if all(v > ratio * evidence[best] for f, v in evidence.items() if f != best) else None


def check_format_name(format: str, formats: Sequence[str], name: str = "format") -> str:
    """``format``'s registered name where it is one of ``formats`` (a model's), else a
    ``ValueError`` listing them (a ``TypeError`` for a non-string); errors begin with ``name``
    (the command line passes its option's)."""
    if not isinstance(format, str):
        raise TypeError(f"{name}: expected a format name, got {type(format).__name__}")
    try:
        registered: Optional[str] = FORMATS.get(format).name
    except LookupError:
        registered = None
    if registered is None or registered not in formats:
        layouts = [k for k, (body, _) in KEYPOINT_LAYOUTS.items() if body in formats]
        raise ValueError(f"{name}: {format!r} is not one of this model's formats {list(formats)}"
                         + (f" or the layouts it reads as one {layouts}" if layouts else ""))
    return registered


def formats_with(num_joints: int, formats: Sequence[str]) -> List[str]:
    """The ``formats`` of ``num_joints`` joints (more than one: the count cannot tell)."""
    return [f for f in formats if FORMATS.get(f).skeleton.num_joints == num_joints]


def resolve_format(num_joints: int, format: Optional[str], formats: Sequence[str],
                   names: Tuple[str, str] = ("format", "keypoints_px")) -> str:
    """The registered name of ``format`` for keypoints of ``num_joints`` joints, or the one of
    ``formats`` with that many joints when ``format`` is None; a ``ValueError`` where the count
    fits several (or none) or does not match ``format``, naming the arguments ``names`` (the
    format's, the keypoints'; the command line passes its options').

    >>> resolve_format(25, None, ["coco_17", "body_25"])
    'body_25'
    """
    fmt_name, kp_name = names
    if format is None:
        fits = formats_with(num_joints, formats)
        if len(fits) != 1:
            raise ValueError(f"{fmt_name}: {num_joints} joints fit {fits or 'none'} of this model's formats "
                             f"{list(formats)}; say which ({fmt_name}{'=...' if fmt_name == 'format' else ''})")
        format = fits[0]
    fmt = check_format_name(format, formats, fmt_name)
    want = FORMATS.get(fmt).skeleton.num_joints
    if num_joints != want:
        raise ValueError(f"{kp_name}: {num_joints} joints, but format {fmt!r} has {want}")
    return fmt


def _joint_key(name: str) -> str:
    """A joint's name compared across tools: no case, ``left_`` / ``right_`` as ``l_`` / ``r_``,
    and a lone ``hip`` as ``pelvis`` (Halpe's and easy_ViTPose's name for the mid-hip)."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    for side, short in (("left_", "l_"), ("right_", "r_")):
        if key.startswith(side):
            key = short + key[len(side):]
    return "pelvis" if key == "hip" else key


def joint_name_differences(names: Sequence[str], format: str) -> List[str]:
    """Where a file's keypoint names (a COCO annotation file's category ``keypoints``) are not the
    joints of ``format`` (a skeleton or layout): ``"k: name (format: joint)"`` for each, compared
    without case and with ``left_`` / ``right_`` as ``l_`` / ``r_``; ``[]`` where they agree.

    >>> joint_name_differences(["nose", "left_eye"] + ["x"] * 15, "coco_17")[:2]
    ['2: x (coco_17: r_eye)', '3: x (coco_17: l_ear)']
    """
    joints = resolve_skeleton(format).joints
    if len(names) != len(joints):
        return [f"{len(names)} keypoints named ({format}: {len(joints)} joints)"]
    return [f"{k}: {n} ({format}: {j})" for k, (n, j) in enumerate(zip(names, joints, strict=True))
            if _joint_key(n) != _joint_key(j)]


def format_of_names(names: Sequence[str], formats: Sequence[str]) -> Optional[str]:
    """The one of ``formats`` (skeletons or layouts) whose joints a file names
    (:func:`joint_name_differences` empty), None where none does: a file that names COCO's
    keypoints declares ``coco_17``.

    >>> coco = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    ...         "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
    ...         "right_knee", "left_ankle", "right_ankle"]
    >>> format_of_names(coco, ["h36m_17", "coco_17", "mupots_17"])
    'coco_17'
    """
    fits = [f for f in formats if not joint_name_differences(names, f)]
    return fits[0] if len(fits) == 1 else None


class KeypointFormatWarning(UserWarning):
    """Keypoints given as one format look like another (:func:`format_mismatch`)."""


def format_mismatch(keypoints, format: str, candidates, ratio: float = 1.2,
                    min_people: int = 3) -> Optional[Tuple[str, float]]:
    """Where people ``[P, J, 2 or 3]`` said to be in ``format`` look like another of the
    ``candidates`` (their joint count's formats): ``(that format, how many times as long their bones
    read as format)``, where it is ``ratio`` or more over ``min_people`` people or more
    (:func:`format_evidence`); else None. On real data the wrong formats read 1.3-2.2 times as
    long, the right one nearest (``python scripts/format_evidence.py``).

    >>> kp = np.array([[[0.0, 0.0], [0.0, 1.0], [0.0, 2.0]]] * 3)
    >>> format_mismatch(kp, "coco_17", ["coco_17"]) is None
    True
    """
    kp = np.asarray(keypoints, dtype=np.float64)
    if len(candidates) < 2 or kp.ndim != 3 or len(kp) < min_people:
        return None
    evidence = {f: v for f, v in format_evidence(kp, candidates).items() if np.isfinite(v)}
    if format not in evidence or len(evidence) < 2:
        return None
    best = min(evidence, key=lambda f: evidence[f])
    times = evidence[format] / evidence[best]
    return (best, float(times)) if best != format and times >= ratio else None


def _unit(v: Tensor) -> Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-9)


def _orthogonal(v: Tensor, to: Tensor) -> Tensor:
    return _unit(v - (v * to).sum(-1, keepdim=True) * to)


def _rotate_about(v: Tensor, axis: Tensor, angle: Tensor) -> Tensor:
    c, s = torch.cos(angle)[:, None], torch.sin(angle)[:, None]
    return v * c + torch.cross(axis, v, dim=-1) * s + axis * (axis * v).sum(-1, keepdim=True) * (1 - c)


class _Draw:
    def __init__(self, b: int, g: Optional[torch.Generator], dtype):
        self.b, self.g, self.dtype = b, g, dtype

    def u(self, lo: float, hi: float) -> Tensor:
        """``[B, 1]`` uniform in ``[lo, hi]`` mm."""
        return (torch.rand(self.b, 1, generator=self.g, dtype=self.dtype) * (hi - lo) + lo)

    def n(self, std: Tensor) -> Tensor:
        """``[B, 3]`` a random vector of per-sample length scale ``std [B, 1]``."""
        return torch.randn(self.b, 3, generator=self.g, dtype=self.dtype) * std


#: How far a small part's drawn size (face, hand, foot) strays from its anatomical one, at
#: ``shift`` 1: log-uniform within this factor either way.
PART_SIZE_RANGE = 1.3


def _part_size(d: _Draw, shift: float) -> Tensor:
    """``[B, 1]`` a per-body size factor for a small part, log-uniform in
    ``[1 / r, r]`` with ``r = PART_SIZE_RANGE ** shift``."""
    span = math.log(PART_SIZE_RANGE) * shift
    return torch.exp(d.u(-span, span))


def _body_axes(J: Dict[str, Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """The torso's ``up``, ``right`` and ``fwd`` unit vectors ``[B, 3]`` from Human3.6M joints."""
    up = _unit(J["thorax"] - J["pelvis"])
    right = _orthogonal(J["r_shoulder"] - J["l_shoulder"], up)
    return up, right, torch.cross(up, right, dim=-1)


def _head_axes(J: Dict[str, Tensor], right: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The head's ``up`` (the skeleton's head bone, Neck/Nose to the Head site), ``right`` (the
    torso's, square to it) and ``fwd`` (where the face looks), unit ``[B, 3]``."""
    up_h = _unit(J["head"] - J["neck_nose"])
    right_h = _orthogonal(right, up_h)
    return up_h, right_h, torch.cross(up_h, right_h, dim=-1)


def face_elevation(h36m: Tensor, up: Tensor) -> Tensor:
    """``[B]`` radians: how far above the horizontal (the plane square to the world's ``up [3]``)
    the synthesized face looks, before the face's random turn, for Human3.6M joints ``[B, 17,
    3]``. The head bone it is built on (Neck/Nose to the Head site) leans back by a different
    amount in each subject's skeleton fit, so for some subjects upright faces look up by tens of
    degrees (``face_pitch`` of :func:`synthesize_keypoints` turns them back)."""
    J = {name: h36m[:, i] for name, i in H36M.items()}
    _, right, _ = _body_axes(J)
    _, _, fwd_h = _head_axes(J, right)
    return torch.asin((fwd_h * up.to(fwd_h)).sum(-1).clamp(-1.0, 1.0))


def _landmarks(h36m: Tensor, g: Optional[torch.Generator], shift: float,
               face_pitch: Optional[Tensor] = None) -> Dict[str, Tensor]:
    """Every point any format needs, ``{name: [B, 3]}``, from Human3.6M joints ``[B, 17, 3]``
    (camera coordinates, mm), with the definitions drawn per body (``shift`` scales how far
    detector definitions stray; ``face_pitch [B]`` radians turns each face down about the
    head's right axis)."""
    J = {name: h36m[:, i] for name, i in H36M.items()}
    b = h36m.shape[0]
    d = _Draw(b, g, h36m.dtype)
    feet = (J["l_ankle"] + J["r_ankle"]) / 2
    height = (J["head"] - feet).norm(dim=-1, keepdim=True).clamp_min(500.0)  # head marker to ankles
    up, right, fwd = _body_axes(J)
    # the head: its own axis, turned left or right of the shoulders (and down by face_pitch)
    up_h, right_h, fwd_h = _head_axes(J, right)
    if face_pitch is not None:  # the skeleton's lean taken out first: the turn is about the head's own up
        c, s_ = torch.cos(face_pitch).to(h36m)[:, None], torch.sin(face_pitch).to(h36m)[:, None]
        up_h = c * up_h + s_ * fwd_h
    right_h = _rotate_about(right_h, up_h, torch.randn(b, generator=g, dtype=h36m.dtype) * 0.35)
    fwd_h = torch.cross(up_h, right_h, dim=-1)
    centre = J["neck_nose"] + 0.55 * (J["head"] - J["neck_nose"])
    out: Dict[str, Tensor] = {}
    out["nose"] = centre + fwd_h * d.u(85, 110) - up_h * d.u(20, 45)
    for side, sign in (("l", -1.0), ("r", 1.0)):
        eye = centre + fwd_h * d.u(70, 90) + up_h * d.u(-10, 10) + right_h * sign * d.u(28, 36)
        out[f"{side}_eye"] = eye
        out[f"{side}_eye_inner"] = eye - right_h * sign * d.u(9, 14)
        out[f"{side}_eye_outer"] = eye + right_h * sign * d.u(9, 14)
        out[f"{side}_ear"] = centre + right_h * sign * d.u(68, 80) - fwd_h * d.u(0, 25) - up_h * d.u(5, 25)
        out[f"{side}_mouth"] = out["nose"] - up_h * d.u(25, 40) - fwd_h * d.u(5, 15) + right_h * sign * d.u(20, 28)
    # the face's size is a definition too (which point of an eye or an ear a detector marks),
    # and where a detector puts the face as a whole: up or down the head's axis by up to 5 % of
    # the height. Small parts drawn at one size would be a ruler, exact in every training view
    # and wrong for every detector: depth would follow a few pixels of eye spacing
    face_size, face = _part_size(d, shift), up_h * height * shift * d.u(-0.05, 0.05)
    for name in list(out):
        out[name] = centre + (out[name] - centre) * face_size + face
    # detector joints: near the motion-capture ones, hips lower and wider, shoulders, knees and
    # ankles up or down their limb by a few per cent (definitions differ)
    for side, sign in (("l", -1.0), ("r", 1.0)):
        hip = J[f"{side}_hip"]
        out[f"{side}_hip"] = (hip - up * height * shift * d.u(0.0, 0.06) + right * sign * height * shift * d.u(0.0, 0.025)
                              + d.n(height * shift * 0.008))
        for name, reach in (("shoulder", 0.03), ("knee", 0.02)):
            out[f"{side}_{name}"] = (J[f"{side}_{name}"] + up * height * shift * d.u(-reach, reach)
                                     + d.n(height * shift * 0.008))
        for name in ("elbow", "wrist"):
            out[f"{side}_{name}"] = J[f"{side}_{name}"] + d.n(height * shift * 0.008)
        # hands, from the forearm
        fore = _unit(J[f"{side}_wrist"] - J[f"{side}_elbow"])
        across = _orthogonal(torch.randn(b, 3, generator=g, dtype=h36m.dtype), fore)
        hand = _part_size(d, shift)
        out[f"{side}_pinky"] = J[f"{side}_wrist"] + (fore * d.u(65, 90) + across * d.u(15, 30)) * hand
        out[f"{side}_index"] = J[f"{side}_wrist"] + (fore * d.u(75, 100) - across * d.u(0, 15)) * hand
        out[f"{side}_thumb"] = J[f"{side}_wrist"] + (fore * d.u(30, 55) - across * d.u(20, 40)) * hand
        # feet, from the shin: toes ahead, the heel behind, both at the sole
        shin = _unit(J[f"{side}_ankle"] - J[f"{side}_knee"])
        foot = _rotate_about(_orthogonal(fwd, shin), shin, torch.randn(b, generator=g, dtype=h36m.dtype) * 0.3 * sign)
        sole = shin * d.u(50, 80)
        # the detector's ankle, and the foot with it, up or down the shin by up to 4 % of the height
        ankle = J[f"{side}_ankle"] + shin * height * shift * d.u(-0.04, 0.04)
        out[f"{side}_ankle"] = ankle + d.n(height * shift * 0.008)
        size = _part_size(d, shift)
        out[f"{side}_heel"] = ankle + (sole - foot * d.u(40, 70)) * size
        out[f"{side}_big_toe"] = ankle + (foot * d.u(130, 170) + sole - right * sign * d.u(0, 20)) * size
        out[f"{side}_small_toe"] = ankle + (foot * d.u(100, 130) + sole + right * sign * d.u(15, 35)) * size
        out[f"{side}_foot_index"] = ankle + (foot * d.u(140, 180) + sole) * size
    out["neck"] = (out["l_shoulder"] + out["r_shoulder"]) / 2 + up * height * d.u(0.0, 0.03)
    out["mid_hip"] = (out["l_hip"] + out["r_hip"]) / 2
    out["pelvis"] = out["mid_hip"]  # Halpe's "hip": the mean of the detector's hips
    out["head"] = J["head"] + up_h * d.u(0, 60)  # Halpe's head: the top of the head
    return out


def synthesize_keypoints(fmt: InputFormat, h36m: Tensor, mupots: Tensor, generator: Optional[torch.Generator] = None,
                         shift: float = 1.0, face_pitch: Optional[Tensor] = None) -> Tensor:
    """``fmt``'s keypoints in 3D ``[B, J, 3]`` (camera coordinates, mm) for bodies given as
    Human3.6M joints ``h36m [B, 17, 3]`` and the same bodies as MuPoTS joints ``mupots [B, 17,
    3]``: MuPoTS and Human3.6M formats are those joints exactly (plus ``shift`` times a small
    per-joint definition jitter); detector formats are built from the body (see the module),
    each face turned down by ``face_pitch [B]`` radians where given (see :func:`face_elevation`)."""
    sk = fmt.skeleton
    if fmt.name == "mupots_17" or fmt.name == "h36m_17":
        base = mupots if fmt.name == "mupots_17" else h36m
        height = (base.amax(1) - base.amin(1)).norm(dim=-1)[:, None, None].clamp_min(500.0)
        return base + torch.randn(base.shape, generator=generator, dtype=base.dtype) * height * 0.006 * shift
    points = _landmarks(h36m, generator, shift, face_pitch)
    missing = [j for j in sk.joints if j not in points]
    if missing:
        raise ValueError(f"format: {fmt.name!r} needs {missing}, which the synthesis does not make")
    return torch.stack([points[j] for j in sk.joints], 1)
