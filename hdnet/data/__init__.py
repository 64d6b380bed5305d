"""Data: framing and targets (transforms), dataset readers, synthetic scenes."""

from .transforms import (IMAGENET_MEAN, IMAGENET_STD, box_masks, image_framing, load_image,
                         normalize_image, principal_point_framing, warp_image)

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "box_masks", "image_framing", "load_image",
           "normalize_image", "principal_point_framing", "warp_image"]
