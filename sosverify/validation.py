"""Checks on the arguments of a run, made before any work or allocation: each failure is one
:class:`SosverifyError` line saying what was wrong and what is allowed."""

from __future__ import annotations

import os

import numpy

from sosverify.errors import SosverifyError
from sosverify.settings import SEED, count


def check_count(name: str, value, upper: int) -> None:
    """A positive integer no larger than ``upper`` (a count that is no run-level setting: ``analyse``'s
    starts)."""
    count(name, upper).check(value)


def check_seed(seed) -> None:
    """A seed for ``numpy.random.default_rng``: :data:`sosverify.settings.SEED`."""
    SEED.check(seed)


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


def real_number(name: str, value, *, positive: bool = False) -> float:
    """``value`` as a float, from any real number a user may pass: ``int``, ``float``, NumPy scalars,
    :class:`fractions.Fraction`, :class:`decimal.Decimal` and SymPy's rationals and floats (the API
    takes what the command line takes: ``alpha=Fraction(1, 10)`` is ``--alpha 1/10``).  Raises one
    :class:`SosverifyError` line unless it is finite (and, with ``positive``, > 0, including after
    the conversion: ``Fraction(1, 10**400)`` would be 0.0 as a float)."""
    import decimal
    import numbers

    kind = "a positive number" if positive else "a finite number"
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, (numbers.Real, decimal.Decimal)) \
            and not _is_sympy_real(value):
        raise SosverifyError(f"{name} must be {kind} (an int, float or fraction), got "
                             f"{type(value).__name__} {value!r}"[:200])
    try:
        exact_positive = value > 0
        out = float(value)
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        raise SosverifyError(f"{name} must be {kind}, got {value!r}"[:200]) from None
    if not numpy.isfinite(out):
        raise SosverifyError(f"{name} must be {kind}, got {value!r}"[:200])
    if positive and not exact_positive:
        raise SosverifyError(f"{name} must be {kind}, got {value!r}"[:200])
    if positive and out <= 0:
        raise SosverifyError(f"{name} = {value!r} is positive but below the smallest float (about 5e-324)"[:200])
    return out


def exact_rational(name: str, value, *, positive: bool = False):
    """``value`` as an exact SymPy ``Rational``: a float as the shortest decimal that reads back as it
    (``1e-300`` is 1/10**300, never rounded to 0 as ``nsimplify`` does), a fraction, Decimal or SymPy
    number as itself.  The types of :func:`real_number`; it must be finite (and, with ``positive``, > 0)."""
    import decimal
    import numbers
    from fractions import Fraction

    import sympy

    kind = "a positive number" if positive else "a finite number"
    if isinstance(value, (bool, numpy.bool_)):
        raise SosverifyError(f"{name} must be {kind} (an int, float or fraction), got bool {value!r}")
    try:
        if isinstance(value, sympy.Rational):
            out = value
        elif isinstance(value, (float, numpy.floating, decimal.Decimal)) or _is_sympy_real(value):
            text = repr(float(value)) if isinstance(value, (float, numpy.floating)) else str(value)
            out = sympy.Rational(text)
        else:
            real_number(name, value, positive=positive and not isinstance(value, numbers.Rational))  # type, message
            f = Fraction(value)
            out = sympy.Rational(f.numerator, f.denominator)
    except SosverifyError:
        raise
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        raise SosverifyError(f"{name} must be {kind}, got {value!r}"[:200]) from None
    if not out.is_finite or (positive and not out > 0):
        raise SosverifyError(f"{name} must be {kind}, got {value!r}"[:200])
    return out


def _is_sympy_real(value) -> bool:
    import sys

    sympy = sys.modules.get("sympy")  # a SymPy number can only exist if SymPy is loaded
    return sympy is not None and isinstance(value, sympy.Basic) and bool(value.is_Number) and value.is_real is True


def name_in(kind: str, value, valid) -> str:
    """``value`` if it is one of the names ``valid``; else one line: what a ``kind`` is and which names
    there are (a list, a number or None are named as such, never hashed or split into letters)."""
    from sosverify.errors import unknown_name

    if not isinstance(value, str):
        raise SosverifyError(f"a {kind} is given by its name (one of {', '.join(sorted(valid))}), got "
                             f"{type(value).__name__} {value!r}"[:300])
    if value not in valid:
        raise unknown_name(kind, value, valid)
    return value


def plain_numbers(kwargs: dict) -> dict:
    """Numbers of any real type given where the runner takes a number, as ``float`` (``Fraction``,
    ``Decimal``, SymPy's numbers) or ``int`` (NumPy's integers): the API takes what the command line
    takes (``--alpha 1/10``).  Anything else is passed on to be checked where it is used."""
    import decimal
    import numbers

    out = dict(kwargs)
    for key, value in kwargs.items():
        if isinstance(value, bool) or type(value) in (int, float):
            continue
        if isinstance(value, numbers.Integral):
            out[key] = int(value)
        elif isinstance(value, (numbers.Real, decimal.Decimal)) or _is_sympy_real(value):
            out[key] = real_number(key, value)  # the range is checked by the setting it is given to
    return out
