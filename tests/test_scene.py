"""Scene reasoning (hdnet.scene) on people made here standing on a known floor in front of a
known camera: the geometry is checked against the construction (the true floor and the true
roots), never against the code's own earlier output."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from hdnet import Camera
from hdnet.apps.cli import main
from hdnet.keypoint import KeypointHDNet
from hdnet.scene import (
    PLACED_BY,
    Floor,
    Placement,
    ScenePeople,
    body_up,
    fit_floor,
    floor_normal,
    place_on_floor,
    reason_scene,
    smooth_tracks,
    support_ankle,
)

from .conftest import shared_path
from .test_real import standing_people

CAMERA = Camera(1400.0, 1400.0, 960.0, 540.0)
L_ANKLE, R_ANKLE, NECK, PELVIS = 13, 10, 1, 14


def _camera_pose(pitch_deg, height_mm):
    """World (Z up, floor Z = 0) to camera (Y down): a camera ``height_mm`` above the floor
    looking ``pitch_deg`` down. Returns (R, t) with ``X_cam = R X_world + t``."""
    p = np.radians(pitch_deg)
    base = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # world axes in a level camera
    tilt = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])  # look down
    rot = tilt @ base
    return rot, -rot @ np.array([0.0, 0.0, height_mm])


def _scene(n_frames=40, per_frame=3, pitch_deg=12.0, height_mm=1600.0, size_error=0.08, seed=0,
           lying=False, pitches=None):
    """People standing on the floor 3-8 m away; the 'model' knows each pose exactly but places
    each person with a random size error of ``size_error`` (log sd), the way a body-size guess
    does. Returns (ScenePeople, true roots, true floor normal, ankle-plane height)."""
    rng = np.random.default_rng(seed)
    n = n_frames * per_frame
    bodies = standing_people(n, seed=seed)
    bodies[..., 2] -= bodies[:, [L_ANKLE, R_ANKLE], 2].min(1)[:, None]  # the lower ankle on the floor
    if lying:  # lying on the floor along X: the body axis horizontal
        bodies = np.stack([bodies[..., 2], bodies[..., 1], bodies[..., 0] * 0 + 100.0], -1)
    rows = []
    for i in range(n):
        frame = i // per_frame
        pitch = pitch_deg if pitches is None else pitches[frame]
        rot, t = _camera_pose(pitch, height_mm)
        pos = np.array([rng.uniform(-2500, 2500), 0.0, 0.0])
        depth_world = rng.uniform(3000, 8000)
        # distance along the camera's horizontal forward axis
        forward = np.array([0.0, 1.0, 0.0])
        world = bodies[i] + pos + forward * depth_world - bodies[i][PELVIS] * np.array([1, 1, 0])
        cam = world @ rot.T + t
        rows.append(cam)
    cam = np.stack(rows)
    kp = CAMERA.project(cam)
    root = cam[:, PELVIS]
    rel = cam - root[:, None]
    guess = np.exp(rng.normal(0.0, size_error, n))
    model_root = root * guess[:, None]  # along the root's ray: the same pixel
    people = ScenePeople(kp[:, [L_ANKLE, R_ANKLE]], np.ones((n, 2)), model_root, rel[:, [L_ANKLE, R_ANKLE]],
                         rel[:, NECK], np.maximum(size_error, 0.02) * model_root[:, 2], CAMERA,
                         image=np.arange(n) // per_frame)  # a new body each time: no tracks
    rot, t = _camera_pose(pitch_deg, height_mm)
    up = rot @ np.array([0.0, 0.0, 1.0])
    ankle_height = -np.median(np.einsum("k,pak->pa", up, cam[:, [L_ANKLE, R_ANKLE]]).min(1))
    return people, root, up, ankle_height


def _sized(people, root, guess):
    """``people`` as a model that guessed each body's size answers them: the true answer scaled
    about the camera by ``guess [P]``, root and pose alike (the same pixels)."""
    return ScenePeople(people.ankles_px, people.ankle_scores, root * guess[:, None],
                       people.ankles_rel_mm * guess[:, None, None], people.neck_rel_mm * guess[:, None],
                       0.1 * guess * root[:, 2], CAMERA, image=people.image)


def test_the_true_floor_places_exact_poses_exactly():
    people, root, up, _ = _scene(n_frames=5, size_error=0.1)
    _, standing = body_up(people)
    assert standing.mean() > 0.5
    # each standing person's own plane through their lower ankle: the ankle's ray meets it there
    for i in np.nonzero(standing)[0]:
        ankles = people.root_mm[i] / people.root_mm[i, 2] * root[i, 2] + people.ankles_rel_mm[i]
        h = -(ankles @ up).min()  # the lower ankle's plane
        placed = place_on_floor(people.subset([i]), Floor(up, h), max_sigma=100.0, blend=1.0)
        np.testing.assert_allclose(placed.root_mm[0], root[i], atol=1e-6)
        assert placed.method[0] == 1


def test_floor_normal_and_height_are_found_from_the_people():
    people, root, up, height = _scene()
    # the standing people's body axes alone (people lean as they walk: about a degree)
    normal, info = floor_normal(people, search_deg=0)
    assert info["people"] == body_up(people)[1].sum() > 0.5 * len(people)
    assert np.degrees(np.arccos(normal @ up)) < 1.5
    # where the model's depths are exact, only the true floor makes everyone's heights agree:
    # the refinement finds it from the body axes' start
    exact, root, up, height = _scene(size_error=0.0)
    normal, info = floor_normal(exact, search_deg=2.0)
    assert np.degrees(np.arccos(normal @ up)) < 0.3 < info["tilt_deg"]
    floor = fit_floor(exact, normal)
    assert abs(floor.height_mm / height - 1) < 0.01
    assert abs(floor.pitch_deg - 12.0) < 0.3 and abs(floor.roll_deg) < 0.3


def test_floor_normal_by_track_is_not_misled_by_people_of_different_sizes():
    """Three tracks whose bodies the model sizes 10 % small, right and 10 % large (depths exact
    up to that): their ankles' heights under the camera disagree by track, which the pooled
    refinement reads as tilt; centred on each track's own median they agree only on the true
    floor."""
    people, root, up, _ = _scene(size_error=0.0)
    track = np.arange(len(people)) % 3
    sized = dataclasses.replace(_sized(people, root, np.array([0.9, 1.0, 1.1])[track]), track=track)

    def error(**kwargs):
        return np.degrees(np.arccos(np.clip(floor_normal(sized, search_deg=2.0, **kwargs)[0] @ up, -1, 1)))
    assert error(by_track=True) < 0.25 < error()
    # a track of fewer than min_track standing people is pooled with the rest
    assert error(by_track=True, min_track=10 ** 6) == pytest.approx(error())


@pytest.mark.parametrize("mode,gain", [("image", 0.9), ("sequence", 0.25)])
def test_sharing_a_floor_removes_size_errors(mode, gain):
    """Each person's depth is off by their size (8 %); a floor from 4 people (image) or 160
    (sequence) places the standing ones from their feet instead."""
    people, root, _, _ = _scene(per_frame=4)
    result = reason_scene(people, mode, blend=1.0)
    placed = result.method > 0
    before = np.linalg.norm(people.root_mm - root, axis=1)[placed].mean()
    after = np.linalg.norm(result.root_mm - root, axis=1)[placed].mean()
    assert placed.mean() > 0.5 and not result.moving_camera
    assert after < gain * before, (before, after)
    np.testing.assert_array_equal(result.root_mm[~placed], people.root_mm[~placed])


def test_people_of_known_size_stay_and_the_rest_use_the_floor():
    """Half the people have a given height (their answers are exact here): the scene leaves them
    where they are, and still places the others from the floor."""
    people, root, _, _ = _scene(per_frame=4)
    known = np.arange(len(people)) % 2 == 0
    exact_root = people.root_mm.copy()
    exact_root[known] = root[known]
    mixed = ScenePeople(people.ankles_px, people.ankle_scores, exact_root, people.ankles_rel_mm, people.neck_rel_mm,
                        people.depth_std_mm, CAMERA, people.image, None, known)
    result = reason_scene(mixed, "sequence", blend=1.0)
    np.testing.assert_array_equal(result.root_mm[known], root[known])
    assert (result.method[known] == 0).all() and (result.method[~known] > 0).mean() > 0.5
    others = ~known & (result.method > 0)
    assert (np.linalg.norm(result.root_mm - root, axis=1)[others].mean()
            < 0.5 * np.linalg.norm(exact_root - root, axis=1)[others].mean())
    with pytest.raises(ValueError, match="known_size: expected"):
        ScenePeople(people.ankles_px, people.ankle_scores, people.root_mm, people.ankles_rel_mm, people.neck_rel_mm,
                    people.depth_std_mm, CAMERA, known_size=np.ones(len(people)))


def test_one_person_of_known_size_anchors_the_floor():
    """Everyone but one is placed 10 % too near (a shared size bias: tall people), which a floor
    found from them carries too; one person of known size (exact here) gives the floor its true
    height, and the others, placed on it by default in full, lose the bias."""
    exact, root, up, height = _scene(n_frames=20, per_frame=3, size_error=0.0)
    people = _sized(exact, root, np.full(len(root), 0.9))
    biased = reason_scene(people, "sequence")
    assert fit_floor(people, up).known_people == 0
    assert abs(fit_floor(people, up).height_mm / height - 0.9) < 0.02  # the floor carries the bias
    known = (np.arange(len(root)) % 3 == 0) & body_up(people)[1]
    anchor = ScenePeople(people.ankles_px, people.ankle_scores, np.where(known[:, None], root, people.root_mm),
                         np.where(known[:, None, None], exact.ankles_rel_mm, people.ankles_rel_mm),
                         np.where(known[:, None], exact.neck_rel_mm, people.neck_rel_mm), people.depth_std_mm,
                         CAMERA, image=people.image, known_size=known)
    floor = fit_floor(anchor, up)
    assert floor.known_people == known.sum() > 3 and abs(floor.height_mm / height - 1) < 0.01
    anchored = reason_scene(anchor, "sequence")
    placed = ~known & (anchored.method > 0)
    assert placed.mean() > 0.3
    before = np.linalg.norm(biased.root_mm - root, axis=1)[placed].mean()
    after = np.linalg.norm(anchored.root_mm - root, axis=1)[placed].mean()
    assert after < 0.3 * before, (before, after)
    np.testing.assert_array_equal(anchored.root_mm[known], root[known])  # the known stay


def test_tracks_are_smoothed_along_the_walk():
    """One person walking straight away from the camera, 30 frames a second at 1.2 m/s, their
    depth off by 5 % noise per frame: the track's straight-line fits take most noise out."""
    rng = np.random.default_rng(3)
    frames = np.arange(120)
    truth = np.stack([np.full(120, 300.0), np.full(120, 200.0), 3000.0 + 40.0 * frames], 1)
    noisy = truth * np.exp(rng.normal(0.0, 0.05, 120))[:, None]
    people = ScenePeople(np.zeros((120, 2, 2)), np.ones((120, 2)), noisy, np.zeros((120, 2, 3)), np.zeros((120, 3)),
                         np.full(120, 300.0), CAMERA, image=frames, track=np.zeros(120))
    smoothed = smooth_tracks(people, Placement(noisy, np.zeros(120, np.int64)), window=30)
    before = np.abs(noisy[:, 2] - truth[:, 2]).mean()
    after = np.abs(smoothed.root_mm[:, 2] - truth[:, 2]).mean()
    assert after < 0.4 * before and (smoothed.method == 2).all()
    # each root stays on its own ray (the same pixel)
    np.testing.assert_allclose(smoothed.root_mm[:, :2] / smoothed.root_mm[:, 2:], noisy[:, :2] / noisy[:, 2:])
    # no track: nothing moves
    untracked = ScenePeople(people.ankles_px, people.ankle_scores, noisy, people.ankles_rel_mm, people.neck_rel_mm,
                            people.depth_std_mm, CAMERA, image=frames)
    np.testing.assert_array_equal(smooth_tracks(untracked, Placement(noisy, np.zeros(120, np.int64))).root_mm, noisy)
    with pytest.raises(ValueError, match="window"):
        smooth_tracks(people, Placement(noisy, np.zeros(120, np.int64)), window=0)


def test_the_ray_above_the_horizon_meets_no_floor():
    floor = Floor(np.array([0.0, -1.0, 0.0]), 1500.0)
    hit = floor.depth_along(np.array([[0.0, 0.2, 1.0], [0.0, -0.1, 1.0], [0.0, 0.0, 1.0]]))
    np.testing.assert_allclose(hit[0], [0.0, 1500.0, 7500.0])
    assert np.isnan(hit[1:]).all()


def test_a_given_floor_is_the_cameras_pose_over_the_ground():
    """Floor.from_camera and Floor.from_extrinsics against the camera built independently
    (:func:`_camera_pose`), and a ground point found again along its ray."""
    rot, t = _camera_pose(12.0, 1600.0)
    up = rot @ np.array([0.0, 0.0, 1.0])
    for floor in (Floor.from_camera(1600.0, 12.0, ankle_height_mm=0.0),
                  Floor.from_extrinsics(rot, -rot.T @ t, ankle_height_mm=0.0)):
        np.testing.assert_allclose(floor.normal, up, atol=1e-12)
        assert floor.height_mm == pytest.approx(1600.0)
        ground = np.array([700.0, 5000.0, 0.0]) @ rot.T + t  # a point on the ground, 5 m ahead
        np.testing.assert_allclose(floor.depth_along(ground), ground, atol=1e-9)
    # the ankles stand above the ground: their plane is that much nearer the camera
    assert Floor.from_camera(1600.0, 12.0, ankle_height_mm=100.0).height_mm == pytest.approx(1500.0)
    # a rolled camera: the rotation about its own optical axis, applied after the tilt
    r = np.radians(7.0)
    roll = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1.0]])
    rolled = Floor.from_camera(1600.0, 12.0, -7.0, ankle_height_mm=0.0)
    np.testing.assert_allclose(rolled.normal, roll.T @ up, atol=1e-12)
    assert rolled.pitch_deg == pytest.approx(12.0) and rolled.roll_deg == pytest.approx(-7.0)
    # Human3.6M's convention (X_cam = R^T (X - T)) is the transposed rotation
    np.testing.assert_allclose(Floor.from_extrinsics(rot, [0.0, 0.0, 1600.0], ankle_height_mm=0.0).normal, up)


def test_ankle_heights_are_known_for_the_models_joint_sets():
    from hdnet.graphs import get_skeleton
    from hdnet.scene import FLOOR_ANKLE_MM, ankle_height_for
    assert ankle_height_for("mupots_17") == ankle_height_for(get_skeleton("mpi_inf_3dhp_17")) == 101.0
    assert ankle_height_for("h36m_17") == FLOOR_ANKLE_MM["h36m_17"] == 77.0
    with pytest.raises(ValueError, match="coco_17"):
        ankle_height_for("coco_17")


@pytest.mark.parametrize("call,match", [
    (lambda: Floor.from_camera(1600.0, 90.0), "pitch_deg"),
    (lambda: Floor.from_camera(1600.0, 10.0, -95.0), "roll_deg"),
    (lambda: Floor.from_camera(80.0, 10.0), "height_mm"),
    (lambda: Floor.from_camera(float("nan"), 10.0), "height_mm"),
    (lambda: Floor.from_camera("1600", 10.0), "height_mm"),
    (lambda: Floor.from_camera(1600.0, 10.0, ankle_height_mm=-5.0), "height_mm"),
    (lambda: Floor.from_extrinsics(2 * np.eye(3), [0, 0, 1600.0]), "rotation"),
    (lambda: Floor.from_extrinsics(np.diag([1.0, 1.0, -1.0]), [0, 0, 1600.0]), "rotation"),
    (lambda: Floor.from_extrinsics(np.eye(3), [0, 1600.0]), "centre_mm"),
    (lambda: Floor.from_extrinsics(np.eye(3), [0, 0, 1600.0], up=(0, 0, 2.0)), "up"),
    (lambda: Floor.from_extrinsics(np.eye(3), [0, 0, 50.0]), "centre_mm"),
])
def test_a_given_floor_refuses_bad_numbers(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_a_given_floor_places_one_person_alone_with_their_size():
    """A model that guesses each body's size (the whole answer scaled about the camera: root and
    pose) is set right by the true floor, one person at a time, joints included; the scaled
    pose still projects onto the same pixels."""
    people, root, up, height = _scene(n_frames=12, per_frame=1, size_error=0.0)
    guess = np.where(np.arange(12) % 2 == 0, 0.9, 1.1)  # bodies 10 % too small or too large
    rel_true = np.concatenate([people.ankles_rel_mm, people.neck_rel_mm[:, None]], 1)  # [P, 3, 3]
    consistent = _sized(people, root, guess)
    model_rel = rel_true * guess[:, None, None]
    assert reason_scene(consistent, "image").floor_used == 0.0  # alone: no floor to find
    floor = Floor(up, height)
    result = reason_scene(consistent, "image", floor=floor)
    placed = result.method == 1
    np.testing.assert_array_equal(placed, body_up(consistent)[1])  # every standing person
    assert placed.sum() >= 4 and result.floors[-1] is floor
    # the lower ankle's ray meets the floor where it truly is; the root is that point less the
    # model's root-to-ankle offset, whose depth is the guessed size's: off by (guess - 1) a_z
    k = support_ankle(consistent, up)[placed]
    a_z = people.ankles_rel_mm[placed][np.arange(placed.sum()), k, 2]
    assert np.abs(consistent.root_mm[placed, 2] - root[placed, 2]).mean() > 250.0
    np.testing.assert_allclose(result.root_mm[placed, 2] - root[placed, 2], -(guess[placed] - 1) * a_z, atol=1e-6)
    np.testing.assert_allclose(result.scale[~placed], 1.0)
    np.testing.assert_allclose(result.scale, result.root_mm[:, 2] / consistent.root_mm[:, 2])
    pose = result.scaled_pose(model_rel)
    size_after = np.linalg.norm(pose[placed] - rel_true[placed], axis=-1).mean()
    assert size_after < 0.1 * np.linalg.norm(model_rel[placed] - rel_true[placed], axis=-1).mean()
    # scaled about the camera: every joint keeps its pixel
    np.testing.assert_allclose(CAMERA.project(result.root_mm[:, None] + pose),
                               CAMERA.project(consistent.root_mm[:, None] + model_rel), atol=1e-6)
    with pytest.raises(ValueError, match="joints_rel_mm"):
        result.scaled_pose(model_rel[:3])
    # their uncertainty is the floor's; the others keep the model's; a found floor keeps the model's
    from hdnet.scene import GIVEN_FLOOR_DEPTH_STD
    std = result.depth_std_mm(consistent.depth_std_mm)
    np.testing.assert_allclose(std[placed], GIVEN_FLOOR_DEPTH_STD * result.root_mm[placed, 2])
    np.testing.assert_allclose(std[~placed], consistent.depth_std_mm[~placed])
    found = reason_scene(_sized(_scene(n_frames=5, per_frame=4)[0], _scene(n_frames=5, per_frame=4)[1],
                                np.ones(20)), "image")
    assert not found.given_floor
    with pytest.raises(ValueError, match="model_std_mm"):
        result.depth_std_mm(consistent.depth_std_mm[:3])
    with pytest.raises(ValueError, match="floor"):
        reason_scene(consistent, "none", floor=Floor(up, height))
    with pytest.raises(TypeError, match="floor"):
        reason_scene(consistent, "image", floor=(1600.0, 12.0))


def test_a_person_off_the_floor_keeps_the_models_answer():
    people, root, up, _ = _scene(n_frames=1, per_frame=1, size_error=0.0)
    people.depth_std_mm[:] = 100.0
    feet = -(people.root_mm[0] + people.ankles_rel_mm[0]) @ up
    assert place_on_floor(people, Floor(up, feet.max())).method[0] == 1  # standing on it
    # jumping 40 cm above the floor: the feet's rays meet it metres behind the person
    assert place_on_floor(people, Floor(up, feet.max() + 400.0)).method[0] == 0


def test_a_moving_camera_falls_back_to_image_by_image():
    for second_half in (30.0, 22.0):  # the camera tilts down by 18, or by 10 degrees, half-way
        pitches = np.r_[np.full(20, 12.0), np.full(20, second_half)]
        people, root, _, _ = _scene(n_frames=40, per_frame=3, pitches=pitches)
        result = reason_scene(people, "sequence")
        assert result.moving_camera
        assert -1 not in result.floors and len(result.floors) == 40
    static = reason_scene(_scene(n_frames=40, per_frame=3)[0], "sequence")
    assert not static.moving_camera and -1 in static.floors


def test_people_who_bend_for_a_while_are_not_a_moving_camera():
    """A run of frames whose people lean 40 degrees about their feet (sitting, bending: body
    axes far from the others', feet still on the floor) keeps one floor for the sequence."""
    people, *_ = _scene(n_frames=40, per_frame=3)
    first = people.image < 7
    mid = people.ankles_rel_mm[first].mean(1)
    a = np.radians(40.0)
    lean = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    people.neck_rel_mm[first] = mid + (people.neck_rel_mm[first] - mid) @ lean.T
    result = reason_scene(people, "sequence")
    assert not result.moving_camera and -1 in result.floors


def test_people_lying_down_give_no_floor():
    people, *_ = _scene(n_frames=5, lying=True)
    normal, info = floor_normal(people)
    assert normal is None and info["reason"]
    result = reason_scene(people, "sequence")
    assert result.floor_used == 0.0
    np.testing.assert_array_equal(result.root_mm, people.root_mm)


def test_a_track_without_a_floor_still_has_its_depth_smoothed():
    """Nobody stands (one person lying still for 40 frames), so there is no floor; the model's
    frame-to-frame depth noise is still averaged over the person's track, along their ray."""
    one, root, *_ = _scene(n_frames=1, per_frame=1, lying=True, size_error=0.0)
    n = 40
    noise = np.exp(np.random.default_rng(7).normal(0.0, 0.05, n))
    people = ScenePeople(np.repeat(one.ankles_px, n, 0), np.ones((n, 2)), root * noise[:, None],
                         np.repeat(one.ankles_rel_mm, n, 0) * noise[:, None, None],
                         np.repeat(one.neck_rel_mm, n, 0) * noise[:, None], 0.05 * root[:, 2] * noise, CAMERA,
                         image=np.arange(n), track=np.zeros(n, np.int64))
    result = reason_scene(people, "sequence")
    assert result.floors[-1] is None and result.floor_used == 0.0  # no floor placed anyone
    assert (result.method == PLACED_BY.index("smoothed")).all()
    before = np.abs(np.log(people.root_mm[:, 2] / root[0, 2])).mean()
    after = np.abs(np.log(result.root_mm[:, 2] / root[0, 2])).mean()
    assert after < 0.6 * before  # a straight line over 61 frames (40 here) averages the noise
    # along each person's own ray: the root stays on its pixel
    np.testing.assert_allclose(CAMERA.project(result.root_mm), CAMERA.project(people.root_mm), atol=1e-6)
    # without the track, nothing is smoothed
    alone = reason_scene(dataclasses.replace(people, track=None), "sequence")
    np.testing.assert_array_equal(alone.root_mm, people.root_mm)
    assert (alone.method == 0).all()


def _unchanged(people, floor=None):
    for mode in ("image", "sequence"):
        result = reason_scene(people, mode, floor=floor)
        assert result.floor_used == 0.0 and (result.scale == 1.0).all()
        np.testing.assert_array_equal(result.root_mm, people.root_mm)


def test_nobody_one_person_no_feet_and_nan_keypoints():
    people, *_ = _scene(n_frames=2, per_frame=3)
    _unchanged(people.subset(np.zeros(len(people), bool)))      # nobody
    _unchanged(people.subset([0]))                               # one person alone
    no_feet = people.subset(np.arange(len(people)))
    no_feet.ankle_scores[:] = 0.0
    _unchanged(no_feet)
    nan_kp = people.subset(np.arange(len(people)))
    nan_kp.ankles_px[:] = np.nan
    nan_people = ScenePeople(nan_kp.ankles_px, np.ones((len(people), 2)), nan_kp.root_mm, nan_kp.ankles_rel_mm,
                             nan_kp.neck_rel_mm, nan_kp.depth_std_mm, CAMERA)
    _unchanged(nan_people)
    # on a given floor too: nobody, no feet, NaN keypoints keep the model's answers
    given = Floor.from_camera(1600.0, 12.0, ankle_height_mm=0.0)
    for case in (people.subset(np.zeros(len(people), bool)), no_feet, nan_people):
        _unchanged(case, given)


def test_bad_arguments_are_named():
    people, *_ = _scene(n_frames=1)
    with pytest.raises(ValueError, match="mode"):
        reason_scene(people, "world")
    with pytest.raises(ValueError, match="blend"):
        place_on_floor(people, Floor(np.array([0.0, -1.0, 0.0]), 1500.0), blend=2.0)
    with pytest.raises(ValueError, match="ankles_px"):
        ScenePeople(np.zeros((2, 3, 2)), np.ones((2, 2)), np.zeros((2, 3)), np.zeros((2, 2, 3)), np.zeros((2, 3)),
                    np.ones(2), CAMERA)
    with pytest.raises(ValueError, match="ankle_scores"):
        ScenePeople(np.zeros((1, 2, 2)), np.full((1, 2), 2.0), np.zeros((1, 3)), np.zeros((1, 2, 3)),
                    np.zeros((1, 3)), np.ones(1), CAMERA)
    with pytest.raises(TypeError, match="camera"):
        ScenePeople(np.zeros((1, 2, 2)), np.ones((1, 2)), np.zeros((1, 3)), np.zeros((1, 2, 3)), np.zeros((1, 3)),
                    np.ones(1), "camera")


# ----------------------------------------------------------------------------------- CLI
@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    return str(KeypointHDNet(("mupots_17", "coco_17"), channels=8, width=16, blocks=0).save(tmp_path / "kp.pt"))


def test_eval_scene_modes_write_their_keys(tmp_path, checkpoint, capsys):
    from .test_mupots_files import _folder
    d = _folder(tmp_path, "mupots")
    for mode in ("none", "image", "sequence", "live"):
        out = tmp_path / f"{mode}.json"
        assert main(["eval", "--dataset", "mupots-3d", "--annotations", str(d), "--checkpoint", checkpoint,
                     "--scene", mode, "--out", str(out)]) == 0
        r = json.loads(out.read_text())
        assert r["scene"] == mode and 0.0 <= r["hdnet"]["floor_used"] <= 1.0
        assert "floor_used" in r["per_sequence"]["TS1"]["hdnet"]
        if mode == "none":
            assert r["hdnet"]["floor_used"] == 0.0


def test_scene_is_refused_where_it_does_not_apply(tmp_path, checkpoint, capsys):
    assert main(["eval", "--dataset", "mupots", "--annotations", "x.json", "--images", str(tmp_path),
                 "--scene", "image"]) == 2
    assert "--scene" in capsys.readouterr().err
    (tmp_path / "poses.h5").write_bytes(b"")
    assert main(["eval", "--dataset", "h36m", "--annotations", str(tmp_path / "poses.h5"), "--scene", "live",
                 "--out", str(tmp_path / "h.json")]) == 2
    assert "--scene live: MuPoTS-3D only" in capsys.readouterr().err
    # a calibrated floor: Human3.6M's motion capture only (MuPoTS-3D ships no camera pose), with a scene
    from .test_mupots_files import _folder
    d = _folder(tmp_path, "mupots")
    for args, name in ((["--dataset", "mupots-3d", "--annotations", str(d), "--scene", "image", "--floor", "calibrated"],
                        "--floor"),
                       (["--dataset", "h36m", "--annotations", str(tmp_path / "none.h5"), "--floor", "calibrated"],
                        "--floor"),
                       (["--dataset", "mupots", "--annotations", "x.json", "--images", str(tmp_path), "--floor",
                         "calibrated"], "--floor")):
        capsys.readouterr()
        assert main(["eval", "--checkpoint", checkpoint, "--out", str(tmp_path / "r.json"), *args]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and name in err[0], err


def test_predict_keypoints_with_a_scene(tmp_path, checkpoint):
    kp = {}
    bodies = standing_people(9, seed=1)
    for f in range(3):
        rot, t = _camera_pose(12.0, 1600.0)
        cams = [(bodies[3 * f + k] + [1500.0 * (k - 1), 4000.0 + 700 * k, 0.0]) @ rot.T + t for k in range(3)]
        pts = CAMERA.project(np.stack(cams))
        kp[f"frame{f}.jpg"] = np.concatenate([pts, np.ones(pts.shape[:2] + (1,))], -1).tolist()
    (tmp_path / "kp.json").write_text(json.dumps(kp))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    for mode in ("image", "sequence"):
        out = tmp_path / mode
        assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "mupots_17",
                     "--camera", str(tmp_path / "cam.json"), "--checkpoint", checkpoint, "--scene", mode,
                     "--out", str(out)]) == 0
        records = json.loads((out / "people.json").read_text())
        assert len(records) == 9 and {r["placed_by"] for r in records} <= set(PLACED_BY)
        for r in records:
            joints, root = np.array(r["joints_cam"]), np.array(r["root_cam"])
            np.testing.assert_allclose(joints[PELVIS], root, atol=1e-6)


def test_predict_keypoints_on_a_given_floor(tmp_path, checkpoint, capsys):
    """--floor H,PITCH: one person alone is placed on it (the scene's image mode by default),
    their joints kept on their keypoints; bad numbers exit 2 with one error line."""
    rot, t = _camera_pose(12.0, 1600.0)
    body = standing_people(1, seed=2)[0]
    body[:, 2] -= body[[L_ANKLE, R_ANKLE], 2].min() - 101.0  # the model's ankles stand 101 mm up
    cam = (body - body[PELVIS] * [1, 1, 0] + [300.0, 5000.0, 0.0]) @ rot.T + t
    pts = CAMERA.project(cam[None])
    (tmp_path / "kp.json").write_text(json.dumps({"a.jpg": np.concatenate([pts, np.ones((1, 17, 1))], -1).tolist()}))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    args = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "mupots_17",
            "--camera", str(tmp_path / "cam.json"), "--checkpoint", checkpoint]
    assert main(args + ["--out", str(tmp_path / "none")]) == 0
    assert main(args + ["--floor", "1600,12", "--out", str(tmp_path / "floor")]) == 0
    alone = json.loads((tmp_path / "none" / "people.json").read_text())[0]
    placed = json.loads((tmp_path / "floor" / "people.json").read_text())[0]
    # an untrained model: wherever it put the person, the floor was not within its uncertainty,
    # or it placed them; both keep every joint on its own pixel
    assert placed["placed_by"] in ("model", "floor")
    np.testing.assert_allclose(CAMERA.project(np.array(placed["joints_cam"])),
                               CAMERA.project(np.array(alone["joints_cam"])), atol=1e-3)
    if placed["placed_by"] == "floor":
        assert abs(placed["root_cam"][2] - cam[PELVIS, 2]) < 0.05 * cam[PELVIS, 2]
    for bad, why in (("1600", "HEIGHT_MM,PITCH_DEG"), ("1600,x", "numbers"), ("50,12", "above the people's ankles"),
                     ("1600,95", "pitch_deg")):
        capsys.readouterr()
        assert main(args + ["--floor", bad, "--out", str(tmp_path / "bad")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--floor" in err[0] and why in err[0], err
    assert main(args + ["--floor", "1600,12", "--scene", "none", "--out", str(tmp_path / "bad2")]) == 2


def test_predict_says_the_floor_it_placed_people_on(tmp_path, capsys):
    """Each record of ``--scene image|sequence`` says its floor as ``--floor`` takes it: found
    from the people (the shipped model; exact keypoints of standing people seen from 1.6 m, 12
    degrees down), within a few per cent and degrees of the construction's; given, the numbers
    given. The screen says it once, ``read_people`` and ``hdnet info`` read it back; without a
    scene the records hold no floor."""
    from hdnet.keypoint import read_people
    rot, t = _camera_pose(12.0, 1600.0)
    bodies = standing_people(30, seed=5)
    bodies[..., 2] -= bodies[:, [L_ANKLE, R_ANKLE], 2].min(1)[:, None] - 101.0  # the lower ankle 101 mm up
    rng = np.random.default_rng(5)
    kp = {}
    for f in range(10):
        world = [bodies[3 * f + k] - bodies[3 * f + k][PELVIS] * [1, 1, 0]
                 + [rng.uniform(-2000, 2000), rng.uniform(3500, 7500), 0.0] for k in range(3)]
        pts = CAMERA.project(np.stack(world) @ rot.T + t)
        kp[f"f{f}.jpg"] = np.concatenate([pts, np.ones((3, 17, 1))], -1).tolist()
    (tmp_path / "kp.json").write_text(json.dumps(kp))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    args = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "mupots_17",
            "--camera", str(tmp_path / "cam.json"), "--pictures", "0"]
    capsys.readouterr()
    assert main(args + ["--scene", "sequence", "--out", str(tmp_path / "seq")]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("floor")]
    records = json.loads((tmp_path / "seq" / "people.json").read_text())
    floors = {json.dumps(r["floor"], sort_keys=True) for r in records}
    assert len(floors) == 1
    floor = records[0]["floor"]
    assert floor["source"] == "found" and 15 <= floor["people"] <= 30  # those the model sees standing
    assert len(said) == 1 and said[0].startswith(f"floor (found from {floor['people']} standing people): the camera 1.")
    assert abs(floor["camera_height_mm"] / 1600.0 - 1) < 0.08 and abs(floor["pitch_deg"] - 12.0) < 2.0
    assert abs(floor["roll_deg"]) < 3.0
    read = read_people(tmp_path / "seq" / "people.json")
    np.testing.assert_array_equal(read.floor[7], [floor["camera_height_mm"], floor["pitch_deg"], floor["roll_deg"]])
    assert read.summary()["floors"] == 1 and read.summary()["people_with_a_floor"] == len(records) == 30
    assert main(["info", str(tmp_path / "seq" / "people.json")]) == 0
    assert "  floor: the camera 1." in capsys.readouterr().out
    assert main(args + ["--floor", "1600,12,1.5", "--scene", "sequence", "--out", str(tmp_path / "given")]) == 0
    assert "floor (given): the camera 1.60 m above the ground, looking 12.0 degrees down, rolled 1.5 degrees" in \
        capsys.readouterr().out
    given = json.loads((tmp_path / "given" / "people.json").read_text())
    assert {json.dumps(r["floor"], sort_keys=True) for r in given} == {json.dumps(
        {"camera_height_mm": 1600.0, "pitch_deg": 12.0, "roll_deg": 1.5, "source": "given", "people": 0},
        sort_keys=True)}
    assert main(args + ["--scene", "image", "--out", str(tmp_path / "image")]) == 0
    image = json.loads((tmp_path / "image" / "people.json").read_text())
    assert len({r["image_id"] for r in image if r["floor"] is not None}) >= 5  # three people an image: most find one
    assert "floors found in " in capsys.readouterr().out
    assert main(args + ["--out", str(tmp_path / "none")]) == 0
    none = json.loads((tmp_path / "none" / "people.json").read_text())
    assert all("floor" not in r for r in none)
    assert np.isnan(read_people(tmp_path / "none" / "people.json").floor).all()


def _walkers(frames=40):
    """Two people walking across a floor seen by ``CAMERA`` from 1.6 m, 12 degrees down: COCO
    results with PoseTrack's ``track_id``."""
    from hdnet.graphs import convert_joints
    rot, t = _camera_pose(12.0, 1600.0)
    bodies = standing_people(2, seed=4)
    bodies[..., 2] -= bodies[:, [L_ANKLE, R_ANKLE], 2].min(1)[:, None]
    results = []
    for f in range(frames):
        for k in range(2):
            world = bodies[k] - bodies[k][PELVIS] * [1, 1, 0] + [-1500.0 + 1000 * k + 20.0 * f, 4000.0 + 60.0 * f, 0.0]
            coco, found = convert_joints(CAMERA.project(world @ rot.T + t)[None], "mupots_17", "coco_17")
            kp = np.concatenate([coco[0], found[:, None].astype(float)], 1)
            kp[~found] = 0.0
            results.append({"image_id": f"frame{f:03d}.jpg", "category_id": 1, "keypoints": kp.ravel().tolist(),
                            "track_id": k})
    return results


def test_predict_sequence_with_track_ids(tmp_path, checkpoint, capsys):
    (tmp_path / "kp.json").write_text(json.dumps(_walkers()))
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    args = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
            str(tmp_path / "cam.json"), "--checkpoint", checkpoint, "--scene", "sequence"]
    assert main(args + ["--out", str(tmp_path / "out")]) == 0
    records = json.loads((tmp_path / "out" / "people.json").read_text())
    assert len(records) == 80 and [r["track_id"] for r in records[:4]] == [0, 1, 0, 1]
    bad = _walkers(3)
    bad[1]["track_id"] = "b"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    args[2] = str(tmp_path / "bad.json")
    capsys.readouterr()
    assert main(args + ["--out", str(tmp_path / "out2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "entry 1: track_id" in err[0]
    # a tool that writes one id for everyone: two bodies of one frame would be smoothed into one
    same = [{**r, "track_id": 0} for r in _walkers(3)]
    (tmp_path / "same.json").write_text(json.dumps(same))
    args[2] = str(tmp_path / "same.json")
    assert main(args + ["--out", str(tmp_path / "out3")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 people of 'frame000.jpg' have track id 0" in err[0] and "--tracks linked" in err[0]
    assert main(args + ["--tracks", "linked", "--out", str(tmp_path / "out4")]) == 0
    linked = json.loads((tmp_path / "out4" / "people.json").read_text())
    assert [r["track_id"] for r in linked] == [0, 1] * 3 and {r["track_source"] for r in linked} == {"linked"}
    assert main(args[:-2] + ["--out", str(tmp_path / "out5")]) == 0  # no scene: the ids are only copied


def test_alphaposes_tracker_ids_are_the_tracks(tmp_path, checkpoint):
    """AlphaPose's ``alphapose-results.json`` (COCO results with its ``idx`` on every person, as
    ``alphapose/utils/pPose_nms.py`` writes it): where its tracker ran, ``idx`` (a number, or
    lists of them of which AlphaPose draws the smallest) are the tracks; without a tracker it
    writes 0 for everyone (its trackers count from 1), which is no tracks."""
    from hdnet.data.keypoint_files import parse_person_scores, parse_track_ids
    walkers = _walkers(4)
    forms = ([7.0], 3, [[9.0], [12.0]], [2.0])  # person 0 ids 7, 3 / person 1 ids 9, 2 over frames
    tracked = [{k: v for k, v in r.items() if k != "track_id"} | {"score": 2.7, "idx": forms[i % 4]}
               for i, r in enumerate(walkers)]
    got = parse_track_ids(tracked)
    assert {key: v.tolist() for key, v in got.items()} == {f"frame{f:03d}.jpg": [7, 3] if f % 2 == 0 else [9, 2]
                                                          for f in range(4)}
    untracked = [r | {"idx": [0.0]} for r in tracked]
    assert parse_track_ids(untracked) is None
    for bad in (-1, 1.5, True, "a", [], None, 2 ** 70, 1e300):
        assert parse_track_ids([r | {"idx": bad if i == 2 else r["idx"]} for i, r in enumerate(tracked)]) is None
    assert parse_track_ids([{k: v for k, v in r.items() if k != "idx"} for r in tracked]) is None
    assert parse_track_ids([r | {"track_id": 4 + i % 2} for i, r in enumerate(tracked)])["frame000.jpg"].tolist() \
        == [4, 5]  # PoseTrack's field first
    for field, value, says in (("track_id", 2 ** 70, "track_id must be a whole number from 0 to 2"),
                               ("score", 10 ** 400, "score must be a finite number")):
        with pytest.raises(ValueError, match=says):  # not numpy's OverflowError
            (parse_track_ids if field == "track_id" else parse_person_scores)(
                [r | {field: value} for r in tracked])
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    args = ["predict", "--keypoint-format", "coco_17", "--camera", str(tmp_path / "cam.json"), "--checkpoint",
            checkpoint, "--scene", "sequence", "--pictures", "0"]
    for name, results, source, ids in (("tracked", tracked, "given", [7, 3, 9, 2] * 2),
                                       ("untracked", untracked, "linked", [0, 1] * 4)):
        (tmp_path / f"{name}.json").write_text(json.dumps(results))
        assert main(args + ["--keypoints", str(tmp_path / f"{name}.json"), "--out", str(tmp_path / name)]) == 0
        records = json.loads((tmp_path / name / "people.json").read_text())
        assert [r["track_id"] for r in records] == ids and {r["track_source"] for r in records} == {source}
        assert {r["detector_score"] for r in records} == {2.7}


def test_a_sequence_out_of_its_names_order_is_warned_of(tmp_path, checkpoint, capsys):
    """A sequence is the file's images in order; a file whose frames are not in the order of their
    names' numbers (sorted by score, say) would be smoothed as a jumbled video: one warning."""
    walkers = _walkers(4)
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    (tmp_path / "jumbled.json").write_text(json.dumps(walkers[2:4] + walkers[:2] + walkers[4:]))
    (tmp_path / "ordered.json").write_text(json.dumps(walkers))
    args = ["predict", "--keypoint-format", "coco_17", "--camera", str(tmp_path / "cam.json"), "--checkpoint",
            checkpoint, "--pictures", "0", "--keypoints"]
    capsys.readouterr()
    assert main(args + [str(tmp_path / "jumbled.json"), "--scene", "sequence", "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "not in the order of their names' numbers ('frame001.jpg' comes where 'frame000.jpg' would)" in err
    for name, scene in (("ordered.json", "sequence"), ("jumbled.json", "image")):
        assert main(args + [str(tmp_path / name), "--scene", scene, "--out", str(tmp_path / name[:-5])]) == 0
        assert "names' numbers" not in capsys.readouterr().err


def test_one_track_id_twice_in_one_image_is_refused():
    """Two people of one image cannot be one body: ``predict_scene`` refuses it (before, their
    depths were smoothed into one); -1 (no track) may repeat, and an id may repeat across images."""
    model = KeypointHDNet.pretrained()
    kp = CAMERA.project(_people_on_a_floor(4, seed=6))
    image = np.array([0, 0, 1, 1])
    with pytest.raises(ValueError, match="track: 2 people of image 0 have track id 5"):
        model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image, track=[5, 5, 5, 6])
    with pytest.raises(ValueError, match="track: expected whole track ids"):
        model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image, track=[0, 1.5, 0, 1])
    with pytest.raises(TypeError, match="track: expected track ids, got <U1"):
        model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image, track=["a", "b", "a", "b"])
    untracked, _ = model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image, track=[-1] * 4)
    none, _ = model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image)
    torch.testing.assert_close(untracked.root_mm, none.root_mm)  # -1: no track, as none given
    model.predict_scene(kp, CAMERA, "sequence", format="mupots_17", image=image, track=[5, 6, 5, 6])


def test_the_human36m_development_scenes_stand_on_the_real_floor():
    """scripts/scene_dev_h36m.py (how the scene's settings were chosen): each scene's people keep
    their feet on Human3.6M's floor (world z = 0) after their sizes are drawn, differ in size, and
    are seen by the subject's real camera."""
    import importlib.util

    from hdnet.data.mocap import read_h36m_mocap
    path = shared_path("realdata", "h36m_poses.h5")
    spec = importlib.util.spec_from_file_location("scene_dev", Path(__file__).parents[1] / "scripts" / "scene_dev_h36m.py")
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    scenes = dev.make_scenes(str(path), 20, ("S9",))
    cams = read_h36m_mocap(str(path), ["S9"]).cameras["S9"]
    assert len(scenes) >= 20 and {s["name"].split("/")[1] for s in scenes} == set(cams)
    for s in scenes:
        assert s["cam_mm"].shape == (60, 17, 3) and (np.bincount(s["tracks"]) == 20).all()
        mc = cams[s["name"].split("/")[1]]
        world = s["cam_mm"] @ mc.R.T + mc.T  # back to the world: X_world = R X_cam + T
        lowest = np.median(world[..., 2].min(-1).reshape(20, 3), 0)  # each person's lowest point
        # an ankle's height above the floor (about 65 mm): bodies scaled about the pelvis instead
        # of the floor would sink or float by up to 90 mm
        assert ((30.0 < lowest) & (lowest < 110.0)).all(), (s["name"], lowest)
        size = np.linalg.norm(world[:, 0] - world[:, 14], axis=-1).reshape(20, 3).mean(0)
        assert np.ptp(size) > 1.0  # three sizes


def _people_on_a_floor(n, pitch_deg=12.0, height_mm=1600.0, seed=3):
    """``n`` standing people (MuPoTS joints, ankles 101 mm up) on the floor of a camera
    ``height_mm`` up looking ``pitch_deg`` down, 4-7 m away: camera-space joints ``[n, 17, 3]``."""
    rot, t = _camera_pose(pitch_deg, height_mm)
    rng = np.random.default_rng(seed)
    bodies = standing_people(n, seed=seed)
    out = []
    for body, x, y in zip(bodies, rng.uniform(-1500, 1500, n), rng.uniform(4000, 7000, n), strict=True):
        body = body.copy()
        body[:, 2] -= body[[L_ANKLE, R_ANKLE], 2].min() - 101.0
        out.append((body - body[PELVIS] * [1, 1, 0] + [x, y, 0.0]) @ rot.T + t)
    return np.stack(out)


def test_predict_scene_places_people_on_a_known_floor_and_keeps_their_pixels():
    model = KeypointHDNet.pretrained()
    truth = _people_on_a_floor(4)
    kp = CAMERA.project(truth)
    alone = model.predict(kp, CAMERA, format="mupots_17")
    out, scene = model.predict_scene(kp, CAMERA, format="mupots_17", floor=(1600.0, 12.0))
    assert out.root_mm.shape == (4, 3) and len(scene.method) == 4
    on_floor = scene.method == 1
    assert on_floor.any() and scene.given_floor
    err_placed = np.linalg.norm(out.root_mm.double().numpy() - truth[:, PELVIS], axis=1)
    err_alone = np.linalg.norm(alone.root_mm.double().numpy() - truth[:, PELVIS], axis=1)
    # the floor tells their depth from their feet (up to the model's own stride: which foot is
    # ahead): most within 5 %, and better than alone
    assert np.median(err_placed[on_floor] / truth[on_floor, PELVIS, 2]) < 0.05
    assert err_placed.mean() < err_alone.mean()
    # each person moved along their ray and scaled with it: every joint stays on its pixel
    np.testing.assert_allclose(CAMERA.project(out.joints_mm.double().numpy()),
                               CAMERA.project(alone.joints_mm.double().numpy()), atol=0.05)
    np.testing.assert_allclose(out.joints_mm.numpy(), (out.root_mm[:, None] + out.joints_rel_mm).numpy(), atol=1e-3)
    np.testing.assert_allclose(out.depth_mm.numpy(), out.root_mm[:, 2].numpy())
    # a Floor object does the same as the numbers
    from hdnet.scene import ankle_height_for
    floor = Floor.from_camera(1600.0, 12.0, ankle_height_mm=ankle_height_for(model.output_skeleton("mupots_17")))
    again, _ = model.predict_scene(kp, CAMERA, format="mupots_17", floor=floor)
    np.testing.assert_allclose(again.root_mm.numpy(), out.root_mm.numpy())


def test_predict_scene_without_a_scene_is_predict_and_people_of_known_height_stay():
    model = KeypointHDNet.pretrained()
    kp = CAMERA.project(_people_on_a_floor(5, seed=4))
    out, scene = model.predict_scene(kp, CAMERA, "none", format="mupots_17")
    np.testing.assert_allclose(out.root_mm.numpy(), model.predict(kp, CAMERA, format="mupots_17").root_mm.numpy(),
                               rtol=1e-6)
    assert scene.floor_used == 0
    heights = np.array([1750.0, np.nan, np.nan, np.nan, np.nan])
    known = model.predict(kp, CAMERA, format="mupots_17", height_mm=heights)
    out, scene = model.predict_scene(kp, CAMERA, format="mupots_17", height_mm=heights, floor=(1600.0, 12.0))
    np.testing.assert_allclose(out.root_mm[0].numpy(), known.root_mm[0].numpy(), rtol=1e-6)  # not moved


@pytest.mark.parametrize("kwargs, error, says", [
    ({"camera": "cam"}, TypeError, "camera"),
    ({"floor": (1600.0,)}, ValueError, "floor"),
    ({"floor": "1600,12"}, TypeError, "floor"),
    ({"scene": "room"}, ValueError, "mode"),
])
def test_predict_scene_bad_input_names_the_argument(kwargs, error, says):
    model = KeypointHDNet.pretrained()
    kp = CAMERA.project(_people_on_a_floor(2, seed=5))
    args = {"camera": CAMERA, "scene": "image", **kwargs}
    with pytest.raises(error, match=says):
        model.predict_scene(kp, args.pop("camera"), args.pop("scene"), format="mupots_17", **args)


def test_a_camera_matrix_or_dict_is_the_same_camera():
    """``predict`` and ``predict_scene`` read OpenCV's ``K`` and a camera dict as the Camera they
    write out."""
    model = KeypointHDNet.pretrained()
    kp = CAMERA.project(_people_on_a_floor(3, seed=7))
    k = [[CAMERA.fx, 0.0, CAMERA.cx], [0.0, CAMERA.fy, CAMERA.cy], [0.0, 0.0, 1.0]]
    want, _ = model.predict_scene(kp, CAMERA, "image", format="mupots_17")
    for camera in (np.array(k), torch.tensor(k), {"fx": CAMERA.fx, "fy": CAMERA.fy, "cx": CAMERA.cx, "cy": CAMERA.cy}):
        got, _ = model.predict_scene(kp, camera, "image", format="mupots_17")
        torch.testing.assert_close(got.root_mm, want.root_mm, rtol=1e-6, atol=1e-6)
        torch.testing.assert_close(model.predict(kp, camera, format="mupots_17").root_mm,
                                   model.predict(kp, CAMERA, format="mupots_17").root_mm)
    with pytest.raises(ValueError, match="camera: a scene is seen by one camera, got 2"):
        model.predict_scene(kp, np.stack([k, k]), "image", format="mupots_17")


def test_scene_windows_span_a_second_and_a_fifteenth_of_one():
    from hdnet.scene import scene_windows
    assert scene_windows(30.0) == (30, 2)  # reason_scene's defaults
    assert scene_windows(10) == (10, 1) and scene_windows(60.0) == (60, 4) and scene_windows(0.5) == (1, 1)
    for bad in (0.0, -5.0, float("nan"), True, "30"):
        with pytest.raises(ValueError, match="frame_rate"):
            scene_windows(bad)
