"""Training speed: ``hdnet bench train [--quick] [--recipe demo|reference|keypoint|all] [--json FILE]``.

Steps per second of a training recipe on synthetic data (scenes written to a temporary folder,
or made-up motion capture for the keypoint recipe), four ways in one process:

1. **straightforward loop**: what a user writes with plain PyTorch: a ``DataLoader`` over the
   training set (items made as they are read, as in every first epoch), the same model,
   :class:`~hdnet.losses.HDNetLoss`, ``torch.optim.Adam`` with its defaults,
   ``zero_grad / backward / step`` (the keypoint recipe: the task's own views and losses in
   float32 with plain Adam);
2. **hdnet Trainer**: :meth:`~hdnet.train.Trainer.train_step` over the Trainer's own loader
   (items cached and made beforehand where the recipe caches them, fused Adam, the
   non-finite loss check, gradient clipping where the recipe clips);
3. **network only**: :meth:`~hdnet.train.Trainer.train_step` on one batch already in memory:
   the ceiling. The Trainer's data share is ``1 - (3) / (2)`` in time;
4. the Trainer with the other setting of ``amp`` (bfloat16 autocast on a CPU) and
   ``channels_last`` together: on where the recipe has them off, off where it has them on
   (the keypoint recipe: ``amp`` alone).

Recipes: ``demo`` (the synthetic demo's compact model: ResNet-18-FPN at a quarter of the
width, 64 px person crops, batch 32, items cached, bfloat16 autocast and channels-last),
``reference`` (the original HDNet recipe: ResNet-50-FPN, 256 px images framed on the
principal point, batch 8, augmentation on, float32) and ``keypoint`` (the keypoint model's:
batches of 256 fresh virtual views of motion capture, the views made on every step).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Tuple

import torch

from ..data import HDNetTrainingSet, ImageBatch, MuPoTS
from ..data.synthetic import SceneConfig, synthetic_mocap, write_mupots_json
from ..losses import HDNetLoss
from ..train import RECIPES, TrainConfig, Trainer, load_config
from ._harness import Report, Table, bench_parser, environment, resolve_device

RECIPE_NAMES = ("demo", "reference", "keypoint")


def _cycle(make_batches: Callable[[], Iterable]) -> Iterator:
    """Batches forever: a new pass over the data whenever one ends."""
    while True:
        yield from make_batches()


def _config(recipe: str, data: Path, out: Path, quick: bool, device: str) -> TrainConfig:
    """The recipe's TrainConfig for the scenes in ``data``, with depth bins that hold them."""
    datasets = [{"type": "mupots", "annotation_file": str(data / "MuPoTS-3D.json"), "image_root": str(data)}]
    base = RECIPES.get(recipe)(datasets, str(out))
    overrides = [f"device={device}", "progress=false"]
    if recipe == "demo":
        overrides.append(f"data.batch_size={8 if quick else 32}")
    elif quick:
        overrides += ["model.backbone_depth=18", "model.backbone_width=8", "model.input_size=64", "data.batch_size=2"]
    cfg = load_config(base=base, overrides=overrides)
    m = cfg.model
    cover = HDNetTrainingSet(MuPoTS(data / "MuPoTS-3D.json", data), m.skeleton, m.bins(), m.input_size,
                             m.framing, m.window_px).depth_coverage()
    m.bins_d_min, m.bins_d_max = cover["d_min"] / 1.25, cover["d_max"] * 1.25
    return cfg


def _straightforward(trainer: Trainer, train_set, device: torch.device):
    """The plain PyTorch loop over the same data and model: returns one step as a callable."""
    cfg = trainer.cfg
    torch.manual_seed(cfg.seed)
    model = trainer.task.build_model().to(device).train()
    loss_fn = HDNetLoss(cfg.model.num_bins)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr)
    batches = _cycle(lambda: torch.utils.data.DataLoader(train_set, batch_size=cfg.data.batch_size, shuffle=True,
                                                         drop_last=True, collate_fn=ImageBatch.collate))

    def step():
        b = next(batches).to(device)
        loss = loss_fn(model(b), b.targets)["total"]
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


def _image_variants(recipe: str, tmp: Path, quick: bool, device: torch.device):
    """An image recipe on synthetic scenes: ``(config, task maker, straightforward step maker)``."""
    images = 8 if quick else (64 if recipe == "demo" else 24)
    data = tmp / "data" / "train"
    write_mupots_json(data, images, seed=0, config=SceneConfig(image_size=256, camera="mupots"))
    cfg = _config(recipe, data, tmp / "run", quick, str(device))
    m = cfg.model
    plain_set = HDNetTrainingSet(MuPoTS(data / "MuPoTS-3D.json", data), m.skeleton, m.bins(),
                                 m.input_size, m.framing, m.window_px, cfg.data.augmentation(), seed=cfg.seed)

    def straightforward(trainer: Trainer):
        return _straightforward(trainer, plain_set, device)
    return cfg, lambda c: None, straightforward


def _keypoint_variants(tmp: Path, quick: bool, device: torch.device):
    """The keypoint recipe on made-up motion capture (:func:`~hdnet.data.synthetic.synthetic_mocap`,
    which has no cameras: every view virtual): ``(config, task maker, straightforward step maker)``."""
    from ..keypoint.task import KeypointTask, keypoint_losses

    overrides = [f"device={device}", "progress=false", "data.recorded_cameras=0"]
    if quick:
        overrides += ["data.batch_size=32", "model.width=64"]
    cfg = load_config(base=RECIPES.get("keypoint")("", str(tmp / "run")), overrides=overrides)
    poses = synthetic_mocap(256 if quick else 4096, seed=0)

    def straightforward(trainer: Trainer):
        task = KeypointTask(cfg, poses=poses)
        torch.manual_seed(cfg.seed)
        model = task.build_model().to(device).train()
        task.prepare(model, 0, 1)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.optim.lr)
        batches = _cycle(lambda: task.batches(0, 0))

        def step():
            views = {k: (v.to(device) if torch.is_tensor(v) else v) for k, v in next(batches).items()}
            loss = keypoint_losses(model, views, cfg.loss)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step
    return cfg, lambda c: KeypointTask(c, poses=poses), straightforward


def _title(recipe: str, cfg: TrainConfig, model: torch.nn.Module, device: torch.device) -> str:
    m = cfg.model
    params = f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters"
    if recipe == "keypoint":
        return (f"Training steps, keypoint recipe: width {m.width}, {m.blocks} blocks, dropout {m.dropout}, "  # type: ignore[attr-defined]
                f"batch {cfg.data.batch_size} virtual views, {params}, amp {cfg.amp}, {device}")
    return (f"Training steps, {recipe} recipe: ResNetFPN-{m.backbone_depth} "  # type: ignore[attr-defined]
            f"width {m.backbone_width}, {m.input_size} px {m.framing} framing, batch {cfg.data.batch_size}, "  # type: ignore[attr-defined]
            f"{params}, amp {cfg.amp}, channels_last {cfg.channels_last}, {device}")


def bench_recipe(recipe: str, quick: bool, repeats: int, device: torch.device) -> Tuple[Table, dict]:
    if recipe not in RECIPE_NAMES:
        raise ValueError(f"--recipe: expected one of {RECIPE_NAMES}, got {recipe!r}")
    with tempfile.TemporaryDirectory(prefix="hdnet-bench-train-") as name:
        tmp = Path(name)
        if recipe == "keypoint":
            cfg, make_task, straightforward = _keypoint_variants(tmp, quick, device)
        else:
            cfg, make_task, straightforward = _image_variants(recipe, tmp, quick, device)
        t0 = time.perf_counter()
        trainer = Trainer(cfg, task=make_task(cfg))
        setup_s = time.perf_counter() - t0
        batches = _cycle(lambda: trainer.task.batches(0, 0))
        fixed = next(batches)
        # the other setting of the recipe's speed switches (channels_last means nothing without images)
        image = recipe != "keypoint"
        fast = not (cfg.amp and (cfg.channels_last or not image))
        other_cfg = copy.deepcopy(cfg)
        other_cfg.amp = fast
        other_cfg.channels_last = fast and image
        other = Trainer(other_cfg, task=make_task(other_cfg))
        other_batches = _cycle(lambda: other.task.batches(0, 0))
        switches = "bf16 autocast + channels_last" if image else "bf16 autocast"
        other_name = (f"hdnet Trainer, {switches}" if fast else
                      "hdnet Trainer, float32" + (" contiguous (amp, channels_last off)" if image else " (amp off)"))
        steps = 2 if quick else max(3, repeats)
        rounds, warmup = (1, 1) if quick else (3, 2)
        variants: Dict[str, Callable[[], object]] = {
            f"straightforward loop ({'items made as read' if image else 'views made per step'}, Adam)":
                straightforward(trainer),
            "hdnet Trainer (its loader)": lambda: trainer.train_step(next(batches)),
            "network only (one batch in memory)": lambda: trainer.train_step(fixed),
            other_name: lambda: other.train_step(next(other_batches)),
        }
        times = {name: _ms_per_step(fn, steps, rounds, warmup) for name, fn in variants.items()}
    ref = times[next(iter(times))]
    rows: List[list] = [[name, ms, 1e3 / ms, ref / ms] for name, ms in times.items()]
    table = Table(_title(recipe, cfg, trainer.model, device), ["loop", "ms per step", "steps/s", "speed-up"], rows)
    trainer_ms, net_ms = times["hdnet Trainer (its loader)"], times["network only (one batch in memory)"]
    table.notes.append(f"data share of the Trainer's step: {max(0.0, 1 - net_ms / trainer_ms):.1%}")
    cached = getattr(trainer.task, "cached_items", 0)
    if cached:
        seconds = trainer.task.cache_seconds  # type: ignore[attr-defined]
        table.notes.append(f"items made before training: {cached} in {seconds:.2f} s "
                           f"({1e3 * seconds / cached:.2f} ms each; set-up {setup_s:.1f} s in all)")
    speed_key = "amp_channels_last" if image else "amp"
    return table, {"straightforward_ms": ref, "trainer_ms": trainer_ms, "network_only_ms": net_ms,
                   "trainer_steps_per_s": 1e3 / trainer_ms, "speedup": ref / trainer_ms,
                   "data_share": max(0.0, 1 - net_ms / trainer_ms),
                   speed_key: {"on": fast, "trainer_ms": times[other_name]}}


def run(quick: bool = False, repeats: int = 5, device: str = "cpu", recipes=RECIPE_NAMES) -> Report:
    dev = resolve_device(device)
    results = [bench_recipe(r, quick, repeats, dev) for r in recipes]
    return Report("train", environment(dev), [t for t, _ in results],
                  {"train": {r: summary for r, (_, summary) in zip(recipes, results, strict=True)}})


def main(argv=None) -> int:
    ap: argparse.ArgumentParser = bench_parser("hdnet bench train", __doc__, 5,
                                               "tiny models and data (a smoke test, not a measurement)")
    ap.add_argument("--recipe", choices=[*RECIPE_NAMES, "all"], default="all",
                    help="which recipe to time (default all)")
    args = ap.parse_args(argv)
    recipes = RECIPE_NAMES if args.recipe == "all" else (args.recipe,)
    run(args.quick, args.repeats, args.device, recipes).emit(args.json, args.markdown)
    return 0


if __name__ == "__main__":
    main()
