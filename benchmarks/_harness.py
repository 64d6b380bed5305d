"""Timing and peak-memory helpers shared by the benchmarks."""

from __future__ import annotations

import argparse
import importlib
import multiprocessing as mp
import resource
import statistics
import time
from typing import Callable, Iterable, Optional, Sequence

import torch


def bench_parser(prog: str, doc: str, repeats: int, quick_help: str) -> argparse.ArgumentParser:
    """A benchmark's command line with the two options they all take: ``--quick`` (a smoke
    test) and ``--repeats`` (timed runs per variant; the median is reported)."""
    ap = argparse.ArgumentParser(prog=prog, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=quick_help)
    ap.add_argument("--repeats", type=int, default=repeats, help="timed runs per variant (median)")
    return ap


def median_ms(fn: Callable[[], object], repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeats`` runs after ``warmup``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


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
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _child(target: str, kwargs: dict, queue) -> None:
    mod, name = target.split(":")
    fn = getattr(importlib.import_module(mod), name)(**kwargs)  # builds inputs, returns a callable
    before = _high_water_kib()
    fn()
    queue.put((_high_water_kib() - before) / 1024.0)


def peak_memory_mib(target: str, **kwargs) -> float:
    """Peak resident memory (MiB) that one call adds, in a fresh process.

    ``target`` is ``"module:factory"``; ``factory(**kwargs)`` builds the inputs and returns
    the callable to measure, so the inputs are not counted.
    """
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(target, kwargs, queue))
    proc.start()
    value = queue.get(timeout=600)
    proc.join()
    return value


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: Optional[str] = None) -> str:
    """A Markdown table (what docs/benchmarks.md holds)."""
    def fmt(v):
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
        return str(v)
    rows = [[fmt(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [] if title is None else [f"\n{title}\n"]
    out += [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def environment() -> str:
    import platform
    return (f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
            f"{platform.processor() or platform.machine()}, python {platform.python_version()}")
