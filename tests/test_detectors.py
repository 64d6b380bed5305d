"""What hdnet.keypoint.detectors does around a detector, tested without one."""

import os
import sys

import numpy as np
import pytest

from hdnet.keypoint.detectors import native_logs_held_back


def test_native_start_up_lines_are_held_back(capfd):
    """Bytes written straight to file descriptor 2 (as MediaPipe's C++ logging writes them) inside
    the block are not shown; what is written after it is, and Python's own stderr still works."""
    with native_logs_held_back():
        os.write(2, b"W0000 inference_feedback_manager.cc:114] Feedback manager requires ...\n")
    os.write(2, b"after\n")
    print("python's stderr", file=sys.stderr)
    err = capfd.readouterr().err
    assert "Feedback manager" not in err
    assert "after" in err and "python's stderr" in err


def test_native_lines_are_shown_when_the_block_fails(capfd):
    with pytest.raises(RuntimeError, match="graph failed"):
        with native_logs_held_back():
            os.write(2, b"E0000 calculator_graph.cc] the reason it failed\n")
            raise RuntimeError("graph failed")
    os.write(2, b"after\n")
    err = capfd.readouterr().err
    assert "the reason it failed" in err and err.index("the reason it failed") < err.index("after")


def _landmarks(box, rng):
    """33 landmarks spread over a box (x1, y1, x2, y2), corners included, scored ``score``."""
    x1, y1, x2, y2 = box
    pts = np.column_stack([rng.uniform(x1, x2, 33), rng.uniform(y1, y2, 33)])
    pts[:4] = [[x1, y1], [x2, y1], [x1, y2], [x2, y2]]
    return pts


def test_windows_hold_every_person_up_to_half_a_window_wide():
    """The claim the search rests on: at each level, a box up to half a square wide and three
    quarters of one tall lies whole inside one of the squares (any image shape)."""
    from hdnet.keypoint.detectors import _windows
    rng = np.random.default_rng(0)
    for _ in range(200):
        w, h = (int(v) for v in rng.integers(300, 5000, 2))
        wins = _windows(w, h)
        for side in {s for _, _, s in wins}:
            assert all(0 <= x and x + s <= w and 0 <= y and y + s <= h for x, y, s in wins)
            bw, bh = rng.uniform(1, side / 2), rng.uniform(1, 0.75 * side)
            bx, by = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            assert any(x <= bx and bx + bw <= x + s and y <= by and by + bh <= y + s
                       for x, y, s in wins if s == side), (w, h, side, bx, by, bw, bh)


def test_people_in_windows_finds_each_person_once_and_drops_cut_stand_ins():
    """A simulated one-person-per-view detector, as BlazePose behaves: it finds a person whole
    inside a square who fills a third of its height or more, and in a square that cuts a person it
    answers with a smaller whole body inside the part it sees (less sure of it). The search keeps
    exactly the three people, each as the detector saw them whole, and not their stand-ins."""
    from hdnet.keypoint.detectors import people_in_windows
    rng = np.random.default_rng(1)
    width, height = 1200, 800
    boxes = [(100, 300, 250, 700), (500, 350, 620, 650), (900, 420, 980, 620), (660, 700, 690, 760)]
    people = [np.column_stack([_landmarks(b, rng), np.full(33, 0.9)]) for b in boxes]

    def find(x, y, side):
        out = []
        for (x1, y1, x2, y2), p in zip(boxes, people, strict=True):
            cut = (max(x1, x), max(y1, y), min(x2, x + side), min(y2, y + side))
            if cut[2] <= cut[0] or cut[3] <= cut[1]:
                continue
            if cut == (x1, y1, x2, y2) and y2 - y1 >= side / 3:
                out.append(p - [x, y, 0])
            elif cut[3] - cut[1] >= side / 3:  # a stand-in shrunk into the visible part, inside the square
                cx, cy = (cut[0] + cut[2]) / 2, (cut[1] + cut[3]) / 2
                sx, sy = 0.8 * (cut[2] - cut[0]), 0.8 * (cut[3] - cut[1])
                stand_in = _landmarks((cx - sx / 2, cy - sy / 2, cx + sx / 2, cy + sy / 2), rng)
                out.append(np.column_stack([stand_in - [x, y], np.full(33, 0.7)]))
        return out

    whole = [people[0]]  # only the largest fills enough of the whole image
    found = people_in_windows(find, width, height, 10, whole)
    assert len(found) == 3  # the fourth (60 px tall) is too small for any square
    for got, want in zip(found, people[:3], strict=True):  # largest first
        np.testing.assert_allclose(got, want)
    two = people_in_windows(find, width, height, 2, whole)
    assert len(two) == 2 and all(np.allclose(g, w) for g, w in zip(two, people[:2], strict=True))
    assert people_in_windows(lambda x, y, s: [], width, height, 5) == []


def test_max_people_is_checked():
    """Checked before mediapipe is imported: the same error with the extra or without."""
    from hdnet.keypoint.detectors import MediaPipePose
    for bad in (0, 101, 2.5, True, "3"):
        with pytest.raises(ValueError, match="max_people"):
            MediaPipePose(max_people=bad)
