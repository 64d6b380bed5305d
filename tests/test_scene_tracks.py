"""Tracks linked from 2D keypoints alone (hdnet.scene.link_tracks): a detector's people over a
video's frames, who is who."""

import json

import numpy as np
import pytest

from hdnet import Camera
from hdnet.apps.cli import main
from hdnet.graphs import convert_joints
from hdnet.scene import keypoint_distance, link_tracks

from .conftest import shared_path
from .test_real import standing_people

CAM = Camera(1000.0, 1000.0, 640.0, 360.0)


def _walkers(n_people=3, frames=40, seed=0, step_mm=(25.0, 0.0, 0.0)):
    """``n_people`` bodies walking side by side 4-6 m away, ``[frames, n_people, 17, 2]`` px
    (MuPoTS joints) and their true ids; each frame lists them in a shuffled order."""
    rng = np.random.default_rng(seed)
    bodies = standing_people(n_people, seed)[:, :, [0, 2, 1]] * [1, -1, 1]  # Z up -> camera axes (y down)
    bodies = bodies - bodies[:, 14:15] + np.stack([np.linspace(-1800, 1800, n_people), np.full(n_people, 700.0),
                                                    np.linspace(4000, 6000, n_people)], -1)[:, None]
    kp, ids = [], []
    for f in range(frames):
        order = rng.permutation(n_people)
        at = bodies[order] + np.asarray(step_mm) * f * np.where(order % 2, 1, -1)[:, None, None] * 0.5
        kp.append(CAM.project(at))
        ids.append(order)
    return np.stack(kp), np.stack(ids)


def _same_person_pairs(ids):
    """Which pairs of entries belong to one person (an id-free comparison of two labellings)."""
    return ids[:, None] == ids[None, :]


def test_distance_is_the_median_joint_move_over_the_larger_size():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 200, (17, 2)), rng.uniform(0, 300, (17, 2))
    seen_a, seen_b = rng.random(17) > 0.2, rng.random(17) > 0.2
    both = seen_a & seen_b
    # the formula written out with the box diagonals of each person's seen points
    diag = max(np.hypot(*np.ptp(a[seen_a], 0)), np.hypot(*np.ptp(b[seen_b], 0)))
    want = np.median(np.hypot(*(a[both] - b[both]).T)) / diag
    assert keypoint_distance(a, seen_a, b, seen_b) == pytest.approx(want)
    assert keypoint_distance(a, seen_a, b, np.zeros(17, bool)) == float("inf")


def test_people_listed_in_any_order_keep_their_ids_over_the_frames():
    kp, ids = _walkers(3, 40)
    got = link_tracks(kp.reshape(-1, 17, 2), np.repeat(np.arange(40), 3))
    assert len(np.unique(got)) == 3 and (got >= 0).all()
    np.testing.assert_array_equal(_same_person_pairs(got), _same_person_pairs(ids.reshape(-1)))
    assert got[:3].tolist() == [0, 1, 2]  # numbered in order of first appearance


def test_a_person_unseen_for_a_few_frames_continues_and_one_gone_longer_starts_anew():
    kp, ids = _walkers(2, 40, step_mm=(5.0, 0.0, 0.0))
    kp, ids = kp.reshape(-1, 17, 2), ids.reshape(-1)
    frame = np.repeat(np.arange(40), 2)
    keep = ~((ids == 0) & (frame >= 10) & (frame < 15))  # person 0 missing for 5 frames
    got = link_tracks(kp[keep], frame[keep], max_gap=10)
    assert len(np.unique(got)) == 2
    keep = ~((ids == 0) & (frame >= 10) & (frame < 25))  # missing for 15 frames: a new track
    got = link_tracks(kp[keep], frame[keep], max_gap=10)
    assert len(np.unique(got)) == 3
    np.testing.assert_array_equal(got[ids[keep] == 1], got[ids[keep] == 1][0])  # the other stays one track


def test_a_jump_beyond_max_cost_starts_a_new_track_and_unseen_people_get_minus_one():
    kp, _ = _walkers(1, 4)
    kp = kp.reshape(-1, 17, 2).copy()
    kp[2:] += 400.0  # the same body suddenly far away: not a link
    assert link_tracks(kp, [0, 1, 2, 3]).tolist() == [0, 0, 1, 1]
    conf = np.ones((4, 17))
    conf[1, 2:] = 0.0  # two joints seen: too few to link
    assert link_tracks(kp, [0, 1, 2, 3], conf).tolist() == [0, -1, 1, 1]
    assert link_tracks(np.zeros((0, 17, 2)), np.zeros(0, int)).shape == (0,)


@pytest.mark.parametrize("kwargs, error, says", [
    ({"keypoints": np.zeros((3, 17))}, ValueError, "keypoints: expected"),
    ({"frame": [0, 1]}, ValueError, "frame: expected [3]"),
    ({"frame": [0, 0.5, 1]}, ValueError, "whole frame numbers"),
    ({"frame": [0, np.nan, 1]}, ValueError, "whole frame numbers"),
    ({"frame": ["a", "b", "c"]}, TypeError, "frame: expected frame numbers"),
    ({"confidence": np.ones((3, 16))}, ValueError, "confidence: expected [3, 17]"),
    ({"max_cost": 0.0}, ValueError, "max_cost"),
    ({"max_cost": float("nan")}, ValueError, "max_cost"),
    ({"max_gap": 0}, ValueError, "max_gap"),
])
def test_bad_input_names_the_argument(kwargs, error, says):
    args = {"keypoints": np.zeros((3, 17, 2)), "frame": [0, 1, 2], **kwargs}
    with pytest.raises(error, match=says.replace("[", r"\[")):
        link_tracks(**args)


def _coco_walkers_file(path, frames=12):
    kp, ids = _walkers(2, frames, step_mm=(20.0, 0.0, 0.0))
    coco, made = convert_joints(kp, "mupots_17", "coco_17")
    scores = np.broadcast_to(made.astype(float)[None, None, :, None], coco.shape[:3] + (1,))
    people = np.concatenate([np.nan_to_num(coco), scores], -1)
    path.write_text(json.dumps({f"f{i:03d}.jpg": people[i].tolist() for i in range(frames)}))
    return ids


def test_predict_links_a_sequence_without_track_ids(tmp_path):
    ids = _coco_walkers_file(tmp_path / "kp.json")
    base = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera"]
    cam = tmp_path / "cam.json"
    cam.write_text(json.dumps(CAM.to_dict()))
    assert main(base + [str(cam), "--scene", "sequence", "--out", str(tmp_path / "a")]) == 0
    people = json.loads((tmp_path / "a" / "people.json").read_text())
    assert {p["track_source"] for p in people} == {"linked"}
    got = np.array([p["track_id"] for p in people])
    np.testing.assert_array_equal(_same_person_pairs(got), _same_person_pairs(ids.reshape(-1)))
    assert {p["placed_by"] for p in people} & {"track", "floor"}  # the tracks were used by the scene
    assert main(base + [str(cam), "--scene", "sequence", "--tracks", "none", "--out", str(tmp_path / "b")]) == 0
    assert all("track_id" not in p for p in json.loads((tmp_path / "b" / "people.json").read_text()))
    assert main(base + [str(cam), "--out", str(tmp_path / "c")]) == 0  # no scene: nothing linked unless asked
    assert all("track_id" not in p for p in json.loads((tmp_path / "c" / "people.json").read_text()))


def test_predict_asked_for_given_tracks_that_the_file_lacks_exits_2(tmp_path, capsys):
    _coco_walkers_file(tmp_path / "kp.json", frames=3)
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--scene",
                 "sequence", "--tracks", "given", "--out", str(tmp_path / "o")]) == 2
    assert "--tracks given: the keypoints carry no track ids" in capsys.readouterr().err


def test_mupots_linked_tracks_are_its_person_index(tmp_path):
    """On MuPoTS-3D's ground-truth 2D the linker finds each sequence's people exactly, so a
    sequence scene scores the same as with the annotations' person index."""
    from hdnet.data.mupots_annotations import read_mupots_annotations
    from hdnet.keypoint import KeypointHDNet, evaluate_mupots
    seqs = read_mupots_annotations(shared_path("realdata", "mupots"), ["TS10"])
    model = KeypointHDNet.pretrained()
    given = evaluate_mupots(model, seqs, scene="sequence")
    linked = evaluate_mupots(model, seqs, scene="sequence", tracks="linked")
    assert given["tracks"] == "given" and linked["tracks"] == "linked"
    assert linked["hdnet"]["mrpe_mm"] == pytest.approx(given["hdnet"]["mrpe_mm"], abs=1e-6)
    with pytest.raises(ValueError, match="tracks: expected"):
        evaluate_mupots(model, seqs, scene="sequence", tracks="by name")
    assert main(["eval", "--dataset", "mupots-3d", "--annotations", str(shared_path("realdata", "mupots")),
                 "--tracks", "linked", "--out", str(tmp_path / "r.json")]) == 2  # tracks without a scene


def test_the_linker_scores_all_pairs_of_a_frame_as_the_distance_does_one_by_one():
    from hdnet.scene.tracks import _distances
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 300, (5, 17, 2)), rng.uniform(0, 300, (4, 17, 2))
    seen_a, seen_b = rng.random((5, 17)) > 0.4, rng.random((4, 17)) > 0.4
    seen_a[0] = False  # nobody seen
    seen_b[1, 2:] = False  # two joints seen: too few
    a[2, seen_a[2] == 0] = np.nan  # unseen joints may be NaN
    want = [[keypoint_distance(a[i], seen_a[i], b[j], seen_b[j]) for j in range(4)] for i in range(5)]
    np.testing.assert_allclose(_distances(a, seen_a, b, seen_b, 3), want)


def test_track_poses_are_averaged_over_their_neighbouring_frames():
    from hdnet.scene import smooth_track_poses
    rng = np.random.default_rng(3)
    n = 30
    frames = np.concatenate([np.arange(15), np.arange(0, 30, 2)])  # two tracks, one every other frame
    track = np.repeat([0, 1], 15)
    track[[4, 20]] = -1  # no track: left as it is
    rel = rng.normal(0.0, 100.0, (n, 5, 3))
    rel[7, 2] = np.nan  # a joint the model could not give
    got = smooth_track_poses(rel, frames, track, window=2)
    for i in range(n):  # the mean over the same track's frames within 2, written out
        if track[i] < 0:
            np.testing.assert_array_equal(got[i], rel[i])
            continue
        mates = [k for k in range(n) if track[k] == track[i] and abs(frames[k] - frames[i]) <= 2]
        np.testing.assert_allclose(got[i], np.nanmean(rel[mates], 0), rtol=1e-12)
    assert np.isfinite(got[7]).all()  # its neighbours give the missing joint
    np.testing.assert_array_equal(smooth_track_poses(rel, frames, track, window=0), rel)
    with pytest.raises(ValueError, match="window"):
        smooth_track_poses(rel, frames, track, window=-1)
    with pytest.raises(ValueError, match="frames"):
        smooth_track_poses(rel, frames[:3], track, window=2)


def test_a_sequence_smooths_each_tracks_pose_and_an_image_does_not():
    from hdnet import Camera
    from hdnet.scene import ScenePeople, reason_scene
    n = 12
    rng = np.random.default_rng(4)
    people = ScenePeople(np.full((n, 2, 2), np.nan), np.zeros((n, 2)), np.tile([0.0, 0.0, 4000.0], (n, 1)),
                         np.zeros((n, 2, 3)), np.tile([0.0, -500.0, 0.0], (n, 1)), np.full(n, 300.0),
                         Camera(1000.0, 1000.0, 500.0, 500.0), image=np.arange(n), track=np.zeros(n, np.int64))
    rel = rng.normal(0.0, 50.0, (n, 4, 3))
    seq = reason_scene(people, "sequence")
    np.testing.assert_allclose(seq.scaled_pose(rel)[5], rel[3:8].mean(0) * seq.scale[5])
    np.testing.assert_array_equal(reason_scene(people, "image").scaled_pose(rel), rel)
    unsmoothed = reason_scene(people, "sequence", pose_window=0)
    np.testing.assert_array_equal(unsmoothed.scaled_pose(rel), rel * seq.scale[:, None, None])


@pytest.mark.parametrize("rows, joints", [(1, 1), (7, 17), (500, 33), (4, 2)])
def test_row_median_is_numpys_nanmedian(rows, joints):
    """The linker's median over the joints seen in both people is numpy's nanmedian, exactly
    (odd and even counts, one number, repeated values)."""
    from hdnet.scene.tracks import _row_nanmedian
    rng = np.random.default_rng(rows)
    x = np.round(rng.normal(size=(rows, joints)), 1)  # rounded: ties
    x[rng.random((rows, joints)) < 0.4] = np.nan
    x[:, 0] = np.round(rng.normal(size=rows), 1)  # every row holds a number
    assert np.array_equal(_row_nanmedian(x), np.nanmedian(x, axis=-1))
