"""Detectors' keypoint files: ``{image: [[[x, y(, score)], ...], ...]}``, COCO results
``[{"image_id", "keypoints": [x, y, score, ...]}]`` (what MMPose, YOLO-pose, Detectron2 and
ViTPose write), Ultralytics' ``Results.summary()`` per image (``{image: [{"keypoints": {"x",
"y", "visible"}, "confidence", "track_id"}, ...]}``, or a folder of ``Results.to_json()``
files), MMPose's inferencer output for a video (``[{"frame_id", "instances":
[{"keypoints": [[x, y], ...], "keypoint_scores": [...]}, ...]}, ...]``), OpenPose's JSON by
image (AlphaPose's ``--format open`` and ``--format cmu``), COCO keypoint annotation files
(``{"images", "annotations", "categories"}``: COCO's own, CVAT's, Label Studio's and Roboflow's
exports, PoseTrack's with its ``track_id``) and folders with a file per image
(OpenPose's ``--write_json``, MMPose's ``pred_out_dir``, OpenPifPaf's ``--json-output``,
Ultralytics YOLO-pose's ``save_txt`` labels, easy_ViTPose's ``--save-json``:
:func:`read_keypoint_folder`) and easy_ViTPose's ``--save-json`` file of an image or a video
(``{"keypoints": [{person id: [[y, x, score], ...]}, ...], "skeleton": {index: name}}``: its
points are turned to ``x, y``).

>>> people, layout = parse_keypoints({"a.jpg": [[[10.0, 20.0, 0.9], [30.0, 40.0, 0.8]]]})
>>> layout, people["a.jpg"].shape
('by-image', (1, 2, 3))
"""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..core.files import folder_entries, natural_key, read_json, read_text

__all__ = ["parse_keypoints", "parse_track_ids", "parse_person_scores", "parse_keypoint_file", "read_keypoint_folder",
           "read_keypoint_folders", "folder_layout", "is_coco_annotations", "annotation_keypoint_names",
           "coco_image_table", "check_keypoint_scores", "ClippedScores", "easy_vitpose_names",
           "easy_vitpose_folder_names", "OPENPOSE_SUFFIX", "PIFPAF_SUFFIX", "EASY_VITPOSE_SUFFIX"]

#: How OpenPose names what ``--write_json DIR`` writes: one file per image or video frame,
#: ``<image name without its extension>_keypoints.json``.
OPENPOSE_SUFFIX = "_keypoints.json"

#: How OpenPifPaf names what ``--json-output DIR`` writes: ``<image file name>.predictions.json``.
PIFPAF_SUFFIX = ".predictions.json"

#: How easy_ViTPose names what ``inference.py --save-json`` writes: ``<input name without its
#: extension>_result.json``.
EASY_VITPOSE_SUFFIX = "_result.json"

#: The largest track id read (2^53: a whole number that JSON's doubles and float64 hold exactly).
MAX_TRACK_ID = 2 ** 53

#: The joint counts of the keypoint formats a label line may hold where the caller names none
#: (COCO-17, BODY_25, Halpe-26, BlazePose-33).
LABEL_JOINT_COUNTS = (17, 25, 26, 33)

#: ``(width, height)`` of the image a key names, or None where it is not known.
ImageSize = Callable[[str], Optional[Tuple[int, int]]]

#: What a folder reader gives: ``({image: [P, J, 3] (x, y, score)}, track ids or None, person
#: scores or None)``.
FolderPeople = Tuple[Dict[str, np.ndarray], Optional[Dict[str, np.ndarray]], Optional[Dict[str, np.ndarray]]]


def _is_ultralytics(detections: Any) -> bool:
    """Whether ``detections`` is one image's Ultralytics ``Results.summary()``: a list of dicts
    whose ``keypoints`` is ``{"x": [...], "y": [...](, "visible": [...])}``."""
    return (isinstance(detections, list) and bool(detections)
            and all(isinstance(d, dict) and isinstance(d.get("keypoints"), dict) for d in detections))


def _ultralytics_results(detections: Any, image_id: str, where: str) -> List[dict]:
    """One image's Ultralytics detections (``Results.summary()``, ``Results.to_json()``) as COCO
    results of ``image_id``: keypoints in pixels with ``visible`` as the score (1 where a model
    gives none), ``confidence`` as the person's ``score``, ``track_id`` kept."""
    if not isinstance(detections, list):
        raise ValueError(f"{where}: expected a list of Ultralytics detections")
    out = []
    for k, det in enumerate(detections):
        kp = det.get("keypoints") if isinstance(det, dict) else None
        try:
            x, y = (np.asarray(kp[c], dtype=np.float64) for c in ("x", "y"))  # type: ignore[index]
            v = np.asarray(kp.get("visible", np.ones_like(x)), dtype=np.float64)  # type: ignore[union-attr]
        except (TypeError, ValueError, KeyError, AttributeError):
            x = y = v = np.zeros(0)
        if x.ndim != 1 or not x.size or x.shape != y.shape or v.shape != x.shape:
            raise ValueError(f"{where}: detection {k} needs keypoints {{\"x\": [...], \"y\": [...], \"visible\": "
                             "[...]}} of one length (Ultralytics' Results.summary())")
        rec: dict = {"image_id": image_id, "keypoints": np.stack([x, y, v], 1).reshape(-1).tolist()}
        for src, dst in (("confidence", "score"), ("track_id", "track_id")):
            if src in det:
                rec[dst] = det[src]
        out.append(rec)
    return out


def _is_easy_vitpose(data: Any) -> bool:
    """Whether ``data`` is what easy_ViTPose's ``--save-json`` writes, by its two keys:
    ``{"keypoints": [frame, ...], "skeleton": {index: joint name}}``, each frame ``{person id:
    [[y, x, score], ...]}`` (its structure is checked where it is read)."""
    return isinstance(data, dict) and set(data) == {"keypoints", "skeleton"}


def easy_vitpose_names(data: Any) -> Optional[List[str]]:
    """The joint names of an easy_ViTPose file's ``skeleton`` (``{index: name}``) in index order,
    None where ``data`` is no such file or its indices are not 0 to J - 1."""
    if not _is_easy_vitpose(data) or not isinstance(data["skeleton"], dict):
        return None
    named = data["skeleton"]
    if sorted(named) != sorted(str(k) for k in range(len(named))) or not all(isinstance(v, str)
                                                                                for v in named.values()):
        return None
    return [named[str(k)] for k in range(len(named))]


def _easy_vitpose_results(data: dict, what: str, key: Optional[str] = None) -> List[dict]:
    """An easy_ViTPose file's people as COCO results, each point turned from ``y, x, score`` to
    ``x, y, score``; the image ids are the frames' numbers from 0 (``key`` for a file of one
    image). The person ids are the tracks where they are its tracker's (SORT's, counted from 1 on
    a video): not where every frame's are 0, 1, ... in order, its count of the people found."""
    frames, named = data["keypoints"], data["skeleton"]
    if not isinstance(frames, list) or not all(isinstance(f, dict) for f in frames) or not isinstance(named, dict):
        raise ValueError(f"{what}: easy_ViTPose's file needs 'keypoints': [{{person id: [[y, x, score], ...]}}, ...] "
                         "(a frame each) and 'skeleton': {index: joint name}")
    ids = [list(frame) for frame in frames]
    tracked = any(i != [str(k) for k in range(len(i))] for i in ids) and all(
        k.isdigit() and int(k) <= MAX_TRACK_ID for i in ids for k in i)
    out = []
    for f, frame in enumerate(frames):
        for pid, points in frame.items():
            try:
                yxs = np.asarray(points, dtype=np.float64)
            except (TypeError, ValueError):
                yxs = np.zeros(0)
            if yxs.ndim != 2 or yxs.shape[1] != 3 or not len(yxs):
                raise ValueError(f"{what}: frame {f} person {pid!r}: expected [[y, x, score], ...] (easy_ViTPose)")
            rec: dict = {"image_id": key if key is not None else str(f),
                         "keypoints": yxs[:, [1, 0, 2]].reshape(-1).tolist()}
            if tracked:
                rec["track_id"] = int(pid)
            out.append(rec)
    return out


def _check_pixels(results: List[dict], what: str) -> None:
    """Refuse Ultralytics detections written as fractions of the image (``normalize=True``)."""
    xy = [np.asarray(r["keypoints"], dtype=float).reshape(-1, 3) for r in results]
    seen = np.concatenate([p[p[:, 2] > 0, :2].reshape(-1) for p in xy]) if xy else np.zeros(0)
    if seen.size >= 4 and np.isfinite(seen).all() and seen.min() >= 0.0 and seen.max() <= 1.0:
        raise ValueError(f"{what}: every keypoint lies within [0, 1]: fractions of the image "
                         "(Results.summary(normalize=True)); write them in pixels (normalize=False, the default)")


def _complete_tracks(results: List[dict]) -> List[dict]:
    """Ultralytics' tracker leaves ``track_id`` out of a frame where it has none: the ids are
    kept where every person has one (as OpenPose's ``person_id``), else dropped from all."""
    if all("track_id" in r for r in results):
        return results
    return [{k: v for k, v in r.items() if k != "track_id"} for r in results]


def coco_image_table(data: Any, what: str = "--coco-annotations") -> Dict[str, dict]:
    """``{str(id): {"file_name", "width", "height"}}`` from a COCO annotation file's ``images``."""
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise ValueError(f"{what}: expected a COCO annotation file (an object with an 'images' list)")
    table = {}
    for k, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im or not isinstance(im.get("file_name"), str):
            raise ValueError(f"{what}: images[{k}] needs an id and a file_name")
        w, h = im.get("width"), im.get("height")
        ok = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (w, h))
        table[str(im["id"])] = {"file_name": im["file_name"], "width": w if ok else None, "height": h if ok else None}
    return table


def is_coco_annotations(data: Any) -> bool:
    """Whether a loaded JSON file is a COCO annotation file (a dataset's ``images`` and
    ``annotations``), not a detector's results."""
    return isinstance(data, dict) and isinstance(data.get("images"), list) and isinstance(data.get("annotations"), list)


def annotation_keypoint_names(data: Any, what: str = "--keypoints") -> Optional[List[str]]:
    """The keypoint names a COCO annotation file's person category gives (``categories[k]
    ["keypoints"]``), None where it gives none; several categories with keypoints must agree."""
    if not is_coco_annotations(data) or not isinstance(data.get("categories"), list):
        return None
    named = [c["keypoints"] for c in data["categories"] if isinstance(c, dict) and isinstance(c.get("keypoints"), list)
             and c["keypoints"] and all(isinstance(n, str) for n in c["keypoints"])]
    if not named:
        return None
    if any(n != named[0] for n in named):
        raise ValueError(f"{what}: the file's categories name different keypoints; hdnet reads one person "
                         "category")
    return list(named[0])


def _annotation_results(data: dict, what: str) -> List[dict]:
    """A COCO annotation file's people as COCO results: each annotation with a keypoint labelled
    (visibility ``v`` 1, occluded, or 2, visible: a position, score 1; 0: not labelled, score 0),
    ``track_id`` kept (PoseTrack); crowd regions and people without a labelled keypoint left out,
    as COCO's keypoint evaluation leaves them."""
    ids = set()
    for k, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im:
            raise ValueError(f"{what}: images[{k}] needs an id")
        ids.add(str(im["id"]))
    out = []
    for k, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict) or "image_id" not in ann:
            raise ValueError(f"{what}: annotations[{k}] needs an image_id")
        if "keypoints" not in ann or ann.get("iscrowd"):
            continue
        try:
            kp = np.asarray(ann["keypoints"], dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{what}: annotations[{k}]: keypoints must be [x, y, v, ...] numbers") from None
        if kp.ndim != 1 or kp.size % 3 or kp.size == 0:
            raise ValueError(f"{what}: annotations[{k}]: keypoints must be a flat list [x, y, v, ...] of 3 J numbers, "
                             f"got {kp.size}")
        v = kp[2::3]
        if not ((v == 0) | (v == 1) | (v == 2)).all():
            raise ValueError(f"{what}: annotations[{k}]: each keypoint's visibility must be 0 (not labelled), "
                             f"1 (occluded) or 2 (visible), got {sorted(set(v.tolist()) - {0.0, 1.0, 2.0})[:3]}")
        if str(ann["image_id"]) not in ids:
            raise ValueError(f"{what}: annotations[{k}]: image_id {ann['image_id']!r} is not in the file's images")
        if not (v > 0).any():
            continue
        kp[2::3] = (v > 0).astype(np.float64)
        rec = {"image_id": str(ann["image_id"]), "keypoints": kp.tolist()}
        if "track_id" in ann:
            rec["track_id"] = ann["track_id"]
        out.append(rec)
    return out


def _as_results(data: Any, what: str) -> Any:
    """``data`` with an Ultralytics ``{image: Results.summary()}`` or a COCO annotation file
    turned into COCO results (other layouts unchanged); images without people are left out."""
    if is_coco_annotations(data):
        return _annotation_results(data, what)
    if _is_easy_vitpose(data):
        return _easy_vitpose_results(data, what)
    if _is_mmpose_video(_instance_info(data)):
        return [r for rs in _mmpose_video_frames(_instance_info(data), what).values() for r in rs]
    if not (isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values())
            and any(_is_ultralytics(v) for v in data.values())):
        return data
    out = [r for key, dets in data.items() for r in _ultralytics_results(dets, str(key), f"{what} {key!r}")]
    _check_pixels(out, what)
    return _complete_tracks(out)


def parse_track_ids(data: Any, what: str = "--keypoints") -> Optional[Dict[str, np.ndarray]]:
    """``{image id: [P] int64}``: the ``track_id`` of every COCO result (PoseTrack's field; a
    tracker's person id, the same person across images), in the order :func:`parse_keypoints`
    gives the people; ``None`` where the file has none (or is not COCO results). Without
    ``track_id``, AlphaPose's ``idx`` where its tracker gave one (:func:`_alphapose_track_ids`).

    Raises:
        ValueError: naming ``what`` and the entry: some results with a ``track_id`` and some
            without, or one that is not a whole number >= 0.
    """
    data = _as_results(data, what)
    if not isinstance(data, list):
        return None
    if not any(isinstance(r, dict) and "track_id" in r for r in data):
        return _alphapose_track_ids(data)
    out: Dict[str, list] = {}
    for k, rec in enumerate(data):
        t = rec.get("track_id") if isinstance(rec, dict) else None
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= MAX_TRACK_ID:
            raise ValueError(f"{what}: entry {k}: track_id must be a whole number from 0 to 2^53 on every result "
                             f"when any has one, got {t!r}")
        out.setdefault(str(rec["image_id"]), []).append(t)
    return {key: np.asarray(v, dtype=np.int64) for key, v in out.items()}


def _finite(value: Any) -> Optional[float]:
    """``value`` as a finite float, or None where it is no number (a bool, text, NaN, infinity,
    an integer past float's range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _alphapose_id(value: Any) -> Optional[int]:
    """One AlphaPose ``idx``: a number or (nested) lists of them, of which AlphaPose draws the
    smallest; None where it is not a whole number >= 0."""
    while isinstance(value, list) and value:
        flat = [v for v in value if not isinstance(v, list)] + [w for v in value if isinstance(v, list) for w in v]
        value = min(flat, key=lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.inf)
    f = _finite(value)
    return int(f) if f is not None and 0 <= f <= MAX_TRACK_ID and f == int(f) else None


def _alphapose_track_ids(data: List[Any]) -> Optional[Dict[str, np.ndarray]]:
    """AlphaPose's results (``alphapose-results.json``: COCO results with its ``idx`` on every
    person) as track ids, where its tracker ran (``--pose_track``, ``--pose_flow``); None where
    it did not: AlphaPose then writes 0 for every person, while its trackers count from 1."""
    if not data or not all(isinstance(r, dict) and "idx" in r for r in data):
        return None
    ids = [_alphapose_id(r["idx"]) for r in data]
    if any(i is None for i in ids) or not any(ids):
        return None
    out: Dict[str, list] = {}
    for rec, i in zip(data, ids, strict=True):
        out.setdefault(str(rec["image_id"]), []).append(i)
    return {key: np.asarray(v, dtype=np.int64) for key, v in out.items()}


def parse_person_scores(data: Any, what: str = "--keypoints") -> Optional[Dict[str, np.ndarray]]:
    """``{image id: [P] float64}``: the detector's ``score`` of every COCO result (how sure it is
    of the whole person), in the order :func:`parse_keypoints` gives the people; ``None`` where
    the file has none (or is not COCO results).

    Raises:
        ValueError: naming ``what`` and the entry: some results with a score and some without, or
            one that is not a finite number.
    """
    data = _as_results(data, what)
    if not isinstance(data, list) or not any(isinstance(r, dict) and "score" in r for r in data):
        return None
    out: Dict[str, list] = {}
    for k, rec in enumerate(data):
        v = rec.get("score") if isinstance(rec, dict) else None
        score = _finite(v)
        if score is None:
            raise ValueError(f"{what}: entry {k}: score must be a finite number on every result when any has one, "
                             f"got {v!r}")
        out.setdefault(str(rec["image_id"]), []).append(score)
    return {key: np.asarray(v, dtype=np.float64) for key, v in out.items()}


def parse_keypoints(data: Any, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray], str]:
    """``({image id: [P, J, 3] float64 (x, y, score)}, layout)`` from a loaded keypoint file;
    ``layout`` is ``"coco-results"``, ``"by-image"``, ``"ultralytics-json"`` (``{image:
    Results.summary()}``, in pixels; its ``confidence`` and ``track_id`` are what
    :func:`parse_person_scores` and :func:`parse_track_ids` read), ``"mmpose-video"`` (MMPose's
    inferencer on a video: each frame keyed by its ``frame_id``, frames without people kept; its
    ``bbox_score`` is each person's score) or
    ``"openpose-by-image"`` (``{image: OpenPose's JSON}``, AlphaPose's ``--format open`` and
    ``--format cmu``), ``"coco-annotations"`` (a COCO keypoint annotation file, keyed by its
    image ids; every image of its ``images``, those without people too) or ``"easy-vitpose"``
    (easy_ViTPose's file, keyed by frame numbers from 0, frames without people kept; its person
    ids are the tracks where its tracker gave them). People without
    a score get 1 (where their point is given: one of ``NaN`` or ``null`` is missing); a joint with
    score 0, ``NaN`` or ``null`` is missing and its coordinates may be anything (``NaN`` and
    ``null`` included); an image's people may be ``[]`` (nobody found). The scores come as the
    file gives them: whether they lie in [0, 1] is :func:`check_keypoint_scores`'s to say.

    Raises:
        ValueError: naming ``what`` and the entry: a malformed entry, people of one image with
            different joint counts, infinite scores, NaN or infinite coordinates of a joint with a
            score above 0.
    """
    return _parse_keypoints(data, _as_results(data, what), what)


def parse_keypoint_file(data: Any, what: str = "--keypoints") -> Tuple[Dict[str, np.ndarray], str,
                                                                       Optional[Dict[str, np.ndarray]],
                                                                       Optional[Dict[str, np.ndarray]]]:
    """``(people, layout, track ids, person scores)`` of a loaded keypoint file:
    :func:`parse_keypoints`, :func:`parse_track_ids` and :func:`parse_person_scores` at once, a
    layout that is turned into COCO results (an annotation file, Ultralytics' summaries) turned
    once."""
    converted = _as_results(data, what)
    people, layout = _parse_keypoints(data, converted, what)
    return people, layout, parse_track_ids(converted, what), parse_person_scores(converted, what)


def _parse_keypoints(data: Any, converted: Any, what: str) -> Tuple[Dict[str, np.ndarray], str]:
    """:func:`parse_keypoints` of ``data``, given it as COCO results (``converted``, ``data``
    itself for layouts that are not turned into them)."""
    out: Dict[str, list] = {}
    if converted is not data:  # each image's people, those without people too
        found, _ = parse_keypoints(converted, what) if converted else ({}, "")
        j = next((v.shape[1] for v in found.values()), 17)
        if is_coco_annotations(data):
            return {str(im["id"]): found.get(str(im["id"]), np.zeros((0, j, 3))) for im in data["images"]}, \
                "coco-annotations"
        if _is_easy_vitpose(data):  # every frame, those without people too
            j = next((v.shape[1] for v in found.values()), len(data["skeleton"]))
            return {str(f): found.get(str(f), np.zeros((0, j, 3))) for f in range(len(data["keypoints"]))}, \
                "easy-vitpose"
        if _is_mmpose_video(_instance_info(data)):  # its frames' ids, checked when they were turned
            return {str(f["frame_id"]): found.get(str(f["frame_id"]), np.zeros((0, j, 3)))
                    for f in _instance_info(data)}, "mmpose-video"
        return {str(k): found.get(str(k), np.zeros((0, j, 3))) for k in data}, "ultralytics-json"
    data = _instance_info(data)
    if isinstance(data, list) and data and all(isinstance(r, dict) and "keypoint_scores" in r and "image_id" not in r
                                               for r in data):
        raise ValueError(f"{what}: one image's MMPose (or Sapiens) instances, which do not say the image; give the "
                         "folder of such files, each named after its image (--keypoints DIR)")
    if isinstance(data, dict) and data and all(_is_openpose_frame(v) for v in data.values()):
        frames = {str(key): _openpose_frame(v, str(key), f"{what} {key!r}")[0] for key, v in data.items()}
        return _parse_per_image(frames, what, 18), "openpose-by-image"
    if isinstance(data, list):
        layout = "coco-results"
        for k, rec in enumerate(data):
            if not isinstance(rec, dict) or "image_id" not in rec or "keypoints" not in rec:
                raise ValueError(f"{what}: entry {k} must be an object with image_id and keypoints")
            if isinstance(rec["image_id"], (list, dict, bool)) or rec["image_id"] is None:
                raise ValueError(f"{what}: entry {k}: image_id must be a number or a string, got {rec['image_id']!r}")
            try:
                kp = np.asarray(rec["keypoints"], dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{what}: entry {k}: keypoints must be [x, y, score, ...] numbers") from None
            if kp.ndim != 1 or kp.size % 3 or kp.size == 0:
                raise ValueError(f"{what}: entry {k}: keypoints must be a flat list [x, y, score, ...] of 3 J "
                                 f"numbers, got {kp.size}")
            out.setdefault(str(rec["image_id"]), []).append(kp.reshape(-1, 3))
    elif isinstance(data, dict):
        layout = "by-image"
        for name, people in data.items():
            try:
                arr = np.asarray(people, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"{what}: the people of {name!r} must be [[[x, y(, score)], ...], ...] "
                                 "with one joint count") from None
            if arr.size == 0 and arr.ndim <= 3:  # [], [[]]: nobody in this image
                out[str(name)] = []
                continue
            if arr.ndim != 3 or arr.shape[-1] not in (2, 3):
                raise ValueError(f"{what}: the people of {name!r} must have shape [P, J, 2 or 3], got {arr.shape}")
            if arr.shape[-1] == 2:  # no scores: a point given is seen, one of NaN or null is not
                arr = np.concatenate([arr, np.isfinite(arr).all(-1, keepdims=True).astype(np.float64)], -1)
            out[str(name)] = list(arr)
    else:
        raise ValueError(f"{what}: expected a JSON object {{image: people}} or a list of COCO results")
    for name, people in out.items():
        if not people:
            continue
        if len({len(p) for p in people}) > 1:
            raise ValueError(f"{what}: the people of {name!r} have different joint counts")
        arr = np.asarray(people, dtype=np.float64).reshape(len(people), -1, 3)
        arr[..., 2][np.isnan(arr[..., 2])] = 0.0  # a score of NaN (or null): not found, as in KeypointHDNet.predict
        scores = arr[..., 2]
        if not np.isfinite(scores).all():
            raise ValueError(f"{what}: the scores of {name!r} must be finite numbers (NaN or null: a missing joint)")
        if not np.isfinite(arr[..., :2][scores > 0]).all():
            raise ValueError(f"{what}: the keypoints of {name!r} hold NaN, null or inf where the score is above 0 "
                             "(a missing joint has score 0)")
        out[name] = list(arr)
    counts = {len(v[0]) for v in out.values() if v}
    j = counts.pop() if len(counts) == 1 else 0  # an image with nobody: the others' joint count
    return {k: np.stack(v) if v else np.zeros((0, j, 3)) for k, v in out.items()}, layout


class ClippedScores(NamedTuple):
    """What :func:`check_keypoint_scores` read into [0, 1]: how many joints' scores lay above 1
    (read as 1) and below 0 (read as 0: missing), and the lowest and highest score given."""

    above: int
    below: int
    lowest: float
    highest: float


def check_keypoint_scores(people: Dict[str, np.ndarray], what: str = "--keypoints", *, clip: bool = False,
                          option: str = "clip=True") -> Tuple[Dict[str, np.ndarray], Optional[ClippedScores]]:
    """Every joint's score in ``people`` (``{image: [P, J, 3]}``, as the readers above give them)
    within [0, 1], or with ``clip`` each score outside read as the nearer of 0 and 1.

    Scores are not probabilities everywhere: RTMPose's and the other SimCC detectors' (MMPose's
    RTMPose, RTMW, DWPose) run a little past 1 where they are sure of a point, Detectron2's
    (Keypoint R-CNN's heatmap scores, normalised but without a maximum: 1-5 and more where it is sure,
    its own drawing threshold 0.05) further, and heatmap maxima may fall below 0 where there is
    none. Read as the nearer of 0 and 1, such a score
    above 1 is a point seen and one below 0 a point missing. That is a choice the caller makes
    (``clip``): a file whose third number is not a score (a depth, say) must not pass unread.

    Returns:
        ``(people, clipped)``: the people (clipped where ``clip``) and, where any score lay
        outside [0, 1] and ``clip`` read it, a :class:`ClippedScores`; else None.

    Raises:
        ValueError: naming ``what``, the first image with a score outside [0, 1], the range of
            the file's scores and ``option`` (what turns ``clip`` on), unless ``clip``.
    """
    seen = [v[..., 2] for v in people.values() if v.size]
    if not seen:
        return people, None
    flat = np.concatenate([s.reshape(-1) for s in seen])
    lowest, highest = float(flat.min()), float(flat.max())
    if lowest >= 0.0 and highest <= 1.0:
        return people, None
    if not clip:
        name = next(k for k, v in people.items() if v.size and ((v[..., 2] < 0) | (v[..., 2] > 1)).any())
        raise ValueError(f"{what}: keypoint scores must lie in [0, 1]; {name!r} has some outside, and the file's run "
                         f"from {lowest:.4g} to {highest:.4g} (RTMPose's and Detectron2's scores run past 1, and COCO's "
                         f"visibility flags are 0, 1 and 2: {option} reads each as the nearer of 0 and 1, 0 being a "
                         "missing joint)")
    clipped = ClippedScores(int((flat > 1).sum()), int((flat < 0).sum()), lowest, highest)
    out = {}
    for key, v in people.items():
        v = v.copy()
        v[..., 2] = np.clip(v[..., 2], 0.0, 1.0)
        out[key] = v
    return out, clipped


def _instance_info(data: Any) -> Any:
    """What MMPose's demos (``--save-predictions``) and Sapiens' ``vis_pose.py`` write, ``{"meta_info":
    ..., "instance_info": ...}``, as the instances (an image's) or frames (a video's) it holds;
    anything else as it is."""
    if isinstance(data, dict) and isinstance(data.get("instance_info"), list) and set(data) <= {"meta_info",
                                                                                              "instance_info"}:
        return data["instance_info"]
    return data


def _mmpose_results(instances: Any, image_id: str, where: str) -> List[dict]:
    """MMPose's instances of one image (``[{"keypoints": [[x, y], ...], "keypoint_scores": [...],
    "bbox_score"}, ...]``, what its inferencer writes) as COCO results of ``image_id``, the person
    detector's ``bbox_score`` (a number, or a list of one) as each one's ``score``."""
    if not isinstance(instances, list):
        raise ValueError(f"{where}: expected a list of MMPose instances")
    out = []
    for k, inst in enumerate(instances):
        kp = inst.get("keypoints") if isinstance(inst, dict) else None
        scores = inst.get("keypoint_scores") if isinstance(inst, dict) else None
        try:
            xy = np.asarray(kp, dtype=float)
            sc = np.asarray(scores, dtype=float)
        except (TypeError, ValueError):
            xy, sc = np.zeros(0), np.zeros(0)
        if xy.ndim != 2 or xy.shape[-1] != 2 or sc.shape != xy.shape[:1]:
            raise ValueError(f"{where}: instance {k} needs keypoints [[x, y], ...] and one keypoint_score per joint")
        rec = {"image_id": image_id, "keypoints": np.concatenate([xy, sc[:, None]], 1).reshape(-1).tolist()}
        box_score = inst.get("bbox_score")
        if isinstance(box_score, list) and len(box_score) == 1:
            box_score = box_score[0]
        if box_score is not None:
            rec["score"] = box_score  # parse_person_scores checks it
        out.append(rec)
    return out


def _is_mmpose_video(data: Any) -> bool:
    """Whether ``data`` (unwrapped by :func:`_instance_info`) is MMPose's inferencer output for a
    video: ``[{"frame_id", "instances": [...]}, ...]``."""
    return isinstance(data, list) and bool(data) and all(isinstance(r, dict) and "instances" in r for r in data)


def _mmpose_video_frames(data: List[dict], what: str) -> Dict[str, List[dict]]:
    """MMPose's frames of a video as COCO results by frame (``str(frame_id)``), in the file's
    order, frames without people kept (an empty list)."""
    results: Dict[str, List[dict]] = {}
    for k, frame in enumerate(data):
        fid = frame.get("frame_id")
        if isinstance(fid, bool) or not isinstance(fid, int):
            raise ValueError(f"{what}: frame {k} needs a whole-number frame_id, got {fid!r}")
        if str(fid) in results:
            raise ValueError(f"{what}: frame_id {fid} appears twice")
        results[str(fid)] = _mmpose_results(frame["instances"], str(fid), f"{what} frame {fid}")
    return results


def _is_openpose_frame(data: Any) -> bool:
    """Whether ``data`` is one image's OpenPose JSON (``{"people": [...]}``) or its CMU form
    (``{"bodies": [{"joints": [...]}]}``; AlphaPose's ``--format cmu``)."""
    return isinstance(data, dict) and (isinstance(data.get("people"), list) or isinstance(data.get("bodies"), list))


def _openpose_frame(data: dict, key: str, where: str) -> Tuple[List[dict], List[int]]:
    """One image's OpenPose JSON (``people``: ``pose_keypoints_2d`` and ``person_id``, as
    OpenPose and AlphaPose's ``--format open`` write it; or ``bodies``: ``joints``, AlphaPose's
    ``--format cmu``) as COCO results of ``key``, and each person's id (-1 where none)."""
    field, people = ("pose_keypoints_2d", data["people"]) if "people" in data else ("joints", data["bodies"])
    results, ids = [], []
    for k, person in enumerate(people):
        flat = person.get(field) if isinstance(person, dict) else None
        if not isinstance(flat, list):
            raise ValueError(f"{where}: person {k} has no {field} list")
        results.append({"image_id": key, "keypoints": flat})
        pid = person.get("person_id", [-1])
        pid = pid[0] if isinstance(pid, list) and pid else pid
        ids.append(pid if isinstance(pid, int) and not isinstance(pid, bool) and pid <= MAX_TRACK_ID else -1)
    return results, ids


def _parse_per_image(results: Dict[str, List[dict]], what: str, joints: int) -> Dict[str, np.ndarray]:
    """``{image: [P, J, 3]}`` from each image's COCO results, images without people kept (empty)."""
    people, _ = parse_keypoints([r for rs in results.values() for r in rs], what)
    counts = {v.shape[1] for v in people.values()}
    if len(counts) > 1:
        raise ValueError(f"{what}: images with {sorted(counts)} joints; one file holds one format")
    j = counts.pop() if counts else joints
    return {k: people.get(k, np.zeros((0, j, 3))) for k in results}


def folder_layout(folder) -> str:
    """Which detector's folder ``folder`` is, by its files: ``"openpose"``, ``"openpifpaf"``,
    ``"easy_vitpose"`` (every JSON file ``*_result.json``), ``"mmpose"`` (other JSON files),
    ``"ultralytics"`` (``.txt`` labels, no JSON) or ``""`` (no keypoint files: a folder of such
    folders, or none)."""
    names = folder_entries(folder)
    if any(f.endswith(OPENPOSE_SUFFIX) for f in names):
        return "openpose"
    if any(f.endswith(PIFPAF_SUFFIX) for f in names):
        return "openpifpaf"
    json_files = [f for f in names if f.endswith(".json")]
    if json_files and all(f.endswith(EASY_VITPOSE_SUFFIX) for f in json_files):
        return "easy_vitpose"
    if json_files:
        return "mmpose"
    return "ultralytics" if any(f.endswith(".txt") for f in names) else ""


def read_keypoint_folder(folder, what: str = "--keypoints", *, joints: Sequence[int] = LABEL_JOINT_COUNTS,
                         image_size: Optional[ImageSize] = None) -> FolderPeople:
    """A detector's output folder with one file per image or video frame, as ``({image: [P, J, 3]
    float64 (x, y px, score)}, track ids or None, person scores or None)``, the images in frame
    order (names by :func:`~hdnet.core.files.natural_key`), each keyed by its file's name without
    the suffix (the image's name without its extension):

    - OpenPose's ``--write_json`` folder, ``<image>_keypoints.json`` (``{"people":
      [{"pose_keypoints_2d": [x, y, c, ...], "person_id": [id]}, ...]}``: BODY_25, a joint it did
      not find is ``0, 0, 0``); the tracks are ``person_id`` where every person has one >= 0
      (OpenPose's tracking);
    - AlphaPose's ``--format open`` ``sep-json`` folder, ``<image>.json`` (OpenPose's JSON, 18
      points: OpenPose's COCO model order);
    - MMPose's inferencer ``pred_out_dir`` for images, ``<image>.json`` (a list of instances
      ``{"keypoints": [[x, y], ...], "keypoint_scores": [...], "bbox_score"}``): the scores are
      its person detector's ``bbox_score``; no tracks;
    - Ultralytics' ``Results.to_json()`` of each image, ``<image>.json`` (a list of detections
      ``{"keypoints": {"x", "y", "visible"}, "confidence", "track_id"}`` in pixels): the scores
      are the ``confidence``, the tracks the ``track_id`` (``model.track``) where every person has one
      (a frame the tracker gave no ids leaves them all out: link the people, ``--tracks linked``);
    - OpenPifPaf's ``--json-output`` folder, ``<image file name>.predictions.json`` (a list of
      ``{"keypoints": [x, y, c, ...], "bbox", "score"}``), keyed by the image's file name; the
      scores are its ``score``;
    - easy_ViTPose's ``--save-json`` of each image, ``<image>_result.json`` (one frame of
      ``{person id: [[y, x, score], ...]}``, turned to ``x, y``); no tracks;
    - Ultralytics YOLO-pose's labels (``yolo pose predict save_txt=True``, ``Results.save_txt``),
      ``<image>.txt``: a line per person, ``class cx cy w h`` and then ``x y score`` per joint (or
      ``x y``, a joint at ``0 0`` missing), all divided by the image's width and height, then the
      person's score (``save_conf=True``) and the tracker's id (``yolo pose track``) where written.
      The joint count is the one of ``joints`` the line length fits; ``image_size(key)`` gives each
      image's ``(width, height)`` to turn the coordinates into pixels (required).

    Raises:
        ValueError: naming ``what`` and the file: no such files, a file of none of these kinds, a
            person without keypoints, infinite scores (in Ultralytics' labels, any outside [0, 1]:
            elsewhere their range is :func:`check_keypoint_scores`'s), a label line whose length fits no or
            several joint counts, a label file without its image's size, and the like (as
            :func:`parse_keypoints`).
    """
    layout = folder_layout(folder)
    if layout == "ultralytics":
        return _read_ultralytics_labels(folder, sorted((f for f in folder_entries(folder) if f.endswith(".txt")),
                                                       key=natural_key), what, joints, image_size)
    files = sorted((f for f in folder_entries(folder) if f.endswith(".json")), key=natural_key)
    openpose = [f for f in files if f.endswith(OPENPOSE_SUFFIX)] if layout == "openpose" else []
    pifpaf = [f for f in files if f.endswith(PIFPAF_SUFFIX)] if layout == "openpifpaf" else []
    if not files:
        raise ValueError(f"{what}: {os.fspath(folder)!r} holds no keypoint files (OpenPose's *{OPENPOSE_SUFFIX}, "
                         f"MMPose's <image>.json, OpenPifPaf's *{PIFPAF_SUFFIX} or Ultralytics' <image>.txt labels)")
    results: Dict[str, List[dict]] = {}
    ids: List[int] = []
    ultralytics, frames = False, 0
    for name in openpose or pifpaf or files:
        data = read_json(os.path.join(folder, name), what, nan=True)
        where = f"{what} {name!r}"
        if pifpaf:
            key = name[:-len(PIFPAF_SUFFIX)]
            if not isinstance(data, list) or not all(isinstance(a, dict) and "keypoints" in a for a in data):
                raise ValueError(f"{where}: not OpenPifPaf's JSON (a list of annotations with keypoints)")
            results[key] = [{"image_id": key, "keypoints": a["keypoints"], **({"score": a["score"]} if "score" in a
                                                                               else {})} for a in data]
        elif openpose or _is_openpose_frame(data):  # AlphaPose's --format open: <image>.json of such frames
            key = name[:-len(OPENPOSE_SUFFIX if openpose else ".json")]
            if not _is_openpose_frame(data):
                raise ValueError(f"{where}: not OpenPose's JSON (an object with a 'people' list)")
            results[key], frame_ids = _openpose_frame(data, key, where)
            ids.extend(frame_ids)
            frames += 1
        elif _is_ultralytics(data):
            results[name[:-len(".json")]] = _ultralytics_results(data, name[:-len(".json")], where)
            ultralytics = True
        elif _is_easy_vitpose(data):  # <image>_result.json: one image's
            key = name[:-len(EASY_VITPOSE_SUFFIX if name.endswith(EASY_VITPOSE_SUFFIX) else ".json")]
            results[key] = _easy_vitpose_results(data, where, key)
            if len(data["keypoints"]) != 1:
                raise ValueError(f"{where}: easy_ViTPose's file of {len(data['keypoints'])} frames (a video's) in a "
                                 "folder of images; give it alone (--keypoints FILE, with --video VIDEO)")
        else:
            results[name[:-len(".json")]] = _mmpose_results(_instance_info(data), name[:-len(".json")], where)
    if ultralytics:
        flat = _complete_tracks([r for rs in results.values() for r in rs])
        _check_pixels(flat, what)
        people = _parse_per_image(results, what, 17)
        scores, tracks = parse_person_scores(flat, what), parse_track_ids(flat, what)
        return (people, None if tracks is None else {key: tracks.get(key, np.zeros(0, np.int64)) for key in people},
                None if scores is None else {key: scores.get(key, np.zeros(0)) for key in people})
    people = _parse_per_image(results, what, 25 if openpose else 17)
    given = parse_person_scores([r for rs in results.values() for r in rs], what)  # OpenPifPaf's, MMPose's
    scores = None if given is None else {key: given.get(key, np.zeros(0)) for key in people}
    if pifpaf:
        return people, None, scores
    if frames and frames < len(results):
        raise ValueError(f"{what}: {os.fspath(folder)!r} mixes OpenPose's frames with other JSON files")
    if not frames or not ids or min(ids) < 0:
        return people, None, scores
    split = np.cumsum([len(v) for v in people.values()])[:-1]
    return people, dict(zip(people, np.split(np.asarray(ids, np.int64), split), strict=True)), scores


def easy_vitpose_folder_names(folder) -> Optional[List[str]]:
    """The joint names easy_ViTPose's files in ``folder`` give (:func:`easy_vitpose_names` of the
    first ``*_result.json``; of the first sub-folder's, for a folder of sequences), None where it
    holds none."""
    names = folder_entries(folder)
    files = sorted((f for f in names if f.endswith(EASY_VITPOSE_SUFFIX)), key=natural_key)
    if files:
        return easy_vitpose_names(read_json(os.path.join(folder, files[0]), "--keypoints", nan=True))
    subs = sorted((f for f in names if os.path.isdir(os.path.join(folder, f))), key=natural_key)
    return easy_vitpose_folder_names(os.path.join(folder, subs[0])) if subs and not folder_layout(folder) else None


def _label_layout(n: int, joints: Sequence[int], where: str) -> Tuple[int, int, int]:
    """``(J, numbers per joint, numbers after the joints)`` of an Ultralytics label line of ``n``
    numbers (``class cx cy w h``, ``J`` joints of 3 or 2 numbers, then 0-2 of score and id)."""
    fits = sorted({(j, d, n - 5 - j * d) for j in joints for d in (3, 2) if 0 <= n - 5 - j * d <= 2})
    counts = sorted({f[0] for f in fits})
    if len(counts) != 1:
        raise ValueError(f"{where}: a line of {n} numbers fits {counts or 'no'} joint count(s) of {sorted(joints)} "
                         "(class, box, x y [score] per joint, then score and id where written); "
                         "name the format (--keypoint-format)")
    return max(fits, key=lambda f: f[1])  # 3 numbers per joint before 2: J >= 17 leaves one


def _read_ultralytics_labels(folder, files: List[str], what: str, joints: Sequence[int],
                             image_size: Optional[ImageSize]) -> FolderPeople:
    """:func:`read_keypoint_folder` for a folder of Ultralytics YOLO-pose labels."""
    lines: Dict[str, List[np.ndarray]] = {}
    for name in files:
        where = f"{what} {name!r}"
        rows = lines.setdefault(name[:-len(".txt")], [])
        for ln, line in enumerate(read_text(os.path.join(folder, name), what).splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = np.array([float(v) for v in line.split()])
            except ValueError:
                raise ValueError(f"{where} line {ln}: expected numbers (class cx cy w h x y ...)") from None
            if not np.isfinite(row).all():
                raise ValueError(f"{where} line {ln}: NaN or infinite numbers")
            rows.append(row)
    lengths = sorted({len(r) for rs in lines.values() for r in rs})
    if not lengths:
        j = joints[0] if len(joints) == 1 else 17
        return {k: np.zeros((0, j, 3)) for k in lines}, None, None
    j, d, extra = _label_layout(lengths[-1], joints, f"{what} ({os.fspath(folder)!r})")
    if lengths != [lengths[-1]] and not (lengths == [lengths[-1] - 1, lengths[-1]] and extra >= 1):
        raise ValueError(f"{what}: label lines of {lengths} numbers in {os.fspath(folder)!r}; one model's labels "
                         "have one length (those of a tracker may lack the id)")
    ids_where_given = len(lengths) == 2  # the longer lines end with the tracker's id
    tail = np.concatenate([r[5 + j * d:] for rs in lines.values() for r in rs if len(r) == lengths[-1]])
    if extra == 2 or ids_where_given:
        score_col, id_col = (0 if extra == 2 else None), extra - 1
    elif extra == 1 and np.all(tail == np.round(tail)) and tail.max() > 1:
        score_col, id_col = None, 0  # whole numbers past 1: the tracker's ids
    else:
        score_col, id_col = (0 if extra == 1 else None), None
    people: Dict[str, np.ndarray] = {}
    scores: Dict[str, np.ndarray] = {}
    tracks: Optional[Dict[str, np.ndarray]] = {}
    for key, rs in lines.items():
        size = image_size(key) if image_size is not None else None
        if rs and size is None:
            raise ValueError(f"{what}: {key!r} holds Ultralytics labels, normalised to its image, whose size is not "
                             "known (hdnet predict: give the images, --images DIR; hdnet eval: name the images "
                             "TS<n>/img_<frame>)")
        w, h = size if size is not None else (1, 1)
        kp = np.array([r[5:5 + j * d] for r in rs]).reshape(len(rs), j, d)
        if d == 3:
            conf = kp[..., 2]
            if ((conf < 0) | (conf > 1)).any():
                raise ValueError(f"{what}: the keypoint scores of {key!r} must lie in [0, 1]")
        else:
            conf = (kp[..., :2] != 0).any(-1).astype(np.float64)  # 0 0: a joint not labelled
        people[key] = np.concatenate([kp[..., :1] * w, kp[..., 1:2] * h, conf[..., None]], -1)
        ends = [r[5 + j * d:] for r in rs]
        if score_col is not None:
            scores[key] = np.array([e[score_col] for e in ends], np.float64)
            if ((scores[key] < 0) | (scores[key] > 1)).any():
                raise ValueError(f"{what}: the person scores of {key!r} must lie in [0, 1]")
        if tracks is not None and id_col is not None:
            if any(len(e) <= id_col for e in ends):
                tracks = None  # some people without an id: no tracks at all
            else:
                ids = np.array([e[id_col] for e in ends])
                if (ids < 0).any() or (ids > MAX_TRACK_ID).any() or (ids != np.round(ids)).any():
                    raise ValueError(f"{what}: the track ids of {key!r} must be whole numbers from 0 to 2^53")
                tracks[key] = ids.astype(np.int64)
    return people, (tracks if id_col is not None else None), (scores if score_col is not None else None)


def read_keypoint_folders(folder, what: str = "--keypoints", *, joints: Sequence[int] = LABEL_JOINT_COUNTS,
                          image_size: Optional[ImageSize] = None) -> FolderPeople:
    """A folder of :func:`read_keypoint_folder` folders, one per sequence (a detector run on each of
    a data set's sequence folders: ``TS1/``, ``TS2/`` ... of MuPoTS-3D), as one
    ``({"<folder>/<image>": [P, J, 3]}, track ids or None, person scores or None)``: each
    sub-folder's keys behind its name (``image_size`` is asked with those keys); the track ids and
    scores only where every sub-folder has them, each track kept within its own folder's people (a
    sequence's ids are its own).

    Raises:
        ValueError: naming ``what``: no sub-folder, or any problem :func:`read_keypoint_folder` names.
    """
    subs = sorted((d for d in folder_entries(folder) if os.path.isdir(os.path.join(folder, d))), key=natural_key)
    if not subs:
        raise ValueError(f"{what}: {os.fspath(folder)!r} holds no keypoint files and no folders of them")
    people: Dict[str, np.ndarray] = {}
    tracks: Optional[Dict[str, np.ndarray]] = {}
    scores: Optional[Dict[str, np.ndarray]] = {}
    for sub in subs:
        size = None if image_size is None else (lambda key, sub=sub: image_size(f"{sub}/{key}"))
        p, t, sc = read_keypoint_folder(os.path.join(folder, sub), f"{what} {sub}/", joints=joints, image_size=size)
        people.update({f"{sub}/{key}": v for key, v in p.items()})
        tracks = None if t is None or tracks is None else {**tracks, **{f"{sub}/{key}": v for key, v in t.items()}}
        scores = None if sc is None or scores is None else {**scores, **{f"{sub}/{key}": v for key, v in sc.items()}}
    return people, tracks, scores

