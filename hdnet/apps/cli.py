"""The ``hdnet`` command: train, eval, predict, data, bench, demo. ``hdnet COMMAND --help`` for each.

No library logic lives here: every command parses its options, calls the library and formats
what comes back."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["main", "build_parser"]


#: Where a pip user finds the documentation the help texts point to.
DOCS = "https://github.com/hdnet-dev/hdnet/blob/main/docs"


class CLIError(Exception):
    """An error to report as ``error: ...`` with exit status 2, without a traceback."""


def _add_train(sub):
    p = sub.add_parser("train", help="train a model from a config file or a recipe",
                       description="Train the image model (task hdnet) or the keypoint model (task keypoint). "
                       "A recipe gives the starting settings, the config file (TOML, YAML or JSON) and --set "
                       "change them. Under torchrun (torchrun --nproc_per_node=N -m hdnet train CONFIG) it "
                       "trains with DistributedDataParallel; only rank 0 writes checkpoints and logs. Every key: "
                       f"{DOCS}/training.md")
    p.add_argument("config", nargs="?", help="config file (.toml, .yaml/.yml or .json), optional with --recipe")
    p.add_argument("--recipe", help="start from a named recipe (reference, demo, keypoint, lifting)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="GROUP.KEY=VALUE",
                   help="override a config key, e.g. --set optim.lr=1e-3 (repeatable)")
    p.add_argument("--out", help="output folder (sets checkpoint.out_dir)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last.pt exactly where it stopped")
    p.add_argument("--init", metavar="CHECKPOINT",
                   help="start from a checkpoint's weights (fine-tuning; 'pretrained': the shipped keypoint "
                   "model, 'pretrained:NAME' other shipped weights); the run's model.* must match its "
                   "architecture (sets init)")
    p.add_argument("--backend", choices=["gloo", "nccl"],
                   help="distributed backend under torchrun (default: nccl with GPUs, else gloo)")
    p.set_defaults(run=_run_train)


def _add_import_option(p):
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="import a Python module first (one that registers your skeletons, convs "
                   "or readers); repeatable")


def _add_model_options(p):
    """The options that say which model runs and how its input is framed (eval and predict)."""
    p.add_argument("--checkpoint",
                   help="hdnet checkpoint (model.save / hdnet train), a bare hdnet state_dict, or "
                   f"the authors' original HDNet checkpoint ({DOCS}/checkpoints.md); keypoint commands "
                   "default to the shipped keypoint model; 'pretrained:NAME' picks shipped weights by name "
                   f"(keypoint, h36m_studio: {DOCS}/model-card.md)")
    p.add_argument("--input-size", type=int, help="network input (default: the checkpoint's)")
    p.add_argument("--framing", choices=["principal", "image", "person"],
                   help="input framing (default: the checkpoint's)")
    p.add_argument("--flip-test", action="store_true",
                   help="also run every input mirrored and average the two (twice the work)")
    p.add_argument("--device", help="image models: where the network runs, cpu, cuda or cuda:N (default: the "
                   "first GPU where torch sees one, else the CPU); keypoint models run on the CPU")


def _add_eval(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint with the published protocols",
                       description="Evaluate root localisation: MRPE (and its x, y, z parts), "
                       "AP_root at 25 cm and by depth band, on a MuPoTS-style JSON or Human3.6M, "
                       "with ground-truth boxes (image models); or a keypoint model on the real "
                       "MuPoTS-3D annotations (--dataset mupots-3d: ground-truth 2D joints or your detector's "
                       "people in, also 3DPCK, against the geometric baselines). Prints a table, writes JSON.")
    p.add_argument("--dataset", required=True, choices=["mupots", "h36m", "mupots-3d"],
                   help="mupots: RootNet's MuPoTS-3D.json with images; h36m: Human3.6M with images; "
                   "mupots-3d: the MuPoTS-3D annotation folder (TS*.npz + cameras.json, or the "
                   "official TS*/annot.mat), for keypoint models")
    p.add_argument("--annotations", help="MuPoTS-style JSON file (mupots), folder (mupots-3d), or the "
                   "motion-capture HDF5 file (h36m with a keypoint model: the Human3.6M protocol from "
                   "ground-truth 2D through the real cameras)")
    p.add_argument("--subjects", nargs="+", metavar="S", default=["S9", "S11"],
                   help="h36m with --annotations FILE.h5: the test subjects (default S9 S11)")
    p.add_argument("--sequences", nargs="+", metavar="TS", help="mupots-3d: only these sequences")
    p.add_argument("--noise-px", type=float, default=0.0,
                   help="mupots-3d: Gaussian noise (pixels) added to the ground-truth 2D joints")
    p.add_argument("--detector-like", action="store_true",
                   help="mupots-3d: move the ground-truth 2D joints as a detector might (hips 2-5 %% lower and "
                   "0-2 %% wider, noise 1 %% of the height, scores 0.5-1, 5 %% of joints dropped; docs/real.md)")
    p.add_argument("--seed", type=int, default=0, help="mupots-3d: seed of the noise")
    p.add_argument("--focal-error", type=float, default=0.0, metavar="PCT",
                   help="mupots-3d: give the model focal lengths PCT %% off the true ones (e.g. -20), to "
                   "measure what a wrong camera costs")
    p.add_argument("--scene", choices=["none", "image", "sequence", "live"],
                   help="keypoint models (mupots-3d, h36m with --annotations FILE.h5): people who share a floor "
                   "(docs/scene.md): none (default; each person alone), image (each frame's people), sequence "
                   "(every frame of the static camera), live (mupots-3d: each frame from the frames before it "
                   "only, as hdnet.keypoint.LiveScene places a live camera's)")
    p.add_argument("--tracks", choices=["given", "linked", "none"],
                   help="mupots-3d with --scene: who is who over the frames: given (default: the annotations' "
                   "person index), linked (hdnet.scene.link_tracks on the 2D input, as a detector's people would "
                   "be) or none (docs/scene.md)")
    p.add_argument("--floor", choices=["people", "calibrated"],
                   help="h36m with --annotations FILE.h5 and --scene: where the floor comes from: people (default: "
                   "found from them) or calibrated (each camera's calibrated pose above the ground: not part "
                   "of the protocol; a calibrated camera's setting)")
    p.add_argument("--known-heights", nargs="?", const="all", choices=["all", "first"],
                   help="keypoint models (mupots-3d, h36m with --annotations FILE.h5): give the model each "
                   "person's standing height, from the 3D annotations (docs/real.md); mupots-3d: 'first' gives "
                   "only each sequence's first person's, who anchors a scene's floor (docs/scene.md)")
    p.add_argument("--keypoints", metavar="FILE",
                   help="h36m with --annotations FILE.h5: a detector's 2D of the Human3.6M videos in VideoPose3D's "
                   "layout (data_2d_h36m_cpn_ft_h36m_dbb.npz and the like, read as data only) instead of the "
                   "projected ground truth; mupots-3d: your detector's people on the MuPoTS-3D images instead "
                   "of the annotated 2D (any format hdnet predict --keypoints reads; images named "
                   "TS<n>/img_<frame>.jpg, or COCO image ids with --coco-annotations; or a folder of OpenPose, "
                   "MMPose or Ultralytics label folders, one per sequence, named TS<n>), tied to the annotated "
                   "people in 2D as the official script does: the people it missed are misses, the others false "
                   "positives (docs/real.md)")
    p.add_argument("--keypoint-format", default=None,
                   help="with --keypoints: their joint set (mupots-3d: required where the joint count fits several; "
                   "h36m: read from the file's layout)")
    p.add_argument("--coco-annotations", metavar="FILE",
                   help="mupots-3d with --keypoints: a COCO file whose 'images' tie image_id to file names "
                   "(RootNet's MuPoTS-3D.json)")
    _add_score_options(p, "mupots-3d with --keypoints: ", "with --keypoints: ")
    p.add_argument("--images", help="image folder (mupots) or the Human36M root (h36m)")
    p.add_argument("--split", default="test", choices=["train", "test"], help="Human3.6M split")
    _add_model_options(p)
    p.add_argument("--out", default="eval.json", help="JSON results file (default eval.json)")
    p.set_defaults(run=_run_eval)


def _add_score_options(p, where: str, clip_where: str) -> None:
    """``--min-score`` and ``--clip-scores``: how a detector's scores in ``--keypoints`` are read."""
    p.add_argument("--min-score", type=float, metavar="S",
                   help=f"{where}leave out the people your detector scored under S (COCO results' 'score', "
                   "how sure it is of the whole person)")
    p.add_argument("--clip-scores", action="store_true",
                   help=f"{clip_where}read keypoint scores outside [0, 1] as the nearer of 0 (missing) and 1 (seen) "
                   "instead of refusing them: RTMPose's, RTMW's, DWPose's and Detectron2's run past 1")


def _add_predict(sub):
    p = sub.add_parser("predict", help="camera-space people for your own images (boxes, keypoints or a detector)",
                       description="Image models: images with boxes -> RootNet-format roots.json and a picture "
                       "per image. Keypoint models (the shipped one unless --checkpoint): a detector's keypoints "
                       "(--keypoints) or a detector run here on the images or a video (--detector, --video) -> "
                       "people.json (each person's root_cam, joints_cam, depth_std_mm and the camera used) and a "
                       "picture per image found (a video's: one video). Cameras: --camera, else --fov, else the "
                       "image's EXIF, else a 55 degree field of view "
                       f"({DOCS}/camera.md).")
    p.add_argument("images", nargs="*", help="image files (with --keypoints: for their size, EXIF and pictures)")
    p.add_argument("--images", dest="image_dir", metavar="DIR", help="every image in a folder (jpg, png, ...)")
    p.add_argument("--boxes",
                   help="JSON: {image file name: [[x1, y1, x2, y2, (score)], ...]} (or xywh with --box-format), or "
                   "COCO detection results [{image_id, bbox: [x, y, w, h], score, category_id}] (RootNet's human "
                   "detections, Detectron2's, MMDetection's; people: category 1; ids tied to files by "
                   "--coco-annotations); with --detector: one person per box (default: the whole image, "
                   "--max-people)")
    p.add_argument("--keypoints", help="keypoint models: your detector's 2D keypoints, JSON {image name: "
                   "[[[x, y, score], ...], ...]}, COCO results [{image_id, keypoints: [x, y, s, ...]}], a COCO keypoint "
                   "annotation file (hand labels: CVAT, Label Studio, Roboflow; PoseTrack), Ultralytics' "
                   "{image name: Results.summary()} or MMPose's "
                   "video predictions; or a folder of one file per image: OpenPose's --write_json "
                   "(*_keypoints.json), MMPose's pred_out_dir or Ultralytics' Results.to_json() (<image>.json), "
                   "OpenPifPaf's --json-output "
                   "(*.predictions.json), easy_ViTPose's --save-json (*_result.json, or one such file), "
                   "VideoPose3D's custom data_2d_custom_*.npz, NumPy arrays of a video's frames (.npy [F, (P,) J, 2 "
                   "or 3], .npz with keypoints, scores, track_ids), "
                   "Ultralytics YOLO-pose's save_txt labels (<image>.txt, with the images: --images DIR)")
    p.add_argument("--keypoint-format", default=None,
                   help="joint set of --keypoints: coco_17, halpe_26, body_25, blazepose_33, h36m_17, mupots_17, or "
                   "layouts that hold one: the whole-body coco_wholebody_133 and halpe_136 (their body part is "
                   "read), OpenPose's COCO model openpose_18, Sapiens' goliath_308, PoseTrack's posetrack_17 (read as "
                   "coco_17, PoseTrack's without the eyes), easy_ViTPose's vitpose_25 and OpenPose's BODY_25B body_25b "
                   "(read as halpe_26 without the head, or the neck and pelvis); required "
                   "where the joint count fits several)")
    p.add_argument("--coco-annotations", metavar="FILE",
                   help="COCO annotation file whose 'images' list ties COCO results' image_id (of --keypoints "
                   "or --boxes) to file names and image sizes")
    _add_score_options(p, "with --keypoints: ", "with --keypoints: ")
    p.add_argument("--detector", choices=["mediapipe"],
                   help="run a 2D detector here (mediapipe: BlazePose, pip install \"hdnet[mediapipe]\")")
    p.add_argument("--max-people", type=int, default=None, metavar="N",
                   help="with --detector and no --boxes: find up to N people in each image or video frame "
                   "(default 1; images are searched whole and in overlapping squares, for a group photo's "
                   "smaller people; docs/real.md)")
    p.add_argument("--video", metavar="FILE",
                   help="a video file: with --detector, its frames in order (the detector follows its person "
                   "from frame to frame; with --max-people it searches each frame); with --keypoints, the video "
                   "the keypoints were found in (their keys are frame numbers: MMPose's frame_id, OpenPose's "
                   "<video>_<frame>, Ultralytics' <video>_<frame from 1>.txt), for its frame size, frame rate and "
                   "pictures; each record says its 'frame'; use with --scene sequence (OpenCV: pip install "
                   "\"hdnet[video]\")")
    p.add_argument("--frame-step", type=int, default=1, metavar="N",
                   help="with --video --detector: every N-th frame (default 1: each)")
    p.add_argument("--fps", type=float, default=None,
                   help="keypoint models with --scene sequence: the images' frames per second (default: the "
                   "video's own with --video, else 30); each track is smoothed over a second")
    p.add_argument("--box-format", default=None, choices=["xyxy", "xywh"], help="box format (default xyxy; never "
                   "guessed)")
    p.add_argument("--camera", help="the camera: JSON {fx, fy, cx, cy}, {f, c} or an OpenCV camera matrix (or per image: "
                   "{file name: {...}}), OpenCV's, ROS's or Kalibr's calibration YAML/XML, or COLMAP's cameras.txt "
                   f"({DOCS}/camera.md)")
    p.add_argument("--scene", choices=["none", "image", "sequence"],
                   help="keypoint models: people who share a floor (docs/scene.md): image (each image's "
                   "people), sequence (the images in order, one static camera); default none")
    p.add_argument("--tracks", choices=["given", "linked", "none"],
                   help="keypoint models: who is who over the images: given (the keypoint file's track_id), "
                   "linked (linked here from the keypoints: a video's frames in order) or none; default given "
                   "where the file has track ids, else linked with --scene sequence, else none (docs/scene.md)")
    p.add_argument("--floor", metavar="H,PITCH[,ROLL]",
                   help="keypoint models: the camera's height above the ground (mm) and how far it looks down "
                   "(degrees; and its roll), where you know them: everyone stands on that floor (docs/scene.md); "
                   "with --scene image or sequence (default image)")
    p.add_argument("--fov", type=float, metavar="DEG",
                   help="keypoint models: the cameras' field of view across the longer image side, degrees")
    p.add_argument("--lens", choices=["pinhole", "fisheye"], default=None,
                   help="with --fov: the lens it is of (default pinhole; fisheye: an equidistant fisheye, for an "
                   "action camera's stated field of view up to 250 degrees)")
    p.add_argument("--height", type=float, metavar="MM",
                   help="keypoint models: every person's standing height in mm (floor to the top of the head; "
                   "e.g. one person filmed alone): places them by it instead of an average body")
    p.add_argument("--heights", metavar="FILE",
                   help="keypoint models: JSON {track_id: height in mm} for the people of --keypoints with "
                   "track ids; the others keep the model's size")
    _add_model_options(p)
    p.add_argument("--out", default="predictions", help="output folder (default ./predictions)")
    p.add_argument("--pictures", type=int, default=1, metavar="N",
                   help="a picture for every N-th image that has people (default 1: each; 0: none); with "
                   "--video, every N-th frame read into one video, OUT/<video>_people.mp4")
    p.add_argument("--autocast", action="store_true",
                   help="image models: run the network in bfloat16 (CPU) / float16 (CUDA); faster on most "
                   f"machines ({DOCS}/benchmarks.md)")
    p.set_defaults(run=_run_predict)


#: The benchmarks of ``hdnet.benchmarks`` that ``hdnet bench`` runs, with what each measures.
BENCHMARKS = {"layers": "heatmap pooling and the skeleton GNN against the original formulations",
              "gnn": "any graph conv on any skeleton against a reference",
              "model": "the whole HDNet: people per image, images/s, memory, framing, end to end",
              "keypoint": "the keypoint model's people per second",
              "train": "training steps per second against a plain PyTorch loop",
              "synthetic": "synthetic scene generation",
              "baselines": "the geometric baselines on the real Human3.6M frames (needs the data)"}


def _add_bench(sub):
    p = sub.add_parser("bench", help="run a benchmark (hdnet.benchmarks); no name lists them",
                       description="Run a benchmark; the arguments after its name go to it "
                       f"(hdnet bench gnn --help). What each measures: {DOCS}/benchmarks.md")
    p.add_argument("name", nargs="?", help="which benchmark: " + ", ".join(BENCHMARKS))
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the benchmark")
    p.set_defaults(run=_run_bench)


def _add_demo(sub):
    p = sub.add_parser("demo", help="train and evaluate on synthetic scenes (about 14 minutes on a CPU)",
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
    p.add_argument("--real", metavar="DIR",
                   help="the real-people demo instead: train a keypoint model on DIR/h36m_poses.h5 "
                   f"(Human3.6M motion capture) and evaluate it on DIR/mupots (MuPoTS-3D); {DOCS}/real.md")
    p.set_defaults(run=_run_demo)


def _add_data(sub):
    p = sub.add_parser("data", help="make training data from a dataset's official release",
                       description="Convert a dataset's official release to the layout hdnet trains on "
                       f"({DOCS}/data.md). h36m: Human3.6M's S*/MyPoseFeatures/D3_Positions/*.cdf and metadata.xml "
                       "-> the motion-capture HDF5 file (pip install cdflib). Human3.6M is for research use only.")
    p.add_argument("dataset", choices=["h36m"], help="which release")
    p.add_argument("root", help="the release's root folder (holding S1, S5, ...)")
    p.add_argument("--metadata", help="metadata.xml (default ROOT/metadata.xml)")
    p.add_argument("--subjects", nargs="+", metavar="S", help="only these subjects (default: every one found)")
    p.add_argument("--every", type=int, default=5, help="keep every n-th frame of the 50 fps capture (default 5)")
    p.add_argument("--out", required=True, help="the HDF5 file to write")
    p.set_defaults(run=_run_data)


def _run_data(args) -> int:
    from ..data.h36m_official import convert_h36m
    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out: {args.out!r} is a folder; give a file name")
    if out.exists() and (out.resolve() == Path(args.root).resolve() or
                         (args.metadata and os.path.exists(args.metadata) and os.path.samefile(out, args.metadata))):
        raise CLIError(f"--out: {args.out!r} would overwrite an input")
    try:
        r = convert_h36m(args.root, out, args.metadata, args.subjects, args.every)
    except ImportError as e:
        raise CLIError(str(e)) from None
    print(f"wrote {out}: {len(r['subjects'])} subjects, {r['sequences']} sequences, {r['poses']} poses")
    return 0


def _add_live(sub):
    p = sub.add_parser("live", help="a detector's people streamed in frame by frame, where they stand streamed out",
                       description="Read a live camera's frames as JSON lines (each line one frame's people: "
                       "[[[x, y, score], ...], ...], or {\"people\": ..., \"track_ids\": ..., \"frame\": N}) and "
                       "write each frame's people as a JSON line as soon as it is read (frame, joints, people: "
                       "person, track_id, root_cam, joints_cam, depth_std_mm, placed_by; floor), placed with "
                       "hdnet.keypoint.LiveScene: on the floor found from the frames before, tracks linked over "
                       f"them ({DOCS}/scene.md, \"Live\").")
    p.add_argument("--keypoint-format", default=None, metavar="FMT",
                   help="the keypoints' format (or a layout holding one); required where the joint count fits "
                   "several")
    p.add_argument("--camera", metavar="FILE", help="the camera: a calibration file as hdnet predict reads it "
                   "(one camera)")
    p.add_argument("--fov", type=float, metavar="DEG", help="without --camera: the field of view across the "
                   "longer side, with --image-size")
    p.add_argument("--image-size", metavar="W,H", help="the frames' size in px (for --fov, or to check --camera)")
    p.add_argument("--lens", choices=["pinhole", "fisheye"], default=None, help="with --fov: the lens (default "
                   "pinhole)")
    p.add_argument("--fps", type=float, default=30.0, help="the frames per second (default 30): tracks are "
                   "fitted over a second, the floor found again every second")
    p.add_argument("--history", type=float, default=10.0, metavar="SECONDS",
                   help="seconds of frames the floor is found from (default 10)")
    p.add_argument("--floor", metavar="H,PITCH[,ROLL]", help="the camera's height above the ground (mm) and tilt "
                   "(degrees) where you know them: not searched for")
    p.add_argument("--checkpoint", default=None, help="a keypoint model (default: the shipped one)")
    p.add_argument("--clip-scores", action="store_true", help="read keypoint scores outside [0, 1] as the "
                   "nearer of 0 and 1 (RTMPose's)")
    p.add_argument("--input", metavar="FILE", help="read the frames from FILE (default: standard input)")
    p.add_argument("--out", metavar="FILE", help="write the frames to FILE (default: standard output)")
    p.set_defaults(run=_run_live)


def _run_live(args) -> int:
    from ..keypoint import LiveScene
    from . import keypoint_predict as kp
    from .live_stream import stream
    size = None
    if args.image_size:
        try:
            w, h = (int(v) for v in args.image_size.split(","))
        except ValueError:
            raise CLIError(f"--image-size: expected W,H in px, got {args.image_size!r}") from None
        if w <= 0 or h <= 0:
            raise CLIError(f"--image-size: expected positive W,H, got {args.image_size!r}")
        size = (w, h)
    if args.camera and args.fov is not None:
        raise CLIError("--camera, --fov: give one (--fov is for a camera without a calibration)")
    if not args.camera and (args.fov is None or size is None):
        raise CLIError("--camera FILE, or --fov DEG with --image-size W,H: the live camera is needed")
    if args.lens and args.fov is None:
        raise CLIError("--lens: goes with --fov")
    if args.input and not os.path.isfile(args.input):
        raise CLIError(f"--input: no file at {args.input!r}")
    if args.out:
        _refuse_overwrite(Path(args.out), [args.input, args.camera, args.checkpoint])
    cameras = _read_cameras(args.camera) if args.camera else None
    try:
        camera, _ = kp.camera_for(kp.ImageRef("live", None, size), cameras, args.fov, args.lens or "pinhole")
    except ValueError as e:
        raise CLIError(str(e)) from None
    model = _keypoint_model(args)
    try:
        live = LiveScene(model, camera, args.keypoint_format, frame_rate=args.fps, history_s=args.history,
                         floor=_floor_numbers(args.floor))
    except ValueError as e:
        option = {"history_s": "--history", "frame_rate": "--fps"}.get(str(e).split(":")[0], "--floor")
        raise CLIError(f"{option}: {str(e).split(': ', 1)[-1]}") from None
    source = open(args.input, encoding="utf-8") if args.input else sys.stdin
    sink = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout
    try:
        stream(live, source, sink, clip_scores=args.clip_scores)
    finally:
        if args.input:
            source.close()
        if args.out:
            sink.close()
    return 0


def _add_export(sub):
    p = sub.add_parser("export", help="write a model as ONNX, describing itself in the file's metadata",
                       description="Export a model with torch.onnx (dynamo) to FILE.onnx, its weights beside it "
                       "in FILE.onnx.data (keep the two together). The number of people is dynamic. The file's "
                       "metadata (hdnet.* entries; 'hdnet info FILE.onnx' shows them) says what each input and "
                       "output holds, the joints in order, the constants that travel with the weights and the "
                       "checkpoint's licence. Where onnxruntime is installed (pip install \"hdnet[onnx]\"), the "
                       f"file is run once and compared with torch ({DOCS}/real.md, \"Export\").")
    p.add_argument("checkpoint", nargs="?", default=None,
                   help="a checkpoint file or 'pretrained[:NAME]' (default: the shipped keypoint model)")
    p.add_argument("--out", required=True, metavar="FILE.onnx", help="the ONNX file to write")
    p.add_argument("--keypoint-format", metavar="FMT", help="keypoint models: the input format the file takes "
                   "(one per file; required where the model reads several, as the shipped one does), or a layout "
                   "holding one, whose every point the file then takes (coco_wholebody_133: RTMW's and DWPose's "
                   "133; its body's are read in the graph)")
    p.add_argument("--input-size", type=int, default=None, help="image models: the square input in px (default: "
                   "the checkpoint's preprocessing)")
    p.add_argument("--images", type=int, default=1, help="image models: images per call, fixed in the file "
                   "(default 1)")
    p.set_defaults(run=_run_export)


def _run_export(args) -> int:
    import logging
    import warnings

    from ..core.checkpoint import describe_checkpoint, load_model, pretrained_request
    from ..keypoint import KeypointHDNet
    from ..models.export import check_onnx, export_onnx, read_onnx_metadata
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder) or os.path.isdir(args.out):
        raise CLIError(f"--out: {args.out!r} is a folder or in one that does not exist (give FILE.onnx in a folder "
                       "that does)")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"--out: {folder!r} is not writable")
    source = args.checkpoint or "pretrained"
    request = pretrained_request(source)
    path = _shipped_path(request.get("weights")) if request is not None else source
    described = describe_checkpoint(path)
    model = load_model(path)
    meta = {"source": source if request is None else f"pretrained:{request.get('weights') or 'keypoint'}",
            "checkpoint_checksum": described["checksum"], **(described["meta"] or {})}
    options: Dict[str, Any]
    if isinstance(model, KeypointHDNet):
        _refuse(args, ["--input-size"], "to a keypoint model")
        if args.keypoint_format is None and len(model.formats) > 1:
            raise CLIError(f"--keypoint-format: this model reads {', '.join(model.formats)}; a file takes one of "
                           "them (export each you need)")
        options = {"format": args.keypoint_format or model.formats[0]}
        model.read_format(options["format"])  # one of its formats, or a layout holding one
    else:
        if args.keypoint_format:
            raise CLIError(f"--keypoint-format: {source!r} holds a {type(model).__name__}, which takes images")
        if args.images < 1:
            raise CLIError(f"--images: expected at least 1, got {args.images}")
        if args.input_size is not None and (args.input_size < 32 or args.input_size % 32):
            raise CLIError(f"--input-size: expected a multiple of 32, got {args.input_size}")
        options = {"input_size": args.input_size or model.preprocessing.input_size, "num_images": args.images}
    onnx_log = logging.getLogger("torch.onnx")
    level = onnx_log.level
    try:  # the exporter's notes (torchvision's ops not registered, deprecations) say nothing to a user
        onnx_log.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            written = export_onnx(model, args.out, metadata=meta, **options)
    except ImportError as e:
        raise CLIError(str(e)) from None
    finally:
        onnx_log.setLevel(level)
    info = read_onnx_metadata(written)
    try:
        check = check_onnx(model, written, **options)
    except ImportError:
        checked = "no: onnxruntime is not installed (pip install \"hdnet[onnx]\")"
    else:
        if not check["worst"] < 1e-4:
            raise CLIError(f"--out: onnxruntime's answers differ from torch's by {check['worst']:.2g} of their scale")
        checked = (f"onnxruntime answers {check['people']} people as torch does, within {check['worst']:.1g} of "
                   "each output's scale")
    print("\n".join(_onnx_info_lines(info, [("checked", checked)])))
    print(f"wrote {written} and {info['weights_file'] or 'no weights file'}")
    return 0


def _onnx_info_lines(d: Dict[str, Any], extra=()) -> List[str]:
    """An ONNX file's self-description (``read_onnx_metadata``) as aligned lines, ``extra`` rows
    ``(label, text)`` last."""
    import re
    h = d["hdnet"]
    size = os.path.getsize(d["file"])
    weights = d["weights_file"]
    beside = os.path.join(os.path.dirname(d["file"]), weights) if isinstance(weights, str) else None
    where = (f"weights in {weights}, {os.path.getsize(beside) / 1e6:.1f} MB" if beside and os.path.isfile(beside)
             else f"weights in {weights}, NOT FOUND beside it" if weights else "weights inside")
    rows = [("file", f"{d['file']} ({size / 1e6:.1f} MB; {where})"),
            ("model", (f"{h['model_class']}, exported by hdnet {h.get('version')}" if h.get("model_class")
                       else "not written by hdnet") + f" ({d['producer']}, opset {d['opset']})")]
    sig = h.get("signature") or {}
    shape = lambda s: "[" + ", ".join(str(x) for x in s) + "]"  # noqa: E731
    for kind in ("inputs", "outputs"):
        said = sig.get(kind) or {}
        rows += [(kind if i == 0 else "", f"{name} {shape(s)}" + (": " + re.sub(r"^\[[^\]]*\]\s*", "", said[name])
                                                                 if name in said else ""))
                 for i, (name, s) in enumerate(d[kind].items())]
    if "format" in sig:
        rows.append(("format", str(sig["format"]) + (f" (the {sig['layout']} layout: {sig.get('reads')})"
                                                     if sig.get("layout") else "")))
        for key, label in (("input_joints", "joints in"), ("output_joints", "joints out")):
            rows.append((label, f"{len(sig[key])}: " + ", ".join(map(str, sig[key]))))
    if sig.get("known_height"):
        rows.append(("heights", sig["known_height"]))
    for key, label in (("data", "data"), ("preprocessing", "preprocessing")):
        if h.get(key):
            rows.append((label, ", ".join(f"{k} {_short(v)}" for k, v in h[key].items())))
    for key, label in (("source", "exported from"), ("trained_on", "trained on"), ("license", "licence"),
                       ("card", "model card")):
        if key in h:
            rows.append((label, _short(h[key])))
    rows += list(extra)
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]


def _add_info(sub):
    p = sub.add_parser("info", help="what a checkpoint (or a calibration file) holds; no checkpoint lists the "
                       "shipped weights",
                       description="Load a checkpoint as the other commands do (as data only, verified, built) "
                       "and say what it is: the model and its parameters, the hdnet that wrote it, its "
                       "architecture, the values that travel with the weights, how it was trained, its "
                       f"training data and licence ({DOCS}/checkpoints.md). Without CHECKPOINT: the "
                       f"weights that ship in the package ({DOCS}/model-card.md). A calibration file "
                       "(.json, .yaml, .yml, .xml, COLMAP's cameras.txt) is read as --camera reads it, and each "
                       f"camera shown with its field of view and how far its lens moves the image's corners "
                       f"({DOCS}/camera.md). A people.json that hdnet predict wrote is summed up: people, "
                       "images, tracks, how they were placed, their depths. A detector's keypoint file or folder "
                       "(what --keypoints reads) is summed up too: its layout, people, joints, the formats they "
                       "read as and the one they look like, their score range; so is a VideoPose3D 2D file "
                       "(data_2d_h36m_*.npz). A photo: its size as shown, its EXIF orientation and "
                       "the camera hdnet predict takes for it without --camera or --fov (EXIF, else the prior); a "
                       "video, its frames, frame rate and that camera.")
    p.add_argument("checkpoint", nargs="?",
                   help="a checkpoint file, 'pretrained[:NAME]' for shipped weights, a calibration file, an "
                   "exported .onnx file, hdnet predict's people.json, a detector's keypoint file or folder, a "
                   "photo or a video")
    p.add_argument("--json", metavar="FILE", help="also write the whole description as JSON (with the "
                   "training configuration)")
    p.set_defaults(run=_run_info)


def _versions() -> str:
    """``hdnet X (torch Y, torch_geometric Z)``, read from the installed distributions, so that
    ``--version`` need not import torch."""
    from importlib.metadata import PackageNotFoundError, version

    from ..core.version import __version__
    found = []
    for dist in ("torch", "torch_geometric"):
        try:
            found.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            found.append(f"{dist} not installed")
    return f"hdnet {__version__} ({', '.join(found)})"


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hdnet", description="Camera-space human depth (HDNet).")
    ap.add_argument("--version", action="version", version=_versions(),
                    help="hdnet's version and those of torch and torch_geometric it runs with, then exit")
    _add_import_option(ap)
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_train, _add_eval, _add_predict, _add_live, _add_data, _add_info, _add_export, _add_bench,
                _add_demo):
        add(sub)
    for name, p in sub.choices.items():
        if name != "bench":  # bench passes everything after its name to the benchmark
            p.add_argument("--import", dest="sub_imports", action="append", default=[],
                           metavar="MODULE", help=argparse.SUPPRESS)
    return ap


def _import_modules(names: List[str]) -> None:
    """Import each module, finding modules in the current folder as ``python -m`` does."""
    from ..benchmarks._harness import import_modules
    try:
        import_modules(names)
    except ImportError as e:
        raise CLIError(str(e)) from None


# ---------------------------------------------------------------------------- commands
def _run_train(args) -> int:
    from ..train import RECIPES, Trainer, load_config
    if args.config is None and args.recipe is None:
        raise CLIError("train: give a config file, a --recipe, or both")
    base = None
    if args.recipe is not None:
        base = RECIPES.get(args.recipe)()
    overrides = list(args.overrides)
    if args.out:
        overrides.append(f"checkpoint.out_dir={args.out}")
    if args.backend:
        overrides.append(f"backend={args.backend}")
    if args.init:
        overrides.append(f"init={args.init}")
    cfg = load_config(args.config, overrides, base=base)
    with Trainer(cfg, resume=args.resume) as trainer:
        history = trainer.fit()
        if trainer.rank == 0:
            print(f"trained {trainer.step} steps; checkpoint {Path(cfg.checkpoint.out_dir) / 'last.pt'}")
            if history:
                print(f"last epoch: {history[-1]}")
    return 0


def _load_model(args):
    """The ``_add_model_options`` choices resolved: ``(model, preprocessing)``, the checkpoint's
    stored preprocessing filling in what was not given."""
    import dataclasses

    from ..core.checkpoint import load_model
    if not args.checkpoint:
        raise CLIError("--checkpoint: image models need one (only keypoint commands have a shipped model)")
    model = load_model(args.checkpoint)
    prep = getattr(model, "preprocessing", None)
    if prep is None:
        raise CLIError(f"--checkpoint: {args.checkpoint!r} holds a keypoint model; use --keypoints "
                       "(predict) or --dataset mupots-3d (eval)")
    changes = {k: v for k, v in (("input_size", args.input_size), ("framing", args.framing)) if v is not None}
    return model, dataclasses.replace(prep, **changes) if changes else prep


def _image_model_device(args):
    """``--device`` for an image model (checked: an error where CUDA is asked for and absent),
    else the first GPU where torch sees one, else the CPU."""
    import torch

    from ..core.checks import check_device
    if args.device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return check_device(args.device, "--device")
    except ValueError as e:
        raise CLIError(str(e)) from None


def _run_eval_keypoints(args) -> int:
    from ..data.mupots_annotations import read_mupots_annotations
    from ..keypoint import evaluate_mupots
    from . import keypoint_predict as kp
    from .demo_real import public_report, report_markdown
    if not args.annotations:
        raise CLIError("--annotations: the MuPoTS-3D annotation folder is required for --dataset mupots-3d")
    if not args.noise_px >= 0 or args.noise_px == float("inf"):
        raise CLIError(f"--noise-px: expected a finite number of pixels >= 0, got {args.noise_px}")
    if not -90 < args.focal_error < 1000:
        raise CLIError(f"--focal-error: expected a percentage in (-90, 1000), got {args.focal_error}")
    _refuse(args, ["--input-size", "--framing", "--images", "--device"], "to keypoint models (they run on the CPU)")
    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out: {args.out!r} is a folder; give a JSON file name")
    _refuse_overwrite(out, [args.checkpoint, args.annotations, os.path.join(args.annotations, "cameras.json"),
                            args.keypoints, args.coco_annotations])
    if not out.parent.is_dir() if str(out.parent) else False:
        raise CLIError(f"--out: the folder of {args.out!r} does not exist")
    _refuse(args, ["--floor"], "to MuPoTS-3D (its annotations hold no floor; --scene finds one from the people)")
    if args.tracks and (args.scene or "none") == "none":
        raise CLIError("--tracks: applies with --scene image or sequence (the tracks of a scene)")
    if args.keypoints:
        if args.noise_px or args.detector_like or args.known_heights:
            raise CLIError("--noise-px, --detector-like, --known-heights: change the annotated 2D people; with "
                           "--keypoints the detector's people come as they are")
    else:
        _refuse(args, ["--keypoint-format", "--coco-annotations", "--min-score", "--clip-scores"],
                "without --keypoints (they describe its file)")
    model = _keypoint_model(args)
    seqs = read_mupots_annotations(args.annotations, args.sequences)
    detections = fmt = tracks = scores = None
    if args.keypoints:
        people, tracks, fmt, coco, scores, clipped = _read_keypoints(args, model, sequences=True,
                                                                     image_size=_mupots_image_sizes(seqs))
        keep, below = _above_min_score(args, people, scores)
        if keep is not None:  # the detector's unsure people are not detections
            people = {key: v[keep[key]] for key, v in people.items()}
            tracks = None if tracks is None else {key: v[keep[key]] for key, v in tracks.items()}
            scores = {key: v[keep[key]] for key, v in scores.items()}
        names = {key: coco[key]["file_name"] if coco is not None and key in coco else key for key in people}
        unnamed = [key for key in people if coco is not None and key not in coco]
        if unnamed:
            raise CLIError(f"--coco-annotations: no image with id {unnamed[0]!r} (of --keypoints)")
        if len(set(names.values())) < len(names):
            twice = sorted(n for n in set(names.values()) if list(names.values()).count(n) > 1)
            raise CLIError(f"--coco-annotations: two image ids name {twice[0]!r}")
        detections = {names[key]: v for key, v in people.items()}
        tracks = None if tracks is None else {names[key]: v for key, v in tracks.items()}
        scores = None if scores is None else {names[key]: v for key, v in scores.items()}
        if args.tracks == "given" and tracks is None:
            raise CLIError("--tracks given: the keypoints carry no track ids (COCO results' track_id, OpenPose's "
                           "person_id); use --tracks linked to link people over the frames")
        if tracks is not None and (args.scene or "none") != "none" and args.tracks in (None, "given"):
            kp.check_tracks(tracks)
    report = public_report(evaluate_mupots(model, seqs, noise_px=args.noise_px, seed=args.seed,
                                           flip_test=args.flip_test, focal_scale=1 + args.focal_error / 100,
                                           scene=args.scene or "none", detector_like=args.detector_like,
                                           known_heights=args.known_heights or "none",
                                           tracks=args.tracks, detections=detections, detection_format=fmt,
                                           track_ids=tracks, detection_scores=scores))
    if args.keypoints:
        report["detections"]["file"] = args.keypoints
        if args.min_score is not None:
            report["detections"].update(min_score=args.min_score, below_min_score=below)
        if clipped is not None:
            report["detections"]["clipped_scores"] = clipped._asdict()
    report["model"] = args.checkpoint or "shipped (KeypointHDNet.pretrained())"
    print(report_markdown(report))
    _write_json(args.out, report, "--out")
    print(f"wrote {args.out}")
    return 0


def _mupots_image_sizes(seqs):
    """``key -> (width, height)`` of the MuPoTS-3D image a key names (``TS<n>/img_<frame>``; None
    for any other key)."""
    from ..data.mupots_annotations import mupots_image_frame
    sizes = {seq.name: (seq.width, seq.height) for seq in seqs}

    def size(key: str):
        try:
            return sizes.get(mupots_image_frame(key)[0])
        except ValueError:
            return None
    return size


def _run_eval_h36m_keypoints(args) -> int:
    from ..data.mocap import read_h36m_mocap
    from ..keypoint import evaluate_h36m
    _refuse(args, ["--input-size", "--framing", "--images", "--device"], "to keypoint models (they run on the CPU)")
    out = Path(args.out)
    if out.is_dir():
        raise CLIError(f"--out: {args.out!r} is a folder; give a JSON file name")
    _refuse_overwrite(out, [args.checkpoint, args.annotations, args.keypoints])
    scene = args.scene or "none"
    if scene == "live":
        raise CLIError("--scene live: MuPoTS-3D only (its sequences' frames in order); Human3.6M's views are scored "
                       "with --scene none, image or sequence")
    if args.floor and scene == "none":
        raise CLIError("--floor: places people with --scene image or sequence")
    if args.known_heights == "first":
        raise CLIError("--known-heights first: MuPoTS-3D only (a Human3.6M view holds one subject; use "
                       "--known-heights)")
    model = _keypoint_model(args)
    poses = read_h36m_mocap(args.annotations, args.subjects)
    missing = sorted(set(args.subjects) - set(poses.subject.tolist()))
    if missing:
        raise CLIError(f"--subjects: {missing} are not in {args.annotations!r}")
    detections, every, clipped = None, None, None
    if args.keypoints:
        from ..data.h36m_detections import VIDEOPOSE3D_LAYOUTS, read_videopose3d_2d
        from ..data.keypoint_files import check_keypoint_scores
        from ..data.mocap import mocap_frame_step
        detections, layout = read_videopose3d_2d(args.keypoints)
        named = {f"{s}/{a} camera {c}": v for (s, a, c), v in detections.items()}
        named, clipped = check_keypoint_scores(named, "--keypoints", clip=args.clip_scores, option="--clip-scores")
        detections = dict(zip(detections, named.values(), strict=True))
        _say_clipped(clipped)
        fmt = VIDEOPOSE3D_LAYOUTS.get(layout)
        if args.keypoint_format and fmt and args.keypoint_format != fmt:
            raise CLIError(f"--keypoint-format: {args.keypoint_format}, but the file's layout is {layout!r} ({fmt})")
        fmt = args.keypoint_format or fmt
        if fmt is None:
            raise CLIError(f"--keypoint-format: the file's layout {layout!r} is none hdnet knows; say which")
        if fmt != "h36m_17":
            raise CLIError(f"--keypoints: {fmt} detections; the Human3.6M protocol scores Human3.6M's joints, which "
                           "the model answers for h36m_17 input (VideoPose3D's 'h36m' layout: CPN, Mask R-CNN)")
        counts = {a.shape[1] for a in detections.values()}
        if counts and counts != {17}:
            raise CLIError(f"--keypoints: {counts.pop()} joints; h36m_17 has 17")
        every = mocap_frame_step(args.annotations)
    report = evaluate_h36m(model, poses, args.subjects, flip_test=args.flip_test,
                           known_heights=args.known_heights is not None,
                           scene=scene, floor=args.floor or "people", keypoints_2d=detections, every=every or 5)
    report["model"] = args.checkpoint or "shipped (KeypointHDNet.pretrained())"
    report["input"] = {"keypoints": (f"a detector's 2D ({args.keypoints}; the stored poses are its frames every {every})"
                                     if args.keypoints else "ground-truth 2D (projected through the real cameras)"),
                       "format": "h36m_17",
                       "heights": "each subject's, from the motion capture" if args.known_heights else "not given"}
    if clipped is not None:
        report["input"]["clipped_scores"] = clipped._asdict()
    placed = (f" (--scene {scene}, floor {report['floor']}: {100 * report['floor_used']:.0f} % placed by it)"
              if scene != "none" else "")
    left = (f"; {report['views_missing']} videos not in --keypoints (first: {'/'.join(report['first_missing'])})"
            if report.get("views_missing") else "")
    print(f"Human3.6M {' '.join(args.subjects)} ({report['people']} views): MPJPE {report['mpjpe_mm']:.1f} mm, "
          f"PA-MPJPE {report['pa_mpjpe_mm']:.1f} mm, MRPE {report['mrpe_mm']:.0f} mm{placed}{left}")
    print("\n| action | views | MPJPE mm | PA-MPJPE mm | MRPE mm |\n|---|---|---|---|---|")  # as papers tabulate it
    for name, a in report["per_action"].items():
        print(f"| {name} | {a['people']} | {a['mpjpe_mm']:.1f} | {a['pa_mpjpe_mm']:.1f} | {a['mrpe_mm']:.0f} |")
    print(f"| mean of the actions | {report['people']} | {report['mpjpe_action_mean_mm']:.1f} | "
          f"{report['pa_mpjpe_action_mean_mm']:.1f} | |\n")
    _write_json(args.out, report, "--out")
    print(f"wrote {args.out}")
    return 0


def _run_eval(args) -> int:
    import numpy as np

    from ..data import build_reader
    from ..metrics import evaluate_roots
    from ..predict import predict_scenes
    if args.dataset == "mupots-3d":
        return _run_eval_keypoints(args)
    if not (args.dataset == "h36m" and args.annotations):
        _refuse(args, ["--keypoints", "--keypoint-format", "--clip-scores"], "here (a detector's people: --dataset "
                "mupots-3d, or h36m with a motion-capture file)")
    elif not args.keypoints:
        _refuse(args, ["--clip-scores"], "without --keypoints (it reads their scores)")
    _refuse(args, ["--coco-annotations", "--min-score"], "here (a detector's people on MuPoTS-3D: --dataset mupots-3d)")
    if args.dataset == "h36m" and args.annotations:
        _refuse(args, ["--detector-like", "--tracks"], "here (MuPoTS-3D keypoint evaluation only: --dataset "
                "mupots-3d)")
        return _run_eval_h36m_keypoints(args)
    _refuse(args, ["--scene", "--tracks", "--floor", "--detector-like"], "here (keypoint evaluation only: --dataset "
            "mupots-3d, or h36m with a motion-capture file)")
    _refuse(args, ["--known-heights"], "to image models (keypoint models: --dataset mupots-3d, or h36m with a "
            "motion-capture file)")
    model, prep = _load_model(args)
    device = _image_model_device(args)
    if args.dataset == "mupots":
        if not args.annotations or not args.images:
            raise CLIError("--annotations and --images are required for --dataset mupots")
        reader = build_reader({"type": "mupots", "annotation_file": args.annotations,
                               "image_root": args.images})
    else:
        if not args.images:
            raise CLIError("--images (the Human36M root) is required for --dataset h36m")
        reader = build_reader({"type": "h36m", "root": args.images, "split": args.split})
    records = predict_scenes(model, reader, prep, flip_test=args.flip_test, device=device)
    if not records:
        raise CLIError("the dataset has no annotated person")
    r = evaluate_roots(np.array([x["pred_root"] for x in records]),
                       np.array([x["gt_root"] for x in records]), [x["image_id"] for x in records])
    result = {"dataset": args.dataset, **r}
    print(f"{'people':>10} {'MRPE':>8} {'x':>7} {'y':>7} {'z':>7} {'AP_root25':>10}")
    print(f"{r['people']:>10} {r['mrpe_mm']:>8.1f} {r['mrpe_x_mm']:>7.1f} {r['mrpe_y_mm']:>7.1f} "
          f"{r['mrpe_z_mm']:>7.1f} {100 * r['ap_root_25']:>9.1f}%")
    _write_json(args.out, result, "--out")
    print(f"wrote {args.out}")
    return 0


def _shipped_path(name: Optional[str]) -> Path:
    """The file of shipped weights ``name`` (None: the default), or a CLIError listing them."""
    from ..keypoint.model import shipped_weights_path
    try:
        return shipped_weights_path(name) if name else shipped_weights_path()
    except LookupError as e:
        raise CLIError(f"checkpoint: {e}") from None


def _short(value: Any) -> str:
    """One line for a described value: numbers to 4 significant digits, long lists counted."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        if len(value) > 8:
            return f"[{len(value)} items]"
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _info_lines(d: Dict[str, Any]) -> List[str]:
    """A checkpoint's description (``describe_checkpoint``) as aligned lines."""
    rows = [("file", f"{d['file']} ({d['bytes'] / 1e6:.1f} MB)"),
            ("model", f"{d['model_class']}: {d['parameters']:,} parameters, stored as "
                      f"{_short(d['weights_dtype'])}")]
    if d["format"] == "foreign":
        rows.append(("format", "not an hdnet checkpoint: converted on loading (nothing to verify)"))
    elif d["checksum"] is None:
        rows.append(("format", "a bare hdnet state_dict (no checksum to verify)"))
    else:
        rows.append(("written by", f"hdnet {d['hdnet_version']}; checksum verified ({d['checksum'][:19]}...)"))
    rows.append(("architecture", ", ".join(f"{k} {_short(v)}" for k, v in d["architecture"].items())))
    if d["preprocessing"]:
        rows.append(("preprocessing", ", ".join(f"{k} {_short(v)}" for k, v in d["preprocessing"].items())))
    if d["data"]:
        rows.append(("data", ", ".join(f"{k} {_short(v)}" for k, v in d["data"].items())))
    meta, training = dict(d["meta"] or {}), d["training"] or {}
    steps, seconds = meta.pop("steps", training.get("step")), meta.pop("seconds", training.get("seconds"))
    meta.pop("train_config", None)
    if steps is not None:
        run = training.get("train_config") or {}  # a training run's own file: its task and seed
        how = ([f"{k} {meta.pop(k)}" for k in ("recipe", "seed") if k in meta]
               or [f"{k} {run[k]}" for k in ("task", "seed") if k in run])
        rows.append(("trained", f"{steps:,} steps" + (f", {seconds:,.0f} s" if seconds is not None else "")
                     + (f" ({', '.join(how)})" if how else "")))
    for key, label in (("trained_on", "trained on"), ("license", "licence"), ("card", "model card")):
        if key in meta:
            rows.append((label, _short(meta.pop(key))))
    rows += [(str(k), _short(v)) for k, v in meta.items()]
    width = max(len(k) for k, _ in rows)
    return [f"{k:<{width}}  {v}" for k, v in rows]


#: What ``hdnet info`` reads as a calibration file (:func:`hdnet.camera.read_cameras`).
_CALIBRATION_SUFFIXES = (".json", ".yaml", ".yml", ".xml", ".txt")


def _json_for_info(path: str) -> Any:
    """A ``.json`` file loaded once for ``hdnet info``'s guesses at what it is (NaN read, as in
    keypoint files); None for another file or one that is not JSON."""
    from ..core.files import read_json
    if os.path.splitext(path)[1].lower() != ".json" or not os.path.isfile(path):
        return None
    try:
        return read_json(path, "info", nan=True)
    except (OSError, ValueError):
        return None


def _keypoint_data(data: Any) -> Optional[tuple]:
    """A loaded JSON file read as a detector's keypoint file that ``--keypoints`` reads
    (:func:`hdnet.data.keypoint_files.parse_keypoint_file`: people, layout, track ids, scores),
    parsed once for ``hdnet info``'s guess and its summary; None where it is no such file (no
    people: a camera file, say). A keypoint file whose track ids or scores are malformed is a
    ``CLIError`` saying so."""
    from ..data.keypoint_files import parse_keypoint_file, parse_keypoints
    if data is None:
        return None
    try:
        parsed = parse_keypoint_file(data, "info")
    except (ValueError, TypeError, KeyError) as e:
        try:  # people read, their tracks or scores not: a keypoint file, and what is wrong with it
            people, _ = parse_keypoints(data, "info")
        except (ValueError, TypeError, KeyError):
            return None
        if people and isinstance(e, ValueError):
            raise CLIError(str(e)) from None
        return None
    return parsed if parsed[0] else None


def _boxes_info(path: str, data: Any) -> Optional[Dict[str, Any]]:
    """What a ``--boxes`` file (loaded: ``data``) holds (COCO detection results or ``{image:
    [[x1, y1, x2, y2(, score)], ...]}``): images, people boxes, other categories left out, the
    score range; None for a file that is neither."""
    if isinstance(data, list) and data and all(isinstance(r, dict) and "bbox" in r and "image_id" in r
                                               and "keypoints" not in r for r in data):
        people = [r for r in data if r.get("category_id", 1) == 1]
        scores = [r["score"] for r in people if isinstance(r.get("score"), (int, float))
                  and not isinstance(r.get("score"), bool)]
        return {"file": path, "layout": "COCO detection results", "images": len({str(r["image_id"]) for r in people}),
                "boxes": len(people), "other_categories": len(data) - len(people),
                "score": [min(scores), max(scores)] if scores else None}
    is_box = lambda b: isinstance(b, list) and len(b) in (4, 5) and all(  # noqa: E731
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in b)
    if isinstance(data, dict) and data and all(isinstance(v, list) and all(is_box(b) for b in v)
                                               for v in data.values()):
        scores = [b[4] for v in data.values() for b in v if len(b) == 5]
        return {"file": path, "layout": "boxes by image", "images": len(data),
                "boxes": sum(len(v) for v in data.values()), "other_categories": 0,
                "score": [min(scores), max(scores)] if scores else None}
    return None


def _boxes_info_lines(r: Dict[str, Any]) -> List[str]:
    lines = [f"boxes {r['file']} ({r['layout']}): {r['boxes']} box{'' if r['boxes'] == 1 else 'es'} of people in "
             f"{r['images']} image{'' if r['images'] == 1 else 's'}"]
    if r["other_categories"]:
        lines.append(f"  {r['other_categories']} of other categories (not people: category_id other than 1) left out")
    if r["score"] is not None:
        lines.append(f"  scores {r['score'][0]:.3g} - {r['score'][1]:.3g}")
    if r["layout"] == "COCO detection results":
        lines.append("  --boxes reads them as x, y, width, height; --coco-annotations ties integer image ids to files")
    return lines


def _keypoint_info(path: str, loaded: Any = None, parsed: Optional[tuple] = None) -> Dict[str, Any]:
    """What a keypoint folder, or file (loaded: ``loaded``; parsed by :func:`_keypoint_data`:
    ``parsed``), holds, as ``--keypoints`` reads it: its
    layout, images, people, joint count, the formats that count fits and the one the people look
    like, whether it has track ids and person scores, and the range of its coordinates."""
    import numpy as np

    from ..data.keypoint_files import (
        annotation_keypoint_names,
        easy_vitpose_folder_names,
        easy_vitpose_names,
        folder_layout,
        read_keypoint_folder,
    )
    from ..keypoint.formats import (
        FORMATS,
        INPUT_FORMATS,
        KEYPOINT_LAYOUTS,
        NAMED_LAYOUTS,
        format_evidence,
        format_of_names,
        likely_format,
        reordered_layouts,
    )
    from ..keypoint.keypoint_file import names_of_a_format, readable_joint_counts
    names = None
    try:
        if os.path.isdir(path):
            if not folder_layout(path):
                raise ValueError(f"info: {path!r} is a folder without keypoint files; give a checkpoint, a calibration "
                                 "file, an .onnx file, a people.json, or a detector's keypoint file or folder")
            counts = readable_joint_counts(None)  # every format's and layout's (Ultralytics' labels' among them)
            people, tracks, scores = read_keypoint_folder(path, "info", joints=counts)
            layout = f"{folder_layout(path)} folder"
            names = names_of_a_format(easy_vitpose_folder_names(path))
        else:
            people, layout, tracks, scores = parsed  # type: ignore[misc]  # a file comes parsed
            names = annotation_keypoint_names(loaded, "info") or names_of_a_format(easy_vitpose_names(loaded))
    except (OSError, ValueError) as e:
        raise CLIError(str(e)) from None
    found = [v for v in people.values() if len(v)]
    joints = sorted({int(v.shape[1]) for v in found})
    result: Dict[str, Any] = {"file": path, "layout": layout, "images": len(people),
                              "people": sum(len(v) for v in found), "joints": joints,
                              "track_ids": tracks is not None, "person_scores": scores is not None}
    if len(joints) == 1:
        j = joints[0]
        layouts = [k for k, (_, n) in KEYPOINT_LAYOUTS.items() if n == j and k not in NAMED_LAYOUTS]
        fits = [f for f in INPUT_FORMATS if FORMATS.get(f).skeleton.num_joints == j]
        result["reads_as"] = [f"{KEYPOINT_LAYOUTS[k][0]} (the {k} layout)" for k in layouts] or fits
        if names is not None:  # a COCO annotation file says what its keypoints are
            declared = format_of_names(names, [*INPUT_FORMATS, *KEYPOINT_LAYOUTS])
            result["declared"] = declared or names
            if declared in KEYPOINT_LAYOUTS:
                result["reads_as"] = [f"{KEYPOINT_LAYOUTS[declared][0]} (the {declared} layout)"]
            elif declared is not None:
                result["reads_as"] = [declared]
        every = np.concatenate(found)
        seen = every[(every[..., 2] > 0) & np.isfinite(every[..., :2]).all(-1)][:, :2]
        if len(seen):
            result["x_px"] = [float(seen[:, 0].min()), float(seen[:, 0].max())]
            result["y_px"] = [float(seen[:, 1].min()), float(seen[:, 1].max())]
        given = every[..., 2][every[..., 2] != 0]  # the scores of the joints found (0: missing)
        if len(given):
            result["keypoint_scores"] = [float(given.min()), float(given.max())]
        spread_over = fits + (reordered_layouts(j, fits) if names is None else [])
        if len(spread_over) > 1 and not layouts and len(every) >= 3:
            result["bone_spread"] = {f: v for f, v in format_evidence(every, spread_over).items() if np.isfinite(v)}
            looks = likely_format(every, spread_over)
            if looks is not None:
                result["looks_like"] = looks
    return result


def _keypoint_info_lines(r: Dict[str, Any]) -> List[str]:
    lines = [f"keypoints {r['file']} ({r['layout']}): {_people(r['people'])} in {r['images']} image"
             f"{'' if r['images'] == 1 else 's'}, {' or '.join(map(str, r['joints'])) or 'no'} joints"]
    if len(r["joints"]) > 1:
        lines.append("  images with different joint counts: one file holds one format, so --keypoints refuses it")
    reads = r.get("reads_as")
    if reads is not None:
        if not reads:
            lines.append("  reads as: no format of the shipped model has that many joints")
        elif len(reads) == 1:
            looks = r.get("looks_like")
            lines.append(f"  reads as: {reads[0]}" + (f"; they look like {looks} (--keypoint-format {looks})"
                                                      if looks and looks != reads[0] else ""))
        else:
            looks = r.get("looks_like")
            lines.append(f"  reads as: {', '.join(reads)} (name one: --keypoint-format)"
                         + (f"; they look like {looks}" if looks else ""))
        if "bone_spread" in r:
            lines.append("  bone spread read as each (the format they are in is the shortest: "
                         "hdnet.keypoint.formats.format_evidence): "
                         + ", ".join(f"{f} {v:.3f}" for f, v in r["bone_spread"].items()))
    declared = r.get("declared")
    source = "the files name" if r["layout"].endswith("folder") else "the file names"
    if isinstance(declared, str):
        lines.append(f"  {source} {declared}'s keypoints")
    elif declared is not None:
        lines.append(f"  {source} keypoints of no format hdnet reads: {', '.join(declared)}")
    if "x_px" in r:
        lines.append(f"  coordinates: x {r['x_px'][0]:.4g} to {r['x_px'][1]:.4g}, y {r['y_px'][0]:.4g} to "
                     f"{r['y_px'][1]:.4g}"
                     + (" (all within [-1, 1]: fractions of the image? give pixels)"
                        if max(r["x_px"][1], r["y_px"][1]) <= 1 and min(r["x_px"][0], r["y_px"][0]) >= -1 else ""))
    if "keypoint_scores" in r:
        lines.append(_score_range_line(*r["keypoint_scores"]))
    lines.append(f"  track ids: {'yes' if r['track_ids'] else 'none'}; the detector's person scores: "
                 f"{'yes' if r['person_scores'] else 'none'}")
    return lines


def _score_range_line(lo: float, hi: float) -> str:
    """``hdnet info``'s line of a keypoint file's score range, those outside [0, 1] pointed out."""
    return f"  keypoint scores: {lo:.4g} to {hi:.4g}" + ("" if 0 <= lo and hi <= 1 else
                                                      " (outside [0, 1]: --keypoints refuses them; --clip-scores "
                                                      "reads each as the nearer of 0 and 1)")


def _json_head(path: str) -> str:
    """The first 4 KiB of a ``.json`` file as text (``""`` for anything else)."""
    if os.path.splitext(path)[1].lower() != ".json" or not os.path.isfile(path):
        return ""
    from ..core.files import decode_text
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return ""
    try:
        return decode_text(head, path).lstrip()
    except ValueError:  # cut inside a character
        return head.decode("utf-8", "ignore").lstrip()


def _is_roots_file(path: str) -> bool:
    """Whether ``path`` is RootNet's format (``roots.json`` of ``hdnet predict``'s image models)."""
    text = _json_head(path)
    return text.startswith("[") and '"root_cam"' in text and '"bbox"' in text and '"joints_cam"' not in text


def _is_people_file(path: str) -> bool:
    """Whether ``path`` is a ``people.json`` of ``hdnet predict`` (a list of person records)."""
    text = _json_head(path)
    return text.startswith("[") and ('"root_cam"' in text or "".join(text.split()) == "[]")


def _roots_info(path: str) -> Dict[str, Any]:
    """A RootNet-format file summed up: people, images, depths, scores."""
    import numpy as np

    from ..predict import read_rootnet_json
    try:
        records = read_rootnet_json(path)
    except (OSError, ValueError, TypeError) as e:
        raise CLIError(str(e)) from None
    depth = np.array([r["root_cam"][2] for r in records], dtype=np.float64)
    score = np.array([r["score"] for r in records], dtype=np.float64)
    out: Dict[str, Any] = {"file": path, "layout": "rootnet", "people": len(records),
                           "images": len({str(r["image_id"]) for r in records})}
    if len(records):
        out["depth_mm"] = [float(depth.min()), float(np.median(depth)), float(depth.max())]
        out["score"] = [float(score.min()), float(score.max())]
    return out


def _roots_info_lines(r: Dict[str, Any]) -> List[str]:
    lines = [f"roots file {r['file']} (RootNet's format: an image model's roots): {_people(r['people'])} in "
             f"{r['images']} image{'' if r['images'] == 1 else 's'}"]
    if r["people"]:
        lo, mid, hi = (d / 1000 for d in r["depth_mm"])
        lines.append(f"  depth: {lo:.2f} - {hi:.2f} m (median {mid:.2f}); scores {r['score'][0]:.3g} - "
                     f"{r['score'][1]:.3g} (hdnet.predict.read_rootnet_json reads the file)")
    return lines


def _people_info_lines(path: str, s: Dict[str, Any]) -> List[str]:
    def count(n: int, what: str) -> str:
        return f"{n} {what}" if n == 1 else f"{n} {what}s"
    lines = [f"people file {path}: {_people(s['people'])} in {count(s['images'], 'image')}, "
             f"{count(s['tracks'], 'track')}",
             f"  formats read: {', '.join(s['formats']) or '-'}; joints ({len(s['joints'])}): {', '.join(s['joints'])}",
             "  placed by: " + (", ".join(f"{k} {v}" for k, v in s["placed_by"].items()) or "-")]
    if s["people"]:
        lo, mid, hi = (d / 1000 for d in s["depth_mm"])
        lines.append(f"  depth: {lo:.2f} - {hi:.2f} m (median {mid:.2f}); its uncertainty: median "
                     f"{s['depth_std_mm_median'] / 1000:.2f} m (hdnet.keypoint.read_people reads the file as arrays)")
    if s.get("floor") is not None:
        h, pitch, roll = s["floor"]
        lines.append(f"  floor: the camera {h / 1000:.2f} m above the ground, {_looking(pitch)}, rolled {roll:.1f} "
                     f"degrees ({_people(s['people_with_a_floor'])} in its scene)")
    elif s.get("floors"):
        lines.append(f"  floors: {s['floors']} ({_people(s['people_with_a_floor'])} in scenes with one; each record's "
                     "'floor')")
    return lines


def _camera_info(cameras) -> Dict[str, Any]:
    """Print each camera of a calibration file; return them as JSON (``{image or "*": camera}``)."""
    import numpy as np

    from ..camera.functional import MAX_FISHEYE_ANGLE_DEG
    out: Dict[str, Any] = {}
    for key, cam in cameras.cameras.items():
        size = cameras.sizes.get(key)
        d = {**cam.to_dict(), "image_size": list(size) if size else None}
        lens = "none" if not cam.has_distortion else \
            f"{cam.distortion_model}: radial {list(cam.radial or ())}, tangential {list(cam.tangential or ())}"
        rows = [("intrinsics", f"fx {cam.fx:.6g}, fy {cam.fy:.6g}, cx {cam.cx:.6g}, cy {cam.cy:.6g} (px; pixel "
                               "centres on integers)"), ("lens", lens)]
        if size:
            w, h = size
            fov = d["fov_deg"] = list(cam.field_of_view(w, h))
            rows.append(("image", f"{w} x {h} px; field of view {fov[0]:.1f} x {fov[1]:.1f} degrees"))
            if cam.has_distortion:
                corners = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [-0.5, h - 0.5], [w - 0.5, h - 0.5]])
                try:
                    shift = float(np.abs(cam.undistort(corners) - corners).max())
                except ValueError:  # a fisheye's corners past what a pinhole image holds
                    d["corner_shift_px"] = None
                    rows.append(("distortion", f"the image's corners lie {MAX_FISHEYE_ANGLE_DEG:g} degrees or more "
                                               "from the axis: no pinhole image reaches them"))
                else:
                    d["corner_shift_px"] = shift
                    rows.append(("distortion", f"moves the image's corners by up to {shift:.1f} px"))
        width = max(len(k) for k, _ in rows)
        print(("every image" if key is None else key) + f" ({cameras.source})")
        print("\n".join(f"  {k:<{width}}  {v}" for k, v in rows))
        out["*" if key is None else key] = d
    return out


def _run_info(args) -> int:
    from ..core.checkpoint import describe_checkpoint, pretrained_request
    from ..core.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES
    from ..data.keypoint_arrays import is_keypoint_array_file, read_keypoint_arrays
    from ..keypoint.model import SHIPPED_WEIGHTS
    if args.checkpoint is None:
        names = sorted(SHIPPED_WEIGHTS.names(), key=lambda n: n != "keypoint")  # the default first
        described = {name: describe_checkpoint(_shipped_path(name)) for name in names}
        print("shipped weights (KeypointHDNet.pretrained(weights=NAME); --checkpoint pretrained:NAME):")
        for name, d in described.items():
            print(f"\n{name}")
            print("\n".join("  " + line for line in _info_lines(d)))
        result: Any = described
    elif os.path.splitext(args.checkpoint)[1].lower() == ".onnx":
        from ..models.export import read_onnx_metadata
        try:
            result = read_onnx_metadata(args.checkpoint)
        except ImportError as e:
            raise CLIError(str(e)) from None
        print("\n".join(_onnx_info_lines(result)))
    elif is_keypoint_array_file(args.checkpoint):
        try:
            people, tracks = read_keypoint_arrays(args.checkpoint, "info")
        except (OSError, ValueError) as e:
            raise CLIError(str(e)) from None
        result = _keypoint_info(args.checkpoint, None, (people, "NumPy arrays, frames numbered from 0", tracks, None))
        print("\n".join(_keypoint_info_lines(result)))
    elif os.path.splitext(args.checkpoint)[1].lower() == ".npz" and os.path.isfile(args.checkpoint):
        result = _videopose3d_info(args.checkpoint)
        print("\n".join(_videopose3d_info_lines(result)))
    elif _is_roots_file(args.checkpoint):
        result = _roots_info(args.checkpoint)
        print("\n".join(_roots_info_lines(result)))
    elif _is_people_file(args.checkpoint):
        from ..keypoint.people_file import read_people
        try:
            result = read_people(args.checkpoint).summary()
        except (OSError, ValueError) as e:
            raise CLIError(str(e)) from None
        print("\n".join(_people_info_lines(args.checkpoint, result)))
    elif args.checkpoint.lower().endswith(IMAGE_SUFFIXES) and os.path.isfile(args.checkpoint):
        result = _photo_info(args.checkpoint)
        print("\n".join(_photo_info_lines(result)))
    elif args.checkpoint.lower().endswith(VIDEO_SUFFIXES) and os.path.isfile(args.checkpoint):
        result = _video_info(args.checkpoint)
        print("\n".join(_video_info_lines(result)))
    elif (boxes := _boxes_info(args.checkpoint, loaded := _json_for_info(args.checkpoint))) is not None:
        result = boxes  # a JSON file is read once for this and the keypoint guess below
        print("\n".join(_boxes_info_lines(result)))
    elif os.path.isdir(args.checkpoint):
        result = _keypoint_info(args.checkpoint)
        print("\n".join(_keypoint_info_lines(result)))
    elif (parsed := _keypoint_data(loaded)) is not None:
        result = _keypoint_info(args.checkpoint, loaded, parsed)
        print("\n".join(_keypoint_info_lines(result)))
    elif os.path.splitext(args.checkpoint)[1].lower() in _CALIBRATION_SUFFIXES:
        try:
            result = _camera_info(_read_cameras(args.checkpoint))
        except CLIError as e:  # read as --camera reads it; this command names it differently
            raise CLIError(str(e).replace("--camera", "info", 1)) from None
    else:
        request = pretrained_request(args.checkpoint)
        result = describe_checkpoint(args.checkpoint if request is None else _shipped_path(request.get("weights")))
        print("\n".join(_info_lines(result)))
    if args.json:
        _write_json(args.json, result, "--json")
        print(f"wrote {args.json}")
    return 0


def _videopose3d_info(path: str) -> Dict[str, Any]:
    """What a VideoPose3D 2D file (``data_2d_h36m_*.npz``, read as ``hdnet eval --dataset h36m
    --keypoints`` reads it: as data) holds: its layout and the format it stands for, the
    subjects, actions and camera videos, their frames and joints, the videos missing and the
    range of the scores."""
    import numpy as np

    from ..data.h36m_detections import VIDEOPOSE3D_CAMERAS, VIDEOPOSE3D_LAYOUTS, custom_videos, read_videopose3d_2d
    try:
        views, layout = read_videopose3d_2d(path)
    except (OSError, ValueError) as e:
        raise CLIError(str(e).replace("--keypoints", "info", 1)) from None
    custom = sorted(custom_videos(views))
    subjects = sorted({k[0] for k in views})
    actions = {(k[0], k[1]) for k in views}
    scores = np.concatenate([v[..., 2].reshape(-1) for v in views.values()]) if views else np.zeros(0)
    return {"file": path, "layout": layout, "format": VIDEOPOSE3D_LAYOUTS.get(layout), "custom_videos": custom,
            "subjects": subjects,
            "actions": len(actions), "videos": len(views), "missing_videos": len(actions) * len(VIDEOPOSE3D_CAMERAS)
            - len(views), "frames": int(sum(len(v) for v in views.values())),
            "joints": sorted({int(v.shape[1]) for v in views.values()}),
            "scores": [float(scores.min()), float(scores.max())] if len(scores) else None}


def _videopose3d_info_lines(r: Dict[str, Any]) -> List[str]:
    fmt = f" ({r['format']})" if r["format"] else " (a layout hdnet does not know: --keypoint-format names it)"
    joints = f"{' or '.join(map(str, r['joints'])) or 'no'} joints"
    if r["custom_videos"]:
        lines = [f"keypoints {r['file']} (VideoPose3D custom 2D, layout {r['layout'] or 'not given'}{fmt}): "
                 f"{len(r['custom_videos'])} video{'' if len(r['custom_videos']) == 1 else 's'} "
                 f"({', '.join(r['custom_videos'][:5])}{' ...' if len(r['custom_videos']) > 5 else ''}), {r['frames']} "
                 f"frames of one person each, {joints}"]
    else:
        lines = [f"keypoints {r['file']} (VideoPose3D 2D, layout {r['layout'] or 'not given'}{fmt}): {r['videos']} "
                 f"videos ({r['actions']} actions of {', '.join(r['subjects']) or 'no subject'}; "
                 f"{r['missing_videos']} of their cameras' videos missing), {r['frames']} frames, {joints}"]
    if r["scores"] is not None:
        lines.append(_score_range_line(*r["scores"]))
    lines.append("  hdnet predict --keypoints FILE --video VIDEO reads it (docs/cli.md)" if r["custom_videos"] else
                 "  hdnet eval --dataset h36m --annotations FILE.h5 --keypoints reads it (docs/real.md)")
    return lines


def _video_info(path: str) -> Dict[str, Any]:
    """What ``hdnet predict --video`` takes from a video: its frames' size as decoded, frame rate
    and count, and the camera it uses without ``--camera`` or ``--fov`` (the prior: a video
    carries no focal length hdnet reads)."""
    from ..keypoint.detectors import video_info
    from . import keypoint_predict as kp
    try:
        v = video_info(path)
    except (ImportError, ValueError) as e:
        raise CLIError(str(e)) from None
    camera, source = kp.camera_for(kp.ImageRef(path, None, (v.width, v.height), video=path))
    return {"file": path, "size": [v.width, v.height], "fps": v.fps, "frames": v.frames,
            "seconds": v.frames / v.fps, "camera": camera.to_dict(), "camera_source": source,
            "fov_deg": list(camera.field_of_view(v.width, v.height))}


def _video_info_lines(r: Dict[str, Any]) -> List[str]:
    w, h = r["size"]
    cam, fov = r["camera"], r["fov_deg"]
    return [f"video {r['file']}",
            f"  frames  {r['frames']} of {w} x {h} px as decoded, {r['fps']:.6g} per second ({r['seconds']:.1f} s, as "
            "its header says)",
            f"  camera  fx {cam['fx']:.6g}, fy {cam['fy']:.6g}, cx {cam['cx']:.6g}, cy {cam['cy']:.6g}; field of "
            f"view {fov[0]:.1f} x {fov[1]:.1f} degrees; from {r['camera_source']}",
            f"  give --camera or --fov where you know them (a phone's main camera: about 65-70 degrees across; "
            f"{DOCS}/camera.md)"]


def _photo_info(path: str) -> Dict[str, Any]:
    """What ``hdnet predict`` takes from a photo: its size as shown, its EXIF orientation and
    the camera it uses without ``--camera`` or ``--fov`` (:func:`~hdnet.apps.keypoint_predict.camera_for`)."""
    from . import keypoint_predict as kp
    try:
        ref = kp.resolve_images([path], [path])[path]
        camera, source = kp.camera_for(ref)
    except (OSError, ValueError) as e:
        raise CLIError(str(e)) from None
    w, h = ref.size  # type: ignore[misc]  # resolved from the file: known
    return {"file": path, "size": [w, h], "orientation": ref.orientation, "camera": camera.to_dict(),
            "camera_source": source, "fov_deg": list(camera.field_of_view(w, h))}


def _photo_info_lines(r: Dict[str, Any]) -> List[str]:
    w, h = r["size"]
    stored = {1: "upright", 2: "mirrored", 3: "upside down", 4: "upside down, mirrored"}.get(
        r["orientation"], "turned by 90 degrees")
    cam, fov = r["camera"], r["fov_deg"]
    lines = [f"photo {r['file']}",
             f"  image   {w} x {h} px as shown (EXIF orientation {r['orientation']}: stored {stored})",
             f"  camera  fx {cam['fx']:.6g}, fy {cam['fy']:.6g}, cx {cam['cx']:.6g}, cy {cam['cy']:.6g}; field of "
             f"view {fov[0]:.1f} x {fov[1]:.1f} degrees; from {r['camera_source']}"]
    if r["camera_source"].startswith("prior"):
        lines.append(f"  the EXIF gives no focal length: give --camera or --fov where you know them ({DOCS}/camera.md)")
    return lines


def _write_json(path, obj, what: str, one_item_per_line: bool = False) -> None:
    """Write strict JSON atomically (a temporary file renamed over it): no partial output.
    ``one_item_per_line``: a person (or an image's people) to a line (:func:`strict_json`)."""
    from ..core.files import write_json
    try:
        write_json(path, obj, what, one_item_per_line=one_item_per_line)
    except OSError as e:  # also a folder given, or a missing folder
        raise CLIError(str(e) if str(e) else f"{what}: cannot write {os.fspath(path)!r}") from None


def _read_cameras(path):
    """The ``--camera`` calibration file (:func:`hdnet.camera.read_cameras`), or None."""
    if not path:
        return None
    from ..camera import read_cameras
    try:
        return read_cameras(path)
    except (OSError, ValueError, TypeError) as e:
        raise CLIError(str(e)) from None


def _camera_for(cameras, *names: str, image_size):
    if cameras is None:
        return None
    try:
        return cameras.camera_for(*names, image_size=image_size)[0]
    except ValueError as e:
        raise CLIError(str(e)) from None


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


def _keypoint_model(args):
    """The keypoint model of ``--checkpoint`` (a file, or ``pretrained[:NAME]``: shipped weights),
    else the shipped one."""
    from ..core.checkpoint import load_model, pretrained_request
    from ..keypoint import KeypointHDNet
    if not args.checkpoint:
        return KeypointHDNet.pretrained()
    request = pretrained_request(args.checkpoint)
    if request is not None:
        try:
            return KeypointHDNet.pretrained(**request)
        except LookupError as e:
            raise CLIError(f"--checkpoint: {e}") from None
    model = load_model(args.checkpoint)
    if not isinstance(model, KeypointHDNet):
        raise CLIError(f"--checkpoint: this command needs a keypoint model (KeypointHDNet); {args.checkpoint!r} "
                       f"holds a {type(model).__name__}")
    return model


def _refuse(args, names: List[str], why: str) -> None:
    """A clear error for options that do not apply (never silently ignored)."""
    for name in names:
        value = getattr(args, name.lstrip("-").replace("-", "_"))
        if value not in (None, False, []):
            raise CLIError(f"{name}: does not apply {why}")


def _refuse_overwrite(target: Path, inputs) -> None:
    """Refuse to write ``target`` over one of the command's inputs."""
    for given in inputs:
        if given and os.path.exists(given) and target.exists() and os.path.samefile(given, target):
            raise CLIError(f"--out: writing {str(target)!r} would overwrite the input {given!r}")


def _floor_numbers(text: Optional[str]) -> Optional[List[float]]:
    """``--floor H,PITCH[,ROLL]`` as numbers (None where not given; how many is checked by
    :func:`~hdnet.apps.keypoint_predict.predict_records`)."""
    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise CLIError(f"--floor: expected HEIGHT_MM,PITCH_DEG[,ROLL_DEG] (numbers), got {text!r}") from None


#: Images ``hdnet predict`` names one by one on screen; a video's thousands of frames are summed up.
SHOWN_IMAGES = 20


def _warn_out_of_order(keys: List[str]) -> None:
    """Warn where a sequence's images, taken in the keypoint file's order, are not in the order
    of the numbers in their names (frame_2 before frame_10): a file sorted by score, say, would be
    smoothed and linked as a jumbled video."""
    import re

    from ..core.files import natural_key
    numbered = [k for k in keys if re.search(r"\d", k)]
    if len(numbered) < 2:
        return
    ordered = sorted(numbered, key=natural_key)
    if ordered != numbered:
        first = next(i for i, (a, b) in enumerate(zip(numbered, ordered, strict=True)) if a != b)
        print(f"warning: --scene sequence: the keypoint file's images are not in the order of their names' numbers "
              f"({numbered[first]!r} comes where {ordered[first]!r} would); a sequence is taken in the file's order, "
              "so write the images in the order they were taken", file=sys.stderr)


def _warn_camera_sizes(refs, cameras) -> None:
    """Warn where a camera does not fit its image (``refs``: image -> ImageRef with its size;
    ``cameras``: image -> (Camera, source)): it would see 170 degrees or more across it (a focal
    length in millimetres), or its principal point lies outside it (another resolution's)."""
    from . import keypoint_predict as kp
    too_wide = kp.too_wide(refs, cameras)
    if too_wide:
        key, degrees = too_wide[0]
        cam, size = cameras[key][0], refs[key].size
        n_wide = len(too_wide)
        print(f"warning: the camera of {n_wide} image{'' if n_wide == 1 else 's'} would see {degrees:.0f} degrees "
              f"across {'it' if n_wide == 1 else 'them'} (first: {key!r}, fx {cam.fx:g} px for {size[0]}x{size[1]}), "
              "which no lens but a fisheye does: a focal length in millimetres? Give it in pixels (focal mm x image "
              "width px / sensor width mm)", file=sys.stderr)
    outside = kp.principal_point_outside(refs, cameras)
    if outside:
        key, (cx, cy), (w, h) = outside[0]
        print(f"warning: --camera: the principal point lies outside {len(outside)} image"
              f"{'' if len(outside) == 1 else 's'} (first: "
              f"{key!r}, ({cx:g}, {cy:g}) px for {w}x{h}): a calibration made at another resolution places people "
              "wrongly; give the camera of these images, or the calibrated size in the file (image_width, "
              f"image_height), which hdnet scales to each image ({DOCS}/camera.md)", file=sys.stderr)


def _people(n: int) -> str:
    """``n`` people on screen: "1 person", "3 people"."""
    return f"{n} person" if n == 1 else f"{n} people"


def _read_keypoints(args, model, sequences: bool = False, image_size=None):
    """``--keypoints`` (a file or a folder), ``--keypoint-format`` and ``--coco-annotations`` read
    (:func:`hdnet.keypoint.keypoint_file.read_keypoints`): ``(people {image key: [P, J, 3]},
    track ids or None, format, COCO image table or None, the people's detector scores or None,
    the joints' scores that ``--clip-scores`` read into [0, 1] or None)``, the last said on screen;
    the format is required where the joint count fits several of the model's. ``sequences``: a
    folder may hold a folder per sequence instead. ``image_size(key)``: the ``(width, height)`` of
    the image a key names (Ultralytics' labels are divided by it). A format named that the
    keypoints do not look like is one warning line."""
    import warnings

    from ..keypoint.formats import KeypointFormatWarning
    from ..keypoint.keypoint_file import read_keypoints
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", KeypointFormatWarning)
        found = read_keypoints(args.keypoints, args.keypoint_format, formats=model.formats,
                               coco_annotations=args.coco_annotations, image_size=image_size, sequences=sequences,
                               clip_scores=args.clip_scores,
                               names=("--keypoint-format", "--keypoints", "--coco-annotations", "--clip-scores"))
    for w in caught:
        if issubclass(w.category, KeypointFormatWarning):
            print(f"warning: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    _say_clipped(found.clipped)
    return found.people, found.tracks, found.format, found.images, found.scores, found.clipped


def _say_clipped(clipped) -> None:
    """One line of the keypoint scores ``--clip-scores`` read into [0, 1]
    (:class:`~hdnet.data.keypoint_files.ClippedScores`; None: none)."""
    if clipped is not None:
        print(f"keypoint scores from {clipped.lowest:.4g} to {clipped.highest:.4g}: {clipped.above} above 1 read as 1, "
              f"{clipped.below} below 0 read as 0 (missing) (--clip-scores)")


def _is_label_folder(path: str) -> bool:
    """Whether ``--keypoints`` is a folder of Ultralytics labels (``<image>.txt``, no JSON)."""
    from ..data.keypoint_files import folder_layout
    return os.path.isdir(path) and folder_layout(path) == "ultralytics"


def _label_image_sizes(args, images):
    """``key -> (width, height)`` of the images a folder of Ultralytics labels names: the frame
    size of ``--video``, else the images given (None where none is found); None for other
    keypoints."""
    from . import keypoint_predict as kp
    if not _is_label_folder(args.keypoints):
        return None
    if args.video:
        from ..keypoint.detectors import video_info
        try:
            info = video_info(args.video)
        except ImportError as e:
            raise CLIError(str(e)) from None
        return lambda key: (info.width, info.height)
    from ..core.files import folder_entries
    stems = [f[:-len(".txt")] for f in folder_entries(args.keypoints) if f.endswith(".txt")]
    refs = kp.resolve_images(stems, images)
    return lambda key: refs[key].size if key in refs else None


def _above_min_score(args, people, scores):
    """``({image: [P] bool} of the people scored at least ``--min-score``, how many are not)``;
    ``(None, 0)`` without ``--min-score``."""
    import math

    import numpy as np
    if args.min_score is None:
        return None, 0
    if not math.isfinite(args.min_score):
        raise CLIError(f"--min-score: expected a finite number, got {args.min_score}")
    if scores is None:
        raise CLIError("--min-score: the keypoints carry no person scores (COCO results' 'score')")
    keep = {key: scores[key] >= args.min_score if key in scores else np.ones(len(v), bool)
            for key, v in people.items()}
    return keep, int(sum((~k).sum() for k in keep.values()))


def _run_predict_keypoints(args) -> int:
    import numpy as np

    from . import keypoint_predict as kp
    if args.keypoints and args.detector:
        raise CLIError("--keypoints, --detector: give one (keypoints you have, or a detector to run here)")
    _refuse(args, ["--input-size", "--framing", "--autocast", "--device"], "to keypoint models (they run on the CPU)")
    if args.keypoints:
        _refuse(args, ["--boxes", "--box-format"], "with --keypoints (the keypoints say where people are)")
    else:
        _refuse(args, ["--keypoint-format", "--min-score", "--clip-scores"], "with --detector (it says its own "
                "format and gives no person scores)")
        if not args.boxes:
            _refuse(args, ["--coco-annotations"], "with --detector without --boxes (COCO detection results' ids)")
    if args.keypoints or args.boxes:
        _refuse(args, ["--max-people"], "with --keypoints or --boxes (they say who is where)")
    if args.max_people is not None and not 1 <= args.max_people <= 100:
        raise CLIError(f"--max-people: expected a whole number from 1 to 100, got {args.max_people}")
    if args.camera and args.fov is not None:
        raise CLIError("--camera, --fov: give one (--fov is for images without intrinsics)")
    if args.height is not None and args.heights:
        raise CLIError("--height, --heights: give one (--height is everyone's, --heights per track id)")
    if args.lens is not None and args.fov is None:
        raise CLIError("--lens: goes with --fov (a calibration file says its own lens)")
    widest = 250.0 if args.lens == "fisheye" else 170.0
    if args.fov is not None and not 1.0 <= args.fov <= widest:
        raise CLIError(f"--fov: expected a field of view in [1, {widest:g}] degrees for a {args.lens or 'pinhole'} "
                       f"lens, got {args.fov}")
    if args.fps is not None and not 0 < args.fps < 1e4:
        raise CLIError(f"--fps: expected frames per second in (0, 10000), got {args.fps}")
    if args.frame_step < 1:
        raise CLIError(f"--frame-step: expected a whole number of frames >= 1, got {args.frame_step}")
    if args.video:
        if args.images or args.image_dir:
            raise CLIError("--video, images: give one")
        _refuse(args, ["--boxes", "--box-format"], "with --video (the detector follows the whole frame)")
        if args.keypoints and args.frame_step != 1:
            raise CLIError("--frame-step: with --keypoints the keypoint file says which frames it holds")
    elif args.frame_step != 1:
        raise CLIError("--frame-step: does not apply without --video")
    images = kp.list_images(args.images, args.image_dir)
    camera_file = _read_cameras(args.camera)
    out = _check_out_folder(args.out)
    for written in ("people.json", "keypoints.json") if args.detector else ("people.json",):
        _refuse_overwrite(out / written, [args.keypoints, args.camera, args.coco_annotations, args.checkpoint,
                                          args.boxes, args.video, *images])
    model = _keypoint_model(args)
    tracks = None
    frame_rate = 30.0  # images in order: reason_scene's default windows
    if args.keypoints:
        people, tracks, fmt, coco, scores, _ = _read_keypoints(args, model,
                                                               image_size=_label_image_sizes(args, images))
        if args.video:  # the file's keys name the video's frames (Ultralytics counts them from 1)
            refs, people, frame_rate = _video_frames_of(args.video, people, int(_is_label_folder(args.keypoints)))
            tracks = None if tracks is None else {key: tracks[key] for key in people}
            scores = None if scores is None else {key: scores[key] for key in people if key in scores}
        else:
            refs = kp.resolve_images(list(people), images, args.keypoints, coco)
    elif args.video:
        scores = None
        fmt, refs, people, frame_rate = _detect_video(args, model)
    else:
        from ..keypoint.detectors import DETECTORS
        if not images:
            raise CLIError("--detector: give the images (files, or --images DIR), or --video FILE")
        boxes_of = _read_boxes(args, images) if args.boxes else None
        try:
            detector = DETECTORS.get(args.detector)(**_max_people(args))
        except ImportError as e:
            raise CLIError(str(e)) from None
        fmt, scores = model.check_format(detector.format), None
        refs = kp.resolve_images(images, images)
        if boxes_of is None and args.max_people is None:
            print("looking for one person per image (--max-people N finds up to N; --boxes, one per box)")
        people = {}
        for k, image in enumerate(images):
            boxes = boxes_of[k][1] if boxes_of is not None else None
            people[image] = detector(image, boxes)
            _say_found(k, image, people[image], f"{len(images)} images")
    if args.detector:  # kept, so that other cameras or scenes need not run the detector again
        _write_json(out / "keypoints.json", {key: np.asarray(np.where(np.isfinite(found), found, None)).tolist()  # NaN: null
                                             for key, found in people.items()}, "--out", one_item_per_line=True)
    scene = args.scene or ("image" if args.floor else "none")
    if scene == "sequence" and args.keypoints and not args.video:
        _warn_out_of_order(list(people))
    source = args.tracks or ("given" if tracks is not None else "linked" if scene == "sequence" else "none")
    if source == "given" and tracks is None:
        raise CLIError("--tracks given: the keypoints carry no track ids (COCO results' track_id, OpenPose's "
                       "person_id); use --tracks linked to link people over the images")
    if source == "given" and (scene != "none" or args.heights):
        kp.check_tracks(tracks)  # type: ignore[arg-type]  # given: not None (above)
    tracks = kp.link_people(people) if source == "linked" else None if source == "none" else tracks
    cameras = kp.cameras_for(people, refs, camera_file, args.fov, args.lens or "pinhole")
    astray = kp.keypoints_outside(people, refs) if args.keypoints else []
    sideways = kp.sideways_in_turned_images(people, refs, model.input_skeleton(fmt)) if args.keypoints else []
    leaning = kp.mostly_not_upright(people, refs, model.input_skeleton(fmt)) if args.keypoints else None
    if leaning is not None:
        print("warning: --keypoints: the people whose hips and shoulders are seen lie on their side or upside down "
              f"in the images ({leaning[0]} of {leaning[1]}; their hips-to-shoulders lines a median {leaning[2]:.0f} "
              "degrees from the image's up): are x and y swapped (MoveNet's and easy_ViTPose's own arrays are y, x), "
              "is y counted from the bottom (Apple's Vision), or are the images turned? The model knows upright "
              "views (docs/real.md)", file=sys.stderr)
    if sideways:
        print(f"warning: --keypoints: the people of {len(sideways)} photo{'' if len(sideways) == 1 else 's'} stored "
              f"turned (EXIF orientation; first: {sideways[0]!r}) lie on their side as the photo is shown: were the "
              "keypoints found on the stored pixels, by a tool that ignores EXIF (Pillow's Image.open alone)? "
              "hdnet reads photos as shown (docs/camera.md)", file=sys.stderr)
    if astray:
        size = refs[astray[0]].size
        print(f"warning: --keypoints: most keypoints of {len(astray)} image{'' if len(astray) == 1 else 's'} lie "
              f"outside them (first: {astray[0]!r}, {size[0]}x{size[1]}): were they found on another resolution of "
              "these images, or on other images?", file=sys.stderr)
    _warn_camera_sizes(refs, cameras)
    heights = kp.heights_for(people, tracks, args.height, _read_json(args.heights, "--heights") if args.heights
                             else None)
    keep, below = _above_min_score(args, people, scores)
    if below:
        print(f"warning: {below} {'person' if below == 1 else 'people'} scored under --min-score {args.min_score:g} "
              "by the detector left out of people.json", file=sys.stderr)
    left_out = {key: np.nonzero(~ok)[0] for key, ok in kp.placeable_people(people).items() if not ok.all()}
    if left_out:
        from ..keypoint.model import MIN_CONFIDENCE, MIN_JOINTS
        first, n, m = next(iter(left_out)), sum(len(v) for v in left_out.values()), len(left_out)
        print(f"warning: {n} {'person' if n == 1 else 'people'} in {m} image{'' if m == 1 else 's'} "
              f"{'has' if n == 1 else 'have'} fewer than "
              f"{MIN_JOINTS} keypoints with a score of at least {MIN_CONFIDENCE} and are left out of people.json "
              f"(first: {first!r}, people {left_out[first][:5].tolist()}; each record's 'person' is its index "
              "among its image's people)", file=sys.stderr)
    records = kp.predict_records(model, people, fmt, refs, cameras, flip_test=args.flip_test, scene=scene,
                                 tracks=tracks, heights=heights, floor=_floor_numbers(args.floor),
                                 track_source=source, frame_rate=args.fps or frame_rate,
                                 person_scores=scores, keep=keep)
    _say_floors(records, scene)
    from ..keypoint.model import WIDEST_TRAINED_DEG
    roots = np.array([r["root_cam"] for r in records]).reshape(-1, 3)
    wide = int((np.degrees(np.arctan2(np.hypot(roots[:, 0], roots[:, 1]), roots[:, 2])) > WIDEST_TRAINED_DEG).sum())
    if wide:
        print(f"warning: {wide} {'person stands' if wide == 1 else 'people stand'} more than {WIDEST_TRAINED_DEG:g} "
              "degrees from the optical axis, wider than any view the model trained on (a wide or fisheye lens's "
              f"edges): placed through a view turned towards them ({DOCS}/real.md, \"Far off the axis\"), "
              "less surely than the others", file=sys.stderr)
    _write_json(out / "people.json", records, "--out", one_item_per_line=True)
    taken: set = set()
    by_image: dict = {}
    for r in records:
        by_image.setdefault(r["image_id"], []).append(r)
    drawn = 0
    for k, (key, ref) in enumerate(refs.items()):
        mine = by_image.get(key, [])
        if k < SHOWN_IMAGES:
            listed = "; depths (m) " + ", ".join(f"{r['root_cam'][2] / 1000:.2f}" for r in mine) if mine else ""
            print(f"{key}: {_people(len(mine))}{listed}; camera from {cameras[key][1] if key in cameras else '-'}")
        elif k == SHOWN_IMAGES:
            depths = np.array([r["root_cam"][2] for r in records]) / 1000
            print(f"... {len(refs)} images in all, {_people(len(records))}"
                  + (f", depths {depths.min():.2f}-{depths.max():.2f} m (median {np.median(depths):.2f})"
                     if len(depths) else ""))
        if ref.path and mine and args.pictures and drawn % args.pictures == 0:
            try:
                shown = people[key][[r["person"] for r in mine]]
                kp.draw_people(ref.path, shown, mine, out / f"{kp.stem_for(ref.path, taken)}_people.png",
                               model.input_skeleton(fmt), model.output_skeleton(fmt))
            except OSError as e:
                raise CLIError(str(e)) from None
        drawn += bool(ref.path and mine)
    if args.video and args.pictures and records:
        print(f"wrote {_people_video(args, refs, people, by_image, records, cameras, model, fmt, out)}")
    if args.detector:
        print(f"wrote {out / 'keypoints.json'} (the detector's {fmt} keypoints: hdnet predict --keypoints reads "
              f"them, --keypoint-format {fmt})")
    print(f"wrote {out / 'people.json'}")
    return 0


def _looking(pitch_deg: float) -> str:
    return f"looking {abs(pitch_deg):.1f} degrees {'down' if pitch_deg >= 0 else 'up'}"


def _say_floors(records: List[dict], scene: str) -> None:
    """One line of the floor ``--scene`` placed the people on (each record's ``floor``): a
    sequence's one floor, or how many images had one and their range."""
    if scene == "none" or not records:
        return
    by_image = {r["image_id"]: r.get("floor") for r in records}
    found = [f for f in by_image.values() if f is not None]
    if not found:
        print("floor: none found (too few people stood with both ankles seen): the people are placed as the model "
              "(and their tracks) placed them")
        return
    import numpy as np
    kinds = {(f["camera_height_mm"], f["pitch_deg"], f["roll_deg"]) for f in found}
    if len(kinds) == 1 and len(found) == len(by_image) and (scene == "sequence" or found[0]["source"] == "given"):
        f = found[0]
        source = "given" if f["source"] == "given" else \
            f"found from {f['people']} standing {'person' if f['people'] == 1 else 'people'}"
        print(f"floor ({source}): the camera {f['camera_height_mm'] / 1000:.2f} m above the ground, "
              f"{_looking(f['pitch_deg'])}, rolled {f['roll_deg']:.1f} degrees")
        return
    h = np.array([f["camera_height_mm"] for f in found]) / 1000
    p = np.array([f["pitch_deg"] for f in found])
    moved = " (the camera moved: each image placed on its own floor)" if scene == "sequence" else ""
    print(f"floors found in {len(found)} of {len(by_image)} images{moved}: the camera {h.min():.2f}-{h.max():.2f} m "
          f"above the ground, looking {p.min():.1f} to {p.max():.1f} degrees down (each record's 'floor')")


def _people_video(args, refs, people, by_image, records, cameras, model, fmt, out: Path) -> Path:
    """Every ``--pictures``-th frame of ``--video`` drawn with its people (:func:`draw_people`,
    one bird's-eye scale for the whole video) into ``OUT/<video>_people.mp4``, one frame at a
    time; the frames without people too, so the video keeps its time."""
    import numpy as np

    from ..keypoint.detectors import require_opencv, video_frames, video_info
    from . import keypoint_predict as kp
    cv2 = require_opencv()
    chosen = list(refs.values())[::args.pictures]
    spacing = float(np.median(np.diff([r.frame for r in refs.values()]))) if len(refs) > 1 else 1.0
    fps = max(video_info(args.video).fps / (spacing * args.pictures), 0.1)
    extent = np.concatenate([np.asarray([r["root_cam"] for r in records])]
                            + [np.asarray(r["joints_cam"]) for r in records])
    path = out / f"{Path(args.video).stem}_people.mp4"
    tmp = path.with_name(path.stem + ".part.mp4")
    writer = None
    try:
        for ref, (index, rgb) in zip(chosen, video_frames(args.video, only=[r.frame for r in chosen]), strict=True):
            if index != ref.frame:
                raise CLIError(f"--video: frame {ref.frame} came back as frame {index} on a second reading")
            mine = by_image.get(ref.key, [])
            shown = people[ref.key][[r["person"] for r in mine]]
            picture = kp.draw_people(rgb, shown, mine, None, model.input_skeleton(fmt), model.output_skeleton(fmt),
                                     extent_mm=extent, camera=cameras[ref.key][0] if ref.key in cameras else None)
            if writer is None:
                writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, picture.shape[1::-1])
                if not writer.isOpened():
                    raise CLIError(f"--out: OpenCV cannot write an mp4 video at {str(tmp)!r}")
            writer.write(np.ascontiguousarray(picture[:, :, ::-1]))
    except ValueError as e:  # a frame list that does not match the video
        raise CLIError(f"--video: {e}") from None
    finally:
        if writer is not None:
            writer.release()
        if sys.exc_info()[0] is not None and tmp.exists():
            tmp.unlink()  # no half-written video left behind
    os.replace(tmp, path)
    return path


def _video_frames_of(video: str, people: dict, first: int = 0):
    """A keypoint file's images as frames of ``video``: each key a frame number from ``first``
    (0: MMPose's ``frame_id``; 1: Ultralytics' ``<video>_1``), or a name ending in ``_<number>``
    (OpenPose's ``<video>_000000000012``). Returns ``(refs, people, frame rate)``, in frame order."""
    import re

    from ..keypoint.detectors import video_info
    from . import keypoint_predict as kp
    try:
        info = video_info(video)
    except ImportError as e:
        raise CLIError(str(e)) from None
    numbers = {}
    for key in people:
        m = re.fullmatch(r"(?:.*[_#])?(\d+)", key)
        if m is None:
            raise CLIError(f"--video: the keypoint file's {key!r} names no frame (MMPose's frame_id, or a name "
                           "ending in _<frame number> as OpenPose writes them)")
        numbers[key] = int(m.group(1)) - first
        if numbers[key] < 0:
            raise CLIError(f"--video: {key!r} names frame {numbers[key] + first}, but these keypoints count the "
                           f"frames from {first}")
    if len(set(numbers.values())) < len(numbers):
        raise CLIError("--video: two of the keypoint file's names give the same frame number")
    late = [k for k, n in numbers.items() if info.frames and n >= info.frames]
    if late:
        raise CLIError(f"--video: {late[0]!r} is past the video's last frame ({info.frames - 1})")
    order = sorted(people, key=numbers.__getitem__)
    refs = {k: kp.ImageRef(k, None, (info.width, info.height), video=video, frame=numbers[k]) for k in order}
    return refs, {k: people[k] for k in order}, info.fps


def _say_found(k: int, key: str, found, all_of: str) -> None:
    """The detector's ``k``-th image on screen (how many people it found) for the first
    :data:`SHOWN_IMAGES`, then one line for the rest."""
    if k < SHOWN_IMAGES:
        seen = int((found[:, :, 2] > 0).any(1).sum())
        print(f"{key}: " + (f"{seen} of {_people(len(found))} found by the detector" if len(found)
                            else "nobody found by the detector"))
    elif k == SHOWN_IMAGES:
        print(f"... running the detector on {all_of}")


def _max_people(args) -> Dict[str, int]:
    """The detector's ``max_people`` where ``--max-people`` is given (its own default else)."""
    return {} if args.max_people is None else {"max_people": args.max_people}


def _detect_video(args, model):
    """The detector on every ``--frame-step``-th frame of ``--video``, in order: ``(format, refs,
    people, frame rate)`` with each frame keyed ``<file name>#<frame>``."""
    from ..keypoint import detectors
    from . import keypoint_predict as kp
    try:
        info = detectors.video_info(args.video)
        detector = detectors.DETECTORS.get(args.detector)(video=True, **_max_people(args))
    except ImportError as e:
        raise CLIError(str(e)) from None
    except TypeError:
        raise CLIError(f"--video: the {args.detector} detector does not follow a video's frames") from None
    fmt = model.check_format(detector.format)
    name = os.path.basename(args.video)
    refs, people = {}, {}
    try:
        for k, (index, rgb) in enumerate(detectors.video_frames(args.video, args.frame_step)):
            key = f"{name}#{index}"
            refs[key] = kp.ImageRef(key, None, (rgb.shape[1], rgb.shape[0]), video=args.video, frame=index)
            people[key] = detector(rgb)
            _say_found(k, key, people[key], f"{info.frames // args.frame_step or 'the'} frames")
    finally:
        detector.close()
    if not people:
        raise CLIError(f"--video: {args.video!r} gave no frame")
    return fmt, refs, people, info.fps


def _read_boxes(args, images: List[str]) -> List[Tuple[Any, Any, Any]]:
    """``--boxes`` for each of ``images``, in order: ``(its key in the file, boxes [P, 4] x1 y1 x2 y2,
    scores [P] or None)``. The file is ``{image: [[x1, y1, x2, y2(, score)], ...]}`` (``--box-format``
    says the order), or COCO detection results ``[{"image_id", "bbox": [x, y, w, h], "score",
    "category_id"}]`` (RootNet's human detections, Detectron2's and MMDetection's output: x, y,
    width, height by definition; people are category 1; ``image_id`` tied to files by
    ``--coco-annotations`` or naming them; the key is then the ``image_id``, and an image
    without detections has no people). Keys match images by path, by name (unless several images
    share it), by file name of a path written elsewhere (``C:\\data\\a.jpg``) or by name in
    another case."""
    import numpy as np

    from ..core.files import file_name, loose_name
    from ..data.keypoint_files import coco_image_table
    data = _read_json(args.boxes, "--boxes")
    if isinstance(data, list):  # COCO detection results
        if args.box_format == "xyxy":
            raise CLIError("--box-format xyxy: COCO detection results give boxes as x, y, width, height")
        table = (coco_image_table(_read_json(args.coco_annotations, "--coco-annotations"))
                 if args.coco_annotations else {})
        entries: Dict[str, Tuple[Any, list]] = {}
        for k, rec in enumerate(data):
            if not isinstance(rec, dict) or "image_id" not in rec or not isinstance(rec.get("bbox"), list):
                raise CLIError(f"--boxes: entry {k} must be an object with image_id and bbox (COCO detection results)")
            if len(rec["bbox"]) != 4:
                raise CLIError(f"--boxes: entry {k}: bbox must be 4 numbers (x, y, width, height), got {rec['bbox']!r}")
            if isinstance(rec["image_id"], (bool, list, dict)) or rec["image_id"] is None:
                raise CLIError(f"--boxes: entry {k}: image_id must be a number or a string, got {rec['image_id']!r}")
            if rec.get("category_id", 1) != 1:  # COCO's person
                continue
            image_id = str(rec["image_id"])
            name = table[image_id]["file_name"] if image_id in table else image_id
            entries.setdefault(name, (rec["image_id"], []))[1].append([*rec["bbox"], rec.get("score", 1.0)])
        box_format, absent_ok = "xywh", True
    elif isinstance(data, dict):
        if args.coco_annotations:
            raise CLIError("--coco-annotations: goes with --boxes as COCO detection results (a list), not a "
                           "{image: boxes} object")
        entries = {str(k): (k, v) for k, v in data.items()}
        box_format, absent_ok = args.box_format or "xyxy", False
    else:
        raise CLIError("--boxes: expected a JSON object {image file name: [[x1, y1, x2, y2], ...]} or COCO "
                       "detection results [{image_id, bbox, score}, ...]")
    names = [os.path.basename(p) for p in images]
    shared = {n for n in names if names.count(n) > 1}
    by_file_name: Dict[str, List[str]] = {}
    for entry in entries:
        by_file_name.setdefault(file_name(entry), []).append(entry)
        if loose_name(file_name(entry)) != file_name(entry):
            by_file_name.setdefault(loose_name(file_name(entry)), []).append(entry)
    out, matched = [], 0
    for image, name in zip(images, names, strict=True):
        hits = (by_file_name.get(name) or by_file_name.get(loose_name(name)) or []) if name not in shared else []
        if image in entries:
            key = image
        elif name in entries and name not in shared:
            key = name
        elif len(hits) == 1:
            key = hits[0]
        elif name in shared:
            raise CLIError(f"--boxes: several images are called {name!r}; key their boxes by the paths "
                           f"given on the command line (e.g. {image!r})")
        elif absent_ok:
            out.append((None, np.zeros((0, 4)), None))
            continue
        else:
            raise CLIError(f"--boxes: no boxes for {image!r}")
        matched += 1
        b, scores = _boxes_for(entries[key][1], key)
        out.append((entries[key][0], _as_xyxy(b, box_format, key), scores))
    if absent_ok and images and not matched:
        raise CLIError(f"--boxes: no image given is among its image ids ({sorted(entries)[:3]}...); name the images "
                       "by their ids with --coco-annotations")
    return [(image if key is None else key, b, s) for image, (key, b, s) in zip(images, out, strict=True)]


def _as_xyxy(boxes, box_format: str, key: str):
    b = boxes.copy()
    if box_format == "xywh":
        b[:, 2:] += b[:, :2]
    if (b[:, 2:] <= b[:, :2]).any():
        raise CLIError(f"--boxes: a box of {key!r} has no area in {box_format} (x2 <= x1 or y2 <= y1)"
                       + ("; are they x, y, width, height? --box-format xywh" if box_format == "xyxy" else ""))
    return b


def _run_predict(args) -> int:
    from ..data.transforms import load_image
    from ..predict import Predictor, to_rootnet_json
    from .draw import draw_roots
    if args.pictures < 0:
        raise CLIError(f"--pictures: expected 0 (none) or N >= 1 (every N-th image), got {args.pictures}")
    if args.keypoints or args.detector:
        return _run_predict_keypoints(args)
    if args.video:
        raise CLIError("--video: runs a keypoint detector on the frames (--detector mediapipe)")
    _refuse(args, ["--keypoint-format", "--fov", "--lens", "--scene", "--tracks", "--floor",
                   "--height", "--heights", "--fps", "--max-people"], "to image models (give --camera)")
    if args.image_dir:
        from .keypoint_predict import list_images
        args.images = list_images(args.images, args.image_dir)
    if not args.boxes or not args.images:
        raise CLIError("predict: give images and --boxes (image models), or --keypoints (keypoint models)")
    model, prep = _load_model(args)
    device = _image_model_device(args)
    boxes_of = _read_boxes(args, args.images)
    cams = _read_cameras(args.camera)
    out = _check_out_folder(args.out)
    # everything is read and checked before anything is written
    names = [os.path.basename(p) for p in args.images]
    shared = {n for n in names if names.count(n) > 1}
    jobs = []
    from . import keypoint_predict as kp
    sizes: dict = {}  # image -> its ImageRef (size) and its camera from --camera, checked against each other
    given: dict = {}
    for image, name, (key, boxes, scores) in zip(args.images, names, boxes_of, strict=True):
        if not os.path.isfile(image):
            raise CLIError(f"image: no file at {image!r}")
        # decoded once to check it (a clear error naming the file if it is not a readable
        # image) and dropped: predict_many decodes again ahead of the network, so memory stays
        # flat over a folder of photos
        height, width = load_image(image).shape[1:]
        cam = _camera_for(cams, str(key), image, name, image_size=(width, height))
        if cam is not None:
            sizes[key], given[key] = kp.ImageRef(str(key), size=(width, height)), (cam, "--camera")
        stem = Path(image).stem if name not in shared else \
            "_".join(Path(os.path.normpath(image)).parts[-2:]).rsplit(".", 1)[0].replace(os.sep, "_")
        jobs.append((image, key, boxes, scores, cam, stem))
    stems = [j[5] for j in jobs]
    for k, stem in enumerate(stems):  # still equal (same name, same folder name): number them
        if stems.count(stem) > 1:
            stems[k] = f"{stem}_{k}"
    _warn_camera_sizes(sizes, given)
    predictor = Predictor(model, prep, device=device, flip_test=args.flip_test,
                          autocast=args.autocast)
    items = ({"image": image, "boxes": boxes, "camera": cam, "box_format": "xyxy", "scores": scores}
             for image, _key, boxes, scores, cam, _ in jobs)
    results = []
    for (_image, key, *_), res in zip(jobs, predictor.predict_many(items), strict=True):
        results.append(res)
        print(f"{key}: {_people(len(res))}" + ("; depths (m) " + ", ".join(f"{r.depth_mm / 1000:.2f}" for r in res)
                                                if res else ""))
    records = []
    for k, ((image, key, _boxes, _scores, cam, _stem), res, stem) in enumerate(zip(jobs, results, stems,
                                                                                    strict=True)):
        records += to_rootnet_json(res, image_id=key)
        if args.pictures and k % args.pictures == 0:
            try:
                draw_roots(image, res, out / f"{stem}_roots.png", cam)
            except OSError as e:
                raise CLIError(str(e)) from None
    _write_json(out / "roots.json", records, "--out", one_item_per_line=True)
    print(f"wrote {out / 'roots.json'}")
    return 0


def _run_bench(args) -> int:
    import importlib
    if args.name is None:
        print("benchmarks (hdnet bench NAME [--help]):")
        for name, what in BENCHMARKS.items():
            print(f"  {name:<10} {what}")
        return 0
    if args.name not in BENCHMARKS:
        raise CLIError(f"bench: unknown benchmark {args.name!r}; known: {', '.join(BENCHMARKS)}")
    mod = importlib.import_module(f"hdnet.benchmarks.{args.name}")
    result = mod.main(args.args)
    return int(result or 0)


def _run_demo(args) -> int:
    import math
    if not (math.isfinite(args.minutes) and 0 < args.minutes <= 10**6):
        raise CLIError(f"--minutes: expected a number of minutes > 0, got {args.minutes}")
    if args.real:
        from .demo_real import run_real_demo
        _check_out_folder(args.out)
        r = run_real_demo(args.real, args.out, minutes=args.minutes, seed=args.seed, quick=args.quick)
        print((Path(args.out) / "report.md").read_text())
        print(f"keypoint HDNet / skeleton_fit MRPE: {r['ratio_mrpe_to_skeleton_fit']:.2f}; total "
              f"{r['seconds_total']:.0f} s; model in {Path(args.out) / 'model.pt'}")
        return 0
    from .demo import run_demo
    if args.image_size < 64:
        raise CLIError(f"--image-size: expected at least 64, got {args.image_size}")
    r = run_demo(args.out, minutes=args.minutes, seed=args.seed, quick=args.quick,
                 image_size=args.image_size, framing=args.framing, flip_test=not args.no_flip_test)
    print((Path(args.out) / "report.md").read_text())
    print(f"HDNet / k_value MRPE: {r['ratio_to_k_value']:.2f}; total {r['seconds_total']:.0f} s")
    return 0


def _read_json(path, what: str):
    from ..core.files import read_json
    try:
        return read_json(path, what)
    except (OSError, ValueError) as e:
        raise CLIError(str(e)) from None


def _warning_lines(python_show):
    """A ``warnings.showwarning`` that writes hdnet's own warnings as one ``warning:`` line each,
    as the command's other warnings are written, and hands anything else's to ``python_show``."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        if category.__module__.split(".")[0] != "hdnet" and not os.path.abspath(filename).startswith(package):
            return python_show(message, category, filename, lineno, file, line)
        try:
            print(f"warning: {message}", file=file if file is not None else sys.stderr)
        except OSError:  # as Python's own: a closed stderr loses the warning, not the run
            pass
    return show


def main(argv: Optional[List[str]] = None) -> int:
    from ..train import TrainingError
    parser = build_parser()
    args = parser.parse_args(argv)
    import warnings
    try:
        _import_modules(list(args.imports) + list(getattr(args, "sub_imports", [])))
        with warnings.catch_warnings():
            warnings.showwarning = _warning_lines(warnings.showwarning)
            # a keypoint file's format is judged over the whole file, once (_read_keypoints), not
            # again by KeypointHDNet.predict's KeypointFormatWarning on each batch (matched by its
            # text, so that commands without a model need not import torch)
            warnings.filterwarnings("ignore", message="format: the keypoints look like")
            return args.run(args)
    except CLIError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`hdnet info | head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so Python's exit flush does not fail again
        return 1
    except (ValueError, TypeError, LookupError, OSError, TrainingError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f"error: {str(msg).splitlines()[0] if str(msg) else type(e).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
