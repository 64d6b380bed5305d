"""Data: framing and targets (transforms), dataset readers and their registry, synthetic scenes."""

from .base import HDNetTrainingSet, Person, ReaderBase, Sample
from .batch import HDNetTargets, ImageBatch
from .coco import COCOKeypoints
from .h36m import Human36M
from .mupots import MuCo, MuPoTS
from .registry import READERS, build_reader, get_reader, list_readers, register_reader
from .transforms import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    Augmentation,
    Preprocessing,
    box_masks,
    encode_targets,
    gaussian_heatmaps,
    image_framing,
    load_image,
    normalize_image,
    person_framing,
    principal_point_framing,
    to_grid,
    warp_image,
)

for _name, _cls in (("mupots", MuPoTS), ("muco", MuCo), ("h36m", Human36M), ("coco", COCOKeypoints)):
    register_reader(_name, _cls)

__all__ = ["HDNetTrainingSet", "Person", "ReaderBase", "Sample", "ImageBatch", "HDNetTargets",
           "COCOKeypoints", "Human36M", "MuCo", "MuPoTS", "IMAGENET_MEAN", "IMAGENET_STD",
           "Augmentation", "Preprocessing", "box_masks", "encode_targets", "gaussian_heatmaps",
           "image_framing", "load_image", "normalize_image", "person_framing",
           "principal_point_framing", "to_grid", "warp_image", "build_reader", "get_reader",
           "list_readers", "register_reader", "READERS"]
