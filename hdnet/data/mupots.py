"""MuPoTS-3D and MuCo-3DHP readers (RootNet's COCO-style JSON files)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from ..camera import Camera
from ..core.files import read_json
from .base import Person, ReaderBase, Sample, field_array, read_coco_style

__all__ = ["MuPoTS", "MuCo"]


def _xywh_to_xyxy(b) -> np.ndarray:
    x, y, w, h = (float(v) for v in b)
    return np.array([x, y, x + w, y + h])


class _CocoStyle3D(ReaderBase):
    num_joints = 17

    def _camera(self, img: dict, source: str) -> Camera:
        raise NotImplementedError

    def _read(self, annotation_file, image_root, keep_invalid: bool) -> None:
        data, source, anns = read_coco_style(annotation_file, type(self).__name__)
        self.image_root = Path(image_root)
        self._images = {}
        for img in data["images"]:
            cam = self._camera(img, source)
            people = []
            for ann in anns.get(img["id"], []):
                if not keep_invalid and ann.get("is_valid", 1) == 0:
                    continue
                j3 = field_array(ann, "keypoints_cam", (self.num_joints, 3), source)
                j2 = field_array(ann, "keypoints_img", (self.num_joints, 2), source) \
                    if "keypoints_img" in ann else cam.project(j3)
                vis = np.asarray(ann.get("keypoints_vis", np.ones(self.num_joints)), dtype=np.float64)
                if vis.shape != (self.num_joints,):
                    raise ValueError(f"{source}: field 'keypoints_vis' has shape {vis.shape}, "
                                     f"expected ({self.num_joints},)")
                box = _xywh_to_xyxy(field_array(ann, "bbox", (4,), source)) if "bbox" in ann \
                    else np.concatenate([j2.min(0), j2.max(0)])
                people.append(Person(j2, j3, vis, box))
            sample = Sample(str(self.image_root / img["file_name"]), img["id"], cam,
                            int(img.get("width", 2048)), int(img.get("height", 2048)), people,
                            {"file_name": img["file_name"]})
            self._images[img["id"]] = sample
            self.samples.append(sample)


class MuPoTS(_CocoStyle3D):
    """MuPoTS-3D (RootNet's ``MuPoTS-3D.json``): images with ``intrinsic`` [fx, fy, cx, cy];
    annotations with ``keypoints_cam`` [17, 3] mm (root = pelvis, index 14), ``keypoints_img``
    [17, 2], ``keypoints_vis`` [17], ``bbox`` [x, y, w, h] and ``is_valid``.

    Args:
        annotation_file: the JSON file; image_root: folder the ``file_name``s are relative to.
        detections: optional detection file ``[{"image_id", "bbox" (xywh), "score"}]`` for the
            protocol without ground-truth boxes: each sample then carries the detections in
            ``Sample.meta["detections"]`` (``boxes_xyxy [D, 4]``, ``scores [D]``).
        keep_invalid: keep annotations with ``is_valid == 0`` (dropped by default, as RootNet).
    """

    skeleton = "mpi_inf_3dhp_17"

    def __init__(self, annotation_file, image_root, detections=None, keep_invalid: bool = False):
        super().__init__()
        self._read(annotation_file, image_root, keep_invalid)
        if detections is not None:
            dets = read_json(detections, "detections") if not isinstance(detections, list) else detections
            by_image = defaultdict(list)
            for d in dets:
                if "image_id" not in d or "bbox" not in d:
                    raise ValueError("detections: every detection needs 'image_id' and 'bbox'")
                by_image[d["image_id"]].append(d)
            for sample in self.samples:
                ds = by_image.get(sample.image_id, [])
                sample.meta["detections"] = {
                    "boxes_xyxy": np.array([_xywh_to_xyxy(d["bbox"]) for d in ds]).reshape(-1, 4),
                    "scores": np.array([float(d.get("score", 1.0)) for d in ds])}

    def _camera(self, img: dict, source: str) -> Camera:
        fx, fy, cx, cy = field_array(img, "intrinsic", (4,), source)
        return Camera(fx, fy, cx, cy)

    def ground_truth(self) -> dict:
        """The ground truth as :func:`hdnet.metrics.ap_root` takes it."""
        return {"annotations": [{"image_id": s.image_id, "is_valid": 1,
                                 "keypoints_cam": np.asarray(p.joints_3d).tolist()}
                                for s in self.samples for p in s.people]}


class MuCo(_CocoStyle3D):
    """MuCo-3DHP (RootNet's ``MuCo-3DHP.json``, 21 joints ``muco_21``): images with ``f``
    [fx, fy] and ``c`` [cx, cy]; annotations with ``keypoints_cam`` [21, 3], ``keypoints_img``
    [21, 2], ``bbox``. For training."""

    skeleton = "muco_21"
    num_joints = 21

    def __init__(self, annotation_file, image_root):
        super().__init__()
        self._read(annotation_file, image_root, keep_invalid=True)

    def _camera(self, img: dict, source: str) -> Camera:
        f = field_array(img, "f", (2,), source)
        c = field_array(img, "c", (2,), source)
        return Camera(f[0], f[1], c[0], c[1])
