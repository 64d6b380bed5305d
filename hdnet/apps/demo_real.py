"""The real-people demo: a keypoint HDNet trained on Human3.6M motion capture, measured on real
MuPoTS-3D scenes.

``hdnet demo --real DIR --out OUT [--minutes M] [--seed S]``:

1. reads ``DIR/h36m_poses.h5`` (Human3.6M motion capture, all subjects) and trains a
   :class:`~hdnet.models.KeypointHDNet` on it through virtual cameras for ``minutes`` on the CPU;
2. writes ``OUT/model.pt`` (loadable by ``hdnet eval`` and ``hdnet predict``);
3. evaluates it on ``DIR/mupots`` (MuPoTS-3D annotations, any of TS1-TS20; ground-truth 2D
   joints in, as :func:`hdnet.mupots_eval.evaluate_mupots` describes) against the geometric
   baselines;
4. writes ``OUT/report.json``, ``OUT/report.md`` and plots (depth scatter, bird's-eye views of
   real frames, error by depth band, a 3D pose).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from ..core.files import write_json, write_text
from ..data.mocap import read_h36m_mocap
from ..data.mupots_annotations import read_mupots_annotations
from ..keypoint import KeypointTask, evaluate_mupots
from ..keypoint.task import keypoint_recipe
from ..train import Trainer, load_config

__all__ = ["run_real_demo", "report_markdown", "PUBLISHED"]

#: Published image-based results on MuPoTS-3D (all 20 sequences, detected people, images in).
PUBLISHED = {"HDNet (Lin & Lee 2020)": {"ap_root_25": 0.394, "pck3d_abs": 35.2, "pck3d_rel": 83.7},
             "RootNet (Moon et al. 2019)": {"ap_root_25": 0.310, "pck3d_abs": 31.5, "pck3d_rel": 81.8}}


def public_report(report: Dict[str, Any]) -> Dict[str, Any]:
    """The report without its working arrays (what goes to JSON)."""
    return {k: v for k, v in report.items() if not k.startswith("_")}


def run_real_demo(data_dir, out_dir, minutes: float = 10.0, seed: int = 0, quick: bool = False,
                  sequences: Optional[List[str]] = None, log=print) -> Dict[str, Any]:
    """Run the whole real demo (see the module docstring); returns the report."""
    data, out = Path(data_dir), Path(out_dir)
    if not (data / "h36m_poses.h5").is_file():
        raise FileNotFoundError(f"--real: no h36m_poses.h5 in {str(data)!r}")
    if not (data / "mupots").is_dir():
        raise FileNotFoundError(f"--real: no mupots folder in {str(data)!r}")
    seqs = read_mupots_annotations(data / "mupots", sequences)  # checked before training
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    poses = read_h36m_mocap(data / "h36m_poses.h5")
    base = keypoint_recipe(str(data / "h36m_poses.h5"), str(out / "train"), minutes, seed, quick)
    base["data"]["subjects"] = sorted(set(poses.subject.tolist()))  # the demo trains on every subject
    cfg = load_config(base=base)
    log(f"training on {len(poses)} Human3.6M poses through virtual cameras for "
        f"{'20 steps' if quick else f'{minutes:g} minutes'} ...")
    trainer = Trainer(cfg, task=KeypointTask(cfg, poses=poses), on_log=lambda r: log(
        f"  step {r['step']:6d}  {r['seconds']:6.0f} s  loss {r['total']:.4f}  depth err {r['depth_err_mm']:5.0f} mm"
        f"  mpjpe {r['mpjpe_mm']:4.0f} mm") if r["step"] % 1000 == 0 else None)
    history = trainer.fit()
    model: Any = trainer.model.eval()
    t_train = time.time() - t0
    model.save(out / "model.pt", trained_on="Human3.6M motion capture, all subjects, virtual cameras",
               steps=trainer.step, seconds=round(t_train, 1), seed=seed)
    log(f"evaluating on MuPoTS-3D {', '.join(s.name for s in seqs)} ...")
    report = evaluate_mupots(model, seqs)
    report["train"] = {"steps": trainer.step, "seconds": round(t_train, 1), "poses": len(poses),
                       "minutes": minutes, "seed": seed, "history": history}
    report["published"] = PUBLISHED
    report["ratio_mrpe_to_skeleton_fit"] = report["hdnet"]["mrpe_mm"] / report["baselines"]["skeleton_fit"]["mrpe_mm"]
    report["plots"] = _plots(out, report)
    report["seconds_total"] = round(time.time() - t0, 1)
    write_json(out / "report.json", public_report(report), "report")
    write_text(out / "report.md", report_markdown(report), "report")
    return report


def _mm(v) -> str:
    """Millimetres to the unit; ``-`` where there is nothing to measure (nobody detected)."""
    return "-" if v is None else f"{v:.0f}"


def _row(name: str, r: Dict[str, Any]) -> str:
    return (f"| {name} | {_mm(r['mrpe_mm'])} | {_mm(r['mrpe_x_mm'])} | {_mm(r['mrpe_y_mm'])} | {_mm(r['mrpe_z_mm'])} | "
            f"{100 * r['ap_root_25']:.1f} | {r['pck3d_abs']:.1f} | {r['pck3d_rel']:.1f} |")


def _detections_line(d: Dict[str, Any]) -> str:
    skipped = d.get("on_frames_without_people", 0)
    return (f" The detector's people: {d['placed']} placed, {d['matched']} of them annotated people, {d['unmatched']} "
            "nobody annotated (false positives for AP_root"
            + (f", but for {skipped} on frames with nobody annotated, which it skips" if skipped else "") + "); "
            f"{d['left_out']} left out (under two joints scored)"
            + (f"; {d['below_min_score']} scored under --min-score {d['min_score']:g} not used" if "min_score" in d else "")
            + ".")


def report_markdown(r: Dict[str, Any]) -> str:
    """The report as Markdown tables."""
    head = ("| method | MRPE mm | x | y | z | AP_root^25 % | 3DPCK_abs | 3DPCK_rel |\n"
            "|---|---|---|---|---|---|---|---|")
    detected = r.get("detected", r["people"])
    lines = [f"# Real people: keypoint HDNet on MuPoTS-3D ({r['people']} people"
             + (f", {detected} detected: MRPE over those" if detected != r["people"] else "") + ", "
             f"{', '.join(r['sequences'])})", "",
             f"Input: {r['input']['keypoints']}" + (f", noise {r['input']['noise_px']} px" if "detections" not in r else "")
             + ". Cameras: "
             f"{sorted(set(r['input']['cameras'].values()))}"
             + (f", focal lengths x {r['input']['focal_scale']:g}" if r["input"].get("focal_scale", 1.0) != 1.0 else "")
             + "."
             + (f" Heights given: {r['input']['heights']}." if r["input"].get("heights", "not given") != "not given"
                else "")
             + (f" Scene: {r['scene']} (the floor re-placed {100 * r['hdnet'].get('floor_used', 0.0):.0f} % of people;"
                f" tracks {r.get('tracks', 'given')})." if r.get("scene", "none") != "none" else "")
             + (_detections_line(r["detections"]) if "detections" in r else ""), "", head,
             _row("hdnet (keypoints)", r["hdnet"]),
             _row("skeleton_fit (same poses at its roots)", r["baselines"]["skeleton_fit"]),
             _row("k_value (tight keypoint boxes)", r["baselines"]["k_value"]), ""]
    h = r["hdnet"]
    if h.get("depth_std_coverage") is not None:
        lines += [f"Uncertainty: {100 * h['depth_std_coverage']:.0f} % of people within one predicted standard "
                  f"deviation of depth (calibrated: 68 %); AP_root^25 with the uncertainty as the score: "
                  f"{100 * h['ap_root_25_uncertainty']:.1f} %"
                  + (f"; with the detector's scores: {100 * h['ap_root_25_detector']:.1f} %"
                     if "ap_root_25_detector" in h else "") + ".", ""]
    if "ratio_mrpe_to_skeleton_fit" in r:
        lines += [f"MRPE / skeleton_fit's: **{r['ratio_mrpe_to_skeleton_fit']:.2f}**", ""]
    lines += ["Published, image-based (detected people, all 20 sequences; not the same setting: "
              "ground-truth 2D joints in here):", "", "| method | AP_root^25 % | 3DPCK_abs | 3DPCK_rel |",
              "|---|---|---|---|"]
    for name, p in PUBLISHED.items():
        lines.append(f"| {name} | {100 * p['ap_root_25']:.1f} | {p['pck3d_abs']} | {p['pck3d_rel']} |")
    lines += ["", "Per sequence (MRPE mm / AP_root^25 % / 3DPCK_abs):", "",
              "| sequence | people | hdnet | skeleton_fit | k_value | 3DPCK_rel |", "|---|---|---|---|---|---|"]
    for name, s in r["per_sequence"].items():
        cells = [f"{_mm(s[m]['mrpe_mm'])} / {100 * s[m]['ap_root_25']:.1f} / {s[m]['pck3d_abs']:.1f}"
                 for m in ("hdnet", "skeleton_fit", "k_value")]
        lines.append(f"| {name} | {s['people']} | " + " | ".join(cells) + f" | {s['hdnet']['pck3d_rel']:.1f} |")
    lines += ["", "MRPE by ground-truth depth band (mm; people):", "",
              "| band | hdnet | skeleton_fit | k_value |", "|---|---|---|---|"]
    for band, v in r["hdnet"]["by_depth"].items():
        f = r["baselines"]["skeleton_fit"]["by_depth"].get(band, {})
        k = r["baselines"]["k_value"]["by_depth"].get(band, {})
        lines.append(f"| {band} | {v['mrpe_mm']:.0f} ({v['count']}) | {f.get('mrpe_mm', float('nan')):.0f} | "
                     f"{k.get('mrpe_mm', float('nan')):.0f} |")
    if "train" in r:
        t = r["train"]
        lines += ["", f"Training: {t['steps']} steps in {t['seconds']:.0f} s on {t['poses']} poses (seed {t['seed']}); "
                  f"whole run {r.get('seconds_total', 0):.0f} s."]
    return "\n".join(lines) + "\n"


def _plots(out: Path, r: Dict[str, Any]) -> List[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    recs = r["_records"]
    gt = np.concatenate([x["gt_root"] for x in recs])
    ours = np.concatenate([x["root_mm"] for x in recs])
    fit = np.concatenate([x["fit_root"] for x in recs])
    files = []
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(gt[:, 2] / 1000, fit[:, 2] / 1000, s=2, alpha=0.3, label="skeleton_fit", color="tab:orange")
    ax.scatter(gt[:, 2] / 1000, ours[:, 2] / 1000, s=2, alpha=0.3, label="hdnet (keypoints)", color="tab:blue")
    lim = [1, max(gt[:, 2].max(), ours[:, 2].max()) / 1000 * 1.05]
    ax.plot(lim, lim, "k--", lw=1)
    ax.set(xlabel="true depth Z (m)", ylabel="predicted Z (m)", title="MuPoTS-3D root depth")
    ax.legend(markerscale=5)
    fig.tight_layout()
    fig.savefig(out / "real_depth_scatter.png", dpi=110)
    plt.close(fig)
    files.append("real_depth_scatter.png")
    # bird's-eye views of a few real frames
    fig, axes = plt.subplots(1, 4, figsize=(14, 4))
    picks = [recs[i] for i in np.linspace(0, len(recs) - 1, 4).astype(int)]
    for ax, rec in zip(axes, picks, strict=True):
        f = int(np.bincount(rec["frames"]).argmax())
        sel = rec["frames"] == f
        for k, (g, p, q) in enumerate(zip(rec["gt_root"][sel], rec["root_mm"][sel], rec["fit_root"][sel], strict=True)):
            ax.scatter(g[0] / 1000, g[2] / 1000, marker="o", s=60, color=f"C{k}", label="true" if k == 0 else None)
            ax.scatter(p[0] / 1000, p[2] / 1000, marker="x", s=60, color=f"C{k}", label="hdnet" if k == 0 else None)
            ax.scatter(q[0] / 1000, q[2] / 1000, marker="+", s=60, color=f"C{k}", alpha=0.6,
                       label="skeleton_fit" if k == 0 else None)
        ax.scatter([0], [0], marker="^", color="k")
        ax.set(title=f"{rec['sequence'].name} frame {f}", xlabel="X (m)", ylabel="Z (m)")
        ax.set_aspect("equal", "datalim")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "real_birds_eye.png", dpi=110)
    plt.close(fig)
    files.append("real_birds_eye.png")
    # error by depth band
    bands = list(r["hdnet"]["by_depth"])
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.27
    for k, (name, src) in enumerate((("hdnet", r["hdnet"]), ("skeleton_fit", r["baselines"]["skeleton_fit"]),
                                     ("k_value", r["baselines"]["k_value"]))):
        vals = [src["by_depth"].get(b, {}).get("mrpe_mm", np.nan) for b in bands]
        ax.bar(np.arange(len(bands)) + (k - 1) * width, vals, width, label=name)
    ax.set_xticks(range(len(bands)), bands)
    ax.set(ylabel="MRPE (mm)", title="Root error by true depth")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "real_error_by_depth.png", dpi=110)
    plt.close(fig)
    files.append("real_error_by_depth.png")
    # one 3D pose
    rec = picks[0]
    seq = rec["sequence"]
    i = int(np.argmax(rec["frames"] >= 0))
    truth = seq.annot3[rec["frames"][i], rec["people"][i]]
    pred = rec["joints_mm"][i]
    fig = plt.figure(figsize=(5, 5))
    ax3 = fig.add_subplot(projection="3d")
    from ..graphs import get_skeleton
    for a, b in get_skeleton("mupots_17").bones:
        ax3.plot(*[[truth[a, d], truth[b, d]] for d in (0, 2, 1)], color="k")
        ax3.plot(*[[pred[a, d], pred[b, d]] for d in (0, 2, 1)], color="tab:blue")
    ax3.set(xlabel="X", ylabel="Z (depth)", zlabel="Y", title=f"{seq.name}: true (black), hdnet (blue), mm")
    ax3.invert_zaxis()
    fig.tight_layout()
    fig.savefig(out / "real_pose_3d.png", dpi=110)
    plt.close(fig)
    files.append("real_pose_3d.png")
    return files
