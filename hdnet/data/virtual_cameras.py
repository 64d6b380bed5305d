"""Virtual cameras: real 3D poses seen through random, realistic cameras, with the 2D noise of a
real keypoint detector, so a keypoint model learns from motion capture alone.

:class:`VirtualCameras` takes world poses ``[B, J, 3]`` (mm, one vertical axis) and returns for
each a camera (intrinsics from real phones' and datasets' fields of view, principal point
jitter, optional radial distortion), the pose in that camera's coordinates, and its 2D keypoints
in pixels: Gaussian pixel noise scaled to the person's size, dropped joints, occasional
outliers, and joints outside the image marked missing. Bodies are rescaled (adult and teenage
sizes) and their bones lengthened or shortened a little, along the kinematic tree.
:meth:`VirtualCameras.place_recorded` sees poses through a capture's own calibrated cameras
instead (:class:`~hdnet.data.mocap.MocapCamera`: where they were really filmed from).

>>> import torch
>>> from hdnet.data.virtual_cameras import VirtualCameras
>>> views = VirtualCameras(seed=0)(torch.randn(4, 17, 3) * 200 + torch.tensor([0, 0, 900.0]), "h36m_17")
>>> views["joints_2d_px"].shape, views["joints_cam_mm"].shape
(torch.Size([4, 17, 2]), torch.Size([4, 17, 3]))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from ..camera import Cameras
from ..core.config import ConfigBase, option
from ..graphs import Skeleton, resolve_skeleton
from .mocap import MocapCamera, scale_bones

__all__ = ["VirtualCameras", "VirtualCameraConfig"]

# (width, height) of images from phones, webcams and datasets (landscape; portrait is drawn too)
_IMAGE_SIZES = ((4032, 3024), (1920, 1080), (1280, 720), (2048, 2048), (1000, 1000), (1000, 1002),
                (3840, 2160), (640, 480))


@dataclass
class VirtualCameraConfig(ConfigBase):
    """The distributions the cameras, bodies and 2D noise are drawn from (uniform in each range).

    Fields of view: 40-90 degrees across the longer side covers dataset cameras (Human3.6M ~47,
    MuPoTS ~68-82) and phones' main and wide lenses. Distances are of the root joint along the
    optical axis.
    """

    hfov_deg: Tuple[float, float] = option((40.0, 90.0), "horizontal field of view across the longer side",
                                           low=1.0, high=170.0)
    portrait_prob: float = option(0.2, "share of portrait images", low=0, high=1)
    principal_jitter: float = option(0.03, "principal point offset, fraction of the image size", low=0, high=0.5)
    aspect_jitter: float = option(0.01, "fy / fx - 1", low=0, high=0.5)
    distortion_prob: float = option(0.3, "share of cameras with radial distortion", low=0, high=1)
    k1: Tuple[float, float] = option((-0.12, 0.08), "radial k1 (barrel to pincushion, monotonic over the image)",
                                     low=-0.3, high=0.3)
    k2: Tuple[float, float] = option((-0.02, 0.02), "radial k2", low=-0.1, high=0.1)
    depth_mm: Tuple[float, float] = option((1500.0, 10000.0), "root depth along the optical axis", low=100.0,
                                           high=1e6)
    log_depth: bool = option(True, "depth uniform in log (as many near people as far ones)")
    pitch_deg: Tuple[float, float] = option((-15.0, 35.0), "camera looking down (> 0) or up", low=-89.0, high=89.0)
    roll_deg: Tuple[float, float] = option((-8.0, 8.0), "camera roll", low=-90.0, high=90.0)
    margin: float = option(0.85, "the root lands inside this fraction of the image", low=0, high=1)
    body_scale: Tuple[float, float] = option((0.86, 1.14), "body size (teenage to tall adult)", low=0.1, high=10)
    bone_jitter: float = option(0.06, "relative change of each bone's length", low=0, high=0.5)
    noise_frac: Tuple[float, float] = option((0.0, 0.025), "pixel noise sigma / person height in px", low=0, high=1)
    clean_prob: float = option(0.35, "share of samples without any 2D noise (ground-truth-like)", low=0, high=1)
    drop_prob: float = option(0.04, "per joint, missing", low=0, high=1)
    outlier_prob: float = option(0.01, "per joint, displaced by 10-50 % of the person's height", low=0, high=1)
    truncate: bool = option(True, "joints outside the image are missing")


def _uniform(g: torch.Generator, n: int, lo_hi: Tuple[float, float]) -> Tensor:
    lo, hi = lo_hi
    return torch.rand(n, generator=g, dtype=torch.float64) * (hi - lo) + lo


def _rotation(axis: int, angle: Tensor) -> Tensor:
    """Rotation matrices ``[B, 3, 3]`` about a coordinate axis."""
    c, s = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(c), torch.zeros_like(c)
    if axis == 0:
        rows = [[one, zero, zero], [zero, c, -s], [zero, s, c]]
    elif axis == 1:
        rows = [[c, zero, s], [zero, one, zero], [-s, zero, c]]
    else:
        rows = [[c, -s, zero], [s, c, zero], [zero, zero, one]]
    return torch.stack([torch.stack(r, -1) for r in rows], -2)


_RADII = torch.linspace(0.0, 4.0, 801, dtype=torch.float64)


def _undistorted_radius_limit(radial: Tensor, min_slope: float = 0.2) -> Tensor:
    """``[B]`` the undistorted radius up to which each lens's distortion ``r (1 + k1 r^2 + k2
    r^4 + k3 r^6)`` keeps rising with a slope of at least ``min_slope`` (4 at most)."""
    r2 = _RADII.to(radial.dtype)[None] ** 2
    k = radial[:, :, None]
    slope = 1 + r2 * (3 * k[:, 0] + r2 * (5 * k[:, 1] + r2 * 7 * k[:, 2]))
    bad = slope < min_slope
    first = torch.where(bad.any(1), bad.float().argmax(1), torch.full_like(bad[:, 0], len(_RADII) - 1, dtype=torch.long))
    return _RADII.to(radial.dtype)[first]


def _distorted_radius_limit(radial: Tensor) -> Tensor:
    """``[B]`` the distorted radius at :func:`_undistorted_radius_limit`, with a 1 % margin:
    distorted points inside it have one undistorted point."""
    r = _undistorted_radius_limit(radial)
    k = radial
    return 0.99 * r * (1 + r ** 2 * (k[:, 0] + r ** 2 * (k[:, 1] + r ** 2 * k[:, 2])))


def _checked_poses(poses_world, skeleton: Union[str, Skeleton], up: str) -> Tuple[Skeleton, Tensor, int]:
    """The skeleton, the poses as float64 ``[B, J, 3]`` and the index of the up axis, or a
    ValueError naming the argument that is wrong."""
    sk = resolve_skeleton(skeleton)
    x = torch.as_tensor(poses_world, dtype=torch.float64)
    if x.dim() != 3 or x.shape[1:] != (sk.num_joints, 3):
        raise ValueError(f"poses_world: expected [B, {sk.num_joints}, 3], got {tuple(x.shape)}")
    if up not in ("x", "y", "z"):
        raise ValueError(f"up: expected 'x', 'y' or 'z', got {up!r}")
    return sk, x, "xyz".index(up)


class VirtualCameras:
    """Draw a camera per pose and see the pose through it (see the module docstring).

    Args:
        config: the distributions (:class:`VirtualCameraConfig`).
        seed: seed of the generator (draws are reproducible).

    ``views = cameras(poses_world, skeleton, up="z")`` with ``poses_world [B, J, 3]`` (mm,
    ``up`` the vertical axis) returns a dict: ``joints_cam_mm [B, J, 3]`` (after body and bone
    rescaling), ``joints_2d_px [B, J, 2]`` (noisy, distorted as the lens does; NaN where missing),
    ``joints_2d_clean_px [B, J, 2]``, ``confidence [B, J]`` (0 for missing joints), ``cameras`` (a
    :class:`~hdnet.camera.Cameras` of B, float64), ``image_size [B, 2]`` (W, H). It is
    :meth:`place` (bodies and cameras) then :meth:`observe` (a detector's view of any points in
    those cameras: the joints here, other keypoints made from them elsewhere).
    """

    def __init__(self, config: Optional[VirtualCameraConfig] = None, seed: int = 0):
        self.config = config or VirtualCameraConfig()
        self.generator = torch.Generator().manual_seed(int(seed))

    def rescale_bodies(self, poses: Tensor, skeleton: Skeleton, up: int) -> Tensor:
        """Scale each body and jitter each bone's length along the kinematic tree, keeping the
        root where it was and the lowest joint's height above the floor."""
        cfg, g = self.config, self.generator
        b, j, _ = poses.shape
        scale = _uniform(g, b, cfg.body_scale)[:, None]
        jitter = 1 + (torch.rand(b, j, generator=g, dtype=torch.float64) * 2 - 1) * cfg.bone_jitter
        out = scale_bones(poses, skeleton, scale * jitter)
        floor_before = poses[:, :, up].min(1).values
        out[:, :, up] += (floor_before - out[:, :, up].min(1).values)[:, None]
        return out

    def __call__(self, poses_world, skeleton: Union[str, Skeleton], up: str = "z") -> Dict[str, Any]:
        placed = self.place(poses_world, skeleton, up)
        noisy, clean, conf = self.observe(placed["joints_cam_mm"], placed["cameras"], placed["image_size"])
        return {"joints_cam_mm": placed["joints_cam_mm"].float(), "joints_2d_px": noisy.float(),
                "joints_2d_clean_px": clean.float(), "confidence": conf.float(), "cameras": placed["cameras"],
                "image_size": placed["image_size"].float()}

    def place(self, poses_world, skeleton: Union[str, Skeleton], up: str = "z") -> Dict[str, Any]:
        """Bodies rescaled and put in front of drawn cameras: ``{"joints_cam_mm" [B, J, 3]
        float64, "cameras" (Cameras of B, float64), "image_size" [B, 2]}``."""
        cfg, g = self.config, self.generator
        sk, x, u = _checked_poses(poses_world, skeleton, up)
        b = x.shape[0]
        x = self.rescale_bodies(x, sk, u)
        # the world with Z up, the root at the origin horizontally (its height kept relative)
        if u != 2:
            x = x[..., [(u + 1) % 3, (u + 2) % 3, u]]
        rel = x - x[:, sk.root:sk.root + 1]
        # a random heading, then world (right, forward, up) -> camera (right, down, forward)
        yaw = torch.rand(b, generator=g, dtype=torch.float64) * 2 * math.pi
        rel = rel @ _rotation(2, yaw).transpose(1, 2)
        to_cam = torch.tensor([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]], dtype=torch.float64)
        rel = rel @ to_cam.T
        pitch = torch.deg2rad(_uniform(g, b, cfg.pitch_deg))
        roll = torch.deg2rad(_uniform(g, b, cfg.roll_deg))
        rot = _rotation(2, roll) @ _rotation(0, -pitch)
        rel = rel @ rot.transpose(1, 2)
        # the camera: image size, field of view, principal point, distortion
        sizes = torch.tensor(_IMAGE_SIZES, dtype=torch.float64)[torch.randint(len(_IMAGE_SIZES), (b,), generator=g)]
        portrait = torch.rand(b, generator=g) < cfg.portrait_prob
        sizes[portrait] = sizes[portrait].flip(-1)
        w, h = sizes[:, 0], sizes[:, 1]
        hfov = torch.deg2rad(_uniform(g, b, cfg.hfov_deg))
        fx = (torch.maximum(w, h) / 2) / torch.tan(hfov / 2)
        fy = fx * (1 + (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * cfg.aspect_jitter)
        cx = w / 2 - 0.5 + (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * cfg.principal_jitter * w
        cy = h / 2 - 0.5 + (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * cfg.principal_jitter * h
        radial = torch.zeros(b, 3, dtype=torch.float64)
        dist = torch.rand(b, generator=g) < cfg.distortion_prob
        radial[dist, 0] = _uniform(g, int(dist.sum()), cfg.k1)
        radial[dist, 1] = _uniform(g, int(dist.sum()), cfg.k2)
        # the root somewhere in the image, at a drawn depth
        lo, hi = cfg.depth_mm
        z = (torch.exp(_uniform(g, b, (math.log(lo), math.log(hi)))) if cfg.log_depth
             else _uniform(g, b, cfg.depth_mm))
        px = (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * cfg.margin * (w / 2)
        py = (torch.rand(b, generator=g, dtype=torch.float64) * 2 - 1) * cfg.margin * (h / 2)
        root = torch.stack([(px + w / 2 - 0.5 - cx) / fx * z, (py + h / 2 - 0.5 - cy) / fy * z, z], -1)
        cam = rel + root[:, None]
        # keep every joint in front of the camera (a near person that leans in)
        cam[..., 2] = cam[..., 2].clamp_min(100.0)
        return {"joints_cam_mm": cam, "cameras": Cameras(torch.stack([fx, fy, cx, cy], -1), radial),
                "image_size": sizes}

    def place_recorded(self, poses_world, skeleton: Union[str, Skeleton], cameras: Sequence[MocapCamera],
                       up: str = "z") -> Dict[str, Any]:
        """Bodies rescaled (as :meth:`place` does) and seen by a capture's calibrated cameras, one
        drawn per pose, from where they stand in the capture's world: what :meth:`place`
        returns, with the cameras' own lens distortion. ``cameras`` must share the poses' world
        (e.g. one studio's cameras)."""
        sk, x, u = _checked_poses(poses_world, skeleton, up)
        cams = list(cameras)
        if not cams or not all(isinstance(c, MocapCamera) for c in cams):
            raise TypeError("cameras: expected a non-empty sequence of MocapCamera")
        x = self.rescale_bodies(x, sk, u)
        pick = torch.randint(len(cams), (x.shape[0],), generator=self.generator)
        R = torch.tensor(np.stack([c.R for c in cams]), dtype=torch.float64)[pick]
        T = torch.tensor(np.stack([c.T for c in cams]), dtype=torch.float64)[pick]
        lens = Cameras.from_list([c.camera for c in cams])
        sizes = torch.tensor([[c.width, c.height] for c in cams], dtype=torch.float64)[pick]
        cam = torch.einsum("bjk,bkl->bjl", x - T[:, None], R)  # X_cam = R^T (X - T), row vectors
        cam[..., 2] = cam[..., 2].clamp_min(100.0)
        return {"joints_cam_mm": cam, "cameras": Cameras(lens.intrinsics[pick], lens.distortion[pick],
                                                                 lens.distortion_model),
                "image_size": sizes}

    def observe(self, points_cam: Tensor, cameras: Cameras, image_size: Tensor,
                difficulty: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        """A detector's view of camera-space points ``[B, K, 3]``: ``(noisy px [B, K, 2], clean
        px [B, K, 2], confidence [B, K])``; missing points (score 0) are NaN in the noisy pixels.

        ``difficulty [K]`` in ``[0, 1]`` (default 0) says how hard each point is for a detector
        (a face or a foot point more than a hip): harder points get lower scores, more noise and
        more drops. On ``clean_prob`` of the samples everything is exact with score 1 (what
        ground-truth 2D looks like); on the others each score is fractional, the noise of a
        point grows as its score falls, a few points are displaced far (outliers) or missing
        (score 0), and with ``truncate`` points outside the image are missing. Points past the
        radius where the lens's distortion folds back are missing in both (their pixels say
        nothing a real camera would show).
        """
        cfg, g = self.config, self.generator
        pts = torch.as_tensor(points_cam, dtype=torch.float64)
        b, k, _ = pts.shape
        clean = cameras.project(pts.clamp_min(torch.tensor([-float("inf"), -float("inf"), 100.0], dtype=pts.dtype)))
        dif = torch.zeros(k, dtype=pts.dtype) if difficulty is None else torch.as_tensor(difficulty, dtype=pts.dtype)
        height = (clean[..., 1].max(1).values - clean[..., 1].min(1).values).clamp_min(1.0)
        is_clean = torch.rand(b, generator=g) < cfg.clean_prob
        # scores: most points confident, harder ones and a random occluded share less so
        occluded = torch.rand(b, k, generator=g, dtype=pts.dtype) < _uniform(g, b, (0.0, 0.3))[:, None]
        q = dif[None] * (0.5 + torch.rand(b, k, generator=g, dtype=pts.dtype)) + occluded * 0.6
        conf = (1.0 - q * (0.3 + 0.6 * torch.rand(b, k, generator=g, dtype=pts.dtype))
                + torch.randn(b, k, generator=g, dtype=pts.dtype) * 0.03).clamp(0.02, 1.0)
        sigma = _uniform(g, b, cfg.noise_frac) * height
        noise = torch.randn(b, k, 2, generator=g, dtype=pts.dtype) * (sigma[:, None] * (0.5 + 2.0 * (1 - conf)))[..., None]
        noisy = clean + noise
        out = torch.rand(b, k, generator=g) < cfg.outlier_prob
        if out.any():
            shift = torch.randn(int(out.sum()), 2, generator=g, dtype=pts.dtype)
            shift = shift / shift.norm(dim=-1, keepdim=True).clamp_min(1e-9)
            amount = (torch.rand(int(out.sum()), generator=g, dtype=pts.dtype) * 0.4 + 0.1)
            noisy[out] += shift * (amount * height[:, None].expand(b, k)[out])[:, None]
            conf[out] = conf[out] * torch.rand(int(out.sum()), generator=g, dtype=pts.dtype)
        dropped = torch.rand(b, k, generator=g, dtype=pts.dtype) < cfg.drop_prob * (1 + 2 * dif[None])
        conf = torch.where(dropped, torch.zeros_like(conf), conf)
        noisy = torch.where(is_clean[:, None, None], clean, noisy)
        conf = torch.where(is_clean[:, None], torch.ones_like(conf), conf)
        if cfg.truncate:
            w, h = image_size[:, None, 0], image_size[:, None, 1]
            inside = (noisy[..., 0] >= -0.5) & (noisy[..., 0] <= w - 0.5) & (noisy[..., 1] >= -0.5) & \
                (noisy[..., 1] <= h - 0.5)
            conf = conf * inside.to(conf.dtype)
        # a lens shows nothing past the radius where its distortion turns back on itself: points
        # beyond it (or pushed beyond it by the noise) are missing
        k = cameras.radial.to(pts.dtype)
        limit = _distorted_radius_limit(k)  # [B]
        xy = pts[..., :2] / pts[..., 2:].clamp_min(100.0)
        r = (xy ** 2).sum(-1).sqrt()
        seen_clean = r * (1 + r ** 2 * (k[:, None, 0] + r ** 2 * (k[:, None, 1] + r ** 2 * k[:, None, 2]))) \
            < limit[:, None]
        seen_clean &= r < _undistorted_radius_limit(k)[:, None]
        f, c = cameras.intrinsics[:, None, :2].to(pts.dtype), cameras.intrinsics[:, None, 2:].to(pts.dtype)
        seen = seen_clean & (((noisy - c) / f).norm(dim=-1) < limit[:, None])
        conf = torch.where(seen, conf, torch.zeros_like(conf))
        missing = (conf <= 0)[..., None]
        nan = torch.full_like(noisy, float("nan"))
        return torch.where(missing, nan, noisy), torch.where(seen_clean[..., None], clean, nan), conf
