"""The reference HDNet, assembled from hdnet's layers."""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Union

import torch
from torch import Tensor, nn

from ..graphs import Skeleton, resolve_skeleton
from ..layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonGNN
from ..layers._checks import check_tensor
from .backbone import ResNetFPN

__all__ = ["HDNet", "FeatureBranch"]


class _BranchLevel(nn.Module):
    """1x1 conv (no bias) + BN + ReLU, nearest upsampling by ``scale``, 3x3 conv (no bias) + BN
    + ReLU."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, scale: int):
        super().__init__()
        self.scale = scale
        self.reduce = nn.Sequential(nn.Conv2d(in_channels, mid_channels, 1, bias=False),
                                    nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True))
        self.refine = nn.Sequential(nn.Conv2d(mid_channels, out_channels, 3, padding=1, bias=False),
                                    nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))

    def forward(self, x: Tensor) -> Tensor:
        x = self.reduce(x)
        if self.scale != 1:
            x = nn.functional.interpolate(x, scale_factor=self.scale, mode="nearest")
        return self.refine(x)


class FeatureBranch(nn.Module):
    r"""One HDNet branch: a small stack per pyramid level, upsampled to the P2 grid and
    concatenated: ``[N, 4 * out_channels, H/4, W/4]``.

    Args:
        in_channels: pyramid channels (256). mid_channels: after the 1x1 conv (128).
        out_channels: per level (64), so the branch gives ``4 * out_channels``.
    """

    def __init__(self, in_channels: int = 256, mid_channels: int = 128, out_channels: int = 64):
        super().__init__()
        self.levels = nn.ModuleList(_BranchLevel(in_channels, mid_channels, out_channels, 2 ** i)
                                    for i in range(4))
        self.out_channels = 4 * out_channels

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
                m.reset_parameters()

    def forward(self, pyramid: List[Tensor]) -> Tensor:
        return torch.cat([level(p) for level, p in zip(self.levels, pyramid)], dim=1)


class HDNet(nn.Module):
    r"""HDNet (Lin & Lee, ECCV 2020): camera-space root depth of every person in an image.

    Image level (once per image): ResNet-FPN backbone, a heatmap branch and a depth branch
    (:class:`FeatureBranch`), and a 1x1 conv to ``J`` heatmap logits. Person level (once per
    person): masked spatial softmax and pooling (:class:`~hdnet.layers.HeatmapAttentionPooling`)
    giving the 2D pose and per-joint depth features, a skeleton GNN
    (:class:`~hdnet.layers.SkeletonGNN`) with a mean readout, and the depth-bin head
    (:class:`~hdnet.layers.DepthBinHead`). The cost of P people on one image is one backbone
    pass plus P light person-level passes.

    Args:
        skeleton: joint set of the heatmaps and the GNN graph (name or Skeleton).
        bins: the :class:`~hdnet.layers.DepthBins` (default: 2.0-8.0 focal-normalised, 61 log bins).
        backbone: a :class:`ResNetFPN` (default ResNet-50-FPN, random init; load ImageNet weights
            with ``backbone.load_backbone_weights(path)``).
        branch_channels: channels per pyramid level in each branch (64 -> 256 per branch).
        gnn_layers, gnn_channels: the skeleton GNN (2 layers of 256 in the original).
        conv: optional PyG conv factory for the GNN (default :class:`~hdnet.layers.SkeletonConv`).

    ``forward(images, coord_map, person_mask, index=None, fx=None, fy=None)``:

    - **images** ``[N, 3, H, W]`` (normalised; H, W multiples of 32), **coord_map**
      ``[N, 2, H/4, W/4]`` (normalised camera coordinates of each output cell, from
      :func:`hdnet.camera.coord_map`), **person_mask** ``[P, H/4, W/4]`` (each person's box),
      **index** ``[P]`` the image of each person (default: one person per image, N == P),
      **fx, fy** optional focal lengths (scalars or ``[P]``) to also get depths in mm.
    - returns a dict: ``heatmap`` ``[P, J, h, w]`` (probabilities), ``pose`` ``[P, J, 2]``
      (soft-argmax in the coord map's coordinates), ``bins`` ``[P, K]``, ``bin_idx`` ``[P]``,
      ``bin_logits`` ``[P, K]``, and with ``fx, fy``: ``depth_mm`` and ``depth_std_mm`` ``[P]``.
    """

    def __init__(self, skeleton: Union[str, Skeleton] = "h36m_17", bins: Optional[DepthBins] = None,
                 backbone: Optional[ResNetFPN] = None, branch_channels: int = 64,
                 gnn_layers: int = 2, gnn_channels: int = 256, conv=None):
        super().__init__()
        self.skeleton = resolve_skeleton(skeleton)
        self.bins = DepthBins() if bins is None else bins
        self.backbone = ResNetFPN(50) if backbone is None else backbone
        c = self.backbone.out_channels
        self.heatmap_branch = FeatureBranch(c, c // 2, branch_channels)
        self.depth_branch = FeatureBranch(c, c // 2, branch_channels)
        self.heatmap_head = nn.Conv2d(self.heatmap_branch.out_channels, self.skeleton.num_joints, 1)
        self.pooling = HeatmapAttentionPooling()
        self.gnn = SkeletonGNN(self.skeleton, gnn_channels, num_layers=gnn_layers, conv=conv,
                               in_channels=self.depth_branch.out_channels)
        self.bin_head = DepthBinHead(gnn_channels, self.bins)
        self.branch_channels = branch_channels

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @classmethod
    def from_config(cls, config: dict) -> "HDNet":
        """Build the architecture that :meth:`config` describes (weights random)."""
        from ..graphs import get_skeleton
        try:
            sk = get_skeleton(config["skeleton"])
            if list(sk.joints) != list(config.get("joints", sk.joints)):
                raise KeyError
        except KeyError:
            raise ValueError(f"config: skeleton {config.get('skeleton')!r} is not registered with "
                             "the stored joints; register it first") from None
        backbone = ResNetFPN(config["backbone_depth"], config.get("backbone_channels", 256),
                             width=config.get("backbone_width", 64))
        return cls(sk, DepthBins(**config["bins"]), backbone, config["branch_channels"],
                   config["gnn_layers"], config["gnn_channels"])

    def config(self) -> dict:
        """What defines the architecture (stored in checkpoints, compared on load)."""
        return {"skeleton": self.skeleton.name, "joints": list(self.skeleton.joints),
                "bins": self.bins.config(), "backbone_depth": self.backbone.depth,
                "backbone_width": self.backbone.resnet.width,
                "backbone_channels": self.backbone.out_channels,
                "branch_channels": self.branch_channels, "gnn_layers": self.gnn.num_layers,
                "gnn_channels": self.gnn.channels}

    def reset_parameters(self) -> None:
        self.backbone.reset_parameters()
        self.heatmap_branch.reset_parameters()
        self.depth_branch.reset_parameters()
        self.heatmap_head.reset_parameters()
        self.gnn.reset_parameters()
        self.bin_head.reset_parameters()

    # ------------------------------------------------------------------ the two levels
    def image_forward(self, images: Tensor):
        """Per-image part: ``(heatmap logits [N, J, h, w], depth features [N, C, h, w])``."""
        check_tensor(images, "images", "[N, 3, H, W]", shape=(None, 3, None, None))
        h, w = images.shape[-2:]
        if h % 32 or w % 32:
            raise ValueError(f"images: H and W must be multiples of 32, got {(h, w)}")
        pyramid = self.backbone(images)
        logits = self.heatmap_head(self.heatmap_branch(pyramid))
        return logits, self.depth_branch(pyramid)

    def person_forward(self, logits: Tensor, depth_features: Tensor, coord_map: Tensor,
                       person_mask: Tensor, index: Optional[Tensor] = None, fx=None, fy=None
                       ) -> Dict[str, Tensor]:
        """Per-person part on the outputs of :meth:`image_forward`."""
        n, j, h, w = logits.shape
        check_tensor(coord_map, "coord_map", "[N, 2, h, w]", shape=(n, 2, h, w))
        p = person_mask.shape[0] if person_mask.dim() == 3 else -1
        check_tensor(person_mask, "person_mask", "[P, h, w]", shape=(p, h, w))
        if index is None:
            if p != n:
                raise ValueError(f"index: required when P={p} people are spread over N={n} images")
            person_logits = logits
        else:
            check_tensor(index, "index", "[P]", shape=(p,))
            person_logits = logits.index_select(0, index)  # J maps per person: cheap
        pooled = self.pooling(person_logits, depth_features, person_mask, coord_map, index)
        gnn = self.gnn(pooled.features)
        depth = self.bin_head(gnn.graph, fx, fy)
        out = {"heatmap": pooled.prob, "pose": pooled.coords, "bins": depth.probs,
               "bin_idx": depth.index, "bin_logits": depth.logits}
        if depth.depth_mm is not None:
            out["depth_mm"] = depth.depth_mm
            out["depth_std_mm"] = depth.depth_std_mm
        return out

    def forward(self, images: Tensor, coord_map: Tensor, person_mask: Tensor,
                index: Optional[Tensor] = None, fx=None, fy=None) -> Dict[str, Tensor]:
        logits, depth_features = self.image_forward(images)
        return self.person_forward(logits, depth_features, coord_map, person_mask, index, fx, fy)

    # ------------------------------------------------------------------ the original weights
    @classmethod
    def from_original_checkpoint(cls, checkpoint: Union[str, os.PathLike, dict],
                                 skeleton: Optional[Union[str, Skeleton]] = None,
                                 bins: Optional[DepthBins] = None) -> "HDNet":
        """Build an HDNet and load the authors' released weights into it.

        Args:
            checkpoint: path to the original ``ckpt.pth.tar`` (a dict whose ``"model"`` entry is
                the state dict), or that dict, or the state dict itself; a ``module.`` prefix
                (DataParallel) is accepted.
            skeleton: the joint set; default ``h36m_17`` for 17 joints (the released model).
            bins: default ``DepthBins(2.0, 8.0, K)`` with K from the checkpoint.
        """
        from .original import convert_original_checkpoint, load_original_state_dict

        state = load_original_state_dict(checkpoint)
        num_joints = state["out_heatmap.weight"].shape[0]
        num_bins = state["out_bins.weight"].shape[0]
        if skeleton is None:
            if num_joints != 17:
                raise ValueError(f"skeleton: the checkpoint has {num_joints} joints; pass the "
                                 "skeleton it was trained with")
            skeleton = "h36m_17"
        sk = resolve_skeleton(skeleton)
        if sk.num_joints != num_joints:
            raise ValueError(f"skeleton: {sk.name!r} has {sk.num_joints} joints, the checkpoint "
                             f"{num_joints}")
        bins = DepthBins(2.0, 8.0, num_bins) if bins is None else bins
        if bins.num_bins != num_bins:
            raise ValueError(f"bins: {bins.num_bins} bins, the checkpoint has {num_bins}")
        depth = 101 if any(k.startswith("fpn.resnet.layer3.22.") for k in state) else 50
        model = cls(sk, bins, ResNetFPN(depth))
        model.load_state_dict(convert_original_checkpoint(state, model), strict=True)
        return model
