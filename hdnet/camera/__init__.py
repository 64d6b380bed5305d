"""Camera geometry: pinhole projection with Human3.6M distortion, crop affines and coordinate
maps (:mod:`~hdnet.camera.functional`, pure functions), cameras as objects (:class:`Cameras`
batched, :class:`Camera` scalar, :func:`as_cameras`), and cameras when none is given
(:func:`guess_camera`, :func:`fit_camera`). Conventions: docs/camera.md."""

from .cameras import Camera, CameraLike, Cameras, as_cameras
from .estimate import fit_camera, guess_camera
from .functional import (
    apply_affine,
    backproject_points,
    coord_map,
    crop_affine,
    denormalize_points,
    depth_from_focal_normalized,
    distort_normalized,
    focal_normalized_depth,
    invert_affine,
    normalize_points,
    pixel_grid,
    project_points,
    undistort_normalized,
)

__all__ = ["Camera", "Cameras", "CameraLike", "as_cameras", "guess_camera", "fit_camera", "normalize_points",
           "denormalize_points", "project_points", "backproject_points", "distort_normalized",
           "undistort_normalized", "focal_normalized_depth", "depth_from_focal_normalized", "crop_affine",
           "invert_affine", "apply_affine", "pixel_grid", "coord_map"]
