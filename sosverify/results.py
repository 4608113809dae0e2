"""Writing results: atomic files, package versions, JSON-safe values."""

from __future__ import annotations

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
    """Create ``path`` if needed; a clear error if it is empty, a file or not writable."""
    if not str(path).strip():
        raise SosverifyError("--out is empty; give a directory (write --out . for the current one)")
    path = Path(path)
    missing = [p for p in (path, *path.parents) if not p.exists()][::-1]
    if path.exists() and not path.is_dir():
        raise SosverifyError(f"--out {str(path)!r} is a file; give a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SosverifyError(f"cannot create output directory {str(path)!r}: {exc.strerror}") from None
    CREATED.extend(missing)
    if not os.access(path, os.W_OK | os.X_OK):
        raise SosverifyError(f"output directory {str(path)!r} is not writable")
    return path


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
