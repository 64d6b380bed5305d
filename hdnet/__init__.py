"""hdnet: camera-space human depth (HDNet, Lin & Lee, ECCV 2020) as composable PyTorch parts."""

import warnings as _warnings

# PyG (and torch-scatter) warn about torch.jit.script on import; that is theirs, not the user's.
_warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=DeprecationWarning)
_warnings.filterwarnings("ignore", message=r".*TorchScript.*", category=DeprecationWarning)

from . import camera, graphs  # noqa: E402
from .camera import Camera  # noqa: E402
from .graphs import Skeleton, convert_joints, get_skeleton, list_skeletons, register_skeleton  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Camera", "Skeleton", "convert_joints", "get_skeleton", "list_skeletons",
           "register_skeleton", "camera", "graphs", "__version__"]
