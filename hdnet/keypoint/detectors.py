"""2D keypoint detectors that run offline, for :class:`~hdnet.keypoint.KeypointHDNet`'s input.

:class:`MediaPipePose` runs MediaPipe's BlazePose (the ``full`` model that ships inside the
``mediapipe`` 0.10.14 wheel; ``pip install "hdnet[mediapipe]"``): one person per image or per
box, 33 landmarks (``blazepose_33``) with their visibility as the score. Images are read as
shown (EXIF orientation applied), as :meth:`hdnet.camera.Camera.from_exif` sees them.

>>> detector = MediaPipePose()                                     # doctest: +SKIP
>>> people = detector("photo.jpg", boxes=[[100, 50, 400, 700]])    # [1, 33, 3] x, y, score  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Tuple

import numpy as np

from ..core.registry import Registry

__all__ = ["MediaPipePose", "load_image_as_shown", "DETECTORS", "VideoInfo", "video_info", "video_frames",
           "require_opencv", "native_logs_held_back"]


def load_image_as_shown(path) -> np.ndarray:
    """An image file as ``H x W x 3`` uint8 RGB, turned as its EXIF orientation says."""
    from ..camera.exif import as_shown
    from ..core.files import open_image
    p = os.fspath(path)
    try:
        with open_image(p) as im:
            return np.asarray(as_shown(im).convert("RGB"))
    except OSError as e:
        raise ValueError(f"image: {p!r} is not a readable image ({e})") from None


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


class MediaPipePose:
    """MediaPipe BlazePose on whole images or on person boxes (see the module docstring).

    Args:
        box_margin: each box is grown by this fraction of its longer side before the crop
            (BlazePose wants the whole body with some room).
        min_detection_confidence: MediaPipe's person detection threshold.
        video: frames of one video, given in order: MediaPipe then follows the person from
            frame to frame (its video mode: the detector runs again only when the person is
            lost) instead of looking for them afresh in each image. :meth:`close` before the
            next video. Not with boxes.

    ``detector(image, boxes=None)`` with ``image`` a path or an RGB array and ``boxes [P, 4]``
    (x1, y1, x2, y2 px) returns ``[P, 33, 3]`` (x, y in the image's pixels, visibility in [0, 1]);
    a box (or an image) where BlazePose finds nobody gives a person of NaN with score 0. Without
    boxes it finds at most one person per image.
    """

    format = "blazepose_33"

    def __init__(self, box_margin: float = 0.25, min_detection_confidence: float = 0.5, video: bool = False):
        try:
            import mediapipe  # noqa: F401
        except ImportError:
            raise ImportError("MediaPipePose needs mediapipe 0.10.14: pip install \"hdnet[mediapipe]\"") from None
        if not 0 <= box_margin <= 2:
            raise ValueError(f"box_margin: expected a fraction in [0, 2], got {box_margin}")
        self.box_margin = float(box_margin)
        self.min_detection_confidence = float(min_detection_confidence)
        self.video = bool(video)
        self._pose: Any = None

    def close(self) -> None:
        """Free MediaPipe's graph (built again if the detector is called after)."""
        if self._pose is not None:
            self._pose.close()
            self._pose = None

    def __enter__(self) -> "MediaPipePose":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _one(self, rgb: np.ndarray) -> Optional[np.ndarray]:
        with warnings.catch_warnings():  # mediapipe 0.10.14 calls a protobuf function protobuf 4 deprecates
            warnings.filterwarnings("ignore", "SymbolDatabase.GetPrototype", UserWarning)
            if self._pose is not None:
                res = self._pose.process(np.ascontiguousarray(rgb))
            else:  # one graph for every image: building it costs three times a detection
                import mediapipe as mp
                with native_logs_held_back():  # its start-up lines
                    self._pose = mp.solutions.pose.Pose(static_image_mode=not self.video, model_complexity=1,
                                                        min_detection_confidence=self.min_detection_confidence)
                    res = self._pose.process(np.ascontiguousarray(rgb))
        if res.pose_landmarks is None:
            return None
        h, w = rgb.shape[:2]
        return np.array([[lm.x * w, lm.y * h, lm.visibility] for lm in res.pose_landmarks.landmark], np.float64)

    def __call__(self, image, boxes=None) -> np.ndarray:
        rgb = load_image_as_shown(image) if not isinstance(image, np.ndarray) else image
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"image: expected an H x W x 3 uint8 RGB array, got {rgb.dtype} {rgb.shape}")
        missing = np.concatenate([np.full((33, 2), np.nan), np.zeros((33, 1))], 1)
        if boxes is None:
            found = self._one(rgb)
            return (found if found is not None else missing)[None]
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
            found = self._one(rgb[v1:v2, u1:u2])
            people.append(missing if found is None else found + np.array([u1, v1, 0.0]))
        return np.stack(people) if people else np.zeros((0, 33, 3))


#: Detectors by name (``hdnet predict --detector NAME``).
DETECTORS: Registry[type] = Registry("detector")
DETECTORS.register("mediapipe", MediaPipePose)
