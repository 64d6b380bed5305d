"""COCO keypoints, for mixing 2D-only data into training (depth terms masked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..camera import guess_camera
from .base import Person, ReaderBase, Sample, field_array, read_coco_style

__all__ = ["COCOKeypoints"]


class COCOKeypoints(ReaderBase):
    """COCO ``person_keypoints_*.json``: 17 keypoints ``[x, y, v] * 17`` per person.

    People without keypoints (``num_keypoints == 0``) and crowd annotations are skipped. COCO
    has no camera: :func:`hdnet.camera.guess_camera` (a 55 degree field of view) gives the 2D pose
    targets their normalised coordinates; ``Person.joints_3d`` is None so the depth terms are
    masked (``have_depth = 0``).
    """

    skeleton = "coco_17"

    def __init__(self, annotation_file, image_root, min_keypoints: int = 1):
        super().__init__()
        data, source, anns = read_coco_style(annotation_file, "COCOKeypoints")
        root = Path(image_root)
        for img in data["images"]:
            people = []
            for ann in anns.get(img["id"], []):
                if ann.get("iscrowd", 0) or ann.get("num_keypoints", 1) < min_keypoints:
                    continue
                kp = field_array(ann, "keypoints", (51,), source).reshape(17, 3)
                x, y, w, h = field_array(ann, "bbox", (4,), source)
                people.append(Person(kp[:, :2], None, (kp[:, 2] > 0).astype(float),
                                     np.array([x, y, x + w, y + h])))
            if not people:
                continue
            w, h = int(img["width"]), int(img["height"])
            self.samples.append(Sample(str(root / img["file_name"]), img["id"], guess_camera(w, h),
                                       w, h, people, {"file_name": img["file_name"]}))
