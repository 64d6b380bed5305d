"""The reference HDNet, assembled from hdnet's layers."""

from __future__ import annotations

import os
from typing import Any, Dict, List, NamedTuple, Optional, Union

import torch
from torch import Tensor, nn

from ..data.transforms import Preprocessing
from ..graphs import Skeleton, resolve_skeleton
from ..layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonGNN
from ..layers._checks import check_tensor, is_tracing
from .backbone import ResNetFPN
from .checkpoint import register_model_class

__all__ = ["HDNet", "FeatureBranch", "HDNetOutput", "output_dict"]


class HDNetOutput(NamedTuple):
    """What :class:`HDNet` returns, per person (consistent with the layers' NamedTuples; the
    field names are the original code's output keys, which :class:`~hdnet.losses.HDNetLoss`
    reads)."""

    heatmap: Tensor  #: ``[P, J, h, w]`` per-joint spatial probabilities (inside the box)
    pose: Tensor  #: ``[P, J, 2]`` soft-argmax, in the coordinate map's coordinates
    bins: Tensor  #: ``[P, K]`` depth-bin probabilities
    bin_idx: Tensor  #: ``[P]`` soft-argmax bin index
    bin_logits: Tensor  #: ``[P, K]``
    depth_mm: Optional[Tensor] = None  #: ``[P]`` root depth (with ``fx, fy``)
    depth_std_mm: Optional[Tensor] = None  #: ``[P]`` its uncertainty (with ``fx, fy``)


def output_dict(out) -> Dict[str, Tensor]:
    """A model output as ``{name: tensor}`` (None fields dropped): the one place where the typed
    output meets code that takes mappings (losses, stand-in models returning dicts)."""
    if hasattr(out, "_asdict"):
        out = out._asdict()
    return {k: v for k, v in out.items() if v is not None}


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
        conv, conv_kwargs: the GNN's conv (see :class:`~hdnet.layers.SkeletonGNN`; default
            :class:`~hdnet.layers.SkeletonConv`).
        preprocessing: how inputs are framed and normalised
            (:class:`~hdnet.data.Preprocessing`; the original's by default). It travels with
            the weights: :meth:`save`, :meth:`from_checkpoint` and the
            :class:`~hdnet.Predictor` use it, so it is never retyped.

    ``forward(images, coord_map, person_mask, *, index=None, fx=None, fy=None)``:

    - **images** ``[N, 3, H, W]`` (normalised; H, W multiples of 32), **coord_map**
      ``[N, 2, H/4, W/4]`` (normalised camera coordinates of each output cell, from
      :func:`hdnet.camera.coord_map`), **person_mask** ``[P, H/4, W/4]`` (each person's box),
      **index** ``[P]`` the image of each person (PyG would call it ``batch``; default: one
      person per image, N == P), **fx, fy** optional focal lengths (scalars or ``[P]``) to
      also get depths in mm.
    - returns :class:`HDNetOutput` (``depth_mm``, ``depth_std_mm`` only with ``fx, fy``);
      P = 0 gives empty outputs.

    The architecture and preprocessing are part of :meth:`state_dict` (``_extra_state``), so
    even a bare ``torch.save(model.state_dict())`` says what it is, and loading the weights of
    another architecture or skeleton is an error naming the difference.
    """

    def __init__(self, skeleton: Union[str, Skeleton] = "h36m_17", bins: Optional[DepthBins] = None,
                 backbone: Optional[ResNetFPN] = None, branch_channels: int = 64,
                 gnn_layers: int = 2, gnn_channels: int = 256, conv: Any = None,
                 conv_kwargs: Optional[dict] = None, preprocessing: Optional[Preprocessing] = None):
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
                               conv_kwargs=conv_kwargs, in_channels=self.depth_branch.out_channels)
        self.bin_head = DepthBinHead(gnn_channels, self.bins)
        self.branch_channels = branch_channels
        self.preprocessing = Preprocessing() if preprocessing is None else preprocessing
        if not isinstance(self.preprocessing, Preprocessing):
            raise TypeError(f"preprocessing: expected a Preprocessing, got {type(preprocessing).__name__}")

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[Preprocessing] = None) -> "HDNet":
        """Build the architecture that :meth:`config` describes (weights random)."""
        from .checkpoint import skeleton_from_config
        try:
            sk = skeleton_from_config(config)
            backbone = ResNetFPN(config["backbone_depth"], config.get("backbone_channels", 256),
                                 width=config.get("backbone_width", 64))
            return cls(sk, DepthBins(**config["bins"]), backbone, config["branch_channels"],
                       config["gnn_layers"], config["gnn_channels"], config.get("conv"),
                       config.get("conv_kwargs") or None, preprocessing)
        except KeyError as e:
            raise ValueError(f"architecture: the stored config lacks {e}") from None

    def config(self) -> dict:
        """What defines the architecture, as plain data (stored in checkpoints, compared on
        load): the whole skeleton, the bins, the backbone, the branches and the GNN's conv."""
        return {"skeleton": self.skeleton.to_dict(), "bins": self.bins.config(),
                "backbone_depth": self.backbone.depth, "backbone_width": self.backbone.resnet.width,
                "backbone_channels": self.backbone.out_channels,
                "branch_channels": self.branch_channels, "gnn_layers": self.gnn.num_layers,
                "gnn_channels": self.gnn.channels, "conv": self.gnn.conv_name,
                "conv_kwargs": dict(self.gnn.conv_kwargs)}

    def get_extra_state(self) -> dict:
        return {"model_class": type(self).__name__, "architecture": self.config(),
                "preprocessing": self.preprocessing.to_dict()}

    def set_extra_state(self, state) -> None:
        from .checkpoint import check_same_architecture
        if not isinstance(state, dict) or "architecture" not in state:
            raise ValueError("state_dict: '_extra_state' does not describe an HDNet")
        check_same_architecture(state["architecture"], self.config())
        if state.get("preprocessing") is not None:
            self.preprocessing = Preprocessing.from_dict(state["preprocessing"])

    def reset_parameters(self) -> None:
        self.backbone.reset_parameters()
        self.heatmap_branch.reset_parameters()
        self.depth_branch.reset_parameters()
        self.heatmap_head.reset_parameters()
        self.gnn.reset_parameters()
        self.bin_head.reset_parameters()

    # ------------------------------------------------------------------ checkpoints
    def save(self, path, **meta) -> str:
        """Write a self-describing checkpoint (architecture, preprocessing, weights, checksum;
        see :mod:`hdnet.models.checkpoint`). ``meta``: plain data to store beside them."""
        from .checkpoint import save_checkpoint
        return save_checkpoint(self, path, meta=meta or None)

    @classmethod
    def from_checkpoint(cls, path, map_location="cpu") -> "HDNet":
        """The model a checkpoint describes, weights loaded, in eval mode (any hdnet checkpoint,
        a bare ``state_dict`` file of an HDNet, or the authors' original checkpoint)."""
        from .checkpoint import load_model
        model = load_model(path, map_location=map_location)
        if not isinstance(model, cls):
            raise ValueError(f"checkpoint: {path!r} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

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
                       person_mask: Tensor, *, index: Optional[Tensor] = None, fx=None, fy=None
                       ) -> HDNetOutput:
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
        pooled = self.pooling(person_logits, depth_features, mask=person_mask, coord_map=coord_map,
                              index=index)
        if p == 0 and not is_tracing():
            k = self.bins.num_bins
            empty = pooled.coords.new_zeros(0)
            with_depth = fx is not None or fy is not None
            return HDNetOutput(pooled.prob, pooled.coords, empty.new_zeros(0, k), empty,
                               empty.new_zeros(0, k), empty if with_depth else None,
                               empty if with_depth else None)
        gnn = self.gnn(pooled.features)
        depth = self.bin_head(gnn.graph, fx, fy)
        return HDNetOutput(pooled.prob, pooled.coords, depth.probs, depth.index, depth.logits,
                           depth.depth_mm, depth.depth_std_mm)

    def forward(self, images: Tensor, coord_map: Tensor, person_mask: Tensor, *,
                index: Optional[Tensor] = None, fx=None, fy=None) -> HDNetOutput:
        logits, depth_features = self.image_forward(images)
        return self.person_forward(logits, depth_features, coord_map, person_mask, index=index,
                                   fx=fx, fy=fy)

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
        return model.eval()


register_model_class(HDNet)
