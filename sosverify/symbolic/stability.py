"""Stability of LookAhead's Jacobian G(α) = (I − αH_o)H (Theorem 2, Remark D.5, Cor. D.3).

Positive stability (every eigenvalue has positive real part) is decided with the
Routh–Hurwitz criterion on the characteristic polynomial, whose Hurwitz
determinants are polynomials in α; an exact ε follows from their smallest
positive roots, and a certified rational lower bound from SymPy's root isolation.
"""

from __future__ import annotations

import sympy

from sosverify.symbolic.game import ALPHA

LAMBDA = sympy.Symbol("lambda")
MU = sympy.Symbol("mu")


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


def positive_stability_bound(G: sympy.Matrix, alpha=ALPHA) -> dict:
    """Routh–Hurwitz analysis of G(α) (entries polynomial in α, numbers exact).

    Returns a dict with the characteristic polynomial ``charpoly`` (in λ and α), the
    Hurwitz determinants ``conditions`` (all > 0 ⇔ G positive stable), whether they
    hold for small α (``stable_for_small_alpha``), the exact ``epsilon`` (smallest
    positive root of any condition, or ``oo``), and ``epsilon_lower`` — a rational
    ≤ ε from an isolating interval, so G is positive stable for all 0 < α < epsilon_lower.
    """
    n = G.shape[0]
    charpoly = sympy.expand((LAMBDA * sympy.eye(n) - G).det())
    # eigenvalues of G have Re > 0  ⇔  roots of q(μ) = (−1)^n p(−μ) have Re < 0 (Hurwitz)
    q = sympy.Poly(sympy.expand((-1) ** n * charpoly.subs(LAMBDA, -MU)), MU)
    coeffs = [sympy.expand(c) for c in q.all_coeffs()]
    conditions = hurwitz_determinants(coeffs)
    signs = [_low_order_sign(c, alpha) for c in conditions]
    small_ok = all(s > 0 for s in signs)
    epsilon, lower = sympy.oo, None
    if small_ok:
        for cond in conditions:
            num, _ = sympy.fraction(sympy.together(cond))
            poly = sympy.Poly(sympy.expand(num), alpha)
            if poly.degree() <= 0:
                continue
            for (lo, hi), _ in poly.intervals():
                if hi > 0:
                    # refine until the interval excludes 0, so lo is a certified lower bound
                    while lo <= 0 < hi and hi - lo > sympy.Rational(1, 10 ** 12):
                        (lo, hi), = [iv for iv, _ in poly.intervals(inf=lo, sup=hi, eps=(hi - lo) / 4)][:1]
                    root = [r for r in sympy.real_roots(poly) if lo <= r <= hi][0]
                    if root > 0 and root < epsilon:
                        epsilon = root
                        lower = sympy.Rational(lo) if lo > 0 else None
                    break
    if lower is None and epsilon is not sympy.oo:
        lower = sympy.nsimplify(sympy.N(epsilon, 30) * sympy.Rational(999999, 1000000), rational=True)
    return {"charpoly": charpoly, "conditions": conditions, "stable_for_small_alpha": small_ok,
            "epsilon": epsilon, "epsilon_lower": lower}


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
    x = sympy.Symbol("x")
    roots = sympy.Poly(sympy.nsimplify((x * sympy.eye(M.shape[0]) - M).det()), x).all_roots()
    return min(roots, key=lambda r: sympy.N(r, 50)), M
