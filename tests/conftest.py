"""Shared fixtures and builders: paths to shipped and licensed test data, small models, inputs,
synthetic scenes and subprocess helpers."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("HDNET_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))
ROOT = Path(__file__).resolve().parents[1]


def fixture_path(*parts) -> Path:
    """A test vector shipped in ``tests/fixtures`` (generated for this project; always there)."""
    p = FIXTURES.joinpath(*parts)
    assert p.exists(), f"missing shipped fixture {p}"
    return p


def shared_path(*parts) -> Path:
    """Licensed real data in ``../shared`` (development set-up only): skip where absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"licensed real data {p} is not here (it lives in the development set-up's "
                    "../shared, or set HDNET_SHARED)")
    return p


def tiny_hdnet(skeleton="h36m_17", *, input_size=64, framing="image", seed=0, depth=18, width=8, channels=16,
               **kw):
    """A small HDNet (ResNet-18-FPN, narrow) in eval mode, seeded: what most model tests need."""
    from hdnet import HDNet, Preprocessing, ResNetFPN
    torch.manual_seed(seed)
    kw.setdefault("branch_channels", 8)
    return HDNet(skeleton, backbone=ResNetFPN(depth, out_channels=32, width=width), channels=channels,
                 preprocessing=Preprocessing(input_size, framing), **kw).eval()


def image_batch(n, p, size=64, seed=0, batch=None, focal=1000.0):
    """A random :class:`~hdnet.data.ImageBatch` of ``n`` images of ``size`` px and ``p`` people
    with box masks at different places (person ``i`` in image ``batch[i]``; default: one per
    image when ``n == p``, else all in image 0)."""
    from hdnet.data import ImageBatch
    g = torch.Generator().manual_seed(seed)
    h = size // 4
    images = torch.randn(n, 3, size, size, generator=g)
    cmap = torch.randn(n, 2, h, h, generator=g) * 0.3
    mask = torch.zeros(p, h, h, dtype=torch.bool)
    for i in range(p):
        y, x = (3 * i) % max(h - 8, 1), (5 * i) % max(h - 10, 1)
        mask[i, y:y + 8, x:x + 10] = True
    if batch is None:
        batch = torch.arange(p) if n == p else torch.zeros(p, dtype=torch.long)
    return ImageBatch(images, cmap, mask, torch.as_tensor(batch, dtype=torch.long), torch.full((p, 2), float(focal)))


def run_python(code: str, cwd, env_extra=None, timeout=300, check=True) -> subprocess.CompletedProcess:
    """``python -c code`` in a fresh process; asserts success unless ``check`` is False."""
    env = dict(os.environ, **(env_extra or {}))
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True,
                         text=True, timeout=timeout, env=env, check=False)
    if check:
        assert res.returncode == 0, res.stdout + res.stderr
    return res


def run_cli(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    """``python -m hdnet ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "hdnet", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def scenes(tmp_path_factory):
    """24 synthetic 64 px scenes with 1-3 people each, MuPoTS layout: ``(json path, image root)``."""
    from hdnet.data.synthetic import SceneConfig, write_mupots_json
    out = tmp_path_factory.mktemp("scenes")
    return write_mupots_json(out, 24, seed=0, config=SceneConfig(image_size=64, people=(1, 3))), out


@pytest.fixture(scope="session")
def h36m_frames():
    with open(shared_path("realdata", "h36m", "annotations.json")) as f:
        return json.load(f)["frames"]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
