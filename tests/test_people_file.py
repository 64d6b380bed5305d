"""``people.json`` read back (:func:`hdnet.keypoint.read_people`): every field against the JSON
records themselves, a track in frame order, bad files named, and ``hdnet info`` on it."""

import json

import numpy as np
import pytest

from hdnet.apps.cli import main
from hdnet.keypoint import read_people

from .test_keypoint_cli import _coco_views

CAM = {"fx": 1000.0, "fy": 1000.0, "cx": 640.0, "cy": 360.0}


def _record(**changes):
    rec = {"image_id": "a.jpg", "person": 0, "root_cam": [10.0, 20.0, 3000.0],
           "joints_cam": [[10.0, 20.0, 3000.0], [10.0, -480.0, 3000.0]], "joints": ["pelvis", "neck"],
           "depth_std_mm": 250.0, "camera": CAM, "camera_source": "--camera", "format": "coco_17",
           "placed_by": "model", "height_mm": None}
    return rec | changes


def test_what_predict_wrote_is_read_field_by_field(tmp_path):
    kp, cams, _ = _coco_views(4, seed=8)
    k = cams.intrinsics
    results = [{"image_id": f"f{i // 2}.jpg", "category_id": 1, "keypoints": kp[i].ravel().tolist(),
                "score": 0.5 + 0.1 * i, "track_id": 7 + i % 2} for i in range(4)]
    (tmp_path / "kp.json").write_text(json.dumps(results))
    (tmp_path / "cam.json").write_text(json.dumps({"fx": float(k[0, 0]), "fy": float(k[0, 1]), "cx": float(k[0, 2]),
                                                   "cy": float(k[0, 3]), "radial": [0.01, 0.0, 0.0]}))
    assert main(["predict", "--keypoints", str(tmp_path / "kp.json"), "--keypoint-format", "coco_17", "--camera",
                 str(tmp_path / "cam.json"), "--height", "1750", "--scene", "image", "--out", str(tmp_path / "o")]) == 0
    path = tmp_path / "o" / "people.json"
    records = json.loads(path.read_text())
    people = read_people(path)
    assert len(people) == len(records) == 4
    assert list(people.image_id) == [r["image_id"] for r in records] == ["f0.jpg", "f0.jpg", "f1.jpg", "f1.jpg"]
    np.testing.assert_array_equal(people.root_mm, [r["root_cam"] for r in records])
    np.testing.assert_array_equal(people.joints_mm, [r["joints_cam"] for r in records])
    assert people.joints == tuple(records[0]["joints"]) and people.joints_mm.shape == (4, 17, 3)
    np.testing.assert_array_equal(people.depth_std_mm, [r["depth_std_mm"] for r in records])
    np.testing.assert_array_equal(people.detector_score, [0.5, 0.6, 0.7, 0.8])
    np.testing.assert_array_equal(people.height_mm, [1750.0] * 4)
    assert people.track_id.tolist() == [7, 8, 7, 8] and set(people.track_source) == {"given"}
    assert people.frame.tolist() == [-1] * 4 and people.person.tolist() == [0, 1, 0, 1]
    assert people.cameras[0].radial == (0.01, 0.0, 0.0) and people.cameras[0].fx == float(k[0, 0])
    assert list(people.placed_by) == [r["placed_by"] for r in records] and set(people.format) == {"coco_17"}
    assert people.images() == ["f0.jpg", "f1.jpg"] and people.tracks() == [7, 8]
    assert people.in_image("f1.jpg").tolist() == [2, 3] and people.track(8).tolist() == [1, 3]


def test_a_track_comes_in_frame_order_and_missing_fields_read_as_none(tmp_path):
    recs = [_record(image_id=f"v.mp4#{f}", frame=f, track_id=t, root_cam=[0.0, 0.0, 3000.0 + f])
            for f, t in ((5, 1), (2, 1), (9, 2), (0, 1))]
    recs[1] = {k: v for k, v in recs[1].items() if k not in ("placed_by", "format", "height_mm")}
    (tmp_path / "p.json").write_text(json.dumps(recs))
    people = read_people(tmp_path / "p.json")
    assert people.track(1).tolist() == [3, 1, 0] and people.root_mm[people.track(1), 2].tolist() == [3000, 3002, 3005]
    assert people.placed_by[1] == "model" and people.format[1] == "" and np.isnan(people.height_mm[1])
    assert np.isnan(people.detector_score).all() and people.tracks() == [1, 2]
    with pytest.raises(KeyError, match="no person has track 4"):
        people.track(4)
    (tmp_path / "none.json").write_text("[]")
    empty = read_people(tmp_path / "none.json")
    assert len(empty) == 0 and empty.root_mm.shape == (0, 3) and empty.summary()["people"] == 0


@pytest.mark.parametrize("content, says", [
    ({"people": []}, "expected a list of person records"),
    ([{"image_id": "a.jpg"}], "record 0: expected an object with image_id, root_cam"),
    ([_record(), _record(joints=["pelvis", "head"])], "record 1: joints"),
    ([_record(root_cam=[1.0, 2.0])], r"record 0: root_cam must be \[3\]"),
    ([_record(joints_cam=[[1.0, 2.0, 3.0]])], r"joints_cam must be \[2, 3\]"),
    ([_record(joints_cam=[[1.0, "x", 3.0], [1, 2, 3]])], "joints_cam must be numbers"),
    ([_record(depth_std_mm="wide")], "record 0: depth_std_mm: expected a number"),
    ([_record(track_id=1.5)], "record 0: track_id: expected an int"),
    ([_record(frame=2 ** 70)], "record 0: frame: expected a value in \\[-9.0072e\\+15, 9.0072e\\+15\\]"),
    ([_record(image_id=None)], "image_id must be a name or a number"),
    ([_record(camera={"fx": 1.0})], "record 0: camera: missing"),
    ([_record(joints="pelvis")], "joints must be the list of joint names"),
    ([_record(detector_score=True)], "record 0: detector_score: expected a number"),
    ([_record(floor=[1600.0, 12.0, 0.0])], "record 0: floor must be an object with camera_height_mm"),
    ([_record(floor={"camera_height_mm": 1600.0, "pitch_deg": 12.0})], "record 0: floor roll_deg: expected a number"),
])
def test_bad_people_files_name_the_record(tmp_path, content, says):
    (tmp_path / "p.json").write_text(json.dumps(content))
    with pytest.raises(ValueError, match=says):
        read_people(tmp_path / "p.json")


def test_a_missing_or_broken_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        read_people(tmp_path / "nothing.json")
    (tmp_path / "nan.json").write_text('[{"image_id": "a", "root_cam": [NaN, 0, 1]}]')
    with pytest.raises(ValueError, match="not JSON"):
        read_people(tmp_path / "nan.json")


def test_info_sums_up_a_people_file(tmp_path, capsys):
    recs = [_record(image_id=f"f{i // 2}.jpg", person=i % 2, track_id=i % 2, track_source="linked",
                    root_cam=[0.0, 0.0, 2000.0 + 1000.0 * i], placed_by=("floor", "model")[i % 2]) for i in range(4)]
    (tmp_path / "people.json").write_text(json.dumps(recs))
    assert main(["info", str(tmp_path / "people.json"), "--json", str(tmp_path / "s.json")]) == 0
    out = capsys.readouterr().out
    assert "4 people in 2 images, 2 tracks" in out and "placed by: floor 2, model 2" in out
    assert "depth: 2.00 - 5.00 m (median 3.50)" in out and "median 0.25 m" in out
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["depth_mm"] == [2000.0, 3500.0, 5000.0] and summary["joints"] == ["pelvis", "neck"]
    (tmp_path / "bad.json").write_text(json.dumps([_record(), _record(root_cam=[1.0])]))
    assert main(["info", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "record 1: root_cam" in err[0]
