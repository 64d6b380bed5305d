"""People placed frame by frame as a live camera's frames arrive: a webcam, a robot's camera, a
video read as it plays.

``--scene sequence`` (:func:`~hdnet.keypoint.placing.place_in_scene`) sees a whole video before
it places anyone: each track's depth is smoothed over a second either side. A live camera has
only the frames before. :class:`LiveScene` places each new frame's people with what the frames
before it tell: the people are linked to the tracks of the frames before
(:class:`~hdnet.scene.TrackLinker`), the floor is found from the people of the last
``history_s`` seconds (again every second, so it follows a camera that is moved now and then,
and sooner while the people seen are still few),
each person is placed on it as :func:`~hdnet.scene.place_on_floor` places them, and each track's
depth is the end of a straight line fitted to its log depths over the second before, this frame
included. The answer for a frame never changes once given. Poses are not averaged over frames
(that would put them a few frames behind).

>>> import numpy as np
>>> from hdnet import Camera
>>> from hdnet.data.synthetic import sample_pose
>>> from hdnet.keypoint import KeypointHDNet
>>> camera = Camera(1400.0, 1400.0, 960.0, 540.0)
>>> live = LiveScene(KeypointHDNet.pretrained("mupots_17"), camera, "mupots_17")
>>> body = sample_pose(np.random.default_rng(0), 1750.0) + [0.0, 0.0, 5000.0]
>>> for t in range(3):                                   # three frames of a person walking right
...     answer, frame = live.update(camera.project(body[None] + [10.0 * t, 0.0, 0.0]))
>>> frame.frame, frame.person.tolist(), frame.track.tolist(), answer.root_mm.shape
(2, [0], [0], torch.Size([1, 3]))
"""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass
from typing import Deque, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from ..camera import CameraLike
from ..graphs import resolve_skeleton
from ..scene import (
    PLACED_BY,
    Floor,
    Placement,
    ScenePeople,
    TrackLinker,
    fit_scene_floor,
    place_on_floor,
    scene_windows,
)
from ..scene.placement import line_level
from ..scene.reasoning import SceneResult
from .formats import FORMATS, KEYPOINT_LAYOUTS, layout_name, take_body_part
from .model import KeypointOutput, placeable
from .placing import as_floor, scene_camera

__all__ = ["LiveScene", "LiveFrame", "LivePlacement"]


@dataclass(frozen=True)
class LiveFrame:
    """What :meth:`LiveScene.update` says of one frame, per person it placed (the rows of its
    answer).

    Args:
        frame: the frame's number (0 for the first :meth:`~LiveScene.update`).
        person: ``[K]`` each row's index among the keypoints given (people with fewer than two
            joints seen cannot be placed: :func:`~hdnet.keypoint.model.placeable`).
        track: ``[K]`` track ids over the frames (-1: none).
        placed_by: ``[K]`` how each was placed, an index of :data:`hdnet.scene.PLACED_BY`.
        floor: the floor they were placed with (None: none found yet).
        format: the format the keypoints were read as (the joints of the answer:
            ``model.output_skeleton(format)``).
    """

    frame: int
    person: np.ndarray
    track: np.ndarray
    placed_by: np.ndarray
    floor: Optional[Floor]
    format: str


class LivePlacement(NamedTuple):
    """How :meth:`LiveScene.place` placed one frame's ``K`` people."""

    root_mm: np.ndarray  #: ``[K, 3]`` each root, moved along its ray
    method: np.ndarray  #: ``[K]`` how, an index of :data:`hdnet.scene.PLACED_BY`
    scale: np.ndarray  #: ``[K]`` the new depth over the model's (the pose scales with it)
    depth_std_mm: np.ndarray  #: ``[K]`` the depth's uncertainty after the move
    floor: Optional[Floor]  #: the floor used (None: none found yet)


class LiveScene:
    """A live camera's people placed on their shared floor as its frames arrive (see the module).

    Args:
        model: a :class:`~hdnet.keypoint.KeypointHDNet`.
        camera: the one camera (a :class:`~hdnet.camera.Camera`, ``K [3, 3]`` or a dict).
        format: the keypoints' format (or a layout holding one), as
            :meth:`~hdnet.keypoint.KeypointHDNet.predict` takes it.
        frame_rate: frames per second: the tracks' depths are fitted over a second, the floor
            found again every second.
        history_s: how many seconds of people before each frame find the floor (and the body
            size of a track whose feet are not seen).
        floor: the floor where it is known (:class:`~hdnet.scene.Floor`, or ``(height_mm,
            pitch_deg[, roll_deg])`` of the camera over the ground): then it is not searched for.
        link: link each frame's people to the tracks before (:class:`~hdnet.scene.TrackLinker`);
            False: people have no tracks unless :meth:`update` is given them.
    """

    def __init__(self, model, camera: CameraLike, format: Optional[str] = None, *, frame_rate: float = 30.0,
                 history_s: float = 10.0, floor: Union[Floor, Sequence[float], None] = None, link: bool = True):
        self.model, self.camera, self.format = model, scene_camera(camera), format
        self.track_window, _ = scene_windows(frame_rate)
        if isinstance(history_s, bool) or not isinstance(history_s, (int, float)) or not 0 < history_s < 1e5:
            raise ValueError(f"history_s: expected seconds in (0, 100000), got {history_s!r}")
        self.history = max(int(round(history_s * frame_rate)), self.track_window + 1)
        self._given = floor
        self.floor_given = floor is not None  #: the floor was given (not found from the people)
        if floor is not None:
            as_floor(floor, self._output_skeleton())  # a floor that cannot be: refused now, not at the first frame
        self.link = bool(link)
        self.reset()

    def _output_format(self) -> str:
        """The model's format for ``format`` (a layout's; the model's first where none is named)."""
        return self.model.formats[0] if self.format is None else \
            KEYPOINT_LAYOUTS.get(layout_name(self.format) or "", (self.format, 0))[0]

    def _output_skeleton(self):
        """The joints of the model's answers for ``format``."""
        return self.model.output_skeleton(self._output_format())

    def reset(self) -> None:
        """Forget every frame (a new video, or the camera was moved): the next is frame 0."""
        self._frame = 0
        self._format: Optional[str] = None  # the format the last frame's keypoints were read as
        self._last: Optional[int] = None  # the last frame placed
        self._linker = TrackLinker()
        self._past: Deque[Tuple[int, ScenePeople]] = deque()  # (frame, its people) of the last history frames
        self._floor: Optional[Floor] = None
        self._fitted = -self.track_window  # the frame the floor was last found at
        self._fit_people = 0  # and from how many people
        self._resolved_floor: Optional[Floor] = None

    def update(self, keypoints, confidence=None, track=None, frame: Optional[int] = None
               ) -> Tuple[KeypointOutput, LiveFrame]:
        """Place the next frame's people.

        Args:
            keypoints: ``[P, J, 2]`` or ``[P, J, 3]`` (x, y, score) px, as
                :meth:`~hdnet.keypoint.KeypointHDNet.predict` takes them (``P`` may be 0, and
                then ``J`` too).
            confidence: ``[P, J]`` scores (default: the third column, else 1).
            track: ``[P]`` track ids where your tracker gives them (instead of linking).
            frame: the frame's number where frames were skipped (default: one after the last).

        Returns:
            ``(answer, frame)``: the model's :class:`~hdnet.keypoint.KeypointOutput` of the people
            it can place, re-placed (``root_mm``, ``joints_rel_mm``, ``joints_mm``, ``depth_mm``,
            ``depth_std_mm``), and the :class:`LiveFrame` that says who each row is and how it
            was placed.
        """
        kp = np.asarray(keypoints, np.float64)
        if kp.ndim != 3 or kp.shape[-1] not in (2, 3):
            raise ValueError(f"keypoints: expected [P, J, 2] or [P, J, 3], got {kp.shape}")
        conf = (np.asarray(confidence, np.float64) if confidence is not None else
                kp[..., 2] if kp.shape[-1] == 3 else np.ones(kp.shape[:2]))
        if conf.shape != kp.shape[:2]:
            raise ValueError(f"confidence: expected {list(kp.shape[:2])}, got {list(conf.shape)}")
        ids = None
        if track is not None:
            ids = np.asarray(track)
            if ids.shape != kp.shape[:1] or ids.dtype.kind not in "iu":
                raise ValueError(f"track: expected [{kp.shape[0]}] whole numbers, got {ids.dtype} {list(ids.shape)}")
        if frame is None:
            frame = self._frame
        elif isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or frame < self._frame:
            raise ValueError(f"frame: expected a whole number from {self._frame} (after the last frame), got {frame!r}")
        named = self.format
        if not kp.shape[0] and (not kp.shape[1] or self._format is not None):  # nobody: the format seen before
            named = self._format or self._output_format()
            kp = np.zeros((0, FORMATS.get(named).skeleton.num_joints, kp.shape[-1]))
            conf = np.zeros(kp.shape[:2])
        body, body_conf, fmt_in = take_body_part(kp, conf, named)
        fmt = self.model.format_of(body.shape[1], fmt_in)
        self._format = fmt
        ok = placeable(body[..., :2], body_conf)
        person = np.nonzero(ok)[0]
        out = self.model.predict(body[person][..., :2], self.camera, confidence=body_conf[person], format=fmt)
        seen = np.nan_to_num(body_conf, nan=0.0) > 0
        if ids is not None:
            tracks = ids[person].astype(np.int64)
        elif self.link:
            tracks = self._linker.step(frame, np.where(seen[..., None], body[..., :2], np.nan), seen)[person]
        else:
            tracks = np.full(len(person), -1, np.int64)
        out_skeleton = resolve_skeleton(self.model.output_skeleton(fmt))
        rel = out.joints_rel_mm.double().cpu().numpy()
        people = ScenePeople.from_prediction(body[person][..., :2], np.nan_to_num(body_conf[person], nan=0.0),
                                             FORMATS.get(fmt).skeleton, out.root_mm.double().cpu().numpy(), rel,
                                             out_skeleton, out.depth_std_mm.double().cpu().numpy(), self.camera,
                                             None, tracks)
        placed = self.place(people, frame, out_skeleton)
        pose = rel * placed.scale[:, None, None]

        def back(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(a, dtype=out.root_mm.dtype, device=out.root_mm.device)
        root = placed.root_mm
        answer = out._replace(root_mm=back(root), joints_rel_mm=back(pose), joints_mm=back(root[:, None] + pose),
                              depth_mm=back(root[:, 2]), depth_std_mm=back(placed.depth_std_mm))
        return answer, LiveFrame(int(frame), person, tracks, placed.method, placed.floor, fmt)

    def place(self, people: ScenePeople, frame: int, output_skeleton=None) -> LivePlacement:
        """Place one frame's people, as a model answered them (:class:`~hdnet.scene.ScenePeople`,
        with their tracks), after the frames placed before (:meth:`update` calls it with the
        model's answers; call it yourself with another model's).

        Args:
            people: the frame's people (their ``image`` is set to ``frame``).
            frame: the frame's number, after the last one placed (gaps are frames without people).
            output_skeleton: the joints the answers are in, for a given floor's ankle height
                (default: the model's output skeleton for ``format``).
        """
        if not isinstance(people, ScenePeople):
            raise TypeError(f"people: expected a hdnet.scene.ScenePeople, got {type(people).__name__}")
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)):
            raise TypeError(f"frame: expected a whole number, got {type(frame).__name__}")
        if self._last is not None and frame <= self._last:
            raise ValueError(f"frame: {frame} does not come after the last frame placed ({self._last})")
        self._last = int(frame)
        self._frame = self._last + 1
        people = dataclasses.replace(people, image=np.full(len(people), frame, np.int64), camera=self.camera)
        self._past.append((int(frame), people))
        while self._past[0][0] <= frame - self.history:
            self._past.popleft()
        past = ScenePeople.concatenate([p for _, p in self._past], self.camera)
        floor = self._current_floor(past, int(frame), output_skeleton)
        placed = place_on_floor(past, floor) if floor is not None else \
            Placement(past.root_mm.copy(), np.zeros(len(past), np.int64))
        now = np.arange(len(past) - len(people), len(past))
        root, method = _causal_track_depths(past, placed, now, int(frame), self.track_window,
                                            PLACED_BY.index("track" if floor is not None else "smoothed"))
        z0 = people.root_mm[:, 2]
        scale = np.where(np.isfinite(root[:, 2]) & (z0 > 0), root[:, 2] / np.where(z0 > 0, z0, 1.0), 1.0)
        std = SceneResult(root, method, given_floor=self.floor_given, scale=scale).depth_std_mm(people.depth_std_mm)
        return LivePlacement(root, method, scale, std, floor)

    def _current_floor(self, past: ScenePeople, frame: int, out_skeleton) -> Optional[Floor]:
        """The given floor, else the one found from ``past``, found again every second."""
        if self.floor_given:
            if self._resolved_floor is None:
                sk = out_skeleton if out_skeleton is not None else self._output_skeleton()
                self._resolved_floor = as_floor(self._given, sk)
            return self._resolved_floor
        # found again every second, and sooner while the people seen are still few (each time
        # their number has doubled since it was found), so the first seconds do not keep the
        # floor of the first frame
        if self._floor is None or frame - self._fitted >= self.track_window or len(past) >= 2 * self._fit_people:
            self._floor = fit_scene_floor(past) if len(past) else None
            self._fitted, self._fit_people = frame, len(past)
        return self._floor


def _causal_track_depths(past: ScenePeople, placed: Placement, now: np.ndarray, frame: int, window: int,
                         label: int) -> Tuple[np.ndarray, np.ndarray]:
    """The placed roots and methods of the rows ``now`` (this frame's people), each with a
    track moved along their root's ray to the end of a straight line fitted by least squares to
    the track's placed log depths over the ``window`` frames up to ``frame`` (3 frames at
    least: :func:`~hdnet.scene.placement.line_level`; :func:`~hdnet.scene.smooth_tracks` reads the same
    line centred on a frame)."""
    root, method = placed.root_mm[now].copy(), placed.method[now].copy()
    frames = past.image.astype(np.float64)
    log_z = np.log(np.maximum(placed.root_mm[:, 2], 1e-6))
    for k, i in enumerate(now):
        t = past.track[i] if past.track is not None else -1
        if t < 0 or past.known_size[i]:  # no track, or a given height: not moved
            continue
        near = (past.track == t) & (frames >= frame - window)
        level = line_level(frames[near] - frame, log_z[near])
        if level is None:
            continue
        root[k] = placed.root_mm[i] * np.exp(level - log_z[i])
        if method[k] == 0:
            method[k] = label
    return root, method
