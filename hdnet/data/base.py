"""What every reader yields (:class:`Sample`), and the wrapper that turns samples into training
tensors (:class:`HDNetTrainingSet`) with its collate function."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np
import torch
from torch.utils.data import Dataset

from ..camera import Camera, focal_normalized_depth
from ..core.files import read_json
from ..graphs import convert_joints, joint_mapping, resolve_skeleton
from .batch import HDNetTargets, ImageBatch
from .transforms import Augmentation, Preprocessing, bin_focal, encode_targets, load_image, mirror_framing

__all__ = ["Person", "Sample", "ReaderBase", "HDNetTrainingSet", "read_coco_style", "field_array"]


def read_coco_style(annotation_file, what: str):
    """A COCO-style JSON file: ``(data, file name, annotations grouped by image_id)``, with
    errors that name the file when it or its ``images``/``annotations`` are missing."""
    data = read_json(annotation_file, what)
    source = os.path.basename(os.fspath(annotation_file))
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object with 'images' and 'annotations', got a "
                         f"{type(data).__name__}")
    for key in ("images", "annotations"):
        if key not in data:
            raise ValueError(f"{source}: field {key!r} is missing")
        if not isinstance(data[key], list) or not all(isinstance(x, dict) for x in data[key]):
            raise ValueError(f"{source}: field {key!r} must be a list of objects")
    ids = set()
    for k, img in enumerate(data["images"]):
        for key in ("id", "file_name"):
            if key not in img:
                raise ValueError(f"{source}: images[{k}] has no field {key!r}")
        if img["id"] in ids:
            raise ValueError(f"{source}: images[{k}] repeats image id {img['id']!r}; ids must be unique")
        ids.add(img["id"])
    by_image: dict = {}
    for k, ann in enumerate(data["annotations"]):
        if "image_id" not in ann:
            raise ValueError(f"{source}: annotations[{k}] has no field 'image_id'")
        if ann["image_id"] not in ids:
            raise ValueError(f"{source}: annotations[{k}] refers to image id {ann['image_id']!r}, "
                             "which no entry of 'images' has")
        by_image.setdefault(ann["image_id"], []).append(ann)
    return data, source, by_image


def field_array(record: dict, key: str, shape, source: str) -> np.ndarray:
    """``record[key]`` as float64 of ``shape`` (None = any), or a ValueError naming the file and
    the field."""
    if key not in record:
        raise ValueError(f"{source}: field {key!r} is missing")
    try:
        a = np.asarray(record[key], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{source}: field {key!r} is not an array of numbers") from None
    if not np.isfinite(a).all():
        raise ValueError(f"{source}: field {key!r} holds NaN or inf")
    if len(a.shape) != len(shape) or any(s is not None and s != d for s, d in zip(shape, a.shape, strict=True)):
        raise ValueError(f"{source}: field {key!r} has shape {a.shape}, expected "
                         f"{tuple('*' if s is None else s for s in shape)}")
    return a


@dataclass
class Person:
    """One annotated person. 2D joints are pixels as the camera sees them (distorted)."""

    joints_2d: np.ndarray  #: ``[J, 2]`` px
    joints_3d: Optional[np.ndarray]  #: ``[J, 3]`` camera coordinates (mm), None for 2D-only data
    vis: np.ndarray  #: ``[J]`` 1 where annotated
    box_xyxy: np.ndarray  #: ``[4]``
    score: float = 1.0

    @property
    def has_depth(self) -> bool:
        return self.joints_3d is not None


@dataclass
class Sample:
    """One image and the people in it (possibly none), in the reader's joint set."""

    image_path: str
    image_id: object
    camera: Camera
    width: int
    height: int
    people: List[Person] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class ReaderBase(Dataset):
    """A lazily indexed list of :class:`Sample` (images are not opened until asked for)."""

    skeleton: Optional[str] = None  # the joint set of the annotations (a registered name)

    def __init__(self):
        self.samples: List[Sample] = []

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample:
        return self.samples[i]


class HDNetTrainingSet(Dataset):
    """Samples -> the tensors HDNet trains on, one image (and all of its people) per item.

    Args:
        reader: a reader (:class:`ReaderBase`).
        skeleton: the model's joint set; annotations are converted to it by joint meaning
            (joints that cannot be made get ``vis = 0``).
        bins: the model's :class:`~hdnet.layers.DepthBins`.
        input_size: network input side; the output grid is ``input_size / 4``.
        framing: ``"principal"`` (the original's window on the principal point, ``window_px``
            wide or fitting the image), ``"image"`` (the whole image) — one item per image, with
            all of its people — or ``"person"``: one item per *person*, a square crop around
            its box (RootNet's framing; the depth bins then see the person's size relative to
            its box, see :func:`~hdnet.data.transforms.bin_focal`), holding that person only.
        augmentation: an :class:`~hdnet.data.transforms.Augmentation` or None.
        seed: base seed; item ``i`` of epoch ``e`` draws from ``seed, e, i`` (reproducible with
            any number of workers). Call :meth:`set_epoch`.
        mirror: mirror every item's framing horizontally (after any augmentation; joints are
            swapped with the skeleton's flip pairs), for flip testing.
        cache: keep every item in memory once made (only without augmentation, where items do
            not change between epochs; the cache lives in the process that reads, so use it
            with ``num_workers=0``).

    Items are :class:`~hdnet.data.ImageBatch` es of one framed image with its people's
    :class:`~hdnet.data.HDNetTargets` and ``meta`` lists ``image_id``, ``sample_index`` and
    ``person_index`` (where the item's first person is in the reader); join them with
    ``ImageBatch.collate`` (the ``collate_fn`` of a ``DataLoader``).
    """

    def __init__(self, reader, skeleton, bins, input_size: int = 256, framing: str = "principal",
                 window_px: Optional[float] = None, augmentation: Optional[Augmentation] = None,
                 sigma: float = 0.75, seed: int = 0, max_people: Optional[int] = None,
                 cache: bool = False, mirror: bool = False):
        #: the framing pipeline (shared with the Predictor; stored in checkpoints)
        self.preprocessing = Preprocessing(input_size, framing, window_px)
        self.reader = reader
        self.skeleton = resolve_skeleton(skeleton)
        self.src_skeleton = resolve_skeleton(reader.skeleton)
        made = sum(bool(parts) for parts in joint_mapping(self.src_skeleton, self.skeleton))
        if made == 0:
            raise ValueError(f"skeleton: the model's {self.skeleton.name!r} shares no joint with the "
                             f"data's {self.src_skeleton.name!r} (joints are matched by name); "
                             "nothing could be learned")
        if not joint_mapping(self.src_skeleton, self.skeleton)[self.skeleton.root]:
            raise ValueError(f"skeleton: the data's {self.src_skeleton.name!r} cannot provide the root "
                             f"{self.skeleton.root_name!r} of the model's {self.skeleton.name!r}")
        self.bins = bins
        self.input_size, self.output_size = input_size, input_size // 4
        self.framing, self.window_px = framing, window_px
        self.augmentation, self.sigma, self.seed = augmentation, sigma, seed
        self.max_people = max_people
        self.mirror = bool(mirror)
        self.epoch = 0
        if cache and augmentation is not None:
            raise ValueError("cache: items are only cacheable without augmentation")
        self._cache: Optional[dict] = {} if cache else None
        #: ``(sample index, person index)`` of every item under ``"person"`` framing
        self.pairs: Optional[List[Tuple[int, int]]] = (
            [(i, k) for i in range(len(reader)) for k in range(len(reader[i].people))]
            if framing == "person" else None)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs) if self.pairs is not None else len(self.reader)

    def depth_coverage(self) -> dict:
        """How the people's root depths fall on the depth bins under this framing (no image is
        opened): ``{"people", "out_of_range", "fraction_out_of_range", "d_min", "d_max"}`` with
        ``d`` the focal-normalised depth the bins see. Augmentation is not applied.

        Raises:
            ValueError: a root depth that is not > 0 (the camera looks along +Z: people in
                front of it have Z > 0 mm), naming the sample.
        """
        ds = []
        for i, sample in enumerate(self.reader.samples if hasattr(self.reader, "samples") else
                                   (self.reader[k] for k in range(len(self.reader)))):
            for _j2, j3, _vis, person in self._people(sample):
                if j3 is None or not np.isfinite(j3[self.skeleton.root, 2]):
                    continue
                z = float(j3[self.skeleton.root, 2])
                if z <= 0:
                    raise ValueError(f"root depth: {z:g} mm for a person of sample {i} "
                                     f"({sample.image_id!r}); camera coordinates have +Z in front of "
                                     "the camera, so depths must be > 0 (flip the sign if your data "
                                     "uses -Z)")
                affine = self.preprocessing.affine(sample.camera, (sample.width, sample.height),
                                                   person.box_xyxy)
                fx, fy = bin_focal(sample.camera, affine, self.preprocessing.reference_scale)
                ds.append(float(focal_normalized_depth(np.float64(z), fx, fy)) if self.bins.focal_normalized else z)
        d = np.asarray(ds, dtype=np.float64)
        out = ((d < self.bins.d_min) | (d > self.bins.d_max)) if d.size else np.zeros(0, bool)
        return {"people": int(d.size), "out_of_range": int(out.sum()),
                "fraction_out_of_range": float(out.mean()) if d.size else 0.0,
                "d_min": float(d.min()) if d.size else None, "d_max": float(d.max()) if d.size else None}

    def _people(self, sample: Sample):
        out = []
        for p in sample.people:
            j2, vis = p.joints_2d, p.vis
            j3 = p.joints_3d
            if self.src_skeleton.name != self.skeleton.name:
                j2, mask = convert_joints(j2, self.src_skeleton, self.skeleton)
                visc, _ = convert_joints(vis[:, None].astype(float), self.src_skeleton, self.skeleton)
                vis = np.where(mask, np.nan_to_num(visc[:, 0]), 0.0)
                vis = (vis >= 1.0).astype(float)  # a derived joint needs all of its parts
                j2 = np.nan_to_num(j2)
                if j3 is not None:
                    j3, _ = convert_joints(j3, self.src_skeleton, self.skeleton)
            out.append((j2, j3, vis, p))
        return out

    def __getitem__(self, i: int) -> ImageBatch:
        if self._cache is not None:
            if i not in self._cache:
                self._cache[i] = self._item(i)
            return self._cache[i]
        return self._item(i)

    def fill_cache(self) -> int:
        """Make every item not cached yet, now (``cache=True`` only), decoding each image once
        for all of its people. Returns how many items were made.

        Without it a cached set makes its items during the first epoch, one at a time between
        training steps, each decoding its image again (docs/training.md, Speed).
        """
        if self._cache is None:
            raise ValueError("fill_cache: the set was made without cache=True")
        by_sample: dict = {}
        for i in range(len(self)):
            if i not in self._cache:
                by_sample.setdefault(self.pairs[i][0] if self.pairs is not None else i, []).append(i)
        for sample, items in by_sample.items():
            image = load_image(self.reader[sample].image_path)
            for i in items:
                self._cache[i] = self._item(i, image)
        return sum(len(v) for v in by_sample.values())

    def _item(self, i: int, image: Optional[torch.Tensor] = None) -> ImageBatch:
        rng = np.random.default_rng([self.seed, self.epoch, i])
        first = 0
        if self.pairs is not None:
            i, first = self.pairs[i]
        sample = self.reader[i]
        people = self._people(sample)
        if self.pairs is not None:
            people = people[first:first + 1]
        elif self.max_people is not None:
            people = people[: self.max_people]
        cam = sample.camera
        affine = self.preprocessing.affine(cam, (sample.width, sample.height),
                                           people[0][3].box_xyxy if self.pairs is not None else None)
        params = self.augmentation.sample(rng) if self.augmentation is not None else None
        if params is not None:
            affine = Augmentation.framing(affine, params, self.input_size)
        if self.mirror:
            affine = mirror_framing(affine, self.input_size)
        img = image if image is not None else load_image(sample.image_path)
        if params is not None:
            img = Augmentation.colour(img, params)
        flipped = (bool(params["flip"]) if params is not None else False) != self.mirror
        boxes = np.array([p.box_xyxy for *_, p in people], dtype=np.float64).reshape(-1, 4)
        inputs = self.preprocessing.inputs(img, cam, boxes, [affine], torch.zeros(len(people), dtype=torch.long))
        focal = bin_focal(cam, affine, self.preprocessing.reference_scale)
        root = self.skeleton.root
        s, k, j = self.output_size, self.bins.num_bins, self.skeleton.num_joints
        rows = []
        for j2, j3, vis, _person in people:
            has_depth = j3 is not None and bool(np.isfinite(j3[root, 2]) and j3[root, 2] > 0)
            # without depth ground truth the depth targets are placeholders, masked by have_depth
            depth = float(j3[root, 2]) if has_depth else float(
                self.bins.depth(torch.tensor((self.bins.num_bins - 1) / 2.0), *focal))
            t = encode_targets(j2, depth, cam, affine, self.bins, self.input_size, self.output_size, joints_vis=vis,
                               flip_pairs=self.skeleton.flip_pairs, flipped=flipped, sigma=self.sigma, focal=focal)
            t["have_depth"] = torch.tensor(float(has_depth))
            rows.append(t)

        def stack(key, shape):
            return torch.stack([r[key] for r in rows]).float() if rows else torch.zeros(shape)
        inputs.targets = HDNetTargets(heatmap=stack("heatmap", (0, j, s, s)), pose=stack("pose", (0, j, 2)),
                                      bin_probs=stack("bin_probs", (0, k)), bin_index=stack("bin_index", (0,)),
                                      vis=stack("vis", (0, j)), have_depth=stack("have_depth", (0,)))
        inputs.meta = {"image_id": [sample.image_id], "sample_index": [i], "person_index": [first]}
        return inputs
