"""HDNet's person-level half driven by 2D keypoints: camera-space root and absolute 3D pose.

:class:`KeypointHDNet` takes a person's 2D keypoints in any of its formats (a detector's joint
set: COCO-17, Halpe-26, OpenPose BODY_25, BlazePose-33, or the Human3.6M and MuPoTS-3D
annotation sets; :mod:`hdnet.keypoint.formats`) with the camera, and answers where the person
stands and how: the root's camera-space position in mm with a calibrated uncertainty, the
root-relative 3D pose, and the absolute 3D joints. It is built from the library's own layers: a
:class:`~hdnet.layers.SkeletonGNN` over the keypoints and a :class:`~hdnet.layers.DepthBinHead`
for the depth, beside a residual lifting network for the pose.

Depth as HDNet frames it. HDNet bins ``d = Z / f_bins`` where ``f_bins`` is the focal length
scaled to the person's crop: ``d`` is then the person's size as the network sees it. Here the
keypoints are in normalised camera coordinates (pixels undistorted and divided by the focal
length, so any camera works) and each person is framed by the longer side ``s`` of its
keypoints' box; the bin focal length is ``1 / s``, so the bins hold ``d = Z s``, the person's
extent in mm (about 0.5-3 m whatever the distance), and ``Z = d / s``.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..camera import CameraLike, Cameras, as_cameras
from ..core.checkpoint import Checkpointable, CheckpointError
from ..core.checks import check_tensor, is_tracing
from ..core.registry import Registry
from ..graphs import Skeleton, get_skeleton
from ..layers import DepthBinHead, DepthBins, SkeletonGNN
from .formats import (
    FORMATS,
    INPUT_FORMATS,
    KEYPOINT_LAYOUTS,
    KeypointFormatWarning,
    check_format_name,
    format_mismatch,
    formats_with,
    layout_indices,
    layout_name,
    resolve_format,
    take_body_part,
)
from .height import check_heights, require_reference_height
from .inputs import normalize_keypoints, person_scale, turn_towards_axis

__all__ = ["KeypointHDNet", "KeypointOutput", "KeypointTrainingOutput", "union_skeleton", "MIN_CONFIDENCE", "MIN_JOINTS",
           "placeable", "OUTPUTS",
           "shipped_weights_path", "ONNX_OUTPUTS", "SHIPPED_WEIGHTS",
           "KNOWN_CAMERA_TOLERANCE"]

#: Keypoints in a box narrower than this (in normalised units, ~0.25 px at f = 1000) are refused.
MIN_SCALE = 2.5e-4
#: Scores below this are missing joints (a detector's near-zero score says nothing about where).
MIN_CONFIDENCE = 0.1
#: A person needs at least this many joints seen (score at least :data:`MIN_CONFIDENCE`): their
#: size in the image, and so their depth, is measured between two.
MIN_JOINTS = 2
#: How far from the optical axis the keypoint model's training views reach (degrees): a 90 degree
#: horizontal field of view (``VirtualCameraConfig.hfov_deg``) at a 16:9 image's corner is 49.
WIDEST_TRAINED_DEG = 50.0
#: People further than :data:`WIDEST_TRAINED_DEG` off the optical axis are seen through a view
#: turned towards them (:func:`~hdnet.keypoint.inputs.turn_towards_axis`), fully from this angle
#: on (degrees); nobody within the trained views is moved.
FULL_TURN_DEG = 60.0


def placeable(keypoints, confidence=None) -> np.ndarray:
    """``[P]`` bool: which people of ``keypoints [P, J, 2]`` (pixels or normalised; NaN: missing)
    with ``confidence [P, J]`` (default 1; NaN: 0) the model can place: at least
    :data:`MIN_JOINTS` finite joints with a score of at least :data:`MIN_CONFIDENCE`
    (:meth:`KeypointHDNet.predict` refuses the others). A detector's people whose every joint
    is occluded, or a video frame where someone is hidden, are the usual ones it is not.

    >>> import numpy as np
    >>> kp = np.zeros((2, 3, 2))
    >>> placeable(kp, np.array([[0.9, 0.2, 0.0], [0.9, 0.05, 0.0]])).tolist()
    [True, False]
    """
    kp = np.asarray(keypoints, np.float64)
    if kp.ndim != 3 or kp.shape[-1] < 2:
        raise ValueError(f"keypoints: expected [P, J, 2], got shape {kp.shape}")
    conf = (np.ones(kp.shape[:2]) if confidence is None
            else np.nan_to_num(np.asarray(confidence, np.float64), nan=0.0))
    if conf.shape != kp.shape[:2]:
        raise ValueError(f"confidence: expected [P, J] = {list(kp.shape[:2])}, got shape {conf.shape}")
    seen = (conf >= MIN_CONFIDENCE) & np.isfinite(kp[..., :2]).all(-1)
    return seen.sum(1) >= MIN_JOINTS


def _refuse_fractions(kp: Tensor, conf: Tensor, cameras: Cameras) -> None:
    """Refuse people given as fractions of the image (MediaPipe's normalised landmarks, a
    detector's ``normalize=True``, OpenPose's ``--keypoint_scale`` 3 and 4) to a camera in pixels:
    every seen point within ``[-1, 1]`` while the principal point lies past 2 px. Read as pixels
    they would be a person a pixel tall, placed kilometres away without a word."""
    seen = (conf >= MIN_CONFIDENCE) & torch.isfinite(kp).all(-1)
    inside = (kp.abs() <= 1).all(-1) | ~seen
    pixel_camera = (cameras.intrinsics[:, 2:] > 2.0).all(-1)
    bad = (inside.all(1) & (seen.sum(1) >= MIN_JOINTS) & pixel_camera).nonzero().flatten().tolist()
    if bad:
        raise ValueError(f"keypoints_px: every keypoint of people {bad[:10]} lies within [-1, 1] while their camera's "
                         "principal point is in pixels: fractions of the image (MediaPipe's normalised landmarks, "
                         "normalize=True, OpenPose's --keypoint_scale 3 or 4)? Give pixels: for [0, 1] multiply x by "
                         "the image's width and y by its height; for [-1, 1] add 1 first and halve")


#: The farthest a seen keypoint may lie from the optical axis, in normalised coordinates
#: (``|X / Z|``, ``|Y / Z|``): 10,000 is 89.994 degrees. Past it no lens shows a point; the camera
#: given is not the keypoints' (a principal point or focal length of another image or unit).
MAX_RAY = 1e4


def _refuse_off_the_axis(xy: Tensor, conf: Tensor) -> None:
    """Refuse people whose seen keypoints, through their camera, lie past :data:`MAX_RAY`: the
    network's answers there would be NaN or nonsense, blamed on nothing."""
    far = ((xy.abs() > MAX_RAY).any(-1) & (conf > 0)).any(1)
    if bool(far.any()):
        bad = far.nonzero().flatten().tolist()
        worst = float(xy[far].abs().nan_to_num(nan=0.0).max())
        raise ValueError(f"cameras: the keypoints of people {bad[:10]} lie all but 90 degrees off their camera's axis "
                         f"(normalised coordinates up to {worst:.3g}): its principal point or focal length is not "
                         "these keypoints' (another image's or resolution's, or in other units)")


#: The 3D joint sets the model answers in (every format answers in one of them).
OUTPUTS = ("mupots_17", "h36m_17")


#: The outputs of an ONNX export, in order (:meth:`KeypointHDNet.onnx_signature`).
ONNX_OUTPUTS = ("root_mm", "joints_rel_mm", "joints_mm", "depth_mm", "depth_std_mm")


class _KeypointExport(nn.Module):
    """One format of a keypoint model with positional inputs and a tuple of outputs; for a layout
    (:data:`~hdnet.keypoint.formats.KEYPOINT_LAYOUTS`), its points are taken first: the format's
    joints by index, those the layout lacks missing (score 0)."""

    def __init__(self, model: "KeypointHDNet", format: str, layout: Optional[str] = None):
        super().__init__()
        self.model, self.format = model, format
        index = layout_indices(layout) if layout is not None else None
        self.index: Optional[Tensor] = torch.tensor([max(i, 0) for i in index]) if index else None
        self.present: Optional[Tensor] = torch.tensor([float(i >= 0) for i in index]) if index else None

    def forward(self, keypoints_norm: Tensor, confidence: Tensor):
        if self.index is not None and self.present is not None:
            index, present = self.index.to(keypoints_norm.device), self.present.to(keypoints_norm)
            keypoints_norm = keypoints_norm[:, index] * present[:, None]
            confidence = confidence[:, index] * present
        out = self.model(keypoints_norm, confidence, self.format)
        return tuple(getattr(out, k) for k in ONNX_OUTPUTS)


#: The trained models that ship in the package, by name: their files under ``keypoint/weights``
#: (docs/model-card.md). ``keypoint``: any camera, any of the six formats (the default);
#: ``h36m_studio``: the lifting benchmarks' model, Human3.6M's ground-truth 2D through its four
#: studio cameras only (``--recipe lifting``; its roots are not meaningful elsewhere).
SHIPPED_WEIGHTS: Registry[str] = Registry("shipped weights")
SHIPPED_WEIGHTS.register("keypoint", "keypoint_hdnet.pt")
SHIPPED_WEIGHTS.register("h36m_studio", "keypoint_hdnet_h36m_studio.pt")


def shipped_weights_path(weights: str = "keypoint") -> Path:
    """Where the package keeps the trained model ``weights`` (:data:`SHIPPED_WEIGHTS`;
    :meth:`KeypointHDNet.pretrained`)."""
    return Path(__file__).resolve().parent / "weights" / SHIPPED_WEIGHTS.get(weights)


#: A camera is one of a model's ``known_cameras`` when its focal lengths are within this
#: fraction of one of them and its principal point within this fraction of that focal length.
KNOWN_CAMERA_TOLERANCE = 0.05


def _check_known_cameras(value) -> Optional[List[List[float]]]:
    """``known_cameras`` as stored: None, or a non-empty list of ``[fx, fy, cx, cy]`` (finite,
    focal lengths positive)."""
    if value is None:
        return None
    ok = isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(c, (list, tuple)) and len(c) == 4
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in c)
        and c[0] > 0 and c[1] > 0 for c in value)
    if not ok:
        raise ValueError(f"data: known_cameras must be a non-empty list of [fx, fy, cx, cy] with positive "
                         f"focal lengths, got {value!r}")
    return [[float(v) for v in c] for c in value]


def _matches_known_cameras(intrinsics: Tensor, known: Sequence[Sequence[float]]) -> Tensor:
    """``[N]`` bool: which of ``intrinsics [N, 4]`` is one of ``known`` (within
    :data:`KNOWN_CAMERA_TOLERANCE`)."""
    k = torch.tensor(known, dtype=torch.float64)[None]  # [1, K, 4]
    x = intrinsics.detach().to("cpu", torch.float64)[:, None]  # [N, 1, 4]
    focal = ((x[..., :2] / k[..., :2] - 1).abs() <= KNOWN_CAMERA_TOLERANCE).all(-1)
    centre = ((x[..., 2:] - k[..., 2:]).abs() <= KNOWN_CAMERA_TOLERANCE * k[..., :1]).all(-1)
    return (focal & centre).any(-1)


class KeypointTrainingOutput(NamedTuple):
    """What training reads besides the output: the root-relative pose in every output joint set
    (``{name: [P, J, 3]}`` mm) and the uncalibrated standard deviation of ``log Z`` ``[P]``."""

    output: "KeypointOutput"
    poses: Dict[str, Tensor]
    log_depth_sigma: Tensor


class KeypointOutput(NamedTuple):
    """What :class:`KeypointHDNet` returns, per person (mm, camera coordinates). The joints are
    those of the format's output skeleton (``model.output_skeleton(format)``)."""

    root_mm: Tensor  #: ``[P, 3]``
    joints_rel_mm: Tensor  #: ``[P, J, 3]`` root-relative pose (the root at 0)
    joints_mm: Tensor  #: ``[P, J, 3]`` absolute joints, ``root_mm + joints_rel_mm``
    depth_mm: Tensor  #: ``[P]`` the root's Z
    depth_std_mm: Tensor  #: ``[P]`` its calibrated uncertainty (one standard deviation), mm
    bin_probs: Tensor  #: ``[P, K]`` bin probabilities over ``d = Z s``
    bin_index: Tensor  #: ``[P]`` soft-argmax bin index
    scale: Tensor  #: ``[P]`` ``s``, the keypoints' box side in normalised units
    root_2d_norm: Tensor  #: ``[P, 2]`` where the root is seen, normalised coordinates


def union_skeleton(formats: Sequence[str]) -> Skeleton:
    """One graph over every joint name of ``formats`` (first appearance order) with every bone
    of each: the model's input slots. A name means one place on the body in every format (where
    definitions differ, the model's format input tells them apart)."""
    names: List[str] = []
    bones = set()
    for f in formats:
        sk = FORMATS.get(f).skeleton
        for j in sk.joints:
            if j not in names:
                names.append(j)
        for a, b in sk.bones:
            i, k = names.index(sk.joints[a]), names.index(sk.joints[b])
            bones.add((min(i, k), max(i, k)))
    return Skeleton("keypoint_union", tuple(names), tuple(sorted(bones)), names.index("pelvis") if "pelvis" in names
                    else 0, source="the joints of the keypoint model's formats")


class _Residual(nn.Module):
    """``x + f(x)`` with ``f`` = (linear, LayerNorm, ReLU, dropout) twice."""

    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width), nn.ReLU(), nn.Dropout(dropout),
                               nn.Linear(width, width), nn.LayerNorm(width), nn.ReLU(), nn.Dropout(dropout))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.f(x)


class KeypointHDNet(Checkpointable, nn.Module):
    r"""2D keypoints (any of its formats) + camera -> root, root-relative and absolute 3D pose.

    For person :math:`p` with normalised keypoints :math:`\mathbf{u}_j`, scores :math:`c_j`,
    box side :math:`s` and reference point :math:`\mathbf{u}_r` (the format's centre joints, else
    the scores' centroid), each joint fills its slot of the formats' union graph with
    :math:`[(\mathbf{u}_j - \mathbf{u}_r) c_j / s,\ c_j]` (zeros where missing). A
    :class:`~hdnet.layers.SkeletonGNN` over the union graph (with the format as an input of every
    node) gives a body feature :math:`\mathbf{g}`; a residual network on all slots, the format,
    :math:`\mathbf{u}_r` and :math:`\mathbf{g}` (with ``scale_input``, also :math:`\log s`) gives
    :math:`\mathbf{h}`, and from it

    .. math::
        \hat d = \mathrm{DepthBinHead}(\mathbf{h};\ f = 1/s), \quad Z = \hat d / s, \quad
        \mathbf{u}_{root} = \mathbf{u}_r + s\,\Delta(\mathbf{h}), \quad
        \mathbf{X}_{root} = (u_{root,x} Z,\ u_{root,y} Z,\ Z),

    the root-relative pose :math:`\mathbf{X}_j - \mathbf{X}_{root}` (both output joint sets,
    metres), and :math:`\sigma` of :math:`\log Z` (the depth's uncertainty, times the calibration
    ``depth_std_scale``).

    Args:
        formats: the input formats (:data:`~hdnet.keypoint.formats.INPUT_FORMATS` by default).
        channels, num_layers: the GNN.
        width, blocks, dropout: the lifting network (residual blocks of two linear layers).
        bins: depth bins over ``d = Z s`` in mm (default 61 log bins, 300-5000 mm).
        scale_input: the lifting network also reads :math:`\log s`, how large the person is in
            the image. Through a few fixed cameras (Human3.6M's, the lifting recipe) where a
            person stands and how large they look tell their size, so the pose can have it;
            through any camera they do not, and the shipped model leaves it out.

    Checkpoint data (plain values that travel with the weights): ``skeleton_fit_scale`` (the
    geometric baseline's scale on the training poses), ``depth_std_scale`` (the uncertainty's
    calibration), and for known heights (:mod:`hdnet.keypoint.height`) ``reference_height_mm``
    and ``reference_length_mm`` (the standing height and skeleton length the depths assume) with
    ``known_height_std_scale`` (the uncertainty's calibration when the height is known); and for
    a model trained through a few fixed cameras only (the lifting recipe), ``known_cameras``,
    their intrinsics ``[fx, fy, cx, cy]``: :meth:`predict` warns when a camera matches none of
    them (:data:`KNOWN_CAMERA_TOLERANCE`) and when asked to flip such a model's people.

    Shapes:
        - **keypoints_norm** ``[P, J, 2]`` of ``format`` (see
          :func:`~hdnet.keypoint.normalize_keypoints`), **confidence** ``[P, J]`` in ``[0, 1]``
          (below :data:`MIN_CONFIDENCE`, or NaN coordinates: missing; default all 1).
        - output: :class:`KeypointOutput` in the format's output joints. P = 0 gives empty outputs.

    Use :meth:`predict` for pixels and cameras, :meth:`pretrained` for the shipped weights.
    """

    weightless_config = ("dropout",)
    config_defaults = {"scale_input": False}  # checkpoints from before the option
    config_limits = {"channels": (1, 4096), "num_layers": (1, 64), "width": (1, 8192), "blocks": (0, 64),
                     "bins.num_bins": (2, 4096)}

    def __init__(self, formats: Sequence[str] = INPUT_FORMATS, *, channels: int = 64, num_layers: int = 2,
                 width: int = 512, blocks: int = 2, dropout: float = 0.1, bins: Optional[DepthBins] = None,
                 scale_input: bool = False):
        super().__init__()
        if not isinstance(scale_input, bool):
            raise TypeError(f"scale_input: expected a bool, got {type(scale_input).__name__}")
        self.formats = tuple(FORMATS.get(f).name for f in formats)
        if not self.formats or len(set(self.formats)) != len(self.formats):
            raise ValueError(f"formats: expected distinct formats, got {list(formats)}")
        self.union = union_skeleton(self.formats)
        self.slots = {f: [self.union.joints.index(j) for j in FORMATS.get(f).skeleton.joints] for f in self.formats}
        self.bins = DepthBins(300.0, 5000.0, 61, "log", focal_normalized=True) if bins is None else bins
        if not self.bins.focal_normalized:
            raise ValueError("bins: KeypointHDNet bins d = Z s with the focal length 1 / s; pass "
                             "focal_normalized=True bins")
        self.channels, self.width, self.blocks, self.dropout = channels, width, blocks, float(dropout)
        self.scale_input = scale_input
        n_f, n_u = len(self.formats), self.union.num_joints
        self.embed = nn.Linear(3 + n_f, channels)
        # LayerNorm, not BatchNorm: each training batch holds one format, and a person's answer
        # must not depend on who else is in the batch
        self.gnn = SkeletonGNN(self.union, channels, num_layers=num_layers, norm="layer")
        n_in = 3 * n_u + n_f + 2 + int(scale_input) + channels
        self.lift_in = nn.Sequential(nn.Linear(n_in, width), nn.LayerNorm(width), nn.ReLU(),
                                     nn.Dropout(dropout))
        self.lift = nn.Sequential(*[_Residual(width, dropout) for _ in range(blocks)])
        self.outputs = OUTPUTS
        self.pose_out = nn.Linear(width, sum(get_skeleton(o).num_joints for o in OUTPUTS) * 3)
        self.bin_head = DepthBinHead(width, self.bins)
        self.root_out = nn.Linear(width, 2)
        self.sigma_out = nn.Linear(width, 1)
        self.skeleton_fit_scale = 1.0
        self.depth_std_scale = 1.0
        # what a known height needs (hdnet.keypoint.height); None: not measured (older checkpoints)
        self.reference_length_mm: Optional[float] = None
        self.reference_height_mm: Optional[float] = None
        self.known_height_std_scale: Optional[float] = None
        # the only cameras it was trained through ([fx, fy, cx, cy] each); None: any camera
        self.known_cameras: Optional[List[List[float]]] = None
        self.preprocessing = None  # keypoints need no image framing

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters") and not isinstance(m, (SkeletonGNN, KeypointHDNet)):
                m.reset_parameters()  # type: ignore[operator]
        self.gnn.reset_parameters()

    # ------------------------------------------------------------------ formats
    def check_format(self, format: str) -> str:
        """The format's registered name, or a ``ValueError`` listing this model's formats."""
        return check_format_name(format, self.formats)

    def input_skeleton(self, format: str) -> Skeleton:
        """The joints of ``format``'s keypoints (what :meth:`predict` takes)."""
        return FORMATS.get(self.check_format(format)).skeleton

    def output_skeleton(self, format: str) -> Skeleton:
        """The 3D joints the model answers in for ``format`` (``mupots_17`` or ``h36m_17``)."""
        return get_skeleton(FORMATS.get(self.check_format(format)).output)

    def format_of(self, num_joints: int, format: Optional[str] = None,
                  names: Tuple[str, str] = ("format", "keypoints_px")) -> str:
        """The registered name of ``format`` for keypoints of ``num_joints`` joints, or the one
        format of the model with that many joints when ``format`` is None; a ``ValueError`` where
        the count fits several (or none) or does not match ``format``, naming the arguments
        ``names`` (the format's, the keypoints'; the command line passes its options')."""
        return resolve_format(num_joints, format, self.formats, names)

    def formats_for(self, num_joints: int) -> List[str]:
        """The model's formats with ``num_joints`` joints (more than one: the count cannot tell)."""
        return formats_with(num_joints, self.formats)

    # ------------------------------------------------------------------ checkpoints
    @classmethod
    def pretrained(cls, input_format: Optional[str] = None, map_location: Any = "cpu",
                   weights: str = "keypoint") -> "KeypointHDNet":
        """Shipped weights (docs/model-card.md), in eval mode. ``keypoint``: trained on Human3.6M
        motion capture, subjects S1, S5, S6, S7, S8, through virtual cameras, every format of
        :data:`~hdnet.keypoint.formats.INPUT_FORMATS`: any camera, any detector.
        ``h36m_studio``: the same subjects' ground-truth ``h36m_17`` 2D through Human3.6M's four
        studio cameras only (the lifting benchmarks' setting): the root-relative pose for the
        Human3.6M protocol, nothing else.

        Args:
            input_format: the format you will give it (or a layout holding one, such as
                ``coco_wholebody_133``), checked (a ``ValueError`` lists the model's formats
                and layouts); None: any of them.
            weights: which (:data:`SHIPPED_WEIGHTS`; an unknown name lists them).

        The weights are research-only, as Human3.6M is (see the model card).
        """
        path = shipped_weights_path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"pretrained: this install of hdnet has no shipped weights ({path} is "
                                    "missing: installed without its package data?)")
        model = cls.from_checkpoint(path, map_location=map_location)
        if input_format is not None:
            model.read_format(input_format)
        return model

    def config(self) -> dict:
        return {"formats": list(self.formats), "channels": self.channels, "num_layers": self.gnn.num_layers,
                "width": self.width, "blocks": self.blocks, "dropout": self.dropout, "bins": self.bins.config(),
                "scale_input": self.scale_input}

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[dict] = None) -> "KeypointHDNet":
        try:
            return cls(tuple(config["formats"]), channels=config["channels"], num_layers=config["num_layers"],
                       width=config["width"], blocks=config["blocks"], dropout=config.get("dropout", 0.1),
                       bins=DepthBins(**config["bins"]), scale_input=config.get("scale_input", False))
        except KeyError as e:
            raise ValueError(f"architecture: the stored config lacks {e}") from None

    #: Checkpoint data: name -> the open interval its value must lie in; the height ones may be
    #: absent (checkpoints from before they were measured).
    _DATA_RANGES = {"skeleton_fit_scale": (0, 100), "depth_std_scale": (0, 100), "reference_length_mm": (300, 5000),
                    "reference_height_mm": (300, 5000), "known_height_std_scale": (0, 100)}
    _HEIGHT_DATA = ("reference_length_mm", "reference_height_mm", "known_height_std_scale")

    def checkpoint_data(self) -> dict:
        data: Dict[str, Any] = {k: getattr(self, k) for k in self._DATA_RANGES if getattr(self, k) is not None}
        if self.known_cameras is not None:
            data["known_cameras"] = [list(c) for c in self.known_cameras]
        return data

    def load_checkpoint_data(self, data: dict) -> None:
        for key, (lo, hi) in self._DATA_RANGES.items():
            value = data.get(key, getattr(self, key))
            if value is None and key in self._HEIGHT_DATA:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo < value < hi:
                raise ValueError(f"data: {key} must be a number in ({lo}, {hi}), got {value!r}")
            setattr(self, key, float(value))
        if len({getattr(self, k) is None for k in self._HEIGHT_DATA}) > 1:
            raise ValueError(f"data: {', '.join(self._HEIGHT_DATA)} come together; this checkpoint has only some")
        self.known_cameras = _check_known_cameras(data.get("known_cameras"))

    def load_weights_from(self, other: Checkpointable) -> None:
        """Start from ``other``'s weights; a model with ``scale_input`` starts from one without
        it as that model: the new input's weights are zero, so the answers are the same until
        training moves them."""
        if not isinstance(other, KeypointHDNet) or other.scale_input == self.scale_input:
            return super().load_weights_from(other)
        if other.scale_input:
            raise CheckpointError("scale_input: the weights read the person's image size (scale_input), this model "
                                  "does not; start it from a model without it")
        state = other.state_dict()
        extra = dict(state["_extra_state"])
        extra["architecture"] = dict(extra["architecture"], scale_input=True)
        state["_extra_state"] = extra
        w = state["lift_in.0.weight"]
        at = w.shape[1] - other.channels  # log s goes in just before the GNN's feature (forward)
        state["lift_in.0.weight"] = torch.cat([w[:, :at], w.new_zeros(w.shape[0], 1), w[:, at:]], 1)
        self.load_state_dict(state)

    # ------------------------------------------------------------------ export
    def read_format(self, format: Optional[str]) -> Tuple[str, Optional[str], Skeleton]:
        """``(format, layout or None, the joints taken)`` of keypoints given as ``format``: one of
        the model's formats, or a layout holding one (:data:`~hdnet.keypoint.formats.KEYPOINT_LAYOUTS`:
        a detector's whole output, its format's points read from it, as :meth:`predict` and an
        export read them); None: the model's one format. A ``ValueError`` lists both."""
        if format is None:
            if len(self.formats) != 1:
                raise ValueError(f"format: this model reads {list(self.formats)}; export one of them (format=...)")
            format = self.formats[0]
        layout = layout_name(format)
        if isinstance(layout, str) and layout in KEYPOINT_LAYOUTS:
            body = KEYPOINT_LAYOUTS[layout][0]
            if body not in self.formats:
                raise ValueError(f"format: {format!r} holds {body}'s keypoints, which this model does not read (its "
                                 f"formats: {list(self.formats)})")
            return self.check_format(body), layout, get_skeleton(layout)
        fmt = self.check_format(format)
        return fmt, None, FORMATS.get(fmt).skeleton

    def onnx_signature(self, num_people: int = 1, dynamic_people: bool = True, format: Optional[str] = None):
        """What :func:`hdnet.models.export_onnx` exports for one input ``format`` (required when
        the model has more than one; a layout such as ``coco_wholebody_133`` takes the detector's
        every point and reads its format's in the graph): inputs ``keypoints_norm [P, J, 2]``
        (normalised camera coordinates: :func:`~hdnet.keypoint.normalize_keypoints` of the pixels,
        outside the graph because undistortion iterates) and ``confidence [P, J]``; outputs
        :data:`ONNX_OUTPUTS`. Every person needs two joints with a score of at least
        :data:`MIN_CONFIDENCE` (checked eagerly, not in the graph)."""
        fmt, layout, taken = self.read_format(format)
        j = taken.num_joints
        people = max(num_people, 2) if dynamic_people else num_people  # 1 would be specialised
        angle = torch.linspace(0, 6.28, j)
        kp = torch.stack([torch.cos(angle), torch.sin(angle)], -1)[None].repeat(people, 1, 1) * 0.1
        args = (kp, torch.ones(people, j))
        dynamic = None
        if dynamic_people:
            p = torch.export.Dim("people", min=1, max=1 << 16)
            dynamic = ({0: p}, {0: p})
        return _KeypointExport(self, fmt, layout), args, ("keypoints_norm", "confidence"), ONNX_OUTPUTS, dynamic

    def onnx_example(self, format: Optional[str] = None, num_people: int = 3, **_) -> Dict[str, Tensor]:
        """Random but valid inputs of the file :meth:`onnx_signature` exports for ``format``:
        ``{"keypoints_norm", "confidence"}`` of ``num_people`` people (scores 0.2-1)."""
        j = self.read_format(format if format is not None else self.formats[0])[2].num_joints
        g = torch.Generator().manual_seed(0)
        return {"keypoints_norm": torch.randn(num_people, j, 2, generator=g) * 0.1,
                "confidence": torch.rand(num_people, j, generator=g) * 0.8 + 0.2}

    def onnx_description(self, format: Optional[str] = None, **_) -> dict:
        """What the file :meth:`onnx_signature` exports for ``format`` takes and gives, as plain
        data (written into its metadata, ``hdnet.signature``): the format, the input and output
        joints in order, and each input and output's shape, units and meaning."""
        fmt, layout, taken = self.read_format(format if format is not None else self.formats[0])
        spec = FORMATS.get(fmt)
        out_sk = get_skeleton(spec.output)
        j, jo = taken.num_joints, out_sk.num_joints
        read = {} if layout is None else {
            "layout": layout, "reads": f"{fmt}'s joints of these points, by name; "
            + ("the rest are not used" if min(layout_indices(layout)) >= 0 else
               f"{[n for n, i in zip(spec.skeleton.joints, layout_indices(layout), strict=True) if i < 0]} missing")}
        return {
            "format": fmt, **read, "input_joints": list(taken.joints), "output_joints": list(out_sk.joints),
            "inputs": {
                "keypoints_norm": f"[P, {j}, 2] float32, normalised camera coordinates ((u - cx) / fx, (v - cy) / fy) "
                                  "after undoing the lens (hdnet.keypoint.normalize_keypoints); NaN where missing",
                "confidence": f"[P, {j}] float32, the detector's scores in [0, 1]; under {MIN_CONFIDENCE} a missing "
                              f"joint; each person needs {MIN_JOINTS} joints seen (not checked in the graph)"},
            "outputs": {
                "root_mm": "[P, 3] the root in camera coordinates (x right, y down, z forward), mm",
                "joints_rel_mm": f"[P, {jo}, 3] the output joints relative to the root, mm",
                "joints_mm": f"[P, {jo}, 3] the output joints in camera coordinates, mm",
                "depth_mm": "[P] the root's depth, mm",
                "depth_std_mm": "[P] the standard deviation of that depth, mm (calibrated: docs/real.md)"},
            "known_height": "a person of standing height H mm: multiply root_mm, joints_rel_mm, joints_mm and "
                            "depth_mm by H / data.reference_height_mm, and depth_std_mm by that times "
                            "data.known_height_std_scale / data.depth_std_scale",
        }

    # ------------------------------------------------------------------ forward
    def forward(self, keypoints_norm: Tensor, confidence: Optional[Tensor] = None, format: str = "mupots_17",
                *, with_training_outputs: bool = False):
        fmt = self.check_format(format)
        spec = FORMATS.get(fmt)
        j = spec.skeleton.num_joints
        check_tensor(keypoints_norm, "keypoints_norm", f"[P, {j}, 2]", shape=(None, j, 2))
        p = keypoints_norm.shape[0]
        dtype = self.embed.weight.dtype  # float32 unless the model was cast (model.double())
        kp = keypoints_norm.to(dtype)
        if confidence is None:
            conf = torch.ones(p, j, device=kp.device, dtype=dtype)
        else:
            check_tensor(confidence, "confidence", f"[P, {j}]", shape=(p, j))
            conf = torch.nan_to_num(confidence.to(dtype), nan=0.0).clamp(0, 1)
        out_sk = get_skeleton(spec.output)
        if p == 0 and not is_tracing():
            z = kp.new_zeros(0)
            jo = out_sk.num_joints
            return KeypointOutput(kp.new_zeros(0, 3), kp.new_zeros(0, jo, 3), kp.new_zeros(0, jo, 3), z, z,
                                  kp.new_zeros(0, self.bins.num_bins), z, z, kp.new_zeros(0, 2))
        vis = (conf >= MIN_CONFIDENCE) & torch.isfinite(kp).all(-1)
        conf = conf * vis
        kp = torch.where(vis[..., None], kp, torch.zeros_like(kp))
        if not is_tracing():
            few = (vis.sum(1) < MIN_JOINTS).nonzero().flatten().tolist()
            if few:
                raise ValueError(f"keypoints: people {few} have fewer than {MIN_JOINTS} joints with a score of at "
                                 f"least {MIN_CONFIDENCE}; a person's size (and so its depth) needs two "
                                 "(hdnet.keypoint.model.placeable says which people can be placed)")
        # beyond the trained views, a camera turned towards the person (R = I for everyone else)
        kp, turn = turn_towards_axis(kp, vis, WIDEST_TRAINED_DEG, FULL_TURN_DEG)
        s = person_scale(kp, conf)
        if not is_tracing() and bool((s < MIN_SCALE).any()):
            bad = (s < MIN_SCALE).nonzero().flatten().tolist()
            raise ValueError(f"keypoints: people {bad} span less than {MIN_SCALE:g} normalised units "
                             "(a fraction of a pixel); their size cannot be measured")
        ref_idx = [spec.skeleton.joints.index(n) for n in spec.reference]
        ref_vis = vis[:, ref_idx].all(1)
        ref = kp[:, ref_idx].mean(1)
        centre = (kp * conf[..., None]).sum(1) / conf.sum(1, keepdim=True).clamp_min(1e-9)
        u_ref = torch.where(ref_vis[:, None], ref, centre)
        rel = (kp - u_ref[:, None]) / s[:, None, None]
        node = torch.cat([rel * conf[..., None], conf[..., None]], -1)  # [P, J, 3]
        slots = torch.zeros(p, self.union.num_joints, 3, device=kp.device, dtype=kp.dtype)
        slots[:, self.slots[fmt]] = node
        onehot = F.one_hot(torch.tensor(self.formats.index(fmt), device=kp.device), len(self.formats)).to(kp.dtype)
        onehot = onehot.expand(p, -1)
        x = torch.cat([slots, onehot[:, None].expand(p, self.union.num_joints, -1)], -1)
        g = self.gnn(torch.relu(self.embed(x))).graph
        extra = [s.log()[:, None]] if self.scale_input else []
        h = self.lift(self.lift_in(torch.cat([slots.flatten(1), onehot, u_ref, *extra, g], -1)))
        focal = 1.0 / s
        depth = self.bin_head(h, focal, focal)
        z = depth.depth_mm
        assert z is not None
        root_2d = u_ref + s[:, None] * self.root_out(h)
        root_mm = torch.cat([root_2d * z[:, None], z[:, None]], -1)
        poses = self.pose_out(h).reshape(p, -1, 3) * 1000.0
        k = OUTPUTS.index(spec.output)
        start = sum(get_skeleton(o).num_joints for o in OUTPUTS[:k])
        pose = poses[:, start:start + out_sk.num_joints]
        pose = pose - pose[:, out_sk.root:out_sk.root + 1]
        sigma = F.softplus(self.sigma_out(h)[:, 0]) + 1e-3  # of log Z, before calibration
        back = turn.to(kp.dtype)  # the turned view's answers in the camera's axes: R^T X (exact for R = I)
        root_cam = (root_mm[:, None] @ back)[:, 0]
        ray = (torch.cat([root_2d, torch.ones_like(root_2d[:, :1])], -1)[:, None] @ back)[:, 0]
        pose = pose @ back
        z_cam = root_cam[:, 2]
        out = KeypointOutput(root_cam, pose, root_cam[:, None] + pose, z_cam,
                             z_cam * sigma * self.depth_std_scale, depth.probs, depth.index, s,
                             ray[:, :2] / ray[:, 2:])
        if not with_training_outputs:
            return out
        starts = np.cumsum([0] + [get_skeleton(o).num_joints for o in OUTPUTS])
        every = {o: (poses[:, starts[i]:starts[i + 1]] - poses[:, starts[i] + get_skeleton(o).root][:, None]) @ back
                 for i, o in enumerate(OUTPUTS)}
        return KeypointTrainingOutput(out, every, sigma)

    # ------------------------------------------------------------------ pixels in
    @torch.no_grad()
    def predict(self, keypoints_px, cameras: CameraLike, confidence=None, format: Optional[str] = None,
                max_batch: int = 256, flip_test: bool = False, height_mm=None) -> KeypointOutput:
        """Pixels and cameras in, mm out (eval mode).

        Args:
            keypoints_px: ``[P, J, 2]`` (or ``[P, J, 3]`` with the score as the third column, as
                detectors give ``[x, y, score]``) in one of the model's formats, or a layout that
                holds one (COCO-WholeBody's 133 points, Halpe's 136, OpenPose's COCO 18:
                :data:`~hdnet.keypoint.formats.KEYPOINT_LAYOUTS`; that format's joints are read).
            cameras: a :class:`~hdnet.camera.Camera` for all, one per person, a
                :class:`~hdnet.camera.Cameras`, ``[P, 4]`` intrinsics, a camera matrix ``K [3,
                3]`` (or ``[P, 3, 3]``) or a dict (:func:`~hdnet.camera.as_cameras`); lens
                distortion is undone.
            confidence: ``[P, J]`` scores (default: the third column, else 1); NaN is missing.
            format: the keypoints' format; required where the joint count fits several of the
                model's formats (17 joints: ``coco_17``, ``mupots_17`` or ``h36m_17``).
            max_batch: people per forward pass (the same to float rounding; keeps the
                intermediates in the CPU's cache).
            flip_test: also run the mirror image of every person and average (see
                :meth:`flip_average`).
            height_mm: people's standing heights (floor to the top of the head, mm) where you
                know them: one number for everyone or ``[P]``, NaN where not known. Each such
                person's answer is scaled about the camera to that height (:meth:`with_heights`).
        """
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch: expected an int >= 1, got {max_batch!r}")
        self.eval()
        try:
            kp = torch.as_tensor(np.asarray(keypoints_px, dtype=np.float64, order="C"))
        except (TypeError, ValueError):
            raise TypeError("keypoints_px: expected numbers [P, J, 2] or [P, J, 3]") from None
        if kp.dim() != 3 or kp.shape[-1] not in (2, 3):
            raise ValueError(f"keypoints_px: expected [P, J, 2] or [P, J, 3], got {tuple(kp.shape)}")
        conf = torch.as_tensor(np.asarray(confidence, dtype=np.float64, order="C")) if confidence is not None else \
            (kp[..., 2] if kp.shape[-1] == 3 else torch.ones(kp.shape[:2], dtype=torch.float64))
        kp = kp[..., :2]
        if conf.shape != kp.shape[:2]:
            raise ValueError(f"confidence: expected {tuple(kp.shape[:2])}, got {tuple(conf.shape)}")
        bad = ((conf < 0) | (conf > 1)) & torch.isfinite(conf)
        if bool(bad.any()):
            raise ValueError(f"confidence: scores must lie in [0, 1] (NaN: missing), got {conf[bad][:5].tolist()} "
                             "(RTMPose's and Detectron2's run past 1: np.clip(scores, 0, 1) reads them as "
                             "seen, as hdnet.keypoint.read_keypoints(..., clip_scores=True) does)")
        kp, conf, format = take_body_part(kp, torch.nan_to_num(conf, nan=0.0), format)
        fmt = self.format_of(kp.shape[1], format)
        self._warn_unlike_format(kp, conf, fmt)
        height_scale = None if height_mm is None else self._height_scale(height_mm, kp.shape[0])  # before the work
        cams = as_cameras(cameras, kp.shape[0], dtype=torch.float64) if kp.shape[0] else None  # read once
        if cams is not None:
            _refuse_fractions(kp, conf, cams)
        xy = normalize_keypoints(kp, cams) if cams is not None else kp
        if cams is not None:
            _refuse_off_the_axis(xy, conf)
        if self.known_cameras is not None:
            self._warn_unknown_cameras(cams, flip_test)
        dev, dtype = self.embed.weight.device, self.embed.weight.dtype
        xy, conf = xy.to(dev, dtype), conf.to(dev, dtype)

        def run(a, b):
            return self.flip_average(a, b, fmt) if flip_test else self(a, b, fmt)
        if xy.shape[0] <= max_batch:
            out = run(xy, conf)
        else:
            passes = [run(a, b) for a, b in zip(xy.split(max_batch), conf.split(max_batch), strict=True)]
            out = KeypointOutput(*(torch.cat(field) for field in zip(*passes, strict=True)))
        return out if height_scale is None else self._rescale(out, *height_scale)

    def _warn_unlike_format(self, kp: Tensor, conf: Tensor, fmt: str) -> None:
        """Warn (:class:`~hdnet.keypoint.formats.KeypointFormatWarning`) where the people, read as
        ``fmt``, look like another format of their joint count (:func:`format_mismatch`)."""
        candidates = self.formats_for(kp.shape[1])
        if len(candidates) < 2 or kp.shape[0] < 3:
            return
        every = slice(None, None, max(1, kp.shape[0] // 256))  # 256-511 people: a median needs no more
        mismatch = format_mismatch(torch.cat([kp[every], conf[every, :, None]], -1).numpy(), fmt, candidates)
        if mismatch is not None:
            best, times = mismatch
            warnings.warn(f"format: the keypoints look like {best!r}, not {fmt!r}: read as {fmt!r} their bones are "
                          f"{times:.1f}x as long as read as {best!r} (hdnet.keypoint.formats.format_mismatch); a "
                          "wrong format places every person wrongly", KeypointFormatWarning, stacklevel=4)

    def _warn_unknown_cameras(self, cameras: Optional[Cameras], flip_test: bool) -> None:
        """Warn where a model that knows only a few cameras is asked about others (``cameras``,
        one per person; None: nobody), or flipped."""
        assert self.known_cameras is not None
        n = len(self.known_cameras)
        if flip_test:
            warnings.warn(f"flip_test: this model was trained through {n} fixed cameras only, and a mirrored view is "
                          "none of their views; flipping makes its answers worse (docs/model-card.md)", stacklevel=4)
        if cameras is not None and not bool(_matches_known_cameras(cameras.intrinsics, self.known_cameras).all()):
            # one text, so Python shows it once per calling line, not once per batch
            warnings.warn(f"cameras: this model was trained through {n} fixed cameras only, and some people are seen "
                          "through none of them; its depths and body sizes mean nothing there: use "
                          "KeypointHDNet.pretrained() for any camera (docs/model-card.md)", stacklevel=4)

    def predict_scene(self, keypoints_px, camera, scene: str = "image", *, confidence=None,
                      format: Optional[str] = None, image=None, track=None, height_mm=None, floor=None,
                      flip_test: bool = False, max_batch: int = 256, frame_rate: float = 30.0):
        """:meth:`predict`, then the people placed with the floor they share
        (:func:`hdnet.keypoint.placing.place_in_scene`; docs/scene.md): everyone in ``keypoints_px
        [P, J, 2 or 3]`` is seen by the one camera ``camera`` (a :class:`~hdnet.camera.Camera`, or
        one camera as :func:`~hdnet.camera.as_cameras` reads it: a matrix ``K [3, 3]``, a dict).

        ``scene``: ``"image"`` (``image [P]``: which image each person is in, each image its
        own floor; default all in one) or ``"sequence"`` (``image [P]``: the frame, one static
        camera and one floor; ``track [P]``: the same id is the same body). ``floor``: where the
        floor is known, a :class:`~hdnet.scene.Floor` or ``(height_mm, pitch_deg[, roll_deg])``
        of the camera over the ground. People of known ``height_mm`` keep their size. ``frame_rate``:
        a sequence's frames per second (the tracks' smoothing spans a second). Returns the
        placed :class:`KeypointOutput` and the :class:`~hdnet.scene.SceneResult` (who was placed
        by the floor: ``method``, :data:`hdnet.scene.PLACED_BY`).

        Example:
            >>> model = KeypointHDNet.pretrained()                                  # doctest: +SKIP
            >>> out, scene = model.predict_scene(keypoints, camera, format="coco_17")  # doctest: +SKIP
            >>> out.root_mm, scene.floor_used                                       # doctest: +SKIP
        """
        from .placing import place_in_scene, scene_camera
        camera = scene_camera(camera)
        out = self.predict(keypoints_px, camera, confidence, format, max_batch, flip_test, height_mm)
        people = out.root_mm.shape[0]
        known = None if height_mm is None else np.isfinite(np.broadcast_to(np.asarray(height_mm, np.float64),
                                                                           (people,)))
        return place_in_scene(self, out, keypoints_px, camera, scene, confidence=confidence, format=format,
                              image=image, track=track, known_size=known, floor=floor, frame_rate=frame_rate)

    def with_heights(self, output: KeypointOutput, height_mm) -> KeypointOutput:
        r"""``output`` with each person of known standing height ``height_mm`` (``[P]`` or one
        number, mm; NaN: not known, left as it is) scaled about the camera by
        :math:`k = H / H_{ref}` (``reference_height_mm``): root, joints and depth times
        :math:`k`, so every keypoint's projection stays, and the depth's uncertainty from the
        calibration for known heights (``known_height_std_scale``). See :mod:`hdnet.keypoint.height`."""
        scale = self._height_scale(height_mm, output.root_mm.shape[0])
        return output if scale is None else self._rescale(output, *scale)

    def _height_scale(self, height_mm, people: int):
        """``(k, std_factor)`` ``[P]`` for :meth:`with_heights` (1 where the height is not known),
        or None where nobody's is; errors for bad heights or a model without a reference height."""
        h = check_heights(height_mm, people)
        known = np.isfinite(h)
        if not known.any():
            return None
        require_reference_height(self)
        assert self.reference_height_mm is not None and self.known_height_std_scale is not None
        k = np.where(known, h / self.reference_height_mm, 1.0)
        return k, np.where(known, self.known_height_std_scale / self.depth_std_scale, 1.0)

    @staticmethod
    def _rescale(output: KeypointOutput, k: np.ndarray, std_factor: np.ndarray) -> KeypointOutput:
        kt, st = output.depth_mm.new_tensor(k), output.depth_mm.new_tensor(std_factor)
        return output._replace(root_mm=output.root_mm * kt[:, None], joints_rel_mm=output.joints_rel_mm * kt[:, None, None],
                               joints_mm=output.joints_mm * kt[:, None, None], depth_mm=output.depth_mm * kt,
                               depth_std_mm=output.depth_std_mm * kt * st)

    def flip_average(self, keypoints_norm: Tensor, confidence: Optional[Tensor], format: str) -> KeypointOutput:
        """Flip testing: the people as seen, and their mirror images (``x -> -x`` in normalised
        coordinates, left and right joints swapped: a mirrored camera), averaged. The mirrored
        answer is mirrored back (``X -> -X``, joints swapped back); depths are averaged
        geometrically and the spread widened by the two answers' disagreement."""
        fmt = self.check_format(format)
        a = self(keypoints_norm, confidence, fmt)
        perm_in = FORMATS.get(fmt).skeleton.flip_permutation()
        mirrored = keypoints_norm[:, perm_in] * keypoints_norm.new_tensor([-1.0, 1.0])
        b = self(mirrored, None if confidence is None else confidence[:, perm_in], fmt)
        perm_out = self.output_skeleton(fmt).flip_permutation()
        sign = a.root_mm.new_tensor([-1.0, 1.0, 1.0])
        z = (a.depth_mm * b.depth_mm).sqrt()
        root_2d = (a.root_2d_norm + b.root_2d_norm * sign[:2]) / 2
        rel = (a.joints_rel_mm + b.joints_rel_mm[:, perm_out] * sign) / 2
        root = torch.cat([root_2d * z[:, None], z[:, None]], -1)
        std = ((a.depth_std_mm ** 2 + b.depth_std_mm ** 2) / 2 + ((a.depth_mm - b.depth_mm) / 2) ** 2).sqrt()
        return KeypointOutput(root, rel, root[:, None] + rel, z, std, (a.bin_probs + b.bin_probs) / 2,
                              (a.bin_index + b.bin_index) / 2, a.scale, root_2d)

    def extra_repr(self) -> str:
        return (f"formats={list(self.formats)}, union of {self.union.num_joints} joints, "
                f"bins: d = Z s in [{self.bins.d_min:g}, {self.bins.d_max:g}] mm"
                + (", scale_input=True" if self.scale_input else ""))
