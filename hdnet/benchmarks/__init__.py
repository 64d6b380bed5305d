"""Side-by-side benchmarks, shipped with the package so ``hdnet bench NAME`` works after any
install: ``layers`` (pooling, GNN), ``gnn`` (any conv on any skeleton), ``model`` (the whole
HDNet), ``keypoint`` (the keypoint model), ``train`` (training steps), ``synthetic`` (scene
generation) and ``baselines`` (real frames; needs the data).

Every row is timed against a straightforward reference in the same process (median of
repeats, ``torch.utils.benchmark`` timers, CUDA synchronised); peak memory is measured in a
fresh subprocess per variant. Each benchmark prints Markdown and writes JSON with ``--json``.
"""

from ._harness import Report, Table, environment, median_ms

__all__ = ["Report", "Table", "environment", "median_ms"]
