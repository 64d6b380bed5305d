"""The ``keypoint`` training task: a :class:`~hdnet.keypoint.KeypointHDNet` on motion capture
seen through virtual cameras, in every input format.

Every step draws poses (mirrored and with joint angles changed a little), bodies, cameras, one
format's detector definitions and a detector's errors afresh, seeded by run, process, epoch and
step, so a resumed run draws the same and there is no data set on disk. A tenth of the
sequences (by name) is kept out of training: after the last step the depth uncertainty is
calibrated on views of them (``depth_std_scale``: one standard deviation holds 68 % of their
depth errors), the height its depths assume is measured on the same views with what a known
height leaves of the error (``reference_height_mm``, ``known_height_std_scale``:
:mod:`hdnet.keypoint.height`) and the geometric baseline's scale is fitted
(``skeleton_fit_scale``).
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ..baselines import fit_skeleton_scale
from ..camera import Cameras
from ..core.config import ConfigBase, option
from ..data.mocap import (
    H36M_TO_MUPOTS_BONE_RATIOS,
    H36M_TO_MUPOTS_HEAD_TOP,
    H36M_TRAIN_SUBJECTS,
    MocapCamera,
    MocapPoses,
    read_h36m_mocap,
    scale_bones,
)
from ..data.pose_augment import mirror_poses, perturb_joint_angles
from ..data.virtual_cameras import VirtualCameraConfig, VirtualCameras
from ..graphs import H36M_AS_MUPOTS, convert_joints, get_skeleton
from ..layers import DepthBins
from ..train import RECIPES, Task, register_task
from .formats import FORMATS, H36M, INPUT_FORMATS, PART_SIZE_RANGE, face_elevation, synthesize_keypoints
from .height import skeleton_length_mm, standing_height_mm
from .inputs import normalize_keypoints
from .model import MIN_CONFIDENCE, MIN_JOINTS, KeypointHDNet

__all__ = ["KeypointTask", "KeypointModelConfig", "KeypointDataConfig", "KeypointLossConfig", "keypoint_losses",
           "keypoint_recipe", "lifting_recipe", "make_views", "to_mupots", "calibration_split",
           "calibration_views", "calibrate_depth_std", "calibrate_heights", "height_per_length"]

_DEFAULT_WEIGHTS = {"mupots_17": 0.25, "h36m_17": 0.2, "coco_17": 0.2, "blazepose_33": 0.15, "halpe_26": 0.1,
                    "body_25": 0.1}


@dataclass
class KeypointModelConfig(ConfigBase):
    """The keypoint model's architecture."""

    formats: List[str] = option(help="the input formats the model reads", factory=lambda: list(INPUT_FORMATS))
    channels: int = option(64, "the GNN's channels", low=1, high=4096)
    num_layers: int = option(2, "the GNN's layers", low=1, high=64)
    width: int = option(512, "the lifting network's width", low=8, high=8192)
    blocks: int = option(2, "the lifting network's residual blocks", low=0, high=64)
    dropout: float = option(0.1, "dropout in the lifting network", low=0, high=0.9)
    scale_input: bool = option(False, "the lifting network also reads log s, the person's size in the image: with a "
                               "few fixed cameras (the lifting recipe) where people stand tells their size; for "
                               "any camera it cannot")
    bins_d_min: float = option(300.0, "depth bins over `d = Z s` (mm): lowest", low=0, low_open=True)
    bins_d_max: float = option(5000.0, "depth bins: highest", low=0, low_open=True)
    num_bins: int = option(61, "number of depth bins", low=2, high=4096)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.bins_d_max <= self.bins_d_min:
            raise ValueError(f"bins_d_max: expected more than bins_d_min = {self.bins_d_min}, got {self.bins_d_max}")
        for f in self.formats:
            FORMATS.get(f)


@dataclass
class KeypointDataConfig(ConfigBase):
    """The motion capture, the virtual cameras it is seen through, and the augmentation."""

    mocap: str = option("", "the motion-capture file (Human3.6M's layout, docs/data.md)")
    subjects: List[str] = option(help="subjects to train on (the Human3.6M protocol's training subjects)",
                                 factory=lambda: list(H36M_TRAIN_SUBJECTS))
    batch_size: int = option(256, "virtual views per step", low=1, high=1 << 20)
    steps_per_epoch: int = option(1000, "steps that make an epoch (the data never runs out)", low=1)
    format_weights: dict = option(help="how often each format is drawn (one format per step; default: the "
                                  "annotation formats and COCO most)", factory=lambda: dict(_DEFAULT_WEIGHTS))
    mirror_prob: float = option(0.5, "share of poses mirrored (left and right swapped)", low=0, high=1)
    angle_prob: float = option(0.5, "share of poses whose joint angles change", low=0, high=1)
    angle_std_deg: float = option(8.0, "how much each bone turns (standard deviation, degrees)", low=0, high=45)
    recorded_cameras: float = option(0.0, "share of views seen by the capture's own calibrated cameras (the "
                                     "training subjects'), from where each pose was filmed", low=0, high=1)
    definition_shift: float = option(1.0, "how far detector definitions stray (1: a few per cent of body height; "
                                     f"the face, hands and feet drawn at sizes up to {PART_SIZE_RANGE}x either way)",
                                     low=0, high=5)
    cameras: dict = option(help="overrides of the virtual cameras' distributions (`hdnet.data.VirtualCameraConfig`)",
                           factory=dict)
    level_faces: bool = option(False, "turn each subject's synthesized faces so that, upright, they look level on "
                               "median (the head bone leans back by 6-38 degrees, by subject: level_face_pitch)")

    def __post_init__(self) -> None:
        super().__post_init__()
        VirtualCameraConfig.from_dict(self.cameras, "data.cameras")
        if not all(isinstance(s, str) for s in self.subjects):
            raise TypeError(f"subjects: expected subject names, got {self.subjects!r}")
        for name, w in self.format_weights.items():
            FORMATS.get(name)
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not 0 <= w < math.inf:
                raise ValueError(f"format_weights: {name!r} needs a weight >= 0, got {w!r}")
        if not any(w > 0 for w in self.format_weights.values()):
            raise ValueError("format_weights: at least one format needs a weight > 0")

    def camera_config(self) -> VirtualCameraConfig:
        return VirtualCameraConfig.from_dict(self.cameras, "data.cameras")


@dataclass
class KeypointLossConfig(ConfigBase):
    """The keypoint model's loss weights, and which views train the depth."""

    depth_weight: float = option(10.0, "L1 of the bin index, in units of the bins' span", low=0)
    bins_weight: float = option(0.01, "cross-entropy of the two-hot bin target", low=0)
    pose_weight: float = option(1.0, "L1 of the root-relative pose in every output joint set, in metres", low=0)
    root_weight: float = option(1.0, "L1 of where the root is seen, in units of the person's size", low=0)
    sigma_weight: float = option(0.1, "Gaussian negative log-likelihood of log-depth errors (the uncertainty)",
                                 low=0)
    recorded_depth: bool = option(False, "the capture's own cameras train the depth too: right for a model of "
                                  "those cameras only (the lifting recipe); for any camera they would tie depth "
                                  "to where people stand in the image")


def to_mupots(h36m: Tensor) -> Tensor:
    """Human3.6M joints ``[B, 17, 3]`` as MuPoTS-3D joints: by joint meaning with Human3.6M's
    stand-ins (:data:`~hdnet.graphs.H36M_AS_MUPOTS`), the two datasets' bone-length profile
    (:data:`~hdnet.data.mocap.H36M_TO_MUPOTS_BONE_RATIOS`) and the head top's distance from the
    neck (:data:`~hdnet.data.mocap.H36M_TO_MUPOTS_HEAD_TOP`)."""
    sk = get_skeleton("mupots_17")
    out, made = convert_joints(h36m, "h36m_17", sk, H36M_AS_MUPOTS)
    assert bool(torch.as_tensor(made).all())
    factors = torch.tensor([H36M_TO_MUPOTS_BONE_RATIOS.get(n, 1.0) for n in sk.joints], dtype=h36m.dtype)
    out = scale_bones(out, sk, factors)
    top, neck = sk.joints.index("head_top"), sk.joints.index("neck")
    out[:, top] = out[:, neck] + H36M_TO_MUPOTS_HEAD_TOP * (h36m[:, H36M["head"]] - h36m[:, H36M["thorax"]])
    return out


def make_views(poses: Tensor, fmt: str, cameras: VirtualCameras, data: KeypointDataConfig, up: str = "z",
               generator: Optional[torch.Generator] = None, recorded: Sequence[MocapCamera] = (),
               face_pitch: Optional[Tensor] = None) -> Dict[str, Any]:
    """One batch of training views of Human3.6M world poses ``[B, 17, 3]`` in format ``fmt``:
    ``keypoints_px``, ``confidence``, ``cameras``, ``h36m`` and ``mupots`` (camera-space joints),
    ``format``. A share ``data.recorded_cameras`` is seen by the capture's cameras ``recorded``
    (where the pose stood, mirrored and bent about its own root), the rest by virtual ones.
    ``face_pitch [B]`` (radians) turns each synthesized face down (:func:`level_face_pitch`)."""
    g = generator if generator is not None else cameras.generator
    x = poses.double()
    flip = torch.rand(x.shape[0], generator=g) < data.mirror_prob
    if bool(flip.any()):
        x[flip] = mirror_poses(x[flip], "h36m_17", axis=0 if up != "x" else 1)
    x = perturb_joint_angles(x, "h36m_17", data.angle_std_deg, g, prob=data.angle_prob)
    placed = cameras.place(x, "h36m_17", up)
    real = torch.rand(x.shape[0], generator=g) < (data.recorded_cameras if recorded else 0.0)
    if bool(real.any()):
        at_home = x[real] - x[real][:, :1] + poses[real][:, :1].double()
        seen = cameras.place_recorded(at_home, "h36m_17", recorded, up)
        placed["joints_cam_mm"][real] = seen["joints_cam_mm"]
        placed["image_size"][real] = seen["image_size"]
        k, d = placed["cameras"].intrinsics.clone(), placed["cameras"].distortion.clone()
        k[real], d[real] = seen["cameras"].intrinsics, seen["cameras"].distortion
        placed["cameras"] = Cameras(k, d)
    h36m = placed["joints_cam_mm"]
    mupots = to_mupots(h36m)
    spec = FORMATS.get(fmt)
    points = synthesize_keypoints(spec, h36m, mupots, g, data.definition_shift, face_pitch)
    noisy, _, conf = cameras.observe(points, placed["cameras"], placed["image_size"], spec.difficulties())
    return {"keypoints_px": noisy, "confidence": conf, "cameras": placed["cameras"], "h36m": h36m,
            "mupots": mupots, "format": fmt, "recorded": real}


def keypoint_losses(model: nn.Module, views: Dict[str, Any], weights: KeypointLossConfig
                    ) -> Tuple[Tensor, Dict[str, Tensor]]:
    """The training losses on one batch of views: ``(total, terms)`` with the terms
    ``bin_index``, ``bins``, ``pose_m``, ``root``, ``sigma`` and, for the log, ``depth_err_mm``
    and ``mpjpe_mm`` (the format's output joints)."""
    net: Any = getattr(model, "module", model)  # under DDP
    fmt = views["format"]
    conf = views["confidence"].float()
    keep = (conf >= MIN_CONFIDENCE).sum(1) >= MIN_JOINTS
    cams = views["cameras"]
    xy = normalize_keypoints(views["keypoints_px"], cams).float()
    h36m, mupots = views["h36m"].float(), views["mupots"].float()
    recorded = views.get("recorded")
    recorded = torch.zeros_like(keep) if recorded is None else recorded.to(keep.device)
    xy, conf, h36m, mupots, recorded = xy[keep], conf[keep], h36m[keep], mupots[keep], recorded[keep]
    root_true = h36m[:, 0]
    res = model(xy, conf, fmt, with_training_outputs=True)
    out = res.output
    # depth only from virtual cameras: a capture's few fixed cameras tie depth to where people
    # stand in the image (nearer is lower), which no other camera shares (unless the model is
    # for those cameras alone: recorded_depth)
    depth_views = torch.ones_like(conf[:, 0]) if weights.recorded_depth else (~recorded).float()
    n_depth = depth_views.sum().clamp_min(1.0)
    z = root_true[:, 2]
    target = net.bins.index(z, 1.0 / out.scale, 1.0 / out.scale).index
    k = net.bins.num_bins
    idx_loss = ((out.bin_index - target).abs() * depth_views).sum() / n_depth / (k - 1)
    ce = (-(net.bins.soft_target(target) * torch.log(out.bin_probs + 1e-8)).sum(-1) * depth_views).sum() / n_depth
    truth = {"h36m_17": h36m - h36m[:, :1], "mupots_17": mupots - mupots[:, 14:15]}
    pose_loss = sum((res.poses[o] - truth[o]).abs().mean() for o in res.poses) / (1000.0 * len(res.poses))
    root_2d = root_true[:, :2] / z[:, None]
    root_loss = ((out.root_2d_norm - root_2d).abs().sum(-1) / out.scale).mean()
    r = (torch.log(out.depth_mm.detach().clamp_min(1.0)) - torch.log(z)).clamp(-3, 3)
    sigma = res.log_depth_sigma
    nll = ((0.5 * (r / sigma) ** 2 + torch.log(sigma)) * depth_views).sum() / n_depth
    total = (weights.depth_weight * idx_loss + weights.bins_weight * ce + weights.pose_weight * pose_loss
             + weights.root_weight * root_loss + weights.sigma_weight * nll)
    with torch.no_grad():
        depth_err = ((out.depth_mm - z).abs() * depth_views).sum() / n_depth
        mpjpe = (out.joints_rel_mm - truth[FORMATS.get(fmt).output]).norm(dim=-1).mean()
    return total, {"bin_index": idx_loss, "bins": ce, "pose_m": pose_loss, "root": root_loss, "sigma": nll,
                   "depth_err_mm": depth_err, "mpjpe_mm": mpjpe}


def level_face_pitch(poses: MocapPoses, max_lean_deg: float = 10.0) -> np.ndarray:
    """``[N]`` radians per pose: its subject's median :func:`~hdnet.keypoint.formats.face_elevation`
    over the subject's upright poses (the torso within ``max_lean_deg`` of the vertical), 0
    where a subject has none. Turning each face down by it makes people standing upright look
    level on median, as people do; the head bone of Human3.6M's skeleton fits leans back by
    about 38 / 31 / 9 / 36 / 6 degrees in S1 / S5 / S6 / S7 / S8, so built on it alone the faces
    of three training subjects look up by 30-38 degrees."""
    x = torch.from_numpy(np.asarray(poses.poses, np.float64))
    axis = torch.zeros(3, dtype=torch.float64)
    axis["xyz".index(poses.up)] = 1.0
    torso = x[:, H36M["thorax"]] - x[:, H36M["pelvis"]]
    upright = (torso @ axis) / torso.norm(dim=-1).clamp_min(1e-9) >= math.cos(math.radians(max_lean_deg))
    elevation = face_elevation(x, axis)
    out = np.zeros(len(x))
    for subject in sorted(set(np.asarray(poses.subject).tolist())):
        mine = torch.from_numpy(np.asarray(poses.subject) == subject)
        if bool((mine & upright).any()):
            out[mine.numpy()] = float(elevation[mine & upright].median())
    return out


def calibration_split(poses: MocapPoses) -> Tuple[np.ndarray, np.ndarray]:
    """Indices of the poses to train on and of the tenth kept out for calibration: whole
    sequences, chosen by a hash of subject and sequence name (the same every run)."""
    held = np.array([zlib.crc32(f"{s}/{q}".encode()) % 10 == 0 for s, q in zip(poses.subject, poses.sequence,
                                                                                 strict=True)])
    if held.all() or not held.any():  # too few sequences to split: calibrate on the training poses
        every = np.arange(len(poses))
        return every, every
    return np.nonzero(~held)[0], np.nonzero(held)[0]


@register_task
class KeypointTask(Task):
    """Train :class:`~hdnet.keypoint.KeypointHDNet` on ``data.mocap`` through virtual cameras,
    every format at once (see the module docstring)."""

    name = "keypoint"
    ModelConfig = KeypointModelConfig
    DataConfig = KeypointDataConfig
    LossConfig = KeypointLossConfig
    terms = ("bin_index", "bins", "pose_m", "root", "sigma", "depth_err_mm", "mpjpe_mm")

    def __init__(self, config, poses: Optional[MocapPoses] = None):
        super().__init__(config)
        self._poses = poses
        self.train_poses: Optional[Tensor] = None
        self.held_poses: Optional[Tensor] = None
        self.height_per_length = 1.0
        self.up = "z"
        self.rank = 0
        self.recorded: List[MocapCamera] = []
        self.train_pitch: Optional[Tensor] = None  # data.level_faces: each pose's face turn (radians)
        self.held_pitch: Optional[Tensor] = None

    def build_model(self) -> nn.Module:
        m = self.config.model
        return KeypointHDNet(tuple(m.formats), channels=m.channels, num_layers=m.num_layers, width=m.width,
                             blocks=m.blocks, dropout=m.dropout, scale_input=m.scale_input,
                             bins=DepthBins(m.bins_d_min, m.bins_d_max, m.num_bins, "log", focal_normalized=True))

    def prepare(self, model: nn.Module, rank: int, world: int) -> None:
        d = self.config.data
        poses = self._poses
        if poses is None:
            if not d.mocap:
                raise ValueError("data.mocap: the motion-capture file is required (Human3.6M's layout, docs/data.md)")
            poses = read_h36m_mocap(d.mocap, d.subjects)
        elif d.subjects:
            poses = poses.select(d.subjects)
        sk = poses.skeleton
        if getattr(sk, "name", sk) != "h36m_17":
            name = getattr(sk, "name", sk)
            raise ValueError(f"data.mocap: the keypoint task trains on Human3.6M's 17 joints, got {name!r}")
        train, held = calibration_split(poses)
        self.height_per_length = height_per_length(poses)
        data = torch.from_numpy(poses.poses)
        self.train_poses, self.held_poses = data[train], data[held]
        if d.level_faces:
            pitch = torch.from_numpy(level_face_pitch(poses))
            self.train_pitch, self.held_pitch = pitch[train], pitch[held]
        self.up, self.rank = poses.up, rank
        self.recorded = [c for s in sorted(poses.cameras) for _, c in sorted(poses.cameras[s].items())]
        if d.recorded_cameras > 0 and not self.recorded and rank == 0:
            warnings.warn("data.recorded_cameras: the motion capture has no cameras for the training subjects; every "
                          "view is through virtual cameras", stacklevel=2)
        have: List[str] = list(getattr(model, "formats"))  # noqa: B009 (a KeypointHDNet)
        formats = [f for f in have if d.format_weights.get(f, 0) > 0]
        if not formats:
            raise ValueError(f"data.format_weights: none of the model's formats {have} has a weight")
        self.formats = formats
        self.weights = torch.tensor([float(d.format_weights[f]) for f in formats])

    def steps_per_epoch(self) -> int:
        return self.config.data.steps_per_epoch

    def batches(self, epoch: int, skip: int) -> Iterator[Dict[str, Any]]:
        assert self.train_poses is not None, "prepare() first"
        d, seed = self.config.data, self.config.seed
        sampler = VirtualCameras(d.camera_config())
        for step in range(skip, d.steps_per_epoch):
            g = torch.Generator().manual_seed(zlib.crc32(f"{seed}/{self.rank}/{epoch}/{step}".encode()))
            sampler.generator = g
            fmt = self.formats[int(torch.multinomial(self.weights, 1, generator=g))]
            idx = torch.randint(len(self.train_poses), (d.batch_size,), generator=g)
            yield make_views(self.train_poses[idx], fmt, sampler, d, self.up, g, self.recorded,
                             None if self.train_pitch is None else self.train_pitch[idx])

    def loss(self, model: nn.Module, batch, epoch: int, device) -> Tuple[Tensor, Dict[str, Tensor]]:
        views = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in batch.items()}
        return keypoint_losses(model, views, self.config.loss)

    def describe(self, batch) -> str:
        return f"a batch of {len(batch['confidence'])} virtual views in {batch['format']}"

    def finish(self, model: nn.Module) -> None:
        assert isinstance(model, KeypointHDNet) and self.held_poses is not None
        was_training = model.training
        model.eval()
        d = self.config.data
        seed = self.config.seed + 1
        model.skeleton_fit_scale = _fit_baseline_scale(self.held_poses, d, self.up, seed)
        views = calibration_views(model, self.held_poses, d, self.up, seed, formats=self.formats,
                                  recorded=self.recorded if self.config.loss.recorded_depth else (),
                                  face_pitch=self.held_pitch)
        model.depth_std_scale = calibrate_depth_std(views)
        model.reference_length_mm, model.reference_height_mm, model.known_height_std_scale = calibrate_heights(
            views, self.height_per_length)
        model.known_cameras = self.known_cameras()
        model.train(was_training)

    def known_cameras(self) -> Optional[List[List[float]]]:
        """Where every training view is through the capture's own cameras
        (``data.recorded_cameras`` 1, the lifting recipe), their intrinsics ``[fx, fy, cx, cy]``,
        one per distinct camera: the only cameras the model knows. None: it saw virtual ones."""
        if self.config.data.recorded_cameras < 1.0 or not self.recorded:
            return None
        seen = {tuple(round(v, 1) for v in (c.camera.fx, c.camera.fy, c.camera.cx, c.camera.cy)) for c in self.recorded}
        return [list(c) for c in sorted(seen)]


def _fit_baseline_scale(poses: Tensor, data: KeypointDataConfig, up: str, seed: int, n: int = 2000) -> float:
    """The scale :func:`~hdnet.baselines.skeleton_fit_depth` needs, fitted on views of held-out
    training poses with exact MuPoTS-3D 2D joints."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(poses), generator=g)[:n]
    clean = VirtualCameraConfig.from_dict({**data.cameras, "clean_prob": 1.0, "truncate": False,
                                           "distortion_prob": 0.0})
    cams = VirtualCameras(clean, seed=seed)
    placed = cams.place(poses[idx].double(), "h36m_17", up)
    mupots = to_mupots(placed["joints_cam_mm"])
    px = placed["cameras"].project(mupots)
    return fit_skeleton_scale(px.numpy(), placed["cameras"], mupots[:, 14, 2].numpy(), "mupots_17")


@torch.no_grad()
def calibration_views(model: KeypointHDNet, poses: Tensor, data: KeypointDataConfig, up: str, seed: int,
                      n: int = 4096, formats: Optional[Sequence[str]] = None,
                      recorded: Sequence[MocapCamera] = (), face_pitch: Optional[Tensor] = None) -> Dict[str, Tensor]:
    """The model's answers on ``n`` views of ``poses`` (``formats``, default every one of the
    model's; the training distribution of cameras and detector errors, with the capture's
    cameras ``recorded`` in it where they train the depth), for the calibrations: ``depth_mm``,
    ``sigma`` (of log Z, uncalibrated), ``true_depth_mm`` and ``length_mm`` (each body's
    :func:`~hdnet.keypoint.height.skeleton_length_mm`), each ``[N]``."""
    g = torch.Generator().manual_seed(seed)
    cams = VirtualCameras(data.camera_config())
    cams.generator = g
    parts: Dict[str, List[Tensor]] = {"depth_mm": [], "sigma": [], "true_depth_mm": [], "length_mm": []}
    dev = next(model.parameters()).device
    formats = list(model.formats if formats is None else formats)
    per = max(1, n // len(formats))
    for fmt in formats:
        idx = torch.randint(len(poses), (per,), generator=g)
        views = make_views(poses[idx], fmt, cams, data, up, g, recorded, None if face_pitch is None else face_pitch[idx])
        conf = views["confidence"].float()
        keep = (conf >= MIN_CONFIDENCE).sum(1) >= MIN_JOINTS
        xy = normalize_keypoints(views["keypoints_px"], views["cameras"]).float()[keep]
        res = model(xy.to(dev), conf[keep].to(dev), fmt, with_training_outputs=True)
        parts["depth_mm"].append(res.output.depth_mm.cpu())
        parts["sigma"].append(res.log_depth_sigma.cpu())
        parts["true_depth_mm"].append(views["h36m"][keep][:, 0, 2].float())
        parts["length_mm"].append(torch.from_numpy(skeleton_length_mm(views["mupots"][keep].numpy())).float())
    return {k: torch.cat(v) for k, v in parts.items()}


def calibrate_depth_std(views: Dict[str, Tensor], coverage: float = 0.6827) -> float:
    """The factor on the model's depth spread that makes one standard deviation hold
    ``coverage`` of the depth errors of :func:`calibration_views`."""
    r = (views["depth_mm"] - views["true_depth_mm"]).abs() / (views["depth_mm"] * views["sigma"])
    return float(torch.quantile(r, coverage))


def calibrate_heights(views: Dict[str, Tensor], height_per_length: float,
                      coverage: float = 0.6827) -> Tuple[float, float, float]:
    r"""What a known height needs (:mod:`hdnet.keypoint.height`), from :func:`calibration_views`:
    ``(reference_length_mm, reference_height_mm, known_height_std_scale)``.

    The body length each answer assumed is :math:`L\,Z_{pred} / Z` (the length that would have
    made its depth exact); their median is the model's reference length, and
    ``height_per_length`` (the training subjects' standing height over their skeleton length)
    turns it into a height. With each body's length known, the depth becomes
    :math:`Z_{pred} L / L_{ref}`; ``known_height_std_scale`` makes one standard deviation hold
    ``coverage`` of those errors."""
    implied = views["length_mm"] * views["depth_mm"] / views["true_depth_mm"]
    ref = float(implied.median())
    z = views["depth_mm"] * views["length_mm"] / ref
    r = (z - views["true_depth_mm"]).abs() / (z * views["sigma"])
    return ref, ref * height_per_length, float(torch.quantile(r, coverage))


def height_per_length(poses: MocapPoses) -> float:
    """The mean over ``poses``' subjects of their standing height over their skeleton length
    (:mod:`hdnet.keypoint.height`), on the MuPoTS-3D joints the model is trained on."""
    ratios = []
    for subject in sorted(set(np.asarray(poses.subject).tolist())):
        mine = np.asarray(poses.subject) == subject
        joints = to_mupots(torch.from_numpy(np.asarray(poses.poses[mine], np.float64))).numpy()
        ratios.append(standing_height_mm(joints) / float(np.median(skeleton_length_mm(joints))))
    return float(np.mean(ratios))


def keypoint_recipe(mocap: str = "", out_dir: str = "runs/keypoint", minutes: Optional[float] = 10.0,
                    seed: int = 0, quick: bool = False) -> dict:
    """The keypoint model's recipe: AdamW 1e-3 (weight decay 1e-4, gradients clipped at 5) with
    a cosine schedule over a time budget of ``minutes``, batches of 256 fresh views of Human3.6M's
    training subjects in every format, a quarter of them through the capture's own cameras, the
    faces levelled (``data.level_faces``; ``quick``: 20 steps of 64)."""
    return {"task": "keypoint", "seed": seed, "progress": not quick,
            "data": {"mocap": str(mocap), "batch_size": 64 if quick else 256, "recorded_cameras": 0.25,
                     "level_faces": True},
            "optim": {"name": "adamw", "lr": 1e-3, "weight_decay": 1e-4, "grad_clip": 5.0},
            "schedule": {"kind": "cosine", "epochs": 10**6, "minutes": None if quick else minutes,
                         "max_steps": 20 if quick else None},
            "checkpoint": {"out_dir": out_dir, "log_every": 50}}


#: The lifting benchmarks' 2D: ground truth, exactly (no noise, drops, outliers or bone changes).
_CLEAN_2D = {"noise_frac": [0.0, 0.0], "clean_prob": 1.0, "drop_prob": 0.0, "outlier_prob": 0.0, "bone_jitter": 0.0}


def lifting_recipe(mocap: str = "", out_dir: str = "runs/lifting", minutes: Optional[float] = 10.0,
                   seed: int = 0, quick: bool = False) -> dict:
    """The lifting benchmarks' setting (Martinez et al. 2017 and the papers after it) for the
    keypoint model's pose: Human3.6M's ground-truth 2D in its own joints (``h36m_17`` only, no
    detector definitions, noise, drops or bone changes), seen only through the capture's own
    cameras; no dropout. Those cameras do not train the depth (``loss.recorded_depth=true``
    would, at a cost to the pose: docs/training.md). A model of the root-relative pose for the
    Human3.6M protocol, not for any camera or detector (:func:`keypoint_recipe` makes that
    one). 768 wide with every format, as the shipped model, so ``--init pretrained`` starts
    from it."""
    recipe = keypoint_recipe(mocap, out_dir, minutes, seed, quick)
    recipe["model"] = {"width": 768, "dropout": 0.0, "scale_input": True}
    recipe["data"].update({"format_weights": {"h36m_17": 1.0}, "recorded_cameras": 1.0, "definition_shift": 0.0,
                           "level_faces": False,  # h36m_17 has no face
                           "cameras": dict(_CLEAN_2D)})
    return recipe


RECIPES.register("keypoint", keypoint_recipe)
RECIPES.register("lifting", lifting_recipe)

