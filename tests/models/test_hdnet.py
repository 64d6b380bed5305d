import importlib.util
import json

import numpy as np
import pytest
import torch

from hdnet.layers import DepthBins
from hdnet.models import HDNet, ResNetFPN, convert_original_checkpoint

from ..conftest import fixture_path


def _original_state():
    folder = fixture_path("official_hdnet")
    spec = importlib.util.spec_from_file_location("official_weights", folder / "weights.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    case = json.loads((folder / "case.json").read_text())
    return mod.make_state_dict(case["state_dict_keys"], case["seed"]), np.load(folder / "case.npz")


@pytest.fixture(scope="module")
def original():
    return _original_state()


def test_original_checkpoint_parity(original, tmp_path):
    state, case = original
    path = tmp_path / "ckpt.pth.tar"
    torch.save({"model": {f"module.{k}": v for k, v in state.items()}, "epoch": 24}, path)
    model = HDNet.from_original_checkpoint(path).eval()
    assert model.skeleton.name == "h36m_17" and model.bins.num_bins == 61
    with torch.no_grad():
        out = model(torch.from_numpy(case["x"]), torch.from_numpy(case["coord_map"]),
                    torch.from_numpy(case["bbox_mask"]))
    b, j = case["vis"].shape
    for ours, ref, shape in [("heatmap", "out_heatmap", None), ("pose", "out_pose", (b, 2 * j)),
                             ("bins", "out_bins", None), ("bin_idx", "out_bin_idx", None)]:
        a = getattr(out, ours).numpy()
        a = a.reshape(shape) if shape else a
        expected = case[ref]
        err = np.abs(a - expected).max() / np.abs(expected).max()
        assert err < 1e-5, (ours, err)
    torch.testing.assert_close(out.bins.sum(-1), torch.ones(b))


def test_converter_errors(original):
    state, _ = original
    model = HDNet(backbone=ResNetFPN(50))
    broken = dict(state)
    broken.pop("out_bins.bias")
    with pytest.raises(KeyError, match="missing.*bin_head.linear.bias"):
        convert_original_checkpoint(broken, model)
    with pytest.raises(KeyError, match="does not have.*extra.weight"):
        convert_original_checkpoint({**state, "extra.weight": torch.zeros(1)})
    gcn = {k: v for k, v in state.items() if "layer_others.bias" not in k}
    with pytest.raises(KeyError, match="layer_others.bias"):
        convert_original_checkpoint(gcn)
    with pytest.raises(ValueError, match="bins"):
        HDNet.from_original_checkpoint(state, bins=DepthBins(num_bins=41))
    with pytest.raises(ValueError, match="skeleton"):
        HDNet.from_original_checkpoint(state, skeleton="coco_19")
    with pytest.raises(FileNotFoundError, match="checkpoint"):
        HDNet.from_original_checkpoint("/nonexistent/ckpt.pth.tar")


def small_model(**kw):
    torch.manual_seed(0)
    return HDNet("h36m_17", backbone=ResNetFPN(18, out_channels=64), branch_channels=16,
                 gnn_channels=32, **kw)


def _inputs(n, p, size=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    h = size // 4
    images = torch.randn(n, 3, size, size, generator=g)
    cmap = torch.randn(n, 2, h, h, generator=g) * 0.3
    mask = torch.zeros(p, h, h, dtype=torch.bool)
    for i in range(p):
        y, x = (3 * i) % (h - 8), (5 * i) % (h - 10)
        mask[i, y:y + 8, x:x + 10] = True
    return images, cmap, mask


def test_people_on_one_image_equal_one_person_per_image():
    model = small_model().eval()
    images, cmap, mask = _inputs(2, 5)
    index = torch.tensor([1, 0, 1, 1, 0])
    with torch.no_grad():
        out = model(images, cmap, mask, index=index, fx=1000.0, fy=1000.0)
        ref = model(images[index], cmap[index], mask, fx=1000.0, fy=1000.0)
    for k in ("heatmap", "pose", "bins", "bin_idx", "depth_mm", "depth_std_mm"):
        torch.testing.assert_close(getattr(out, k), getattr(ref, k), rtol=1e-4, atol=1e-5)
    assert out.heatmap.shape == (5, 17, 32, 32) and out.pose.shape == (5, 17, 2)
    assert out.bins.shape == (5, 61) and out.bin_idx.shape == (5,)


def test_training_step_reaches_every_parameter():
    from hdnet.losses import HDNetLoss
    model = small_model().train()
    images, cmap, mask = _inputs(2, 2)
    out = model(images, cmap, mask)
    target = {"heatmap": torch.rand(2, 17, 32, 32), "pose": torch.randn(2, 17, 2) * 0.1,
              "bins": model.bins.soft_target(torch.tensor([10.5, 40.0])),
              "bin_idx": torch.tensor([10.5, 40.0]), "vis": torch.ones(2, 17)}
    HDNetLoss()(out, target, epoch=0)["total"].backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not no_grad


def test_bad_input():
    model = small_model().eval()
    images, cmap, mask = _inputs(1, 2)
    with pytest.raises(ValueError, match="index: required"):
        model(images, cmap, mask)
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.randn(1, 3, 100, 100), cmap, mask[:1])
    with pytest.raises(ValueError, match=r"coord_map: expected shape \[N, 2, h, w\]"):
        model(images, cmap[:, :, :16], mask[:1])
    with pytest.raises(ValueError, match=r"person_mask"):
        model(images, cmap, mask[:1, :16])
    with pytest.raises(ValueError, match="images"):
        model(torch.randn(1, 4, 128, 128), cmap, mask[:1])
    cfg = model.config()
    assert cfg["skeleton"]["name"] == "h36m_17" and cfg["backbone_depth"] == 18
