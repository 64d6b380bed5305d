import numpy as np
import pytest
import torch

from hdnet.models import HDNet, ResNetFPN, export_onnx
from hdnet.models.export import OUTPUT_NAMES

ort = pytest.importorskip("onnxruntime")


def _feeds(sess, images, cmap, mask, index, fx, fy):
    feeds = {"images": images.numpy(), "coord_map": cmap.numpy(), "person_mask": mask.numpy(),
             "index": index.numpy(), "fx": fx.numpy(), "fy": fy.numpy()}
    return {i.name: feeds[i.name] for i in sess.get_inputs()}


def test_onnx_export_matches_torch_for_any_number_of_people(tmp_path):
    torch.manual_seed(0)
    model = HDNet("h36m_17", backbone=ResNetFPN(18, out_channels=64), branch_channels=16,
                  gnn_channels=32).train()
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
        fy = fx + 5.0
        with torch.no_grad():
            ref = model(images, cmap, mask, index=index, fx=fx, fy=fy)
        run = sess.run(None, _feeds(sess, images, cmap, mask, index, fx, fy))
        outs = dict(zip([o.name for o in sess.get_outputs()], run))
        for name in OUTPUT_NAMES:
            expected = getattr(ref, name).numpy()
            assert outs[name].shape == expected.shape
            err = np.abs(outs[name] - expected).max() / max(np.abs(expected).max(), 1e-12)
            assert err < 1e-4, (p, name, err)
