"""Bad input, faults and untrusted files, class by class: every case ends in a clear error that
names the argument or file, or in a correct result; never NaN, garbage or a deep traceback."""

import errno
import json
import math
import os
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hdnet import Camera, HDNet, HDNetLoss, Predictor, Skeleton
from hdnet.baselines import k_value_depth
from hdnet.core.checkpoint import CheckpointError, checksum, load_model
from hdnet.data import HDNetTargets, HDNetTrainingSet, ImageBatch, MuPoTS, ReaderBase, load_image
from hdnet.data.synthetic import SceneConfig, write_mupots_json
from hdnet.layers import DepthBins, HeatmapAttentionPooling, SkeletonGNN, masked_spatial_softmax
from hdnet.metrics import mpjpe, pa_mpjpe, pck3d
from hdnet.models import HDNetOutput
from hdnet.train import Trainer, TrainingError

from .conftest import image_batch, run_cli, tiny_hdnet
from .test_train import tiny as tiny_config


def tiny(skeleton="mupots_17", **kw):
    return tiny_hdnet(skeleton, **kw)


def cli(*args):
    """Run ``hdnet ARGS`` in a subprocess: (exit status, stderr)."""
    res = run_cli(*args)
    return res.returncode, res.stderr


def one_clear_line(stderr: str) -> bool:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in stderr


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenes")
    path = write_mupots_json(out, 12, seed=3, config=SceneConfig(image_size=64, people=(1, 2)))
    return path, out


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("ckpt") / "m.pt"
    tiny().save(path)
    return path


def train_config(scenes, out_dir, **groups):
    """test_train's tiny config, one short epoch."""
    return tiny_config(scenes, out_dir, **{**groups, "schedule": {"epochs": 1, "max_steps": 2,
                                                                   **groups.get("schedule", {})}})


# ---------------------------------------------------------------------------- 1. untrusted files
class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.slow
def test_checkpoint_that_runs_code_is_refused_everywhere(tmp_path, scenes):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"
    torch.save({"model": {"fpn.x": torch.zeros(1)}, "p": _Payload(marker)}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_model(evil)
    with pytest.raises(CheckpointError, match="refused"):
        HDNet.from_original_checkpoint(evil)
    code, err = cli("predict", "x.jpg", "--boxes", "b.json", "--checkpoint", evil)
    assert code == 2 and one_clear_line(err) and "refused" in err
    run = tmp_path / "run"
    run.mkdir()
    torch.save(_Payload(marker), run / "last.pt")
    with pytest.raises(CheckpointError, match="refused"):
        Trainer(train_config(scenes, run), resume=True)
    assert not marker.exists()


@pytest.mark.slow
def test_corrupted_checkpoint_bytes_are_caught(tmp_path, checkpoint):
    # flip bytes inside one stored tensor of the file itself (not through torch)
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(checkpoint) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_STORED) as zout:
        names = zin.namelist()
        data_files = [n for n in names if "/data/" in n]
        victim = max(data_files, key=lambda n: zin.getinfo(n).file_size)
        for n in names:
            blob = zin.read(n)
            if n == victim:
                arr = bytearray(blob)
                arr[100:104] = b"\x00\x00\xa0\x46"  # a weight becomes 2e4
                blob = bytes(arr)
            zout.writestr(zin.getinfo(n), blob)
    with pytest.raises(CheckpointError, match="corrupt|not a readable"):
        load_model(bad)
    code, err = cli("eval", "--dataset", "mupots", "--annotations", "a.json", "--images", ".",
                    "--checkpoint", bad)
    assert code == 2 and one_clear_line(err)


@pytest.mark.slow
def test_checkpoint_weights_that_do_not_match_the_config(tmp_path, checkpoint):
    raw = torch.load(checkpoint, weights_only=True)
    raw["architecture"]["channels"] = 32
    torch.save(raw, tmp_path / "edited.pt")
    with pytest.raises(CheckpointError, match="corrupt"):  # the checksum covers the architecture too
        load_model(tmp_path / "edited.pt")
    raw["checksum"] = checksum(raw)  # a writer that made a consistent file with the wrong description
    torch.save(raw, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not match the stored architecture"):
        load_model(tmp_path / "mismatch.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "text.pt").write_text("hello")
    for name in ("mismatch.pt", "empty.pt", "text.pt"):
        code, err = cli("predict", "x.jpg", "--boxes", "b.json", "--checkpoint", tmp_path / name)
        assert code == 2 and one_clear_line(err), err


# ---------------------------------------------------------------------------- 2. empty and degenerate
def test_zero_people_everywhere():
    model = tiny()
    with torch.no_grad():
        out = model(image_batch(1, 0))
    assert out.pose.shape == (0, 17, 2) and out.bin_probs.shape == (0, 61) and out.depth_mm.shape == (0,)
    gnn = SkeletonGNN("h36m_17", 8)
    res = gnn(torch.zeros(0, 17, 8))
    assert res.nodes.shape == (0, 17, 8) and res.graph.shape == (0, 8)
    empty = torch.zeros(0)
    pred = HDNetOutput(torch.zeros(0, 17, 4, 4, requires_grad=True), torch.zeros(0, 17, 2), torch.zeros(0, 61),
                       empty, empty, empty, empty)
    target = HDNetTargets(torch.zeros(0, 17, 4, 4), torch.zeros(0, 17, 2), torch.zeros(0, 61), empty,
                          torch.zeros(0, 17), empty)
    losses = HDNetLoss()(pred, target)
    assert float(losses["total"].detach()) == 0.0 and all(math.isfinite(float(v.detach())) for v in losses.values())
    losses["total"].backward()
    assert Predictor(tiny()).predict(np.zeros((48, 64, 3), np.uint8), np.zeros((0, 4))) == []


def test_training_batches_with_nobody(tmp_path, scenes):
    path, root = scenes
    data = json.loads(path.read_text())
    first = data["images"][0]["id"]
    data["annotations"] = [a for a in data["annotations"] if a["image_id"] != first]  # image 0: nobody
    (tmp_path / "some.json").write_text(json.dumps(data))
    cfg = train_config(scenes, tmp_path / "out", schedule={"max_steps": 3},
                       data={"batch_size": 1, "augment": False,
                             "datasets": [{"type": "mupots", "annotation_file": str(tmp_path / "some.json"),
                                           "image_root": str(root)}]})
    trainer = Trainer(cfg)
    batch = next(trainer.task.batches(0, 0))
    data = trainer.task.data
    empty = ImageBatch.collate([data[k] for k in range(len(data)) if data[k].num_people == 0][:1])
    assert empty.num_people == 0
    assert trainer.train_step(empty)["total"] == 0.0
    assert math.isfinite(trainer.train_step(batch)["total"])
    trainer.fit()
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())


@pytest.mark.parametrize("box", [[10, 10, 10.4, 30], [10, 10, 30, 10.2], [10, 10, 10, 30]])
def test_sub_pixel_and_zero_area_boxes(box):
    pred = Predictor(tiny(framing="person"))
    with pytest.raises(ValueError, match="boxes"):
        pred.predict(np.zeros((48, 64, 3), np.uint8), [box], Camera(60.0, 60.0, 32.0, 24.0))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 16), st.sampled_from([torch.float32, torch.float16, torch.bfloat16]),
       st.sampled_from(["all", "some", "posinf"]))
def test_inf_logits_keep_the_mass_inside_the_mask(seed, dtype, kind):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(2, 3, 8, 8, generator=g).to(dtype)
    mask = torch.zeros(2, 8, 8, dtype=torch.bool)
    mask[0, 1:4, 2:7] = True
    mask[1, 5:8, 0:2] = True
    if kind == "all":
        logits[:, :] = float("-inf")
    elif kind == "some":
        logits[torch.rand(2, 3, 8, 8, generator=g) < 0.7] = float("-inf")
    else:
        logits[0, 0, 2, 3] = logits[0, 0, 1, 2] = float("inf")
    prob = masked_spatial_softmax(logits, mask).float()
    assert torch.isfinite(prob).all()
    inside = (prob * mask[:, None]).sum((-2, -1))
    torch.testing.assert_close(inside, torch.ones(2, 3), atol=1e-2, rtol=0)
    if kind == "all":  # no preference anywhere: even over the box
        torch.testing.assert_close(prob[0, 0][mask[0]], torch.full((15,), 1 / 15), atol=1e-3, rtol=0)
    out = HeatmapAttentionPooling()(logits.float(), torch.randn(2, 4, 8, 8, generator=g), mask=mask)
    assert torch.isfinite(out.features).all() and torch.isfinite(out.coords).all()


def test_nan_logits_are_an_error():
    logits = torch.randn(1, 2, 4, 4)
    logits[0, 1, 2, 2] = float("nan")
    with pytest.raises(ValueError, match="logits: NaN"):
        masked_spatial_softmax(logits, torch.ones(1, 4, 4, dtype=torch.bool))


def test_metrics_on_empty_or_degenerate_input():
    with pytest.raises(ValueError, match="no person to score"):
        pck3d([])
    with pytest.raises(ValueError, match="no person to score"):
        pck3d([{"name": "TS1", "frames": [{"gt_2d": np.zeros((0, 17, 2)), "gt_3d": np.zeros((0, 17, 3))}]}])
    with pytest.raises(ValueError, match="pred"):
        pa_mpjpe(np.zeros((0, 17, 3)), np.zeros((0, 17, 3)))
    with pytest.raises(ValueError, match="pred"):
        mpjpe(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(ValueError, match="finite"):
        mpjpe(np.full((17, 3), np.nan), np.zeros((17, 3)))
    gt = np.random.default_rng(0).normal(size=(17, 3)) * 300
    assert math.isfinite(pa_mpjpe(np.zeros((17, 3)), gt))  # a collapsed prediction: defined, not NaN
    with pytest.raises(ValueError, match="outside the 640x480 image"):
        k_value_depth([[700, 500, 50, 100]], Camera(500.0, 500.0, 320.0, 240.0), image_size=(640, 480))
    with pytest.raises(ValueError, match="width and height"):
        k_value_depth([[10, 10, 0, 100]], Camera(500.0, 500.0, 320.0, 240.0))


# ---------------------------------------------------------------------------- 3. NaN containment
@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=17, max_size=17), st.integers(0, 1000))
def test_nan_targets_on_invisible_joints_do_not_poison_the_loss(visible, seed):
    g = torch.Generator().manual_seed(seed)
    vis = torch.tensor(visible, dtype=torch.float32)[None]
    pose_t = torch.randn(1, 17, 2, generator=g)
    heat_t = torch.rand(1, 17, 4, 4, generator=g)
    pose_t[0, ~vis[0].bool()] = float("nan")
    heat_t[0, ~vis[0].bool()] = float("nan")
    heat = torch.rand(1, 17, 4, 4, generator=g, requires_grad=True)
    pose = torch.randn(1, 17, 2, generator=g, requires_grad=True)
    none = torch.zeros(1)
    pred = HDNetOutput(heat, pose, torch.softmax(torch.randn(1, 61, generator=g), -1), torch.rand(1) * 60,
                       none, none, none)
    target = HDNetTargets(heat_t, pose_t, torch.softmax(torch.randn(1, 61, generator=g), -1),
                          torch.tensor([float("nan")]), vis, torch.zeros(1))
    losses = HDNetLoss()(pred, target)
    assert math.isfinite(float(losses["total"]))
    losses["total"].backward()
    assert torch.isfinite(pose.grad).all() and torch.isfinite(heat.grad).all()
    # the visible joints alone decide the pose term: compare with a dense formula
    v = vis[0].bool()
    expected = (pose[0, v] - pose_t[0, v]).abs().sum() / (2 * max(int(v.sum()), 1)) if v.any() else 0.0
    assert float(losses["pose"]) == pytest.approx(float(expected), rel=1e-5, abs=1e-7)


def test_non_finite_loss_stops_training_and_writes_nothing(tmp_path, scenes):
    trainer = Trainer(train_config(scenes, tmp_path / "nan", schedule={"max_steps": 3}))
    with torch.no_grad():
        trainer.model.bin_head.linear.weight.fill_(float("nan"))
    with pytest.raises(TrainingError, match=r"step 1 .*loss is nan.*images"):
        trainer.fit()
    assert not (tmp_path / "nan" / "last.pt").exists()
    with pytest.raises(CheckpointError, match="non-finite"):
        trainer.save()
    assert not (tmp_path / "nan" / "last.pt").exists()


# ---------------------------------------------------------------------------- 4. runs that learn nothing
def test_depths_outside_the_bins(tmp_path, scenes):
    with pytest.raises(ValueError, match=r"outside the bins.*model.bins_d_min = .*model.bins_d_max"):
        Trainer(train_config(scenes, tmp_path / "a", model={"bins_d_min": 2.0, "bins_d_max": 8.0}))
    with pytest.warns(UserWarning, match="clamped"):  # some out of range: said, training goes on
        Trainer(train_config(scenes, tmp_path / "b", model={"bins_d_min": 12.0},
                             data={"max_depth_out_of_range": 1.0}))


class _Stars(ReaderBase):
    skeleton = "star_3"

    def __init__(self, base, negative=False):
        super().__init__()
        from hdnet.data.base import Person, Sample
        for s in base.samples:
            people = []
            for p in s.people:
                j3 = p.joints_3d[:3].copy()
                if negative:
                    j3[:, 2] *= -1
                people.append(Person(p.joints_2d[:3], j3, np.ones(3), p.box_xyxy))
            self.samples.append(Sample(s.image_path, s.image_id, s.camera, s.width, s.height, people))


def test_skeleton_without_shared_joints_and_negative_depths(scenes):
    from hdnet.graphs import register_skeleton, unregister_skeleton
    register_skeleton(Skeleton("star_3", ["core", "arm_a", "arm_b"], [(0, 1), (0, 2)], root=0), overwrite=True)
    try:
        base = MuPoTS(*scenes)
        with pytest.raises(ValueError, match="shares no joint"):
            HDNetTrainingSet(_Stars(base), "mupots_17", DepthBins(5.0, 80.0), 64, "image")
        stars = HDNetTrainingSet(_Stars(base, negative=True), "star_3", DepthBins(5.0, 80.0), 64, "image")
        with pytest.raises(ValueError, match=r"root depth: -.*\+Z in front"):
            stars.depth_coverage()
    finally:
        unregister_skeleton("star_3")


@pytest.mark.slow
def test_batch_and_epoch_settings_that_train_nothing(tmp_path, scenes):
    with pytest.raises(ValueError, match="data.batch_size: 64 is more than the 12 training items"):
        Trainer(train_config(scenes, tmp_path / "c", data={"batch_size": 64}))
    for group, key, value in (("schedule", "epochs", 0), ("data", "batch_size", 0), ("schedule", "max_steps", 0),
                              ("optim", "lr", -1.0), (None, "device", "tpu"), (None, "device", "gpu:0")):
        with pytest.raises(ValueError, match=f"{group + '.' if group else ''}{key}"):
            train_config(scenes, tmp_path / "d", **({group: {key: value}} if group else {key: value}))
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: 'cuda' was asked for but torch sees no GPU"):
            train_config(scenes, tmp_path / "e", device="cuda")
    assert Trainer(train_config(scenes, tmp_path / "f", device="cpu")).device == torch.device("cpu")
    code, err = cli("train", tmp_path / "nothing.json")
    assert code == 2 and one_clear_line(err)
    (tmp_path / "list.json").write_text("[1, 2]")
    code, err = cli("train", tmp_path / "list.json")
    assert code == 2 and one_clear_line(err) and "mapping" in err


# ---------------------------------------------------------------------------- 5. precision
@settings(max_examples=40, deadline=None)
@given(st.floats(1500.0, 30000.0), st.floats(300.0, 3000.0), st.sampled_from([torch.float16, torch.bfloat16]))
def test_depth_bins_in_half_precision(depth, focal, dtype):
    bins = DepthBins(2.0, 8.0, 61)
    z = torch.tensor([depth]).to(dtype)
    f = torch.tensor([focal]).to(dtype)
    idx, ok = bins.index(z, f, f)
    zr, fr = float(z.float()), float(f.float())  # the half-precision inputs, exactly
    d = zr / fr
    expected = (math.log(min(max(d, 2.0), 8.0)) - math.log(2.0)) / (math.log(8.0) - math.log(2.0)) * 60
    assert torch.isfinite(idx).all() and float(idx) == pytest.approx(expected, abs=1e-3)
    assert bool(ok) == (2.0 <= d <= 8.0)
    back = bins.depth(idx.to(dtype), f, f)
    assert torch.isfinite(back).all() and back.dtype == torch.float32
    if 2.0 <= d <= 8.0:
        assert float(back) == pytest.approx(zr, rel=0.03)  # a half-precision index holds ~3 digits


# ---------------------------------------------------------------------------- 6. images
def test_16_bit_images_use_their_real_range(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 65536, (20, 30), dtype=np.uint16)
    for suffix in ("png", "tif"):
        path = tmp_path / f"g16.{suffix}"
        Image.fromarray(grey).save(path)
        img = load_image(path)
        assert img.shape == (3, 20, 30)
        torch.testing.assert_close(img[1], torch.from_numpy(grey.astype(np.float32) / 65535.0))
    assert float(load_image(np.full((4, 4, 3), 65535, np.uint16)).max()) == 1.0


# How each EXIF orientation stores an image shown as `shown` (EXIF 2.32, tag 0x0112: where the
# stored image's first row and column appear when shown), written out without Pillow's own
# ImageOps so the test does not check Pillow against itself.
_STORED = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.transpose(1, 0, 2), 6: lambda a: np.rot90(a, 1), 7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
           8: lambda a: np.rot90(a, -1)}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_images_are_read_as_shown(tmp_path, orientation):
    """Every decoder of hdnet sees a photo as a viewer shows it: the image model's load_image,
    the detectors' frames, the pictures and the sizes keypoints are checked against, all in the
    frame of EXIF-aware detectors and of Camera.from_exif."""
    from hdnet.apps.keypoint_predict import _shown
    from hdnet.keypoint.detectors import load_image_as_shown
    shown = np.random.default_rng(orientation).integers(0, 256, (30, 50, 3), dtype=np.uint8)
    path = tmp_path / f"o{orientation}.png"  # lossless, so pixels compare exactly
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(np.ascontiguousarray(_STORED[orientation](shown))).save(path, exif=exif)
    np.testing.assert_array_equal(load_image_as_shown(path), shown)
    torch.testing.assert_close(load_image(path), torch.from_numpy(shown).permute(2, 0, 1).float() / 255.0)
    assert _shown(str(path)) == ((50, 30), orientation)


def test_sixteen_bit_images_turned_as_shown(tmp_path):
    """A 16-bit greyscale PNG is read by its own range by the image models and by the detectors
    (which take 8 bits: a 16-bit level 257 v is the 8-bit level v). Before the detectors shared
    the image models' decoder, Pillow's RGB conversion clipped it to white."""
    from hdnet.keypoint.detectors import load_image_as_shown
    grey = np.random.default_rng(0).integers(0, 65536, (20, 30), dtype=np.uint16)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(grey, 1))).save(tmp_path / "g.png", exif=exif)
    torch.testing.assert_close(load_image(tmp_path / "g.png")[0], torch.from_numpy(grey.astype(np.float32) / 65535))
    eight = np.random.default_rng(1).integers(0, 256, (20, 30)).astype(np.uint16)
    Image.fromarray(eight * 257).save(tmp_path / "g257.png")
    np.testing.assert_array_equal(load_image_as_shown(tmp_path / "g257.png"), np.repeat(eight[..., None], 3, 2))
    from hdnet.apps.draw import PeoplePicture  # and the pictures drawn over it
    picture = PeoplePicture(tmp_path / "g257.png", np.array([[0.0, 0.0, 3000.0]])).canvas
    np.testing.assert_array_equal(np.asarray(picture)[:, :30], np.repeat(eight[..., None], 3, 2))


def test_bad_images(tmp_path):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_image(torch.full((3, 4, 4), 2.0))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        load_image(np.full((4, 4, 3), 255.0))
    with pytest.raises(ValueError, match="NaN"):
        load_image(torch.full((3, 4, 4), float("nan")))
    (tmp_path / "notes.jpg").write_text("not an image")
    with pytest.raises(ValueError, match="notes.jpg"):
        load_image(tmp_path / "notes.jpg")
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "full.png")
    data = (tmp_path / "full.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cut.png"):
        load_image(tmp_path / "cut.png")


def test_an_image_past_pillows_bomb_guard_is_a_clear_error(tmp_path, monkeypatch):
    """Pillow refuses to open an image of more than twice MAX_IMAGE_PIXELS (a 200-megapixel phone
    photo is over it): a ValueError naming the file and saying what to do, not its own exception,
    from every reader (here with the guard lowered, so that a small image is over it)."""
    from hdnet.camera import Camera
    from hdnet.keypoint.detectors import load_image_as_shown
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for read in (load_image, load_image_as_shown, Camera.from_exif):
        with pytest.raises(ValueError, match=r"big.png.* larger than Pillow opens .* downscale it"):
            read(tmp_path / "big.png")


# ---------------------------------------------------------------------------- 7. files and the CLI
@pytest.fixture()
def photos(tmp_path):
    Image.fromarray(np.full((48, 64, 3), 128, np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.full((48, 64, 3), 90, np.uint8)).save(tmp_path / "b.png")
    (tmp_path / "bad.png").write_text("nope")
    return tmp_path


@pytest.mark.parametrize("boxes,needle", [
    ({"a.png": [[1, 1, 30, 40], [5, 5, 20, 30, 0.9]]}, "all have 4 numbers"),
    ({"a.png": [1, 1, 30, 40]}, "list of boxes"),
    ({"a.png": [["x", 1, 30, 40]]}, "numbers only"),
    ([[1, 1, 30, 40]], "COCO detection results"),
    ({"a.png": [[30, 1, 1, 40]]}, "has no area in xyxy"),
])
@pytest.mark.slow
def test_cli_malformed_boxes(photos, checkpoint, boxes, needle):
    (photos / "boxes.json").write_text(json.dumps(boxes))
    code, err = cli("predict", photos / "a.png", "--boxes", photos / "boxes.json", "--checkpoint", checkpoint,
                    "--out", photos / "out")
    assert code == 2 and one_clear_line(err) and needle in err, err


@pytest.mark.slow
def test_cli_validates_every_input_before_writing(photos, checkpoint):
    (photos / "boxes.json").write_text(json.dumps({"a.png": [[1, 1, 30, 40]], "bad.png": [[1, 1, 30, 40]]}))
    out = photos / "out"
    code, err = cli("predict", photos / "a.png", photos / "bad.png", "--boxes", photos / "boxes.json",
                    "--checkpoint", checkpoint, "--out", out)
    assert code == 2 and one_clear_line(err) and "bad.png" in err
    assert not list(out.glob("*")) if out.exists() else True  # no PNG for a.png, no partial JSON
    (photos / "taken").write_text("a file")
    code, err = cli("predict", photos / "a.png", "--boxes", photos / "boxes.json", "--checkpoint", checkpoint,
                    "--out", photos / "taken")
    assert code == 2 and one_clear_line(err) and "existing file" in err
    code, err = cli("eval", "--dataset", "mupots", "--annotations", photos / "boxes.json", "--images", photos,
                    "--checkpoint", checkpoint, "--out", photos / "taken" / "e.json")
    assert code == 2 and one_clear_line(err)


@pytest.mark.slow
def test_cli_same_file_names_in_different_folders(photos, checkpoint):
    (photos / "x").mkdir()
    (photos / "y").mkdir()
    Image.fromarray(np.full((48, 64, 3), 20, np.uint8)).save(photos / "x" / "img.png")
    Image.fromarray(np.full((48, 64, 3), 200, np.uint8)).save(photos / "y" / "img.png")
    x, y = str(photos / "x" / "img.png"), str(photos / "y" / "img.png")
    (photos / "boxes.json").write_text(json.dumps({"img.png": [[1, 1, 30, 40]]}))
    code, err = cli("predict", x, y, "--boxes", photos / "boxes.json", "--checkpoint", checkpoint,
                    "--out", photos / "o1")
    assert code == 2 and one_clear_line(err) and "several images" in err
    (photos / "boxes.json").write_text(json.dumps({x: [[1, 1, 30, 40]], y: [[2, 2, 40, 40], [30, 5, 60, 45]]}))
    code, err = cli("predict", x, y, "--boxes", photos / "boxes.json", "--checkpoint", checkpoint,
                    "--out", photos / "o2")
    assert code == 0, err
    assert len(list((photos / "o2").glob("*_roots.png"))) == 2
    records = json.loads((photos / "o2" / "roots.json").read_text())
    assert sorted({r["image_id"] for r in records}) == sorted([x, y]) and len(records) == 3


@pytest.mark.slow
def test_cli_bad_dataset_files(tmp_path, scenes, checkpoint):
    path, root = scenes
    data = json.loads(path.read_text())
    data["images"].append(dict(data["images"][0]))  # a duplicate image id
    (tmp_path / "dup.json").write_text(json.dumps(data))
    code, err = cli("eval", "--dataset", "mupots", "--annotations", tmp_path / "dup.json", "--images", root,
                    "--checkpoint", checkpoint, "--out", tmp_path / "e.json")
    assert code == 2 and one_clear_line(err) and "dup.json" in err and "repeats image id" in err
    data = json.loads(path.read_text())
    data["annotations"][0]["keypoints_cam"] = "oops"
    (tmp_path / "field.json").write_text(json.dumps(data))
    code, err = cli("eval", "--dataset", "mupots", "--annotations", tmp_path / "field.json", "--images", root,
                    "--checkpoint", checkpoint, "--out", tmp_path / "e.json")
    assert code == 2 and one_clear_line(err) and "field.json" in err and "keypoints_cam" in err
    h36m = tmp_path / "h36m"
    (h36m / "annotations").mkdir(parents=True)
    (h36m / "annotations" / "subject_9.h5").write_bytes(b"")
    code, err = cli("eval", "--dataset", "h36m", "--images", h36m, "--checkpoint", checkpoint,
                    "--out", tmp_path / "e.json")
    assert code == 2 and one_clear_line(err) and "subject_9.h5" in err
    assert not (tmp_path / "e.json").exists()


def test_disk_full_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = tiny()
    path = tmp_path / "m.pt"
    model.save(path)
    before = path.read_bytes()
    real_save = torch.save

    def full_disk(obj, f, *a, **k):
        real_save({"partial": torch.zeros(10)}, f)
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left.*previous file there is unchanged"):
        model.save(path)
    monkeypatch.setattr(torch, "save", real_save)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
    assert load_model(path).config() == model.config()


def _damaged(obj, rng):
    """``obj`` with one to three random parts replaced, removed or repeated (a value of another
    type, a huge or negative number, an empty list or object)."""
    import copy
    values = [None, True, -1, 0, 1e300, 2.5, "x", [], {}, [1], [[1]], {"a": 1}, 10 ** 30]
    obj = copy.deepcopy(obj)
    for _ in range(int(rng.integers(1, 4))):
        parent, key, cur = None, None, obj
        while isinstance(cur, (dict, list)) and cur and rng.random() < 0.8:
            key = rng.choice(list(cur)) if isinstance(cur, dict) else int(rng.integers(len(cur)))
            parent, cur = cur, cur[key]
        if parent is None:
            return copy.deepcopy(values[int(rng.integers(len(values)))])
        r = rng.random()
        if r < 0.6:
            parent[key] = copy.deepcopy(values[int(rng.integers(len(values)))])
        elif r < 0.85:
            del parent[key]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    return obj


def test_damaged_input_files_are_an_error_line_never_a_crash(tmp_path, capsys):
    """Every kind of file a user gives the command line (keypoints in each layout, boxes, cameras,
    heights, people files), damaged at random: ``hdnet predict`` and ``hdnet info`` end with 0 or
    with one ``error:`` line (exit 2), never an exception. Seeded; HDNET_FUZZ_RUNS runs more."""
    from hdnet.apps.cli import main
    kp = [[[300.0 + 7 * j, 100.0 + 25 * j, 0.9] for j in range(17)]] * 2
    flat = [v for point in kp[0] for v in point]
    names = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
             "right_knee", "left_ankle", "right_ankle"]
    cam = {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}
    Image.new("RGB", (1280, 720)).save(tmp_path / "a.jpg")
    (tmp_path / "cam.json").write_text(json.dumps(cam))
    common = ["--keypoint-format", "coco_17", "--pictures", "0", "--out", str(tmp_path / "o")]
    kinds = {  # name: (a good file, the command line that reads it as {file})
        "by-image": ({"a.jpg": kp}, ["predict", "--keypoints", "{file}", "--camera", str(tmp_path / "cam.json"),
                                     "--scene", "image", *common]),
        "coco-results": ([{"image_id": "a.jpg", "keypoints": flat, "score": 0.9, "track_id": 3}],
                         ["predict", "--keypoints", "{file}", "--camera", str(tmp_path / "cam.json"), *common]),
        "coco-annotations": ({"images": [{"id": 1, "file_name": "a.jpg", "width": 1280, "height": 720}],
                              "annotations": [{"image_id": 1, "keypoints": [v if k % 3 < 2 else 2 for k, v in
                                                                             enumerate(flat)], "iscrowd": 0}],
                              "categories": [{"id": 1, "keypoints": names}]},
                             ["predict", "--keypoints", "{file}", "--fov", "60", "--pictures", "0", "--out",
                              str(tmp_path / "o")]),
        "openpose": ({"a.jpg": {"people": [{"pose_keypoints_2d": flat + [0.0, 0.0, 0.0]}]}},
                     ["predict", "--keypoints", "{file}", "--camera", str(tmp_path / "cam.json"), "--pictures", "0",
                      "--out", str(tmp_path / "o")]),
        "camera": ({"a.jpg": {"K": [[1000, 0, 640], [0, 1000, 360], [0, 0, 1]], "D": [0.1, 0.0, 0.0, 0.0]}},
                   ["predict", "--keypoints", str(tmp_path / "kp.json"), "--camera", "{file}", *common]),
        "heights": ({"3": 1750.0}, ["predict", "--keypoints", str(tmp_path / "res.json"), "--camera",
                                    str(tmp_path / "cam.json"), "--heights", "{file}", *common]),
        "people": ([{"image_id": "a.jpg", "person": 0, "root_cam": [0.0, 0.0, 3000.0], "joints_cam": [[0.0, 0.0, 3000.0]],
                     "joints": ["pelvis"], "depth_std_mm": 200.0, "camera": cam, "format": "coco_17",
                     "placed_by": "model"}], ["info", "{file}"]),
        "detections": ([{"image_id": "a.jpg", "bbox": [100, 50, 200, 600], "score": 0.9, "category_id": 1}],
                       ["info", "{file}"]),
    }
    (tmp_path / "kp.json").write_text(json.dumps({"a.jpg": kp}))
    (tmp_path / "res.json").write_text(json.dumps(kinds["coco-results"][0]))
    rng = np.random.default_rng(0)
    runs = int(os.environ.get("HDNET_FUZZ_RUNS", "160"))
    for k in range(runs):
        name = list(kinds)[k % len(kinds)]
        good, argv = kinds[name]
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(_damaged(good, rng) if k >= len(kinds) else good))  # each good once first
        code = main([str(path) if a == "{file}" else a for a in argv])
        err = capsys.readouterr().err
        assert code in (0, 2), (name, path.read_text()[:300], err)
        if code == 2:  # warnings first maybe (a camera of another size), then one error line
            lines = [line for line in err.strip().splitlines() if line.strip()]
            assert "Traceback" not in err and lines[-1].startswith("error: ") and all(
                line.startswith("warning: ") for line in lines[:-1]), (name, path.read_text()[:300], err)
        elif k < len(kinds):
            assert "error" not in err, (name, err)


# ---------------------------------------------------------------------------- 8. memory
def test_person_framing_runs_in_bounded_batches():
    model = tiny(framing="person")
    sizes = []
    model.register_forward_pre_hook(lambda m, args, kwargs: sizes.append(args[0].num_images), with_kwargs=True)
    boxes = [[x, 4, x + 12, 40] for x in range(0, 50, 1)]
    res = Predictor(model, max_batch=8).predict(np.zeros((48, 64, 3), np.uint8), boxes, Camera(60.0, 60.0, 32.0, 24.0))
    assert len(res) == 50 and max(sizes) == 8 and sum(sizes) == 50
    assert all(np.isfinite(r.root_cam_mm).all() for r in res)


def test_numpy_views_of_any_stride_are_taken_as_their_copies():
    """A reversed or strided view (people listed in reverse, every other frame) where the API takes
    numpy (the camera functions, ``Cameras``, ``DepthBins``, ``predict``): torch cannot wrap a
    negative stride, so these failed, ``predict`` with a misleading "expected numbers". Each
    answer equals the answer for a copy of the view."""
    from hdnet.keypoint import KeypointHDNet
    from hdnet.scene.floor import _rotation
    cam = Camera(1000.0, 1000.0, 500.0, 500.0, (0.05, 0.0, 0.0))
    rng = np.random.default_rng(0)
    pts = rng.uniform(-500, 500, (6, 3)) + [0.0, 0.0, 4000.0]
    for view in (pts[::-1], pts[::2], pts[:, ::-1][:, ::-1]):
        np.testing.assert_array_equal(cam.project(view), cam.project(view.copy()))
        uv = cam.project(view)
        np.testing.assert_allclose(cam.backproject(uv[::-1], view[::-1, 2]), view[::-1], atol=1e-6)
    model = KeypointHDNet(("coco_17",), channels=8, width=16).eval()
    kp, conf = rng.uniform(100, 900, (4, 17, 2)), rng.uniform(0.5, 1.0, (4, 17))
    a = model.predict(kp[::-1], cam, conf[::-1], format="coco_17")
    b = model.predict(kp[::-1].copy(), cam, conf[::-1].copy(), format="coco_17")
    assert torch.equal(a.root_mm, b.root_mm) and torch.equal(a.joints_mm, b.joints_mm)
    from hdnet.camera import Cameras
    from hdnet.layers import DepthBins
    k = np.array([[1000.0, 1000.0, 500.0, 500.0], [900.0, 900.0, 400.0, 400.0]])
    assert torch.equal(Cameras(k[::-1]).intrinsics, Cameras(k[::-1].copy()).intrinsics)
    bins, z = DepthBins(300.0, 5000.0, 61), np.array([1000.0, 2000.0, 3000.0])
    assert torch.equal(bins.index(z[::-1], 1000.0, 1000.0).index, bins.index(z[::-1].copy(), 1000.0, 1000.0).index)
    assert torch.equal(bins.depth(np.arange(3.0)[::-1], 1000.0, 1000.0), bins.depth(np.array([2.0, 1.0, 0.0]), 1000.0,
                                                                                     1000.0))
    angles = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(_rotation(np.array([0.0, 0.0, 1.0])[::-1], angles[::-1]),
                                  _rotation(np.array([1.0, 0.0, 0.0]), angles[::-1].copy()))
