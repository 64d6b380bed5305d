import re

import numpy as np
import pytest
import torch

from hdnet.data import ImageBatch
from hdnet.models import export_onnx
from hdnet.models.export import INPUT_NAMES, OUTPUT_NAMES

from ..conftest import tiny_hdnet


@pytest.mark.slow
def test_onnx_export_matches_torch_for_any_number_of_people(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = tiny_hdnet(channels=32).train()
    path = export_onnx(model, tmp_path / "hdnet.onnx", input_size=128, num_images=2, num_people=3)
    assert model.training  # the caller's mode comes back
    model.eval()
    assert (tmp_path / "hdnet.onnx.data").exists()  # the weights' sidecar, documented
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(1)
    images = torch.randn(2, 3, 128, 128, generator=g)
    cmap = torch.randn(2, 2, 32, 32, generator=g) * 0.3
    masks = torch.zeros(4, 32, 32, dtype=torch.bool)
    masks[0, 2:20, 3:15] = masks[1, 10:30, 12:28] = masks[2, 0:12, 20:32] = masks[3, 5:9, 5:9] = True
    for index in (torch.tensor([0, 1, 1]), torch.tensor([1]), torch.tensor([1, 0, 0, 1])):
        p = index.numel()
        mask = masks[:p]
        fx = torch.linspace(900.0, 1100.0, p)
        inputs = ImageBatch(images, cmap, mask, index, torch.stack([fx, fx + 5.0], 1))
        with torch.no_grad():
            ref = model(inputs)
        feeds = {name: getattr(inputs, name).numpy() for name in INPUT_NAMES}
        run = sess.run(None, {i.name: feeds[i.name] for i in sess.get_inputs()})
        outs = dict(zip([o.name for o in sess.get_outputs()], run, strict=True))
        for name in OUTPUT_NAMES:
            expected = getattr(ref, name).numpy()
            assert outs[name].shape == expected.shape
            err = np.abs(outs[name] - expected).max() / max(np.abs(expected).max(), 1e-12)
            assert err < 1e-4, (p, name, err)


@pytest.mark.slow
@pytest.mark.parametrize("scale_input", [False, True])
def test_keypoint_model_onnx_export_matches_torch_for_any_number_of_people(tmp_path, scale_input):
    """Both architectures (``scale_input``: the lifting network also reads log s, as the
    shipped studio model does) export with a dynamic number of people and answer as torch."""
    ort = pytest.importorskip("onnxruntime")
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.model import ONNX_OUTPUTS
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=16, width=32, blocks=1, scale_input=scale_input)
    with pytest.raises(ValueError, match="format"):  # two formats: which one is not guessed
        export_onnx(model, tmp_path / "x.onnx")
    path = export_onnx(model, tmp_path / "kp.onnx", format="coco_17")
    assert model.training  # the caller's mode comes back
    model.eval()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    g = torch.Generator().manual_seed(0)
    for p in (1, 3, 9):
        kp = torch.randn(p, 17, 2, generator=g) * 0.1 * torch.rand(p, 1, 1, generator=g).add(0.2)  # sizes differ
        conf = torch.rand(p, 17, generator=g)
        conf[:, :3] = 0.0  # missing joints (NaN pixels with score 0, as detectors write them)
        kp[:, :3] = float("nan")
        with torch.no_grad():
            ref = model(kp, conf, "coco_17")
        run = sess.run(None, {"keypoints_norm": kp.numpy(), "confidence": conf.numpy()})
        for name, got in zip(ONNX_OUTPUTS, run, strict=True):
            expected = getattr(ref, name).numpy()
            assert got.shape == expected.shape and np.isfinite(got).all(), (p, name)
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3 * max(1.0, np.abs(expected).max()),
                                       err_msg=f"{p} people, {name}")


@pytest.mark.slow
def test_a_layout_exports_taking_the_detectors_every_point(tmp_path):
    """Exported for a layout, the file takes the detector's whole output (RTMW's 133 points,
    PoseTrack's 17) and answers as the model does on the format's points: COCO-WholeBody's first
    17 (its face, hands and feet not used), PoseTrack's with its two eye slots (its head's base
    and top) missing."""
    ort = pytest.importorskip("onnxruntime")
    from hdnet.keypoint import KeypointHDNet
    from hdnet.models.export import read_onnx_metadata
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=16, width=32, blocks=1).eval()
    g = torch.Generator().manual_seed(2)
    for layout, points in (("coco_wholebody_133", 133), ("posetrack_17", 17)):
        path = export_onnx(model, tmp_path / f"{layout}.onnx", format=layout)
        said = read_onnx_metadata(path)["hdnet"]["signature"]
        assert said["format"] == "coco_17" and said["layout"] == layout and len(said["input_joints"]) == points
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        kp = torch.randn(4, points, 2, generator=g) * 0.1
        conf = torch.rand(4, points, generator=g) * 0.8 + 0.2
        body, body_conf = kp[:, :17].clone(), conf[:, :17].clone()
        if layout == "posetrack_17":
            body_conf[:, [1, 2]] = 0.0  # COCO's eyes: PoseTrack's slots hold the head's base and top
        with torch.no_grad():
            ref = model(body, body_conf, "coco_17")
        got = sess.run(None, {"keypoints_norm": kp.numpy(), "confidence": conf.numpy()})
        np.testing.assert_allclose(got[0], ref.root_mm.numpy(), rtol=1e-4, atol=1e-2, err_msg=layout)
    with pytest.raises(ValueError, match="holds halpe_26's keypoints, which this model does not read"):
        export_onnx(model, tmp_path / "x.onnx", format="halpe_136")


def _small_keypoint_checkpoint(tmp_path):
    from hdnet.keypoint import KeypointHDNet
    torch.manual_seed(0)
    model = KeypointHDNet(("mupots_17", "coco_17"), channels=16, width=32, blocks=1)
    model.reference_length_mm, model.reference_height_mm, model.known_height_std_scale = 1800.0, 1700.0, 0.5
    path = model.save(tmp_path / "kp.pt", license="research use only (test)", trained_on="nothing")
    return model.eval(), path


@pytest.mark.slow
def test_exported_file_describes_itself_and_its_height_recipe_holds(tmp_path):
    """``hdnet export`` writes the joints, constants and licence into the file's metadata
    (read back by onnxruntime itself and by ``hdnet info``); the known-height recipe it states,
    applied to onnxruntime's answers, gives ``KeypointHDNet.with_heights``."""
    ort = pytest.importorskip("onnxruntime")
    from hdnet.apps.cli import main
    from hdnet.graphs import get_skeleton
    from hdnet.models.export import read_onnx_metadata
    model, ckpt = _small_keypoint_checkpoint(tmp_path)
    out = tmp_path / "kp.onnx"
    assert main(["export", str(ckpt), "--out", str(out), "--keypoint-format", "coco_17"]) == 0
    meta = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).get_modelmeta().custom_metadata_map
    assert meta["hdnet.license"] == "research use only (test)" and meta["hdnet.model_class"] == "KeypointHDNet"
    info = read_onnx_metadata(out)
    sig, data = info["hdnet"]["signature"], info["hdnet"]["data"]
    assert sig["format"] == "coco_17" and sig["input_joints"] == list(get_skeleton("coco_17").joints)
    assert sig["output_joints"] == list(get_skeleton("mupots_17").joints)
    assert info["inputs"] == {"keypoints_norm": ["people", 17, 2], "confidence": ["people", 17]}
    assert info["weights_file"] == "kp.onnx.data" and (tmp_path / "kp.onnx.data").exists()
    g = torch.Generator().manual_seed(3)
    kp, conf = torch.randn(4, 17, 2, generator=g) * 0.1, torch.rand(4, 17, generator=g) * 0.8 + 0.2
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = dict(zip(info["outputs"], sess.run(None, {"keypoints_norm": kp.numpy(), "confidence": conf.numpy()}), strict=True))
    heights = np.array([1600.0, 1900.0, 1750.0, 1820.0])
    k = heights / data["reference_height_mm"]  # the recipe as the metadata states it
    std = got["depth_std_mm"] * k * data["known_height_std_scale"] / data["depth_std_scale"]
    with torch.no_grad():
        ref = model.with_heights(model(kp, conf, "coco_17"), heights)
    np.testing.assert_allclose(got["root_mm"] * k[:, None], ref.root_mm.numpy(), rtol=1e-4)
    np.testing.assert_allclose(got["joints_mm"] * k[:, None, None], ref.joints_mm.numpy(), rtol=1e-4, atol=1e-2)
    np.testing.assert_allclose(std, ref.depth_std_mm.numpy(), rtol=1e-4)


@pytest.mark.slow
def test_export_and_info_say_what_is_wrong(tmp_path, capsys):
    pytest.importorskip("onnx")
    from hdnet.apps.cli import main
    _, ckpt = _small_keypoint_checkpoint(tmp_path)
    assert main(["export", str(ckpt), "--out", str(tmp_path / "a.onnx")]) == 2  # two formats: which one?
    assert "--keypoint-format: this model reads mupots_17, coco_17" in capsys.readouterr().err
    assert main(["export", str(ckpt), "--out", str(tmp_path / "a.onnx"), "--keypoint-format", "coco_17",
                 "--input-size", "256"]) == 2
    assert "--input-size: does not apply to a keypoint model" in capsys.readouterr().err
    assert main(["export", str(ckpt), "--out", str(tmp_path / "a.onnx"), "--keypoint-format", "body_25"]) == 2
    assert "body_25" in capsys.readouterr().err
    assert not (tmp_path / "a.onnx").exists()
    for out in (tmp_path / "no" / "such" / "a.onnx", tmp_path):
        assert main(["export", str(ckpt), "--out", str(out), "--keypoint-format", "coco_17"]) == 2
        assert "--out: " in capsys.readouterr().err
    (tmp_path / "fake.onnx").write_bytes(b"\x00\xffnot a protobuf at all" * 10)
    assert main(["info", str(tmp_path / "fake.onnx")]) == 2
    assert "is not an ONNX file" in capsys.readouterr().err


@pytest.mark.slow
def test_info_shows_an_exported_files_description(tmp_path, capsys):
    pytest.importorskip("onnx")
    from hdnet.apps.cli import main
    from hdnet.models import export_onnx
    model, _ = _small_keypoint_checkpoint(tmp_path)
    export_onnx(model, tmp_path / "m.onnx", format="mupots_17", metadata={"license": "as the data's"})
    (tmp_path / "m.onnx.data").rename(tmp_path / "elsewhere.data")
    assert main(["info", str(tmp_path / "m.onnx"), "--json", str(tmp_path / "m.json")]) == 0
    out = capsys.readouterr().out
    assert "KeypointHDNet, exported by hdnet" in out and re.search(r"\nlicence +as the data's\n", out)
    assert "weights in m.onnx.data, NOT FOUND beside it" in out  # the sidecar went missing
    assert re.search(r"\nformat +mupots_17\njoints in +17: head_top, neck, r_shoulder,", out)


@pytest.mark.slow
def test_export_an_image_model_at_another_size(tmp_path, capsys):
    """The file takes the size asked for, and its metadata says that size (not the checkpoint's)."""
    pytest.importorskip("onnxruntime")
    from hdnet.apps.cli import main
    from hdnet.models.export import read_onnx_metadata
    model = tiny_hdnet(channels=32)
    path = model.save(tmp_path / "m.pt")
    assert model.preprocessing.input_size != 128
    assert main(["export", str(path), "--out", str(tmp_path / "m.onnx"), "--input-size", "128"]) == 0
    assert "checked        onnxruntime answers 2 people as torch does" in capsys.readouterr().out
    info = read_onnx_metadata(tmp_path / "m.onnx")
    assert info["inputs"]["images"] == [1, 3, 128, 128] and info["hdnet"]["preprocessing"]["input_size"] == 128
    assert main(["export", str(path), "--out", str(tmp_path / "n.onnx"), "--input-size", "100"]) == 2
    assert main(["export", str(path), "--out", str(tmp_path / "n.onnx"), "--keypoint-format", "coco_17"]) == 2
    assert "takes images" in capsys.readouterr().err


@pytest.mark.slow
def test_damaged_onnx_files_give_a_description_or_an_error(tmp_path, capsys):
    """hdnet info on cut and bit-flipped copies of an exported file (seeded): a description or
    exit 2 with one error line, never a traceback; an hdnet entry that is not an object is named."""
    onnx = pytest.importorskip("onnx")
    import random

    from hdnet.apps.cli import main
    from hdnet.models import export_onnx
    model, _ = _small_keypoint_checkpoint(tmp_path)
    path = export_onnx(model, tmp_path / "m.onnx", format="coco_17")
    good = (tmp_path / "m.onnx").read_bytes()
    rng = random.Random(0)
    for i in range(60):
        data = bytearray(good)
        if i % 2:
            data = data[: rng.randrange(len(data))]
        else:
            for _ in range(rng.randrange(1, 12)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        (tmp_path / "d.onnx").write_bytes(bytes(data))
        assert main(["info", str(tmp_path / "d.onnx")]) in (0, 2), i
    graph = onnx.load(path, load_external_data=False)
    next(e for e in graph.metadata_props if e.key == "hdnet.signature").value = "5"
    onnx.save(graph, str(tmp_path / "m.onnx"))
    capsys.readouterr()
    assert main(["info", str(tmp_path / "m.onnx")]) == 2
    assert "its hdnet.signature is not what hdnet writes" in capsys.readouterr().err


@pytest.mark.slow
def test_check_onnx_tells_a_file_of_other_weights(tmp_path):
    """check_onnx compares a file with the model it was exported from (within 1e-4), and a file
    of the same architecture with other weights is told apart."""
    pytest.importorskip("onnxruntime")
    from hdnet.keypoint import KeypointHDNet
    from hdnet.models import check_onnx, export_onnx
    model, _ = _small_keypoint_checkpoint(tmp_path)
    export_onnx(model, tmp_path / "m.onnx", format="coco_17")
    same = check_onnx(model, tmp_path / "m.onnx", format="coco_17")
    assert same["people"] == 3 and same["worst"] < 1e-4
    torch.manual_seed(1)
    other = KeypointHDNet(("mupots_17", "coco_17"), channels=16, width=32, blocks=1)
    assert check_onnx(other, tmp_path / "m.onnx", format="coco_17")["worst"] > 1e-2
