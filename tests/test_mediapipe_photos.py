"""BlazePose (mediapipe) on the six real photos with ground truth, into the shipped model.

Needs the ``mediapipe`` extra (``pip install "hdnet[mediapipe]"``: mediapipe 0.10.14 carries
BlazePose in its wheel, so it runs offline) and the licensed photos in ``../shared/realdata``;
skips, saying which, without either. Nothing is fitted on these photos: they only measure.
"""

import json
import warnings

import numpy as np
import pytest
import torch

from .conftest import shared_path

pytestmark = pytest.mark.slow

#: joints whose definitions agree between BlazePose and the motion-capture annotations
_LIMBS = ("l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_knee", "r_knee", "l_ankle",
          "r_ankle")


def _photos():
    out = []
    for sub, fmt, root in (("h36m", "h36m_17", 0), ("mpi_inf_3dhp", "mupots_17", 14)):
        with open(shared_path("realdata", sub, "annotations.json")) as f:
            for fr in json.load(f)["frames"]:
                out.append((shared_path("realdata", sub, fr["image"].split("/")[-1]), fr, fmt, root))
    return out


@pytest.fixture(scope="module")
def blazepose():
    """BlazePose's answer on each photo, by path (run once for the module's tests)."""
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra (pip install \"hdnet[mediapipe]\"), "
                        "which carries BlazePose's models")
    from hdnet.keypoint.detectors import MediaPipePose
    detector = MediaPipePose()
    return {path: detector(path) for path, *_ in _photos()}


def _camera(fr):
    from hdnet.camera import Camera
    c = fr["camera"]
    return Camera(c["f"][0], c["f"][1], c["c"][0], c["c"][1])


def test_blazepose_on_real_photos_into_the_shipped_model(blazepose):
    from hdnet.graphs import get_skeleton
    from hdnet.keypoint import KeypointHDNet
    model = KeypointHDNet.pretrained("blazepose_33")
    bp = get_skeleton("blazepose_33").joints
    errors, pixel_errors = [], []
    for path, fr, fmt, root in _photos():
        found = blazepose[path]
        assert found.shape == (1, 33, 3) and np.isfinite(found).all(), path.name  # one person, found
        gt_sk = get_skeleton(fmt).joints
        gt2d = np.asarray(fr["joints_2d_px"], np.float64)
        for name in _LIMBS:
            pixel_errors.append(np.linalg.norm(found[0, bp.index(name), :2] - gt2d[gt_sk.index(name)]))
        out = model.predict(torch.from_numpy(found[:, :, :2]), _camera(fr), torch.from_numpy(found[:, :, 2]),
                            format="blazepose_33")
        errors.append(float(np.linalg.norm(out.root_mm[0].double().numpy() - np.asarray(fr["joints_cam_mm"])[root])))
    # the detector sees these people: its limbs within a few percent of the image of the annotations
    assert np.median(pixel_errors) < 25.0, np.median(pixel_errors)
    # the shipped model from a real detector's keypoints: every root within 1.0 m and the mean
    # within 0.6 m (today: mean 478 mm, the worst 902 mm, a Human3.6M photo; short of the
    # 250 mm goal; docs/real.md says where it fails)
    assert np.isfinite(errors).all() and max(errors) < 1000.0 and np.mean(errors) < 600.0, errors


def test_blazepose_photos_on_the_calibrated_floor(blazepose):
    """The four Human3.6M photos' cameras are calibrated (the motion-capture file): on each
    camera's floor (hdnet.scene, "A floor you know") a standing person is placed from their feet;
    today 726 -> 22, 599 -> 150 and 408 -> 32 mm, the person sitting stays where the model put
    them (758 mm): the mean over the four from 623 to 240 mm."""
    from hdnet.data.mocap import read_h36m_mocap
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.formats import FORMATS
    from hdnet.scene import Floor, ScenePeople, ankle_height_for, reason_scene
    model = KeypointHDNet.pretrained("blazepose_33")
    out_sk = model.output_skeleton("blazepose_33")
    cams = read_h36m_mocap(shared_path("realdata", "h36m_poses.h5"), ["S1", "S5", "S7", "S8"]).cameras
    alone, placed = [], []
    for path, fr, _, root in _photos():
        if path.parent.name != "h36m":  # MPI-INF-3DHP: no camera pose given
            continue
        mc = cams[path.name.split("_")[0]][str(fr["camera"]["id"])]
        found, cam = blazepose[path], _camera(fr)
        out = model.predict(torch.from_numpy(found[:, :, :2]), cam, torch.from_numpy(found[:, :, 2]),
                            format="blazepose_33")
        people = ScenePeople.from_prediction(found[:, :, :2], found[:, :, 2], FORMATS.get("blazepose_33").skeleton,
                                             out.root_mm.double().numpy(), out.joints_rel_mm.double().numpy(), out_sk,
                                             out.depth_std_mm.double().numpy(), cam)
        floor = Floor.from_extrinsics(mc.R.T, mc.T, ankle_height_mm=ankle_height_for(out_sk))
        scene = reason_scene(people, "image", floor=floor)
        truth = np.asarray(fr["joints_cam_mm"])[root]
        alone.append(float(np.linalg.norm(out.root_mm[0].double().numpy() - truth)))
        placed.append(float(np.linalg.norm(scene.root_mm[0] - truth)))
    assert len(placed) == 4
    assert np.mean(placed) < 0.6 * np.mean(alone), (alone, placed)


def test_blazepose_follows_a_video_of_a_real_photo(blazepose, tmp_path):
    """A video of a Human3.6M photo shifted 3 px a frame: MediaPipe's video mode (it follows the
    person instead of looking afresh) finds the same limbs as on the photo, shifted with it, and
    ``hdnet predict --video`` places that person in every frame, the frames in order."""
    cv2 = pytest.importorskip("cv2", reason="the mediapipe extra brings OpenCV")
    from hdnet.apps.cli import main
    from hdnet.graphs import get_skeleton
    from hdnet.keypoint.detectors import MediaPipePose, video_frames
    path, fr, *_ = _photos()[3]  # S8, standing
    img = cv2.imread(str(path))
    video = tmp_path / "s8.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, img.shape[1::-1])
    for i in range(6):
        out.write(np.roll(img, 3 * i, axis=1))
    out.release()
    limbs = [get_skeleton("blazepose_33").joints.index(n) for n in _LIMBS]
    with MediaPipePose(video=True) as detector:
        for i, rgb in video_frames(video):
            found = detector(rgb)
            moved = found[0, limbs, :2] - [3.0 * i, 0.0]
            assert np.median(np.linalg.norm(moved - blazepose[path][0, limbs, :2], axis=-1)) < 6.0, i
    (tmp_path / "cam.json").write_text(json.dumps({"fx": fr["camera"]["f"][0], "fy": fr["camera"]["f"][1],
                                                   "cx": fr["camera"]["c"][0], "cy": fr["camera"]["c"][1]}))
    assert main(["predict", "--video", str(video), "--detector", "mediapipe", "--camera", str(tmp_path / "cam.json"),
                 "--scene", "sequence", "--out", str(tmp_path / "o"), "--pictures", "0"]) == 0
    records = json.loads((tmp_path / "o" / "people.json").read_text())
    assert [r["frame"] for r in records] == list(range(6)) and all(r["root_cam"][2] > 2000 for r in records)


def test_the_detector_says_nothing_of_its_own(capfd):
    """MediaPipe's graphs print TensorFlow Lite's and absl's start-up lines, and a protobuf
    deprecation warning, to standard error; a user of ``hdnet predict --detector mediapipe`` sees
    none of them (``native_logs_held_back``)."""
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra (pip install \"hdnet[mediapipe]\")")
    from hdnet.keypoint.detectors import MediaPipePose
    path = _photos()[3][0]
    capfd.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning shown to the user fails the test
        with MediaPipePose() as detector:
            found = detector(path)
    assert np.isfinite(found).all()
    err = capfd.readouterr().err
    assert err == "", err


def test_blazepose_finds_every_person_of_a_group_photo(blazepose, tmp_path):
    """Group photos made of the four Human3.6M photos (a 2 x 2 grid; a row of the four people cut
    out shoulder to shoulder, 1200 x 700 px) and one person shrunk to a third in a grey 1000 px
    frame: ``hdnet predict --detector mediapipe --max-people 8`` finds each person once (no
    stand-ins for the parts of people its squares cut), each as BlazePose finds them on their
    own photo (BlazePose's limbs move by a few pixels with what else a view holds); with one
    person looked for, the shrunk one is found in the squares where the whole
    frame finds nobody."""
    from PIL import Image

    from hdnet.apps.cli import main
    from hdnet.graphs import get_skeleton
    from hdnet.keypoint.detectors import MediaPipePose
    limbs = [get_skeleton("blazepose_33").joints.index(n) for n in _LIMBS]
    h36m = [(path, blazepose[path][0]) for path, *_ in _photos() if path.parent.name == "h36m"]
    (tmp_path / "group").mkdir()
    grid, placed = Image.new("RGB", (2000, 2004)), {"grid.png": [], "row.png": []}
    for k, (path, found) in enumerate(h36m):
        grid.paste(Image.open(path).convert("RGB"), (1000 * (k % 2), 1002 * (k // 2)))
        placed["grid.png"].append(found[limbs, :2] + [1000 * (k % 2), 1002 * (k // 2)])
    grid.save(tmp_path / "group" / "grid.png")
    row = Image.new("RGB", (1200, 700), (120, 120, 120))
    for k, (path, found) in enumerate(h36m):
        cx, top = int(np.median(found[:, 0])), int(found[:, 1].min()) - 60
        row.paste(Image.open(path).convert("RGB").crop((cx - 150, top, cx + 150, top + 700)), (300 * k, 0))
        placed["row.png"].append(found[limbs, :2] - [cx - 150 - 300 * k, top])
    row.save(tmp_path / "group" / "row.png")
    (tmp_path / "cam.json").write_text(json.dumps({"fx": 1145.0, "fy": 1145.0, "cx": 600.0, "cy": 350.0}))
    assert main(["predict", "--images", str(tmp_path / "group"), "--detector", "mediapipe", "--max-people", "8",
                 "--camera", str(tmp_path / "cam.json"), "--out", str(tmp_path / "o"), "--pictures", "0"]) == 0
    kept = json.loads((tmp_path / "o" / "keypoints.json").read_text())
    for name, want in placed.items():
        got = [np.array(p, np.float64)[limbs, :2] for p in kept[str(tmp_path / "group" / name)]]
        assert len(got) == 4, name
        for w in want:  # each person once, as on their own photo (median limb within 5 % of the height)
            assert min(np.median(np.linalg.norm(g - w, axis=1)) for g in got) < 20.0, name
    assert len(json.loads((tmp_path / "o" / "people.json").read_text())) == 8
    cv2 = pytest.importorskip("cv2", reason="the mediapipe extra brings OpenCV")
    video = cv2.VideoWriter(str(tmp_path / "row.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 25, row.size)
    for i in range(4):  # the row moving 4 px a frame: each frame searched as a photo, the people linked
        video.write(np.roll(np.asarray(row)[:, :, ::-1], 4 * i, axis=1))
    video.release()
    assert main(["predict", "--video", str(tmp_path / "row.avi"), "--detector", "mediapipe", "--max-people", "4",
                 "--camera", str(tmp_path / "cam.json"), "--scene", "sequence", "--out", str(tmp_path / "v"),
                 "--pictures", "0"]) == 0
    records = json.loads((tmp_path / "v" / "people.json").read_text())
    assert [sum(r["frame"] == f for r in records) for f in range(4)] == [4, 4, 4, 4]
    tracks = {r["track_id"] for r in records}
    assert len(tracks) == 4
    for track in tracks:  # each track one person: their rays stay within a third of the people's spacing
        xs = [r["root_cam"][0] / r["root_cam"][2] for r in records if r["track_id"] == track]
        assert len(xs) == 4 and np.ptp(xs) < 300 / 1145 / 3, xs
    path, found = h36m[2]  # S7, standing
    small = Image.new("RGB", (1000, 1002), (120, 120, 120))
    small.paste(Image.open(path).convert("RGB").resize((350, 351)), (300, 400))
    with MediaPipePose() as detector:
        got = detector(np.asarray(small))
    assert got.shape == (1, 33, 3)
    want = found[limbs, :2] * 0.35 + [300, 400]
    assert np.median(np.linalg.norm(got[0, limbs, :2] - want, axis=1)) < 4.0
