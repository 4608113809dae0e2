"""A thin `Game`: players, their parameter sizes, and one function for all losses.

Parameters carry a leading *runs* axis: player ``i`` holds an array of shape
``(R, d_i)`` and each loss returns shape ``(R,)``, one value per run.  Runs are
independent: the loss of run ``r`` depends only on row ``r``.  Internally the
numeric layer works on the concatenation ``theta`` of shape ``(R, d)``,
``d = Σ d_i``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy

from sosverify._autodiff import np, take_columns
from sosverify.errors import SosverifyError

LossFunction = Callable[[list], Sequence[Any]]


@dataclass(frozen=True)
class Game:
    """A differentiable game.

    Args:
      name: short identifier.
      dims: parameters per player, ``(d_1, ..., d_n)``.
      loss_fn: ``loss_fn(params) -> [L^1, ..., L^n]`` where ``params[i]`` has shape
        ``(R, d_i)`` and each ``L^i`` has shape ``(R,)`` (or one ``(n, R)`` array); written with
        ``sosverify.np`` (autograd's NumPy) so it can be differentiated.
      report_scale: reported losses are ``report_scale * L`` (the IPD reports
        ``(1 - γ) L``); learning always uses ``L``.
      init_std: default standard deviation of random initial parameters.
      description: one line for listings.
      params: the game's own settings, recorded beside results.

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

    def __post_init__(self):
        dims = tuple(int(d) for d in self.dims)
        if len(dims) < 1 or any(d < 1 for d in dims):
            raise SosverifyError(f"game {self.name!r}: dims must be positive integers, got {self.dims!r}")
        object.__setattr__(self, "dims", dims)
        self._check_shapes()

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

    @property
    def masks(self) -> numpy.ndarray:
        """``(n, d)`` array: row ``i`` is 1 on player ``i``'s block, 0 elsewhere."""
        m = numpy.zeros((self.n_players, self.dim))
        for i, s in enumerate(self.slices):
            m[i, s] = 1.0
        return m

    def split(self, theta) -> list:
        """``(R, d)`` → list of per-player ``(R, d_i)`` arrays."""
        return [take_columns(theta, s.start, s.stop) for s in self.slices]

    def join(self, params) -> numpy.ndarray:
        """List of per-player ``(R, d_i)`` arrays → ``(R, d)``; checks the shapes."""
        if len(params) != self.n_players:
            raise SosverifyError(
                f"game {self.name!r} has {self.n_players} players, got parameters for {len(params)}")
        arrays = [numpy.asarray(p, dtype=float) for p in params]
        arrays = [a[None, :] if a.ndim == 1 else a for a in arrays]
        for i, (a, d) in enumerate(zip(arrays, self.dims)):
            if a.ndim != 2 or a.shape[1] != d or a.shape[0] != arrays[0].shape[0]:
                raise SosverifyError(
                    f"game {self.name!r}: player {i + 1} parameters must have shape (R, {d}) "
                    f"with the same R for every player, got {a.shape}")
        return numpy.concatenate(arrays, axis=1)

    def losses(self, theta):
        """All losses at ``theta`` ``(R, d)``, as an ``(n, R)`` array (differentiable)."""
        out = self.loss_fn(self.split(theta))
        if isinstance(out, (list, tuple)):
            return np.stack(list(out))
        return out  # already an (n, R) array

    @classmethod
    def from_expressions(cls, losses, symbols, name: str = "custom") -> Game:
        """A game from SymPy loss expressions and the symbols each player controls
        (see :func:`sosverify.expressions.from_expressions`)."""
        from sosverify.expressions import from_expressions

        return from_expressions(losses, symbols, name=name)

    def _check_shapes(self) -> None:
        runs = 2
        probe = numpy.zeros((runs, self.dim)) + 0.1
        try:
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
