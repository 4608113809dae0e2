"""`SymGame`: a game as SymPy expressions, with ξ, H, H_d, H_o, χ and every update direction.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> g = SymGame([(x + y)**2 - 2*x, (x + y)**2 - 2*y], [[x], [y]])
>>> g.xi.T
Matrix([[2*x + 2*y - 2, 2*x + 2*y - 2]])
>>> g.chi.T
Matrix([[4*x + 4*y, 4*x + 4*y]])
"""

from __future__ import annotations

from functools import cached_property

import sympy

from sosverify.errors import SosverifyError
from sosverify.expressions import check_expressions, from_expressions, to_expression, to_symbols

ALPHA = sympy.Symbol("alpha", positive=True)
P = sympy.Symbol("p", nonnegative=True)
GAMMA = sympy.Symbol("gamma", nonnegative=True)
LAM = sympy.Symbol("lambda_", real=True)


def same_player_mask(dims) -> sympy.Matrix:
    """1 where row and column belong to the same player (the diagonal blocks), 0 elsewhere.

    >>> same_player_mask((1, 2))
    Matrix([
    [1, 0, 0],
    [0, 1, 1],
    [0, 1, 1]])
    """
    owner = [i for i, d in enumerate(dims) for _ in range(d)]
    return sympy.Matrix(len(owner), len(owner), lambda a, b: 1 if owner[a] == owner[b] else 0)


def off_diagonal_blocks(H: sympy.Matrix, dims) -> sympy.Matrix:
    """H_o: ``H`` with the players' diagonal blocks set to 0 (``H − H_d``)."""
    return H - H.multiply_elementwise(same_player_mask(dims))


def is_zero(expr) -> bool:
    """Exact zero test: ``cancel`` (rational functions) then ``expand`` each entry, compare with 0."""
    if isinstance(expr, sympy.MatrixBase):
        return all(is_zero(e) for e in expr)
    if isinstance(expr, int):
        return expr == 0
    return sympy.expand(sympy.cancel(expr)) == 0


class SymGame:
    """Losses ``L^i`` (SymPy expressions) and the symbols each player controls.

    ``constants`` are further symbols the losses may use (coefficients of a generic
    game); they are not parameters of any player.  ``functions`` are undefined SymPy
    function heads (``sympy.Function("L1")``) the losses may apply: a game whose losses are
    arbitrary smooth functions (:meth:`general`), for proofs; such a game has no numeric form.
    """

    def __init__(self, losses, players, name: str = "symbolic", constants=(), functions=()):
        if isinstance(losses, (str, bytes)) or not isinstance(losses, (list, tuple)):
            raise SosverifyError(f"the losses must be a list with one loss per player, got {type(losses).__name__} "
                                 f"{losses!r}"[:300])
        self.players = to_symbols(players)
        table = {str(s): s for group in self.players for s in group}
        table.update({str(c): c for c in constants})
        self.losses = [to_expression(loss, dict(table), k) for k, loss in enumerate(losses)]
        self.constants = tuple(constants)
        self.functions = tuple(functions)
        heads = set(self.functions)
        # an applied declared function stands for an arbitrary smooth loss: checked as a constant
        stand_in = [loss.replace(lambda e: getattr(e, "func", None) in heads, lambda *args: sympy.Integer(0))
                    for loss in self.losses]
        check_expressions(stand_in, self.players, self.constants)
        self.name = name
        self.symbols = [s for group in self.players for s in group]
        self.owner = [i for i, group in enumerate(self.players) for _ in group]

    @classmethod
    def general(cls, dims, name: str = "general") -> SymGame:
        """A game whose losses are arbitrary smooth functions ``L^i(θ)`` of all parameters.

        Player ``i`` owns ``t{i}_1 … t{i}_{d_i}``; identities proved on it hold for every
        differentiable game with these dimensions (SymPy keeps each derivative of ``L^i``
        as an unknown).

        >>> SymGame.general((1, 1)).xi.T
        Matrix([[Derivative(L1(t1_1, t2_1), t1_1), Derivative(L2(t1_1, t2_1), t2_1)]])
        """
        players = [list(sympy.symbols(f"t{i + 1}_1:{d + 1}", real=True)) for i, d in enumerate(dims)]
        flat = [s for group in players for s in group]
        heads = [sympy.Function(f"L{i + 1}") for i in range(len(dims))]
        return cls([f(*flat) for f in heads], players, name=name, functions=heads)

    @classmethod
    def from_specs(cls, specs, name: str = "custom") -> SymGame:
        """From ``--player "SYMBOLS=LOSS"`` strings."""
        from sosverify.expressions import parse_players

        losses, players = parse_players(specs)
        return cls(losses, players, name=name)

    @property
    def n_players(self) -> int:
        return len(self.players)

    def _repr_latex_(self) -> str:
        """The losses and who controls what, for notebooks."""
        rows = [rf"L^{{{i + 1}}}({', '.join(sympy.latex(s) for s in group)}) &= {sympy.latex(loss)}"
                for i, (group, loss) in enumerate(zip(self.players, self.losses))]
        return r"$\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$"

    @property
    def dim(self) -> int:
        return len(self.symbols)

    def numeric(self):
        """The same game for the numeric layer (lambdified to autograd-NumPy)."""
        if self.functions:
            raise SosverifyError("a game of undefined functions (SymGame.general) has no numeric form")
        return from_expressions(self.losses, self.players, name=self.name)

    # -- first and second derivatives -------------------------------------------------

    @cached_property
    def xi(self) -> sympy.Matrix:
        """ξ = (∇_1 L^1, …, ∇_n L^n) as a column."""
        return sympy.Matrix([sympy.diff(self.losses[k], s) for s, k in zip(self.symbols, self.owner)])

    @cached_property
    def H(self) -> sympy.Matrix:
        """The game Hessian H = ∇ξ (``H[a, b] = ∂ξ_a/∂θ_b``)."""
        return self.xi.jacobian(self.symbols)

    @cached_property
    def same_player(self) -> sympy.Matrix:
        return same_player_mask([len(group) for group in self.players])

    @cached_property
    def H_d(self) -> sympy.Matrix:
        """Diagonal (own-player) blocks of H."""
        return self.H.multiply_elementwise(self.same_player)

    @cached_property
    def H_o(self) -> sympy.Matrix:
        """Off-diagonal blocks of H."""
        return self.H - self.H_d

    @cached_property
    def chi(self) -> sympy.Matrix:
        """χ_i = Σ_{j≠i} (∇_i ∇_j L^j) ∇_j L^i, as a column."""
        out = []
        for s, i in zip(self.symbols, self.owner):
            total = sympy.Integer(0)
            for t, j in zip(self.symbols, self.owner):
                if j != i:
                    total += sympy.diff(self.losses[j], s, t) * sympy.diff(self.losses[i], t)
            out.append(total)
        return sympy.Matrix(out)

    # -- update directions (θ ← θ − α · direction) --------------------------------------

    def naive(self) -> sympy.Matrix:
        """NL: ξ."""
        return self.xi

    def lookahead(self, alpha=ALPHA) -> sympy.Matrix:
        """LA: ξ_0 = (I − αH_o)ξ."""
        return self.xi - alpha * self.H_o * self.xi

    def lola(self, alpha=ALPHA) -> sympy.Matrix:
        """LOLA: (I − αH_o)ξ − αχ (Proposition 1)."""
        return self.lookahead(alpha) - alpha * self.chi

    def p_lola(self, alpha=ALPHA, p=P) -> sympy.Matrix:
        """p-LOLA: ξ_p = ξ_0 − pαχ; SOS is this with p chosen per step."""
        return self.lookahead(alpha) - p * alpha * self.chi

    def sos_p_near_fixed_point(self):
        """SOS's p where ‖ξ‖ < b and the first criterion does not bind: p2 = ‖ξ‖² (Alg. 1;
        Lemma D.7: this is SOS's p in a neighbourhood of every fixed point)."""
        return self.xi.dot(self.xi)

    def consensus(self, gamma=GAMMA) -> sympy.Matrix:
        """CO: ξ + γHᵀξ."""
        return self.xi + gamma * self.H.T * self.xi

    def sga_adjustment(self) -> sympy.Matrix:
        """Aᵀξ = (Hᵀξ − Hξ)/2."""
        return (self.H.T * self.xi - self.H * self.xi) / 2

    def sga(self, lam=LAM) -> sympy.Matrix:
        """SGA: ξ + λAᵀξ (λ = ±1 from the alignment rule; symbolic here)."""
        return self.xi + lam * self.sga_adjustment()

    # -- LOLA as a learning objective (Proposition 1 / B.1) ----------------------------

    def taylor_objective(self, i: int, alpha=ALPHA):
        """Player i's first-order Taylor objective L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩."""
        shaping = sum((sympy.diff(self.losses[i], t) * sympy.diff(self.losses[j], t)
                       for t, j in zip(self.symbols, self.owner) if j != i), sympy.Integer(0))
        return self.losses[i] - alpha * shaping

    def taylor_gradient(self, alpha=ALPHA) -> sympy.Matrix:
        """(∇_i of player i's Taylor objective)_i, as a column: Proposition 1 says this is LOLA."""
        objectives = [self.taylor_objective(i, alpha) for i in range(self.n_players)]
        return sympy.Matrix([sympy.diff(objectives[i], s) for s, i in zip(self.symbols, self.owner)])

    def at(self, expr, point: dict):
        """Substitute a point (a mapping symbol → value)."""
        return expr.subs(point)
