"""The paper's claims as properties over drawn games, each with a planted bug it must catch.

Every property is a plain ``check_…`` function of the implementation under test, run by a
``test_property_…`` over drawn games and by a ``test_…_catches_…`` that hands it a deliberately
broken rule, derivative or stability routine and asserts that hypothesis falsifies it (the
shrunk counterexample is printed; run with ``-s`` to read it).

A theorem's property draws only cases the theorem covers — α a drawn fraction of the exact, certified bound of its
"α sufficiently small", a start inside the neighbourhood its proof gives — and asserts the conclusion; ``assume``
is kept for cases no theorem covers and for what floating point cannot decide, each with a comment saying which.
"""

import math

import numpy
import pytest
import sympy
from conftest import assert_close, examples
from hypothesis import HealthCheck, Phase, assume, example, find, given, note, settings
from hypothesis import strategies as st

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS
from sosverify.audit.strategies import (
    COMMON_SADDLE,
    CYCLIC,
    REMARK_D5,
    SINGLE_LOSS,
    TANDEM,
    DrawnGame,
    game_hessians,
    games_with_a_fixed_point,
    learning_rates,
    player_dims,
    points,
    polynomial_games,
    quadratic_games,
    unit_fractions,
)
from sosverify.games import REMARK_D5_H
from sosverify.symbolic import stability
from sosverify.symbolic.game import ALPHA, is_zero

RULES = sorted(ALGORITHMS)
# ξ(θ̄) = 0 exactly in rationals; at the float θ̄ (halves and quarters, exact in binary) the rules
# see ξ of a few ulps at most, times derivatives of size ≤ ~100 for these coefficients.
ATOL_AT_FIXED_POINT = 1e-12
# symbolic (exact) against autograd (float64) at O(1) points: rounding only
RTOL_SYMBOLIC = 1e-9


def _atol(expected) -> float:
    return 1e-9 * (1.0 + float(numpy.abs(numpy.asarray(expected, dtype=float)).max(initial=0.0)))


def _theta(values) -> numpy.ndarray:
    return numpy.array([[float(v) for v in values]])


def _numeric(M: sympy.Matrix) -> numpy.ndarray:
    return numpy.array(M.evalf().tolist(), dtype=float)


def expect_falsified(test, max_examples=200):
    """Run a ``@given`` test that must fail; return hypothesis' report of the shrunk example."""
    # no "explain" phase: its line tracing slows SymPy-heavy properties tenfold
    run = settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                   phases=[Phase.explicit, Phase.generate, Phase.shrink],
                   suppress_health_check=list(HealthCheck))(test)
    with pytest.raises(AssertionError) as info:
        run()
    report = "\n".join(getattr(info.value, "__notes__", []))
    # hypothesis renamed its header ("Falsifying example:" up to 6.155, "Failing test case:" by 6.170)
    report = report.replace("Failing test case:", "Falsifying example:")
    print(f"\n{test.__name__} falsified:\n{report}")
    return report


def _rule(name):
    algorithm = ALGORITHMS[name]
    return lambda game, theta, alpha, **kw: algorithm.fn(game, theta, alpha=alpha, **{**algorithm.defaults, **kw})


# == 1. §3.1: LA, SOS, CO, SGA, EG, CGD, LSS, NL leave fixed points fixed; LOLA does not ==========

# The rules whose direction at a fixed point is −pαχ(θ̄) rather than 0 (p = 1 for LOLA): each record's
# fixed_point_p, at its default settings.
MOVE_OFF_FIXED_POINTS = {n: a.fixed_point_p(a.defaults) for n, a in ALGORITHMS.items() if a.fixed_point_p}
PRESERVE_FIXED_POINTS = [n for n in RULES if n not in MOVE_OFF_FIXED_POINTS]


def fixed_point_games():
    return st.one_of(games_with_a_fixed_point(polynomial_games(max_dim=4)), quadratic_games("general"))


def check_leaves_fixed_point_fixed(rule, game, alpha):
    direction = rule(game.numeric, _theta(game.fixed_point), alpha=alpha).direction
    assert_close(direction, 0.0, rtol=0, atol=ATOL_AT_FIXED_POINT)


@pytest.mark.parametrize("name", PRESERVE_FIXED_POINTS)
@examples(20)
@given(game=fixed_point_games(), alpha=learning_rates())
@example(game=TANDEM, alpha=0.1).via("the tandem's fixed line, SPEC §3")
@example(game=REMARK_D5, alpha=0.125)
@example(game=SINGLE_LOSS, alpha=0.5)  # App. A: one player, L = y², fixed at (x0, 0)
def test_property_rules_leave_every_fixed_point_fixed(name, game, alpha):
    """§3.1 (LA), and the SOS / CO / SGA / EG / CGD / LSS / NL directions all vanish where ξ does."""
    check_leaves_fixed_point_fixed(_rule(name), game, alpha)


def check_lola_moves_by_minus_alpha_chi(rule, p, game, alpha):
    chi = game.sym.chi.subs(game.point(game.fixed_point))
    expected = -p * alpha * _numeric(chi).T
    got = rule(game.numeric, _theta(game.fixed_point), alpha=alpha).direction
    note(f"chi(fixed point) = {list(chi)}")
    assert_close(got, expected, rtol=RTOL_SYMBOLIC, atol=ATOL_AT_FIXED_POINT)
    if any(v != 0 for v in chi):
        assert numpy.abs(got).max() > 0


@pytest.mark.parametrize("name", sorted(MOVE_OFF_FIXED_POINTS))
@examples(20)
@given(game=fixed_point_games(), alpha=learning_rates())
@example(game=TANDEM, alpha=0.1)  # χ(x, 1 − x) = (4, 4): LOLA moves by −0.4
def test_property_lola_moves_off_fixed_points_by_minus_alpha_chi(name, game, alpha):
    """§3.1 / App. C: at θ̄, LOLA's direction is −αχ(θ̄) (p-LOLA: −pαχ), nonzero wherever χ(θ̄) ≠ 0."""
    check_lola_moves_by_minus_alpha_chi(_rule(name), MOVE_OFF_FIXED_POINTS[name], game, alpha)


def test_the_strategy_finds_fixed_points_where_chi_is_not_zero():
    game = find(fixed_point_games(), lambda g: any(v != 0 for v in g.sym.chi.subs(g.point(g.fixed_point))),
                settings=settings(database=None, derandomize=True))
    assert any(v != 0 for v in game.sym.chi.subs(game.point(game.fixed_point)))


def sos_without_p2(game, theta, *, alpha, a=0.5, b=0.1):
    """Planted bug: SOS's second test dropped (p = p1); at a fixed point p1 = 1, so this is LOLA there."""
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    xi_0, chi = s.first.xi - alpha * s.H_o_xi, s.chi
    dot = numpy.einsum("rd,rd->r", -alpha * chi, xi_0)
    ratio = -a * numpy.einsum("rd,rd->r", xi_0, xi_0) / numpy.where(dot < 0, dot, -1.0)
    p = numpy.where(dot >= 0, 1.0, numpy.minimum(1.0, ratio))
    return A.Direction(xi_0 - (p * alpha)[:, None] * chi, s.first.losses, s.first.xi, {"p": p})


def test_fixed_point_property_catches_sos_without_its_second_test():
    @given(game=fixed_point_games(), alpha=learning_rates())
    def prop(game, alpha):
        check_leaves_fixed_point_fixed(sos_without_p2, game, alpha)

    assert "Falsifying example" in expect_falsified(prop)


# == 2. §3.2 / Lemma D.7: SOS's p ==============================================================

@examples(25)
@given(game=polynomial_games(max_dim=4), data=st.data(), alpha=learning_rates(), a=unit_fractions(),
       b=unit_fractions())
def test_property_sos_p_in_unit_interval_and_xi_p_aligned_with_xi_0(game, data, alpha, a, b):
    """§3.2: 0 ≤ p ≤ 1 and ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² at every point."""
    check_sos_alignment(A.sos, game, data.draw(points(game)), alpha, a, b)


def check_sos_alignment(rule, game, point, alpha, a, b):
    theta = _theta(point)
    out = rule(game.numeric, theta, alpha=alpha, a=a, b=b)
    xi_0 = A.lookahead(game.numeric, theta, alpha=alpha).direction
    p = out.diagnostics["p"]
    note(f"p = {p}, xi_0 = {xi_0}")
    assert numpy.all((0 <= p) & (p <= 1))
    lhs = float(out.direction[0] @ xi_0[0])
    rhs = (1 - a) * float(xi_0[0] @ xi_0[0])
    assert lhs >= rhs - 1e-9 * (1 + abs(rhs))  # rounding slack only


def sos_without_p1_safeguard(game, theta, *, alpha, a=0.5, b=0.1):
    """Planted bug: p1 ≡ 1 (no alignment safeguard), so p = p2 and LOLA's χ can reverse ξ_0."""
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    xi, xi_0 = s.first.xi, s.first.xi - alpha * s.H_o_xi
    p = A.sos_p(xi, xi_0, numpy.zeros_like(xi), alpha=alpha, a=a, b=b)  # χ = 0 in the tests: p1 = 1
    return A.Direction(xi_0 - (p * alpha)[:, None] * s.chi, s.first.losses, xi, {"p": p})


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_alignment_property_catches_sos_without_the_p1_safeguard():
    @given(game=polynomial_games(max_dim=4), data=st.data(), alpha=learning_rates(), a=unit_fractions(),
           b=unit_fractions())
    def prop(game, data, alpha, a, b):
        check_sos_alignment(sos_without_p1_safeguard, game, data.draw(points(game)), alpha, a, b)

    assert "Falsifying example" in expect_falsified(prop)


@st.composite
def gradients_and_radii(draw):
    """ξ with entries k/64 (sums of squares exact in float64) and b = m/64 ∈ (0, 1)."""
    xi = draw(st.lists(st.integers(-80, 80), min_size=1, max_size=4))
    return numpy.array([xi], dtype=float) / 64, draw(st.integers(1, 63)) / 64


def check_p2(sos_p, xi, b):
    sq = float(xi[0] @ xi[0])
    expected = sq if sq < b * b else 1.0  # ‖ξ‖ < b ⇔ ‖ξ‖² < b² (b > 0), exact for these numbers
    # χ = 0 makes the first test pass (p1 = 1), so p = min(1, p2) = p2
    p = sos_p(xi, xi, numpy.zeros_like(xi), alpha=0.5, a=0.5, b=b)
    note(f"|xi| = {math.sqrt(sq)}, b = {b}, p = {p[0]}, expected {expected}")
    assert p[0] == expected


@examples(60)
@given(case=gradients_and_radii())
@example(case=(numpy.array([[0.25, 0.25]]), 0.25))  # b ≤ ‖ξ‖ = 0.354 < √b: the ‖ξ‖² < b mutant says p = ‖ξ‖²
def test_property_sos_p2_is_squared_norm_exactly_when_norm_below_b(case):
    """Algorithm 1: p2 = ‖ξ‖² if ‖ξ‖ < b, else 1."""
    check_p2(A.sos_p, *case)


def sos_p_comparing_squared_norm_with_b(xi_, xi_0, chi_, *, alpha, a, b):
    """Planted bug from the issue: the second test written ‖ξ‖² < b."""
    p = A.sos_p(xi_, xi_0, chi_, alpha=alpha, a=a, b=b)
    sq = numpy.einsum("rd,rd->r", xi_, xi_)
    return numpy.where(sq < b, numpy.minimum(p, sq), p)


def test_p2_property_catches_squared_norm_compared_with_b():
    @given(case=gradients_and_radii())
    def prop(case):
        check_p2(sos_p_comparing_squared_norm_with_b, *case)

    assert "Falsifying example" in expect_falsified(prop)


def _below(lower, u):
    """α = u · min(1, lower), for ``lower`` a certified rational lower bound of a theorem's ε (``None``: ε = ∞), as
    the float the rules receive and as that float's exact value: the exact analysis is of the α the rule sees."""
    alpha = float(sympy.Rational(u) * (1 if lower is None else min(1, lower)))
    return alpha, sympy.Rational(alpha)


def _certified_lower_bound(conditions):
    """A rational ≤ the smallest positive root of any of ``conditions`` (polynomials in α), ``None`` if none has one;
    no condition has a root in (0, bound) (Sturm counts in :mod:`sosverify.symbolic.stability`)."""
    return stability._smallest_positive_root(conditions, ALPHA)[1]


def check_p_is_squared_norm_near_fixed_point(rule, game, direction, u):
    """Lemma D.7 on the ray θ̄ + t·direction, exactly, then the rule at a point of it.

    The lemma's "α sufficiently small" is what its proof uses: ‖ξ_0‖ = ‖(I − αH_o)ξ‖ ≥ d‖ξ‖ near θ̄, i.e.
    I − αH_o(θ̄) invertible; α is a fraction ``u`` of the certified bound of det(I − αH_o(θ̄))'s smallest positive
    root.  With a, b = ½, 1/10, p = ‖ξ‖² ⇔ ‖ξ‖ < b and m = a‖ξ_0‖² − α⟨χ, ξ_0⟩‖ξ‖² ≥ 0 (p1 ≥ ‖ξ‖²; p1 = 1 when
    ⟨χ, ξ_0⟩ ≤ 0).  On the ray m and b² − ‖ξ‖² are polynomials in t; the lemma says m > 0 for small t > 0: its
    lowest-order coefficient is positive (m ≡ 0 only where ξ vanishes on the whole ray, and then p = 0 = ‖ξ‖²).
    The rule is asked at t = 2⁻²⁰, halved (exactly, by Sturm counts) until neither has a root in (0, 2t].
    """
    sym, centre, n = game.sym, game.fixed_point, game.dim
    I_minus = sympy.eye(n) - ALPHA * sym.H_o.subs(game.point(centre))
    alpha, exact = _below(_certified_lower_bound([I_minus.det()]), u)
    t = sympy.Symbol("t", real=True)
    ray = {s: c + k * t for s, c, k in zip(game.symbols, centre, direction)}
    xi = sym.xi.xreplace(ray)
    xi_0 = xi - exact * sym.H_o.xreplace(ray) * xi
    a, b = sympy.Rational(1, 2), sympy.Rational(1, 10)
    squared = sympy.expand(xi.dot(xi))
    m = sympy.Poly(sympy.expand(a * xi_0.dot(xi_0) - exact * sym.chi.xreplace(ray).dot(xi_0) * squared), t)
    inside = sympy.Poly(b ** 2 - squared, t)
    note(f"alpha = {alpha}, m(t) = {m.as_expr()}")
    step = sympy.Rational(1, 2 ** 20)
    if not m.is_zero:
        assert m.terms()[-1][1] > 0  # Lemma D.7 on this ray: m's lowest-order coefficient, so m > 0 for small t
        while m.count_roots(0, 2 * step) > 1 or inside.count_roots(0, 2 * step) > 0:  # m(0) = 0: one root at 0
            step /= 2
    theta = _theta(centre) + float(step) * numpy.array([direction], dtype=float)  # exact: quarters plus k·2⁻ʲ
    out = rule(game.numeric, theta, alpha=alpha, a=float(a), b=float(b))
    xi = out.xi[0]
    note(f"t = {step}, xi = {xi}, p = {out.diagnostics['p']}")
    assert_close(out.diagnostics["p"][0], xi @ xi, rtol=1e-12, atol=0)


@examples(20)
@given(game=fixed_point_games(), data=st.data(), u=unit_fractions())
@example(game=TANDEM, data=None, u=0.25)  # det(I − αH_o) = 1 − 4α²: α = 1/8
def test_property_near_a_fixed_point_sos_p_is_squared_norm(game, data, u):
    """Lemma D.7: for α below the certified bound, p = ‖ξ‖² in a neighbourhood of a fixed point.
    Caught: SOS's p2 = ‖ξ‖ (p = min(p1, ‖ξ‖) ≠ ‖ξ‖²)."""
    direction = [1] * game.dim if data is None else data.draw(
        st.lists(st.integers(-3, 3), min_size=game.dim, max_size=game.dim))
    check_p_is_squared_norm_near_fixed_point(A.sos, game, direction, u)


def sos_with_p2_the_norm(game, theta, *, alpha, a=0.5, b=0.1):
    """Planted bug: SOS's second test p2 = ‖ξ‖ (not ‖ξ‖²) where ‖ξ‖ < b."""
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    f = s.first
    xi_0 = f.xi - alpha * s.H_o_xi
    p1, _ = A.sos_p_parts(f.xi, xi_0, s.chi, alpha=alpha, a=a, b=b)
    norm = numpy.sqrt(numpy.einsum("rd,rd->r", f.xi, f.xi))
    p = numpy.minimum(p1, numpy.where(norm < b, norm, 1.0))
    return A.Direction(xi_0 - (p * alpha)[:, None] * s.chi, f.losses, f.xi, {"p": p})


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_near_fixed_point_property_catches_p2_the_norm():
    @given(game=fixed_point_games(), data=st.data(), u=unit_fractions())
    def prop(game, data, u):
        direction = data.draw(st.lists(st.integers(-3, 3), min_size=game.dim, max_size=game.dim))
        check_p_is_squared_norm_near_fixed_point(sos_with_p2_the_norm, game, direction, u)

    assert "Falsifying example" in expect_falsified(prop)


# == 3. Proposition 1 / B.1 on random n-player games ==========================================

def check_proposition_1(lola, game, point, alpha):
    sym = game.sym
    a = sympy.Rational(alpha)
    assert is_zero(sym.taylor_gradient(a) - sym.lola(a))
    assert all(is_zero(sym.taylor_objective(i, 0) - loss) for i, loss in enumerate(sym.losses))
    expected = _numeric(sym.taylor_gradient(a).subs(game.point(point))).T
    got = lola(game.numeric, _theta(point), alpha=alpha).direction
    assert_close(got, expected, rtol=RTOL_SYMBOLIC, atol=_atol(expected))


@examples(20)
@given(game=polynomial_games(), data=st.data(), alpha=learning_rates())
@example(game=TANDEM, data=None, alpha=0.1)
def test_property_lola_is_the_gradient_of_the_taylor_objective(game, data, alpha):
    """Prop. 1 / B.1: ∇_i[L^i − α Σ_{j≠i}⟨∇_j L^i, ∇_j L^j⟩] = ((I − αH_o)ξ − αχ)_i, 2–4 players."""
    point = (1,) * game.dim if data is None else data.draw(points(game))
    check_proposition_1(A.lola, game, point, alpha)


def lola_without_the_middle_term(game, theta, *, alpha):
    """Planted bug: ξ − αχ (the H_oξ term dropped, as in Foerster et al.'s appendix)."""
    s = D.second_order(game, theta, ("chi",))
    return A.Direction(s.first.xi - alpha * s.chi, s.first.losses, s.first.xi, {})


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_proposition_1_property_catches_lola_without_the_middle_term():
    @given(game=polynomial_games(), data=st.data(), alpha=learning_rates())
    def prop(game, data, alpha):
        check_proposition_1(lola_without_the_middle_term, game, data.draw(points(game)), alpha)

    assert "Falsifying example" in expect_falsified(prop)


# == 4. Theorem 2 / Remark D.5: positive stability of G(α) = (I − αH_o)H =====================

def _H_o(H, dims):
    owner = [i for i, d in enumerate(dims) for _ in range(d)]
    return H.multiply_elementwise(sympy.Matrix(len(owner), len(owner), lambda a, b: int(owner[a] != owner[b])))


@st.composite
def stable_hessians(draw, max_dim=4):
    dims = draw(player_dims(max_dim=max_dim))
    return dims, draw(game_hessians(dims, "stable"))


def _min_real(M) -> float:
    return float(numpy.linalg.eigvals(numpy.asarray(M, dtype=float)).real.min())


def check_theorem_2(bound_fn, dims, H, u):
    G = stability.lookahead_matrix(H, _H_o(H, dims))
    bound = bound_fn(G)
    note(f"epsilon = {bound['epsilon']}")
    assert bound["stable_for_small_alpha"]
    assert is_zero(bound["charpoly"] - G.charpoly(stability.LAMBDA).as_expr())
    lower, epsilon = bound["epsilon_lower"], bound["epsilon"]
    if lower is not None:  # ε is a root of some condition, and the certified lower bound is tight
        assert min(abs(sympy.N(sympy.sympify(c).subs(ALPHA, epsilon), 50)) for c in bound["conditions"]) < 1e-30
        assert 0 < lower <= epsilon and float(epsilon - lower) < 1e-9 * (1 + float(epsilon))
    alpha = sympy.Rational(u) * (4 if lower is None else lower)
    assert _min_real(_numeric(G.subs(ALPHA, alpha))) > 0


@examples(15)
@given(case=stable_hessians(), u=unit_fractions())
@example(case=((1, 1, 1, 1), sympy.Matrix(REMARK_D5_H)), u=0.5)
@example(case=((1, 1), sympy.Matrix([[0, 1], [-1, 0]])), u=0.5)  # rotation: sym(H) = 0
def test_property_lookahead_jacobian_is_positive_stable_below_the_certified_epsilon(case, u):
    """Theorem 2 / D.4: H ⪰ 0 invertible, symmetric diagonal blocks ⇒ G(α) positive stable for 0 < α < ε."""
    check_theorem_2(stability.positive_stability_bound, *case, u)


def check_verdict_matches_eigenvalues(bound_fn, G, alpha, spectrum_is_good):
    """The α-conditions of ``bound_fn`` hold at α exactly when the numeric spectrum test says so."""
    result = bound_fn(G)
    good = spectrum_is_good(G.subs(ALPHA, alpha))
    # numpy's spectrum within 1e-9 of the boundary (Re λ = 0, ρ = 1) cannot tell which side α is on: a limit of
    # floating point, not a premise (the conditions are exact; every α numpy can decide is asserted)
    assume(good is not None)
    holds = all(float(sympy.sympify(c).subs(ALPHA, alpha)) > 0 for c in result["conditions"])
    note(f"alpha = {alpha}, conditions hold: {holds}, numeric: {good}, epsilon = {result['epsilon']}")
    assert holds == good


def positive_stable(G, margin=1e-9):
    m = _min_real(_numeric(G))
    return None if abs(m) < margin else m > 0


def contracts(G, alpha, margin=1e-9):
    J = numpy.eye(G.shape[0]) - float(alpha) * _numeric(G)
    rho = float(numpy.abs(numpy.linalg.eigvals(J)).max())
    return None if abs(rho - 1) < margin else rho < 1


@st.composite
def hessians_and_alphas(draw, max_dim=3):
    dims = draw(player_dims(max_dim=max_dim))
    H = draw(game_hessians(dims, draw(st.sampled_from(["stable", "general"]))))
    return dims, H, sympy.Rational(draw(st.integers(1, 64)), 32)  # α ∈ (0, 2]


@examples(25)
@given(case=hessians_and_alphas())
def test_property_routh_hurwitz_conditions_agree_with_numeric_eigenvalues_on_both_sides_of_epsilon(case):
    """The certified bound's conditions hold at α ⇔ every eigenvalue of G(α) has Re > 0 (numpy)."""
    dims, H, alpha = case
    check_verdict_matches_eigenvalues(stability.positive_stability_bound,
                                      stability.lookahead_matrix(H, _H_o(H, dims)), alpha, positive_stable)


@examples(25)
@given(case=hessians_and_alphas())
@example(case=((1, 1), sympy.Matrix([[3, 0], [0, 1]]), sympy.Rational(3, 4)))  # 1 − 3α = −5/4: leaves via z = −1
def test_property_contraction_conditions_agree_with_the_numeric_spectral_radius(case):
    """Cor. D.3: the conditions of the contraction bound hold at α ⇔ ρ(I − αG(α)) < 1 (numpy)."""
    dims, H, alpha = case
    # not covered: Cor. D.3 needs XH positive stable, so H invertible; with H singular the map keeps an eigenvalue 1
    # for every α, which contraction_bound sets aside (tested below, on purpose-drawn singular H)
    assume(H.det() != 0)
    G = stability.lookahead_matrix(H, _H_o(H, dims))
    check_verdict_matches_eigenvalues(stability.contraction_bound, G, alpha, lambda Ga: contracts(Ga, alpha))


@st.composite
def matrices_with_an_eigenvalue_on_the_imaginary_axis(draw):
    """Integer G = P D P⁻¹, P unimodular, D holding a rotation [[0, k], [−k, 0]] or a 0, the rest stable."""
    k = draw(st.integers(0, 3))
    blocks = [sympy.Matrix([[0, k], [-k, 0]])] if k else [sympy.zeros(1, 1)]
    for _ in range(draw(st.integers(0, 2))):
        r = draw(st.integers(1, 3))
        blocks.append(sympy.Matrix([[r]]) if draw(st.booleans()) else sympy.Matrix([[r, 1], [-1, r]]))
    D = sympy.diag(*blocks)
    n = D.shape[0]
    L = sympy.Matrix(n, n, lambda i, j: draw(st.integers(-1, 1)) if i > j else int(i == j))
    U = sympy.Matrix(n, n, lambda i, j: draw(st.integers(-1, 1)) if i < j else int(i == j))
    P = L * U
    return P * D * P.inv()


@examples(20)
@given(G=matrices_with_an_eigenvalue_on_the_imaginary_axis())
@example(G=sympy.Matrix([[0, 1], [-1, 0]]))
@example(G=sympy.Matrix([[1, 0], [0, 0]]))
def test_property_eigenvalues_on_the_imaginary_axis_are_not_stable(G):
    """An eigenvalue at 0 or ±ik is not positive stable: the certified bound must say 'not stable'."""
    assert not stability.positive_stability_bound(G)["stable_for_small_alpha"]


def test_the_suite_finds_stable_games_where_lookahead_is_not_positive_definite():
    """Remark D.5 is not alone: H ⪰ 0 invertible with (I − αH_o)H not PD for small α, drawn (not pinned)."""
    alpha = 1e-3

    def not_pd(case):
        dims, H = case
        G = _numeric(stability.lookahead_matrix(H, _H_o(H, dims), sympy.Rational(1, 1000)))
        return H != sympy.Matrix(REMARK_D5_H) and numpy.linalg.eigvalsh((G + G.T) / 2).min() < -alpha / 100

    dims, H = find(stable_hessians(max_dim=4), not_pd, settings=settings(max_examples=3000, database=None,
                                                                            derandomize=True))
    print(f"\nfound: dims {dims}, H = {H.tolist()}")
    assert not_pd((dims, H))


@examples(10)
@given(case=stable_hessians(max_dim=3))
@example(case=((1, 1, 1, 1), sympy.Matrix(REMARK_D5_H)))
def test_property_leading_eigenvalue_of_the_symmetric_part_is_the_small_alpha_slope(case):
    """Remark D.5's c: with sym(H) singular, the smallest eigenvalue of sym(G(α)) is c·α + O(α²) (numpy at α = 1e-5)."""
    dims, H = case
    # not covered: the O(α) slope exists only when sym(H) is singular (else the smallest eigenvalue is O(1))
    assume(((H + H.T) / 2).det() == 0)
    H_o = _H_o(H, dims)
    c, _ = stability.leading_min_eigenvalue_of_symmetric_part(H, H_o)
    G = _numeric(stability.lookahead_matrix(H, H_o, sympy.Rational(1, 10 ** 5)))
    slope = numpy.linalg.eigvalsh((G + G.T) / 2).min() / 1e-5
    note(f"c = {c}, numeric slope {slope}")
    assert_close(slope, float(sympy.N(c)), rtol=1e-3, atol=1e-3)  # the O(α²) term: α·‖H‖² relative, ≲ 1e-3 here


@st.composite
def singular_hessians_and_alphas(draw, max_dim=3):
    dims = draw(player_dims(max_dim=max_dim))
    return dims, draw(game_hessians(dims, "singular")), sympy.Rational(draw(st.integers(1, 64)), 32)


@examples(10)
@given(case=singular_hessians_and_alphas())
@example(case=((1, 1), sympy.Matrix([[2, 2], [2, 2]]), sympy.Rational(1, 4)))  # the tandem: ε = 1/2, one neutral
def test_property_contraction_sets_aside_the_directions_along_a_family_of_fixed_points(case):
    """Cor. D.3 with H singular (a family of fixed points): one eigenvalue 1 of the map per null direction of
    H is set aside (``neutral``), and the conditions on the rest agree with numpy's spectrum."""
    dims, H, alpha = case
    G = stability.lookahead_matrix(H, _H_o(H, dims))
    result = stability.contraction_bound(G)
    neutral = H.shape[0] - H.rank()
    assert result["neutral"] == neutral
    J = numpy.eye(H.shape[0]) - float(alpha) * _numeric(G.subs(ALPHA, alpha))
    z = numpy.linalg.eigvals(J)
    rest = numpy.delete(z, numpy.argsort(numpy.abs(z - 1))[:neutral])
    if rest.size == 0:  # H = 0: nothing moves, nothing contracts
        assert not result["stable_for_small_alpha"]
        return
    rho = float(numpy.abs(rest).max())
    assume(abs(rho - 1) > 1e-9)  # floating point cannot tell ρ from 1 this close; not a premise
    holds = all(float(sympy.sympify(c).subs(ALPHA, alpha)) > 0 for c in result["conditions"])
    note(f"rho without the neutral eigenvalues = {rho}, conditions hold: {holds}")
    assert holds == (rho < 1)


def test_a_map_whose_eigenvalues_are_all_one_does_not_contract():
    result = stability.contraction_bound(sympy.zeros(2, 2))  # H = 0: every direction is neutral
    assert result == {"conditions": [], "stable_for_small_alpha": False, "epsilon": 0, "epsilon_lower": None,
                      "neutral": 2}


def test_the_leading_eigenvalue_needs_a_singular_symmetric_part():
    H = sympy.Matrix([[2, 1], [-1, 2]])
    with pytest.raises(ValueError, match="the symmetric part of H is invertible"):
        stability.leading_min_eigenvalue_of_symmetric_part(H, _H_o(H, (1, 1)))


def _non_strict_sign(real):
    return lambda poly, alpha: 1 if real(poly, alpha) == 0 else real(poly, alpha)


def test_imaginary_axis_property_catches_non_strict_routh_hurwitz(monkeypatch):
    monkeypatch.setattr(stability, "_low_order_sign", _non_strict_sign(stability._low_order_sign))

    @given(G=matrices_with_an_eigenvalue_on_the_imaginary_axis())
    def prop(G):
        assert not stability.positive_stability_bound(G)["stable_for_small_alpha"]

    assert "Falsifying example" in expect_falsified(prop)


def _hurwitz_interval_without_leading_coefficient(poly_expr, var, alpha):
    coeffs = [sympy.expand(c) for c in sympy.Poly(sympy.expand(poly_expr), var).all_coeffs()]
    if stability._low_order_sign(coeffs[0], alpha) < 0:
        coeffs = [-c for c in coeffs]
    conditions = stability.hurwitz_determinants(coeffs)  # planted bug: coeffs[0] > 0 dropped
    small_ok = all(stability._low_order_sign(c, alpha) > 0 for c in conditions)
    epsilon, lower = stability._smallest_positive_root(conditions, alpha) if small_ok else (sympy.S.Zero, None)
    return {"conditions": conditions, "stable_for_small_alpha": small_ok, "epsilon": epsilon, "epsilon_lower": lower}


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_contraction_property_catches_a_dropped_leading_coefficient_condition(monkeypatch):
    monkeypatch.setattr(stability, "_hurwitz_interval", _hurwitz_interval_without_leading_coefficient)

    @given(case=hessians_and_alphas())
    def prop(case):
        dims, H, alpha = case
        assume(H.det() != 0)  # not covered (as in the property above)
        G = stability.lookahead_matrix(H, _H_o(H, dims))
        check_verdict_matches_eigenvalues(stability.contraction_bound, G, alpha, lambda Ga: contracts(Ga, alpha))

    assert "Falsifying example" in expect_falsified(prop)


# == 5. Cor. D.3 / Thm 4: LA and SOS converge near stable fixed points; NL need not ==========

# The most steps a run is watched for.  A slow contraction (ρ(J) ≈ 1 − 3·10⁻⁴ is among the drawn games) would need
# tens of thousands of steps to shrink ‖δ‖ by 10⁴; Lyapunov's certificate below shows convergence at every step.
CONVERGENCE_STEPS = 40


def _lyapunov(J: sympy.Matrix) -> sympy.Matrix:
    """The P with P − JᵀPJ = I, exactly (a linear solve in rationals; unique when no λ_i λ_j(J) = 1).

    When ρ(J) < 1, P = Σ_k (Jᵀ)^k J^k ⪰ I is positive definite, and V(δ) = δᵀPδ falls by exactly ‖δ‖² along
    δ ↦ Jδ; conversely P ≻ 0 implies ρ(J) < 1 (Lyapunov).
    """
    d = J.shape[0]
    vec = (sympy.eye(d * d) - sympy.kronecker_product(J.T, J.T)).LUsolve(sympy.eye(d).reshape(d * d, 1))
    return vec.reshape(d, d)


def _chi_near(game):
    """‖χ(θ̄)‖ and ‖∇χ‖_F of a quadratic game (χ is affine in θ there): ‖χ(θ)‖ ≤ the first + the second·‖θ − θ̄‖."""
    chi, at = game.sym.chi, game.point(game.fixed_point)
    gradient = chi.jacobian(game.symbols)
    assert not gradient.free_symbols, "quadratic games only: χ affine"
    return float(chi.subs(at).norm()), float(gradient.norm())


def _rounding(game) -> float:
    """A bound on the float error of one step in ‖θ − θ̄‖: 64 ulps of the largest coordinate per coordinate
    (measured: ≤ 3 ulps over 20 steps of LA on the drawn games)."""
    return 64 * numpy.finfo(float).eps * (1 + max(abs(float(c)) for c in game.fixed_point)) * math.sqrt(game.dim)


def check_local_convergence(rules, game, u, offset):
    """Cor. D.3 / D.6 / Thm D.8 at an SFP of a quadratic game, every step of every run checked against an exact
    certificate.

    α = u · (the certified lower bound of LA's contraction ε, at most 1), so the theorems cover it; the contraction
    is then certified again, independently, by the exact Lyapunov P of J = I − αG(α) (P ≻ 0 ⇔ ρ(J) < 1).  Along
    LA's map δ ↦ Jδ, V(δ) = δᵀPδ falls by ‖δ‖² per step.  SOS's map is δ ↦ Jδ + e with e = α²pχ(θ) and
    0 ≤ p ≤ p2 = ‖ξ‖² = ‖Hδ‖² while ‖Hδ‖ < b, so ‖e‖ ≤ κ‖δ‖², κ = α²‖H‖²·max‖χ‖, and
    V(Jδ + e) ≤ V(δ) − ‖δ‖² + ‖P‖(2‖J‖κ‖δ‖ + κ²‖δ‖²)‖δ‖².  The run starts close enough (‖δ_0‖ ≤ R/√‖P‖, R exact
    below) that ‖H‖R < b and ‖P‖(2‖J‖κR + κ²R²) ≤ ¼: V then falls by ≥ ¾‖δ‖² at every step, and ‖δ_k‖² ≤ V_k ≤ V_0
    ≤ ‖P‖‖δ_0‖² ≤ R² keeps every iterate in the ball.  Asserted: V falls by ≥ ½‖δ_k‖² (less float rounding) at every
    step, so V_k ≤ (1 − 1/(2‖P‖))^k V_0 → 0: the run converges.  Steps: as many as the exact J needs to shrink
    every δ by 10⁴ (‖J^N‖₂ ≤ 10⁻⁴), at most ``CONVERGENCE_STEPS``.  Norms are Frobenius (≥ the 2-norm), ‖P‖ ≤ tr P.
    """
    H, n = game.H_at_fixed_point, game.dim
    G = stability.lookahead_matrix(H, _H_o(H, game.dims))
    bound = stability.contraction_bound(G)
    assert bound["stable_for_small_alpha"], "Thm 2 + Cor. D.3: at an SFP LA's map contracts for small α"
    alpha, exact = _below(bound["epsilon_lower"], u)
    J = sympy.eye(n) - exact * G.subs(ALPHA, exact)
    P = _lyapunov(J)
    assert all(P[:k, :k].det() > 0 for k in range(1, n + 1)), "P ≻ 0 (Sylvester): LA's map contracts at this α"
    norm_P, norm_J, norm_H = float(P.trace()), float(J.norm()), float(H.norm())
    chi_0, chi_slope = _chi_near(game)
    R = 2.0 ** -10
    while not (norm_H * R < A.SOS_B.default
               and 8 * norm_P * (norm_J + 1) * alpha ** 2 * norm_H ** 2 * (chi_0 + chi_slope * R) * R <= 1):
        R /= 2  # 8‖P‖(‖J‖ + 1)κR ≤ 1 gives ‖P‖(2‖J‖κR + κ²R²) ≤ ¼ (κR ≤ 1, ‖P‖ ≥ 1)
    offset = numpy.array([offset], dtype=float)
    scale = 2.0 ** math.floor(math.log2(R / (math.sqrt(norm_P) * numpy.linalg.norm(offset))))
    J_float, P_float = _numeric(J), _numeric(P)
    steps, power = 0, numpy.eye(n)
    while steps < CONVERGENCE_STEPS and numpy.linalg.norm(power, 2) > 1e-4:
        power, steps = J_float @ power, steps + 1
    eta = _rounding(game)
    centre = _theta(game.fixed_point)
    note(f"alpha = {alpha}, rho(J) = {max(abs(numpy.linalg.eigvals(J_float)))}, tr P = {norm_P}, start at {scale} * "
         f"{offset[0]}, {steps} steps")

    def V(delta):
        return float(delta[0] @ P_float @ delta[0])

    for name, rule in rules.items():
        theta = centre + scale * offset
        for k in range(steps):
            delta = theta - centre
            theta = theta - alpha * rule(game.numeric, theta, alpha=alpha).direction
            after = theta - centre
            slack = 2 * norm_P * numpy.linalg.norm(after) * eta + norm_P * eta ** 2
            fall = V(delta) - V(after)
            assert fall >= 0.5 * float(delta[0] @ delta[0]) - slack, \
                f"{name}, step {k}: V fell by {fall}, certified ≥ ¾‖δ‖² = {0.75 * float(delta[0] @ delta[0])} (LA: = ‖δ‖²)"
        note(f"{name}: |delta| from {scale * numpy.linalg.norm(offset)} to {numpy.linalg.norm(theta - centre)}")


def _offsets(dim):
    return st.lists(st.integers(-3, 3), min_size=dim, max_size=dim).filter(any)


@examples(8)
@given(game=quadratic_games("stable", max_dim=3), data=st.data(), u=unit_fractions(8, 56))
@example(game=CYCLIC, data=None, u=0.5)  # ε = 1 (|1 − α(α ± i)|² = 1 − α² + α⁴): α = ½, P = 16/3 · I
def test_property_la_and_sos_converge_near_stable_fixed_points(game, data, u):
    """Cor. D.3 / D.6 / Thm D.8: for 0 < α below LA's certified contraction bound, LA and SOS converge to a nearby SFP.
    Caught: LA with +α (V rises at the first step); SOS's p2 = ‖ξ‖ (V falls by < ½‖δ‖²: e is O(‖δ‖), not O(‖δ‖²))."""
    offset = [1, -1] if data is None else data.draw(_offsets(game.dim))
    check_local_convergence({"la": A.lookahead, "sos": A.sos}, game, u, offset)


def test_the_suite_finds_stable_games_where_nl_does_not_converge():
    """At an SFP, NL's map I − αH can leave the unit circle where LA's I − αG(α) contracts (numpy spectra)."""
    def nl_diverges(case):
        game, u = case
        H, alpha = game.H_at_fixed_point, float(u)
        G = _numeric(stability.lookahead_matrix(H, _H_o(H, game.dims), sympy.Rational(u)))
        radius = numpy.abs(numpy.linalg.eigvals(numpy.eye(game.dim) - alpha * G)).max()
        return radius < 1 < numpy.abs(numpy.linalg.eigvals(numpy.eye(game.dim) - alpha * _numeric(H))).max()

    game, u = find(st.tuples(quadratic_games("stable", max_dim=3), unit_fractions(1, 32)), nl_diverges,
                   settings=settings(database=None, derandomize=True, max_examples=500))
    print(f"\nNL diverges where LA converges: {game!r}, alpha = {u}")
    assert nl_diverges((game, u))


def lookahead_with_the_sign_flipped(game, theta, *, alpha, **_):
    """Planted bug: (I + αH_o)ξ."""
    s = D.second_order(game, theta, ("H_o_xi",))
    return A.Direction(s.first.xi + alpha * s.H_o_xi, s.first.losses, s.first.xi, {})


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_convergence_property_catches_lookahead_with_the_sign_flipped():
    @given(game=quadratic_games("stable", max_dim=3), data=st.data(), u=unit_fractions(8, 56))
    def prop(game, data, u):
        check_local_convergence({"la": lookahead_with_the_sign_flipped}, game, u, data.draw(_offsets(game.dim)))

    assert "Falsifying example" in expect_falsified(prop, max_examples=30)


# == 6. Theorem 6 / E.4: LA and SOS leave strict saddles ======================================

# Runs from θ̄ + 10⁻⁶·N(0, I) are watched until the exact linear map would have moved every one of them 12× farther
# out; a start on the stable manifold (probability 0) would never be: such a draw fails here rather than loops.
ESCAPE_STEPS_AT_MOST = 2000


def check_leaves_strict_saddle(rule, game, u, seed):
    """Thm 6 / E.4 at a strict saddle of a quadratic game, for α below the certified bound of "α sufficiently small".

    The proof needs G(α) = (I − αH_o)H to keep H's eigenvalue with Re < 0, and ∇F = I − αG(α) invertible.  An
    eigenvalue of G(α) crosses the imaginary axis only where det G(α) = 0 or where a pair ±iω sums to 0, both roots
    of the last Hurwitz determinant Δ_n = a_n·Δ_{n−1} (Orlando's formula: Δ_{n−1} ∝ ∏_{i<j}(λ_i + λ_j)); below the
    smallest positive root of Δ_n and of det(I − αG(α)), every α is one the theorem covers.  α = u · that bound.
    Asserted: G(α) has an eigenvalue with Re < 0, so J = I − αG(α) one of modulus > 1 (exact matrix, numpy
    spectrum); the rule's map has Jacobian J at θ̄ (forward differences: LA's map is affine here, SOS's p-term
    adds ≤ α²h‖H‖²‖χ‖ per column, as h‖H‖ < b); and every run from a small random offset leaves, 10× its start, within the
    steps the exact J needs to move it 12× out.
    """
    H, n = game.H_at_fixed_point, game.dim
    G = stability.lookahead_matrix(H, _H_o(H, game.dims))
    crossing = stability.positive_stability_bound(G)["conditions"][-1]
    alpha, exact = _below(_certified_lower_bound([crossing, (sympy.eye(n) - ALPHA * G).det()]), u)
    G_alpha = _numeric(G.subs(ALPHA, exact))
    J = numpy.eye(n) - alpha * G_alpha
    radius = float(numpy.abs(numpy.linalg.eigvals(J)).max())
    note(f"alpha = {alpha}, min Re λ(G(α)) = {_min_real(G_alpha)}, spectral radius of J = {radius}")
    assert _min_real(G_alpha) < 0 and radius > 1  # the theorem's ∇F(θ̄) has an eigenvalue outside the unit circle

    centre = _theta(game.fixed_point)

    def step(theta):
        return theta - alpha * rule(game.numeric, theta, alpha=alpha).direction

    h = 2.0 ** -14  # SOS's p-term is O(h) per column, rounding O(1/h): this h keeps both ≪ the bugs' O(1) and O(h)
    jacobian = ((step(centre + h * numpy.eye(n)) - step(centre)) / h).T  # one run per column, one call
    chi_0, chi_slope = _chi_near(game)
    p_term = alpha ** 2 * h * float(H.norm()) ** 2 * (chi_0 + chi_slope * h)
    assert_close(jacobian, J, rtol=0, atol=p_term + 4 * _rounding(game) / h)

    theta = centre + 1e-6 * numpy.random.default_rng(seed).normal(size=(4, n))
    start = numpy.linalg.norm(theta - centre, axis=1)
    linear, steps = theta - centre, 0
    while numpy.any(numpy.linalg.norm(linear, axis=1) < 12 * start):
        linear, steps = linear @ J.T, steps + 1
        assert steps <= ESCAPE_STEPS_AT_MOST, "a start on the stable manifold, or a rate too slow to watch"
    for _ in range(steps):
        theta = step(theta)
    distance = numpy.linalg.norm(theta - centre, axis=1)
    note(f"distances after {steps} steps: {distance / start} times the start")
    assert numpy.all(distance > 10 * start)


@pytest.mark.parametrize("name", ["la", "sos"])
@examples(8)
@given(game=quadratic_games("saddle", max_dim=3), u=unit_fractions(8, 56), seed=st.integers(0, 2 ** 16))
@example(game=COMMON_SADDLE, u=0.5, seed=0)  # G(α) = H − αI: eigenvalues ±1 − α; Δ_2's root at α = 1
def test_property_la_and_sos_leave_strict_saddles(name, game, u, seed):
    """Thm 6 / E.4: at a strict saddle the LA/SOS map's Jacobian is I − α(I − αH_o)H, with an eigenvalue of
    modulus > 1, and runs from small random offsets leave.
    Caught: LA with +α (Jacobian off by 2α²H_oH); SOS's p2 = ‖ξ‖ (p-term α²‖hHe_k‖χ, not α²‖hHe_k‖²χ, per column)."""
    check_leaves_strict_saddle(_rule(name), game, u, seed)


def consensus_only(game, theta, *, alpha, **_):
    """Planted bug: Hᵀξ in place of ξ (the gradient of ½‖ξ‖², which saddles attract)."""
    s = D.second_order(game, theta, ("Ht_xi",))
    return A.Direction(s.Ht_xi, s.first.losses, s.first.xi, {})


def test_saddle_property_catches_a_rule_that_descends_the_gradient_norm():
    @given(game=quadratic_games("saddle", max_dim=3), u=unit_fractions(8, 56), seed=st.integers(0, 2 ** 16))
    def prop(game, u, seed):
        check_leaves_strict_saddle(consensus_only, game, u, seed)

    assert "Falsifying example" in expect_falsified(prop, max_examples=60)


# == 7. Symbolic = numeric for ξ, H, χ and the Hessian-vector products =======================

def check_derivatives(derivatives, game, point):
    sym, at, theta = game.sym, game.point(point), _theta(point)
    xi = _numeric(sym.xi.subs(at))[:, 0]
    H = _numeric(sym.H.subs(at))
    expected = {"xi": xi, "H": H, "chi": _numeric(sym.chi.subs(at))[:, 0],
                "H_o_xi": _numeric(sym.H_o.subs(at)) @ xi, "H_xi": H @ xi, "Ht_xi": H.T @ xi}
    numeric = sym.numeric()  # the symbolic layer's own bridge to the numeric layer
    assert (numeric.name, numeric.dims) == (game.name, game.dims)
    assert_close(numeric.losses(theta)[:, 0], [float(loss.subs(at)) for loss in sym.losses], rtol=1e-12, atol=1e-12)
    for name, value in expected.items():
        got = derivatives[name](game.numeric, theta)[0]
        assert_close(got, value, rtol=RTOL_SYMBOLIC, atol=_atol(value), err_msg=name)


DERIVATIVES = {"xi": D.xi, "H": D.hessian, "chi": D.chi, "H_o_xi": D.H_o_xi, "H_xi": D.H_xi, "Ht_xi": D.Ht_xi}


@examples(25)
@given(game=polynomial_games(), data=st.data())
@example(game=REMARK_D5, data=None)
def test_property_symbolic_and_numeric_derivatives_agree(game, data):
    """ξ, H, χ, H_oξ, Hξ, Hᵀξ of the numeric layer equal the symbolic layer's on random polynomial games."""
    point = (1,) * game.dim if data is None else data.draw(points(game))
    check_derivatives(DERIVATIVES, game, point)


def chi_with_flipped_index(game, theta):
    """Planted bug: χ_i = Σ_{j≠i} (∇_i∇_j L^i) ∇_j L^j (the wrong losses)."""
    H, G = D.hessian(game, theta), D.first_order(game, theta).grads
    out = numpy.zeros_like(numpy.asarray(theta, dtype=float))
    for i, si in enumerate(game.slices):
        for j, sj in enumerate(game.slices):
            if j != i:
                out[:, si] += numpy.einsum("rab,rb->ra", H[:, si, sj], G[j][:, sj])
    return out


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_derivative_property_catches_chi_with_flipped_index():
    @given(game=polynomial_games(), data=st.data())
    def prop(game, data):
        check_derivatives({**DERIVATIVES, "chi": chi_with_flipped_index}, game, data.draw(points(game)))

    assert "Falsifying example" in expect_falsified(prop)


# == 8. Metamorphic: scaling, permuting players, constants ====================================

# How each rule's settings move when L → cL and α → α/c so that the direction scales by c: each
# record's ``scaling`` (a string says why the rule is not scale-equivariant).
SCALING = {n: a.scaling for n, a in ALGORITHMS.items() if not isinstance(a.scaling, str)}


def scaled(game: DrawnGame, c) -> DrawnGame:
    return DrawnGame(tuple(c * loss for loss in game.losses), game.players, name=f"{c}*{game.name}")


def check_scaling(rule, transform, game, point, alpha, c):
    hyper = dict(ALGORITHMS[rule].defaults) if rule in ALGORITHMS else {}
    fn = ALGORITHMS[rule].fn
    theta = _theta(point)
    try:
        base = fn(game.numeric, theta, alpha=alpha, **hyper).direction
        moved = {k: transform.get(k, lambda v, c: v)(v, float(c)) for k, v in hyper.items()}
        got = fn(scaled(game, c).numeric, theta, alpha=alpha / float(c), **moved).direction
    except numpy.linalg.LinAlgError:
        assume(False)
    assert_close(got, float(c) * base, rtol=1e-9, atol=_atol(float(c) * base))


@pytest.mark.parametrize("name", sorted(SCALING))
@examples(15)
@given(game=polynomial_games(max_dim=4), data=st.data(), alpha=learning_rates(),
       c=st.sampled_from([sympy.Rational(1, 4), sympy.Rational(1, 2), 2, 4]))
def test_property_scaling_losses_by_c_and_alpha_by_one_over_c_scales_the_direction_by_c(name, game, data, alpha, c):
    check_scaling(name, SCALING[name], game, data.draw(points(game)), alpha, c)


def permuted(game: DrawnGame, order) -> DrawnGame:
    return DrawnGame(tuple(game.losses[i] for i in order), tuple(game.players[i] for i in order),
                     name=f"{game.name}{list(order)}")


def check_permutation(rule, game, point, alpha, order):
    blocks = numpy.split(numpy.arange(game.dim), numpy.cumsum(game.dims)[:-1])
    columns = numpy.concatenate([blocks[i] for i in order])
    theta = _theta(point)
    try:
        base = rule(game.numeric, theta, alpha=alpha)
        got = rule(permuted(game, order).numeric, theta[:, columns], alpha=alpha)
    except numpy.linalg.LinAlgError:
        assume(False)
    assert_close(got.direction, base.direction[:, columns], rtol=1e-9, atol=_atol(base.direction))
    for key, value in base.diagnostics.items():
        assert_close(got.diagnostics[key], value, rtol=1e-9, atol=1e-12, err_msg=key)


@st.composite
def games_points_orders(draw):
    game = draw(polynomial_games(max_dim=4))
    return game, draw(points(game)), tuple(draw(st.permutations(range(len(game.players)))))


@pytest.mark.parametrize("name", RULES)
@examples(12)
@given(case=games_points_orders(), alpha=learning_rates())
def test_property_permuting_players_permutes_the_direction(name, case, alpha):
    check_permutation(_rule(name), case[0], case[1], alpha, case[2])


def lola_where_only_player_1_shapes(game, theta, *, alpha):
    """Planted bug: χ kept on player 1's block only."""
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    chi = s.chi * game.masks[0]
    return A.Direction(s.first.xi - alpha * s.H_o_xi - alpha * chi, s.first.losses, s.first.xi, {})


@pytest.mark.slow  # a planted-bug test: hypothesis searches and shrinks (tox -e slow)
def test_permutation_property_catches_lola_where_only_player_1_shapes():
    @given(case=games_points_orders(), alpha=learning_rates())
    def prop(case, alpha):
        check_permutation(lola_where_only_player_1_shapes, case[0], case[1], alpha, case[2])

    assert "Falsifying example" in expect_falsified(prop)


@pytest.mark.parametrize("name", RULES)
@examples(10)
@given(game=polynomial_games(max_dim=4), data=st.data(), alpha=learning_rates(),
       constants=st.lists(st.integers(-5, 5), min_size=4, max_size=4))
def test_property_adding_a_constant_to_a_loss_changes_no_direction(name, game, data, alpha, constants):
    point = data.draw(points(game))
    shifted = DrawnGame(tuple(loss + k for loss, k in zip(game.losses, constants)), game.players, name="shifted")
    rule, theta = _rule(name), _theta(point)
    try:
        base, got = rule(game.numeric, theta, alpha=alpha), rule(shifted.numeric, theta, alpha=alpha)
    except numpy.linalg.LinAlgError:
        assume(False)
    assert_close(got.direction, base.direction, rtol=1e-12, atol=1e-12)


@examples(10)
@given(game=polynomial_games(max_dim=4), data=st.data())
def test_property_second_order_terms_are_the_same_with_first_order_given_or_integer_points(game, data):
    """The pass that reuses a given FirstOrder (``first=``) and integer θ give the same terms."""
    point = data.draw(st.lists(st.integers(-2, 2), min_size=game.dim, max_size=game.dim))
    theta = numpy.array([point])
    terms = ("H_o_xi", "chi", "H_xi", "Ht_xi")
    fresh = D.second_order(game.numeric, theta.astype(float), terms)
    given_first = D.second_order(game.numeric, theta, terms, first=D.first_order(game.numeric, theta))
    for term in terms:
        assert_close(getattr(given_first, term), getattr(fresh, term), rtol=1e-12, atol=1e-12, err_msg=term)
    assert_close(D.hessian(game.numeric, theta), D.hessian(game.numeric, theta.astype(float)), rtol=0, atol=0)


def test_a_symbolic_game_from_player_specs_and_at_a_point():
    from sosverify.symbolic import SymGame

    game = SymGame.from_specs(["x=x*y", "y=-x*y"], name="cyclic")
    assert game.name == "cyclic" and [[str(s) for s in p] for p in game.players] == [["x"], ["y"]]
    assert game.losses == list(CYCLIC.losses)
    assert game.at(game.xi, {s: 2 for s in game.symbols}) == sympy.Matrix([2, -2])


def test_an_unknown_second_order_term_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown second-order terms \['H'\]; valid: H_o_xi, chi, H_xi, Ht_xi"):
        D.second_order(TANDEM.numeric, numpy.zeros((1, 2)), ("H",))
