"""Every config dataclass checks every field where the config is made: a wrong type is a
``TypeError`` and a value outside the documented range a ``ValueError``, each naming the field."""

import dataclasses
import math

import pytest

import hdnet.data.synthetic  # noqa: F401  (registers SceneConfig as a ConfigBase)
import hdnet.data.virtual_cameras  # noqa: F401
import hdnet.keypoint.task  # noqa: F401
import hdnet.train.config  # noqa: F401
import hdnet.train.image_task  # noqa: F401
from hdnet.core.config import ConfigBase


def _all_configs():
    found, todo = [], list(ConfigBase.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted({c for c in found if dataclasses.is_dataclass(c)}, key=lambda c: c.__qualname__)


CONFIGS = _all_configs()


def _bad_values(f):
    """(value, error) pairs that a field's own metadata says are wrong."""
    m = f.metadata
    kind, low, high = m["kind"], m["low"], m["high"]
    out = []
    if kind in ("int", "float"):
        out += [("x", TypeError), (True, TypeError), ([1], TypeError), (math.nan, (TypeError, ValueError))]
        if kind == "int":
            out.append((1.5, TypeError))
        if low is not None:
            out.append((low if m["low_open"] else low - 1, ValueError))
        if high is not None:
            out.append((high + 1, ValueError))
    elif kind == "bool":
        out += [(1, TypeError), ("yes", TypeError)]
    elif kind == "str":
        out += [(3, TypeError)]
    elif kind == "range":
        out += [("x", (TypeError, ValueError)), ((1.0,), ValueError), ((math.nan, 1.0), (TypeError, ValueError))]
        lo = low if low is not None else 0.0
        hi = high if high is not None else lo + 10.0
        out.append(((hi, lo), ValueError) if hi > lo else ((lo + 1.0, lo), ValueError))
        if low is not None:
            out.append(((low - 1, high if high is not None else low + 1), ValueError))
        if high is not None:
            out.append(((low if low is not None else high - 1, high + 1), ValueError))
    elif kind == "list":
        out += [(3, TypeError)]
    elif kind == "dict":
        out += [([1], TypeError)]
    if m["choices"] is not None:
        out.append(("surely-not-a-choice", (TypeError, ValueError)))
    if not m["optional"]:
        out.append((None, TypeError))
    return out


CASES = [(cls, f.name, value, err) for cls in CONFIGS for f in dataclasses.fields(cls) if f.metadata
         for value, err in _bad_values(f)]


def test_every_config_is_covered():
    names = {c.__name__ for c in CONFIGS}
    assert {"VirtualCameraConfig", "SceneConfig", "OptimConfig", "ScheduleConfig", "CheckpointConfig",
            "KeypointModelConfig", "KeypointDataConfig", "KeypointLossConfig", "HDNetModelConfig",
            "HDNetDataConfig", "HDNetLossConfig"} <= names
    assert len(CASES) > 150


@pytest.mark.parametrize("cls,name,value,err", CASES,
                         ids=[f"{c.__name__}.{n}={v!r}" for c, n, v, _ in CASES])
def test_a_bad_value_is_refused_naming_the_field(cls, name, value, err):
    with pytest.raises(err) as info:
        cls(**{name: value})
    assert str(info.value).startswith(f"{name}:") or f" {name}" in str(info.value), str(info.value)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
def test_defaults_are_valid_and_round_trip(cls):
    made = cls()
    again = cls.from_dict(made.to_dict())
    assert again.to_dict() == made.to_dict()


def test_the_field_of_view_check_is_not_an_operator_precedence_bug():
    from hdnet.data.virtual_cameras import VirtualCameraConfig
    for bad in [(40.0, 200.0), (-10.0, 200.0), (-10.0, 60.0), (60.0, 40.0)]:
        with pytest.raises(ValueError, match="hfov_deg"):
            VirtualCameraConfig(hfov_deg=bad)
    assert VirtualCameraConfig(hfov_deg=(40.0, 100.0)).hfov_deg == (40.0, 100.0)


def test_devices_this_process_cannot_use_are_refused_by_name():
    import torch

    from hdnet.core.checks import check_device
    assert check_device("cpu") == torch.device("cpu") == check_device(torch.device("cpu"), "--device")
    for bad in ("tpu", "gpu:0", "", None, 3.5, "cuda:x"):
        with pytest.raises(ValueError, match=r"--device: expected 'cpu', 'cuda' or 'cuda:N'"):
            check_device(bad, "--device")
    if not torch.cuda.is_available():
        for name in ("cuda", "cuda:1"):
            with pytest.raises(ValueError, match=f"device: '{name}' was asked for but torch sees no GPU"):
                check_device(name)
    with pytest.raises(ValueError, match="numbered from 0|sees no GPU"):
        check_device(f"cuda:{torch.cuda.device_count() + 3}")
