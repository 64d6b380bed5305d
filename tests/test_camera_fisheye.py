"""OpenCV's fisheye lens model (Kannala-Brandt; ROS's and Kalibr's ``equidistant``, COLMAP's
``*_FISHEYE``), checked against OpenCV's own ``cv2.fisheye`` and against the rays it was made
from; and what the files and the command line do with it."""

import json
import math

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.camera import Camera, Cameras, read_cameras, undistort_normalized
from hdnet.camera.functional import MAX_FISHEYE_ANGLE_DEG

from .test_keypoint_cli import _coco_views

cv2 = pytest.importorskip("cv2", reason="OpenCV (the test extra's opencv-python-headless) is the reference")

K = np.array([[402.5, 0.0, 641.3], [0.0, 398.1, 362.8], [0.0, 0.0, 1.0]])
FISH = np.array([0.043, -0.012, 0.0031, -0.00042])  # k1..k4 of an action camera's size


def _rays(n=300, max_deg=85.0, seed=0):
    """Points 3 m away along rays up to ``max_deg`` from the optical axis."""
    rng = np.random.default_rng(seed)
    theta, phi = np.radians(rng.uniform(0, max_deg, n)), rng.uniform(0, 2 * np.pi, n)
    return 3000.0 * np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], -1)


def _cv_fisheye(X, k=K, d=FISH):
    return cv2.fisheye.projectPoints(X[None], np.zeros(3), np.zeros(3), k, d)[0][0]


def test_fisheye_projects_and_undoes_as_opencv_does():
    X = _rays()
    ref = _cv_fisheye(X)
    cam = Camera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], tuple(FISH), None, "fisheye")
    assert np.abs(cam.project(X) - ref).max() < 1e-9
    assert np.abs(cam.to_rays(ref) - X[:, :2] / X[:, 2:]).max() < 1e-10  # the rays it was made from
    cv_rays = cv2.fisheye.undistortPoints(ref[None], K, FISH,
                                          criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-15))[0]
    assert np.abs(cam.to_rays(ref) - cv_rays).max() < 1e-9
    # read as OpenCV's ordinary model, the same four numbers are another lens
    assert np.abs(Camera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], tuple(FISH[:3]), None, "opencv").project(X[:20])
                  - ref[:20]).max() > 5.0
    # batched, row by row, with the second camera's image halved
    cams = Cameras.from_list([cam, cam.scaled(0.5)])
    assert cams.distortion_model == "fisheye" and cams.camera(0) == cam
    got = cams.project(torch.from_numpy(np.stack([X, X])))
    half = _cv_fisheye(X, np.diag([0.5, 0.5, 1.0]) @ K + [[0, 0, -0.25], [0, 0, -0.25], [0, 0, 0]])
    assert np.abs(got[0].numpy() - ref).max() < 1e-9 and np.abs(got[1].numpy() - half).max() < 1e-9
    assert np.abs(cams.to_rays(got)[1].numpy() - X[:, :2] / X[:, 2:]).max() < 1e-10
    four = Cameras(torch.tensor([[K[0, 0], K[1, 1], K[0, 2], K[1, 2]]]), torch.from_numpy(FISH[None]), "fisheye")
    assert four.camera(0) == cam  # [N, 4] coefficients are the fisheye's k1..k4


def test_fisheye_without_coefficients_is_the_equidistant_lens():
    """k1..k4 = 0 is still a fisheye (r = f theta), not a pinhole; its field of view follows."""
    cam = Camera(300.0, 300.0, 639.5, 479.5, distortion_model="fisheye")
    assert cam.has_distortion and cam.to_cameras().has_distortion
    X = _rays(50, 80.0, seed=2)
    theta = np.arccos(X[:, 2] / np.linalg.norm(X, axis=1))
    r = np.linalg.norm(cam.project(X) - [639.5, 479.5], axis=1)
    assert np.abs(r - 300.0 * theta).max() < 1e-9
    horizontal, vertical = cam.field_of_view(1280, 960)
    assert abs(horizontal - math.degrees(1280 / 300.0)) < 1e-9 and abs(vertical - math.degrees(960 / 300.0)) < 1e-9
    with pytest.raises(ValueError, match="make one Cameras per lens model"):  # read as a pinhole otherwise
        Cameras.from_list([cam, Camera(300.0, 300.0, 639.5, 479.5)])


def test_fisheye_rays_with_no_pinhole_coordinates_are_refused():
    k = torch.tensor(FISH)
    wide = math.radians(MAX_FISHEYE_ANGLE_DEG + 3)
    rd = wide * (1 + FISH[0] * wide**2 + FISH[1] * wide**4 + FISH[2] * wide**6 + FISH[3] * wide**8)
    with pytest.raises(ValueError, match="degrees or more from the optical axis"):
        undistort_normalized(np.array([[0.0, 0.5], [rd, 0.0]]), k, distortion_model="fisheye")
    with pytest.raises(ValueError, match="no tangential"):
        Camera(400.0, 400.0, 0.0, 0.0, tuple(FISH), (0.001, 0.0), "fisheye")
    with pytest.raises(ValueError, match="4 coefficients"):
        Camera(400.0, 400.0, 0.0, 0.0, (0.1, 0.0, 0.0, 0.0, 0.2, 0.0), None, "fisheye")
    with pytest.raises(ValueError, match="four terms"):
        Cameras(torch.tensor([[400.0, 400.0, 0.0, 0.0]]), torch.tensor([[0.1, 0, 0, 0.01, 0, 0, 0, 0]]), "fisheye")


KALIBR_FISHEYE = """cam0:
  camera_model: pinhole
  distortion_coeffs: [{d0}, {d1}, {d2}, {d3}]
  distortion_model: equidistant
  intrinsics: [{fx}, {fy}, {cx}, {cy}]
  resolution: [1280, 720]
  rostopic: /cam0/image_raw
"""


def test_fisheye_calibration_files(tmp_path):
    """Kalibr's equidistant chain, OpenCV's FileStorage with the model named, and COLMAP's three
    fisheye models (the principal point moved by COLMAP's half pixel) all project as
    cv2.fisheye does with the same numbers."""
    X = _rays(100, 80.0, seed=4)
    ref = _cv_fisheye(X)
    (tmp_path / "camchain.yaml").write_text(KALIBR_FISHEYE.format(
        fx=K[0, 0], fy=K[1, 1], cx=K[0, 2], cy=K[1, 2], **{f"d{i}": v for i, v in enumerate(FISH)}))
    fs = cv2.FileStorage(str(tmp_path / "fish.yaml"), cv2.FILE_STORAGE_WRITE)
    fs.write("camera_matrix", K)
    fs.write("distortion_coefficients", FISH)
    fs.write("distortion_model", "fisheye")
    fs.release()
    for name in ("camchain.yaml", "fish.yaml"):
        cam, _ = read_cameras(tmp_path / name).camera_for("a.png", image_size=(1280, 720))
        assert cam.distortion_model == "fisheye" and np.abs(cam.project(X) - ref).max() < 1e-9, name
    colmap = {"OPENCV_FISHEYE": ([K[0, 0], K[1, 1], K[0, 2] + 0.5, K[1, 2] + 0.5, *FISH], K, FISH),
              "RADIAL_FISHEYE": ([K[0, 0], K[0, 2] + 0.5, K[1, 2] + 0.5, FISH[0], FISH[1]],
                                 np.array([[K[0, 0], 0, K[0, 2]], [0, K[0, 0], K[1, 2]], [0, 0, 1]]),
                                 np.array([FISH[0], FISH[1], 0.0, 0.0])),
              "SIMPLE_RADIAL_FISHEYE": ([K[0, 0], K[0, 2] + 0.5, K[1, 2] + 0.5, FISH[0]],
                                        np.array([[K[0, 0], 0, K[0, 2]], [0, K[0, 0], K[1, 2]], [0, 0, 1]]),
                                        np.array([FISH[0], 0.0, 0.0, 0.0]))}
    for model, (params, k, d) in colmap.items():
        (tmp_path / "cameras.txt").write_text(f"1 {model} 1280 720 " + " ".join(repr(float(v)) for v in params) + "\n")
        cam, _ = read_cameras(tmp_path / "cameras.txt").camera_for("a.jpg")
        assert cam.distortion_model == "fisheye" and np.abs(cam.project(X) - _cv_fisheye(X, k, d)).max() < 1e-9, model


def test_predict_undoes_a_fisheye_lens(tmp_path, capsys):
    """Keypoints seen through a fisheye lens, with its calibration, place people where the same
    keypoints without the lens place them; read as a pinhole they land far off. hdnet info shows
    the lens and its field of view past 180 degrees."""
    kp, cams, _ = _coco_views(4, seed=7)
    f, c = cams.intrinsics[:, :2].numpy(), cams.intrinsics[:, 2:].numpy()
    xy = (kp[..., :2] - c[:, None]) / f[:, None]  # every person's rays
    xy[kp[..., 2] == 0] = np.nan
    k = np.array([[350.0, 0, 640.0], [0, 350.0, 360.0], [0, 0, 1.0]])
    rays = np.concatenate([xy.reshape(-1, 2), np.ones((xy.size // 2, 1))], 1)
    seen = cv2.fisheye.projectPoints(np.where(np.isfinite(rays), rays, 0.0)[None], np.zeros(3), np.zeros(3), k,
                                     FISH)[0][0].reshape(xy.shape)
    pinhole, lens = kp.copy(), kp.copy()
    pinhole[..., :2] = xy * 350.0 + [640.0, 360.0]
    lens[..., :2] = np.where(np.isfinite(xy), seen, np.nan)
    for tag, points in (("pinhole", pinhole), ("lens", lens)):
        table = {f"im{i}.jpg": [np.where(np.isfinite(points[i]), points[i], None).tolist()] for i in range(len(kp))}
        (tmp_path / f"{tag}.json").write_text(json.dumps(table))
    (tmp_path / "fish.json").write_text(json.dumps({"K": k.tolist(), "D": FISH.tolist(), "distortion_model": "fisheye",
                                                    "image_width": 1280, "image_height": 720}))
    (tmp_path / "pin.json").write_text(json.dumps({"fx": 350.0, "fy": 350.0, "cx": 640.0, "cy": 360.0}))
    roots = {}
    for run, (points, camera) in {"truth": ("pinhole", "pin.json"), "calibrated": ("lens", "fish.json"),
                                  "no lens": ("lens", "pin.json")}.items():
        assert main(["predict", "--keypoints", str(tmp_path / f"{points}.json"), "--keypoint-format", "coco_17",
                     "--camera", str(tmp_path / camera), "--out", str(tmp_path / run), "--pictures", "0"]) == 0
        people = json.loads((tmp_path / run / "people.json").read_text())
        roots[run] = np.array([p["root_cam"] for p in sorted(people, key=lambda p: p["image_id"])])
    assert np.abs(roots["calibrated"] - roots["truth"]).max() < 0.5  # mm
    assert np.abs(roots["no lens"] - roots["truth"]).max() > 20.0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "fish.json")]) == 0
    out = capsys.readouterr().out
    fov = Camera(350.0, 350.0, 640.0, 360.0, tuple(FISH), None, "fisheye").field_of_view(1280, 720)
    assert "fisheye: radial [0.043, -0.012, 0.0031, -0.00042]" in out and fov[0] > 180.0
    assert f"field of view {fov[0]:.1f} x {fov[1]:.1f} degrees" in out and "no pinhole image reaches them" in out


def test_people_beyond_the_trained_views_are_named(tmp_path, capsys):
    """A person 60-70 degrees off the optical axis (a fisheye's edge) is placed, with a warning
    that no training view reached that far; people near the axis raise none."""
    kp, _, _ = _coco_views(1, seed=3)
    pts = kp[0].copy()
    pts[:, :2] -= np.nanmean(np.where(pts[:, 2:] > 0, pts[:, :2], np.nan), 0)  # centred on its own middle
    table = {"a.jpg": [np.where(np.isfinite(pts + [500.0, 400.0, 0]), pts + [500.0, 400.0, 0], None).tolist()]}
    (tmp_path / "kp.json").write_text(json.dumps(table))
    for cx, warned in ((500.0, False), (2400.0, True)):
        (tmp_path / "cam.json").write_text(json.dumps({"fx": 1000.0, "fy": 1000.0, "cx": cx, "cy": 400.0}))
        assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                     str(tmp_path / "cam.json"), "--out", str(tmp_path / f"o{cx:g}"), "--pictures", "0"]) == 0
        err = capsys.readouterr().err
        assert ("1 person stands more than 50 degrees from the optical axis" in err) == warned, err


def test_fisheye_coefficients_no_lens_has_are_refused():
    """k1 = 1e6 is invertible but would squeeze every ray into the image's centre: refused, as the
    other models refuse a lens that scales a point's distance by more than 10x."""
    cam = Camera(400.0, 400.0, 640.0, 360.0, (1e6, 0.0, 0.0, 0.0), None, "fisheye")
    with pytest.raises(ValueError, match="no real lens has"):
        cam.to_rays(np.array([[900.0, 500.0]]))


def test_the_birds_eye_view_draws_a_fisheyes_field_of_view(tmp_path):
    """An equidistant lens whose image edges are 80 degrees off the axis: the picture's field of
    view follows those rays, not the 54 degrees a pinhole with the same focal length would have."""
    from PIL import Image

    from hdnet.apps.draw import FIELD_OF_VIEW, BirdsEyeView
    from hdnet.apps.keypoint_predict import draw_people
    w, h = 640, 480
    f = (w / 2) / math.radians(80.0)
    cam = Camera(f, f, (w - 1) / 2, (h - 1) / 2, distortion_model="fisheye")
    assert [round(a, 6) for a in cam.edge_angles(w, h)[:2]] == [-80.0, 80.0]
    Image.new("RGB", (w, h), (0, 0, 0)).save(tmp_path / "scene.png")
    root = np.array([0.0, 0.0, 3000.0])
    record = {"root_cam": root.tolist(), "joints_cam": [root.tolist()], "depth_std_mm": 100.0, "camera": cam.to_dict()}
    draw_people(str(tmp_path / "scene.png"), np.array([[[320.0, 240.0, 1.0]]]), [record], tmp_path / "out.png")
    img = np.asarray(Image.open(tmp_path / "out.png").convert("RGB"))
    view = BirdsEyeView(w, 0, h, root[None])

    def drawn(deg, r):
        u, v = view.to_px(r * math.sin(math.radians(deg)), r * math.cos(math.radians(deg)))
        patch = img[int(v) - 1:int(v) + 2, int(u) - 1:int(u) + 2].reshape(-1, 3)
        return any(tuple(p) == FIELD_OF_VIEW for p in patch)
    assert drawn(-80.0, 500.0) and drawn(80.0, 500.0)
    assert not drawn(-54.0, 1500.0) and not drawn(54.0, 1500.0)


def test_one_file_with_fisheye_and_pinhole_images(tmp_path, capsys):
    """A camera file naming a fisheye for some images and a pinhole for others: every image's
    people placed as with its own camera alone."""
    kp, _, _ = _coco_views(2, seed=9)
    seen = kp[..., 2:] > 0
    middle = np.nanmean(np.where(seen, kp[..., :2], np.nan), axis=1, keepdims=True)
    kp[..., :2] = np.where(seen, (kp[..., :2] - middle) * 0.4 + [600.0, 380.0], 0.0)  # people near the centre
    table = {f"im{i}.jpg": [kp[i].tolist()] for i in range(2)}
    (tmp_path / "kp.json").write_text(json.dumps(table))
    fish = {"K": [[350.0, 0, 640.0], [0, 350.0, 360.0], [0, 0, 1.0]], "D": FISH.tolist(), "distortion_model": "fisheye"}
    pin = {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}
    (tmp_path / "cams.json").write_text(json.dumps({"im0.jpg": fish, "im1.jpg": pin}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cams.json"), "--pictures", "0", "--out", str(tmp_path / "both")]) == 0
    both = {r["image_id"]: r["root_cam"] for r in json.loads((tmp_path / "both" / "people.json").read_text())}
    for name, cam in (("im0.jpg", fish), ("im1.jpg", pin)):
        (tmp_path / "one.json").write_text(json.dumps({name: table[name]}))
        (tmp_path / "cam.json").write_text(json.dumps(cam))
        assert main(["predict", "--keypoints", str(tmp_path / "one.json"), "--keypoint-format", "coco_17", "--camera",
                     str(tmp_path / "cam.json"), "--pictures", "0", "--out", str(tmp_path / name)]) == 0
        alone = json.loads((tmp_path / name / "people.json").read_text())[0]["root_cam"]
        assert np.allclose(both[name], alone, atol=1e-2), name


def test_a_stated_fisheye_field_of_view(tmp_path, capsys):
    """``--fov 150 --lens fisheye`` is the equidistant lens of that field of view: the same people
    as a calibration file of that lens gives; the options are checked."""
    from PIL import Image
    Image.new("RGB", (1280, 720)).save(tmp_path / "a.jpg")
    kp, _, _ = _coco_views(1, seed=4)
    seen = kp[..., 2:] > 0
    middle = np.nanmean(np.where(seen, kp[..., :2], np.nan), axis=1, keepdims=True)
    kp[..., :2] = np.where(seen, (kp[..., :2] - middle) * 0.4 + [1000.0, 300.0], 0.0)
    (tmp_path / "kp.json").write_text(json.dumps({"a.jpg": [kp[0].tolist()]}))
    f = 1280 / math.radians(150.0)
    (tmp_path / "cam.json").write_text(json.dumps({"fx": f, "fy": f, "cx": 639.5, "cy": 359.5,
                                                   "distortion_model": "fisheye"}))
    common = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--pictures", "0",
              str(tmp_path / "a.jpg")]
    assert main(common + ["--fov", "150", "--lens", "fisheye", "--out", str(tmp_path / "fov")]) == 0
    assert main(common + ["--camera", str(tmp_path / "cam.json"), "--out", str(tmp_path / "file")]) == 0
    stated = json.loads((tmp_path / "fov" / "people.json").read_text())[0]
    calibrated = json.loads((tmp_path / "file" / "people.json").read_text())[0]
    assert np.allclose(stated["root_cam"], calibrated["root_cam"], atol=1e-2)
    assert stated["camera_source"] == "--fov 150 --lens fisheye" and stated["camera"]["distortion_model"] == "fisheye"
    capsys.readouterr()
    for extra, says in ((["--lens", "fisheye"], "--lens: goes with --fov"), (["--fov", "200"], "[1, 170] degrees"),
                        (["--fov", "260", "--lens", "fisheye"], "[1, 250] degrees")):
        assert main(common + extra + ["--out", str(tmp_path / "x")]) == 2
        assert says in capsys.readouterr().err
