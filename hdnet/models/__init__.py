"""The reference HDNet, its backbone, and self-describing checkpoints."""

from .backbone import BasicBlock, Bottleneck, ResNet, ResNetFPN
from .checkpoint import CheckpointError, load_model, read_checkpoint, register_model_class, save_checkpoint
from .export import ExportWrapper, export_onnx
from .hdnet import FeatureBranch, HDNet, HDNetOutput
from .keypoint import KeypointHDNet, KeypointOutput
from .original import convert_original_checkpoint, load_original_state_dict

__all__ = ["HDNet", "HDNetOutput", "FeatureBranch", "ResNet", "ResNetFPN", "BasicBlock",
           "Bottleneck", "convert_original_checkpoint", "load_original_state_dict", "export_onnx",
           "ExportWrapper", "CheckpointError", "load_model", "read_checkpoint",
           "register_model_class", "save_checkpoint", "KeypointHDNet", "KeypointOutput"]
