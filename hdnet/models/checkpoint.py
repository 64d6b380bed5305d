"""Self-describing checkpoints: the one way hdnet saves and loads models.

A checkpoint is a ``torch.save`` file holding only plain data and tensors, so it loads with
``torch.load(..., weights_only=True)`` and can never run code:

.. code-block:: text

    {"format": "hdnet-checkpoint", "version": 1, "hdnet_version": "0.1.0",
     "model_class": "HDNet",                 # a class registered with register_model_class
     "architecture": {...},                  # model.config(): skeleton (joints, bones, root,
                                             #   flip pairs), bins, backbone, branches, conv
     "preprocessing": {...},                 # Preprocessing.to_dict(): input size, framing,
                                             #   window, reference scale, mean, std
     "state_dict": {...},                    # the weights
     "checksum": "sha256:...",               # of every tensor in state_dict (names, dtypes,
                                             #   shapes, bytes), verified on load
     "training": {...} | None,               # optimizer, schedule, RNG, step, config (resume)
     "meta": {...} | None}                   # anything plain the writer adds

:func:`load_model` also reads a bare ``torch.save(model.state_dict())`` of an hdnet model (its
``_extra_state`` describes it) and the authors' original HDNet checkpoint.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from typing import Any, Callable, Dict, Optional, Type

import torch
from torch import nn

from ..data.transforms import Preprocessing
from ..graphs import Skeleton, get_skeleton

__all__ = ["CheckpointError", "save_checkpoint", "load_model", "read_checkpoint",
           "checkpoint_dict", "weights_checksum", "register_model_class", "torch_load",
           "check_same_architecture", "skeleton_from_config", "atomic_save", "FORMAT", "VERSION"]

FORMAT = "hdnet-checkpoint"
VERSION = 1

_MODEL_CLASSES: Dict[str, Type[nn.Module]] = {}


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, is corrupt, or does not fit the model."""


def register_model_class(cls: Type[nn.Module]) -> Type[nn.Module]:
    """Let checkpoints name ``cls`` (it needs ``config()``, ``from_config(config,
    preprocessing)`` and a ``preprocessing`` attribute). Usable as a class decorator."""
    for attr in ("config", "from_config"):
        if not callable(getattr(cls, attr, None)):
            raise TypeError(f"cls: a checkpointable model needs {attr}(), {cls.__name__} has none")
    _MODEL_CLASSES[cls.__name__] = cls
    return cls


def _model_classes() -> Dict[str, Type[nn.Module]]:
    from . import hdnet, keypoint  # noqa: F401  (they register themselves)
    return _MODEL_CLASSES


# ---------------------------------------------------------------------------- reading files
def torch_load(path, what: str, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` with errors a user can act on: a missing file, a
    file that is not a checkpoint, and a file that would need code to unpickle (refused)."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no checkpoint at {p!r}")
    try:
        return torch.load(p, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        detail = next((line.strip() for line in text.splitlines()
                       if "GLOBAL" in line or "global" in line.lower()), "")
        if detail:
            raise CheckpointError(f"{what}: {p!r} refused: it holds Python objects that would run "
                                  f"code when loaded, and hdnet loads checkpoints as data only "
                                  f"(weights_only=True): {detail}") from None
        raise CheckpointError(f"{what}: {p!r} is not a readable checkpoint (not a torch.save "
                              "file, or truncated)") from None
    except Exception as e:  # truncated, foreign or corrupt archive
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise CheckpointError(f"{what}: {p!r} is not a readable checkpoint "
                              f"({type(e).__name__}{': ' + msg if msg else ''})") from None


def weights_checksum(state_dict: Dict[str, Any]) -> str:
    """``"sha256:<hex>"`` over every tensor of a state dict: names, dtypes, shapes and bytes,
    in sorted name order (non-tensor entries such as ``_extra_state`` are not included)."""
    h = hashlib.sha256()
    for key in sorted(k for k, v in state_dict.items() if torch.is_tensor(v)):
        t = state_dict[key].detach().cpu().contiguous()
        h.update(key.encode())
        h.update(str(t.dtype).encode())
        h.update(str(tuple(t.shape)).encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return "sha256:" + h.hexdigest()


# ---------------------------------------------------------------------------- architecture
def skeleton_from_config(config: dict) -> Skeleton:
    """The skeleton a stored architecture names: the registered one when it is the same
    skeleton, else rebuilt from the stored joints and bones (no registration needed)."""
    stored = config["skeleton"]
    if isinstance(stored, str):  # a name only: must be registered
        try:
            return get_skeleton(stored)
        except KeyError:
            raise CheckpointError(f"architecture: skeleton {stored!r} is not registered and the "
                                  "checkpoint does not store its joints") from None
    sk = Skeleton.from_dict(stored)
    try:
        registered = get_skeleton(sk.name)
    except KeyError:
        return sk
    return registered if registered.same_as(sk) else sk


def _describe(value: Any) -> str:
    if isinstance(value, dict) and "joints" in value:
        return f"skeleton {value.get('name')!r} ({len(value['joints'])} joints)"
    return repr(value)


def check_same_architecture(stored: dict, own: dict, what: str = "state_dict") -> None:
    """Raise :class:`CheckpointError` naming every difference between two ``config()`` dicts."""
    diffs = []
    for key in sorted(set(stored) | set(own)):
        a, b = stored.get(key), own.get(key)
        if key == "skeleton" and isinstance(a, dict) and isinstance(b, dict):
            if Skeleton.from_dict(a).same_as(Skeleton.from_dict(b)):
                continue
            if list(a["joints"]) != list(b["joints"]):
                diffs.append(f"skeleton: weights for {_describe(a)} with joints {list(a['joints'])}, "
                             f"model has {_describe(b)} with joints {list(b['joints'])}")
            else:
                diffs.append(f"skeleton: weights for {_describe(a)}, model has {_describe(b)} "
                             "(same joints, different bones, root or flip pairs)")
        elif a != b:
            diffs.append(f"{key}: weights have {_describe(a)}, model has {_describe(b)}")
    if diffs:
        raise CheckpointError(f"{what}: the weights are for another architecture: " + "; ".join(diffs))


# ---------------------------------------------------------------------------- writing
def atomic_save(obj: Any, path, what: str = "checkpoint") -> str:
    """``torch.save`` to a temporary file beside ``path``, flushed, then renamed over it: a
    reader never sees half a file, and a failed write (disk full) leaves the previous file and
    no temporary one."""
    return atomic_write(path, lambda f: torch.save(obj, f), what)


def atomic_write(path, write: Callable[[Any], None], what: str = "output") -> str:
    """``write(binary file)`` into a temporary file beside ``path``, flushed, then renamed over
    it (see :func:`atomic_save`). Raises ``OSError`` naming ``what`` and the path."""
    p = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(p))
    if os.path.isdir(p):
        raise IsADirectoryError(f"{what}: {p!r} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what}: the folder {folder!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(p) + ".", suffix=".tmp", dir=folder)
    except OSError as e:
        raise OSError(e.errno, f"{what}: cannot write in {folder!r} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OSError(e.errno, f"{what}: could not write {p!r} ({e.strerror or e}); any "
                          "previous file there is unchanged") from None
        raise
    return p


def checkpoint_dict(model: nn.Module, training: Optional[dict] = None,
                    meta: Optional[dict] = None) -> dict:
    """The checkpoint of ``model`` as a dict (what :func:`save_checkpoint` writes)."""
    from .. import __version__
    cls = type(model).__name__
    if cls not in _model_classes():
        raise TypeError(f"model: {cls} is not a checkpointable model class; register it with "
                        "hdnet.models.checkpoint.register_model_class")
    state = {k: v for k, v in model.state_dict().items()}
    for key, value in state.items():
        if torch.is_tensor(value) and not torch.isfinite(value).all() and value.is_floating_point():
            raise CheckpointError(f"checkpoint: refusing to save non-finite weights ({key!r} has "
                                  "NaN or inf)")
    prep = getattr(model, "preprocessing", None)
    return {"format": FORMAT, "version": VERSION, "hdnet_version": __version__, "model_class": cls,
            "architecture": model.config(),  # type: ignore[operator]
            "preprocessing": prep.to_dict() if prep is not None else None,
            "state_dict": state, "checksum": weights_checksum(state), "training": training,
            "meta": meta}


def save_checkpoint(model: nn.Module, path, training: Optional[dict] = None,
                    meta: Optional[dict] = None) -> str:
    """Write ``model``'s self-describing checkpoint to ``path`` atomically; returns the path."""
    return atomic_save(checkpoint_dict(model, training, meta), path)


# ---------------------------------------------------------------------------- loading
def read_checkpoint(source, what: str = "checkpoint", map_location: Any = "cpu") -> dict:
    """A checkpoint as the dict :func:`checkpoint_dict` makes, verified (checksum, format).

    ``source``: a path or an already loaded object. Bare hdnet state dicts are wrapped into
    that form (``checksum`` None); the authors' original checkpoint comes back as
    ``{"format": "original-hdnet", "state_dict": ...}``.
    """
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<dict>"
    obj = torch_load(source, what, map_location) if isinstance(source, (str, os.PathLike)) else source
    if not isinstance(obj, dict):
        raise CheckpointError(f"{what}: {name!r} holds a {type(obj).__name__}, not a checkpoint")
    if obj.get("format") == FORMAT:
        missing = [k for k in ("model_class", "architecture", "state_dict", "checksum") if k not in obj]
        if missing:
            raise CheckpointError(f"{what}: {name!r} lacks {missing}")
        if not isinstance(obj["architecture"], dict) or not isinstance(obj["state_dict"], dict):
            raise CheckpointError(f"{what}: {name!r} has a malformed architecture or state_dict")
        if int(obj.get("version", 0)) > VERSION:
            raise CheckpointError(f"{what}: {name!r} is format version {obj.get('version')}; this "
                                  f"hdnet reads up to {VERSION} (upgrade hdnet)")
        if obj["checksum"] != weights_checksum(obj["state_dict"]):
            raise CheckpointError(f"{what}: {name!r} is corrupt: its weights do not match the "
                                  "checksum stored with them")
        return obj
    extra = obj.get("_extra_state")
    if isinstance(extra, dict) and "architecture" in extra:  # torch.save(model.state_dict())
        return {"format": FORMAT, "version": VERSION, "model_class": extra.get("model_class", "HDNet"),
                "architecture": extra["architecture"], "preprocessing": extra.get("preprocessing"),
                "state_dict": obj, "checksum": None, "training": None, "meta": None}
    state = obj.get("model", obj)
    if isinstance(state, dict) and any(str(k).removeprefix("module.").startswith("fpn.") for k in state):
        return {"format": "original-hdnet", "state_dict": state}
    raise CheckpointError(f"{what}: {name!r} is neither an hdnet checkpoint, an hdnet state_dict, "
                          "nor an original HDNet checkpoint")


def load_model(source, map_location: Any = "cpu", with_checkpoint: bool = False) -> Any:
    """The model a checkpoint describes, weights loaded, in eval mode, with its
    ``preprocessing``. With ``with_checkpoint``, ``(model, checkpoint dict)``."""
    ckpt = read_checkpoint(source, "checkpoint", map_location)
    if ckpt["format"] == "original-hdnet":
        from .hdnet import HDNet
        model: nn.Module = HDNet.from_original_checkpoint(ckpt["state_dict"])
    else:
        classes = _model_classes()
        cls_name = ckpt["model_class"]
        if cls_name not in classes:
            raise CheckpointError(f"checkpoint: model class {cls_name!r} is unknown; known: "
                                  f"{sorted(classes)}")
        prep = ckpt.get("preprocessing")
        builder: Callable[..., nn.Module] = classes[cls_name].from_config  # type: ignore[attr-defined]
        try:
            model = builder(ckpt["architecture"],
                            Preprocessing.from_dict(prep) if prep is not None else None)
        except (TypeError, ValueError, KeyError) as e:
            if isinstance(e, CheckpointError):
                raise
            raise CheckpointError(f"checkpoint: its architecture cannot be built: {e}") from None
        try:
            model.load_state_dict(ckpt["state_dict"], strict=True)
        except RuntimeError as e:
            raise CheckpointError(f"checkpoint: the weights do not match the stored architecture: "
                                  f"{str(e).splitlines()[0]} ...") from None
    model = model.to(map_location) if map_location is not None else model
    model.eval()
    return (model, ckpt) if with_checkpoint else model
