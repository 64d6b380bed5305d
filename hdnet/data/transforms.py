"""Framing (source image -> network input), image warping and box masks on the output grid.

Every framing is an affine from source pixels to input pixels (``hdnet.camera`` conventions:
pixel centres on integer coordinates), so the coordinate map built from it with
:func:`hdnet.camera.coord_map` is exact whatever the crop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..camera import Camera, apply_affine, crop_affine, invert_affine, pixel_grid
from .batch import ImageBatch

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "principal_point_framing", "image_framing",
           "person_framing", "warp_image", "box_masks", "load_image", "read_image_file", "normalize_image",
           "Augmentation", "gaussian_heatmaps", "to_grid", "encode_targets", "affine_scale",
           "bin_focal", "mirror_framing", "DEPTH_REFERENCE_SCALE", "Preprocessing", "FRAMINGS"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Input pixels per source pixel of the original HDNet framing (a 1000 px window -> 256 px).
DEPTH_REFERENCE_SCALE = 256.0 / 1000.0


def affine_scale(affine) -> float:
    """Input pixels per source pixel of an affine ``[2, 3]`` (``sqrt |det|``)."""
    a = np.asarray(affine, dtype=np.float64)
    return float(np.sqrt(abs(np.linalg.det(a[:2, :2]))))


def bin_focal(camera: Camera, affine, reference_scale: float = DEPTH_REFERENCE_SCALE):
    """The focal lengths ``(fx, fy)`` that HDNet's depth bins use for an image framed by
    ``affine``: the camera's, rescaled to the original framing's scale,
    ``f * affine_scale / reference_scale``.

    The network sees a person's size in *input* pixels, which is proportional to
    ``f * affine_scale / Z``; with this focal length ``d = Z / sqrt(fx fy)`` is a function of
    that apparent size whatever the crop, and equals the original's ``Z / sqrt(fx fy)`` for its
    own framing (1000 px window to 256 px), so the original bins (2.0-8.0) and checkpoint keep
    their meaning.
    """
    k = affine_scale(affine) / reference_scale
    return camera.fx * k, camera.fy * k


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
    a = torch.as_tensor(np.asarray(affine, order="C") if not torch.is_tensor(affine) else affine,
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
    b = torch.as_tensor(np.asarray(boxes_xyxy, dtype=np.float64, order="C"))
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
        q = apply_affine(torch.as_tensor(np.asarray(affine, dtype=np.float64, order="C")), centres)
        cell = ((q + 0.5) / stride).floor().long().clamp(0, output_size - 1)
        for k, p in enumerate(empty):
            masks[p, cell[k, 1], cell[k, 0]] = True
    return masks


_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")


def read_image_file(path, as_uint8: bool = False) -> np.ndarray:
    """Decode an image file to ``H x W x 3`` float32 in ``[0, 1]`` (``as_uint8``: uint8 in 0..255,
    what a detector such as MediaPipe takes): 8-bit images by 255, 16-bit ones (PNG, TIFF) by
    65535 (their real range, not clipped to 255), float images as they are if they lie in
    ``[0, 1]``; greyscale, palette, CMYK and alpha images as RGB; turned as its EXIF orientation
    says (as shown). The one decoder of image files: image models and detectors see the same
    pixels."""
    from ..camera.exif import as_shown
    from ..core.files import open_image
    p = os.fspath(path)
    try:
        with open_image(p) as opened:
            opened.load()
            im = as_shown(opened)
            mode = im.mode
            if mode in _SIXTEEN_BIT_MODES or mode == "I":
                a = np.asarray(im, dtype=np.float64)
                if a.min() < 0 or a.max() > 65535:
                    raise ValueError(f"image: {p!r} holds 32-bit integers outside 0..65535; convert "
                                     "it to 8 or 16 bits")
                a = a / 65535.0
            elif mode == "F":
                a = np.asarray(im, dtype=np.float64)
                if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
                    raise ValueError(f"image: {p!r} is a float image with values outside [0, 1] "
                                     f"(range {np.nanmin(a):g}..{np.nanmax(a):g}); scale it to [0, 1]")
            else:
                rgb = np.asarray(im.convert("RGB"))
                return rgb if as_uint8 else rgb.astype(np.float32) / 255.0
    except (OSError, SyntaxError) as e:  # truncated or corrupt data
        raise ValueError(f"image: {p!r} cannot be decoded ({e}); is it truncated?") from None
    grey = np.repeat(a[..., None], 3, axis=2)
    return np.round(grey * 255.0).astype(np.uint8) if as_uint8 else grey.astype(np.float32)


def load_image(image) -> Tensor:
    """An RGB image as a float tensor ``[3, H, W]`` in ``[0, 1]``.

    Accepts a path (decoded with Pillow as viewers and detectors show it, EXIF orientation
    applied; 8-bit images scaled by 255, 16-bit PNG/TIFF by 65535; greyscale repeated to three
    channels), a numpy ``H x W x 3`` (or ``H x W`` greyscale) array
    (uint8, uint16, or float in ``[0, 1]``), or a tensor ``[3, H, W]`` (uint8, or float in
    ``[0, 1]``).

    Raises:
        FileNotFoundError: no file at the path. ValueError: a file that is not a readable image
            (named), a wrong shape, values outside ``[0, 1]`` or NaN. TypeError: another type.
    """
    if isinstance(image, (str, os.PathLike)):
        if not os.path.isfile(image):
            raise FileNotFoundError(f"image: no file at {os.fspath(image)!r}")
        return torch.from_numpy(np.ascontiguousarray(read_image_file(image))).permute(2, 0, 1).contiguous()
    if isinstance(image, np.ndarray):
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image: expected an H x W x 3 RGB array, got shape {image.shape}")
        if image.dtype == np.uint8:
            scale = 255.0
        elif image.dtype == np.uint16:
            scale = 65535.0
        elif np.issubdtype(image.dtype, np.floating):
            scale = 1.0
        else:
            raise TypeError(f"image: expected a uint8, uint16 or float array, got {image.dtype}")
        t = torch.from_numpy(np.array(image, dtype=np.float32, copy=True) / np.float32(scale)).permute(2, 0, 1)
        return _check_unit_range(t.contiguous())
    if torch.is_tensor(image):
        if image.dim() != 3 or image.shape[0] != 3:
            raise ValueError(f"image: expected a tensor [3, H, W], got {tuple(image.shape)}")
        if image.dtype == torch.uint8:
            return image.float() / 255.0
        if not image.is_floating_point():
            raise TypeError(f"image: expected a uint8 or float tensor, got {image.dtype}")
        return _check_unit_range(image.float())
    raise TypeError(f"image: expected a path, numpy array or tensor, got {type(image).__name__}")


def _check_unit_range(t: Tensor) -> Tensor:
    if t.numel() and (bool(torch.isnan(t).any()) or float(t.min()) < 0 or float(t.max()) > 1):
        lo, hi = float(torch.nan_to_num(t, nan=0.0).min()), float(torch.nan_to_num(t, nan=0.0).max())
        raise ValueError(f"image: float images must lie in [0, 1] without NaN, got values "
                         f"{lo:g}..{hi:g}{' and NaN' if bool(torch.isnan(t).any()) else ''}; for 0..255 "
                         "data pass a uint8 array or divide by 255")
    return t


def normalize_image(image: Tensor, mean: Sequence[float] = IMAGENET_MEAN,
                    std: Sequence[float] = IMAGENET_STD) -> Tensor:
    """``(image - mean) / std`` per channel, for ``[3, H, W]`` or ``[N, 3, H, W]``."""
    m = torch.as_tensor(mean, dtype=image.dtype, device=image.device).view(3, 1, 1)
    s = torch.as_tensor(std, dtype=image.dtype, device=image.device).view(3, 1, 1)
    return (image - m) / s


# ---------------------------------------------------------------------------- person crops
def person_framing(box_xyxy, input_size: int, scale: float = 1.25, rotation_deg: float = 0.0,
                   flip: bool = False, shift=(0.0, 0.0)) -> np.ndarray:
    """A person-centred square crop: the box's longer side times ``scale``, centred on the box
    (moved by ``shift`` times the crop size), rotated and flipped as asked. Affine ``[2, 3]``."""
    b = np.asarray(box_xyxy, dtype=np.float64).reshape(4)
    w, h = b[2] - b[0], b[3] - b[1]
    if w <= 0 or h <= 0:
        raise ValueError(f"box_xyxy: expected x2 > x1 and y2 > y1, got {b.tolist()}")
    size = max(w, h) * scale
    centre = np.array([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]) + np.asarray(shift) * size
    return crop_affine(centre, size, int(input_size), rotation_deg, flip)


# ---------------------------------------------------------------------------- the pipeline
FRAMINGS = ("principal", "image", "person")


@dataclass(frozen=True)
class Preprocessing:
    """How a model's input is made from a source image: the one framing pipeline that training
    (:class:`~hdnet.data.HDNetTrainingSet`), evaluation and the :class:`~hdnet.Predictor` share,
    and that checkpoints store beside the weights (so it is never retyped).

    Args:
        input_size: network input side in pixels (a positive multiple of 32).
        framing: ``"principal"`` (the original: a square window on the principal point,
            ``window_px`` wide or just holding the whole image), ``"image"`` (the whole image,
            letterboxed) or ``"person"`` (a square crop 1.25 times each box's longer side).
        window_px: window side for ``"principal"`` framing (None: fit the whole image).
        reference_scale: input pixels per source pixel of the framing the depth bins were
            trained for (the original: 256 / 1000); see :func:`bin_focal`.
        mean, std: per-channel input normalisation (ImageNet's by default).

    >>> Preprocessing(framing="person", input_size=64).output_size
    16
    """

    input_size: int = 256
    framing: str = "principal"
    window_px: Optional[float] = None
    reference_scale: float = DEPTH_REFERENCE_SCALE
    mean: Tuple[float, float, float] = IMAGENET_MEAN
    std: Tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if isinstance(self.input_size, bool) or not isinstance(self.input_size, int) \
                or self.input_size <= 0 or self.input_size % 32:
            raise ValueError(f"input_size: expected a positive multiple of 32, got {self.input_size!r}")
        if self.framing not in FRAMINGS:
            raise ValueError(f"framing: expected one of {FRAMINGS}, got {self.framing!r}")
        if self.window_px is not None and not (np.isfinite(self.window_px) and self.window_px > 0):
            raise ValueError(f"window_px: expected a positive size in px or None, got {self.window_px!r}")
        if not (np.isfinite(self.reference_scale) and self.reference_scale > 0):
            raise ValueError(f"reference_scale: expected > 0, got {self.reference_scale!r}")
        for name in ("mean", "std"):
            v = tuple(float(x) for x in getattr(self, name))
            if len(v) != 3 or not all(np.isfinite(v)) or (name == "std" and min(v) <= 0):
                raise ValueError(f"{name}: expected 3 finite numbers (std > 0), got {getattr(self, name)!r}")
            object.__setattr__(self, name, v)

    @property
    def output_size(self) -> int:
        """Side of the network's output grid (``input_size / 4``)."""
        return self.input_size // 4

    def affine(self, camera: Camera, image_size: Tuple[int, int], box_xyxy=None) -> np.ndarray:
        """The framing affine ``[2, 3]`` (source px -> input px) of one input: the image's for
        ``"principal"`` and ``"image"``, the person's (``box_xyxy`` needed) for ``"person"``."""
        if self.framing == "principal":
            return principal_point_framing(camera, self.input_size, image_size, self.window_px)
        if self.framing == "image":
            return image_framing(image_size, self.input_size)
        if box_xyxy is None:
            raise ValueError("box_xyxy: person framing needs the person's box")
        return person_framing(box_xyxy, self.input_size)

    def frame(self, image: Tensor, camera: Camera, affine) -> Tuple[Tensor, Tensor, Tuple[float, float]]:
        """One framed input: ``(normalised image [3, S, S], coord map [2, s, s] float32,
        bin focal lengths (fx, fy))`` for ``image [3, H, W]`` in ``[0, 1]``."""
        x = normalize_image(warp_image(image, affine, self.input_size), self.mean, self.std)
        cmap = torch.as_tensor(camera.coord_map(affine, self.input_size, self.output_size),
                               dtype=torch.float32)
        return x, cmap, bin_focal(camera, affine, self.reference_scale)

    def inputs(self, image: Tensor, camera: Camera, boxes_xyxy, affines: Sequence, batch: Tensor) -> ImageBatch:
        """The :class:`~hdnet.data.ImageBatch` of one source image ``[3, H, W]`` (in ``[0, 1]``)
        framed by each of ``affines`` (source px -> input px), person ``i`` (box ``i`` of
        ``boxes_xyxy [P, 4]``, source px) read from framed input ``batch[i]``."""
        framed = [self.frame(image, camera, a) for a in affines]
        b = torch.as_tensor(batch, dtype=torch.long)
        boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
        if len(boxes) != b.shape[0]:
            raise ValueError(f"batch: {b.shape[0]} entries for {len(boxes)} boxes")
        masks = torch.zeros(len(boxes), self.output_size, self.output_size, dtype=torch.bool)
        for n in b.unique().tolist():
            sel = (b == n).nonzero().flatten()
            masks[sel] = box_masks(boxes[sel.numpy()], affines[n], self.input_size, self.output_size)
        focal = torch.tensor([framed[int(n)][2] for n in b], dtype=torch.float32).reshape(-1, 2)
        return ImageBatch(images=torch.stack([f[0] for f in framed]), coord_map=torch.stack([f[1] for f in framed]),
                          masks=masks, batch=b, focal=focal)

    def to_dict(self) -> dict:
        return {"input_size": self.input_size, "framing": self.framing, "window_px": self.window_px,
                "reference_scale": self.reference_scale, "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, data: dict) -> "Preprocessing":
        if not isinstance(data, dict):
            raise TypeError(f"preprocessing: expected a dict, got {type(data).__name__}")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"preprocessing: unknown keys {unknown}")
        d = dict(data)
        for k in ("mean", "std"):
            if k in d:
                d[k] = tuple(d[k])
        return cls(**d)


# ---------------------------------------------------------------------------- augmentation
class Augmentation:
    """Random framing and colour changes for training (seeded through the generator given).

    Args:
        scale: range of the crop-size factor (around the framing's own size).
        rotation_deg: maximum absolute rotation; applied with probability ``rotation_prob``.
        flip_prob: probability of a horizontal flip (joints are swapped with the skeleton's flip
            pairs by :func:`encode_targets`).
        shift: maximum centre shift as a fraction of the crop size.
        color: maximum relative change of each colour channel's gain.
    """

    def __init__(self, scale=(0.8, 1.2), rotation_deg: float = 30.0, rotation_prob: float = 0.6,
                 flip_prob: float = 0.5, shift: float = 0.1, color: float = 0.2):
        self.scale, self.rotation_deg, self.rotation_prob = scale, rotation_deg, rotation_prob
        self.flip_prob, self.shift, self.color = flip_prob, shift, color

    def sample(self, rng: np.random.Generator) -> dict:
        """Draw one set of parameters: ``scale``, ``rotation_deg``, ``flip``, ``shift``, ``gain``."""
        rot = rng.uniform(-self.rotation_deg, self.rotation_deg) if rng.random() < self.rotation_prob else 0.0
        return {"scale": float(rng.uniform(*self.scale)), "rotation_deg": float(rot),
                "flip": bool(rng.random() < self.flip_prob),
                "shift": rng.uniform(-self.shift, self.shift, 2),
                "gain": rng.uniform(1 - self.color, 1 + self.color, 3)}

    @staticmethod
    def framing(base_affine, params: dict, input_size: int) -> np.ndarray:
        """The base framing changed by ``params``: scaled, rotated and shifted about the
        input's centre, then flipped."""
        c = (input_size - 1) / 2.0
        inner = crop_affine([c - params["shift"][0] * input_size, c - params["shift"][1] * input_size],
                            input_size * params["scale"], input_size, params["rotation_deg"],
                            params["flip"])
        a = np.vstack([np.asarray(base_affine, dtype=np.float64), [0, 0, 1]])
        b = np.vstack([inner, [0, 0, 1]])
        return (b @ a)[:2]

    @staticmethod
    def colour(image: Tensor, params: dict) -> Tensor:
        """Per-channel gain on an image ``[3, H, W]`` in ``[0, 1]``."""
        g = torch.as_tensor(params["gain"], dtype=image.dtype).view(3, 1, 1)
        return (image * g).clamp(0, 1)


def mirror_framing(affine, input_size: int) -> np.ndarray:
    """``affine`` followed by a horizontal mirror of the input (input x -> ``input_size - 1 - x``
    with pixel centres at integers), for flip testing. Affine ``[2, 3]``."""
    return Augmentation.framing(affine, {"shift": (0.0, 0.0), "scale": 1.0, "rotation_deg": 0.0,
                                         "flip": True}, input_size)


# ---------------------------------------------------------------------------- targets
def gaussian_heatmaps(points_grid, size: int, sigma: float = 0.75, vis=None) -> Tensor:
    """Normalised Gaussian heatmaps ``[..., J, size, size]`` (each sums to 1) centred on
    ``points_grid [..., J, 2]`` in output-grid cell coordinates (cell centres on integers).
    Joints with ``vis == 0`` get an all-zero map."""
    p = torch.as_tensor(np.asarray(points_grid, dtype=np.float64, order="C")) if not torch.is_tensor(points_grid) \
        else points_grid.double()
    if sigma <= 0:
        raise ValueError(f"sigma: expected > 0, got {sigma}")
    ax = torch.arange(size, dtype=torch.float64)
    gx = torch.exp(-(ax - p[..., 0:1]) ** 2 / (2 * sigma ** 2))  # [..., J, W]
    gy = torch.exp(-(ax - p[..., 1:2]) ** 2 / (2 * sigma ** 2))  # [..., J, H]
    maps = gy[..., :, None] * gx[..., None, :]
    total = maps.sum((-2, -1), keepdim=True)
    maps = torch.where(total > 0, maps / total.clamp_min(1e-300), maps)
    if vis is not None:
        v = torch.as_tensor(np.asarray(vis, order="C"), dtype=torch.float64)
        maps = maps * v[..., None, None]
    return maps.float()


def to_grid(points_input_px, input_size: int, output_size: int):
    """Input-image pixels -> output-grid cell coordinates (cell centres on integers)."""
    stride = input_size / output_size
    return (np.asarray(points_input_px, dtype=np.float64) + 0.5) / stride - 0.5


def encode_targets(joints_2d_px, root_depth_mm: float, camera: Camera, affine, bins,
                   input_size: int, output_size: int, *, joints_vis=None, flip_pairs=None,
                   flipped: bool = False, sigma: float = 0.75, focal=None) -> dict:
    """HDNet's training targets for one person.

    Args:
        joints_2d_px: ``[J, 2]`` joints in the source image (pixels, as the camera sees them).
        root_depth_mm: Z of the root (mm); bins: a :class:`~hdnet.layers.DepthBins`.
        affine: the framing, source px -> input px; ``flipped``: whether it mirrors (then joints
            are swapped with ``flip_pairs`` so left stays left in the picture's meaning).
        joints_vis: ``[J]`` annotation visibility (default all 1).
        focal: ``(fx, fy)`` for the depth bins (default the camera's; see :func:`bin_focal`).

    Returns:
        ``heatmap [J, h, w]`` (normalised Gaussians), ``pose [J, 2]`` (normalised camera
        coordinates, the soft-argmax target over :func:`hdnet.camera.coord_map`), ``bin_index``
        (scalar) and ``bin_probs [K]`` (two-hot), ``depth_in_range`` (False: clamped), ``vis
        [J]`` (annotated and inside the output frame). The person's box mask comes with the
        inputs (:meth:`Preprocessing.inputs`).
    """
    j = np.asarray(joints_2d_px, dtype=np.float64)
    n = j.shape[0]
    vis = np.ones(n) if joints_vis is None else np.asarray(joints_vis, dtype=np.float64).reshape(n)
    if flipped and flip_pairs:
        perm = list(range(n))
        for a, b in flip_pairs:
            perm[a], perm[b] = b, a
        j, vis = j[perm], vis[perm]
    grid = to_grid(apply_affine(np.asarray(affine, dtype=np.float64), j), input_size, output_size)
    inside = ((grid >= -0.5) & (grid <= output_size - 0.5)).all(-1)
    vis = vis * inside
    pose = camera.normalize(j)
    fx, fy = (camera.fx, camera.fy) if focal is None else focal
    idx, in_range = bins.index(torch.tensor(float(root_depth_mm)), fx, fy)
    return {"heatmap": gaussian_heatmaps(grid, output_size, sigma, vis),
            "pose": torch.as_tensor(pose, dtype=torch.float32),
            "bin_index": idx.float(), "bin_probs": bins.soft_target(idx).float(),
            "depth_in_range": bool(in_range),
            "vis": torch.as_tensor(vis, dtype=torch.float32)}
