"""2D detections of the Human3.6M videos in VideoPose3D's file layout (``data_2d_h36m_*.npz``:
CPN, Mask R-CNN, Detectron, Stacked Hourglass ... the inputs of the lifting benchmarks), and of
your own videos in its custom layout (``data_2d_custom_*.npz``: :func:`custom_videos`).

The file is a NumPy ``.npz`` with two pickled objects: ``positions_2d`` ``{subject: {action:
[4 x [F, J, 2 or 3]]}}`` (pixels, every frame of the 50 fps video, one array per camera in the
order of :data:`VIDEOPOSE3D_CAMERAS`, ``None`` where a video is missing) and ``metadata``
(``layout_name``, ``num_joints``). NumPy would unpickle them with ``allow_pickle=True``, which can
run any code a file carries; :func:`read_videopose3d_2d` unpickles them with only dictionaries,
lists, strings, numbers and NumPy arrays allowed, so the file stays data.

>>> import numpy as np, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "data_2d_h36m_example.npz")
>>> np.savez(path, positions_2d={"S9": {"Walking": [np.zeros((3, 17, 2))] * 4}},
...          metadata={"layout_name": "h36m", "num_joints": 17})
>>> views, layout = read_videopose3d_2d(path)
>>> layout, sorted(views)[0], views[("S9", "Walking", "54138969")].shape
('h36m', ('S9', 'Walking', '54138969'), (3, 17, 3))
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from typing import Any, Dict, Tuple

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["read_videopose3d_2d", "custom_videos", "custom_video_sizes", "VIDEOPOSE3D_CAMERAS", "VIDEOPOSE3D_LAYOUTS"]

#: The order of each action's four arrays: Human3.6M's camera ids (VideoPose3D's ``cam_map``).
VIDEOPOSE3D_CAMERAS = ("54138969", "55011271", "58860488", "60457274")

#: VideoPose3D's ``layout_name`` -> the joint set it stands for (``mpii`` and ``humaneva`` have
#: no counterpart here).
VIDEOPOSE3D_LAYOUTS = {"h36m": "h36m_17", "coco": "coco_17"}

#: What a file may make when unpickled: NumPy's array rebuilding, nothing else by name (dicts,
#: lists, strings and numbers need no name).
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar")}


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name}")
        try:
            from numpy._core import multiarray  # NumPy 2
        except ImportError:  # NumPy 1
            from numpy.core import multiarray  # type: ignore[no-redef]
        return {"_reconstruct": multiarray._reconstruct, "scalar": multiarray.scalar, "ndarray": np.ndarray,
                "dtype": np.dtype}[name]


def custom_videos(views: Dict[Tuple[str, str, str], np.ndarray]) -> Dict[str, np.ndarray]:
    """The videos of VideoPose3D's custom layout (``data_2d_custom_*.npz``, what its
    ``prepare_data_2d_custom.py`` writes of a detector run on your videos: ``{video: {"custom":
    [[F, J, 2]]}}``, one person per frame, the frames without one filled between their
    neighbours) among ``views`` of :func:`read_videopose3d_2d`: ``{video name: [F, J, 3]}``; ``{}``
    where any view is not such a video (a Human3.6M file: subjects, actions, four cameras)."""
    if not views or any(action != "custom" or cam != VIDEOPOSE3D_CAMERAS[0] for _, action, cam in views):
        return {}
    return {video: v for (video, _, _), v in views.items()}


def custom_video_sizes(path) -> Dict[str, Tuple[int, int]]:
    """``{video: (width, height)}`` from a custom file's ``metadata["video_metadata"]`` (``{video:
    {"w", "h"}}``, as ``prepare_data_2d_custom.py`` writes it), the videos without a whole
    positive size left out; ``{}`` where it has none."""
    p = os.fspath(path)
    with zipfile.ZipFile(p) as archive:
        metadata = _object(archive, "metadata", f"--keypoints {p!r}") if "metadata.npy" in archive.namelist() else {}
    videos = metadata.get("video_metadata") if isinstance(metadata, dict) else None
    out = {}
    for name, size in (videos.items() if isinstance(videos, dict) else []):
        w, h = (size.get("w"), size.get("h")) if isinstance(size, dict) else (None, None)
        if isinstance(w, (int, np.integer)) and isinstance(h, (int, np.integer)) and not isinstance(w, bool) \
                and not isinstance(h, bool) and w > 0 and h > 0:
            out[str(name)] = (int(w), int(h))
    return out


def _object(archive: zipfile.ZipFile, name: str, where: str) -> Any:
    """The pickled object stored as ``name.npy`` in the archive, unpickled as data only."""
    try:
        raw = archive.read(f"{name}.npy")
    except KeyError:
        raise ValueError(f"{where}: no {name!r} in the file (VideoPose3D's layout has positions_2d and "
                         "metadata)") from None
    f = io.BytesIO(raw)
    try:
        version = npy_format.read_magic(f)
        read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, _, dtype = read_header(f)
    except ValueError as e:
        raise ValueError(f"{where}: {name!r} is not a NumPy array ({e})") from None
    if dtype.kind != "O":
        raise ValueError(f"{where}: {name!r} holds {dtype}, not the pickled object of VideoPose3D's layout")
    try:
        value = _DataOnly(f, encoding="latin1").load()
    except pickle.UnpicklingError as e:
        raise ValueError(f"{where}: {name!r} asks to run {e} when read; hdnet reads data only") from None
    except Exception as e:  # a cut or corrupt pickle raises many kinds
        raise ValueError(f"{where}: {name!r} is not readable ({type(e).__name__}: {e})") from None
    arr = np.asarray(value, dtype=object)
    return arr.item() if arr.shape == () else value


def read_videopose3d_2d(path) -> Tuple[Dict[Tuple[str, str, str], np.ndarray], str]:
    """``({(subject, action, camera id): [F, J, 3] float64 (x, y, score)}, layout)`` from a
    VideoPose3D 2D file (see the module docstring). Arrays with two channels get score 1, and
    the scores of three come as the file gives them (whether they lie in [0, 1]:
    :func:`~hdnet.data.keypoint_files.check_keypoint_scores`, as ``hdnet eval`` checks them); a
    missing video (``None``) is left out; ``layout`` is the file's ``metadata["layout_name"]``
    (``""`` without one).

    Raises:
        FileNotFoundError: no file. ValueError: naming the file and the entry: not an ``.npz``,
            a pickle that would run code, not VideoPose3D's layout, an array of the wrong shape, NaN
            or inf.
    """
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"--keypoints: no file at {p!r}")
    where = f"--keypoints {p!r}"
    try:
        archive = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f"{where}: not a NumPy .npz archive ({e})") from None
    with archive:
        positions = _object(archive, "positions_2d", where)
        metadata = _object(archive, "metadata", where) if "metadata.npy" in archive.namelist() else {}
    if not isinstance(positions, dict) or not all(isinstance(v, dict) for v in positions.values()):
        raise ValueError(f"{where}: positions_2d must be {{subject: {{action: [one array per camera]}}}}")
    layout = str(metadata.get("layout_name", "")) if isinstance(metadata, dict) else ""
    out: Dict[Tuple[str, str, str], np.ndarray] = {}
    joints = set()
    for subject, actions in positions.items():
        for action, views in actions.items():
            at = f"{where} {subject}/{action}"
            if not isinstance(views, (list, tuple)) or len(views) > len(VIDEOPOSE3D_CAMERAS):
                raise ValueError(f"{at}: expected a list of at most {len(VIDEOPOSE3D_CAMERAS)} arrays, one per camera")
            for cam, view in zip(VIDEOPOSE3D_CAMERAS, views, strict=False):  # fewer: the rest missing
                if view is None:
                    continue
                a = np.asarray(view)
                if a.dtype.kind not in "fiu" or a.ndim != 3 or a.shape[-1] not in (2, 3):
                    raise ValueError(f"{at} camera {cam}: expected [frames, joints, 2 or 3] numbers, got "
                                     f"{a.dtype} of shape {a.shape}")
                a = a.astype(np.float64)
                if not np.isfinite(a).all():
                    raise ValueError(f"{at} camera {cam}: NaN or inf")
                if a.shape[-1] == 2:
                    a = np.concatenate([a, np.ones(a.shape[:2] + (1,))], -1)
                joints.add(a.shape[1])
                out[(str(subject), str(action), cam)] = a
    if len(joints) > 1:
        raise ValueError(f"{where}: arrays with {sorted(joints)} joints; one file holds one layout")
    return out, layout
