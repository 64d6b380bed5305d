"""Camera geometry: pinhole projection with Human3.6M distortion, crop affines and coord maps.

Conventions (see docs/camera.md):

- 3D points are camera coordinates in millimetres: X right, Y down, Z forward (Z > 0).
- Image points are pixels ``(u, v)``; **pixel centres lie on integer coordinates**, so an image
  of width W spans ``[-0.5, W - 0.5]`` (the OpenCV convention).
- Normalised camera coordinates (``*_norm``) are ``((u - cx) / fx, (v - cy) / fy)``, i.e. the
  point ``(X / Z, Y / Z)`` of an undistorted pinhole camera.
- Distortion: with ``x, y`` normalised, ``r2 = x^2 + y^2``, ``R = 1 + k1 r2 + k2 r2^2 + k3 r2^3``
  and ``T = s (p1 y + p2 x)``, the distorted point is ``(x (R + T) + p2 r2, y (R + T) + p1 r2)``.
  ``s = 1`` is Human3.6M's camera model (``distortion_model="h36m"``, the default), ``s = 2``
  OpenCV's (``"opencv"``: ``x R + 2 p1 x y + p2 (r2 + 2 x^2)``, Brown-Conrady, ROS's
  ``plumb_bob``); the radial part is the same in both. ``"fisheye"`` is OpenCV's fisheye model
  (Kannala-Brandt; ROS's and Kalibr's ``equidistant``, COLMAP's ``OPENCV_FISHEYE``): with
  ``theta = atan(r)`` the ray's angle from the optical axis, the distorted point is ``(x, y)
  theta_d / r``, ``theta_d = theta (1 + k1 theta^2 + k2 theta^4 + k3 theta^6 + k4 theta^8)``.
- Affines are ``[..., 2, 3]`` matrices acting on ``(u, v, 1)`` column vectors.

Every function takes numpy arrays or torch tensors. Torch input stays torch (and
differentiable); numpy input is computed in float64 and returned as numpy.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import torch

from ..core.checks import is_tracing

__all__ = [
    "normalize_points", "denormalize_points", "project_points", "backproject_points",
    "distort_normalized", "undistort_normalized", "DISTORTION_MODELS", "MAX_FISHEYE_ANGLE_DEG", "fisheye_angle",
    "focal_normalized_depth",
    "depth_from_focal_normalized", "crop_affine", "invert_affine", "apply_affine", "pixel_grid",
    "coord_map",
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
    arr = np.asarray(x, dtype=np.float64, order="C")  # any view, a reversed one too
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


#: The lens models :func:`distort_normalized` knows, and the factor ``s`` of each one's tangential
#: term (the only place where ``h36m`` and ``opencv`` differ); ``fisheye`` has none: its four
#: radial terms act on the ray's angle (the module docstring).
DISTORTION_MODELS = {"h36m": 1.0, "opencv": 2.0, "fisheye": 0.0}

#: The widest ray :func:`undistort_normalized` gives a fisheye point (degrees from the optical
#: axis): a pinhole camera's normalised coordinates end at 90 degrees, and near it they run to
#: infinity (tan 89 degrees is 57).
MAX_FISHEYE_ANGLE_DEG = 89.0


def _tangential_factor(distortion_model: str) -> float:
    if not isinstance(distortion_model, str) or distortion_model not in DISTORTION_MODELS:
        raise ValueError(f"distortion_model: expected one of {sorted(DISTORTION_MODELS)}, got {distortion_model!r}")
    return DISTORTION_MODELS[distortion_model]


def _fisheye_terms(like, radial, tangential) -> torch.Tensor:
    """``k [..., 4]`` (k1..k4) of the fisheye model; ``radial`` may carry two zeros after them
    (the ``[..., 6]`` the batched cameras hand over), and there is no tangential term."""
    k = _as_tensor([0.0] * 4 if radial is None else radial, like)
    if k.shape[-1:] not in ((2,), (3,), (4,), (6,)):
        raise ValueError(f"radial: the fisheye model takes (k1, k2, k3, k4), got shape {tuple(k.shape)}")
    if k.shape[-1] == 6:
        if not is_tracing() and bool((k[..., 4:] != 0).any()):
            raise ValueError("radial: the fisheye model has four terms (k1, k2, k3, k4); got six")
        k = k[..., :4]
    if k.shape[-1] < 4:
        k = torch.cat([k, k.new_zeros(*k.shape[:-1], 4 - k.shape[-1])], dim=-1)
    if tangential is not None and not is_tracing() and bool((_as_tensor(tangential, like) != 0).any()):
        raise ValueError("tangential: the fisheye model has no tangential terms")
    return k


def _fisheye_theta_d(theta: torch.Tensor, k: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``theta_d(theta)`` and its derivative."""
    t2 = theta * theta
    poly = 1 + t2 * (k[..., 0] + t2 * (k[..., 1] + t2 * (k[..., 2] + t2 * k[..., 3])))
    dpoly = 1 + t2 * (3 * k[..., 0] + t2 * (5 * k[..., 1] + t2 * (7 * k[..., 2] + t2 * 9 * k[..., 3])))
    return theta * poly, dpoly


def _distort_fisheye(xy: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    r = torch.linalg.vector_norm(xy, dim=-1)
    theta_d, _ = _fisheye_theta_d(torch.atan(r), k)
    scale = torch.where(r > 1e-12, theta_d / r.clamp_min(1e-12), torch.ones_like(r))
    return xy * scale[..., None]


def fisheye_angle(rd: torch.Tensor, k: torch.Tensor, iterations: int = 50, tol: float = 1e-12,
                  max_deg: float = 180.0) -> torch.Tensor:
    """The angle ``theta`` (radians) from the optical axis of the rays a fisheye lens (``k [...,
    4]``, the module docstring) images at distance ``rd [...]`` from the principal point in
    normalised units: the root of ``theta_d(theta) = rd`` by Newton's method. Checked outside
    tracing: on the branch where the lens is one-to-one, no wider than ``max_deg``, and the lens
    scaling no angle by more than :data:`MAX_DISTORTION_SCALE` either way (a ``ValueError`` says
    how many points are not).

    >>> round(math.degrees(float(fisheye_angle(torch.tensor(1.0), torch.zeros(4)))), 4)  # equidistant
    57.2958
    """
    theta = rd.clone()
    slope = torch.ones_like(rd)
    for step in range(iterations + 1):
        value, slope = _fisheye_theta_d(theta, k)
        if step == iterations:
            break
        delta = (value - rd) / slope
        theta = theta - delta
        if not (torch.is_grad_enabled() and theta.requires_grad):
            if float(delta.abs().max() if delta.numel() else 0) < tol:
                break
    if rd.numel() and not is_tracing():
        with torch.no_grad():
            back, _ = _fisheye_theta_d(theta, k)
            scale = torch.where(theta > 1e-12, back / theta.clamp_min(1e-12), torch.ones_like(theta))
            bad = (~torch.isfinite(back) | ((back - rd).abs() > 1e-9 * (1 + rd)) | ~(slope > 0) | ~(theta >= 0)
                   | ~(theta <= math.radians(max_deg)) | ~(scale >= MIN_DISTORTION_SCALE)
                   | ~(scale <= MAX_DISTORTION_SCALE))
        if bool(bad.any()):
            raise ValueError(
                f"radial: the fisheye lens cannot be undone at {int(bad.sum())} of {bad.numel()} points (k1..k4 "
                f"{k.reshape(-1, 4)[0].tolist()}): their rays lie {max_deg:g} degrees or more from the "
                "optical axis, where a pinhole camera sees nothing, or the lens folds back on itself there or "
                f"scales their angle by more than {MAX_DISTORTION_SCALE:g}x (coefficients no real lens has)")
    return theta


def _undistort_fisheye(xd: torch.Tensor, k: torch.Tensor, iterations: int, tol: float) -> torch.Tensor:
    """``(x, y) = xd tan(theta) / |xd|`` with ``theta`` the ray's angle (:func:`fisheye_angle`)."""
    rd = torch.linalg.vector_norm(xd, dim=-1)
    theta = fisheye_angle(rd, k, iterations, tol, MAX_FISHEYE_ANGLE_DEG)
    scale = torch.where(rd > 1e-12, torch.tan(theta) / rd.clamp_min(1e-12), torch.ones_like(rd))
    return xd * scale[..., None]


def _distortion(like, radial, tangential):
    """``k [..., 6]`` (k1, k2, k3 over k4, k5, k6; missing terms 0) and ``p [..., 2]``."""
    k = _as_tensor([0.0, 0.0, 0.0] if radial is None else radial, like)
    p = _as_tensor([0.0, 0.0] if tangential is None else tangential, like)
    if k.shape[-1:] not in ((2,), (3,), (6,)):
        raise ValueError(f"radial: expected (k1, k2, k3), (k1, k2) or (k1, ..., k6), got shape {tuple(k.shape)}")
    if k.shape[-1] < 6:
        k = torch.cat([k, k.new_zeros(*k.shape[:-1], 6 - k.shape[-1])], dim=-1)
    if p.shape[-1:] != (2,):
        raise ValueError(f"tangential: expected (p1, p2), got shape {tuple(p.shape)}")
    return k, p


def distort_normalized(xy_norm: Points, radial: Optional[ArrayLike] = None,
                       tangential: Optional[ArrayLike] = None, distortion_model: str = "h36m") -> Points:
    """Apply lens distortion to normalised coordinates ``[..., 2]``.

    ``(x, y) -> (x (R + T) + p2 r2, y (R + T) + p1 r2)`` with ``r2 = x^2 + y^2``,
    ``R = (1 + k1 r2 + k2 r2^2 + k3 r2^3) / (1 + k4 r2 + k5 r2^2 + k6 r2^3)``,
    ``T = s (p1 y + p2 x)``; ``s`` is 1 for Human3.6M's model and 2 for OpenCV's
    (:data:`DISTORTION_MODELS`). ``k4..k6`` are OpenCV's rational terms (0 unless given).

    Args:
        xy_norm: ``[..., 2]`` undistorted normalised coordinates.
        radial: ``(k1, k2, k3)`` (or ``(k1, k2)``, or ``(k1, ..., k6)`` with the rational
            terms); tangential: ``(p1, p2)``; batched parameters broadcast as ``[..., 3]`` (or
            ``[..., 6]``) / ``[..., 2]``.
        distortion_model: ``"h36m"`` (Human3.6M's camera code) or ``"opencv"`` (OpenCV's
            ``(k1, k2, p1, p2, k3[, k4, k5, k6])``: pass ``radial=(k1, k2, k3[, k4, k5, k6])``,
            ``tangential=(p1, p2)``), or ``"fisheye"`` (OpenCV's fisheye model: ``radial=(k1,
            k2, k3, k4)``, no tangential terms; the module docstring).

    Example:
        >>> distort_normalized(np.array([[0.1, 0.2]]), (0.0, 0.0), (0.01, 0.0), "opencv").round(6).tolist()
        [[0.1004, 0.2013]]
    """
    s = _tangential_factor(distortion_model)
    xy, np_out = _main(xy_norm, "xy_norm", 2)
    if distortion_model == "fisheye":
        return _out(_distort_fisheye(xy, _fisheye_terms(xy, radial, tangential)), np_out)
    k, p = _distortion(xy, radial, tangential)
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    rad = (1 + r2 * (k[..., 0] + r2 * (k[..., 1] + r2 * k[..., 2]))) / \
        (1 + r2 * (k[..., 3] + r2 * (k[..., 4] + r2 * k[..., 5])))
    tan = s * (p[..., 0] * y + p[..., 1] * x)
    out = torch.stack([x * (rad + tan) + p[..., 1] * r2, y * (rad + tan) + p[..., 0] * r2], -1)
    return _out(out, np_out)


#: How far :func:`undistort_normalized` lets a lens scale a point's distance from the image centre
#: (real wide-angle and pincushion lenses stay well within 0.3-3x over their image).
MAX_DISTORTION_SCALE = 10.0
MIN_DISTORTION_SCALE = 1.0 / MAX_DISTORTION_SCALE


def undistort_normalized(xy_distorted, radial=None, tangential=None, iterations: int = 50,
                         tol: float = 1e-12, distortion_model: str = "h36m"):
    """Invert :func:`distort_normalized` by Newton's method (analytic 2x2 Jacobian).

    Converges in a few steps for real lenses inside the field of view. Stops early once every
    update is below ``tol``. The answer is checked (outside tracing): every point must map back
    onto its distorted position, on the branch where the lens is still one-to-one (a positive
    Jacobian); otherwise the coefficients do not describe a lens that can be inverted there (the
    image folds back on itself, e.g. a strongly negative ``k1``, or Newton cannot reach the point),
    and the lens may not scale a point's distance from the centre by more than
    :data:`MAX_DISTORTION_SCALE` either way (``k1 = 1e6`` is invertible but no real lens: the
    rays would all bunch at the centre); otherwise a ``ValueError`` says how many points failed.

    The fisheye model (``distortion_model="fisheye"``) is undone along each point's ray by a
    one-dimensional Newton's method on its angle, which must stay below
    :data:`MAX_FISHEYE_ANGLE_DEG` (a wider ray has no pinhole coordinates) and on the branch
    where the lens is one-to-one.

    Returns:
        ``[..., 2]`` undistorted normalised coordinates.
    """
    s = _tangential_factor(distortion_model)
    xd, np_out = _main(xy_distorted, "xy_distorted", 2)
    if distortion_model == "fisheye":
        return _out(_undistort_fisheye(xd, _fisheye_terms(xd, radial, tangential), iterations, tol), np_out)
    k, p = _distortion(xd, radial, tangential)
    k1, k2, k3, k4, k5, k6 = (k[..., i] for i in range(6))
    p1, p2 = p[..., 0], p[..., 1]
    x, y = xd[..., 0], xd[..., 1]
    det = torch.ones_like(x)
    for step in range(iterations + 1):
        r2 = x * x + y * y
        num, den = 1 + r2 * (k1 + r2 * (k2 + r2 * k3)), 1 + r2 * (k4 + r2 * (k5 + r2 * k6))
        rad = num / den
        drad = (k1 + r2 * (2 * k2 + 3 * k3 * r2) - rad * (k4 + r2 * (2 * k5 + 3 * k6 * r2))) / den  # dR/d(r2)
        tan = s * (p1 * y + p2 * x)
        fx_ = x * (rad + tan) + p2 * r2 - xd[..., 0]
        fy_ = y * (rad + tan) + p1 * r2 - xd[..., 1]
        a = rad + tan + x * (2 * x * drad + s * p2) + 2 * p2 * x
        b = x * (2 * y * drad + s * p1) + 2 * p2 * y
        c = y * (2 * x * drad + s * p2) + 2 * p1 * x
        d = rad + tan + y * (2 * y * drad + s * p1) + 2 * p1 * y
        det = a * d - b * c
        if step == iterations:
            break
        dx = (d * fx_ - b * fy_) / det
        dy = (a * fy_ - c * fx_) / det
        x, y = x - dx, y - dy
        if not (torch.is_grad_enabled() and x.requires_grad):
            if float(torch.max(torch.abs(dx).max(), torch.abs(dy).max()) if dx.numel() else 0) < tol:
                break
    if xd.numel() and not is_tracing():
        with torch.no_grad():
            back = distort_normalized(torch.stack([x, y], -1), k, p, distortion_model)
            err = (back - xd).abs().amax(-1)
            scale = rad + tan  # how much the lens moves a point away from (or towards) the centre
            bad = (~torch.isfinite(err) | (err > 1e-6 * (1 + xd.abs().amax(-1))) | ~(det > 0)
                   | ~(scale >= MIN_DISTORTION_SCALE) | ~(scale <= MAX_DISTORTION_SCALE))
        if bool(bad.any()):
            raise ValueError(
                f"radial, tangential: the lens distortion cannot be undone at {int(bad.sum())} of "
                f"{bad.numel()} points (radial {k.reshape(-1, 6)[0].tolist()}, tangential "
                f"{p.reshape(-1, 2)[0].tolist()}): the image folds back on itself there, or the "
                f"lens would scale a point's distance from the centre by more than {MAX_DISTORTION_SCALE:g}x "
                "(coefficients too large for the field of view); check the camera's distortion")
    return _out(torch.stack([x, y], dim=-1), np_out)


def project_points(points_mm: Points, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar,
                   radial: Optional[ArrayLike] = None, tangential: Optional[ArrayLike] = None,
                   distortion_model: str = "h36m") -> Points:
    """Project camera-space points ``[..., 3]`` (mm, Z > 0) to pixels ``[..., 2]``.

    Distortion (:func:`distort_normalized`, ``distortion_model``) is applied when ``radial`` or
    ``tangential`` is given, and always for the fisheye model (its projection is not a
    pinhole's even without coefficients).

    Raises:
        ValueError: a point with ``Z <= 0``, or a non-positive focal length.
    """
    pts, np_out = _main(points_mm, "points_mm", 3)
    z = pts[..., 2]
    if not torch.all(z > 0):
        raise ValueError("points_mm: every point needs Z > 0 (in front of the camera)")
    xy = pts[..., :2] / z[..., None]
    if radial is not None or tangential is not None or distortion_model == "fisheye":
        xy = distort_normalized(xy, radial, tangential, distortion_model)
    return _out(denormalize_points(xy, fx, fy, cx, cy), np_out)


def backproject_points(uv_px: Points, depth_mm: ArrayLike, fx: Scalar, fy: Scalar, cx: Scalar, cy: Scalar,
                       radial: Optional[ArrayLike] = None, tangential: Optional[ArrayLike] = None,
                       distortion_model: str = "h36m") -> Points:
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
    if radial is not None or tangential is not None or distortion_model == "fisheye":
        xy = undistort_normalized(xy, radial, tangential, distortion_model=distortion_model)
    out = torch.cat([xy * z[..., None], z[..., None].expand(xy.shape[:-1] + (1,))], dim=-1)
    return _out(out, np_out)


# ---------------------------------------------------------------------------- depth
def _focal_scale(value, name: str, fx: Scalar, fy: Scalar):
    """``(value as a positive tensor, sqrt(fx fy) like it, whether numpy came in)``."""
    t, np_out = _main(value, name)
    _positive(t, name)
    f_x, f_y = _as_tensor(fx, t), _as_tensor(fy, t)
    _positive(f_x, "fx")
    _positive(f_y, "fy")
    return t, torch.sqrt(f_x * f_y), np_out


def focal_normalized_depth(depth_mm: Points, fx: Scalar, fy: Scalar) -> Points:
    """Focal-normalised depth ``d = Z / sqrt(fx * fy)`` (HDNet's bin variable)."""
    z, scale, np_out = _focal_scale(depth_mm, "depth_mm", fx, fy)
    return _out(z / scale, np_out)


def depth_from_focal_normalized(d: Points, fx: Scalar, fy: Scalar) -> Points:
    """Inverse of :func:`focal_normalized_depth`: ``Z = d * sqrt(fx * fy)`` (mm)."""
    dn, scale, np_out = _focal_scale(d, "d", fx, fy)
    return _out(dn * scale, np_out)


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
