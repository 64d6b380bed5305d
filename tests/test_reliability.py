"""Crafted checkpoints: small files that claim huge architectures, compressed records, edited
values with a recomputed checksum, corrupted training state. Each is refused with a
CheckpointError, and loading all of them stays within 500 MB and 10 s (measured in a fresh
process, so nothing else of the test run counts)."""

import json
import subprocess
import sys
import textwrap
import zipfile

import pytest
import torch

from hdnet.core.checkpoint import CheckpointError, checkpoint_dict, checksum, load_model, read_checkpoint
from hdnet.keypoint import KeypointHDNet


def _small_keypoint_model():
    torch.manual_seed(0)
    return KeypointHDNet(("coco_17",), channels=8, num_layers=1, width=16, blocks=0)


def _write(ckpt, path, recompute=True):
    if recompute:  # an attacker can always recompute the checksum; it only guards against corruption
        ckpt["checksum"] = checksum(ckpt)
    torch.save(ckpt, path)
    assert path.stat().st_size < 1 << 20  # every crafted file is under 1 MB
    return path


def crafted(tmp_path):
    """``{name: path}`` of crafted checkpoints, each under 1 MB."""
    out = {}
    for name, key, value in (("channels_20000", "channels", 20000), ("width_1e9", "width", 10**9),
                             ("num_layers_100000", "num_layers", 100000), ("channels_in_limits", "channels", 4096)):
        ck = checkpoint_dict(_small_keypoint_model())
        ck["architecture"][key] = value
        out[name] = _write(ck, tmp_path / f"{name}.pt")
    ck = checkpoint_dict(_small_keypoint_model())
    ck["architecture"]["bins"]["num_bins"] = 10**9
    out["num_bins_1e9"] = _write(ck, tmp_path / "num_bins.pt")
    ck = checkpoint_dict(_small_keypoint_model())
    ck["architecture"]["width"] = 8192  # in limits, but not the stored tensors: refused on the meta device
    ck["architecture"]["channels"] = 4096
    out["big_in_limits"] = _write(ck, tmp_path / "big_in_limits.pt")
    # a deflated record that unpacks to 200 MB
    bomb = tmp_path / "bomb.pt"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\0" * (200 << 20))
    out["deflate_bomb"] = bomb
    return out


def test_crafted_architectures_and_archives_are_refused(tmp_path):
    for name, path in crafted(tmp_path).items():
        with pytest.raises(CheckpointError):
            load_model(path)
            pytest.fail(f"{name} loaded")


def test_edited_values_and_corrupted_training_state_are_refused(tmp_path):
    model = _small_keypoint_model()
    ck = checkpoint_dict(model)
    ck["state_dict"]["bin_head.linear.weight"] = ck["state_dict"]["bin_head.linear.weight"].clone()
    ck["state_dict"]["bin_head.linear.weight"][0, 0] = float("nan")
    with pytest.raises(CheckpointError, match="bin_head.linear.weight"):  # named
        load_model(_write(ck, tmp_path / "nan.pt"))
    ck = checkpoint_dict(model)
    ck["data"]["skeleton_fit_scale"] = 123.0  # one copy edited: the two disagree
    with pytest.raises(CheckpointError, match="disagree"):
        load_model(_write(ck, tmp_path / "scale.pt"))
    ck["state_dict"]["_extra_state"]["data"]["skeleton_fit_scale"] = 123.0  # both: out of range
    with pytest.raises(CheckpointError, match="skeleton_fit_scale"):
        load_model(_write(ck, tmp_path / "scale.pt"))
    # the optimiser's moments are covered by the checksum: a few flipped bytes are refused
    training = {"step": 3, "optimizer": {"state": {0: {"exp_avg": torch.randn(64)}}, "param_groups": []}}
    ck = checkpoint_dict(model, training=training)
    _write(ck, tmp_path / "train.pt")
    assert read_checkpoint(tmp_path / "train.pt")["training"]["step"] == 3
    ck["training"]["optimizer"]["state"][0]["exp_avg"][5] += 1e-3
    _write(ck, tmp_path / "flipped.pt", recompute=False)
    with pytest.raises(CheckpointError, match="corrupt"):
        read_checkpoint(tmp_path / "flipped.pt")


@pytest.mark.slow
def test_loading_crafted_checkpoints_is_bounded_in_memory_and_time(tmp_path):
    paths = {k: str(v) for k, v in crafted(tmp_path).items()}
    script = textwrap.dedent(f"""
        import json, resource, time
        from hdnet.core.checkpoint import CheckpointError, load_model
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = {{}}
        for name, path in {json.dumps(paths)}.items():
            t = time.perf_counter()
            try:
                load_model(path)
                out[name] = "loaded"
            except CheckpointError as e:
                out[name] = "refused"
            out[name + "_s"] = time.perf_counter() - t
        out["grown_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
        print(json.dumps(out))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for name in paths:
        assert out[name] == "refused" and out[name + "_s"] < 10.0, (name, out)
    assert out["grown_mb"] < 500, out
