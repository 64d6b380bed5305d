"""hdnet as another project uses it: fresh processes, an installed wheel, self-describing
checkpoints, the export cache, the registries, and no side effects on import."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
import torch
from torch_geometric.nn import GATConv, GraphConv

from hdnet import Predictor, Preprocessing, Skeleton
from hdnet.core import NotRegisteredError
from hdnet.core.checkpoint import CheckpointError, load_model, read_checkpoint
from hdnet.layers import SkeletonGNN, register_conv, resolve_conv, unregister_conv

from .conftest import ROOT, image_batch, tiny_hdnet
from .conftest import run_python as _run_python


def run_python(code: str, cwd, env_extra=None, timeout=300) -> str:
    return _run_python(code, cwd, env_extra, timeout).stdout


def tiny(skeleton="h36m_17", **kw):
    return tiny_hdnet(skeleton, **kw)


@pytest.mark.slow
def test_import_leaves_warning_filters_alone(tmp_path):
    out = run_python("""
        import warnings
        import numpy, scipy, h5py, PIL.Image, torch, torch_geometric, torch_geometric.nn
        before = list(warnings.filters)
        import hdnet, hdnet.apps.cli, hdnet.benchmarks.gnn
        print(warnings.filters == before)
    """, tmp_path)
    assert out.strip() == "True"


@pytest.mark.slow
def test_export_first_then_eager_then_save_in_a_fresh_process(tmp_path):
    pytest.importorskip("onnxruntime")
    out = run_python("""
        import numpy as np, torch
        from hdnet import HDNet, ImageBatch, Predictor, Preprocessing, ResNetFPN, Camera
        from hdnet.models import export_onnx
        torch.manual_seed(0)
        model = HDNet("h36m_17", backbone=ResNetFPN(18, out_channels=32, width=8), branch_channels=8,
                      channels=16, preprocessing=Preprocessing(64, "image")).train()
        export_onnx(model, "a.onnx", input_size=64, num_people=2)   # the first use of the skeleton's graph
        assert model.training                                        # export leaves the mode as it was
        img = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
        res = Predictor(model).predict(img, [[5, 5, 30, 40], [30, 2, 60, 45]], Camera(60.0, 60.0, 32.0, 24.0))
        assert len(res) == 2 and all(np.isfinite(r.root_cam_mm).all() for r in res)
        other = HDNet("h36m_17", backbone=ResNetFPN(18, out_channels=32, width=8), branch_channels=8,
                      channels=16).eval()
        with torch.no_grad():
            other(ImageBatch(torch.zeros(1, 3, 64, 64), torch.zeros(1, 2, 16, 16), torch.ones(1, 16, 16, dtype=torch.bool),
                             torch.zeros(1, dtype=torch.long), torch.full((1, 2), 1000.0)))
        model.save("m.pt")
        export_onnx(model, "b.onnx", input_size=64, num_people=1)   # a second export works too
        print("ok")
    """, tmp_path)
    assert out.strip().endswith("ok")


@pytest.mark.slow
def test_custom_skeleton_checkpoint_loads_in_a_process_that_never_registered_it(tmp_path):
    run_python("""
        import functools, json, torch, hdnet
        from torch_geometric.nn import GraphConv
        from hdnet import HDNet, Preprocessing, ResNetFPN, Skeleton, register_skeleton
        hand = register_skeleton(Skeleton("my_hand_6", ["wrist", "l_thumb", "r_thumb", "index", "middle", "ring"],
                                          [(0, 1), (0, 2), (0, 3), (0, 4), (0, 5)], root=0))
        torch.manual_seed(0)
        model = HDNet(hand, backbone=ResNetFPN(18, out_channels=32, width=8), branch_channels=8,
                      channels=16, conv=GraphConv, conv_kwargs={"aggr": "mean"},
                      preprocessing=Preprocessing(64, "person", reference_scale=0.5)).eval()
        g = torch.Generator().manual_seed(1)
        x, c = torch.randn(1, 3, 64, 64, generator=g), torch.randn(1, 2, 16, 16, generator=g)
        m = torch.zeros(1, 16, 16, dtype=torch.bool); m[0, 2:12, 3:14] = True
        with torch.no_grad():
            out = model(hdnet.ImageBatch(x, c, m, torch.zeros(1, dtype=torch.long), torch.tensor([[900.0, 910.0]])))
        torch.save({"x": x, "c": c, "m": m, "depth": out.depth_mm, "pose": out.pose}, "io.pt")
        model.save("hand.pt", note="made in process A")
    """, tmp_path)
    out = run_python("""
        import torch
        from hdnet import HDNet, ImageBatch, Predictor, list_skeletons
        assert "my_hand_6" not in list_skeletons()
        model = HDNet.from_checkpoint("hand.pt")
        io = torch.load("io.pt", weights_only=True)
        with torch.no_grad():
            out = model(ImageBatch(io["x"], io["c"], io["m"], torch.zeros(1, dtype=torch.long),
                                   torch.tensor([[900.0, 910.0]])))
        torch.testing.assert_close(out.depth_mm, io["depth"])
        torch.testing.assert_close(out.pose, io["pose"])
        pred = Predictor.from_checkpoint("hand.pt")
        p = pred.preprocessing
        print(model.skeleton.name, model.skeleton.flip_pairs, model.gnn.conv_name, model.gnn.conv_kwargs,
              p.input_size, p.framing, p.reference_scale)
    """, tmp_path)
    assert out.split() == ["my_hand_6", "((1,", "2),)", "GraphConv", "{'aggr':", "'mean'}", "64", "person", "0.5"]


@pytest.mark.slow
def test_wheel_installs_and_works_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                          "-w", str(dist), str(ROOT)], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    wheel = next(dist.glob("hdnet-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "hdnet/py.typed" in names and any(n.endswith("licenses/LICENSE") for n in names)
    assert "hdnet/benchmarks/gnn.py" in names and not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    site = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                          str(wheel)], capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PYTHONPATH": str(site)}
    out = run_python(f"""
        import hdnet, sys
        assert hdnet.__file__.startswith({str(site)!r}), hdnet.__file__
        from hdnet.apps.cli import main
        sys.exit(main(["bench", "gnn", "--conv", "GCNConv", "--quick", "--json", "g.json"]))
    """, work, env)
    assert "GCNConv" in out and "dense adjacency (reference)" in out
    assert json.loads((work / "g.json").read_text())["environment"]["hdnet"]


def test_checkpoint_format_is_plain_data_and_checksummed(tmp_path):
    model = tiny()
    path = model.save(tmp_path / "m.pt", run="unit test")
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == "hdnet-checkpoint" and raw["model_class"] == "HDNet"
    assert raw["architecture"]["skeleton"]["joints"][0] == "pelvis" and raw["meta"] == {"run": "unit test"}
    assert raw["preprocessing"] == Preprocessing(64, "image").to_dict()
    # one weight, one stored value or the description changed after writing: the checksum catches it
    for change in (lambda r: r["state_dict"]["bin_head.linear.weight"][0].__iadd__(2e4),
                   lambda r: r["state_dict"]["_extra_state"]["preprocessing"].__setitem__("input_size", 96),
                   lambda r: r["meta"].__setitem__("run", "edited")):
        copy = torch.load(path, weights_only=True)
        change(copy)
        torch.save(copy, tmp_path / "bad.pt")
        with pytest.raises(CheckpointError, match="corrupt"):
            load_model(tmp_path / "bad.pt")
    # a bare state_dict is self-describing too
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    again = load_model(tmp_path / "sd.pt")
    assert again.config() == model.config() and read_checkpoint(tmp_path / "sd.pt")["checksum"] is None


def test_checkpoint_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    torch.save({"format": "hdnet-checkpoint", "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="refused.*weights_only"):
        load_model(tmp_path / "evil.pt")
    assert not marker.exists()


def test_weights_of_another_skeleton_or_architecture_are_an_error():
    h36m, coco = tiny("h36m_17"), tiny("coco_17")
    with pytest.raises(ValueError, match="skeleton.*h36m_17.*coco_17"):
        coco.load_state_dict(h36m.state_dict())
    with pytest.raises(ValueError, match="h36m_17"):
        coco.gnn.load_state_dict(h36m.gnn.state_dict())
    wide = tiny(channels=32)
    with pytest.raises(ValueError, match="channels: weights have 16, model has 32"):
        wide.load_state_dict(h36m.state_dict())


def test_predictor_takes_the_models_preprocessing():
    model = tiny(framing="person")
    assert Predictor(model).preprocessing.framing == "person"
    assert Predictor(model, Preprocessing(96, "image")).input_size == 96
    with pytest.raises(ValueError, match="input_size"):
        Preprocessing(70)
    with pytest.raises(ValueError, match="std"):
        Preprocessing(std=(1.0, 0.0, 1.0))
    assert Preprocessing.from_dict(Preprocessing(128, "image").to_dict()) == Preprocessing(128, "image")


def test_conv_registry_and_width_check():
    factory, name = resolve_conv("GATConv", {"heads": 1})
    assert name == "GATConv" and factory.keywords == {"heads": 1}
    register_conv("my_graph_conv", GraphConv)
    try:
        gnn = SkeletonGNN("h36m_17", 8, conv="my_graph_conv", conv_kwargs={"aggr": "max"})
        assert gnn.conv_name == "my_graph_conv" and gnn.convs[0].aggr == "max"
        assert "conv=my_graph_conv" in repr(gnn)
    finally:
        unregister_conv("my_graph_conv")
    with pytest.raises(NotRegisteredError, match="unknown conv 'os:system'"):
        resolve_conv("os:system")  # a name is looked up, never imported
    with pytest.raises(ValueError, match=r"must output \[num_nodes, 8\]"):
        SkeletonGNN("h36m_17", 8, conv=GATConv, conv_kwargs={"heads": 2})
    with pytest.raises(TypeError, match=r"conv\(in_channels, out_channels\)"):
        SkeletonGNN("h36m_17", 8, conv=lambda c: torch.nn.Linear(c, c))
    hand = Skeleton("hand_3", ["a", "b", "c"], [(0, 1), (1, 2)], root=0)
    assert SkeletonGNN(hand, 4)(torch.randn(2, 3, 4)).graph.shape == (2, 4)


def test_layer_options_are_keyword_only():
    from hdnet.layers import HeatmapAttentionPooling
    with pytest.raises(TypeError):
        HeatmapAttentionPooling()(torch.randn(1, 2, 4, 4), torch.randn(1, 3, 4, 4), torch.ones(1, 4, 4, dtype=torch.bool))
    with pytest.raises(TypeError):
        SkeletonGNN("h36m_17", 8, 3)
    out = tiny()(image_batch(1, 1))
    assert out.depth_mm.shape == (1,)


def test_cli_import_option_registers_a_users_skeleton(tmp_path, capsys):
    from hdnet.apps.cli import main
    mod = tmp_path / "my_hands.py"
    mod.write_text("from hdnet import Skeleton, register_skeleton\n"
                   "register_skeleton(Skeleton('cli_hand_3', ['a', 'b', 'c'], [(0, 1), (1, 2)], root=0), overwrite=True)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        assert main(["bench", "gnn", "--import", "my_hands", "--skeleton", "cli_hand_3", "--quick"]) == 0
        assert "cli_hand_3" in capsys.readouterr().out
        assert main(["--import", "no_such_module_here", "bench", "gnn", "--quick"]) == 2
        assert "no_such_module_here" in capsys.readouterr().err
    finally:
        sys.path.remove(str(tmp_path))
