r"""People's heights: telling the keypoint model how tall someone is.

Keypoints do not say how big a person is. The model answers every body as if it had the size it
learned to expect, so a person 10 % taller than that is placed 10 % too near (on MuPoTS-3D
TS1-TS10 the shipped model's depth error per person follows their size at 5.4 % per 100 mm,
correlation 0.89: docs/real.md). Where you know a person's standing height :math:`H` (stature:
the floor to the top of the head), the whole answer is scaled about the camera,

.. math::
    \mathbf{X}_j \leftarrow k\,\mathbf{X}_j, \qquad k = H / H_{\text{ref}},

which leaves every keypoint's projection exactly where it was (the one thing 2D cannot tell),
with :math:`H_{\text{ref}}` the height the model's depths assume (``reference_height_mm``, stored
in the checkpoint: measured on the held-out training views after training, see
:func:`~hdnet.keypoint.task.calibrate_heights`).

Two measures of a body (both on the MuPoTS-3D joints, ``mupots_17``):

- :func:`skeleton_length_mm`: from the head top along the skeleton through the neck, spine,
  pelvis, hip and knee to the ankle (the mean of both legs). It does not change with the pose,
  so it measures a body in any frame.
- :func:`standing_height_mm`: the height of a body seen over many frames: the 95th percentile of
  the head top's distance from the further ankle, plus :data:`ANKLE_HEIGHT_MM`.

>>> import numpy as np
>>> from hdnet.data.synthetic import sample_pose
>>> body = sample_pose(np.random.default_rng(0), 1750.0)  # [17, 3] MuPoTS-3D joints
>>> bool(skeleton_length_mm(body) > 1700)
True
"""

from __future__ import annotations

import numpy as np

from ..graphs import get_skeleton

__all__ = ["ANKLE_HEIGHT_MM", "skeleton_length_mm", "standing_height_mm", "check_heights", "HEIGHT_RANGE_MM",
           "height_from_length", "require_reference_height"]

#: The ankle joint's height above the floor when standing: Human3.6M's training subjects S1, S5,
#: S6, S7, S8 (5th percentile of the lower ankle's height in the capture's floor frame: 28-72 mm,
#: mean 50 mm). (Where people are placed on a floor, :data:`hdnet.scene.FLOOR_ANKLE_MM` holds
#: the ankle's height over all poses instead.)
ANKLE_HEIGHT_MM = 50.0

#: Heights :func:`check_heights` accepts (mm): a small child to the tallest adults.
HEIGHT_RANGE_MM = (500.0, 2800.0)

_SK = get_skeleton("mupots_17")
_J = {n: i for i, n in enumerate(_SK.joints)}
_TRUNK = ("head_top", "head", "neck", "spine", "pelvis")
_LEGS = (("r_hip", "r_knee", "r_ankle"), ("l_hip", "l_knee", "l_ankle"))


def _chain(joints: np.ndarray, names) -> np.ndarray:
    idx = [_J[n] for n in names]
    return np.linalg.norm(np.diff(joints[..., idx, :], axis=-2), axis=-1).sum(-1)


def skeleton_length_mm(joints) -> np.ndarray:
    """``[...]`` the length along the skeleton from the head top to the ankles (mean of both
    legs) of MuPoTS-3D joints ``[..., 17, 3]`` (mm): a body's size whatever its pose."""
    j = np.asarray(joints, np.float64)
    if j.shape[-2:] != (17, 3):
        raise ValueError(f"joints: expected MuPoTS-3D joints [..., 17, 3], got {list(j.shape)}")
    trunk = _chain(j, _TRUNK)
    legs = [_chain(j, ("pelvis",) + leg) for leg in _LEGS]
    return trunk + 0.5 * (legs[0] + legs[1])


def standing_height_mm(joints, percentile: float = 95.0) -> float:
    """The standing height of one body seen in frames ``[F, 17, 3]`` (MuPoTS-3D joints, mm):
    the ``percentile`` of the head top's distance from the further ankle over the frames (the
    body at its most upright) plus :data:`ANKLE_HEIGHT_MM`."""
    j = np.asarray(joints, np.float64)
    if j.ndim != 3 or j.shape[1:] != (17, 3) or not len(j):
        raise ValueError(f"joints: expected frames of MuPoTS-3D joints [F, 17, 3], got {list(j.shape)}")
    top = j[:, _J["head_top"]]
    reach = np.maximum(np.linalg.norm(top - j[:, _J["l_ankle"]], axis=-1),
                       np.linalg.norm(top - j[:, _J["r_ankle"]], axis=-1))
    return float(np.percentile(reach, percentile)) + ANKLE_HEIGHT_MM


def check_heights(height_mm, people: int) -> np.ndarray:
    """``height_mm`` (one number for everyone, or ``[P]``; NaN: not known) as ``[P]`` float64,
    or a ``ValueError`` naming what is wrong."""
    try:
        h = np.asarray(height_mm, np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"height_mm: expected a number or [{people}] numbers in mm, got "
                        f"{type(height_mm).__name__}") from None
    if h.ndim == 0:
        h = np.full(people, float(h))
    if h.shape != (people,):
        raise ValueError(f"height_mm: expected one height or [{people}] (one per person), got {list(h.shape)}")
    lo, hi = HEIGHT_RANGE_MM
    bad = np.isfinite(h) & ((h < lo) | (h > hi)) | np.isinf(h)
    if bad.any():
        raise ValueError(f"height_mm: standing heights in mm between {lo:g} and {hi:g} (NaN: not known); "
                         f"got {h[bad][:5].tolist()} for people {np.nonzero(bad)[0][:5].tolist()}")
    return h


def require_reference_height(model, what: str = "height_mm") -> None:
    """A ``ValueError`` (naming ``what``) unless ``model`` records the height its depths assume
    (``reference_height_mm`` with ``reference_length_mm`` and ``known_height_std_scale``; a
    checkpoint holds all three or none)."""
    if any(getattr(model, k, None) is None
           for k in ("reference_height_mm", "reference_length_mm", "known_height_std_scale")):
        raise ValueError(f"{what}: this checkpoint does not record the height its depths assume "
                         "(reference_height_mm: the keypoint task measures it after training, older checkpoints "
                         "lack it); fine-tune it (hdnet train --init CHECKPOINT), or leave the heights out")


def height_from_length(length_mm, model) -> np.ndarray:
    """Standing heights (mm) of bodies of skeleton length ``length_mm`` (:func:`skeleton_length_mm`),
    by ``model``'s training subjects' proportion (``reference_height_mm / reference_length_mm``):
    how the evaluations turn annotated 3D joints into the heights a user would give."""
    require_reference_height(model, "model")
    return np.asarray(length_mm, np.float64) * (model.reference_height_mm / model.reference_length_mm)
