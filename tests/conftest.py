import json
import os
from pathlib import Path

import pytest
import torch

SHARED = Path(os.environ.get("HDNET_SHARED", Path(__file__).resolve().parents[1].parent / "shared"))


def shared_path(*parts) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared fixture {p} not found")
    return p


@pytest.fixture(scope="session")
def h36m_frames():
    with open(shared_path("realdata", "h36m", "annotations.json")) as f:
        return json.load(f)["frames"]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
