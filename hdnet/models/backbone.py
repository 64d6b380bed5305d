"""ResNet + FPN backbone with torchvision's module names (ImageNet weights load from a local file)."""

from __future__ import annotations

import os
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["ResNet", "ResNetFPN", "BasicBlock", "Bottleneck", "RESNET_BLOCKS"]


class BasicBlock(nn.Module):
    """ResNet basic block (two 3x3 convs), torchvision layout."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(in_planes, planes * self.expansion, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """ResNet bottleneck (1x1, 3x3 with the stride, 1x1), torchvision (v1.5) layout."""

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _downsample(in_planes, planes * self.expansion, stride)

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def _downsample(in_planes: int, out_planes: int, stride: int) -> Optional[nn.Module]:
    if stride == 1 and in_planes == out_planes:
        return None
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 1, stride, bias=False),
                         nn.BatchNorm2d(out_planes))


#: depth -> (block type, blocks per stage)
RESNET_BLOCKS = {18: (BasicBlock, (2, 2, 2, 2)), 34: (BasicBlock, (3, 4, 6, 3)),
                 50: (Bottleneck, (3, 4, 6, 3)), 101: (Bottleneck, (3, 4, 23, 3))}


class ResNet(nn.Module):
    """The ResNet trunk (no pooling or classifier), returning C2..C5 (strides 4..32).

    ``width`` is the channels of the first stage (64 in torchvision; smaller values give the
    compact backbones the demo trains from scratch on a CPU)."""

    def __init__(self, depth: int = 50, width: int = 64):
        super().__init__()
        if depth not in RESNET_BLOCKS:
            raise ValueError(f"depth: expected one of {sorted(RESNET_BLOCKS)}, got {depth!r}")
        if width < 1:
            raise ValueError(f"width: expected >= 1, got {width}")
        block, counts = RESNET_BLOCKS[depth]
        self.depth, self.width = depth, width
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        in_planes = width
        stages = tuple(width * m for m in (1, 2, 4, 8))
        for i, (planes, n) in enumerate(zip(stages, counts, strict=True)):
            blocks = []
            for k in range(n):
                blocks.append(block(in_planes, planes, (1 if i == 0 else 2) if k == 0 else 1))
                in_planes = planes * block.expansion  # type: ignore[attr-defined]
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.out_channels = [c * block.expansion for c in stages]  # type: ignore[attr-defined]
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()

    def forward(self, x: Tensor) -> List[Tensor]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        out = []
        for i in range(1, 5):
            x = getattr(self, f"layer{i}")(x)
            out.append(x)
        return out


class ResNetFPN(nn.Module):
    r"""ResNet + feature pyramid, as in HDNet: returns P2..P5 (strides 4, 8, 16, 32).

    .. math::
        P_5 = L_5(C_5),\quad \tilde P_l = L_l(C_l) + \mathrm{up}_{nearest}(\tilde P_{l+1}),
        \quad P_l = S_l(\tilde P_l)\ (l = 2, 3, 4)

    with :math:`L_l` lateral 1x1 convs (with bias) and :math:`S_l` 3x3 smoothing convs; the
    top-down path adds the *unsmoothed* maps and :math:`P_5` is not smoothed, as in the
    original code.

    Args:
        depth: ResNet depth, 18, 34, 50 or 101.
        out_channels: channels of every pyramid level (256).
        weights: optional path to a torchvision ImageNet state dict for the ResNet
            (see :meth:`load_backbone_weights`); nothing is ever downloaded.
        width: first-stage channels of the ResNet (64 = torchvision's).

    Shapes:
        input ``[N, 3, H, W]`` (H, W multiples of 32); output four maps
        ``[N, out_channels, H / s, W / s]`` for s = 4, 8, 16, 32.
    """

    def __init__(self, depth: int = 50, out_channels: int = 256, *,
                 weights: Optional[Union[str, os.PathLike]] = None, width: int = 64):
        super().__init__()
        self.resnet = ResNet(depth, width)
        self.out_channels = out_channels
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in self.resnet.out_channels)
        self.smooth = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1)
                                    for _ in range(3))
        self._bn_frozen = False
        self.reset_parameters()
        if weights is not None:
            self.load_backbone_weights(weights)

    @property
    def depth(self) -> int:
        return self.resnet.depth

    def config(self) -> dict:
        """The architecture as plain data: ``{"depth", "width", "channels"}``."""
        return {"depth": self.depth, "width": self.resnet.width, "channels": self.out_channels}

    @classmethod
    def from_config(cls, config: dict) -> "ResNetFPN":
        return cls(config["depth"], config["channels"], width=config["width"])

    def reset_parameters(self) -> None:
        self.resnet.reset_parameters()
        for conv in [*self.lateral, *self.smooth]:
            conv.reset_parameters()

    def load_backbone_weights(self, path: Union[str, os.PathLike, dict]) -> None:
        """Load a torchvision ResNet state dict (e.g. ImageNet weights saved with
        ``torch.save(torchvision.models.resnet50(weights=...).state_dict(), path)``).

        Keys must match torchvision's names exactly; the classifier (``fc.*``) is ignored.

        Raises:
            FileNotFoundError: no file at ``path``.
            KeyError: missing or unexpected keys (listed).
        """
        if isinstance(path, dict):
            state = path
        else:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"path: no backbone weights at {os.fspath(path)!r}")
            state = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
        state = {k.removeprefix("module."): v for k, v in state.items() if not k.startswith("fc.")}
        own = self.resnet.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(f"backbone weights do not match ResNet-{self.depth}: missing "
                           f"{missing[:10]}{'...' if len(missing) > 10 else ''}, unexpected "
                           f"{unexpected[:10]}{'...' if len(unexpected) > 10 else ''}")
        bad = [k for k in own if own[k].shape != state[k].shape]
        if bad:
            raise KeyError(f"backbone weights: shape mismatch for {bad[:10]}")
        self.resnet.load_state_dict(state, strict=True)

    def freeze_bn(self, frozen: bool = True) -> "ResNetFPN":
        """Keep every BatchNorm of the ResNet in eval mode with fixed affine parameters."""
        self._bn_frozen = frozen
        for m in self.resnet.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval() if frozen else m.train(self.training)
                m.weight.requires_grad_(not frozen)
                m.bias.requires_grad_(not frozen)
        return self

    def train(self, mode: bool = True) -> "ResNetFPN":
        super().train(mode)
        if self._bn_frozen:
            for m in self.resnet.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()
        return self

    def forward(self, x: Tensor) -> List[Tensor]:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"images: expected shape [N, 3, H, W], got {tuple(x.shape)}")
        c2, c3, c4, c5 = self.resnet(x)
        p5 = self.lateral[3](c5)
        t4 = self.lateral[2](c4) + F.interpolate(p5, size=c4.shape[-2:], mode="nearest")
        t3 = self.lateral[1](c3) + F.interpolate(t4, size=c3.shape[-2:], mode="nearest")
        t2 = self.lateral[0](c2) + F.interpolate(t3, size=c2.shape[-2:], mode="nearest")
        return [self.smooth[0](t2), self.smooth[1](t3), self.smooth[2](t4), p5]

    def extra_repr(self) -> str:
        return (f"depth={self.depth}, width={self.resnet.width}, out_channels={self.out_channels}, "
                f"bn_frozen={self._bn_frozen}")
