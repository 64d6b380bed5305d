"""Run a trained HDNet on your own image, boxes and camera: camera-space roots in millimetres."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any, List, Optional, Union

import numpy as np
import torch

from .camera import Camera, guess_camera
from .core.checkpoint import load_model
from .core.checks import check_device
from .core.files import write_json
from .data import HDNetTrainingSet, ImageBatch
from .data.transforms import Preprocessing, load_image, mirror_framing
from .graphs import resolve_skeleton
from .models.fuse import fold_batchnorm
from .models.hdnet import HDNetOutput

__all__ = ["Predictor", "PersonPrediction", "guess_camera", "to_rootnet_json", "read_rootnet_json", "predict_scenes",
           "average_mirrored"]


@dataclass
class PersonPrediction:
    """One person's result. Pixels are in the source image, millimetres in camera space."""

    root_cam_mm: np.ndarray  #: ``[3]`` X, Y, Z of the root joint
    root_2d_px: np.ndarray  #: ``[2]`` where the root appears in the image
    depth_mm: float  #: Z
    depth_std_mm: float  #: spread of the depth-bin distribution (uncertainty)
    joints_2d_px: np.ndarray  #: ``[J, 2]`` the soft-argmax of every joint's heatmap
    box_xyxy: np.ndarray  #: ``[4]`` the box after clipping to the image
    score: float

    def to_dict(self) -> dict:
        return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()}


def average_mirrored(out: HDNetOutput, out_mirrored: HDNetOutput, flip_pairs) -> HDNetOutput:
    r"""Flip testing: combine the model's outputs for the same people seen as framed and
    horizontally mirrored (:func:`~hdnet.data.transforms.mirror_framing`).

    The mirrored pass's joints come back in camera coordinates (its coordinate map follows the
    mirror) but with left and right swapped, so they are swapped back through ``flip_pairs``
    before the mean; depths are averaged geometrically (the bins are log-spaced), and the
    spread combines both passes' spreads with their disagreement,
    :math:`\sigma^2 = (\sigma_1^2 + \sigma_2^2) / 2 + ((Z_1 - Z_2) / 2)^2`.

    Returns ``out`` with ``pose``, ``depth_mm`` and ``depth_std_mm`` replaced by the combination.
    """
    j = out.pose.shape[1]
    perm = list(range(j))
    for a, b in flip_pairs:
        perm[a], perm[b] = b, a
    d1, d2 = out.depth_mm, out_mirrored.depth_mm
    s1, s2 = out.depth_std_mm, out_mirrored.depth_std_mm
    return out._replace(pose=(out.pose + out_mirrored.pose[:, perm]) / 2, depth_mm=(d1 * d2).sqrt(),
                        depth_std_mm=((s1 ** 2 + s2 ** 2) / 2 + ((d1 - d2) / 2) ** 2).sqrt())


class Predictor:
    """Image + boxes + camera -> camera-space root of every person: one backbone pass per
    image, or one per person under ``"person"`` framing.

    Args:
        model: an :class:`~hdnet.models.HDNet` (put in eval mode here).
        preprocessing: how inputs are framed and normalised (default: the model's own,
            ``model.preprocessing``, which its checkpoint carries; see
            :class:`~hdnet.data.Preprocessing`). ``"principal"`` and ``"image"`` framing run
            one pass for all people of an image, ``"person"`` one crop per box. The coordinate
            map always comes from the actual affine.
        device: where to run, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (default: the model's
            device); the model the predictor runs (a copy where ``fold_bn``) is moved there.
        channels_last: run the convolutions in channels-last memory format (faster on CPUs; see
            docs/benchmarks.md).
        flip_test: also run every input mirrored and average the two
            (:func:`average_mirrored`); twice the work, usually a few per cent less error.
        max_batch: at most this many crops per forward pass under ``"person"`` framing (and
            images per pass in :meth:`predict_many`), so memory stays flat however many boxes
            an image has.
        fold_bn: fold every BatchNorm into the convolution before it (exact in eval mode, fewer
            passes over the feature maps; see :func:`hdnet.models.fuse.fold_batchnorm`).
        autocast: run the network under autocast, bfloat16 on a CPU and float16 on CUDA
            (default off; speed and agreement with float32 in docs/benchmarks.md); the depth
            head itself always computes in float32. Outputs are float32.

    ``Predictor.from_checkpoint(path)`` builds the model and its preprocessing from a file.
    """

    #: boxes narrower or lower than this (in source pixels, after clipping) are refused
    MIN_BOX_PX = 2.0

    def __init__(self, model, preprocessing: Optional[Preprocessing] = None, device=None,
                 channels_last: bool = True, flip_test: bool = False, max_batch: int = 16,
                 fold_bn: bool = True, autocast: bool = False):
        if preprocessing is None:
            preprocessing = getattr(model, "preprocessing", None) or Preprocessing()
        if not isinstance(preprocessing, Preprocessing):
            raise TypeError(f"preprocessing: expected a Preprocessing, got {type(preprocessing).__name__}")
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch: expected an int >= 1, got {max_batch!r}")
        # BatchNorm folded into the convolutions before it (exact in eval mode; a copy: the
        # caller's model is left as it was)
        self.model: Any = fold_batchnorm(model) if fold_bn else model.eval()
        self.preprocessing = preprocessing
        self.device = check_device(device) if device is not None else next(model.parameters()).device
        self.model.to(self.device)
        self.channels_last = channels_last
        self.flip_test = bool(flip_test)
        self.max_batch = max_batch
        self.autocast = bool(autocast)
        if channels_last:
            self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    @classmethod
    def from_checkpoint(cls, path, map_location="cpu", **kwargs) -> "Predictor":
        """A Predictor for the model in a checkpoint, with the preprocessing stored beside its
        weights (``kwargs`` as for the constructor, e.g. ``flip_test=True``)."""
        return cls(load_model(path, map_location=map_location), **kwargs)

    @property
    def input_size(self) -> int:
        return self.preprocessing.input_size

    def _forward(self, batch: ImageBatch) -> HDNetOutput:
        dev = self.device
        half = torch.float16 if dev.type == "cuda" else torch.bfloat16
        with torch.autocast(dev.type, dtype=half, enabled=self.autocast):
            out = self.model(batch.to(dev, channels_last=self.channels_last))
        if not self.autocast:  # the model's own dtype (float64 models stay float64)
            return out
        return HDNetOutput(*(v.float() for v in out))

    def _run(self, img, camera: Camera, boxes: np.ndarray, affines: List[np.ndarray], batch) -> HDNetOutput:
        """One forward pass: every framing in ``affines`` (one per framed input), person ``i``
        read from input ``batch[i]``."""
        return self._forward(self.preprocessing.inputs(img, camera, boxes, affines, batch))

    def _boxes(self, boxes, box_format: str, width: int, height: int):
        if box_format not in ("xyxy", "xywh"):
            raise ValueError(f"box_format: expected 'xyxy' or 'xywh', got {box_format!r}")
        b = np.asarray(boxes, dtype=np.float64)
        if b.size == 0:
            return np.zeros((0, 4))
        if b.ndim != 2 or b.shape[1] != 4 or not np.all(np.isfinite(b)):
            raise ValueError(f"boxes: expected a finite array [P, 4], got shape {b.shape}")
        if box_format == "xywh":
            if np.any(b[:, 2:] <= 0):
                bad = np.nonzero(np.any(b[:, 2:] <= 0, axis=1))[0].tolist()
                raise ValueError(f"boxes: non-positive width or height for boxes {bad}")
            b = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)
        bad = np.nonzero((b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1]))[0].tolist()
        if bad:
            raise ValueError(f"boxes: x2 <= x1 or y2 <= y1 for boxes {bad} (box_format="
                             f"{box_format!r}; pass box_format='xywh' for x, y, w, h)")
        clipped = b.copy()
        clipped[:, [0, 2]] = b[:, [0, 2]].clip(-0.5, width - 0.5)
        clipped[:, [1, 3]] = b[:, [1, 3]].clip(-0.5, height - 0.5)
        bad = np.nonzero((clipped[:, 2] - clipped[:, 0] < 1e-6) | (clipped[:, 3] - clipped[:, 1] < 1e-6))[0]
        if bad.size:
            raise ValueError(f"boxes: boxes {bad.tolist()} lie outside the {width}x{height} image")
        small = np.nonzero(np.minimum(clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1])
                           < self.MIN_BOX_PX)[0]
        if small.size:
            raise ValueError(f"boxes: boxes {small.tolist()} are under {self.MIN_BOX_PX:g} px wide or high "
                             f"inside the image ({clipped[small].round(2).tolist()}); a person that small "
                             "has no measurable size, and its depth would be meaningless")
        return clipped

    def _pass(self, img, camera: Camera, boxes: np.ndarray, affines: List[np.ndarray], batch) -> HDNetOutput:
        """One pass, and its mirrored twin averaged in under flip testing."""
        out = self._run(img, camera, boxes, affines, batch)
        if self.flip_test:
            size = self.preprocessing.input_size
            mirrored = [mirror_framing(a, size) for a in affines]
            out = average_mirrored(out, self._run(img, camera, boxes, mirrored, batch),
                                   self.model.skeleton.flip_pairs)
        return out

    @torch.no_grad()
    def predict(self, image, boxes, camera: Optional[Camera] = None, box_format: str = "xyxy",
                scores=None, focal_px: Optional[float] = None) -> List[PersonPrediction]:
        """Predict every person's root.

        Args:
            image: a path, a numpy ``H x W x 3`` uint8 RGB array, or a tensor ``[3, H, W]``.
            boxes: ``[P, 4]`` in ``box_format``: ``"xyxy"`` (x1, y1, x2, y2) or ``"xywh"``
                (x, y, width, height), in source pixels. Boxes partly outside the image are
                clipped to it.
            camera: the image's intrinsics; None uses :func:`guess_camera` (``focal_px``
                overrides the guessed focal length).
            scores: optional ``[P]`` detection scores, passed through (default 1).

        Returns:
            one :class:`PersonPrediction` per box, in order (empty for P = 0).
        """
        img, camera, b, sc = self._inputs(image, boxes, camera, box_format, scores, focal_px)
        p = b.shape[0]
        if p == 0:
            return []
        if self.preprocessing.framing == "person":  # one crop per person, at most max_batch per pass
            outs = [self._pass(img, camera, b[k:k + self.max_batch], *self._affines(img, camera, b[k:k + self.max_batch]))
                    for k in range(0, p, self.max_batch)]
            out = HDNetOutput(*(torch.cat(field) for field in zip(*outs, strict=True)))
        else:
            out = self._pass(img, camera, b, *self._affines(img, camera, b))
        return self._results(out, camera, b, sc)

    def _affines(self, img, camera: Camera, boxes: np.ndarray):
        """The framings of one image's people and which one each person is read from:
        ``(affines, batch)`` (one per person under person framing, else one for all)."""
        prep = self.preprocessing
        size = (img.shape[-1], img.shape[-2])
        if prep.framing == "person":
            return [prep.affine(camera, size, box) for box in boxes], torch.arange(len(boxes))
        return [prep.affine(camera, size)], torch.zeros(len(boxes), dtype=torch.long)

    def _inputs(self, image, boxes, camera, box_format, scores, focal_px):
        """The image decoded and the camera, boxes and scores checked: ``(img, camera, boxes, scores)``."""
        img = load_image(image)
        height, width = img.shape[-2:]
        if camera is None:
            camera = guess_camera(width, height, focal_px)
        elif not isinstance(camera, Camera):
            raise TypeError(f"camera: expected an hdnet.camera.Camera or None, got {type(camera).__name__}")
        b = self._boxes(boxes, box_format, width, height)
        p = b.shape[0]
        sc = np.ones(p) if scores is None else np.asarray(scores, dtype=np.float64).reshape(-1)
        if sc.shape != (p,):
            raise ValueError(f"scores: expected shape [{p}], got {sc.shape}")
        return img, camera, b, sc

    def _results(self, out: HDNetOutput, camera: Camera, b: np.ndarray, sc: np.ndarray) -> List[PersonPrediction]:
        """Model outputs of one image's people to camera-space results (back-projection)."""
        pose_norm = out.pose.double().cpu().numpy()  # [P, J, 2]
        joints_px = camera.denormalize(pose_norm)
        root = self.model.skeleton.root
        root_px = joints_px[:, root]
        depth = out.depth_mm.double().cpu().numpy()
        root_cam = camera.backproject(root_px, depth)  # undistorts when the camera has distortion
        std = out.depth_std_mm.double().cpu().numpy()
        return [PersonPrediction(root_cam[i], root_px[i], float(depth[i]), float(std[i]),
                                 joints_px[i], b[i], float(sc[i])) for i in range(len(b))]

    def _prepare(self, item) -> dict:
        """One item of :meth:`predict_many` decoded, checked and framed (runs in a worker)."""
        if isinstance(item, dict):
            image, boxes = item.get("image"), item.get("boxes")
            camera, fmt, scores = item.get("camera"), item.get("box_format", "xyxy"), item.get("scores")
        elif isinstance(item, (tuple, list)) and len(item) in (2, 3):
            image, boxes, camera = (*item, None) if len(item) == 2 else item
            fmt, scores = "xyxy", None
        else:
            raise TypeError("items: expected (image, boxes), (image, boxes, camera) or dicts with "
                            "image, boxes[, camera, box_format, scores]")
        img, camera, b, sc = self._inputs(image, boxes, camera, fmt, scores, None)
        job = {"camera": camera, "boxes": b, "scores": sc}
        if len(b):
            affines, batch = self._affines(img, camera, b)
            prep = self.preprocessing
            job["inputs"] = [prep.inputs(img, camera, b, affines, batch)]
            if self.flip_test:
                mirrored = [mirror_framing(a, prep.input_size) for a in affines]
                job["inputs"].append(prep.inputs(img, camera, b, mirrored, batch))
        return job

    def _forward_jobs(self, jobs: List[dict]) -> List[List[PersonPrediction]]:
        """Every job's people in one forward pass (two with flip testing), split back per image."""
        live = [j for j in jobs if "inputs" in j]
        outs = [self._forward(ImageBatch.collate([j["inputs"][k] for j in live])) for k in range(2 if self.flip_test else 1)]
        out = outs[0] if not self.flip_test else average_mirrored(outs[0], outs[1], self.model.skeleton.flip_pairs)
        results, start = [], 0
        for j in jobs:
            p = len(j["boxes"])
            piece = HDNetOutput(*(v[start:start + p] for v in out))
            start += p
            results.append(self._results(piece, j["camera"], j["boxes"], j["scores"]) if p else [])
        return results

    @torch.no_grad()
    def predict_many(self, items, workers: int = 2, batch_images: int = 4):
        """Predict over many images (a list, a folder's files, a video's frames...), yielding one
        result list per item, in order.

        Decoding, checking and framing run in ``workers`` threads ahead of the network (they
        release the GIL in Pillow and torch), and ``batch_images`` images go through the network
        together (capped by ``max_batch`` crops under person framing).

        Args:
            items: an iterable of ``(image, boxes)``, ``(image, boxes, camera)`` or dicts with
                ``image``, ``boxes`` and optional ``camera``, ``box_format``, ``scores`` (as for
                :meth:`predict`).
            workers: threads preparing images (0: in this thread).
            batch_images: images per forward pass.
        """
        from concurrent.futures import ThreadPoolExecutor
        from itertools import islice
        if batch_images < 1 or workers < 0:
            raise ValueError(f"batch_images, workers: expected >= 1 and >= 0, got {(batch_images, workers)}")
        iterator = iter(items)
        pool = ThreadPoolExecutor(max_workers=workers) if workers else None
        try:
            ahead = 2 * max(workers, 1) + batch_images
            pending = [pool.submit(self._prepare, it) if pool else it for it in islice(iterator, ahead)]
            while pending:
                group: List[dict] = []
                frames = 0
                while pending and len(group) < batch_images:
                    job = pending.pop(0)
                    job = job.result() if pool else self._prepare(job)
                    group.append(job)
                    frames += sum(i.num_images for i in job.get("inputs", [])[:1])
                    nxt = next(iterator, None)
                    if nxt is not None:
                        pending.append(pool.submit(self._prepare, nxt) if pool else nxt)
                    if self.preprocessing.framing == "person" and frames >= self.max_batch:
                        break
                yield from self._forward_jobs(group)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


def to_rootnet_json(results: List[PersonPrediction], image_id, path: Optional[Union[str, os.PathLike]] = None
                    ) -> list:
    """RootNet's ``bbox_root`` output format: ``[{"image_id", "root_cam", "bbox", "score"}]``
    with ``root_cam`` in mm and ``bbox`` as x, y, width, height, so tools that read RootNet's
    roots (e.g. root-relative pose estimators) take HDNet's unchanged. Writes JSON to ``path``
    when given; returns the list."""
    records = []
    for r in results:
        x1, y1, x2, y2 = (float(v) for v in r.box_xyxy)
        records.append({"image_id": image_id, "root_cam": [float(v) for v in r.root_cam_mm],
                        "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(r.score)})
    if path is not None:
        write_json(path, records, "path", one_item_per_line=True)
    return records


def read_rootnet_json(path) -> List[dict]:
    """RootNet's ``bbox_root`` format read back (``hdnet predict``'s ``roots.json`` for image models,
    :func:`to_rootnet_json`, and RootNet's own output), every record checked: ``image_id`` a number
    or a string, ``root_cam`` three finite numbers (mm) in front of the camera, ``bbox`` x, y,
    width, height finite with a positive size, ``score`` a finite number. A ``ValueError`` names
    the file and the record."""
    from .core.checks import check_number
    from .core.files import read_json
    p = os.fspath(path)
    records = read_json(p, "roots")
    if not isinstance(records, list):
        raise ValueError(f"roots: {p!r} holds a {type(records).__name__}, not a list of RootNet records")
    for k, rec in enumerate(records):
        where = f"roots: {os.path.basename(p)} record {k}"
        if not isinstance(rec, dict) or not {"image_id", "root_cam", "bbox", "score"} <= set(rec):
            raise ValueError(f"{where}: expected an object with image_id, root_cam, bbox and score (RootNet's format)")
        if isinstance(rec["image_id"], (bool, list, dict)) or rec["image_id"] is None:
            raise ValueError(f"{where}: image_id must be a number or a string, got {rec['image_id']!r}")
        for key, n in (("root_cam", 3), ("bbox", 4)):
            if not isinstance(rec[key], list) or len(rec[key]) != n:
                raise ValueError(f"{where}: {key} must be {n} numbers, got {rec[key]!r}")
            for v in rec[key]:
                check_number(v, f"{where}: {key}")
        check_number(rec["root_cam"][2], f"{where}: root_cam's depth", low=0.0, low_open=True)
        for v in rec["bbox"][2:]:
            check_number(v, f"{where}: bbox's width and height", low=0.0, low_open=True)
        check_number(rec["score"], f"{where}: score")
    return records


@torch.no_grad()
def predict_scenes(model, reader, preprocessing: Optional[Preprocessing] = None, batch_size: int = 32,
                   flip_test: bool = False, device=None) -> List[dict]:
    """Run the model on every person of every image of a reader (ground-truth boxes as the
    person masks, and as the crops under ``"person"`` framing): one record per person with the
    prediction and the ground truth, in reader order. ``preprocessing``: default the model's
    own; ``flip_test``: average with the mirrored inputs (:func:`average_mirrored`); ``device``:
    where the model runs (default: where it is; it is moved there)."""
    model.eval()
    dev = check_device(device) if device is not None else next(model.parameters()).device
    model.to(dev)
    prep = preprocessing or getattr(model, "preprocessing", None) or Preprocessing()
    gt_root = resolve_skeleton(reader.skeleton).root
    sets = [HDNetTrainingSet(reader, model.skeleton, model.bins, prep.input_size, framing=prep.framing,
                             window_px=prep.window_px, mirror=m)
            for m in ((False, True) if flip_test else (False,))]

    def run(ts, start):
        b = ImageBatch.collate([ts[i] for i in range(start, min(start + batch_size, len(ts)))])
        if not b.num_people:
            return b, None
        return b, HDNetOutput(*(v.cpu() for v in model(b.to(dev))))

    records = []
    for start in range(0, len(sets[0]), batch_size):
        b, out = run(sets[0], start)
        if out is None:
            continue
        if flip_test:
            out = average_mirrored(out, run(sets[1], start)[1], model.skeleton.flip_pairs)
        people_seen: dict = {}
        for p in range(b.num_people):
            n = int(b.batch[p])
            k = int(b.meta["person_index"][n]) + people_seen.get(n, 0)
            people_seen[n] = people_seen.get(n, 0) + 1
            sample = reader[int(b.meta["sample_index"][n])]
            cam = sample.camera
            gt = sample.people[k]
            joints_px = cam.denormalize(out.pose[p].double().numpy())
            z = float(out.depth_mm[p])
            records.append({
                "image_id": sample.image_id, "camera": cam, "gt_root": gt.joints_3d[gt_root],
                "gt_joints_2d": gt.joints_2d, "box_xyxy": gt.box_xyxy,
                "pred_joints_2d": joints_px, "pred_depth": z,
                "pred_root": cam.backproject(joints_px[model.skeleton.root], z),
                "depth_std": float(out.depth_std_mm[p])})
    return records
