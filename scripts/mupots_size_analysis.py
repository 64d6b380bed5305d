"""How much of a keypoint model's root error on MuPoTS-3D is the people's size (docs/real.md).

    python scripts/mupots_size_analysis.py [--checkpoint CKPT] [--annotations DIR]

Per person (the person index of a sequence): their size (median skeleton length from the head
top to the ankles, ``hdnet.keypoint.height.skeleton_length_mm`` of ``annot3``) against the
model's depth bias (median of true over predicted depth, minus 1), with the correlation and the
slope; then the MRPE the model would reach if each person's answer were scaled about the camera
by their own median ratio (their size known), by their sequence's (each sequence's mean size
known), or by their own relative to their sequence's (the best a shared floor can do: it makes
people's sizes agree with each other, not with the truth). Analysis only: nothing here is used
by the model.
"""

import argparse
from pathlib import Path

import numpy as np
import torch

from hdnet.core.checkpoint import load_model
from hdnet.data.mupots_annotations import read_mupots_annotations
from hdnet.keypoint import KeypointHDNet, mupots_predictions
from hdnet.keypoint.height import skeleton_length_mm

PELVIS = 14


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="a keypoint model (default: the shipped one)")
    ap.add_argument("--annotations", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
                                                 / "mupots"), help="the MuPoTS-3D annotation folder")
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = load_model(args.checkpoint) if args.checkpoint else KeypointHDNet.pretrained()
    records = mupots_predictions(model.eval(), read_mupots_annotations(args.annotations))
    sizes, biases = [], []
    errors: dict = {"model alone": [], "each person's size": [], "each sequence's size": [],
                    "sizes relative to the sequence (a floor's best)": []}
    for rec in records:
        people, truth = rec["people"], rec["sequence"].annot3[rec["frames"], rec["people"]]
        ratio = truth[:, PELVIS, 2] / rec["root_mm"][:, 2]
        own = np.zeros(len(ratio))
        for p in np.unique(people):
            mine = people == p
            own[mine] = np.median(ratio[mine])
            sizes.append(float(np.median(skeleton_length_mm(truth[mine]))))
            biases.append(100.0 * (own[mine][0] - 1.0))
        seq = np.median(ratio)
        for key, scale in zip(errors, (np.ones(len(ratio)), own, np.full(len(ratio), seq), own / seq), strict=True):
            errors[key].append(np.linalg.norm(rec["root_mm"] * scale[:, None] - truth[:, PELVIS], axis=1))
    s, b = np.array(sizes), np.array(biases)
    print(f"{len(s)} people: depth bias (% too near) against size (mm): correlation {np.corrcoef(s, b)[0, 1]:.2f}, "
          f"slope {100 * np.polyfit(s, b, 1)[0]:.2f} % per 100 mm (a pure size confusion: "
          f"{1e4 / np.median(s):.2f})")
    for key, value in errors.items():
        print(f"MRPE, {key}: {np.mean(np.concatenate(value)):.0f} mm")


if __name__ == "__main__":
    main()
