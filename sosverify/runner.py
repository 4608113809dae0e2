"""Running a learning rule on a game: many independent runs as one batched computation.

:func:`trajectory` is a generator that yields every step, so callers decide
what to keep; :func:`run` records a :class:`History`.  A run whose
parameters, losses or direction stop being finite is flagged as *diverged*
and stops updating (its later entries are NaN); the other runs continue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy

from sosverify import _autodiff as B
from sosverify import derivatives as D
from sosverify import step as S
from sosverify import validation as V
from sosverify.algorithms import Algorithm, get_algorithm, hyperparameters, probe_rule
from sosverify.backends import check_name, describe, use_backend
from sosverify.errors import SosverifyError
from sosverify.game import Game
from sosverify.games import get_game
from sosverify.optimisers import Optimiser, sgd
from sosverify.settings import ALPHA, RUNS, SEED, STEPS


class Step(NamedTuple):
    """One step of :func:`trajectory`: the state *before* the update ``t``.

    ``theta`` ``(R, d)``, ``losses`` ``(n, R)``, ``xi_norm`` ``(R,)``,
    ``diagnostics`` name → ``(R,)``; entries of runs that are not ``active`` are NaN.
    ``opt_state`` is the optimiser's state before update ``t`` and ``rng_state`` the data
    generator's state before step ``t``'s minibatch was drawn (``None`` for a game without data):
    with ``theta`` they are a checkpoint from which :func:`trajectory` resumes bit for bit.
    """

    t: int
    theta: numpy.ndarray
    losses: numpy.ndarray
    xi_norm: numpy.ndarray
    diagnostics: dict
    active: numpy.ndarray
    opt_state: dict | None = None
    rng_state: dict | None = None


def check_positive(name: str, value, *, integer: bool = False) -> None:
    """Raise a clear error unless ``value`` is a positive (integer) number."""
    ok = isinstance(value, (int, numpy.integer)) if integer else isinstance(value, (int, float, numpy.number))
    if not ok or isinstance(value, bool) or not numpy.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise SosverifyError(f"{name} must be {kind}, got {value!r}")


def initial_parameters(game: Game, runs: int, rng: numpy.random.Generator, init_std: float | None = None):
    """Initial parameters ``(runs, d)`` in the game's dtype.

    ``θ_0 ~ N(0, init_std²)`` per parameter; ``init_std`` defaults to the game's.  A game with its
    own ``init`` (the GAN's truncated normal) uses it unless ``init_std`` is given.
    """
    if game.init is not None and init_std is None:
        theta = game.as_params(game.init(rng, runs))
        if theta.shape != (runs, game.dim):
            raise SosverifyError(f"game {game.name!r}: init returned shape {theta.shape}, expected {(runs, game.dim)}")
        return theta
    std = game.init_std if init_std is None else init_std
    if not (numpy.isfinite(std) and std >= 0):
        raise SosverifyError(f"init_std must be a finite number >= 0, got {std!r}")
    return game.as_params(std * rng.standard_normal((runs, game.dim)))


def _resolve(game, algorithm, hyper):
    game = game if isinstance(game, Game) else get_game(game)  # a name, an .nfg path or payoff arrays, or one line
    algo = get_algorithm(algorithm) if isinstance(algorithm, str) else algorithm
    if not isinstance(algo, Algorithm):
        raise SosverifyError(f"algorithm must be a name or an Algorithm, got {type(algorithm).__name__}")
    hyper = hyperparameters(algo, hyper)  # unknown names and values out of range are refused here
    if algo.dense:
        D.check_dense(game, f"{algo.name.upper()}")
    return game, algo, hyper


def trajectory(game: Game, algorithm: Algorithm, theta0, *, alpha: float, steps: int,
               hyper: dict | None = None, optimiser: Optimiser | None = None,
               rng: numpy.random.Generator | None = None, start: int = 0,
               opt_state: dict | None = None, backend: str | None = None,
               chunk: int | None = None, predicted_step: bool = False) -> Iterator[Step]:
    """Yield the state before each update ``t = start, …, steps − 1``, then the final state.

    The update is ``θ ← θ − step`` with ``step, state = optimiser.update(direction, state)``;
    the default optimiser is plain descent, ``step = α · direction``.  One pure step
    (:func:`sosverify.step.make_step`: rule, optimiser and masks) is compiled by the backend and
    run in chunks of ``chunk`` steps (default: :func:`sosverify.step.chunk_length`), each one
    scan (JAX: one compiled loop; autograd: a Python loop).  A game that draws data gets one
    minibatch per step from ``rng``, shared by everything computed in that step; the final state
    is measured on the minibatch the next step would draw, without advancing ``rng``.
    To resume from a yielded :class:`Step` ``s``, pass ``theta0=s.theta``, ``start=s.t``,
    ``opt_state=s.opt_state`` and an ``rng`` whose state is ``s.rng_state``.

    ``backend`` (``"autograd"``, ``"jax"``; default: the backend active when this is called) does
    the differentiation; it is fixed here, so the generator may be consumed anywhere.

    ``predicted_step`` (an extension beyond the paper, for rules with ``predicts``): α inside the
    rule is the optimiser's own step per unit of direction at this update,
    ``optimiser.preconditioner(state)`` (RMSProp: ``lr/√ν`` per coordinate), so that LA, LOLA and
    SOS predict the others' step as the optimiser will take it; ``alpha`` is then unused.
    """
    backend = B.active_name() if backend is None else check_name(backend)
    if predicted_step:
        if optimiser is None or optimiser.preconditioner is None:
            raise SosverifyError("predicted_step needs an optimiser with a preconditioner (sgd, rmsprop)")
        if not algorithm.predicts:
            raise SosverifyError(f"predicted_step applies to rules that predict a step (LA, LOLA, p-LOLA, SOS, EG), "
                                 f"not {algorithm.name!r}")
    if game.draws_data and rng is None:
        raise SosverifyError(f"game {game.name!r} draws data: give trajectory an rng (numpy.random.Generator)")
    alpha, steps = ALPHA.check(alpha), STEPS.check(steps)
    check_chunk(chunk)
    return _trajectory(game, algorithm, theta0, alpha=alpha, steps=steps, hyper=hyper or {},
                       optimiser=sgd(alpha) if optimiser is None else optimiser, rng=rng, start=start,
                       opt_state=opt_state, backend=backend, predicted=predicted_step, chunk=chunk)


def check_chunk(chunk) -> None:
    """Refuse a ``chunk`` that is neither ``None`` nor a positive integer."""
    if chunk is not None:
        check_positive("chunk", chunk, integer=True)


def _trajectory(game, algorithm, theta0, *, alpha, steps, hyper, optimiser, rng, start, opt_state, backend,
                predicted, chunk):
    items = S.steps(game, algorithm, optimiser, theta0, opt_state, alpha=alpha, steps=steps, hyper=hyper,
                    start=start, rng=rng, predicted=predicted, chunk=chunk)
    while True:
        with numpy.errstate(all="ignore"), use_backend(backend):
            item = next(items, None)
        if item is None:
            return
        yield Step(*item)


@dataclass
class History:
    """Everything recorded by :func:`run`, per step and per run.

    ``params`` ``(K, R, d)`` at the steps ``param_steps`` ``(K,)`` (every step by default:
    ``K = steps + 1``), ``losses`` ``(steps+1, n, R)`` (learning
    losses), ``xi_norm`` ``(steps+1, R)``, ``diagnostics[name]`` ``(steps, R)``,
    ``diverged`` ``(R,)`` and ``diverged_step`` ``(R,)``: the first step whose parameters, losses
    or ξ are not finite (−1 if never).
    """

    game: Game
    algorithm: str
    config: dict
    params: numpy.ndarray
    losses: numpy.ndarray
    xi_norm: numpy.ndarray
    diagnostics: dict = field(default_factory=dict)
    diverged: numpy.ndarray = None  # type: ignore[assignment]
    diverged_step: numpy.ndarray = None  # type: ignore[assignment]
    param_steps: numpy.ndarray = None  # type: ignore[assignment]

    @property
    def reported_losses(self) -> numpy.ndarray:
        """``report_scale · losses`` (the IPD's ``(1 − γ) L``)."""
        return self.game.report_scale * self.losses

    def player_params(self, i: int) -> numpy.ndarray:
        """Player ``i``'s parameters, shape ``(K, R, d_i)`` (at :attr:`param_steps`)."""
        return self.params[:, :, self.game.slices[i]]

    @property
    def final_params(self) -> list:
        """Final parameters per player, each ``(R, d_i)`` (NaN rows for diverged runs)."""
        return [self.params[-1][:, s] for s in self.game.slices]


def run(game, algorithm, *, alpha: float, steps: int, runs: int = 1, seed: int = 0,
        init=None, init_std: float | None = None, progress: bool = False, params_every: int | None = 1,
        optimiser: Optimiser | None = None, backend: str | None = None, chunk: int | None = None,
        **hyper) -> History:
    """Run ``algorithm`` on ``game`` for ``steps`` updates of ``runs`` independent runs.

    Args:
      game: a :class:`Game` or a built-in name (``sosverify games``).
      algorithm: a name (``sosverify algorithms``) or an :class:`Algorithm`.
      alpha: learning rate ``α > 0``.
      steps, runs: positive integers.
      seed: seeds the ``numpy.random.Generator`` that draws the initial parameters and then,
        for a game that draws data, every minibatch.
      init: explicit initial parameters (list of per-player ``(R, d_i)`` arrays or
        one ``(R, d)`` array); overrides ``seed``/``init_std``.
      init_std: standard deviation of ``θ_0`` (default: the game's).
      progress: show a progress bar on stderr.
      params_every: keep the parameters every this many steps (and at the last step); ``None``
        keeps only the first and the last.  Losses and ‖ξ‖ are kept at every step.
      optimiser: a :mod:`sosverify.optimisers` optimiser (default: plain ``θ ← θ − α·direction``).
      backend: ``"autograd"`` (the reference) or ``"jax"`` (compiled; ``pip install "sosverify[jax]"``);
        default: ``SOSVERIFY_BACKEND`` or autograd.  Recorded in ``config["backend"]`` with its version.
      chunk: steps per compiled call (default: :func:`sosverify.step.chunk_length`, up to 256; see
        :func:`trajectory`).  Recorded in ``config["chunk"]``.
      **hyper: the algorithm's hyperparameters (``a``, ``b``, ``gamma``, ``eps``, ``p``, ``lam``).

    >>> h = run("tandem", "sos", alpha=0.1, steps=200, runs=3, seed=0, a=0.5, b=0.5)
    >>> numpy.round(h.params[-1].sum(axis=1), 6)
    array([1., 1., 1.])
    """
    backend = B.active_name() if backend is None else check_name(backend)
    # numbers of any real type, as the command line takes them (alpha=Fraction(1, 10), steps=numpy.int64(2))
    plain = V.plain_numbers({"alpha": alpha, "steps": steps, "runs": runs, "seed": seed, "init_std": init_std,
                             "params_every": params_every, "chunk": chunk, **hyper})
    alpha, steps, runs, seed, init_std, params_every, chunk = (plain.pop(k) for k in (
        "alpha", "steps", "runs", "seed", "init_std", "params_every", "chunk"))
    hyper = plain
    game, algo, hyper = _resolve(game, algorithm, hyper)
    alpha, steps = ALPHA.check(alpha), STEPS.check(steps)
    check_chunk(chunk)
    if params_every is not None:
        check_positive("params_every", params_every, integer=True)
    every = steps if params_every is None else params_every
    kept = steps // every + 1 + (1 if steps % every else 0)  # steps 0, k, 2k, … and the last
    if init is None:
        runs, seed = RUNS.check(runs), SEED.check(seed)
        V.check_history_memory(steps, runs, game.dim, game.n_players, len(algo.diagnostics), kept)
        rng = numpy.random.default_rng(seed)
        theta0 = initial_parameters(game, runs, rng, init_std)
    else:
        seed = SEED.check(seed)
        rng = numpy.random.default_rng(seed)  # draws the minibatches of a game with data
        theta0 = game.as_params(V.initial_array(init, game.dims))
        runs = theta0.shape[0]
        V.check_history_memory(steps, runs, game.dim, game.n_players, len(algo.diagnostics), kept)
    theta0 = numpy.asarray(theta0)
    with use_backend(backend):
        probe_rule(game, algo, theta0, alpha, hyper)
    config = {"game": game.name, "game_params": game.params, "algorithm": algo.name, "alpha": alpha,
              "steps": steps, "runs": runs, "seed": None if init is not None else seed,
              "init_std": None if init is not None else (game.init_std if init_std is None else init_std),
              "hyperparameters": hyper, "backend": describe(backend),
              "chunk": S.chunk_length(game, runs, (optimiser or sgd(alpha)).init(theta0[:1]), steps, chunk)}
    if optimiser is not None:
        config["optimiser"] = {"name": optimiser.name, **optimiser.settings}
    param_steps = numpy.unique(numpy.r_[numpy.arange(0, steps + 1, every), steps])
    slot = {int(t): k for k, t in enumerate(param_steps)}
    params = numpy.empty((len(param_steps), runs, game.dim), dtype=game.dtype)
    losses = numpy.empty((steps + 1, game.n_players, runs), dtype=game.dtype)
    xi_norm = numpy.empty((steps + 1, runs), dtype=game.dtype)
    diags = {name: numpy.full((steps, runs), numpy.nan) for name in algo.diagnostics}
    diverged_step = numpy.full(runs, -1)
    bar = _progress(steps + 1, f"{algo.name} on {game.name}", progress)
    for s in trajectory(game, algo, theta0, alpha=alpha, steps=steps, hyper=hyper, optimiser=optimiser, rng=rng,
                        backend=backend, chunk=chunk):
        if s.t in slot:
            params[slot[s.t]] = s.theta
        losses[s.t], xi_norm[s.t] = s.losses, s.xi_norm
        for name in diags:
            if s.t < steps:
                diags[name][s.t] = s.diagnostics[name]
        newly = (~s.active) & (diverged_step < 0)
        diverged_step[newly] = s.t
        bar.update(1)
    bar.close()
    return History(game, algo.name, config, params, losses, xi_norm, diags,
                   diverged_step >= 0, diverged_step, param_steps)


def _progress(total: int, desc: str, enabled: bool):
    """A tqdm bar on stderr, or a do-nothing stand-in."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, file=None)


def mean_std(values: numpy.ndarray, ok: numpy.ndarray):
    """Mean and std over the runs (last axis) flagged ``ok``, as lists; ``(None, None)`` if there are none."""
    if not ok.any():
        return None, None
    v = values[..., ok]
    return v.mean(axis=-1).tolist(), v.std(axis=-1).tolist()


def summarise(history: History) -> dict:
    """The per-algorithm entry of a results file (see docs/cli.md, "Results file").

    Means and standard deviations are over runs that did not diverge; diverged
    runs are counted and listed, never averaged in.
    """
    ok = ~history.diverged
    n = history.game.n_players
    mean, std = mean_std(history.losses[-1], ok)
    rmean, rstd = mean_std(history.game.report_scale * history.losses[-1], ok)
    if mean is None:
        mean = std = rmean = rstd = [None] * n
    per_run = [None if not ok[r] else [p[r].tolist() for p in history.final_params]
               for r in range(len(ok))]
    return {
        "final_loss_mean": mean,
        "final_loss_std": std,
        "final_reported_loss_mean": rmean,
        "final_reported_loss_std": rstd,
        "final_xi_norm_mean": float(history.xi_norm[-1][ok].mean()) if ok.any() else None,
        "diverged": int(history.diverged.sum()),
        "diverged_runs": numpy.flatnonzero(history.diverged).tolist(),
        "final_losses": history.losses[-1].T.tolist(),
        "final_params": per_run,
        "hyperparameters": history.config["hyperparameters"],
    }
