"""HDNet's person-level half driven by 2D keypoints: camera-space root and absolute 3D pose.

:class:`KeypointHDNet` takes a person's 2D keypoints (any detector's, in pixels, with the
camera) and answers where the person stands and how: the root's camera-space position in mm
with its uncertainty, the root-relative 3D pose, and the absolute 3D joints. It is built from
the library's own layers: a :class:`~hdnet.layers.SkeletonGNN` over the keypoints (any
skeleton, any PyG conv), a :class:`~hdnet.layers.DepthBinHead` for the depth, and a per-joint
head for the pose.

Depth as HDNet frames it. HDNet bins ``d = Z / f_bins`` where ``f_bins`` is the focal length
scaled to the person's crop (``hdnet.data.transforms.bin_focal``): ``d`` is then the person's
size as the network sees it. Here the keypoints are in normalised camera coordinates (pixels
undistorted and divided by the focal length, so any camera works) and each person is framed by
the longer side ``s`` of its keypoints' box; the bin focal length is ``1 / s``, so the bins hold
``d = Z s``, the person's extent in mm (about 0.5-3 m whatever the distance), and
``Z = d / s``. The network learns how a body's 2D shape relates to its 3D extent
(foreshortening, pose, proportions) rather than the distance itself.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Union

import numpy as np
import torch
from torch import Tensor, nn

from ..camera import CameraLike
from ..core.checkpoint import Checkpointable
from ..core.checks import check_tensor, is_tracing
from ..graphs import Skeleton, convert_joints, resolve_skeleton, skeleton_from_dict
from ..layers import DepthBinHead, DepthBins, SkeletonGNN
from .inputs import convert_confidence, normalize_keypoints, person_scale

__all__ = ["KeypointHDNet", "KeypointOutput"]

#: Keypoints in a box narrower than this (in normalised units, ~0.25 px at f = 1000) are refused.
MIN_SCALE = 2.5e-4


class KeypointOutput(NamedTuple):
    """What :class:`KeypointHDNet` returns, per person (mm, camera coordinates)."""

    root_mm: Tensor  #: ``[P, 3]``
    joints_rel_mm: Tensor  #: ``[P, J, 3]`` root-relative pose (the root at 0)
    joints_mm: Tensor  #: ``[P, J, 3]`` absolute joints, ``root_mm + joints_rel_mm``
    depth_mm: Tensor  #: ``[P]`` the root's Z
    depth_std_mm: Tensor  #: ``[P]`` spread of the bin distribution, in mm
    bin_probs: Tensor  #: ``[P, K]`` bin probabilities over ``d = Z s``
    bin_index: Tensor  #: ``[P]`` soft-argmax bin index
    scale: Tensor  #: ``[P]`` ``s``, the keypoints' box side in normalised units
    root_2d_norm: Tensor  #: ``[P, 2]`` where the root is seen, normalised coordinates


class KeypointHDNet(Checkpointable, nn.Module):
    r"""2D keypoints + camera -> root, root-relative and absolute 3D pose of every person.

    For person :math:`p` with normalised keypoints :math:`\mathbf{u}_j`, confidences
    :math:`c_j`, box side :math:`s` and root position :math:`\mathbf{u}_r`, each joint's input is
    :math:`[(\mathbf{u}_j - \mathbf{u}_r)/s,\ c_j,\ \mathbf{u}_r]` (zeros where
    :math:`c_j = 0`). A linear embedding and a :class:`~hdnet.layers.SkeletonGNN` give joint
    features :math:`\mathbf{h}_j` and their mean :math:`\mathbf{g}`; then

    .. math::
        \hat d = \mathrm{DepthBinHead}(\mathbf{g};\ f = 1/s), \quad
        Z = \hat d / s, \quad \mathbf{X}_r = (u_{r,x} Z,\ u_{r,y} Z,\ Z), \quad
        \mathbf{X}_j = \mathbf{X}_r + 1000\, \mathrm{MLP}([\mathbf{h}_j, \mathbf{g}])

    (the pose head in metres on each joint's features and the body's, root pinned to 0).

    Args:
        skeleton: the joint set of the keypoints and of the output (name or Skeleton).
        channels, num_layers: the GNN (96 channels, 3 layers by default).
        conv, conv_kwargs: the GNN's conv (default :class:`~hdnet.layers.SkeletonConv`).
        bins: depth bins over ``d = Z s`` in mm (default 61 log bins, 300-5000 mm).
        skeleton_fit_scale: the scale of :func:`~hdnet.baselines.skeleton_fit_depth` fitted on
            the training poses (stored with the model for baseline comparisons; 1.0 if unknown).

    Shapes:
        - **keypoints_norm** ``[P, J, 2]`` (see :func:`normalize_keypoints`), **confidence**
          ``[P, J]`` in ``[0, 1]`` (0: missing; default all 1).
        - output: :class:`KeypointOutput`. P = 0 gives empty outputs.

    Use :meth:`predict` for pixels and cameras.
    """

    config_limits = {"channels": (1, 4096), "num_layers": (1, 64), "bins.num_bins": (2, 4096)}

    def __init__(self, skeleton: Union[str, Skeleton] = "mupots_17", *, channels: int = 96,
                 num_layers: int = 3, conv: Any = None, conv_kwargs: Optional[dict] = None,
                 bins: Optional[DepthBins] = None, skeleton_fit_scale: float = 1.0):
        super().__init__()
        self.skeleton = resolve_skeleton(skeleton)
        self.bins = DepthBins(300.0, 5000.0, 61, "log", focal_normalized=True) if bins is None else bins
        if not self.bins.focal_normalized:
            raise ValueError("bins: KeypointHDNet bins d = Z s with the focal length 1 / s; pass "
                             "focal_normalized=True bins")
        self.channels = channels
        self.embed = nn.Linear(5, channels)
        self.gnn = SkeletonGNN(self.skeleton, channels, num_layers=num_layers, conv=conv,
                               conv_kwargs=conv_kwargs)
        self.bin_head = DepthBinHead(channels, self.bins)
        # each joint's 3D offset from its own features and the whole body's (the GNN's readout):
        # W [h_j, g] = W_h h_j + W_g g, with W_g g computed once per person, not once per joint
        self.pose_joint = nn.Linear(channels, channels)
        self.pose_body = nn.Linear(channels, channels, bias=False)
        self.pose_out = nn.Linear(channels, 3)
        self.skeleton_fit_scale = float(skeleton_fit_scale)
        self.preprocessing = None  # keypoints need no image framing

    def reset_parameters(self) -> None:
        self.embed.reset_parameters()
        self.gnn.reset_parameters()
        self.bin_head.reset_parameters()
        for layer in (self.pose_joint, self.pose_body, self.pose_out):
            layer.reset_parameters()

    # ------------------------------------------------------------------ checkpoints
    def config(self) -> dict:
        return {"skeleton": self.skeleton.to_dict(), "channels": self.channels,
                "num_layers": self.gnn.num_layers, "conv": self.gnn.conv_name,
                "conv_kwargs": dict(self.gnn.conv_kwargs), "bins": self.bins.config()}

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[dict] = None) -> "KeypointHDNet":
        try:
            return cls(skeleton_from_dict(config["skeleton"]), channels=config["channels"],
                       num_layers=config["num_layers"], conv=config.get("conv"),
                       conv_kwargs=config.get("conv_kwargs") or None, bins=DepthBins(**config["bins"]))
        except KeyError as e:
            raise ValueError(f"architecture: the stored config lacks {e}") from None

    def checkpoint_data(self) -> dict:
        return {"skeleton_fit_scale": self.skeleton_fit_scale}

    def load_checkpoint_data(self, data: dict) -> None:
        value = data.get("skeleton_fit_scale", self.skeleton_fit_scale)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 100:
            raise ValueError(f"data: skeleton_fit_scale must be a number in (0, 100), got {value!r}")
        self.skeleton_fit_scale = float(value)

    # ------------------------------------------------------------------ forward
    def forward(self, keypoints_norm: Tensor, confidence: Optional[Tensor] = None) -> KeypointOutput:
        j = self.skeleton.num_joints
        check_tensor(keypoints_norm, "keypoints_norm", f"[P, {j}, 2]", shape=(None, j, 2))
        p = keypoints_norm.shape[0]
        kp = keypoints_norm.float()
        if confidence is None:
            conf = torch.ones(p, j, device=kp.device)
        else:
            check_tensor(confidence, "confidence", f"[P, {j}]", shape=(p, j))
            conf = confidence.float().clamp(0, 1)
        if p == 0:
            z = kp.new_zeros(0)
            return KeypointOutput(kp.new_zeros(0, 3), kp.new_zeros(0, j, 3), kp.new_zeros(0, j, 3), z, z,
                                  kp.new_zeros(0, self.bins.num_bins), z, z, kp.new_zeros(0, 2))
        vis = (conf > 0) & torch.isfinite(kp).all(-1)
        conf = conf * vis
        kp = torch.where(vis[..., None], kp, torch.zeros_like(kp))
        if not is_tracing():
            few = (vis.sum(1) < 2).nonzero().flatten().tolist()
            if few:
                raise ValueError(f"keypoints: people {few} have fewer than 2 visible joints; a "
                                 "person's size (and so its depth) needs at least two")
        s = person_scale(kp, conf)
        if not is_tracing() and bool((s < MIN_SCALE).any()):
            bad = (s < MIN_SCALE).nonzero().flatten().tolist()
            raise ValueError(f"keypoints: people {bad} span less than {MIN_SCALE:g} normalised units "
                             "(a fraction of a pixel); their size cannot be measured")
        root = self.skeleton.root
        centre = (kp * conf[..., None]).sum(1) / conf.sum(1, keepdim=True)
        root_2d = torch.where(vis[:, root, None], kp[:, root], centre)
        rel = (kp - root_2d[:, None]) / s[:, None, None]
        feats = torch.cat([rel * conf[..., None], conf[..., None], root_2d[:, None].expand(p, j, 2)], -1)
        gnn = self.gnn(torch.relu(self.embed(feats)))
        focal = 1.0 / s
        depth = self.bin_head(gnn.graph, focal, focal)
        z = depth.depth_mm
        assert z is not None and depth.depth_std_mm is not None
        root_mm = torch.cat([root_2d * z[:, None], z[:, None]], -1)
        hidden = torch.relu(self.pose_joint(gnn.nodes) + self.pose_body(gnn.graph)[:, None])
        pose = self.pose_out(hidden) * 1000.0
        pose = pose - pose[:, root:root + 1]
        return KeypointOutput(root_mm, pose, root_mm[:, None] + pose, z, depth.depth_std_mm, depth.probs,
                              depth.index, s, root_2d)

    @torch.no_grad()
    def predict(self, keypoints_px, cameras: CameraLike, confidence=None, skeleton: Union[str, Skeleton, None] = None,
                max_batch: int = 256) -> KeypointOutput:
        """Pixels and cameras in, mm out (eval mode).

        Args:
            keypoints_px: ``[P, J_in, 2]`` (or ``[P, J_in, 3]`` with confidence as the third
                column, e.g. COCO's ``[x, y, score]``).
            cameras: a :class:`~hdnet.camera.Camera` for all, one per person, a
                :class:`~hdnet.camera.Cameras`, or ``[P, 4]`` intrinsics; lens distortion is undone.
            confidence: ``[P, J_in]`` (default: the third column, else 1).
            skeleton: the joint set of the input when it is not the model's (e.g.
                ``"coco_17"``): converted by joint meaning (the pelvis from the hips...).
            max_batch: people per forward pass. Larger inputs run in passes of this size (the
                same to float rounding: in eval mode every person is computed on its own), which
                keeps the intermediates in the CPU's cache (docs/benchmarks.md).
        """
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch: expected an int >= 1, got {max_batch!r}")
        self.eval()
        kp = torch.as_tensor(np.asarray(keypoints_px, dtype=np.float64))
        if kp.dim() != 3 or kp.shape[-1] not in (2, 3):
            raise ValueError(f"keypoints_px: expected [P, J, 2] or [P, J, 3], got {tuple(kp.shape)}")
        conf = torch.as_tensor(np.asarray(confidence, dtype=np.float64)) if confidence is not None else \
            (kp[..., 2] if kp.shape[-1] == 3 else torch.ones(kp.shape[:2], dtype=torch.float64))
        kp = kp[..., :2]
        if conf.shape != kp.shape[:2]:
            raise ValueError(f"confidence: expected {tuple(kp.shape[:2])}, got {tuple(conf.shape)}")
        src = resolve_skeleton(skeleton) if skeleton is not None else self.skeleton
        if kp.shape[1] != src.num_joints:
            raise ValueError(f"keypoints_px: {kp.shape[1]} joints, but skeleton {src.name!r} has "
                             f"{src.num_joints}; pass skeleton= for another joint set")
        xy = normalize_keypoints(kp, cameras) if kp.shape[0] else kp
        if src.name != self.skeleton.name:
            xy, made = convert_joints(xy, src, self.skeleton)
            # a derived joint is as sure as its least sure part
            mins = convert_confidence(conf, src, self.skeleton)
            conf = torch.where(torch.as_tensor(made)[None], mins, torch.zeros_like(mins))
            xy = torch.nan_to_num(xy)
        dev = next(self.parameters()).device
        xy, conf = xy.to(dev, torch.float32), conf.to(dev, torch.float32)
        if xy.shape[0] <= max_batch:
            return self(xy, conf)
        passes = [self(a, b) for a, b in zip(xy.split(max_batch), conf.split(max_batch), strict=True)]
        return KeypointOutput(*(torch.cat(field) for field in zip(*passes, strict=True)))

    def extra_repr(self) -> str:
        return f"skeleton={self.skeleton.name!r}, bins: d = Z s in [{self.bins.d_min:g}, {self.bins.d_max:g}] mm"
