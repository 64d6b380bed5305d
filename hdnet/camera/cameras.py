"""Cameras as objects: :class:`Cameras` (N cameras as tensors, what every batched function takes)
and :class:`Camera` (one camera, the scalar front end with numpy in and out).

:func:`as_cameras` is the one adapter: a :class:`Camera`, a list of them, a :class:`Cameras`, or
intrinsics ``[N, 4]`` all become a :class:`Cameras`, checked once.

>>> import torch
>>> cams = Cameras(torch.tensor([[1000.0, 1000.0, 640.0, 360.0], [1500.0, 1500.0, 960.0, 540.0]]))
>>> cams.project(torch.tensor([[[0.0, 0.0, 2000.0]], [[100.0, 0.0, 3000.0]]])).tolist()
[[[640.0, 360.0]], [[1010.0, 540.0]]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..core.checks import as_tensor, is_tracing
from .functional import (
    ArrayLike,
    Points,
    _main,
    _out,
    _tangential_factor,
    backproject_points,
    coord_map,
    denormalize_points,
    depth_from_focal_normalized,
    distort_normalized,
    fisheye_angle,
    focal_normalized_depth,
    normalize_points,
    project_points,
    undistort_normalized,
)

__all__ = ["Camera", "Cameras", "as_cameras", "CameraLike", "FOCAL_RANGE_PX"]

#: Focal lengths a camera may have, in pixels: from normalised cameras (f = 1) with room below,
#: to far beyond any telephoto lens on any sensor; outside it a value is a unit mistake.
FOCAL_RANGE_PX = (1e-3, 1e8)


def _number(v, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__} {v!r}")
    try:
        f = float(v)
    except OverflowError:  # an integer past a float's range, as YAML reads 10**400
        f = math.inf
    if not math.isfinite(f):
        raise ValueError(f"{name}: expected a finite number, got {str(v)[:24]}")
    return f


def _coefficients(values, name: str, sizes: Tuple[int, ...]) -> Tuple[float, ...]:
    try:
        out = tuple(_number(v, name) for v in values)
    except TypeError:
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{name}: expected {sizes[-1]} numbers, got {values!r}") from None
        raise
    if len(out) not in sizes:
        raise ValueError(f"{name}: expected {' or '.join(map(str, sizes))} numbers, got {len(out)}")
    return out


#: Names lens models go by in calibration files, and the model of :data:`DISTORTION_MODELS` each
#: one is (ROS's ``plumb_bob`` and Kalibr's ``radtan`` are OpenCV's five coefficients).
DISTORTION_MODEL_NAMES = {"h36m": "h36m", "opencv": "opencv", "plumb_bob": "opencv", "radtan": "opencv",
                          "brown_conrady": "opencv", "rational_polynomial": "opencv", "fisheye": "fisheye",
                          "equidistant": "fisheye", "kannala_brandt": "fisheye", "opencv_fisheye": "fisheye"}
#: Lens models hdnet does not undo (other fisheye projections): named in the error instead of misread.
_OTHER_LENS_MODELS = ("omni", "double_sphere", "ds", "eucm", "fov", "atan")
#: Keys of an OpenCV camera matrix and of OpenCV's distortion vector ``(k1, k2, p1, p2[, k3[, k4,
#: k5, k6[, s1, s2, s3, s4[, tau_x, tau_y]]]])`` in the dictionaries :meth:`Camera.from_dict` reads.
_MATRIX_KEYS = ("camera_matrix", "cameraMatrix", "K", "intrinsic_matrix")
_OPENCV_KEYS = ("distortion_coefficients", "dist_coeffs", "distCoeffs", "D")
#: Every key that makes a dictionary one camera (rather than image names mapped to cameras).
CAMERA_KEYS = frozenset({"fx", "fy", "cx", "cy", "f", "c", "intrinsic", "radial", "tangential", "k", "p",
                         "distortion_model", *_MATRIX_KEYS, *_OPENCV_KEYS})


def _lens_model(name, what: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"{what}: distortion_model: expected a name such as 'plumb_bob', got {name!r}")
    key = name.lower()
    if key in DISTORTION_MODEL_NAMES:
        return DISTORTION_MODEL_NAMES[key]
    if key in _OTHER_LENS_MODELS:
        raise ValueError(f"{what}: distortion_model {name!r} is a fisheye model hdnet does not undo (it undoes "
                         "OpenCV's fisheye, Kannala-Brandt's 'equidistant'); undistort the keypoints with it first "
                         "and give the pinhole camera")
    raise ValueError(f"{what}: distortion_model: expected one of {sorted(DISTORTION_MODEL_NAMES)}, got {name!r}")


def _matrix_numbers(value, what: str) -> list:
    """The numbers of a matrix as written in calibration files: nested lists, a flat list, or
    OpenCV's / ROS's ``{"rows", "cols", "data"}``."""
    if isinstance(value, dict):
        if "data" not in value:
            raise ValueError(f"{what}: expected a matrix with 'data' (OpenCV and ROS files), got keys {sorted(value)}")
        value = value["data"]
    try:
        flat = np.ravel(np.asarray(value, dtype=object)).tolist()
        return list(_coefficients(flat, what, (len(flat),))) if flat else []
    except (TypeError, ValueError) as e:  # ragged nesting, text: a file's content, so a ValueError
        raise ValueError(str(e) if str(e).startswith(what) else f"{what}: expected a matrix of numbers, got "
                         f"{value!r}") from None


def _transposed_hint(m: Sequence[float]) -> str:
    """A hint where a camera matrix's nine numbers (row by row) are the transpose of one: written
    column by column, as ARKit's ``simd_float3x3`` and GLM store it."""
    t = [m[3 * c + r] for r in range(3) for c in range(3)]
    if t[1] == 0.0 and t[3] == 0.0 and list(t[6:]) == [0.0, 0.0, 1.0] and t[2] != 0.0:
        return (" (that is a camera matrix written column by column, as ARKit's simd_float3x3 and GLM store it: "
                "give its transpose)")
    return ""


def _from_opencv(d: dict, what: str, fisheye: bool = False) -> Tuple[Tuple[float, float, float, float],
                                                                     Optional[Tuple[float, ...]],
                                                                     Optional[Tuple[float, float]]]:
    """``(fx, fy, cx, cy), radial, tangential`` from an OpenCV camera matrix and distortion vector
    (``fisheye``: ``cv2.fisheye``'s four coefficients ``(k1, k2, k3, k4)``)."""
    mkey = next((k for k in _MATRIX_KEYS if k in d), None)
    if mkey is None:
        raise ValueError(f"{what}: OpenCV distortion coefficients without a camera matrix (one of {list(_MATRIX_KEYS)})")
    m = _matrix_numbers(d[mkey], f"{what}: {mkey}")
    if len(m) != 9:
        raise ValueError(f"{what}: {mkey}: expected a 3x3 matrix (9 numbers), got {len(m)}")
    if m[1] != 0.0 or m[3] != 0.0 or m[6:] != [0.0, 0.0, 1.0]:
        raise ValueError(f"{what}: {mkey}: expected [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (no skew), got {m}"
                         + _transposed_hint(m))
    dkey = next((k for k in _OPENCV_KEYS if k in d), None)
    if dkey is None:
        return (m[0], m[4], m[2], m[5]), None, None
    c = _matrix_numbers(d[dkey], f"{what}: {dkey}")
    if fisheye:
        if len(c) not in (0, 4):
            raise ValueError(f"{what}: {dkey}: the fisheye model has 4 coefficients (k1, k2, k3, k4), got {len(c)}")
        return (m[0], m[4], m[2], m[5]), tuple(c) or None, None
    if len(c) not in (0, 4, 5, 8, 12, 14):
        raise ValueError(f"{what}: {dkey}: expected OpenCV's 4, 5, 8, 12 or 14 coefficients "
                         f"(k1, k2, p1, p2[, k3, ...]), got {len(c)}")
    if any(c[8:]):
        raise ValueError(f"{what}: {dkey}: the thin-prism and tilt terms (coefficients 9-{len(c)}) must be 0; "
                         "hdnet undoes OpenCV's model up to the rational terms (k1, k2, p1, p2, k3, k4, k5, k6)")
    c = c + [0.0] * (8 - len(c))
    return (m[0], m[4], m[2], m[5]), (c[0], c[1], c[4], c[5], c[6], c[7]), (c[2], c[3])


# ---------------------------------------------------------------------------- one camera
@dataclass(frozen=True)
class Camera:
    """A pinhole camera with optional lens distortion (see docs/camera.md).

    Args:
        fx, fy: focal lengths in pixels (finite, > 0).
        cx, cy: principal point in pixels (finite).
        radial: ``(k1, k2, k3)`` (or ``(k1, k2)``, or ``(k1, ..., k6)`` with OpenCV's rational
            terms) or None; tangential: ``(p1, p2)`` or None.
        distortion_model: ``"h36m"`` (Human3.6M's camera code, the default) or ``"opencv"``
            (OpenCV's ``(k1, k2, p1, p2, k3[, k4, k5, k6])`` as ``radial=(k1, k2, k3[, k4, k5,
            k6])``, ``tangential=(p1, p2)``); the two differ in the tangential term only
            (:func:`~hdnet.camera.distort_normalized`). ``"fisheye"``: OpenCV's fisheye model
            (Kannala-Brandt, ROS's and Kalibr's ``equidistant``) as ``radial=(k1, k2, k3, k4)``,
            no tangential terms; rays up to
            :data:`~hdnet.camera.functional.MAX_FISHEYE_ANGLE_DEG` from the axis are undone.

    Methods take and return numpy arrays (float64) or tensors, point by point; for many cameras
    at once use :class:`Cameras` (``camera.to_cameras()``).
    """

    fx: float
    fy: float
    cx: float
    cy: float
    radial: Optional[Tuple[float, ...]] = None
    tangential: Optional[Tuple[float, float]] = None
    distortion_model: str = "h36m"

    def __post_init__(self):
        _tangential_factor(self.distortion_model)  # a model it knows, or a ValueError naming it
        for name in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, name, _number(getattr(self, name), name))
        for name in ("fx", "fy"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: focal length must be > 0 px, got {getattr(self, name)}")
            if not FOCAL_RANGE_PX[0] <= getattr(self, name) <= FOCAL_RANGE_PX[1]:
                raise ValueError(f"{name}: a focal length of {getattr(self, name):g} px is outside "
                                 f"{FOCAL_RANGE_PX[0]:g}-{FOCAL_RANGE_PX[1]:g} px (a unit mistake?)")
        if self.distortion_model == "fisheye":
            if self.radial is not None:
                k = _coefficients(self.radial, "radial", (2, 3, 4, 6))
                if any(k[4:]):
                    raise ValueError(f"radial: the fisheye model has 4 coefficients (k1, k2, k3, k4), got {k}")
                object.__setattr__(self, "radial", (k + (0.0,) * 4)[:4])
            if self.tangential is not None:
                if any(_coefficients(self.tangential, "tangential", (2,))):
                    raise ValueError("tangential: the fisheye model has no tangential terms")
                object.__setattr__(self, "tangential", None)
        else:
            if self.radial is not None:
                k = _coefficients(self.radial, "radial", (2, 3, 6))
                k = k if any(k[3:]) else k[:3] + (0.0,) * (3 - len(k[:3]))  # (k1, k2, k3), or all six
                object.__setattr__(self, "radial", k)
            if self.tangential is not None:
                object.__setattr__(self, "tangential", _coefficients(self.tangential, "tangential", (2,)))

    @classmethod
    def from_dict(cls, d: dict, what: str = "camera") -> "Camera":
        """From ``{"fx", "fy", "cx", "cy"}`` (optional ``radial``/``k``, ``tangential``/``p``),
        ``{"f", "c"}`` (Human3.6M / RootNet style: ``f`` one number or ``[fx, fy]``, ``c``
        ``[cx, cy]``), ``{"intrinsic": [fx, fy, cx, cy]}`` (MuPoTS style) or OpenCV's
        ``{"camera_matrix" (or "K"): 3x3, "distortion_coefficients" (or "dist_coeffs", "D"):
        [k1, k2, p1, p2, k3]}`` (nested lists, flat lists or ``{"rows", "cols", "data"}`` as
        OpenCV and ROS write them). ``"distortion_model"`` says which model ``radial`` and
        ``tangential`` follow (``h36m`` unless said; OpenCV's coefficients are ``opencv``, and ROS's
        ``plumb_bob`` is the same). ``what`` names the source in errors (a file, a field)."""
        if not isinstance(d, dict):
            raise ValueError(f"{what}: expected an object with fx, fy, cx, cy (or f, c), got {type(d).__name__}")

        def numbers(key, sizes):
            try:
                return _coefficients(np.ravel(np.asarray(d[key], dtype=object)).tolist(), f"{what}: {key}", sizes)
            except (TypeError, ValueError) as e:
                raise ValueError(str(e)) from None
        model = _lens_model(d["distortion_model"], what) if "distortion_model" in d else None
        if any(k in d for k in _MATRIX_KEYS + _OPENCV_KEYS):
            if model == "h36m":
                raise ValueError(f"{what}: OpenCV's distortion coefficients follow OpenCV's model, not "
                                 "distortion_model 'h36m'")
            others = sorted(set(d) & (CAMERA_KEYS - {"distortion_model", *_MATRIX_KEYS, *_OPENCV_KEYS}))
            if others:
                raise ValueError(f"{what}: give the camera matrix or {others}, not both")
            (fx, fy, cx, cy), rad, tan = _from_opencv(d, what, fisheye=model == "fisheye")
            try:
                return cls(fx, fy, cx, cy, rad, tan, "fisheye" if model == "fisheye" else "opencv")
            except (TypeError, ValueError) as e:
                raise ValueError(f"{what}: {e}") from None
        if "intrinsic" in d:
            fx, fy, cx, cy = numbers("intrinsic", (4,))
        elif "f" in d or "c" in d:
            if "f" not in d or "c" not in d:
                raise ValueError(f"{what}: 'f' and 'c' go together (focal length and principal point)")
            f = numbers("f", (1, 2))
            (cx, cy), fx, fy = numbers("c", (2,)), f[0], f[-1]
        else:
            missing = [k for k in ("fx", "fy", "cx", "cy") if k not in d]
            if missing:
                raise ValueError(f"{what}: missing {missing}; expected fx, fy, cx, cy (or f and c, or intrinsic)")
            fx, fy, cx, cy = (numbers(k, (1,))[0] for k in ("fx", "fy", "cx", "cy"))
        radial = d.get("k", d.get("radial"))
        tangential = d.get("p", d.get("tangential"))
        try:
            sizes = (2, 3, 4, 6) if model == "fisheye" else (2, 3, 6)
            return cls(fx, fy, cx, cy, None if radial is None else numbers("k" if "k" in d else "radial", sizes),
                       None if tangential is None else numbers("p" if "p" in d else "tangential", (2,)),
                       model or "h36m")
        except (TypeError, ValueError) as e:
            msg = str(e)
            raise ValueError(msg if msg.startswith(what) else f"{what}: {msg}") from None

    @classmethod
    def from_exif(cls, path) -> "Camera":
        """The camera of a photo from its EXIF focal length (35 mm equivalent on the diagonal,
        or focal length with the sensor's resolution; :mod:`hdnet.camera.exif`), for the image as
        shown (EXIF orientation applied), principal point at its centre, no distortion.

        Raises:
            ValueError: the EXIF has no usable focal length (the message says what to pass).
        """
        from .exif import read_exif_focal
        e = read_exif_focal(path)
        return cls(e.focal_px, e.focal_px, (e.width - 1) / 2.0, (e.height - 1) / 2.0)

    def to_dict(self) -> dict:
        d: dict = {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy}
        if self.radial is not None:
            d["radial"] = list(self.radial)
        if self.tangential is not None:
            d["tangential"] = list(self.tangential)
        if self.distortion_model != "h36m":
            d["distortion_model"] = self.distortion_model
        return d

    def to_cameras(self, dtype: torch.dtype = torch.float64, device=None) -> "Cameras":
        """This camera as a batch of one."""
        return Cameras.from_list([self], dtype=dtype, device=device)

    @property
    def has_distortion(self) -> bool:
        """Whether the lens is not a pinhole's (a fisheye never is, coefficients or not)."""
        return self.radial is not None or self.tangential is not None or self.distortion_model == "fisheye"

    @property
    def K(self) -> np.ndarray:
        """The 3x3 intrinsic matrix."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1.0]])

    @property
    def focal_geometric_mean(self) -> float:
        """``sqrt(fx * fy)``, the scale of HDNet's focal-normalised depth."""
        return math.sqrt(self.fx * self.fy)

    def without_distortion(self) -> "Camera":
        return Camera(self.fx, self.fy, self.cx, self.cy)

    def project(self, points_mm: Points) -> Points:
        """Camera-space points ``[..., 3]`` (mm) to pixels ``[..., 2]``, distortion included."""
        return project_points(points_mm, self.fx, self.fy, self.cx, self.cy, self.radial, self.tangential,
                              self.distortion_model)

    def backproject(self, uv_px: Points, depth_mm: ArrayLike) -> Points:
        """Pixels ``[..., 2]`` (undistorted first) and depths ``[...]`` to points ``[..., 3]``."""
        return backproject_points(uv_px, depth_mm, self.fx, self.fy, self.cx, self.cy, self.radial, self.tangential,
                                  self.distortion_model)

    def normalize(self, uv_px: Points) -> Points:
        """Pixels to ``((u - cx) / fx, (v - cy) / fy)``; no undistortion (see :meth:`to_rays`)."""
        return normalize_points(uv_px, self.fx, self.fy, self.cx, self.cy)

    def to_rays(self, uv_px: Points) -> Points:
        """Pixels ``[..., 2]`` to undistorted normalised coordinates: the ``(X / Z, Y / Z)`` of the
        points they show."""
        xy = self.normalize(uv_px)
        if not self.has_distortion:
            return xy
        return undistort_normalized(xy, self.radial, self.tangential, distortion_model=self.distortion_model)

    def denormalize(self, xy_norm: Points) -> Points:
        return denormalize_points(xy_norm, self.fx, self.fy, self.cx, self.cy)

    def undistort(self, uv_px: Points) -> Points:
        """Distorted pixels ``[..., 2]`` to the pixels an ideal pinhole camera would see."""
        if not self.has_distortion:
            uv, np_out = _main(uv_px, "uv_px", 2)
            return _out(uv, np_out)
        return self.denormalize(self.to_rays(uv_px))

    def distort(self, uv_px: Points) -> Points:
        """Ideal pinhole pixels ``[..., 2]`` to distorted pixels (inverse of :meth:`undistort`)."""
        xy = self.normalize(uv_px)
        if self.has_distortion:
            xy = distort_normalized(xy, self.radial, self.tangential, self.distortion_model)
        return self.denormalize(xy)

    def depth_to_normalized(self, depth_mm: Points) -> Points:
        """``Z / sqrt(fx fy)``."""
        return focal_normalized_depth(depth_mm, self.fx, self.fy)

    def normalized_to_depth(self, d: Points) -> Points:
        """``d * sqrt(fx fy)`` (mm)."""
        return depth_from_focal_normalized(d, self.fx, self.fy)

    def coord_map(self, affine: ArrayLike, input_size: Union[int, Sequence[int]],
                  output_size: Union[int, Sequence[int]]) -> np.ndarray:
        """See :func:`hdnet.camera.coord_map`."""
        return coord_map(affine, input_size, output_size, self.fx, self.fy, self.cx, self.cy)

    def field_of_view(self, width: int, height: int) -> Tuple[float, float]:
        """``(horizontal, vertical)`` field of view in degrees of a ``width x height`` image, through
        the lens (the rays of the edges' midpoints, on the principal point's row and column).

        >>> [round(a, 2) for a in Camera(1000.0, 1000.0, 959.5, 539.5).field_of_view(1920, 1080)]
        [87.66, 56.74]
        """
        left, right, top, bottom = self.edge_angles(width, height)
        return right - left, bottom - top

    def edge_angles(self, width: int, height: int) -> Tuple[float, float, float, float]:
        """``(left, right, top, bottom)``: the angles in degrees, through the lens, of the rays of
        a ``width x height`` image's edges at the principal point's row and column, from the
        optical axis towards +x (right) and +y (down); a fisheye's may pass 90 degrees.

        >>> [round(a, 2) for a in Camera(1000.0, 1000.0, 959.5, 539.5).edge_angles(1920, 1080)]
        [-43.83, 43.83, -28.37, 28.37]
        """
        edges = np.array([[-0.5, self.cy], [width - 0.5, self.cy], [self.cx, -0.5], [self.cx, height - 0.5]])
        if self.distortion_model == "fisheye":  # rays may pass 90 degrees
            xd = torch.as_tensor(self.normalize(edges))
            rd = torch.linalg.vector_norm(xd, dim=-1)
            theta = fisheye_angle(rd, torch.as_tensor(self.radial or (0.0,) * 4, dtype=torch.float64)).numpy()
            side = np.sign(xd.numpy()[[0, 1, 2, 3], [0, 0, 1, 1]])  # which side of the axis each edge is on
            angle = theta * side
        else:
            rays = self.to_rays(edges)
            angle = np.arctan(rays[[0, 1, 2, 3], [0, 0, 1, 1]])
        left, right, top, bottom = (math.degrees(float(a)) for a in angle)
        return left, right, top, bottom

    def scaled(self, sx: float, sy: Optional[float] = None) -> "Camera":
        """The camera of the image resized by ``(sx, sy)`` (pixel-centre convention kept)."""
        sy = sx if sy is None else sy
        return Camera(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                      (self.cy + 0.5) * sy - 0.5, self.radial, self.tangential, self.distortion_model)


# ---------------------------------------------------------------------------- many cameras
class Cameras:
    r"""N pinhole cameras as tensors, on one device and dtype (kornia's camera model, with
    lens distortion).

    Args:
        intrinsics: ``[N, 4]`` as ``(fx, fy, cx, cy)`` in pixels (a ``[4]`` is one camera).
        distortion: ``[N, 8]`` as ``(k1, k2, k3, p1, p2, k4, k5, k6)`` (``k4..k6``: OpenCV's
            rational terms), or ``[N, 5]`` without them, or ``[N, 3]`` / ``[N, 2]`` radial terms
            only; None: no distortion. Stored as ``[N, 8]``, zeros where not given.
        distortion_model: the lens model of every camera, ``"h36m"``, ``"opencv"`` (they differ
            in the tangential terms only) or ``"fisheye"`` (:class:`Camera`; its ``(k1, k2, k3,
            k4)`` as ``[N, 4]``, kept in the k1, k2, k3, k4 places of ``[N, 8]``).

    Points are batched along the first axis, one camera per row: ``[N, ..., D]`` (a batch of
    one camera serves any N). Methods keep the points' device; the cameras follow them.

    Raises:
        TypeError, ValueError: intrinsics or distortion of the wrong shape, non-finite values, or
            focal lengths that are not > 0.
    """

    def __init__(self, intrinsics, distortion=None, distortion_model: str = "h36m"):
        _tangential_factor(distortion_model)
        k = as_tensor(intrinsics)
        if not k.is_floating_point():
            k = k.to(torch.float64)
        if k.dim() == 1:
            k = k[None]
        if k.dim() != 2 or k.shape[-1] != 4:
            raise ValueError(f"intrinsics: expected [N, 4] (fx, fy, cx, cy), got {tuple(k.shape)}")
        n = k.shape[0]
        if distortion is None:
            d = k.new_zeros(n, 8)
        else:
            d = as_tensor(distortion).to(device=k.device, dtype=k.dtype)
            if d.dim() == 1:
                d = d[None]
            if distortion_model == "fisheye" and d.dim() == 2 and d.shape[0] == n and d.shape[1] == 4:
                d = torch.cat([d[:, :3], d.new_zeros(n, 2), d[:, 3:], d.new_zeros(n, 2)], 1)  # k1..k4 in place
            if d.dim() != 2 or d.shape[0] != n or d.shape[1] not in (2, 3, 5, 8):
                raise ValueError(f"distortion: expected [{n}, 8] (k1, k2, k3, p1, p2, k4, k5, k6), [{n}, 5] or "
                                 f"[{n}, 3] radial terms, got {tuple(d.shape)}")
            d = torch.cat([d, d.new_zeros(n, 8 - d.shape[1])], 1)
            if distortion_model == "fisheye" and not is_tracing() and bool((d[:, [3, 4, 6, 7]] != 0).any()):
                raise ValueError("distortion: the fisheye model's cameras have four terms (k1, k2, k3, k4; as [N, 4], "
                                 "or in the k1, k2, k3, k4 places of [N, 8]), no tangential or further terms")
        if not is_tracing() and n:
            if not bool(torch.isfinite(k).all()):
                rows = (~torch.isfinite(k)).any(1).nonzero().flatten().tolist()
                raise ValueError(f"intrinsics: non-finite values for cameras {rows[:10]}")
            if not bool((k[:, :2] > 0).all()):
                rows = (k[:, :2] <= 0).any(1).nonzero().flatten().tolist()
                raise ValueError(f"intrinsics: focal lengths must be > 0 (cameras {rows[:10]})")
            odd = (k[:, :2] < FOCAL_RANGE_PX[0]) | (k[:, :2] > FOCAL_RANGE_PX[1])
            if bool(odd.any()):
                rows = odd.any(1).nonzero().flatten().tolist()
                raise ValueError(f"intrinsics: focal lengths outside {FOCAL_RANGE_PX[0]:g}-{FOCAL_RANGE_PX[1]:g} px "
                                 f"(cameras {rows[:10]}; a unit mistake?)")
            if not bool(torch.isfinite(d).all()):
                rows = (~torch.isfinite(d)).any(1).nonzero().flatten().tolist()
                raise ValueError(f"distortion: non-finite coefficients for cameras {rows[:10]}")
        self.intrinsics = k
        self.distortion = d
        self.distortion_model = distortion_model

    @classmethod
    def from_list(cls, cameras: Sequence[Camera], dtype: torch.dtype = torch.float64, device=None) -> "Cameras":
        """Stack scalar cameras; a missing radial or tangential part is zeros. Cameras with
        tangential terms must share one lens model (the others have none to differ in), and
        fisheye cameras go with fisheye cameras only."""
        cams = list(cameras)
        bad = [i for i, c in enumerate(cams) if not isinstance(c, Camera)]
        if bad:
            raise TypeError(f"cameras: expected hdnet Camera objects, got {type(cams[bad[0]]).__name__} at {bad[0]}")
        fisheye = [c.distortion_model == "fisheye" for c in cams]
        if any(fisheye) and not all(fisheye):  # a pinhole camera in a fisheye batch would be read as one
            raise ValueError(f"cameras: fisheye cameras ({fisheye.count(True)}) and others in one batch; make one "
                             "Cameras per lens model")
        models = sorted({c.distortion_model for c in cams if c.tangential is not None and any(c.tangential)}
                        | ({"fisheye"} if any(fisheye) else set()))
        if len(models) > 1:
            raise ValueError(f"cameras: lens models {models} in one batch; make one Cameras per model")
        k = torch.tensor([[c.fx, c.fy, c.cx, c.cy] for c in cams], dtype=dtype, device=device).reshape(-1, 4)
        def row(c: Camera) -> list:
            k = list(c.radial or ()) + [0.0] * (6 - len(c.radial or ()))
            return k[:3] + list(c.tangential or (0.0, 0.0)) + k[3:]
        d = torch.tensor([row(c) for c in cams], dtype=dtype, device=device).reshape(-1, 8)
        return cls(k, d, models[0] if models else "h36m")

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return self.intrinsics.shape[0]

    def __getitem__(self, index) -> "Cameras":
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return Cameras(self.intrinsics[index], self.distortion[index], self.distortion_model)

    def __repr__(self) -> str:
        model = f", distortion_model={self.distortion_model!r}" if self.distortion_model != "h36m" else ""
        return (f"Cameras(n={len(self)}, dtype={self.dtype}, device={self.device}, "
                f"distortion={self.has_distortion}{model})")

    @property
    def dtype(self) -> torch.dtype:
        return self.intrinsics.dtype

    @property
    def device(self) -> torch.device:
        return self.intrinsics.device

    fx = property(lambda self: self.intrinsics[:, 0], doc="``[N]`` focal lengths along x (px)")
    fy = property(lambda self: self.intrinsics[:, 1], doc="``[N]`` focal lengths along y (px)")
    cx = property(lambda self: self.intrinsics[:, 2], doc="``[N]`` principal points, x (px)")
    cy = property(lambda self: self.intrinsics[:, 3], doc="``[N]`` principal points, y (px)")
    radial = property(lambda self: self.distortion[:, :3], doc="``[N, 3]`` (k1, k2, k3)")
    tangential = property(lambda self: self.distortion[:, 3:5], doc="``[N, 2]`` (p1, p2)")
    rational = property(lambda self: self.distortion[:, 5:], doc="``[N, 3]`` (k4, k5, k6): OpenCV's rational terms")

    @property
    def has_distortion(self) -> bool:
        """Whether the lenses are not a pinhole's (a fisheye never is, coefficients or not)."""
        return self.distortion_model == "fisheye" or bool((self.distortion != 0).any())

    def focal_geometric_mean(self) -> Tensor:
        """``sqrt(fx fy)`` per camera ``[N]``."""
        return torch.sqrt(self.fx * self.fy)

    def to(self, device=None, dtype: Optional[torch.dtype] = None) -> "Cameras":
        return Cameras(self.intrinsics.to(device=device, dtype=dtype), self.distortion.to(device=device, dtype=dtype),
                       self.distortion_model)

    def expand(self, n: int) -> "Cameras":
        """``n`` cameras: itself, or one camera repeated."""
        if len(self) == n:
            return self
        if len(self) != 1:
            raise ValueError(f"cameras: {len(self)} cameras cannot serve {n} rows")
        return Cameras(self.intrinsics.expand(n, 4), self.distortion.expand(n, 8), self.distortion_model)

    def camera(self, i: int) -> Camera:
        """Camera ``i`` as a scalar :class:`Camera`."""
        fx, fy, cx, cy = (float(v) for v in self.intrinsics[i])
        d = [float(v) for v in self.distortion[i]]
        radial = tuple(d[:3] + d[5:]) if any(d[:3] + d[5:]) else None
        return Camera(fx, fy, cx, cy, radial, (d[3], d[4]) if any(d[3:5]) else None, self.distortion_model)

    # ------------------------------------------------------------------ geometry
    def _per_row(self, points: Tensor, name: str, last: int) -> Tuple[Tensor, int]:
        if not torch.is_tensor(points) or points.dim() < 2 or points.shape[-1] != last:
            shape = tuple(points.shape) if torch.is_tensor(points) else type(points).__name__
            raise ValueError(f"{name}: expected a tensor [N, ..., {last}], got {shape}")
        n = points.shape[0]
        if len(self) not in (1, n):
            raise ValueError(f"{name}: {n} rows for {len(self)} cameras (one camera per row along the first axis)")
        return points, points.dim() - 2

    def _col(self, t: Tensor, like: Tensor, extra: int) -> Tensor:
        return t.to(device=like.device, dtype=like.dtype).reshape(-1, *([1] * extra))

    def _params(self, like: Tensor, extra: int):
        return [self._col(self.intrinsics[:, i], like, extra) for i in range(4)]

    def _lens(self, like: Tensor, extra: int) -> Tuple[Tensor, Tensor]:
        """``(radial [N, ..., 6] (k1..k6), tangential [N, ..., 2])`` broadcast like ``like``."""
        d = self.distortion.to(device=like.device, dtype=like.dtype).reshape(-1, *([1] * extra), 8)
        return torch.cat([d[..., :3], d[..., 5:]], -1), d[..., 3:5]

    def normalize(self, uv_px: Tensor) -> Tensor:
        """Pixels ``[N, ..., 2]`` to ``((u - cx) / fx, (v - cy) / fy)`` (no undistortion)."""
        uv, extra = self._per_row(uv_px, "uv_px", 2)
        return normalize_points(uv, *self._params(uv, extra))

    def to_rays(self, uv_px: Tensor) -> Tensor:
        """Pixels ``[N, ..., 2]`` to undistorted normalised coordinates ``(X / Z, Y / Z)``."""
        uv, extra = self._per_row(uv_px, "uv_px", 2)
        xy = normalize_points(uv, *self._params(uv, extra))
        if not self.has_distortion:
            return xy
        return undistort_normalized(xy, *self._lens(uv, extra), distortion_model=self.distortion_model)

    def project(self, points_mm: Tensor) -> Tensor:
        """Camera-space points ``[N, ..., 3]`` (mm, Z > 0) to pixels ``[N, ..., 2]``."""
        pts, extra = self._per_row(points_mm, "points_mm", 3)
        fx, fy, cx, cy = self._params(pts, extra)
        if self.has_distortion:
            radial, tangential = self._lens(pts, extra)
            return project_points(pts, fx, fy, cx, cy, radial, tangential, self.distortion_model)
        return project_points(pts, fx, fy, cx, cy)

    def backproject(self, uv_px: Tensor, depth_mm: Tensor) -> Tensor:
        """Pixels ``[N, ..., 2]`` and depths ``[N, ...]`` (mm, > 0) to points ``[N, ..., 3]``."""
        xy = self.to_rays(uv_px)
        z = torch.as_tensor(depth_mm, dtype=xy.dtype, device=xy.device)
        if z.shape != xy.shape[:-1]:
            raise ValueError(f"depth_mm: expected {tuple(xy.shape[:-1])} (one depth per point), got {tuple(z.shape)}")
        if z.numel() and not is_tracing() and not bool(((z > 0) & torch.isfinite(z)).all()):
            raise ValueError("depth_mm: expected finite depths > 0")
        return torch.cat([xy * z[..., None], z[..., None]], -1)


CameraLike = Union[Camera, Sequence[Camera], Cameras, Tensor, np.ndarray, dict]


def _intrinsics_of_matrices(k: Tensor, what: str) -> Tensor:
    """Camera matrices ``[3, 3]`` or ``[N, 3, 3]`` as intrinsics ``[N, 4]``; a matrix with skew
    or another last row is refused, naming ``what``."""
    if k.ndim not in (2, 3):
        raise ValueError(f"{what}: camera matrices are [3, 3] or [N, 3, 3], got {tuple(k.shape)}")
    if not (torch.is_floating_point(k) or k.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"{what}: expected camera matrices of numbers, got {k.dtype}")
    m = k.reshape(-1, 3, 3).to(torch.float64 if k.dtype in (torch.int32, torch.int64) else k.dtype)
    form = (m[:, 0, 1] == 0) & (m[:, 1, 0] == 0) & (m[:, 2] == m.new_tensor([0.0, 0.0, 1.0])).all(-1)
    if not form.all():
        bad = int(torch.nonzero(~form)[0])
        raise ValueError(f"{what}: expected camera matrices [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] (no skew), got "
                         f"{m[bad].tolist()}" + (f" for camera {bad}" if k.ndim == 3 else "")
                         + _transposed_hint(m[bad].reshape(-1).tolist()))
    return torch.stack([m[:, 0, 0], m[:, 1, 1], m[:, 0, 2], m[:, 1, 2]], 1)


def as_cameras(cameras: CameraLike, n: Optional[int] = None, *, distortion=None,
               dtype: Optional[torch.dtype] = None, device=None, what: str = "cameras") -> Cameras:
    """The one adapter from what users hold to :class:`Cameras`: a :class:`Camera` (for all), a
    sequence of cameras (one per row), a :class:`Cameras`, a dict as :meth:`Camera.from_dict`
    reads it (for all), intrinsics ``[N, 4]`` with optional
    ``distortion [N, 8]`` (or ``[N, 5]``, ``[N, 3]``), or camera matrices ``K``: ``[3, 3]`` (for
    all) or ``[N, 3, 3]``, as OpenCV writes them (``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``). With
    ``n``, one camera is repeated to ``n`` and any other count is an error naming ``what``.

    >>> as_cameras(np.array([[1000.0, 0, 640], [0, 1000.0, 360], [0, 0, 1]]), 2).intrinsics
    tensor([[1000., 1000.,  640.,  360.],
            [1000., 1000.,  640.,  360.]], dtype=torch.float64)
    """
    if isinstance(cameras, Cameras):
        out = cameras if distortion is None else Cameras(cameras.intrinsics, distortion, cameras.distortion_model)
    elif isinstance(cameras, Camera):
        out = Cameras.from_list([cameras])
    elif isinstance(cameras, dict):
        out = Cameras.from_list([Camera.from_dict(cameras, what)])
    elif torch.is_tensor(cameras) or isinstance(cameras, np.ndarray):
        k = torch.as_tensor(cameras)
        out = Cameras(_intrinsics_of_matrices(k, what) if k.shape[-2:] == (3, 3) else k, distortion)
    elif isinstance(cameras, (list, tuple)) and all(isinstance(c, Camera) for c in cameras):
        if not cameras:
            raise ValueError(f"{what}: an empty list of cameras")
        out = Cameras.from_list(cameras)
    else:
        raise TypeError(f"{what}: expected a Camera, a list of Cameras, a Cameras, a dict (Camera.from_dict), "
                        f"intrinsics [N, 4] or camera matrices [3, 3] / [N, 3, 3], got {type(cameras).__name__}")
    if n is not None and len(out) != n:
        if len(out) != 1:
            raise ValueError(f"{what}: {len(out)} cameras for {n} rows; give one camera or one per row")
        out = out.expand(n)
    if dtype is not None or device is not None:
        out = out.to(device=device, dtype=dtype)
    return out
