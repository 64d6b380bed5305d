"""Data: framing and targets (transforms), dataset readers, synthetic scenes."""

from .transforms import (IMAGENET_MEAN, IMAGENET_STD, Augmentation, box_masks, encode_targets,
                         gaussian_heatmaps, image_framing, load_image, normalize_image,
                         person_framing, principal_point_framing, to_grid, warp_image)

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "Augmentation", "box_masks", "encode_targets",
           "gaussian_heatmaps", "image_framing", "load_image", "normalize_image", "person_framing",
           "principal_point_framing", "to_grid", "warp_image"]
