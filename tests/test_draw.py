"""The pictures `hdnet predict` writes: people on the image with their bones, and a bird's-eye
view drawn to one scale, with the camera's field of view and each person where they stand."""

import math

import numpy as np
import pytest

from hdnet.apps.draw import COLORS, FIELD_OF_VIEW, BirdsEyeView, _grid_step_m
from hdnet.apps.keypoint_predict import draw_people
from hdnet.camera import Camera
from hdnet.graphs import Skeleton

Image = pytest.importorskip("PIL.Image")


@pytest.mark.parametrize("extent, step", [(0.9, 0.5), (4.0, 0.5), (6.0, 1.0), (16.0, 2.0), (40.0, 5.0), (100.0, 20.0)])
def test_grid_step_draws_at_most_eight_lines_with_round_numbers(extent, step):
    assert _grid_step_m(extent) == step
    assert extent / step <= 8


def test_birds_eye_view_has_one_scale_and_holds_every_point():
    points = np.array([[-1800.0, 0.0, 2500.0], [900.0, -300.0, 7200.0], [np.nan, 0.0, 1.0]])
    view = BirdsEyeView(100, 20, 500, points)
    assert view.to_px(0.0, 0.0) == (350.0, 20 + 500 - view.margin)  # the camera: the bottom edge's middle
    u0, v0 = view.to_px(300.0, 4000.0)
    across, deeper = view.to_px(1300.0, 4000.0), view.to_px(300.0, 5000.0)
    assert across[0] - u0 == pytest.approx(v0 - deeper[1])  # a metre across is a metre in depth
    for x, _, z in points[:2]:
        u, v = view.to_px(x, z)
        assert 100 <= u <= 600 and 20 <= v <= 520
    # a point beyond the view slides along its ray onto the edge
    x, z = view.clip(500.0, 1e6)
    assert x / z == pytest.approx(500.0 / 1e6) and 20 <= view.to_px(x, z)[1] <= 20 + view.margin + 1e-6


def _near(img, uv, color, radius=1):
    u, v = (int(round(c)) for c in uv)
    patch = np.asarray(img)[v - radius:v + radius + 1, u - radius:u + radius + 1].reshape(-1, 3)
    return any(tuple(p) == tuple(color) for p in patch)


def test_people_picture_draws_bones_roots_and_the_field_of_view(tmp_path):
    w, h = 320, 240
    Image.new("RGB", (w, h), (0, 0, 0)).save(tmp_path / "scene.png")
    cam = Camera(300.0, 300.0, 150.0, 120.0)
    stick = Skeleton("stick_3", ["pelvis", "neck", "head"], [(0, 1), (1, 2)], root=0)
    root = np.array([400.0, 100.0, 3000.0])
    joints = root + np.array([[0.0, 0.0, 0.0], [0.0, -500.0, 200.0], [0.0, -700.0, 300.0]])
    keypoints = np.array([[[100.0, 200.0, 1.0], [100.0, 100.0, 1.0], [100.0, 60.0, 0.0]]])
    record = {"root_cam": root.tolist(), "joints_cam": joints.tolist(), "depth_std_mm": 300.0,
              "camera": cam.to_dict()}
    draw_people(str(tmp_path / "scene.png"), keypoints, [record], tmp_path / "out.png", stick, stick)
    img = Image.open(tmp_path / "out.png").convert("RGB")
    assert img.size == (w + h, h)
    color = COLORS[0]
    assert _near(img, (100, 150), color)        # the bone between the two seen keypoints
    assert not _near(img, (100, 75), color)     # none to the unseen one
    view = BirdsEyeView(w, 0, h, np.concatenate([root[None], joints]))
    assert _near(img, view.to_px(root[0], root[2]), color, 2)                  # the root from above
    mid = (joints[1] + joints[2]) / 2
    assert _near(img, view.to_px(mid[0], mid[2]), color)                       # a bone from above
    # the image's left edge is the ray x / z = (0 - cx) / fx, drawn from the camera
    z = 1500.0
    assert _near(img, view.to_px((0 - cam.cx) / cam.fx * z, z), FIELD_OF_VIEW)
    assert not _near(img, view.to_px((0 - cam.cx) / cam.fx * z + 400.0, z), FIELD_OF_VIEW)


def test_a_video_frame_draws_to_an_array_at_the_videos_scale(tmp_path):
    """A frame (an RGB array) drawn without a file: the same picture as from the frame saved as a
    PNG; with ``extent_mm``, the bird's-eye view takes its scale from those points, and with no
    people and ``camera``, the field of view is still drawn."""
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :, 1] = 80
    Image.fromarray(frame).save(tmp_path / "f.png")
    cam = Camera(300.0, 300.0, 150.0, 120.0)
    root = np.array([0.0, 0.0, 3000.0])
    record = {"root_cam": root.tolist(), "joints_cam": [root.tolist()], "depth_std_mm": 100.0, "camera": cam.to_dict()}
    kp = np.array([[[160.0, 120.0, 1.0]]])
    drawn = draw_people(frame, kp, [record], None)
    draw_people(str(tmp_path / "f.png"), kp, [record], tmp_path / "g.png")
    np.testing.assert_array_equal(drawn, np.asarray(Image.open(tmp_path / "g.png").convert("RGB")))
    far = np.array([[0.0, 0.0, 12000.0]])
    scaled = draw_people(frame, kp, [record], None, extent_mm=far)
    view = BirdsEyeView(320, 0, 240, far)
    assert _near(Image.fromarray(scaled), view.to_px(0.0, 3000.0), COLORS[0], 2)  # where the 12 m scale puts it
    empty = Image.fromarray(draw_people(frame, np.zeros((0, 1, 3)), [], None, extent_mm=far, camera=cam))
    assert _near(empty, view.to_px((0 - cam.cx) / cam.fx * 6000.0, 6000.0), FIELD_OF_VIEW)
    with pytest.raises(ValueError, match="image"):
        draw_people(np.zeros((4, 4)), kp, [record], None)


def test_people_picture_with_no_finite_pose_still_draws(tmp_path):
    Image.new("RGB", (64, 48)).save(tmp_path / "a.png")
    record = {"root_cam": [math.nan, 0.0, math.nan], "joints_cam": [[math.nan] * 3] * 2, "depth_std_mm": math.nan}
    draw_people(str(tmp_path / "a.png"), np.full((1, 2, 3), np.nan), [record], tmp_path / "o.png")
    assert Image.open(tmp_path / "o.png").size == (64 + 48, 48)


def test_predict_draws_every_nth_picture_or_none(tmp_path, capsys):
    import json

    from hdnet.apps.cli import main
    names = [f"f{i}.png" for i in range(5)]
    person = [[100.0 + 10 * k, 50.0 + 20 * k, 1.0] for k in range(17)]
    for n in names:
        Image.new("RGB", (320, 400)).save(tmp_path / n)
    (tmp_path / "kp.json").write_text(json.dumps({n: [person] for n in names}))
    base = ["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--fov", "60",
            *[str(tmp_path / n) for n in names]]
    for every, drawn in ((1, names), (2, ["f0.png", "f2.png", "f4.png"]), (0, [])):
        out = tmp_path / f"o{every}"
        assert main(base + ["--pictures", str(every), "--out", str(out)]) == 0
        assert sorted(p.name for p in out.glob("*.png")) == [n.replace(".png", "_people.png") for n in drawn]
        assert len(json.loads((out / "people.json").read_text())) == 5  # every image's people, pictures or not
    capsys.readouterr()
    assert main(base + ["--pictures", "-1", "--out", str(tmp_path / "bad")]) == 2
    assert "--pictures" in capsys.readouterr().err
