"""One pure step of a run, and the loop that runs it: the only step engine.

:func:`make_step` turns a game, a rule and an optimiser into one pure function
``step(state, batch) -> (state, record)`` written in the array namespace
(:data:`sosverify._autodiff.np`), so that the active backend compiles the whole update (JAX: rule,
optimiser and masks in one XLA program) or runs it as is (autograd).  Diverged runs are masked,
never removed, so shapes never change:

- the rule's direction, losses and ξ at every run's parameters (a diverged run's row is NaN);
- a run is *good* at step ``t`` while it is active and its losses and ‖ξ‖ are finite; the record
  of step ``t`` is NaN in the rows that are not good;
- ``step, opt_state = optimiser.update(direction, opt_state)`` and ``θ ← θ − step`` in the good
  rows; a run whose new parameters are not finite stops there (NaN from step ``t + 1`` on).

:func:`steps` runs it: a stretch of ``length`` steps is one :func:`sosverify._autodiff.scan`
(JAX: one compiled ``lax.scan``; autograd: a Python loop) over the minibatches drawn for it, and a
run is a sequence of such chunks.  The chunk length is a power of two up to :data:`CHUNK` while
the states it records (θ and the optimiser's state at every step) fit :data:`RECORD_BUDGET`; a
game as large as the GAN steps one compiled update per call.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy

from sosverify import _autodiff as B
from sosverify import derivatives as D
from sosverify._autodiff import np
from sosverify.algorithms import Algorithm
from sosverify.game import Game
from sosverify.optimisers import Optimiser
from sosverify.settings import CHUNK, RECORD_BUDGET  # declared below both this engine and the memory guard

CACHE_SIZE = 16  # compiled step programs kept, so that runs of the same setting compile once


class State(NamedTuple):
    """What a step carries: parameters ``(R, d)``, the optimiser's state (a dict of arrays shaped
    like ``theta``) and which runs are still active ``(R,)``."""

    theta: Any
    opt_state: dict
    active: Any


class Record(NamedTuple):
    """What a step records about the state *before* its update: ``theta`` ``(R, d)``,
    ``opt_state``, ``losses`` ``(n, R)``,
    ``xi_norm`` ``(R,)``, ``diagnostics`` name → ``(R,)`` and ``good`` ``(R,)``; NaN in the rows
    that are not good."""

    theta: Any
    opt_state: Any
    losses: Any
    xi_norm: Any
    diagnostics: dict
    good: Any


def _norm(xi):
    return np.sqrt(np.sum(xi * xi, axis=1))


def _bound(game: Game, batch):
    return game.bind(batch) if game.draws_data else game


def make_step(game: Game, algorithm: Algorithm, optimiser: Optimiser, *, alpha, hyper: dict,
              predicted: bool = False):
    """``step(state, batch) -> (state, record)``: one update of every run, pure, in the namespace.

    ``alpha`` is α inside the rule; ``predicted``: α inside the rule is instead the optimiser's own
    step per unit of direction at this update, ``optimiser.preconditioner(opt_state)`` per run
    and coordinate (an extension beyond the paper, see :mod:`sosverify.gan.train`).
    """
    nan = float("nan")
    preconditioner = optimiser.preconditioner if predicted else None

    def step(state: State, batch):
        theta, opt_state, active = state
        dtype = theta.dtype  # a rule or game computing in wider floats is brought back to the game's
        g = _bound(game, batch)
        inner = preconditioner(opt_state) * np.ones_like(theta) if preconditioner is not None else alpha
        out = algorithm.fn(g, theta, alpha=inner, **hyper)
        norm = _norm(out.xi)
        good = active & np.all(np.isfinite(out.losses), axis=0) & np.isfinite(norm)
        record = Record(np.where(good[:, None], theta, nan), opt_state,
                        np.where(good[None, :], out.losses, nan).astype(dtype), np.where(good, norm, nan).astype(dtype),
                        {k: np.where(good, v, nan) for k, v in out.diagnostics.items()}, good)
        direction = np.where(good[:, None], out.direction, 0.0).astype(dtype)
        delta, new_state = optimiser.update(direction, opt_state)
        new = (theta - delta).astype(dtype)
        still = good & np.all(np.isfinite(new), axis=1)
        theta = np.where(still[:, None], new, nan)
        new_state = {k: np.where(good[:, None], v, opt_state[k]).astype(opt_state[k].dtype)
                     for k, v in new_state.items()}
        return State(theta, new_state, still), record

    return step


def make_measure(game: Game):
    """``measure(theta, active, batch) -> record`` at the final parameters (no update)."""
    nan = float("nan")

    def measure(theta, active, batch):
        f = D.first_order(_bound(game, batch), theta)
        norm = _norm(f.xi)
        good = active & np.all(np.isfinite(f.losses), axis=0) & np.isfinite(norm)
        return (np.where(good[:, None], theta, nan), np.where(good[None, :], f.losses, nan).astype(theta.dtype),
                np.where(good, norm, nan).astype(theta.dtype), good)

    return measure


def _chunk(step, length: int):
    """Up to ``length`` steps of ``step`` as one scan: the steps from ``t`` to ``stop`` (at most
    ``length``); the slots past ``stop`` are not computed (a 200-step run in one 256-step program
    computed 56 steps in vain) and their records are zeros."""
    def chunk(state: State, batches, t, stop):
        return B.scan(step, state, length, xs=batches, count=stop - t)

    return chunk


_programs: OrderedDict = OrderedDict()


def _settings_key(*values):
    try:
        hash(values)
    except TypeError:
        return None
    return values


def _optimiser_key(optimiser: Optimiser):
    """An optimiser as part of a cache key: its name, settings and the code of its functions (two
    optimisers made by the same factory with the same settings compute the same step)."""
    code = tuple(getattr(f, "__code__", f) for f in (optimiser.init, optimiser.update, optimiser.preconditioner))
    return (optimiser.name, tuple(sorted(optimiser.settings.items())), code)


def _program(game, algorithm, optimiser, alpha, hyper, predicted, length):
    """The compiled chunk and final measurement for these settings, from a small cache keyed by
    the game and rule objects themselves (the entry keeps them, so their ids stay their own) and
    the optimiser's settings; settings that are not hashable are not cached."""
    settings = None if not numpy.isscalar(alpha) else _settings_key(alpha, tuple(sorted(hyper.items())),
                                                                    _optimiser_key(optimiser))
    key = (id(game), id(algorithm), settings, predicted, length, B.active_name())
    hit = _programs.get(key) if settings is not None else None
    if hit is not None and hit[0] is game and hit[1] is algorithm:
        _programs.move_to_end(key)
        return hit[2]
    step = make_step(game, algorithm, optimiser, alpha=alpha, hyper=hyper, predicted=predicted)
    program = (B.compile(_chunk(step, length)), B.compile(make_measure(game)))
    if settings is not None:
        _programs[key] = (game, algorithm, program)
        while len(_programs) > CACHE_SIZE:
            _programs.popitem(last=False)
    return program


def chunk_length(game: Game, runs: int, opt_state: dict, total: int, chunk: int | None = None) -> int:
    """Steps per compiled call: ``chunk`` if given, else a power of two up to :data:`CHUNK` (few
    distinct programs; a chunk computes only the steps it has, see :func:`_chunk`) whose recorded
    states fit :data:`RECORD_BUDGET`."""
    if chunk is not None:
        return chunk
    per_step = runs * game.dim * numpy.dtype(game.dtype).itemsize * (1 + len(opt_state))
    fits = max(1, RECORD_BUDGET // max(1, per_step))
    length = min(CHUNK, 1 << max(0, total - 1).bit_length())
    while length > fits:
        length //= 2
    return length


def _clone(rng: numpy.random.Generator) -> numpy.random.Generator:
    """A generator in the same state as ``rng`` that does not advance it."""
    bit = type(rng.bit_generator)()
    bit.state = rng.bit_generator.state
    return numpy.random.Generator(bit)


def _stack(batches: list):
    return None if batches[0] is None else tuple(numpy.stack(parts) for parts in zip(*batches))


def steps(game: Game, algorithm: Algorithm, optimiser: Optimiser, theta0, opt_state: dict | None, *, alpha,
          steps: int, hyper: dict, start: int = 0, rng: numpy.random.Generator | None = None,
          predicted: bool = False, chunk: int | None = None) -> Iterator[tuple]:
    """Yield ``(t, theta, losses, xi_norm, diagnostics, active, opt_state, rng_state)`` for
    ``t = start, …, steps``: the state before update ``t`` (call under the backend).

    A game that draws data gets one minibatch per step from ``rng`` (drawn on the host, a chunk's
    minibatches at a time); ``rng_state`` is the generator's state before step ``t``'s minibatch,
    and the final state is measured on the minibatch the next step would draw, without advancing
    ``rng``."""
    if start > steps:  # nothing left to do
        return
    theta = numpy.array(theta0, dtype=game.dtype)
    runs = theta.shape[0]
    active = numpy.all(numpy.isfinite(theta), axis=1)
    theta[~active] = numpy.nan
    opt_state = optimiser.init(theta) if opt_state is None else opt_state
    total = steps - start
    length = chunk_length(game, runs, opt_state, total, chunk)
    run_chunk, measure = _program(game, algorithm, optimiser, alpha, hyper, predicted, length)
    t = start
    while t < steps:
        todo = min(length, steps - t)
        rng_states: list[Any] = [None] * todo
        batches: list[Any] = [None] * length
        if rng is not None and game.sample is not None:  # a game that draws data (the runner checked rng)
            for k in range(todo):
                rng_states[k] = copy.deepcopy(rng.bit_generator.state)
                batches[k] = game.sample(rng, runs)
            batches[todo:] = [batches[todo - 1]] * (length - todo)  # slots past the end: not computed
        state = State(B.as_array(theta, game.dtype), {k: B.as_array(v, game.dtype) for k, v in opt_state.items()},
                      active)
        new, records = B.to_numpy(run_chunk(state, _stack(batches), t, steps))
        for k in range(todo):
            yield (t + k, records.theta[k], records.losses[k], records.xi_norm[k],
                   {name: numpy.asarray(v[k], dtype=float) for name, v in records.diagnostics.items()},
                   numpy.asarray(records.good[k]), {n: v[k] for n, v in records.opt_state.items()}, rng_states[k])
        theta, opt_state, active = numpy.array(new.theta), {k: numpy.array(v) for k, v in new.opt_state.items()}, \
            numpy.array(new.active)
        t += todo
    rng_state, batch = None, None
    if rng is not None and game.sample is not None:
        rng_state, batch = copy.deepcopy(rng.bit_generator.state), game.sample(_clone(rng), runs)
    final_theta, losses, norm, good = B.to_numpy(measure(B.as_array(theta, game.dtype), active, batch))
    diags = {name: numpy.full(runs, numpy.nan) for name in algorithm.diagnostics}
    yield steps, numpy.array(final_theta), numpy.array(losses), numpy.array(norm), diags, numpy.array(good), \
        opt_state, rng_state
