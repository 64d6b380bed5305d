"""2D keypoint detectors that run offline, for :class:`~hdnet.keypoint.KeypointHDNet`'s input.

:class:`MediaPipePose` runs MediaPipe's BlazePose (the ``full`` model that ships inside the
``mediapipe`` 0.10.14 wheel, through MediaPipe's ``PoseLandmarker`` task; ``pip install
"hdnet[mediapipe]"``): one person per box, or up to ``max_people`` per image, 33 landmarks
(``blazepose_33``) with their visibility as the score. Images are read as shown (EXIF
orientation applied), as :meth:`hdnet.camera.Camera.from_exif` sees them.

>>> detector = MediaPipePose()                                     # doctest: +SKIP
>>> people = detector("photo.jpg", boxes=[[100, 50, 400, 700]])    # [1, 33, 3] x, y, score  # doctest: +SKIP
>>> group = MediaPipePose(max_people=10)("group.jpg")              # [N, 33, 3], N <= 10  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Sequence, Tuple

import numpy as np

from ..core.registry import Registry

__all__ = ["MediaPipePose", "load_image_as_shown", "DETECTORS", "VideoInfo", "video_info", "video_frames",
           "require_opencv", "native_logs_held_back", "blazepose_task_bundle",
           "people_in_windows"]


def load_image_as_shown(path) -> np.ndarray:
    """An image file as ``H x W x 3`` uint8 RGB, turned as its EXIF orientation says
    (:func:`hdnet.data.transforms.read_image_file`: a 16-bit file by its own range)."""
    from ..data.transforms import read_image_file
    return read_image_file(os.fspath(path), as_uint8=True)


def require_opencv():
    """OpenCV's ``cv2`` module, or an ``ImportError`` that says how to install it."""
    try:
        import cv2
    except ImportError:
        raise ImportError("reading a video needs OpenCV: pip install \"hdnet[video]\" (the mediapipe extra "
                          "brings it too)") from None
    return cv2


@dataclass(frozen=True)
class VideoInfo:
    """A video file's frame size (as decoded), frame rate and frame count (as its header says)."""

    width: int
    height: int
    fps: float
    frames: int


def _open_video(path: str):
    """An OpenCV capture of ``path``, or a ``ValueError`` naming the file."""
    cv2 = require_opencv()
    if not os.path.isfile(path):
        raise ValueError(f"video: no file at {path!r}")
    with native_logs_held_back():  # FFmpeg's own lines on a damaged file ("moov atom not found"): the error says it
        cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        cap.release()
        raise ValueError(f"video: {path!r} is not a video OpenCV can read")
    return cap


def video_info(path) -> VideoInfo:
    """The :class:`VideoInfo` of a video file (read with OpenCV, ``pip install "hdnet[video]"``).

    Raises:
        ValueError: naming the file, where it cannot be opened or gives no frame rate.
    """
    cv2 = require_opencv()
    p = os.fspath(path)
    cap = _open_video(p)
    try:
        fps, n = float(cap.get(cv2.CAP_PROP_FPS)), int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        ok, first = cap.read()  # the size as decoded: a phone's video is turned as its metadata says
    finally:
        cap.release()
    if not ok or first is None:
        raise ValueError(f"video: {p!r} has no frames OpenCV can decode")
    h, w = first.shape[:2]
    if not (fps > 0 and fps < 1e4):
        raise ValueError(f"video: {p!r} gives no frame rate (got {fps:g})")
    return VideoInfo(w, h, fps, max(n, 0))


def video_frames(path, step: int = 1, only=None) -> Iterator[Tuple[int, np.ndarray]]:
    """``(index, H x W x 3 uint8 RGB)`` for every ``step``-th frame of a video file, in order,
    one frame in memory at a time (index counts every frame of the file, from 0); with ``only``
    (frame indices), just those among them (the others are skipped without decoding).

    >>> for index, rgb in video_frames("clip.mp4", step=2):   # doctest: +SKIP
    ...     people = detector(rgb)
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise ValueError(f"step: expected a whole number of frames >= 1, got {step!r}")
    wanted = None if only is None else {int(i) for i in only}
    cap = _open_video(os.fspath(path))
    try:
        index = 0
        last = max(wanted) if wanted else -1
        while wanted is None or index <= last:
            if index % step or (wanted is not None and index not in wanted):
                ok = cap.grab()
                frame = None
            else:
                ok, frame = cap.read()
            if not ok:
                return
            if frame is not None:
                yield index, np.ascontiguousarray(frame[:, :, ::-1])  # OpenCV decodes BGR
            index += 1
    finally:
        cap.release()


@contextlib.contextmanager
def native_logs_held_back() -> Iterator[None]:
    """Hold back what native code writes to the process's standard error (file descriptor 2,
    which Python's ``sys.stderr`` does not see) while the block runs, and show it only if the
    block raises. MediaPipe's graphs print TensorFlow Lite's and absl's start-up lines there
    ("Created TensorFlow Lite XNNPACK delegate", "Feedback manager requires ...") when they are
    built and first run; they say nothing to a user. Where file descriptor 2 cannot be
    duplicated, the block runs as it is."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    held = tempfile.TemporaryFile()
    os.dup2(held.fileno(), 2)
    try:
        yield
    except BaseException:
        os.dup2(saved, 2)
        held.seek(0)
        os.write(2, held.read())
        raise
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        held.close()


#: How each of BlazePose's two networks wants its input image (MediaPipe's own pose graphs:
#: the person detector takes pixels scaled to [-1, 1], the landmark network to [0, 1]), as
#: ``(mean, std)`` of ``(pixel - mean) / std``.
_BLAZEPOSE_INPUTS = {"pose_detector.tflite": ("pose_detection/pose_detection.tflite", 127.5, 127.5),
                     "pose_landmarks_detector.tflite": ("pose_landmark/pose_landmark_full.tflite", 0.0, 255.0)}


@functools.lru_cache(maxsize=1)
def blazepose_task_bundle() -> bytes:
    """MediaPipe's ``PoseLandmarker`` model bundle made from the BlazePose networks inside the
    ``mediapipe`` 0.10.14 wheel (the ``full`` landmark model), with nothing downloaded.

    The wheel carries the two networks for its older ``mp.solutions.pose`` graph, which finds one
    person per image; the ``PoseLandmarker`` task, which finds several, wants them with input
    metadata in a ``.task`` bundle that Google distributes separately. This writes that metadata
    (the graphs' own input scaling, :data:`_BLAZEPOSE_INPUTS`) with MediaPipe's metadata writer,
    also in the wheel, and bundles the two. Made once per process (about a second).
    """
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, model_asset_bundle_utils, writer_utils
    modules = os.path.join(os.path.dirname(mediapipe.__file__), "modules")
    networks = {}
    for name, (rel, mean, std) in _BLAZEPOSE_INPUTS.items():
        path = os.path.join(modules, *rel.split("/"))
        if not os.path.isfile(path):
            raise ImportError(f"BlazePose: the mediapipe wheel has no {rel}: install mediapipe 0.10.14 "
                              "(pip install \"hdnet[mediapipe]\"; later wheels ship no models)")
        with open(path, "rb") as f:
            model = bytearray(f.read())
        writer = metadata_writer.MetadataWriter.create(model).add_general_info(name).add_image_input([mean], [std])
        for _ in writer_utils.get_output_tensor_types(model):
            writer.add_feature_output()
        networks[name] = bytes(writer.populate()[0])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "pose_landmarker.task")
        model_asset_bundle_utils.create_model_asset_bundle(networks, path)
        with open(path, "rb") as f:
            return f.read()


def _windows(width: int, height: int) -> List[Tuple[int, int, int]]:
    """The square windows a photo is searched in for smaller people, as ``(x, y, side)``: squares
    of the shorter side and of half of it, each level a half square apart across and a quarter
    down, so that a person up to half a square wide and three quarters of one tall lies whole
    inside one. BlazePose's person detector sees its input at 224 x 224 and finds people who fill
    about a third of its height or more; in a group photo they fill less of the whole image."""
    out = []
    short = min(width, height)
    for side in (short, short // 2):
        if side < 128:
            break
        xs = np.linspace(0, width - side, int(np.ceil(2 * (width - side) / side)) + 1).round().astype(int)
        ys = np.linspace(0, height - side, int(np.ceil(4 * (height - side) / side)) + 1).round().astype(int)
        out += [(int(x), int(y), side) for y in ys for x in xs]
    return out


def _box(person: np.ndarray) -> np.ndarray:
    """The box ``[x1, y1, x2, y2]`` of a ``[J, 3]`` answer's points."""
    return np.concatenate([person[:, :2].min(0), person[:, :2].max(0)])


def _overlaps(a: np.ndarray, b: np.ndarray) -> Tuple[float, float]:
    """The overlap of two boxes ``[x1, y1, x2, y2]``, as a fraction of their union and of the
    smaller box."""
    both = float(np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None).prod())
    areas = float(np.prod(a[2:] - a[:2])), float(np.prod(b[2:] - b[:2]))
    return both / max(sum(areas) - both, 1e-9), both / max(min(areas), 1e-9)


def _inside(box: np.ndarray, window: Tuple[int, int, int, int], width: int, height: int) -> bool:
    """Whether a box lies inside a window ``(x1, y1, x2, y2)``, short of its edges by 2 % of its
    size (edges that are the image's own do not count: a person the photo cuts is cut in every
    window)."""
    x1, y1, x2, y2 = window
    pad = 0.02 * max(x2 - x1, y2 - y1)
    lo = np.array([x1 + pad if x1 > 0 else -np.inf, y1 + pad if y1 > 0 else -np.inf])
    hi = np.array([x2 - pad if x2 < width else np.inf, y2 - pad if y2 < height else np.inf])
    return bool((box[:2] >= lo).all() and (box[2:] <= hi).all())


def people_in_windows(find: Callable[[int, int, int], List[np.ndarray]], width: int, height: int, max_people: int,
                      whole: Sequence[np.ndarray] = ()) -> List[np.ndarray]:
    """A one-person-per-view detector's people in a whole image, searched in overlapping squares.

    ``find(x, y, side)`` is the detector on the square of that corner and side, its answers
    ``[J, 3]`` each (x, y in the square's pixels, a score; BlazePose's ``J`` is 33, any other
    top-down detector's works alike); ``whole`` its answers on the whole image. Shown part of a
    person (a square that cuts them), BlazePose answers with a whole smaller body inside that
    part. So an answer is a stand-in where another answer, whole inside its own square, is
    larger, holds 60 % of its box, and does not fit in its square. The answers whole inside
    their square come first, then those that are no stand-in, then those most others agree with
    (landmark boxes overlapping by half their union), then the more confident; an answer whose
    box lies 60 % inside a kept one is the same person and left out. Returns up to
    ``max_people`` answers in the image's pixels, largest first. Two people of whom one hides
    60 % of the other count as one.
    """
    people = [np.asarray(p, np.float64) for p in whole]
    windows = [(0, 0, width, height)] * len(people)
    for x, y, side in _windows(width, height):
        if side == width == height:
            continue
        for p in find(x, y, side):
            people.append(np.asarray(p, np.float64) + np.array([x, y, 0.0]))
            windows.append((x, y, x + side, y + side))
    boxes = [_box(p) for p in people]
    inside = [_inside(b, w, width, height) for b, w in zip(boxes, windows, strict=True)]
    area = [float(np.prod(b[2:] - b[:2])) for b in boxes]

    def fits(box, window) -> bool:
        return bool(window[0] <= box[0] and window[1] <= box[1] and box[2] <= window[2] and box[3] <= window[3])

    stand_in = [any(inside[j] and area[j] > area[i] and _overlaps(boxes[j], boxes[i])[1] >= 0.6
                    and not fits(boxes[j], windows[i]) for j in range(len(people)))
                for i in range(len(people))]
    votes = [sum(_overlaps(b, c)[0] >= 0.5 for c in boxes) for b in boxes]
    order = sorted(range(len(people)), key=lambda i: (not inside[i], stand_in[i], -votes[i],
                                                      -float(people[i][:, 2].mean())))
    kept: List[int] = []
    for i in order:
        if not any(_overlaps(boxes[i], boxes[j])[1] >= 0.6 for j in kept):
            kept.append(i)
    kept.sort(key=lambda i: -area[i])
    return [people[i] for i in kept[:max_people]]


class MediaPipePose:
    """MediaPipe BlazePose on whole images or on person boxes (see the module docstring).

    Args:
        box_margin: each box is grown by this fraction of its longer side before the crop
            (BlazePose wants the whole body with some room).
        min_detection_confidence: MediaPipe's person detection threshold.
        video: frames of one video, given in order: MediaPipe then follows its people from
            frame to frame (its video mode: the detector runs again only when a person is
            lost) instead of looking for them afresh in each image. :meth:`close` before the
            next video. Not with boxes.
        max_people: how many people to look for in an image without boxes. With 1, the whole
            image is searched, and squares of it only where nobody is found there. With more,
            the whole image and overlapping squares of its shorter side and of half of it (a
            group photo's people are too small for BlazePose's person detector in the whole
            image), the answers for one person in several squares merged into one that lies
            whole inside its square and stands in for nobody larger (:func:`people_in_windows`).
            In a video, 1 has
            MediaPipe follow the person over the frames; more search each frame as a photo
            (MediaPipe's following lost most people of a group), and the people are linked over
            the frames afterwards (:func:`hdnet.scene.link_tracks`).

    ``detector(image, boxes=None)`` with ``image`` a path or an RGB array and ``boxes [P, 4]``
    (x1, y1, x2, y2 px) returns ``[P, 33, 3]`` (x, y in the image's pixels, visibility in [0, 1]);
    a box where BlazePose finds nobody gives a person of NaN with score 0. Without boxes it returns
    the people found, largest first: ``[N, 33, 3]`` with ``N <= max_people`` (with
    ``max_people=1``, one person, of NaN with score 0 where nobody is found).
    """

    format = "blazepose_33"

    def __init__(self, box_margin: float = 0.25, min_detection_confidence: float = 0.5, video: bool = False,
                 max_people: int = 1):
        if not 0 <= box_margin <= 2:  # the arguments first: a wrong one is wrong with mediapipe or without
            raise ValueError(f"box_margin: expected a fraction in [0, 2], got {box_margin}")
        if not 0 <= min_detection_confidence <= 1:
            raise ValueError(f"min_detection_confidence: expected a score in [0, 1], got {min_detection_confidence}")
        if isinstance(max_people, bool) or not isinstance(max_people, (int, np.integer)) or not 1 <= max_people <= 100:
            raise ValueError(f"max_people: expected a whole number from 1 to 100, got {max_people!r}")
        try:
            import mediapipe  # noqa: F401
        except ImportError:
            raise ImportError("MediaPipePose needs mediapipe 0.10.14: pip install \"hdnet[mediapipe]\"") from None
        self.box_margin = float(box_margin)
        self.min_detection_confidence = float(min_detection_confidence)
        self.video = bool(video)
        # MediaPipe's video mode follows people over the whole frame; on group photos made into a
        # video it lost all but one or two of four people who are found in each frame as a photo
        self._follow = self.video and max_people == 1
        self.max_people = int(max_people)
        self._landmarkers: Dict[int, Any] = {}
        self._frame = 0

    def close(self) -> None:
        """Free MediaPipe's graphs (built again if the detector is called after); a video's
        people are looked for afresh after it."""
        for landmarker in self._landmarkers.values():
            landmarker.close()
        self._landmarkers = {}
        self._frame = 0

    def __enter__(self) -> "MediaPipePose":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _landmarker(self, num_poses: int):
        """MediaPipe's ``PoseLandmarker`` looking for up to ``num_poses`` people (one graph each,
        kept: building one costs three times a detection)."""
        if num_poses not in self._landmarkers:
            from mediapipe.tasks.python import BaseOptions
            from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode
            options = PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_buffer=blazepose_task_bundle()), num_poses=num_poses,
                running_mode=RunningMode.VIDEO if self._follow else RunningMode.IMAGE,
                min_pose_detection_confidence=self.min_detection_confidence)
            with native_logs_held_back():  # its start-up lines
                self._landmarkers[num_poses] = PoseLandmarker.create_from_options(options)
        return self._landmarkers[num_poses]

    def _find(self, rgb: np.ndarray, num_poses: int) -> List[np.ndarray]:
        """BlazePose's people in ``rgb``: a ``[33, 3]`` array each (x, y px, visibility)."""
        import mediapipe as mp
        landmarker = self._landmarker(num_poses)
        with warnings.catch_warnings():  # mediapipe 0.10.14 calls a protobuf function protobuf 4 deprecates
            warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
            with native_logs_held_back():  # the first run's lines
                if self._follow:  # MediaPipe's own graphs count a video's frames at 30 per second too
                    result = landmarker.detect_for_video(image, self._frame * 33)
                    self._frame += 1
                else:
                    result = landmarker.detect(image)
        h, w = rgb.shape[:2]
        return [np.array([[lm.x * w, lm.y * h, lm.visibility] for lm in person], np.float64)
                for person in result.pose_landmarks]

    def _search(self, rgb: np.ndarray) -> List[np.ndarray]:
        """Up to :attr:`max_people` people in a whole image (see the class docstring), largest first."""
        found = self._find(rgb, self.max_people)
        if self._follow or (self.max_people == 1 and found):
            return found
        return people_in_windows(lambda x, y, side: self._find(rgb[y:y + side, x:x + side], self.max_people),
                                 rgb.shape[1], rgb.shape[0], self.max_people, found)

    def __call__(self, image, boxes=None) -> np.ndarray:
        rgb = load_image_as_shown(image) if not isinstance(image, np.ndarray) else image
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"image: expected an H x W x 3 uint8 RGB array, got {rgb.dtype} {rgb.shape}")
        missing = np.concatenate([np.full((33, 2), np.nan), np.zeros((33, 1))], 1)
        if boxes is None:
            found = self._search(rgb)
            if not found:
                return missing[None] if self.max_people == 1 else np.zeros((0, 33, 3))
            return np.stack(found)
        if self.video:
            raise ValueError("boxes: a video's frames are followed whole (MediaPipePose(video=True)); crop boxes "
                             "with video=False")
        b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        h, w = rgb.shape[:2]
        people = []
        for x1, y1, x2, y2 in b:
            grow = self.box_margin * max(x2 - x1, y2 - y1) / 2
            u1, v1 = int(max(0, np.floor(x1 - grow))), int(max(0, np.floor(y1 - grow)))
            u2, v2 = int(min(w, np.ceil(x2 + grow))), int(min(h, np.ceil(y2 + grow)))
            if u2 - u1 < 8 or v2 - v1 < 8:
                people.append(missing)
                continue
            found = self._find(rgb[v1:v2, u1:u2], 1)
            people.append(missing if not found else found[0] + np.array([u1, v1, 0.0]))
        return np.stack(people) if people else np.zeros((0, 33, 3))


#: Detectors by name (``hdnet predict --detector NAME``).
DETECTORS: Registry[type] = Registry("detector")
DETECTORS.register("mediapipe", MediaPipePose)
