"""Errata: statements of the paper the toolkit shows to be false, each with an exact counterexample.

An erratum's check passes when the counterexample is confirmed exactly: the paper's statement
fails on it, and the corrected statement holds on it.  ``sosverify verify`` reports a confirmed
erratum as ``erratum`` (a finding, not a failure).  Typos (a formula misprinted in a proof whose
argument is right) are errata too, marked ``typo`` in their statement.
"""

from __future__ import annotations

import importlib

import numpy
import sympy

from sosverify.claims.base import Evidence
from sosverify.claims.examples import paper_game, tandem, x, y
from sosverify.games.paper import CYCLIC
from sosverify.symbolic import stability as ST
from sosverify.symbolic.game import ALPHA, is_zero, off_diagonal_blocks

F = importlib.import_module("sosverify.symbolic.fixed_points")  # sosverify.symbolic.fixed_points is also a function

# Remark D.5, 2 × 2: sym(H) = [[1, 2], [2, 4]] ⪰ 0 of rank 1, det H = 1, diagonal blocks 1 × 1.
REMARK_D5_2X2 = ((1, 1), (3, 4))


def _negative_for_every_positive_alpha(poly_expr) -> bool:
    """A polynomial in α, 0 at α = 0, with every coefficient ≤ 0 and one < 0: negative for all α > 0."""
    p = sympy.Poly(sympy.expand(poly_expr), ALPHA)
    coeffs = [c for (k,), c in p.terms()]
    return p.eval(0) == 0 and all(c <= 0 for c in coeffs) and any(c < 0 for c in coeffs)


def check_remd5_2x2() -> Evidence:
    ev = Evidence()
    H = sympy.Matrix(REMARK_D5_2X2)
    H_o = off_diagonal_blocks(H, (1, 1))
    S = (H + H.T) / 2
    ev.expect("H = [[1, 1], [3, 4]]: sym(H) = [[1, 2], [2, 4]] ⪰ 0 (eigenvalues 0, 5), det H = 1: Theorem 2's premise",
              sorted(S.eigenvals(multiple=True)) == [0, 5] and H.det() == 1, S)
    G = ST.lookahead_matrix(H, H_o)
    det_sym = sympy.factor(((G + G.T) / 2).det())
    ev.expect("det sym(G(α)) = −α(13α + 4)/4 < 0 for every α > 0: sym(G) has a negative eigenvalue, G is never "
              "positive definite", _negative_for_every_positive_alpha(det_sym), det_sym)
    bound = ST.positive_stability_bound(G)
    ev.expect("yet G(α) is positive stable for small α (Theorem 2 holds)", bound["stable_for_small_alpha"],
              f"ε = {bound['epsilon']}")
    H3 = sympy.diag(H, 1)
    H3_o = off_diagonal_blocks(H3, (1, 1, 1))
    G3 = ST.lookahead_matrix(H3, H3_o)
    det3 = sympy.factor(((G3 + G3.T) / 2)[:2, :2].det())
    ev.expect("3 × 3 too: a third player with loss z²/2 adds the block [1]; the leading 2 × 2 minor of sym(G) is "
              "the same negative polynomial", _negative_for_every_positive_alpha(det3), det3)
    ev.counterexample = ("H = [[1, 1], [3, 4]] (one parameter per player): det sym((I − αH_o)H) = −α(13α + 4)/4 < 0 "
                         "for every α > 0; in 3 × 3, H = diag([[1, 1], [3, 4]], 1)")
    return ev


def check_lemd9_uniformity() -> Evidence:
    ev = Evidence()
    alpha, u = sympy.symbols("alpha u", nonnegative=True)
    g = (alpha - u) ** 2
    ev.note("g(α, u) = (α − u)² on ℝ₊ × Y, Y = [0, 1] compact, g continuous")
    ev.expect("premise: for u > 0, g(α, u) > 0 for 0 < α < ε_u = u (g vanishes only at α = u)",
              sympy.solve(sympy.Eq(g, 0), alpha) == [u])
    ev.expect("premise: for u = 0, g(α, 0) = α² > 0 for every α > 0", is_zero(g.subs(u, 0) - alpha ** 2))
    eps = sympy.Symbol("epsilon", positive=True)
    ev.expect("conclusion fails: for every ε > 0 the point (α, u) = (ε/2, ε/2) ∈ (0, ε) × Y has g = 0",
              g.subs({alpha: eps / 2, u: eps / 2}) == 0)
    ev.note("the proof's gap: an open set containing (0, ε_u) × {u} need not contain a product (0, ε_u) × V_u, "
            "since (0, ε_u) is not compact; Theorem D.4 does not depend on it (thm2-la-positive-stable proves it "
            "by eigenvalue perturbation)")
    ev.counterexample = "g(α, u) = (α − u)², Y = [0, 1]: ε_u = u for u > 0, none needed at u = 0, but inf ε_u = 0"
    return ev


def _sum_multiplier(game, direction) -> sympy.Expr:
    """How one step θ ← θ − α·direction scales x + y − s* on the tandem (direction affine in x + y)."""
    u = sympy.Symbol("u", real=True)
    step = sympy.expand((x + y - ALPHA * sum(direction, sympy.Integer(0))).subs(y, u - x))
    return sympy.expand(sympy.diff(step, u))


def check_appc_ratio() -> Evidence:
    ev = Evidence()
    g = tandem()
    (sol,) = F.lola_fixed_points(g)
    ratio = sympy.cancel(sol["solution"][x] + y)
    half = ratio.subs(ALPHA, sympy.Rational(1, 2))
    ev.expect("LOLA's fixed line at α = 1/2 (project's lola_fixed_points): x + y = 0, not > 1", half == 0, ratio)
    ev.expect("at α = 1/4 the ratio (1 − 2α)/(1 − 4α) is undefined: LOLA has no fixed point",
              sympy.denom(sympy.together(ratio)).subs(ALPHA, sympy.Rational(1, 4)) == 0)
    s_ = sympy.Symbol("s", real=True)
    # agent 1 at the same x, agent 2 at the same y: L1(x, s − x) − L1(x, 1 − x) and the sum of the losses there
    gap = sympy.factor((g.losses[0].subs(y, s_ - x) - g.losses[0].subs(y, 1 - x)).subs(s_, ratio))
    total = sympy.factor((g.losses[0] + g.losses[1]).subs(y, s_ - x).subs(s_, ratio))
    ev.expect("with the project's losses: L1(x, s − x) − L1(x, 1 − x) = s² − 1 is −1 at α = 1/2: LOLA's points are "
              "better there", is_zero(gap.subs(ALPHA, sympy.Rational(1, 2)) + 1), gap)
    worse = sympy.reduce_inequalities([sympy.numer(sympy.together(gap)) * sympy.denom(sympy.together(gap)) > 0,
                                       ALPHA > 0], ALPHA)
    expected = sympy.Or(sympy.And(0 < ALPHA, ALPHA < sympy.Rational(1, 4)),
                        sympy.And(sympy.Rational(1, 4) < ALPHA, ALPHA < sympy.Rational(1, 3)))
    ev.expect("exactly: worse for both players iff 0 < α < 1/3, α ≠ 1/4", worse.as_set() == expected.as_set(), worse)
    ev.expect("'losses always sum to something greater than 0' fails too: L1 + L2 = 4α(1 − 2α)/(1 − 4α)² is 0 at "
              "α = 1/2 and −4/9 at α = 1", total.subs(ALPHA, sympy.Rational(1, 2)) == 0
              and total.subs(ALPHA, 1) == sympy.Rational(-4, 9), total)
    multiplier = _sum_multiplier(g, g.lola())
    ev.expect("but the conclusion survives for α > 1/4: one LOLA step multiplies the distance of x + y from LOLA's "
              "line by 1 − 4α + 16α² > 1 (project's LOLA), so LOLA converges there only from points on the line",
              is_zero(multiplier - (1 - 4 * ALPHA + 16 * ALPHA ** 2))
              and sympy.solve_univariate_inequality(multiplier > 1, ALPHA, relational=False).contains(sympy.Rational(3, 10)),
              multiplier)
    ev.counterexample = ("α = 1/2: (1 − 2α)/(1 − 4α) = 0, LOLA's fixed line x + y = 0 where L1 = −2x < 1 − 2x and "
                         "L1 + L2 = 0; α = 1: L1 + L2 = −4/9")
    return ev


def check_sec51_tandem_divergence() -> Evidence:
    from sosverify.runner import run

    ev = Evidence()
    g = tandem()
    ev.expect("the tandem's H = 2[[1, 1], [1, 1]] is PSD everywhere (project's H)",
              g.H == 2 * sympy.ones(2, 2) and all(e >= 0 for e in g.H.eigenvals()))
    multiplier = _sum_multiplier(g, g.lookahead())
    ev.expect("near the fixed line SOS's p = ‖ξ‖² → 0 and it steps as LA, which multiplies x + y − 1 by 1 − 4α + 8α² "
              "(project's LA): more than 1 for every α > 1/2", is_zero(multiplier - (1 - 4 * ALPHA + 8 * ALPHA ** 2)),
              multiplier)
    h = run("tandem", "sos", alpha=0.6, steps=200, runs=20, seed=0, a=0.5, b=0.5)
    smallest = float(numpy.min(h.xi_norm[-1]))
    ev.expect("numeric: SOS at α = 0.6 (a = b = 0.5), 20 starts ~N(0, 1): every run ends with ‖ξ‖ > 1e100 after 200 "
              "steps", smallest > 1e100, f"min ‖ξ‖ = {smallest:.2e}")
    ev.counterexample = "tandem, α = 0.6: SOS diverges from every start (‖ξ‖ > 1e100 after 200 steps)"
    return ev


def check_alg1_strict_test() -> Evidence:
    from sosverify import algorithms as A
    from sosverify.games import get_game

    ev = Evidence()
    g = tandem()
    at = {x: 0, y: 0}
    alpha, a = sympy.Rational(1, 10), sympy.Rational(1, 2)
    xi_0 = g.lookahead(alpha).subs(at)
    dot = (-alpha * g.chi.subs(at)).dot(xi_0)
    ev.expect("tandem at (0, 0), α = 1/10: ⟨−αχ, ξ_0⟩ = 0 with ξ_0 = (−8/5, −8/5) ≠ 0", dot == 0 and xi_0 != sympy.zeros(2, 1),
              xi_0.T)
    printed = sympy.Mul(-a * xi_0.dot(xi_0), sympy.Pow(dot, -1))  # SymPy's exact division: x/0 is zoo
    ev.expect("Algorithm 1 as printed ('if ⟨−αχ, ξ_0⟩ > 0 then p1 = 1 else …') divides by 0 here",
              printed.has(sympy.zoo, sympy.nan), printed)
    out = A.sos(get_game("tandem"), numpy.zeros((1, 2)), alpha=0.1, a=0.5, b=0.1)
    p = float(out.diagnostics["p"][0])
    ev.expect("the text's '≥' (the project's rule) gives p1 = 1: p = min(1, p2) = 1 here (‖ξ‖ = 2√2 ≥ b)",
              numpy.isfinite(p) and p == 1.0, f"p = {p}")
    ev.counterexample = "tandem at (0, 0), α = 0.1: χ = 0, so ⟨−αχ, ξ_0⟩ = 0 while ξ_0 = (−1.6, −1.6)"
    return ev


def check_typo_ex1_distance() -> Evidence:
    ev = Evidence()
    g = paper_game(CYCLIC)
    new = (sympy.Matrix([x, y]) - ALPHA * g.naive()).subs({x: 1, y: 0, ALPHA: 1})
    dist = sympy.sqrt(new.dot(new))
    ev.expect("one NL step from (1, 0) at α = 1 lands at distance √2 from the origin, not (1 + α²)(x² + y²) = 2",
              dist == sympy.sqrt(2) and dist != 2, new.T)
    ev.expect("corrected: the squared distance is (1 + α²)(x² + y²) = 2", new.dot(new) == 2)
    ev.counterexample = "(x, y) = (1, 0), α = 1: the step lands at (1, 1), distance √2; (1 + α²)(x² + y²) = 2"
    return ev


def check_typo_appa_eigenvalues() -> Evidence:
    ev = Evidence()
    H = sympy.Matrix([[-1, 2], [-2, -1]])
    ev.expect("H = [[−1, 2], [−2, −1]] ≺ 0 (sym(H) = −I) is unstable (project's classify)", F.classify(H) == "unstable")
    eig = sorted(H.eigenvals(multiple=True), key=sympy.default_sort_key)
    ev.expect("its eigenvalues −1 ± 2i are not real, so not 'negative'", all(not e.is_real for e in eig), eig)
    ev.expect("corrected: every eigenvalue has negative real part, so it is a strict saddle (project's test)",
              all(sympy.re(e) < 0 for e in eig) and F.strict_saddle(H))
    ev.counterexample = "H = [[−1, 2], [−2, −1]]: H ≺ 0, eigenvalues −1 ± 2i"
    return ev


def check_typo_lemd7_norm() -> Evidence:
    ev = Evidence()
    g = tandem()
    chi = g.chi.subs({x: 0, y: 1})
    alpha = sympy.Rational(1, 10)
    norm = sympy.sqrt((-alpha * chi).dot(-alpha * chi))
    size = sympy.sqrt(chi.dot(chi))
    ev.expect("tandem at (0, 1), α = 1/10: χ = (4, 4), ‖−αχ‖ = 2√2/5 ≠ α²‖χ‖ = 2√2/50", norm != alpha ** 2 * size
              and size != 0, chi.T)
    ev.expect("corrected: ‖−αχ‖ = α‖χ‖", norm == alpha * size)
    ev.counterexample = "tandem at (0, 1), α = 0.1: ‖−αχ‖ = 0.566, α²‖χ‖ = 0.0566"
    return ev


def check_typo_thmd8_p2() -> Evidence:
    from sosverify import algorithms as A

    ev = Evidence()
    xi = numpy.array([[0.03, 0.04]])  # ‖ξ‖ = 0.05 < b = 0.1
    p1, p2 = A.sos_p_parts(xi, xi, numpy.zeros_like(xi), alpha=0.1, a=0.5, b=0.1)
    ev.expect("‖ξ‖ = 0.05 < b = 0.1: the project's p2 is 0.0025 = ‖ξ‖², not ‖ξ‖ = 0.05",
              abs(float(p2[0]) - 0.0025) < 1e-15 and abs(float(p2[0]) - 0.05) > 0.04, f"p2 = {float(p2[0])}")
    ev.counterexample = "‖ξ‖ = 0.05 < b: p2 = ‖ξ‖² = 0.0025 (Algorithm 1), the proof writes ‖ξ‖ = 0.05"
    return ev


def check_typo_thme4_modulus() -> Evidence:
    ev = Evidence()
    a, b = sympy.symbols("a b", real=True)
    lam = 1 - ALPHA * (a + sympy.I * b)
    sq = sympy.expand(lam * sympy.conjugate(lam))
    ev.expect("|1 − α(a + ib)|² = 1 − 2αa + α²(a² + b²): the printed right-hand side is the *squared* modulus",
              is_zero(sq - (1 - 2 * ALPHA * a + ALPHA ** 2 * (a ** 2 + b ** 2))))
    at = {a: -1, b: 0, ALPHA: 1}
    ev.expect("at a = −1, b = 0, α = 1: |λ| = 2 while 1 − 2αa + α²(a² + b²) = 4",
              sympy.Abs(lam.subs(at)) == 2 and (1 - 2 * ALPHA * a + ALPHA ** 2 * (a ** 2 + b ** 2)).subs(at) == 4)
    ev.expect("the conclusion |λ| > 1 still follows (|λ|² ≥ 1 − 2αa > 1 for a < 0)", True)
    ev.counterexample = "a = −1, b = 0, α = 1: λ = 2, |λ| = 2 ≠ 4 = 1 − 2αa + α²(a² + b²)"
    return ev
