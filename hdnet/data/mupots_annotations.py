"""MuPoTS-3D test annotations (no images): the dataset's own ``TS*/annot.mat`` (+
``occlusion.mat``) layout, and ``TS*.npz`` + ``cameras.json``. Both read into the same
:class:`MuPoTSSequence` (equal numbers: tested).

The dataset ships no intrinsics: ``cameras.json`` beside the sequences (``fx, fy, cx, cy``,
radial ``k1, k2``) is used where present, else a camera is fitted per sequence to its own 2D-3D
annotations with :func:`hdnet.camera.fit_camera`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..camera import Camera, fit_camera

__all__ = ["MuPoTSSequence", "read_mupots_annotations", "list_mupots_sequences"]

_FIELDS = ("annot2", "annot3", "univ_annot3")


@dataclass
class MuPoTSSequence:
    """One MuPoTS-3D sequence, MuPoTS joint order (pelvis = 14), ``F`` frames, ``P`` people."""

    name: str  #: ``"TS1"`` ...
    annot2: np.ndarray  #: ``[F, P, 17, 2]`` px
    annot3: np.ndarray  #: ``[F, P, 17, 3]`` camera coordinates, mm
    univ_annot3: np.ndarray  #: ``[F, P, 17, 3]`` the universal skeleton the official 3DPCK scores
    valid: np.ndarray  #: ``[F, P]`` bool
    occluded: np.ndarray  #: ``[F, P, 17]`` bool (all False without an occlusion file)
    camera: Camera
    width: int
    height: int
    camera_source: str = ""  #: ``"cameras.json"`` or ``"fitted"``

    @property
    def people(self) -> int:
        """Valid people over all frames."""
        return int(self.valid.sum())


def _ts_key(name: str) -> int:
    m = re.fullmatch(r"TS(\d+)", name)
    return int(m.group(1)) if m else 10 ** 6


def list_mupots_sequences(folder) -> List[str]:
    """The sequence names in a folder of either layout, in TS order."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"--annotations: no folder at {os.fspath(folder)!r}")
    names = {p.stem for p in root.glob("TS*.npz")}
    for base in (root, root / "official"):
        names |= {p.parent.name for p in base.glob("TS*/annot.mat")}
    return sorted(names, key=_ts_key)


def _read_npz(path: Path) -> dict:
    try:
        d = np.load(path)
        out = {k: np.asarray(d[k]) for k in (*_FIELDS, "valid")}
        out["occluded"] = np.asarray(d["occluded"]) if "occluded" in d.files else None  # type: ignore[assignment]
    except KeyError as e:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} lacks the field {e}") from None
    except (OSError, ValueError) as e:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} is not a readable .npz file ({e})") from None
    return out


def _read_mat(folder: Path) -> dict:
    import scipy.io as sio
    path = folder / "annot.mat"
    try:
        ann = sio.loadmat(path)["annotations"]
    except KeyError:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} has no 'annotations' variable") from None
    except Exception as e:  # scipy raises several kinds for a bad file
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} is not a readable MATLAB file ({e})") from None
    f, p = ann.shape
    out = {k: np.zeros((f, p, 17, 2 if k == "annot2" else 3), np.float64) for k in _FIELDS}
    out["valid"] = np.zeros((f, p), bool)
    for i in range(f):
        for k in range(p):
            entry = ann[i, k]
            for name in _FIELDS:
                a = np.asarray(entry[name][0, 0], dtype=np.float64)
                if a.shape != (out[name].shape[-1], 17):
                    raise ValueError(f"MuPoTS: {os.fspath(path)!r} frame {i} person {k} field {name!r} has "
                                     f"shape {a.shape}")
                out[name][i, k] = a.T
            out["valid"][i, k] = bool(np.asarray(entry["isValidFrame"][0, 0]).ravel()[0])
    occ_path = folder / "occlusion.mat"
    out["occluded"] = None  # type: ignore[assignment]
    if occ_path.is_file():
        occ = sio.loadmat(occ_path)["occlusion_labels"]
        out["occluded"] = np.stack([np.stack([np.asarray(occ[i, k]).ravel().astype(bool) for k in range(p)])
                                    for i in range(f)])
    return out


def read_mupots_annotations(folder, sequences: Optional[Sequence[str]] = None,
                            cameras: Optional[Dict[str, dict]] = None,
                            fit_cameras: bool = False) -> List[MuPoTSSequence]:
    """Read MuPoTS-3D sequences from ``folder`` (``TS*.npz`` files, ``TS*/annot.mat`` folders,
    or an ``official/`` folder of the latter).

    Args:
        sequences: names to read (default all found).
        cameras: ``{name: {"fx", "fy", "cx", "cy", "k1", "k2", "width", "height"}}`` (default
            ``folder/cameras.json`` where it exists).
        fit_cameras: fit every camera to the annotations even where ``cameras.json`` has one.
    """
    root = Path(folder)
    names = list_mupots_sequences(root)
    if sequences is not None:
        missing = [s for s in sequences if s not in names]
        if missing:
            raise ValueError(f"--annotations: sequences {missing} are not in {os.fspath(folder)!r} "
                             f"(found {names})")
        names = [s for s in names if s in sequences]
    if not names:
        raise ValueError(f"--annotations: {os.fspath(folder)!r} holds no TS*.npz or TS*/annot.mat")
    if cameras is None and (root / "cameras.json").is_file():
        try:
            cameras = json.loads((root / "cameras.json").read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"MuPoTS: {os.fspath(root / 'cameras.json')!r} is not valid JSON ({e})") from None
    out = []
    for name in names:
        if (root / f"{name}.npz").is_file():
            d = _read_npz(root / f"{name}.npz")
        else:
            sub = root / name if (root / name / "annot.mat").is_file() else root / "official" / name
            d = _read_mat(sub)
        f, p = d["valid"].shape
        occluded = d["occluded"] if d["occluded"] is not None else np.zeros((f, p, 17), bool)
        spec = (cameras or {}).get(name)
        if spec is not None and not fit_cameras:
            try:
                cam = Camera(float(spec["fx"]), float(spec["fy"]), float(spec["cx"]), float(spec["cy"]),
                             (float(spec.get("k1", 0.0)), float(spec.get("k2", 0.0)), 0.0))
            except KeyError as e:
                raise ValueError(f"MuPoTS: cameras.json entry {name!r} lacks {e}") from None
            source = "cameras.json"
        else:
            valid = d["valid"].astype(bool)
            cam, _ = fit_camera(d["annot2"][valid], d["annot3"][valid])
            source = "fitted"
        width = int((spec or {}).get("width", 2048 if _ts_key(name) <= 5 else 1920))
        height = int((spec or {}).get("height", 2048 if _ts_key(name) <= 5 else 1080))
        out.append(MuPoTSSequence(name, d["annot2"].astype(np.float64), d["annot3"].astype(np.float64),
                                  d["univ_annot3"].astype(np.float64), d["valid"].astype(bool),
                                  occluded.astype(bool), cam, width, height, source))
    return out
