import numpy as np
import pytest
import torch

from hdnet.models import HDNet, ResNetFPN, export_onnx
from hdnet.models.export import OUTPUT_NAMES

ort = pytest.importorskip("onnxruntime")


def test_onnx_export_matches_torch(tmp_path):
    torch.manual_seed(0)
    model = HDNet("h36m_17", backbone=ResNetFPN(18, out_channels=64), branch_channels=16,
                  gnn_channels=32).eval()
    path = export_onnx(model, tmp_path / "hdnet.onnx", input_size=128, num_images=2, num_people=3)
    g = torch.Generator().manual_seed(1)
    images = torch.randn(2, 3, 128, 128, generator=g)
    cmap = torch.randn(2, 2, 32, 32, generator=g) * 0.3
    mask = torch.zeros(3, 32, 32, dtype=torch.bool)
    mask[0, 2:20, 3:15] = mask[1, 10:30, 12:28] = mask[2, 0:12, 20:32] = True
    index = torch.tensor([0, 1, 1])
    fx, fy = torch.tensor([1100.0, 900.0, 900.0]), torch.tensor([1090.0, 905.0, 905.0])
    with torch.no_grad():
        ref = model(images, cmap, mask, index=index, fx=fx, fy=fy)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {"images": images.numpy(), "coord_map": cmap.numpy(), "person_mask": mask.numpy(),
             "index": index.numpy(), "fx": fx.numpy(), "fy": fy.numpy()}
    feeds = {i.name: feeds[i.name] for i in sess.get_inputs()}
    outs = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
    for name in OUTPUT_NAMES:
        expected = getattr(ref, name).numpy()
        err = np.abs(outs[name] - expected).max() / max(np.abs(expected).max(), 1e-12)
        assert err < 1e-4, (name, err)
