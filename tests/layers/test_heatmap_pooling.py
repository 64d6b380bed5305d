import pytest
import torch
import torch.nn.functional as F

from hdnet.layers import HeatmapAttentionPooling, masked_spatial_softmax


def original_pooling(logits, feats, mask, coord_map):
    """HDNet's original formulation: -1e15 masking, repeat_interleave, sum (N == P)."""
    b, j, h, w = logits.shape
    m = mask.view(b, 1, h, w).repeat(1, j, 1, 1).to(logits.dtype)
    masked = m * logits + (1 - m) * -1e15
    prob = F.softmax(masked.view(b, j, -1), dim=-1).view(b, j, h, w)
    rep2 = torch.repeat_interleave(prob, 2, dim=1)
    pose = torch.sum(rep2 * coord_map.repeat(1, j, 1, 1), dim=[-2, -1]).view(b, j, 2)
    repc = torch.repeat_interleave(prob, feats.size(1), dim=1)
    pooled = torch.sum(repc * feats.repeat(1, j, 1, 1), dim=[-2, -1]).view(b, j, -1)
    return prob, pooled, pose


def box_masks(p, h, w, seed=0):
    g = torch.Generator().manual_seed(seed)
    m = torch.zeros(p, h, w, dtype=torch.bool)
    for i in range(p):
        y0, x0 = torch.randint(0, h - 3, (2,), generator=g).tolist()
        m[i, y0:y0 + 3 + i % 4, x0:x0 + 4] = True
    return m


def test_equals_original_formulation():
    p, j, c, h, w = 3, 17, 32, 16, 12
    logits = torch.randn(p, j, h, w, dtype=torch.float64) * 3
    feats = torch.randn(p, c, h, w, dtype=torch.float64)
    cmap = torch.randn(p, 2, h, w, dtype=torch.float64)
    mask = box_masks(p, h, w)
    out = HeatmapAttentionPooling()(logits, feats, mask=mask, coord_map=cmap)
    prob, pooled, pose = original_pooling(logits, feats, mask, cmap)
    torch.testing.assert_close(out.prob, prob, rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(out.features, pooled, rtol=1e-6, atol=1e-12)
    torch.testing.assert_close(out.coords, pose, rtol=1e-6, atol=1e-12)
    # float32 too, against the same reference computed in float64
    out32 = HeatmapAttentionPooling()(logits.float(), feats.float(), mask=mask, coord_map=cmap.float())
    torch.testing.assert_close(out32.features.double(), pooled, rtol=1e-5, atol=1e-6)


def test_batch_maps_people_to_their_images():
    n, p, j, c, h, w = 3, 7, 5, 8, 10, 9
    feats = torch.randn(n, c, h, w, dtype=torch.float64)
    cmap = torch.randn(n, 2, h, w, dtype=torch.float64)
    logits = torch.randn(p, j, h, w, dtype=torch.float64)
    mask = box_masks(p, h, w, seed=1)
    index = torch.tensor([2, 0, 2, 1, 0, 2, 2])
    out = HeatmapAttentionPooling()(logits, feats, mask=mask, coord_map=cmap, batch=index)
    # reference: copy each person's image explicitly
    ref = HeatmapAttentionPooling()(logits, feats[index], mask=mask, coord_map=cmap[index])
    torch.testing.assert_close(out.features, ref.features)
    torch.testing.assert_close(out.coords, ref.coords)
    # one image, many people; and a shared [2, H, W] coord map
    index1 = torch.zeros(p, dtype=torch.long)
    out1 = HeatmapAttentionPooling()(logits, feats[:1], mask=mask, coord_map=cmap[0], batch=index1)
    ref1 = HeatmapAttentionPooling()(logits, feats[:1].expand(p, -1, -1, -1), mask=mask,
                                     coord_map=cmap[:1].expand(p, -1, -1, -1))
    torch.testing.assert_close(out1.features, ref1.features)
    torch.testing.assert_close(out1.coords, ref1.coords)


def test_probabilities_live_inside_the_mask():
    logits = torch.randn(2, 4, 8, 8)
    mask = box_masks(2, 8, 8)
    prob = masked_spatial_softmax(logits, mask)
    torch.testing.assert_close(prob.sum((-2, -1)), torch.ones(2, 4))
    assert (prob * (~mask[:, None])).abs().max() == 0


def test_default_coords_are_pixel_centres():
    h, w = 6, 7
    logits = torch.full((1, 1, h, w), -50.0)
    logits[0, 0, 4, 2] = 50.0
    out = HeatmapAttentionPooling()(logits, torch.randn(1, 3, h, w))
    torch.testing.assert_close(out.coords[0, 0], torch.tensor([2.0, 4.0]), atol=1e-6, rtol=0)


def test_gradients_flow():
    logits = torch.randn(2, 3, 5, 5, requires_grad=True)
    feats = torch.randn(1, 4, 5, 5, requires_grad=True)
    out = HeatmapAttentionPooling()(logits, feats, mask=box_masks(2, 5, 5), batch=torch.tensor([0, 0]))
    (out.features.sum() + out.coords.sum()).backward()
    assert logits.grad.abs().sum() > 0 and feats.grad.abs().sum() > 0


# every way people can sit in images: one each (no index), one each in order, the same number
# per image in order, uneven with an image nobody is in, one image for all
BATCH_CASES = {"none": None, "one_each": [0, 1, 2, 3], "two_each": [0, 0, 1, 1, 2, 2, 3, 3],
               "uneven": [2, 0, 2, 3, 0, 2], "one_image": [1, 1, 1]}


@pytest.mark.parametrize("case", sorted(BATCH_CASES))
def test_gradcheck_float64(case):
    """The pooling's backward (every batching path) against finite differences in float64."""
    index = BATCH_CASES[case]
    n, j, c, h, w = 4, 3, 4, 5, 4
    p = n if index is None else len(index)
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(p, j, h, w, dtype=torch.float64, generator=g, requires_grad=True)
    feats = torch.randn(n, c, h, w, dtype=torch.float64, generator=g, requires_grad=True)
    cmap = torch.randn(n, 2, h, w, dtype=torch.float64, generator=g, requires_grad=True)
    mask = box_masks(p, h, w, seed=2)
    idx = None if index is None else torch.tensor(index)
    pool = HeatmapAttentionPooling()

    def f(lg, ft, cm):
        out = pool(lg, ft, mask=mask, coord_map=cm, batch=idx)
        return out.prob, out.features, out.coords
    assert torch.autograd.gradcheck(f, (logits, feats, cmap), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", sorted(BATCH_CASES))
def test_gradients_equal_original_formulation(case):
    """Values and gradients of every batching path equal the original formulation run on each
    person's own copy of its image's maps (gradients summed back per image by autograd)."""
    index = BATCH_CASES[case]
    n, j, c, h, w = 4, 5, 6, 7, 6
    p = n if index is None else len(index)
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(p, j, h, w, dtype=torch.float64, generator=g) * 2
    feats = torch.randn(n, c, h, w, dtype=torch.float64, generator=g)
    cmap = torch.randn(n, 2, h, w, dtype=torch.float64, generator=g)
    mask = box_masks(p, h, w, seed=5)
    idx = torch.arange(n) if index is None else torch.tensor(index)
    w_f = torch.randn(p, j, c, dtype=torch.float64, generator=g)
    w_c = torch.randn(p, j, 2, dtype=torch.float64, generator=g)
    grads = []
    for impl in ("hdnet", "original"):
        lg, ft, cm = (t.clone().requires_grad_(True) for t in (logits, feats, cmap))
        if impl == "hdnet":
            out = HeatmapAttentionPooling()(lg, ft, mask=mask, coord_map=cm,
                                            batch=None if index is None else idx)
            pooled, coords = out.features, out.coords
        else:
            _, pooled, coords = original_pooling(lg, ft[idx], mask, cm[idx])
        ((pooled * w_f).sum() + (coords * w_c).sum()).backward()
        grads.append((pooled.detach(), coords.detach(), lg.grad, ft.grad, cm.grad))
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_masking_is_finite(dtype):
    logits = (torch.randn(2, 3, 8, 8) * 10).to(dtype)
    feats = torch.randn(2, 4, 8, 8).to(dtype)
    out = HeatmapAttentionPooling()(logits, feats, mask=box_masks(2, 8, 8))
    for t in out:
        assert torch.isfinite(t).all()
    assert (out.prob.float() * (~box_masks(2, 8, 8)[:, None])).abs().max() == 0


def test_autocast_bfloat16():
    logits = torch.randn(2, 17, 16, 16)
    feats = torch.randn(2, 32, 16, 16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = HeatmapAttentionPooling()(logits, feats, mask=box_masks(2, 16, 16))
    ref = HeatmapAttentionPooling()(logits, feats, mask=box_masks(2, 16, 16))
    for t in out:
        assert torch.isfinite(t).all()
    torch.testing.assert_close(out.features.float(), ref.features, atol=0.05, rtol=0.05)


def test_bad_input():
    pool = HeatmapAttentionPooling()
    logits, feats = torch.randn(2, 3, 4, 4), torch.randn(2, 5, 4, 4)
    mask = torch.ones(2, 4, 4, dtype=torch.bool)
    mask[1] = False
    with pytest.raises(ValueError, match=r"empty box mask for person indices \[1\]"):
        pool(logits, feats, mask=mask)
    with pytest.raises(ValueError, match=r"logits: expected shape \[P, J, H, W\]"):
        pool(logits[0], feats)
    with pytest.raises(ValueError, match="features: expected spatial size"):
        pool(logits, torch.randn(2, 5, 4, 5))
    with pytest.raises(ValueError, match="batch: required"):
        pool(logits, feats[:1])
    with pytest.raises(ValueError, match=r"batch: values must be in 0..1"):
        pool(logits, feats, batch=torch.tensor([0, 2]))
    with pytest.raises(TypeError, match="batch"):
        pool(logits, feats, batch=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"mask: expected shape \[P, H, W\]"):
        pool(logits, feats, mask=torch.ones(2, 4, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask: expected a bool or 0/1"):
        pool(logits, feats, mask=torch.full((2, 4, 4), 0.5))
    with pytest.raises(ValueError, match="coord_map"):
        pool(logits, feats, coord_map=torch.randn(3, 2, 4, 4))
    with pytest.raises(TypeError, match="features"):
        pool(logits, feats.numpy())
    assert "HeatmapAttentionPooling" in repr(pool)


def test_zero_people():
    out = HeatmapAttentionPooling()(torch.randn(0, 3, 4, 4), torch.randn(2, 5, 4, 4),
                                    mask=torch.ones(0, 4, 4, dtype=torch.bool),
                                    batch=torch.zeros(0, dtype=torch.long))
    assert out.features.shape == (0, 3, 5) and out.coords.shape == (0, 3, 2)
