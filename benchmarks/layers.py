"""Layers: HeatmapAttentionPooling and the SkeletonGNN against the original formulations.

The table "Layers" of docs/benchmarks.md: ``hdnet bench layers --json layers.json``.
Extra arguments go to the benchmark (``--quick`` for a smoke test, ``--device cuda``).
"""

import sys

from hdnet.benchmarks import layers

if __name__ == "__main__":
    sys.exit(layers.main(["--json", "layers.json"] + sys.argv[1:]) or 0)
