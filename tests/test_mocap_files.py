"""Bad motion-capture HDF5 files through every subcommand that reads one (``hdnet eval
--dataset h36m`` and ``hdnet train --recipe keypoint``): each exits 2 with one ``error:`` line
naming the file and the field (subject, action or camera); a good file reads."""

import h5py
import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.data.mocap import read_h36m_mocap
from hdnet.keypoint import KeypointHDNet

from .test_real import standing_h36m

CAMERA = {"f": [[1145.0], [1144.0]], "c": [[512.0], [515.0]], "k": [[-0.2], [0.24], [-0.002]],
          "p": [[-0.0007], [-0.001]], "R": np.eye(3), "T": [[0.0], [-5000.0], [900.0]]}


def _write(path, change=None):
    """One subject (S9) with two actions and one camera, in the documented layout; ``change``
    edits the dict of datasets (``None`` drops a field) before it is written."""
    poses = standing_h36m(8, seed=1)
    fields = {"S9/poses/Walking": poses[:4], "S9/poses/Eating": poses[4:]}
    fields.update({f"S9/cameras/54138969/{k}": v for k, v in CAMERA.items()})
    if change:
        change(fields)
    with h5py.File(path, "w") as f:
        for name, value in fields.items():
            if value is not None:
                f[name] = value
    return str(path)


def _set(name, value):
    return lambda d: d.__setitem__(name, value)


def _nan_frame(d):
    a = np.array(d["S9/poses/Eating"], dtype=np.float64)
    a[2, 5, 1] = np.nan
    d["S9/poses/Eating"] = a


CASES = {
    "empty f": (_set("S9/cameras/54138969/f", np.zeros((0,))), ["cameras/54138969/f", "1 or 2 numbers"]),
    "no R": (_set("S9/cameras/54138969/R", None), ["cameras/54138969/R", "missing"]),
    "R of 4 numbers": (_set("S9/cameras/54138969/R", np.eye(2)), ["cameras/54138969/R", "[3, 3]"]),
    "NaN in c": (_set("S9/cameras/54138969/c", [np.nan, 1.0]), ["cameras/54138969/c", "NaN"]),
    "negative focal": (_set("S9/cameras/54138969/f", [-5.0, -5.0]), ["cameras/54138969", "focal"]),
    "string pose": (_set("S9/poses/Walking", np.array([b"x"])), ["S9/poses/Walking", "numeric"]),
    "pose of 16 joints": (_set("S9/poses/Walking", np.zeros((3, 16, 3))), ["S9/poses/Walking", "[T, 17, 3]"]),
    "NaN in a pose": (_nan_frame, ["S9/poses/Eating", "frame 2"]),
}


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    return str(KeypointHDNet(("h36m_17",), channels=8, width=16, blocks=0).save(tmp_path / "kp.pt"))


def test_a_good_file_reads(tmp_path):
    poses = read_h36m_mocap(_write(tmp_path / "m.h5"))
    cam = poses.cameras["S9"]["54138969"]
    assert len(poses) == 8 and sorted(set(poses.sequence)) == ["Eating", "Walking"]
    assert (cam.camera.fx, cam.camera.fy, cam.camera.cx, cam.camera.cy) == (1145.0, 1144.0, 512.0, 515.0)
    assert cam.height == 1002 and np.allclose(cam.T, [0, -5000, 900])


@pytest.mark.parametrize("command", ["eval", "train"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_files_exit_2_naming_file_and_field(tmp_path, checkpoint, capsys, case, command):
    change, words = CASES[case]
    path = _write(tmp_path / "bad.h5", change)
    if command == "eval":
        args = ["eval", "--dataset", "h36m", "--annotations", path, "--subjects", "S9",
                "--checkpoint", checkpoint, "--out", str(tmp_path / "r.json")]
    else:
        args = ["train", "--recipe", "keypoint", "--set", f"data.mocap={path}", "--set", 'data.subjects=["S9"]',
                "--set", "schedule.max_steps=1", "--out", str(tmp_path / "run")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    for word in ["bad.h5", *words]:
        assert word in err[0], (word, err[0])
    assert not (tmp_path / "r.json").exists()
