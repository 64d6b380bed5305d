"""Joint sets, one module per family; importing this package registers them all."""

from . import blazepose, body_25, coco, goliath, h36m, halpe, mpi_inf_3dhp, mpii, panoptic, smpl, whole_body  # noqa: F401
from .mpi_inf_3dhp import MUPOTS_EVAL_JOINTS  # noqa: F401
