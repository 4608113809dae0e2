"""A thin `Game`: players, their parameter sizes, and one function for all losses.

Parameters carry a leading *runs* axis: player ``i`` holds an array of shape
``(R, d_i)`` and each loss returns shape ``(R,)``, one value per run.  Runs are
independent: the loss of run ``r`` depends only on row ``r``.  Internally the
numeric layer works on the concatenation ``theta`` of shape ``(R, d)``,
``d = Σ d_i``.

A game may *draw data* (a GAN's minibatches): it then has ``sample(rng, R)``,
which returns one minibatch per run (a tuple of arrays with a leading runs
axis), and its losses take it, ``loss_fn(params, batch)``.  The runner draws
one batch per step and binds it with :meth:`Game.bind`, so that every
quantity of that step (ξ, the Hessian-vector products, SOS's p, EG's
look-ahead point) sees the same data.  A game may also initialise itself
(``init(rng, R)``) and has a ``dtype`` (float32 stays float32).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy

from sosverify._autodiff import as_array, np, take_columns
from sosverify.errors import SosverifyError

LossFunction = Callable[..., Sequence[Any]]
FLOAT_DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Game:
    """A differentiable game.

    Args:
      name: short identifier.
      dims: parameters per player, ``(d_1, ..., d_n)``.
      loss_fn: ``loss_fn(params) -> [L^1, ..., L^n]`` where ``params[i]`` has shape
        ``(R, d_i)`` and each ``L^i`` has shape ``(R,)`` (or one ``(n, R)`` array); written with
        ``sosverify.np`` (the active backend's NumPy) so it can be differentiated.
      report_scale: reported losses are ``report_scale * L`` (the IPD reports
        ``(1 - γ) L``); learning always uses ``L``.
      init_std: default standard deviation of random initial parameters.
      description: one line for listings.
      params: the game's own settings, recorded beside results.
      sample: for games that draw data, ``sample(rng, R) -> batch``: a tuple of arrays whose
        leading axis is the runs axis (row ``r`` is run ``r``'s minibatch); ``loss_fn`` is then
        called as ``loss_fn(params, batch)``.
      init: ``init(rng, R) -> (R, d)`` initial parameters (default: ``N(0, init_std²)``).
      dtype: ``"float64"`` (default) or ``"float32"``; parameters, derivatives and updates keep it.
      batch: the minibatch bound by :meth:`bind` (``None`` for a game that draws none).

    >>> from sosverify import np
    >>> g = Game("tandem", (1, 1), lambda p: [(p[0][:, 0] + p[1][:, 0]) ** 2 - 2 * p[0][:, 0],
    ...                                       (p[0][:, 0] + p[1][:, 0]) ** 2 - 2 * p[1][:, 0]])
    >>> g.losses(numpy.array([[1.0, 0.0]]))
    array([[-1.],
           [ 1.]])
    """

    name: str
    dims: tuple[int, ...]
    loss_fn: LossFunction = field(repr=False)
    report_scale: float = 1.0
    init_std: float = 1.0
    description: str = ""
    params: dict = field(default_factory=dict)
    sample: Callable[[numpy.random.Generator, int], tuple] | None = field(default=None, repr=False)
    init: Callable[[numpy.random.Generator, int], Any] | None = field(default=None, repr=False)
    dtype: str = "float64"
    batch: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        dims = tuple(int(d) for d in self.dims)
        if len(dims) < 1 or any(d < 1 for d in dims):
            raise SosverifyError(f"game {self.name!r}: dims must be positive integers, got {self.dims!r}")
        object.__setattr__(self, "dims", dims)
        if str(self.dtype) not in FLOAT_DTYPES:
            raise SosverifyError(f"game {self.name!r}: dtype must be one of {', '.join(FLOAT_DTYPES)}, "
                                 f"got {self.dtype!r}")
        object.__setattr__(self, "dtype", str(self.dtype))
        self._check_shapes()

    @property
    def draws_data(self) -> bool:
        """Whether the losses take a minibatch drawn by :attr:`sample`."""
        return self.sample is not None

    def bind(self, batch) -> Game:
        """This game with ``batch`` fixed: its losses are ``loss_fn(params, batch)``.

        ``batch`` holds one minibatch per run (leading axis ``R``).  When the numeric layer
        stacks ``P`` copies of the runs (Hessian-vector products), the batch is repeated with
        them, so copy ``p`` of run ``r`` sees run ``r``'s data.  No check is re-run: binding
        happens every step.
        """
        if not self.draws_data:
            raise SosverifyError(f"game {self.name!r} draws no data; there is nothing to bind")
        bound = copy.copy(self)
        object.__setattr__(bound, "batch", tuple(batch))
        return bound

    def draw(self, rng: numpy.random.Generator, runs: int) -> Game:
        """Draw one minibatch per run with ``rng`` and bind it (a game without data is returned as is)."""
        return self if self.sample is None else self.bind(self.sample(rng, runs))

    @property
    def n_players(self) -> int:
        return len(self.dims)

    @property
    def dim(self) -> int:
        """Total number of parameters ``d``."""
        return sum(self.dims)

    @property
    def slices(self) -> list[slice]:
        """Column slice of each player's block in ``theta``."""
        ends = numpy.cumsum((0,) + self.dims)
        return [slice(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:])]

    @functools.cached_property
    def masks(self) -> numpy.ndarray:
        """``(n, d)`` array in the game's dtype: row ``i`` is 1 on player ``i``'s block, 0 elsewhere."""
        m = numpy.zeros((self.n_players, self.dim), dtype=self.dtype)
        for i, s in enumerate(self.slices):
            m[i, s] = 1.0
        m.setflags(write=False)
        return m

    def split(self, theta) -> list:
        """``(R, d)`` → list of per-player ``(R, d_i)`` arrays."""
        return [take_columns(theta, s.start, s.stop) for s in self.slices]

    def join(self, params) -> numpy.ndarray:
        """List of per-player ``(R, d_i)`` arrays → ``(R, d)``; checks the shapes."""
        if len(params) != self.n_players:
            raise SosverifyError(
                f"game {self.name!r} has {self.n_players} players, got parameters for {len(params)}")
        arrays = [numpy.asarray(p, dtype=self.dtype) for p in params]
        arrays = [a[None, :] if a.ndim == 1 else a for a in arrays]
        for i, (a, d) in enumerate(zip(arrays, self.dims)):
            if a.ndim != 2 or a.shape[1] != d or a.shape[0] != arrays[0].shape[0]:
                raise SosverifyError(
                    f"game {self.name!r}: player {i + 1} parameters must have shape (R, {d}) "
                    f"with the same R for every player, got {a.shape}")
        return numpy.concatenate(arrays, axis=1)

    def as_params(self, theta) -> numpy.ndarray:
        """``theta`` as an ``(R, d)`` array of the game's dtype and of the active backend (a float
        array of another precision is converted; nothing else about it is changed)."""
        return as_array(theta, self.dtype)

    def losses(self, theta):
        """All losses at ``theta`` ``(R, d)``, as an ``(n, R)`` array (differentiable)."""
        return self.block_losses(self.split(theta))

    def block_losses(self, params):
        """All losses at per-player parameters ``params[i]`` ``(R, d_i)``, as an ``(n, R)`` array
        (differentiable in each block on its own: mixed partial derivatives start here)."""
        if self.draws_data:
            if self.batch is None:
                raise SosverifyError(f"game {self.name!r} draws data: bind a minibatch first, "
                                     "game.draw(rng, runs) or game.bind(game.sample(rng, runs))")
            out = self.loss_fn(list(params), _repeat_runs(self.batch, numpy.shape(params[0])[0]))
        else:
            out = self.loss_fn(list(params))
        if isinstance(out, (list, tuple)):
            return np.stack(list(out))
        return out  # already an (n, R) array

    @classmethod
    def from_expressions(cls, losses, symbols, name: str = "custom") -> Game:
        """A game from SymPy loss expressions and the symbols each player controls
        (see :func:`sosverify.expressions.from_expressions`)."""
        from sosverify.expressions import from_expressions

        return from_expressions(losses, symbols, name=name)

    @classmethod
    def from_payoffs(cls, *payoffs, name: str = "normal-form") -> Game:
        """A normal-form game from payoff arrays, over softmax logits with the last one fixed at 0
        (see :func:`sosverify.normal_form.from_payoffs`)."""
        from sosverify.normal_form import from_payoffs

        return from_payoffs(*payoffs, name=name)

    def _check_shapes(self) -> None:
        runs = 2
        probe = numpy.zeros((runs, self.dim), dtype=self.dtype) + 0.1
        try:
            if self.sample is not None:  # a probe batch from a local generator; no global state is touched
                out = list(self.loss_fn(self.split(probe), tuple(self.sample(numpy.random.default_rng(0), runs))))
            else:
                out = list(self.loss_fn(self.split(probe)))
        except SosverifyError:
            raise
        except Exception as exc:  # a user function failing on a probe point
            raise SosverifyError(
                f"game {self.name!r}: the loss function failed on parameters of shape "
                f"(R, d_i) = {[(runs, d) for d in self.dims]}: {type(exc).__name__}: {exc}") from None
        if len(out) != self.n_players:
            raise SosverifyError(
                f"game {self.name!r}: the loss function returned {len(out)} losses, "
                f"expected one per player ({self.n_players})")
        for i, loss in enumerate(out):
            shape = numpy.shape(loss)
            if shape != (runs,):
                raise SosverifyError(
                    f"game {self.name!r}: loss {i + 1} has shape {shape} for {runs} runs; each "
                    f"loss must be one scalar per run, shape (R,) = ({runs},)")


def _repeat_runs(batch: tuple, rows: int) -> tuple:
    """Repeat a per-run minibatch over the stacked copies of the runs: ``rows = P · R``."""
    runs = numpy.shape(batch[0])[0]
    if rows == runs:
        return batch
    if rows % runs:
        raise SosverifyError(f"a minibatch for {runs} runs cannot serve parameters for {rows} runs")
    reps = rows // runs
    return tuple(np.concatenate([b] * reps, axis=0) for b in batch)
