"""The benchmarks run (tiny sizes); their numbers live in docs/benchmarks.md, not here."""

import functools
import json
import math

import pytest
import torch
from torch_geometric.nn import GATConv, GraphConv

from hdnet.benchmarks import gnn, layers, model
from hdnet.graphs import Skeleton


@pytest.mark.slow
def test_layers_benchmark_runs_and_writes_json(capsys, tmp_path):
    assert layers.main(["--quick", "--json", str(tmp_path / "l.json")]) == 0
    out = capsys.readouterr().out
    assert "HeatmapAttentionPooling" in out and "fused CSR" in out and "speed-up" in out
    assert "torch_geometric" not in out and "PyG" in out and "threads" in out
    data = json.loads((tmp_path / "l.json").read_text())
    assert set(data["pooling"]) >= {"forward_speedup", "forward_backward_speedup", "memory_ratio"}
    assert data["gnn"]["time_over_dense"] > 0 and data["environment"]["torch"] == torch.__version__


@pytest.mark.parametrize("conv,kwargs", [("SkeletonConv", "{}"), ("GCNConv", "{}"),
                                         ("GraphConv", "{}"), ("GATConv", '{"heads": 1}'),
                                         ("hdnet.layers:SkeletonConv", "{}")])
def test_gnn_benchmark_runs(conv, kwargs, capsys):
    assert gnn.main(["--conv", conv, "--conv-kwargs", kwargs, "--skeleton", "coco_19", "--quick"]) == 0
    out = capsys.readouterr().out
    if conv in ("GCNConv", "GraphConv", "SkeletonConv", "hdnet.layers:SkeletonConv"):
        assert "dense adjacency (reference)" in out and "time / reference" in out
    else:  # nothing to compare with: said, not a conv timed against itself
        assert "no reference" in out and "--baseline" in out


def test_gnn_benchmark_baseline_scaling_and_markdown(capsys, tmp_path):
    md = tmp_path / "g.md"
    assert gnn.main(["--conv", "GATConv", "--conv-kwargs", '{"heads": 1}', "--baseline", "GraphConv",
                     "--scaling", "--quick", "--markdown", str(md)]) == 0
    out = capsys.readouterr().out
    assert "SkeletonGNN(GraphConv) (baseline)" in out and "time grows" in out and "skeletons/s" in out
    assert "Scaling" in md.read_text()


def test_gnn_python_api_takes_classes_factories_and_skeleton_objects():
    hand = Skeleton("hand_5", ["wrist", "thumb", "index", "middle", "ring"],
                    [(0, 1), (0, 2), (0, 3), (0, 4)], root=0)
    report = gnn.run(conv=functools.partial(GATConv, heads=1), skeleton=hand, batch=2, channels=8,
                     repeats=2, baseline=GraphConv)
    assert report.summary["skeleton"] == "hand_5" and report.summary["time_over_reference"] > 0
    assert "GraphConv" in report.markdown()


def test_gnn_benchmark_errors(capsys):
    assert gnn.main(["--quick", "--backward"]) == 0
    assert gnn.main(["--conv", "NoSuchConv"]) == 2
    assert "NoSuchConv" in capsys.readouterr().err
    assert gnn.main(["--conv", "GATConv", "--conv-kwargs", '{"heads": 2}', "--quick"]) == 2
    assert "heads=1" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert gnn.main(["--quick", "--device", "cuda"]) == 2
        assert "--device: 'cuda' was asked for but torch sees no GPU" in capsys.readouterr().err


@pytest.mark.slow
def test_model_benchmark_runs(capsys, tmp_path):
    assert model.main(["--quick", "--json", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "People per image" in out and "original img/s" in out and "channels_last" in out
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["throughput"][0]["batch"] == 1 and data["people"]["t16_over_t1"] > 0
    assert set(data["end_to_end"]) >= {"images_per_s", "network_only_images_per_s", "people_per_s"}


def test_baselines_benchmark_runs(capsys):
    from hdnet.benchmarks import baselines

    from .conftest import shared_path
    shared_path("realdata", "h36m", "annotations.json")  # licensed real frames: skip where absent
    assert baselines.main([str(shared_path())]) == 0
    assert "skeleton_fit" in capsys.readouterr().out


def test_synthetic_benchmark_runs(capsys):
    from hdnet.benchmarks import synthetic
    synthetic.main(["--images", "3", "--size", "64"])
    assert "write_mupots_json" in capsys.readouterr().out


@pytest.mark.slow
def test_keypoint_benchmark_runs(capsys, tmp_path):
    from hdnet.benchmarks import keypoint
    assert keypoint.main(["--quick", "--json", str(tmp_path / "k.json")]) == 0
    assert "people/s" in capsys.readouterr().out
    data = json.loads((tmp_path / "k.json").read_text())
    assert data["keypoint"]["people_per_s_best"] > 0


@pytest.mark.slow
def test_train_benchmark_runs_every_recipe(capsys, tmp_path):
    from hdnet.benchmarks import train
    assert train.main(["--quick", "--json", str(tmp_path / "t.json")]) == 0
    out = capsys.readouterr().out
    assert "straightforward loop" in out and "network only" in out and "data share" in out
    assert "demo recipe" in out and "reference recipe" in out and "keypoint recipe" in out
    data = json.loads((tmp_path / "t.json").read_text())["train"]
    assert set(data) == {"demo", "reference", "keypoint"}
    for recipe in data.values():
        assert recipe["trainer_steps_per_s"] > 0 and 0 <= recipe["data_share"] <= 1
        assert recipe["speedup"] == pytest.approx(recipe["straightforward_ms"] / recipe["trainer_ms"])
    assert data["demo"]["amp_channels_last"]["on"] is False  # the demo trains with both on
    assert data["reference"]["amp_channels_last"]["on"] is True
    assert data["keypoint"]["amp"]["trainer_ms"] > 0 and "amp_channels_last" not in data["keypoint"]
    with pytest.raises(SystemExit):  # argparse: an unknown recipe
        train.main(["--recipe", "nope"])


def test_every_benchmark_has_a_script_that_runs(monkeypatch, capsys):
    """benchmarks/ holds one thin script per table; each passes its arguments on (--help here)."""
    import runpy
    from pathlib import Path

    from hdnet.apps.cli import BENCHMARKS
    folder = Path(__file__).resolve().parents[1] / "benchmarks"
    assert {p.stem for p in folder.glob("*.py")} == set(BENCHMARKS)
    for name in BENCHMARKS:
        monkeypatch.setattr("sys.argv", [f"{name}.py", "--help"])
        with pytest.raises(SystemExit) as e:
            runpy.run_path(str(folder / f"{name}.py"), run_name="__main__")
        assert e.value.code == 0, name
        assert f"hdnet bench {name}" in capsys.readouterr().out


def test_every_benchmark_option_has_help(capsys):
    import importlib
    import re

    from hdnet.apps.cli import BENCHMARKS
    for name in BENCHMARKS:
        with pytest.raises(SystemExit):
            importlib.import_module(f"hdnet.benchmarks.{name}").main(["--help"])
        text = capsys.readouterr().out
        options = text[text.index("options:"):]
        # an option line without help ends right after its metavar; its help would follow on the line
        # or on the next, indented further
        lines = options.split("\n")[1:]
        for k, line in enumerate(lines):
            m = re.match(r"^  (-\S.*?)(\s{2,}\S.*)?$", line)
            if m and not m.group(2) and not (k + 1 < len(lines) and lines[k + 1].startswith(" " * 10)):
                raise AssertionError(f"hdnet bench {name}: {line.strip()} has no help")


def test_peak_memory_reads_each_systems_own_counter(monkeypatch):
    """Linux's VmHWM (KiB) first; without /proc, getrusage's ru_maxrss, which macOS counts in bytes
    and Linux in KiB; on Windows (no resource module) not measured, shown as n/a, not a crash."""
    import builtins
    import sys

    from hdnet.benchmarks import _harness
    real_open = builtins.open

    def no_proc(path, *a, **k):
        if str(path).startswith("/proc/"):
            raise OSError("no /proc here")
        return real_open(path, *a, **k)
    monkeypatch.setattr(builtins, "open", no_proc)

    class Usage:
        ru_maxrss = 2048.0 * 1024

    class FakeResource:
        RUSAGE_SELF = 0

        @staticmethod
        def getrusage(who):
            return Usage()
    monkeypatch.setitem(sys.modules, "resource", FakeResource)
    monkeypatch.setattr(sys, "platform", "linux")
    assert _harness._high_water_kib() == 2048.0 * 1024  # KiB as given
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _harness._high_water_kib() == 2048.0  # bytes -> KiB
    monkeypatch.setitem(sys.modules, "resource", None)  # import fails, as on Windows
    assert math.isnan(_harness._high_water_kib())
    assert _harness._fmt(math.nan) == "n/a" and _harness._fmt(2.5) == "2.5"
