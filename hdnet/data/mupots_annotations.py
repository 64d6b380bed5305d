"""MuPoTS-3D test annotations (no images): the dataset's own ``TS*/annot.mat`` (+
``occlusion.mat``) layout, and ``TS*.npz`` + ``cameras.json``. Both read into the same
:class:`MuPoTSSequence` (equal numbers: tested).

The dataset ships no intrinsics: ``cameras.json`` beside the sequences (``fx, fy, cx, cy``,
radial ``k1, k2``) is used where present, else a camera is fitted per sequence to its own 2D-3D
annotations with :func:`hdnet.camera.fit_camera`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..camera import Camera, fit_camera
from ..core.checks import select_names
from ..core.files import read_json

__all__ = ["MuPoTSSequence", "read_mupots_annotations", "list_mupots_sequences", "mupots_image_frame"]

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
    #: ``[F, P, 17]`` per-joint detector scores in ``[0, 1]`` for ``annot2`` (0: missing), or None
    #: where the 2D joints are the annotations themselves
    confidence: Optional[np.ndarray] = None

    @property
    def people(self) -> int:
        """Valid people over all frames."""
        return int(self.valid.sum())


def _ts_key(name: str) -> int:
    m = re.fullmatch(r"TS(\d+)", name)
    return int(m.group(1)) if m else 10 ** 6


#: A MuPoTS-3D image's name in the release (``MultiPersonTestSet/TS3/img_000120.jpg``; any folder
#: before the sequence's, ``/`` or ``\\``).
_IMAGE_NAME = re.compile(r"(?:.*[/\\])?(TS\d+)[/\\]img_(\d+)(?:\.[A-Za-z]+)?")


def mupots_image_frame(name: str) -> Tuple[str, int]:
    """``(sequence, frame)`` of a MuPoTS-3D image named as in the release: ``TS<n>/img_<frame>.jpg``
    after any folders, the extension optional (a detector's output file named after the image);
    the frame counts from 0, in the order of the sequence's annotations (``img_000000.jpg`` is
    their first frame).

    >>> mupots_image_frame("MultiPersonTestSet/TS3/img_000120.jpg")
    ('TS3', 120)

    Raises:
        ValueError: a name of another form, quoted.
    """
    m = _IMAGE_NAME.fullmatch(str(name))
    if m is None:
        raise ValueError(f"{name!r} is not a MuPoTS-3D image name (TS<n>/img_<frame>.jpg, as in the release's "
                         "MultiPersonTestSet)")
    return m.group(1), int(m.group(2))


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
        with np.load(path, allow_pickle=False) as d:
            out = {k: np.asarray(d[k]) for k in (*_FIELDS, "valid")}
            for k in ("occluded", "confidence"):
                out[k] = np.asarray(d[k]) if k in d.files else None  # type: ignore[assignment]
    except KeyError as e:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} lacks the field {e}") from None
    except Exception as e:  # a cut, empty or bit-flipped archive raises many kinds
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} is not a readable .npz file "
                         f"({type(e).__name__}: {e})") from None
    return out


def _check_sequence(d: dict, where: str) -> None:
    """Shapes, types and finiteness of one sequence's arrays, naming the file, field, frame and
    person of the first problem."""
    valid = d["valid"]
    if valid.ndim != 2 or valid.dtype.kind not in "biu":
        raise ValueError(f"MuPoTS: {where} field 'valid' must be [frames, people] booleans, got shape "
                         f"{valid.shape} of {valid.dtype}")
    f, p = valid.shape
    shapes = {"annot2": (f, p, 17, 2), "annot3": (f, p, 17, 3), "univ_annot3": (f, p, 17, 3),
              "occluded": (f, p, 17), "confidence": (f, p, 17)}
    for name, shape in shapes.items():
        a = d.get(name)
        if a is None:
            continue
        if a.shape != shape:
            raise ValueError(f"MuPoTS: {where} field {name!r} has shape {a.shape}; 'valid' {valid.shape} "
                             f"says {shape}")
        if a.dtype.kind not in ("b" if name == "occluded" else "biuf"):
            raise ValueError(f"MuPoTS: {where} field {name!r} holds {a.dtype}, not numbers")
    valid = valid.astype(bool)
    conf = d.get("confidence")
    if conf is not None:
        bad = ~((conf >= 0) & (conf <= 1))
        if bad.any():
            i, k, j = (int(v[0]) for v in np.nonzero(bad))
            raise ValueError(f"MuPoTS: {where} field 'confidence' frame {i} person {k} joint {j} is "
                             f"{conf[i, k, j]!r}; scores lie in [0, 1] (0: missing)")
    for name in _FIELDS:
        a = d[name]
        bad = ~np.isfinite(a).all(-1) & valid[..., None]
        if name == "annot2" and conf is not None:
            bad &= conf > 0  # a missing joint may have no position
        if bad.any():
            i, k, j = (int(v[0]) for v in np.nonzero(bad))
            raise ValueError(f"MuPoTS: {where} field {name!r} frame {i} person {k} joint {j} is not finite "
                             f"({a[i, k, j].tolist()}) for a valid person")


def _read_mat(folder: Path) -> dict:
    import scipy.io as sio
    path = folder / "annot.mat"
    try:
        ann = sio.loadmat(path)["annotations"]
    except KeyError:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} has no 'annotations' variable") from None
    except Exception as e:  # scipy raises several kinds for a bad file
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} is not a readable MATLAB file ({e})") from None
    if not isinstance(ann, np.ndarray) or ann.ndim != 2 or ann.dtype != object:
        raise ValueError(f"MuPoTS: {os.fspath(path)!r} variable 'annotations' must be a [frames, people] cell "
                         f"array of structs, got {getattr(ann, 'dtype', type(ann).__name__)} of shape "
                         f"{getattr(ann, 'shape', None)}")
    f, p = ann.shape
    out = {k: np.zeros((f, p, 17, 2 if k == "annot2" else 3), np.float64) for k in _FIELDS}
    out["valid"] = np.zeros((f, p), bool)
    for i in range(f):
        for k in range(p):
            entry = ann[i, k]
            for name in (*_FIELDS, "isValidFrame"):
                try:
                    a = np.asarray(entry[name][0, 0], dtype=np.float64)
                except (KeyError, IndexError, ValueError, TypeError):
                    raise ValueError(f"MuPoTS: {os.fspath(path)!r} frame {i} person {k} has no numeric field "
                                     f"{name!r}") from None
                if name == "isValidFrame":
                    if a.size != 1:
                        raise ValueError(f"MuPoTS: {os.fspath(path)!r} frame {i} person {k} field "
                                         f"'isValidFrame' has shape {a.shape}, expected one value")
                    out["valid"][i, k] = bool(a.ravel()[0])
                    continue
                if a.shape != (out[name].shape[-1], 17):
                    raise ValueError(f"MuPoTS: {os.fspath(path)!r} frame {i} person {k} field {name!r} has "
                                     f"shape {a.shape}, expected {(out[name].shape[-1], 17)}")
                out[name][i, k] = a.T
    occ_path = folder / "occlusion.mat"
    out["occluded"] = None  # type: ignore[assignment]
    if occ_path.is_file():
        try:
            occ = sio.loadmat(occ_path)["occlusion_labels"]
            if occ.shape != (f, p):
                raise ValueError(f"'occlusion_labels' has shape {occ.shape}, annot.mat says ({f}, {p})")
            labels = [[np.asarray(occ[i, k]).ravel() for k in range(p)] for i in range(f)]
            if any(v.shape != (17,) for row in labels for v in row):
                raise ValueError("every label must hold 17 joints")
            out["occluded"] = np.array(labels).astype(bool)
        except KeyError:
            raise ValueError(f"MuPoTS: {os.fspath(occ_path)!r} has no 'occlusion_labels' variable") from None
        except ValueError as e:
            raise ValueError(f"MuPoTS: {os.fspath(occ_path)!r}: {e}") from None
        except Exception as e:
            raise ValueError(f"MuPoTS: {os.fspath(occ_path)!r} is not a readable MATLAB file ({e})") from None
    out["confidence"] = None  # type: ignore[assignment]
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
    names = select_names(list_mupots_sequences(root), sequences, "--annotations: sequences", repr(os.fspath(folder)))
    if not names:
        raise ValueError(f"--annotations: {os.fspath(folder)!r} holds no TS*.npz or TS*/annot.mat")
    cam_file = os.fspath(root / "cameras.json")
    if cameras is None and (root / "cameras.json").is_file():
        cameras = read_json(root / "cameras.json", "MuPoTS cameras")
    if cameras is not None and not isinstance(cameras, dict):
        raise ValueError(f"MuPoTS: {cam_file!r} must map sequence names to cameras, got a {type(cameras).__name__}")
    out = []
    for name in names:
        if (root / f"{name}.npz").is_file():
            where = repr(os.fspath(root / f"{name}.npz"))
            d = _read_npz(root / f"{name}.npz")
        else:
            sub = root / name if (root / name / "annot.mat").is_file() else root / "official" / name
            where = repr(os.fspath(sub / "annot.mat"))
            d = _read_mat(sub)
        _check_sequence(d, f"sequence {name} ({where})")
        f, p = d["valid"].shape
        occluded = d["occluded"] if d["occluded"] is not None else np.zeros((f, p, 17), bool)
        spec = (cameras or {}).get(name)
        if spec is not None and not fit_cameras:
            if not isinstance(spec, dict):
                raise ValueError(f"MuPoTS: {cam_file!r} entry {name!r} must be an object, got {spec!r:.80}")
            try:
                cam = Camera(spec["fx"], spec["fy"], spec["cx"], spec["cy"],
                             (spec.get("k1", 0.0), spec.get("k2", 0.0), 0.0))
            except KeyError as e:
                raise ValueError(f"MuPoTS: {cam_file!r} entry {name!r} lacks {e}") from None
            except (TypeError, ValueError) as e:
                raise ValueError(f"MuPoTS: {cam_file!r} entry {name!r}: {e}") from None
            source = "cameras.json"
        else:
            valid = d["valid"].astype(bool)
            cam, _ = fit_camera(d["annot2"][valid], d["annot3"][valid])
            source = "fitted"
        width = int((spec or {}).get("width", 2048 if _ts_key(name) <= 5 else 1920))
        height = int((spec or {}).get("height", 2048 if _ts_key(name) <= 5 else 1080))
        out.append(MuPoTSSequence(name, d["annot2"].astype(np.float64), d["annot3"].astype(np.float64),
                                  d["univ_annot3"].astype(np.float64), d["valid"].astype(bool),
                                  occluded.astype(bool), cam, width, height, source,
                                  None if d["confidence"] is None else d["confidence"].astype(np.float64)))
    return out
