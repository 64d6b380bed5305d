import numpy as np
import pytest
import torch

from hdnet.models import HDNet, ResNetFPN  # noqa: F401
from hdnet.models.fuse import fold_batchnorm, fold_conv_bn

from ..conftest import image_batch, tiny_hdnet


def _randomise_bn(model):
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.2)


def test_fold_conv_bn_equals_the_pair():
    conv, bn = torch.nn.Conv2d(3, 5, 3, padding=1, bias=False).double(), torch.nn.BatchNorm2d(5).double().eval()
    _randomise_bn(torch.nn.Sequential(bn))
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    torch.testing.assert_close(fold_conv_bn(conv, bn)(x), bn(conv(x)))


@pytest.mark.slow
def test_folded_hdnet_equals_the_original_in_eval_mode():
    torch.manual_seed(0)
    for depth in (18, 50):
        model = tiny_hdnet(depth=depth, width=16).double().eval()
        _randomise_bn(model)
        folded = fold_batchnorm(model)
        n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
        assert folded.folded_batchnorms == n_bn
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
        inputs = image_batch(2, 2)
        inputs.images, inputs.coord_map, inputs.focal = inputs.images.double(), inputs.coord_map.double(), \
            inputs.focal.double()
        with torch.no_grad():
            a = model(inputs)
            b = folded(inputs)
        for name in ("heatmap", "pose", "bin_probs", "depth_mm"):
            torch.testing.assert_close(getattr(b, name), getattr(a, name), rtol=1e-9, atol=1e-9)
        assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the original is kept
    assert np.isfinite(float(a.depth_mm[0]))


def test_a_model_that_has_run_folds_copies_and_pickles():
    """A forward pass caches the GNN's sparse graph operator, which cannot be deep-copied: the
    copy (what the Predictor folds) must start without it and still give the same outputs."""
    import copy
    import io
    model = tiny_hdnet(seed=1)
    inputs = image_batch(2, 2, seed=1)
    with torch.no_grad():
        a = model(inputs)
        assert model.gnn._graphs  # the operator is cached now
        buf = io.BytesIO()
        torch.save(model, buf)  # a whole-module pickle (not how checkpoints are written)
        for other in (fold_batchnorm(model), copy.deepcopy(model)):
            torch.testing.assert_close(other(inputs).depth_mm, a.depth_mm,
                                       rtol=1e-5, atol=1e-3)
    assert model.gnn._graphs  # the original keeps its cache
