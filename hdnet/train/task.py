"""What a training task gives the :class:`~hdnet.train.Trainer`: the model, the batches, and the
loss. The Trainer owns everything else (optimiser, schedule, precision, checkpoints, resume,
logging, DDP), the same for every task."""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Iterator, Optional, Tuple

from torch import Tensor, nn

__all__ = ["Task"]


class Task:
    """Base class of training tasks. Subclasses set ``name`` and the three config dataclasses
    and implement the methods below; register them with :func:`~hdnet.train.register_task`.

    Args:
        config: the whole :class:`~hdnet.train.TrainConfig` (its ``model``, ``data`` and
            ``loss`` are this task's dataclasses).
    """

    name: ClassVar[str] = ""
    ModelConfig: ClassVar[type]
    DataConfig: ClassVar[type]
    LossConfig: ClassVar[type]
    #: the loss terms :meth:`loss` returns besides ``total`` (the columns of ``steps.csv``)
    terms: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, config):
        self.config = config

    def build_model(self) -> nn.Module:
        """A new model as ``config.model`` describes it (a checkpointable module)."""
        raise NotImplementedError

    def prepare(self, model: nn.Module, rank: int, world: int) -> None:
        """Get the data ready for this process (``rank`` of ``world``) and check it against the
        model before any step runs; may set values the model carries (calibrations)."""

    def steps_per_epoch(self) -> int:
        """Steps in one epoch on this process."""
        raise NotImplementedError

    def batches(self, epoch: int, skip: int) -> Iterator[Any]:
        """The batches of ``epoch``, after skipping its first ``skip`` (a resumed run)."""
        raise NotImplementedError

    def is_empty(self, batch: Any) -> bool:
        """True for a batch with nothing to learn from (the step is counted, not taken)."""
        return False

    def loss(self, model: nn.Module, batch: Any, epoch: int, device) -> Tuple[Tensor, Dict[str, Tensor]]:
        """``(total, terms)`` on one batch; ``terms`` holds :attr:`terms` (and may hold more,
        logged but not written to ``steps.csv``)."""
        raise NotImplementedError

    def describe(self, batch: Any) -> str:
        """A few words naming the batch, for errors (e.g. the images in it)."""
        return ""

    def finish(self, model: nn.Module) -> None:
        """After the last step, before the final checkpoint (rank 0): calibrations the model
        carries. Default: nothing."""

    def state(self) -> Optional[Dict[str, Any]]:
        """Plain data the task needs to resume exactly (None: nothing beyond the RNGs)."""
        return None

    def load_state(self, state: Optional[Dict[str, Any]]) -> None:
        """Take back :meth:`state`."""
