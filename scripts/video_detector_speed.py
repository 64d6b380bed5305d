"""What MediaPipe's video mode is worth to ``hdnet predict --video --detector mediapipe``
(docs/benchmarks.md): a video made of one photo, shifted a few pixels each frame (``--frames``
frames), its frames run through :class:`hdnet.keypoint.detectors.MediaPipePose` in video mode
(the person followed from frame to frame) against image mode (looked for afresh in every frame,
the straightforward way), median of ``--repeats`` interleaved runs; and how far the two modes'
landmarks lie apart (median pixels over the limbs). Needs the mediapipe extra:

    python scripts/video_detector_speed.py PHOTO [--frames 60] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hdnet.keypoint.detectors import MediaPipePose, load_image_as_shown, require_opencv, video_frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("photo")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cv2 = require_opencv()
    rgb = load_image_as_shown(args.photo)
    with tempfile.TemporaryDirectory() as tmp:
        video = Path(tmp) / "shifted.avi"
        out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 25, rgb.shape[1::-1])
        for i in range(args.frames):
            out.write(np.ascontiguousarray(np.roll(rgb, 2 * i, axis=1)[:, :, ::-1]))
        out.release()
        frames = [f for _, f in video_frames(video)]
    times: dict = {"image mode": [], "video mode": []}
    found: dict = {}
    for _ in range(args.repeats):
        for name, video_mode in (("image mode", False), ("video mode", True)):
            with MediaPipePose(video=video_mode) as detector:
                detector(frames[0])  # the graph built outside the timing
                start = time.perf_counter()
                found[name] = [detector(f)[0] for f in frames]
                times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    limbs = [11, 12, 13, 14, 15, 16, 25, 26, 27, 28]  # BlazePose's shoulders, elbows, wrists, knees, ankles
    apart = np.nanmedian([np.linalg.norm(a[limbs, :2] - b[limbs, :2], axis=-1)
                          for a, b in zip(found["image mode"], found["video mode"], strict=True)])
    seen = {k: sum(bool(np.isfinite(p[:, :2]).all()) for p in v) for k, v in found.items()}
    print(f"{args.frames} frames of {rgb.shape[1]} x {rgb.shape[0]}: image mode "
          f"{args.frames / med['image mode']:.1f} frames/s ({seen['image mode']} found), video mode "
          f"{args.frames / med['video mode']:.1f} frames/s ({seen['video mode']} found); "
          f"{med['image mode'] / med['video mode']:.2f}x; the modes' limbs {apart:.1f} px apart (median)")


if __name__ == "__main__":
    main()
