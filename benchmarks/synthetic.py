"""Synthetic scenes (docs/data.md): generation speed on one core.

The table "Synthetic scenes (docs/data.md)" of docs/benchmarks.md: ``hdnet bench synthetic ``.
Extra arguments go to the benchmark (``--quick`` for a smoke test, ``--device cuda``).
"""

import sys

from hdnet.benchmarks import synthetic

if __name__ == "__main__":
    sys.exit(synthetic.main([] + sys.argv[1:]) or 0)
