"""Cameras when the intrinsics are not given: a guess from the image size, or a fit to 2D-3D
correspondences."""

from __future__ import annotations

import math
from typing import Optional, Tuple

import numpy as np

from .cameras import Camera
from .functional import project_points

__all__ = ["guess_camera", "fit_camera", "camera_from_fov", "FOV_PRIOR_DEG"]


#: The field of view (degrees, across the longer image side) assumed when nothing is known
#: about the camera: MeTRAbs's default. Photos' fields of view run from ~25 degrees (a
#: portrait lens) to ~80 (a phone's wide lens); phones' main cameras are ~65-70, Human3.6M's
#: cameras 47, MPI-INF-3DHP's and MuPoTS-3D's 68-82. Depth scales with the focal length, so a
#: wrong guess scales every person's depth by one factor (docs/camera.md has the table).
FOV_PRIOR_DEG = 55.0


#: The widest field of view :func:`camera_from_fov` takes for each lens (degrees): a pinhole's
#: image runs to infinity at 180; a fisheye's reaches past it.
FOV_LIMITS_DEG = {"pinhole": 170.0, "fisheye": 250.0}


def camera_from_fov(width: int, height: int, fov_deg: float, lens: str = "pinhole") -> Camera:
    """The camera of a ``width x height`` image with a field of view of ``fov_deg`` across its
    longer side, square pixels, the principal point at the image centre. ``lens="pinhole"``:
    ``f = max(W, H) / (2 tan(fov / 2))``; ``lens="fisheye"``: the equidistant fisheye (``r = f
    theta``, OpenCV's fisheye model without coefficients), ``f = max(W, H) / fov`` with the field
    of view in radians: what an action camera's stated field of view gives where no calibration
    is at hand (a real fisheye differs from it by its coefficients: ``k1 = 0.04`` alone is 7 %
    at 75 degrees).

    >>> camera_from_fov(1000, 800, 90.0).fx
    500.00000000000006
    >>> [round(a, 3) for a in camera_from_fov(1280, 720, 150.0, "fisheye").edge_angles(1280, 720)[:2]]
    [-75.0, 75.0]
    """
    for name, v in (("width", width), ("height", height)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name}: expected an image size >= 1 px, got {v!r}")
    if lens not in FOV_LIMITS_DEG:
        raise ValueError(f"lens: expected one of {sorted(FOV_LIMITS_DEG)}, got {lens!r}")
    widest = FOV_LIMITS_DEG[lens]
    if isinstance(fov_deg, bool) or not isinstance(fov_deg, (int, float)) or not 1.0 <= fov_deg <= widest:
        raise ValueError(f"fov_deg: expected a field of view in [1, {widest:g}] degrees for a {lens} lens, "
                         f"got {fov_deg!r}")
    if lens == "fisheye":
        f = max(width, height) / math.radians(fov_deg)
        return Camera(f, f, (width - 1) / 2.0, (height - 1) / 2.0, distortion_model="fisheye")
    f = max(width, height) / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
    return Camera(f, f, (width - 1) / 2.0, (height - 1) / 2.0)


def guess_camera(width: int, height: int, focal_px: Optional[float] = None, fov_deg: Optional[float] = None) -> Camera:
    """A camera for an image whose intrinsics are unknown: the principal point at the image
    centre, and the focal length ``focal_px``, else from ``fov_deg`` across the longer side,
    else from :data:`FOV_PRIOR_DEG` (55 degrees: ``f = 0.96 max(W, H)``)."""
    if focal_px is not None:
        if fov_deg is not None:
            raise ValueError("focal_px, fov_deg: give one of them")
        return Camera(float(focal_px), float(focal_px), (width - 1) / 2.0, (height - 1) / 2.0)
    return camera_from_fov(width, height, FOV_PRIOR_DEG if fov_deg is None else fov_deg)


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
