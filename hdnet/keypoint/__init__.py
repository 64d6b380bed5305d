"""The keypoint model in one place: any detector's 2D keypoints + the camera -> every person's
absolute 3D pose.

- :mod:`~hdnet.keypoint.model`: :class:`KeypointHDNet` (a checkpointable module) and its output;
- :mod:`~hdnet.keypoint.inputs`: pixels to normalised coordinates, person size, confidences;
- :mod:`~hdnet.keypoint.placing`: its answers placed with the floor people share
  (:func:`~hdnet.keypoint.placing.place_in_scene`, :meth:`KeypointHDNet.predict_scene`);
- :mod:`~hdnet.keypoint.live`: the same frame by frame as a live camera's frames arrive
  (:class:`~hdnet.keypoint.live.LiveScene`);
- :mod:`~hdnet.keypoint.task`: the ``keypoint`` training task (motion capture through virtual
  cameras) for :class:`~hdnet.train.Trainer`;
- :mod:`~hdnet.keypoint.evaluation`: the MuPoTS-3D protocols against the geometric baselines;
- :mod:`~hdnet.keypoint.keypoint_file`: a detector's keypoint file or folder read as arrays in one
  format (:func:`~hdnet.keypoint.keypoint_file.read_keypoints`), as ``hdnet predict`` reads it;
- :mod:`~hdnet.keypoint.people_file`: ``hdnet predict``'s ``people.json`` read back as arrays
  (:func:`~hdnet.keypoint.people_file.read_people`).
"""

from ..core.checkpoint import register_model
from .evaluation import evaluate_h36m, evaluate_mupots, mupots_detection_predictions, mupots_predictions
from .inputs import convert_confidence, normalize_keypoints, person_scale
from .keypoint_file import KeypointFile, read_keypoints
from .live import LiveFrame, LiveScene
from .model import KeypointHDNet, KeypointOutput
from .people_file import PeopleFile, read_people
from .task import KeypointDataConfig, KeypointLossConfig, KeypointModelConfig, KeypointTask, keypoint_losses

register_model(KeypointHDNet)

__all__ = ["KeypointHDNet", "KeypointOutput", "normalize_keypoints", "person_scale", "convert_confidence",
           "KeypointTask", "KeypointModelConfig", "KeypointDataConfig", "KeypointLossConfig", "keypoint_losses",
           "evaluate_mupots", "mupots_predictions", "mupots_detection_predictions", "evaluate_h36m", "PeopleFile",
           "read_people", "KeypointFile", "read_keypoints", "LiveScene", "LiveFrame"]
