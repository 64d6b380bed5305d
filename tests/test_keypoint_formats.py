"""The keypoint model's input formats: how each is made from motion capture for training (checked
against anatomy with independent geometry), the union of their joints, and the model's handling
of formats (flip symmetry, which output joints each format answers in)."""

import numpy as np
import pytest
import torch

from hdnet.apps.cli import main
from hdnet.graphs import get_skeleton
from hdnet.keypoint import KeypointHDNet
from hdnet.keypoint.formats import FORMATS, INPUT_FORMATS, PART_SIZE_RANGE, synthesize_keypoints
from hdnet.keypoint.model import union_skeleton
from hdnet.keypoint.task import to_mupots

from .test_real import standing_h36m


def _bodies(n=32, seed=0):
    """Human3.6M bodies turned every way, in a camera looking at them level from 4 m (X right,
    Y down, Z forward)."""
    world = torch.from_numpy(standing_h36m(n, seed))  # Z up
    yaw = torch.linspace(0, 2 * np.pi, n + 1, dtype=world.dtype)[:n, None]
    x = world[..., 0] * torch.cos(yaw) - world[..., 1] * torch.sin(yaw)
    y = world[..., 0] * torch.sin(yaw) + world[..., 1] * torch.cos(yaw)
    return torch.stack([x, -world[..., 2] + 900.0, y + 4000.0], -1)


def test_every_format_is_registered_with_its_skeleton():
    for name in INPUT_FORMATS:
        spec = FORMATS.get(name)
        assert spec.skeleton == get_skeleton(name) and spec.output in ("mupots_17", "h36m_17")
        assert all(j in spec.skeleton.joints for j in spec.reference)
        d = spec.difficulties()
        assert d.shape == (spec.skeleton.num_joints,) and ((d >= 0) & (d <= 1)).all()
    with pytest.raises(LookupError, match="coco_17"):
        FORMATS.get("coco17")


def test_union_graph_holds_every_format_and_its_bones():
    u = union_skeleton(INPUT_FORMATS)
    assert len(set(u.joints)) == u.num_joints
    for name in INPUT_FORMATS:
        sk = get_skeleton(name)
        assert set(sk.joints) <= set(u.joints)
        for a, b in sk.bones:
            i, k = u.joints.index(sk.joints[a]), u.joints.index(sk.joints[b])
            assert (min(i, k), max(i, k)) in {(min(x, y), max(x, y)) for x, y in u.bones}


@pytest.mark.parametrize("name", [f for f in INPUT_FORMATS if f not in ("mupots_17", "h36m_17")])
def test_detector_keypoints_are_where_anatomy_puts_them(name):
    h36m = _bodies()
    g = torch.Generator().manual_seed(1)
    pts = synthesize_keypoints(FORMATS.get(name), h36m, to_mupots(h36m), g)
    sk = get_skeleton(name)
    P = {j: pts[:, i] for i, j in enumerate(sk.joints)}
    H = {j: h36m[:, i] for i, j in enumerate(get_skeleton("h36m_17").joints)}
    height = (H["head"] - (H["l_ankle"] + H["r_ankle"]) / 2).norm(dim=-1)
    # a person faces the camera where their left shoulder is on the image's right (+X); then the
    # nose is nearer than the head's centre and the left eye is right of the right eye
    facing = H["l_shoulder"][:, 0] > H["r_shoulder"][:, 0]
    assert 0 < facing.sum() < len(facing)
    if "nose" in P:
        assert ((P["nose"][:, 2] < H["neck_nose"][:, 2]) == facing).float().mean() > 0.9
    if "l_eye" in P:
        # adult interpupillary distances are 54-74 mm; a detector's eye points stray from them by
        # up to the part-size factor either way, so that eye spacing is no exact ruler of depth
        gap = (P["l_eye"] - P["r_eye"]).norm(dim=-1)
        assert ((gap > 54 / PART_SIZE_RANGE - 1) & (gap < 74 * PART_SIZE_RANGE + 1)).all()
        assert ((P["l_eye"][:, 0] > P["r_eye"][:, 0]) == facing).float().mean() > 0.9
    # a detector's hips: below the motion-capture hip centres, by up to 6 % of the height
    for side in ("l", "r"):
        drop = P[f"{side}_hip"][:, 1] - H[f"{side}_hip"][:, 1]  # Y is down
        assert (drop / height > -0.03).all() and (drop / height < 0.09).all() and drop.mean() > 0
    # limbs stay at their joints (within a few per cent of the height)
    for j in ("l_knee", "r_wrist", "l_shoulder"):
        assert ((P[j] - H[j]).norm(dim=-1) / height).max() < 0.06
    if "l_big_toe" in P:  # toes a foot's length from the ankle; below it where the foot stands
        standing = H["l_ankle"][:, 1] > 899  # the ankle at the floor (Y = 900 is the lowest joint)
        assert standing.any() and (P["l_big_toe"][standing, 1] > H["l_ankle"][standing, 1]).float().mean() > 0.85
        assert ((P["l_big_toe"] - H["l_ankle"]).norm(dim=-1) > 100).all()


def test_small_parts_are_no_ruler():
    """One body drawn many times: the face, a foot and a hand come out at sizes spread over the
    part-size range (log-uniform, independent of each other), so their pixel size cannot tell a
    model the depth; with ``shift=0`` the spread is only anatomy's."""
    h36m = _bodies(1).repeat(4000, 1, 1)
    spec = FORMATS.get("blazepose_33")
    names = spec.skeleton.joints

    def sizes(shift):
        pts = synthesize_keypoints(spec, h36m, to_mupots(h36m), torch.Generator().manual_seed(3), shift)
        P = {j: pts[:, i] for i, j in enumerate(names)}
        ear = (P["l_ear"] - P["r_ear"]).norm(dim=-1)
        foot = (P["l_foot_index"] - P["l_heel"]).norm(dim=-1)
        hand = (P["r_pinky"] - P["r_thumb"]).norm(dim=-1)
        return ear, foot, hand

    ear, foot, hand = sizes(1.0)
    for x in (ear, foot, hand):
        ratio = torch.log(x / x.median())
        # log-uniform over +-log(1.3) convolved with anatomy's own narrow spread
        assert ratio.quantile(0.02) < -0.8 * np.log(PART_SIZE_RANGE) and ratio.quantile(0.98) > 0.8 * np.log(PART_SIZE_RANGE)
    for x in (ear, foot):  # (a hand's span also turns with the random palm direction)
        assert torch.log(x / x.median()).abs().max() < np.log(PART_SIZE_RANGE) + 0.2
    assert abs(np.corrcoef(torch.log(ear).numpy(), torch.log(foot).numpy())[0, 1]) < 0.1
    for x in sizes(0.0)[:2]:
        assert torch.log(x / x.median()).abs().quantile(0.98) < 0.8 * np.log(PART_SIZE_RANGE)


def test_annotation_formats_are_their_joints():
    h36m = _bodies(8)
    mupots = to_mupots(h36m)
    pts = synthesize_keypoints(FORMATS.get("mupots_17"), h36m, mupots, torch.Generator().manual_seed(0), shift=0.0)
    torch.testing.assert_close(pts, mupots)
    pts = synthesize_keypoints(FORMATS.get("h36m_17"), h36m, mupots, torch.Generator().manual_seed(0))
    assert ((pts - h36m).norm(dim=-1).amax() < 60) and ((pts - h36m).norm(dim=-1).mean() > 0)


def test_flip_testing_is_mirror_symmetric_for_any_weights():
    """``flip_average(mirror(x)) == mirror(flip_average(x))`` holds whatever the weights are,
    since it averages a pass with its mirrored pass."""
    torch.manual_seed(3)
    model = KeypointHDNet(("coco_17", "mupots_17"), channels=8, num_layers=1, width=32, blocks=1).eval()
    x = torch.randn(5, 17, 2) * 0.1
    conf = torch.rand(5, 17) * 0.8 + 0.2
    perm = get_skeleton("coco_17").flip_permutation()
    out_perm = get_skeleton("mupots_17").flip_permutation()
    mx = x[:, perm] * torch.tensor([-1.0, 1.0])
    with torch.no_grad():
        a = model.flip_average(x, conf, "coco_17")
        b = model.flip_average(mx, conf[:, perm], "coco_17")
        plain = model(x, conf, "coco_17")
    sign = torch.tensor([-1.0, 1.0, 1.0])
    torch.testing.assert_close(b.joints_rel_mm, a.joints_rel_mm[:, out_perm] * sign, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(b.root_mm, a.root_mm * sign, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(b.depth_mm, a.depth_mm, rtol=1e-5, atol=1e-3)
    assert not torch.allclose(plain.joints_rel_mm, a.joints_rel_mm)  # an untrained model is not symmetric
    assert (a.depth_std_mm >= torch.minimum(plain.depth_std_mm, b.depth_std_mm) * 0.5).all()


def test_model_refuses_bad_formats():
    with pytest.raises(ValueError, match="distinct formats"):
        KeypointHDNet(("coco_17", "coco_17"))
    with pytest.raises(LookupError, match="keypoint format"):
        KeypointHDNet(("nope",))
    m = KeypointHDNet(("coco_17",), channels=4, num_layers=1, width=8, blocks=0)
    with pytest.raises(TypeError, match="format: expected a format name"):
        m(torch.zeros(1, 17, 2), None, 17)
    assert m.formats_for(17) == ["coco_17"] and m.formats_for(33) == []
    np.testing.assert_array_equal(m.output_skeleton("coco_17").joints, get_skeleton("mupots_17").joints)


def _lean_head_back(world, degrees):
    """Human3.6M world bodies (Z up) with the head bone (Neck/Nose to the Head site) turned back
    by ``degrees`` about the torso's right axis, as some subjects' skeleton fits have it."""
    from hdnet.keypoint.formats import H36M
    x = world.clone()
    pivot, head = x[:, H36M["neck_nose"]], x[:, H36M["head"]]
    right = x[:, H36M["r_shoulder"]] - x[:, H36M["l_shoulder"]]
    right = right / right.norm(dim=-1, keepdim=True)
    v, a = head - pivot, torch.as_tensor(np.radians(degrees), dtype=x.dtype).reshape(-1, 1)
    # Rodrigues about `right`: a positive turn takes the bone's top backwards (away from the face)
    turned = (v * torch.cos(a) + torch.cross(right, v, dim=-1) * torch.sin(a)
              + right * (right * v).sum(-1, True) * (1 - torch.cos(a)))
    x[:, H36M["head"]] = pivot + turned
    return x


def test_faces_built_on_a_leaning_head_bone_are_turned_level():
    """A head bone leaning back by 30 degrees turns the face built on it up by 30 degrees: the
    eyes rise about 80 mm x sin 30 above the head's centre. ``face_elevation`` reads the lean,
    ``level_face_pitch`` takes each subject's median over its upright poses only, and a face
    turned down by it has its eyes level with the head's centre again."""
    from hdnet.data.mocap import MocapPoses
    from hdnet.keypoint.formats import H36M, face_elevation
    from hdnet.keypoint.task import level_face_pitch
    world = torch.from_numpy(standing_h36m(256, seed=4))
    z = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    torso = world[:, H36M["thorax"]] - world[:, H36M["pelvis"]]
    lean = torch.rad2deg(torch.acos(torso[:, 2] / torso.norm(dim=-1)))
    upright, bent = world[lean < 8.0][:48], world[lean > 15.0][:16]
    n = len(upright)
    leaning = upright
    for _ in range(4):  # every upright face made to look up 30 degrees
        leaning = _lean_head_back(leaning, 30.0 - np.degrees(face_elevation(leaning, z).numpy()))
    torch.testing.assert_close(face_elevation(leaning, z), torch.full((n,), np.radians(30.0), dtype=torch.float64),
                               rtol=0, atol=np.radians(0.1))
    wild = _lean_head_back(bent, 80.0)  # not upright: ignored by the subject's median
    both = torch.cat([leaning, wild, upright])
    poses = MocapPoses(both.numpy(), "h36m_17", subject=np.array(["S1"] * (n + len(wild)) + ["S6"] * n, dtype=object))
    pitch = level_face_pitch(poses)
    np.testing.assert_allclose(pitch[:n + len(wild)], np.radians(30.0), atol=np.radians(0.1))
    np.testing.assert_allclose(pitch[n + len(wild):], float(face_elevation(upright, z).median()), atol=1e-9)
    coco = FORMATS.get("coco_17")
    eye = coco.skeleton.joints.index("l_eye")

    def eye_rise(bodies, turn=None):
        """How far the left eye sits above the head's centre (mm, world up), definitions at shift 0."""
        pts = synthesize_keypoints(coco, bodies, to_mupots(bodies), torch.Generator().manual_seed(0), 0.0, turn)
        centre = bodies[:, H36M["neck_nose"]] + 0.55 * (bodies[:, H36M["head"]] - bodies[:, H36M["neck_nose"]])
        return pts[:, eye, 2] - centre[:, 2]

    up = eye_rise(leaning)
    assert float(up.median()) > 25.0, up.median()  # ~80 mm x sin 30, the face looking up
    turned = eye_rise(leaning, torch.from_numpy(pitch[:n]))
    # level: on median within a few mm; each within the drawn +-10 mm plus the shoulders' own tilt
    assert abs(float(turned.median())) < 5.0 and float(turned.abs().max()) < 25.0, turned
    # without a turn, the synthesis is what it was (the same random stream)
    torch.testing.assert_close(synthesize_keypoints(coco, upright, to_mupots(upright), torch.Generator().manual_seed(1)),
                               synthesize_keypoints(coco, upright, to_mupots(upright), torch.Generator().manual_seed(1),
                                                    1.0, torch.zeros(n, dtype=torch.float64)))


def test_25_points_in_another_order_than_body_25s_are_warned_of_and_read_by_name(tmp_path, capsys):
    """easy_ViTPose's coco_25 and OpenPose's experimental BODY_25B hold 25 points in orders of
    their own. Read by their count as BODY_25, a file of either warns, naming the layout it looks
    like; named, each reads as Halpe-26 with what it lacks missing (the head; the neck and
    pelvis). A BODY_25 file says nothing."""
    import json
    import warnings

    from hdnet import Camera
    from hdnet.keypoint import read_keypoints
    from hdnet.keypoint.formats import KeypointFormatWarning
    h36m = _bodies(24, seed=5)
    g = torch.Generator().manual_seed(5)
    camera = Camera(1000.0, 1000.0, 960.0, 540.0)
    seen = lambda pts: np.concatenate([camera.project(pts.numpy()), np.ones(pts.shape[:2] + (1,))], -1)  # noqa: E731
    halpe = seen(synthesize_keypoints(FORMATS.get("halpe_26"), h36m, to_mupots(h36m), g))
    body_25 = seen(synthesize_keypoints(FORMATS.get("body_25"), h36m, to_mupots(h36m), g))
    upper_neck = halpe[:, 18] + 0.3 * (halpe[:, 17] - halpe[:, 18])  # under the chin: up from the shoulders' middle
    # the orders, written out: Halpe's head 17, neck 18, hip 19, big toes 20-21, small toes 22-23, heels 24-25
    vitpose = halpe[:, [0, 1, 2, 3, 4, 18, 5, 6, 7, 8, 9, 10, 11, 12, 19, 13, 14, 15, 16, 20, 22, 24, 21, 23, 25]]
    body_25b = np.concatenate([halpe[:, :17], upper_neck[:, None], halpe[:, 17:18], halpe[:, [20, 22, 24, 21, 23, 25]]],
                              1)
    for name, people, looks in (("vitpose_25", vitpose, "vitpose_25"), ("body_25b", body_25b, "body_25b"),
                                ("body_25", body_25, None)):
        (tmp_path / f"{name}.json").write_text(json.dumps({"a.jpg": people.tolist()}))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert read_keypoints(tmp_path / f"{name}.json").format == "body_25"
        said = [str(w.message) for w in caught if issubclass(w.category, KeypointFormatWarning)]
        assert (said[0].split("look like ")[1].split(" ")[0] if said else None) == looks, (name, said)
        capsys.readouterr()
        assert main(["info", str(tmp_path / f"{name}.json")]) == 0  # hdnet info says it too
        assert ("they look like" in capsys.readouterr().out) == (looks is not None)
    lacking = {"vitpose_25": [17], "body_25b": [18, 19]}
    for name in ("vitpose_25", "body_25b"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", KeypointFormatWarning)
            found = read_keypoints(tmp_path / f"{name}.json", name)
        got = found.people["a.jpg"]
        assert found.format == "halpe_26"
        keep = [j for j in range(26) if j not in lacking[name]]
        np.testing.assert_allclose(got[:, keep], halpe[:, keep])
        assert (got[:, lacking[name], 2] == 0).all()
