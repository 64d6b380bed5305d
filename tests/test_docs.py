"""The docs stay true: their Python examples run, and every skeleton is listed."""

import re
from pathlib import Path

import pytest

from hdnet.graphs import list_skeletons

DOCS = Path(__file__).resolve().parents[1] / "docs"
RUNNABLE = ["layers.md", "camera.md", "model.md", "checkpoints.md"]


def _blocks(text: str):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("page", RUNNABLE)
def test_examples_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    blocks = [b for b in _blocks((DOCS / page).read_text()) if "not run by the docs test" not in b]
    assert blocks
    namespace = {"__name__": f"docs_{page}"}
    for code in blocks:
        exec(compile(code, f"docs/{page}", "exec"), namespace)


def test_readme_example_runs():
    text = (DOCS.parent / "README.md").read_text()
    blocks = _blocks(text)
    assert blocks
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})


def test_skeleton_page_lists_every_skeleton():
    text = (DOCS / "skeletons.md").read_text()
    for name in list_skeletons():
        assert f"## `{name}`" in text
