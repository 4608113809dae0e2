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

KINDS = ("stable", "unstable", "strict-saddle", "other", "undecided")


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


def classify(H: sympy.Matrix, *, isolated: bool = False) -> str:
    """Classify a fixed point from its game Hessian (paper §2.2).

    ``stable``: the symmetric part of H is PSD (H ⪰ 0); ``unstable``: H ≺ 0 (symmetric
    part negative definite); ``strict-saddle``: H has an eigenvalue with negative real
    part; otherwise ``other`` (including H that still depends on free symbols and cannot
    be decided).

    ``isolated``: the point is an isolated fixed point.  A stable fixed point is H ⪰ 0 *and*
    invertible (SPEC §1); on a family of fixed points H is singular along the family and the paper
    still calls the family stable where H ⪰ 0 (the tandem's line x + y = 1), but at an isolated point a
    singular H ⪰ 0 decides nothing (L = x³ for each player: H = 0 at the origin, and runs started
    on one side leave it), so that point is ``undecided``.

    >>> x = sympy.Symbol("x")
    >>> classify(sympy.zeros(2, 2)), classify(sympy.zeros(2, 2), isolated=True), classify(sympy.eye(2), isolated=True)
    ('stable', 'undecided', 'stable')
    """
    S = (H + H.T) / 2
    sym = _sign_of_eigenvalues(S)
    if sym is None:
        return "other"
    signs = [_re_sign(v) for v in sym]
    if all(s >= 0 for s in signs):
        if isolated and H.det() == 0:
            return "strict-saddle" if strict_saddle(H) else "undecided"
        return "stable"
    if all(s < 0 for s in signs):
        return "unstable"
    if strict_saddle(H):
        return "strict-saddle"
    return "other"


#: principal minors are checked up to this dimension (2**d - 1 of them); larger families are undecided
FAMILY_MAX_DIM = 6


def _square_roots(expr) -> dict:
    """Each base g of a half-integer power g**(k/2) in ``expr`` → a non-negative dummy s (s = √g)."""
    bases = {e.base for e in expr.atoms(sympy.Pow) if e.exp.is_Rational and e.exp.q == 2}
    return {g: sympy.Dummy("s", nonnegative=True) for g in sorted(bases, key=sympy.default_sort_key)}


def _nonnegative_on_family(m, roots: dict) -> bool:
    """Whether ``m`` ≥ 0 is proved at every real point of a family: where each g of ``roots`` is ≥ 0
    (the family's points are real) and s = √g.  With g**(k/2) written s**k, ``m``'s numerator and
    denominator are reduced modulo the relations s² = g (lex Gröbner bases, each variable order tried
    first), and SymPy's assumptions (the players' symbols real, each s ≥ 0) must say that one of these
    equivalent forms is non-negative.  Proof only: False means not proved."""
    m = m.replace(lambda e: e.is_Pow and e.base in roots and e.exp.is_Rational and e.exp.q == 2,
                  lambda e: roots[e.base] ** e.exp.p)
    num, den = sympy.fraction(sympy.cancel(sympy.together(m)))
    forms = [num / den]
    if roots:
        relations = [s ** 2 - g for g, s in roots.items()]
        gens = sorted(m.free_symbols | set(roots.values()) | set().union(*(g.free_symbols for g in roots)),
                      key=lambda v: (v in roots.values(), str(v)))
        if num.is_polynomial(*gens) and den.is_polynomial(*gens):
            for order in (gens, gens[::-1]):
                basis = sympy.groebner(relations, *order, order="lex")
                n, d = (basis.reduce(sympy.expand(v))[1] for v in (num, den))
                if d != 0:
                    forms.append(n / d)
    for form in forms:
        form = sympy.factor(form)
        if form == 0 or form.is_nonnegative:
            return True
    return False


def family_kind(H: sympy.Matrix) -> str:
    """The kind of a family of fixed points from H on it (H depends on the family's parameters):
    ``stable`` when H ⪰ 0 is proved at every real point of the family (every principal minor of the
    symmetric part non-negative, :func:`_nonnegative_on_family`), ``undecided`` otherwise.  A family
    is never ``unstable`` (H is singular along it) and a failed proof is never a counterexample, so no
    other word is given.

    >>> x, y = sympy.symbols("x y", real=True)
    >>> family_kind(sympy.Matrix([[2*x**2, 2*x*sympy.sqrt(1 - x**2)], [2*x*sympy.sqrt(1 - x**2), 2 - 2*x**2]]))
    'stable'
    >>> family_kind(sympy.Matrix([[y, 0], [y, 0]]))
    'undecided'
    """
    if not H.free_symbols:
        return classify(H)
    S = (H + H.T) / 2
    d = S.shape[0]
    if d > FAMILY_MAX_DIM:
        return "undecided"
    roots = _square_roots(S)
    from itertools import combinations

    for size in range(1, d + 1):
        for rows in combinations(range(d), size):
            minor = S.extract(list(rows), list(rows)).det(method="berkowitz")
            if not _nonnegative_on_family(minor, roots):
                return "undecided"
    return "stable"


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
        isolated = len(sol) == len(game.symbols) and not any(v.free_symbols & set(game.symbols) for v in sol.values())
        out.append({"solution": sol, "H": H, "kind": classify(H, isolated=isolated)})
    return out


def lola_fixed_points(game: SymGame, alpha=ALPHA) -> list[dict]:
    """Solve "LOLA direction = 0": the points LOLA can converge to (App. C)."""
    return [{"solution": sol} for sol in _solve(game.lola(alpha), game.symbols)]
