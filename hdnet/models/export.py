"""ONNX export: the reference HDNet (a fixed number of images, any number of people), and any
model that describes its own export (``onnx_signature``, e.g. the keypoint model).

An exported file describes itself, as a checkpoint does: :func:`export_onnx` writes the model's
class, architecture, calibration constants, preprocessing and what each input and output holds
into the ONNX file's metadata (``metadata_props``, keys starting ``hdnet.``), which
:func:`read_onnx_metadata` (and ``hdnet info FILE.onnx``) reads back, and onnxruntime shows as
``InferenceSession(...).get_modelmeta().custom_metadata_map``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional, Union

import torch
from torch import Tensor, nn

from ..core.version import __version__
from ..data.batch import ImageBatch

__all__ = ["export_onnx", "ExportWrapper", "OUTPUT_NAMES", "INPUT_NAMES", "onnx_metadata", "read_onnx_metadata",
           "check_onnx", "METADATA_PREFIX"]

INPUT_NAMES = ["images", "coord_map", "masks", "batch", "focal"]
OUTPUT_NAMES = ["heatmap", "pose", "bin_probs", "bin_index", "depth_mm", "depth_std_mm"]

#: What the reference HDNet's exported inputs and outputs hold (its ``hdnet.signature``).
_HDNET_SIGNATURE = {
    "inputs": {"images": "[N, 3, S, S] float32, normalised as hdnet.preprocessing says",
               "coord_map": "[N, 2, S/4, S/4] each feature cell's normalised camera coordinates",
               "masks": "[P, S/4, S/4] bool, each person's cells", "batch": "[P] int64, each person's image",
               "focal": "[P, 2] each person's focal length in the input's pixels"},
    "outputs": {"heatmap": "[P, J, S/4, S/4] each joint's probabilities over the person's cells",
                "pose": "[P, J, 2] each joint's expected position, in coord_map's coordinates",
                "bin_probs": "[P, bins] the depth bins' probabilities",
                "bin_index": "[P] the expected bin (fractional)", "depth_mm": "[P] the root's depth (mm)",
                "depth_std_mm": "[P] its standard deviation (mm)"},
}

#: The prefix of every metadata entry :func:`export_onnx` writes.
METADATA_PREFIX = "hdnet."
#: The entries :func:`onnx_metadata` writes as JSON objects.
_STRUCTURED = ("architecture", "data", "preprocessing", "signature")


class ExportWrapper(nn.Module):
    """HDNet with positional inputs (the fields of an :class:`~hdnet.data.ImageBatch`) and a
    tuple of outputs (what exporters want).

    Inputs: ``images [N, 3, H, W]``, ``coord_map [N, 2, h, w]``, ``masks [P, h, w]`` (bool),
    ``batch [P]`` (int64), ``focal [P, 2]``. Outputs in :data:`OUTPUT_NAMES` order.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.eval()

    def forward(self, images: Tensor, coord_map: Tensor, masks: Tensor, batch: Tensor, focal: Tensor):
        out = self.model(ImageBatch(images, coord_map, masks, batch, focal))
        return tuple(getattr(out, k) for k in OUTPUT_NAMES)


def onnx_metadata(model: nn.Module, **options) -> Dict[str, str]:
    """The ``hdnet.*`` metadata :func:`export_onnx` writes for ``model`` (exported with
    ``options``, e.g. ``format="coco_17"``), each value a string (JSON for the structured ones):
    ``hdnet.version``, ``hdnet.model_class``, ``hdnet.architecture``, ``hdnet.data`` (the
    constants that travel with the weights: the keypoint model's reference height, say),
    ``hdnet.preprocessing`` (where the model takes images) and ``hdnet.signature`` (what each
    input and output holds; a model's ``onnx_description(**options)`` where it has one).

    >>> from hdnet.keypoint import KeypointHDNet
    >>> meta = onnx_metadata(KeypointHDNet(("coco_17",), channels=8, width=16, blocks=0), format="coco_17")
    >>> json.loads(meta["hdnet.signature"])["input_joints"][:3]
    ['nose', 'l_eye', 'r_eye']
    """
    from ..core.checkpoint import Checkpointable, plain_data
    out = {"hdnet.version": __version__, "hdnet.model_class": type(model).__name__}
    if isinstance(model, Checkpointable):
        out["hdnet.architecture"] = json.dumps(plain_data(model.config()))
        out["hdnet.data"] = json.dumps(plain_data(model.checkpoint_data()))
        prep = model.preprocessing_dict()
        if prep is not None:
            out["hdnet.preprocessing"] = json.dumps(plain_data(prep))
    describe = getattr(model, "onnx_description", None)
    out["hdnet.signature"] = json.dumps(describe(**options) if describe is not None else _HDNET_SIGNATURE)
    return out


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs onnx and onnxscript: pip install \"hdnet[onnx]\"") from None
    return onnx


def _write_metadata(path: str, entries: Mapping[str, str]) -> None:
    """Add ``entries`` to the metadata of the ONNX file at ``path`` (its weights' sidecar is left
    as it is: the graph is read without it and written back referring to it)."""
    onnx = _require_onnx()
    graph = onnx.load(path, load_external_data=False)
    kept = [(e.key, e.value) for e in graph.metadata_props if e.key not in entries]
    del graph.metadata_props[:]
    for key, value in [*kept, *entries.items()]:
        entry = graph.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(graph, path)


def read_onnx_metadata(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """What an ONNX file says of itself (its weights are not read): ``{"file", "producer",
    "opset", "inputs": {name: shape}, "outputs": {name: shape}, "weights_file" (its sidecar,
    None where the weights are inside), "hdnet": {key without the prefix: value}}`` with the JSON
    values decoded; ``hdnet`` is empty for a file hdnet did not write.

    Raises:
        FileNotFoundError: no file. ValueError: not an ONNX file, or hdnet's entries damaged
            (naming it).
    """
    onnx = _require_onnx()
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"onnx: no file at {p!r}")
    try:
        graph = onnx.load(p, load_external_data=False)
    except Exception as e:  # the protobuf decoder's own errors: not an ONNX file
        raise ValueError(f"onnx: {p!r} is not an ONNX file ({type(e).__name__})") from None
    if not graph.graph.node and not graph.graph.output:
        raise ValueError(f"onnx: {p!r} is not an ONNX file (no graph)")

    def shape(value) -> list:
        dims = value.type.tensor_type.shape.dim
        return [d.dim_param if d.dim_param else d.dim_value for d in dims]

    sidecars = {x.value for t in graph.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL
                for x in t.external_data if x.key == "location"}
    hdnet: Dict[str, Any] = {}
    for entry in graph.metadata_props:
        key, value = entry.key, entry.value
        if not (isinstance(key, str) and isinstance(value, str) and key.startswith(METADATA_PREFIX)):
            continue  # another tool's entry, or text that is not UTF-8 (a damaged file)
        key = key[len(METADATA_PREFIX):]
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = value
        if key in _STRUCTURED and not isinstance(decoded, dict):
            raise ValueError(f"onnx: {p!r}: its hdnet.{key} is not what hdnet writes (an object); damaged?")
        hdnet[key] = decoded
    return {"file": p, "producer": f"{graph.producer_name} {graph.producer_version}".strip(),
            "opset": max((o.version for o in graph.opset_import if o.domain in ("", "ai.onnx")), default=None),
            "inputs": {v.name: shape(v) for v in graph.graph.input},
            "outputs": {v.name: shape(v) for v in graph.graph.output},
            "weights_file": sorted(sidecars)[0] if len(sidecars) == 1 else sorted(sidecars) or None,
            "hdnet": hdnet}


def export_onnx(model: nn.Module, path: Union[str, os.PathLike], input_size: int = 256,
                num_images: int = 1, num_people: int = 1, dynamic_people: bool = True,
                metadata: Optional[Mapping[str, Any]] = None, **options) -> str:
    """Export ``model`` to ONNX with ``torch.onnx.export(dynamo=True)`` (in eval mode; the
    model's own mode is restored afterwards).

    ``num_images`` images of ``input_size`` squared. With ``dynamic_people`` (default) the
    number of people is a dynamic axis (``masks``, ``batch``, ``focal`` and every output), so one
    file serves any number of people from 1 to 4096; ``num_people`` is then
    only the example traced. While exporting, the skeleton GNN runs on the batched
    ``edge_index`` (sparse tensors do not trace) and the pooling gathers each person's feature
    maps; both are equal to the eager paths (tested).

    A model with an ``onnx_signature(num_people, dynamic_people, **options)`` method (the
    keypoint model: ``format=``) exports what that returns instead: ``(module, example inputs,
    input names, output names, dynamic shapes)``; ``input_size`` and ``num_images`` do not apply.

    The weights go to a sidecar file ``<path>.data`` beside the graph (the ONNX external-data
    format): keep the two together; onnxruntime finds the sidecar by its name. The file's
    metadata describes the model (:func:`onnx_metadata`), with ``metadata`` added as
    ``hdnet.<key>`` entries (strings as they are, anything else as JSON: a checkpoint's licence,
    say). Returns the path written.
    """
    _require_onnx()
    extra = {f"{METADATA_PREFIX}{k}": v if isinstance(v, str) else json.dumps(v) for k, v in (metadata or {}).items()}
    signature = getattr(model, "onnx_signature", None)
    if signature is not None:  # a model that says what it takes (the keypoint model)
        written = _export_signature(model, lambda: signature(num_people=num_people, dynamic_people=dynamic_people,
                                                             **options), path)
        _write_metadata(written, {**onnx_metadata(model, **options), **extra})
        return written
    if options:
        raise TypeError(f"export_onnx: {sorted(options)} apply only to models with an onnx_signature")
    if input_size % 32:
        raise ValueError(f"input_size: expected a multiple of 32, got {input_size}")
    if num_people < 1 or num_images < 1:
        raise ValueError(f"num_images, num_people: expected >= 1, got {(num_images, num_people)}")
    was_training = model.training
    model.eval()
    h = input_size // 4
    people = max(num_people, 2) if dynamic_people else num_people  # 1 would be specialised
    mask = torch.zeros(people, h, h, dtype=torch.bool)
    mask[:, h // 4: 3 * h // 4, h // 4: 3 * h // 4] = True
    args = (torch.zeros(num_images, 3, input_size, input_size), torch.zeros(num_images, 2, h, h),
            mask, torch.arange(people) % num_images, torch.full((people, 2), 1000.0))
    dynamic: Optional[tuple] = None
    if dynamic_people:
        p = torch.export.Dim("people", min=1, max=4096)
        dynamic = ({}, {}, {0: p}, {0: p}, {0: p})
    try:
        torch.onnx.export(ExportWrapper(model), args, os.fspath(path), dynamo=True, verbose=False,
                          input_names=INPUT_NAMES, output_names=OUTPUT_NAMES, dynamic_shapes=dynamic)
    finally:
        model.train(was_training)
    described = onnx_metadata(model)
    if "hdnet.preprocessing" in described:  # the size this file takes, where it is not the checkpoint's
        described["hdnet.preprocessing"] = json.dumps({**json.loads(described["hdnet.preprocessing"]),
                                                       "input_size": input_size})
    _write_metadata(os.fspath(path), {**described, **extra})
    return os.fspath(path)


def _export_signature(model: nn.Module, signature, path) -> str:
    was_training = model.training
    try:
        module, args, input_names, output_names, dynamic = signature()
        module.eval()
        torch.onnx.export(module, args, os.fspath(path), dynamo=True, verbose=False, input_names=list(input_names),
                          output_names=list(output_names), dynamic_shapes=dynamic)
    finally:
        model.train(was_training)
    return os.fspath(path)


def _example_inputs(model: nn.Module, input_size: int = 256, num_images: int = 1, **options) -> Dict[str, Tensor]:
    """Random but valid inputs of the file :func:`export_onnx` writes (a model's own
    ``onnx_example(**options)`` where it has one): two people for the reference HDNet."""
    make = getattr(model, "onnx_example", None)
    if make is not None:
        return make(**options)
    g = torch.Generator().manual_seed(0)
    h = input_size // 4
    masks = torch.zeros(2, h, h, dtype=torch.bool)
    masks[0, : h // 2, : h // 2] = masks[1, h // 4:, h // 3:] = True
    return {"images": torch.randn(num_images, 3, input_size, input_size, generator=g),
            "coord_map": torch.randn(num_images, 2, h, h, generator=g) * 0.3, "masks": masks,
            "batch": torch.tensor([0, num_images - 1]), "focal": torch.tensor([[1000.0, 1000.0], [1200.0, 1210.0]])}


def check_onnx(model: nn.Module, path: Union[str, os.PathLike], **options) -> Dict[str, Any]:
    """Run the file :func:`export_onnx` wrote for ``model`` (with the same ``options``) in
    onnxruntime on random valid inputs and compare with torch: ``{"people", "worst"}``, the
    largest difference of any output relative to that output's largest magnitude (the model's
    mode is restored).

    Raises:
        ImportError: onnxruntime is not installed (``pip install "hdnet[onnx]"``).
    """
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("checking an ONNX file needs onnxruntime: pip install \"hdnet[onnx]\"") from None
    inputs = _example_inputs(model, **options)
    signature = getattr(model, "onnx_signature", None)
    was_training = model.training
    module = signature(**{k: v for k, v in options.items() if k not in ("input_size", "num_images")})[0] \
        if signature is not None else ExportWrapper(model)
    try:
        module.eval()
        with torch.no_grad():
            expected = [t.numpy() for t in module(*inputs.values())]
    finally:
        model.train(was_training)
    session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {i.name: inputs[i.name].numpy() for i in session.get_inputs()})
    worst = max(float(abs(a - e).max() / max(abs(e).max(), 1e-9)) for a, e in zip(got, expected, strict=True))
    return {"people": len(expected[-1]), "worst": worst}
