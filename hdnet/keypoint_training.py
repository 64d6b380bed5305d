"""Training a :class:`~hdnet.models.keypoint.KeypointHDNet` on motion capture through virtual
cameras: every step draws poses, cameras and detector noise afresh, so there is no data set on
disk and no data loader to wait for.

``train_keypoint_model(model, poses, KeypointTrainConfig(minutes=10))``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from .baselines import fit_skeleton_scale
from .camera import Camera
from .data.mocap import H36M_TO_MUPOTS_BONE_RATIOS, MocapPoses, scale_bones
from .data.virtual_cameras import VirtualCameraConfig, VirtualCameras
from .graphs import H36M_AS_MUPOTS, convert_joints
from .models.keypoint import KeypointHDNet, normalize_keypoints

__all__ = ["KeypointTrainConfig", "train_keypoint_model", "poses_for_model", "keypoint_losses"]


@dataclass
class KeypointTrainConfig:
    """How long and how hard to train (Adam, cosine learning rate over the run)."""

    minutes: Optional[float] = 10.0
    max_steps: Optional[int] = None
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-4
    grad_clip: float = 5.0
    seed: int = 0
    depth_weight: float = 10.0  #: on the bin index, in units of the bins' span
    bins_weight: float = 0.01  #: cross-entropy of the two-hot bin target
    pose_weight: float = 1.0  #: L1 of the root-relative pose, in metres
    log_every: int = 50

    def __post_init__(self) -> None:
        if self.minutes is None and self.max_steps is None:
            raise ValueError("minutes, max_steps: give at least one, or training never ends")
        if self.minutes is not None and not self.minutes > 0:
            raise ValueError(f"minutes: expected > 0, got {self.minutes!r}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ValueError(f"max_steps: expected >= 1, got {self.max_steps!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {self.batch_size!r}")


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


def keypoint_losses(model: KeypointHDNet, views: Dict[str, torch.Tensor], config: KeypointTrainConfig):
    """The training losses on one batch of virtual views: ``(total, terms)``."""
    xy = normalize_keypoints(views["joints_2d_px"], views["intrinsics"], views["radial"]).float()
    conf = views["confidence"]
    keep = (conf > 0).sum(1) >= 2
    xy, conf, cam = xy[keep], conf[keep], views["joints_cam_mm"][keep]
    out = model(xy, conf)
    root = model.skeleton.root
    z = cam[:, root, 2]
    target = model.bins.index(z, 1.0 / out.scale, 1.0 / out.scale).index
    k = model.bins.num_bins
    idx_loss = (out.bin_idx - target).abs().mean() / (k - 1)
    ce = -(model.bins.soft_target(target) * torch.log(out.bins + 1e-8)).sum(-1).mean()
    rel = cam - cam[:, root:root + 1]
    pose_loss = (out.joints_rel_mm - rel).abs().mean() / 1000.0
    total = config.depth_weight * idx_loss + config.bins_weight * ce + config.pose_weight * pose_loss
    with torch.no_grad():
        depth_err = (out.depth_mm - z).abs().mean()
        mpjpe = (out.joints_rel_mm - rel).norm(dim=-1).mean()
    return total, {"total": total.item(), "bin_idx": idx_loss.item(), "bins": ce.item(),
                   "pose_m": pose_loss.item(), "depth_err_mm": depth_err.item(), "mpjpe_mm": mpjpe.item()}


def _fit_baseline_scale(model: KeypointHDNet, poses: np.ndarray, cameras: VirtualCameras, up: str,
                        n: int = 2000) -> float:
    """The scale :func:`~hdnet.baselines.skeleton_fit_depth` needs, fitted on virtual views of the
    training poses with clean 2D (what "fitted on the training poses" means here)."""
    rng = np.random.default_rng(0)
    idx = rng.choice(len(poses), size=min(n, len(poses)), replace=False)
    views = cameras(torch.from_numpy(poses[idx]), model.skeleton, up)
    k = views["intrinsics"].double().numpy()
    rad = views["radial"].double().numpy()
    cams = [Camera(float(k[i, 0]), float(k[i, 1]), float(k[i, 2]), float(k[i, 3]),
                   (float(rad[i, 0]), float(rad[i, 1]), float(rad[i, 2]))) for i in range(len(idx))]
    return fit_skeleton_scale(views["joints_2d_clean_px"].double().numpy(), cams,
                              views["joints_cam_mm"][:, model.skeleton.root, 2].double().numpy(),
                              model.skeleton)


def train_keypoint_model(model: KeypointHDNet, poses: MocapPoses, config: Optional[KeypointTrainConfig] = None,
                         cameras: Optional[VirtualCameraConfig] = None,
                         on_log: Optional[Callable[[dict], None]] = None) -> List[dict]:
    """Train ``model`` on ``poses`` seen through virtual cameras; returns the logged history.

    Also fits and stores ``model.skeleton_fit_scale`` (the geometric baseline's scale on the same
    training poses), so the checkpoint carries it for comparisons.
    """
    cfg = config or KeypointTrainConfig()
    torch.manual_seed(cfg.seed)
    data = torch.from_numpy(poses_for_model(poses, model))
    sampler = VirtualCameras(cameras, seed=cfg.seed)
    model.skeleton_fit_scale = _fit_baseline_scale(model, data.numpy(), VirtualCameras(
        VirtualCameraConfig(**{**asdict(sampler.config), "clean_prob": 1.0, "drop_prob": 0.0,
                               "outlier_prob": 0.0, "truncate": False}), seed=cfg.seed + 1), poses.up)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    g = torch.Generator().manual_seed(cfg.seed)
    history: List[dict] = []
    start, step = time.time(), 0
    model.train()
    while True:
        elapsed = time.time() - start
        progress = max(step / cfg.max_steps if cfg.max_steps else 0.0,
                       elapsed / (60 * cfg.minutes) if cfg.minutes else 0.0)
        if progress >= 1.0:
            break
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))
        idx = torch.randint(len(data), (cfg.batch_size,), generator=g)
        views = sampler(data[idx], model.skeleton, poses.up)
        loss, terms = keypoint_losses(model, views, cfg)
        if not math.isfinite(terms["total"]):
            raise RuntimeError(f"step {step + 1}: the loss is {terms['total']}; training stopped")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        if step % cfg.log_every == 0 or step == 1:
            row = {"step": step, "seconds": round(time.time() - start, 1), "lr": opt.param_groups[0]["lr"], **terms}
            history.append(row)
            if on_log is not None:
                on_log(row)
    model.eval()
    history.append({"step": step, "seconds": round(time.time() - start, 1), "final": True})
    return history
