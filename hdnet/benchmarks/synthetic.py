"""Synthetic scene generation speed: ``hdnet bench synthetic [--images N] [--size S]``.

One core (torch and numpy threads don't matter here: Pillow draws on one thread). Times the
whole path to disk: scene sampling, rendering and JPEG encoding, against the time Pillow alone
takes to encode and write the same number of images (the floor any generator pays).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ..data.synthetic import SceneConfig, make_scene, render_scene, write_mupots_json
from ._harness import Report, Table, environment


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="hdnet bench synthetic", description=__doc__)
    ap.add_argument("--images", type=int, default=500, help="scenes to make and time (default 500)")
    ap.add_argument("--size", type=int, default=256, help="side of each scene in px (default 256)")
    args = ap.parse_args(argv)
    cfg = SceneConfig(image_size=args.size)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        blank = np.zeros((args.size, args.size, 3), np.uint8)
        t0 = time.perf_counter()
        for i in range(args.images):
            Image.fromarray(blank).save(Path(tmp) / f"b{i}.jpg", quality=92)
        t_floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(args.images):
            render_scene(make_scene(rng, cfg), rng, cfg.noise)
        t_render = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_mupots_json(Path(tmp) / "set", args.images, seed=1, config=cfg)
        t_all = time.perf_counter() - t0
    n = args.images
    rows.append(["JPEG encode + write of a blank image (floor)", n / t_floor])
    rows.append(["sample + render (in memory)", n / t_render])
    rows.append(["write_mupots_json (sample, render, JPEG, JSON)", n / t_all])
    Report("synthetic", environment(), [Table(f"Synthetic scenes, {args.size}x{args.size}, one core, {n} images",
                                              ["step", "images/s"], rows)]).emit()


if __name__ == "__main__":
    main()
