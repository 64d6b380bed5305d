"""The ``hdnet`` command: train, eval, predict, bench, demo. ``hdnet COMMAND --help`` for each."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

__all__ = ["main", "build_parser"]


class CLIError(Exception):
    """An error to report as ``error: ...`` with exit status 2, without a traceback."""



def _add_train(sub):
    p = sub.add_parser("train", help="train an HDNet from a config file",
                       description="Train an HDNet. Defaults are the original recipe; the config "
                       "(TOML, YAML or JSON) and --set override them. Under torchrun "
                       "(torchrun --nproc_per_node=N -m hdnet train CONFIG) it trains with "
                       "DistributedDataParallel; only rank 0 writes checkpoints and logs.")
    p.add_argument("config", help="config file (.toml, .yaml/.yml or .json); see docs/training.md")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set lr=1e-3 (repeatable)")
    p.add_argument("--out", help="output folder (overrides out_dir)")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/last.pt exactly where it stopped")
    p.add_argument("--backend", choices=["gloo", "nccl"],
                   help="distributed backend under torchrun (default: nccl with GPUs, else gloo)")
    p.set_defaults(run=_run_train)


def _add_import_option(p):
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="import a Python module first (one that registers your skeletons, convs "
                   "or readers); repeatable")


def _add_model_options(p):
    """The options that say which model runs and how its input is framed (eval and predict)."""
    p.add_argument("--checkpoint", required=True,
                   help="hdnet checkpoint (model.save / hdnet train), a bare hdnet state_dict, or "
                   "the authors' original HDNet checkpoint")
    p.add_argument("--input-size", type=int, help="network input (default: the checkpoint's)")
    p.add_argument("--framing", choices=["principal", "image", "person"],
                   help="input framing (default: the checkpoint's)")
    p.add_argument("--flip-test", action="store_true",
                   help="also run every input mirrored and average the two (twice the work)")


def _add_eval(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint with the published protocols",
                       description="Evaluate root localisation: MRPE (and its x, y, z parts), "
                       "AP_root at 25 cm and by depth band, on a MuPoTS-style JSON or Human3.6M, "
                       "with ground-truth boxes. Prints a table and writes JSON.")
    p.add_argument("--dataset", required=True, choices=["mupots", "h36m"], help="dataset layout")
    p.add_argument("--annotations", help="MuPoTS-style JSON file (mupots)")
    p.add_argument("--images", help="image folder (mupots) or the Human36M root (h36m)")
    p.add_argument("--split", default="test", choices=["train", "test"], help="Human3.6M split")
    _add_model_options(p)
    p.add_argument("--out", default="eval.json", help="JSON results file (default eval.json)")
    p.set_defaults(run=_run_eval)


def _add_predict(sub):
    p = sub.add_parser("predict", help="camera-space roots for your own images and boxes",
                       description="Run a checkpoint on images with given boxes. Writes RootNet-"
                       "format JSON (image_id, root_cam, bbox, score) and a picture per image with "
                       "each root drawn and a bird's-eye view of where everyone stands.")
    p.add_argument("images", nargs="+", help="image files")
    p.add_argument("--boxes", required=True,
                   help="JSON: {image file name: [[x1, y1, x2, y2, (score)], ...]} (or xywh with --box-format)")
    p.add_argument("--box-format", default="xyxy", choices=["xyxy", "xywh"], help="box format (never guessed)")
    p.add_argument("--camera", help="JSON intrinsics {fx, fy, cx, cy} (or per image: {file name: {...}}); "
                   "default: a guess (focal = the longer image side; see docs/model.md)")
    _add_model_options(p)
    p.add_argument("--out", default="predictions", help="output folder (default ./predictions)")
    p.set_defaults(run=_run_predict)


def _add_bench(sub):
    p = sub.add_parser("bench", help="run a benchmark (hdnet.benchmarks)",
                       description="Run a benchmark: layers, gnn, model, synthetic or baselines; "
                       "remaining arguments go to it (hdnet bench gnn --conv GCNConv ...).")
    p.add_argument("name", nargs="?", default="layers",
                   choices=["layers", "gnn", "model", "synthetic", "baselines"], help="which benchmark")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    p.set_defaults(run=_run_bench)


def _add_demo(sub):
    p = sub.add_parser("demo", help="train and evaluate on synthetic scenes (about 12 minutes on a CPU)",
                       description="Write synthetic multi-person scenes in MuPoTS layout, train a "
                       "compact HDNet on the CPU, evaluate against geometric baselines, and write "
                       "report.json, report.md and plots to --out.")
    p.add_argument("--out", default="demo_out", help="output folder (default ./demo_out)")
    p.add_argument("--minutes", type=float, default=10.0, help="training time budget (default 10)")
    p.add_argument("--seed", type=int, default=0, help="seed for scenes and training (default 0)")
    p.add_argument("--image-size", type=int, default=256, help="side of the synthetic scenes in px (default 256)")
    p.add_argument("--framing", default="person", choices=["person", "image"],
                   help="train on 64 px crops around each person (default) or on whole images")
    p.add_argument("--no-flip-test", action="store_true", help="evaluate with one pass instead of flip testing")
    p.add_argument("--quick", action="store_true", help="tiny data and a few steps (a smoke test)")
    p.set_defaults(run=_run_demo)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hdnet", description="Camera-space human depth (HDNet).")
    _add_import_option(ap)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_eval, _add_predict, _add_bench, _add_demo):
        add(sub)
    for name, p in sub.choices.items():
        if name != "bench":  # bench passes everything after its name to the benchmark
            p.add_argument("--import", dest="sub_imports", action="append", default=[],
                           metavar="MODULE", help=argparse.SUPPRESS)
    return ap


def _import_modules(names: List[str]) -> None:
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise CLIError(f"--import: cannot import {name!r} ({e})") from None


# ---------------------------------------------------------------------------- commands
def _run_train(args) -> int:
    from .train import Trainer, load_config
    overrides = list(args.overrides)
    if args.out:
        overrides.append(f"out_dir={args.out}")
    if args.backend:
        overrides.append(f"backend={args.backend}")
    cfg = load_config(args.config, overrides)
    with Trainer(cfg, resume=args.resume) as trainer:
        history = trainer.fit()
        if trainer.rank == 0:
            print(f"trained {trainer.step} steps; checkpoint {Path(cfg.out_dir) / 'last.pt'}")
            if history:
                print(f"last epoch: {history[-1]}")
    return 0


def _load_model(args):
    """The ``_add_model_options`` choices resolved: ``(model, preprocessing)``, the checkpoint's
    stored preprocessing filling in what was not given."""
    import dataclasses

    from .models.checkpoint import load_model
    model = load_model(args.checkpoint)
    prep = model.preprocessing
    changes = {k: v for k, v in (("input_size", args.input_size), ("framing", args.framing)) if v is not None}
    return model, dataclasses.replace(prep, **changes) if changes else prep


def _run_eval(args) -> int:
    import numpy as np

    from .data import build_reader
    from .metrics import evaluate_roots
    from .predict import predict_scenes
    model, prep = _load_model(args)
    if args.dataset == "mupots":
        if not args.annotations or not args.images:
            raise CLIError("--annotations and --images are required for --dataset mupots")
        reader = build_reader({"type": "mupots", "annotation_file": args.annotations,
                               "image_root": args.images})
    else:
        if not args.images:
            raise CLIError("--images (the Human36M root) is required for --dataset h36m")
        reader = build_reader({"type": "h36m", "root": args.images, "split": args.split})
    records = predict_scenes(model, reader, prep, flip_test=args.flip_test)
    if not records:
        raise CLIError("the dataset has no annotated person")
    r = evaluate_roots(np.array([x["pred_root"] for x in records]),
                       np.array([x["gt_root"] for x in records]), [x["image_id"] for x in records])
    result = {"dataset": args.dataset, **r}
    print(f"{'people':>10} {'MRPE':>8} {'x':>7} {'y':>7} {'z':>7} {'AP_root25':>10}")
    print(f"{r['people']:>10} {r['mrpe_mm']:>8.1f} {r['mrpe_x_mm']:>7.1f} {r['mrpe_y_mm']:>7.1f} "
          f"{r['mrpe_z_mm']:>7.1f} {100 * r['ap_root_25']:>9.1f}%")
    _write_text(args.out, json.dumps(result, indent=2), "--out")
    print(f"wrote {args.out}")
    return 0


def _write_text(path, text: str, what: str) -> None:
    """Write a file atomically (a temporary file renamed over it): no partial output."""
    import tempfile
    p = Path(path)
    if p.is_dir():
        raise CLIError(f"{what}: {os.fspath(path)!r} is a folder; give a file name")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise CLIError(f"{what}: the folder {os.fspath(folder)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=p.name + ".", suffix=".tmp", dir=folder)
    except OSError as e:
        raise CLIError(f"{what}: cannot write in {os.fspath(folder)!r} ({e.strerror})") from None
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, p)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise CLIError(f"{what}: cannot write {os.fspath(path)!r} ({e.strerror})") from None


def _camera_for(spec, name: str, width: int, height: int):
    from .camera import Camera
    if spec is None:
        return None
    entry = spec.get(name, spec) if isinstance(spec, dict) else spec
    try:
        return Camera.from_dict(entry)
    except (ValueError, TypeError, KeyError) as e:
        raise CLIError(f"--camera: no usable intrinsics for {name!r} ({e})") from None


def _boxes_for(entry, key: str):
    """One image's boxes from the ``--boxes`` JSON: ``[[x1, y1, x2, y2(, score)], ...]`` with one
    length for all, as ``(boxes [P, 4], scores [P] or None)``; a clear error otherwise."""
    import numpy as np
    if not isinstance(entry, list) or not all(isinstance(b, list) for b in entry):
        raise CLIError(f"--boxes: the entry for {key!r} must be a list of boxes, each a list of 4 "
                       "numbers (or 5 with a score)")
    lengths = sorted({len(b) for b in entry})
    if entry and (len(lengths) > 1 or lengths[0] not in (4, 5)):
        raise CLIError(f"--boxes: the boxes of {key!r} must all have 4 numbers (x1, y1, x2, y2) or all "
                       f"5 (with a score); found lengths {lengths}")
    try:
        b = np.asarray(entry, dtype=float).reshape(-1, lengths[0] if entry else 4)
    except (TypeError, ValueError):
        raise CLIError(f"--boxes: the boxes of {key!r} must hold numbers only") from None
    if not np.isfinite(b).all():
        raise CLIError(f"--boxes: the boxes of {key!r} hold NaN or inf")
    return b[:, :4], (b[:, 4] if b.shape[1] == 5 else None)


def _check_out_folder(path: str) -> Path:
    """``--out`` as a folder that exists or can be made and is writable (checked before any work)."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out: {path!r} is an existing file; give a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CLIError(f"--out: cannot create {path!r} ({e.strerror})") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise CLIError(f"--out: {path!r} is not writable")
    return out


def _run_predict(args) -> int:
    from .data.transforms import load_image
    from .predict import Predictor, to_rootnet_json
    model, prep = _load_model(args)
    boxes_all = _read_json(args.boxes, "--boxes")
    if not isinstance(boxes_all, dict):
        raise CLIError("--boxes: expected a JSON object {image file name: [[x1, y1, x2, y2], ...]}")
    cams = _read_json(args.camera, "--camera") if args.camera else None
    out = _check_out_folder(args.out)
    # everything is read and checked before anything is written
    names = [os.path.basename(p) for p in args.images]
    shared = {n for n in names if names.count(n) > 1}
    jobs = []
    for image, name in zip(args.images, names):
        if not os.path.isfile(image):
            raise CLIError(f"image: no file at {image!r}")
        if image in boxes_all:
            key = image
        elif name in boxes_all and name not in shared:
            key = name
        elif name in shared:
            raise CLIError(f"--boxes: several images are called {name!r}; key their boxes by the paths "
                           f"given on the command line (e.g. {image!r})")
        else:
            raise CLIError(f"--boxes: no boxes for {image!r}")
        boxes, scores = _boxes_for(boxes_all[key], key)
        img = load_image(image)  # a clear error naming the file if it is not a readable image
        cam = _camera_for(cams, key if cams and key in cams else name, img.shape[2], img.shape[1])
        stem = Path(image).stem if name not in shared else \
            "_".join(Path(os.path.normpath(image)).parts[-2:]).rsplit(".", 1)[0].replace(os.sep, "_")
        jobs.append((image, key, img, boxes, scores, cam, stem))
    stems = [j[6] for j in jobs]
    for k, stem in enumerate(stems):  # still equal (same name, same folder name): number them
        if stems.count(stem) > 1:
            stems[k] = f"{stem}_{k}"
    predictor = Predictor(model, prep, flip_test=args.flip_test)
    results = []
    for _image, key, img, boxes, scores, cam, _ in jobs:
        res = predictor.predict(img, boxes, cam, box_format=args.box_format, scores=scores)
        results.append(res)
        print(f"{key}: {len(res)} people; depths (m) " + ", ".join(f"{r.depth_mm / 1000:.2f}" for r in res))
    records = []
    for (image, key, *_), res, stem in zip(jobs, results, stems):
        records += to_rootnet_json(res, image_id=key)
        _draw(image, res, out / f"{stem}_roots.png")
    _write_text(out / "roots.json", json.dumps(records, indent=1), "--out")
    print(f"wrote {out / 'roots.json'}")
    return 0


def _draw(image_path, results, path) -> None:
    """The image with each box and root, and beside it a bird's-eye view (X right, Z up),
    written atomically."""
    from PIL import Image, ImageDraw
    with Image.open(image_path) as im:
        img = im.convert("RGB")
    w, h = img.size
    side = h
    canvas = Image.new("RGB", (w + side, h), (245, 245, 245))
    canvas.paste(img, (0, 0))
    d = ImageDraw.Draw(canvas)
    colors = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]
    zmax = max([r.root_cam_mm[2] for r in results] + [1000.0]) * 1.15
    xmax = max([abs(r.root_cam_mm[0]) for r in results] + [zmax / 2])
    for i, r in enumerate(results):
        c = colors[i % len(colors)]
        x1, y1, x2, y2 = r.box_xyxy
        d.rectangle([x1, y1, x2, y2], outline=c, width=2)
        u, v = r.root_2d_px
        d.ellipse([u - 4, v - 4, u + 4, v + 4], fill=c)
        d.text((x1 + 3, y1 + 3), f"{r.depth_mm / 1000:.2f} m", fill=c)
        bx = w + side / 2 + r.root_cam_mm[0] / xmax * side * 0.45
        by = h - 10 - r.root_cam_mm[2] / zmax * (h - 20)
        d.ellipse([bx - 5, by - 5, bx + 5, by + 5], fill=c)
    d.polygon([(w + side / 2, h - 12), (w + side / 2 - 6, h - 2), (w + side / 2 + 6, h - 2)], fill=(0, 0, 0))
    d.text((w + 5, 5), f"bird's-eye view, depth up to {zmax / 1000:.1f} m", fill=(0, 0, 0))
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    try:
        canvas.save(tmp, format="PNG")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise CLIError(f"--out: cannot write {os.fspath(path)!r} ({e.strerror or e})") from None


def _run_bench(args) -> int:
    import importlib
    mod = importlib.import_module(f"hdnet.benchmarks.{args.name}")
    result = mod.main(args.args)
    return int(result or 0)


def _run_demo(args) -> int:
    from .demo import run_demo
    if args.image_size < 64:
        raise CLIError(f"--image-size: expected at least 64, got {args.image_size}")
    r = run_demo(args.out, minutes=args.minutes, seed=args.seed, quick=args.quick,
                 image_size=args.image_size, framing=args.framing, flip_test=not args.no_flip_test)
    print((Path(args.out) / "report.md").read_text())
    print(f"HDNet / k_value MRPE: {r['ratio_to_k_value']:.2f}; total {r['seconds_total']:.0f} s")
    return 0


def _read_json(path, what: str):
    if not os.path.isfile(path):
        raise CLIError(f"{what}: no file at {path!r}")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CLIError(f"{what}: {path!r} is not valid JSON ({e})") from None


def main(argv: Optional[List[str]] = None) -> int:
    from .train import TrainingError
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _import_modules(list(args.imports) + list(getattr(args, "sub_imports", [])))
        return args.run(args)
    except CLIError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, KeyError, OSError, TrainingError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {str(msg).splitlines()[0] if str(msg) else type(e).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
