"""hdnet: camera-space human depth (HDNet, Lin & Lee, ECCV 2020) as composable PyTorch parts."""

from . import camera, core, graphs, keypoint, layers, losses, models, train
from .camera import Camera, Cameras, as_cameras, guess_camera
from .core import NotRegisteredError, Registry
from .core.checkpoint import Checkpointable, CheckpointError, load_model, register_model, save_checkpoint
from .core.version import __version__
from .data import ImageBatch, Preprocessing
from .graphs import Skeleton, convert_joints, get_skeleton, list_skeletons, register_skeleton
from .keypoint import KeypointHDNet, KeypointOutput
from .layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonConv, SkeletonGNN
from .losses import HDNetLoss
from .models import HDNet, HDNetOutput, ResNetFPN
from .predict import PersonPrediction, Predictor, to_rootnet_json
from .train import TrainConfig, Trainer

__all__ = ["Camera", "Cameras", "as_cameras", "guess_camera", "Skeleton", "convert_joints", "get_skeleton",
           "list_skeletons", "register_skeleton", "HeatmapAttentionPooling", "SkeletonConv", "SkeletonGNN",
           "DepthBins", "DepthBinHead", "HDNetLoss", "HDNet", "HDNetOutput", "ResNetFPN", "KeypointHDNet",
           "KeypointOutput", "Predictor", "PersonPrediction", "to_rootnet_json", "Preprocessing", "ImageBatch",
           "load_model", "save_checkpoint", "register_model", "Checkpointable", "CheckpointError", "Registry",
           "NotRegisteredError", "Trainer", "TrainConfig", "camera", "core", "graphs", "keypoint", "layers",
           "losses", "models", "train", "__version__"]
