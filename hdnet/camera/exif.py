"""A photo's focal length in pixels from its EXIF tags.

Cameras and phones record the lens's focal length, most also its 35 mm-film equivalent. The
equivalent is defined on the diagonal: a lens of ``F35`` mm frames the same view as ``F35`` mm
does on a 36 x 24 mm frame (diagonal 43.27 mm), so an image of diagonal ``D`` pixels has

.. math:: f_{px} = F_{35} \\cdot D / 43.27.

Without the equivalent, the focal length in mm with the sensor's pixel density
(``FocalPlaneXResolution`` per ``FocalPlaneResolutionUnit``) gives ``f_px = F_mm * density``,
rescaled when the image is smaller than the sensor readout it describes (``PixelXDimension``).
EXIF ``Orientation`` 5-8 means the pixels are stored turned by 90 degrees: the image as shown
(and as a detector that honours the tag sees it) has width and height swapped.

>>> round(focal_from_35mm(26.0, 4032, 3024), 1)  # a phone's main camera
3028.7
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Optional, Tuple

__all__ = ["ExifFocal", "read_exif_focal", "focal_from_35mm", "FULL_FRAME_DIAGONAL_MM", "exif_orientation", "as_shown"]

#: The diagonal of a 36 x 24 mm frame, on which 35 mm-equivalent focal lengths are defined.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)

_ORIENTATION, _EXIF_IFD = 0x0112, 0x8769
_FOCAL, _FOCAL_35 = 0x920A, 0xA405
_PLANE_X_RES, _PLANE_UNIT, _PIXEL_X = 0xA20E, 0xA210, 0xA002
_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}  # inch, cm, mm, micrometre


def focal_from_35mm(focal_35mm: float, width: int, height: int) -> float:
    """Focal length in pixels of a ``width x height`` image from its 35 mm-equivalent focal
    length (mm), defined on the diagonal (module docstring)."""
    if not focal_35mm > 0 or not math.isfinite(focal_35mm):
        raise ValueError(f"focal_35mm: expected a focal length > 0 mm, got {focal_35mm}")
    return float(focal_35mm) * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


@dataclass(frozen=True)
class ExifFocal:
    """What a photo's EXIF says about its camera, in the image as shown (orientation applied)."""

    focal_px: float
    width: int  #: as shown
    height: int
    source: str  #: ``"35mm-equivalent"`` or ``"focal-plane-resolution"``
    orientation: int  #: the EXIF tag (1 upright; 5-8 turned by 90 degrees)


def _read_exif(image) -> Tuple[Any, Any]:
    """An opened Pillow image's EXIF and its Exif sub-IFD (the camera's tags); Pillow's warnings
    about a damaged block become one :class:`~hdnet.core.files.DamagedImageWarning` naming the
    photo, and a block its parser gives up on reads as no tags (and says so the same way)."""
    from ..core.files import pillow_warnings_named, warn_damaged
    name = str(getattr(image, "filename", "") or "an image")
    with pillow_warnings_named(name):
        exif = image.getexif()
        try:
            tags = exif.get_ifd(_EXIF_IFD)
        except (OSError, ValueError, TypeError, KeyError, SyntaxError) as e:  # Pillow's parser on a broken block
            tags = {}
            warn_damaged(name, f"its Exif block cannot be read: {e}")
    return exif, tags


def _orientation(exif) -> int:
    """The ``Orientation`` tag of a read EXIF: 1 to 8, 1 where it is missing or not 1-8."""
    try:
        value = int(exif.get(_ORIENTATION, 1) or 1)
    except (TypeError, ValueError):
        return 1
    return value if value in range(1, 9) else 1


def exif_orientation(image) -> int:
    """The EXIF ``Orientation`` of an opened Pillow image: 1 (upright, also where the tag is
    missing or not 1-8) to 8; 5-8 store the pixels turned by 90 degrees."""
    return _orientation(_read_exif(image)[0])


def as_shown(image):
    """An opened Pillow image as viewers and detectors show it: turned and mirrored as its EXIF
    ``Orientation`` says (the image itself where it is upright, no copy). Every image hdnet
    decodes goes through here, so keypoints, boxes, EXIF cameras and pictures share one frame."""
    from PIL import ImageOps
    return image if exif_orientation(image) == 1 else ImageOps.exif_transpose(image)


def _number(value) -> Optional[float]:
    """An EXIF rational or number as a float (None where missing, zero or not a number)."""
    if value is None:
        return None
    try:
        v = float(value[0]) / float(value[1]) if isinstance(value, tuple) and len(value) == 2 else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) and v > 0 else None


def read_exif_focal(path) -> ExifFocal:
    """The focal length in pixels of the photo at ``path`` (module docstring).

    Raises:
        FileNotFoundError: no file; ValueError: not an image, or its EXIF gives neither a 35
        mm-equivalent focal length nor a focal length with the sensor's resolution (name the
        focal length yourself: ``--fov`` or ``--camera``).
    """
    from ..core.files import open_image
    p = os.fspath(path)
    with open_image(p) as im:
        stored_w, stored_h = im.size
        exif, tags = _read_exif(im)
        orientation = _orientation(exif)
    w, h = (stored_h, stored_w) if orientation >= 5 else (stored_w, stored_h)
    f35 = _number(tags.get(_FOCAL_35))
    if f35 is not None:
        return ExifFocal(focal_from_35mm(f35, w, h), w, h, "35mm-equivalent", orientation)
    f_mm, density = _number(tags.get(_FOCAL)), _number(tags.get(_PLANE_X_RES))
    unit = _UNIT_MM.get(int(tags.get(_PLANE_UNIT, 2) or 2))
    if f_mm is not None and density is not None and unit is not None:
        focal = f_mm * density / unit  # pixels of the sensor readout the resolution describes
        readout = _number(tags.get(_PIXEL_X))
        if readout is not None:
            focal *= stored_w / readout
        return ExifFocal(focal, w, h, "focal-plane-resolution", orientation)
    have = "a focal length in mm but no sensor resolution" if f_mm is not None else "no focal length"
    raise ValueError(f"image: the EXIF of {p!r} has {have}; give the camera (--camera) or its field of "
                     "view (--fov)")
