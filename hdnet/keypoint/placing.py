"""A keypoint model's answers placed with their scene (:mod:`hdnet.scene`): the people seen by
one camera, in one image or over the frames of one static camera, share a floor.

:func:`place_in_scene` takes what :meth:`KeypointHDNet.predict
<hdnet.keypoint.KeypointHDNet.predict>` answered and returns it re-placed, each person moved
along their root's ray and scaled with the move (so every joint still projects onto its
keypoint), with the :class:`~hdnet.scene.SceneResult` that says who was placed how.
:meth:`KeypointHDNet.predict_scene <hdnet.keypoint.KeypointHDNet.predict_scene>` does both.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..camera import Camera, CameraLike, as_cameras
from ..scene import Floor, ScenePeople, SceneResult, ankle_height_for, reason_scene, scene_windows

__all__ = ["place_in_scene", "as_floor", "scene_camera"]


def as_floor(floor: Union[Floor, Sequence[float], None], output_skeleton) -> Optional[Floor]:
    """A :class:`~hdnet.scene.Floor`, or one from ``(height_mm, pitch_deg[, roll_deg])`` (the
    camera's height over the ground and its tilt) with the people's ankles at the height measured
    for ``output_skeleton`` (:func:`~hdnet.scene.ankle_height_for`)."""
    if floor is None or isinstance(floor, Floor):
        return floor
    if isinstance(floor, (str, bytes)) or not isinstance(floor, Sequence):
        raise TypeError(f"floor: expected a hdnet.scene.Floor or (height_mm, pitch_deg[, roll_deg]), "
                        f"got {type(floor).__name__}")
    if len(floor) not in (2, 3):
        raise ValueError(f"floor: expected (height_mm, pitch_deg[, roll_deg]), got {len(floor)} numbers")
    return Floor.from_camera(floor[0], floor[1], floor[2] if len(floor) == 3 else 0.0,
                             ankle_height_mm=ankle_height_for(output_skeleton))


def scene_camera(camera: CameraLike) -> Camera:
    """The one camera that sees a scene: a :class:`~hdnet.camera.Camera`, or one camera as
    :func:`~hdnet.camera.as_cameras` reads it (a matrix ``K [3, 3]``, a dict)."""
    if isinstance(camera, Camera):
        return camera
    try:
        cams = as_cameras(camera, what="camera")
    except TypeError:
        raise TypeError(f"camera: a scene is seen by one camera (a hdnet.camera.Camera, a matrix K [3, 3] or a "
                        f"dict), got {type(camera).__name__}") from None
    if len(cams) != 1:
        raise ValueError(f"camera: a scene is seen by one camera, got {len(cams)}")
    return cams.camera(0)


def place_in_scene(model, output, keypoints_px, camera: CameraLike, scene: str = "image", *, confidence=None,
                   format: Optional[str] = None, image=None, track=None, known_size=None,
                   floor: Union[Floor, Sequence[float], None] = None,
                   frame_rate: float = 30.0) -> Tuple[Any, SceneResult]:
    """``output`` (a :class:`~hdnet.keypoint.KeypointOutput` of ``model`` for ``keypoints_px [P,
    J, 2 or 3]`` seen through ``camera``) placed with the people's shared floor.

    Args:
        scene: ``"image"`` (each image's people share a floor; ``image [P]`` says which image,
            default one), ``"sequence"`` (the frames ``image [P]`` of one static camera share one
            floor; ``track [P]`` ids keep a body's size over the frames) or ``"none"``.
        confidence: ``[P, J]`` the keypoints' scores (default: the third column, else 1).
        format: the keypoints' format, as :meth:`~hdnet.keypoint.KeypointHDNet.predict` takes it.
        known_size: ``[P]`` people whose size is known (placed by their height): they help find
            the floor and are not moved.
        floor: the floor where it is known: a :class:`~hdnet.scene.Floor`, or ``(height_mm,
            pitch_deg[, roll_deg])`` of the camera over the ground.
        frame_rate: a sequence's frames per second: each track's depth is smoothed over a second
            and its pose over a fifteenth of one (:func:`hdnet.scene.scene_windows`).

    Returns:
        The output with ``root_mm``, ``joints_rel_mm``, ``joints_mm``, ``depth_mm`` and
        ``depth_std_mm`` re-placed (``bin_probs``, ``bin_index``, ``scale`` and ``root_2d_norm``
        stay the model's), and the :class:`~hdnet.scene.SceneResult` (``method`` per person:
        :data:`hdnet.scene.PLACED_BY`; ``floors``; ``floor_used``).
    """
    from ..graphs import resolve_skeleton
    from .formats import FORMATS, take_body_part
    camera = scene_camera(camera)
    kp = np.asarray(keypoints_px, np.float64)
    if kp.ndim != 3 or kp.shape[-1] not in (2, 3):
        raise ValueError(f"keypoints_px: expected [P, J, 2] or [P, J, 3], got {kp.shape}")
    if kp.shape[0] != output.root_mm.shape[0]:
        raise ValueError(f"keypoints_px: {kp.shape[0]} people, but the output has {output.root_mm.shape[0]}")
    conf = (np.asarray(confidence, np.float64) if confidence is not None else
            kp[..., 2] if kp.shape[-1] == 3 else np.ones(kp.shape[:2]))
    kp, conf, format = take_body_part(kp, conf, format)
    fmt = model.format_of(kp.shape[1], format)
    out_skeleton = resolve_skeleton(model.output_skeleton(fmt))
    rel = output.joints_rel_mm.double().cpu().numpy()
    people = ScenePeople.from_prediction(kp[..., :2], np.nan_to_num(conf, nan=0.0), FORMATS.get(fmt).skeleton,
                                         output.root_mm.double().cpu().numpy(), rel, out_skeleton,
                                         output.depth_std_mm.double().cpu().numpy(), camera, image, track,
                                         known_size)
    track_window, pose_window = scene_windows(frame_rate)
    placed = reason_scene(people, scene, floor=as_floor(floor, out_skeleton), track_window=track_window,
                          pose_window=pose_window)
    like = output.root_mm

    def back(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, dtype=like.dtype, device=like.device)
    root, pose = placed.root_mm, placed.scaled_pose(rel)
    return output._replace(root_mm=back(root), joints_rel_mm=back(pose), joints_mm=back(root[:, None] + pose),
                           depth_mm=back(root[:, 2]), depth_std_mm=back(placed.depth_std_mm(people.depth_std_mm))), \
        placed
