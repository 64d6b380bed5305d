"""Joint sets, one module per family; importing this package registers them all."""

from . import (  # noqa: F401
    blazepose,
    body_25,
    coco,
    goliath,
    h36m,
    halpe,
    mpi_inf_3dhp,
    mpii,
    panoptic,
    posetrack,
    smpl,
    vitpose,
    whole_body,
)
from .mpi_inf_3dhp import MUPOTS_EVAL_JOINTS  # noqa: F401
