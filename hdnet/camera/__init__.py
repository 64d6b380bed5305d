"""Camera geometry: pinhole projection with Human3.6M distortion, crop affines and coordinate
maps (:mod:`~hdnet.camera.functional`, pure functions), cameras as objects (:class:`Cameras`
batched, :class:`Camera` scalar, :func:`as_cameras`), and cameras when none is given
(:func:`guess_camera` with a field-of-view prior, :meth:`Camera.from_exif`, :func:`fit_camera`), and
calibration files read as cameras (:func:`read_cameras`: JSON, OpenCV, ROS, COLMAP).
Conventions: docs/camera.md."""

from .cameras import Camera, CameraLike, Cameras, as_cameras
from .estimate import FOV_PRIOR_DEG, camera_from_fov, fit_camera, guess_camera
from .exif import ExifFocal, read_exif_focal
from .files import CameraFile, read_cameras
from .functional import (
    DISTORTION_MODELS,
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

__all__ = ["Camera", "Cameras", "CameraLike", "as_cameras", "guess_camera", "fit_camera", "camera_from_fov",
           "FOV_PRIOR_DEG", "read_exif_focal", "ExifFocal", "read_cameras", "CameraFile", "normalize_points",
           "denormalize_points", "project_points", "backproject_points", "distort_normalized",
           "undistort_normalized", "DISTORTION_MODELS", "focal_normalized_depth", "depth_from_focal_normalized",
           "crop_affine",
           "invert_affine", "apply_affine", "pixel_grid", "coord_map"]
