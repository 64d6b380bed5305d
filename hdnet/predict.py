"""Run a trained HDNet on your own image, boxes and camera: camera-space roots in millimetres."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import List, Optional, Union

import numpy as np
import torch

from .camera import Camera, guess_camera
from .data import HDNetTrainingSet, collate_people
from .data.transforms import Preprocessing, box_masks, load_image, mirror_framing
from .graphs import resolve_skeleton
from .models.hdnet import output_dict

__all__ = ["Predictor", "PersonPrediction", "guess_camera", "to_rootnet_json", "predict_scenes",
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


def average_mirrored(out, out_mirrored, flip_pairs) -> dict:
    r"""Flip testing: combine the model's outputs for the same people seen as framed and
    horizontally mirrored (:func:`~hdnet.data.transforms.mirror_framing`).

    The mirrored pass's joints come back in camera coordinates (its coordinate map follows the
    mirror) but with left and right swapped, so they are swapped back through ``flip_pairs``
    before the mean; depths are averaged geometrically (the bins are log-spaced), and the
    spread combines both passes' spreads with their disagreement,
    :math:`\sigma^2 = (\sigma_1^2 + \sigma_2^2) / 2 + ((Z_1 - Z_2) / 2)^2`.

    ``out``, ``out_mirrored``: model outputs (:class:`~hdnet.models.HDNetOutput` or mappings)
    with ``pose``, ``depth_mm``, ``depth_std_mm``. Returns a dict of those three.
    """
    out, out_mirrored = output_dict(out), output_dict(out_mirrored)
    j = out["pose"].shape[1]
    perm = list(range(j))
    for a, b in flip_pairs:
        perm[a], perm[b] = b, a
    d1, d2 = out["depth_mm"], out_mirrored["depth_mm"]
    s1, s2 = out["depth_std_mm"], out_mirrored["depth_std_mm"]
    return {"pose": (out["pose"] + out_mirrored["pose"][:, perm]) / 2, "depth_mm": (d1 * d2).sqrt(),
            "depth_std_mm": ((s1 ** 2 + s2 ** 2) / 2 + ((d1 - d2) / 2) ** 2).sqrt()}


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
        device: where to run (default: the model's device).
        channels_last: run the convolutions in channels-last memory format (1.23x faster on
            this project's CPU at ResNet-50 256x256; see docs/benchmarks.md).
        flip_test: also run every input mirrored and average the two
            (:func:`average_mirrored`); twice the work, usually a few per cent less error.
        max_batch: at most this many crops per forward pass under ``"person"`` framing, so
            memory stays flat however many boxes an image has.

    ``Predictor.from_checkpoint(path)`` builds the model and its preprocessing from a file.
    """

    #: boxes narrower or lower than this (in source pixels, after clipping) are refused
    MIN_BOX_PX = 2.0

    def __init__(self, model, preprocessing: Optional[Preprocessing] = None, device=None,
                 channels_last: bool = True, flip_test: bool = False, max_batch: int = 16):
        if preprocessing is None:
            preprocessing = getattr(model, "preprocessing", None) or Preprocessing()
        if not isinstance(preprocessing, Preprocessing):
            raise TypeError(f"preprocessing: expected a Preprocessing, got {type(preprocessing).__name__}")
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch: expected an int >= 1, got {max_batch!r}")
        self.model = model.eval()
        self.preprocessing = preprocessing
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        self.channels_last = channels_last
        self.flip_test = bool(flip_test)
        self.max_batch = max_batch
        if channels_last:
            self.model.to(memory_format=torch.channels_last)

    @classmethod
    def from_checkpoint(cls, path, map_location="cpu", **kwargs) -> "Predictor":
        """A Predictor for the model in a checkpoint, with the preprocessing stored beside its
        weights (``kwargs`` as for the constructor, e.g. ``flip_test=True``)."""
        from .models.checkpoint import load_model
        return cls(load_model(path, map_location=map_location), **kwargs)

    @property
    def input_size(self) -> int:
        return self.preprocessing.input_size

    def _run(self, img, camera: Camera, boxes: np.ndarray, affines: List[np.ndarray], index) -> dict:
        """One forward pass: every framing in ``affines`` (one per image in the batch), person
        ``i`` read from image ``index[i]``."""
        prep = self.preprocessing
        size, grid = prep.input_size, prep.output_size
        framed = [prep.frame(img, camera, a) for a in affines]
        x = torch.stack([f[0] for f in framed])
        cmap = torch.stack([f[1] for f in framed])
        masks = (box_masks(boxes, affines[0], size, grid) if len(affines) == 1 else  # one image
                 torch.cat([box_masks(boxes[i:i + 1], affines[int(n)], size, grid) for i, n in enumerate(index)]))
        focal = torch.tensor([framed[int(n)][2] for n in index], dtype=torch.float32)  # [P, 2]
        dev = self.device
        x = x.to(dev)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return output_dict(self.model(x, cmap.to(dev), masks.to(dev), index=index.to(dev),
                                      fx=focal[:, 0].to(dev), fy=focal[:, 1].to(dev)))

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

    def _pass(self, img, camera: Camera, boxes: np.ndarray, affines: List[np.ndarray], index) -> dict:
        """One pass, and its mirrored twin averaged in under flip testing."""
        out = self._run(img, camera, boxes, affines, index)
        if self.flip_test:
            size = self.preprocessing.input_size
            mirrored = [mirror_framing(a, size) for a in affines]
            out = average_mirrored(out, self._run(img, camera, boxes, mirrored, index),
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
        if p == 0:
            return []
        prep = self.preprocessing
        if prep.framing == "person":  # one crop per person, at most max_batch per pass
            outs = []
            for start in range(0, p, self.max_batch):
                part = b[start:start + self.max_batch]
                outs.append(self._pass(img, camera, part, [prep.affine(camera, (width, height), box)
                                                           for box in part], torch.arange(len(part))))
            out = {k: torch.cat([o[k] for o in outs]) for k in ("pose", "depth_mm", "depth_std_mm")}
        else:
            out = self._pass(img, camera, b, [prep.affine(camera, (width, height))],
                             torch.zeros(p, dtype=torch.long))
        pose_norm = out["pose"].double().cpu().numpy()  # [P, J, 2]
        joints_px = camera.denormalize(pose_norm)
        root = self.model.skeleton.root
        root_px = joints_px[:, root]
        depth = out["depth_mm"].double().cpu().numpy()
        root_cam = camera.backproject(root_px, depth)  # undistorts when the camera has distortion
        std = out["depth_std_mm"].double().cpu().numpy()
        return [PersonPrediction(root_cam[i], root_px[i], float(depth[i]), float(std[i]),
                                 joints_px[i], b[i], float(sc[i])) for i in range(p)]


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
        with open(path, "w") as f:
            json.dump(records, f)
    return records


@torch.no_grad()
def predict_scenes(model, reader, preprocessing: Optional[Preprocessing] = None, batch_size: int = 32,
                   flip_test: bool = False) -> List[dict]:
    """Run the model on every person of every image of a reader (ground-truth boxes as the
    person masks, and as the crops under ``"person"`` framing): one record per person with the
    prediction and the ground truth, in reader order. ``preprocessing``: default the model's
    own; ``flip_test``: average with the mirrored inputs (:func:`average_mirrored`)."""
    model.eval()
    prep = preprocessing or getattr(model, "preprocessing", None) or Preprocessing()
    gt_root = resolve_skeleton(reader.skeleton).root
    sets = [HDNetTrainingSet(reader, model.skeleton, model.bins, prep.input_size, framing=prep.framing,
                             window_px=prep.window_px, mirror=m)
            for m in ((False, True) if flip_test else (False,))]

    def run(ts, start):
        b = collate_people([ts[i] for i in range(start, min(start + batch_size, len(ts)))])
        if b["index"].numel() == 0:
            return b, None
        fx = b["focal_bins"][b["index"], 0].float()
        fy = b["focal_bins"][b["index"], 1].float()
        return b, output_dict(model(b["images"], b["coord_map"], b["mask"], index=b["index"], fx=fx, fy=fy))

    records = []
    for start in range(0, len(sets[0]), batch_size):
        b, out = run(sets[0], start)
        if out is None:
            continue
        if flip_test:
            out = average_mirrored(out, run(sets[1], start)[1], model.skeleton.flip_pairs)
        people_seen: dict = {}
        for p in range(b["index"].numel()):
            n = int(b["index"][p])
            k = int(b["person_index"][n]) + people_seen.get(n, 0)
            people_seen[n] = people_seen.get(n, 0) + 1
            sample = reader[int(b["sample_index"][n])]
            cam = sample.camera
            gt = sample.people[k]
            joints_px = cam.denormalize(out["pose"][p].double().numpy())
            z = float(out["depth_mm"][p])
            records.append({
                "image_id": sample.image_id, "camera": cam, "gt_root": gt.joints_3d[gt_root],
                "gt_joints_2d": gt.joints_2d, "box_xyxy": gt.box_xyxy,
                "pred_joints_2d": joints_px, "pred_depth": z,
                "pred_root": cam.backproject(joints_px[model.skeleton.root], z),
                "depth_std": float(out["depth_std_mm"][p])})
    return records
