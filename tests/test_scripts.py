"""The analysis scripts' own arithmetic (scripts/: they measure, the package does not use them)."""

import importlib.util
from pathlib import Path

import numpy as np


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_blazepose_world_fit_places_a_body_where_it_is_seen():
    """``place`` recovers the translation that projected a body (pinhole with f and c), and a
    point of zero weight, however wrong, does not move it."""
    place = _script("blazepose_world_fit").place
    rng = np.random.default_rng(0)
    body = rng.normal(0.0, 300.0, (33, 3))  # metres about the hips, as mm
    t = np.array([-420.0, 310.0, 4800.0])
    f, c = (1145.0, 1143.0), (512.0, 515.0)
    cam = body + t
    seen = cam[:, :2] / cam[:, 2:] * np.asarray(f) + np.asarray(c)
    weight = rng.uniform(0.2, 1.0, 33)
    assert np.allclose(place(seen, body, weight, f, c), t, atol=1e-6)
    seen[5] += 300.0
    weight[5] = 0.0
    assert np.allclose(place(seen, body, weight, f, c), t, atol=1e-6)


def test_model_figures_runs_are_evaluation_options():
    """Each run of ``scripts/model_figures.py`` is a call ``evaluate_mupots`` accepts (a misspelt
    option would only show when the script is run on the licensed data)."""
    import inspect

    from hdnet.keypoint import evaluate_mupots
    from hdnet.keypoint.evaluation import TRACK_SOURCES
    from hdnet.scene import SCENE_MODES
    signature = inspect.signature(evaluate_mupots)
    for name, kwargs in _script("model_figures").MUPOTS_RUNS.items():
        signature.bind(None, [], **kwargs)
        assert kwargs.get("scene", "none") in SCENE_MODES and kwargs.get("tracks", "given") in TRACK_SOURCES, name


def test_format_evidence_picks_each_format_on_the_training_views():
    """``scripts/format_evidence.py``'s measurement runs where the licensed data is (the script
    prints; here its figures' direction is checked: each format's own reading is the shortest)."""
    import pytest
    realdata = Path(__file__).parents[1].parent / "shared" / "realdata"
    if not (realdata / "h36m_poses.h5").is_file():
        pytest.skip("needs ../shared/realdata (Human3.6M motion capture and MuPoTS-3D, licensed, not in the repository)")
    import contextlib
    import io
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        _script("format_evidence").main(["--realdata", str(realdata), "--stride", "200"])
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("MuPoTS-3D TS") for line in lines) == 10 and len(lines) == 14
    import re
    for line in lines:
        right = re.search(r"\(\d+ people, (\w+)\)|\(\d+, (\w+)\)", line).group(0)  # the format the people are in
        right = right.rstrip(")").split(", ")[-1]
        ratios = {f: float(r) for f, r in re.findall(r"(\w+_17) [\d.]+ \(([\d.]+)x\)", line)}
        assert ratios[right] == 1.0 and all(r > 1.2 for f, r in ratios.items() if f != right), line


def test_live_speed_walkers_are_seen_standing_in_the_image():
    """``scripts/live_speed.py``'s made-up video: every body in the 1920 x 1080 frame, upright
    (head above feet in the image), moving a few pixels from frame to frame."""
    script = _script("live_speed")
    kp = script.walkers(5, 3)
    assert kp.shape == (5, 3, 17, 2)
    assert (kp[..., 0] > 0).all() and (kp[..., 0] < 1920).all() and (kp[..., 1] > 0).all() and (kp[..., 1] < 1080).all()
    assert (kp[:, :, 16, 1] < kp[:, :, [10, 13], 1].min(-1)).all()  # the head (MuPoTS joint 16) above the ankles
    assert 0 < np.abs(np.diff(kp, axis=0)).max() < 20
