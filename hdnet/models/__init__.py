"""The reference HDNet, its backbone, the authors' checkpoint, export and inference folding.

The checkpoint format and loader live in :mod:`hdnet.core.checkpoint`; the image model is
registered there here.
"""

from ..core.checkpoint import (
    FOREIGN_FORMATS,
    MODELS,
    CheckpointError,
    load_model,
    read_checkpoint,
    register_model,
    save_checkpoint,
)
from .backbone import BasicBlock, Bottleneck, ResNet, ResNetFPN
from .export import ExportWrapper, check_onnx, export_onnx, read_onnx_metadata
from .hdnet import FeatureBranch, HDNet, HDNetOutput, recognise_original_checkpoint
from .original import convert_original_checkpoint, load_original_state_dict

register_model(HDNet)
FOREIGN_FORMATS.register("original-hdnet", recognise_original_checkpoint)

__all__ = ["HDNet", "HDNetOutput", "FeatureBranch", "ResNet", "ResNetFPN", "BasicBlock", "Bottleneck",
           "convert_original_checkpoint", "load_original_state_dict", "export_onnx", "read_onnx_metadata",
           "check_onnx", "ExportWrapper",
           "CheckpointError", "load_model", "read_checkpoint", "register_model", "save_checkpoint", "MODELS"]
