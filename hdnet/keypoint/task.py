"""The ``keypoint`` training task: a :class:`~hdnet.keypoint.KeypointHDNet` on motion capture
seen through virtual cameras. Every step draws poses, cameras and detector noise afresh (seeded
by run, process, epoch and step, so a resumed run draws the same), so there is no data set on
disk and no data loader to wait for."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ..baselines import fit_skeleton_scale
from ..core.config import ConfigBase, option
from ..data.mocap import H36M_TO_MUPOTS_BONE_RATIOS, H36M_TRAIN_SUBJECTS, MocapPoses, read_h36m_mocap, scale_bones
from ..data.virtual_cameras import VirtualCameraConfig, VirtualCameras
from ..graphs import H36M_AS_MUPOTS, convert_joints
from ..layers import DepthBins
from ..train import RECIPES, Task, register_task
from .inputs import normalize_keypoints
from .model import KeypointHDNet

__all__ = ["KeypointTask", "KeypointModelConfig", "KeypointDataConfig", "KeypointLossConfig", "poses_for_model",
           "keypoint_losses", "keypoint_recipe"]


@dataclass
class KeypointModelConfig(ConfigBase):
    """The keypoint model's architecture."""

    skeleton: str = option("mupots_17", "the joint set of the model's input and output")
    channels: int = option(96, "the GNN's and the pose head's channels", low=1, high=4096)
    num_layers: int = option(3, "the GNN's layers", low=1, high=64)
    bins_d_min: float = option(300.0, "depth bins over `d = Z s` (mm): lowest", low=0, low_open=True)
    bins_d_max: float = option(5000.0, "depth bins: highest", low=0, low_open=True)
    num_bins: int = option(61, "number of depth bins", low=2, high=4096)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.bins_d_max <= self.bins_d_min:
            raise ValueError(f"bins_d_max: expected more than bins_d_min = {self.bins_d_min}, got {self.bins_d_max}")


@dataclass
class KeypointDataConfig(ConfigBase):
    """The motion capture and the virtual cameras it is seen through."""

    mocap: str = option("", "the motion-capture file (Human3.6M's layout, docs/data.md)")
    subjects: List[str] = option(help="subjects to train on (the Human3.6M protocol's training subjects)",
                                 factory=lambda: list(H36M_TRAIN_SUBJECTS))
    batch_size: int = option(256, "virtual views per step", low=1, high=1 << 20)
    steps_per_epoch: int = option(1000, "steps that make an epoch (the data never runs out)", low=1)
    cameras: dict = option(help="overrides of the virtual cameras' distributions (`hdnet.data.VirtualCameraConfig`)",
                           factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        VirtualCameraConfig.from_dict(self.cameras, "data.cameras")
        if not all(isinstance(s, str) for s in self.subjects):
            raise TypeError(f"subjects: expected subject names, got {self.subjects!r}")

    def camera_config(self) -> VirtualCameraConfig:
        return VirtualCameraConfig.from_dict(self.cameras, "data.cameras")


@dataclass
class KeypointLossConfig(ConfigBase):
    """The keypoint model's loss weights."""

    depth_weight: float = option(10.0, "L1 of the bin index, in units of the bins' span", low=0)
    bins_weight: float = option(0.01, "cross-entropy of the two-hot bin target", low=0)
    pose_weight: float = option(1.0, "L1 of the root-relative pose, in metres", low=0)


def poses_for_model(poses: MocapPoses, model: KeypointHDNet) -> np.ndarray:
    """The mocap poses in the model's joint set: by joint meaning, with Human3.6M's stand-ins
    for MuPoTS joints of other names (:data:`~hdnet.graphs.H36M_AS_MUPOTS`)."""
    src = poses.skeleton
    assert not isinstance(src, str)
    if src.name == model.skeleton.name:
        return poses.poses
    to_mupots = src.name == "h36m_17" and model.skeleton.name == "mpi_inf_3dhp_17"
    out, made = convert_joints(poses.poses, src, model.skeleton, H36M_AS_MUPOTS if to_mupots else None)
    if not made.all():
        missing = [model.skeleton.joints[i] for i in np.nonzero(~made)[0]]
        raise ValueError(f"skeleton: the mocap's {src.name!r} cannot give the model's joints {missing}")
    if to_mupots:  # the two datasets mark some joints differently: their bone-length profile
        factors = np.array([H36M_TO_MUPOTS_BONE_RATIOS.get(name, 1.0) for name in model.skeleton.joints])
        out = scale_bones(out.astype(np.float64), model.skeleton, factors)
    return out.astype(np.float32)


def keypoint_losses(model: nn.Module, views: Dict[str, Any], weights: KeypointLossConfig
                    ) -> Tuple[Tensor, Dict[str, Tensor]]:
    """The training losses on one batch of virtual views: ``(total, terms)`` with the terms
    ``bin_index``, ``bins``, ``pose_m`` and, for the log, ``depth_err_mm`` and ``mpjpe_mm``."""
    net: Any = getattr(model, "module", model)  # under DDP
    xy = normalize_keypoints(views["joints_2d_px"], views["cameras"]).float()
    conf = views["confidence"]
    cam = views["joints_cam_mm"]
    keep = (conf > 0).sum(1) >= 2
    xy, conf, cam = xy[keep], conf[keep], cam[keep]
    out = model(xy, conf)
    root = net.skeleton.root
    z = cam[:, root, 2]
    target = net.bins.index(z, 1.0 / out.scale, 1.0 / out.scale).index
    k = net.bins.num_bins
    idx_loss = (out.bin_index - target).abs().mean() / (k - 1)
    ce = -(net.bins.soft_target(target) * torch.log(out.bin_probs + 1e-8)).sum(-1).mean()
    rel = cam - cam[:, root:root + 1]
    pose_loss = (out.joints_rel_mm - rel).abs().mean() / 1000.0
    total = weights.depth_weight * idx_loss + weights.bins_weight * ce + weights.pose_weight * pose_loss
    with torch.no_grad():
        depth_err = (out.depth_mm - z).abs().mean()
        mpjpe = (out.joints_rel_mm - rel).norm(dim=-1).mean()
    return total, {"bin_index": idx_loss, "bins": ce, "pose_m": pose_loss, "depth_err_mm": depth_err, "mpjpe_mm": mpjpe}


@register_task
class KeypointTask(Task):
    """Train :class:`~hdnet.keypoint.KeypointHDNet` on ``data.mocap`` through virtual cameras.

    Before training it fits and stores ``model.skeleton_fit_scale`` (the geometric baseline's
    scale on the same training poses), so the checkpoint carries it for comparisons.
    """

    name = "keypoint"
    ModelConfig = KeypointModelConfig
    DataConfig = KeypointDataConfig
    LossConfig = KeypointLossConfig
    terms = ("bin_index", "bins", "pose_m", "depth_err_mm", "mpjpe_mm")

    def __init__(self, config, poses: Optional[MocapPoses] = None):
        super().__init__(config)
        self._poses = poses
        self.data: Optional[torch.Tensor] = None
        self.up = "z"
        self.rank = 0

    def build_model(self) -> nn.Module:
        m = self.config.model
        return KeypointHDNet(m.skeleton, channels=m.channels, num_layers=m.num_layers,
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
        assert isinstance(model, KeypointHDNet)
        self.data = torch.from_numpy(poses_for_model(poses, model))
        self.up, self.rank = poses.up, rank
        clean = VirtualCameraConfig(**{**asdict(d.camera_config()), "clean_prob": 1.0, "drop_prob": 0.0,
                                       "outlier_prob": 0.0, "truncate": False})
        model.skeleton_fit_scale = _fit_baseline_scale(model, self.data.numpy(), VirtualCameras(
            clean, seed=self.config.seed + 1), self.up)

    def steps_per_epoch(self) -> int:
        return self.config.data.steps_per_epoch

    def batches(self, epoch: int, skip: int) -> Iterator[Dict[str, Any]]:
        assert self.data is not None, "prepare() first"
        d, seed = self.config.data, self.config.seed
        sampler = VirtualCameras(d.camera_config())
        skeleton = self.config.model.skeleton
        for step in range(skip, d.steps_per_epoch):
            g = torch.Generator().manual_seed(hash((seed, self.rank, epoch, step)) & 0x7FFF_FFFF_FFFF)
            sampler.generator = g
            idx = torch.randint(len(self.data), (d.batch_size,), generator=g)
            yield sampler(self.data[idx], skeleton, self.up)

    def loss(self, model: nn.Module, batch, epoch: int, device) -> Tuple[Tensor, Dict[str, Tensor]]:
        views = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in batch.items()}
        return keypoint_losses(model, views, self.config.loss)

    def describe(self, batch) -> str:
        return f"a batch of {len(batch['confidence'])} virtual views"


def _fit_baseline_scale(model: KeypointHDNet, poses: np.ndarray, cameras: VirtualCameras, up: str,
                        n: int = 2000) -> float:
    """The scale :func:`~hdnet.baselines.skeleton_fit_depth` needs, fitted on virtual views of the
    training poses with clean 2D (what "fitted on the training poses" means here)."""
    rng = np.random.default_rng(0)
    idx = rng.choice(len(poses), size=min(n, len(poses)), replace=False)
    views = cameras(torch.from_numpy(poses[idx]), model.skeleton, up)
    return fit_skeleton_scale(views["joints_2d_clean_px"].double().numpy(), views["cameras"],
                              views["joints_cam_mm"][:, model.skeleton.root, 2].double().numpy(), model.skeleton)


def keypoint_recipe(mocap: str = "", out_dir: str = "runs/keypoint", minutes: Optional[float] = 10.0,
                    seed: int = 0, quick: bool = False) -> dict:
    """The keypoint model's recipe: AdamW 2e-3 (weight decay 1e-4, gradients clipped at 5) with a
    cosine schedule over a time budget of ``minutes``, batches of 256 fresh virtual views of
    Human3.6M's training subjects (``quick``: 20 steps of 64)."""
    return {"task": "keypoint", "seed": seed, "progress": not quick,
            "data": {"mocap": str(mocap), "batch_size": 64 if quick else 256},
            "optim": {"name": "adamw", "lr": 2e-3, "weight_decay": 1e-4, "grad_clip": 5.0},
            "schedule": {"kind": "cosine", "epochs": 10**6, "minutes": None if quick else minutes,
                         "max_steps": 20 if quick else None},
            "checkpoint": {"out_dir": out_dir, "log_every": 50}}


RECIPES.register("keypoint", keypoint_recipe)
