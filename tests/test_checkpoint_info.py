"""`hdnet info` and `describe_checkpoint`: what a checkpoint holds, read without running it."""

import json

import pytest
import torch

from hdnet.apps.cli import main
from hdnet.core.checkpoint import CheckpointError, describe_checkpoint
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.model import shipped_weights_path


def _small_model():
    torch.manual_seed(0)
    return KeypointHDNet(("coco_17",), channels=8, num_layers=1, width=16, blocks=1)


def test_description_counts_what_the_file_holds(tmp_path):
    model = _small_model()
    path = model.save(tmp_path / "m.pt", half=True, trained_on="my capture", license="CC-BY-4.0", steps=123)
    d = describe_checkpoint(path)
    # counted here from the module, independently of the file
    assert d["parameters"] == sum(p.numel() for p in model.parameters())
    assert d["model_class"] == "KeypointHDNet" and d["format"] == "hdnet-checkpoint"
    assert d["weights_dtype"] == "float16"  # saved half
    assert d["architecture"]["width"] == 16 and d["architecture"]["formats"] == ["coco_17"]
    assert d["meta"] == {"trained_on": "my capture", "license": "CC-BY-4.0", "steps": 123}
    assert d["training"] is None and d["checksum"].startswith("sha256:")
    assert d["bytes"] == (tmp_path / "m.pt").stat().st_size
    json.dumps(d, allow_nan=False)  # plain data


def test_description_of_a_bare_state_dict_says_there_is_nothing_to_verify(tmp_path):
    model = _small_model()
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    d = describe_checkpoint(tmp_path / "sd.pt")
    assert d["format"] == "state_dict" and d["checksum"] is None and d["meta"] is None
    assert d["weights_dtype"] == "float32"


def test_description_keeps_the_run_and_leaves_the_optimiser_out(tmp_path):
    from hdnet.core.checkpoint import save_checkpoint
    model = _small_model()
    opt = torch.optim.AdamW(model.parameters())
    training = {"optimizer": opt.state_dict(), "epoch": 2, "step": 2001, "seconds": 12.5,
                "train_config": {"seed": 3}, "rng": {"torch": torch.get_rng_state()}, "history": [1.0, 0.5]}
    save_checkpoint(model, tmp_path / "run.pt", training=training)
    d = describe_checkpoint(tmp_path / "run.pt")
    assert d["training"] == {"epoch": 2, "step": 2001, "seconds": 12.5, "train_config": {"seed": 3}}


def test_info_prints_a_checkpoint_and_writes_its_json(tmp_path, capsys):
    model = _small_model()
    path = model.save(tmp_path / "m.pt", trained_on="my capture", license="CC-BY-4.0")
    n = sum(p.numel() for p in model.parameters())
    assert main(["info", str(path), "--json", str(tmp_path / "d.json")]) == 0
    out = capsys.readouterr().out
    assert f"KeypointHDNet: {n:,} parameters, stored as float32" in out
    assert "checksum verified" in out and "licence       CC-BY-4.0" in out and "trained on    my capture" in out
    assert json.loads((tmp_path / "d.json").read_text()) == json.loads(json.dumps(describe_checkpoint(path)))


def test_info_without_a_checkpoint_lists_the_shipped_weights_and_their_terms(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.index("\nkeypoint\n") < out.index("\nh36m_studio\n")  # the default first
    assert str(shipped_weights_path()) in out and str(shipped_weights_path("h36m_studio")) in out
    assert out.count("research use only") >= 2
    assert main(["info", "pretrained"]) == 0
    assert str(shipped_weights_path()) in capsys.readouterr().out


@pytest.mark.parametrize("args, says", [(["pretrained:nope"], "unknown shipped weights 'nope'"),
                                        (["missing.pt"], "no checkpoint at"),
                                        (["README.md"], "is not a readable checkpoint")])
def test_info_on_what_is_not_a_checkpoint_exits_2_with_one_line(args, says, capsys, monkeypatch):
    import pathlib
    monkeypatch.chdir(pathlib.Path(__file__).resolve().parents[1])
    assert main(["info", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and says in err and err.count("\n") == 1


def test_describe_refuses_a_file_that_would_run_code(tmp_path):
    torch.save({"x": torch.nn.Linear(2, 2)}, tmp_path / "code.pt")  # a pickled module: code to run
    with pytest.raises(CheckpointError, match="refused"):
        describe_checkpoint(tmp_path / "code.pt")


def test_description_of_a_foreign_file_is_the_model_it_converts_to(tmp_path):
    from hdnet.core.checkpoint import FOREIGN_FORMATS
    made = _small_model()

    def recognise(obj):  # a toy foreign format: {"toy_weights": the keypoint model's state_dict}
        if "toy_weights" not in obj:
            return None
        model = _small_model()
        model.load_state_dict(obj["toy_weights"])
        return model
    FOREIGN_FORMATS.register("toy", recognise)
    try:
        torch.save({"toy_weights": made.state_dict()}, tmp_path / "toy.pth")
        d = describe_checkpoint(tmp_path / "toy.pth")
    finally:
        FOREIGN_FORMATS.unregister("toy")
    assert d["format"] == "foreign" and d["checksum"] is None and d["hdnet_version"] is None
    assert d["model_class"] == "KeypointHDNet" and d["parameters"] == sum(p.numel() for p in made.parameters())


def test_a_reader_that_goes_away_stops_the_command_quietly(tmp_path, monkeypatch, capsys):
    import io
    import sys

    class ClosedPipe(io.TextIOBase):  # what `hdnet info | head -1` leaves once head has exited
        def __init__(self, fd):
            self.fd = fd

        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def fileno(self):
            return self.fd

    with open(tmp_path / "sink", "w") as sink:
        monkeypatch.setattr(sys, "stdout", ClosedPipe(sink.fileno()))
        assert main(["info"]) == 1
    assert capsys.readouterr().err == ""  # no "error: [Errno 32] Broken pipe"
