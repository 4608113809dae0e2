"""Stability of LookAhead's Jacobian G(α) = (I − αH_o)H (Theorem 2, Remark D.5, Cor. D.3).

Positive stability (every eigenvalue has positive real part) is decided with the
Routh–Hurwitz criterion on the characteristic polynomial, whose Hurwitz
determinants are polynomials in α; an exact ε follows from their smallest
positive roots, and a certified rational lower bound from SymPy's root isolation.
"""

from __future__ import annotations

import sympy

from sosverify.symbolic.game import ALPHA, is_zero

LAMBDA = sympy.Symbol("lambda")  # the variable of the characteristic polynomials this module returns


def _free_lambda(G: sympy.Matrix, alpha):
    """:data:`LAMBDA`, or a fresh dummy when ``G`` or ``alpha`` already uses a symbol named lambda."""
    return sympy.Dummy("lambda") if LAMBDA in G.free_symbols | {alpha} else LAMBDA


def lookahead_matrix(H: sympy.Matrix, H_o: sympy.Matrix, alpha=ALPHA) -> sympy.Matrix:
    """G(α) = (I − αH_o)H, the Jacobian of LA's (and SOS's) direction at a fixed point."""
    return (sympy.eye(H.shape[0]) - alpha * H_o) * H


def hurwitz_determinants(coeffs) -> list:
    """Leading principal minors Δ_1..Δ_n of the Hurwitz matrix of a_0 μ^n + a_1 μ^{n−1} + … + a_n."""
    n = len(coeffs) - 1

    def a(k):
        return coeffs[k] if 0 <= k <= n else sympy.Integer(0)

    M = sympy.Matrix(n, n, lambda i, j: a(2 * j - i + 1))
    return [sympy.factor(M[:k, :k].det()) for k in range(1, n + 1)]


def _low_order_sign(poly_expr, alpha) -> int:
    """Sign of a polynomial in α for small α > 0: the sign of its lowest-order coefficient."""
    p = sympy.Poly(sympy.expand(poly_expr), alpha)
    for _, c in sorted(((m[0], c) for m, c in p.terms()), key=lambda t: t[0]):
        if c != 0:
            return 1 if c > 0 else -1
    return 0


def _smallest_positive_root(conditions, alpha):
    """Smallest positive real root over the numerators of ``conditions`` (``oo`` if none), and a
    rational lower bound ≤ it, certified by Sturm counting: no root of any condition in (0, bound)."""
    polys = []
    for cond in conditions:
        num, _ = sympy.fraction(sympy.together(cond))
        poly = sympy.Poly(sympy.expand(num), alpha)
        if poly.degree() > 0:
            polys.append(poly)
    positive = [r for poly in polys for r in sympy.real_roots(poly) if r.is_positive]
    if not positive:
        return sympy.oo, None
    epsilon = min(positive, key=lambda r: sympy.N(r, 50))
    if epsilon.is_Rational:
        return epsilon, epsilon
    digits = 12
    while True:
        lower = sympy.Rational(str(sympy.N(epsilon, digits))) - sympy.Rational(1, 10 ** digits)
        at_zero = [1 if p.eval(0) == 0 else 0 for p in polys]
        if lower > 0 and all(p.count_roots(0, lower) == z for p, z in zip(polys, at_zero)):
            return epsilon, lower
        digits += 6


def _hurwitz_interval(poly_expr, var, alpha) -> dict:
    """For a polynomial in ``var`` with coefficients polynomial in α: the conditions (leading
    coefficient and Hurwitz determinants, sign-normalised) under which every root has negative
    real part, whether they hold for small α > 0, and the exact end ε of that α-interval."""
    coeffs = [sympy.expand(c) for c in sympy.Poly(sympy.expand(poly_expr), var).all_coeffs()]
    if _low_order_sign(coeffs[0], alpha) < 0:
        coeffs = [-c for c in coeffs]
    conditions = [sympy.factor(coeffs[0])] + hurwitz_determinants(coeffs)
    small_ok = all(_low_order_sign(c, alpha) > 0 for c in conditions)
    epsilon, lower = _smallest_positive_root(conditions, alpha) if small_ok else (sympy.S.Zero, None)
    return {"conditions": conditions, "stable_for_small_alpha": small_ok, "epsilon": epsilon, "epsilon_lower": lower}


def positive_stability_bound(G: sympy.Matrix, alpha=ALPHA) -> dict:
    """Routh–Hurwitz analysis of G(α) (entries polynomial in α, numbers exact).

    Returns a dict with the characteristic polynomial ``charpoly`` (in λ and α), the
    ``conditions`` (leading coefficient and Hurwitz determinants; all > 0 ⇔ G positive
    stable), whether they hold for small α (``stable_for_small_alpha``), the exact
    ``epsilon`` (smallest positive root of any condition, or ``oo``), and ``epsilon_lower`` —
    a rational ≤ ε from an isolating interval, so G is positive stable for all 0 < α < epsilon_lower.
    """
    n, lam, mu = G.shape[0], _free_lambda(G, alpha), sympy.Dummy("mu")  # never the caller's symbols
    charpoly = sympy.expand((lam * sympy.eye(n) - G).det())
    # eigenvalues of G have Re > 0  ⇔  roots of q(μ) = p(−μ) have Re < 0 (Hurwitz)
    return {"charpoly": charpoly, **_hurwitz_interval(charpoly.subs(lam, -mu), mu, alpha)}


def contraction_bound(G: sympy.Matrix, alpha=ALPHA) -> dict:
    """Exact α-interval on which LA's map θ ↦ θ − αG(α)θ contracts (Cor. D.3, Thm. 4).

    The Jacobian J = I − αG(α) has every eigenvalue z inside the unit circle iff, with
    z = (1 + w)/(1 − w), every root w of (1 − w)^m p((1 + w)/(1 − w)) has Re w < 0: Routh–Hurwitz
    again.  Eigenvalues z = 1 for every α (zero eigenvalues of G: directions along a family of
    fixed points) are divided out first and counted in ``neutral``.  Returns the ``epsilon`` of
    :func:`positive_stability_bound`'s form, plus ``neutral``.
    """
    n = G.shape[0]
    Z, W = sympy.Dummy("z"), sympy.Dummy("w")  # never the caller's symbols (α may be named z)
    p = sympy.Poly(sympy.expand((Z * sympy.eye(n) - (sympy.eye(n) - alpha * G)).det()), Z)
    neutral = 0
    while p.degree() > 0:
        quotient, remainder = sympy.div(p, sympy.Poly(Z - 1, Z))
        if not is_zero(remainder.as_expr()):
            break
        p, neutral = quotient, neutral + 1
    m = p.degree()
    if m == 0:
        return {"conditions": [], "stable_for_small_alpha": False, "epsilon": sympy.S.Zero, "epsilon_lower": None,
                "neutral": neutral}
    q = sympy.expand(sympy.cancel((1 - W) ** m * p.as_expr().subs(Z, (1 + W) / (1 - W))))
    return {**_hurwitz_interval(q, W, alpha), "neutral": neutral}


def leading_min_eigenvalue_of_symmetric_part(H: sympy.Matrix, H_o: sympy.Matrix):
    """Leading-order smallest eigenvalue of sym(G(α)) as α → 0⁺, when sym(H) is singular PSD.

    sym(G) = S0 + αS1 + O(α²) with S0 = sym(H), S1 = −sym(H_o H).  On the null space of S0
    (orthonormal basis N) first-order perturbation gives eigenvalues α·eig(Nᵀ S1 N); the
    other eigenvalues stay near the positive ones of S0.  Returns ``(c, M)`` with the
    smallest eigenvalue ≈ c·α (c exact algebraic) and M = Nᵀ S1 N.
    """
    S0 = (H + H.T) / 2
    S1 = -((H_o * H) + (H_o * H).T) / 2
    null = S0.nullspace()
    if not null:
        raise ValueError("the symmetric part of H is invertible: its smallest eigenvalue is O(1), not O(α)")
    N = sympy.Matrix.hstack(*sympy.GramSchmidt(null, orthonormal=True))
    M = sympy.simplify(N.T * S1 * N)  # entries are radicals from the normalisation; simplify is for display only
    x = sympy.Dummy("x")
    roots = sympy.Poly(sympy.nsimplify((x * sympy.eye(M.shape[0]) - M).det()), x).all_roots()
    return min(roots, key=lambda r: sympy.N(r, 50)), M
