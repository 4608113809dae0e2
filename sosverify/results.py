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
    """Python and package versions, the differentiation backend and the machine (:func:`machine`),
    recorded beside every result."""
    from sosverify.backends import describe

    out: dict = {"python": platform.python_version(), "backend": describe()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["machine"] = machine()
    return out


#: the CPU's vector extensions that decide how float sums are ordered in compiled kernels
CPU_FEATURES = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "neon", "asimd", "sve",
                "vsx", "vx")
#: how much of /proc/cpuinfo is read: the first processor's block is a few dozen lines
CPUINFO_BYTES = 16384


def machine(cpuinfo: str | Path = "/proc/cpuinfo") -> dict:
    """The processor a result ran on: architecture, model and :data:`CPU_FEATURES` present.

    A seed fixes a training on one backend and one kind of processor: XLA and the BLAS pick their
    kernels by the CPU's vector extensions, and the same code, packages and seed gave another GAN
    training on a processor with AVX-512 than on the machine before it (docs/gmm.md).  The model is
    ``model name`` (x86), ``Hardware`` or ``CPU implementer``/``CPU part`` (ARM), ``cpu`` (POWER),
    else ``platform.processor()``; the features come from the ``flags``/``Features``/``features``
    line.  What cannot be read is None (unknown), never an empty list.
    """
    model, features = platform.processor() or None, None
    try:
        with open(cpuinfo, "rb") as fh:
            text = fh.read(CPUINFO_BYTES).decode(errors="replace")
    except OSError:
        text = None
    if text is not None:
        fields: dict = {}
        for line in text.split("\n\n", 1)[0].splitlines():  # the first processor's block
            if ":" in line:
                key, value = line.split(":", 1)
                fields.setdefault(key.strip(), value.strip())
        arm = " ".join(f"{k} {fields[k]}" for k in ("CPU implementer", "CPU part") if k in fields) or None
        model = fields.get("model name") or fields.get("Hardware") or arm or fields.get("cpu") or model
        flags = next((fields[k] for k in ("flags", "Features", "features") if k in fields), None)
        if flags is not None:
            present = set(flags.split())
            features = [f for f in CPU_FEATURES if f in present]
    return {"architecture": platform.machine(), "cpu": model, "cpu_features": features}


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
    check_out_given(path)
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


def check_out_given(path) -> None:
    """Refuse an empty (or blank) ``--out``: it is never taken for the current directory or a default."""
    if not str(path).strip():
        raise SosverifyError("--out is empty; give a directory (write --out . for the current one)")


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


def render_figure(fig, fmt: str, close: bool = False) -> bytes:
    """A matplotlib figure as the bytes of a ``fmt`` file (``png``, ``pdf``); ``close`` frees it afterwards."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def save_figure(fig, path, close: bool = False) -> None:
    """Atomically save a matplotlib figure (format from the suffix); ``close`` frees it afterwards."""
    path = Path(path)
    write_atomic(path, render_figure(fig, path.suffix.lstrip("."), close))


# A set of results files written together (a reproduction, a run): write_together puts them in a
# temporary directory beside --out that then replaces it, and manifest.json, written last, names
# what wrote them (OWNERS), their settings and each file's SHA-256.
MANIFEST = "manifest.json"
#: a manifest's key for what wrote the directory, and how an error line names it
OWNERS = {"experiment": "the {} reproduction", "run": "a run of {}"}


def json_bytes(obj) -> bytes:
    """``obj`` as indented JSON bytes (NaN written as ``null``), as :func:`write_json` writes it."""
    return (json.dumps(jsonable(obj), indent=2, allow_nan=False) + "\n").encode()


def read_manifest(out) -> dict:
    """``out``'s manifest, or ``{}`` when there is none that reads as one."""
    try:
        found = json.loads((Path(out) / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def owner_of(out) -> tuple | None:
    """``(key, name)`` of what wrote ``out`` as its manifest says (``("run", "tandem")``), or None."""
    manifest = read_manifest(out)
    return next(((key, manifest[key]) for key in OWNERS if key in manifest), None)


def check_owner(out, owner: tuple, held: tuple | None = None, *, same_kind: bool = False) -> tuple | None:
    """Refuse to write ``owner``'s results (``(key, name)``, a key of :data:`OWNERS`) into ``out`` when
    it holds those of another (``held``, default: what its manifest names): they would be replaced.
    ``same_kind``: results of the same key (a run of another game) may be replaced, whole; returns
    what is replaced then (for the caller to say so), else None."""
    held = owner_of(out) if held is None else held
    if held is not None and same_kind and held[0] == owner[0]:
        return None if tuple(held) == tuple(owner) else tuple(held)
    if held is not None and tuple(held) != tuple(owner):
        mine, theirs = (OWNERS[k].format(v) for k, v in (owner, held))
        raise SosverifyError(f"{out} holds {theirs}; writing {mine} there would replace it: give another --out")


def write_together(out, files: dict, owner: tuple, settings=None, keep=(), write=None, same_kind: bool = False) -> Path:
    """Write ``files`` (``{name: bytes}``) to the directory ``out`` so that they land together, then
    ``manifest.json`` (``owner``, ``settings`` and each file's SHA-256) last; returns the directory written.

    The files go to a temporary directory beside ``out``, which then replaces it: an interrupted
    write leaves the old set whole, and a directory never mixes the files of two writes (the
    entries named in ``keep`` are carried over).  ``out`` holding another owner's results is
    refused (:func:`check_owner`; with ``same_kind``, those of the same key are replaced).  If ``out``
    holds files no manifest lists (your own), or cannot
    be replaced (the current directory, a mount point, no room beside it), the files are replaced
    one by one instead, each atomically, and the old manifest is removed first: only a complete set
    has one.  A symbolic link ``out`` is written through; the link stays.  ``write(path, data)``
    writes each file (default :func:`write_atomic`).
    """
    import hashlib
    import shutil

    out, write = Path(out), write or write_atomic
    manifest = json_bytes({owner[0]: owner[1], "settings": settings,
                           "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}})
    if out.is_symlink():  # write where the link points; the link itself stays
        out = Path(os.path.realpath(out))
    prepare_out_dir(out.parent if str(out.parent) else Path("."))
    if out.is_dir():
        check_owner(out, owner, same_kind=same_kind)
    if out.exists() and not (_ours(prepare_out_dir(out), keep) and _replaceable(out)):
        return _write_in_place(out, files, manifest, write)
    try:
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name[:64]}.new-"))
    except OSError:  # no room beside it (its parent is not writable): in place
        return _write_in_place(prepare_out_dir(out), files, manifest, write)
    try:
        os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes 0700; a results directory follows the umask
        for name, data in files.items():
            write(tmp / name, data)
        write(tmp / MANIFEST, manifest)
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name[:64]}.old-"))
            os.rmdir(old)
            os.replace(out, old)
            for name in keep:
                if (old / name).exists():
                    os.replace(old / name, tmp / name)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _write_in_place(out: Path, files: dict, manifest: bytes, write) -> Path:
    """Each file replaced atomically, one by one; the old manifest goes first, the new one comes last."""
    (out / MANIFEST).unlink(missing_ok=True)
    for name, data in files.items():
        write(out / name, data)
    write(out / MANIFEST, manifest)
    return out


def _ours(out: Path, keep=()) -> bool:
    """Whether every entry of ``out`` was written with its manifest (so the directory may be replaced)."""
    entries = {p.name for p in out.iterdir()}
    if not entries - set(keep):
        return True
    try:
        listed = set(read_manifest(out)["files"])
    except (KeyError, TypeError):
        return False
    return entries <= listed | {MANIFEST} | set(keep)


def _replaceable(out: Path) -> bool:
    """Whether ``out`` may be renamed away: not the current directory or one holding it, not a mount point."""
    real, here = Path(os.path.realpath(out)), Path(os.path.realpath(os.getcwd()))
    return bool(real.name) and real != here and real not in here.parents and not os.path.ismount(real)
