"""Pictures of predictions: each person's box, root and depth on the image, beside a bird's-eye
view of where everyone stands."""

from __future__ import annotations

from ..core.files import atomic_write

__all__ = ["draw_roots", "PeoplePicture"]

COLORS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]


class PeoplePicture:
    """An image (EXIF orientation applied) with a bird's-eye view beside it (X right, Z up)
    sized for people at ``roots_mm [(x, y, z), ...]``: draw on :attr:`draw` over the image,
    :meth:`place` each person in the view, :meth:`save` atomically."""

    def __init__(self, image_path, roots_mm):
        from PIL import Image, ImageDraw, ImageOps
        with Image.open(image_path) as im:
            img = ImageOps.exif_transpose(im).convert("RGB")
        self.w, self.h = img.size
        self.side = self.h
        self.canvas = Image.new("RGB", (self.w + self.side, self.h), (245, 245, 245))
        self.canvas.paste(img, (0, 0))
        self.draw = ImageDraw.Draw(self.canvas)
        self.zmax = max([r[2] for r in roots_mm] + [1000.0]) * 1.15
        self.xmax = max([abs(r[0]) for r in roots_mm] + [self.zmax / 2])

    def place(self, root_mm, color) -> None:
        bx = self.w + self.side / 2 + root_mm[0] / self.xmax * self.side * 0.45
        by = self.h - 10 - root_mm[2] / self.zmax * (self.h - 20)
        self.draw.ellipse([bx - 5, by - 5, bx + 5, by + 5], fill=color)

    def save(self, path) -> str:
        w, h, side, d = self.w, self.h, self.side, self.draw
        d.polygon([(w + side / 2, h - 12), (w + side / 2 - 6, h - 2), (w + side / 2 + 6, h - 2)], fill=(0, 0, 0))
        d.text((w + 5, 5), f"bird's-eye view, depth up to {self.zmax / 1000:.1f} m", fill=(0, 0, 0))
        return atomic_write(path, lambda f: self.canvas.save(f, format="PNG"), "--out")


def draw_roots(image_path, results, path) -> str:
    """The image with each box and root, and beside it a bird's-eye view (X right, Z up),
    written atomically."""
    pic = PeoplePicture(image_path, [r.root_cam_mm for r in results])
    for i, r in enumerate(results):
        c = COLORS[i % len(COLORS)]
        x1, y1, x2, y2 = r.box_xyxy
        pic.draw.rectangle([x1, y1, x2, y2], outline=c, width=2)
        u, v = r.root_2d_px
        pic.draw.ellipse([u - 4, v - 4, u + 4, v + 4], fill=c)
        pic.draw.text((x1 + 3, y1 + 3), f"{r.depth_mm / 1000:.2f} m", fill=c)
        pic.place(r.root_cam_mm, c)
    return pic.save(path)
