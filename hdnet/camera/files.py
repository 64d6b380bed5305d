"""Calibration files as cameras: what ``hdnet predict --camera FILE`` reads.

:func:`read_cameras` takes the files calibration tools write, each checked, and gives a
:class:`CameraFile`: one camera for every image, or cameras by image name.

- **JSON**: one camera (any layout :meth:`Camera.from_dict` reads, OpenCV's ``FileStorage``
  JSON among them) or ``{image name: camera}``.
- **OpenCV** ``FileStorage`` **YAML or XML** (``cv2.FileStorage``, OpenCV's calibration
  sample): ``camera_matrix`` and ``distortion_coefficients`` (or ``K``/``D``,
  ``cameraMatrix``/``distCoeffs``), ``image_width``/``image_height`` where written.
- **ROS** ``camera_info`` **YAML** (``camera_calibration``'s output): ``camera_matrix``,
  ``distortion_model`` (``plumb_bob``, ``rational_polynomial`` or ``equidistant``: the fisheye
  model), ``distortion_coefficients``,
  ``image_width``/``image_height``; and the ``CameraInfo`` message itself as ``ros2 topic echo``
  prints it (``k``, ``d``, ``width``, ``height``).
- **Kalibr** ``camchain.yaml`` with one pinhole camera (``intrinsics``, ``radtan``,
  ``equidistant`` (the fisheye model) or no distortion, ``resolution``).
- **COLMAP** ``cameras.txt`` (text model; ``colmap model_converter --output_type TXT`` writes it
  from ``cameras.bin``): the pinhole, radial and OpenCV models (``FULL_OPENCV``'s rational terms
  too) and the fisheye ones (``SIMPLE_RADIAL_FISHEYE``, ``RADIAL_FISHEYE``, ``OPENCV_FISHEYE``);
  several cameras are told apart
  by the ``images.txt`` beside it. COLMAP puts the top-left pixel's centre at ``(0.5, 0.5)``,
  hdnet (and OpenCV) at ``(0, 0)``: the principal point moves by half a pixel.

Where a file says the image size it was calibrated at, :meth:`CameraFile.camera_for` checks it
against the image: an image resized with its shape kept gets the camera scaled with it
(``Camera.scaled``), any other size is an error (a crop moves the principal point by an
amount no file says).

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "cam.json")
>>> _ = open(path, "w").write(json.dumps({"camera_matrix": [[1000, 0, 959.5], [0, 1000, 539.5], [0, 0, 1]],
...                                      "dist_coeffs": [-0.1, 0.02, 0.0, 0.0, 0.0],
...                                      "image_width": 1920, "image_height": 1080}))
>>> cam, source = read_cameras(path).camera_for("frame.jpg", image_size=(1280, 720))
>>> round(cam.fx, 3), round(cam.cx, 3), cam.distortion_model, source
(666.667, 639.5, 'opencv', '--camera cam.json (scaled from 1920x1080 to 1280x720)')
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..core.files import file_name, loose_name, read_json, read_text
from .cameras import CAMERA_KEYS, Camera

__all__ = ["CameraFile", "read_cameras", "MAX_CAMERA_FILE_BYTES", "COLMAP_MODELS"]

#: Calibration files are small; anything larger is not one.
MAX_CAMERA_FILE_BYTES = 8 * 2**20
#: COLMAP's camera models hdnet reads, and the order of their parameters (COLMAP's models.h).
COLMAP_MODELS = {
    "SIMPLE_PINHOLE": ("f", "cx", "cy"),
    "PINHOLE": ("fx", "fy", "cx", "cy"),
    "SIMPLE_RADIAL": ("f", "cx", "cy", "k1"),
    "RADIAL": ("f", "cx", "cy", "k1", "k2"),
    "OPENCV": ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2"),
    "FULL_OPENCV": ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3", "k4", "k5", "k6"),
    "SIMPLE_RADIAL_FISHEYE": ("f", "cx", "cy", "k1"),
    "RADIAL_FISHEYE": ("f", "cx", "cy", "k1", "k2"),
    "OPENCV_FISHEYE": ("fx", "fy", "cx", "cy", "k1", "k2", "k3", "k4"),
}
#: Keys a calibration file gives its image size under.
_SIZE_KEYS = (("image_width", "image_height"), ("width", "height"), ("imageWidth", "imageHeight"))
#: How far apart the two scale factors of a resized image may be before it counts as reshaped
#: (rounding an odd size: 1919 -> 1280 against 1080 -> 720 is 0.05 %).
_SHAPE_TOLERANCE = 0.005


@dataclass(frozen=True)
class CameraFile:
    """The cameras of one calibration file (:func:`read_cameras`).

    Args:
        cameras: ``{image name: camera}``, or ``{None: camera}`` for one camera serving every image.
        sizes: the image size ``(width, height)`` each camera was calibrated at, where the file
            says it.
        source: the file's name, for messages and each camera's ``camera_source``.
    """

    cameras: Dict[Optional[str], Camera]
    sizes: Dict[Optional[str], Tuple[int, int]] = field(default_factory=dict)
    source: str = "--camera"

    def camera_for(self, *names: Optional[str], image_size: Optional[Tuple[int, int]] = None
                   ) -> Tuple[Camera, str]:
        """``(camera, where it came from)`` for the image called one of ``names`` (a key, a
        path, a file name: the first the file has; else the file's one entry with that file name,
        as COLMAP's ``images.txt`` names images by their path under its image folder), checked
        against ``image_size`` ``(W, H)``.

        Raises:
            ValueError: the file has no camera for the image, or was calibrated at a size that
                is not this image's shape.
        """
        key: Optional[str] = None
        if None not in self.cameras:
            key = next((n for n in names if n in self.cameras), None)
            if key is None:
                key = next((file_name(n) for n in names if n and file_name(n) in self.cameras), None)
            if key is None:  # keys that are paths, of this machine or another (C:\data\a.jpg), or names
                by_name: Dict[str, List[str]] = {}  # written loosely (IMG_1.jpg for IMG_1.JPG)
                for k in self.cameras:
                    by_name.setdefault(file_name(str(k)), []).append(str(k))
                    if loose_name(file_name(str(k))) != file_name(str(k)):
                        by_name.setdefault(loose_name(file_name(str(k))), []).append(str(k))
                key = next((by_name[b][0] for n in names if n for b in (file_name(n), loose_name(file_name(n)))
                            if len(by_name.get(b, ())) == 1), None)
            if key is None:
                shown = [n for n in names if n]
                raise ValueError(f"--camera: {self.source} has no camera for {shown[0] if shown else '?'!r} "
                                 f"(it has {sorted(str(k) for k in self.cameras)[:5]})")
        camera, size = self.cameras[key], self.sizes.get(key)
        source = f"--camera {self.source}"
        if size is None or image_size is None or tuple(image_size) == tuple(size):
            return camera, source
        (w0, h0), (w, h) = size, image_size
        sx, sy = w / w0, h / h0
        if abs(sx / sy - 1.0) > _SHAPE_TOLERANCE:
            raise ValueError(f"--camera: {self.source} was calibrated on {w0}x{h0} images, this one is {w}x{h}: not "
                             "the same shape (a crop or a stretch moves the camera by an amount the file does not "
                             "say); give the camera of these images")
        return camera.scaled(sx, sy), f"{source} (scaled from {w0}x{h0} to {w}x{h})"


def read_cameras(path) -> CameraFile:
    """The cameras of a calibration file: JSON, OpenCV YAML/XML, ROS ``camera_info`` YAML (or the
    message as ``ros2 topic echo`` prints it), Kalibr's ``camchain.yaml`` or COLMAP's
    ``cameras.txt`` (module docstring).

    Raises:
        FileNotFoundError: no file there.
        ValueError: a file too large, in another format, or with a camera that is not one (the
            message names the file and the field).
    """
    p = os.fspath(path)
    name = os.path.basename(p)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"--camera: no file at {p!r}")
    size = os.path.getsize(p)
    if size > MAX_CAMERA_FILE_BYTES:
        raise ValueError(f"--camera: {p!r} is {size / 2**20:.0f} MiB; a calibration file is a few KiB")
    ext = os.path.splitext(p)[1].lower()
    if ext == ".json":
        return _from_object(read_json(p, "--camera"), name)
    if ext == ".bin" and name.startswith("cameras"):
        raise ValueError(f"--camera: {p!r} is COLMAP's binary model; write it as text first "
                         "(colmap model_converter --output_type TXT) and give cameras.txt")
    text = read_text(p, "--camera")
    if ext in (".yaml", ".yml"):
        return _from_object(_parse_yaml(text, name), name, "a YAML mapping")
    if ext == ".xml":
        return _from_object(_parse_opencv_xml(text, name), name, "OpenCV's XML")
    if ext == ".txt":
        return _from_colmap(text, p)
    raise ValueError(f"--camera: {p!r}: expected a .json, .yaml/.yml (OpenCV, ROS or Kalibr), .xml (OpenCV) or "
                     "COLMAP cameras.txt calibration file")


def _image_size(d: dict, what: str) -> Optional[Tuple[int, int]]:
    for wk, hk in _SIZE_KEYS:
        if wk in d or hk in d:
            w, h = d.get(wk), d.get(hk)
            ok = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (w, h))
            if not ok:
                raise ValueError(f"{what}: {wk}, {hk}: expected the image size in whole pixels > 0, got {w!r}, {h!r}")
            return int(w), int(h)  # type: ignore[arg-type]
    return None


def _camera_info_message(d: dict) -> dict:
    """ROS 2's ``sensor_msgs/CameraInfo`` as ``ros2 topic echo`` (or a JSON bridge) writes it:
    lower-case ``k`` (the 3x3 matrix, 9 numbers) and ``d``, which :meth:`Camera.from_dict` would
    read as Human3.6M's ``k`` and ``p``; renamed to OpenCV's ``K`` and ``D``."""
    k = d.get("k")
    if not (isinstance(k, list) and len(k) == 9 and "d" in d):
        return d
    out = {key: v for key, v in d.items() if key not in ("k", "d", "p", "r")}
    out.update(K=k, D=d["d"], distortion_model=d.get("distortion_model") or "plumb_bob")
    return out


def _kalibr(obj: dict, name: str) -> Optional[dict]:
    """Kalibr's camera chain (``camchain.yaml``: ``cam0: {camera_model, intrinsics,
    distortion_model, distortion_coeffs, resolution}``) as one camera's dictionary; None for
    other files."""
    cams = {k: v for k, v in obj.items() if isinstance(v, dict) and "camera_model" in v}
    if not cams:
        return None
    if len(cams) > 1:
        raise ValueError(f"--camera: {name}: a Kalibr chain of {len(cams)} cameras ({', '.join(sorted(cams))}); keep "
                         "the one that took the images")
    (key, cam), = cams.items()
    what = f"--camera {name}: {key}"
    if cam["camera_model"] != "pinhole":
        raise ValueError(f"{what}: camera_model {cam['camera_model']!r}: hdnet reads Kalibr's pinhole cameras, with "
                         "radtan or equidistant (fisheye) lenses; omni, ds and eucm are other projections")
    fu, fv, pu, pv = _coefficient_list(cam.get("intrinsics"), f"{what}: intrinsics", 4)
    out = {"K": [fu, 0.0, pu, 0.0, fv, pv, 0.0, 0.0, 1.0], "D": cam.get("distortion_coeffs", []),
           "distortion_model": "opencv" if cam.get("distortion_model", "none") == "none" else cam["distortion_model"]}
    if "resolution" in cam:
        out["width"], out["height"] = _coefficient_list(cam["resolution"], f"{what}: resolution", 2)
    return out


def _coefficient_list(value, what: str, n: int) -> list:
    if not isinstance(value, list) or len(value) != n:
        raise ValueError(f"{what}: expected {n} numbers, got {value!r}")
    return value


def _from_object(obj: Any, name: str, kind: str = "a JSON object") -> CameraFile:
    """One camera, or ``{image name: camera}``, from a parsed JSON, YAML or XML object."""
    if not isinstance(obj, dict):
        raise ValueError(f"--camera: {name}: expected {kind} (one camera, or image names mapped to cameras), "
                         f"got {type(obj).__name__}")
    obj = _kalibr(obj, name) or _camera_info_message(obj)
    if CAMERA_KEYS & set(obj):
        cameras: Dict[Optional[str], Camera] = {None: Camera.from_dict(obj, f"--camera {name}")}
        size = _image_size(obj, f"--camera {name}")
        return CameraFile(cameras, {None: size} if size else {}, name)
    if not obj:
        raise ValueError(f"--camera: {name}: no cameras in the file")
    if not all(isinstance(entry, dict) for entry in obj.values()):
        raise ValueError(f"--camera: {name}: no camera: expected fx, fy, cx, cy (or f and c, intrinsic, or a camera "
                         f"matrix: camera_matrix, K), or image names mapped to cameras; it has {sorted(obj)[:8]}")
    cams, sizes = {}, {}
    for key, entry in obj.items():
        what = f"--camera {name}: {key!r}"
        entry = _camera_info_message(entry)
        cams[key] = Camera.from_dict(entry, what)
        size = _image_size(entry, what)
        if size:
            sizes[key] = size
    return CameraFile(cams, sizes, name)


# ---------------------------------------------------------------------------- YAML (OpenCV, ROS)
_KEY_LINE = re.compile(r"^(\s*)([A-Za-z_][\w.\-]*)\s*:(?:\s+(.*))?$")


def _scalar(text: str, where: str) -> Any:
    t = text.strip()
    if t[:1] in "\"'":
        if len(t) < 2 or t[-1] != t[0]:
            raise ValueError(f"{where}: an unclosed quote: {text!r}")
        return t[1:-1]
    if re.fullmatch(r"[-+]?\d+", t):
        return int(t)
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", t):
        return float(t)
    if t.lower() in (".nan", ".inf", "-.inf", "+.inf", "nan", "inf"):
        raise ValueError(f"{where}: {t} is not a finite number")
    return t


def _flow_list(text: str, where: str) -> List[Any]:
    inner = text.strip()[1:-1].strip()
    if "[" in inner or "{" in inner:
        raise ValueError(f"{where}: nested lists are not part of a calibration file")
    items = [s for s in (x.strip() for x in inner.split(",")) if s]
    return [_scalar(s, where) for s in items]


def _logical_lines(text: str, name: str) -> Iterator[Tuple[int, str]]:
    """``(line number, text)`` with comments, directives and document markers gone, and a flow
    list that runs over several lines joined into one."""
    pending: Optional[Tuple[int, str]] = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if pending is not None:
            pending = (pending[0], pending[1] + " " + line.strip())
            if pending[1].count("[") == pending[1].count("]"):
                yield pending
                pending = None
            continue
        if not line.strip() or line.startswith("%") or line.strip() in ("---", "..."):
            continue
        if line.count("[") > line.count("]"):
            pending = (number, line)
            continue
        yield number, line
    if pending is not None:
        raise ValueError(f"--camera: {name}: line {pending[0]}: a list that is never closed with ']'")


_ITEM_LINE = re.compile(r"^(\s*)-(?:\s+(.*))?$")
_TAG = re.compile(r"^!!?[\w\-:./]+\s*")  # !!opencv-matrix


def _yaml_value(value: str, where: str) -> Any:
    """A scalar or a flow list of scalars; anything else is refused."""
    if value.startswith("["):
        return _flow_list(value, where)
    if value[0] in "{|>&*" or (value[0] == "-" and not re.match(r"-[\d.]", value)) or _KEY_LINE.match(value):
        raise ValueError(f"{where}: {value!r}: flow mappings, block text, anchors and lists of mappings are not "
                         "part of the camera files hdnet reads (OpenCV, ROS, Kalibr)")
    return _scalar(value, where)


def _parse_yaml(text: str, name: str) -> Dict[str, Any]:
    """The YAML that OpenCV's ``FileStorage``, ROS's ``camera_info`` (a calibration file or
    ``ros2 topic echo``) and Kalibr write: block mappings, scalars, lists in brackets, and block
    lists (``- item``) of those; tags such as ``!!opencv-matrix`` dropped. Anything else is
    refused, naming the line. Not a general YAML reader: no PyYAML needed for a camera."""
    root: Dict[str, Any] = {}
    stack: List[Tuple[int, Dict[str, Any]]] = [(-1, root)]  # open mappings, by their key's indent
    opened: Optional[Tuple[int, Dict[str, Any], str]] = None  # a key with nothing after it yet
    block: Optional[Tuple[int, List[Any]]] = None  # the block list being read, by its key's indent
    for number, line in _logical_lines(text, name):
        where = f"--camera: {name}: line {number}"
        item = _ITEM_LINE.match(line)
        if item is not None:
            indent = len(item.group(1))
            if block is None and opened is not None and indent >= opened[0] and not stack[-1][1]:
                stack.pop()  # the key's value is a list, not the mapping it might have been
                block = (opened[0], [])
                opened[1][opened[2]] = block[1]
            if block is None or indent < block[0]:
                raise ValueError(f"{where}: a list item without a key before it")
            value = _TAG.sub("", (item.group(2) or "").strip())
            if not value:
                raise ValueError(f"{where}: an empty list item (nested block lists are not part of camera files)")
            block[1].append(_yaml_value(value, where))
            continue
        m = _KEY_LINE.match(line)
        if m is None:
            raise ValueError(f"{where}: {line.strip()!r} is not 'key: value'; hdnet reads the YAML that OpenCV's "
                             "FileStorage, ROS's camera_info and Kalibr write")
        indent, key, value = len(m.group(1)), m.group(2), _TAG.sub("", (m.group(3) or "").strip())
        block = opened = None
        while indent <= stack[-1][0]:
            stack.pop()
        parent = stack[-1][1]
        if key in parent:
            raise ValueError(f"{where}: {key!r} given twice")
        if value:
            parent[key] = _yaml_value(value, where)
        else:  # a mapping follows, or a block list, or nothing (an empty mapping)
            child: Dict[str, Any] = {}
            parent[key] = child
            stack.append((indent, child))
            opened = (indent, parent, key)
    return root


# ---------------------------------------------------------------------------- XML (OpenCV)
def _parse_opencv_xml(text: str, name: str) -> Dict[str, Any]:
    """OpenCV's ``FileStorage`` XML (``<opencv_storage>``): matrices as ``{"rows", "cols",
    "data"}``, scalars as numbers."""
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError(f"--camera: {name}: an XML file with a DOCTYPE or entities is not OpenCV's FileStorage")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise ValueError(f"--camera: {name} is not valid XML ({e})") from None
    if root.tag != "opencv_storage":
        raise ValueError(f"--camera: {name}: expected OpenCV's <opencv_storage>, got <{root.tag}>")

    def value(el, where):
        if len(el):
            return {child.tag: value(child, f"{where}/{child.tag}") for child in el}
        words = (el.text or "").split()
        if el.tag == "data":
            return [_scalar(w, where) for w in words]
        return _scalar(" ".join(words), where) if words else ""
    return {el.tag: value(el, f"--camera: {name}: <{el.tag}>") for el in root}


# ---------------------------------------------------------------------------- COLMAP
def _colmap_lines(text: str) -> List[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def _from_colmap(text: str, path: str) -> CameraFile:
    name = os.path.basename(path)
    cams: Dict[int, Camera] = {}
    sizes: Dict[int, Tuple[int, int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or line.startswith("#"):
            continue
        where = f"--camera: {name}: line {number}"
        if len(words) < 4 or not (words[0].isdigit() and words[2].isdigit() and words[3].isdigit()):
            raise ValueError(f"{where}: expected COLMAP's 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS...', got {line.strip()!r}")
        cid, model, w, h = int(words[0]), words[1], int(words[2]), int(words[3])
        if model not in COLMAP_MODELS:
            raise ValueError(f"{where}: COLMAP camera model {model} is not one hdnet undoes (it reads "
                             f"{', '.join(COLMAP_MODELS)}); undistort the keypoints with it first")
        names = COLMAP_MODELS[model]
        try:
            values = [float(v) for v in words[4:]]
        except ValueError:
            raise ValueError(f"{where}: the parameters of a {model} camera are numbers, got {words[4:]}") from None
        if len(values) != len(names):
            raise ValueError(f"{where}: a {model} camera has {len(names)} parameters ({', '.join(names)}), "
                             f"got {len(values)}")
        q = dict(zip(names, values, strict=True))
        fx, fy = q["fx" if "fx" in q else "f"], q["fy" if "fy" in q else "f"]
        fisheye = model.endswith("_FISHEYE")  # the angle's polynomial (COLMAP's models.h): OpenCV's fisheye
        terms = ("k1", "k2", "k3", "k4") if fisheye else ("k1", "k2", "k3", "k4", "k5", "k6")
        radial = tuple(q.get(k, 0.0) for k in terms) if "k1" in q else None
        tangential = (q["p1"], q["p2"]) if "p1" in q else None
        if cid in cams:
            raise ValueError(f"{where}: camera {cid} given twice")
        try:
            cams[cid] = Camera(fx, fy, q["cx"] - 0.5, q["cy"] - 0.5, radial, tangential,
                               "fisheye" if fisheye else "opencv")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: {e}") from None
        sizes[cid] = (w, h)
    if not cams:
        raise ValueError(f"--camera: {name}: no cameras (COLMAP lines 'CAMERA_ID MODEL WIDTH HEIGHT PARAMS...')")
    if len(cams) == 1:
        (cid,) = cams
        return CameraFile({None: cams[cid]}, {None: sizes[cid]}, name)
    images = os.path.join(os.path.dirname(path), "images.txt")
    if not os.path.isfile(images):
        raise ValueError(f"--camera: {name} has {len(cams)} cameras; hdnet tells which image has which from the "
                         f"images.txt beside it, and there is none at {images!r}")
    if os.path.getsize(images) > 64 * MAX_CAMERA_FILE_BYTES:
        raise ValueError(f"--camera: {images!r} is too large to be COLMAP's images.txt")
    lines = _colmap_lines(read_text(images, "--camera"))
    by_image: Dict[Optional[str], Camera] = {}
    by_size: Dict[Optional[str], Tuple[int, int]] = {}
    for i in range(0, len(lines), 2):  # an image's line, then its 2D points (maybe empty)
        words = lines[i].split(maxsplit=9)
        if not words:
            continue
        if len(words) < 10 or not words[8].isdigit():
            raise ValueError(f"--camera: images.txt: expected COLMAP's 'IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID "
                             f"NAME' lines, each followed by its points' line; got {lines[i].strip()[:80]!r}")
        cid, image = int(words[8]), words[9].strip()
        if cid not in cams:
            raise ValueError(f"--camera: images.txt: {image!r} has camera {cid}, which {name} does not have")
        by_image[image], by_size[image] = cams[cid], sizes[cid]
    return CameraFile(by_image, by_size, name)
