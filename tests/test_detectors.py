"""What hdnet.keypoint.detectors does around a detector, tested without one."""

import os
import sys

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
