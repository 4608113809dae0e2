"""Fixed points (ξ = 0), their classification (§2.2), and LOLA's fixed points (App. C).

>>> import sympy
>>> from sosverify.symbolic.game import SymGame
>>> x, y = sympy.symbols("x y", real=True)
>>> g = SymGame([(x + y)**2 - 2*x, (x + y)**2 - 2*y], [[x], [y]])
>>> [(fp["solution"], fp["kind"]) for fp in fixed_points(g)]
[({x: 1 - y}, 'stable')]
>>> lola_fixed_points(g)[0]["solution"]
{x: -y + (2*alpha - 1)/(4*alpha - 1)}
"""

from __future__ import annotations

import sympy

from sosverify.errors import SosverifyError
from sosverify.symbolic.game import ALPHA, SymGame

KINDS = ("stable", "unstable", "strict-saddle", "other")


def _sign_of_eigenvalues(M: sympy.Matrix):
    """Exact eigenvalues of a constant matrix (with multiplicity), or ``None`` if M has free symbols."""
    if M.free_symbols:
        return None
    values = []
    for ev, mult in M.eigenvals(multiple=False).items():
        values.extend([ev] * mult)
    return values


def _re_sign(value) -> int:
    """Sign of the real part of an exact algebraic number (evaluated to 50 digits if needed)."""
    re = sympy.re(value)
    if re.is_zero:
        return 0
    if re.is_positive:
        return 1
    if re.is_negative:
        return -1
    # radicals of casus irreducibilis keep a rounding-size imaginary part when evaluated: take the real part after
    num = sympy.re(sympy.N(value, 50))
    return 0 if abs(num) < sympy.Float("1e-40") else (1 if num > 0 else -1)


def strict_saddle(H: sympy.Matrix) -> bool:
    """Definition 3: H has an eigenvalue with negative real part (exact; False if H has free symbols)."""
    ev = _sign_of_eigenvalues(H)
    return ev is not None and any(_re_sign(v) < 0 for v in ev)


def classify(H: sympy.Matrix) -> str:
    """Classify a fixed point from its game Hessian (paper §2.2).

    ``stable``: the symmetric part of H is PSD (H ⪰ 0); ``unstable``: H ≺ 0 (symmetric
    part negative definite); ``strict-saddle``: H has an eigenvalue with negative real
    part; otherwise ``other`` (including H that still depends on free symbols and cannot
    be decided).
    """
    S = (H + H.T) / 2
    sym = _sign_of_eigenvalues(S)
    if sym is None:
        return "other"
    signs = [_re_sign(v) for v in sym]
    if all(s >= 0 for s in signs):
        return "stable"
    if all(s < 0 for s in signs):
        return "unstable"
    if strict_saddle(H):
        return "strict-saddle"
    return "other"


def _solve(equations, symbols):
    try:
        sols = sympy.solve(list(equations), symbols, dict=True)
    except NotImplementedError as exc:
        raise SosverifyError(f"SymPy cannot solve these equations in closed form: {exc}") from None
    real = []
    for sol in sols:
        if all(v.is_real is not False for v in sol.values()):
            real.append(sol)
    return real


def fixed_points(game: SymGame) -> list[dict]:
    """Solve ξ = 0: each solution with ``solution`` (symbol → expression in the others),
    ``H`` there and its ``kind``. Families (a line, a plane) are one solution each."""
    out = []
    for sol in _solve(game.xi, game.symbols):
        H = game.H.subs(sol)
        out.append({"solution": sol, "H": H, "kind": classify(H)})
    return out


def lola_fixed_points(game: SymGame, alpha=ALPHA) -> list[dict]:
    """Solve "LOLA direction = 0": the points LOLA can converge to (App. C)."""
    return [{"solution": sol} for sol in _solve(game.lola(alpha), game.symbols)]
