"""The benchmarks run (tiny sizes); their numbers live in docs/benchmarks.md, not here."""

import pytest

from benchmarks import gnn, layers


def test_layers_benchmark_runs(capsys):
    layers.main(["--quick"])
    out = capsys.readouterr().out
    assert "HeatmapAttentionPooling" in out and "fused CSR" in out and "speed-up" in out


@pytest.mark.parametrize("conv,kwargs", [("SkeletonConv", "{}"), ("GCNConv", "{}"),
                                         ("GraphConv", "{}"), ("GATConv", '{"heads": 1}'),
                                         ("hdnet.layers:SkeletonConv", "{}")])
def test_gnn_benchmark_runs(conv, kwargs, capsys):
    assert gnn.main(["--conv", conv, "--conv-kwargs", kwargs, "--skeleton", "coco_19",
                     "--batch", "2", "--channels", "8", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "ratio" in out
    if conv in ("GCNConv", "GraphConv", "SkeletonConv"):
        assert "dense adjacency (reference)" in out


def test_gnn_benchmark_backward_and_bad_conv(capsys):
    assert gnn.main(["--batch", "2", "--channels", "8", "--repeats", "2", "--backward"]) == 0
    assert gnn.main(["--conv", "NoSuchConv"]) == 2
    assert "NoSuchConv" in capsys.readouterr().err


def test_model_benchmark_runs(capsys):
    from benchmarks import model
    model.main(["--quick"])
    out = capsys.readouterr().out
    assert "People per image" in out and "original img/s" in out and "channels_last" in out


def test_baselines_benchmark_runs(capsys):
    from benchmarks import baselines

    from .conftest import shared_path
    baselines.main([str(shared_path())])
    assert "skeleton_fit" in capsys.readouterr().out


def test_synthetic_benchmark_runs(capsys):
    from benchmarks import synthetic
    synthetic.main(["--images", "3", "--size", "64"])
    assert "write_mupots_json" in capsys.readouterr().out
