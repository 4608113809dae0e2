"""Exact checks of consistency and reduction for a rule also given as SymPy expressions.

A symbolic rule is ``fn(game: SymGame, alpha) -> sympy.Matrix`` (a column, ``alpha`` a positive
symbol), e.g. ``lambda g, a: g.lookahead(a)``.  On each drawn game the check is exact:

- consistency: the direction at the game's rational fixed point simplifies to 0 *for every α*;
- reduction: ``fn(game, 0) − ξ`` simplifies to 0 *for every θ* (an identity in the game's symbols).

Each is a proof for the games tried, not for all games; a failure is a game and an expression.
"""

from __future__ import annotations

import sympy
from hypothesis import strategies as st

from sosverify.audit import strategies as S
from sosverify.audit.properties import Finding, _search
from sosverify.symbolic.game import ALPHA, is_zero

# Built-in rules with a closed symbolic form (SOS, SGA, EG, CGD and LSS are piecewise or implicit).
BUILTIN = {
    "nl": lambda g, alpha: g.naive(),
    "la": lambda g, alpha: g.lookahead(alpha),
    "lola": lambda g, alpha: g.lola(alpha),
    "co": lambda g, alpha: g.consensus(1),
}


def _direction(fn, game, alpha) -> sympy.Matrix:
    out = fn(game.sym, alpha)
    out = sympy.Matrix(out)
    if out.shape != (game.dim, 1):
        raise ValueError(f"the symbolic rule returned shape {out.shape}, expected ({game.dim}, 1)")
    return out


def exact_consistency(fn, examples: int) -> Finding:
    def check(game):
        at = game.point(game.fixed_point)
        value = _direction(fn, game, ALPHA).subs(at)
        if not is_zero(value):
            return f"direction {list(sympy.simplify(value))} ≠ 0 at the fixed point, for α > 0"
        return None

    games = st.one_of(S.games_with_a_fixed_point(), S.quadratic_games(kind="general"))
    tried, failed = _search(games, check, examples, pinned=(S.TANDEM, S.CYCLIC))
    if failed is None:
        return Finding("consistency-exact", "holds",
                       f"direction = 0 at the fixed point for every α, proved exactly on {tried} games")
    game, text = failed
    return Finding("consistency-exact", "fails", f"exactly: {text}", counterexample=repr(game))


def exact_reduction(fn, examples: int) -> Finding:
    def check(game):
        gap = _direction(fn, game, sympy.Integer(0)) - game.sym.xi
        if not is_zero(gap):
            return f"rule(α = 0) − ξ = {list(sympy.simplify(gap))}, not 0"
        return None

    tried, failed = _search(S.polynomial_games(), check, examples)
    if failed is None:
        return Finding("reduction-exact", "holds", f"rule(α = 0) = ξ identically in θ, proved on {tried} games")
    game, text = failed
    return Finding("reduction-exact", "fails", f"exactly: {text}", counterexample=repr(game))
