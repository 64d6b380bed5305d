"""Pictures of predictions: each person's box, root and depth on the image, beside a bird's-eye
view of where everyone stands."""

from __future__ import annotations

from ..core.files import atomic_write

__all__ = ["draw_roots"]


def draw_roots(image_path, results, path) -> str:
    """The image with each box and root, and beside it a bird's-eye view (X right, Z up),
    written atomically."""
    from PIL import Image, ImageDraw
    with Image.open(image_path) as im:
        img = im.convert("RGB")
    w, h = img.size
    side = h
    canvas = Image.new("RGB", (w + side, h), (245, 245, 245))
    canvas.paste(img, (0, 0))
    d = ImageDraw.Draw(canvas)
    colors = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]
    zmax = max([r.root_cam_mm[2] for r in results] + [1000.0]) * 1.15
    xmax = max([abs(r.root_cam_mm[0]) for r in results] + [zmax / 2])
    for i, r in enumerate(results):
        c = colors[i % len(colors)]
        x1, y1, x2, y2 = r.box_xyxy
        d.rectangle([x1, y1, x2, y2], outline=c, width=2)
        u, v = r.root_2d_px
        d.ellipse([u - 4, v - 4, u + 4, v + 4], fill=c)
        d.text((x1 + 3, y1 + 3), f"{r.depth_mm / 1000:.2f} m", fill=c)
        bx = w + side / 2 + r.root_cam_mm[0] / xmax * side * 0.45
        by = h - 10 - r.root_cam_mm[2] / zmax * (h - 20)
        d.ellipse([bx - 5, by - 5, bx + 5, by + 5], fill=c)
    d.polygon([(w + side / 2, h - 12), (w + side / 2 - 6, h - 2), (w + side / 2 + 6, h - 2)], fill=(0, 0, 0))
    d.text((w + 5, 5), f"bird's-eye view, depth up to {zmax / 1000:.1f} m", fill=(0, 0, 0))
    return atomic_write(path, lambda f: canvas.save(f, format="PNG"), "--out")
