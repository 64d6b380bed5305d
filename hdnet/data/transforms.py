"""Framing (source image -> network input), image warping and box masks on the output grid.

Every framing is an affine from source pixels to input pixels (``hdnet.camera`` conventions:
pixel centres on integer coordinates), so the coordinate map built from it with
:func:`hdnet.camera.coord_map` is exact whatever the crop.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..camera import Camera, apply_affine, crop_affine, invert_affine, pixel_grid

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "principal_point_framing", "image_framing",
           "warp_image", "box_masks", "load_image", "normalize_image"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def principal_point_framing(camera: Camera, input_size: int, image_size: Optional[Tuple[int, int]] = None,
                            window_px: Optional[float] = None) -> np.ndarray:
    """The original HDNet framing: a square window centred on the principal point, resized to
    ``input_size``. Returns the affine ``[2, 3]`` (source px -> input px).

    Args:
        camera: the source camera (its ``cx, cy`` centre the window).
        input_size: network input side in pixels.
        image_size: ``(W, H)`` of the source image; with ``window_px=None`` the window is the
            smallest square around the principal point that holds the whole image.
        window_px: window side in source pixels (the original used 1000 on Human3.6M).
    """
    if window_px is None:
        if image_size is None:
            raise ValueError("image_size: required when window_px is not given")
        w, h = image_size
        half = max(camera.cx + 0.5, w - 0.5 - camera.cx, camera.cy + 0.5, h - 0.5 - camera.cy)
        window_px = 2.0 * half
    if window_px <= 0:
        raise ValueError(f"window_px: expected > 0, got {window_px}")
    return crop_affine([camera.cx, camera.cy], float(window_px), int(input_size))


def image_framing(image_size: Tuple[int, int], input_size: int) -> np.ndarray:
    """The whole image, centred and letterboxed into a square input: affine ``[2, 3]``."""
    w, h = image_size
    return crop_affine([(w - 1) / 2.0, (h - 1) / 2.0], float(max(w, h)), int(input_size))


def warp_image(image: Tensor, affine, output_size: Union[int, Tuple[int, int]],
               mode: str = "bilinear") -> Tensor:
    """Resample ``image [C, H, W]`` (or ``[N, C, H, W]`` with ``affine [N, 2, 3]``) so that
    output pixel ``q`` shows source pixel ``A^-1 q``; outside the source is 0.

    Exact for the pixel-centre convention (``grid_sample`` with ``align_corners=False``).
    """
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    ow, oh = output_size
    single = image.dim() == 3
    img = image[None] if single else image
    if img.dim() != 4:
        raise ValueError(f"image: expected [C, H, W] or [N, C, H, W], got {tuple(image.shape)}")
    if not img.is_floating_point():
        img = img.float()
    a = torch.as_tensor(np.asarray(affine) if not torch.is_tensor(affine) else affine,
                        dtype=torch.float64)
    if a.dim() == 2:
        a = a[None].expand(img.shape[0], 2, 3)
    inv = invert_affine(a)
    grid = pixel_grid(oh, ow, dtype=torch.float64).permute(1, 2, 0).reshape(-1, 2)  # [hw, 2]
    src = grid @ inv[..., :2].transpose(-1, -2) + inv[..., None, :, 2]  # [N, hw, 2]
    h, w = img.shape[-2:]
    norm = torch.stack([(2 * src[..., 0] + 1) / w - 1, (2 * src[..., 1] + 1) / h - 1], -1)
    norm = norm.reshape(-1, oh, ow, 2).to(img.dtype)
    out = F.grid_sample(img, norm, mode=mode, padding_mode="zeros", align_corners=False)
    return out[0] if single else out


def box_masks(boxes_xyxy, affine, input_size: int, output_size: int) -> Tensor:
    """Each box ``[P, 4]`` (source px, ``x1, y1, x2, y2``) as a mask ``[P, h, w]`` (bool) on the
    network's output grid: a cell is in when its centre, mapped back to the source image, lies
    inside the box. A box too small to hold any cell centre gets the cell under its centre, so
    no mask is ever empty.
    """
    b = torch.as_tensor(np.asarray(boxes_xyxy, dtype=np.float64))
    if b.dim() != 2 or b.shape[-1] != 4:
        raise ValueError(f"boxes_xyxy: expected shape [P, 4], got {tuple(b.shape)}")
    stride = input_size / output_size
    cells = pixel_grid(output_size, output_size, stride=stride, dtype=torch.float64)
    inv = torch.as_tensor(invert_affine(np.asarray(affine, dtype=np.float64)))
    pts = cells.permute(1, 2, 0).reshape(-1, 2)
    src = pts @ inv[:, :2].T + inv[:, 2]  # [hw, 2]
    u, v = src[:, 0][None], src[:, 1][None]
    inside = (u >= b[:, :1]) & (u <= b[:, 2:3]) & (v >= b[:, 1:2]) & (v <= b[:, 3:4])
    masks = inside.reshape(-1, output_size, output_size)
    empty = (~masks.flatten(1).any(1)).nonzero().flatten().tolist()
    if empty:
        centres = torch.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2], -1)[empty]
        q = apply_affine(torch.as_tensor(np.asarray(affine, dtype=np.float64)), centres)
        cell = ((q + 0.5) / stride).floor().long().clamp(0, output_size - 1)
        for k, p in enumerate(empty):
            masks[p, cell[k, 1], cell[k, 0]] = True
    return masks


def load_image(image) -> Tensor:
    """An RGB image as a float tensor ``[3, H, W]`` in ``[0, 1]``.

    Accepts a path (decoded with Pillow), a numpy ``H x W x 3`` uint8 RGB array, or a tensor
    ``[3, H, W]`` (uint8, or float in ``[0, 1]``).
    """
    if isinstance(image, (str, os.PathLike)):
        if not os.path.isfile(image):
            raise FileNotFoundError(f"image: no file at {os.fspath(image)!r}")
        from PIL import Image
        with Image.open(image) as im:
            image = np.asarray(im.convert("RGB"))
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image: expected an H x W x 3 RGB array, got shape {image.shape}")
        if image.dtype != np.uint8:
            raise TypeError(f"image: expected a uint8 array, got {image.dtype}")
        return torch.from_numpy(np.array(image, copy=True)).permute(2, 0, 1).float() / 255.0
    if torch.is_tensor(image):
        if image.dim() != 3 or image.shape[0] != 3:
            raise ValueError(f"image: expected a tensor [3, H, W], got {tuple(image.shape)}")
        return image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
    raise TypeError(f"image: expected a path, numpy array or tensor, got {type(image).__name__}")


def normalize_image(image: Tensor, mean: Sequence[float] = IMAGENET_MEAN,
                    std: Sequence[float] = IMAGENET_STD) -> Tensor:
    """``(image - mean) / std`` per channel, for ``[3, H, W]`` or ``[N, 3, H, W]``."""
    m = torch.as_tensor(mean, dtype=image.dtype, device=image.device).view(3, 1, 1)
    s = torch.as_tensor(std, dtype=image.dtype, device=image.device).view(3, 1, 1)
    return (image - m) / s
