"""Scene reasoning: people who share a floor (docs/scene.md).

:class:`ScenePeople` holds one camera's people (ankles seen, the model's 3D answer, image and
track ids); :func:`floor_normal` and :func:`fit_floor` find the floor from them;
:func:`place_on_floor` re-places each person where the floor explains them; :func:`reason_scene`
does it per image or over a sequence (falling back when the camera moves), or on a floor you
know (:meth:`Floor.from_camera`, :meth:`Floor.from_extrinsics`; ``reason_scene(..., floor=)``);
:func:`link_tracks` gives a detector's people track ids from their keypoints alone.
The focal length is not estimated from the people: docs/scene.md says why.
"""

from .floor import (
    FLOOR_ANKLE_MM,
    MIN_ANKLE_SCORE,
    MIN_STANDING_MM,
    Floor,
    ankle_height_for,
    ankle_heights,
    body_up,
    fit_floor,
    floor_normal,
    support_ankle,
)
from .people import ScenePeople, ankle_and_neck_indices
from .placement import (
    BY_FLOOR,
    PLACED_BY,
    Placement,
    floor_weight,
    place_on_floor,
    placed_by_floor,
    smooth_track_poses,
    smooth_tracks,
)
from .reasoning import GIVEN_FLOOR_DEPTH_STD, SCENE_MODES, SceneResult, fit_scene_floor, reason_scene, scene_windows
from .tracks import TrackLinker, keypoint_distance, link_tracks

__all__ = ["ScenePeople", "ankle_and_neck_indices", "Floor", "floor_normal", "fit_floor", "support_ankle",
           "ankle_heights", "MIN_ANKLE_SCORE", "MIN_STANDING_MM", "body_up", "Placement", "place_on_floor",
           "smooth_tracks", "floor_weight", "PLACED_BY", "SceneResult", "reason_scene", "fit_scene_floor",
           "SCENE_MODES", "FLOOR_ANKLE_MM", "ankle_height_for", "GIVEN_FLOOR_DEPTH_STD", "link_tracks",
           "TrackLinker", "keypoint_distance", "BY_FLOOR", "placed_by_floor", "smooth_track_poses", "scene_windows"]
