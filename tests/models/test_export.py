import numpy as np
import pytest
import torch

from hdnet.data import ImageBatch
from hdnet.models import export_onnx
from hdnet.models.export import INPUT_NAMES, OUTPUT_NAMES

from ..conftest import tiny_hdnet


@pytest.mark.slow
def test_onnx_export_matches_torch_for_any_number_of_people(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = tiny_hdnet(channels=32).train()
    path = export_onnx(model, tmp_path / "hdnet.onnx", input_size=128, num_images=2, num_people=3)
    assert model.training  # the caller's mode comes back
    model.eval()
    assert (tmp_path / "hdnet.onnx.data").exists()  # the weights' sidecar, documented
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(1)
    images = torch.randn(2, 3, 128, 128, generator=g)
    cmap = torch.randn(2, 2, 32, 32, generator=g) * 0.3
    masks = torch.zeros(4, 32, 32, dtype=torch.bool)
    masks[0, 2:20, 3:15] = masks[1, 10:30, 12:28] = masks[2, 0:12, 20:32] = masks[3, 5:9, 5:9] = True
    for index in (torch.tensor([0, 1, 1]), torch.tensor([1]), torch.tensor([1, 0, 0, 1])):
        p = index.numel()
        mask = masks[:p]
        fx = torch.linspace(900.0, 1100.0, p)
        inputs = ImageBatch(images, cmap, mask, index, torch.stack([fx, fx + 5.0], 1))
        with torch.no_grad():
            ref = model(inputs)
        feeds = {name: getattr(inputs, name).numpy() for name in INPUT_NAMES}
        run = sess.run(None, {i.name: feeds[i.name] for i in sess.get_inputs()})
        outs = dict(zip([o.name for o in sess.get_outputs()], run, strict=True))
        for name in OUTPUT_NAMES:
            expected = getattr(ref, name).numpy()
            assert outs[name].shape == expected.shape
            err = np.abs(outs[name] - expected).max() / max(np.abs(expected).max(), 1e-12)
            assert err < 1e-4, (p, name, err)


@pytest.mark.slow
@pytest.mark.parametrize("scale_input", [False, True])
def test_keypoint_model_onnx_export_matches_torch_for_any_number_of_people(tmp_path, scale_input):
    """Both architectures (``scale_input``: the lifting network also reads log s, as the
    shipped studio model does) export with a dynamic number of people and answer as torch."""
    ort = pytest.importorskip("onnxruntime")
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.model import ONNX_OUTPUTS
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=16, width=32, blocks=1, scale_input=scale_input)
    with pytest.raises(ValueError, match="format"):  # two formats: which one is not guessed
        export_onnx(model, tmp_path / "x.onnx")
    path = export_onnx(model, tmp_path / "kp.onnx", format="coco_17")
    assert model.training  # the caller's mode comes back
    model.eval()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(0)
    for p in (1, 3, 9):
        kp = torch.randn(p, 17, 2, generator=g) * 0.1 * torch.rand(p, 1, 1, generator=g).add(0.2)  # sizes differ
        conf = torch.rand(p, 17, generator=g)
        conf[:, :3] = 0.0  # missing joints (NaN pixels with score 0, as detectors write them)
        kp[:, :3] = float("nan")
        with torch.no_grad():
            ref = model(kp, conf, "coco_17")
        run = sess.run(None, {"keypoints_norm": kp.numpy(), "confidence": conf.numpy()})
        for name, got in zip(ONNX_OUTPUTS, run, strict=True):
            expected = getattr(ref, name).numpy()
            assert got.shape == expected.shape and np.isfinite(got).all(), (p, name)
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3 * max(1.0, np.abs(expected).max()),
                                       err_msg=f"{p} people, {name}")
