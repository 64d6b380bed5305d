import json

import h5py
import numpy as np
import pytest
import torch

from hdnet.camera import Camera
from hdnet.data import COCOKeypoints, HDNetTrainingSet, Human36M, ImageBatch, MuCo, MuPoTS
from hdnet.data.synthetic import SceneConfig, write_h36m_h5, write_mupots_json
from hdnet.layers import DepthBins


@pytest.fixture(scope="module")
def mupots_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("mupots")
    path = write_mupots_json(out, 6, seed=3, config=SceneConfig(image_size=128))
    return path, out


def test_mupots_reader_reads_what_was_written(mupots_set):
    path, out = mupots_set
    raw = json.loads(path.read_text())
    ds = MuPoTS(path, out)
    assert len(ds) == 6
    assert sum(len(s.people) for s in ds.samples) == len(raw["annotations"])
    s = ds[0]
    assert s.width == 128 and (out / raw["images"][0]["file_name"]).is_file()
    fx, fy, cx, cy = raw["images"][0]["intrinsic"]
    assert (s.camera.fx, s.camera.fy, s.camera.cx, s.camera.cy) == (fx, fy, cx, cy)
    for p in s.people:  # the 2D joints are the projection of the 3D ones
        np.testing.assert_allclose(p.joints_2d, Camera(fx, fy, cx, cy).project(p.joints_3d), atol=2e-3)
    gt = ds.ground_truth()
    assert len(gt["annotations"]) == len(raw["annotations"])


def test_mupots_detections_and_invalid(tmp_path, mupots_set):
    path, out = mupots_set
    raw = json.loads(path.read_text())
    raw["annotations"][0]["is_valid"] = 0
    p2 = tmp_path / "m.json"
    p2.write_text(json.dumps(raw))
    dets = [{"image_id": 0, "bbox": [1, 2, 10, 20], "score": 0.7}]
    ds = MuPoTS(p2, out, detections=dets)
    assert sum(len(s.people) for s in ds.samples) == len(raw["annotations"]) - 1
    np.testing.assert_allclose(ds[0].meta["detections"]["boxes_xyxy"], [[1, 2, 11, 22]])
    assert ds[1].meta["detections"]["boxes_xyxy"].shape == (0, 4)
    assert len(MuPoTS(p2, out, keep_invalid=True)[0].people) == len(MuPoTS(path, out)[0].people)


def test_training_set_and_collate(mupots_set):
    path, out = mupots_set
    bins = DepthBins(3.0, 40.0)  # 128 px images of a MuPoTS-like camera: small focal lengths
    reader = MuPoTS(path, out)
    ts = HDNetTrainingSet(reader, "mpi_inf_3dhp_17", bins, input_size=128, framing="image")
    items = [ts[i] for i in range(3)]
    batch = ImageBatch.collate(items)
    p = sum(it.num_people for it in items)
    assert p == sum(len(reader[i].people) for i in range(3)) and batch.num_images == 3
    assert batch.images.shape == (3, 3, 128, 128) and batch.coord_map.shape == (3, 2, 32, 32)
    assert batch.targets.heatmap.shape == (p, 17, 32, 32) and batch.batch.tolist() == sum(
        ([n] * it.num_people for n, it in enumerate(items)), [])
    assert batch.masks.dtype == torch.bool and batch.masks.flatten(1).any(1).all()
    assert batch.targets.have_depth.eq(1).all() and batch.meta["sample_index"] == [0, 1, 2]
    # the bin target decodes to the root depth written in the file; image framing of a 128 px
    # image into a 128 px input: scale 1, so f_bins = f / 0.256
    fx, fy = batch.focal[0].tolist()
    assert fx == pytest.approx(reader[0].camera.fx / 0.256, rel=1e-6)
    d = bins.depth(batch.targets.bin_index[0], fx, fy)
    assert float(d) == pytest.approx(float(reader[0].people[0].joints_3d[14, 2]), rel=1e-4)
    # converting to another joint set by meaning: MuPoTS -> Human3.6M
    ts2 = HDNetTrainingSet(MuPoTS(path, out), "h36m_17", bins, input_size=128, framing="image")
    it = ts2[0]
    assert it.targets.heatmap.shape[1] == 17 and it.targets.vis[:, 9].eq(0).all()  # neck_nose: not in MuPoTS
    # reproducible augmentation
    from hdnet.data import Augmentation
    ts3 = HDNetTrainingSet(MuPoTS(path, out), "mpi_inf_3dhp_17", bins, 128, "image",
                           augmentation=Augmentation(), seed=5)
    torch.testing.assert_close(ts3[1].images, ts3[1].images)
    ts3.set_epoch(1)
    assert not torch.equal(ts3[1].images, ts[1].images)


def test_person_framing_gives_one_item_per_person(mupots_set):
    path, out = mupots_set
    reader = MuPoTS(path, out)
    bins = DepthBins(2.0, 20.0)
    ts = HDNetTrainingSet(reader, "mpi_inf_3dhp_17", bins, input_size=64, framing="person")
    pairs = [(i, k) for i, s in enumerate(reader.samples) for k in range(len(s.people))]
    assert len(ts) == len(pairs) > len(reader) and ts.pairs == pairs
    for n in (0, len(ts) - 1):
        i, k = pairs[n]
        person, cam = reader[i].people[k], reader[i].camera
        it = ts[n]
        assert it.num_people == 1 and (it.meta["sample_index"], it.meta["person_index"]) == ([i], [k])
        # the crop: 1.25 x the box's longer side onto 64 px, so the bins' focal is
        # f * (64 / side) / 0.256, and the bin target decodes to the root depth
        b = person.box_xyxy
        side = 1.25 * max(b[2] - b[0], b[3] - b[1])
        fx, fy = it.focal[0].tolist()
        assert fx == pytest.approx(cam.fx * 64 / side / 0.256, rel=1e-6)
        assert fy == pytest.approx(cam.fy * 64 / side / 0.256, rel=1e-6)
        d = bins.depth(it.targets.bin_index[0], fx, fy)
        assert float(d) == pytest.approx(person.joints_3d[14, 2], rel=1e-4)
        # the pose target is the person's 2D joints in normalised camera coordinates
        expected = (person.joints_2d - [cam.cx, cam.cy]) / [cam.fx, cam.fy]
        np.testing.assert_allclose(it.targets.pose[0].numpy(), expected, atol=1e-5)
    batch = ImageBatch.collate([ts[0], ts[1]])
    assert batch.batch.tolist() == [0, 1] and batch.meta["person_index"] == [pairs[0][1], pairs[1][1]]


def test_h36m_hdnet_layout(tmp_path):
    root = write_h36m_h5(tmp_path / "Human36M", subjects=(1, 9), sequences_per_subject=2,
                         frames_per_sequence=6, config=SceneConfig(image_size=64, camera="h36m"))
    train = Human36M(root, "train", subjects=(1,), stride=2, image_size=(64, 64))
    assert len(train) == 2 * 3
    s = train[0]
    assert s.image_path.endswith("images/train/s_01_act_02_subact_01_ca_01/s_01_act_02_subact_01_ca_01_000001.jpg")
    assert all(__import__("os").path.isfile(x.image_path) for x in train.samples)
    p = s.people[0]
    np.testing.assert_allclose(p.joints_2d, s.camera.project(p.joints_3d), atol=1e-6)
    test = Human36M(root, "test", subjects=(9,), image_size=(64, 64))
    assert len(test) == 2 and "images/test/" in test[0].image_path  # stride 64: frame 1 only
    assert test[0].meta["subject"] == 9 and test[0].meta["action_name"] == "Synthetic2"
    # f stored as [F, 2, 1] is accepted; a wrong joints shape names the file and field
    with h5py.File(root / "annotations" / "subject_1.h5", "a") as f:
        del f["0/joints_3d"]
        f["0"].create_dataset("joints_3d", data=np.zeros((6, 16, 3)))
    with pytest.raises(ValueError, match=r"subject_1.h5:0: field 'joints_3d' has shape"):
        Human36M(root, "train", subjects=(1,))
    with pytest.raises(FileNotFoundError, match="subject_5.h5"):
        Human36M(root, "train", subjects=(5,))


def test_h36m_rootnet_layout_world_to_camera(tmp_path):
    ann = tmp_path / "annotations"
    ann.mkdir()
    world = np.zeros((17, 3))
    world[0] = [1000.0, 0.0, 0.0]
    world[1:] = np.arange(16 * 3).reshape(16, 3) * 10.0 + [0, 0, 500]
    r = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=float)  # 90 degrees about Y
    t = np.array([100.0, 200.0, 3000.0])
    (ann / "Human36M_subject9_data.json").write_text(json.dumps({
        "images": [{"id": 7, "file_name": "s_09/x.jpg", "width": 1000, "height": 1002,
                    "subject": 9, "action_idx": 2, "subaction_idx": 1, "cam_idx": 1, "frame_idx": 0}],
        "annotations": [{"id": 1, "image_id": 7, "keypoints_vis": [1] * 17, "bbox": [1, 2, 30, 40]}]}))
    (ann / "Human36M_subject9_camera.json").write_text(json.dumps(
        {"1": {"R": r.tolist(), "t": t.tolist(), "f": [1100.0, 1100.0], "c": [500.0, 500.0]}}))
    (ann / "Human36M_subject9_joint_3d.json").write_text(json.dumps({"2": {"1": {"0": world.tolist()}}}))
    ds = Human36M(tmp_path, "test", layout="rootnet", subjects=(9,))
    assert len(ds) == 1
    p = ds[0].people[0]
    np.testing.assert_allclose(p.joints_3d[0], [100.0, 200.0, 2000.0])  # R @ (1000, 0, 0) + t
    np.testing.assert_allclose(p.joints_2d[0], [1100 * 100 / 2000 + 500, 1100 * 200 / 2000 + 500])
    np.testing.assert_allclose(p.box_xyxy, [1, 2, 31, 42])
    (ann / "Human36M_subject9_camera.json").write_text(json.dumps({"1": {"R": [[1, 0], [0, 1]], "t": [0, 0, 0],
                                                                         "f": [1, 1], "c": [0, 0]}}))
    with pytest.raises(ValueError, match=r"Human36M_subject9_camera.json: field 'R' has shape"):
        Human36M(tmp_path, "test", layout="rootnet", subjects=(9,))


def _coco_file(tmp_path):
    kp = np.zeros((17, 3))
    kp[:, 0] = np.linspace(10, 50, 17)
    kp[:, 1] = np.linspace(20, 90, 17)
    kp[:, 2] = 2
    kp[3] = 0
    data = {"images": [{"id": 1, "file_name": "a.jpg", "width": 64, "height": 96},
                       {"id": 2, "file_name": "b.jpg", "width": 64, "height": 96}],
            "annotations": [{"id": 1, "image_id": 1, "keypoints": kp.flatten().tolist(),
                             "num_keypoints": 16, "bbox": [5, 10, 50, 85], "iscrowd": 0},
                            {"id": 2, "image_id": 2, "keypoints": kp.flatten().tolist(),
                             "num_keypoints": 16, "bbox": [5, 10, 50, 85], "iscrowd": 1}]}
    path = tmp_path / "person_keypoints.json"
    path.write_text(json.dumps(data))
    from PIL import Image
    Image.fromarray(np.zeros((96, 64, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    return path


def test_coco_is_2d_only(tmp_path):
    ds = COCOKeypoints(_coco_file(tmp_path), tmp_path)
    assert len(ds) == 1  # the crowd-only image is skipped
    p = ds[0].people[0]
    assert p.joints_3d is None and p.vis[3] == 0 and p.vis.sum() == 16
    ts = HDNetTrainingSet(ds, "coco_19", DepthBins(), input_size=64, framing="image")
    item = ts[0]
    assert item.targets.have_depth.tolist() == [0.0]
    assert item.targets.heatmap.shape == (1, 19, 16, 16)


def test_muco_reader(tmp_path):
    j3 = np.random.default_rng(0).normal(size=(21, 3)) * 200 + [0, 0, 4000]
    cam = Camera(1500.0, 1500.0, 1024.0, 1024.0)
    data = {"images": [{"id": 0, "file_name": "x.jpg", "width": 2048, "height": 2048,
                        "f": [1500.0, 1500.0], "c": [1024.0, 1024.0]}],
            "annotations": [{"id": 0, "image_id": 0, "keypoints_cam": j3.tolist(),
                             "keypoints_img": cam.project(j3).tolist(), "bbox": [0, 0, 10, 10]}]}
    (tmp_path / "MuCo-3DHP.json").write_text(json.dumps(data))
    ds = MuCo(tmp_path / "MuCo-3DHP.json", tmp_path)
    assert ds.skeleton == "muco_21" and ds[0].people[0].joints_3d.shape == (21, 3)
    data["annotations"][0]["keypoints_cam"] = j3[:17].tolist()
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"bad.json: field 'keypoints_cam' has shape \(17, 3\)"):
        MuCo(tmp_path / "bad.json", tmp_path)


def test_reader_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="MuPoTS"):
        MuPoTS(tmp_path / "missing.json", tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="broken.json"):
        MuPoTS(tmp_path / "broken.json", tmp_path)
    (tmp_path / "noimages.json").write_text("{}")
    with pytest.raises(ValueError, match="field 'images' is missing"):
        MuPoTS(tmp_path / "noimages.json", tmp_path)
    with pytest.raises(FileNotFoundError, match="annotations"):
        Human36M(tmp_path, "train")
    with pytest.raises(ValueError, match="split"):
        Human36M(tmp_path, "val")


def test_item_cache(mupots_set):
    path, out = mupots_set
    from hdnet.data import Augmentation
    ts = HDNetTrainingSet(MuPoTS(path, out), "mpi_inf_3dhp_17", DepthBins(3.0, 40.0), 64, "image", cache=True)
    assert ts[2] is ts[2]
    ref = HDNetTrainingSet(MuPoTS(path, out), "mpi_inf_3dhp_17", DepthBins(3.0, 40.0), 64, "image")[2]
    torch.testing.assert_close(ts[2].targets.heatmap, ref.targets.heatmap)
    with pytest.raises(ValueError, match="cache"):
        HDNetTrainingSet(MuPoTS(path, out), "mpi_inf_3dhp_17", DepthBins(), 64, "image",
                         augmentation=Augmentation(), cache=True)


def test_fill_cache_makes_every_item_as_reading_would(mupots_set):
    path, out = mupots_set
    args = (MuPoTS(path, out), "mpi_inf_3dhp_17", DepthBins(2.0, 20.0), 64, "person")
    ts = HDNetTrainingSet(*args, cache=True)
    first = ts[1]  # already cached: kept, not made again
    assert ts.fill_cache() == len(ts) - 1 and ts[1] is first
    assert ts.fill_cache() == 0
    plain = HDNetTrainingSet(*args)
    for n in range(len(ts)):  # the image decoded once per scene gives the same items
        ref, got = plain[n], ts._cache[n]
        for key in ("images", "coord_map", "masks", "batch", "focal"):
            assert torch.equal(getattr(ref, key), getattr(got, key)), key
        for key in ("heatmap", "pose", "bin_probs", "bin_index", "vis", "have_depth"):
            assert torch.equal(getattr(ref.targets, key), getattr(got.targets, key)), key
        assert ref.meta == got.meta
    with pytest.raises(ValueError, match="cache=True"):
        plain.fill_cache()
