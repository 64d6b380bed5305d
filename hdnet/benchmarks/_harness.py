"""What every benchmark shares: timing (``torch.utils.benchmark``, so CUDA work is synchronised),
peak memory in a fresh process, the environment header, and results as Markdown or JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import math
import multiprocessing as mp
import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import torch
from torch.utils import benchmark as tbench

from ..core.checks import check_device

__all__ = ["Table", "Report", "bench_parser", "run_main", "median_ms", "peak_memory_mib", "environment",
           "resolve_device", "interleaved_medians", "import_modules", "json_option"]


def import_modules(names: Sequence[str], what: str = "--import") -> None:
    """Import each module (one that registers skeletons, convs or readers), finding modules in
    the current folder as ``python -m`` does. ``ImportError`` naming ``what`` otherwise."""
    import sys
    if names and os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise ImportError(f"{what}: cannot import {name!r} ({e})") from None


def json_option(text: str, option: str) -> Dict[str, Any]:
    """A JSON object given on the command line, or a ``ValueError`` naming the option."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{option}: not valid JSON ({e}): {text!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"{option}: expected a JSON object of keyword arguments, got {text!r}")
    return value


def bench_parser(prog: str, doc: Optional[str], repeats: int, quick_help: str,
                 device: bool = True) -> argparse.ArgumentParser:
    """A benchmark's command line with the options they all take: ``--quick`` (a smoke test),
    ``--repeats`` (timed runs per variant; the median is reported), ``--device``, ``--json``
    and ``--markdown`` (write the results to a file as well as printing them)."""
    ap = argparse.ArgumentParser(prog=prog, description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--repeats", type=_positive_int("--repeats"), default=repeats,
                    help="timed runs per variant (the median is reported)")
    if device:
        ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default cpu)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--markdown", metavar="FILE", help="also write the results as Markdown")
    return ap


def _positive_int(option: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option}: expected an int >= 1, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{option}: expected an int >= 1, got {value}")
        return value
    return parse


def run_main(prog: str, doc: Optional[str], repeats: int, quick_help: str,
             run: Callable[[bool, int, str], "Report"], argv=None) -> int:
    """The whole command line of a benchmark whose ``run(quick, repeats, device)`` returns a
    :class:`Report`: parse, run, print, write ``--json`` / ``--markdown``."""
    args = bench_parser(prog, doc, repeats, quick_help).parse_args(argv)
    run(args.quick, args.repeats, args.device).emit(args.json, args.markdown)
    return 0


def resolve_device(name: str) -> torch.device:
    """``--device`` checked (:func:`hdnet.core.checks.check_device`): a clear error where CUDA is
    asked for and absent."""
    return check_device(name, "--device")


def median_ms(fn: Callable[[], object], repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` runs after ``warmup``.

    Timed with :class:`torch.utils.benchmark.Timer`, whose clock synchronises CUDA, so GPU
    work is counted to its end.
    """
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    timer = tbench.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return 1e3 * statistics.median(timer.timeit(1).raw_times[0] for _ in range(repeats))


def interleaved_medians(variants: Sequence[tuple], repeats: int, rounds: int = 3,
                        warmup: int = 2) -> Dict[str, float]:
    """``{name: median ms}`` for ``[(name, fn), ...]`` timed in interleaved rounds, so a drift in
    the machine's load hits every variant alike."""
    per_round = max(repeats // rounds, 2)
    times: Dict[str, List[float]] = {name: [] for name, _ in variants}
    for _ in range(rounds):
        for name, fn in variants:
            times[name].append(median_ms(fn, per_round, warmup))
    return {name: statistics.median(ts) for name, ts in times.items()}


def _high_water_kib() -> float:
    # VmHWM belongs to this address space; ru_maxrss would carry the parent's peak over
    # fork+exec and hide the child's own
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1])
    except OSError:
        pass
    try:
        import resource  # not on Windows
    except ImportError:
        return math.nan  # the peak then reads as not measured
    peak = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak / 1024.0 if sys.platform == "darwin" else peak  # macOS counts bytes, Linux KiB


def _reset_high_water() -> None:
    """Reset the process's peak resident size to the current one (Linux: ``clear_refs`` 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _child(target: str, kwargs: dict, queue) -> None:
    mod, name = target.split(":")
    fn = getattr(importlib.import_module(mod), name)(**kwargs)  # builds inputs, returns a callable
    device = kwargs.get("device", "cpu")
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        queue.put((torch.cuda.max_memory_allocated() - base) / 2 ** 20)
        return
    _reset_high_water()  # building the inputs may have peaked higher than the call will
    before = _high_water_kib()
    fn()
    queue.put((_high_water_kib() - before) / 1024.0)


def peak_memory_mib(target: str, **kwargs) -> float:
    """Peak memory (MiB) that one call adds, in a fresh process: resident memory on the CPU,
    allocated device memory on CUDA (``device=`` among ``kwargs``).

    ``target`` is ``"module:factory"``; ``factory(**kwargs)`` builds the inputs and returns
    the callable to measure, so the inputs are not counted.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, kwargs, queue))
    proc.start()
    value = queue.get(timeout=600)
    proc.join()
    return float(value)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(device: Optional[torch.device] = None) -> Dict[str, Any]:
    """What the numbers depend on: versions, the device (CPU model or GPU name), threads."""
    import torch_geometric

    from ..core.version import __version__
    dev = torch.device("cpu") if device is None else torch.device(device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else _cpu_model()
    return {"hdnet": __version__, "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "python": platform.python_version(),
            "device": str(dev), "device_name": name, "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads()}


def _fmt(v: object) -> str:
    if isinstance(v, float) and math.isnan(v):
        return "n/a"  # not measured here (peak memory on a system without /proc or getrusage)
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return str(v)


@dataclass
class Table:
    """One result table: a title, column names and rows (numbers stay numbers for JSON)."""

    title: str
    headers: List[str]
    rows: List[List[Any]]
    notes: List[str] = field(default_factory=list)

    def markdown(self) -> str:
        cells = [[_fmt(v) for v in r] for r in self.rows]
        widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(self.headers)]

        def line(cs):
            return "| " + " | ".join(c.ljust(w) for c, w in zip(cs, widths, strict=True)) + " |"
        out = [f"\n{self.title}\n", line(self.headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(r) for r in cells]
        out += [f"\n{n}" for n in self.notes]
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {"title": self.title, "headers": self.headers, "rows": self.rows, "notes": self.notes}


@dataclass
class Report:
    """A benchmark's whole output: the environment, its tables and a summary of key figures
    (``summary`` is what ``--json`` writes beside the tables)."""

    name: str
    environment: Dict[str, Any]
    tables: List[Table] = field(default_factory=list)
    summary: Dict[str, Any] = field(default_factory=dict)

    def header(self) -> str:
        e = self.environment
        return (f"# hdnet {e['hdnet']} {self.name} benchmark: torch {e['torch']}, PyG "
                f"{e['torch_geometric']}, python {e['python']}, {e['device']} "
                f"({e['device_name']}), {e['threads']} threads of {e['cpu_count']} CPUs")

    def markdown(self) -> str:
        return "\n".join([self.header()] + [t.markdown() for t in self.tables]) + "\n"

    def to_dict(self) -> dict:
        return {"benchmark": self.name, "environment": self.environment, **self.summary,
                "tables": [t.to_dict() for t in self.tables]}

    def emit(self, json_path: Optional[str] = None, markdown_path: Optional[str] = None) -> None:
        """Print the Markdown; write JSON / Markdown files where asked."""
        text = self.markdown()
        print(text)
        if json_path:
            with open(json_path, "w") as f:
                json.dump(self.to_dict(), f, indent=2, default=float)
        if markdown_path:
            with open(markdown_path, "w") as f:
                f.write(text)
