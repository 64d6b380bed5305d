"""Bad MuPoTS-3D annotation files through `hdnet eval --dataset mupots-3d`: each one exits 2
with a single `error:` line naming the file and the field (and frame, person, joint where it
applies); a good folder evaluates."""

import json

import numpy as np
import pytest
import torch

from hdnet import Camera
from hdnet.apps.cli import main
from hdnet.keypoint import KeypointHDNet

from .test_real import standing_people

CAM = {"fx": 1500.0, "fy": 1500.0, "cx": 1024.0, "cy": 1024.0, "width": 2048, "height": 2048}


def _arrays():
    """Two frames of two standing people 3-4 m in front of ``CAM``: the TS*.npz fields."""
    bodies = standing_people(4, seed=2)                      # Z up, mm
    cam3 = np.stack([bodies[..., 0], 900.0 - bodies[..., 2], bodies[..., 1]], -1)  # camera axes, Y down
    cam3 = cam3 + np.array([[-600.0, 0.0, 3000.0], [500.0, 0.0, 4000.0]] * 2)[:, None]
    a3 = cam3.reshape(2, 2, 17, 3)
    a2 = Camera(CAM["fx"], CAM["fy"], CAM["cx"], CAM["cy"]).project(a3)
    return {"annot2": a2, "annot3": a3, "univ_annot3": a3, "valid": np.ones((2, 2), bool)}


def _folder(tmp_path, name, change=None, cameras=None):
    d = tmp_path / name
    d.mkdir()
    arrays = _arrays()
    if change:
        change(arrays)
    np.savez(d / "TS1.npz", **arrays)
    (d / "cameras.json").write_text(json.dumps({"TS1": CAM} if cameras is None else cameras))
    return d


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    return str(KeypointHDNet(("mupots_17",), channels=8, width=16, blocks=0).save(tmp_path / "kp.pt"))


def _eval(folder, checkpoint, tmp_path, capsys):
    rc = main(["eval", "--dataset", "mupots-3d", "--annotations", str(folder), "--checkpoint", checkpoint,
               "--out", str(tmp_path / "r.json")])
    return rc, capsys.readouterr().err.strip().splitlines()


def test_a_good_folder_evaluates(tmp_path, checkpoint, capsys):
    rc, _ = _eval(_folder(tmp_path, "good"), checkpoint, tmp_path, capsys)
    assert rc == 0 and json.loads((tmp_path / "r.json").read_text())["people"] == 4


def _set(field, index, value):
    def change(a):
        a[field] = np.array(a[field], dtype=np.float64)
        a[field][index] = value
    return change


CASES = {
    "valid shorter than annot2": (lambda a: a.update(valid=np.ones((1, 2), bool)), None, ["TS1.npz", "'annot2'"]),
    "NaN in a valid root": (_set("annot3", (0, 1, 14, 2), np.nan), None,
                            ["TS1.npz", "'annot3'", "frame 0 person 1 joint 14"]),
    "score above 1": (lambda a: a.update(confidence=np.full((2, 2, 17), 1.5)), None, ["TS1.npz", "'confidence'"]),
    "annot2 of strings": (lambda a: a.update(annot2=np.full((2, 2, 17, 2), "x")), None, ["TS1.npz", "'annot2'"]),
    "cameras.json a list": (None, [CAM], ["cameras.json"]),
    "camera without fx": (None, {"TS1": {k: v for k, v in CAM.items() if k != "fx"}}, ["cameras.json", "'fx'"]),
    "camera fx true": (None, {"TS1": {**CAM, "fx": True}}, ["cameras.json", "fx"]),
    "camera entry not an object": (None, {"TS1": 5}, ["cameras.json", "TS1"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_files_exit_2_naming_file_and_field(tmp_path, checkpoint, capsys, case):
    change, cameras, words = CASES[case]
    rc, err = _eval(_folder(tmp_path, "bad", change, cameras), checkpoint, tmp_path, capsys)
    assert rc == 2 and len(err) == 1 and err[0].startswith("error:"), err
    assert all(w in err[0] for w in words), (words, err[0])
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("cut", ["empty", "truncated", "flipped"])
def test_damaged_npz_exits_2(tmp_path, checkpoint, capsys, cut):
    d = _folder(tmp_path, "bad")
    data = (d / "TS1.npz").read_bytes()
    damaged = {"empty": b"", "truncated": data[: len(data) // 2],
               "flipped": data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:]}[cut]
    (d / "TS1.npz").write_bytes(damaged)
    rc, err = _eval(d, checkpoint, tmp_path, capsys)
    assert rc == 2 and len(err) == 1 and "TS1.npz" in err[0], err


def _mat_folder(tmp_path, annotations=None, occlusion=None):
    """The original MuPoTS-3D layout: TS1/annot.mat (a [frames, people] cell array of structs
    with annot2 [2, 17], annot3 and univ_annot3 [3, 17], isValidFrame) and TS1/occlusion.mat."""
    import scipy.io as sio
    a = _arrays()
    d = tmp_path / "mat"
    (d / "TS1").mkdir(parents=True)
    (d / "cameras.json").write_text(json.dumps({"TS1": CAM}))
    if annotations is None:
        annotations = np.empty((2, 2), dtype=object)
        for i in range(2):
            for k in range(2):
                annotations[i, k] = {"annot2": a["annot2"][i, k].T, "annot3": a["annot3"][i, k].T,
                                     "univ_annot3": a["univ_annot3"][i, k].T, "isValidFrame": 1.0}
    sio.savemat(d / "TS1" / "annot.mat", {"annotations": annotations})
    if occlusion is not None:
        sio.savemat(d / "TS1" / "occlusion.mat", {"occlusion_labels": occlusion})
    return d


def test_the_matlab_layout_reads_like_the_npz(tmp_path):
    from hdnet.data.mupots_annotations import read_mupots_annotations
    labels = np.empty((2, 2), dtype=object)
    for i in range(2):
        for k in range(2):
            labels[i, k] = np.zeros((1, 17)) + (i == 1 and k == 0)
    mat = read_mupots_annotations(_mat_folder(tmp_path, occlusion=labels))[0]
    np.testing.assert_allclose(mat.annot2, _arrays()["annot2"])
    np.testing.assert_allclose(mat.annot3, _arrays()["annot3"])
    assert mat.occluded is not None and mat.occluded.sum() == 17 and mat.occluded[1, 0].all()


@pytest.mark.parametrize("case", ["annotations a plain matrix", "occlusion of the wrong shape",
                                  "occlusion labels of 16 joints"])
def test_bad_matlab_files_exit_2(tmp_path, checkpoint, capsys, case):
    if case == "annotations a plain matrix":
        d, words = _mat_folder(tmp_path, annotations=np.zeros((2, 2))), ["annot.mat", "'annotations'"]
    else:
        joints = 16 if "16" in case else 17
        labels = np.empty((1, 2) if "shape" in case else (2, 2), dtype=object)
        for idx in np.ndindex(labels.shape):
            labels[idx] = np.zeros((1, joints))
        d, words = _mat_folder(tmp_path, occlusion=labels), ["occlusion.mat"]
    rc, err = _eval(d, checkpoint, tmp_path, capsys)
    assert rc == 2 and len(err) == 1 and err[0].startswith("error:"), err
    assert all(w in err[0] for w in words), (words, err[0])
