"""Whole model: people per image, images/s and memory against the original forward, inference options, framing, end to end.

The table "Whole model" of docs/benchmarks.md: ``hdnet bench model --compile --json model.json``.
Extra arguments go to the benchmark (``--quick`` for a smoke test, ``--device cuda``).
"""

import sys

from hdnet.benchmarks import model

if __name__ == "__main__":
    sys.exit(model.main(["--compile", "--json", "model.json"] + sys.argv[1:]) or 0)
