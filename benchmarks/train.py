"""Training: steps per second of the demo and reference recipes against a plain PyTorch loop.

The table "Training" of docs/benchmarks.md: ``hdnet bench train --json train.json``.
Extra arguments go to the benchmark (``--quick`` for a smoke test, ``--device cuda``).
"""

import sys

from hdnet.benchmarks import train

if __name__ == "__main__":
    sys.exit(train.main(["--json", "train.json"] + sys.argv[1:]) or 0)
