"""The demo: learn camera-space depth on the embedded synthetic scenes, on a CPU, in minutes.

``hdnet demo --out DIR [--minutes M] [--seed S] [--quick]`` (and ``make demo``):

1. writes synthetic multi-person scenes in MuPoTS-3D layout (training and held-out sets) and
   reads them back through :class:`hdnet.data.MuPoTS`;
2. trains a compact HDNet (ResNet-18-FPN at a quarter of the width) on 64 px crops around each
   person of the 256 px scenes, for ``minutes`` with a cosine learning-rate schedule;
3. evaluates it on the held-out scenes against the geometric baselines given the same inputs,
   their constants fitted on the training scenes: ``k_value`` (ground-truth boxes),
   ``skeleton_fit`` (the 2D joints the trained model predicts) and ``skeleton_fit_oracle``
   (ground-truth 2D joints: the best a size-based method can do when heights vary);
   HDNet is evaluated with flip testing (and its single-pass numbers are reported too);
4. writes ``DIR/report.json``, ``DIR/report.md`` and PNG plots (with matplotlib).
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from ..baselines import fit_k_value, fit_skeleton_scale, k_value_depth, skeleton_fit_depth
from ..camera import focal_normalized_depth
from ..core.files import write_json, write_text
from ..data import MuPoTS
from ..data.synthetic import SceneConfig, write_mupots_json
from ..data.transforms import bin_focal, image_framing, person_framing
from ..graphs import get_skeleton
from ..metrics import evaluate_roots
from ..predict import predict_scenes
from ..train import RECIPES, Trainer, load_config

__all__ = ["run_demo"]


def _depth_range(reader, framing: str, input_size: int, root: int):
    """The normalised depths ``d = Z / sqrt(fx fy)`` (bin focal lengths of the framing) that the
    training people span, widened by 25 % each way: the depth bins' range."""
    d = []
    for sample in reader.samples:
        for p in sample.people:
            affine = (person_framing(p.box_xyxy, input_size) if framing == "person"
                      else image_framing((sample.width, sample.height), input_size))
            fx, fy = bin_focal(sample.camera, affine)
            d.append(float(focal_normalized_depth(np.float64(p.joints_3d[root, 2]), fx, fy)))
    return float(np.min(d)) / 1.25, float(np.max(d)) * 1.25


def _xywh(box):
    return [box[0], box[1], box[2] - box[0], box[3] - box[1]]


def _scores(pred_roots: np.ndarray, records: List[dict]) -> dict:
    r = evaluate_roots(pred_roots, [x["gt_root"] for x in records], [x["image_id"] for x in records])
    r["count"] = r.pop("people")
    return r


def run_demo(out_dir, minutes: float = 10.0, seed: int = 0, quick: bool = False,
             train_images: Optional[int] = None, test_images: Optional[int] = None,
             image_size: int = 256, framing: str = "person", input_size: Optional[int] = None,
             flip_test: bool = True) -> dict:
    """Run the whole demo; returns the report (also written to ``out_dir``).

    ``image_size``: the scenes' side; ``framing``: ``"person"`` (a crop per person, the
    default) or ``"image"`` (whole scenes, every person at once); ``input_size``: the network's
    input side (default 64 for person crops, ``image_size`` for whole images); ``flip_test``:
    evaluate with :func:`~hdnet.predict.average_mirrored` (the single-pass numbers are reported
    too, as ``hdnet_single_pass``)."""
    if framing not in ("person", "image"):
        raise ValueError(f"framing: expected 'person' or 'image', got {framing!r}")
    input_size = input_size or (64 if framing == "person" else image_size)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    n_train = train_images or (24 if quick else 12000)
    n_test = test_images or (8 if quick else 400)
    data = out / "data"
    scene_cfg = SceneConfig(image_size=image_size, camera="mupots")
    write_mupots_json(data / "train", n_train, seed=seed, config=scene_cfg)
    write_mupots_json(data / "test", n_test, seed=seed + 10_000, config=scene_cfg)
    t_data = time.time() - t0

    train_reader = MuPoTS(data / "train" / "MuPoTS-3D.json", data / "train")
    root = get_skeleton(train_reader.skeleton).root
    d_range = _depth_range(train_reader, framing, input_size, root)
    datasets = [{"type": "mupots", "annotation_file": str(data / "train" / "MuPoTS-3D.json"),
                 "image_root": str(data / "train")}]
    cfg = load_config(base=RECIPES.get("demo")(datasets, str(out / "train"), minutes, seed, framing, input_size,
                                               d_range, quick))
    trainer = Trainer(cfg)
    t1 = time.time()
    history = trainer.fit()
    t_train = time.time() - t1
    model = trainer.model.eval()

    test_reader = MuPoTS(data / "test" / "MuPoTS-3D.json", data / "test")
    test = predict_scenes(model, test_reader, flip_test=flip_test)
    single = predict_scenes(model, test_reader) if flip_test else test
    fit_subset = copy.copy(train_reader)  # the first training scenes, for the baselines' fits
    fit_subset.samples = train_reader.samples[: 8 if quick else 400]
    fit = predict_scenes(model, fit_subset, flip_test=flip_test)

    cams_fit = [r["camera"] for r in fit]
    cams = [r["camera"] for r in test]
    depth_fit = np.array([r["gt_root"][2] for r in fit])
    # k_value: ground-truth boxes, A fitted on the training scenes
    train_boxes = np.array([_xywh(p.box_xyxy) for s in train_reader.samples for p in s.people])
    train_depths = np.array([np.asarray(p.joints_3d)[root, 2] for s in train_reader.samples for p in s.people])
    train_cams = [s.camera for s in train_reader.samples for _ in s.people]
    area = fit_k_value(train_boxes, train_cams, train_depths)
    z_k = k_value_depth(np.array([_xywh(r["box_xyxy"]) for r in test]), cams, area)
    # skeleton_fit: the model's 2D joints; scale fitted on training scenes with the model's 2D
    s_pred = fit_skeleton_scale(np.array([r["pred_joints_2d"] for r in fit]), cams_fit, depth_fit,
                                "mpi_inf_3dhp_17")
    z_s = skeleton_fit_depth(np.array([r["pred_joints_2d"] for r in test]), cams, "mpi_inf_3dhp_17",
                             scale=s_pred)
    # oracle: ground-truth 2D joints, scale fitted on ground-truth 2D of the training scenes
    s_gt = fit_skeleton_scale(np.array([r["gt_joints_2d"] for r in fit]), cams_fit, depth_fit,
                              "mpi_inf_3dhp_17")
    z_o = skeleton_fit_depth(np.array([r["gt_joints_2d"] for r in test]), cams, "mpi_inf_3dhp_17",
                             scale=s_gt)

    def at_depth(z, joints_key):
        return np.stack([r["camera"].backproject(r[joints_key][root], zi) for r, zi in zip(test, z, strict=True)])

    hdnet_roots = np.array([r["pred_root"] for r in test])
    baseline_roots = {"k_value": at_depth(z_k, "pred_joints_2d"),
                      "skeleton_fit": at_depth(z_s, "pred_joints_2d"),
                      "skeleton_fit_oracle": at_depth(z_o, "gt_joints_2d")}
    report: Dict[str, Any] = {
        "hdnet": _scores(hdnet_roots, test),
        "hdnet_single_pass": _scores(np.array([r["pred_root"] for r in single]), single),
        "baselines": {
            "k_value": {**_scores(baseline_roots["k_value"], test),
                        "real_area_mm2": area},
            "skeleton_fit": {**_scores(baseline_roots["skeleton_fit"], test),
                             "scale": s_pred},
            "skeleton_fit_oracle": {**_scores(baseline_roots["skeleton_fit_oracle"], test),
                                    "scale": s_gt},
        },
        "train": {"steps": trainer.step, "epochs": trainer.epoch, "seconds": round(t_train, 1),
                  "images": n_train, "people_per_image": "1-5", "image_size": image_size,
                  "framing": framing, "input_size": input_size, "flip_test": flip_test,
                  "parameters": sum(p.numel() for p in model.parameters()),
                  "batch_size": cfg.data.batch_size, "history": history},
        "data": {"train_images": n_train, "test_images": n_test, "test_people": len(test),
                 "seconds": round(t_data, 1), "training_items": getattr(trainer.task, "cached_items", 0),
                 "items_seconds": round(getattr(trainer.task, "cache_seconds", 0.0), 1)},
        "seconds_total": None,
    }
    report["ratio_to_k_value"] = report["hdnet"]["mrpe_mm"] / report["baselines"]["k_value"]["mrpe_mm"]
    plots = _plots(out, test, hdnet_roots, baseline_roots, history, out / "train" / "steps.csv")
    report["plots"] = plots
    report["seconds_total"] = round(time.time() - t0, 1)
    write_json(out / "report.json", report, "report")
    write_text(out / "report.md", _markdown(report), "report")
    return report


def _markdown(r: dict) -> str:
    t = r["train"]
    rows = [("hdnet" + (" (flip test)" if t["flip_test"] else ""), r["hdnet"])]
    if t["flip_test"]:
        rows.append(("hdnet (single pass)", r["hdnet_single_pass"]))
    rows += list(r["baselines"].items())
    framing = (f"{t['input_size']} px crops around each person" if t["framing"] == "person"
               else f"whole images at {t['input_size']} px")
    lines = ["# hdnet demo report", "",
             f"Synthetic MuPoTS-style scenes, {r['data']['train_images']} training and "
             f"{r['data']['test_images']} held-out images ({r['data']['test_people']} people), "
             f"{t['image_size']} px; compact HDNet ({t['parameters'] / 1e6:.2f} M parameters, "
             f"{framing}) trained for {t['seconds']:.0f} s ({t['steps']} steps) on the CPU, its "
             f"{r['data']['training_items']} training items made beforehand in "
             f"{r['data']['items_seconds']:.0f} s.", "",
             "| method | MRPE mm | x | y | z | AP_root^25 |", "|---|---|---|---|---|---|"]
    for name, s in rows:
        lines.append(f"| {name} | {s['mrpe_mm']:.0f} | {s['mrpe_x_mm']:.0f} | {s['mrpe_y_mm']:.0f} | "
                     f"{s['mrpe_z_mm']:.0f} | {100 * s['ap_root_25']:.1f} % |")
    lines += ["", f"HDNet MRPE / k_value MRPE = **{r['ratio_to_k_value']:.2f}**", "",
              "MRPE by true depth:", "", "| method | " + " | ".join(r["hdnet"]["by_depth"]) + " |",
              "|---|" + "---|" * len(r["hdnet"]["by_depth"])]
    for name, s in rows:
        lines.append(f"| {name} | " + " | ".join(f"{s['by_depth'].get(b, {}).get('mrpe_mm', float('nan')):.0f}"
                                                 for b in r["hdnet"]["by_depth"]) + " |")
    lines += ["", "Plots: " + ", ".join(f"`{p}`" for p in r["plots"]) if r["plots"] else
              "Plots: install the `plot` extra (matplotlib) to get them."]
    return "\n".join(lines) + "\n"


def _plots(out: Path, test: List[dict], hdnet_roots: np.ndarray, baselines: Dict[str, np.ndarray],
           history, steps_csv: Path) -> List[str]:
    """``baselines``: each baseline's predicted roots ``[P, 3]`` (mm)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    gt = np.array([r["gt_root"] for r in test])
    names = []
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(gt[:, 2] / 1000, hdnet_roots[:, 2] / 1000, s=6, label="hdnet")
    ax.scatter(gt[:, 2] / 1000, baselines["k_value"][:, 2] / 1000, s=6, alpha=0.5, label="k_value")
    lim = [0, max(gt[:, 2].max(), hdnet_roots[:, 2].max()) / 1000 * 1.05]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set(xlabel="true depth (m)", ylabel="predicted depth (m)", title="Depth on held-out scenes")
    ax.legend()
    fig.tight_layout(); fig.savefig(out / "depth_scatter.png", dpi=110); plt.close(fig)
    names.append("depth_scatter.png")
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = np.linspace(0, 3000, 41).tolist()
    ax.hist(np.linalg.norm(hdnet_roots - gt, axis=1).clip(0, 3000), bins, alpha=0.7, label="hdnet")
    for name, roots in baselines.items():
        ax.hist(np.linalg.norm(roots - gt, axis=1).clip(0, 3000), bins, histtype="step", lw=1.5, label=name)
    ax.set(xlabel="root position error (mm, clipped at 3000)", ylabel="people", title="Error histogram")
    ax.legend()
    fig.tight_layout(); fig.savefig(out / "error_histogram.png", dpi=110); plt.close(fig)
    names.append("error_histogram.png")
    images = sorted({r["image_id"] for r in test})[:4]
    fig, axes = plt.subplots(1, len(images), figsize=(3.2 * len(images), 3.6), squeeze=False)
    for ax, img in zip(axes[0], images, strict=True):
        sel = [i for i, r in enumerate(test) if r["image_id"] == img]
        ax.scatter(gt[sel, 0] / 1000, gt[sel, 2] / 1000, marker="o", s=40, label="true")
        ax.scatter(hdnet_roots[sel, 0] / 1000, hdnet_roots[sel, 2] / 1000, marker="x", s=40, label="hdnet")
        for i in sel:
            ax.plot([gt[i, 0] / 1000, hdnet_roots[i, 0] / 1000], [gt[i, 2] / 1000, hdnet_roots[i, 2] / 1000], "k:", lw=0.8)
        ax.plot(0, 0, "k^")
        ax.set(xlabel="X (m)", ylabel="Z (m)", title=f"scene {img}", ylim=(0, 11))
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Bird's-eye view (camera at the triangle)")
    fig.tight_layout(); fig.savefig(out / "birds_eye.png", dpi=110); plt.close(fig)
    names.append("birds_eye.png")
    if steps_csv.is_file():
        rows = [line.split(",") for line in steps_csv.read_text().split("\n")[1:] if line]
        if rows:
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.plot([int(r[0]) for r in rows], [float(r[2]) for r in rows], lw=1)
            ax.set(xlabel="step", ylabel="total loss", yscale="log", title="Training loss")
            fig.tight_layout(); fig.savefig(out / "loss_curve.png", dpi=110); plt.close(fig)
            names.append("loss_curve.png")
    return names
