import importlib.util
import json

import numpy as np
import pytest
import torch

from hdnet.data import HDNetTargets, ImageBatch
from hdnet.layers import DepthBins
from hdnet.models import HDNet, ResNetFPN, convert_original_checkpoint

from ..conftest import fixture_path, image_batch, tiny_hdnet


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


@pytest.mark.slow
def test_original_checkpoint_parity(original, tmp_path):
    state, case = original
    path = tmp_path / "ckpt.pth.tar"
    torch.save({"model": {f"module.{k}": v for k, v in state.items()}, "epoch": 24}, path)
    model = HDNet.from_original_checkpoint(path).eval()
    assert model.skeleton.name == "h36m_17" and model.bins.num_bins == 61
    b, j = case["vis"].shape
    inputs = ImageBatch(torch.from_numpy(case["x"]), torch.from_numpy(case["coord_map"]),
                        torch.from_numpy(case["bbox_mask"]), torch.arange(b), torch.full((b, 2), 1000.0))
    with torch.no_grad():
        out = model(inputs)
    for ours, ref, shape in [("heatmap", "out_heatmap", None), ("pose", "out_pose", (b, 2 * j)),
                             ("bin_probs", "out_bins", None), ("bin_index", "out_bin_idx", None)]:
        a = getattr(out, ours).numpy()
        a = a.reshape(shape) if shape else a
        expected = case[ref]
        err = np.abs(a - expected).max() / np.abs(expected).max()
        assert err < 1e-5, (ours, err)
    torch.testing.assert_close(out.bin_probs.sum(-1), torch.ones(b))


@pytest.mark.slow
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


def test_people_on_one_image_equal_one_person_per_image():
    model = tiny_hdnet(channels=32)
    many = image_batch(2, 5, size=128, batch=[1, 0, 1, 1, 0])
    single = ImageBatch(many.images[many.batch], many.coord_map[many.batch], many.masks, torch.arange(5), many.focal)
    with torch.no_grad():
        out, ref = model(many), model(single)
    for k in out._fields:
        torch.testing.assert_close(getattr(out, k), getattr(ref, k), rtol=1e-4, atol=1e-5)
    assert out.heatmap.shape == (5, 17, 32, 32) and out.pose.shape == (5, 17, 2)
    assert out.bin_probs.shape == (5, 61) and out.bin_index.shape == (5,)
    # depth: the bins' expectation at each person's own focal length
    focal = many.focal.clone()
    focal[2] *= 2
    with torch.no_grad():
        twice = model(ImageBatch(many.images, many.coord_map, many.masks, many.batch, focal))
    torch.testing.assert_close(twice.depth_mm[2], 2 * out.depth_mm[2])


def test_training_step_reaches_every_parameter():
    from hdnet.losses import HDNetLoss
    model = tiny_hdnet(channels=32).train()
    inputs = image_batch(2, 2, size=128)
    out = model(inputs)
    target = HDNetTargets(heatmap=torch.rand(2, 17, 32, 32), pose=torch.randn(2, 17, 2) * 0.1,
                          bin_probs=model.bins.soft_target(torch.tensor([10.5, 40.0])),
                          bin_index=torch.tensor([10.5, 40.0]), vis=torch.ones(2, 17), have_depth=torch.ones(2))
    HDNetLoss()(out, target, epoch=0)["total"].backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert not no_grad


def test_bad_input():
    model = tiny_hdnet()
    good = image_batch(1, 2, size=128)
    with pytest.raises(TypeError, match="batch: expected an hdnet.data.ImageBatch"):
        model(good.images)

    def broken(**change):
        fields = dict(images=good.images, coord_map=good.coord_map, masks=good.masks, batch=good.batch, focal=good.focal)
        fields.update(change)
        return ImageBatch(**fields)
    with pytest.raises(ValueError, match="multiples of 32"):
        model(broken(images=torch.randn(1, 3, 100, 100)))
    with pytest.raises(ValueError, match=r"coord_map: expected shape \[N, 2, H/4, W/4\]"):
        model(broken(coord_map=good.coord_map[:, :, :16]))
    with pytest.raises(ValueError, match=r"masks: expected shape \[P, H/4, W/4\]"):
        model(broken(masks=good.masks[:, :16]))
    with pytest.raises(ValueError, match=r"images: expected shape \[N, 3, H, W\]"):
        model(broken(images=torch.randn(1, 4, 128, 128)))
    with pytest.raises(ValueError, match=r"batch: image indices must lie in 0..0"):
        model(broken(batch=torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="focal: expected finite focal lengths > 0"):
        model(broken(focal=torch.zeros(2, 2)))
    with pytest.raises(ValueError, match=r"focal: expected shape \[P, 2\]"):
        model(broken(focal=torch.ones(2)))
    cfg = model.config()
    assert cfg["skeleton"]["name"] == "h36m_17" and cfg["backbone"]["depth"] == 18 and cfg["channels"] == 16
