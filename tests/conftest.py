import json
import os
from pathlib import Path

import pytest
import torch

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("HDNET_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


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


@pytest.fixture(scope="session")
def h36m_frames():
    with open(shared_path("realdata", "h36m", "annotations.json")) as f:
        return json.load(f)["frames"]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
