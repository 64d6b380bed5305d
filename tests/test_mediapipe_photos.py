"""BlazePose (mediapipe) on the six real photos with ground truth, into the shipped model.

Needs the ``mediapipe`` extra (``pip install "hdnet[mediapipe]"``: mediapipe 0.10.14 carries
BlazePose in its wheel, so it runs offline) and the licensed photos in ``../shared/realdata``;
skips, saying which, without either. Nothing is fitted on these photos: they only measure.
"""

import json

import numpy as np
import pytest
import torch

from .conftest import shared_path

pytestmark = pytest.mark.slow

#: joints whose definitions agree between BlazePose and the motion-capture annotations
_LIMBS = ("l_shoulder", "r_shoulder", "l_elbow", "r_elbow", "l_wrist", "r_wrist", "l_knee", "r_knee", "l_ankle",
          "r_ankle")


def _photos():
    out = []
    for sub, fmt, root in (("h36m", "h36m_17", 0), ("mpi_inf_3dhp", "mupots_17", 14)):
        with open(shared_path("realdata", sub, "annotations.json")) as f:
            for fr in json.load(f)["frames"]:
                out.append((shared_path("realdata", sub, fr["image"].split("/")[-1]), fr, fmt, root))
    return out


def test_blazepose_on_real_photos_into_the_shipped_model():
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra (pip install \"hdnet[mediapipe]\"), "
                        "which carries BlazePose's models")
    from hdnet.camera import Camera
    from hdnet.graphs import get_skeleton
    from hdnet.keypoint import KeypointHDNet
    from hdnet.keypoint.detectors import MediaPipePose
    model = KeypointHDNet.pretrained("blazepose_33")
    detector = MediaPipePose()
    bp = get_skeleton("blazepose_33").joints
    errors, pixel_errors = [], []
    for path, fr, fmt, root in _photos():
        found = detector(path)
        assert found.shape == (1, 33, 3) and np.isfinite(found).all(), path.name  # one person, found
        gt_sk = get_skeleton(fmt).joints
        gt2d = np.asarray(fr["joints_2d_px"], np.float64)
        for name in _LIMBS:
            pixel_errors.append(np.linalg.norm(found[0, bp.index(name), :2] - gt2d[gt_sk.index(name)]))
        c = fr["camera"]
        cam = Camera(c["f"][0], c["f"][1], c["c"][0], c["c"][1])
        out = model.predict(torch.from_numpy(found[:, :, :2]), cam, torch.from_numpy(found[:, :, 2]),
                            format="blazepose_33")
        errors.append(float(np.linalg.norm(out.root_mm[0].double().numpy() - np.asarray(fr["joints_cam_mm"])[root])))
    # the detector sees these people: its limbs within a few percent of the image of the annotations
    assert np.median(pixel_errors) < 25.0, np.median(pixel_errors)
    # the shipped model from a real detector's keypoints: every root within 1.0 m and the mean
    # within 0.6 m (today: mean 478 mm, the worst 902 mm, a Human3.6M photo; short of the
    # 250 mm goal; docs/real.md says where it fails)
    assert np.isfinite(errors).all() and max(errors) < 1000.0 and np.mean(errors) < 600.0, errors
