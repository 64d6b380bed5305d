"""Geometric baselines on the four real Human3.6M frames (docs/baselines.md).

``hdnet bench baselines SHARED`` with SHARED the folder holding ``realdata/`` (licensed data,
not in this repository): ``python benchmarks/baselines.py ../shared``.
"""

import sys

from hdnet.benchmarks import baselines

if __name__ == "__main__":
    sys.exit(baselines.main(sys.argv[1:]) or 0)
