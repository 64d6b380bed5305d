"""The docs stay true: every Python example of README.md and docs/*.md runs as written (in
order, page by page, in a scratch folder), the tables of config keys equal the code's, and
every skeleton is listed. A block that cannot run here says why, just before it:
``<!-- docs-test: skip REASON -->``; it is reported as skipped with that reason, by name."""

import re
from pathlib import Path

import pytest

from hdnet.graphs import list_skeletons

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s+(.*?)\s*-->\s*$")
SHIPPED_SKELETONS = list_skeletons()  # before any example registers its own


def _blocks(page: Path):
    """``(code, skip reason or None)`` of every python block of a page, in order."""
    lines = page.read_text().split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
            m = _SKIP.search(before)
            out.append(("\n".join(lines[i + 1:j]) + "\n", m.group(1) if m else None))
            i = j
        i += 1
    return out


CASES = [(page, k) for page in PAGES for k in range(len(_blocks(page)))]
_NAMESPACES: dict = {}


@pytest.mark.parametrize("page,k", CASES, ids=[f"{p.relative_to(ROOT)}#{k}" for p, k in CASES])
def test_example_runs(page, k, tmp_path_factory, monkeypatch):
    code, skip = _blocks(page)[k]
    if skip:
        pytest.skip(skip)
    ns, folder = _NAMESPACES.setdefault(page, ({"__name__": f"docs_{page.stem}"}, tmp_path_factory.mktemp(page.stem)))
    monkeypatch.chdir(folder)  # examples write files; a page's blocks share one folder and one namespace
    exec(compile(code, f"{page.relative_to(ROOT)} block {k}", "exec"), ns)


def test_every_page_is_covered():
    assert {p.name for p in PAGES} >= {"README.md", "training.md", "real.md", "layers.md"}
    skipped = [(p.name, reason) for p in PAGES for _, reason in _blocks(p) if reason]
    assert all(len(reason) > 15 for _, reason in skipped), skipped  # a reason, not a placeholder


def test_config_tables_are_the_codes():
    from hdnet.train.config import config_tables
    assert config_tables() in (ROOT / "docs" / "training.md").read_text()


def test_skeleton_page_describes_every_skeleton_as_it_is():
    from hdnet.graphs import skeleton_markdown, skeleton_table_row
    text = (ROOT / "docs" / "skeletons.md").read_text()
    for name in SHIPPED_SKELETONS:
        assert skeleton_table_row(name) in text and skeleton_markdown(name) in text, name


def test_readme_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f"(docs/{page.name})" in readme, page.name
