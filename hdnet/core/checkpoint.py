"""Self-describing checkpoints: the one way hdnet saves and loads models, and the base class
that makes a module checkpointable.

A checkpoint is a ``torch.save`` file holding only plain data and tensors, so it loads with
``torch.load(..., weights_only=True)`` and can never run code:

.. code-block:: text

    {"format": "hdnet-checkpoint", "version": 2, "hdnet_version": "0.2.0",
     "model_class": "HDNet",           # a class registered in MODELS
     "architecture": {...},            # model.config(): everything that defines the shapes
     "preprocessing": {...} | None,    # how inputs are made (image models)
     "data": {...},                    # plain values that travel with the weights
     "state_dict": {...},              # the weights
     "training": {...} | None,         # optimiser, schedule, RNG, step, config (resume)
     "meta": {...} | None,             # anything plain the writer adds
     "checksum": "sha256:..."}         # over everything above, verified on load

Loading is bounded: a zip archive whose records are compressed or claim more bytes than the
file holds is refused before anything is read; tensors are memory-mapped, not read; the stored
architecture is checked against the class's limits and, built on the ``meta`` device (which
allocates nothing), against the stored tensors' shapes before the model is built for real.
Non-finite weights are refused with the tensor's name.

Any ``nn.Module`` that mixes in :class:`Checkpointable` (``config()``, ``from_config()``) and is
registered with :func:`register_model` gets ``save`` / ``from_checkpoint`` and describes itself
in its own ``state_dict()``.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import zipfile
from typing import Any, Callable, ClassVar, Dict, Optional, Sequence, Tuple, Type, TypeVar

import torch
from torch import nn

from .files import atomic_write
from .registry import Registry
from .version import __version__

__all__ = ["CheckpointError", "Checkpointable", "MODELS", "FOREIGN_FORMATS", "register_model", "save_checkpoint",
           "load_model", "read_checkpoint", "describe_checkpoint", "pretrained_request", "checkpoint_dict", "checksum",
           "torch_load", "check_same_architecture", "plain_data", "FORMAT", "VERSION", "MAX_CONFIG_INT"]

FORMAT = "hdnet-checkpoint"
VERSION = 2
#: No integer in a stored architecture may exceed this (channels, layers, bins...).
MAX_CONFIG_INT = 65536

M = TypeVar("M", bound=nn.Module)


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, is corrupt, is refused, or does not fit the model."""


#: Checkpointable classes by name (what a checkpoint's ``model_class`` is looked up in).
MODELS: Registry[type] = Registry("model class",
                                  hint="register yours with hdnet.core.checkpoint.register_model(cls)")

#: Files in other projects' formats: ``name -> recognise(obj) -> model or None``, tried in
#: order on anything that is not an hdnet checkpoint (``hdnet.models`` adds the authors' HDNet).
FOREIGN_FORMATS: Registry[Callable[[dict], Optional[nn.Module]]] = Registry("checkpoint format")


def register_model(cls: Type[M]) -> Type[M]:
    """Let checkpoints name ``cls`` (a :class:`Checkpointable` ``nn.Module``). Usable as a class
    decorator. Registering the same class again does nothing."""
    if not (isinstance(cls, type) and issubclass(cls, nn.Module) and issubclass(cls, Checkpointable)):
        raise TypeError(f"cls: expected an nn.Module subclass of Checkpointable, got {cls!r}")
    return MODELS.register(cls.__name__, cls, overwrite=True)


# ---------------------------------------------------------------------------- the checksum
def _digest(obj: Any, h) -> None:
    if torch.is_tensor(obj):
        t = obj.detach().to("cpu").contiguous()
        h.update(b"T" + str(t.dtype).encode() + str(tuple(t.shape)).encode())
        if t.numel():
            h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(obj, dict):
        h.update(b"{%d" % len(obj))
        for key in sorted(obj, key=lambda k: (type(k).__name__, repr(k))):
            _digest(key, h)
            _digest(obj[key], h)
    elif isinstance(obj, (list, tuple)):
        h.update(b"[%d" % len(obj))
        for item in obj:
            _digest(item, h)
    elif obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(type(obj).__name__.encode() + b":" + repr(obj).encode() + b";")
    else:  # torch.dtype, torch.Size ...: their repr is exact
        h.update(b"?" + type(obj).__name__.encode() + b":" + repr(obj).encode() + b";")


def checksum(checkpoint: Dict[str, Any]) -> str:
    """``"sha256:<hex>"`` over every entry of a checkpoint dict but ``checksum`` itself: every
    tensor's dtype, shape and bytes and every plain value, in a fixed order."""
    h = hashlib.sha256()
    _digest({k: v for k, v in checkpoint.items() if k != "checksum"}, h)
    return "sha256:" + h.hexdigest()


def pretrained_request(source: str) -> Optional[Dict[str, str]]:
    """How ``--init`` and ``--checkpoint`` name shipped weights, as the keyword arguments of a
    model class's ``pretrained``: ``"pretrained"`` -> ``{}`` (its default weights),
    ``"pretrained:NAME"`` -> ``{"weights": NAME}``; anything else (a checkpoint file) -> None."""
    if source == "pretrained":
        return {}
    if source.startswith("pretrained:"):
        return {"weights": source.partition(":")[2]}
    return None


# ---------------------------------------------------------------------------- the base class
def _flat(config: Any, prefix: str = "") -> Dict[str, Any]:
    """``{"bins.num_bins": 61, ...}``: the leaves of nested dicts (lists kept whole)."""
    if not isinstance(config, dict):
        return {prefix: config}
    out: Dict[str, Any] = {}
    for k, v in config.items():
        out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


class Checkpointable:
    """The checkpoint half of an hdnet module: mix into an ``nn.Module`` and implement
    :meth:`config` and :meth:`from_config`.

    The module then describes itself in its ``state_dict()`` (``_extra_state``: class,
    architecture, preprocessing and :meth:`checkpoint_data`), so loading weights of another
    architecture is an error naming every difference, and gets :meth:`save` and
    :meth:`from_checkpoint`. ``config_limits`` bounds architecture values (``{"channels": (1,
    4096)}``, dotted paths for nested entries) before anything is built from a file;
    ``weightless_config`` names the settings that may differ when weights are loaded.
    """

    config_limits: ClassVar[Dict[str, Tuple[float, float]]] = {}
    #: :meth:`config` keys that shape no weight (dropout, say): weights load into a model that
    #: differs from theirs only there (a fine-tune that changes the dropout).
    weightless_config: ClassVar[Tuple[str, ...]] = ()
    #: :meth:`config` keys added after checkpoints were written, with the value a checkpoint
    #: without them means (``{"scale_input": False}``); other missing keys are not compared.
    config_defaults: ClassVar[Dict[str, Any]] = {}

    # ------------------------------------------------------------------ to implement
    def config(self) -> dict:
        """What defines the architecture, as plain data (stored, and compared on load)."""
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict, preprocessing: Optional[dict] = None):
        """The architecture :meth:`config` describes, weights random."""
        raise NotImplementedError

    def checkpoint_data(self) -> dict:
        """Plain values that travel with the weights but do not define shapes (calibration
        constants, say). Default: none."""
        return {}

    def load_checkpoint_data(self, data: dict) -> None:
        """Take back what :meth:`checkpoint_data` gave."""

    def load_weights_from(self, other: "Checkpointable") -> None:
        """Start from the weights of ``other``, a model of the same class (``hdnet train
        --init``). Default: its whole state, the architecture equal but for
        :attr:`weightless_config`; a class that can grow an architecture from a smaller one
        (an added input, say) says how here."""
        self.load_state_dict(other.state_dict())  # type: ignore[attr-defined]

    def preprocessing_dict(self) -> Optional[dict]:
        """The input preprocessing as plain data (None: the module takes no images)."""
        prep = getattr(self, "preprocessing", None)
        return prep.to_dict() if prep is not None else None

    def load_preprocessing(self, data: Optional[dict]) -> None:
        """Take back what :meth:`preprocessing_dict` gave."""

    # ------------------------------------------------------------------ in the state dict
    def get_extra_state(self) -> dict:
        return {"model_class": type(self).__name__, "architecture": self.config(),
                "preprocessing": self.preprocessing_dict(), "data": self.checkpoint_data()}

    def set_extra_state(self, state) -> None:
        if not isinstance(state, dict) or not isinstance(state.get("architecture"), dict):
            raise CheckpointError(f"state_dict: '_extra_state' does not describe a {type(self).__name__}")
        check_same_architecture(state["architecture"], self.config(), ignore=type(self).weightless_config,
                                defaults=type(self).config_defaults)
        if state.get("preprocessing") is not None:
            self.load_preprocessing(state["preprocessing"])
        data = state.get("data") or {}
        if not isinstance(data, dict):
            raise CheckpointError(f"state_dict: the {type(self).__name__}'s stored data is not a mapping")
        self.load_checkpoint_data(data)

    # ------------------------------------------------------------------ files
    def save(self, path, *, half: bool = False, **meta) -> str:
        """Write a self-describing checkpoint (see :mod:`hdnet.core.checkpoint`); ``meta``: plain
        data to store beside it; ``half``: store floating-point weights as float16 (half the
        file; loading casts them back to the model's dtype). Returns the path."""
        return save_checkpoint(self, path, meta=meta or None, half=half)  # type: ignore[arg-type]

    @classmethod
    def from_checkpoint(cls, path, map_location: Any = "cpu"):
        """The model a checkpoint holds, weights loaded, in eval mode (it must be a ``cls``)."""
        model = load_model(path, map_location=map_location)
        if not isinstance(model, cls):
            raise CheckpointError(f"checkpoint: {os.fspath(path)!r} holds a {type(model).__name__}, "
                                  f"not a {cls.__name__}")
        return model

    @classmethod
    def check_config(cls, config: dict, what: str = "architecture") -> None:
        """Refuse a stored architecture outside :attr:`config_limits`, or holding an integer
        above :data:`MAX_CONFIG_INT`, before anything is built from it."""
        flat = _flat(config)
        for key, value in flat.items():
            if key.split(".")[0] == "skeleton":
                continue
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_CONFIG_INT:
                raise CheckpointError(f"{what}: {key} = {value} is beyond any hdnet model (at most {MAX_CONFIG_INT})")
        for key, (low, high) in cls.config_limits.items():
            if key not in flat:
                continue
            v = flat[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise CheckpointError(f"{what}: {key} must be a number, got {v!r}")
            if not low <= v <= high:
                raise CheckpointError(f"{what}: {key} = {v} is outside [{low:g}, {high:g}]")


# ---------------------------------------------------------------------------- comparing
def _describe(value: Any) -> str:
    if isinstance(value, dict) and "joints" in value:
        return f"skeleton {value.get('name')!r} ({len(value['joints'])} joints)"
    return repr(value)


def _same_skeleton(a: dict, b: dict) -> bool:
    def norm(d):
        bones = sorted(tuple(sorted(map(int, x))) for x in d.get("bones", []))
        flips = sorted(tuple(sorted(map(int, x))) for x in d.get("flip_pairs") or [])
        return list(d.get("joints", [])), bones, int(d.get("root", -1)), flips
    try:
        return norm(a) == norm(b)
    except (TypeError, ValueError):
        return False


def check_same_architecture(stored: dict, own: dict, what: str = "state_dict", ignore: Sequence[str] = (),
                            defaults: Optional[Dict[str, Any]] = None) -> None:
    """Raise :class:`CheckpointError` naming every difference between two ``config()`` dicts,
    except in the keys ``ignore`` (settings that shape no weight). A key the stored dict lacks
    (newer than the checkpoint) compares as its value in ``defaults``, else not at all."""
    diffs = []
    defaults = defaults or {}
    for key in sorted(set(stored) | set(own)):
        if key in ignore or (key not in stored and key not in defaults):  # weightless, or newer than the checkpoint
            continue
        a, b = stored.get(key, defaults.get(key)), own.get(key)
        if key == "skeleton" and isinstance(a, dict) and isinstance(b, dict):
            if _same_skeleton(a, b):
                continue
            if list(a.get("joints", [])) != list(b.get("joints", [])):
                diffs.append(f"skeleton: weights for {_describe(a)} with joints {list(a.get('joints', []))}, "
                             f"model has {_describe(b)} with joints {list(b['joints'])}")
            else:
                diffs.append(f"skeleton: weights for {_describe(a)}, model has {_describe(b)} "
                             "(same joints, different bones, root or flip pairs)")
        elif a != b:
            diffs.append(f"{key}: weights have {_describe(a)}, model has {_describe(b)}")
    if diffs:
        raise CheckpointError(f"{what}: the weights are for another architecture: " + "; ".join(diffs))


# ---------------------------------------------------------------------------- writing
def checkpoint_dict(model: nn.Module, training: Optional[dict] = None, meta: Optional[dict] = None,
                    half: bool = False) -> dict:
    """The checkpoint of ``model`` as a dict (what :func:`save_checkpoint` writes); ``half``
    stores floating-point weights as float16."""
    cls = type(model).__name__
    if MODELS._lookup(cls) is not type(model):
        raise TypeError(f"model: {cls} is not a registered checkpointable class; register it with "
                        "hdnet.core.checkpoint.register_model")
    assert isinstance(model, Checkpointable)
    state = dict(model.state_dict())
    if half:
        state = {k: v.half() if torch.is_tensor(v) and v.is_floating_point() else v for k, v in state.items()}
    for key, value in state.items():
        if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"checkpoint: refusing to save non-finite weights ({key!r} has NaN or inf"
                                  f"{', or values beyond float16' if half else ''})")
    ckpt = {"format": FORMAT, "version": VERSION, "hdnet_version": __version__, "model_class": cls,
            "architecture": model.config(), "preprocessing": model.preprocessing_dict(),
            "data": model.checkpoint_data(), "state_dict": state, "training": training, "meta": meta}
    ckpt["checksum"] = checksum(ckpt)
    return ckpt


def save_checkpoint(model: nn.Module, path, training: Optional[dict] = None, meta: Optional[dict] = None,
                    half: bool = False) -> str:
    """Write ``model``'s self-describing checkpoint to ``path`` atomically; returns the path
    (``half``: floating-point weights as float16)."""
    ckpt = checkpoint_dict(model, training, meta, half)
    return atomic_write(path, lambda f: torch.save(ckpt, f), "checkpoint")


# ---------------------------------------------------------------------------- reading files
def _check_archive(path: str, what: str) -> bool:
    """Refuse a zip archive whose records could unpack to more than the file holds. Returns
    whether the file is a zip archive (torch's format since 1.6) at all."""
    if not zipfile.is_zipfile(path):
        return False
    size = os.path.getsize(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise CheckpointError(f"{what}: {path!r} is not a readable checkpoint ({e})") from None
    if len(infos) > 1_000_000:
        raise CheckpointError(f"{what}: {path!r} holds {len(infos)} records; refused")
    for info in infos:
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"{what}: {path!r} refused: record {info.filename!r} is compressed "
                                  "(torch.save never compresses; a compressed record can unpack to "
                                  "far more than the file holds)")
    total = sum(i.file_size for i in infos)
    if total > size:
        raise CheckpointError(f"{what}: {path!r} refused: its records claim {total} bytes, more than the "
                              f"file's {size}")
    return True


def torch_load(path, what: str, map_location: Any = "cpu") -> Any:
    """``torch.load(path, weights_only=True)``, bounded (see the module docstring), with errors
    a user can act on: a missing file, a file that is not a checkpoint, and a file that would
    need code to unpickle (refused)."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no checkpoint at {p!r}")
    is_zip = _check_archive(p, what)
    try:
        return torch.load(p, map_location=map_location, weights_only=True, mmap=is_zip)
    except pickle.UnpicklingError as e:
        detail = next((line.strip() for line in str(e).splitlines()
                       if "GLOBAL" in line or "global" in line.lower()), "")
        if detail:
            raise CheckpointError(f"{what}: {p!r} refused: it holds Python objects that would run "
                                  f"code when loaded, and hdnet loads checkpoints as data only "
                                  f"(weights_only=True): {detail}") from None
        raise CheckpointError(f"{what}: {p!r} is not a readable checkpoint (not a torch.save file, or "
                              "truncated)") from None
    except MemoryError:
        raise CheckpointError(f"{what}: {p!r} asks for more memory than there is; refused") from None
    except Exception as e:  # truncated, foreign or corrupt archive
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise CheckpointError(f"{what}: {p!r} is not a readable checkpoint "
                              f"({type(e).__name__}{': ' + msg if msg else ''})") from None


_FIELDS: Dict[str, tuple] = {"model_class": (str,), "architecture": (dict,), "preprocessing": (dict, type(None)),
                             "data": (dict, type(None)), "state_dict": (dict,), "training": (dict, type(None)),
                             "meta": (dict, type(None)), "checksum": (str,)}


def read_checkpoint(source, what: str = "checkpoint", map_location: Any = "cpu") -> dict:
    """A checkpoint as the dict :func:`checkpoint_dict` makes, verified: its fields and their
    types, the format version and the checksum. ``source``: a path or an already loaded object.
    A bare hdnet ``state_dict`` is wrapped into that form (``checksum`` None: nothing to verify);
    anything else comes back as ``{"format": "foreign", "object": obj}``."""
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<dict>"
    obj = torch_load(source, what, map_location) if isinstance(source, (str, os.PathLike)) else source
    if not isinstance(obj, dict):
        raise CheckpointError(f"{what}: {name!r} holds a {type(obj).__name__}, not a checkpoint")
    if obj.get("format") == FORMAT:
        version = obj.get("version")
        if isinstance(version, bool) or not isinstance(version, int):
            raise CheckpointError(f"{what}: {name!r} has no valid format version (got {version!r})")
        if version > VERSION:
            raise CheckpointError(f"{what}: {name!r} is format version {version}; this hdnet reads up to "
                                  f"{VERSION} (upgrade hdnet)")
        if version < VERSION:
            raise CheckpointError(f"{what}: {name!r} is format version {version}, written by hdnet 0.1, "
                                  f"whose architectures this hdnet no longer builds (it reads version {VERSION})")
        missing = [k for k in _FIELDS if k not in obj]
        if missing:
            raise CheckpointError(f"{what}: {name!r} lacks {missing}")
        for key, types in _FIELDS.items():
            if not isinstance(obj[key], types):
                raise CheckpointError(f"{what}: {name!r} field {key!r} is a {type(obj[key]).__name__}")
        if obj["checksum"] != checksum(obj):
            raise CheckpointError(f"{what}: {name!r} is corrupt: its contents do not match the checksum "
                                  "stored with them")
        return obj
    extra = obj.get("_extra_state")
    if isinstance(extra, dict) and isinstance(extra.get("architecture"), dict):  # torch.save(m.state_dict())
        return {"format": FORMAT, "version": VERSION, "model_class": extra.get("model_class", ""),
                "architecture": extra["architecture"], "preprocessing": extra.get("preprocessing"),
                "data": extra.get("data") or {}, "state_dict": obj, "checksum": None, "training": None, "meta": None}
    return {"format": "foreign", "object": obj, "name": name}


def _tensor_shapes(state: dict) -> Dict[str, Tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items() if torch.is_tensor(v)}


def _check_finite(state: dict, what: str) -> None:
    for key, value in state.items():
        if torch.is_tensor(value) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise CheckpointError(f"{what}: weight {key!r} holds NaN or inf; refused")


def _build(cls, ckpt: dict, what: str) -> nn.Module:
    """The model class built from the stored architecture, checked against the stored tensors
    on the meta device (nothing allocated) before it is built for real."""
    arch, prep = ckpt["architecture"], ckpt.get("preprocessing")
    cls.check_config(arch, f"{what}: architecture")

    def make():
        try:
            return cls.from_config(arch, prep)
        except CheckpointError:
            raise
        except (TypeError, ValueError, KeyError, LookupError, AttributeError) as e:
            raise CheckpointError(f"{what}: its architecture cannot be built: {e}") from None
    with torch.device("meta"):
        shapes = _tensor_shapes(make().state_dict())
    stored = _tensor_shapes(ckpt["state_dict"])
    if shapes != stored:
        missing = sorted(set(shapes) - set(stored))[:5]
        extra = sorted(set(stored) - set(shapes))[:5]
        wrong = [f"{k} {stored[k]} vs {shapes[k]}" for k in sorted(set(shapes) & set(stored)) if shapes[k] != stored[k]][:5]
        raise CheckpointError(f"{what}: the weights do not match the stored architecture (missing {missing}, "
                              f"unexpected {extra}, shapes {wrong})")
    return make()


def load_model(source, map_location: Any = "cpu", with_checkpoint: bool = False) -> Any:
    """The model a checkpoint describes, weights loaded, in eval mode (with its preprocessing
    where it has one). With ``with_checkpoint``: ``(model, checkpoint dict)``.

    Raises:
        FileNotFoundError: no file. CheckpointError: unreadable, refused, corrupt, an unknown
            model class, or weights that do not fit the stored architecture.
    """
    what = "checkpoint"
    ckpt = read_checkpoint(source, what, map_location="cpu")
    if ckpt["format"] == "foreign":
        model = None
        for _, recognise in FOREIGN_FORMATS.items():
            model = recognise(ckpt["object"])
            if model is not None:
                break
        if model is None:
            raise CheckpointError(f"{what}: {ckpt['name']!r} is neither an hdnet checkpoint, an hdnet state_dict, "
                                  f"nor a known format ({', '.join(FOREIGN_FORMATS.names()) or 'none'})")
    else:
        try:
            cls = MODELS.get(ckpt["model_class"])
        except LookupError as e:
            raise CheckpointError(f"{what}: {e}") from None
        _check_finite(ckpt["state_dict"], what)
        extra = ckpt["state_dict"].get("_extra_state")
        if isinstance(extra, dict) and (extra.get("data") or {}) != (ckpt.get("data") or {}):
            raise CheckpointError(f"{what}: its data {ckpt.get('data')} disagree with the data its weights carry "
                                  f"{extra.get('data')}; refused (edited?)")
        model = _build(cls, ckpt, what)
        try:
            model.load_state_dict(ckpt["state_dict"], strict=True)
        except (RuntimeError, ValueError) as e:
            raise CheckpointError(f"{what}: the weights do not match the stored architecture: "
                                  f"{str(e).splitlines()[0]}") from None
    model = model.to(map_location) if map_location is not None else model
    model.eval()
    return (model, ckpt) if with_checkpoint else model


# ---------------------------------------------------------------------------- describing
#: The parts of a checkpoint's ``training`` entry that say what the run was (the optimiser's
#: state, the RNG states and the loss history are left out of a description).
_TRAINING_SUMMARY = ("epoch", "step", "seconds", "train_config")


def plain_data(value: Any) -> Any:
    """``value`` as JSON-able data: tensors become ``"tensor float32 [3, 4]"``."""
    if torch.is_tensor(value):
        return f"tensor {str(value.dtype).replace('torch.', '')} {list(value.shape)}"
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def describe_checkpoint(source) -> Dict[str, Any]:
    """What a checkpoint file holds, as plain data (JSON-able), after loading it as
    :func:`load_model` does (read as data only, verified, built):

    ``{"file", "bytes", "format", "model_class", "hdnet_version", "checksum", "parameters",
    "weights_dtype", "architecture", "preprocessing", "data", "training", "meta"}``;
    ``training`` keeps only ``epoch``, ``step``, ``seconds`` and ``train_config`` (None for a
    file saved without a run), ``format`` is ``"hdnet-checkpoint"``, ``"state_dict"`` (a bare
    hdnet ``state_dict``, nothing to verify) or ``"foreign"`` (e.g. the authors' HDNet file,
    converted on loading).

    Example:
        >>> from hdnet.keypoint.model import shipped_weights_path
        >>> info = describe_checkpoint(shipped_weights_path())
        >>> info["model_class"], info["meta"]["license"][:17]
        ('KeypointHDNet', 'research use only')

    Raises:
        FileNotFoundError, CheckpointError: as :func:`load_model`.
    """
    model, ckpt = load_model(source, with_checkpoint=True)
    path = os.fspath(source)
    foreign = ckpt.get("format") == "foreign"
    state = model.state_dict() if foreign else ckpt["state_dict"]
    dtypes = sorted({str(v.dtype).replace("torch.", "") for v in state.values()
                     if torch.is_tensor(v) and v.is_floating_point()})
    training = ckpt.get("training")
    return {
        "file": path, "bytes": os.path.getsize(path),
        "format": "foreign" if foreign else ("state_dict" if ckpt.get("checksum") is None else FORMAT),
        "model_class": type(model).__name__,
        "hdnet_version": None if foreign else ckpt.get("hdnet_version"),
        "checksum": None if foreign else ckpt.get("checksum"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "weights_dtype": dtypes[0] if len(dtypes) == 1 else dtypes,
        "architecture": plain_data(model.config()),
        "preprocessing": plain_data(model.preprocessing_dict()) if hasattr(model, "preprocessing_dict") else None,
        "data": plain_data(model.checkpoint_data()) if hasattr(model, "checkpoint_data") else {},
        "training": None if not training else plain_data({k: training[k] for k in _TRAINING_SUMMARY if k in training}),
        "meta": None if foreign else plain_data(ckpt.get("meta")),
    }
