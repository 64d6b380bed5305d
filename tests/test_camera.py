import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from hdnet.camera import (
    Camera,
    apply_affine,
    coord_map,
    crop_affine,
    depth_from_focal_normalized,
    distort_normalized,
    focal_normalized_depth,
    invert_affine,
    pixel_grid,
    project_points,
    undistort_normalized,
)

focal = st.floats(200, 3000)
centre = st.floats(0, 2000)
coord = st.floats(-0.6, 0.6)


@settings(max_examples=60, deadline=None)
@given(focal, focal, centre, centre, st.floats(-3000, 3000), st.floats(-3000, 3000),
       st.floats(500, 20000))
def test_project_backproject_round_trip(fx, fy, cx, cy, x, y, z):
    cam = Camera(fx, fy, cx, cy)
    p = np.array([x, y, z])
    uv = cam.project(p)
    np.testing.assert_allclose(uv, [fx * x / z + cx, fy * y / z + cy], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(cam.backproject(uv, z), p, rtol=1e-9, atol=1e-6)


@settings(max_examples=80, deadline=None)
@given(coord, coord, st.floats(-0.3, 0.05), st.floats(-0.05, 0.3), st.floats(-0.01, 0.01),
       st.floats(-0.003, 0.003), st.floats(-0.003, 0.003))
def test_distort_undistort_round_trip(x, y, k1, k2, k3, p1, p2):
    xy = np.array([x, y])
    k, p = (k1, k2, k3), (p1, p2)
    d = distort_normalized(xy, k, p)
    np.testing.assert_allclose(undistort_normalized(d, k, p), xy, atol=1e-10)


def _h36m_distort(X, k, p):
    # written out exactly as Human3.6M's camera code does it, as an independent reference
    x, y = X[:, 0] / X[:, 2], X[:, 1] / X[:, 2]
    r2 = x ** 2 + y ** 2
    radial = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tan = p[0] * y + p[1] * x
    return np.stack([x * (radial + tan) + p[1] * r2, y * (radial + tan) + p[0] * r2], 1)


def test_real_h36m_frames_project_within_0_1_px(h36m_frames):
    for fr in h36m_frames:
        c = fr["camera"]
        cam = Camera.from_dict(c)
        X = np.array(fr["joints_cam_mm"])
        uv = cam.project(X)
        assert np.abs(uv - np.array(fr["joints_2d_px"])).max() < 0.1
        ref = _h36m_distort(X, c["k"], c["p"]) * np.array(c["f"]) + np.array(c["c"])
        np.testing.assert_allclose(uv, ref, atol=1e-9)
        # without distortion the error is pixels, not tenths: the model matters
        assert np.abs(cam.without_distortion().project(X) - fr["joints_2d_px"]).max() > 0.5


def test_real_h36m_root_backprojects_within_1_mm(h36m_frames):
    for fr in h36m_frames:
        cam = Camera.from_dict(fr["camera"])
        root = np.array(fr["joints_cam_mm"][0])
        uv = np.array(fr["joints_2d_px"][0])
        back = cam.backproject(uv, root[2])
        assert np.linalg.norm(back - root) < 1.0
        # torch path, batched over all joints
        X = torch.tensor(fr["joints_cam_mm"], dtype=torch.float64)
        b = cam.backproject(torch.tensor(fr["joints_2d_px"], dtype=torch.float64), X[:, 2])
        assert torch.linalg.norm(b - X, dim=-1).max() < 1.0


def test_undistort_pixels(h36m_frames):
    fr = h36m_frames[0]
    cam = Camera.from_dict(fr["camera"])
    X = np.array(fr["joints_cam_mm"])
    ideal = cam.without_distortion().project(X)
    np.testing.assert_allclose(cam.undistort(fr["joints_2d_px"]), ideal, atol=0.1)
    np.testing.assert_allclose(cam.distort(ideal), cam.project(X), atol=1e-6)


def test_torch_is_differentiable_and_keeps_dtype():
    p = torch.tensor([[100.0, -50.0, 4000.0]], requires_grad=True)
    uv = project_points(p, 1000.0, 1000.0, 500.0, 500.0, (-0.2, 0.2, 0.0), (0.001, 0.001))
    assert uv.dtype == torch.float32
    uv.sum().backward()
    assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


def test_focal_normalized_depth():
    d = focal_normalized_depth(np.array([4000.0, 5000.0]), 1000.0, 1210.0)
    np.testing.assert_allclose(d, np.array([4000.0, 5000.0]) / 1100.0)
    np.testing.assert_allclose(depth_from_focal_normalized(d, 1000.0, 1210.0), [4000.0, 5000.0])


def test_crop_affine_maps_box_edges_to_pixel_edges():
    a = crop_affine([300.0, 200.0], [200.0, 100.0], (64, 32))
    out = apply_affine(a, np.array([[200.0, 150.0], [400.0, 250.0], [300.0, 200.0]]))
    np.testing.assert_allclose(out, [[-0.5, -0.5], [63.5, 31.5], [31.5, 15.5]], atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(st.floats(0, 1000), st.floats(0, 1000), st.floats(10, 800), st.floats(-180, 180),
       st.booleans())
def test_crop_affine_inverse_and_geometry(u, v, size, rot, flip):
    a = crop_affine([u, v], size, 256, rot, flip)
    inv = invert_affine(a)
    pts = np.random.default_rng(0).uniform(-100, 1000, size=(5, 2))
    np.testing.assert_allclose(apply_affine(inv, apply_affine(a, pts)), pts, atol=1e-7)
    # a similarity: distances scale by 256 / size
    q = apply_affine(a, pts)
    ratio = np.linalg.norm(q[0] - q[1]) / np.linalg.norm(pts[0] - pts[1])
    assert math.isclose(ratio, 256 / size, rel_tol=1e-9)
    assert np.sign(np.linalg.det(a[:, :2])) == (-1 if flip else 1)


def test_rotation_direction():
    # +90 degrees: a point right of the centre goes above it (counter-clockwise as displayed)
    a = crop_affine([0.0, 0.0], 2.0, 2, 90.0)
    np.testing.assert_allclose(apply_affine(a, [1.0, 0.0]), [0.5, -0.5], atol=1e-12)
    # flip: a point right of the centre goes left
    a = crop_affine([0.0, 0.0], 2.0, 2, 0.0, True)
    np.testing.assert_allclose(apply_affine(a, [1.0, 0.0]), [-0.5, 0.5], atol=1e-12)


def test_coord_map_through_actual_affine():
    cam = Camera(1145.0, 1143.0, 512.5, 515.4)
    a = crop_affine([480.0, 400.0], 300.0, 256, 15.0, True)
    cm = cam.coord_map(a, 256, 64)
    assert cm.shape == (2, 64, 64)
    inv = invert_affine(a)
    # cell (i=10, j=20): centre at input pixel ((20+0.5)*4-0.5, (10+0.5)*4-0.5)
    src = inv[:, :2] @ np.array([81.5, 41.5]) + inv[:, 2]
    np.testing.assert_allclose(cm[:, 10, 20], cam.normalize(src), atol=1e-12)
    # a batch of affines gives a batch of maps
    b = crop_affine(np.array([[480.0, 400.0], [300.0, 300.0]]), np.array([300.0, 200.0]), 256)
    cmb = coord_map(torch.from_numpy(b), 256, 64, 1145.0, 1143.0, 512.5, 515.4)
    assert cmb.shape == (2, 2, 64, 64)
    assert torch.allclose(cmb[0], torch.from_numpy(coord_map(b[0], 256, 64, 1145.0, 1143.0, 512.5, 515.4)))


def test_identity_framing_coord_map_is_the_pixel_grid():
    cam = Camera(100.0, 100.0, 31.5, 31.5)
    a = crop_affine([31.5, 31.5], 64.0, 64)
    np.testing.assert_allclose(a, [[1, 0, 0], [0, 1, 0]], atol=1e-12)
    cm = cam.coord_map(a, 64, 64)
    g = pixel_grid(64, 64, dtype=torch.float64).numpy()
    np.testing.assert_allclose(cm, (g - 31.5) / 100.0, atol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match="fx"):
        Camera(0.0, 100.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="fy"):
        Camera(100.0, -1.0, 0.0, 0.0)
    with pytest.raises(TypeError, match="cx"):
        Camera(100.0, 100.0, "a", 0.0)
    cam = Camera(100.0, 100.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"points_mm: expected shape \[..., 3\]"):
        cam.project(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="Z > 0"):
        cam.project(np.array([0.0, 0.0, -5.0]))
    with pytest.raises(ValueError, match="depth_mm"):
        cam.backproject(np.zeros(2), -1.0)
    with pytest.raises(ValueError, match="depth_mm"):
        cam.backproject(np.zeros((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="uv_px"):
        cam.normalize(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="depth_mm"):
        focal_normalized_depth(0.0, 100.0, 100.0)
    with pytest.raises(ValueError, match="fx"):
        focal_normalized_depth(1.0, 0.0, 100.0)
    with pytest.raises(ValueError, match="size"):
        crop_affine([0.0, 0.0], 0.0, 64)
    with pytest.raises(ValueError, match="output_size"):
        crop_affine([0.0, 0.0], 10.0, (0, 64))
    with pytest.raises(ValueError, match="singular"):
        invert_affine(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="radial"):
        Camera(1.0, 1.0, 0.0, 0.0, radial=(1.0,))
    with pytest.raises(ValueError, match="uniform downscale"):
        cam.coord_map(crop_affine([0.0, 0.0], 10.0, 64), (256, 256), (64, 32))


# ---------------------------------------------------------------------------- batched cameras
def _dense_project(X, fx, fy, cx, cy, k, p):
    x = _h36m_distort(X, k, p)
    return np.stack([fx * x[:, 0] + cx, fy * x[:, 1] + cy], 1)


def test_cameras_project_each_row_with_its_own_camera():
    from hdnet.camera import Cameras, as_cameras
    cams = [Camera(1145.0, 1144.0, 512.5, 515.5, radial=(-0.2, 0.24, -0.0017), tangential=(-0.0009, -0.0002)),
            Camera(1500.0, 1490.0, 960.0, 540.0),                              # no distortion at all
            Camera(900.0, 900.0, 320.0, 240.0, tangential=(0.001, -0.002)),    # tangential only
            Camera(800.0, 810.0, 300.0, 200.0, radial=(0.05, 0.01))]           # (k1, k2) only
    batch = as_cameras(cams)
    assert isinstance(batch, Cameras) and len(batch) == 4 and batch.distortion.shape == (4, 8)
    pts = np.random.default_rng(0).uniform([-800, -600, 2000], [800, 600, 6000], (4, 7, 3))
    uv = batch.project(torch.from_numpy(pts)).numpy()
    for i, c in enumerate(cams):  # against the formula written out, camera by camera
        k = c.radial or (0.0, 0.0, 0.0)
        p = c.tangential or (0.0, 0.0)
        np.testing.assert_allclose(uv[i], _dense_project(pts[i], c.fx, c.fy, c.cx, c.cy, k, p), atol=1e-8)
    rays = batch.to_rays(torch.from_numpy(uv)).numpy()
    np.testing.assert_allclose(rays, pts[..., :2] / pts[..., 2:], atol=1e-9)
    back = batch.backproject(torch.from_numpy(uv), torch.from_numpy(pts[..., 2])).numpy()
    np.testing.assert_allclose(back, pts, atol=1e-5)
    assert batch.camera(2) == cams[2] and batch[1:3].camera(0) == cams[1]


def test_as_cameras_forms_and_errors():
    from hdnet.camera import Cameras, as_cameras
    one = Camera(1000.0, 1000.0, 500.0, 400.0)
    assert len(as_cameras(one, 5)) == 5
    k = torch.tensor([[1000.0, 1000.0, 500.0, 400.0], [900.0, 900.0, 320.0, 240.0]])
    c = as_cameras(k, distortion=torch.tensor([[0.1, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    assert c.dtype == torch.float32 and c.radial[0, 0] == pytest.approx(0.1) and c.tangential.abs().sum() == 0
    assert as_cameras(c, dtype=torch.float64).dtype == torch.float64
    with pytest.raises(ValueError, match="cameras: 2 cameras for 3 rows"):
        as_cameras(c, 3)
    with pytest.raises(TypeError, match="cameras: expected a Camera"):
        as_cameras("cam")
    with pytest.raises(ValueError, match=r"intrinsics: expected \[N, 4\]"):
        Cameras(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="focal lengths must be > 0"):
        Cameras(torch.tensor([[0.0, 1.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="intrinsics: non-finite"):
        Cameras(torch.tensor([[1.0, 1.0, float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="distortion: non-finite"):
        Cameras(k, torch.tensor([[float("nan"), 0.0, 0.0], [0.0, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="uv_px: 3 rows for 2 cameras"):
        c.to_rays(torch.zeros(3, 5, 2))


def test_as_cameras_reads_camera_matrices_and_dicts():
    """OpenCV's ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``, one or ``[N, 3, 3]``, and a dict as
    :meth:`Camera.from_dict` reads it, give the cameras written out by hand."""
    from hdnet.camera import as_cameras
    k = np.array([[1000.0, 0.0, 500.0], [0.0, 1100.0, 400.0], [0.0, 0.0, 1.0]])
    torch.testing.assert_close(as_cameras(k, 3).intrinsics, torch.tensor([[1000.0, 1100.0, 500.0, 400.0]] * 3,
                                                                         dtype=torch.float64))
    two = torch.tensor(np.stack([k, [[900, 0, 320], [0, 900, 240], [0, 0, 1]]]), dtype=torch.float32)
    got = as_cameras(two)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got.intrinsics, torch.tensor([[1000.0, 1100.0, 500.0, 400.0], [900.0, 900.0, 320.0,
                                                                                                 240.0]]))
    assert as_cameras(k.astype(np.int64)).intrinsics.dtype == torch.float64
    torch.testing.assert_close(as_cameras({"fx": 1000.0, "fy": 1100.0, "cx": 500.0, "cy": 400.0}, 2).intrinsics,
                               as_cameras(k, 2).intrinsics)
    skew, row, negative = k.copy(), k.copy(), k.copy()
    skew[0, 1], row[2, 2], negative[0, 0] = 2.0, 2.0, -1000.0
    for bad, says in ((skew, "no skew"), (row, "no skew"), (np.stack([k, skew]), "for camera 1"),
                      (k.T, "written column by column, as ARKit's simd_float3x3 and GLM store it: give its transpose"),
                      (np.zeros((1, 2, 3, 3)), r"\[3, 3\] or \[N, 3, 3\]"), (negative, "focal lengths must be > 0")):
        with pytest.raises(ValueError, match=says):
            as_cameras(bad)
    with pytest.raises(ValueError, match="K: .* give its transpose"):  # the same from a file's dictionary
        as_cameras({"K": k.T.tolist()})
    with pytest.raises(ValueError, match=r"no skew\), got \[\[1000.0, 2.0") as err:
        as_cameras(skew)
    assert "transpose" not in str(err.value)  # only where the transpose is a camera
    with pytest.raises(ValueError, match="cam: missing"):
        as_cameras({"fx": 1.0}, what="cam")
    with pytest.raises(TypeError, match="camera matrices of numbers"):
        as_cameras(torch.ones(3, 3, dtype=torch.bool))


def test_lens_that_folds_back_is_refused_not_inverted():
    cam = Camera(1000.0, 1000.0, 500.0, 500.0, radial=(-10.0, 0.0, 0.0))  # folds at r = 0.18
    np.testing.assert_allclose(cam.distort(cam.undistort(np.array([[520.0, 500.0]]))), [[520.0, 500.0]])
    with pytest.raises(ValueError, match="cannot be undone at 1 of 2 points"):
        cam.to_rays(np.array([[520.0, 500.0], [900.0, 900.0]]))
    # k1 = 1e6 is monotonic, so invertible, but would shrink the corner's ray 55x: refused
    strong = Camera(1000.0, 1000.0, 500.0, 500.0, radial=(1e6, 0.0, 0.0))
    with pytest.raises(ValueError, match="more than 10x"):
        strong.to_rays(np.array([[900.0, 900.0]]))
    # a strong real pincushion (about 1.4x at the corner) is inverted exactly
    pincushion = Camera(1000.0, 1000.0, 500.0, 500.0, radial=(2.0, 0.0, 0.0))
    ray = pincushion.to_rays(np.array([[900.0, 900.0]]))
    np.testing.assert_allclose(distort_normalized(ray, (2.0, 0.0, 0.0)), [[0.4, 0.4]], rtol=1e-9)


def test_camera_values_are_checked_where_the_camera_is_made():
    with pytest.raises(ValueError, match="radial: expected a finite number"):
        Camera(1.0, 1.0, 0.0, 0.0, radial=(float("nan"), 0.0, 0.0))
    with pytest.raises(TypeError, match="fx: expected a number"):
        Camera(True, 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="camera_matrix: expected a finite number"):  # as YAML reads 10**400
        Camera.from_dict({"camera_matrix": {"rows": 3, "cols": 3, "data": [10 ** 400, 0, 320, 0, 500, 240, 0, 0, 1]}})
    assert Camera.from_dict({"f": 1145.0, "c": [512.0, 515.0]}) == Camera(1145.0, 1145.0, 512.0, 515.0)
    assert Camera.from_dict({"f": [1145.0, 1144.0], "c": [512.0, 515.0], "k": [0.1, 0.0, 0.0]}).radial == (0.1, 0.0, 0.0)
    for bad, match in (({"f": [], "c": [1.0, 2.0]}, "cam.json: f: expected 1 or 2 numbers, got 0"),
                       ({"f": 100.0}, "'f' and 'c' go together"), ({"fx": 1.0}, r"missing \['fy', 'cx', 'cy'\]"),
                       ({"fx": True, "fy": 1.0, "cx": 0.0, "cy": 0.0}, "fx: expected a number"),
                       ([1, 2], "expected an object")):
        with pytest.raises(ValueError, match=match):
            Camera.from_dict(bad, "cam.json")


# ---------------------------------------------------------------------------- cameras from photos
def _jpeg(path, size=(400, 300), orientation=None, f35=None, f_mm=None, plane_res=None, unit=None, readout=None):
    from PIL import Image
    from PIL.TiffImagePlugin import IFDRational
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    ifd = exif.get_ifd(0x8769)
    for tag, value in ((0xA405, f35), (0x920A, f_mm), (0xA20E, plane_res), (0xA210, unit), (0xA002, readout)):
        if value is not None:
            ifd[tag] = IFDRational(*value) if isinstance(value, tuple) else value
    Image.new("RGB", size).save(path, exif=exif)
    return path


def test_camera_from_exif_35mm_equivalent_on_the_diagonal(tmp_path):
    # a phone's main camera: 26 mm equivalent; the diagonal of 36 x 24 mm is 43.2666 mm
    cam = Camera.from_exif(_jpeg(tmp_path / "a.jpg", (4032, 3024), f35=26))
    assert cam.fx == cam.fy == pytest.approx(26.0 * 5040.0 / 43.2666, rel=2e-3)
    assert (cam.cx, cam.cy) == (2015.5, 1511.5) and cam.radial is None
    # turned by 90 degrees (orientation 6): the image as shown is 3024 x 4032, the same focal length
    turned = Camera.from_exif(_jpeg(tmp_path / "b.jpg", (4032, 3024), orientation=6, f35=26))
    assert turned.fx == pytest.approx(cam.fx) and (turned.cx, turned.cy) == (1511.5, 2015.5)


def test_camera_from_exif_focal_and_sensor_resolution(tmp_path):
    # 4.2 mm lens, 1000 px per cm of sensor; the image is half the readout's width
    cam = Camera.from_exif(_jpeg(tmp_path / "a.jpg", (400, 300), f_mm=(42, 10), plane_res=(1000, 1), unit=3,
                                 readout=800))
    assert cam.fx == pytest.approx(4.2 * 100.0 * 0.5)
    from hdnet.camera import read_exif_focal
    assert read_exif_focal(tmp_path / "a.jpg").source == "focal-plane-resolution"


def test_camera_from_exif_refuses_what_it_cannot_know(tmp_path):
    with pytest.raises(ValueError, match="has no focal length; give the camera"):
        Camera.from_exif(_jpeg(tmp_path / "a.jpg"))
    with pytest.raises(ValueError, match="a focal length in mm but no sensor resolution"):
        Camera.from_exif(_jpeg(tmp_path / "b.jpg", f_mm=(50, 1)))
    with pytest.raises(ValueError, match="has no focal length"):  # a zero focal length is none
        Camera.from_exif(_jpeg(tmp_path / "c.jpg", f35=0))
    (tmp_path / "d.jpg").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="d.jpg.* is not an image file Pillow can read"):
        Camera.from_exif(tmp_path / "d.jpg")
    with pytest.raises(FileNotFoundError):
        Camera.from_exif(tmp_path / "none.jpg")


def test_field_of_view_cameras():
    from hdnet.camera import FOV_PRIOR_DEG, camera_from_fov, guess_camera
    cam = camera_from_fov(1920, 1080, 90.0)
    assert cam.fx == pytest.approx(960.0) and (cam.cx, cam.cy) == (959.5, 539.5)
    assert guess_camera(1920, 1080).fx == pytest.approx(camera_from_fov(1920, 1080, FOV_PRIOR_DEG).fx)
    assert guess_camera(1920, 1080, fov_deg=60.0).fx == pytest.approx(960.0 / np.tan(np.radians(30.0)))
    for bad in (0.5, 171.0, float("nan"), "60", True):
        with pytest.raises(ValueError, match="fov_deg"):
            camera_from_fov(100, 100, bad)
    with pytest.raises(ValueError, match="width"):
        camera_from_fov(0, 100, 60.0)
    with pytest.raises(ValueError, match="give one of them"):
        guess_camera(100, 100, focal_px=100.0, fov_deg=60.0)


def test_focal_lengths_outside_any_camera_are_refused():
    from hdnet.camera import Cameras
    for f in (1e-300, 1e300, 1e9):
        with pytest.raises(ValueError, match="fx"):
            Camera(f, 1000.0, 500.0, 500.0)
        with pytest.raises(ValueError, match="focal lengths outside"):
            Cameras(torch.tensor([[1000.0, 1000.0, 5.0, 5.0], [f, f, 5.0, 5.0]], dtype=torch.float64))
    assert Camera(1.0, 1.0, 0.0, 0.0).fx == 1.0  # a normalised camera is fine
