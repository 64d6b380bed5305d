"""Human3.6M readers: the original HDNet layout (HDF5) and RootNet's layout (COCO-style JSON).

Both expect ``root`` laid out like the original repositories' ``data/Human36M`` folder, with
``annotations/`` and ``images/`` inside. Protocol defaults: train on S1, S5, S6, S7, S8 every 5th
frame; test on S9, S11 every 64th frame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from ..camera import Camera
from ..core.files import open_h5, read_json
from .base import Person, ReaderBase, Sample, field_array

__all__ = ["Human36M", "TRAIN_SUBJECTS", "TEST_SUBJECTS"]

TRAIN_SUBJECTS = (1, 5, 6, 7, 8)
TEST_SUBJECTS = (9, 11)
_DEFAULT_STRIDE = {"train": 5, "test": 64}


def _box(joints_2d: np.ndarray, margin: float = 0.2) -> np.ndarray:
    lo, hi = joints_2d.min(0), joints_2d.max(0)
    pad = (hi - lo) * margin / 2
    return np.concatenate([lo - pad, hi + pad])


class Human36M(ReaderBase):
    """Human3.6M, 17 joints (``h36m_17``), one person per frame.

    Args:
        root: the ``data/Human36M`` folder (``annotations/``, ``images/``).
        split: ``"train"`` or ``"test"`` (picks the default subjects, stride and, for the HDNet
            layout, the image folder ``images/{split}``).
        layout: ``"hdnet"`` (``annotations/subject_{S}.h5``; see docs/data.md) or ``"rootnet"``
            (``annotations/Human36M_subject{S}_data.json``, ``_camera.json``, ``_joint_3d.json``).
        subjects: override the subjects; stride: override the frame stride.
        use_cpn: (HDNet layout) also read ``subject_{S}_cpn.h5`` and put the CPN detections in
            ``Sample.meta["joints_2d_cpn"]``.
        image_size: (W, H) of the frames in the HDNet layout, which does not store it
            (Human3.6M: 1000 x 1002; the synthetic writer's images are square).

    The person's box is the bounds of its 2D joints grown by 20%.

    RootNet layout world-to-camera convention: ``X_cam = R @ X_world + t`` with ``R`` [3, 3] and
    ``t`` [3] in mm from ``_camera.json`` (RootNet's ``world2cam``); 2D joints are the pinhole
    projection with that camera's ``f`` and ``c`` (no distortion in that layout).
    """

    skeleton = "h36m_17"

    def __init__(self, root, split: str = "train", layout: str = "hdnet",
                 subjects: Optional[Sequence[int]] = None, stride: Optional[int] = None,
                 use_cpn: bool = False, image_size: Sequence[int] = (1000, 1002)):
        super().__init__()
        if split not in ("train", "test"):
            raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
        if layout not in ("hdnet", "rootnet"):
            raise ValueError(f"layout: expected 'hdnet' or 'rootnet', got {layout!r}")
        self.root = Path(root)
        if not (self.root / "annotations").is_dir():
            raise FileNotFoundError(f"root: no annotations/ folder in {os.fspath(root)!r}")
        self.split = split
        self.subjects = tuple(subjects) if subjects is not None else (
            TRAIN_SUBJECTS if split == "train" else TEST_SUBJECTS)
        self.stride = stride or _DEFAULT_STRIDE[split]
        w, h = (int(v) for v in image_size)
        self.image_size = (w, h)
        if layout == "hdnet":
            self._load_hdnet(use_cpn)
        else:
            self._load_rootnet()

    # ------------------------------------------------------------------ HDNet (HDF5)
    def _load_hdnet(self, use_cpn: bool) -> None:

        for s in self.subjects:
            path = self.root / "annotations" / f"subject_{s}.h5"
            if not path.is_file():
                raise FileNotFoundError(f"Human36M: no file {os.fspath(path)!r}")
            cpn = None
            if use_cpn:
                cpn_path = self.root / "annotations" / f"subject_{s}_cpn.h5"
                if not cpn_path.is_file():
                    raise FileNotFoundError(f"Human36M: no file {os.fspath(cpn_path)!r}")
                cpn = open_h5(cpn_path, "Human36M")
            with open_h5(path, "Human36M") as f:
                for name in sorted(f.keys(), key=lambda k: int(k) if k.isdigit() else k):
                    self._add_sequence(f[name], f"{path}:{name}", cpn[name] if cpn is not None else None)
            if cpn is not None:
                cpn.close()

    def _add_sequence(self, g, source: str, cpn_group) -> None:
        attrs = {k: g.attrs[k] for k in ("subject", "action", "subaction", "camera_id") if k in g.attrs}
        missing = [k for k in ("subject", "action", "subaction", "camera_id") if k not in attrs]
        if missing:
            raise ValueError(f"{source}: attributes {missing} are missing")
        for key in ("f", "c", "joints_2d", "joints_3d"):
            if key not in g:
                raise ValueError(f"{source}: field {key!r} is missing")
        f_all = np.asarray(g["f"], dtype=np.float64)
        c_all = np.asarray(g["c"], dtype=np.float64)
        j2 = np.asarray(g["joints_2d"], dtype=np.float64)
        j3 = np.asarray(g["joints_3d"], dtype=np.float64)
        n = j2.shape[0]
        if j2.shape[1:] != (17, 2):
            raise ValueError(f"{source}: field 'joints_2d' has shape {j2.shape}, expected (F, 17, 2)")
        if j3.shape != (n, 17, 3):
            raise ValueError(f"{source}: field 'joints_3d' has shape {j3.shape}, expected ({n}, 17, 3)")
        f_all = f_all.reshape(f_all.shape[0], 2) if f_all.ndim == 3 else f_all
        c_all = c_all.reshape(c_all.shape[0], 2) if c_all.ndim == 3 else c_all
        if f_all.shape not in ((n, 2), (2,)) or c_all.shape not in ((n, 2), (2,)):
            raise ValueError(f"{source}: fields 'f'/'c' have shapes {f_all.shape}/{c_all.shape}, "
                             f"expected ({n}, 2) or ({n}, 2, 1)")
        cpn = np.asarray(cpn_group["joints_2d_cpn"], dtype=np.float64) if cpn_group is not None else None
        sub, act, subact, cam = (int(attrs[k]) for k in ("subject", "action", "subaction", "camera_id"))
        folder = f"s_{sub:02d}_act_{act:02d}_subact_{subact:02d}_ca_{cam:02d}"
        for i in range(0, n, self.stride):
            fi, ci = (f_all[i] if f_all.ndim == 2 else f_all), (c_all[i] if c_all.ndim == 2 else c_all)
            camera = Camera(float(fi[0]), float(fi[1]), float(ci[0]), float(ci[1]))
            path = self.root / "images" / self.split / folder / f"{folder}_{i + 1:06d}.jpg"
            meta: dict = {"subject": sub, "action": act, "subaction": subact, "camera_id": cam, "frame": i + 1}
            if "action_name" in g.attrs:
                meta["action_name"] = str(g.attrs["action_name"])
            if cpn is not None:
                meta["joints_2d_cpn"] = cpn[i]
            person = Person(j2[i], j3[i], np.ones(17), _box(j2[i]))
            w, h = self.image_size
            self.samples.append(Sample(str(path), f"{folder}_{i + 1:06d}", camera, w, h, [person], meta))

    # ------------------------------------------------------------------ RootNet (JSON)
    def _load_rootnet(self) -> None:
        ann_dir = self.root / "annotations"
        for s in self.subjects:
            data = read_json(ann_dir / f"Human36M_subject{s}_data.json", "Human36M")
            cams = read_json(ann_dir / f"Human36M_subject{s}_camera.json", "Human36M")
            joints = read_json(ann_dir / f"Human36M_subject{s}_joint_3d.json", "Human36M")
            source = f"Human36M_subject{s}_data.json"
            images = {img["id"]: img for img in data.get("images", [])}
            for ann in data.get("annotations", []):
                img = images.get(ann["image_id"])
                if img is None:
                    raise ValueError(f"{source}: annotation {ann.get('id')} refers to a missing image")
                if img.get("frame_idx", 0) % self.stride:
                    continue
                cam_rec = cams.get(str(img["cam_idx"]))
                if cam_rec is None:
                    raise ValueError(f"Human36M_subject{s}_camera.json: no camera {img['cam_idx']}")
                r = field_array(cam_rec, "R", (3, 3), f"Human36M_subject{s}_camera.json")
                t = field_array(cam_rec, "t", (3,), f"Human36M_subject{s}_camera.json")
                f = field_array(cam_rec, "f", (2,), f"Human36M_subject{s}_camera.json")
                c = field_array(cam_rec, "c", (2,), f"Human36M_subject{s}_camera.json")
                try:
                    world = joints[str(img["action_idx"])][str(img["subaction_idx"])][str(img["frame_idx"])]
                except KeyError:
                    raise ValueError(f"Human36M_subject{s}_joint_3d.json: no joints for action "
                                     f"{img['action_idx']} subaction {img['subaction_idx']} frame "
                                     f"{img['frame_idx']}") from None
                world = np.asarray(world, dtype=np.float64)
                if world.shape != (17, 3):
                    raise ValueError(f"Human36M_subject{s}_joint_3d.json: joints have shape "
                                     f"{world.shape}, expected (17, 3)")
                cam_pts = world @ r.T + t  # X_cam = R X_world + t
                camera = Camera(float(f[0]), float(f[1]), float(c[0]), float(c[1]))
                j2 = camera.project(cam_pts)
                vis = np.asarray(ann.get("keypoints_vis", np.ones(17)), dtype=np.float64).reshape(17)
                if "bbox" in ann:
                    x, y, w, h = (float(v) for v in ann["bbox"])
                    box = np.array([x, y, x + w, y + h])
                else:
                    box = _box(j2)
                meta = {"subject": s, "action": img["action_idx"], "subaction": img["subaction_idx"],
                        "camera_id": img["cam_idx"], "frame": img["frame_idx"]}
                self.samples.append(Sample(str(self.root / "images" / img["file_name"]), img["id"],
                                           camera, int(img.get("width", 1000)),
                                           int(img.get("height", 1002)),
                                           [Person(j2, cam_pts, vis, box)], meta))
