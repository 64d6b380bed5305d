"""The ground floor: the registry type, input checks, file writing and reading, and the
checkpoint format with its checkpointable base. Nothing here knows about skeletons, cameras,
layers, data or models."""

from .checks import check_device, check_number, check_range, check_tensor, is_tracing
from .files import atomic_write, decode_text, open_h5, read_json, read_text, strict_json, write_json, write_text
from .registry import NotRegisteredError, Registry

__all__ = ["Registry", "NotRegisteredError", "check_device", "check_tensor", "check_number", "check_range", "is_tracing",
           "atomic_write", "write_json", "write_text", "read_json", "read_text", "decode_text", "open_h5",
           "strict_json"]
