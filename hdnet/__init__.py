"""hdnet: camera-space human depth (HDNet, Lin & Lee, ECCV 2020) as composable PyTorch parts."""

__version__ = "0.1.0"

from . import camera, graphs, layers, losses
from .camera import Camera
from .data.transforms import Preprocessing
from .graphs import Skeleton, convert_joints, get_skeleton, list_skeletons, register_skeleton
from .layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonConv, SkeletonGNN
from .losses import HDNetLoss
from .models import HDNet, HDNetOutput, ResNetFPN, load_model, save_checkpoint
from .predict import PersonPrediction, Predictor, guess_camera, to_rootnet_json

__all__ = ["Camera", "Skeleton", "convert_joints", "get_skeleton", "list_skeletons",
           "register_skeleton", "HeatmapAttentionPooling", "SkeletonConv", "SkeletonGNN",
           "DepthBins", "DepthBinHead", "HDNetLoss", "HDNet", "ResNetFPN", "Predictor",
           "PersonPrediction", "guess_camera", "to_rootnet_json", "Preprocessing", "HDNetOutput",
           "load_model", "save_checkpoint", "camera", "graphs", "layers",
           "losses", "__version__"]
