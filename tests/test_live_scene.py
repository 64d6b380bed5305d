"""``hdnet.keypoint.LiveScene``: people placed frame by frame as frames arrive, checked against
the construction (people walking on a known floor in front of a known camera), against causality
(a frame's answer is the same whatever comes after it) and against the model alone."""

import io
import json

import numpy as np
import pytest

from hdnet.apps.cli import main
from hdnet.keypoint import KeypointHDNet, LiveScene
from hdnet.scene import PLACED_BY, TrackLinker, link_tracks

from .conftest import shared_path
from .test_real import standing_people
from .test_scene import CAMERA, L_ANKLE, NECK, PELVIS, R_ANKLE, _camera_pose


def _walkers(frames=40, people=3, pitch_deg=12.0, height_mm=1600.0, seed=6):
    """``people`` upright bodies (neck 1.2 m or more above their ankles, leaning under 8
    degrees) gliding over the floor of a camera ``height_mm`` up looking ``pitch_deg`` down:
    camera-space joints ``[frames, people, 17, 3]`` (their ankles 101 mm up)."""
    rot, t = _camera_pose(pitch_deg, height_mm)
    pool = standing_people(40 * people, seed=seed)
    axis = pool[:, NECK] - pool[:, [L_ANKLE, R_ANKLE]].mean(1)
    upright = (axis[:, 2] >= 1200.0) & (axis[:, 2] >= np.cos(np.radians(8.0)) * np.linalg.norm(axis, axis=1))
    bodies = pool[upright][:people]
    bodies[..., 2] -= bodies[:, [L_ANKLE, R_ANKLE], 2].min(1)[:, None] - 101.0
    rng = np.random.default_rng(seed)
    start = np.stack([rng.uniform(-1800, 1800, people), rng.uniform(3500, 7000, people)], 1)
    out = np.zeros((frames, people, 17, 3))
    for f in range(frames):
        for k in range(people):
            x, y = start[k] + [12.0 * f * (1 if k % 2 else -1), 15.0 * f]
            out[f, k] = (bodies[k] - bodies[k][PELVIS] * [1, 1, 0] + [x, y, 0.0]) @ rot.T + t
    return out


@pytest.fixture(scope="module")
def model():
    return KeypointHDNet.pretrained("mupots_17")


def test_a_frames_answer_does_not_wait_for_the_frames_after_it(model):
    truth = _walkers(30)
    kp = CAMERA.project(truth.reshape(-1, 17, 3)).reshape(30, 3, 17, 2)
    long, short = LiveScene(model, CAMERA, "mupots_17"), LiveScene(model, CAMERA, "mupots_17")
    answers = [long.update(kp[f])[0].root_mm.numpy() for f in range(30)]
    for f in range(20):
        first = short.update(kp[f])[0].root_mm.numpy()
        np.testing.assert_array_equal(first, answers[f])


def test_people_walking_on_a_known_floor_are_placed_from_their_feet_and_keep_their_pixels(model):
    truth = _walkers(40)
    kp = CAMERA.project(truth.reshape(-1, 17, 3)).reshape(40, 3, 17, 2)
    live = LiveScene(model, CAMERA, "mupots_17", floor=(1600.0, 12.0))
    errors, alone = [], []
    for f in range(40):
        answer, frame = live.update(kp[f])
        assert frame.frame == f and frame.person.tolist() == [0, 1, 2] and frame.floor is not None
        assert frame.track.tolist() == [0, 1, 2]  # linked over the frames: the same three bodies
        # each person moved along their ray and scaled with it: every joint stays on the pixel
        # where the model alone put it
        own = model.predict(kp[f], CAMERA, format="mupots_17")
        np.testing.assert_allclose(CAMERA.project(answer.joints_mm.double().numpy()),
                                   CAMERA.project(own.joints_mm.double().numpy()), atol=0.05)
        np.testing.assert_allclose(answer.depth_mm.numpy(), answer.root_mm[:, 2].numpy())
        errors.append(np.linalg.norm(answer.root_mm.double().numpy() - truth[f, :, PELVIS], axis=1))
        alone.append(np.linalg.norm(own.root_mm.double().numpy() - truth[f, :, PELVIS], axis=1))
        assert set(PLACED_BY[m] for m in frame.placed_by) <= {"floor", "track", "model"}
    errors, alone = np.concatenate(errors), np.concatenate(alone)
    assert np.median(errors / truth[:, :, PELVIS, 2].reshape(-1)) < 0.05  # the floor's depth, to a few per cent
    assert errors.mean() < alone.mean()


def test_the_floor_is_found_from_the_frames_before(model):
    truth = _walkers(60, people=6)
    kp = CAMERA.project(truth.reshape(-1, 17, 3)).reshape(60, 6, 17, 2)
    live = LiveScene(model, CAMERA, "mupots_17")
    floors = [live.update(kp[f])[1].floor for f in range(60)]
    found = [fl for fl in floors if fl is not None]
    assert found and floors[-1] is not None
    height, pitch, roll = floors[-1].as_camera()
    # the construction's floor: its tilt from the people's body axes and depths (on these made-up
    # bodies the model's axes are a few degrees off: sequence mode's floor over the same frames
    # is 14.5 degrees down, rolled -3.6); its height only as true as the model's guess of six
    # bodies' size (1.5-1.9 m drawn, the model's mean assumed)
    assert abs(pitch - 12.0) < 5.0 and abs(roll) < 5.0 and abs(height / 1600.0 - 1) < 0.15


def test_frames_without_people_or_with_people_it_cannot_place(model):
    truth = _walkers(5)
    kp = CAMERA.project(truth.reshape(-1, 17, 3)).reshape(5, 3, 17, 2)
    live = LiveScene(model, CAMERA, "mupots_17")
    answer, frame = live.update(np.zeros((0, 17, 2)))
    assert answer.root_mm.shape == (0, 3) and frame.person.tolist() == [] and frame.frame == 0
    hidden = np.concatenate([kp[1], np.ones((3, 17, 1))], -1)
    hidden[1, :, 2] = 0.0  # the second person: every joint missing
    answer, frame = live.update(hidden)
    assert frame.person.tolist() == [0, 2] and answer.root_mm.shape == (2, 3) and np.isfinite(answer.root_mm.numpy()).all()
    answer, frame = live.update(kp[2], track=np.array([7, 8, 9]))  # a tracker's own ids
    assert frame.track.tolist() == [7, 8, 9]
    live.reset()
    assert live.update(kp[3])[1].frame == 0


@pytest.mark.parametrize("call, says", [
    (lambda live: live.update(np.zeros((2, 17))), r"keypoints: expected \[P, J, 2\]"),
    (lambda live: live.update(np.zeros((2, 17, 2)), confidence=np.ones((2, 3))), r"confidence: expected \[2, 17\]"),
    (lambda live: live.update(np.zeros((2, 17, 2)), track=np.array([0.5, 1.0])), "track: expected"),
    (lambda live: live.update(np.zeros((2, 5, 2))), "5 joints"),
    (lambda live: live.update(np.zeros((2, 17, 2))), "17 joints fit"),  # no format named: it says which fit
])
def test_bad_input_is_refused_by_name(model, call, says):
    with pytest.raises(ValueError, match=says):
        call(LiveScene(model, CAMERA, None))


def test_bad_settings_are_refused_by_name(model):
    with pytest.raises(ValueError, match="history_s"):
        LiveScene(model, CAMERA, "mupots_17", history_s=0)
    with pytest.raises(ValueError, match="frame_rate"):
        LiveScene(model, CAMERA, "mupots_17", frame_rate=-1.0)
    with pytest.raises(ValueError, match="above the people's ankles"):
        LiveScene(model, CAMERA, "mupots_17", floor=(50.0, 12.0))  # refused at once, not at the first frame
    live = LiveScene(model, CAMERA, "mupots_17")
    with pytest.raises(TypeError, match="people: expected a hdnet.scene.ScenePeople"):
        live.place(np.zeros((1, 17, 2)), 0)
    live.update(CAMERA.project(_walkers(1)[0]))  # frame 0
    with pytest.raises(ValueError, match="frame: 0 does not come after the last frame placed"):
        live.place(live._past[-1][1], 0)


def test_the_track_linker_steps_as_link_tracks_links_and_frames_only_go_forward():
    # two people who swap places in the list between frames, moving a few pixels: the ids follow them
    a = np.array([[[0, 0], [0, 100], [40, 100]], [[300, 0], [300, 100], [340, 100]]], float)
    linker = TrackLinker()
    assert linker.step(0, a).tolist() == [0, 1]
    assert linker.step(1, a[::-1] + 3.0).tolist() == [1, 0]
    assert linker.step(2, a[:1] + 600.0).tolist() == [2]  # far from both: a new track
    assert linker.tracks == 3
    with pytest.raises(ValueError, match="does not come after"):
        linker.step(2, a)
    frames = np.array([0, 0, 1, 1, 2])
    assert link_tracks(np.concatenate([a, a[::-1] + 3.0, a[:1] + 600.0]), frames).tolist() == [0, 1, 1, 0, 2]


def test_hdnet_eval_scene_live_places_as_livescene_update_does(model):
    """``hdnet eval --scene live`` (the model's answers placed with ``LiveScene.place``, frame by
    frame) places MuPoTS-3D's people as a user's loop of ``LiveScene.update`` does."""
    from hdnet.data.mupots_annotations import read_mupots_annotations
    from hdnet.keypoint.evaluation import _apply_scene, mupots_predictions
    seq = read_mupots_annotations(shared_path("realdata", "mupots"), ["TS3"])[0]
    rec = mupots_predictions(model, [seq])[0]
    _apply_scene(model, rec, "live")
    live = LiveScene(model, seq.camera, "mupots_17")
    roots = []
    for f in range(int(rec["frames"].max()) + 1):
        people = np.nonzero(seq.valid[f])[0]
        answer, frame = live.update(seq.annot2[f, people], track=people)
        roots.append(answer.root_mm.double().numpy())
    np.testing.assert_allclose(np.concatenate(roots), rec["root_mm"], rtol=1e-4)
    assert rec["placed_by"].max() >= 1  # the floor placed people


def _frames_file(path, kp, extra=None):
    """``kp [F, P, J, 2]`` as ``hdnet live``'s input: a JSON line per frame (scores 1)."""
    with open(path, "w") as f:
        for frame in kp:
            f.write(json.dumps(np.concatenate([frame, np.ones(frame.shape[:2] + (1,))], -1).tolist()) + "\n")
        for line in extra or []:
            f.write(line + "\n")


def test_hdnet_live_streams_each_frame_as_livescene_places_it(model, tmp_path, monkeypatch):
    """``hdnet live`` writes a line per frame with the people ``LiveScene.update`` places (to the
    file's 0.001 mm), reading standard input where no ``--input`` is given; a blank line is no
    frame, an object's ``frame`` skips frames, its ``track_ids`` are the tracks."""
    truth = _walkers(12)
    kp = CAMERA.project(truth.reshape(-1, 17, 3)).reshape(12, 3, 17, 2)
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    _frames_file(tmp_path / "in.jsonl", kp[:10], ["", "[]", json.dumps({"people": kp[10].tolist(), "frame": 12,
                                                                        "track_ids": [5, 6, 7]})])
    args = ["live", "--keypoint-format", "mupots_17", "--camera", str(tmp_path / "cam.json")]
    assert main(args + ["--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl")]) == 0
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [d["frame"] for d in lines] == list(range(10)) + [10, 12] and lines[10]["people"] == []
    live = LiveScene(model, CAMERA, "mupots_17")
    for f, d in enumerate(lines[:10]):
        answer, frame = live.update(kp[f])
        np.testing.assert_allclose([p["root_cam"] for p in d["people"]], answer.root_mm.double().numpy(), atol=1e-3)
        assert [p["track_id"] for p in d["people"]] == frame.track.tolist()
        assert d["joints"] == list(model.output_skeleton("mupots_17").joints)
    assert [p["track_id"] for p in lines[11]["people"]] == [5, 6, 7]
    assert lines[9]["floor"]["source"] == "found" and lines[9]["floor"]["people"] >= 3
    monkeypatch.setattr("sys.stdin", io.StringIO((tmp_path / "in.jsonl").read_text()))
    assert main(args + ["--out", str(tmp_path / "piped.jsonl")]) == 0
    assert (tmp_path / "piped.jsonl").read_text() == (tmp_path / "out.jsonl").read_text()


@pytest.mark.parametrize("extra, says", [
    (["{\"people\": [], \"frame\": 1}"], "line 4: frame 1 does not come after frame 2"),
    (["[[[1, 2, 3]]]"], "line 4: keypoint scores must lie in [0, 1]; 'frame 3' has some outside"),
    (["{\"persons\": []}"], "line 4: a frame object holds people"),
    (["not json"], "line 4: not JSON"),
    (["[[[1, 2], [3]]]"], "line 4: people must be"),
    (["{\"people\": [[[1, 2, 1]]], \"track_ids\": [-1]}"], "line 4: track_ids must be 1 whole numbers >= 0"),
    (["[[[1e400, 2, 1]]]"], "line 4: a number out of range (infinite)"),
])
def test_hdnet_live_refuses_a_bad_line_by_its_number_after_the_frames_before(tmp_path, capsys, extra, says):
    kp = CAMERA.project(_walkers(3).reshape(-1, 17, 3)).reshape(3, 3, 17, 2)
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    _frames_file(tmp_path / "in.jsonl", kp, extra)
    assert main(["live", "--keypoint-format", "mupots_17", "--camera", str(tmp_path / "cam.json"),
                 "--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl")]) == 2
    assert says in capsys.readouterr().err
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 3  # the frames before it were written


@pytest.mark.parametrize("args, says", [
    ([], "--camera FILE, or --fov DEG with --image-size W,H"),
    (["--fov", "60"], "--camera FILE, or --fov DEG with --image-size W,H"),
    (["--fov", "60", "--image-size", "1920x1080"], "--image-size: expected W,H"),
    (["--fov", "60", "--image-size", "1920,1080", "--floor", "50,10"], "--floor: the camera must be above"),
    (["--fov", "60", "--image-size", "1920,1080", "--history", "0"], "--history: expected seconds"),
    (["--fov", "60", "--image-size", "1920,1080", "--lens", "fisheye", "--fps", "0"], "--fps: expected frames"),
])
def test_hdnet_live_refuses_bad_options_by_name(tmp_path, capsys, args, says):
    (tmp_path / "in.jsonl").write_text("[]\n")
    assert main(["live", "--keypoint-format", "mupots_17", *args, "--input", str(tmp_path / "in.jsonl")]) == 2
    assert says in capsys.readouterr().err


def test_hdnet_live_refuses_a_missing_input_and_writing_over_it(tmp_path, capsys):
    common = ["live", "--keypoint-format", "mupots_17", "--fov", "60", "--image-size", "640,480"]
    assert main(common + ["--input", str(tmp_path / "none.jsonl")]) == 2
    assert "--input: no file at" in capsys.readouterr().err
    (tmp_path / "in.jsonl").write_text("[]\n")
    assert main(common + ["--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "in.jsonl")]) == 2
    assert "would overwrite the input" in capsys.readouterr().err and (tmp_path / "in.jsonl").read_text() == "[]\n"


def test_hdnet_live_reads_scores_past_1_with_clip_scores(tmp_path):
    kp = CAMERA.project(_walkers(2).reshape(-1, 17, 3)).reshape(2, 3, 17, 2)
    (tmp_path / "cam.json").write_text(json.dumps(CAMERA.to_dict()))
    with open(tmp_path / "in.jsonl", "w") as f:
        for frame in kp:  # RTMPose-like scores a little past 1
            f.write(json.dumps(np.concatenate([frame, np.full(frame.shape[:2] + (1,), 1.1)], -1).tolist()) + "\n")
    _frames_file(tmp_path / "one.jsonl", kp)  # the same with scores 1
    args = ["live", "--keypoint-format", "mupots_17", "--camera", str(tmp_path / "cam.json")]
    assert main(args + ["--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "a.jsonl")]) == 2
    assert main(args + ["--clip-scores", "--input", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "a.jsonl")]) == 0
    assert main(args + ["--input", str(tmp_path / "one.jsonl"), "--out", str(tmp_path / "b.jsonl")]) == 0
    assert (tmp_path / "a.jsonl").read_text() == (tmp_path / "b.jsonl").read_text()
