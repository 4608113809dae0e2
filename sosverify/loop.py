"""A fixed-length stretch of a run as one compiled loop: the fast path of :func:`sosverify.runner.trajectory`.

On a backend that compiles loops (JAX, ``lax.scan``), ``length`` updates of plain descent on a game
without data are one XLA program: no return to Python between steps.  Each step does exactly what
the runner's Python loop does (:func:`sosverify.runner.trajectory`), with masks instead of
subsets, so shapes never change:

- the rule's direction, losses and ξ at every run's parameters (a diverged run's row is NaN);
- a run is *good* at step ``t`` while it is active and its losses and ‖ξ‖ are finite; the state
  recorded for step ``t`` is NaN in the rows that are not good;
- ``θ ← θ − α · direction`` in the good rows; a run whose new parameters are not finite stops
  there (NaN from step ``t + 1`` on).

A run is cut into chunks of a power of two of steps, at most :data:`CHUNK` (one compilation
serves them all and runs of other lengths: the steps after the last one are computed and
discarded), so memory does not grow with the length of a run and a progress bar can move between
chunks.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy

from sosverify import _autodiff as B
from sosverify import derivatives as D
from sosverify._autodiff import np
from sosverify.algorithms import Algorithm
from sosverify.game import Game

CHUNK = 256  # steps per compiled call at most (a longer run is several calls of the same program)
CACHE_SIZE = 16  # compiled chunk programs kept, so that runs of the same setting compile once

_programs: OrderedDict = OrderedDict()


def _settings_key(hyper: dict):
    """The rule's settings as part of a cache key, or ``None`` when they are not hashable."""
    key = tuple(sorted(hyper.items()))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _program(game: Game, algorithm: Algorithm, alpha: float, hyper: dict, length: int):
    """The compiled chunk and final measurement for these settings, from a small cache keyed by
    the game and rule objects themselves (a game holds functions and is not hashable: the entry
    keeps both, so their ids stay their own); settings that are not hashable are not cached."""
    settings = _settings_key(hyper)
    key = (id(game), id(algorithm), alpha, settings, length, B.active_name())
    hit = _programs.get(key) if settings is not None else None
    if hit is not None and hit[0] is game and hit[1] is algorithm:
        _programs.move_to_end(key)
        return hit[2]
    program = (_chunk(game, algorithm, alpha, hyper, length), _measure(game))
    if settings is not None:
        _programs[key] = (game, algorithm, program)
        while len(_programs) > CACHE_SIZE:
            _programs.popitem(last=False)
    return program


def _norm(xi):
    return np.sqrt(np.sum(xi * xi, axis=1))


def _chunk(game: Game, algorithm: Algorithm, alpha: float, hyper: dict, length: int):
    """``(theta, active, t, stop) -> (theta, active, records)``: ``length`` steps from step ``t``,
    those at ``t ≥ stop`` computed but not applied; records per step: the state before the update
    (θ, losses, ‖ξ‖, diagnostics, good)."""
    nan = float("nan")

    def chunk(theta, active, t, stop):
        def body(carry, _):
            theta, active, t = carry
            out = algorithm.fn(game, theta, alpha=alpha, **hyper)
            norm = _norm(out.xi)
            good = active & np.all(np.isfinite(out.losses), axis=0) & np.isfinite(norm)
            dtype = theta.dtype  # a rule or game computing in wider floats is brought back, as in Python
            record = (np.where(good[:, None], theta, nan), np.where(good[None, :], out.losses, nan).astype(dtype),
                      np.where(good, norm, nan).astype(dtype),
                      {k: np.where(good, v, nan) for k, v in out.diagnostics.items()}, good)
            new = (theta - alpha * out.direction).astype(dtype)
            still = good & np.all(np.isfinite(new), axis=1)
            live = t < stop
            theta = np.where(live, np.where(still[:, None], new, nan), theta)
            return (theta, np.where(live, still, active), t + 1), record

        (theta, active, _), records = B.scan(body, (theta, active, t), length)
        return theta, active, records

    return B.compile(chunk)


def _measure(game: Game):
    """Losses and ‖ξ‖ at the final parameters (no update), NaN in the rows that are not good."""
    def measure(theta, active):
        f = D.first_order(game, theta)
        norm = _norm(f.xi)
        good = active & np.all(np.isfinite(f.losses), axis=0) & np.isfinite(norm)
        return (np.where(good[:, None], theta, float("nan")),
                np.where(good[None, :], f.losses, float("nan")).astype(theta.dtype),
                np.where(good, norm, float("nan")).astype(theta.dtype), good)

    return B.compile(measure)


def supported(game: Game, optimiser) -> bool:
    """Whether :func:`steps` serves this run: a game without data and plain descent (the
    optimiser's state and the data stream live in Python)."""
    return not game.draws_data and optimiser is None


def steps(game: Game, algorithm: Algorithm, theta0, *, alpha: float, steps: int, hyper: dict,
          start: int = 0) -> Iterator[tuple]:
    """Yield ``(t, theta, losses, xi_norm, diagnostics, active)`` for ``t = start, …, steps`` as
    :func:`sosverify.runner.trajectory` does, computed in compiled chunks (call under the backend)."""
    if start > steps:  # nothing left to do (as the Python loop)
        return
    theta = numpy.array(theta0, dtype=game.dtype)
    runs = theta.shape[0]
    active = numpy.all(numpy.isfinite(theta), axis=1)
    theta[~active] = numpy.nan
    total = steps - start
    # A power of two up to CHUNK: few distinct programs (runs of other lengths, resumed runs reuse
    # them) for fewer than `length` steps computed in vain.
    length = min(CHUNK, 1 << max(0, total - 1).bit_length())
    run_chunk, measure = _program(game, algorithm, float(alpha), hyper, length)
    if total > 0:
        t = start
        while t < steps:
            theta_d, active_d, records = B.to_numpy(run_chunk(B.as_array(theta, game.dtype), active, t, steps))
            thetas, losses, norms, diags, good = records
            for k in range(min(length, steps - t)):
                yield (t + k, thetas[k], losses[k], norms[k],
                       {name: numpy.asarray(v[k], dtype=float) for name, v in diags.items()}, numpy.asarray(good[k]))
            theta, active, t = numpy.array(theta_d), numpy.array(active_d), t + length
    final_theta, losses, norm, good = B.to_numpy(measure(B.as_array(theta, game.dtype), active))
    diags = {name: numpy.full(runs, numpy.nan) for name in algorithm.diagnostics}
    yield steps, numpy.array(final_theta), numpy.array(losses), numpy.array(norm), diags, numpy.array(good)
