"""The symbolic layer: agreement with the numeric layer, fixed points, classification, stability."""

import numpy
import pytest
import sympy
from conftest import assert_close
from hypothesis import given, settings

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.audit.strategies import polynomial_games
from sosverify.games import REMARK_D5_H
from sosverify.symbolic import (
    SymGame,
    classify,
    fixed_points,
    is_zero,
    leading_min_eigenvalue_of_symmetric_part,
    lola_fixed_points,
    lookahead_matrix,
    positive_stability_bound,
)
from sosverify.symbolic.game import ALPHA, GAMMA, LAM, P

x, y, z = sympy.symbols("x y z", real=True)

BUILT_IN = {
    "tandem": SymGame([(x + y) ** 2 - 2 * x, (x + y) ** 2 - 2 * y], [[x], [y]], name="tandem"),
    "cyclic": SymGame([x * y, -x * y], [[x], [y]], name="cyclic"),
    "common-saddle": SymGame([x * y, x * y], [[x], [y]], name="common-saddle"),
    "single-loss": SymGame([y ** 2], [[x, y]], name="single-loss"),
}
# Symbolic and autograd values of polynomials at O(1) points: both are exact up to rounding.
TIGHT = dict(rtol=1e-11, atol=1e-11)


def _compare(sym: SymGame, rng, alpha=0.3):
    game = sym.numeric()
    theta = rng.normal(size=(5, game.dim))
    def at(matrix):
        fn = sympy.lambdify(sym.symbols, matrix, "numpy")
        return numpy.stack([numpy.array(fn(*row), dtype=float).reshape(matrix.shape) for row in theta])

    assert_close(at(sym.xi)[:, :, 0], D.xi(game, theta), **TIGHT)
    assert_close(at(sym.H), D.hessian(game, theta), **TIGHT)
    assert_close(at(sym.chi)[:, :, 0], D.chi(game, theta), **TIGHT)
    subs = {ALPHA: sympy.Rational(3, 10), P: sympy.Rational(1, 4), GAMMA: sympy.Rational(7, 10), LAM: 1}
    pairs = [(sym.naive(), A.naive(game, theta, alpha=alpha)),
             (sym.lookahead(), A.lookahead(game, theta, alpha=alpha)),
             (sym.lola(), A.lola(game, theta, alpha=alpha)),
             (sym.p_lola(), A.p_lola(game, theta, alpha=alpha, p=0.25)),
             (sym.consensus(), A.consensus(game, theta, alpha=alpha, gamma=0.7))]
    for expr, numeric in pairs:
        assert_close(at(expr.subs(subs))[:, :, 0], numeric.direction, **TIGHT)
    # SGA: the numeric λ is ±1 per run; compare with the symbolic direction at that λ
    out = A.sga(game, theta, alpha=alpha)
    for r, lam in enumerate(out.diagnostics["lambda"]):
        fn = sympy.lambdify(sym.symbols, sym.sga(int(lam)), "numpy")
        assert_close(numpy.array(fn(*theta[r]), dtype=float).ravel(), out.direction[r], **TIGHT)


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_symbolic_and_numeric_layers_agree_on_built_in_games(name, rng):
    _compare(BUILT_IN[name], rng)


def test_symbolic_and_numeric_layers_agree_on_remark_d5_game(rng):
    t = sympy.symbols("t1:5", real=True)
    H = sympy.Matrix(REMARK_D5_H)
    losses = [sympy.Rational(1, 2) * H[i, i] * t[i] ** 2 + sum(H[i, j] * t[i] * t[j] for j in range(4) if j != i)
              for i in range(4)]
    _compare(SymGame(losses, [[s] for s in t]), rng)


@settings(max_examples=15, deadline=None)
@given(drawn=polynomial_games(max_dim=4))
def test_property_symbolic_and_numeric_layers_agree_on_drawn_polynomial_games(drawn):
    """Drawn as coefficients (a failure shrinks to a small game a person can read), evaluated at 5 fixed points."""
    _compare(drawn.sym, numpy.random.default_rng(0))


def test_tandem_fixed_points_and_lola_fixed_points():
    g = BUILT_IN["tandem"]
    fps = fixed_points(g)
    assert [fp["solution"] for fp in fps] == [{x: 1 - y}] and fps[0]["kind"] == "stable"
    (lola,) = lola_fixed_points(g)
    assert is_zero(lola["solution"][x] + y - (1 - 2 * ALPHA) / (1 - 4 * ALPHA))


@pytest.mark.parametrize("H, kind", [
    (sympy.Matrix([[2, 2], [2, 2]]), "stable"),       # singular but PSD: the tandem
    (sympy.Matrix([[0, 1], [-1, 0]]), "stable"),      # cyclic: symmetric part 0
    (sympy.Matrix([[-1, 0], [0, -2]]), "unstable"),   # negative definite: unstable, not also a saddle
    (sympy.Matrix([[0, 1], [1, 0]]), "strict-saddle"),
    (sympy.Matrix([[1, 3], [-1, -1]]), "other"),     # eigenvalues ±i√2: neither PSD nor a strict saddle
])
def test_classification_follows_section_2_2(H, kind):
    assert classify(H) == kind


def test_remark_d5_epsilon_is_tight_and_c_is_about_minus_two_thirds():
    H = sympy.Matrix(REMARK_D5_H)
    H_o = H - sympy.diag(*[H[i, i] for i in range(4)])
    G = lookahead_matrix(H, H_o)
    bound = positive_stability_bound(G)
    eps = float(sympy.N(bound["epsilon"]))
    assert bound["stable_for_small_alpha"] and 0.16 < eps < 0.17
    assert 0 < bound["epsilon_lower"] <= bound["epsilon"]

    def min_re(alpha):
        return numpy.linalg.eigvals(numpy.array(G.subs(ALPHA, alpha).evalf(), dtype=float)).real.min()

    assert min_re(sympy.Rational(eps / 2)) > 0 and min_re(sympy.Rational(float(bound["epsilon_lower"]))) > 0
    assert min_re(sympy.Rational(eps * 1.01)) < 0  # just above ε a real eigenvalue has crossed 0
    c, _ = leading_min_eigenvalue_of_symmetric_part(H, H_o)
    assert abs(float(sympy.N(c)) + 0.67) < 0.005


def test_a_matrix_that_is_not_stable_for_small_alpha_is_reported():
    H = sympy.Matrix([[0, 1], [1, 0]])  # strict saddle: G(α) has an eigenvalue near −1
    assert not positive_stability_bound(lookahead_matrix(H, H))["stable_for_small_alpha"]


def test_is_zero_uses_canonical_forms_not_floats():
    assert is_zero((x + 1) ** 2 - x ** 2 - 2 * x - 1)
    assert is_zero((x ** 2 - 1) / (x - 1) - x - 1)
    assert not is_zero((x + 1) ** 2 - x ** 2)


def test_symbolic_game_rejects_bad_players():
    from sosverify import SosverifyError

    with pytest.raises(SosverifyError, match="z, which no player owns"):
        SymGame([x * z, y], [[x], [y]])
    with pytest.raises(SosverifyError, match="owned by two players"):
        SymGame([x, y], [[x], [x]])


@pytest.mark.parametrize("H, H_o, bound, neutral", [
    (sympy.Matrix([[2, 2], [2, 2]]), sympy.Matrix([[0, 2], [2, 0]]), sympy.Rational(1, 2), 1),  # tandem
    (sympy.Matrix([[0, 1], [-1, 0]]) / 4, sympy.Matrix([[0, 1], [-1, 0]]) / 4, 4, 0),  # matching pennies at ½
])
def test_contraction_bound_is_exact(H, H_o, bound, neutral):
    from sosverify.symbolic.stability import contraction_bound

    G = lookahead_matrix(H, H_o)
    r = contraction_bound(G)
    assert r["epsilon"] == bound and r["neutral"] == neutral

    def radius(alpha):
        J = numpy.eye(2) - float(alpha) * numpy.array(G.subs(ALPHA, alpha).evalf(), dtype=float)
        z = numpy.linalg.eigvals(J)
        rest = numpy.delete(z, numpy.argsort(numpy.abs(z - 1))[:neutral])  # set the neutral eigenvalues 1 aside
        return numpy.abs(rest).max()

    assert radius(sympy.Rational(bound) * sympy.Rational(99, 100)) < 1 < radius(sympy.Rational(bound) * sympy.Rational(101, 100))


def test_strict_saddle_never_contracts():
    from sosverify.symbolic.stability import contraction_bound

    H = sympy.Matrix([[0, 1], [1, 0]])
    assert not contraction_bound(lookahead_matrix(H, H))["stable_for_small_alpha"]
