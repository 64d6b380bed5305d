"""A detector's keypoint file (or folder) read for :class:`~hdnet.keypoint.KeypointHDNet`: every
layout :mod:`hdnet.data.keypoint_files` parses, whole-body and OpenPose-COCO layouts cut to the
body format they hold, the format checked (named, declared by a COCO annotation file, or the one
its joint count fits), as ``hdnet predict --keypoints`` reads it.

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "openpose.json")
>>> person = [[100.0 + 2 * k, 50.0 + 10 * k, 0.9] for k in range(25)]  # BODY_25: no format to name
>>> with open(path, "w") as f:
...     json.dump({"a.jpg": [person], "b.jpg": []}, f)
>>> found = read_keypoints(path)
>>> found.format, found.people["a.jpg"].shape, len(found)
('body_25', (1, 25, 3), 1)
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..core.files import read_json
from ..data.keypoint_arrays import is_keypoint_array_file, read_keypoint_arrays
from ..data.keypoint_files import (
    EASY_VITPOSE_SUFFIX,
    ClippedScores,
    ImageSize,
    annotation_keypoint_names,
    check_keypoint_scores,
    coco_image_table,
    easy_vitpose_folder_names,
    easy_vitpose_names,
    folder_layout,
    is_coco_annotations,
    parse_keypoint_file,
    read_keypoint_folder,
    read_keypoint_folders,
)
from .formats import (
    FORMATS,
    INPUT_FORMATS,
    KEYPOINT_LAYOUTS,
    KeypointFormatWarning,
    body_keypoints,
    check_format_name,
    format_mismatch,
    format_of_names,
    formats_with,
    joint_name_differences,
    keypoint_layout,
    layout_name,
    likely_format,
    reordered_layouts,
    resolve_format,
)

__all__ = ["KeypointFile", "read_keypoints", "readable_joint_counts", "names_of_a_format"]


@dataclass(frozen=True)
class KeypointFile:
    """The people of a keypoint file, by image, in one format.

    Args:
        people: ``{image key: [P, J, 3]}`` pixels and score (0: missing), ``J`` the joints of
            ``format`` (a whole-body layout's body part).
        format: the keypoint format they are in (a name of :data:`~hdnet.keypoint.formats.FORMATS`).
        tracks: ``{image key: [P]}`` track ids where the file gives them (None: it does not).
        scores: ``{image key: [P]}`` the detector's score of each person (None: none given).
        images: ``{image id: {"file_name", "width", "height"}}`` from COCO annotations (the file
            itself, or ``coco_annotations``), None for other files.
        clipped: where :func:`read_keypoints` read joints' scores outside [0, 1] into it
            (``clip_scores``), how many and their range
            (:class:`~hdnet.data.keypoint_files.ClippedScores`); None where none was.
    """

    people: Dict[str, np.ndarray]
    format: str
    tracks: Optional[Dict[str, np.ndarray]] = None
    scores: Optional[Dict[str, np.ndarray]] = None
    images: Optional[Dict[str, dict]] = None
    clipped: Optional[ClippedScores] = None

    def __len__(self) -> int:
        """How many people the file holds."""
        return sum(len(v) for v in self.people.values())

    def stacked(self) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every person in one array, for :meth:`~hdnet.keypoint.KeypointHDNet.predict_scene`:
        ``(keypoints [N, J, 3], image [N], track [N])``: each person's image as its place in the
        file's order (``list(people)[image[n]]`` is its key; a video's frame number), and track id
        (-1: none)."""
        image = np.concatenate([np.full(len(v), i) for i, v in enumerate(self.people.values())] + [np.zeros(0)])
        j = FORMATS.get(self.format).skeleton.num_joints
        kp = np.concatenate([v for v in self.people.values() if len(v)]) if len(image) else np.zeros((0, j, 3))
        tracks = (np.concatenate([self.tracks.get(k, np.full(len(v), -1)) for k, v in self.people.items()])
                  if self.tracks is not None and len(image) else np.full(len(image), -1))
        return kp, image.astype(np.int64), tracks.astype(np.int64)


def read_keypoints(path, format: Optional[str] = None, *, formats: Sequence[str] = INPUT_FORMATS,
                   coco_annotations=None, image_size: Optional[ImageSize] = None, sequences: bool = False,
                   clip_scores: bool = False,
                   names: Tuple[str, ...] = ("format", "path", "coco_annotations", "clip_scores=True")) -> KeypointFile:
    """The people of a keypoint file or folder (every layout ``hdnet predict --keypoints`` takes:
    docs/cli.md), in one of ``formats`` (default: the shipped model's).

    Args:
        path: a JSON file, or a folder of one file per image (OpenPose, MMPose, OpenPifPaf,
            Ultralytics' labels; with ``sequences``, also a folder per sequence of them), or
            NumPy arrays of a video's frames (``.npy``, ``.npz``:
            :func:`~hdnet.data.keypoint_arrays.read_keypoint_arrays`; VideoPose3D's custom ``.npz``).
        format: the keypoints' format (or a layout holding one: ``coco_wholebody_133``, ...);
            required where the joint count fits several of ``formats`` and the file does not
            declare its keypoints (a COCO annotation file's category names them).
        coco_annotations: a COCO annotation file (path) whose ``images`` tie COCO results'
            ``image_id`` to files and sizes.
        image_size: ``key -> (width, height)`` of the image a key names (Ultralytics' labels are
            fractions of it).
        clip_scores: read the joints' scores outside [0, 1] as the nearer of 0 and 1
            (RTMPose's run past 1: :func:`~hdnet.data.keypoint_files.check_keypoint_scores`)
            instead of refusing them; the file's ``clipped`` says how many were.
        names: what to call ``format``, ``path``, ``coco_annotations`` and ``clip_scores=True``
            in errors (the command line: its options).

    Warns:
        KeypointFormatWarning: the format named does not fit the keypoints
            (:func:`~hdnet.keypoint.formats.format_mismatch`).

    Raises:
        ValueError: an unreadable file, images with different joint counts, a format that is not
            one of ``formats`` or does not fit (the candidates listed, and which they look like),
            scores outside [0, 1] without ``clip_scores``.
    """
    fmt_name, what, coco_name, clip_name = tuple(names) + ("clip_scores=True",) * (4 - len(names))
    p = os.fspath(path)
    format = layout_name(format)  # a layout's alias ("goliath") as its name
    images = declared = None
    if is_keypoint_array_file(p):  # NumPy arrays, a row per frame
        if coco_annotations is not None:
            raise ValueError(f"{coco_name}: does not apply to NumPy arrays (their frames are numbered)")
        people, tracks = read_keypoint_arrays(p, what)
        scores = None
    elif p.lower().endswith(".npz") and os.path.isfile(p):  # VideoPose3D's custom layout: one person a frame
        if coco_annotations is not None:
            raise ValueError(f"{coco_name}: does not apply to VideoPose3D's files (their frames are numbered)")
        people, format, images = _videopose3d_custom(p, format, what, fmt_name)
        tracks = scores = None
    elif os.path.isdir(p):
        if coco_annotations is not None:
            raise ValueError(f"{coco_name}: does not apply to a keypoint folder (its files are named by image)")
        nested = sequences and not folder_layout(p)
        people, tracks, scores = (read_keypoint_folders if nested else read_keypoint_folder)(
            p, joints=readable_joint_counts(format, formats), image_size=image_size)
        declared = names_of_a_format(easy_vitpose_folder_names(p), formats)
    else:
        loaded = read_json(p, what, nan=True)
        people, file_layout, tracks, scores = parse_keypoint_file(loaded, what)
        if coco_annotations is not None:
            images = coco_image_table(read_json(coco_annotations, coco_name), coco_name)
        elif is_coco_annotations(loaded):  # an annotation file: its own images
            images = coco_image_table(loaded, what)
        declared = annotation_keypoint_names(loaded, what) or names_of_a_format(easy_vitpose_names(loaded), formats)
        if file_layout == "easy-vitpose" and len(people) == 1 and os.path.basename(p).endswith(EASY_VITPOSE_SUFFIX):
            key = os.path.basename(p)[:-len(EASY_VITPOSE_SUFFIX)]  # <image>_result.json: one image's
            people = {key: next(iter(people.values()))}
            tracks = None if tracks is None else {key: next(iter(tracks.values()))}
    counts = sorted({int(v.shape[1]) for v in people.values() if v.shape[0]})
    if len(counts) > 1:
        raise ValueError(f"{what}: images with {counts} joints; one file holds one format")
    named = _declared_format(declared, format, formats, fmt_name)
    if counts and named in KEYPOINT_LAYOUTS and KEYPOINT_LAYOUTS[named][1] != counts[0]:
        raise ValueError(f"{what}: {counts[0]} joints, but {named} has {KEYPOINT_LAYOUTS[named][1]}")
    layout = keypoint_layout(counts[0], named) if counts else (named if named in KEYPOINT_LAYOUTS else None)
    if layout is not None:  # whole-body or OpenPose COCO keypoints: they hold one of the formats
        named = KEYPOINT_LAYOUTS[layout][0]
        body = FORMATS.get(named).skeleton.num_joints
        people = {key: body_keypoints(v, layout)[0] if v.shape[0] else np.zeros((0, body) + v.shape[2:], v.dtype)
                  for key, v in people.items()}
        counts = [body] if counts else []
    people, clipped = check_keypoint_scores(people, what, clip=clip_scores, option=clip_name)  # the points read
    if not counts:  # nobody in the file: any format reads it
        return KeypointFile(people, check_format_name(named or formats[0], formats, fmt_name), tracks, scores, images)
    found = [v for v in people.values() if len(v)]
    candidates = formats_with(counts[0], formats)
    try:
        fmt = resolve_format(counts[0], named, formats, (fmt_name, what))
    except ValueError as e:
        likely = likely_format(np.concatenate(found), candidates) if named is None else None
        raise ValueError(str(e) + (f" (they look like {likely}: hdnet.keypoint.formats.format_evidence)" if likely
                                   else "")) from None
    if layout is None:  # named layouts of this count whose points are another format's in another order
        candidates = [*candidates, *reordered_layouts(counts[0], candidates)]
    mismatch = format_mismatch(np.concatenate(found), fmt, candidates)
    if mismatch is not None:
        warnings.warn(f"{fmt_name} {fmt}: the keypoints look like {mismatch[0]} (read as {fmt} their bones are "
                      f"{mismatch[1]:.1f}x as long as read as {mismatch[0]}, which joins neighbouring points; "
                      "hdnet.keypoint.formats.format_evidence); a wrong format places every person wrongly",
                      KeypointFormatWarning, stacklevel=2)
    return KeypointFile(people, fmt, tracks, scores, images, clipped)


def _videopose3d_custom(path: str, format: Optional[str], what: str, fmt_name: str
                        ) -> Tuple[Dict[str, np.ndarray], Optional[str], Optional[Dict[str, dict]]]:
    """The people of a VideoPose3D custom 2D file (:func:`hdnet.data.h36m_detections.custom_videos`):
    one person a frame, keyed by the frame's number (``<video>#<frame>`` where the file holds
    several videos), the format its layout stands for (checked against ``format``) and each
    frame's image size where its metadata gives the video's (as a COCO image table), else None."""
    from ..data.h36m_detections import VIDEOPOSE3D_LAYOUTS, custom_video_sizes, custom_videos, read_videopose3d_2d
    views, layout = read_videopose3d_2d(path)
    videos = custom_videos(views)
    if not videos:
        raise ValueError(f"{what}: {path!r} holds Human3.6M's videos in VideoPose3D's layout (subjects, actions, "
                         "cameras): hdnet eval --dataset h36m --keypoints reads it; hdnet predict reads its custom "
                         "layout (data_2d_custom_*.npz)")
    given = VIDEOPOSE3D_LAYOUTS.get(layout)
    if format is not None and given is not None and layout_name(format) != given:
        raise ValueError(f"{fmt_name} {format}: the file's layout is {layout!r} ({given})")
    one = len(videos) == 1
    keys = {(name, f): str(f) if one else f"{name}#{f}" for name, v in videos.items() for f in range(len(v))}
    people = {key: videos[name][f:f + 1] for (name, f), key in keys.items()}
    sizes = custom_video_sizes(path)
    images = {key: {"file_name": key, "width": sizes[name][0], "height": sizes[name][1]}
              for (name, _), key in keys.items() if name in sizes}
    return people, format or given, images or None


def names_of_a_format(names: Optional[List[str]], formats: Sequence[str] = INPUT_FORMATS) -> Optional[List[str]]:
    """A detector's joint names (easy_ViTPose's ``skeleton``) where they are those of one of
    ``formats`` or the layouts, so that they say the format; None where they say none (its
    whole-body names are its own: the joint count says it)."""
    if names is None or format_of_names(names, [*formats, *KEYPOINT_LAYOUTS]) is None:
        return None
    return names


def readable_joint_counts(format: Optional[str], formats: Sequence[str] = INPUT_FORMATS) -> List[int]:
    """The joint counts a folder's files may hold: ``format``'s (a layout's), else those of
    ``formats`` and of the layouts holding one of them.

    >>> readable_joint_counts("coco_wholebody_133"), readable_joint_counts(None)[:4]
    ([133], [17, 18, 25, 26])
    """
    if format in KEYPOINT_LAYOUTS:
        return [KEYPOINT_LAYOUTS[format][1]]
    named = [format] if format is not None and format in formats else list(formats)
    return sorted({FORMATS.get(f).skeleton.num_joints for f in named}
                  | {n for body, n in KEYPOINT_LAYOUTS.values() if body in named})


def _declared_format(names: Optional[List[str]], named: Optional[str], formats: Sequence[str],
                     fmt_name: str) -> Optional[str]:
    """``named`` checked against the keypoint names a COCO annotation file declares (an error
    naming the joints that differ); where none is named, the one of ``formats`` and the layouts
    those names are (None where they are none of them)."""
    if names is None:
        return named
    if named is None:
        return format_of_names(names, [*formats, *KEYPOINT_LAYOUTS])
    try:
        differ = joint_name_differences(names, named)
    except LookupError:
        return named  # an unknown format: refused where it is resolved, with the argument's name
    if differ:
        more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
        raise ValueError(f"{fmt_name} {named}: the file names its keypoints otherwise "
                         f"({'; '.join(differ[:3])}{more}); hdnet reads the formats {', '.join(formats)}")
    return named
