"""The reference HDNet and its backbone."""

from .backbone import BasicBlock, Bottleneck, ResNet, ResNetFPN
from .hdnet import FeatureBranch, HDNet
from .export import ExportWrapper, export_onnx
from .original import convert_original_checkpoint, load_original_state_dict

__all__ = ["HDNet", "FeatureBranch", "ResNet", "ResNetFPN", "BasicBlock", "Bottleneck",
           "convert_original_checkpoint", "load_original_state_dict", "export_onnx", "ExportWrapper"]
