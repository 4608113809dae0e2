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


STEP_BYTES = 640     # per run, parameter and player + 1: a step's working arrays (measured at most 411)
DENSE_BYTES = 450    # per run and parameter²: the dense game Hessian of CGD and LSS (measured at most 300)
RESULTS_BYTES = (1_500, 256)  # per run, and per run, parameter and player: sosverify run's results file


def run_memory(steps: int, runs: int, dim: int, n_players: int, n_diagnostics: int,
               kept_params: int | None = None, *, dense: bool = False) -> tuple[int, int]:
    """``(history, working)``: bytes of the history :func:`sosverify.runner.run` keeps, and of the
    arrays it works with while it runs: a chunk's recorded states (:func:`sosverify.step.chunk_length`,
    counted twice, as they are while a chunk's records are stacked) and a step's derivatives.
    ``kept_params``: the steps whose parameters are kept (default: every one).

    The constants are fitted to the peak resident memory measured on this project's VM (Linux,
    NumPy, the autograd backend; getrusage's ``ru_maxrss`` and ``/usr/bin/time -v``), per run as the
    difference between 10,000 and 40,000 runs of 2 steps:

    - a step's working arrays (the rule's derivatives, batched over the runs), bytes a run: tandem
      (2 parameters, 2 players) NL 560, LA 533, CO 547, EG 577, p-LOLA 850, LOLA 853, SGA 910, SOS 937;
      matching pennies (2, 2) NL 573 to SOS 1,090; the IPD (10, 2) NL 3,837, LA 6,640, SGA 12,013,
      SOS 12,333; remark-d5 (4, 4) NL 1,933, SOS 8,123; two players of 10 parameters each NL 3,200,
      SOS 6,220.  At most 411 bytes per parameter and per player + 1 (LOLA, p-LOLA and SOS on the IPD
      and on remark-d5): :data:`STEP_BYTES` = 640 (x 1.56).  The paper-size GAN (1.5M parameters,
      float32): NL 97 MB, SOS 250 MB a run, 55 bytes per unit: counted 12 times over.
    - the rules that form the game Hessian (CGD, LSS), beyond that (2,000 and 8,000 runs): 30 kB a run
      on the IPD, 300 bytes per parameter²; 25 kB and 146 kB with 10 + 10 and 25 + 25 parameters
      (62 and 58 per parameter²): :data:`DENSE_BYTES` = 450 (x 1.5).
    - ``sosverify run``'s results (results.json built in memory, :func:`results_memory`): 1.6 kB a run
      on the tandem, 2.5 kB on remark-d5, 3.0 kB on the IPD, about 1,000 + 170 bytes per parameter and
      player: :data:`RESULTS_BYTES` (x 1.5).

    Whole runs against this estimate: tandem SOS 40,000 runs x 300 steps 878 MB measured, 936 MB
    estimated; IPD SOS 10,000 x 300 543 against 662 MB; cyclic LOLA 50,000 x 50 344 against 524 MB;
    remark-d5 LOLA 20,000 x 100 399 against 555 MB; IPD CGD 3,000 x 20 92 against 238 MB;
    ``sosverify run tandem --algo sos --runs 1000000 --steps 2`` 2.2 GB against 4.3 GB.
    """
    from sosverify.settings import CHUNK, RECORD_BUDGET

    kept = steps + 1 if kept_params is None else kept_params
    history = kept * runs * dim * 8 + (steps + 1) * runs * (n_players + 1 + n_diagnostics) * 8
    state = runs * dim * 8 * 2  # theta and an optimiser state as large, per recorded step
    length = min(CHUNK, 1 << max(0, steps - 1).bit_length())
    while length > 1 and length * state > RECORD_BUDGET:
        length //= 2
    records = 2 * length * (state + runs * (n_players + 3 + n_diagnostics) * 8)
    step = runs * dim * (n_players + 1) * STEP_BYTES + (runs * dim * dim * DENSE_BYTES if dense else 0)
    return history, records + step


def results_memory(runs: int, dim: int, n_players: int, rules: int = 1) -> int:
    """Bytes ``sosverify run`` takes to build its results file for ``rules`` rules (see above)."""
    return rules * runs * (RESULTS_BYTES[0] + RESULTS_BYTES[1] * (dim + n_players))


def check_history_memory(steps: int, runs: int, dim: int, n_players: int, n_diagnostics: int,
                         kept_params: int | None = None, *, dense: bool = False) -> None:
    """Refuse a run whose history and working arrays would not fit in the available memory, before
    allocating (:func:`run_memory`).

    ``kept_params`` is the number of steps whose parameters are kept (default: every step);
    ``dense``: the rule forms the game Hessian (CGD, LSS).
    """
    check_runs_memory(steps, runs, dim, n_players, [(n_diagnostics, dense)], kept_params)


def check_runs_memory(steps: int, runs: int, dim: int, n_players: int, rules, kept_params: int | None = None,
                      *, results: bool = False) -> None:
    """Refuse, before allocating, runs of several rules whose histories are kept together (``rules``:
    ``(number of diagnostics, dense)`` per rule) when they would not fit in the available memory; with
    ``results``, ``sosverify run``'s results file is built beside them.  One line gives the estimate,
    the memory available and how many runs would fit."""
    rules = list(rules)

    def need(r: int) -> tuple[int, int, int]:
        parts = [run_memory(steps, r, dim, n_players, nd, kept_params, dense=dense) for nd, dense in rules]
        kept = sum(h for h, _ in parts)
        written = results_memory(r, dim, n_players, len(rules)) if results else 0
        return kept, max(w for _, w in parts), written

    have = available_memory()
    history, working, written = need(runs)
    total = history + max(working, written)
    if have is None or total <= have:
        return
    lo, hi = 0, runs  # the most runs that fit (need grows with the runs)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        h, w, r = need(mid)
        lo, hi = (mid, hi) if h + max(w, r) <= have else (lo, mid - 1)
    what = f"{runs:,} runs x {steps:,} steps of {dim} parameters" + (f" for {len(rules)} rules" if len(rules) > 1 else "")
    parts = f"the recorded history {_gib(history)}, " + (
        f"then the larger of a step's working arrays {_gib(working)} and the results file {_gib(written)}" if results
        else f"a step's working arrays {_gib(working)}")
    fit = f"at most about {lo:,} runs of {steps:,} steps fit: use fewer runs or steps" if lo else \
        f"not even one run of {steps:,} steps fits: use fewer steps"
    raise SosverifyError(f"{what} needs about {_gib(total)}, but only {_gib(have)} of memory is available "
                         f"({parts}); {fit}")


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
