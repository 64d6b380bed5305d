"""How well a body's 2D bones tell which 17-joint format its keypoints are in
(``hdnet.keypoint.formats.format_evidence``, the warning of ``hdnet predict --keypoint-format``).

    python scripts/format_evidence.py [--realdata ../shared/realdata]

Read as their own format, a body's bones join neighbouring points; read as another format they
jump across the body. Printed: the median bone spread (mean 2D bone length over the keypoints'
box diagonal) of each 17-joint format read as each candidate, and its ratio to the right
format's, (1) on MuPoTS-3D's annotated 2D (``mupots_17``), sequence by sequence, and on the four
Human3.6M photos' annotated 2D (``h36m_17``); (2) on views of Human3.6M S9 and S11 (every 50th
pose) through the training distribution's virtual cameras with its detector noise, in each of
the three formats as the training synthesizes them (COCO with its face points); and how often
one person alone picks the right format. Analysis only.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from hdnet.data.mocap import read_h36m_mocap
from hdnet.data.virtual_cameras import VirtualCameras
from hdnet.keypoint.formats import bone_spread, format_evidence
from hdnet.keypoint.task import KeypointDataConfig, make_views

CANDIDATES = ("coco_17", "h36m_17", "mupots_17")


def _row(label: str, evidence: dict, right: str) -> str:
    cells = ", ".join(f"{f} {v:.3f} ({v / evidence[right]:.2f}x)" for f, v in evidence.items())
    return f"{label}: {cells}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "realdata"))
    ap.add_argument("--stride", type=int, default=50)
    args = ap.parse_args(argv)
    real = Path(args.realdata)
    for path in sorted((real / "mupots").glob("TS*.npz"), key=lambda p: int(p.stem[2:])):
        seq = np.load(path)
        people = seq["annot2"][seq["valid"]]
        print(_row(f"MuPoTS-3D {path.stem} ({len(people)} people, mupots_17)", format_evidence(people, CANDIDATES),
                   "mupots_17"))
    photos = real / "h36m" / "annotations.json"
    if photos.is_file():
        frames = json.loads(photos.read_text())["frames"]
        people = np.array([f["joints_2d_px"] for f in frames], np.float64)
        print(_row(f"Human3.6M photos ({len(people)}, h36m_17)", format_evidence(people, CANDIDATES), "h36m_17"))
    poses = torch.from_numpy(read_h36m_mocap(real / "h36m_poses.h5", ["S9", "S11"]).poses[::args.stride]).double()
    data = KeypointDataConfig()
    for fmt in CANDIDATES:
        g = torch.Generator().manual_seed(0)
        cams = VirtualCameras(data.camera_config())
        cams.generator = g
        views = make_views(poses, fmt, cams, data, "z", g)
        kp = torch.cat([views["keypoints_px"], views["confidence"][..., None]], -1).numpy()
        evidence = format_evidence(kp, CANDIDATES)
        spreads = np.stack([bone_spread(kp, f) for f in CANDIDATES], 1)
        alone = np.nanargmin(np.where(np.isfinite(spreads), spreads, np.inf), 1)
        right = np.mean(alone == CANDIDATES.index(fmt))
        print(_row(f"training views of S9/S11 ({len(kp)}, {fmt})", evidence, fmt)
              + f"; one person alone picks {fmt}: {100 * right:.0f} %")


if __name__ == "__main__":
    main()
