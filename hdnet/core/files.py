"""Files in and out: atomic writes that keep the user's file modes, strict JSON, bounded text and
JSON reading (UTF-8, or UTF-16/32 where a byte-order mark says so), and image and HDF5 opening
with errors that name the file.

>>> import json, os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_json(os.path.join(folder, "out.json"), {"depth_mm": 3512.5})
>>> read_json(path, "--out")
{'depth_mm': 3512.5}
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import tempfile
import threading
import unicodedata
import warnings
from typing import Any, Callable, Iterator, List, Optional

__all__ = ["DamagedImageWarning", "warn_damaged", "pillow_warnings_named", "atomic_write", "write_json", "write_text",
           "read_json", "read_text", "decode_text", "open_h5", "open_image", "IMAGE_SUFFIXES", "VIDEO_SUFFIXES",
           "strict_json", "MAX_JSON_BYTES", "natural_key", "file_name", "folder_entries", "loose_name"]

#: The image files hdnet lists in a folder. HEIC/HEIF (phones' photos) are read where the
#: ``heic`` extra (pillow-heif) is installed, elsewhere opening one says how to get it; AVIF
#: where Pillow was built with it (its wheels since 11.2). Of an animated GIF or WebP only the
#: first frame is read.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif", ".gif")
_HEIF_SUFFIXES = (".heic", ".heif")
#: Video files ``hdnet info`` recognises by name (``--video`` takes any file OpenCV reads).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")

#: The largest JSON file :func:`read_json` reads (bytes).
MAX_JSON_BYTES = 512 * 1024 * 1024
_PARTIAL = ".hdnet-partial"
_umask_lock = threading.Lock()


def _umask() -> int:
    with _umask_lock:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def _clean_stale(folder: str, base: str) -> None:
    """Remove partial files of ``base`` left by writers that no longer run (killed mid-write)."""
    prefix = f".{base}."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_PARTIAL)):
            continue
        pid = name[len(prefix):-len(_PARTIAL)].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
                continue  # that writer is still running
            except ProcessLookupError:
                pass
            except OSError:
                continue
        try:
            os.unlink(os.path.join(folder, name))
        except OSError:
            pass


def atomic_write(path, write: Callable[[Any], None], what: str = "output") -> str:
    """``write(binary file)`` into a temporary file beside ``path``, flushed, then renamed over it:
    a reader never sees half a file, a failed write (disk full) leaves the previous file, and the
    result gets the mode an ordinary ``open()`` would give it (the umask; an existing file keeps
    its own). The temporary file is ``.NAME.PID.RANDOM.hdnet-partial``; one left by a killed
    process is removed by the next write of the same file. Returns the path.

    Raises:
        OSError: naming ``what`` and the path (a folder given, a missing folder, disk full).
    """
    p = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(p))
    base = os.path.basename(p)
    if os.path.isdir(p):
        raise IsADirectoryError(f"{what}: {p!r} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what}: the folder {folder!r} does not exist")
    _clean_stale(folder, base)
    try:
        mode = os.stat(p).st_mode & 0o7777
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=_PARTIAL, dir=folder)
    except OSError as e:
        raise OSError(e.errno, f"{what}: cannot write in {folder!r} ({e.strerror or e})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OSError(e.errno, f"{what}: could not write {p!r} ({e.strerror or e}); any "
                          "previous file there is unchanged") from None
        raise
    return p


def strict_json(obj: Any, what: str = "output", indent: int = 2, one_item_per_line: bool = False) -> str:
    """``obj`` as JSON text with no NaN or infinity (which are not JSON): a ``ValueError``
    naming the first non-finite value's place instead.

    ``one_item_per_line``: a list or object at the top is written one item to a line, each item
    compact (a file of many people stays readable person by person, a third of the size of
    indented JSON, and is written by json's C encoder, about 10x faster); anything else as
    ``indent`` says.

    >>> print(strict_json([{"a": [1, 2]}, {"a": [3]}], one_item_per_line=True))
    [
    {"a": [1, 2]},
    {"a": [3]}
    ]
    """
    def find(o, where):
        if isinstance(o, float) and not math.isfinite(o):
            return where
        items = o.items() if isinstance(o, dict) else enumerate(o) if isinstance(o, (list, tuple)) else ()
        for k, v in items:
            hit = find(v, f"{where}[{k!r}]")
            if hit:
                return hit
        return None
    try:
        if one_item_per_line and isinstance(obj, (list, tuple, dict)) and len(obj):
            if isinstance(obj, dict):
                lines = [f"{json.dumps(str(k))}: {json.dumps(v, allow_nan=False)}" for k, v in obj.items()]
                return "{\n" + ",\n".join(lines) + "\n}"
            return "[\n" + ",\n".join(json.dumps(v, allow_nan=False) for v in obj) + "\n]"
        return json.dumps(obj, indent=indent, allow_nan=False)
    except ValueError:
        raise ValueError(f"{what}: the value at {find(obj, 'result') or '?'} is not finite (NaN or "
                         "inf cannot be written as JSON)") from None


def write_text(path, text: str, what: str = "output") -> str:
    """Write ``text`` (UTF-8) atomically (see :func:`atomic_write`)."""
    data = text.encode()
    return atomic_write(path, lambda f: f.write(data), what)


def write_json(path, obj: Any, what: str = "output", indent: int = 2, one_item_per_line: bool = False) -> str:
    """Write ``obj`` as strict JSON (see :func:`strict_json`), atomically."""
    return write_text(path, strict_json(obj, what, indent, one_item_per_line) + "\n", what)


class _OutOfRange(ValueError):
    """A JSON number past a float's range."""


# byte-order marks, the longer first: UTF-32's little-endian mark begins with UTF-16's
_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


def decode_text(data: bytes, what: str) -> str:
    """A text file's bytes as text: UTF-8, or what a byte-order mark at its start names (UTF-8's
    mark, which Windows editors write, or UTF-16 / UTF-32, which Windows PowerShell's ``>``
    writes), the mark itself left out. Anything else is a ``ValueError`` naming ``what``.

    >>> decode_text("\ufeff{}".encode("utf-8"), "--camera"), decode_text("{}".encode("utf-16"), "--camera")
    ('{}', '{}')
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(codec)
            except UnicodeDecodeError:
                raise ValueError(f"{what} is not {codec.upper()} text, though it begins with that "
                                 "encoding's byte-order mark") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{what} is not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def read_text(path, what: str, max_bytes: int = MAX_JSON_BYTES) -> str:
    """A text file (:func:`decode_text`: UTF-8, or UTF-16/32 with a byte-order mark) with errors
    that name ``what`` and the file: missing, larger than ``max_bytes``, not text."""
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no file at {p!r}")
    size = os.path.getsize(p)
    if size > max_bytes:
        raise ValueError(f"{what}: {p!r} is {size / 2**20:.0f} MiB; hdnet reads text files up to "
                         f"{max_bytes / 2**20:.0f} MiB")
    with open(p, "rb") as f:
        return decode_text(f.read(), f"{what}: {p!r}")


def read_json(path, what: str, max_bytes: int = MAX_JSON_BYTES, nan: bool = False) -> Any:
    """``json.load`` with errors that name ``what`` and the file: missing, larger than
    ``max_bytes``, not text (:func:`read_text`), not JSON, nested too deeply to parse, holding
    ``NaN``/``Infinity`` (not JSON) or numbers past a float's range (``1e400``, which Python
    reads as infinity). ``nan``: read ``NaN`` as a float NaN (Python's ``json.dump`` writes it
    for one; keypoint files use it for a joint not found), ``Infinity`` still refused."""
    p = os.fspath(path)
    text = read_text(p, what, max_bytes)

    def no_constants(name):
        if nan and name == "NaN":
            return math.nan
        raise ValueError(f"{name} is not JSON")

    def finite_float(text):  # 1e400 would be read as infinity
        value = float(text)
        if not math.isfinite(value):
            raise _OutOfRange(f"the number {text} is out of range")
        return value

    def float_sized_int(text):  # 10**400 would break every float() that reads it later
        value = int(text)
        try:
            float(value)
        except OverflowError:
            raise _OutOfRange(f"the number {text[:12]}... ({len(text)} digits) is out of range") from None
        return value
    try:
        return json.loads(text, parse_constant=no_constants, parse_float=finite_float, parse_int=float_sized_int)
    except RecursionError:
        raise ValueError(f"{what}: {p!r} is nested too deeply to read") from None
    except _OutOfRange as e:
        raise ValueError(f"{what}: {p!r} holds a number hdnet cannot read: {e}") from None
    except ValueError as e:  # JSONDecodeError and the constants above
        raise ValueError(f"{what}: {p!r} is not valid JSON ({e})") from None


_heif_registered: Optional[bool] = None


def _heif_opener() -> bool:
    """Pillow taught to open HEIC/HEIF where pillow-heif is installed (once); whether it is."""
    global _heif_registered
    if _heif_registered is None:
        try:
            import pillow_heif
        except ImportError:
            _heif_registered = False
        else:
            pillow_heif.register_heif_opener()
            _heif_registered = True
    return _heif_registered


class DamagedImageWarning(UserWarning):
    """An image file is damaged where Pillow reads past the damage (an EXIF block whose tags
    point past the file's end, a truncated tag): what could be read is used. Said once per file
    and message in a process, naming the file (Pillow's own warnings name neither)."""


_DAMAGE_SAID: set = set()


def warn_damaged(path, said: str, what: str = "image", stacklevel: int = 2) -> None:
    """One :class:`DamagedImageWarning` that the file at ``path`` is damaged (``said``: how), the
    first time this process hears it of that file."""
    p = os.fspath(path)
    key = (os.path.abspath(p), said)
    if key not in _DAMAGE_SAID:
        _DAMAGE_SAID.add(key)
        warnings.warn(DamagedImageWarning(f"{what}: {p!r} is damaged ({said}); what could be read is used"),
                      stacklevel=stacklevel + 1)


@contextlib.contextmanager
def pillow_warnings_named(path, what: str = "image") -> Iterator[None]:
    """Inside the block, Pillow's warnings about a damaged file become one
    :class:`DamagedImageWarning` per file and message that names ``path`` (:func:`warn_damaged`);
    other warnings pass as they are."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if w.category is UserWarning and f"{os.sep}PIL{os.sep}" in w.filename:
            warn_damaged(path, f"{w.message}, Pillow says", what, stacklevel=3)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def open_image(path, what: str = "image"):
    """``PIL.Image.open`` for a photo (JPEG, PNG, ..., and HEIC/HEIF with the ``heic`` extra),
    with errors that name ``what`` and the file: a ``FileNotFoundError`` where there is none, a
    ``ValueError`` for a file Pillow cannot identify (a HEIC without pillow-heif: how to install
    it) or will not open (over ``PIL.Image.MAX_IMAGE_PIXELS`` twice, its guard against
    decompression bombs). Use it as ``with open_image(p) as im:``; decoding errors come later, at ``im.load()``."""
    from PIL import Image, UnidentifiedImageError
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no file at {p!r}")
    heif = _heif_opener()
    try:
        with pillow_warnings_named(p, what):
            return Image.open(p)
    except Image.DecompressionBombError as e:  # a 200-megapixel phone photo is one too
        said = str(e).split(", could be")[0]
        raise ValueError(f"{what}: {p!r} is larger than Pillow opens from a file it does not trust ({said}): "
                         "downscale it (its keypoints or boxes with it), or raise PIL.Image.MAX_IMAGE_PIXELS in "
                         "Python where you trust it") from None
    except UnidentifiedImageError:
        hint = ""
        if p.lower().endswith(_HEIF_SUFFIXES) and not heif:
            hint = '; HEIC/HEIF photos need pillow-heif: pip install "hdnet[heic]" (or convert them to JPEG)'
        raise ValueError(f"{what}: {p!r} is not an image file Pillow can read{hint}") from None
    except OSError as e:
        raise ValueError(f"{what}: {p!r} cannot be read ({e})") from None


def open_h5(path, what: str):
    """``h5py.File(path, "r")`` with an error naming the file when it is missing, empty,
    truncated or not HDF5."""
    import h5py
    p = os.fspath(path)
    if not os.path.isfile(p):
        raise FileNotFoundError(f"{what}: no file at {p!r}")
    try:
        return h5py.File(p, "r")
    except OSError as e:
        raise ValueError(f"{what}: {p!r} is not a readable HDF5 file (empty, truncated or another "
                         f"format: {str(e).splitlines()[0] if str(e) else type(e).__name__})") from None


def file_name(path: str) -> str:
    r"""The file name at the end of a path written on any system: ``/`` and, as Windows writes
    them, ``\`` separators (a keypoint or boxes file made on Windows names its images
    ``C:\data\img1.jpg``, whose POSIX base name would be all of it).

    >>> file_name(r"C:\Users\al\img1.jpg"), file_name("runs/img2.jpg"), file_name("img3.jpg")
    ('img1.jpg', 'img2.jpg', 'img3.jpg')
    """
    return re.split(r"[\\/]", path)[-1]


#: What operating systems leave in a folder beside a user's files: macOS's ``.DS_Store``, its
#: AppleDouble ``._<name>`` files on other file systems and in zips (``__MACOSX``), Windows's
#: ``Thumbs.db`` and ``desktop.ini``.
_SYSTEM_FILES = (".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX")


def folder_entries(folder) -> List[str]:
    """The names in a folder, without what the operating system leaves there (``._photo.jpg``
    beside ``photo.jpg`` on a USB drive is macOS's metadata, not an image). Unsorted, as
    ``os.listdir``."""
    return [n for n in os.listdir(folder) if not n.startswith("._") and n not in _SYSTEM_FILES]


def loose_name(name: str) -> str:
    """A file name compared as the systems that write names loosely see it: without case (macOS and
    Windows ignore it) and in one Unicode form (macOS writes ``é`` as ``e`` and an accent, NFD;
    most tools as one character, NFC).

    >>> loose_name("Caf\u0065\u0301.JPG") == loose_name("caf\u00e9.jpg")
    True
    """
    return unicodedata.normalize("NFC", name).casefold()


def natural_key(name: str) -> List[Any]:
    """Sort key that orders the numbers in names by value: ``frame_2.png`` before
    ``frame_10.png`` (a video's frames written without zero padding); letters ignore case,
    ties go by the name itself.

    >>> sorted(["f10.png", "f2.png", "F3.png"], key=natural_key)
    ['f2.png', 'F3.png', 'f10.png']
    """
    parts = re.split(r"(\d+)", name)
    return [(0, int(t), t) if t.isdigit() else (1, 0, t.lower()) for t in parts] + [(2, 0, name)]
