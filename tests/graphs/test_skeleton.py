import pytest
import torch
from torch_geometric.data import Batch

from hdnet.graphs import (
    MUPOTS_EVAL_JOINTS,
    Skeleton,
    get_skeleton,
    list_skeletons,
    mirror_joint_name,
    register_skeleton,
    unregister_skeleton,
)

REQUIRED = ["h36m_17", "mpi_inf_3dhp_17", "mupots_17", "muco_21", "coco_17", "coco_19",
            "mpii_16", "panoptic_19", "panoptic_15", "smpl_24", "halpe_26"]
ALL = list_skeletons()


def test_required_skeletons_are_registered():
    names = list_skeletons(aliases=True)
    for n in REQUIRED:
        assert n in names
    assert get_skeleton("mupots_17") is get_skeleton("mpi_inf_3dhp_17")


def test_h36m_matches_the_issue():
    sk = get_skeleton("h36m_17")
    assert sk.root == 0 and sk.joints[0] == "pelvis" and sk.joints[9] == "neck_nose"
    assert set(sk.bones) == {(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8),
                             (8, 9), (9, 10), (8, 11), (11, 12), (12, 13), (8, 14), (14, 15),
                             (15, 16)}


def test_mupots_matches_the_issue():
    sk = get_skeleton("mupots_17")
    assert sk.root == 14 and sk.joints[14] == "pelvis" and sk.joints[0] == "head_top"
    assert len(sk.bones) == 16 and (0, 16) in sk.bones and (15, 14) in sk.bones
    assert MUPOTS_EVAL_JOINTS == tuple(range(14))
    muco = get_skeleton("muco_21")
    assert muco.joints[:17] == sk.joints and muco.joints[17:] == ("r_hand", "l_hand", "r_toe", "l_toe")


@pytest.mark.parametrize("name", ALL)
def test_connected_and_tree_reaches_every_joint(name):
    sk = get_skeleton(name)
    parents = sk.parents
    assert parents[sk.root] == -1
    assert sum(p == -1 for p in parents) == 1
    bone_set = {tuple(sorted(b)) for b in sk.bones}
    for j in range(sk.num_joints):
        # walk up: must reach the root in < J steps, along bones
        steps, k = 0, j
        while k != sk.root:
            assert tuple(sorted((k, parents[k]))) in bone_set
            k = parents[k]
            steps += 1
            assert steps < sk.num_joints
    # connectivity via scipy, independent of the BFS in Skeleton
    from scipy.sparse.csgraph import connected_components
    n, _ = connected_components(sk.adjacency(self_loops=False).numpy(), directed=False)
    assert n == 1


#: Skeletons whose mirror pairs come from their source, not their names: Goliath's face points
#: carry their side inside the name and mirror with numbers that differ (its ``swap``).
SOURCE_FLIPS = ("goliath_308",)


@pytest.mark.parametrize("name", ALL)
def test_flip_pairs_swap_left_and_right_names(name):
    sk = get_skeleton(name)
    paired = set()
    for a, b in sk.flip_pairs:
        na, nb = sk.joints[a], sk.joints[b]
        if name not in SOURCE_FLIPS:
            assert ("l_" in na[:2] and "r_" in nb[:2]) or ("r_" in na[:2] and "l_" in nb[:2])
            assert na[2:] == nb[2:]
        paired |= {a, b}
    # every sided joint is paired; flip permutation is an involution
    for i, n in enumerate(sk.joints):
        if n.startswith(("l_", "r_")) or name not in SOURCE_FLIPS:
            assert (i in paired) == n.startswith(("l_", "r_"))
    perm = sk.flip_permutation()
    assert [perm[p] for p in perm] == list(range(sk.num_joints))
    # flipping keeps the bone graph (mirror symmetry of every skeleton)
    flipped = {tuple(sorted((perm[a], perm[b]))) for a, b in sk.bones}
    assert flipped == {tuple(sorted(b)) for b in sk.bones}


@pytest.mark.parametrize("name", ALL)
def test_edge_index_is_symmetric_and_matches_adjacency(name):
    sk = get_skeleton(name)
    ei = sk.edge_index()
    assert ei.dtype == torch.long and ei.shape == (2, 2 * sk.num_bones)
    pairs = set(map(tuple, ei.t().tolist()))
    assert pairs == {(b, a) for a, b in pairs}
    dense = torch.zeros(sk.num_joints, sk.num_joints)
    for a, b in sk.bones:
        dense[a, b] = dense[b, a] = 1
    assert torch.equal(sk.adjacency(self_loops=False), dense)
    built = torch.zeros_like(dense)
    built[ei[0], ei[1]] = 1
    assert torch.equal(built, dense)
    assert torch.equal(sk.adjacency(), dense + torch.eye(sk.num_joints))
    eil = sk.edge_index(self_loops=True)
    assert eil.shape[1] == 2 * sk.num_bones + sk.num_joints
    assert torch.equal(sk.degree(), dense.sum(1).long())


def test_normalized_adjacency():
    sk = get_skeleton("h36m_17")
    a = sk.adjacency()
    row = sk.adjacency(normalize="row")
    assert torch.allclose(row.sum(1), torch.ones(17))
    deg = a.sum(1)
    assert torch.allclose(row, a / deg[:, None])
    sym = sk.adjacency(normalize="sym")
    assert torch.allclose(sym, a / torch.sqrt(deg[:, None] * deg[None, :]))
    assert torch.allclose(sym, sym.t())
    with pytest.raises(ValueError, match="normalize"):
        sk.adjacency(normalize="col")


def test_batch_edge_index_matches_pyg_batch():
    sk = get_skeleton("mpii_16")
    batch = Batch.from_data_list([sk.to_data() for _ in range(3)])
    assert torch.equal(sk.batch_edge_index(3), batch.edge_index)
    assert batch.num_nodes == 48
    with pytest.raises(ValueError, match="batch_size"):
        sk.batch_edge_index(-1)


def test_to_data_checks_x():
    sk = get_skeleton("h36m_17")
    d = sk.to_data(torch.zeros(17, 4))
    assert d.num_nodes == 17 and d.x.shape == (17, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \[17"):
        sk.to_data(torch.zeros(16, 4))


def test_unknown_names_list_what_exists():
    with pytest.raises(LookupError) as e:
        get_skeleton("h36m_18")
    assert "h36m_17" in str(e.value) and "coco_19" in str(e.value)
    with pytest.raises(KeyError, match="l_hip"):
        get_skeleton("h36m_17").index("left_hip")


def test_bad_skeletons_raise():
    with pytest.raises(ValueError, match="missing joint"):
        Skeleton("bad", ("a", "b"), ((0, 2),), 0)
    with pytest.raises(ValueError, match="itself"):
        Skeleton("bad", ("a", "b"), ((1, 1),), 0)
    with pytest.raises(ValueError, match="not connected"):
        Skeleton("bad", ("a", "b", "c"), ((0, 1),), 0)
    with pytest.raises(ValueError, match="duplicate"):
        Skeleton("bad", ("a", "a"), ((0, 1),), 0)
    with pytest.raises(ValueError, match="root"):
        Skeleton("bad", ("a", "b"), ((0, 1),), 5)
    assert register_skeleton(get_skeleton("h36m_17")) is get_skeleton("h36m_17")  # the same again: a no-op
    with pytest.raises(ValueError, match="already registered"):
        register_skeleton(get_skeleton("coco_17").subset(range(17), name="h36m_17"))
    with pytest.raises(TypeError, match="skeleton"):
        register_skeleton("h36m_17")


def test_register_custom_skeleton_and_subset():
    sk = Skeleton("test_tri", ("pelvis", "l_hip", "r_hip"), ((0, 1), (0, 2)), 0)
    register_skeleton(sk, aliases=("test_tri_alias",))
    try:
        assert get_skeleton("test_tri_alias") is sk and sk.flip_pairs == ((1, 2),)
    finally:
        assert unregister_skeleton("test_tri") is sk
    assert "test_tri" not in list_skeletons(aliases=True)
    assert "test_tri_alias" not in list_skeletons(aliases=True)
    sub = get_skeleton("panoptic_19").subset(range(15))
    assert sub.joints == get_skeleton("panoptic_15").joints
    assert set(sub.bones) == set(get_skeleton("panoptic_15").bones)
    assert mirror_joint_name("L_Hip") == "R_Hip" and mirror_joint_name("pelvis") is None
    assert mirror_joint_name("right_knee") == "left_knee"


def test_skeletons_are_immutable_and_hashable():
    sk = get_skeleton("coco_19")
    from dataclasses import FrozenInstanceError
    with pytest.raises(FrozenInstanceError):
        sk.root = 3
    assert hash(sk) == hash(get_skeleton("coco_19"))
    assert "coco_19" in repr(sk)
