import math
import os
import subprocess
import sys

import pytest
import torch

from hdnet.core.checkpoint import CheckpointError, load_model
from hdnet.train import TrainConfig, Trainer, load_config


def tiny(scenes, out_dir, **groups):
    """A tiny image-model config on the shared synthetic scenes; ``groups``: ``{"optim": {...}}``
    and top-level keys, merged over the defaults below."""
    path, root = scenes
    base = {"task": "hdnet", "progress": False,
            "model": {"skeleton": "mupots_17", "input_size": 64, "framing": "image", "backbone_depth": 18,
                      "backbone_width": 8, "backbone_channels": 16, "branch_channels": 8, "channels": 16,
                      "bins_d_min": 5.0, "bins_d_max": 80.0},
            "data": {"datasets": [{"type": "mupots", "annotation_file": str(path), "image_root": str(root)}],
                     "batch_size": 4},
            "optim": {"lr": 1e-3}, "schedule": {"epochs": 3},
            "checkpoint": {"out_dir": str(out_dir), "log_every": 1}}
    for key, value in groups.items():
        if isinstance(value, dict):
            base[key] = {**base.get(key, {}), **value}
        else:
            base[key] = value
    return TrainConfig.from_dict(base)


def _column(path, name):
    lines = [line.split(",") for line in path.read_text().split("\n") if line]
    k = lines[0].index(name)
    return [float(row[k]) for row in lines[1:]]


def test_resume_continues_exactly(scenes, tmp_path):
    Trainer(tiny(scenes, tmp_path / "a", schedule={"max_steps": 9})).fit()
    losses_full = _column(tmp_path / "a" / "steps.csv", "total")
    # stop after 4 steps (mid-epoch: 6 steps per epoch), then resume in a new Trainer
    Trainer(tiny(scenes, tmp_path / "b", schedule={"max_steps": 4})).fit()
    resumed = Trainer(tiny(scenes, tmp_path / "b", schedule={"max_steps": 9}), resume=True)
    assert resumed.step == 4 and resumed.step_in_epoch == 4
    resumed.fit()
    losses_b = _column(tmp_path / "b" / "steps.csv", "total")
    assert len(losses_full) == len(losses_b) == 9
    assert losses_b == losses_full  # the same numbers, step for step
    a = load_model(tmp_path / "a" / "last.pt")
    b = load_model(tmp_path / "b" / "last.pt")
    for (k, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y) if torch.is_tensor(x) else x == y, k
    assert (tmp_path / "a" / "log.csv").read_text().count("\n") >= 2


def test_schedules(scenes, tmp_path):
    t = Trainer(tiny(scenes, tmp_path / "cos", schedule={"max_steps": 6, "epochs": 100, "kind": "cosine"}))
    t.fit()
    lrs = _column(tmp_path / "cos" / "steps.csv", "lr")
    expected = [1e-3 * 0.5 * (1 + math.cos(math.pi * k / 6)) for k in range(6)]  # step k sees k/6 done
    assert lrs == pytest.approx(expected, rel=5e-3, abs=1e-9)
    # time-driven: half of the minutes gone is half of the learning rate
    t2 = Trainer(tiny(scenes, tmp_path / "cos2", schedule={"minutes": 2.0, "epochs": 100, "kind": "cosine"}))
    t2.seconds = 60.0
    assert t2.progress() == pytest.approx(0.5) and t2.lr() == pytest.approx(0.5e-3)
    t2.seconds = 500.0
    assert t2.lr() == 0.0
    # step: x decay every decay_epochs epochs (6 steps an epoch here)
    t3 = Trainer(tiny(scenes, tmp_path / "step", schedule={"epochs": 3, "decay": 0.5, "decay_epochs": 1}))
    t3.fit()
    lrs = _column(tmp_path / "step" / "steps.csv", "lr")
    assert lrs == pytest.approx([1e-3] * 6 + [5e-4] * 6 + [2.5e-4] * 6)
    with pytest.raises(ValueError, match=r"schedule.kind: expected one of \['step', 'cosine'\]"):
        tiny(scenes, tmp_path / "x", schedule={"kind": "linear"})


def test_checkpoint_errors(scenes, tmp_path):
    Trainer(tiny(scenes, tmp_path / "c", schedule={"max_steps": 1})).fit()
    with pytest.raises(CheckpointError, match="skeleton"):
        Trainer(tiny(scenes, tmp_path / "c", model={"skeleton": "h36m_17"}), resume=True)
    with pytest.raises(CheckpointError, match="bins"):
        Trainer(tiny(scenes, tmp_path / "c", model={"num_bins": 41}), resume=True)
    (tmp_path / "c" / "last.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        Trainer(tiny(scenes, tmp_path / "c"), resume=True)
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_model(tmp_path / "c" / "last.pt")
    with pytest.raises(FileNotFoundError, match="resume"):
        Trainer(tiny(scenes, tmp_path / "empty"), resume=True)


def test_config_files_groups_and_overrides(tmp_path):
    (tmp_path / "c.toml").write_text('task = "hdnet"\n[model]\nskeleton = "mupots_17"\n[optim]\nlr = 0.001\n'
                                     '[data]\ndatasets = [{type = "mupots", annotation_file = "x.json", '
                                     'image_root = "."}]\n')
    cfg = load_config(tmp_path / "c.toml", ["data.batch_size=3", "amp=true", "optim.grad_clip=1.5"])
    assert cfg.optim.lr == 0.001 and cfg.data.batch_size == 3 and cfg.amp is True and cfg.optim.grad_clip == 1.5
    assert cfg.data.datasets[0]["type"] == "mupots" and cfg.model.skeleton == "mupots_17"
    with pytest.raises(ValueError, match=r"unknown keys \['learning_rate'\]"):
        load_config(None, ["learning_rate=1"])
    with pytest.raises(ValueError, match=r"optim: unknown keys \['learning_rate'\]; known keys are \['name', 'lr'"):
        load_config(None, ["optim.learning_rate=1"])
    with pytest.raises(ValueError, match=r"--set: 'opt.lr': 'opt' is not a group"):
        load_config(None, ["opt.lr=1"])
    with pytest.raises(ValueError, match=r"optim.lr: expected a value in \(0, 10\]"):
        load_config(None, ["optim.lr=-1"])
    with pytest.raises(TypeError, match="data.batch_size: expected an int"):
        load_config(None, ["data.batch_size=2.5"])
    with pytest.raises(FileNotFoundError, match="config"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(LookupError, match="unknown training task 'lifting'; known: hdnet, keypoint"):
        load_config(None, ["task=lifting"])
    # saved again in a Windows editor (a byte-order mark, CRLF lines): the same config
    text = (tmp_path / "c.toml").read_text().replace("\n", "\r\n")
    (tmp_path / "w.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load_config(tmp_path / "w.toml").data.datasets == cfg.data.datasets
    try:
        import yaml  # noqa: F401  (YAML configs need PyYAML, which hdnet does not require)
    except ModuleNotFoundError:
        return
    (tmp_path / "w.yaml").write_bytes(b"\xff\xfe" + "optim:\r\n  lr: 0.001\r\n".encode("utf-16-le"))
    assert load_config(tmp_path / "w.yaml").optim.lr == 0.001
    (tmp_path / "bad.yaml").write_text("optim:\n  lr: [0.001\n")
    with pytest.raises(ValueError, match="config: 'bad.yaml' is not valid YAML"):
        load_config(tmp_path / "bad.yaml")


def test_amp_grad_clip_and_frozen_bn(scenes, tmp_path):
    t = Trainer(tiny(scenes, tmp_path / "d", schedule={"max_steps": 2}, amp=True, optim={"grad_clip": 1.0},
                     model={"freeze_bn": True}))
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
cfg = TrainConfig.from_dict({{
    "progress": False, "backend": "gloo",
    "model": {{"skeleton": "mupots_17", "input_size": 64, "framing": "image", "backbone_depth": 18,
              "backbone_width": 8, "backbone_channels": 16, "branch_channels": 8, "channels": 16,
              "bins_d_min": 5.0, "bins_d_max": 80.0}},
    "data": {{"datasets": [{{"type": "mupots", "annotation_file": {str(path)!r}, "image_root": {str(root)!r}}}],
             "batch_size": 2}},
    "schedule": {{"max_steps": 3}}, "checkpoint": {{"out_dir": {str(out)!r}, "log_every": 1}}}})
t = Trainer(cfg)
t.fit()
flat = torch.cat([p.detach().flatten() for p in t.model.parameters()])
gathered = [torch.zeros_like(flat) for _ in range(2)]
dist.all_gather(gathered, flat)
stop = t._max_over_ranks(1.0 if t.rank == 0 else 0.0) == 1.0  # only rank 0 asks; both must stop
said = []  # each rank writes its own file: two ranks printing at once interleave their lines
if t.rank == 0:
    assert torch.equal(gathered[0], gathered[1]), "parameters differ between ranks"
    said.append(f"IDENTICAL {{flat.numel()}}")
if stop:
    said.append(f"AGREED {{t.rank}}")
with open(os.path.join({str(tmp_path)!r}, f"rank{{t.rank}}.txt"), "w") as f:
    f.write("\\n".join(said))
t.close()
assert not dist.is_initialized()
""")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    res = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone",
                          str(script)], capture_output=True, text=True, timeout=300, env=env)
    log = f"rc {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-4000:]}"
    assert res.returncode == 0, log
    said = [(tmp_path / f"rank{r}.txt").read_text().splitlines() for r in range(2)]
    assert said[0][0].startswith("IDENTICAL") and "AGREED 0" in said[0] and said[1] == ["AGREED 1"], (said, log)
    files = sorted(p.name for p in out.iterdir())
    assert files == ["last.pt", "log.csv", "steps.csv"]  # written once, by rank 0


def _keypoint_config(out_dir, *overrides):
    from hdnet.keypoint.task import keypoint_recipe
    return load_config(base=keypoint_recipe("", str(out_dir), quick=True),
                       overrides=["model.channels=8", "model.num_layers=1", "model.width=16", "model.blocks=1",
                                  "data.subjects=[]", "data.recorded_cameras=0", *overrides])


def test_init_starts_from_a_checkpoints_weights(tmp_path):
    """``init`` (fine-tuning): the run starts from the file's weights, not fresh ones; another
    architecture is refused, naming the settings that differ."""
    from hdnet.data.synthetic import synthetic_mocap
    from hdnet.keypoint import KeypointHDNet, KeypointTask

    mocap = synthetic_mocap(32)
    torch.manual_seed(123)
    first = KeypointHDNet(channels=8, num_layers=1, width=16, blocks=1)
    path = first.save(tmp_path / "start.pt")
    cfg = _keypoint_config(tmp_path / "run", f"init={path}")
    trainer = Trainer(cfg, task=KeypointTask(cfg, poses=mocap))
    fresh = Trainer(_keypoint_config(tmp_path / "fresh"), task=KeypointTask(cfg, poses=mocap))
    for name, value in first.state_dict().items():
        if torch.is_tensor(value):
            torch.testing.assert_close(trainer.model.state_dict()[name], value)
    assert not torch.equal(fresh.model.lift_in[0].weight, first.lift_in[0].weight)  # seeded otherwise
    trainer.fit()  # and it trains from there
    assert trainer.step == 20 and not torch.equal(trainer.model.lift_in[0].weight, first.lift_in[0].weight)

    # dropout shapes no weight: a fine-tune may change it (here 0.1 -> 0), and the run's model
    # answers as the file's does in eval mode, with its own dropout
    calm = _keypoint_config(tmp_path / "calm", f"init={path}", "model.dropout=0")
    tuned = Trainer(calm, task=KeypointTask(calm, poses=mocap)).model
    assert tuned.dropout == 0.0 and all(m.p == 0.0 for m in tuned.modules() if isinstance(m, torch.nn.Dropout))
    kp, conf = torch.rand(3, 17, 2) * 0.2, torch.ones(3, 17)
    torch.testing.assert_close(tuned.eval()(kp, conf).joints_mm, first.eval()(kp, conf).joints_mm)
    wide = _keypoint_config(tmp_path / "wide", f"init={path}", "model.width=32", "model.dropout=0.3")
    with pytest.raises(CheckpointError, match="init: .* width: weights have 16, model has 32") as err:
        Trainer(wide, task=KeypointTask(wide, poses=mocap))
    assert "dropout" not in str(err.value)  # only what shapes the weights is named
    with pytest.raises(CheckpointError):  # not a checkpoint
        (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
        junk = _keypoint_config(tmp_path / "junk", f"init={tmp_path / 'junk.pt'}")
        Trainer(junk, task=KeypointTask(junk, poses=mocap))


def test_init_pretrained_is_the_shipped_keypoint_model(tmp_path, scenes):
    from hdnet.data.synthetic import synthetic_mocap
    from hdnet.keypoint import KeypointHDNet, KeypointTask

    shipped = KeypointHDNet.pretrained()
    cfg = _keypoint_config(tmp_path / "run", "init=pretrained", f"model.width={shipped.width}",
                           f"model.channels={shipped.channels}", f"model.num_layers={shipped.gnn.num_layers}",
                           f"model.blocks={shipped.blocks}")
    trainer = Trainer(cfg, task=KeypointTask(cfg, poses=synthetic_mocap(32)))
    for name, value in shipped.state_dict().items():
        if torch.is_tensor(value):
            torch.testing.assert_close(trainer.model.state_dict()[name], value)
    with pytest.raises(ValueError, match="ships no weights"):  # the image model ships none
        Trainer(tiny(scenes, tmp_path / "img", init="pretrained"))
