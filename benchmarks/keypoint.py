"""Keypoint model: people per second.

The table "Keypoint model" of docs/benchmarks.md: ``hdnet bench keypoint --json keypoint.json``.
Extra arguments go to the benchmark (``--quick`` for a smoke test, ``--device cuda``).
"""

import sys

from hdnet.benchmarks import keypoint

if __name__ == "__main__":
    sys.exit(keypoint.main(["--json", "keypoint.json"] + sys.argv[1:]) or 0)
