"""Pictures of predictions: each person on the image (their box or keypoints with bones, and
their depth), beside a bird's-eye view of where everyone stands: a metre grid, the camera's
field of view, each person's skeleton seen from above and their depth uncertainty along their
ray."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

from ..core.files import atomic_write

__all__ = ["BirdsEyeView", "PeoplePicture", "draw_roots"]

COLORS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]
GRID = (200, 200, 200)
FIELD_OF_VIEW = (120, 120, 120)


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def _grid_step_m(extent_m: float) -> float:
    """The smallest of 0.5, 1, 2, 5, 10, ... metres that draws at most eight lines over ``extent_m``."""
    decade = 0.1
    while True:
        for step in (5 * decade, 10 * decade, 20 * decade):
            if extent_m / step <= 8:
                return round(step, 6)
        decade *= 10


class BirdsEyeView:
    """The map from camera-space millimetres to the pixels of a bird's-eye view: X to the
    right, Z (depth) up, the camera at the middle of the bottom edge, one scale for both axes.

    Args:
        left, top: the view's top-left corner in the picture (pixels).
        size: its side (pixels).
        points_mm: ``[N, 3]`` what must fit (roots, joints); the view reaches at least 1 m deep.

    Example:
        >>> view = BirdsEyeView(0, 0, 400, np.array([[0.0, 0.0, 3000.0]]))
        >>> view.to_px(0.0, 0.0) == (200.0, view.origin_v)
        True
    """

    margin = 12

    def __init__(self, left: float, top: float, size: float, points_mm: np.ndarray):
        p = np.asarray(points_mm, dtype=np.float64).reshape(-1, 3)
        p = p[np.isfinite(p).all(1)]
        self.depth_mm = max(float(p[:, 2].max()) * 1.15 if len(p) else 0.0, 1000.0)
        half = max(float(np.abs(p[:, 0]).max()) * 1.15 if len(p) else 0.0, 500.0)
        usable = size - 2 * self.margin
        self.px_per_mm = min(usable / self.depth_mm, usable / 2 / half)
        self.left, self.top, self.size = left, top, size
        self.origin_u = left + size / 2
        self.origin_v = top + size - self.margin

    def to_px(self, x_mm: float, z_mm: float) -> tuple:
        """The pixel ``(u, v)`` of the camera-space point ``(x_mm, ., z_mm)``."""
        return (self.origin_u + x_mm * self.px_per_mm, self.origin_v - z_mm * self.px_per_mm)

    def clip(self, x_mm: float, z_mm: float) -> tuple:
        """``(x_mm, z_mm)`` moved along its ray from the camera onto the view's edge if outside."""
        reach_z = (self.origin_v - self.top - self.margin) / self.px_per_mm
        reach_x = (self.size / 2 - self.margin) / self.px_per_mm
        k = min(1.0, reach_z / z_mm if z_mm > 0 else 1.0, reach_x / abs(x_mm) if x_mm else 1.0)
        return x_mm * k, z_mm * k


class PeoplePicture:
    """An image (a file, EXIF orientation applied, or an RGB array) with a :class:`BirdsEyeView` beside it, sized for
    ``points_mm`` (``[N, 3]``: the roots, and the joints where drawn): draw on :attr:`draw` over
    the image, :meth:`place` each person in the view, :meth:`save` atomically. With ``camera``
    (a :class:`~hdnet.camera.Camera` in the pixels of the image as shown) the view shows its field
    of view through the lens."""

    def __init__(self, image_path, points_mm, camera=None):
        from PIL import Image, ImageDraw

        from ..data.transforms import read_image_file
        if isinstance(image_path, np.ndarray):  # a decoded frame, RGB
            if image_path.ndim != 3 or image_path.shape[2] != 3 or image_path.dtype != np.uint8:
                raise ValueError(f"image: expected an H x W x 3 uint8 RGB array, got {image_path.dtype} "
                                 f"{image_path.shape}")
            img = Image.fromarray(image_path)
        else:  # the pixels the detectors and image models see
            img = Image.fromarray(read_image_file(image_path, as_uint8=True))
        self.w, self.h = img.size
        self.side = self.h
        self.canvas = Image.new("RGB", (self.w + self.side, self.h), (245, 245, 245))
        self.canvas.paste(img, (0, 0))
        self.draw = ImageDraw.Draw(self.canvas)
        self.font = _font(max(12, round(self.h / 45)))
        self.line = max(1, round(self.h / 350))
        self.view = BirdsEyeView(self.w, 0, self.side, np.asarray(points_mm, dtype=np.float64).reshape(-1, 3))
        self._finished = False  # the camera and the title drawn (finish)
        self._grid()
        if camera is not None:
            self._field_of_view(camera)

    def _grid(self) -> None:
        v, d = self.view, self.draw
        step = _grid_step_m(v.depth_mm / 1000)
        z = step
        while z * 1000 <= v.depth_mm:
            _, y = v.to_px(0.0, z * 1000)
            d.line([(v.left + v.margin, y), (v.left + v.size - v.margin, y)], fill=GRID, width=1)
            text = f"{z:g} m"
            _, top, _, bottom = d.textbbox((0, 0), text, font=self.font)
            d.text((v.left + v.margin + 2, y - (bottom - top) - 3), text, fill=FIELD_OF_VIEW, font=self.font)
            z = round(z + step, 6)

    def _field_of_view(self, camera) -> None:
        """The rays of the image's left and right edges through the lens (a fisheye's may point
        behind the camera: they leave the view below it)."""
        try:
            left, right, _, _ = camera.edge_angles(self.w, self.h)
        except ValueError:  # a lens that cannot be undone at the edges: no field of view drawn
            return
        v = self.view
        for angle in (left, right):
            far = v.depth_mm * 4
            x, z = v.clip(math.sin(math.radians(angle)) * far, math.cos(math.radians(angle)) * far)
            self.draw.line([v.to_px(0.0, 0.0), v.to_px(x, z)], fill=FIELD_OF_VIEW, width=1)

    def place(self, root_mm, color, joints_mm: Optional[np.ndarray] = None, bones: Sequence = (),
              depth_std_mm: Optional[float] = None) -> None:
        """Draw one person in the bird's-eye view: the root, the skeleton ``joints_mm`` (``[J, 3]``)
        seen from above along ``bones`` (index pairs), and the root's depth +- ``depth_std_mm``
        along the ray from the camera."""
        v, d = self.view, self.draw
        x, _, z = (float(c) for c in root_mm[:3])
        if not (math.isfinite(x) and math.isfinite(z)):
            return
        if depth_std_mm is not None and math.isfinite(depth_std_mm) and z > 0:
            near, far = max(z - depth_std_mm, 0.0) / z, (z + depth_std_mm) / z
            pale = tuple(int(c + (255 - c) * 0.55) for c in color)
            d.line([v.to_px(x * near, z * near), v.to_px(*v.clip(x * far, z * far))], fill=pale,
                   width=3 * self.line)
        if joints_mm is not None:
            j = np.asarray(joints_mm, dtype=np.float64)
            for a, b in bones:
                if np.isfinite(j[[a, b]][:, [0, 2]]).all():
                    d.line([v.to_px(j[a, 0], j[a, 2]), v.to_px(j[b, 0], j[b, 2])], fill=color, width=self.line)
        u, w = v.to_px(x, z)
        r = 2 + 2 * self.line
        d.ellipse([u - r, w - r, u + r, w + r], fill=color)

    def label(self, u: float, v: float, text: str, color) -> None:
        """``text`` with its bottom-left corner at ``(u, v)`` on the image, kept inside it."""
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=self.font)
        u = min(max(0.0, u), self.w - (right - left))
        v = max(0.0, v - (bottom - top) - 4)
        self.draw.rectangle([u, v, u + right - left + 4, v + bottom + 2], fill=(255, 255, 255))
        self.draw.text((u + 2, v), text, fill=color, font=self.font)

    def finish(self) -> np.ndarray:
        """The picture as an ``H x (W + H) x 3`` uint8 RGB array, the camera and the view's title drawn."""
        if not self._finished:
            v, d = self.view, self.draw
            u0, v0 = v.to_px(0.0, 0.0)
            d.polygon([(u0, v0 - 8), (u0 - 6, v0 + 4), (u0 + 6, v0 + 4)], fill=(0, 0, 0))
            d.text((v.left + v.margin, 4), "bird's-eye view (camera at the bottom)", fill=(0, 0, 0), font=self.font)
            self._finished = True
        return np.asarray(self.canvas)

    def save(self, path) -> str:
        self.finish()
        return atomic_write(path, lambda f: self.canvas.save(f, format="PNG"), "--out")


def draw_roots(image_path, results, path, camera=None) -> str:
    """The image with each box and root, and beside it a bird's-eye view (X right, Z up; with
    ``camera``, its field of view), written atomically."""
    pic = PeoplePicture(image_path, [r.root_cam_mm for r in results], camera)
    for i, r in enumerate(results):
        c = COLORS[i % len(COLORS)]
        x1, y1, x2, y2 = r.box_xyxy
        pic.draw.rectangle([x1, y1, x2, y2], outline=c, width=2 * pic.line)
        u, v = r.root_2d_px
        pic.draw.ellipse([u - 4, v - 4, u + 4, v + 4], fill=c)
        pic.label(x1, y1, f"{r.depth_mm / 1000:.2f} m", c)
        pic.place(r.root_cam_mm, c, depth_std_mm=r.depth_std_mm)
    return pic.save(path)
