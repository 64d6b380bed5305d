"""The :class:`Skeleton` type: a named joint set with its bones, root and kinematic tree."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Optional

import torch

__all__ = ["Skeleton", "mirror_joint_name"]

_SIDE_PREFIXES = (("l_", "r_"), ("left_", "right_"))


def mirror_joint_name(name: str) -> Optional[str]:
    """The name of the joint on the other side of the body, or ``None`` for a central joint.

    Understands the ``l_``/``r_`` and ``left_``/``right_`` prefixes (any case), e.g.
    ``"l_hip" -> "r_hip"``.
    """
    lower = name.lower()
    for left, right in _SIDE_PREFIXES:
        if lower.startswith(left):
            return _match_case(name[: len(left)], right) + name[len(left):]
        if lower.startswith(right):
            return _match_case(name[: len(right)], left) + name[len(right):]
    return None


def _match_case(template: str, text: str) -> str:
    # "L_" -> "R_", "l_" -> "r_", "Left_" -> "Right_"
    if template.isupper():
        return text.upper()
    if template[:1].isupper():
        return text[:1].upper() + text[1:]
    return text


@dataclass(frozen=True)
class Skeleton:
    """An immutable skeleton: joints in a fixed order, bones between them, and a root.

    Args:
        name: registry name, e.g. ``"h36m_17"``.
        joints: joint names, in the order of the data source.
        bones: undirected joint-index pairs.
        root: index of the root joint (the pelvis where the set has one).
        flip_pairs: left/right index pairs. When ``None`` they are derived from the names
            (``l_``/``r_`` and ``left_``/``right_`` prefixes).
        source: where the joint order comes from (shown in the docs).

    The kinematic tree (:attr:`parents`) is the breadth-first tree of the bone graph from
    the root; bones that close a loop (e.g. COCO's hip-hip bone) are kept in :attr:`bones`
    but are not tree edges.

    Raises:
        ValueError: duplicate joint names, a bone that refers to a missing joint or joins
            a joint to itself, a root out of range, or a bone graph that is not connected.
    """

    name: str
    joints: tuple
    bones: tuple
    root: int
    flip_pairs: Optional[tuple] = None
    source: str = ""
    _parents: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        joints = tuple(str(j) for j in self.joints)
        if not joints:
            raise ValueError(f"joints: expected at least one joint name for skeleton {self.name!r}")
        if len(set(joints)) != len(joints):
            dupes = sorted({j for j in joints if joints.count(j) > 1})
            raise ValueError(f"joints: duplicate names {dupes} in skeleton {self.name!r}")
        num = len(joints)
        bones = []
        for pair in self.bones:
            if len(pair) != 2:
                raise ValueError(f"bones: expected index pairs, got {pair!r}")
            a, b = int(pair[0]), int(pair[1])
            if not (0 <= a < num and 0 <= b < num):
                raise ValueError(
                    f"bones: bone {(a, b)} refers to a missing joint; skeleton {self.name!r} "
                    f"has joints 0..{num - 1}"
                )
            if a == b:
                raise ValueError(f"bones: bone {(a, b)} joins joint {a} to itself")
            bones.append((a, b))
        keys = [tuple(sorted(b)) for b in bones]
        if len(set(keys)) != len(keys):
            raise ValueError(f"bones: a bone is listed twice in skeleton {self.name!r}")
        root = int(self.root)
        if not 0 <= root < num:
            raise ValueError(f"root: expected an index in 0..{num - 1}, got {self.root}")
        if self.flip_pairs is None:
            flips = []
            for i, j in enumerate(joints):
                other = mirror_joint_name(j)
                if other is not None and other in joints and j.lower().startswith(("l_", "left_")):
                    flips.append((i, joints.index(other)))
        else:
            flips = [(int(a), int(b)) for a, b in self.flip_pairs]
            for a, b in flips:
                if not (0 <= a < num and 0 <= b < num) or a == b:
                    raise ValueError(f"flip_pairs: invalid pair {(a, b)} for {num} joints")
        object.__setattr__(self, "joints", joints)
        object.__setattr__(self, "bones", tuple(bones))
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "flip_pairs", tuple(flips))
        object.__setattr__(self, "_parents", self._tree())

    def _tree(self) -> tuple:
        neighbours: list = [[] for _ in self.joints]
        for a, b in self.bones:
            neighbours[a].append(b)
            neighbours[b].append(a)
        parents = [-2] * len(self.joints)
        parents[self.root] = -1
        queue = deque([self.root])
        while queue:
            i = queue.popleft()
            for j in sorted(neighbours[i]):
                if parents[j] == -2:
                    parents[j] = i
                    queue.append(j)
        unreached = [self.joints[i] for i, p in enumerate(parents) if p == -2]
        if unreached:
            raise ValueError(
                f"bones: skeleton {self.name!r} is not connected; joints {unreached} cannot be "
                f"reached from the root {self.joints[self.root]!r}"
            )
        return tuple(parents)

    # ------------------------------------------------------------------ properties
    @property
    def num_joints(self) -> int:
        """Number of joints J."""
        return len(self.joints)

    @property
    def num_bones(self) -> int:
        """Number of (undirected) bones."""
        return len(self.bones)

    @property
    def parents(self) -> tuple:
        """Parent of every joint in the kinematic tree from the root (``-1`` for the root)."""
        return self._parents

    @property
    def root_name(self) -> str:
        """Name of the root joint."""
        return self.joints[self.root]

    def index(self, joint: str) -> int:
        """Index of a joint by name.

        Raises:
            KeyError: the name is not a joint of this skeleton (the message lists them).
        """
        try:
            return self.joints.index(joint)
        except ValueError:
            raise KeyError(
                f"joint {joint!r} is not in skeleton {self.name!r}; joints are {list(self.joints)}"
            ) from None

    def flip_permutation(self) -> list:
        """Index permutation that swaps left and right joints (apply as ``x[..., perm, :]``)."""
        perm = list(range(self.num_joints))
        for a, b in self.flip_pairs or ():
            perm[a], perm[b] = b, a
        return perm

    def degree(self) -> torch.Tensor:
        """Number of bones at each joint, LongTensor ``[J]``."""
        deg = torch.zeros(self.num_joints, dtype=torch.long)
        for a, b in self.bones:
            deg[a] += 1
            deg[b] += 1
        return deg

    # ------------------------------------------------------------------ graph views
    @property
    def _directed_edges(self) -> tuple:
        """Both directions of every bone as ``(source, target)`` ints, sorted by target then
        source (the order PyG's CSR conversion prefers). Plain Python, never a cached tensor:
        a tensor cached while ``torch.export`` / ONNX export traces would be a fake one that
        poisons every later eager call on this shared skeleton."""
        pairs = [(a, b) for a, b in self.bones] + [(b, a) for a, b in self.bones]
        return tuple(sorted(pairs, key=lambda e: (e[1], e[0])))

    def edge_index(self, self_loops: bool = False) -> torch.Tensor:
        """Both directions of every bone as a PyG ``edge_index``, LongTensor ``[2, E]``.

        ``E = 2 * num_bones`` (plus ``J`` when ``self_loops``). Row 0 holds sources, row 1
        targets; edges are sorted by target.
        """
        edges = self._directed_edges
        ei = (torch.tensor(edges, dtype=torch.long).t().contiguous() if edges
              else torch.zeros(2, 0, dtype=torch.long))
        if self_loops:
            loops = torch.arange(self.num_joints).repeat(2, 1)
            ei = torch.cat([ei, loops], dim=1)
            ei = ei[:, torch.argsort(ei[1] * self.num_joints + ei[0])]
        return ei

    def adjacency(self, self_loops: bool = True, normalize: Optional[str] = None,
                  dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Dense adjacency matrix ``[J, J]`` (``A[i, j] = 1`` when i and j share a bone).

        Args:
            self_loops: add the identity (``A + I``).
            normalize: ``None``; ``"row"`` for ``D^-1 A`` (every row sums to 1, the original
                HDNet's attention); ``"sym"`` for ``D^-1/2 A D^-1/2``. Degrees are row sums of
                the (possibly self-looped) matrix.
        """
        if normalize not in (None, "row", "sym"):
            raise ValueError(f"normalize: expected None, 'row' or 'sym', got {normalize!r}")
        a = torch.zeros(self.num_joints, self.num_joints, dtype=dtype)
        ei = self.edge_index()
        a[ei[1], ei[0]] = 1
        if self_loops:
            a = a + torch.eye(self.num_joints, dtype=dtype)
        if normalize is None:
            return a
        deg = a.sum(dim=1)
        inv = torch.where(deg > 0, 1.0 / deg, torch.zeros_like(deg))
        if normalize == "row":
            return a * inv[:, None]
        s = inv.sqrt()
        return s[:, None] * a * s[None, :]

    def batch_edge_index(self, batch_size: int, self_loops: bool = False) -> torch.Tensor:
        """Edge index of ``batch_size`` disjoint copies of the skeleton, ``[2, batch_size * E]``.

        Copy ``b`` uses nodes ``b * J .. b * J + J - 1``, as ``torch_geometric.data.Batch`` lays
        them out, so dense ``x [B, J, C]`` reshaped to ``[B * J, C]`` lines up with it.
        """
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 0:
            raise ValueError(f"batch_size: expected a non-negative int, got {batch_size!r}")
        ei = self.edge_index(self_loops=self_loops)
        offsets = torch.arange(batch_size, dtype=torch.long) * self.num_joints
        return (ei[:, None, :] + offsets[None, :, None]).reshape(2, -1)

    def to_data(self, x: Optional[torch.Tensor] = None):
        """The skeleton as a ``torch_geometric.data.Data`` (``edge_index``, ``num_nodes``, ``x``)."""
        from torch_geometric.data import Data

        if x is not None and (x.dim() < 1 or x.shape[0] != self.num_joints):
            raise ValueError(f"x: expected shape [{self.num_joints}, ...], got {tuple(x.shape)}")
        return Data(x=x, edge_index=self.edge_index(), num_nodes=self.num_joints)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """Everything that defines the skeleton, as plain lists and strings (what checkpoints
        store, so a model on a custom skeleton loads in a process that never registered it)."""
        return {"name": self.name, "joints": list(self.joints),
                "bones": [list(b) for b in self.bones], "root": self.root,
                "flip_pairs": [list(p) for p in self.flip_pairs or ()], "source": self.source}

    @classmethod
    def from_dict(cls, data: dict) -> "Skeleton":
        """The skeleton :meth:`to_dict` wrote (validated like any new skeleton)."""
        if not isinstance(data, dict):
            raise TypeError(f"skeleton: expected a dict from Skeleton.to_dict(), got {type(data).__name__}")
        missing = [k for k in ("name", "joints", "bones", "root") if k not in data]
        if missing:
            raise ValueError(f"skeleton: the stored skeleton lacks {missing}")
        def ints(value, key, size=None):
            ok = isinstance(value, (list, tuple)) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value) and (size is None or len(value) == size)
            if not ok:
                raise ValueError(f"skeleton: {key} must be {'pairs of ' if size else ''}integers, got {value!r:.80}")
            return tuple(value)

        def pairs(value, key):
            if not isinstance(value, (list, tuple)) or len(value) > 100_000:
                raise ValueError(f"skeleton: {key} must be a list of index pairs, got {type(value).__name__}")
            return tuple(ints(p, key, 2) for p in value)
        name, joints, root = data["name"], data["joints"], data["root"]
        if not isinstance(name, str):
            raise ValueError(f"skeleton: name must be a str, got {name!r:.80}")
        if not isinstance(joints, (list, tuple)) or not all(isinstance(j, str) for j in joints) or len(joints) > 10_000:
            raise ValueError(f"skeleton: joints must be a list of names, got {joints!r:.80}")
        if isinstance(root, bool) or not isinstance(root, int):
            raise ValueError(f"skeleton: root must be a joint index, got {root!r:.80}")
        flips = data.get("flip_pairs")
        source = data.get("source", "")
        return cls(name, tuple(joints), pairs(data["bones"], "bones"), root,
                   None if flips is None else pairs(flips, "flip_pairs"), source if isinstance(source, str) else "")

    def same_as(self, other: "Skeleton") -> bool:
        """Same joints in the same order, same bones, root and flip pairs (names aside)."""
        return (self.joints == other.joints and self.root == other.root
                and sorted(map(sorted, self.bones)) == sorted(map(sorted, other.bones))
                and sorted(map(sorted, self.flip_pairs or ())) == sorted(map(sorted, other.flip_pairs or ())))

    # ------------------------------------------------------------------ derived skeletons
    def subset(self, joints: Iterable, name: Optional[str] = None, root: Optional[int] = None,
               source: Optional[str] = None) -> "Skeleton":
        """A skeleton over some of the joints (by index or name), keeping bones between them."""
        idx = [self.index(j) if isinstance(j, str) else int(j) for j in joints]
        remap = {old: new for new, old in enumerate(idx)}
        bones = [(remap[a], remap[b]) for a, b in self.bones if a in remap and b in remap]
        if root is None:
            if self.root not in remap:
                raise ValueError("root: the subset drops the root joint; pass root=")
            root = remap[self.root]
        return Skeleton(name or f"{self.name}_subset", tuple(self.joints[i] for i in idx), tuple(bones), root,
                        source=self.source if source is None else source)

    def __repr__(self) -> str:
        return (f"Skeleton(name={self.name!r}, num_joints={self.num_joints}, "
                f"num_bones={self.num_bones}, root={self.root_name!r})")

