"""Make the keypoint model that ships in the package from a training run (docs/model-card.md).

    hdnet train --recipe keypoint --set data.mocap=h36m_poses.h5 --set schedule.minutes=75 --out runs/kp_ship4
    python scripts/ship_keypoint_weights.py runs/kp_ship4/last.pt

writes ``hdnet/keypoint/weights/keypoint_hdnet.pt``: the weights in float16 (half the file;
loading casts them back), the calibrations the run fitted, and what the model card states
(training data, recipe, steps, time, licence of the data) in the checkpoint's ``meta``.
``--recalibrate [--mocap FILE]`` first runs the task's calibrations again on the run's held-out
views (for a run made before one of them existed; the ones it had come out the same).
"""

import argparse
from pathlib import Path

from hdnet.core.checkpoint import load_model
from hdnet.keypoint.model import shipped_weights_path
from hdnet.keypoint.task import KeypointTask
from hdnet.train.config import TrainConfig

LICENSE = ("research use only: trained on Human3.6M motion capture, whose licence allows research use "
           "only (http://vision.imar.ro/human3.6m); the weights inherit those terms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="the training run's last.pt")
    ap.add_argument("--out", default=str(shipped_weights_path()), help="where to write (default: the package's)")
    ap.add_argument("--recalibrate", action="store_true", help="run the keypoint task's calibrations again")
    ap.add_argument("--mocap", help="with --recalibrate: the motion capture (default: the run's data.mocap)")
    args = ap.parse_args()
    model, ckpt = load_model(args.run, with_checkpoint=True)  # read and verified once
    training = ckpt.get("training") or {}
    cfg = training.get("train_config", {})
    if args.recalibrate:
        before = model.checkpoint_data()
        task_cfg = TrainConfig.from_dict({**cfg, "data": {**cfg.get("data", {}), **({"mocap": args.mocap}
                                                                                   if args.mocap else {})}})
        task = KeypointTask(task_cfg)
        task.prepare(model, 0, 1)
        task.finish(model)
        print("calibrations:", before, "->", model.checkpoint_data())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    path = model.save(
        args.out, half=True, card="docs/model-card.md", license=LICENSE,
        trained_on=("Human3.6M motion capture, subjects " + ", ".join(cfg.get("data", {}).get("subjects", []))
                    + ", through virtual cameras and (a share set by data.recorded_cameras) the capture's own "
                    "cameras, in every input format"),
        recipe="keypoint", steps=int(training.get("step", 0)), seconds=round(float(training.get("seconds", 0.0)), 1),
        seed=cfg.get("seed"), train_config=cfg)
    print(f"wrote {path} ({Path(path).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
