"""Synthetic multi-person scenes: the embedded default data set for the demo and the tests.

Deterministic (seeded) scenes in which depth has to be read from appearance, as in photos:

- posed 3D skeletons (MuPoTS 17-joint order) from a kinematic tree with joint-angle limits and
  body heights of 1.50-1.95 m, so size alone cannot tell depth;
- 1-5 people per image, pelvis anywhere in the camera frustum at 1.5-10 m (or standing on a
  ground plane), real intrinsics scaled to the image (Human3.6M- or MuPoTS-like cameras);
- rendered with Pillow: limbs as shaded capsules whose thickness and head size scale with the
  person's height, drawn far to near (occlusion), per-person clothing colours, a textured
  background with distractor shapes, lighting noise.

:func:`write_mupots_json` and :func:`write_h36m_h5` write a set in the real layouts so the
demo and the tests go through the same readers as real data.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw

from ..camera import Camera
from ..core.config import ConfigBase, option
from ..graphs import get_skeleton

__all__ = ["SceneConfig", "Scene", "SyntheticPerson", "sample_pose", "make_scene", "render_scene",
           "write_mupots_json", "write_h36m_h5", "camera_for", "synthetic_mocap", "standing_bodies"]

_SK = get_skeleton("mpi_inf_3dhp_17")
J = {name: i for i, name in enumerate(_SK.joints)}
# limbs drawn as capsules: (joint a, joint b, radius as a fraction of body height)
_LIMBS = [("head_top", "head", 0.0), ("head", "neck", 0.035), ("neck", "spine", 0.085),
          ("spine", "pelvis", 0.08), ("pelvis", "r_hip", 0.06), ("pelvis", "l_hip", 0.06),
          ("r_hip", "r_knee", 0.045), ("r_knee", "r_ankle", 0.035), ("l_hip", "l_knee", 0.045),
          ("l_knee", "l_ankle", 0.035), ("neck", "r_shoulder", 0.04), ("neck", "l_shoulder", 0.04),
          ("r_shoulder", "r_elbow", 0.033), ("r_elbow", "r_wrist", 0.028),
          ("l_shoulder", "l_elbow", 0.033), ("l_elbow", "l_wrist", 0.028)]
_HEAD_RADIUS = 0.065  # fraction of height
_TOP = {"head", "neck", "spine", "pelvis", "r_shoulder", "l_shoulder", "r_elbow", "l_elbow"}
# (joint a, joint b, radius, colour: 0 = top clothes, 1 = bottom clothes, 2 = skin)
_LIMB_INFO = [(J[a], J[b], rad, 2 if a == "head_top" else (0 if (a in _TOP and b in _TOP) or "shoulder" in b
                                                           or "elbow" in a else 1))
              for a, b, rad in _LIMBS]

#: Cameras at their native resolution: Human3.6M (camera 54138969) and MuPoTS-3D (TS1).
NATIVE_CAMERAS = {"h36m": (Camera(1145.05, 1143.78, 512.54, 515.45), (1000, 1002)),
                  "mupots": (Camera(1497.7, 1497.8, 1024.0, 1024.0), (2048, 2048))}


def camera_for(kind: str, image_size: int) -> Camera:
    """A Human3.6M- or MuPoTS-like camera for a square image of ``image_size`` pixels (the
    native camera's field of view over the image's shorter side, principal point kept at the
    same relative position)."""
    if kind not in NATIVE_CAMERAS:
        raise ValueError(f"camera: expected one of {sorted(NATIVE_CAMERAS)}, got {kind!r}")
    cam, (w, h) = NATIVE_CAMERAS[kind]
    s = image_size / min(w, h)
    return Camera(cam.fx * s, cam.fy * s, (cam.cx + 0.5) / w * image_size - 0.5,
                  (cam.cy + 0.5) / h * image_size - 0.5)


@dataclass
class SceneConfig(ConfigBase):
    """What scenes look like (every value checked when the config is made).

    Args:
        image_size: square image side (px).
        camera: ``"h36m"``, ``"mupots"`` (scaled to the image) or a :class:`Camera`.
        people: (min, max) people per image.
        depth_m: (min, max) pelvis depth in metres.
        height_m: (min, max) body height in metres.
        ground_plane: stand everyone on a floor ``camera_height_m`` below the camera instead of
            placing the pelvis anywhere in the frustum.
        noise: standard deviation of the lighting noise (0-255 scale).
    """

    image_size: int = option(256, "square image side (px)", low=16, high=8192)
    camera: Union[str, Camera] = option("mupots", "camera: 'h36m', 'mupots' or a Camera", kind="any")
    people: Tuple[int, int] = option((1, 5), "(min, max) people per image", low=0, high=64)
    depth_m: Tuple[float, float] = option((1.5, 10.0), "(min, max) pelvis depth (m)", low=0.3, high=100.0)
    height_m: Tuple[float, float] = option((1.50, 1.95), "(min, max) body height (m)", low=0.3, high=3.0)
    ground_plane: bool = option(False, "stand everyone on a floor below the camera")
    camera_height_m: float = option(1.5, "the camera's height above the floor (m)", low=0.0, high=100.0)
    noise: float = option(6.0, "lighting noise standard deviation (0-255 scale)", low=0.0, high=255.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.camera, Camera) and self.camera not in NATIVE_CAMERAS:
            raise ValueError(f"camera: expected one of {sorted(NATIVE_CAMERAS)} or a Camera, got {self.camera!r}")
        people = tuple(self.people)
        if any(float(n) != int(n) for n in people):
            raise TypeError(f"people: expected whole numbers, got {people}")
        self.people = (int(people[0]), int(people[1]))

    def get_camera(self) -> Camera:
        return self.camera if isinstance(self.camera, Camera) else camera_for(self.camera, self.image_size)


@dataclass
class SyntheticPerson:
    joints_cam: np.ndarray  #: [17, 3] mm, MuPoTS order
    height_mm: float
    colors: np.ndarray  #: [3, 3] RGB: top, bottom, skin


@dataclass
class Scene:
    camera: Camera
    image_size: int
    people: List[SyntheticPerson] = field(default_factory=list)


# 3-vectors as plain tuples: numpy's per-call overhead dominates on vectors this small
def _add(a, b, k=1.0):
    return (a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2])


def _mul(a, k):
    return (a[0] * k, a[1] * k, a[2] * k)


def _dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _unit(v):
    n = math.sqrt(_dot(v, v))
    return (v[0] / n, v[1] / n, v[2] / n)


def _rot(v, axis, angle: float):
    """Rodrigues rotation of ``v`` about the unit ``axis``."""
    c, s = math.cos(angle), math.sin(angle)
    k = _dot(axis, v) * (1 - c)
    cr = _cross(axis, v)
    return (v[0] * c + cr[0] * s + axis[0] * k, v[1] * c + cr[1] * s + axis[1] * k,
            v[2] * c + cr[2] * s + axis[2] * k)


def sample_pose(rng: np.random.Generator, height_mm: float, yaw: Optional[float] = None) -> np.ndarray:
    """A random body pose ``[17, 3]`` in mm (MuPoTS order), pelvis at the origin, in camera
    axes (X right, Y down, Z away from the camera), within joint-angle limits: hips swing
    -30..100 degrees forward and 0..45 sideways, knees bend 0..130, shoulders lift 0..170 in any
    direction, elbows bend 0..140, the spine leans -15..45 forward and +-20 sideways, the torso
    twists +-35 and the whole body turns ``yaw`` (any direction by default)."""
    h = height_mm
    u = rng.random(40)  # every random number this pose needs, drawn at once
    nrm = rng.normal(size=6)
    uni = lambda i, lo, hi: lo + (hi - lo) * u[i]  # noqa: E731
    yaw = uni(0, -math.pi, math.pi) if yaw is None else yaw
    up = (0.0, -1.0, 0.0)
    fwd = (math.sin(yaw), 0.0, -math.cos(yaw))  # yaw = 0: facing the camera
    right = (-math.cos(yaw), 0.0, -math.sin(yaw))  # the person's right
    p = [(0.0, 0.0, 0.0)] * 17
    lean_f, lean_s = math.radians(uni(1, -15, 45)), math.radians(uni(2, -20, 20))
    spine_dir = _unit(_rot(_rot(up, right, -lean_f), fwd, lean_s))
    p[J["spine"]] = _mul(spine_dir, 0.15 * h)
    twist = math.radians(uni(3, -35, 35))
    r2, f2 = _rot(right, spine_dir, twist), _rot(fwd, spine_dir, twist)
    p[J["neck"]] = _add(p[J["spine"]], _unit(_add(spine_dir, tuple(nrm[:3]), 0.1)), 0.165 * h)
    head_dir = _unit(_add(spine_dir, tuple(nrm[3:]), 0.25))
    p[J["head"]] = _add(p[J["neck"]], head_dir, 0.057 * h)
    p[J["head_top"]] = _add(p[J["head"]], head_dir, 0.113 * h)
    for k, (side, sgn) in enumerate((("r", 1.0), ("l", -1.0))):
        o = 4 + 12 * k
        hip = _mul(right, sgn * 0.078 * h)
        p[J[f"{side}_hip"]] = hip
        swing = math.radians(uni(o + 1, -30, 100) if u[o] < 0.4 else uni(o + 1, -20, 35))
        abduct = math.radians(uni(o + 3, 0, 45) if u[o + 2] < 0.3 else uni(o + 3, 0, 12))
        thigh = _rot(_rot(_mul(up, -1.0), right, swing), fwd, -sgn * abduct)
        p[J[f"{side}_knee"]] = _add(hip, thigh, 0.25 * h)
        knee = math.radians(uni(o + 5, 0, 130) if u[o + 4] < 0.5 else uni(o + 5, 0, 25))
        axis = _unit(_cross(thigh, fwd)) if abs(_dot(thigh, fwd)) < 0.99 else right
        shin = _rot(thigh, axis, knee)
        if _dot(shin, fwd) > _dot(thigh, fwd) + 1e-9:  # knees bend backwards
            shin = _rot(thigh, axis, -knee)
        p[J[f"{side}_ankle"]] = _add(p[J[f"{side}_knee"]], shin, 0.247 * h)
        sh = _add(_add(p[J["neck"]], r2, sgn * 0.092 * h), spine_dir, -0.01 * h)
        p[J[f"{side}_shoulder"]] = sh
        lift = math.radians(uni(o + 7, 0, 170) if u[o + 6] < 0.5 else uni(o + 7, 0, 40))
        azim = uni(o + 8, -math.pi, math.pi)
        side_axis = _unit(_add(_mul(f2, math.cos(azim)), r2, math.sin(azim) * sgn))
        down = _mul(spine_dir, -1.0)
        upper = _rot(down, _unit(_cross(down, side_axis)), lift)
        p[J[f"{side}_elbow"]] = _add(sh, upper, 0.16 * h)
        bend = math.radians(uni(o + 9, 0, 140))
        axis = _unit(_cross(upper, f2)) if abs(_dot(upper, f2)) < 0.99 else r2
        p[J[f"{side}_wrist"]] = _add(p[J[f"{side}_elbow"]], _rot(upper, axis, -bend), 0.142 * h)
    return np.array(p)


def _project(cam: Camera, pts: np.ndarray) -> np.ndarray:
    """Pinhole projection in plain numpy (the scenes have no distortion)."""
    return np.stack([cam.fx * pts[:, 0] / pts[:, 2] + cam.cx, cam.fy * pts[:, 1] / pts[:, 2] + cam.cy], 1)


def make_scene(rng: np.random.Generator, config: SceneConfig) -> Scene:
    """Draw a scene: people, their poses and where they stand."""
    cam = config.get_camera()
    size = config.image_size
    n = int(rng.integers(config.people[0], config.people[1] + 1))
    people = []
    for _ in range(n):
        height = rng.uniform(*config.height_m) * 1000.0
        pose = sample_pose(rng, height)
        z = rng.uniform(*config.depth_m) * 1000.0
        u = rng.uniform(0.1, 0.9) * size
        x = (u - cam.cx) / cam.fx * z
        if config.ground_plane:
            feet = pose[[J["r_ankle"], J["l_ankle"]], 1].max()
            y = config.camera_height_m * 1000.0 - feet
        else:
            v = rng.uniform(0.15, 0.85) * size
            y = (v - cam.cy) / cam.fy * z
        joints = pose + np.array([x, y, z])
        if joints[:, 2].min() < 300.0:  # keep everything well in front of the camera
            joints[:, 2] += 300.0 - joints[:, 2].min()
        colors = np.stack([rng.integers(30, 226, 3), rng.integers(20, 200, 3),
                           np.array([rng.integers(150, 240), rng.integers(100, 190), rng.integers(80, 160)])])
        people.append(SyntheticPerson(joints, height, colors.astype(np.float64)))
    return Scene(cam, size, people)


def _background(rng: np.random.Generator, size: int) -> Image.Image:
    base = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize((size, size), Image.Resampling.BILINEAR)
    fine = Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).resize((size, size), Image.Resampling.BICUBIC)
    img = Image.blend(img, fine, 0.25)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 9))):  # distractor shapes
        x0, y0 = rng.uniform(-0.1, 1.0, 2) * size
        w, h = rng.uniform(0.03, 0.3, 2) * size
        color = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse([x0, y0, x0 + w, y0 + h], fill=color)
        else:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=color)
    return img


def render_scene(scene: Scene, rng: np.random.Generator, noise: float = 6.0) -> np.ndarray:
    """Render a scene to an ``H x W x 3`` uint8 RGB image."""
    size, cam = scene.image_size, scene.camera
    img = _background(rng, size)
    draw = ImageDraw.Draw(img)
    light = rng.uniform(0.7, 1.15)
    order = sorted(range(len(scene.people)), key=lambda i: -scene.people[i].joints_cam[J["pelvis"], 2])
    for i in order:  # far to near
        person = scene.people[i]
        uv = _project(cam, person.joints_cam).tolist()
        z = person.joints_cam[:, 2].tolist()
        f = math.sqrt(cam.fx * cam.fy)
        parts = [((z[ia] + z[ib]) / 2, ia, ib, rad, color) for ia, ib, rad, color in _LIMB_INFO]
        parts.append((z[J["head"]], J["head"], J["head"], _HEAD_RADIUS, 2))
        colors = person.colors.tolist()
        for zm, ia, ib, rad, color in sorted(parts, key=lambda t: -t[0]):
            if rad == 0.0:
                continue
            r = max(f * rad * person.height_mm / zm, 0.6)
            base = colors[color]
            shade = light * (0.75 + 0.25 * min(1.0, 3000.0 / zm))
            dark = tuple(min(255, int(c * shade * 0.6)) for c in base)
            mid = tuple(min(255, int(c * shade)) for c in base)
            (x0, y0), (x1, y1) = uv[ia], uv[ib]
            if ia == ib:  # the head
                draw.ellipse([x0 - r, y0 - r * 1.15, x0 + r, y0 + r * 1.15], fill=dark)
                draw.ellipse([x0 - r * 0.8, y0 - r * 0.95, x0 + r * 0.6, y0 + r * 0.75], fill=mid)
                continue
            hi = tuple(min(255, int(c * shade * 1.25 + 20)) for c in base)
            for fill, scale in ((dark, 1.0), (mid, 0.7), (hi, 0.3)):
                rr = r * scale
                draw.line([(x0, y0), (x1, y1)], fill=fill, width=max(int(2 * rr), 1))
                draw.ellipse([x0 - rr, y0 - rr, x0 + rr, y0 + rr], fill=fill)
                draw.ellipse([x1 - rr, y1 - rr, x1 + rr, y1 + rr], fill=fill)
    out = np.asarray(img, dtype=np.int16)
    if noise > 0:
        bank = _noise_bank(size)
        k = int(rng.integers(0, bank.shape[0]))
        out = out + (bank[k] * (noise / 8.0)).astype(np.int16)
    return np.clip(out, 0, 255).astype(np.uint8)


_NOISE: dict = {}


def _noise_bank(size: int) -> np.ndarray:
    """A few fixed noise images (sd 8) reused with random picks: drawing fresh Gaussian noise
    per image would cost more than the rendering."""
    if size not in _NOISE:
        g = np.random.default_rng(12345)
        _NOISE[size] = np.round(g.normal(0, 8, (8, size, size, 3))).astype(np.int16)
    return _NOISE[size]


def _person_record(person: SyntheticPerson, cam: Camera, size: int) -> dict:
    uv = _project(cam, person.joints_cam)
    z = person.joints_cam[:, 2]
    pad = math.sqrt(cam.fx * cam.fy) * 0.07 * person.height_mm / z.min()
    x0, y0 = np.clip(uv.min(0) - pad, 0, size - 1)
    x1, y1 = np.clip(uv.max(0) + pad, 0, size - 1)
    inside = ((uv >= 0) & (uv <= size - 1)).all(1)
    return {"keypoints_cam": person.joints_cam.round(3).tolist(), "keypoints_img": uv.round(3).tolist(),
            "keypoints_vis": inside.astype(int).tolist(), "bbox": [float(x0), float(y0),
                                                                 float(x1 - x0), float(y1 - y0)],
            "height_mm": round(float(person.height_mm), 1)}


def write_mupots_json(out_dir, num_images: int, seed: int = 0, config: Optional[SceneConfig] = None,
                      name: str = "MuPoTS-3D.json", quality: int = 92) -> Path:
    """Write ``num_images`` scenes in RootNet's MuPoTS-3D layout: ``out_dir/images/*.jpg`` and
    ``out_dir/<name>`` (``images`` with ``intrinsic``; ``annotations`` with ``keypoints_cam``,
    ``keypoints_img``, ``keypoints_vis``, ``bbox`` (xywh), ``is_valid``, and the extra
    ``height_mm``). People whose box would be empty are left out. Read it back with
    :class:`hdnet.data.MuPoTS`. Returns the JSON path."""
    config = config or SceneConfig()
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images: list = []
    anns: list = []
    for i in range(num_images):
        scene = make_scene(rng, config)
        pixels = render_scene(scene, rng, config.noise)
        fname = f"images/img_{i:06d}.jpg"
        Image.fromarray(pixels).save(out / fname, quality=quality)
        cam = scene.camera
        images.append({"id": i, "file_name": fname, "width": config.image_size,
                       "height": config.image_size, "intrinsic": [cam.fx, cam.fy, cam.cx, cam.cy]})
        for person in scene.people:
            rec = _person_record(person, cam, config.image_size)
            if rec["bbox"][2] < 1 or rec["bbox"][3] < 1:
                continue
            anns.append({"id": len(anns), "image_id": i, "is_valid": 1, **rec})
    path = out / name
    with open(path, "w") as f:
        json.dump({"images": images, "annotations": anns,
                   "categories": [{"id": 1, "name": "person"}]}, f)
    return path


def _to_h36m(joints_mupots: np.ndarray) -> np.ndarray:
    """MuPoTS-order joints -> Human3.6M order (spine and thorax as in MuPoTS; H36M's
    neck/nose and head taken as MuPoTS's head and head top)."""
    order = ["pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "spine", "neck",
             "head", "head_top", "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist"]
    return joints_mupots[..., [J[n] for n in order], :]


def standing_bodies(num: int, seed: int = 0, heights=(1500.0, 1900.0)) -> np.ndarray:
    """``[num, 17, 3]`` bodies from :func:`sample_pose` (MuPoTS-3D joints, heights drawn in
    ``heights`` mm) standing in world axes: Z up, the lowest joint on the floor at Z = 0.

    >>> standing_bodies(2).shape
    (2, 17, 3)
    """
    rng = np.random.default_rng(seed)
    cam = np.stack([sample_pose(rng, rng.uniform(*heights)) for _ in range(num)])  # camera axes, Y down
    world = np.stack([cam[..., 0], cam[..., 2], -cam[..., 1]], -1)
    world[..., 2] -= world[..., 2].min(1, keepdims=True)
    return world


def synthetic_mocap(num_poses: int, seed: int = 0, sequences: int = 4, heights=(1500.0, 1900.0)):
    """Motion capture made up: ``num_poses`` bodies from :func:`sample_pose` in Human3.6M's 17
    joints and world axes (Z up, the lower ankle on the floor at Z = 0; its head marker from the
    head top, its thorax from the neck), spread over ``sequences`` sequences of one subject
    ``"S1"``. For training and benchmarking :mod:`hdnet.keypoint` where no Human3.6M is at hand.

    >>> synthetic_mocap(8).poses.shape
    (8, 17, 3)
    """
    from .mocap import MocapPoses

    if num_poses < 1 or sequences < 1:
        raise ValueError(f"num_poses, sequences: expected at least 1, got {num_poses}, {sequences}")
    return MocapPoses(_to_h36m(standing_bodies(num_poses, seed, heights)), "h36m_17",
                      subject=np.array(["S1"] * num_poses, dtype=object),
                      sequence=np.array([f"Synthetic {i % sequences}" for i in range(num_poses)], dtype=object),
                      frame=np.arange(num_poses) // sequences)


def write_h36m_h5(root, subjects=(1, 5, 9), sequences_per_subject: int = 2,
                  frames_per_sequence: int = 10, seed: int = 0,
                  config: Optional[SceneConfig] = None) -> Path:
    """Write a single-person synthetic set in the original HDNet Human3.6M layout under
    ``root``: ``annotations/subject_{S}.h5`` (one group per sequence with the attributes and
    ``f``, ``c``, ``joints_2d``, ``joints_3d`` in Human3.6M's 17-joint order) and
    ``images/{train|test}/s_SS_act_AA_subact_BB_ca_CC/..._{frame:06d}.jpg`` (subjects 9 and 11
    under ``test``). Read it back with :class:`hdnet.data.Human36M`. Returns ``root``."""
    import h5py

    config = config or SceneConfig(camera="h36m", people=(1, 1))
    root = Path(root)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cam = config.get_camera()
    for s in subjects:
        split = "test" if s in (9, 11) else "train"
        with h5py.File(root / "annotations" / f"subject_{s}.h5", "w") as f:
            for q in range(sequences_per_subject):
                act, subact, ca = 2 + q, 1, 1 + (q % 4)
                folder = f"s_{s:02d}_act_{act:02d}_subact_{subact:02d}_ca_{ca:02d}"
                (root / "images" / split / folder).mkdir(parents=True, exist_ok=True)
                j2, j3 = [], []
                for k in range(frames_per_sequence):
                    scene = make_scene(rng, SceneConfig(**{**config.__dict__, "people": (1, 1)}))
                    Image.fromarray(render_scene(scene, rng, config.noise)).save(
                        root / "images" / split / folder / f"{folder}_{k + 1:06d}.jpg", quality=92)
                    joints = _to_h36m(scene.people[0].joints_cam)
                    j3.append(joints)
                    j2.append(_project(cam, joints))
                g = f.create_group(str(q))
                g.attrs.update({"subject": s, "action": act, "subaction": subact,
                                "action_name": f"Synthetic{act}", "camera_id": ca})
                n = frames_per_sequence
                g.create_dataset("f", data=np.tile([[cam.fx], [cam.fy]], (n, 1, 1)))
                g.create_dataset("c", data=np.tile([[cam.cx], [cam.cy]], (n, 1, 1)))
                g.create_dataset("joints_2d", data=np.asarray(j2))
                g.create_dataset("joints_3d", data=np.asarray(j3))
    return root
