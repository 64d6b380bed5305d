"""Training speed: ``hdnet bench train [--quick] [--recipe demo|reference|both] [--json FILE]``.

Steps per second of a training recipe on synthetic scenes (written to a temporary folder),
three ways in one process:

1. **straightforward loop**: what a user writes with plain PyTorch: a ``DataLoader`` over the
   training set (items made as they are read, as in every first epoch), the same model,
   :class:`~hdnet.losses.HDNetLoss`, ``torch.optim.Adam`` with its defaults,
   ``zero_grad / backward / step``;
2. **hdnet Trainer**: :meth:`~hdnet.train.Trainer.train_step` over the Trainer's own loader
   (items cached and made beforehand where the recipe caches them, fused Adam, the
   non-finite loss check, gradient clipping where the recipe clips);
3. **network only**: :meth:`~hdnet.train.Trainer.train_step` on one batch already in memory:
   the ceiling. The Trainer's data share is ``1 - (3) / (2)`` in time;
4. the Trainer with the other setting of ``amp`` (bfloat16 autocast on a CPU) and
   ``channels_last`` together: on where the recipe has them off, off where it has them on.

Recipes: ``demo`` (the synthetic demo's compact model: ResNet-18-FPN at a quarter of the
width, 64 px person crops, batch 32, items cached, bfloat16 autocast and channels-last) and
``reference`` (the original HDNet recipe: ResNet-50-FPN, 256 px images framed on the
principal point, batch 8, augmentation on, float32).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import torch

from ..data import MuPoTS
from ..data.base import collate_people
from ..data.synthetic import SceneConfig, write_mupots_json
from ..losses import HDNetLoss
from ..models.hdnet import output_dict
from ._harness import Report, Table, bench_parser, environment, resolve_device

RECIPES = ("demo", "reference")


def _cycle(make_loader: Callable[[], torch.utils.data.DataLoader]) -> Iterator[dict]:
    """Batches forever: a new pass over the data whenever one ends."""
    while True:
        yield from make_loader()


def _config(recipe: str, data: Path, out: Path, quick: bool, device: str):
    """The recipe's TrainConfig for the scenes in ``data``, with depth bins that hold them."""
    from ..data import HDNetTrainingSet
    from ..demo import _config as demo_config
    from ..train import TrainConfig
    if recipe == "demo":  # the demo reads DIR/train/MuPoTS-3D.json
        cfg = demo_config(out, data.parent, 10.0, 0, "person", 64, (1.0, 2.0), quick)
        cfg.batch_size = 8 if quick else 32
    else:
        cfg = TrainConfig(datasets=[{"type": "mupots", "annotation_file": str(data / "MuPoTS-3D.json"),
                                     "image_root": str(data)}], skeleton="mupots_17")
        if quick:
            cfg.backbone_depth, cfg.backbone_width, cfg.input_size, cfg.batch_size = 18, 8, 64, 2
    cfg.out_dir, cfg.progress, cfg.device = str(out), False, device
    cover = HDNetTrainingSet(MuPoTS(data / "MuPoTS-3D.json", data), cfg.skeleton, cfg.bins(), cfg.input_size,
                             cfg.framing, cfg.window_px).depth_coverage()
    cfg.bins_d_min, cfg.bins_d_max = cover["d_min"] / 1.25, cover["d_max"] * 1.25
    return cfg


def _straightforward(cfg, train_set, device: torch.device):
    """The plain PyTorch loop over the same data and model: returns one step as a callable."""
    torch.manual_seed(cfg.seed)
    model = cfg.build_model().to(device).train()
    loss_fn = HDNetLoss(cfg.num_bins)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    batches = _cycle(lambda: torch.utils.data.DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True,
                                                         drop_last=True, collate_fn=collate_people))

    def step():
        b = next(batches)
        fx = b["focal_bins"][b["index"], 0].float()
        fy = b["focal_bins"][b["index"], 1].float()
        out = model(b["images"].to(device), b["coord_map"].to(device), b["mask"].to(device),
                    index=b["index"].to(device), fx=fx.to(device), fy=fy.to(device))
        target = {k: b[k].to(device) for k in ("heatmap", "pose", "bins", "bin_idx", "vis", "have_depth")}
        loss = loss_fn(output_dict(out), target)["total"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def _ms_per_step(step: Callable[[], object], steps: int, rounds: int, warmup: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(1e3 * (time.perf_counter() - t0) / steps)
    return statistics.median(times)


def bench_recipe(recipe: str, quick: bool, repeats: int, device: torch.device) -> Tuple[Table, dict]:
    from ..data import HDNetTrainingSet
    from ..train import Trainer
    if recipe not in RECIPES:
        raise ValueError(f"recipe: expected one of {RECIPES}, got {recipe!r}")
    images = 8 if quick else (64 if recipe == "demo" else 24)
    with tempfile.TemporaryDirectory(prefix="hdnet-bench-train-") as tmp:
        data = Path(tmp) / "data" / "train"
        write_mupots_json(data, images, seed=0, config=SceneConfig(image_size=256, camera="mupots"))
        cfg = _config(recipe, data, Path(tmp) / "run", quick, str(device))
        t0 = time.perf_counter()
        trainer = Trainer(cfg)
        setup_s = time.perf_counter() - t0
        plain_set = HDNetTrainingSet(MuPoTS(data / "MuPoTS-3D.json", data), cfg.skeleton, cfg.bins(),
                                     cfg.input_size, cfg.framing, cfg.window_px,
                                     cfg.augmentation(), seed=cfg.seed)
        batches = _cycle(trainer._loader)
        fixed = next(batches)
        fast = not (cfg.amp and cfg.channels_last)
        other_cfg = copy.deepcopy(cfg)
        other_cfg.amp = other_cfg.channels_last = fast
        other = Trainer(other_cfg)
        other_batches = _cycle(other._loader)
        other_name = ("hdnet Trainer, bf16 autocast + channels_last" if fast else
                      "hdnet Trainer, float32 contiguous (amp, channels_last off)")
        steps = 2 if quick else max(3, repeats)
        rounds, warmup = (1, 1) if quick else (3, 2)
        variants: Dict[str, Callable[[], object]] = {
            "straightforward loop (items made as read, Adam)": _straightforward(cfg, plain_set, device),
            "hdnet Trainer (its loader)": lambda: trainer.train_step(next(batches)),
            "network only (one batch in memory)": lambda: trainer.train_step(fixed),
            other_name: lambda: other.train_step(next(other_batches)),
        }
        times = {name: _ms_per_step(fn, steps, rounds, warmup) for name, fn in variants.items()}
    ref = times[next(iter(times))]
    rows: List[list] = [[name, ms, 1e3 / ms, ref / ms] for name, ms in times.items()]
    model = trainer.model
    title = (f"Training steps, {recipe} recipe: {type(model.backbone).__name__}-{cfg.backbone_depth} "
             f"width {cfg.backbone_width}, {cfg.input_size} px {cfg.framing} framing, batch {cfg.batch_size}, "
             f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters, amp {cfg.amp}, "
             f"channels_last {cfg.channels_last}, {device}")
    table = Table(title, ["loop", "ms per step", "steps/s", "speed-up"], rows)
    trainer_ms, net_ms = times["hdnet Trainer (its loader)"], times["network only (one batch in memory)"]
    table.notes.append(f"data share of the Trainer's step: {max(0.0, 1 - net_ms / trainer_ms):.1%}")
    if trainer.cached_items:
        table.notes.append(f"items made before training: {trainer.cached_items} in "
                           f"{trainer.cache_seconds:.2f} s ({1e3 * trainer.cache_seconds / trainer.cached_items:.2f} "
                           f"ms each; set-up {setup_s:.1f} s in all)")
    return table, {"straightforward_ms": ref, "trainer_ms": trainer_ms, "network_only_ms": net_ms,
                   "trainer_steps_per_s": 1e3 / trainer_ms, "speedup": ref / trainer_ms,
                   "data_share": max(0.0, 1 - net_ms / trainer_ms),
                   "amp_channels_last": {"on": fast, "trainer_ms": times[other_name]}}


def run(quick: bool = False, repeats: int = 5, device: str = "cpu", recipes=RECIPES) -> Report:
    dev = resolve_device(device)
    results = [bench_recipe(r, quick, repeats, dev) for r in recipes]
    return Report("train", environment(dev), [t for t, _ in results],
                  {"train": {r: summary for r, (_, summary) in zip(recipes, results)}})


def main(argv=None) -> int:
    ap: argparse.ArgumentParser = bench_parser("hdnet bench train", __doc__, 5,
                                               "tiny models and data (a smoke test, not a measurement)")
    ap.add_argument("--recipe", choices=["demo", "reference", "both"], default="both")
    args = ap.parse_args(argv)
    recipes = RECIPES if args.recipe == "both" else (args.recipe,)
    run(args.quick, args.repeats, args.device, recipes).emit(args.json, args.markdown)
    return 0


if __name__ == "__main__":
    main()
