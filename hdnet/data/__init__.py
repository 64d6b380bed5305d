"""Data: framing and targets (transforms), dataset readers, synthetic scenes."""

from .base import HDNetTrainingSet, Person, ReaderBase, Sample, collate_people
from .coco import COCOKeypoints
from .h36m import Human36M
from .mupots import MuCo, MuPoTS

from .transforms import (IMAGENET_MEAN, IMAGENET_STD, Augmentation, box_masks, encode_targets,
                         gaussian_heatmaps, image_framing, load_image, normalize_image,
                         person_framing, principal_point_framing, to_grid, warp_image)

__all__ = ["HDNetTrainingSet", "Person", "ReaderBase", "Sample", "collate_people",
           "COCOKeypoints", "Human36M", "MuCo", "MuPoTS", "IMAGENET_MEAN", "IMAGENET_STD", "Augmentation", "box_masks", "encode_targets",
           "gaussian_heatmaps", "image_framing", "load_image", "normalize_image", "person_framing",
           "principal_point_framing", "to_grid", "warp_image"]
