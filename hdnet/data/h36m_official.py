"""The official Human3.6M release to the motion-capture HDF5 layout that training reads
(:func:`~hdnet.data.mocap.read_h36m_mocap`, docs/data.md): ``hdnet data h36m ROOT --out FILE``.

What it reads, as the dataset's download unpacks:

- ``ROOT/S*/MyPoseFeatures/D3_Positions/<action>.cdf`` (or ``ROOT/S*/Poses_D3_Positions/``):
  variable ``Pose`` ``[1, T, 96]``, the 32 motion-capture joints in world coordinates (mm) at
  50 frames per second;
- ``metadata.xml`` (``ROOT/metadata.xml`` by default): the camera calibration, one vector
  ``<w0>[...]</w0>`` of 300 numbers. For subject ``s`` (1-11) and camera ``c`` (1-4) the six
  numbers at ``6 ((c - 1) 11 + s - 1)`` are the rotation angles ``(rx, ry, rz)`` (radians) and
  the camera centre ``T`` (mm); the nine at ``264 + 9 (c - 1)`` are ``f`` (2), ``c`` (2),
  radial ``k`` (3) and tangential ``p`` (2). World to camera: ``X_cam = R (X - T)`` with
  ``R = Rx(rx) Ry(ry) Rz(rz)`` (rotations about the axes, each ``[[1, 0, 0], [0, cos, -sin],
  [0, sin, cos]]`` for x and alike).

What it writes: ``S*/poses/<action>`` ``[T', 17, 3]`` float32 (every ``every``-th frame, the
17 joints of ``h36m_17``: indices 0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27
of the 32) and ``S*/cameras/<id>`` with ``R`` stored transposed (the file's convention:
``X_cam = R^T (X - T)``), ``T``, ``f``, ``c``, ``k``, ``p``.

Human3.6M is licensed for research use only; so is everything made from it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..core.checks import select_names
from ..core.files import atomic_write

__all__ = ["H36M_32_TO_17", "H36M_CAMERA_IDS", "read_metadata_cameras", "rotation_from_angles", "read_d3_positions",
           "convert_h36m"]

#: The 17 ``h36m_17`` joints among the 32 of the release.
H36M_32_TO_17 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
#: The four cameras, in the order of ``metadata.xml``.
H36M_CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")
_SUBJECTS = 11


def rotation_from_angles(rx: float, ry: float, rz: float) -> np.ndarray:
    """``R = Rx(rx) Ry(ry) Rz(rz)``, the world-to-camera rotation of ``metadata.xml``."""
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    x = np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
    y = np.array([[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]])
    z = np.array([[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]])
    return x @ y @ z


def read_metadata_cameras(path) -> Dict[str, Dict[str, dict]]:
    """``{"S1": {camera id: {"R" (world to camera), "T", "f", "c", "k", "p"}}, ...}`` for the 11
    subjects of ``metadata.xml`` (module docstring)."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"--metadata: no file at {p!r}")
    text = Path(p).read_text(errors="replace")
    m = re.search(r"<w0>\s*\[([^\]]*)\]\s*</w0>", text)
    if m is None:
        raise ValueError(f"--metadata: {p!r} has no <w0>[...]</w0> camera vector (is it Human3.6M's metadata.xml?)")
    try:
        w = np.array([float(v) for v in m.group(1).split()], dtype=np.float64)
    except ValueError:
        raise ValueError(f"--metadata: {p!r} <w0> holds something that is not a number") from None
    need = 6 * _SUBJECTS * len(H36M_CAMERA_IDS) + 9 * len(H36M_CAMERA_IDS)
    if w.size != need or not np.isfinite(w).all():
        raise ValueError(f"--metadata: {p!r} <w0> has {w.size} numbers{'' if np.isfinite(w).all() else ' (not all finite)'}"
                         f"; Human3.6M's has {need}")
    out: Dict[str, Dict[str, dict]] = {}
    for s in range(1, _SUBJECTS + 1):
        cams = {}
        for c, cid in enumerate(H36M_CAMERA_IDS, start=1):
            e = w[6 * ((c - 1) * _SUBJECTS + s - 1):][:6]
            i = w[6 * _SUBJECTS * len(H36M_CAMERA_IDS) + 9 * (c - 1):][:9]
            cams[cid] = {"R": rotation_from_angles(*e[:3]), "T": e[3:6].copy(), "f": i[0:2].copy(),
                         "c": i[2:4].copy(), "k": i[4:7].copy(), "p": i[7:9].copy()}
        out[f"S{s}"] = cams
    return out


def read_d3_positions(path) -> np.ndarray:
    """``[T, 32, 3]`` world joints (mm) from a release ``D3_Positions`` CDF file."""
    try:
        import cdflib
    except ImportError:
        raise ImportError("reading Human3.6M's .cdf files needs cdflib: pip install cdflib") from None
    p = os.fspath(path)
    try:
        pose = np.asarray(cdflib.CDF(p).varget("Pose"), dtype=np.float64)
    except Exception as e:  # cdflib raises many kinds for a bad file
        raise ValueError(f"Human3.6M: {p!r} is not a readable D3_Positions file with a 'Pose' variable "
                         f"({type(e).__name__}: {e})") from None
    if pose.size % 96 or pose.size == 0:
        raise ValueError(f"Human3.6M: {p!r} 'Pose' has shape {pose.shape}; expected [1, T, 96] (32 joints x 3)")
    pose = pose.reshape(-1, 32, 3)
    if not np.isfinite(pose).all():
        raise ValueError(f"Human3.6M: {p!r} 'Pose' holds NaN or inf")
    return pose


def _pose_folder(root: Path, subject: str) -> Optional[Path]:
    for sub in ("MyPoseFeatures/D3_Positions", "Poses_D3_Positions", "D3_Positions"):
        if (root / subject / sub).is_dir():
            return root / subject / sub
    return None


def convert_h36m(root, out, metadata=None, subjects: Optional[Sequence[str]] = None, every: int = 5,
                 log=print) -> dict:
    """Convert the release under ``root`` (module docstring) to the HDF5 file ``out`` (written
    atomically). ``subjects``: default every ``S*`` folder with 3D positions; ``every``: keep
    every n-th frame (5: 10 frames per second, what the shipped model was trained on).
    Returns ``{"subjects", "sequences", "poses"}``."""
    import h5py
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"--every: expected an int >= 1, got {every!r}")
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"h36m: no folder at {os.fspath(root)!r}")
    cams = read_metadata_cameras(metadata if metadata is not None else base / "metadata.xml")
    names = sorted((p.name for p in base.iterdir() if re.fullmatch(r"S\d+", p.name) and _pose_folder(base, p.name)),
                   key=lambda n: int(n[1:]))
    names = select_names(names, subjects, "--subjects", f"the D3_Positions folders under {os.fspath(root)!r}")
    if not names:
        raise ValueError(f"h36m: {os.fspath(root)!r} has no S*/MyPoseFeatures/D3_Positions/*.cdf")
    unknown = [s for s in names if s not in cams]
    if unknown:
        raise ValueError(f"h36m: metadata.xml has no cameras for {unknown}")
    data: Dict[str, Dict[str, np.ndarray]] = {}
    for s in names:
        folder = _pose_folder(base, s)
        assert folder is not None
        files = sorted(folder.glob("*.cdf"))
        if not files:
            raise ValueError(f"h36m: {os.fspath(folder)!r} holds no .cdf files")
        data[s] = {}
        for f in files:
            action = f.stem.replace("_", " ")
            data[s][action] = read_d3_positions(f)[::every][:, list(H36M_32_TO_17)].astype(np.float32)
        log(f"{s}: {len(files)} sequences, {sum(len(a) for a in data[s].values())} poses")

    def write(fh):
        with h5py.File(fh, "w") as h:
            from ..graphs import get_skeleton
            h.attrs["joints"] = json.dumps(list(get_skeleton("h36m_17").joints))
            h.attrs["source"] = "Human3.6M official release (research use only), converted by hdnet data h36m"
            h.attrs["every"] = every
            for s, actions in data.items():
                for action, poses in actions.items():
                    h.create_dataset(f"{s}/poses/{action}", data=poses)
                for cid, c in cams[s].items():
                    g = h.create_group(f"{s}/cameras/{cid}")
                    g["R"] = c["R"].T
                    for key in ("T", "f", "c", "k", "p"):
                        g[key] = c[key]
    atomic_write(out, write, "--out")
    sequences: List[str] = [f"{s}/{a}" for s in data for a in data[s]]
    return {"subjects": names, "sequences": len(sequences), "poses": int(sum(len(v) for d in data.values()
                                                                             for v in d.values()))}
