"""Any conv on any skeleton: the four runs of the table in docs/benchmarks.md.

``hdnet bench gnn`` with SkeletonConv, GCNConv, GATConv against GraphConv, and SkeletonConv's
scaling; each also writes ``gnn_<name>.json``. Extra arguments go to every run (``--quick``).
"""

import sys

from hdnet.benchmarks import gnn

RUNS = {"skeletonconv": ["--conv", "SkeletonConv"],
        "gcnconv": ["--conv", "GCNConv"],
        "gatconv": ["--conv", "GATConv", "--conv-kwargs", '{"heads": 1}', "--baseline", "GraphConv"],
        "scaling": ["--conv", "SkeletonConv", "--scaling"]}

if __name__ == "__main__":
    for name, args in RUNS.items():
        code = gnn.main(args + ["--json", f"gnn_{name}.json"] + sys.argv[1:])
        if code:
            sys.exit(code)
