"""Which of the shipped model's formats should read COCO-WholeBody's body and feet: ``halpe_26``
(its six foot points are Halpe's, but Halpe's head, neck and pelvis would be missing) or
``coco_17`` (the feet left out)? Measured on views of Human3.6M S9 and S11 (every 50th pose,
never trained on) through the training distribution's virtual cameras, clean and with its
detector noise: the same synthetic Halpe-26 keypoints read three ways.

    python scripts/whole_body_choice.py [--mocap ../shared/realdata/h36m_poses.h5]
"""

import argparse

import numpy as np
import torch

from hdnet.data.mocap import read_h36m_mocap
from hdnet.data.virtual_cameras import VirtualCameras
from hdnet.keypoint import KeypointHDNet, normalize_keypoints
from hdnet.keypoint.task import KeypointDataConfig, make_views


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mocap", default="../shared/realdata/h36m_poses.h5")
    ap.add_argument("--stride", type=int, default=50)
    args = ap.parse_args(argv)
    model = KeypointHDNet.pretrained()
    poses = torch.from_numpy(read_h36m_mocap(args.mocap, ["S9", "S11"]).poses[::args.stride]).double()
    print(f"{len(poses)} poses of S9 and S11")
    data = KeypointDataConfig()
    for noise in ("clean", "training noise"):
        cfg = data.camera_config()
        if noise == "clean":
            cfg = type(cfg).from_dict({**data.cameras, "clean_prob": 1.0, "drop_prob": 0.0, "outlier_prob": 0.0})
        g = torch.Generator().manual_seed(0)
        cams = VirtualCameras(cfg)
        cams.generator = g
        views = make_views(poses, "halpe_26", cams, data, "z", g)
        xy = normalize_keypoints(views["keypoints_px"], views["cameras"]).float()
        conf = views["confidence"].float()
        no_head = conf.clone()
        no_head[:, 17:20] = 0.0  # Halpe's head, neck and pelvis: not in COCO-WholeBody
        true = views["mupots"]
        true_rel = (true - true[:, 14:15]).numpy()
        for name, x, c, fmt in (("halpe_26, all 26", xy, conf, "halpe_26"),
                                ("halpe_26 without head, neck, pelvis", xy, no_head, "halpe_26"),
                                ("coco_17 (feet left out)", xy[:, :17], conf[:, :17], "coco_17")):
            with torch.no_grad():
                out = model(x, c, fmt)
            err = np.abs(out.depth_mm.numpy() / true[:, 14, 2].numpy() - 1)
            mpjpe = np.linalg.norm(out.joints_rel_mm.numpy() - true_rel, axis=-1).mean()
            print(f"{noise:14s} | {name:36s} | depth error mean {100 * err.mean():.2f} % median "
                  f"{100 * np.median(err):.2f} % | MPJPE {mpjpe:.1f} mm")


if __name__ == "__main__":
    main()
