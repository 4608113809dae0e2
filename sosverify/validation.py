"""Checks on the arguments of a run, made before any work or allocation: each failure is one
:class:`SosverifyError` line saying what was wrong and what is allowed."""

from __future__ import annotations

import os

import numpy

from sosverify.errors import SosverifyError

#: upper bounds that keep every count inside a signed 64-bit integer with room to multiply
MAX_STEPS = 10 ** 9
MAX_RUNS = 10 ** 8
MAX_SEED = 2 ** 63 - 1


def check_count(name: str, value, upper: int) -> None:
    """A positive integer no larger than ``upper``."""
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or not 1 <= value <= upper:
        raise SosverifyError(f"{name} must be a positive integer no larger than {upper:,}, got {value!r}"[:200])


def check_seed(seed) -> None:
    """A seed for ``numpy.random.default_rng``: an integer from 0 to 2**63 - 1."""
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)) or not 0 <= seed <= MAX_SEED:
        raise SosverifyError(f"seed must be an integer from 0 to 2**63 - 1, got {seed!r}"[:200])


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux ``MemAvailable``), or ``None``."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gib(n: float) -> str:
    return f"{n / 2 ** 30:.3g} GiB"


def check_history_memory(steps: int, runs: int, dim: int, n_players: int, n_diagnostics: int,
                         kept_params: int | None = None) -> None:
    """Refuse a run whose recorded history would not fit in the available memory, before allocating.

    ``kept_params`` is the number of steps whose parameters are kept (default: every step).
    """
    kept = steps + 1 if kept_params is None else kept_params
    need = kept * runs * dim * 8 + (steps + 1) * runs * (n_players + 1 + n_diagnostics) * 8
    have = available_memory()
    if have is not None and need > have:
        raise SosverifyError(f"recording {steps:,} steps x {runs:,} runs x {dim} parameters needs about "
                             f"{_gib(need)}, but only {_gib(have)} of memory is available; use fewer steps or runs")


def initial_array(init, dims) -> numpy.ndarray:
    """``init`` as an ``(R, d)`` float array: one array, or a list with one ``(R, d_i)`` array per player."""
    d = sum(dims)
    if isinstance(init, (str, bytes, dict, set)) or init is None:
        raise SosverifyError(f"init must be an (R, {d}) array or a list of per-player (R, d_i) arrays, "
                             f"got {type(init).__name__}")
    per_player = isinstance(init, (list, tuple)) and len(init) == len(dims) and all(numpy.ndim(a) == 2 for a in init)
    try:
        parts = [numpy.asarray(a, dtype=float) for a in init] if per_player else []
        theta = numpy.empty(0) if per_player else numpy.asarray(init, dtype=float)
    except (TypeError, ValueError):
        raise SosverifyError(f"init must hold numbers only: an (R, {d}) array or a list of per-player "
                             "(R, d_i) arrays") from None
    if per_player:
        if any(p.shape != (parts[0].shape[0], di) for p, di in zip(parts, dims)):
            raise SosverifyError(f"init: player arrays must have shapes (R, d_i) = {[('R', di) for di in dims]}, "
                                 f"got {[p.shape for p in parts]}")
        theta = numpy.concatenate(parts, axis=1)
    if theta.ndim == 1:
        theta = theta[None, :]
    if theta.ndim != 2 or theta.shape[1] != d or theta.shape[0] < 1:
        raise SosverifyError(f"init must have shape (R, {d}), got {theta.shape}")
    return theta
