"""Skeletons described in Markdown: what docs/skeletons.md holds, made from the skeletons
themselves (a test checks the page agrees)."""

from __future__ import annotations

from typing import Union

from .registry import SKELETONS, resolve_skeleton
from .skeleton import Skeleton

__all__ = ["skeleton_markdown", "skeleton_table_row"]


def _aliases(name: str) -> list:
    return sorted(a for a, target in SKELETONS._aliases.items() if target == name)


def skeleton_table_row(skeleton: Union[str, Skeleton]) -> str:
    """One row of the page's overview table."""
    sk = resolve_skeleton(skeleton)
    aliases = ", ".join(f"`{a}`" for a in _aliases(sk.name))
    return (f"| `{sk.name}` | {aliases} | {sk.num_joints} | {sk.num_bones} | {sk.root} `{sk.root_name}` | "
            f"{sk.source} |")


def skeleton_markdown(skeleton: Union[str, Skeleton]) -> str:
    """A skeleton's section: its source, every joint with its parent and flip partner, and its
    bones."""
    sk = resolve_skeleton(skeleton)
    flip = {}
    for a, b in sk.flip_pairs or ():
        flip[a], flip[b] = b, a
    lines = [f"## `{sk.name}`", "", f"{sk.source}.", "", "| index | joint | parent | flip |", "|---|---|---|---|"]
    for j, name in enumerate(sk.joints):
        p = sk.parents[j]
        parent = "-" if p < 0 else f"{p} `{sk.joints[p]}`"
        lines.append(f"| {j} | `{name}` | {parent} | {flip.get(j, '')} |")
    lines += ["", "Bones: " + ", ".join(f"({a},{b})" for a, b in sk.bones), ""]
    return "\n".join(lines)
