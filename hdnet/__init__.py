"""hdnet: camera-space human depth (HDNet, Lin & Lee, ECCV 2020) as composable PyTorch parts."""

import warnings as _warnings

# PyG (and torch-scatter) warn about torch.jit.script on import; that is theirs, not the user's.
_warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=DeprecationWarning)
_warnings.filterwarnings("ignore", message=r".*TorchScript.*", category=DeprecationWarning)

from . import camera, graphs, layers, losses  # noqa: E402
from .camera import Camera  # noqa: E402
from .graphs import Skeleton, convert_joints, get_skeleton, list_skeletons, register_skeleton  # noqa: E402
from .layers import DepthBinHead, DepthBins, HeatmapAttentionPooling, SkeletonConv, SkeletonGNN  # noqa: E402
from .losses import HDNetLoss  # noqa: E402
from .models import HDNet, ResNetFPN  # noqa: E402
from .predict import PersonPrediction, Predictor, guess_camera, to_rootnet_json  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Camera", "Skeleton", "convert_joints", "get_skeleton", "list_skeletons",
           "register_skeleton", "HeatmapAttentionPooling", "SkeletonConv", "SkeletonGNN",
           "DepthBins", "DepthBinHead", "HDNetLoss", "HDNet", "ResNetFPN", "Predictor",
           "PersonPrediction", "guess_camera", "to_rootnet_json", "camera", "graphs", "layers",
           "losses", "__version__"]
