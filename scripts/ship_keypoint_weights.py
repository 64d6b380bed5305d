"""Make the keypoint model that ships in the package from a training run (docs/model-card.md).

    hdnet train --recipe keypoint --set data.mocap=h36m_poses.h5 --set schedule.minutes=75 --out runs/kp_ship4
    python scripts/ship_keypoint_weights.py runs/kp_ship4/last.pt

    hdnet train --recipe lifting --init pretrained --set data.mocap=h36m_poses.h5 --set optim.lr=2e-4 \
        --set amp=true --set schedule.minutes=55 --out runs/kp_lift3
    python scripts/ship_keypoint_weights.py runs/kp_lift3/last.pt --weights h36m_studio

writes ``hdnet/keypoint/weights/keypoint_hdnet.pt`` (``--weights h36m_studio``: the lifting
recipe's model, ``keypoint_hdnet_h36m_studio.pt``): the weights in float16 (half the file;
loading casts them back), the calibrations the run fitted, and what the model card states
(training data, recipe, steps, time, licence of the data) in the checkpoint's ``meta``.
``--recalibrate [--mocap FILE]`` first runs the task's calibrations again on the run's held-out
views (for a run made before one of them existed; the ones it had come out the same). A model
trained through the capture's cameras only gets their intrinsics (``known_cameras``) where it
lacks them. RUN may be a shipped file: its card's facts (steps, time, configuration) carry over.
"""

import argparse
from pathlib import Path

from hdnet.core.checkpoint import load_model
from hdnet.keypoint.model import SHIPPED_WEIGHTS, shipped_weights_path
from hdnet.keypoint.task import KeypointTask
from hdnet.train.config import TrainConfig

#: What each shipped model was trained on (the run's subjects are filled in).
TRAINED_ON = {
    "keypoint": ("Human3.6M motion capture, subjects {subjects}, through virtual cameras and (a share set by "
                 "data.recorded_cameras) the capture's own cameras, in every input format"),
    "h36m_studio": ("Human3.6M motion capture, subjects {subjects}, as ground-truth h36m_17 2D through the "
                    "capture's own four cameras only (the lifting benchmarks' setting), starting from the "
                    "keypoint model shipped at the time (model-card.md says which)"),
}
RECIPE = {"keypoint": "keypoint", "h36m_studio": "lifting"}

LICENSE = ("research use only: trained on Human3.6M motion capture, whose licence allows research use "
           "only (http://vision.imar.ro/human3.6m); the weights inherit those terms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="the training run's last.pt (or a shipped file)")
    ap.add_argument("--weights", default="keypoint", choices=SHIPPED_WEIGHTS.names(), help="which shipped model")
    ap.add_argument("--out", help="where to write (default: the package's file for --weights)")
    ap.add_argument("--recalibrate", action="store_true", help="run the keypoint task's calibrations again")
    ap.add_argument("--mocap", help="with --recalibrate: the motion capture (default: the run's data.mocap)")
    args = ap.parse_args()
    model, ckpt = load_model(args.run, with_checkpoint=True)  # read and verified once
    training = ckpt.get("training") or {}
    shipped = ckpt.get("meta") or {}  # a shipped file given again: its card's facts stay
    cfg = training.get("train_config") or shipped.get("train_config") or {}
    task_cfg = TrainConfig.from_dict({**cfg, "data": {**cfg.get("data", {}), **({"mocap": args.mocap}
                                                                               if args.mocap else {})}})
    # a run from before known_cameras, trained through the capture's cameras only, gets them
    add_cameras = model.known_cameras is None and getattr(task_cfg.data, "recorded_cameras", 0.0) >= 1.0
    if args.recalibrate or add_cameras:
        task = KeypointTask(task_cfg)
        task.prepare(model, 0, 1)
        before = model.checkpoint_data()
        if args.recalibrate:
            task.finish(model)
        else:
            model.known_cameras = task.known_cameras()
        print("checkpoint data:", before, "->", model.checkpoint_data())
    out = Path(args.out or shipped_weights_path(args.weights))
    out.parent.mkdir(parents=True, exist_ok=True)
    path = model.save(
        out, half=True, card="docs/model-card.md", license=LICENSE, weights=args.weights,
        trained_on=TRAINED_ON[args.weights].format(subjects=", ".join(cfg.get("data", {}).get("subjects", []))),
        recipe=RECIPE[args.weights], steps=int(training.get("step", shipped.get("steps", 0))),
        seconds=round(float(training.get("seconds", shipped.get("seconds", 0.0))), 1),
        seed=cfg.get("seed"), train_config=cfg)
    print(f"wrote {path} ({Path(path).stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
