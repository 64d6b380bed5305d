import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from hdnet import Camera
from hdnet.data.transforms import Preprocessing, mirror_framing
from hdnet.graphs import get_skeleton
from hdnet.layers import HeatmapAttentionPooling
from hdnet.models import HDNetOutput
from hdnet.predict import Predictor, average_mirrored, guess_camera, to_rootnet_json

from .conftest import tiny_hdnet


class BrightSpotModel(torch.nn.Module):
    """A stand-in with HDNet's interface whose heatmap probabilities are proportional to the
    image brightness: every joint lands on the centroid of the bright spot (computed through
    the real warp, coordinate map and pooling), and every depth is 5000 mm."""

    skeleton = get_skeleton("h36m_17")

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))
        self.pool = HeatmapAttentionPooling()

    def forward(self, batch):
        raw = batch.images[:, :1] * 0.229 + 0.485  # undo the ImageNet normalisation of channel 0
        small = F.avg_pool2d(raw, 4)  # brightness on the output grid
        logits = torch.log(small.clamp_min(1e-12)).expand(-1, 17, -1, -1)[batch.batch]
        out = self.pool(logits, small.expand(-1, 4, -1, -1), mask=batch.masks, coord_map=batch.coord_map,
                        batch=batch.batch)
        p = batch.num_people
        return HDNetOutput(out.prob, out.coords, torch.zeros(p, 2), torch.zeros(p), torch.zeros(p, 2),
                           torch.full((p,), 5000.0), torch.full((p,), 10.0))


def spot_image(w, h, u0, v0, sigma=20.0):
    v, u = np.mgrid[0:h, 0:w]
    img = np.exp(-((u - u0) ** 2 + (v - v0) ** 2) / (2 * sigma ** 2))
    return np.round(img[..., None].repeat(3, 2) * 255).astype(np.uint8)


@pytest.mark.parametrize("framing", ["principal", "image", "person"])
def test_framing_and_coord_map_are_exact(framing):
    w, h, u0, v0 = 640, 480, 401.3, 150.7
    cam = Camera(800.0, 790.0, 300.0, 260.0)  # principal point off-centre
    pred = Predictor(BrightSpotModel(), Preprocessing(input_size=256, framing=framing))
    res = pred.predict(spot_image(w, h, u0, v0), [[300, 60, 520, 260]], cam)
    assert len(res) == 1
    np.testing.assert_allclose(res[0].root_2d_px, [u0, v0], atol=0.05)
    z = 5000.0
    np.testing.assert_allclose(res[0].root_cam_mm, [(res[0].root_2d_px[0] - 300) / 800 * z,
                                                   (res[0].root_2d_px[1] - 260) / 790 * z, z])


class FocalRecorder(BrightSpotModel):
    def forward(self, batch):
        self.seen = (batch.num_images, batch.batch.tolist(), batch.focal[:, 0].tolist(), batch.focal[:, 1].tolist())
        return super().forward(batch)


def test_person_framing_crops_every_box():
    w, h = 640, 480
    spots = [(120.0, 300.0), (500.0, 100.0)]
    img = np.maximum(spot_image(w, h, *spots[0], sigma=8), spot_image(w, h, *spots[1], sigma=8))
    cam = Camera(800.0, 780.0, 320.0, 240.0)
    boxes = [[80, 220, 160, 380], [470, 40, 530, 160]]  # 80 x 160 and 60 x 120
    model = FocalRecorder()
    pred = Predictor(model, Preprocessing(input_size=64, framing="person"))
    res = pred.predict(img, boxes, cam)
    for r, (u, v) in zip(res, spots, strict=True):  # each person's crop finds its own spot
        np.testing.assert_allclose(r.root_2d_px, [u, v], atol=0.1)
    n_images, index, fx, fy = pred.model.seen  # the Predictor runs its own (BatchNorm-folded) copy
    assert n_images == 2 and index == [0, 1]
    # each crop's bin focal: f * (64 / (1.25 x the longer side)) / 0.256
    for k, side in enumerate([160, 120]):
        assert fx[k] == pytest.approx(800.0 * 64 / (1.25 * side) / 0.256, rel=1e-6)
        assert fy[k] == pytest.approx(780.0 * 64 / (1.25 * side) / 0.256, rel=1e-6)


class HandedModel(BrightSpotModel):
    """BrightSpotModel with handedness: left joints sit ``4`` input pixels to the input's right
    of the spot and right joints 4 to its left (a step along the input's x axis, read from the
    coordinate map, so mirroring the input mirrors it), and the depth grows with how much
    brighter the input's left half is than its right half."""

    def forward(self, batch):
        out = super().forward(batch)
        cm, images = batch.coord_map, batch.images
        step = (cm[:, :, 0, 1] - cm[:, :, 0, 0])[batch.batch]  # [P, 2] per output cell
        sk = self.skeleton
        k = torch.tensor([1.0 if n.startswith("l_") else -1.0 if n.startswith("r_") else 0.0
                          for n in sk.joints])
        w = images.shape[-1]
        tilt = (images[:, 0, :, : w // 2].mean((1, 2)) - images[:, 0, :, w // 2:].mean((1, 2)))[batch.batch]
        return out._replace(pose=out.pose + k[None, :, None] * step[:, None, :], depth_mm=5000.0 * torch.exp(tilt))


@pytest.mark.parametrize("framing", ["principal", "image", "person"])
def test_flip_test_swaps_left_and_right_back(framing):
    w, h, u0, v0 = 320, 240, 150.0, 120.0
    img = spot_image(w, h, u0, v0, sigma=10)
    img[:, 88:99] = 255  # a bright band left of the box, inside every crop: an asymmetry
    cam = Camera(300.0, 300.0, 160.0, 120.0)
    box = [[100, 60, 200, 180]]
    plain = Predictor(HandedModel(), Preprocessing(input_size=64, framing=framing)).predict(img, box, cam)[0]
    flip = Predictor(HandedModel(), Preprocessing(input_size=64, framing=framing), flip_test=True).predict(img, box, cam)[0]
    sk = HandedModel.skeleton
    left, right, root = sk.index("l_wrist"), sk.index("r_wrist"), sk.root
    # handedness survives the average (without swapping back, left and right would meet)
    np.testing.assert_allclose(flip.joints_2d_px[[left, right, root]], plain.joints_2d_px[[left, right, root]],
                               atol=0.1)
    assert abs(plain.joints_2d_px[left, 0] - plain.joints_2d_px[right, 0]) > 1.0
    # the input's left-right asymmetry cancels in the geometric mean of the depths
    assert plain.depth_mm != pytest.approx(5000.0, rel=1e-3)
    assert flip.depth_mm == pytest.approx(5000.0, rel=1e-5)


def test_predict_scenes_flip_test(tmp_path):
    from hdnet.data import MuPoTS
    from hdnet.data.synthetic import SceneConfig, write_mupots_json
    from hdnet.layers import DepthBins
    from hdnet.predict import predict_scenes
    path = write_mupots_json(tmp_path, 3, seed=1, config=SceneConfig(image_size=128))
    reader = MuPoTS(path, tmp_path)
    model = HandedModel()
    model.bins = DepthBins(2.0, 20.0)
    plain = predict_scenes(model, reader, Preprocessing(64, "person"))
    flip = predict_scenes(model, reader, Preprocessing(64, "person"), flip_test=True)
    people = [p for s in reader.samples for p in s.people]
    assert len(plain) == len(flip) == len(people)
    for r, q, person in zip(plain, flip, people, strict=True):  # reader order, each record its own person
        np.testing.assert_allclose(r["gt_root"], person.joints_3d[14])
        assert q["pred_depth"] == pytest.approx(5000.0, rel=1e-5)
        np.testing.assert_allclose(q["pred_joints_2d"], r["pred_joints_2d"], atol=1e-3)
    assert max(abs(r["pred_depth"] - 5000.0) for r in plain) > 1.0


def test_average_mirrored_and_mirror_framing():
    sk = get_skeleton("h36m_17")
    pose = torch.arange(2 * 17 * 2, dtype=torch.float32).reshape(2, 17, 2)
    z = torch.zeros(2)
    a = HDNetOutput(z, pose, z, z, z, torch.tensor([4000.0, 1000.0]), torch.tensor([30.0, 0.0]))
    b = HDNetOutput(z, pose.clone(), z, z, z, torch.tensor([9000.0, 1000.0]), torch.tensor([40.0, 0.0]))
    out = average_mirrored(a, b, sk.flip_pairs)
    torch.testing.assert_close(out.depth_mm, torch.tensor([6000.0, 1000.0]))
    torch.testing.assert_close(out.depth_std_mm, torch.tensor([(1250.0 + 2500.0 ** 2) ** 0.5, 0.0]))
    lw, rw = sk.index("l_wrist"), sk.index("r_wrist")
    torch.testing.assert_close(out.pose[:, lw], (pose[:, lw] + pose[:, rw]) / 2)
    torch.testing.assert_close(out.pose[:, sk.root], pose[:, sk.root])
    affine = np.array([[0.5, 0.1, 3.0], [-0.1, 0.5, 7.0]])
    m = mirror_framing(affine, 64)
    src = np.array([10.0, 20.0, 1.0])
    x, y = affine @ src
    np.testing.assert_allclose(m @ src, [63 - x, y])
    np.testing.assert_allclose(mirror_framing(m, 64), affine, atol=1e-12)


def test_distorted_camera_undistorts_the_root(h36m_frames):
    fr = h36m_frames[0]
    cam = Camera.from_dict(fr["camera"])
    u0, v0 = fr["joints_2d_px"][0]
    root = np.array(fr["joints_cam_mm"][0])
    pred = Predictor(BrightSpotModel(), Preprocessing(input_size=256, framing="principal", window_px=1000.0))
    res = pred.predict(spot_image(1000, 1002, u0, v0), [[u0 - 100, v0 - 150, u0 + 100, v0 + 150]], cam)
    np.testing.assert_allclose(res[0].root_2d_px, [u0, v0], atol=0.05)
    expected = cam.backproject(res[0].root_2d_px, 5000.0)
    np.testing.assert_allclose(res[0].root_cam_mm, expected)
    # direction of the true root within the 0.5 px tolerance of the spot centroid
    assert np.linalg.norm(res[0].root_cam_mm / 5000.0 - root / root[2]) < 0.5 / 1145 * 2


def test_real_model_on_an_image_file(tmp_path):
    model = tiny_hdnet(channels=32)
    rng = np.random.default_rng(0)
    path = tmp_path / "img.png"
    Image.fromarray(rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)).save(path)
    boxes = [[10, 20, 50, 120], [100, 30, 60, 150], [-40, 200, 80, 100]]  # xywh, last clipped
    res = Predictor(model, Preprocessing(input_size=128)).predict(path, boxes, box_format="xywh",
                                                  scores=[0.9, 0.8, 0.5])
    assert len(res) == 3
    np.testing.assert_allclose(res[2].box_xyxy, [-0.5, 200, 40, 239.5])
    for r in res:
        assert r.joints_2d_px.shape == (17, 2) and np.isfinite(r.root_cam_mm).all()
        assert r.depth_std_mm >= 0 and r.root_cam_mm[2] == pytest.approx(r.depth_mm)
    records = to_rootnet_json(res, image_id=7, path=tmp_path / "roots.json")
    assert json.loads((tmp_path / "roots.json").read_text()) == records
    assert set(records[0]) == {"image_id", "root_cam", "bbox", "score"}
    assert records[0]["bbox"] == [10.0, 20.0, 50.0, 120.0] and records[1]["score"] == 0.8


def test_autocast_predictions_are_float32_and_near_float32():
    """bfloat16 autocast: the same people, depths within 3 % of the float32 run (random
    weights: a trained model's are measured in docs/benchmarks.md), float32 results."""
    model = tiny_hdnet(channels=32, width=16)
    img = torch.rand(3, 240, 320)
    boxes = [[10, 20, 60, 140], [100, 30, 160, 180]]
    ref = Predictor(model, Preprocessing(input_size=128))
    fast = Predictor(model, Preprocessing(input_size=128), autocast=True)
    cam = Camera(300.0, 300.0, 160.0, 120.0)
    image, cam, b, _ = ref._inputs(img, boxes, cam, "xyxy", None, None)
    out = fast._forward(ref.preprocessing.inputs(image, cam, b, *ref._affines(image, cam, b)))
    assert all(v.dtype == torch.float32 for v in out)
    a, b = ref.predict(img, boxes, cam), fast.predict(img, boxes, cam)
    assert len(a) == len(b) == 2
    for x, y in zip(a, b, strict=True):
        assert np.isfinite(y.root_cam_mm).all()
        assert y.depth_mm == pytest.approx(x.depth_mm, rel=0.03)
    assert any(x.depth_mm != y.depth_mm for x, y in zip(a, b, strict=True))  # it did run in bfloat16


def test_guess_camera_and_empty():
    cam = guess_camera(640, 480)  # 55 degrees across the longer side: tan(27.5 deg) = 320 / f
    assert cam.fx == cam.fy == pytest.approx(320.0 / 0.5205671, rel=1e-6) and (cam.cx, cam.cy) == (319.5, 239.5)
    assert guess_camera(640, 480, focal_px=1500.0).fx == 1500.0
    pred = Predictor(BrightSpotModel(), Preprocessing(input_size=64))
    assert pred.predict(spot_image(64, 48, 10, 10), np.zeros((0, 4))) == []


def test_bad_input(tmp_path):
    pred = Predictor(BrightSpotModel(), Preprocessing(input_size=64))
    img = spot_image(64, 48, 10, 10)
    with pytest.raises(ValueError, match=r"boxes \[1\]"):
        pred.predict(img, [[0, 0, 10, 10], [10, 10, 5, 20]])
    with pytest.raises(ValueError, match="box_format='xywh'"):
        pred.predict(img, [[10, 10, 5, 5]])
    with pytest.raises(ValueError, match="outside"):
        pred.predict(img, [[100, 100, 120, 120]])
    with pytest.raises(ValueError, match="box_format"):
        pred.predict(img, [[0, 0, 10, 10]], box_format="cxcywh")
    with pytest.raises(ValueError, match=r"boxes: expected a finite array \[P, 4\]"):
        pred.predict(img, [[0, 0, 10]])
    with pytest.raises(ValueError, match="non-positive width"):
        pred.predict(img, [[0, 0, 0, 10]], box_format="xywh")
    with pytest.raises(FileNotFoundError, match="image"):
        pred.predict(tmp_path / "missing.jpg", [[0, 0, 10, 10]])
    with pytest.raises(ValueError, match="image"):
        pred.predict(np.zeros((10, 10, 4), dtype=np.uint8), [[0, 0, 5, 5]])
    with pytest.raises(TypeError, match="camera"):
        pred.predict(img, [[0, 0, 10, 10]], camera={"fx": 1})
    with pytest.raises(ValueError, match="scores"):
        pred.predict(img, [[0, 0, 10, 10]], scores=[1, 2])
    with pytest.raises(ValueError, match="input_size"):
        Preprocessing(input_size=100)
    with pytest.raises(ValueError, match="framing"):
        Preprocessing(framing="people")
    with pytest.raises(TypeError, match="preprocessing"):
        Predictor(BrightSpotModel(), {"input_size": 64})
    with pytest.raises(ValueError, match="max_batch"):
        Predictor(BrightSpotModel(), max_batch=0)


@pytest.mark.parametrize("framing,flip", [("principal", False), ("person", True), ("image", False)])
def test_predict_many_equals_predict(framing, flip, tmp_path):
    model = tiny_hdnet(framing=framing)
    rng = np.random.default_rng(0)
    items = []
    for k in range(5):
        path = tmp_path / f"{k}.png"
        Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(path)
        boxes = [[2 + k, 3, 30, 40], [20, 5, 60, 45]][: 1 + k % 2] if k != 3 else np.zeros((0, 4))
        items.append((str(path), boxes, Camera(60.0 + k, 61.0, 32.0, 24.0)))
    pred = Predictor(model, flip_test=flip, max_batch=3)
    single = [pred.predict(*item) for item in items]
    for workers in (0, 2):
        many = list(pred.predict_many(items, workers=workers, batch_images=2))
        assert [len(r) for r in many] == [len(r) for r in single] == [1, 2, 1, 0, 1]
        for a, b in zip(many, single, strict=True):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_allclose(x.root_cam_mm, y.root_cam_mm, rtol=1e-4)
                np.testing.assert_allclose(x.joints_2d_px, y.joints_2d_px, atol=1e-3)
    with pytest.raises(TypeError, match="items"):
        list(pred.predict_many([42]))


def test_rootnet_files_read_back_and_checked(tmp_path):
    """RootNet's bbox_root records (as RootNet and hdnet predict write them) come back as written;
    a record that is not one is named."""
    from hdnet.predict import read_rootnet_json
    good = [{"image_id": 7, "root_cam": [-120.5, 300.0, 4210.0], "bbox": [10.0, 20.0, 50.0, 120.0], "score": 0.9},
            {"image_id": "b.jpg", "root_cam": [0.0, 0.0, 2500.0], "bbox": [0, 0, 5, 5], "score": 1}]
    (tmp_path / "r.json").write_text(json.dumps(good))
    assert read_rootnet_json(tmp_path / "r.json") == good
    for change, says in (({"root_cam": [0.0, 0.0, -10.0]}, "record 1: root_cam's depth"),
                         ({"bbox": [0, 0, 5]}, "record 1: bbox must be 4 numbers"),
                         ({"bbox": [0, 0, 0, 5]}, "record 1: bbox's width and height"),
                         ({"score": "high"}, "record 1: score"),
                         ({"image_id": None}, "record 1: image_id must be a number or a string")):
        (tmp_path / "bad.json").write_text(json.dumps([good[0], {**good[1], **change}]))
        with pytest.raises((ValueError, TypeError), match=says):
            read_rootnet_json(tmp_path / "bad.json")
    (tmp_path / "obj.json").write_text(json.dumps({"roots": good}))
    with pytest.raises(ValueError, match="not a list of RootNet records"):
        read_rootnet_json(tmp_path / "obj.json")
