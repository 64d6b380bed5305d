"""``hdnet predict`` for keypoint models: 2D keypoints (a detector's file, or a detector run here)
and a camera per image -> every person's camera-space root and 3D joints.

Which camera each image gets, first that applies: ``--camera`` (one camera, or one per image),
``--fov`` (a field of view across the longer side, with the image's size), the image's EXIF
focal length, the field-of-view prior (:data:`hdnet.camera.FOV_PRIOR_DEG`). Every person's
record says which (``camera_source``).

Keypoint files name their images by the keys of ``{image: people}`` or by COCO results'
``image_id``; an id is tied to a file through ``--coco-annotations`` (the COCO ``images``
list: ``id``, ``file_name``, ``width``, ``height``), else an id that is itself a file name is
looked up among the images given and beside the keypoint file; an OpenPose folder's keys are
the images' names without their extension, matched to the images given.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..camera import Camera, CameraFile, camera_from_fov, guess_camera, read_exif_focal
from ..camera.estimate import FOV_PRIOR_DEG
from ..core.files import IMAGE_SUFFIXES, file_name, folder_entries, loose_name, natural_key, open_image
from ..data.keypoint_files import coco_image_table
from ..graphs import Skeleton

__all__ = ["ImageRef", "IMAGE_SUFFIXES", "list_images", "resolve_images", "coco_image_table", "camera_for",
           "cameras_for", "predict_records", "placeable_people", "draw_people"]

@dataclass
class ImageRef:
    """An image a keypoint file names: the file where one is known, and its size as shown."""

    key: str
    path: Optional[str] = None
    size: Optional[Tuple[int, int]] = None  #: (width, height)
    video: Optional[str] = None  #: the video file of a frame
    frame: Optional[int] = None  #: which frame of ``video`` (from 0)
    orientation: int = 1  #: the file's EXIF orientation (5-8: its pixels are stored turned by 90 degrees)


def list_images(paths: Sequence[str], folder: Optional[str]) -> List[str]:
    """The image files of the positional arguments and of ``--images DIR`` (by name, numbers by
    value: :func:`hdnet.core.files.natural_key`; a video's frames in order)."""
    out = [os.fspath(p) for p in paths]
    if folder is not None:
        if not os.path.isdir(folder):
            raise ValueError(f"--images: {folder!r} is not a folder")
        found = sorted((os.path.join(folder, f) for f in folder_entries(folder) if f.lower().endswith(IMAGE_SUFFIXES)),
                       key=lambda p: natural_key(os.path.basename(p)))
        if not found:
            raise ValueError(f"--images: no image in {folder!r} (hdnet reads {', '.join(IMAGE_SUFFIXES)} files)")
        out += found
    for p in out:
        if not os.path.isfile(p):
            raise ValueError(f"image: no file at {p!r}")
    return out


def _shown(path: str) -> Tuple[Tuple[int, int], int]:
    """``((width, height) as shown, EXIF orientation)`` of an image file."""
    from ..camera.exif import exif_orientation
    with open_image(path) as im:
        w, h = im.size
        orientation = exif_orientation(im)
    return ((h, w) if orientation >= 5 else (w, h)), orientation


def resolve_images(keys: Sequence[str], images: Sequence[str], keypoint_file: Optional[str] = None,
                   coco: Optional[Dict[str, dict]] = None) -> Dict[str, ImageRef]:
    """Tie every key of a keypoint file to an image file (and its size) where one can be found
    (module docstring); keys without a file keep ``path = None``."""
    by_path = {os.path.normpath(p): p for p in images}
    by_name: Dict[str, List[str]] = {}
    by_stem: Dict[str, List[str]] = {}  # OpenPose names its files by the image's name without extension
    by_folded: Dict[str, List[str]] = {}  # names as Macs and Windows write them loosely: IMG_1.jpg for IMG_1.JPG, é as e + ´
    for p in images:
        by_name.setdefault(os.path.basename(p), []).append(p)
        by_stem.setdefault(os.path.splitext(os.path.basename(p))[0], []).append(p)
        by_folded.setdefault(loose_name(os.path.basename(p)), []).append(p)
    base = os.path.dirname(os.fspath(keypoint_file)) if keypoint_file else None
    out = {}
    for key in keys:
        ref = ImageRef(key)
        name = key
        if coco is not None and key in coco:
            name = coco[key]["file_name"]
            if coco[key]["width"]:
                ref.size = (coco[key]["width"], coco[key]["height"])
        hits = (by_name.get(file_name(name)) or by_stem.get(file_name(name))  # Windows paths too
                or by_folded.get(loose_name(file_name(name)), []))
        if os.path.normpath(name) in by_path:
            ref.path = by_path[os.path.normpath(name)]
        elif len(hits) == 1:
            ref.path = hits[0]
        elif len(hits) > 1:
            raise ValueError(f"--keypoints: {key!r} matches several images ({hits}); key the keypoints by path")
        elif os.path.isfile(name):
            ref.path = name
        elif base and os.path.isfile(os.path.join(base, name)):
            ref.path = os.path.join(base, name)
        if ref.path is not None:
            ref.size, ref.orientation = _shown(ref.path)
        out[key] = ref
    return out


def camera_for(ref: ImageRef, cameras: Optional[CameraFile] = None,
               fov_deg: Optional[float] = None, lens: str = "pinhole") -> Tuple[Camera, str]:
    """``(camera, source)`` for one image (module docstring for the order); ``cameras`` is the
    ``--camera`` file (:func:`hdnet.camera.read_cameras`), checked against the image's size."""
    if cameras is not None:
        return cameras.camera_for(ref.key, ref.path, image_size=ref.size)
    if ref.size is None:
        frame = " or --video VIDEO (its frames' size; the keys are frame numbers)," if ref.key.isdigit() else ""
        raise ValueError(f"--camera: no camera and no image size for {ref.key!r}; pass --camera, or the image "
                         f"(its size, EXIF or --fov give one),{frame} or --coco-annotations with image sizes")
    w, h = ref.size
    if fov_deg is not None:
        return camera_from_fov(w, h, fov_deg, lens), f"--fov {fov_deg:g}" + (f" --lens {lens}" if lens != "pinhole"
                                                                            else "")
    if ref.path is not None:
        try:
            e = read_exif_focal(ref.path)
            return Camera(e.focal_px, e.focal_px, (e.width - 1) / 2.0, (e.height - 1) / 2.0), f"exif ({e.source})"
        except ValueError:
            pass
    return guess_camera(w, h), f"prior ({FOV_PRIOR_DEG:g} degree field of view)"


def cameras_for(people: Dict[str, np.ndarray], refs: Dict[str, ImageRef], cameras: Optional[CameraFile] = None,
                fov_deg: Optional[float] = None, lens: str = "pinhole") -> Dict[str, Tuple[Camera, str]]:
    """:func:`camera_for` of every image with people, and of every image without people that has
    one (an image where the detector found nobody needs no camera)."""
    out = {}
    for key, found in people.items():
        try:
            out[key] = camera_for(refs[key], cameras, fov_deg, lens)
        except ValueError:
            if len(found):
                raise
    return out


def principal_point_outside(refs: Dict[str, ImageRef], cameras: Dict[str, Tuple[Camera, str]]
                            ) -> List[Tuple[str, Tuple[float, float], Tuple[int, int]]]:
    """``[(image, (cx, cy), (W, H))]``: the images of known size whose camera's principal point
    lies outside them (a calibration of another resolution; a crop that kept its frame's camera)."""
    out = []
    for key, (camera, _) in cameras.items():
        size = refs[key].size
        if size is not None and not (0.0 <= camera.cx <= size[0] and 0.0 <= camera.cy <= size[1]):
            out.append((key, (camera.cx, camera.cy), (int(size[0]), int(size[1]))))
    return out


def too_wide(refs: Dict[str, ImageRef], cameras: Dict[str, Tuple[Camera, str]], max_deg: float = 170.0
             ) -> List[Tuple[str, float]]:
    """``[(image, degrees)]``: the images of known size whose camera (not a fisheye) would see
    ``max_deg`` or more across them, which no lens but a fisheye does: a focal length in
    millimetres read as pixels, say (``--fov`` refuses the same for a pinhole)."""
    out = []
    for key, (camera, _) in cameras.items():
        size = refs[key].size
        if size is None or camera.distortion_model == "fisheye":
            continue
        try:
            wide = max(camera.field_of_view(int(size[0]), int(size[1])))
        except ValueError:  # a lens that cannot be undone at the edges says so where it is used
            continue
        if wide >= max_deg:
            out.append((key, wide))
    return out


def keypoints_outside(people: Dict[str, np.ndarray], refs: Dict[str, ImageRef], margin: float = 0.1) -> List[str]:
    """The images of known size most of whose seen keypoints (``[P, J, 3]``, score > 0) lie
    outside them by more than ``margin`` of their size: keypoints found on another resolution
    of the images (a detector run on the full frames, smaller images given), or the wrong images."""
    out = []
    for key, kp in people.items():
        size = refs[key].size if key in refs else None
        seen = kp[(kp[..., 2] > 0) & np.isfinite(kp[..., :2]).all(-1)][:, :2] if len(kp) else np.zeros((0, 2))
        if size is None or not len(seen):
            continue
        lo, hi = -margin * np.asarray(size, float), (1 + margin) * np.asarray(size, float)
        if ((seen < lo) | (seen > hi)).any(-1).mean() > 0.5:
            out.append(key)
    return out


def body_tilt_deg(keypoints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``[P]`` how far each person's hips-to-shoulders line leans from the image's up (keypoints
    ``[P, J, 3]`` in ``skeleton``'s joints, score > 0): 0 upright, 90 on their side, 180 upside
    down; NaN where a hip or shoulder is not seen or the format has none."""
    names = ("l_hip", "r_hip", "l_shoulder", "r_shoulder")
    if not all(n in skeleton.joints for n in names) or not len(keypoints):
        return np.full(len(keypoints), np.nan)
    hips, shoulders = [skeleton.joints.index(n) for n in names[:2]], [skeleton.joints.index(n) for n in names[2:]]
    axis = keypoints[:, shoulders, :2].mean(1) - keypoints[:, hips, :2].mean(1)  # up the body, in pixels
    tilt = np.degrees(np.arctan2(np.abs(axis[:, 0]), -axis[:, 1]))
    return np.where((keypoints[:, hips + shoulders, 2] > 0).all(1), tilt, np.nan)


def sideways_in_turned_images(people: Dict[str, np.ndarray], refs: Dict[str, ImageRef], skeleton: Skeleton,
                              max_tilt_deg: float = 60.0) -> List[str]:
    """The images stored turned by 90 degrees (EXIF orientation 5-8) whose people mostly lie on
    their side as shown (:func:`body_tilt_deg` over ``max_tilt_deg``), as they do where a tool
    that ignores EXIF (Pillow's ``Image.open`` alone, OpenCV's ``IMREAD_IGNORE_ORIENTATION``)
    found the keypoints on the stored pixels. Formats without both hips and shoulders are not
    checked."""
    out = []
    for key, kp in people.items():
        ref = refs.get(key)
        if ref is None or ref.orientation < 5:
            continue
        tilt = body_tilt_deg(kp, skeleton)
        if np.isfinite(tilt).any() and np.nanmedian(tilt) > max_tilt_deg:
            out.append(key)
    return out


def mostly_not_upright(people: Dict[str, np.ndarray], refs: Dict[str, ImageRef], skeleton: Skeleton,
                       max_tilt_deg: float = 60.0) -> Optional[Tuple[int, int, float]]:
    """Where most people of the images not stored turned lean more than ``max_tilt_deg`` from the
    image's up (:func:`body_tilt_deg`: on their side or upside down), ``(how many lean so, how many
    were seen, their median tilt in degrees)``; else None. Upright people seen that way are
    keypoints with x and y swapped (MoveNet's and easy_ViTPose's own arrays are y, x) or y counted
    from the image's bottom (Apple's Vision), or images turned on their side; a few people lying
    down among upright ones are not."""
    tilt = [body_tilt_deg(kp, skeleton) for key, kp in people.items()
            if refs.get(key) is None or refs[key].orientation < 5]
    seen = np.concatenate(tilt + [np.zeros(0)])
    seen = seen[np.isfinite(seen)]
    if not len(seen) or np.median(seen) <= max_tilt_deg:
        return None
    return int((seen > max_tilt_deg).sum()), len(seen), float(np.median(seen))


def heights_for(people: Dict[str, np.ndarray], tracks: Optional[Dict[str, np.ndarray]], height: Optional[float],
                table: Any) -> Optional[Dict[str, np.ndarray]]:
    """``{image: [P]}`` standing heights (mm; NaN: not known) from ``--height`` (everyone) or a
    ``--heights`` table ``{track_id: mm}`` (the people of the keypoint file with those track
    ids); None when neither is given."""
    if height is None and table is None:
        return None
    if height is not None:
        return {key: np.full(len(kp), float(height)) for key, kp in people.items()}
    if not isinstance(table, dict):
        raise ValueError("--heights: expected a JSON object {track_id: height in mm}")
    if tracks is None:
        raise ValueError("--heights: the keypoints have no track ids to match (COCO results' track_id); use "
                         "--height for everyone")
    wanted: Dict[int, float] = {}
    for key, value in table.items():
        try:
            tid = int(key)
        except ValueError:
            raise ValueError(f"--heights: {key!r} is not a track id (an integer)") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"--heights: track {key}: expected a height in mm, got {value!r}")
        wanted[tid] = float(value)
    seen = {int(t) for v in tracks.values() for t in v}
    unknown = sorted(set(wanted) - seen)
    if unknown:
        raise ValueError(f"--heights: track ids {unknown[:5]} are not in the keypoints (they have {sorted(seen)[:10]})")
    return {key: np.array([wanted.get(int(t), np.nan) for t in tracks[key]]) for key in people}


def check_tracks(tracks: Dict[str, np.ndarray], what: str = "--keypoints") -> None:
    """Refuse a keypoint file whose track ids repeat within one image (``{image: [P]}``; -1 is
    no id): a track is one body, and two people of one image with one id would be smoothed into
    one depth. Some tools write an id for every person whether they tracked or not."""
    from ..scene.people import repeated_track
    keys = [k for k in tracks if len(tracks[k])]
    if not keys:
        return
    image = np.repeat(np.arange(len(keys)), [len(tracks[k]) for k in keys])
    twice = repeated_track(image, np.concatenate([tracks[k] for k in keys]))
    if twice is not None:
        raise ValueError(f"{what}: {twice[2]} people of {keys[twice[0]]!r} have track id {twice[1]}; a track is one "
                         "body, seen at most once per image. Use --tracks linked to link the people from their "
                         "keypoints, or --tracks none")


def link_people(people: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Track ids ``{image: [P]}`` for the people of images in order (a video's frames, image i as
    frame i): :func:`hdnet.scene.link_tracks` on their keypoints ``[P, J, 3]`` (x, y, score;
    score 0 or NaN: missing). Ids count from 0 in order of first appearance; -1: too few
    keypoints to link."""
    from ..scene import link_tracks
    keys = [k for k in people if len(people[k])]
    ids = {k: np.zeros(0, np.int64) for k in people}
    if not keys:
        return ids
    cat = np.concatenate([people[k] for k in keys])
    frame = np.concatenate([np.full(len(people[k]), i) for i, k in enumerate(keys)])
    linked = link_tracks(cat[..., :2], frame, np.nan_to_num(cat[..., 2], nan=0.0))
    ids.update(zip(keys, np.split(linked, np.cumsum([len(people[k]) for k in keys])[:-1]), strict=True))
    return ids


def _lens_group(camera: Camera) -> str:
    """Which cameras can share one batch (:meth:`hdnet.camera.Cameras.from_list`): fisheyes with
    fisheyes, cameras with tangential terms by their model, the rest (``""``) with any but a fisheye."""
    if camera.distortion_model == "fisheye":
        return "fisheye"
    return camera.distortion_model if camera.tangential is not None and any(camera.tangential) else ""


def _predict_images(model, work: List[tuple], cameras: Dict[str, Tuple[Camera, str]], fmt: str,
                    flip_test: bool) -> list:
    """The model's answers for every image of ``work`` (``(key, keypoints [P, J, 3], scores
    [P, J], heights [P] or None)``), one :class:`~hdnet.keypoint.KeypointOutput` per image, from
    one batched call per lens model (each person with their image's camera; images through a
    fisheye and through other lenses in one file make two calls). A bad input is named by its
    image."""
    groups: Dict[str, List[int]] = {}
    for i, w in enumerate(work):
        groups.setdefault(_lens_group(cameras[w[0]][0]), []).append(i)
    others = [g for g in groups if g not in ("", "fisheye")]
    if "" in groups and others:  # lenses without tangential terms join a batch of another model
        groups[others[0]] = sorted(groups[others[0]] + groups.pop(""))
    if len(groups) > 1:
        out: list = [None] * len(work)
        for members in groups.values():
            for i, res in zip(members, _predict_batch(model, [work[i] for i in members], cameras, fmt, flip_test),
                              strict=True):
                out[i] = res
        return out
    return _predict_batch(model, work, cameras, fmt, flip_test)


def _predict_batch(model, work: List[tuple], cameras: Dict[str, Tuple[Camera, str]], fmt: str,
                   flip_test: bool) -> list:
    """:func:`_predict_images` for images whose cameras share one batch."""
    if not work:
        return []
    sizes = [len(w[1]) for w in work]
    heights = (None if all(w[3] is None for w in work) else
               np.concatenate([np.full(n, np.nan) if w[3] is None else np.asarray(w[3], np.float64)
                               for w, n in zip(work, sizes, strict=True)]))
    try:
        res = model.predict(np.concatenate([w[1][..., :2] for w in work]),
                            [cameras[w[0]][0] for w, n in zip(work, sizes, strict=True) for _ in range(n)],
                            confidence=np.concatenate([w[2] for w in work]), format=fmt, flip_test=flip_test,
                            height_mm=heights)
    except ValueError as e:
        for key, kp, conf, height in work:  # name the image, not a position in the batch
            try:
                model.predict(kp[..., :2], cameras[key][0], confidence=conf, format=fmt, height_mm=height)
            except ValueError as mine:
                raise ValueError(f"--keypoints {key!r}: {mine}") from None
        raise e
    ends = np.cumsum(sizes)
    return [type(res)(*(field[end - n:end] for field in res)) for n, end in zip(sizes, ends, strict=True)]


def placeable_people(people: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """``{image: [P] bool}``: which of each image's people ``[P, J, 3]`` (x, y, score) the model
    can place (:func:`hdnet.keypoint.model.placeable`: at least two joints seen)."""
    from ..keypoint.model import placeable
    return {key: placeable(kp[..., :2], kp[..., 2]) if kp.shape[0] else np.zeros(0, bool)
            for key, kp in people.items()}


def predict_records(model, people: Dict[str, np.ndarray], fmt: str, refs: Dict[str, ImageRef],
                    cameras: Dict[str, Tuple[Camera, str]], flip_test: bool = False,
                    scene: str = "none", tracks: Optional[Dict[str, np.ndarray]] = None,
                    heights: Optional[Dict[str, np.ndarray]] = None,
                    floor: Optional[Sequence[float]] = None, track_source: str = "given",
                    frame_rate: float = 30.0, person_scores: Optional[Dict[str, np.ndarray]] = None,
                    keep: Optional[Dict[str, np.ndarray]] = None) -> List[dict]:
    """Run ``model`` on every image's people ``[P, J, 3]`` (x, y, score; NaN or score 0:
    missing) and return one record per person the model can place (people with fewer than two
    joints seen are left out: :func:`placeable_people`): ``image_id``, ``person`` (the index
    among the image's people in ``people``), ``image`` (the file, where known),
    ``root_cam``, ``joints_cam``, ``joints``, ``depth_std_mm``, ``camera``, ``camera_source``,
    ``format``, ``placed_by`` (``model``, ``floor`` or ``track``: see :mod:`hdnet.scene`).
    ``scene``: ``"none"``, ``"image"`` (each image's people share a floor) or ``"sequence"``
    (the images in order, one static camera, share one floor); ``tracks`` (``{image: [P]}``
    person ids across images, e.g. COCO results' ``track_id``, or :func:`link_people`'s) are
    copied into the records as ``track_id`` (with ``track_source``: ``given`` or ``linked``) and,
    in a sequence, keep each person's size and smooth their depth. ``heights``
    (``{image: [P]}`` standing heights in mm, NaN: not known; :func:`heights_for`) place those
    people by their height (:meth:`~hdnet.keypoint.KeypointHDNet.with_heights`); each record
    says ``height_mm`` (null: the model's average body). ``floor``: ``(height_mm, pitch_deg,
    roll_deg)`` of the camera over the ground where it is known (:meth:`hdnet.scene.Floor.from_camera`;
    needs ``scene`` image or sequence): every image's people stand on it, one person alone too.
    ``frame_rate``: a sequence's frames per second (each track smoothed over a second); a
    video's frames (``refs``' ``video`` and ``frame``) are counted by their frame numbers, at the
    video's frame rate, and their records say both. ``person_scores`` (``{image: [P]}``, the
    detector's score of each person, e.g. COCO results' ``score``) are copied into the records as
    ``detector_score``; ``keep`` (``{image: [P] bool}``) leaves out the people it marks False
    (say, those scored under a threshold), as the unplaceable ones are.
    A person the scene moves is scaled with their move (:meth:`hdnet.scene.SceneResult.scaled_pose`),
    so their joints still project onto their keypoints. Millimetres are rounded to 0.001 mm."""
    from ..keypoint.placing import as_floor, place_in_scene
    from ..scene import PLACED_BY, SCENE_MODES, ankle_height_for
    if scene not in SCENE_MODES:
        raise ValueError(f"--scene: expected one of {list(SCENE_MODES)}, got {scene!r}")
    given = None
    if floor is not None:
        if scene == "none":
            raise ValueError("--floor: places people with --scene image or sequence")
        if len(floor) not in (2, 3):
            raise ValueError(f"--floor: expected HEIGHT_MM,PITCH_DEG[,ROLL_DEG], got {len(floor)} numbers")
        try:
            given = as_floor(tuple(floor), model.output_skeleton(fmt))
        except (TypeError, ValueError) as e:
            raise ValueError(f"--floor: {str(e).removeprefix('floor: ')}") from None
    joints = list(model.output_skeleton(fmt).joints)
    ankle = ankle_height_for(model.output_skeleton(fmt)) if scene != "none" else 0.0
    work = []  # (key, keypoints with NaN where missing, scores, heights or None) of the people placed
    kept = []  # their indices among their image's people
    for key, ok in placeable_people(people).items():
        idx = np.nonzero(ok & keep[key] if keep is not None else ok)[0]
        if not len(idx):
            continue
        kp = people[key][idx]
        conf = np.nan_to_num(np.asarray(kp[..., 2], np.float64), nan=0.0)
        kp = np.where((kp[..., 2:] > 0) & np.isfinite(kp[..., :2]).all(-1, keepdims=True), kp, np.nan)
        work.append((key, kp, conf, None if heights is None else heights[key][idx]))
        kept.append(idx)
    results = _predict_images(model, work, cameras, fmt, flip_test)
    records: List[dict] = []
    answers: List[tuple] = []  # (key, keypoints, scores, answer, first record, indices in the image)
    for (key, kp, conf, height), res, idx in zip(work, results, kept, strict=True):
        cam, source = cameras[key]
        answers.append((key, kp, conf, res, len(records), idx))
        for i in range(kp.shape[0]):
            rec = {"image_id": key, "person": int(idx[i]), "root_cam": res.root_mm[i].tolist(),
                   "joints_cam": res.joints_mm[i].tolist(), "joints": joints,
                   "depth_std_mm": float(res.depth_std_mm[i]), "camera": cam.to_dict(), "camera_source": source,
                   "format": fmt, "placed_by": "model",
                   "height_mm": None if height is None or not np.isfinite(height[i]) else float(height[i])}
            if tracks is not None:
                rec["track_id"], rec["track_source"] = int(tracks[key][idx[i]]), track_source
            if person_scores is not None:
                rec["detector_score"] = float(person_scores[key][idx[i]])
            if refs[key].path:
                rec["image"] = refs[key].path
            if refs[key].frame is not None:
                rec["video"], rec["frame"] = refs[key].video, refs[key].frame
            records.append(rec)
    bad = [r["image_id"] for r in records if not all(math.isfinite(v) for v in r["root_cam"])]
    if bad:
        raise ValueError(f"predict: non-finite answers for {bad[:5]} (a corrupt model?)")
    if scene == "none" or not answers:
        return _rounded(records)
    groups = [[a] for a in answers] if scene == "image" else [answers]
    if scene == "sequence":
        used = {cameras[a[0]][0] for a in answers}
        if len(used) > 1:
            raise ValueError("--scene sequence: the images have different cameras; a sequence is one static "
                             "camera (use --scene image, or one --camera for all)")
    for group in groups:
        out = type(group[0][3])(*(torch.cat(field) for field in zip(*[a[3] for a in group], strict=True)))
        # the images in order, or a video's frame numbers (frame_rate is the video's)
        image = np.concatenate([np.full(len(a[1]), i if refs[a[0]].frame is None else refs[a[0]].frame)
                                for i, a in enumerate(group)])
        track = np.concatenate([tracks[a[0]][a[5]] for a in group]) if tracks is not None else None
        known = (np.concatenate([np.isfinite(heights[a[0]][a[5]]) for a in group]) if heights is not None
                 else None)
        out, placed = place_in_scene(model, out, np.concatenate([a[1][..., :2] for a in group]),
                                     cameras[group[0][0]][0], scene, confidence=np.concatenate([a[2] for a in group]),
                                     format=fmt, image=image, track=track, known_size=known, floor=given,
                                     frame_rate=frame_rate)
        rows = [a[4] + i for a in group for i in range(len(a[1]))]
        floors = {i: floor_record(placed.floor_for(i), ankle, placed.given_floor) for i in np.unique(image)}
        for k, r in enumerate(rows):
            records[r]["root_cam"] = out.root_mm[k].tolist()
            records[r]["joints_cam"] = out.joints_mm[k].tolist()
            records[r]["depth_std_mm"] = float(out.depth_std_mm[k])
            records[r]["placed_by"] = PLACED_BY[int(placed.method[k])]
            records[r]["floor"] = floors[image[k]]
    return _rounded(records)


def floor_record(floor, ankle_height_mm: float, given: bool = False) -> Optional[dict]:
    """A record's ``floor``: ``camera_height_mm`` (the camera above the ground), ``pitch_deg``
    (how far it looks down), ``roll_deg`` (what ``--floor H,PITCH,ROLL`` takes back:
    :meth:`hdnet.scene.Floor.as_camera`), ``source`` (``given``: ``--floor``; ``found``: from
    ``people`` standing people); None where no floor was found."""
    if floor is None:
        return None
    height, pitch, roll = floor.as_camera(ankle_height_mm)
    return {"camera_height_mm": round(height, 1), "pitch_deg": round(pitch, 3), "roll_deg": round(roll, 3),
            "source": "given" if given else "found", "people": int(floor.people)}


#: Decimals of the millimetres in the records: 0.001 mm, far below any error of the model.
MM_DECIMALS = 3


def _rounded(records: List[dict]) -> List[dict]:
    """``records`` with their millimetres rounded to :data:`MM_DECIMALS` (a person's file shrinks
    by half and reads as what it means)."""
    for r in records:
        r["root_cam"] = np.round(r["root_cam"], MM_DECIMALS).tolist()
        r["joints_cam"] = np.round(r["joints_cam"], MM_DECIMALS).tolist()
        r["depth_std_mm"] = round(r["depth_std_mm"], MM_DECIMALS)
    return records


def draw_people(image_path, keypoints: np.ndarray, records: List[dict], path,
                keypoint_skeleton: Optional[Skeleton] = None, joint_skeleton: Optional[Skeleton] = None,
                extent_mm=None, camera: Optional[Camera] = None):
    """The image (a file, or an ``H x W x 3`` uint8 RGB array: a video's frame) with each
    person's keypoints (joined by ``keypoint_skeleton``'s bones, where
    given) and depth, beside a bird's-eye view of where everyone stands: each person's 3D
    joints from above (joined by ``joint_skeleton``'s bones), their depth +- its uncertainty
    along their ray, the camera's field of view and a metre grid (written atomically). Returns the
    file written, or with ``path`` None the picture as an RGB array (a video's frame). The view is
    sized for these people unless ``extent_mm [N, 3]`` gives other points (a video's people, so
    that every frame has one scale); ``camera`` stands in where no record says one."""
    from .draw import COLORS, PeoplePicture
    joints = [np.asarray(r["joints_cam"], dtype=np.float64) for r in records]
    points = np.concatenate([np.asarray([r["root_cam"] for r in records], dtype=np.float64).reshape(-1, 3)]
                            + [j.reshape(-1, 3) for j in joints])
    if extent_mm is not None:
        points = np.asarray(extent_mm, dtype=np.float64).reshape(-1, 3)
    if records and "camera" in records[0]:
        camera = Camera.from_dict(records[0]["camera"])
    pic = PeoplePicture(image_path, points, camera)
    dot = max(2, round(pic.h / 300))
    for i, (kp, r) in enumerate(zip(keypoints, records, strict=True)):
        c = COLORS[i % len(COLORS)]
        seen = np.isfinite(kp[:, :2]).all(-1) & (kp[:, 2] > 0)
        for a, b in (keypoint_skeleton.bones if keypoint_skeleton is not None else ()):
            if seen[a] and seen[b]:
                pic.draw.line([tuple(kp[a, :2]), tuple(kp[b, :2])], fill=c, width=pic.line)
        for u, v in kp[seen, :2]:
            pic.draw.ellipse([u - dot, v - dot, u + dot, v + dot], fill=c)
        if seen.any():
            u, v = kp[seen, :2].min(0)
            pic.label(u, v, f"{r['root_cam'][2] / 1000:.2f} m +- {r['depth_std_mm'] / 1000:.2f}", c)
        pic.place(r["root_cam"], c, joints[i], joint_skeleton.bones if joint_skeleton is not None else (),
                  r["depth_std_mm"])
    return pic.finish() if path is None else pic.save(path)


def stem_for(path: str, taken: set) -> str:
    """A file stem for an image's picture, unique among ``taken``."""
    stem = Path(path).stem
    out, k = stem, 1
    while out in taken:
        out, k = f"{stem}_{k}", k + 1
    taken.add(out)
    return out
