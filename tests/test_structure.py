"""The library's shape: no import cycles, and no module importing from a floor above its own
(docs/architecture.md). Imports are read from the source (function-level ones included), not
executed."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "hdnet"

#: Each top-level part of hdnet and its floor: a module may import from its own floor or below.
FLOORS = {"core": 0, "graphs": 1, "camera": 1, "layers": 2, "data": 3, "models": 4, "losses": 5, "metrics": 5,
          "baselines": 5, "scene": 5, "train": 6, "predict": 6, "keypoint": 7, "benchmarks": 8, "apps": 9,
          "__init__": 10, "__main__": 10}


def _modules():
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_pkg)
    return out


MODULES = _modules()


def _imports(name: str):
    """The hdnet modules ``name`` imports (with the packages that holds them, outside its own)."""
    path, is_pkg = MODULES[name]
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        targets = []
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else []
            mod = ".".join(base + (node.module.split(".") if node.module else []))
            targets.append(mod)
            targets += [f"{mod}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets += [a.name for a in node.names]
        for t in targets:
            if t in MODULES and t.startswith("hdnet"):
                found.add(t)
    with_parents = set(found)
    for t in found:  # importing a.b.c runs the packages a.b above it, unless the importer is inside them
        parts = t.split(".")
        for k in range(2, len(parts)):
            parent = ".".join(parts[:k])
            if parent in MODULES and not name.startswith(parent + "."):
                with_parents.add(parent)
    return with_parents - {name}


GRAPH = {name: _imports(name) for name in MODULES}


def _floor(name: str) -> int:
    parts = name.split(".")
    return FLOORS["__init__"] if len(parts) == 1 else FLOORS[parts[1]]


def test_every_part_has_a_floor():
    assert {n.split(".")[1] for n in MODULES if "." in n} <= set(FLOORS)


def test_no_module_imports_from_a_higher_floor():
    upward = sorted(f"{a} (floor {_floor(a)}) imports {b} (floor {_floor(b)})"
                    for a, deps in GRAPH.items() for b in deps if _floor(b) > _floor(a))
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    colour, cycles = {}, []

    def visit(n, stack):
        colour[n] = 1
        for m in sorted(GRAPH[n]):
            if colour.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif m not in colour:
                visit(m, stack + [m])
        colour[n] = 2
    for n in sorted(GRAPH):
        if n not in colour:
            visit(n, [n])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_root_is_the_only_way_up():
    """Nothing but the package's own entry points imports the root package ``hdnet``."""
    users = sorted(a for a, deps in GRAPH.items() if "hdnet" in deps and a not in ("hdnet.__main__",))
    assert not users, users
