"""Hypothesis strategies that draw *games as coefficients*, so a failure shrinks to a game a person reads.

Every game strategy returns a :class:`DrawnGame`: SymPy losses over readable symbols
(``x, y, z, w``; ``x1, x2`` when a player has several parameters), printed as expressions in
a falsifying example, with the numeric :class:`~sosverify.game.Game` and the symbolic
:class:`~sosverify.symbolic.SymGame` built from them on demand.  Coefficients are small
integers or halves and points are quarters, so shrinking heads for ``0``, ``1`` and few terms,
and a point of the numeric layer is exactly the rational point of the symbolic one.

Used by the test suite and by :mod:`sosverify.audit` (which checks a user's rule with them).

Bounded on purpose: 2–4 players, 1–3 parameters each, at most ``max_dim`` parameters in all,
polynomial degree ≤ 3, learning rates and SOS's ``a``, ``b`` in (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy
import sympy
from hypothesis import assume
from hypothesis import strategies as st

from sosverify.expressions import from_expressions
from sosverify.games import ipd
from sosverify.games import paper as P
from sosverify.symbolic import SymGame
from sosverify.symbolic.game import same_player_mask

LETTERS = "xyzw"
# Games whose second derivatives vanish (linear or constant losses) are drawn on purpose; the
# seam (sosverify._autodiff) silences autograd's warning that such a gradient does not depend on
# its input, so the tests see no warning.


def player_symbols(dims) -> list[list[sympy.Symbol]]:
    """``x`` / ``y`` for one-parameter players, ``x1, x2`` for more."""
    return [[sympy.Symbol(LETTERS[i], real=True)] if d == 1 else
            [sympy.Symbol(f"{LETTERS[i]}{k + 1}", real=True) for k in range(d)] for i, d in enumerate(dims)]


@dataclass(frozen=True)
class DrawnGame:
    """A game drawn as coefficients: SymPy losses, the players' symbols, and what was built in."""

    losses: tuple
    players: tuple
    name: str = "drawn"
    fixed_point: tuple | None = None   # exact rationals, one per parameter, with ξ = 0 there
    H_at_fixed_point: sympy.Matrix | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        players = " | ".join(", ".join(str(s) for s in group) for group in self.players)
        text = "; ".join(f"L{k + 1} = {loss}" for k, loss in enumerate(self.losses))
        fp = "" if self.fixed_point is None else f"; fixed point {tuple(str(v) for v in self.fixed_point)}"
        return f"{self.name}({text}; players {players}{fp})"

    def _repr_pretty_(self, printer, cycle):  # hypothesis prints falsifying examples with this
        printer.text(repr(self))

    @property
    def dims(self) -> tuple:
        return tuple(len(g) for g in self.players)

    @property
    def dim(self) -> int:
        return sum(self.dims)

    @property
    def symbols(self) -> list:
        return [s for g in self.players for s in g]

    @cached_property
    def sym(self) -> SymGame:
        return SymGame(list(self.losses), [list(g) for g in self.players], name=self.name)

    @cached_property
    def numeric(self):
        return _numeric(self.losses, self.players, self.name)

    def point(self, values) -> dict:
        """``{symbol: value}`` for a point given as a flat sequence."""
        return dict(zip(self.symbols, values))


@lru_cache(maxsize=512)
def _numeric(losses: tuple, players: tuple, name: str):
    """The numeric game of a drawn one, built once per distinct game (shrinking revisits games)."""
    return from_expressions(list(losses), [list(g) for g in players], name=name)


@dataclass(frozen=True)
class NumericGame:
    """A game with no SymPy form (the IPD), drawn by its settings."""

    numeric: Any
    settings: str

    def __repr__(self) -> str:
        return f"{self.numeric.name}({self.settings})"

    def _repr_pretty_(self, printer, cycle):
        printer.text(repr(self))

    @property
    def dim(self) -> int:
        return self.numeric.dim


# -- numbers ------------------------------------------------------------------------------

def coefficients(max_abs: int = 4) -> st.SearchStrategy:
    """Small integers and halves, shrinking to 0 and 1."""
    return st.builds(lambda k, half: sympy.Rational(k, 2 if half else 1),
                     st.integers(-max_abs, max_abs), st.booleans())


def quarters(max_abs: float = 2.0) -> st.SearchStrategy:
    """Exact binary fractions k/4 in [−max_abs, max_abs]: the same number in SymPy and NumPy."""
    m = int(4 * max_abs)
    return st.integers(-m, m).map(lambda k: sympy.Rational(k, 4))


def unit_fractions(lo: int = 1, hi: int = 63, denominator: int = 64) -> st.SearchStrategy:
    """k/64 in (0, 1): exact in binary floating point."""
    return st.integers(lo, hi).map(lambda k: k / denominator)


def learning_rates() -> st.SearchStrategy:
    """α ∈ (0, 1), as k/64."""
    return unit_fractions()


def points(game, max_abs: float = 2.0) -> st.SearchStrategy:
    """A point of ``game``: one quarter per parameter."""
    return st.lists(quarters(max_abs), min_size=game.dim, max_size=game.dim).map(tuple)


# -- shapes ---------------------------------------------------------------------------------

@st.composite
def player_dims(draw, min_players=2, max_players=4, max_params=3, max_dim=6):
    """2–4 players with 1–3 parameters each, ``max_dim`` in all; shrinks to ``(1, 1)``."""
    n = draw(st.integers(min_players, min(max_players, max_dim)))
    dims = []
    for i in range(n):
        room = max_dim - sum(dims) - (n - i - 1)  # leave one parameter for each later player
        dims.append(draw(st.integers(1, min(max_params, room))))
    return tuple(dims)


# -- polynomial games -----------------------------------------------------------------------

@st.composite
def polynomial_losses(draw, symbols, max_degree=3, max_terms=5):
    """One loss: a sum of at most ``max_terms`` monomials of degree 1..max_degree over ``symbols``."""
    terms = draw(st.lists(st.tuples(coefficients(),
                                    st.lists(st.sampled_from(symbols), min_size=1, max_size=max_degree)),
                          max_size=max_terms))
    return sympy.Add(*[c * sympy.Mul(*m) for c, m in terms if c])


@st.composite
def polynomial_games(draw, dims=None, max_degree=3, max_terms=5, max_dim=6):
    """Every loss a polynomial of degree ≤ 3 with small integer or half coefficients."""
    dims = draw(player_dims(max_dim=max_dim)) if dims is None else dims
    players = player_symbols(dims)
    flat = [s for g in players for s in g]
    losses = tuple(draw(polynomial_losses(flat, max_degree, max_terms)) for _ in dims)
    return DrawnGame(losses, tuple(tuple(g) for g in players), name="polynomial")


def with_fixed_point(game: DrawnGame, point) -> DrawnGame:
    """The same game with each ``L^i`` shifted by a term linear in player i's own parameters so that
    ``ξ(point) = 0`` exactly (H and the others' gradients are unchanged)."""
    at = game.point(point)
    xi = [sympy.expand(v.subs(at)) for v in game.sym.xi]
    owner = [i for i, g in enumerate(game.players) for _ in g]
    losses = list(game.losses)
    for s, i, v in zip(game.symbols, owner, xi):
        losses[i] = sympy.expand(losses[i] - v * s)
    return DrawnGame(tuple(losses), game.players, name=game.name, fixed_point=tuple(point))


@st.composite
def games_with_a_fixed_point(draw, games=None, max_abs=1.0):
    """A drawn game shifted so that ξ vanishes at a drawn point (see :func:`with_fixed_point`)."""
    game = draw(polynomial_games() if games is None else games)
    point = draw(points(game, max_abs))
    return with_fixed_point(game, point)


# -- quadratic games from a drawn H ---------------------------------------------------------

def _blocks(dims):
    ends = numpy.cumsum((0,) + tuple(dims))
    return [range(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:])]


def _integer_matrix(draw, rows, cols, lo=-3, hi=3) -> numpy.ndarray:
    entries = draw(st.lists(st.integers(lo, hi), min_size=rows * cols, max_size=rows * cols))
    return numpy.array(entries, dtype=numpy.int64).reshape(rows, cols)


def _min_real_eigenvalue(H) -> float:
    return float(numpy.linalg.eigvals(numpy.array(H, dtype=float)).real.min())


@st.composite
def game_hessians(draw, dims, kind: str):
    """An integer game Hessian with symmetric diagonal blocks, of one of three kinds (§2.2):

    - ``stable``: ``H = BᵀB + K``, ``K`` antisymmetric with zero diagonal blocks, so sym(H) = BᵀB ⪰ 0;
      only invertible H are kept (the hypothesis of Theorem 2).
    - ``saddle``: a strict saddle, some eigenvalue with real part ≤ −½.
    - ``general``: any H with symmetric diagonal blocks.
    - ``singular``: ``H = BᵀB`` with B of rank < d (PSD, not invertible: LSS's regularised branch).

    Drawn as integer arrays (cheap while shrinking) and returned as a SymPy matrix.
    """
    d = sum(dims)
    same = numpy.array(same_player_mask(dims).tolist(), dtype=numpy.int64)
    U = _integer_matrix(draw, d, d)
    if kind == "stable":
        rank = draw(st.integers(1, d))
        B = _integer_matrix(draw, rank, d, -2, 2)
        K = (U - U.T) * (1 - same)
        H = B.T @ B + K
        assume(sympy.Matrix(H.tolist()).det() != 0)  # exact: integer entries
    elif kind == "singular":
        B = _integer_matrix(draw, draw(st.integers(1, d - 1)), d, -2, 2)
        H = B.T @ B
    else:
        S = _integer_matrix(draw, d, d)
        H = (S + S.T) * same + U * (1 - same)
        if kind == "saddle":
            assume(_min_real_eigenvalue(H) <= -0.5)
    return sympy.Matrix(H.tolist())


@st.composite
def quadratic_games(draw, kind: str = "general", dims=None, max_dim=4, shaping=True):
    """``ξ(θ) = H(θ − θ̄)`` with H from :func:`game_hessians` and θ̄ a drawn point of halves.

    ``L^i = ½ (θ_i − θ̄_i)ᵀH_ii(θ_i − θ̄_i) + Σ_{j≠i} (θ_i − θ̄_i)ᵀH_ij(θ_j − θ̄_j) + Σ_{j≠i} b_ijᵀθ_j``;
    the terms ``b`` linear in the *others'* parameters change neither ξ nor H but make
    ``∇_j L^i ≠ 0`` at θ̄, so χ(θ̄) ≠ 0 wherever some ``H_ji ≠ 0`` (``shaping=True``).
    """
    dims = draw(player_dims(max_dim=max_dim)) if dims is None else dims
    H = draw(game_hessians(dims, kind))
    players = player_symbols(dims)
    flat = [s for g in players for s in g]
    d = len(flat)
    centre = tuple(draw(st.lists(st.integers(-2, 2), min_size=d, max_size=d).map(
        lambda ks: [sympy.Rational(k, 2) for k in ks])))
    u = [s - c for s, c in zip(flat, centre)]
    losses = []
    for rows in _blocks(dims):
        terms = [(sympy.Rational(1, 2) if b in rows else 1) * H[a, b] * u[a] * u[b]
                 for a in rows for b in range(d) if H[a, b] != 0]
        if shaping:
            others = [flat[b] for b in range(d) if b not in rows]
            terms += [c * s for c, s in zip(draw(st.lists(st.integers(-2, 2), min_size=len(others),
                                                          max_size=len(others))), others) if c]
        losses.append(sympy.expand(sympy.Add(*terms)))
    return DrawnGame(tuple(losses), tuple(tuple(g) for g in players), name=f"quadratic-{kind}",
                     fixed_point=centre, H_at_fixed_point=H)


# -- sigmoid and IPD games ------------------------------------------------------------------

def sigmoid(s):
    return 1 / (1 + sympy.exp(-s))


@st.composite
def bimatrix_games(draw):
    """Two players, one logit each, ``p_i = σ(θ_i)``, ``L^i = [p1, 1−p1] M_i [p2, 1−p2]ᵀ``
    with small integer payoff matrices (matching pennies is M_1 = −M_2 = [[1, −1], [−1, 1]])."""
    x, y = sympy.symbols("x y", real=True)
    u, v = sympy.Matrix([[sigmoid(x), 1 - sigmoid(x)]]), sympy.Matrix([sigmoid(y), 1 - sigmoid(y)])
    losses = tuple((u * sympy.Matrix(_integer_matrix(draw, 2, 2).tolist()) * v)[0, 0] for _ in range(2))
    return DrawnGame(losses, ((x,), (y,)), name="bimatrix")


@st.composite
def ipd_games(draw):
    """The exact IPD with a drawn discount γ ∈ [0.5, 0.96] (no SymPy form)."""
    gamma = draw(st.sampled_from([0.5, 0.75, 0.9, 0.96]))
    return NumericGame(ipd(gamma), f"gamma={gamma}")


def small_logits(game, max_abs=2.0, runs=1) -> st.SearchStrategy:
    """``(runs, d)`` logits in [−max_abs, max_abs] (quarters), for games without a SymPy form."""
    return st.lists(st.lists(quarters(max_abs).map(float), min_size=game.dim, max_size=game.dim),
                    min_size=runs, max_size=runs).map(lambda rows: numpy.array(rows, dtype=float))


def any_games() -> st.SearchStrategy:
    """Polynomial, quadratic, bimatrix and IPD games."""
    return st.one_of(polynomial_games(), quadratic_games(), bimatrix_games(), ipd_games())


# -- the paper's games, for @example ------------------------------------------------------

_x, _y = P.x, P.y


def _paper(game: P.PaperGame, **known) -> DrawnGame:
    """One of the paper's games (:mod:`sosverify.games.paper`, where each is written once), with what is known of it."""
    return DrawnGame(game.losses, game.players, name=game.name, **known)


TANDEM = _paper(P.TANDEM, fixed_point=(sympy.Rational(1, 2), sympy.Rational(1, 2)))
CYCLIC = _paper(P.CYCLIC, fixed_point=(0, 0), H_at_fixed_point=sympy.Matrix([[0, 1], [-1, 0]]))
COMMON_SADDLE = _paper(P.COMMON_SADDLE, fixed_point=(0, 0), H_at_fixed_point=sympy.Matrix([[0, 1], [1, 0]]))
SINGLE_LOSS = _paper(P.SINGLE_LOSS, fixed_point=(0, 0))
REMARK_D5 = _paper(P.REMARK_D5, fixed_point=(0, 0, 0, 0), H_at_fixed_point=sympy.Matrix(P.REMARK_D5_H))
PAPER_GAMES = (TANDEM, CYCLIC, COMMON_SADDLE, REMARK_D5)

# A strict saddle found by the audit's search: three players in a cycle (each loss the product of
# its own parameter and the next player's), H a cyclic permutation with eigenvalues 1, e^{±2πi/3}.
# SGA with alignment is attracted to it: its Jacobian (I + Aᵀ)H has eigenvalues 1 and ¼ ± 1.3i.
_z, _w = sympy.symbols("z w", real=True)
THREE_CYCLE = DrawnGame((_x * _y, _y * _z, _z * _x), ((_x,), (_y,), (_z,)), name="three-cycle",
                        fixed_point=(0, 0, 0), H_at_fixed_point=sympy.Matrix([[0, 1, 0], [0, 0, 1], [1, 0, 0]]))

# A cyclic game with unequal couplings, L1 = 2xy, L2 = −xy (H = [[0, 2], [−1, 0]]): near its fixed
# point LSS's ½(ξ + Hᵀδ) points against ξ = Hδ for δ = (1, 0), since (H + Hᵀ)H is indefinite.
LOPSIDED_CYCLE = DrawnGame((2 * _x * _y, -_x * _y), ((_x,), (_y,)), name="lopsided-cycle", fixed_point=(0, 0),
                           H_at_fixed_point=sympy.Matrix([[0, 2], [-1, 0]]))
