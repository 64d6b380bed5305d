import math

import numpy as np
import pytest
import torch

from hdnet.layers import DepthBinHead, DepthBins


def test_index_formula_and_round_trip():
    bins = DepthBins()  # 2..8, 61 log bins, focal-normalised
    fx, fy = 1145.0, 1143.8
    f = math.sqrt(fx * fy)
    z = torch.linspace(2.0 * f, 8.0 * f, 1001, dtype=torch.float64)
    idx, ok = bins.index(z, fx, fy)
    assert ok.all()
    expected = (torch.log(z / f) - math.log(2.0)) / (math.log(8.0) - math.log(2.0)) * 60
    torch.testing.assert_close(idx, expected)
    assert abs(float(bins.index(torch.tensor(4.0 * f), fx, fy).index) - 30.0) < 1e-4  # geometric mean
    back = bins.depth(idx, fx, fy)
    assert ((back - z).abs() / z).max() < 1e-4


def test_linear_spacing_and_unnormalised():
    bins = DepthBins(1000.0, 9000.0, 81, spacing="linear", focal_normalized=False)
    z = torch.linspace(1000.0, 9000.0, 333, dtype=torch.float64)
    idx, ok = bins.index(z)
    torch.testing.assert_close(idx, (z - 1000.0) / 8000.0 * 80)
    assert ((bins.depth(idx) - z).abs() / z).max() < 1e-4
    torch.testing.assert_close(bins.centers()[[0, 40, 80]], torch.tensor([1000.0, 5000.0, 9000.0]))


def test_out_of_range_is_clamped_and_reported():
    bins = DepthBins()
    idx, ok = bins.index(torch.tensor([100.0, 4000.0, 50000.0]), 1000.0, 1000.0)
    assert ok.tolist() == [False, True, False]
    assert idx[0] == 0 and idx[2] == 60


def test_two_hot_soft_argmax_returns_the_index_exactly():
    bins = DepthBins()
    b = torch.tensor([0.0, 0.25, 17.5, 33.999, 59.5, 60.0], dtype=torch.float64)
    t = bins.soft_target(b)
    torch.testing.assert_close(t.sum(-1), torch.ones(6, dtype=torch.float64))
    assert ((t > 0).sum(-1) <= 2).all()
    torch.testing.assert_close((t * torch.arange(61, dtype=torch.float64)).sum(-1), b)


def test_head_outputs_and_uncertainty():
    bins = DepthBins()
    head = DepthBinHead(16, bins)
    x = torch.randn(5, 16)
    out = head(x, fx=torch.full((5,), 1000.0), fy=1000.0)
    torch.testing.assert_close(out.probs.sum(-1), torch.ones(5))
    torch.testing.assert_close(out.index, (out.probs * torch.arange(61.0)).sum(-1))
    torch.testing.assert_close(out.depth_mm, bins.depth(out.index, 1000.0, 1000.0))
    # std of the bin distribution in mm, written out with numpy
    p = out.probs.detach().double().numpy()
    zc = bins.centers(1000.0, 1000.0).double().numpy()
    mean = (p * zc).sum(-1)
    std = np.sqrt((p * (zc - mean[:, None]) ** 2).sum(-1))
    np.testing.assert_allclose(out.depth_std_mm.detach().numpy(), std, rtol=1e-4)
    # a sharp distribution has (almost) no spread
    with torch.no_grad():
        head.linear.weight.zero_()
        head.linear.bias.fill_(-1e4)
        head.linear.bias[20] = 1e4
    with torch.no_grad():
        sharp = head(x, 1000.0, 1000.0)
    assert float(sharp.depth_std_mm.max()) < 1e-3 and torch.allclose(sharp.index, torch.full((5,), 20.0))
    no_cam = head(x)
    assert no_cam.depth_mm is None and no_cam.depth_std_mm is None


def test_head_autocast_bfloat16():
    head = DepthBinHead(8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = head(torch.randn(3, 8), 1000.0, 1000.0)
    assert torch.isfinite(out.index).all() and torch.isfinite(out.depth_mm).all()


def test_bad_input():
    bins = DepthBins()
    with pytest.raises(ValueError, match="depth_mm"):
        bins.index(torch.tensor([-1.0]), 1000.0, 1000.0)
    with pytest.raises(ValueError, match="depth_mm"):
        bins.index(torch.tensor([0.0]), 1000.0, 1000.0)
    with pytest.raises(ValueError, match="fx"):
        bins.index(torch.tensor([1000.0]), 0.0, 1000.0)
    with pytest.raises(ValueError, match="fy"):
        bins.depth(torch.tensor([3.0]), 1000.0, -5.0)
    with pytest.raises(ValueError, match="fx, fy: required"):
        bins.index(torch.tensor([1000.0]))
    with pytest.raises(ValueError, match="spacing"):
        DepthBins(spacing="sqrt")
    with pytest.raises(ValueError, match="d_min"):
        DepthBins(d_min=0.0)
    with pytest.raises(ValueError, match="d_min, d_max"):
        DepthBins(5.0, 2.0)
    with pytest.raises(ValueError, match="num_bins"):
        DepthBins(num_bins=1)
    with pytest.raises(ValueError, match=r"x: expected shape \[B, C\]"):
        DepthBinHead(8)(torch.randn(3, 9))
    with pytest.raises(TypeError, match="bins"):
        DepthBinHead(8, bins=61)
    assert "num_bins=61" in repr(DepthBinHead(8))
