import itertools

import numpy as np
import pytest
import torch

from hdnet.graphs import convert_joints, get_skeleton, list_skeletons

NAMES = list_skeletons()


@pytest.mark.parametrize("src,dst", list(itertools.permutations(["h36m_17", "mupots_17", "coco_19",
                                                                  "mpii_16", "panoptic_19",
                                                                  "smpl_24", "halpe_26"], 2)))
def test_shared_joints_agree(src, dst):
    s, d = get_skeleton(src), get_skeleton(dst)
    x = np.random.default_rng(0).normal(size=(3, s.num_joints, 3))
    y, mask = convert_joints(x, s, d)
    assert y.shape == (3, d.num_joints, 3) and mask.shape == (d.num_joints,)
    for j, name in enumerate(d.joints):
        if name in s.joints:
            assert mask[j]
            np.testing.assert_array_equal(y[:, j], x[:, s.index(name)])
        elif not mask[j]:
            assert np.isnan(y[:, j]).all()
    # round trip keeps the joints both sets have
    back, bmask = convert_joints(y, d, s)
    for j, name in enumerate(s.joints):
        if name in d.joints:
            np.testing.assert_allclose(back[:, j], x[:, j])


def test_pelvis_and_thorax_are_derived_from_coco():
    coco = get_skeleton("coco_17")
    x = torch.randn(2, 17, 2, requires_grad=True)
    y, mask = convert_joints(x, "coco_17", "h36m_17")
    h36m = get_skeleton("h36m_17")
    pelvis = (x[:, coco.index("l_hip")] + x[:, coco.index("r_hip")]) / 2
    thorax = (x[:, coco.index("l_shoulder")] + x[:, coco.index("r_shoulder")]) / 2
    assert torch.allclose(y[:, h36m.index("pelvis")], pelvis)
    assert torch.allclose(y[:, h36m.index("thorax")], thorax)
    for name in ("spine", "neck_nose", "head"):
        assert not mask[h36m.index(name)]
        assert torch.isnan(y[:, h36m.index(name)]).all()
    y[:, mask].sum().backward()
    assert x.grad is not None


def test_coco_19_equals_its_construction():
    x = np.random.default_rng(1).normal(size=(17, 3))
    y, mask = convert_joints(x, "coco_17", "coco_19")
    assert mask.all()
    np.testing.assert_allclose(y[18], (x[11] + x[12]) / 2)
    np.testing.assert_allclose(y[17], (x[5] + x[6]) / 2)


def test_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"x: expected shape \[..., 17, D\]"):
        convert_joints(np.zeros((16, 3)), "h36m_17", "coco_17")
    with pytest.raises(LookupError, match="unknown skeleton .nope.; known: .*coco_17"):
        convert_joints(np.zeros((17, 3)), "h36m", "nope")


def test_any_numpy_view_converts():
    """A reversed or strided view (people in reverse order, every other frame) converts like a copy
    of it; torch cannot wrap a negative stride itself."""
    x = np.random.default_rng(2).normal(size=(4, 17, 2))
    for view in (x[::-1], x[::2], x.transpose(1, 0, 2).transpose(1, 0, 2)):
        y, _ = convert_joints(view, "mupots_17", "coco_17")
        expected, _ = convert_joints(view.copy(), "mupots_17", "coco_17")
        np.testing.assert_array_equal(y, expected)
    rev, _ = convert_joints(x[::-1], "mupots_17", "mupots_17")
    np.testing.assert_array_equal(rev, x[::-1])
