"""Camera geometry: pinhole projection with Human3.6M distortion, crop affines and coord maps.

Conventions (see docs/camera.md):

- 3D points are camera coordinates in millimetres: X right, Y down, Z forward (Z > 0).
- Image points are pixels ``(u, v)``; **pixel centres lie on integer coordinates**, so an image
  of width W spans ``[-0.5, W - 0.5]`` (the OpenCV convention).
- Normalised camera coordinates (``*_norm``) are ``((u - cx) / fx, (v - cy) / fy)``, i.e. the
  point ``(X / Z, Y / Z)`` of an undistorted pinhole camera.
- Distortion follows Human3.6M's camera model: with ``x, y`` normalised, ``r2 = x^2 + y^2``,
  ``R = 1 + k1 r2 + k2 r2^2 + k3 r2^3`` and ``T = p1 y + p2 x``, the distorted point is
  ``(x (R + T) + p2 r2, y (R + T) + p1 r2)``. (This is not OpenCV's tangential model.)
- Affines are ``[..., 2, 3]`` matrices acting on ``(u, v, 1)`` column vectors.

Every function takes numpy arrays or torch tensors. Torch input stays torch (and
differentiable); numpy input is computed in float64 and returned as numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import torch

__all__ = [
    "Camera", "normalize_points", "denormalize_points", "project_points", "backproject_points",
    "distort_normalized", "undistort_normalized", "focal_normalized_depth",
    "depth_from_focal_normalized", "crop_affine", "invert_affine", "apply_affine", "pixel_grid",
    "coord_map", "guess_camera", "fit_camera",
]

ArrayLike = Union[np.ndarray, torch.Tensor, float, Sequence[float]]
#: Points in, points out of the same kind: numpy arrays give numpy arrays (float64), tensors give
#: tensors (same dtype and device, differentiable). Nested lists are read as numpy.
Points = TypeVar("Points", np.ndarray, torch.Tensor)
Scalar = Union[float, np.ndarray, torch.Tensor]


# ---------------------------------------------------------------------------- array helpers
def _as_tensor(x, like: Optional[torch.Tensor] = None) -> torch.Tensor:
    if torch.is_tensor(x):
        if like is not None and (x.dtype != like.dtype or x.device != like.device):
            return x.to(dtype=like.dtype, device=like.device)
        return x
    arr = np.asarray(x, dtype=np.float64)
    if like is not None:
        return torch.as_tensor(arr, dtype=like.dtype, device=like.device)
    return torch.from_numpy(arr)


def _main(x, name: str, last: Optional[int] = None) -> Tuple[torch.Tensor, bool]:
    """``x`` as a floating tensor, and whether the caller gave numpy (or lists)."""
    to_numpy = not torch.is_tensor(x)
    t = _as_tensor(x)
    if not t.is_floating_point():
        t = t.double() if to_numpy else t.float()
    if last is not None and (t.dim() < 1 or t.shape[-1] != last):
        raise ValueError(f"{name}: expected shape [..., {last}], got {tuple(t.shape)}")
    return t, to_numpy


def _out(t: torch.Tensor, to_numpy: bool):
    return t.detach().cpu().numpy() if to_numpy else t


def _positive(t: torch.Tensor, name: str) -> None:
    if not torch.all(torch.isfinite(t)) or not torch.all(t > 0):
        raise ValueError(f"{name}: expected finite values > 0, got {t.detach().cpu().flatten()[:8].tolist()}")


def _intrinsics(like: torch.Tensor, fx, fy, cx, cy) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    fx, fy = _as_tensor(fx, like), _as_tensor(fy, like)
    _positive(fx, "fx")
    _positive(fy, "fy")
    return fx, fy, _as_tensor(cx, like), _as_tensor(cy, like)


# ---------------------------------------------------------------------------- pinhole
def normalize_points(uv_px: Points, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar) -> Points:
    """Pixels to normalised camera coordinates, ``((u - cx) / fx, (v - cy) / fy)``.

    Args:
        uv_px: ``[..., 2]`` pixel coordinates.
        fx, fy, cx, cy: scalars or arrays broadcastable to ``[...]``.

    Returns:
        ``[..., 2]`` normalised coordinates (no undistortion: see :func:`undistort_normalized`).
    """
    uv, np_out = _main(uv_px, "uv_px", 2)
    f_x, f_y, c_x, c_y = _intrinsics(uv, fx, fy, cx, cy)
    out = torch.stack([(uv[..., 0] - c_x) / f_x, (uv[..., 1] - c_y) / f_y], dim=-1)
    return _out(out, np_out)


def denormalize_points(xy_norm: Points, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar) -> Points:
    """Normalised camera coordinates ``[..., 2]`` to pixels, ``(fx x + cx, fy y + cy)``."""
    xy, np_out = _main(xy_norm, "xy_norm", 2)
    f_x, f_y, c_x, c_y = _intrinsics(xy, fx, fy, cx, cy)
    out = torch.stack([xy[..., 0] * f_x + c_x, xy[..., 1] * f_y + c_y], dim=-1)
    return _out(out, np_out)


def _distortion(like, radial, tangential):
    k = _as_tensor([0.0, 0.0, 0.0] if radial is None else radial, like)
    p = _as_tensor([0.0, 0.0] if tangential is None else tangential, like)
    if k.shape[-1:] == (2,):  # (k1, k2) given: k3 = 0
        k = torch.cat([k, torch.zeros_like(k[..., :1])], dim=-1)
    if k.shape[-1:] != (3,):
        raise ValueError(f"radial: expected (k1, k2, k3), got shape {tuple(k.shape)}")
    if p.shape[-1:] != (2,):
        raise ValueError(f"tangential: expected (p1, p2), got shape {tuple(p.shape)}")
    return k, p


def distort_normalized(xy_norm: Points, radial: Optional[ArrayLike] = None,
                       tangential: Optional[ArrayLike] = None) -> Points:
    """Apply Human3.6M lens distortion to normalised coordinates ``[..., 2]``.

    ``(x, y) -> (x (R + T) + p2 r2, y (R + T) + p1 r2)`` with ``r2 = x^2 + y^2``,
    ``R = 1 + k1 r2 + k2 r2^2 + k3 r2^3``, ``T = p1 y + p2 x``.

    Args:
        xy_norm: ``[..., 2]`` undistorted normalised coordinates.
        radial: ``(k1, k2, k3)`` (or ``(k1, k2)``); tangential: ``(p1, p2)``; batched
            parameters broadcast as ``[..., 3]`` / ``[..., 2]``.
    """
    xy, np_out = _main(xy_norm, "xy_norm", 2)
    k, p = _distortion(xy, radial, tangential)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    rad = 1 + r2 * (k[..., 0] + r2 * (k[..., 1] + r2 * k[..., 2]))
    tan = p[..., 0] * y + p[..., 1] * x
    out = torch.stack([x * (rad + tan) + p[..., 1] * r2, y * (rad + tan) + p[..., 0] * r2], -1)
    return _out(out, np_out)


def undistort_normalized(xy_distorted, radial=None, tangential=None, iterations: int = 20,
                         tol: float = 1e-12):
    """Invert :func:`distort_normalized` by Newton's method (analytic 2x2 Jacobian).

    Converges in a few steps for real lenses inside the field of view (the distortion must be
    invertible there: ``R > 0``). Stops early once every update is below ``tol``.

    Returns:
        ``[..., 2]`` undistorted normalised coordinates.
    """
    xd, np_out = _main(xy_distorted, "xy_distorted", 2)
    k, p = _distortion(xd, radial, tangential)
    k1, k2, k3 = k[..., 0], k[..., 1], k[..., 2]
    p1, p2 = p[..., 0], p[..., 1]
    x, y = xd[..., 0], xd[..., 1]
    for _ in range(iterations):
        r2 = x * x + y * y
        rad = 1 + r2 * (k1 + r2 * (k2 + r2 * k3))
        drad = k1 + r2 * (2 * k2 + 3 * k3 * r2)  # dR/d(r2)
        tan = p1 * y + p2 * x
        fx_ = x * (rad + tan) + p2 * r2 - xd[..., 0]
        fy_ = y * (rad + tan) + p1 * r2 - xd[..., 1]
        a = rad + tan + x * (2 * x * drad + p2) + 2 * p2 * x
        b = x * (2 * y * drad + p1) + 2 * p2 * y
        c = y * (2 * x * drad + p2) + 2 * p1 * x
        d = rad + tan + y * (2 * y * drad + p1) + 2 * p1 * y
        det = a * d - b * c
        dx = (d * fx_ - b * fy_) / det
        dy = (a * fy_ - c * fx_) / det
        x, y = x - dx, y - dy
        if not (torch.is_grad_enabled() and x.requires_grad):
            if float(torch.max(torch.abs(dx).max(), torch.abs(dy).max()) if dx.numel() else 0) < tol:
                break
    return _out(torch.stack([x, y], dim=-1), np_out)


def project_points(points_mm: Points, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar,
                   radial: Optional[ArrayLike] = None, tangential: Optional[ArrayLike] = None) -> Points:
    """Project camera-space points ``[..., 3]`` (mm, Z > 0) to pixels ``[..., 2]``.

    Distortion (Human3.6M model) is applied when ``radial`` or ``tangential`` is given.

    Raises:
        ValueError: a point with ``Z <= 0``, or a non-positive focal length.
    """
    pts, np_out = _main(points_mm, "points_mm", 3)
    z = pts[..., 2]
    if not torch.all(z > 0):
        raise ValueError("points_mm: every point needs Z > 0 (in front of the camera)")
    xy = pts[..., :2] / z[..., None]
    if radial is not None or tangential is not None:
        xy = distort_normalized(xy, radial, tangential)
    return _out(denormalize_points(xy, fx, fy, cx, cy), np_out)


def backproject_points(uv_px: Points, depth_mm: ArrayLike, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar,
                       radial: Optional[ArrayLike] = None, tangential: Optional[ArrayLike] = None) -> Points:
    """Pixels ``[..., 2]`` and depths ``[...]`` (mm, > 0) to camera-space points ``[..., 3]``.

    ``X = x_n Z, Y = y_n Z`` with ``(x_n, y_n)`` the normalised (undistorted, when distortion is
    given) coordinates of the pixel.
    """
    uv, np_out = _main(uv_px, "uv_px", 2)
    z = _as_tensor(depth_mm, uv)
    if z.shape != uv.shape[:-1] and z.dim() > 0:
        try:
            torch.broadcast_shapes(z.shape, uv.shape[:-1])
        except RuntimeError:
            raise ValueError(
                f"depth_mm: expected shape {tuple(uv.shape[:-1])} (one depth per point), "
                f"got {tuple(z.shape)}") from None
    _positive(z, "depth_mm")
    xy = normalize_points(uv, fx, fy, cx, cy)
    if radial is not None or tangential is not None:
        xy = undistort_normalized(xy, radial, tangential)
    out = torch.cat([xy * z[..., None], z[..., None].expand(xy.shape[:-1] + (1,))], dim=-1)
    return _out(out, np_out)


# ---------------------------------------------------------------------------- depth
def focal_normalized_depth(depth_mm: Points, fx: Scalar, fy: Scalar) -> Points:
    """Focal-normalised depth ``d = Z / sqrt(fx * fy)`` (HDNet's bin variable)."""
    z, np_out = _main(depth_mm, "depth_mm")
    _positive(z, "depth_mm")
    fx, fy = _as_tensor(fx, z), _as_tensor(fy, z)
    _positive(fx, "fx")
    _positive(fy, "fy")
    return _out(z / torch.sqrt(fx * fy), np_out)


def depth_from_focal_normalized(d: Points, fx: Scalar, fy: Scalar) -> Points:
    """Inverse of :func:`focal_normalized_depth`: ``Z = d * sqrt(fx * fy)`` (mm)."""
    dn, np_out = _main(d, "d")
    _positive(dn, "d")
    fx, fy = _as_tensor(fx, dn), _as_tensor(fy, dn)
    _positive(fx, "fx")
    _positive(fy, "fy")
    return _out(dn * torch.sqrt(fx * fy), np_out)


# ---------------------------------------------------------------------------- affines
def crop_affine(center: ArrayLike, size: ArrayLike, output_size: Union[int, Sequence[int]],
                rotation_deg: ArrayLike = 0.0, flip: bool = False) -> np.ndarray:
    """Affine ``[..., 2, 3]`` that maps a (rotated, flipped) box of the source image onto an
    output image.

    The box of ``size`` (w, h) in source pixels centred at ``center`` (u, v) is mapped onto the
    whole ``output_size`` (W, H) image: its edges land on the output's pixel edges
    (``-0.5`` and ``W - 0.5``) and its centre on ``((W - 1) / 2, (H - 1) / 2)``. With
    ``rotation_deg`` the content turns counter-clockwise (as displayed, v pointing down) about
    the box centre; ``flip`` then mirrors the output horizontally:
    ``out = S F R(theta) (p - center) + o`` with ``R = [[cos, sin], [-sin, cos]]``,
    ``F = diag(-1, 1)`` when flipping and ``S = diag(W / w, H / h)``.

    Args:
        center: ``[..., 2]``.
        size: ``[...]`` (square box) or ``[..., 2]`` as (w, h), > 0.
        output_size: ``(W, H)`` ints, or one int for a square output.
        rotation_deg: ``[...]`` degrees; flip: bool or ``[...]`` bool.

    Returns:
        ``[..., 2, 3]`` matrix ``A`` with ``out = A @ (u, v, 1)``.
    """
    c, np_out = _main(center, "center", 2)
    s = _as_tensor(size, c)
    if not (s.dim() >= 1 and s.dim() == c.dim() and s.shape[-1] == 2):
        s = torch.stack([s, s], dim=-1)  # a square box: one size per centre
    _positive(s, "size")
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    if len(output_size) != 2 or any(int(o) <= 0 for o in output_size):
        raise ValueError(f"output_size: expected (W, H) of positive ints, got {output_size!r}")
    ow, oh = float(output_size[0]), float(output_size[1])
    theta = _as_tensor(rotation_deg, c) * (math.pi / 180.0)
    fl = torch.as_tensor(flip, device=c.device).to(torch.bool)
    sx, sy = ow / s[..., 0], oh / s[..., 1]
    cos, sin = torch.cos(theta), torch.sin(theta)
    sign = torch.where(fl, -torch.ones_like(sx), torch.ones_like(sx))
    # out = S * Flip * Rot(-theta) * (p - c) + o, with o the output centre
    a00, a01 = sign * sx * cos, sign * sx * sin
    a10, a11 = -sy * sin, sy * cos
    shape = torch.broadcast_shapes(a00.shape, a11.shape, c.shape[:-1])
    a00, a01, a10, a11 = (t.expand(shape) for t in (a00, a01, a10, a11))
    cu, cv = c[..., 0].expand(shape), c[..., 1].expand(shape)
    t0 = (ow - 1) / 2 - (a00 * cu + a01 * cv)
    t1 = (oh - 1) / 2 - (a10 * cu + a11 * cv)
    a = torch.stack([torch.stack([a00, a01, t0], -1), torch.stack([a10, a11, t1], -1)], -2)
    return _out(a, np_out)


def invert_affine(affine: Points) -> Points:
    """Inverse of an affine ``[..., 2, 3]`` (raises ValueError when singular)."""
    a, np_out = _main(affine, "affine")
    if a.shape[-2:] != (2, 3):
        raise ValueError(f"affine: expected shape [..., 2, 3], got {tuple(a.shape)}")
    m = a[..., :2]
    det = m[..., 0, 0] * m[..., 1, 1] - m[..., 0, 1] * m[..., 1, 0]
    if torch.any(det.abs() < 1e-12):
        raise ValueError("affine: the matrix is singular and has no inverse")
    inv = torch.stack([torch.stack([m[..., 1, 1], -m[..., 0, 1]], -1),
                       torch.stack([-m[..., 1, 0], m[..., 0, 0]], -1)], -2) / det[..., None, None]
    t = -(inv @ a[..., 2:])
    return _out(torch.cat([inv, t], dim=-1), np_out)


def apply_affine(affine: ArrayLike, points: Points) -> Points:
    """Apply ``affine [..., 2, 3]`` to ``points [..., N, 2]`` (or ``[..., 2]``)."""
    a, _ = _main(affine, "affine")
    p, np_out = _main(points, "points", 2)
    a = _as_tensor(a, p)
    if a.shape[-2:] != (2, 3):
        raise ValueError(f"affine: expected shape [..., 2, 3], got {tuple(a.shape)}")
    if p.dim() >= 2 and p.dim() == a.dim():
        out = p @ a[..., :2].transpose(-1, -2) + a[..., None, :, 2]
    else:
        out = (a[..., :2] @ p[..., None])[..., 0] + a[..., 2]
    return _out(out, np_out)


def pixel_grid(height: int, width: int, stride: float = 1.0, dtype=torch.float32,
               device=None) -> torch.Tensor:
    """Pixel-centre coordinates ``[2, H, W]`` (channel 0 = u, 1 = v) of a grid of ``stride``.

    Cell ``(i, j)`` of a grid at ``stride`` over a finer image covers fine pixels
    ``j*stride - 0.5 .. (j+1)*stride - 0.5``, so its centre is ``(j + 0.5) * stride - 0.5``
    (``j`` itself when ``stride == 1``).
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"height, width: expected positive sizes, got {(height, width)}")
    v = (torch.arange(height, dtype=dtype, device=device) + 0.5) * stride - 0.5
    u = (torch.arange(width, dtype=dtype, device=device) + 0.5) * stride - 0.5
    return torch.stack([u[None, :].expand(height, width), v[:, None].expand(height, width)])


def coord_map(affine: ArrayLike, input_size: Union[int, Sequence[int]], output_size: Union[int, Sequence[int]],
              fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar) -> np.ndarray:
    """Normalised camera coordinates of every cell centre of an output grid ``[..., 2, h, w]``.

    The network sees an ``input_size`` (W, H) image made from the source image by ``affine``
    (source px -> input px, e.g. from :func:`crop_affine`) and predicts on an ``output_size``
    (w, h) grid (stride ``W / w``). Each cell centre is placed in input pixels with
    :func:`pixel_grid`'s convention, mapped back to the source image through the inverse affine
    and normalised with the source camera, so the map is exact for any crop, rotation or flip.

    Returns:
        ``[..., 2, h, w]``: channel 0 = ``(u - cx) / fx``, channel 1 = ``(v - cy) / fy``.
    """
    a, np_out = _main(affine, "affine")
    if isinstance(input_size, int):
        input_size = (input_size, input_size)
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    (iw, ih), (ow, oh) = input_size, output_size
    if iw * oh != ih * ow:
        raise ValueError(f"output_size: {output_size} is not a uniform downscale of {input_size}")
    grid = pixel_grid(oh, ow, stride=iw / ow, dtype=a.dtype, device=a.device)  # [2, h, w]
    inv = invert_affine(a)
    pts = grid.permute(1, 2, 0).reshape(-1, 2)  # [h*w, 2]
    src = pts @ inv[..., :2].transpose(-1, -2) + inv[..., None, :, 2]  # [..., h*w, 2]
    f_x, f_y, c_x, c_y = _intrinsics(src, fx, fy, cx, cy)
    xn = (src[..., 0] - c_x[..., None]) / f_x[..., None]
    yn = (src[..., 1] - c_y[..., None]) / f_y[..., None]
    out = torch.stack([xn, yn], dim=-2).reshape(*src.shape[:-2], 2, oh, ow)
    return _out(out, np_out)


# ---------------------------------------------------------------------------- Camera
@dataclass(frozen=True)
class Camera:
    """A pinhole camera with optional Human3.6M-convention lens distortion.

    Args:
        fx, fy: focal lengths in pixels (> 0).
        cx, cy: principal point in pixels.
        radial: ``(k1, k2, k3)`` or None; tangential: ``(p1, p2)`` or None.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    radial: Optional[Tuple[float, float, float]] = None
    tangential: Optional[Tuple[float, float]] = None

    def __post_init__(self):
        for name in ("fx", "fy", "cx", "cy"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
                raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
            if not math.isfinite(float(v)):
                raise ValueError(f"{name}: expected a finite number, got {v}")
            object.__setattr__(self, name, float(v))
        for name in ("fx", "fy"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: focal length must be > 0, got {getattr(self, name)}")
        if self.radial is not None:
            k = tuple(float(v) for v in self.radial)
            if len(k) == 2:
                k = k + (0.0,)
            if len(k) != 3:
                raise ValueError(f"radial: expected (k1, k2, k3), got {self.radial!r}")
            object.__setattr__(self, "radial", k)
        if self.tangential is not None:
            p = tuple(float(v) for v in self.tangential)
            if len(p) != 2:
                raise ValueError(f"tangential: expected (p1, p2), got {self.tangential!r}")
            object.__setattr__(self, "tangential", p)

    @classmethod
    def from_dict(cls, d: dict) -> "Camera":
        """From ``{"fx", "fy", "cx", "cy"}``, ``{"f": [fx, fy], "c": [cx, cy], "k", "p"}``
        (Human3.6M / RootNet style) or ``{"intrinsic": [fx, fy, cx, cy]}`` (MuPoTS style)."""
        if "intrinsic" in d:
            fx, fy, cx, cy = (float(v) for v in d["intrinsic"])
        elif "f" in d:
            f, c = np.ravel(d["f"]), np.ravel(d["c"])
            fx, fy, cx, cy = float(f[0]), float(f[-1]), float(c[0]), float(c[1])
        else:
            try:
                fx, fy, cx, cy = (float(d[k]) for k in ("fx", "fy", "cx", "cy"))
            except KeyError as e:
                raise ValueError(f"camera: missing key {e}; expected fx, fy, cx, cy or f, c") from None
        radial = d.get("k", d.get("radial"))
        tangential = d.get("p", d.get("tangential"))
        return cls(fx, fy, cx, cy,
                   None if radial is None else tuple(np.ravel(radial)),
                   None if tangential is None else tuple(np.ravel(tangential)))

    def to_dict(self) -> dict:
        d: dict = {"fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy}
        if self.radial is not None:
            d["radial"] = list(self.radial)
        if self.tangential is not None:
            d["tangential"] = list(self.tangential)
        return d

    @property
    def has_distortion(self) -> bool:
        return self.radial is not None or self.tangential is not None

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
        return project_points(points_mm, self.fx, self.fy, self.cx, self.cy, self.radial,
                              self.tangential)

    def backproject(self, uv_px: Points, depth_mm: ArrayLike) -> Points:
        """Pixels ``[..., 2]`` (undistorted first) and depths ``[...]`` to points ``[..., 3]``."""
        return backproject_points(uv_px, depth_mm, self.fx, self.fy, self.cx, self.cy,
                                  self.radial, self.tangential)

    def normalize(self, uv_px: Points) -> Points:
        """Pixels to ``((u - cx) / fx, (v - cy) / fy)``; no undistortion (see :meth:`undistort`)."""
        return normalize_points(uv_px, self.fx, self.fy, self.cx, self.cy)

    def denormalize(self, xy_norm: Points) -> Points:
        return denormalize_points(xy_norm, self.fx, self.fy, self.cx, self.cy)

    def undistort(self, uv_px: Points) -> Points:
        """Distorted pixels ``[..., 2]`` to the pixels an ideal pinhole camera would see."""
        if not self.has_distortion:
            uv, np_out = _main(uv_px, "uv_px", 2)
            return _out(uv, np_out)
        xy = undistort_normalized(self.normalize(uv_px), self.radial, self.tangential)
        return self.denormalize(xy)

    def distort(self, uv_px: Points) -> Points:
        """Ideal pinhole pixels ``[..., 2]`` to distorted pixels (inverse of :meth:`undistort`)."""
        xy = self.normalize(uv_px)
        if self.has_distortion:
            xy = distort_normalized(xy, self.radial, self.tangential)
        return self.denormalize(xy)

    def depth_to_normalized(self, depth_mm: Points) -> Points:
        """``Z / sqrt(fx fy)``."""
        return focal_normalized_depth(depth_mm, self.fx, self.fy)

    def normalized_to_depth(self, d: Points) -> Points:
        """``d * sqrt(fx fy)`` (mm)."""
        return depth_from_focal_normalized(d, self.fx, self.fy)

    def coord_map(self, affine: ArrayLike, input_size: Union[int, Sequence[int]],
                  output_size: Union[int, Sequence[int]]) -> np.ndarray:
        """See :func:`coord_map`."""
        return coord_map(affine, input_size, output_size, self.fx, self.fy, self.cx, self.cy)

    def scaled(self, sx: float, sy: Optional[float] = None) -> "Camera":
        """The camera of the image resized by ``(sx, sy)`` (pixel-centre convention kept)."""
        sy = sx if sy is None else sy
        return Camera(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                      (self.cy + 0.5) * sy - 0.5, self.radial, self.tangential)


def guess_camera(width: int, height: int, focal_px: Optional[float] = None) -> Camera:
    """A camera for an image whose intrinsics are unknown.

    The principal point is the image centre and, unless ``focal_px`` is given,
    ``fx = fy = max(width, height)``: a field of view of about 53 degrees across the longer
    side, between a phone's wide lens (about 0.7 x width) and a 50 mm lens on a full-frame
    camera (about 1.4 x width); Human3.6M's cameras are 1.15 x width. Depth scales linearly
    with the focal length, so a wrong guess scales every person's depth by the same factor and
    keeps who is in front of whom.
    """
    f = float(max(width, height)) if focal_px is None else float(focal_px)
    return Camera(f, f, (width - 1) / 2.0, (height - 1) / 2.0)


def fit_camera(points_2d_px, points_3d_mm, distortion: bool = True, robust: bool = True,
               inlier_px: float = 3.0) -> Tuple[Camera, dict]:
    """Fit intrinsics (and radial distortion ``k1, k2``) to 2D-3D correspondences of points in
    camera coordinates: for datasets that give 3D joints in camera space and 2D joints but no
    intrinsics (MuPoTS-3D).

    A linear least-squares start (``u = fx X/Z + cx``, ``v = fy Y/Z + cy``), then a robust
    non-linear fit (soft-L1 loss with a ``inlier_px`` scale, so a few badly annotated joints do
    not pull it) of the pinhole and, with ``distortion``, two radial terms.

    Args:
        points_2d_px: ``[N, 2]`` pixels (any leading shape, flattened); NaN rows are ignored.
        points_3d_mm: ``[N, 3]`` the same points in camera coordinates (Z > 0).

    Returns:
        ``(camera, info)`` with ``info = {"rms_px", "median_px", "inlier_fraction", "points"}``
        (residuals over inliers, those under ``inlier_px``).

    >>> import numpy as np
    >>> cam = Camera(1000.0, 1000.0, 320.0, 240.0)
    >>> pts = np.random.default_rng(0).uniform([-500, -500, 2000], [500, 500, 4000], (50, 3))
    >>> fitted, info = fit_camera(cam.project(pts), pts, distortion=False)
    >>> round(fitted.fx), round(fitted.cy)
    (1000, 240)
    """
    from scipy.optimize import least_squares

    uv = np.asarray(points_2d_px, dtype=np.float64).reshape(-1, 2)
    xyz = np.asarray(points_3d_mm, dtype=np.float64).reshape(-1, 3)
    if len(uv) != len(xyz):
        raise ValueError(f"points_2d_px, points_3d_mm: {len(uv)} vs {len(xyz)} points")
    ok = np.isfinite(uv).all(1) & np.isfinite(xyz).all(1) & (xyz[:, 2] > 1e-6)
    uv, xyz = uv[ok], xyz[ok]
    if len(uv) < 6:
        raise ValueError(f"points_3d_mm: need at least 6 finite points in front of the camera, got {len(uv)}")
    xn, yn = xyz[:, 0] / xyz[:, 2], xyz[:, 1] / xyz[:, 2]
    if np.ptp(xn) < 1e-9 or np.ptp(yn) < 1e-9:
        raise ValueError("points_3d_mm: the points do not spread across the view; the focal length "
                         "cannot be fitted")
    (fx, cx), (fy, cy) = (np.linalg.lstsq(np.stack([a, np.ones_like(a)], 1), b, rcond=None)[0]
                          for a, b in ((xn, uv[:, 0]), (yn, uv[:, 1])))

    def residual(params):
        k = (params[4], params[5], 0.0) if distortion else None
        return (project_points(xyz, params[0], params[1], params[2], params[3], radial=k) - uv).ravel()

    start = np.array([fx, fy, cx, cy] + ([0.0, 0.0] if distortion else []))
    fit = least_squares(residual, start, loss="soft_l1" if robust else "linear", f_scale=inlier_px,
                        x_scale="jac")
    p = fit.x
    if not (np.isfinite(p).all() and p[0] > 0 and p[1] > 0):
        raise ValueError("points_3d_mm: the camera fit diverged (are the points in camera coordinates?)")
    cam = Camera(float(p[0]), float(p[1]), float(p[2]), float(p[3]),
                 (float(p[4]), float(p[5]), 0.0) if distortion else None)
    err = np.linalg.norm(residual(p).reshape(-1, 2), axis=1)
    inl = err < inlier_px
    return cam, {"rms_px": float(np.sqrt(np.mean(err[inl] ** 2))) if inl.any() else float("nan"),
                 "median_px": float(np.median(err)), "inlier_fraction": float(inl.mean()), "points": int(len(err))}
