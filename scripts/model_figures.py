"""Every figure of the shipped-model tables for one keypoint model, in one run (docs/model-card.md
"Measured", docs/real.md "Results", docs/scene.md "Measured"):

    python scripts/model_figures.py pretrained                 # the shipped model
    python scripts/model_figures.py runs/kp_ship9/last.pt --json figures.json

MuPoTS-3D TS1-TS10 from ground-truth 2D (alone, ``image`` and ``sequence`` scenes, detector-like
2D, known heights, the first person's height with a sequence, flip testing), Human3.6M S9/S11
through the four cameras (and with the subjects' heights), and the six real photos from their
ground-truth 2D and, with the ``mediapipe`` extra, from BlazePose on the whole image (as
``tests/test_mediapipe_photos.py`` runs it). Each is what the matching ``hdnet eval`` command
gives. Needs the development set-up's licensed data (``--data``, default ``../shared/realdata``).
Nothing is fitted: it measures.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from hdnet.camera import Camera
from hdnet.core.checkpoint import load_model, pretrained_request
from hdnet.data.mocap import read_h36m_mocap
from hdnet.data.mupots_annotations import read_mupots_annotations
from hdnet.keypoint import KeypointHDNet, evaluate_h36m, evaluate_mupots

#: The MuPoTS-3D runs: name -> evaluate_mupots keywords (the hdnet eval flags in the comment).
MUPOTS_RUNS = {
    "none": {},                                                             # (no flag)
    "image": {"scene": "image"},                                            # --scene image
    "sequence": {"scene": "sequence"},                                      # --scene sequence
    "detector_like": {"detector_like": True},                               # --detector-like
    "detector_like_sequence_linked": {"detector_like": True, "scene": "sequence", "tracks": "linked"},
    "known_heights": {"known_heights": "all"},                              # --known-heights
    "first_height_sequence": {"known_heights": "first", "scene": "sequence"},  # --known-heights first --scene sequence
    "flip": {"flip_test": True},                                            # --flip-test
    "flip_sequence": {"flip_test": True, "scene": "sequence"},
}


def _model(source: str) -> KeypointHDNet:
    request = pretrained_request(source)
    model = KeypointHDNet.pretrained(**request) if request is not None else load_model(source)
    if not isinstance(model, KeypointHDNet):
        raise SystemExit(f"{source}: not a keypoint model")
    return model


def _mupots_row(r: dict) -> dict:
    h = r["hdnet"]
    return {"mrpe_mm": h["mrpe_mm"], "mrpe_z_mm": h["mrpe_z_mm"], "ap_root_25": 100 * h["ap_root_25"],
            "pck3d_abs": h["pck3d_abs"], "pck3d_rel": h["pck3d_rel"], "coverage": h["depth_std_coverage"],
            "ap_root_25_uncertainty": 100 * h["ap_root_25_uncertainty"], "floor_used": h["floor_used"],
            "per_sequence_mrpe_mm": {k: v["hdnet"]["mrpe_mm"] for k, v in r["per_sequence"].items()}}


def _photos(model: KeypointHDNet, data: Path) -> dict:
    """Root errors (mm) of the six photos from ground-truth 2D and, where mediapipe is
    installed, from BlazePose on the whole image, with the true cameras."""
    out: dict = {"ground_truth_2d": [], "blazepose": []}
    try:
        from hdnet.keypoint.detectors import MediaPipePose
        detector = MediaPipePose()
    except ImportError:
        detector, out["blazepose"] = None, "not measured: needs the mediapipe extra"
    for sub, fmt, root in (("h36m", "h36m_17", 0), ("mpi_inf_3dhp", "mupots_17", 14)):
        for fr in json.loads((data / sub / "annotations.json").read_text())["frames"]:
            c = fr["camera"]
            cam = Camera(c["f"][0], c["f"][1], c["c"][0], c["c"][1])
            truth = np.asarray(fr["joints_cam_mm"])[root]
            answer = model.predict(np.asarray(fr["joints_2d_px"])[None], cam, format=fmt)
            out["ground_truth_2d"].append(float(np.linalg.norm(answer.root_mm[0].double().numpy() - truth)))
            if detector is not None:
                found = detector(str(data / sub / fr["image"].split("/")[-1]))
                answer = model.predict(torch.from_numpy(found[:, :, :2]), cam, torch.from_numpy(found[:, :, 2]),
                                       format="blazepose_33")
                out["blazepose"].append(float(np.linalg.norm(answer.root_mm[0].double().numpy() - truth)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a keypoint checkpoint, or pretrained[:NAME]")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "realdata"),
                    help="the licensed data folder (h36m_poses.h5, mupots/, h36m/, mpi_inf_3dhp/)")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--quick", action="store_true", help="a smoke test: TS10, every 50th Human3.6M view, no flips")
    args = ap.parse_args()
    data, t0 = Path(args.data), time.time()
    model = _model(args.checkpoint)
    seqs = read_mupots_annotations(data / "mupots", ["TS10"] if args.quick else None)
    figures: dict = {"checkpoint": args.checkpoint, "mupots": {}, "h36m": {}}
    for name, kwargs in MUPOTS_RUNS.items():
        if args.quick and kwargs.get("flip_test"):
            continue
        row = figures["mupots"][name] = _mupots_row(evaluate_mupots(model, seqs, **kwargs))
        print(f"MuPoTS-3D {name:30s} MRPE {row['mrpe_mm']:6.1f} mm (z {row['mrpe_z_mm']:.0f})  AP25 "
              f"{row['ap_root_25']:4.1f} %  abs {row['pck3d_abs']:4.1f}  rel {row['pck3d_rel']:4.1f}  coverage "
              f"{row['coverage']:.2f}  AP25 by uncertainty {row['ap_root_25_uncertainty']:4.1f} %  floor "
              f"{100 * row['floor_used']:.0f} %", flush=True)
    poses = read_h36m_mocap(data / "h36m_poses.h5", ["S9", "S11"]).select(stride=50 if args.quick else 1)
    for name, known in (("alone", False), ("known_heights", True)):
        r = evaluate_h36m(model, poses, ["S9", "S11"], known_heights=known)
        figures["h36m"][name] = {k: r[k] for k in ("people", "mpjpe_mm", "pa_mpjpe_mm", "mrpe_mm", "depth_std_coverage")}
        print(f"Human3.6M S9/S11 {name:14s} MPJPE {r['mpjpe_mm']:.1f} mm  PA-MPJPE {r['pa_mpjpe_mm']:.1f} mm  "
              f"MRPE {r['mrpe_mm']:.0f} mm  ({r['people']} views)", flush=True)
    photos = figures["photos"] = _photos(model, data)
    for name, errors in photos.items():
        if isinstance(errors, str):
            print(f"photos {name}: {errors}")
        else:
            print(f"photos {name}: mean {np.mean(errors):.0f} mm ({', '.join(f'{e:.0f}' for e in errors)})")
    print(f"({time.time() - t0:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
