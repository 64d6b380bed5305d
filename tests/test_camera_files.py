"""OpenCV's lens model and the calibration files people have: checked against OpenCV itself
(``cv2.projectPoints``, ``cv2.undistortPoints``, files written by ``cv2.FileStorage``), ROS's
``camera_info`` layout and COLMAP's text model as their documentation writes them."""

import json

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.camera import Camera, Cameras, distort_normalized, project_points, read_cameras, undistort_normalized

from .test_keypoint_cli import _coco_views

cv2 = pytest.importorskip("cv2", reason="OpenCV (the test extra's opencv-python-headless) is the reference")

K = np.array([[1210.0, 0.0, 955.3], [0.0, 1204.5, 541.2], [0.0, 0.0, 1.0]])
D = np.array([-0.231, 0.092, 0.0013, -0.0021, -0.018])  # k1, k2, p1, p2, k3: a real wide lens's size


def _points(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([-1500, -900, 2000], [1500, 900, 6000], (n, 3))


def test_opencv_model_projects_as_opencv_does():
    X = _points()
    ref = cv2.projectPoints(X, np.zeros(3), np.zeros(3), K, D)[0][:, 0]
    cam = Camera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], (D[0], D[1], D[4]), (D[2], D[3]), "opencv")
    assert np.abs(cam.project(X) - ref).max() < 1e-9
    # Human3.6M's model with the same numbers is another lens: the tangential terms differ
    h36m = Camera(K[0, 0], K[1, 1], K[0, 2], K[1, 2], (D[0], D[1], D[4]), (D[2], D[3]))
    assert np.abs(h36m.project(X) - ref).max() > 1.0
    # batched, in torch float32 and float64, row by row
    cams = Cameras.from_list([cam, cam.scaled(0.5)], dtype=torch.float64)
    got = cams.project(torch.from_numpy(np.stack([X, X])))
    assert torch.allclose(got[0], torch.from_numpy(ref), atol=1e-9)
    assert cams.distortion_model == "opencv" and cams.camera(1).distortion_model == "opencv"
    half = cv2.projectPoints(X, np.zeros(3), np.zeros(3), np.diag([0.5, 0.5, 1.0]) @ K + [[0, 0, -0.25], [0, 0, -0.25],
                                                                                           [0, 0, 0]], D)[0][:, 0]
    assert np.abs(got[1].numpy() - half).max() < 1e-9


RATIONAL = np.array([0.35, -0.12, 0.0012, -0.0009, 0.01, 0.62, -0.05, 0.02])  # k1 k2 p1 p2 k3 k4 k5 k6


def test_opencv_rational_model_as_opencv_does(tmp_path):
    """OpenCV's eight-coefficient model (CALIB_RATIONAL_MODEL): projection, undistortion, the
    batched cameras and COLMAP's FULL_OPENCV, all against OpenCV."""
    X = _points(seed=3)
    ref = cv2.projectPoints(X, np.zeros(3), np.zeros(3), K, RATIONAL)[0][:, 0]
    cam = Camera.from_dict({"K": K.tolist(), "D": RATIONAL.tolist(), "distortion_model": "rational_polynomial"})
    assert cam.radial == tuple(RATIONAL[[0, 1, 4, 5, 6, 7]]) and cam.tangential == tuple(RATIONAL[2:4])
    assert np.abs(cam.project(X) - ref).max() < 1e-9
    rays = cv2.undistortPoints(ref[:, None], K, RATIONAL,
                               criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 300, 1e-15))[:, 0]
    assert np.abs(cam.to_rays(ref) - rays).max() < 1e-12
    cams = Cameras.from_list([cam, Camera(900.0, 900.0, 320.0, 240.0)])
    assert cams.distortion.shape == (2, 8) and cams.camera(0) == cam and cams.camera(1).radial is None
    got = cams.project(torch.from_numpy(np.stack([X, X])))[0].numpy()
    assert np.abs(got - ref).max() < 1e-9
    assert np.abs(cams.to_rays(torch.from_numpy(np.stack([ref, ref])))[0].numpy() - rays).max() < 1e-12
    (tmp_path / "cameras.txt").write_text("1 FULL_OPENCV 1920 1080 {} {} {} {} {} {} {} {} {} {} {} {}\n".format(
        K[0, 0], K[1, 1], K[0, 2] + 0.5, K[1, 2] + 0.5, *RATIONAL))
    colmap = read_cameras(tmp_path / "cameras.txt").camera_for("a.jpg")[0]
    assert np.abs(colmap.project(X) - ref).max() < 1e-9


def test_opencv_model_undistorts_as_opencv_does():
    uv = cv2.projectPoints(_points(seed=1), np.zeros(3), np.zeros(3), K, D)[0]
    ref = cv2.undistortPoints(uv, K, D, criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-15))[:, 0]
    xy = (uv[:, 0] - K[[0, 1], [2, 2]]) / K[[0, 1], [0, 1]]
    got = undistort_normalized(xy, (D[0], D[1], D[4]), (D[2], D[3]), distortion_model="opencv")
    assert np.abs(got - ref).max() < 1e-12
    assert np.abs(distort_normalized(got, (D[0], D[1], D[4]), (D[2], D[3]), "opencv") - xy).max() < 1e-12
    cam = Camera.from_dict({"camera_matrix": K.tolist(), "dist_coeffs": D.tolist()})
    back = cam.backproject(uv[:, 0], np.full(len(uv), 3000.0))
    assert np.abs(back[:, :2] / 3000.0 - ref).max() < 1e-12


def test_lens_models_are_named_and_checked():
    with pytest.raises(ValueError, match="distortion_model"):
        distort_normalized(np.zeros((1, 2)), (0.1, 0.0), (0.0, 0.0), "kannala")
    with pytest.raises(ValueError, match="distortion_model"):
        project_points(np.array([[0.0, 0.0, 1.0]]), 1.0, 1.0, 0.0, 0.0, (0.1, 0.0), None, "OpenCV")
    with pytest.raises(ValueError, match="distortion_model"):
        Camera(1000.0, 1000.0, 0.0, 0.0, distortion_model="equidistant")  # a file's name for it, not the model's
    with pytest.raises(ValueError, match="distortion_model"):
        Cameras(torch.tensor([[1000.0, 1000.0, 0.0, 0.0]]), distortion_model=None)
    opencv = Camera(1000.0, 1000.0, 0.0, 0.0, (0.1, 0.0), (0.001, 0.0), "opencv")
    with pytest.raises(ValueError, match="lens models"):
        Cameras.from_list([opencv, Camera(1000.0, 1000.0, 0.0, 0.0, (0.1, 0.0), (0.001, 0.0))])
    # a camera without tangential terms is the same lens in either model, so it joins either batch
    mixed = Cameras.from_list([Camera(900.0, 900.0, 0.0, 0.0, (0.05, 0.0)), opencv])
    assert mixed.distortion_model == "opencv"
    assert Camera.from_dict(opencv.to_dict()) == opencv


OPENCV_DICTS = {
    "nested lists": {"camera_matrix": K.tolist(), "distortion_coefficients": D.tolist()},
    "flat lists": {"K": K.ravel().tolist(), "D": D.tolist()},
    "ROS rows/cols/data": {"camera_matrix": {"rows": 3, "cols": 3, "data": K.ravel().tolist()},
                           "distortion_model": "plumb_bob",
                           "distortion_coefficients": {"rows": 1, "cols": 5, "data": D.tolist()}},
    "eight coefficients, rational terms 0": {"cameraMatrix": K.tolist(), "distCoeffs": D[[0, 1, 2, 3, 4]].tolist()
                                             + [0.0, 0.0, 0.0], "distortion_model": "rational_polynomial"},
}


@pytest.mark.parametrize("case", list(OPENCV_DICTS))
def test_opencv_camera_dictionaries(case):
    cam = Camera.from_dict(OPENCV_DICTS[case])
    assert (cam.fx, cam.fy, cam.cx, cam.cy) == (K[0, 0], K[1, 1], K[0, 2], K[1, 2])
    assert cam.radial == (D[0], D[1], D[4]) and cam.tangential == (D[2], D[3]) and cam.distortion_model == "opencv"
    four = Camera.from_dict({"K": K.tolist(), "D": D[:4].tolist()})  # k3 left out: 0
    assert four.radial == (D[0], D[1], 0.0)


BAD_OPENCV = {
    "skew": ({"K": [[1000, 3, 500], [0, 1000, 400], [0, 0, 1]], "D": [0, 0, 0, 0]}, ["K", "skew"]),
    "2x3 matrix": ({"K": [[1000, 0, 500], [0, 1000, 400]], "D": [0, 0, 0, 0]}, ["K", "9 numbers"]),
    "six coefficients": ({"K": K.tolist(), "D": [0.1] * 6}, ["D", "4, 5, 8, 12 or 14"]),
    "a thin-prism term": ({"K": K.tolist(), "D": [0.1, 0, 0, 0, 0, 0.3, 0, 0, 0.01, 0, 0, 0]},
                          ["D", "thin-prism", "9-12"]),
    "double sphere": ({"K": K.tolist(), "D": [0.1, 0.5], "distortion_model": "double_sphere"}, ["fisheye", "undistort"]),
    "fisheye with five": ({"K": K.tolist(), "D": D.tolist(), "distortion_model": "equidistant"}, ["D", "4 coefficients"]),
    "OpenCV numbers called h36m": ({"K": K.tolist(), "D": D.tolist(), "distortion_model": "h36m"}, ["OpenCV"]),
    "a matrix and fx": ({"K": K.tolist(), "fx": 1000.0}, ["not both", "fx"]),
    "coefficients without a matrix": ({"D": D.tolist(), "fx": 1000.0, "fy": 1000.0, "cx": 0.0, "cy": 0.0},
                                      ["camera matrix"]),
    "a NaN": ({"K": [[float("nan"), 0, 500], [0, 1000, 400], [0, 0, 1]]}, ["K", "finite"]),
}


@pytest.mark.parametrize("case", list(BAD_OPENCV))
def test_bad_opencv_cameras_say_what_is_wrong(case):
    d, words = BAD_OPENCV[case]
    with pytest.raises(ValueError) as e:
        Camera.from_dict(d, "cam.json")
    assert all(w in str(e.value) for w in words), str(e.value)


def _write_storage(path, width=1920, height=1080, names=("camera_matrix", "distortion_coefficients")):
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    fs.write("image_width", width)
    fs.write("image_height", height)
    fs.write(names[0], K)
    fs.write(names[1], D.reshape(5, 1))
    fs.write("avg_reprojection_error", 0.31)
    fs.release()


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".xml", ".json"])
def test_files_opencv_writes_are_read(tmp_path, suffix):
    path = tmp_path / f"calib{suffix}"
    _write_storage(path)
    table = read_cameras(path)
    cam, source = table.camera_for("any.jpg", image_size=(1920, 1080))
    assert np.allclose(cam.K, K, rtol=1e-15) and cam.tangential == (D[2], D[3]) and cam.radial == (D[0], D[1], D[4])
    assert cam.distortion_model == "opencv" and source == f"--camera calib{suffix}"


def test_calibrations_saved_on_windows_are_read(tmp_path):
    """A calibration opened and saved again in a Windows editor (a UTF-8 byte-order mark, CRLF
    lines) or written by PowerShell's `>` (UTF-16) is the same camera."""
    _write_storage(tmp_path / "calib.yaml")
    text = (tmp_path / "calib.yaml").read_text().replace("\n", "\r\n")
    for codec, mark in (("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe")):
        path = tmp_path / f"{codec}.yaml"
        path.write_bytes(mark + text.encode(codec))
        cam, _ = read_cameras(path).camera_for("any.jpg", image_size=(1920, 1080))
        assert np.allclose(cam.K, K, rtol=1e-15) and cam.radial == (D[0], D[1], D[4])


def test_opencv_names_from_other_tools(tmp_path):
    _write_storage(tmp_path / "c.yml", names=("K", "D"))
    assert read_cameras(tmp_path / "c.yml").camera_for("a.png")[0].fx == K[0, 0]


ROS_YAML = """image_width: 1920
image_height: 1080
camera_name: narrow_stereo/left   # a comment
camera_matrix:
  rows: 3
  cols: 3
  data: [{k0}, 0, {k2},
         0, {k4}, {k5},
         0, 0, 1]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [{d}]
rectification_matrix:
  rows: 3
  cols: 3
  data: [1, 0, 0, 0, 1, 0, 0, 0, 1]
projection_matrix:
  rows: 3
  cols: 4
  data: [1200, 0, 950, 0, 0, 1200, 540, 0, 0, 0, 1, 0]
"""


def test_ros_camera_info_yaml(tmp_path):
    text = ROS_YAML.format(k0=K[0, 0], k2=K[0, 2], k4=K[1, 1], k5=K[1, 2], d=", ".join(map(repr, D.tolist())))
    (tmp_path / "left.yaml").write_text(text)
    cam, _ = read_cameras(tmp_path / "left.yaml").camera_for("f0.png", image_size=(1920, 1080))
    assert np.array_equal(cam.K, K) and cam.distortion_model == "opencv" and cam.tangential == (D[2], D[3])
    (tmp_path / "fish.yaml").write_text(text.replace("plumb_bob", "equidistant"))
    with pytest.raises(ValueError, match="fisheye model has 4 coefficients"):  # ROS's equidistant D: k1..k4
        read_cameras(tmp_path / "fish.yaml")
    (tmp_path / "fish.yaml").write_text(text.replace("plumb_bob", "equidistant").replace("cols: 5", "cols: 4")
                                        .replace(", ".join(map(repr, D.tolist())), "0.1, -0.02, 0.003, -0.0004"))
    fish, _ = read_cameras(tmp_path / "fish.yaml").camera_for("f0.png", image_size=(1920, 1080))
    assert fish.distortion_model == "fisheye" and fish.radial == (0.1, -0.02, 0.003, -0.0004)


BAD_YAML = {
    "a list of mappings": ("cameras:\n  - name: left\n", "lists of mappings"),
    "a list item without a key": ("- 1\n", "without a key"),
    "a nested block list": ("D:\n- \n  - 1\n", "empty list item"),
    "a flow mapping": ("camera_matrix: {rows: 3}\n", "flow mappings"),
    "a list never closed": ("K: [1, 0, 2,\n  0, 1, 2\n", "never closed"),
    "a NaN": ("K: [.nan, 0, 2, 0, 1, 2, 0, 0, 1]\n", "finite"),
    "a key twice": ("K: [1, 0, 2, 0, 1, 2, 0, 0, 1]\nK: [1]\n", "twice"),
    "not YAML at all": ("just some words\n", "key: value"),
    "no camera": ("image_width: 640\nimage_height: 480\n", "fx"),
    "a size in halves": ("K: [1000, 0, 2, 0, 1000, 2, 0, 0, 1]\nimage_width: 640.5\nimage_height: 480\n", "whole pixels"),
}


@pytest.mark.parametrize("case", list(BAD_YAML))
def test_bad_yaml_names_the_line(tmp_path, case):
    text, words = BAD_YAML[case]
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ValueError) as e:
        read_cameras(tmp_path / "c.yaml")
    assert words in str(e.value) and "c.yaml" in str(e.value), str(e.value)


ROS2_ECHO = """header:
  stamp:
    sec: 1733390000
    nanosec: 0
  frame_id: camera_color_optical_frame
height: 1080
width: 1920
distortion_model: plumb_bob
d:
- {d0}
- {d1}
- {d2}
- {d3}
- {d4}
k:
- {k0}
- 0.0
- {k2}
- 0.0
- {k4}
- {k5}
- 0.0
- 0.0
- 1.0
r: [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
p:
- 1200.0
- 0.0
- 950.0
- 0.0
- 0.0
- 1200.0
- 540.0
- 0.0
- 0.0
- 0.0
- 1.0
- 0.0
binning_x: 0
binning_y: 0
roi:
  x_offset: 0
  y_offset: 0
  height: 0
  width: 0
  do_rectify: false
---
"""

KALIBR = """cam0:
  cam_overlaps: []
  camera_model: pinhole
  distortion_coeffs: [{d0}, {d1}, {d2}, {d3}]
  distortion_model: radtan
  intrinsics: [{k0}, {k4}, {k2}, {k5}]
  resolution: [1920, 1080]
  rostopic: /cam0/image_raw
  T_cam_imu:
  - [0.01, -0.99, 0.0, 0.02]
  - [0.99, 0.01, 0.0, -0.06]
  - [0.0, 0.0, 1.0, 0.01]
  - [0.0, 0.0, 0.0, 1.0]
"""


@pytest.mark.parametrize("layout", ["ros2 topic echo", "kalibr"])
def test_camera_info_messages_and_kalibr_chains(tmp_path, layout):
    numbers = {"k0": K[0, 0], "k2": K[0, 2], "k4": K[1, 1], "k5": K[1, 2], **{f"d{i}": v for i, v in enumerate(D)}}
    text = (ROS2_ECHO if layout == "ros2 topic echo" else KALIBR).format(**numbers)
    (tmp_path / "cam.yaml").write_text(text)
    cam, _ = read_cameras(tmp_path / "cam.yaml").camera_for("a.png", image_size=(1920, 1080))
    assert np.array_equal(cam.K, K) and cam.distortion_model == "opencv" and cam.tangential == (D[2], D[3])
    assert cam.radial == ((D[0], D[1], D[4]) if layout == "ros2 topic echo" else (D[0], D[1], 0.0))
    with pytest.raises(ValueError, match="not the same shape"):  # the size the file states is checked
        read_cameras(tmp_path / "cam.yaml").camera_for("a.png", image_size=(640, 640))
    if layout == "kalibr":
        (tmp_path / "omni.yaml").write_text(text.replace("pinhole", "omni"))
        with pytest.raises(ValueError, match="omni"):
            read_cameras(tmp_path / "omni.yaml")
        (tmp_path / "two.yaml").write_text(text + text.replace("cam0", "cam1"))
        with pytest.raises(ValueError, match="cam0, cam1"):
            read_cameras(tmp_path / "two.yaml")


def _colmap_pixel(X, f, c, k, p):
    """COLMAP's OPENCV model written out (its pixel centres at half-integers)."""
    x, y = X[:, 0] / X[:, 2], X[:, 1] / X[:, 2]
    r2 = x * x + y * y
    rad = k[0] * r2 + k[1] * r2 * r2
    dx = x * rad + 2 * p[0] * x * y + p[1] * (r2 + 2 * x * x)
    dy = y * rad + 2 * p[1] * x * y + p[0] * (r2 + 2 * y * y)
    return np.stack([f[0] * (x + dx) + c[0], f[1] * (y + dy) + c[1]], -1)


def test_colmap_cameras_with_images(tmp_path):
    (tmp_path / "cameras.txt").write_text(
        "# Camera list with one line of data per camera:\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n"
        "# Number of cameras: 2\n"
        "1 OPENCV 1920 1080 1210 1204.5 960 540 -0.231 0.092 0.0013 -0.0021\n"
        "2 SIMPLE_PINHOLE 640 480 500 320 240\n")
    (tmp_path / "images.txt").write_text(
        "# Image list with two lines of data per image:\n"
        "1 1 0 0 0 0 0 0 1 walk/0001.jpg\n100.5 20.0 -1\n"
        "2 1 0 0 0 0 0 0 2 phone.jpg\n\n")
    table = read_cameras(tmp_path / "cameras.txt")
    cam, _ = table.camera_for("walk/0001.jpg", image_size=(1920, 1080))
    X = _points(seed=2)
    ref = _colmap_pixel(X, (1210, 1204.5), (960, 540), (-0.231, 0.092), (0.0013, -0.0021))
    assert np.abs(cam.project(X) + 0.5 - ref).max() < 1e-9  # hdnet's pixel centres are COLMAP's - 0.5
    assert table.camera_for("0001.jpg")[0] == cam  # keypoints keyed by file name find COLMAP's walk/0001.jpg
    small, _ = table.camera_for("x/phone.jpg", image_size=(640, 480))
    assert (small.fx, small.cx, small.cy, small.has_distortion) == (500.0, 319.5, 239.5, False)
    with pytest.raises(ValueError, match="no camera for"):
        table.camera_for("other.jpg")
    (tmp_path / "images.txt").unlink()
    with pytest.raises(ValueError, match="images.txt"):
        read_cameras(tmp_path / "cameras.txt")


BAD_COLMAP = {
    "thin prism": ("1 THIN_PRISM_FISHEYE 640 480 500 500 320 240 0.1 0 0 0 0 0 0 0\n", "THIN_PRISM_FISHEYE"),
    "too few parameters": ("1 OPENCV 640 480 500 500 320 240\n", "8 parameters"),
    "not COLMAP": ("hello world\n", "CAMERA_ID MODEL"),
    "empty": ("# nothing\n", "no cameras"),
    "a zero focal": ("1 PINHOLE 640 480 0 500 320 240\n", "fx"),
}


@pytest.mark.parametrize("case", list(BAD_COLMAP))
def test_bad_colmap_files(tmp_path, case):
    text, words = BAD_COLMAP[case]
    (tmp_path / "cameras.txt").write_text(text)
    with pytest.raises(ValueError, match=words):
        read_cameras(tmp_path / "cameras.txt")


def test_calibration_size_scales_a_resized_image_and_refuses_a_reshaped_one(tmp_path):
    _write_storage(tmp_path / "c.yaml")
    table = read_cameras(tmp_path / "c.yaml")
    cam, source = table.camera_for("a.jpg", image_size=(1280, 720))
    s = 1280 / 1920  # pixel edges scale, so centres move by half a pixel: (c + 0.5) s - 0.5
    assert cam.fx == pytest.approx(K[0, 0] * s) and cam.cx == pytest.approx((K[0, 2] + 0.5) * s - 0.5)
    assert cam.radial == (D[0], D[1], D[4]) and "scaled from 1920x1080 to 1280x720" in source
    with pytest.raises(ValueError, match="not the same shape"):
        table.camera_for("a.jpg", image_size=(1440, 1080))
    assert table.camera_for("a.jpg")[0].fx == K[0, 0]  # no size known: the file's camera
    (tmp_path / "c.toml").write_text("fx = 1")
    with pytest.raises(ValueError, match=".yaml/.yml"):
        read_cameras(tmp_path / "c.toml")
    (tmp_path / "cameras.bin").write_bytes(b"\0" * 8)
    with pytest.raises(ValueError, match="model_converter"):
        read_cameras(tmp_path / "cameras.bin")


def test_predict_undoes_an_opencv_lens(tmp_path, capsys):
    """Keypoints seen through an OpenCV-calibrated lens, with its calibration file, place people
    where the same keypoints without the lens place them; read as a pinhole they do not."""
    kp, cams, _ = _coco_views(4, seed=5)
    f, c = cams.intrinsics[:, :2].numpy(), cams.intrinsics[:, 2:].numpy()
    xy = (kp[..., :2] - c[:, None]) / f[:, None]  # every person's rays, all seen now through camera 0
    xy[kp[..., 2] == 0] = np.nan  # joints COCO has and MuPoTS does not: missing
    k = np.array([[f[0, 0], 0, c[0, 0]], [0, f[0, 1], c[0, 1]], [0, 0, 1.0]])
    d = np.array([-0.12, 0.03, 0.001, -0.0015, 0.0])
    seen = cv2.projectPoints(np.concatenate([xy.reshape(-1, 2), np.ones((xy.size // 2, 1))], 1), np.zeros(3),
                             np.zeros(3), k, d)[0].reshape(xy.shape)
    pinhole, lens = kp.copy(), kp.copy()
    pinhole[..., :2], lens[..., :2] = xy * f[0] + c[0], seen
    names = [f"im{i}.jpg" for i in range(len(kp))]
    for tag, points in (("pinhole", pinhole), ("lens", lens)):
        table = {n: [np.where(np.isfinite(points[i]), points[i], None).tolist()] for i, n in enumerate(names)}
        (tmp_path / f"{tag}.json").write_text(json.dumps(table))
    f, c = f[0], c[0]
    fs = cv2.FileStorage(str(tmp_path / "calib.yaml"), cv2.FILE_STORAGE_WRITE)
    fs.write("camera_matrix", k)
    fs.write("distortion_coefficients", d)
    fs.release()
    (tmp_path / "pin.json").write_text(json.dumps({"fx": f[0], "fy": f[1], "cx": c[0], "cy": c[1]}))
    runs = {"truth": ("pinhole", "pin.json"), "calibrated": ("lens", "calib.yaml"), "no lens": ("lens", "pin.json")}
    roots = {}
    for run, (points, camera) in runs.items():
        assert main(["predict", "--keypoints", str(tmp_path / f"{points}.json"), "--keypoint-format", "coco_17",
                     "--camera", str(tmp_path / camera), "--out", str(tmp_path / run)]) == 0
        people = json.loads((tmp_path / run / "people.json").read_text())
        roots[run] = np.array([p["root_cam"] for p in sorted(people, key=lambda p: p["image_id"])])
    capsys.readouterr()
    assert np.abs(roots["calibrated"] - roots["truth"]).max() < 0.5  # mm
    assert np.abs(roots["no lens"] - roots["truth"]).max() > 20.0


def test_hdnet_info_shows_a_calibration_as_read(tmp_path, capsys):
    _write_storage(tmp_path / "calib.yaml")
    assert main(["info", str(tmp_path / "calib.yaml"), "--json", str(tmp_path / "info.json")]) == 0
    out = capsys.readouterr().out
    assert "every image (calib.yaml)" in out and "opencv" in out and "1920 x 1080" in out
    info = json.loads((tmp_path / "info.json").read_text())["*"]
    assert info["image_size"] == [1920, 1080] and info["distortion_model"] == "opencv"
    # the field of view through the lens, from OpenCV's own undistortion of the edges' midpoints
    edges = np.array([[[-0.5, K[1, 2]]], [[1919.5, K[1, 2]]], [[K[0, 2], -0.5]], [[K[0, 2], 1079.5]]])
    rays = cv2.undistortPoints(edges, K, D, criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200, 1e-15))[:, 0]
    want = [np.degrees(np.arctan(-rays[0, 0]) + np.arctan(rays[1, 0])),
            np.degrees(np.arctan(-rays[2, 1]) + np.arctan(rays[3, 1]))]
    assert np.allclose(info["fov_deg"], want, atol=1e-6)
    corners = np.array([[[-0.5, -0.5]], [[1919.5, -0.5]], [[-0.5, 1079.5]], [[1919.5, 1079.5]]])
    moved = cv2.undistortPoints(corners, K, D, P=K, criteria=(cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 200,
                                                                1e-15))[:, 0] - corners[:, 0]
    assert info["corner_shift_px"] == pytest.approx(np.abs(moved).max(), abs=1e-6)
    assert main(["info", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"error: info: no file at {str(tmp_path / 'missing.yaml')!r}"


def test_damaged_calibration_files_give_a_camera_or_an_error_naming_the_file(tmp_path):
    """Untrusted files: every damaged copy of a valid file (characters inserted and deleted at
    random, a seeded sample) is read as some camera or refused with a ValueError that names the
    file, never another exception."""
    import random
    import string
    _write_storage(tmp_path / "ocv.yaml")
    _write_storage(tmp_path / "ocv.xml")
    sources = {"ocv.yaml": (tmp_path / "ocv.yaml").read_text(), "ocv.xml": (tmp_path / "ocv.xml").read_text(),
               "ros.yaml": ROS_YAML.format(k0=1000, k2=960, k4=1000, k5=540, d="0.1, 0, 0, 0, 0"),
               "kalibr.yaml": KALIBR.format(d0=0.1, d1=0, d2=0, d3=0, k0=1000, k4=1000, k2=960, k5=540),
               "fisheye.yaml": KALIBR.format(d0=0.04, d1=-0.01, d2=0.003, d3=0, k0=600, k4=600, k2=960,
                                             k5=540).replace("radtan", "equidistant"),
               "cameras.txt": "1 OPENCV 1920 1080 1210 1204.5 960 540 -0.2 0.09 0.001 -0.002\n2 PINHOLE 64 48 50 50 32 24\n"
                              "3 OPENCV_FISHEYE 1920 1080 600 600 960 540 0.04 -0.01 0.003 0\n"}
    (tmp_path / "images.txt").write_text("1 1 0 0 0 0 0 0 1 a.jpg\n1 2 3\n2 1 0 0 0 0 0 0 2 b.jpg\n\n"
                                         "3 1 0 0 0 0 0 0 3 c.jpg\n\n")
    rng = random.Random(0)
    for _ in range(400):
        name = rng.choice(sorted(sources))
        text = list(sources[name])
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(text))
            if rng.random() < 0.3:
                del text[i]
            else:
                text.insert(i, rng.choice(string.printable + "-:[]{}<>"))
        (tmp_path / name).write_text("".join(text))
        try:
            read_cameras(tmp_path / name).camera_for("a.jpg", image_size=(1280, 720))
        except ValueError as e:
            assert name in str(e), str(e)
    (tmp_path / "odd.json").write_text(json.dumps({"K": K.tolist(), "distortion_model": {"name": "plumb_bob"}}))
    with pytest.raises(ValueError, match="distortion_model"):
        read_cameras(tmp_path / "odd.json")
