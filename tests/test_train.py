import os
import subprocess
import sys

import pytest
import torch

from hdnet.data.synthetic import SceneConfig, write_mupots_json
from hdnet.models import load_model as load_checkpoint
from hdnet.train import CheckpointError, TrainConfig, Trainer, load_config


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    path = write_mupots_json(out, 24, seed=0, config=SceneConfig(image_size=64, people=(1, 3)))
    return path, out


def tiny(scenes, out_dir, **kw):
    path, root = scenes
    base = dict(datasets=[{"type": "mupots", "annotation_file": str(path), "image_root": str(root)}],
                out_dir=str(out_dir), skeleton="mupots_17", input_size=64, framing="image",
                backbone_depth=18, backbone_width=8, backbone_channels=16, branch_channels=8,
                gnn_channels=16, bins_d_min=5.0, bins_d_max=80.0, batch_size=4, lr=1e-3,
                epochs=3, progress=False, log_every=1)
    base.update(kw)
    return TrainConfig(**base)


def test_resume_continues_exactly(scenes, tmp_path):
    Trainer(tiny(scenes, tmp_path / "a", max_steps=9)).fit()
    losses_full = [float(x) for x in (tmp_path / "a" / "steps.csv").read_text().split("\n")[1:] if x
                   for x in [x.split(",")[2]]]
    # stop after 4 steps (mid-epoch: 6 steps per epoch), then resume in a new Trainer
    Trainer(tiny(scenes, tmp_path / "b", max_steps=4)).fit()
    resumed = Trainer(tiny(scenes, tmp_path / "b", max_steps=9), resume=True)
    assert resumed.step == 4 and resumed.step_in_epoch == 4
    resumed.fit()
    losses_b = [float(line.split(",")[2]) for line in (tmp_path / "b" / "steps.csv").read_text().split("\n")[1:] if line]
    assert len(losses_full) == len(losses_b) == 9
    assert losses_b == losses_full  # the same numbers, step for step
    a = load_checkpoint(tmp_path / "a" / "last.pt")
    b = load_checkpoint(tmp_path / "b" / "last.pt")
    for (k, x), y in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(x, y) if torch.is_tensor(x) else x == y, k
    assert (tmp_path / "a" / "log.csv").read_text().count("\n") >= 2


def test_cosine_schedule(scenes, tmp_path):
    import math
    t = Trainer(tiny(scenes, tmp_path / "cos", max_steps=6, epochs=100, lr_schedule="cosine"))
    t.fit()
    lrs = [float(line.split(",")[7]) for line in (tmp_path / "cos" / "steps.csv").read_text().split("\n")[1:] if line]
    expected = [1e-3 * 0.5 * (1 + math.cos(math.pi * k / 6)) for k in range(6)]  # step k sees k/6 done
    assert lrs == pytest.approx(expected, rel=5e-3, abs=1e-9)
    # time-driven: half of max_minutes gone is half of the learning rate
    t2 = Trainer(tiny(scenes, tmp_path / "cos2", max_minutes=2.0, epochs=100, lr_schedule="cosine"))
    t2.seconds = 60.0
    assert t2.progress() == pytest.approx(0.5) and t2.cosine_lr() == pytest.approx(0.5e-3)
    t2.seconds = 500.0
    assert t2.cosine_lr() == 0.0
    with pytest.raises(ValueError, match="lr_schedule"):
        Trainer(tiny(scenes, tmp_path / "cos3", lr_schedule="linear"))


def test_checkpoint_errors(scenes, tmp_path):
    Trainer(tiny(scenes, tmp_path / "c", max_steps=1)).fit()
    with pytest.raises(CheckpointError, match="skeleton"):
        Trainer(tiny(scenes, tmp_path / "c", skeleton="h36m_17"), resume=True)
    with pytest.raises(CheckpointError, match="bins"):
        Trainer(tiny(scenes, tmp_path / "c", num_bins=41), resume=True)
    (tmp_path / "c" / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        Trainer(tiny(scenes, tmp_path / "c"), resume=True)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "c" / "last.pt")
    with pytest.raises(FileNotFoundError, match="resume"):
        Trainer(tiny(scenes, tmp_path / "empty"), resume=True)


def test_config_files(tmp_path):
    (tmp_path / "c.toml").write_text('skeleton = "mupots_17"\nlr = 0.001\n[[datasets]]\ntype = "mupots"\n'
                                     'annotation_file = "x.json"\nimage_root = "."\n')
    cfg = load_config(tmp_path / "c.toml", ["batch_size=3", "amp=true", "grad_clip=1.5"])
    assert cfg.lr == 0.001 and cfg.batch_size == 3 and cfg.amp is True and cfg.grad_clip == 1.5
    assert cfg.datasets[0]["type"] == "mupots"
    with pytest.raises(ValueError, match="unknown keys"):
        load_config(None, ["learning_rate=1"])
    with pytest.raises(FileNotFoundError, match="config"):
        load_config(tmp_path / "missing.toml")


def test_amp_grad_clip_and_frozen_bn(scenes, tmp_path):
    t = Trainer(tiny(scenes, tmp_path / "d", max_steps=2, amp=True, grad_clip=1.0, freeze_bn=True))
    t.fit()
    bn = t.model.backbone.resnet.bn1
    assert not bn.training and not bn.weight.requires_grad


@pytest.mark.slow
def test_ddp_two_gloo_processes(scenes, tmp_path):
    path, root = scenes
    out = tmp_path / "ddp"
    script = tmp_path / "run.py"
    script.write_text(f"""
import os, torch, torch.distributed as dist
from hdnet.train import TrainConfig, Trainer
cfg = TrainConfig(datasets=[{{"type": "mupots", "annotation_file": {str(path)!r}, "image_root": {str(root)!r}}}],
                  out_dir={str(out)!r}, skeleton="mupots_17", input_size=64, framing="image",
                  backbone_depth=18, backbone_width=8, backbone_channels=16, branch_channels=8,
                  gnn_channels=16, bins_d_min=5.0, bins_d_max=80.0, batch_size=2, max_steps=3,
                  backend="gloo", progress=False, log_every=1)
t = Trainer(cfg)
t.fit()
flat = torch.cat([p.detach().flatten() for p in t.model.parameters()])
gathered = [torch.zeros_like(flat) for _ in range(2)]
dist.all_gather(gathered, flat)
stop = t._max_over_ranks(1.0 if t.rank == 0 else 0.0) == 1.0  # only rank 0 asks; both must stop
if t.rank == 0:
    assert torch.equal(gathered[0], gathered[1]), "parameters differ between ranks"
    print("IDENTICAL", flat.numel(), flush=True)
if stop:
    print("AGREED", t.rank, flush=True)
t.close()
assert not dist.is_initialized()
""")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    def attempt():
        res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                              "--standalone", str(script)], capture_output=True, text=True,
                             timeout=300, env=env)
        ok = res.returncode == 0 and "IDENTICAL" in res.stdout and "AGREED 0" in res.stdout \
            and "AGREED 1" in res.stdout
        return ok, f"rc {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    # two launches in full-suite runs (of about ten) failed without a message we kept; never in
    # 16 runs alone. Each attempt must pass every check on its own; all outputs are reported.
    failures = []
    for _ in range(3):
        ok, log = attempt()
        if ok:
            break
        failures.append(log)
        import shutil
        shutil.rmtree(out, ignore_errors=True)
    assert ok, "\n--- next launch ---\n".join(failures)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["last.pt", "log.csv", "steps.csv"]  # written once, by rank 0
