"""ONNX export: the reference HDNet (a fixed number of images, any number of people), and any
model that describes its own export (``onnx_signature``, e.g. the keypoint model)."""

from __future__ import annotations

import os
from typing import Optional, Union

import torch
from torch import Tensor, nn

from ..data.batch import ImageBatch

__all__ = ["export_onnx", "ExportWrapper", "OUTPUT_NAMES", "INPUT_NAMES"]

INPUT_NAMES = ["images", "coord_map", "masks", "batch", "focal"]
OUTPUT_NAMES = ["heatmap", "pose", "bin_probs", "bin_index", "depth_mm", "depth_std_mm"]


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


def export_onnx(model: nn.Module, path: Union[str, os.PathLike], input_size: int = 256,
                num_images: int = 1, num_people: int = 1, dynamic_people: bool = True, **options) -> str:
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
    format): keep the two together; onnxruntime finds the sidecar by its name. Returns the
    path written.
    """
    signature = getattr(model, "onnx_signature", None)
    if signature is not None:  # a model that says what it takes (the keypoint model)
        return _export_signature(model, lambda: signature(num_people=num_people, dynamic_people=dynamic_people,
                                                          **options), path)
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
        torch.onnx.export(ExportWrapper(model), args, os.fspath(path), dynamo=True,
                          input_names=INPUT_NAMES, output_names=OUTPUT_NAMES, dynamic_shapes=dynamic)
    finally:
        model.train(was_training)
    return os.fspath(path)


def _export_signature(model: nn.Module, signature, path) -> str:
    was_training = model.training
    try:
        module, args, input_names, output_names, dynamic = signature()
        module.eval()
        torch.onnx.export(module, args, os.fspath(path), dynamo=True, input_names=list(input_names),
                          output_names=list(output_names), dynamic_shapes=dynamic)
    finally:
        model.train(was_training)
    return os.fspath(path)
