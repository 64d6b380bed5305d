"""The reference HDNet, assembled from hdnet's layers."""

from __future__ import annotations

import os
from typing import Any, List, NamedTuple, Optional, Union

import torch
from torch import Tensor, nn

from ..core.checkpoint import Checkpointable
from ..core.checks import is_tracing
from ..data.batch import ImageBatch
from ..data.transforms import Preprocessing
from ..graphs import Skeleton, resolve_skeleton, skeleton_from_dict
from ..layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonGNN
from .backbone import ResNetFPN
from .original import convert_original_checkpoint, load_original_state_dict

__all__ = ["HDNet", "FeatureBranch", "HDNetOutput", "recognise_original_checkpoint"]


class HDNetOutput(NamedTuple):
    """What :class:`HDNet` returns, per person."""

    heatmap: Tensor  #: ``[P, J, h, w]`` per-joint spatial probabilities (inside the box)
    pose: Tensor  #: ``[P, J, 2]`` soft-argmax, in the coordinate map's coordinates
    bin_probs: Tensor  #: ``[P, K]`` depth-bin probabilities
    bin_index: Tensor  #: ``[P]`` soft-argmax bin index
    bin_logits: Tensor  #: ``[P, K]``
    depth_mm: Tensor  #: ``[P]`` root depth
    depth_std_mm: Tensor  #: ``[P]`` its uncertainty (spread of the bin distribution, mm)


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
        return torch.cat([level(p) for level, p in zip(self.levels, pyramid, strict=True)], dim=1)


class HDNet(Checkpointable, nn.Module):
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
        channels, num_layers: the skeleton GNN (2 layers of 256 in the original).
        conv, conv_kwargs: the GNN's conv (see :class:`~hdnet.layers.SkeletonGNN`; default
            :class:`~hdnet.layers.SkeletonConv`).
        preprocessing: how inputs are framed and normalised
            (:class:`~hdnet.data.Preprocessing`; the original's by default). It travels with
            the weights: :meth:`save`, :meth:`from_checkpoint` and the
            :class:`~hdnet.Predictor` use it, so it is never retyped.

    ``forward(batch)`` takes an :class:`~hdnet.data.ImageBatch` (``images [N, 3, H, W]``,
    ``coord_map [N, 2, H/4, W/4]``, ``masks [P, H/4, W/4]``, ``batch [P]``, ``focal [P, 2]``; built
    by :meth:`Preprocessing.inputs <hdnet.data.Preprocessing.inputs>`) and returns
    :class:`HDNetOutput`; P = 0 gives empty outputs.

    The architecture and preprocessing are part of :meth:`state_dict` (``_extra_state``), so
    even a bare ``torch.save(model.state_dict())`` says what it is, and loading the weights of
    another architecture or skeleton is an error naming the difference.
    """

    config_limits = {"channels": (1, 4096), "num_layers": (1, 64), "branch_channels": (1, 4096),
                     "backbone.depth": (18, 101), "backbone.width": (1, 1024), "backbone.channels": (1, 4096),
                     "bins.num_bins": (2, 4096)}

    def __init__(self, skeleton: Union[str, Skeleton] = "h36m_17", *, bins: Optional[DepthBins] = None,
                 backbone: Optional[ResNetFPN] = None, branch_channels: int = 64, num_layers: int = 2,
                 channels: int = 256, conv: Any = None, conv_kwargs: Optional[dict] = None,
                 preprocessing: Optional[Preprocessing] = None):
        super().__init__()
        self.skeleton = resolve_skeleton(skeleton)
        self.bins = DepthBins() if bins is None else bins
        self.backbone = ResNetFPN(50) if backbone is None else backbone
        c = self.backbone.out_channels
        self.heatmap_branch = FeatureBranch(c, c // 2, branch_channels)
        self.depth_branch = FeatureBranch(c, c // 2, branch_channels)
        self.heatmap_head = nn.Conv2d(self.heatmap_branch.out_channels, self.skeleton.num_joints, 1)
        self.pooling = HeatmapAttentionPooling()
        self.gnn = SkeletonGNN(self.skeleton, channels, num_layers=num_layers, conv=conv,
                               conv_kwargs=conv_kwargs, in_channels=self.depth_branch.out_channels)
        self.bin_head = DepthBinHead(channels, self.bins)
        self.branch_channels = branch_channels
        self.preprocessing = Preprocessing() if preprocessing is None else preprocessing
        if not isinstance(self.preprocessing, Preprocessing):
            raise TypeError(f"preprocessing: expected a Preprocessing, got {type(preprocessing).__name__}")

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    # ------------------------------------------------------------------ checkpoints
    def config(self) -> dict:
        """What defines the architecture, as plain data (stored in checkpoints, compared on
        load): the whole skeleton, the bins, the backbone, the branches and the GNN's conv."""
        return {"skeleton": self.skeleton.to_dict(), "bins": self.bins.config(), "backbone": self.backbone.config(),
                "branch_channels": self.branch_channels, "channels": self.gnn.channels,
                "num_layers": self.gnn.num_layers, "conv": self.gnn.conv_name, "conv_kwargs": dict(self.gnn.conv_kwargs)}

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[dict] = None) -> "HDNet":
        """Build the architecture that :meth:`config` describes (weights random)."""
        try:
            return cls(skeleton_from_dict(config["skeleton"]), bins=DepthBins(**config["bins"]),
                       backbone=ResNetFPN.from_config(config["backbone"]), branch_channels=config["branch_channels"],
                       num_layers=config["num_layers"], channels=config["channels"], conv=config.get("conv"),
                       conv_kwargs=config.get("conv_kwargs") or None,
                       preprocessing=Preprocessing.from_dict(preprocessing) if preprocessing is not None else None)
        except KeyError as e:
            raise ValueError(f"architecture: the stored config lacks {e}") from None

    def load_preprocessing(self, data: Optional[dict]) -> None:
        if data is not None:
            self.preprocessing = Preprocessing.from_dict(data)

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
        pyramid = self.backbone(images)
        logits = self.heatmap_head(self.heatmap_branch(pyramid))
        return logits, self.depth_branch(pyramid)

    def person_forward(self, logits: Tensor, depth_features: Tensor, batch: ImageBatch) -> HDNetOutput:
        """Per-person part on the outputs of :meth:`image_forward` for ``batch``'s images."""
        person_logits = logits.index_select(0, batch.batch)  # J maps per person: cheap
        pooled = self.pooling(person_logits, depth_features, mask=batch.masks, coord_map=batch.coord_map,
                              batch=batch.batch)
        if batch.num_people == 0 and not is_tracing():
            k = self.bins.num_bins
            empty = pooled.coords.new_zeros(0)
            return HDNetOutput(pooled.prob, pooled.coords, empty.new_zeros(0, k), empty, empty.new_zeros(0, k),
                               empty, empty)
        gnn = self.gnn(pooled.features)
        depth = self.bin_head(gnn.graph, batch.focal[:, 0], batch.focal[:, 1])
        assert depth.depth_mm is not None and depth.depth_std_mm is not None
        return HDNetOutput(pooled.prob, pooled.coords, depth.probs, depth.index, depth.logits,
                           depth.depth_mm, depth.depth_std_mm)

    def forward(self, batch: ImageBatch) -> HDNetOutput:
        if not isinstance(batch, ImageBatch):
            raise TypeError(f"batch: expected an hdnet.data.ImageBatch (made by Preprocessing.inputs or a "
                            f"training set), got {type(batch).__name__}")
        if not is_tracing():
            batch.validate()
        logits, depth_features = self.image_forward(batch.images)
        return self.person_forward(logits, depth_features, batch)

    def extra_repr(self) -> str:
        return f"skeleton={self.skeleton.name!r}, {self.preprocessing}"

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
        model = cls(sk, bins=bins, backbone=ResNetFPN(depth))
        model.load_state_dict(convert_original_checkpoint(state, model), strict=True)
        return model.eval()


def recognise_original_checkpoint(obj: dict) -> Optional[HDNet]:
    """The reference HDNet with the authors' weights, if ``obj`` (a loaded file) is their
    original checkpoint (``fpn.*`` keys, optionally under ``"model"`` and with a ``module.``
    prefix); else None. Registered in :data:`hdnet.core.checkpoint.FOREIGN_FORMATS`."""
    state = obj.get("model", obj)
    if isinstance(state, dict) and any(str(k).removeprefix("module.").startswith("fpn.") for k in state):
        return HDNet.from_original_checkpoint(state)
    return None
