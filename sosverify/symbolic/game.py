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

from sosverify.expressions import check_expressions, from_expressions, to_expression, to_symbols

ALPHA = sympy.Symbol("alpha", positive=True)
P = sympy.Symbol("p", nonnegative=True)
GAMMA = sympy.Symbol("gamma", nonnegative=True)
LAM = sympy.Symbol("lambda_", real=True)


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
    game); they are not parameters of any player.
    """

    def __init__(self, losses, players, name: str = "symbolic", constants=()):
        self.players = to_symbols(players)
        table = {str(s): s for group in self.players for s in group}
        table.update({str(c): c for c in constants})
        self.losses = [to_expression(loss, dict(table), k) for k, loss in enumerate(losses)]
        self.constants = tuple(constants)
        check_expressions(self.losses, self.players, self.constants)
        self.name = name
        self.symbols = [s for group in self.players for s in group]
        self.owner = [i for i, group in enumerate(self.players) for _ in group]

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
        d = self.dim
        return sympy.Matrix(d, d, lambda a, b: 1 if self.owner[a] == self.owner[b] else 0)

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
