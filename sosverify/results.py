"""Writing results: atomic files, package versions, JSON-safe values."""

from __future__ import annotations

import errno
import json
import math
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

import numpy

from sosverify.errors import SosverifyError

PACKAGES = ("sosverify", "numpy", "scipy", "sympy", "autograd", "matplotlib", "tqdm")


def versions() -> dict:
    """Python and package versions and the differentiation backend, recorded beside every result."""
    from sosverify.backends import describe

    out: dict = {"python": platform.python_version(), "backend": describe()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def source_commit() -> str | None:
    """The git commit of the sosverify source that runs (``<hash>-dirty`` if tracked files differ
    from it), or None outside a git checkout: recorded beside a sweep's results."""
    import subprocess
    from pathlib import Path

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no", "--", "."],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def jsonable(value):
    """NumPy values → plain Python; NaN and ±inf → ``None`` (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, numpy.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (numpy.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, numpy.integer):
        return int(value)
    if isinstance(value, numpy.bool_):
        return bool(value)
    return value


# Directories prepare_out_dir made in this process, newest last: a command refused after making its
# output directory removes those still empty (remove_empty_created), so a refusal leaves nothing behind.
CREATED: list = []


def remove_empty_created() -> None:
    """Remove the directories :func:`prepare_out_dir` made that are still empty (newest first)."""
    while CREATED:
        path = CREATED.pop()
        try:
            path.rmdir()  # only an empty directory; one with anything in it stays
        except OSError:
            pass


def prepare_out_dir(path) -> Path:
    """Create ``path`` if needed; a clear error if it is empty, a file or not writable.

    Anything the system refuses about the path (a name or a path too long, a path through a file,
    a symbolic link loop, no permission, a read-only file system) is one :class:`SosverifyError`
    line (:func:`path_error`), never an ``OSError``."""
    if not str(path).strip():
        raise SosverifyError("--out is empty; give a directory (write --out . for the current one)")
    path = Path(path)
    try:
        _check_lengths(path)
        missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
        if path.exists() and not path.is_dir():
            raise SosverifyError(f"--out {_shown(path)} is a file; give a directory")
        if path.is_symlink() and not path.exists():
            raise SosverifyError(f"--out {_shown(path)} is a symbolic link to {_shown(os.readlink(path))}, which "
                                 "leads to no directory (missing, or a symbolic link loop); give a directory")
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise path_error(path, exc) from None
    CREATED.extend(missing)
    if not os.access(path, os.W_OK | os.X_OK):
        raise SosverifyError(f"output directory {_shown(path)} is not writable; give a directory you may write to")
    return path


def _shown(path, limit: int = 120) -> str:
    """``path`` quoted, its middle cut if it is long (an error line stays one readable line)."""
    text = str(path)
    if len(text) > limit:
        text = f"{text[:limit // 2]}...{text[-limit // 2:]}"
    return repr(text)


def _limits(path: Path) -> tuple[int, int]:
    """The longest name and path, in bytes, the file system holding ``path`` takes (255 and 4096 on Linux)."""
    for p in (path, *path.parents, Path(".")):
        try:
            return os.pathconf(p, "PC_NAME_MAX"), os.pathconf(p, "PC_PATH_MAX")
        except (OSError, ValueError, AttributeError):
            continue
    return 255, 4096


ROOM = 64  # bytes of a path kept for the names of the files (and temporary files) written in a directory


def _check_lengths(path: Path) -> None:
    """Refuse a name or a path longer than the file system allows, naming which and the limit."""
    name_max, path_max = _limits(path)
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > name_max:
            raise SosverifyError(f"--out {_shown(path)} is too long: its name {_shown(part, 40)} has {size} bytes, "
                                 f"more than the {name_max} a name may have; give a shorter name")
    size = len(os.fsencode(os.path.abspath(path)))
    if size + ROOM >= path_max:  # PATH_MAX counts the terminating NUL
        raise SosverifyError(f"--out {_shown(path)} is too long: the path has {size} bytes, more than the "
                             f"{path_max - ROOM - 1} a results directory may have (a path may have {path_max} bytes, "
                             "with the names of the files written in it); give a shorter path")


def path_error(path, exc: OSError) -> SosverifyError:
    """One line for an ``OSError`` met on the output path ``path``: what was wrong, and what to give instead."""
    path, shown = Path(path), _shown(path)
    code = exc.errno
    if code == errno.ENAMETOOLONG:
        return SosverifyError(f"--out {shown} is too long for the file system ({exc.strerror}); give a shorter path")
    if code == errno.ENOTDIR:
        files = [p for p in reversed(path.parents) if _is_file(p)]
        where = f"lies inside {_shown(files[0])}, which is a file" if files else "passes through a file"
        return SosverifyError(f"--out {shown} {where}, not a directory; give a directory")
    if code == errno.ELOOP:
        return SosverifyError(f"--out {shown} passes through a symbolic link loop ({exc.strerror}); "
                              "give a directory")
    if code in (errno.EACCES, errno.EPERM):
        return SosverifyError(f"--out {shown}: permission denied; give a directory you may write to")
    if code == errno.EROFS:
        return SosverifyError(f"--out {shown} is on a read-only file system; give a directory you may write to")
    return SosverifyError(f"cannot use output directory {shown}: {exc.strerror or exc}")


def _is_file(p: Path) -> bool:
    try:
        return p.exists() and not p.is_dir()
    except OSError:
        return False


def write_atomic(path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``: readers
    see the old file or the new one, never half of either."""
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes 0600; results are ordinary files
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path, obj) -> None:
    """Atomically write ``obj`` as indented JSON (NaN written as ``null``)."""
    write_atomic(path, json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n")


def save_figure(fig, path, close: bool = False) -> None:
    """Atomically save a matplotlib figure (format from the suffix); ``close`` frees it afterwards."""
    import io

    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip("."), dpi=120, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    write_atomic(path, buf.getvalue())
