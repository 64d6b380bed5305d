"""Training: one :class:`Trainer` for every task (a :class:`Task` gives the model, the batches
and the loss), grouped configs, exact resume, DDP under ``torchrun``. See docs/training.md.

The tasks: ``hdnet`` (:class:`HDNetTask`, the image model on dataset readers) here, ``keypoint``
(the keypoint model on motion capture through virtual cameras) in :mod:`hdnet.keypoint`.
"""

from ..core.checkpoint import CheckpointError
from .config import GROUPS, TASKS, CheckpointConfig, OptimConfig, ScheduleConfig, TrainConfig, load_config, register_task
from .image_task import HDNetDataConfig, HDNetLossConfig, HDNetModelConfig, HDNetTask
from .recipes import RECIPES
from .task import Task
from .trainer import Trainer, TrainingError

__all__ = ["Trainer", "TrainingError", "TrainConfig", "OptimConfig", "ScheduleConfig", "CheckpointConfig", "Task",
           "TASKS", "register_task", "load_config", "GROUPS", "HDNetTask", "HDNetModelConfig", "HDNetDataConfig",
           "HDNetLossConfig", "CheckpointError", "RECIPES"]
