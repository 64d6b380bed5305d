"""Metrics that match their published protocols (see docs/metrics.md).

- :func:`mrpe`: mean root position error (HDNet, Human3.6M), with its x, y, z parts.
- :func:`ap_root`: RootNet's AP_root on MuPoTS-3D, exactly as RootNet's evaluation computes it.
- :func:`pck3d`: the official MuPoTS-3D 3DPCK / AUC protocol (matching, bone rescaling, modes).
- :func:`mpjpe`, :func:`pa_mpjpe`, :func:`n_mpjpe`, :func:`pcod`.

Inputs are numpy arrays or anything ``np.asarray`` takes; computations are in float64.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ["evaluate_roots", "DEPTH_BANDS_MM", "mrpe", "ap_root", "pck3d", "match_people_2d",
           "rescale_bones", "mpjpe", "pa_mpjpe", "n_mpjpe", "pcod", "MUPOTS_PARENTS",
           "MUPOTS_RESCALE_ORDER", "MUPOTS_JOINT_GROUPS"]


def _arr(x, name: str, last: Optional[int] = None) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if last is not None and (a.ndim < 1 or a.shape[-1] != last):
        raise ValueError(f"{name}: expected shape [..., {last}], got {a.shape}")
    return a


def _same_shape(a: np.ndarray, b: np.ndarray, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{na} and {nb}: shapes differ, {a.shape} vs {b.shape}")


# ---------------------------------------------------------------------------- MRPE
def mrpe(pred_roots, gt_roots) -> Dict[str, float]:
    """Mean root position error (mm): mean Euclidean distance of roots ``[N, 3]``, and the mean
    absolute error along each axis (``x``, ``y``, ``z``), as HDNet reports them.

    Returns:
        ``{"mrpe", "x", "y", "z", "count"}``.
    """
    p, g = _arr(pred_roots, "pred_roots", 3), _arr(gt_roots, "gt_roots", 3)
    _same_shape(p, g, "pred_roots", "gt_roots")
    p, g = p.reshape(-1, 3), g.reshape(-1, 3)
    if len(p) == 0:
        raise ValueError("pred_roots: no roots to evaluate")
    d = p - g
    ax = np.abs(d).mean(0)
    return {"mrpe": float(np.linalg.norm(d, axis=1).mean()), "x": float(ax[0]), "y": float(ax[1]),
            "z": float(ax[2]), "count": int(len(p))}


# ---------------------------------------------------------------------------- AP_root
def ap_root(predictions: Sequence[Mapping], ground_truth: Mapping, threshold_mm: float = 250.0,
            standard: bool = False, root_index: int = 14) -> float:
    """AP_root: average precision of root detections at a 3D distance threshold.

    RootNet's algorithm (``MuPoTS_eval.calculate_score``): predictions sorted by score (stable,
    descending); each is compared with the valid ground-truth roots of its image, takes the
    nearest one, and is a true positive if that one is under ``threshold_mm`` and not taken yet
    (otherwise a false positive); predictions on images with no valid ground truth are skipped.
    Precision and recall (over all valid ground truth) are recorded after each prediction, and
    ``AP = sum_n precision[n] * (recall[n] - recall[n-1])`` summed **from the second step on**,
    as RootNet does. ``standard=True`` includes the first step (recall from 0).

    Args:
        predictions: ``[{"image_id", "root_cam": [X, Y, Z] mm, "score"}, ...]`` (RootNet's
            output format).
        ground_truth: a MuPoTS-style COCO dict with ``annotations`` (``image_id``,
            ``keypoints_cam`` [17, 3], ``is_valid``), or a path to one.
        threshold_mm: distance under which a root counts (strictly less).
    """
    if isinstance(ground_truth, (str, bytes)) or hasattr(ground_truth, "__fspath__"):
        from .core.files import read_json
        ground_truth = read_json(os.fsdecode(ground_truth), "ground_truth")
    if "annotations" not in ground_truth:
        raise ValueError("ground_truth: expected a COCO-style dict with 'annotations'")
    anns_by_image: Dict = defaultdict(list)
    for ann in ground_truth["annotations"]:
        anns_by_image[ann["image_id"]].append(ann)
    gt_num = sum(1 for ann in ground_truth["annotations"] if ann.get("is_valid", 1) == 1)
    if gt_num == 0:
        raise ValueError("ground_truth: no valid annotation")
    order = sorted(range(len(predictions)), key=lambda i: -float(predictions[i]["score"]))
    tp = fp = 0
    precision, recall = [], []
    taken: Dict = {}
    for i in order:
        pred = predictions[i]
        image_id = pred["image_id"]
        anns = anns_by_image.get(image_id, [])
        if not any(a.get("is_valid", 1) == 1 for a in anns):
            continue
        flags = taken.setdefault(image_id, [False] * len(anns))
        root = np.asarray(pred["root_cam"], dtype=np.float64)
        best, best_dist = -1, 9999.0
        for k, ann in enumerate(anns):
            if ann.get("is_valid", 1) != 1:
                continue
            dist = float(np.sqrt(np.sum((root - np.asarray(ann["keypoints_cam"], dtype=np.float64)[root_index]) ** 2)))
            if best_dist > dist:
                best, best_dist = k, dist
        if best != -1 and best_dist < threshold_mm and not flags[best]:
            flags[best] = True
            tp += 1
        else:
            fp += 1
        precision.append(tp / (tp + fp))
        recall.append(tp / gt_num)
    ap = 0.0
    if standard and precision:
        ap += precision[0] * recall[0]
    for n in range(len(precision) - 1):
        ap += precision[n + 1] * (recall[n + 1] - recall[n])
    return ap


# ---------------------------------------------------------------------------- 3DPCK (MuPoTS)
#: Parent of each MuPoTS joint for the official bone rescaling (0-based; the pelvis is its own).
MUPOTS_PARENTS = (1, 15, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, 14, 14, 1)
#: Order in which the official script rescales bones (0-based).
MUPOTS_RESCALE_ORDER = (15, 1, 0, 16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
_SMAP_PARENTS = (1, 14, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, 14)
_SMAP_ORDER = (1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)
#: Joint groups of the MuPoTS per-group table (0-based).
MUPOTS_JOINT_GROUPS = {"Head": (0,), "Neck": (1,), "Shou": (2, 5), "Elbow": (3, 6),
                       "Wrist": (4, 7), "Hip": (8, 11), "Knee": (9, 12), "Ankle": (10, 13)}
_EVAL_JOINTS = tuple(range(14))
_MATCH_JOINTS = tuple(range(1, 14))
_PELVIS = 14


def match_people_2d(gt_2d, pred_2d, threshold_px: float = 40.0,
                    joints: Iterable[int] = _MATCH_JOINTS) -> List[int]:
    """The official MuPoTS greedy 2D matching: for each ground-truth person in order, the
    unmatched prediction with the most joints (of ``joints``) whose ``|du|`` and ``|dv|`` are
    both under ``threshold_px`` (strictly); the first prediction wins ties; a score of 0 leaves
    the person unmatched. A predicted joint at exactly (0, 0) is missing and never counts.

    Returns:
        for each ground-truth person, the index of its prediction or -1.
    """
    g = _arr(gt_2d, "gt_2d", 2)
    p = np.asarray(pred_2d, dtype=np.float64)
    if p.size == 0:
        return [-1] * len(g)
    p = _arr(p, "pred_2d", 2)
    idx = list(joints)
    used = np.zeros(len(p), dtype=bool)
    out = []
    for person in g:
        close = (np.abs(p[:, idx] - person[idx]) < threshold_px).all(-1)
        present = ~(p[:, idx] == 0).all(-1)
        score = (close & present).sum(-1)
        score[used] = -1
        best = int(np.argmax(score))  # first index on ties
        if score[best] > 0:
            used[best] = True
            out.append(best)
        else:
            out.append(-1)
    return out


def rescale_bones(pred, gt, parents: Sequence[int] = MUPOTS_PARENTS,
                  order: Sequence[int] = MUPOTS_RESCALE_ORDER) -> np.ndarray:
    """Give the predicted skeleton ``[J, 3]`` the ground truth's bone lengths, keeping the
    predicted bone directions: for ``j`` in ``order``,
    ``out[j] = out[parent[j]] + |gt[j] - gt[parent[j]]| * (pred[j] - pred[parent[j]]) /
    |pred[j] - pred[parent[j]]|``; joints not in ``order`` (the root) keep their prediction."""
    p, g = _arr(pred, "pred", 3), _arr(gt, "gt", 3)
    out = p.copy()
    for j in order:
        par = parents[j]
        direction = p[j] - p[par]
        norm = np.linalg.norm(direction)
        length = np.linalg.norm(g[j] - g[par])
        out[j] = out[par] + direction / norm * length
    return out


def _pck_auc(errors: np.ndarray, threshold: float, auc_thresholds) -> tuple:
    pck = 100.0 * float(np.mean(errors < threshold))
    auc = 100.0 * float(np.mean([np.mean(errors < t) for t in auc_thresholds]))
    return pck, auc


def _summary(err: np.ndarray, threshold: float, auc_thresholds, groups) -> dict:
    """PCK/AUC over instances x evaluated joints, total and per group."""
    if err.size == 0:
        nan = float("nan")
        return {"pck_total": nan, "auc_total": nan, "pck_groups": {g: nan for g in groups},
                "auc_groups": {g: nan for g in groups}}
    pck, auc = _pck_auc(err, threshold, auc_thresholds)
    pg, ag = {}, {}
    for name, idx in groups.items():
        pg[name], ag[name] = _pck_auc(err[:, list(idx)], threshold, auc_thresholds)
    return {"pck_total": pck, "auc_total": auc, "pck_groups": pg, "auc_groups": ag}


def pck3d(sequences: Sequence[Mapping], mode: str = "all", coords: str = "relative",
          variant: str = "posenet", threshold_mm: float = 150.0,
          auc_thresholds: Sequence[float] = tuple(range(0, 151, 5)),
          match_threshold_px: float = 40.0, unmatched_value: float = 1e5) -> dict:
    """3DPCK and AUC with the official MuPoTS-3D protocol.

    Per frame, ground-truth people are matched to predictions in 2D (:func:`match_people_2d`).
    For each ground-truth person with a match: in ``"relative"`` coordinates both poses are
    centred on their own pelvis (joint 14); the prediction's bones are rescaled to the ground
    truth's lengths (:func:`rescale_bones`); the error of each joint is its 3D distance. A person
    without a match gets a prediction of ``1e5`` mm at every joint in ``"all"`` mode and is
    dropped in ``"matched"`` mode. Joints 0-13 are scored: PCK = % of errors under
    ``threshold_mm``, AUC = mean PCK over ``auc_thresholds`` (both strict ``<``), per sequence,
    then the unweighted mean over sequences (what papers report).

    Args:
        sequences: ``[{"name", "frames": [{"gt_2d" [P, 17, 2], "gt_3d" [P, 17, 3], "pred_2d"
            [Q, 17, 2], "pred_3d" [Q, 17, 3]}]}]`` in the MuPoTS joint order. ``gt_3d`` must be
            the *universal* (``univ_annot3``) ground truth: that is what the protocol scores.
        mode: ``"all"`` or ``"matched"``; coords: ``"relative"`` or ``"absolute"``.
        variant: ``"posenet"`` (the script distributed with MuPoTS-3D, as in 3DMPPE PoseNet) or
            ``"smap"`` (SMAP's variant: 15 joints, the neck's parent is the pelvis).

    Returns:
        ``{"sequences": [{"name", "pck_total", "auc_total", "pck_groups", "auc_groups",
        "mpjpe14_per_joint", "mpjpe14_average", "annotated_people", "undetected_people",
        "n_instances", "matching", "instances": [{"frame", "gt_index", "pred_index",
        "error_mm"}]}], "overall_mean_of_sequences": {"pck_total", "auc_total"},
        "overall_pooled": {...}}``; PCK and AUC in percent.
    """
    if mode not in ("all", "matched"):
        raise ValueError(f"mode: expected 'all' or 'matched', got {mode!r}")
    if coords not in ("relative", "absolute"):
        raise ValueError(f"coords: expected 'relative' or 'absolute', got {coords!r}")
    if variant not in ("posenet", "smap"):
        raise ValueError(f"variant: expected 'posenet' or 'smap', got {variant!r}")
    parents, order, n_joints = ((MUPOTS_PARENTS, MUPOTS_RESCALE_ORDER, 17) if variant == "posenet"
                                else (_SMAP_PARENTS, _SMAP_ORDER, 15))
    groups = MUPOTS_JOINT_GROUPS
    results, pooled = [], []
    for s, seq in enumerate(sequences):
        instances, matchings, errs = [], [], []
        annotated = undetected = 0
        for f, frame in enumerate(seq["frames"]):
            g2, g3 = _arr(frame["gt_2d"], "gt_2d", 2), _arr(frame["gt_3d"], "gt_3d", 3)
            p2 = np.asarray(frame.get("pred_2d", []), dtype=np.float64).reshape(-1, 17, 2)
            p3 = np.asarray(frame.get("pred_3d", []), dtype=np.float64).reshape(-1, 17, 3)
            if len(p2) != len(p3):
                raise ValueError(f"pred_2d, pred_3d: {len(p2)} vs {len(p3)} people in sequence "
                                 f"{s} frame {f}")
            match = match_people_2d(g2, p2, match_threshold_px)
            matchings.append(match)
            for k, m in enumerate(match):
                annotated += 1
                gt = g3[k][:n_joints]
                if m < 0:
                    undetected += 1
                    if mode == "matched":
                        continue
                    gt_c = gt - gt[_PELVIS] if coords == "relative" else gt
                    error = np.linalg.norm(unmatched_value - gt_c, axis=-1)
                else:
                    pred = p3[m][:n_joints]
                    if coords == "relative":
                        gt, pred = gt - gt[_PELVIS], pred - pred[_PELVIS]
                    pred = rescale_bones(pred, gt, parents, order)
                    error = np.linalg.norm(pred - gt, axis=-1)
                instances.append({"frame": f, "gt_index": k, "pred_index": m,
                                  "error_mm": error.tolist()})
                errs.append(error[list(_EVAL_JOINTS)])
        err = np.asarray(errs, dtype=np.float64).reshape(-1, len(_EVAL_JOINTS))
        pooled.append(err)
        summary = _summary(err, threshold_mm, auc_thresholds, groups)
        per_joint = err.mean(0) if len(err) else np.full(len(_EVAL_JOINTS), np.nan)
        results.append({"name": seq.get("name", str(s)), **summary,
                        "mpjpe14_per_joint": per_joint.tolist(),
                        "mpjpe14_average": float(per_joint.mean()),
                        "annotated_people": annotated, "undetected_people": undetected,
                        "n_instances": len(instances), "matching": matchings,
                        "instances": instances})
    all_err = np.concatenate(pooled) if pooled else np.zeros((0, len(_EVAL_JOINTS)))
    if all_err.size == 0:
        raise ValueError("sequences: no person to score (no sequence, no annotated person, or in "
                         "'matched' mode no matched person); 3DPCK is undefined")
    return {
        "sequences": results,
        "overall_mean_of_sequences": {
            "pck_total": float(np.mean([r["pck_total"] for r in results if np.isfinite(r["pck_total"])])),
            "auc_total": float(np.mean([r["auc_total"] for r in results if np.isfinite(r["auc_total"])]))},
        "overall_pooled": _summary(all_err, threshold_mm, auc_thresholds, groups),
    }


# ---------------------------------------------------------------------------- pose errors
def mpjpe(pred, gt, root_index: Optional[int] = None) -> float:
    """Mean per-joint position error (mm) of poses ``[..., J, 3]``; with ``root_index`` both are
    centred on that joint first."""
    p, g = _poses(pred, gt)
    if root_index is not None:
        p = p - p[..., root_index:root_index + 1, :]
        g = g - g[..., root_index:root_index + 1, :]
    return float(np.linalg.norm(p - g, axis=-1).mean())


def _poses(pred, gt) -> Tuple[np.ndarray, np.ndarray]:
    """Poses ``[..., J, 3]`` checked: same shape, at least one joint, finite."""
    p, g = _arr(pred, "pred", 3), _arr(gt, "gt", 3)
    _same_shape(p, g, "pred", "gt")
    if p.ndim < 2 or p.size == 0:
        raise ValueError(f"pred: expected poses [..., J, 3] with at least one joint, got shape {p.shape}")
    if not (np.isfinite(p).all() and np.isfinite(g).all()):
        raise ValueError("pred, gt: poses must be finite (NaN or inf found)")
    return p, g


def _procrustes(p: np.ndarray, g: np.ndarray, scale: bool = True) -> np.ndarray:
    """The similarity transform of ``p [J, 3]`` closest to ``g`` (least squares)."""
    mp, mg = p.mean(0), g.mean(0)
    p0, g0 = p - mp, g - mg
    u, s, vt = np.linalg.svd(p0.T @ g0)
    d = np.sign(np.linalg.det(u @ vt))
    fix = np.diag([1.0, 1.0, d])
    r = u @ fix @ vt  # rotation applied on the right: p0 @ r ~ g0
    norm = (p0 ** 2).sum()
    a = ((s * np.diag(fix)).sum() / norm if norm > 0 else 0.0) if scale else 1.0
    return a * p0 @ r + mg


def pa_mpjpe(pred, gt) -> float:
    """MPJPE after similarity Procrustes alignment (scale, rotation, translation) of each
    predicted pose ``[..., J, 3]`` to its ground truth."""
    p, g = _poses(pred, gt)
    p2, g2 = p.reshape(-1, *p.shape[-2:]), g.reshape(-1, *g.shape[-2:])
    aligned = np.stack([_procrustes(a, b) for a, b in zip(p2, g2, strict=True)])
    return float(np.linalg.norm(aligned - g2, axis=-1).mean())


def n_mpjpe(pred, gt, root_index: Optional[int] = 0) -> float:
    """MPJPE after the least-squares scale of each (root-centred) prediction to its ground
    truth (Rhodin et al. 2018)."""
    p, g = _poses(pred, gt)
    if root_index is not None:
        p = p - p[..., root_index:root_index + 1, :]
        g = g - g[..., root_index:root_index + 1, :]
    num = (p * g).sum(axis=(-1, -2), keepdims=True)
    den = (p * p).sum(axis=(-1, -2), keepdims=True)
    scale = np.where(den > 0, num / np.where(den > 0, den, 1), 1.0)
    return float(np.linalg.norm(scale * p - g, axis=-1).mean())


def pcod(pred_depths, gt_depths, threshold_mm: float = 300.0) -> float:
    """Percentage of correct ordinal depth between pairs of people in one image (or in each
    image of a list): for every pair ``(i, j)``, the ground-truth relation is "i closer" /
    "j closer" when the depths differ by more than ``threshold_mm``, else "about the same";
    a pair is correct when the predicted depths give the same relation.

    Args:
        pred_depths, gt_depths: ``[P]`` depths (mm) of one image, or lists of them (one per
            image; pairs are only formed within an image).

    Returns:
        percentage in ``[0, 100]`` (NaN when no image has two people).
    """
    if len(pred_depths) and np.ndim(pred_depths[0]) == 0:
        pred_depths, gt_depths = [pred_depths], [gt_depths]
    if len(pred_depths) != len(gt_depths):
        raise ValueError("pred_depths, gt_depths: different numbers of images")
    correct = total = 0
    for p, g in zip(pred_depths, gt_depths, strict=True):
        p, g = np.asarray(p, dtype=np.float64), np.asarray(g, dtype=np.float64)
        _same_shape(p, g, "pred_depths", "gt_depths")
        i, j = np.triu_indices(len(p), k=1)
        rel = lambda d: np.where(d[i] - d[j] > threshold_mm, 1, np.where(d[j] - d[i] > threshold_mm, -1, 0))  # noqa: E731
        correct += int((rel(p) == rel(g)).sum())
        total += len(i)
    return 100.0 * correct / total if total else float("nan")


#: Depth bands (mm) that root evaluations report separately.
DEPTH_BANDS_MM = ((1500, 3000), (3000, 5000), (5000, 7500), (7500, 10500))


def evaluate_roots(pred_roots, gt_roots, image_ids: Sequence, scores=None,
                   bands: Sequence[Tuple[float, float]] = DEPTH_BANDS_MM, unmatched_roots=None,
                   unmatched_image_ids: Sequence = (), unmatched_scores=None) -> Dict[str, Any]:
    """The one root evaluation (``hdnet eval``, the demos): MRPE and its x, y, z parts, RootNet's
    AP_root at 25 cm (every person a valid ground truth of its image), and MRPE by depth band.
    A person the detector missed has a NaN row in ``pred_roots``: a ground truth without a
    detection for AP_root, left out of the MRPEs (RootNet's MRPE is over the people detected).

    Args:
        pred_roots, gt_roots: ``[P, 3]`` camera-space roots in mm, person by person (a row of
            NaN in ``pred_roots``: not detected).
        image_ids: ``[P]`` the image of each person (AP_root matches within an image).
        scores: ``[P]`` detection scores for AP_root's ordering (default all 1).
        bands: ``(low, high)`` ground-truth depth bands in mm.
        unmatched_roots: ``[U, 3]`` detections that are nobody of ``gt_roots`` (a detector's false
            positives), with their ``unmatched_image_ids`` ``[U]`` and ``unmatched_scores`` ``[U]``
            (default all 1): they enter AP_root (a false positive on an image with ground truth,
            unless a person of that image is left near them; RootNet's rule) and nothing else.

    Returns:
        ``{"people", "detected", "mrpe_mm", "mrpe_x_mm", "mrpe_y_mm", "mrpe_z_mm", "ap_root_25",
        "by_depth": {"1.5-3.0 m": {"mrpe_mm", "count"}, ...}}``.
    """
    pred = _arr(pred_roots, "pred_roots", 3).reshape(-1, 3)
    gt = _arr(gt_roots, "gt_roots", 3).reshape(-1, 3)
    _same_shape(pred, gt, "pred_roots", "gt_roots")
    ids = list(image_ids)
    if len(ids) != len(gt):
        raise ValueError(f"image_ids: expected {len(gt)} ids, one per person, got {len(ids)}")
    if len(gt) == 0:
        raise ValueError("gt_roots: no person to evaluate")
    if not np.isfinite(gt).all():
        raise ValueError("gt_roots: expected finite roots")
    finite = np.isfinite(pred)
    if (finite.any(1) & ~finite.all(1)).any():
        raise ValueError("pred_roots: a row is either three numbers or all NaN (not detected), not partly NaN")
    det = finite.all(1)
    if not det.any():
        raise ValueError("pred_roots: no person was detected (every row is NaN)")
    sc = np.ones(len(gt)) if scores is None else np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(sc) != len(gt) or not np.isfinite(sc[det]).all():
        raise ValueError(f"scores: expected {len(gt)} finite scores, one per person, got {len(sc)}")
    extra = np.zeros((0, 3)) if unmatched_roots is None else _arr(unmatched_roots, "unmatched_roots", 3).reshape(-1, 3)
    extra_ids = list(unmatched_image_ids)
    if len(extra_ids) != len(extra):
        raise ValueError(f"unmatched_image_ids: expected {len(extra)} ids, one per unmatched root, got {len(extra_ids)}")
    if not np.isfinite(extra).all():
        raise ValueError("unmatched_roots: expected finite roots")
    extra_sc = (np.ones(len(extra)) if unmatched_scores is None
                else np.asarray(unmatched_scores, dtype=np.float64).reshape(-1))
    if len(extra_sc) != len(extra) or not np.isfinite(extra_sc).all():
        raise ValueError(f"unmatched_scores: expected {len(extra)} finite scores, one per unmatched root, "
                         f"got {len(extra_sc)}")
    m = mrpe(pred[det], gt[det])
    root_only = [[0.0, 0.0, 0.0]] * 14
    truth = {"annotations": [{"image_id": i, "is_valid": 1,
                              "keypoints_cam": root_only + [g.tolist()] + [[0.0, 0.0, 0.0]] * 2}
                             for i, g in zip(ids, gt, strict=True)]}
    preds = [{"image_id": i, "root_cam": p.tolist(), "score": float(s)}
             for i, p, s, d in zip(ids, pred, sc, det, strict=True) if d]
    preds += [{"image_id": i, "root_cam": p.tolist(), "score": float(s)}
              for i, p, s in zip(extra_ids, extra, extra_sc, strict=True)]
    by_depth = {}
    for lo, hi in bands:
        sel = (gt[:, 2] >= lo) & (gt[:, 2] < hi) & det
        if sel.any():
            mb = mrpe(pred[sel], gt[sel])
            by_depth[f"{lo / 1000:.1f}-{hi / 1000:.1f} m"] = {"mrpe_mm": mb["mrpe"], "count": mb["count"]}
    return {"people": int(len(gt)), "detected": m["count"], "mrpe_mm": m["mrpe"], "mrpe_x_mm": m["x"],
            "mrpe_y_mm": m["y"], "mrpe_z_mm": m["z"], "ap_root_25": ap_root(preds, truth, 250.0, root_index=14),
            "by_depth": by_depth}
