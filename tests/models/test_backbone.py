import pytest
import torch

from hdnet.models import ResNetFPN
from hdnet.models.backbone import RESNET_BLOCKS


def torchvision_keys(depth):
    """torchvision's ResNet state-dict names, written out from its naming rules."""
    bottleneck = depth >= 50
    convs = 3 if bottleneck else 2
    bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    keys = ["conv1.weight"] + [f"bn1.{b}" for b in bn]
    for stage, n in enumerate(RESNET_BLOCKS[depth][1], start=1):
        for k in range(n):
            pre = f"layer{stage}.{k}"
            for c in range(1, convs + 1):
                keys += [f"{pre}.conv{c}.weight"] + [f"{pre}.bn{c}.{b}" for b in bn]
            if k == 0 and (stage > 1 or bottleneck):
                keys += [f"{pre}.downsample.0.weight"] + [f"{pre}.downsample.1.{b}" for b in bn]
    return keys + ["fc.weight", "fc.bias"]


@pytest.mark.parametrize("depth", [18, 34, *(pytest.param(d, marks=pytest.mark.slow) for d in (50, 101))])
def test_torchvision_names_and_pyramid_shapes(depth, tmp_path):
    fpn = ResNetFPN(depth).eval()
    expected = [k for k in torchvision_keys(depth) if not k.startswith("fc.")]
    assert list(fpn.resnet.state_dict()) == expected
    # a torchvision-style checkpoint (with its classifier) loads with strict key matching
    state = {k: v.clone().normal_() if v.is_floating_point() else v
             for k, v in fpn.resnet.state_dict().items()}
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 8), torch.zeros(1000)
    torch.save(state, tmp_path / "w.pth")
    fpn2 = ResNetFPN(depth, weights=tmp_path / "w.pth")
    torch.testing.assert_close(fpn2.resnet.conv1.weight, state["conv1.weight"])
    if depth in (18, 50):
        with torch.no_grad():
            outs = fpn(torch.randn(1, 3, 64, 96))
        assert [tuple(o.shape) for o in outs] == [(1, 256, 16, 24), (1, 256, 8, 12),
                                                   (1, 256, 4, 6), (1, 256, 2, 3)]


def test_weight_errors(tmp_path):
    fpn = ResNetFPN(18)
    with pytest.raises(FileNotFoundError, match="path"):
        fpn.load_backbone_weights(tmp_path / "nope.pth")
    state = ResNetFPN(34).resnet.state_dict()
    with pytest.raises(KeyError, match="ResNet-18"):
        fpn.load_backbone_weights(state)
    with pytest.raises(ValueError, match="depth"):
        ResNetFPN(42)


def test_freeze_bn_survives_train():
    fpn = ResNetFPN(18).freeze_bn()
    fpn.train()
    bns = [m for m in fpn.resnet.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert all(not m.training for m in bns)
    assert all(not m.weight.requires_grad for m in bns)
    before = bns[0].running_mean.clone()
    fpn(torch.randn(2, 3, 64, 64))
    torch.testing.assert_close(bns[0].running_mean, before)


def test_fpn_equation():
    """Top-down adds unsmoothed maps; P5 is not smoothed (written out by hand)."""
    fpn = ResNetFPN(18, out_channels=32).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        c2, c3, c4, c5 = fpn.resnet(x)
        up = lambda t: t.repeat_interleave(2, -1).repeat_interleave(2, -2)  # noqa: E731
        p5 = fpn.lateral[3](c5)
        t4 = fpn.lateral[2](c4) + up(p5)
        t3 = fpn.lateral[1](c3) + up(t4)
        t2 = fpn.lateral[0](c2) + up(t3)
        ref = [fpn.smooth[0](t2), fpn.smooth[1](t3), fpn.smooth[2](t4), p5]
        for a, b in zip(fpn(x), ref, strict=True):
            torch.testing.assert_close(a, b)
