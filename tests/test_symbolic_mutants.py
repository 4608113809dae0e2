"""Behaviours of the symbolic layer that surviving mutants showed no test observed (issue 9).

``tools/mutation.py --modules sosverify/symbolic/game.py`` and ``.../stability.py`` left these
mutants alive; each test below names the behaviour it pins, not the mutant.  Every comparison is
exact (SymPy, rationals) unless a tolerance is named at the call site.
"""

import numpy
import pytest
import sympy

from sosverify import SosverifyError
from sosverify.games import REMARK_D5_H
from sosverify.symbolic import SymGame, is_zero, stability
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.stability import contraction_bound, hurwitz_determinants, lookahead_matrix, positive_stability_bound

x, y, a = sympy.symbols("x y a", real=True)


# == sosverify/symbolic/game.py ================================================================

def test_is_zero_on_plain_python_integers():
    """Python ints (e.g. an empty ``sum``) are compared with 0 as they are: 0 is zero, 1 and −2 are not."""
    assert is_zero(0) is True
    assert is_zero(1) is False
    assert is_zero(-2) is False
    assert is_zero(sympy.Matrix([[0, 0]])) and not is_zero(sympy.Matrix([[0, 1]]))


def test_default_names_of_a_symbolic_game_and_of_its_numeric_twin():
    """Unnamed games are called "symbolic" (constructor) or "custom" (player specs); numeric() keeps the name."""
    g = SymGame([x * y, -x * y], [[x], [y]])
    assert g.name == "symbolic" and g.numeric().name == "symbolic"
    s = SymGame.from_specs(["x=x*y", "y=-x*y"])
    assert s.name == "custom" and s.numeric().name == "custom"


def test_string_losses_resolve_to_the_players_own_symbols():
    """A loss given as a string uses the very symbols the players own, assumptions and all (a name the parser
    does not find in the table becomes a fresh *real* symbol, which is a different symbol from a positive one)."""
    u, v = sympy.symbols("u v", positive=True)
    g = SymGame(["u*v + u**2", "-u*v"], [[u], [v]])
    assert g.losses[0].free_symbols == {u, v}
    assert is_zero(g.xi - sympy.Matrix([v + 2 * u, -u]))
    named = SymGame(["x*y + x**2", "-x*y"], [["x"], ["y"]])  # names given as strings become real symbols
    assert named.symbols == [x, y] and named.losses[0].free_symbols == {x, y}


def test_string_losses_may_use_the_declared_constants():
    """A generic game's coefficients: a constant named in a string loss is the constant given, not a parameter."""
    g = SymGame(["a*x*y", "-a*x*y"], [[x], [y]], constants=[a])
    assert g.constants == (a,) and g.symbols == [x, y] and g.dim == 2
    assert g.losses[0].free_symbols == {a, x, y}
    assert is_zero(g.xi - sympy.Matrix([a * y, -a * x]))
    c = sympy.Symbol("c", positive=True)  # a constant with assumptions: the string's "c" must be this one
    h = SymGame(["c*x*y", "-c*x*y"], [[x], [y]], constants=[c])
    assert h.losses[1].free_symbols == {c, x, y}


def test_expression_losses_may_use_the_declared_constants():
    """check_expressions is told the constants: SymPy losses over them are accepted, unknown symbols are not."""
    g = SymGame([a * x * y, -a * x * y], [[x], [y]], constants=(a,))
    assert is_zero(g.chi - sympy.Matrix([-a ** 2 * x, -a ** 2 * y]))
    with pytest.raises(SosverifyError, match="a, which no player owns"):
        SymGame([a * x * y, -a * x * y], [[x], [y]])


def test_a_bad_string_loss_is_reported_with_its_player_number():
    with pytest.raises(SosverifyError, match="loss 2: cannot parse"):
        SymGame(["x*y", "y**"], [[x], [y]])


def test_latex_display_lists_each_players_loss_and_symbols():
    """_repr_latex_ (notebooks): one aligned row per player, numbered from 1, symbols comma-separated."""
    g = SymGame([x ** 2 * y, x * y], [[x], [y]])
    assert g._repr_latex_() == r"$\begin{aligned}L^{1}(x) &= x^{2} y \\ L^{2}(y) &= x y\end{aligned}$"
    z = sympy.Symbol("z", real=True)
    g3 = SymGame([x * y * z, -x * z], [[x, y], [z]])
    assert g3._repr_latex_() == r"$\begin{aligned}L^{1}(x, y) &= x y z \\ L^{2}(z) &= - x z\end{aligned}$"


def test_taylor_objective_is_the_loss_minus_alpha_times_the_shaping_sum():
    """Prop. 1: player i's objective is exactly L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩ (the value, not only its gradient)."""
    g = SymGame([x * y, -x * y], [[x], [y]])  # cyclic: ∂_y L¹ ∂_y L² = x·(−x), ∂_x L² ∂_x L¹ = (−y)·y
    assert is_zero(g.taylor_objective(0) - (x * y + ALPHA * x ** 2))
    assert is_zero(g.taylor_objective(1) - (-x * y + ALPHA * y ** 2))
    one = SymGame([x ** 2 + x * y], [[x, y]])  # one player: nobody to shape, the objective is the loss
    assert is_zero(one.taylor_objective(0) - (x ** 2 + x * y))


# == sosverify/symbolic/stability.py ===========================================================

# how far the certified lower bound may sit below ε: the property tests in test_theorems.py ask the same
TIGHTNESS = 1e-9


def _numeric(M) -> numpy.ndarray:
    return numpy.array(sympy.Matrix(M).evalf(30).tolist(), dtype=float)


def _conditions_hold(result, alpha) -> bool:
    return all(sympy.sympify(c).subs(ALPHA, alpha) > 0 for c in result["conditions"])


def test_hurwitz_determinants_are_exactly_the_n_leading_minors():
    """a0 μ³ + a1 μ² + a2 μ + a3: Δ1 = a1, Δ2 = a1a2 − a0a3, Δ3 = a3Δ2 — three of them, no Δ0 = 1, no repeat."""
    c = sympy.symbols("a0:4")
    dets = hurwitz_determinants(list(c))
    assert len(dets) == 3
    expected = [c[1], c[1] * c[2] - c[0] * c[3], c[3] * (c[1] * c[2] - c[0] * c[3])]
    assert all(is_zero(d - e) for d, e in zip(dets, expected))
    # the stability bound's conditions: the leading coefficient, then Δ1..Δn (n + 1 in all)
    G = lookahead_matrix(sympy.Matrix([[2, 1], [-1, 2]]), sympy.Matrix([[0, 1], [-1, 0]]))
    assert len(positive_stability_bound(G)["conditions"]) == 3


def test_low_order_sign_is_the_sign_of_the_lowest_order_coefficient_in_alpha():
    """Returns exactly 1, −1 or 0 (the documented sign), read off the lowest power of α present."""
    assert stability._low_order_sign(ALPHA ** 2 - 3 * ALPHA ** 3, ALPHA) == 1
    assert stability._low_order_sign(-2 * ALPHA + 5 * ALPHA ** 2, ALPHA) == -1
    assert stability._low_order_sign(sympy.Integer(7) - ALPHA, ALPHA) == 1
    assert stability._low_order_sign(sympy.Integer(0), ALPHA) == 0


def test_epsilon_can_come_from_a_condition_linear_in_alpha():
    """One player, L = x² (H = [2]): LA is gradient descent, θ ↦ (1 − 2α)θ contracts exactly for 0 < α < 1."""
    r = contraction_bound(sympy.Matrix([[2]]))
    assert r["stable_for_small_alpha"] and r["epsilon"] == 1 and r["epsilon_lower"] == 1 and r["neutral"] == 0
    assert _conditions_hold(r, sympy.Rational(99, 100)) and not _conditions_hold(r, sympy.Rational(101, 100))
    s = positive_stability_bound(sympy.Matrix([[1 - ALPHA]]))  # eigenvalue 1 − α: positive for α < 1
    assert s["epsilon"] == 1 and s["epsilon_lower"] == 1


def test_certified_lower_bound_when_twelve_digits_of_epsilon_round_up():
    """ε = √3 = 1.73205080756|89…: 12 digits round up by more than 10⁻¹², so the first candidate lies above ε;
    the bound must be retried at more digits and still be a rational, certified (no root in (0, lower]), tight."""
    r = positive_stability_bound(sympy.Matrix([[3 - ALPHA ** 2]]))
    assert r["stable_for_small_alpha"] and r["epsilon"] == sympy.sqrt(3)
    lower = r["epsilon_lower"]
    assert lower.is_Rational and 0 < lower <= sympy.sqrt(3)
    assert sympy.Poly(3 - ALPHA ** 2, ALPHA).count_roots(0, lower) == 0
    assert float(sympy.sqrt(3) - lower) < TIGHTNESS * (1 + float(sympy.sqrt(3)))


def test_certified_lower_bound_is_positive_when_epsilon_is_about_1e_minus_12():
    """ε = 10⁻¹² − √2·10⁻³⁰ rounds to 10⁻¹² at 12 digits, so the first candidate is exactly 0: not a bound."""
    eps_exact = sympy.Rational(1, 10 ** 12) - sympy.sqrt(2) / 10 ** 30
    epsilon, lower = stability._smallest_positive_root([(ALPHA - sympy.Rational(1, 10 ** 12)) ** 2
                                                        - sympy.Rational(2, 10 ** 60)], ALPHA)
    assert is_zero(epsilon - eps_exact)
    assert lower.is_Rational and 0 < lower <= eps_exact


def test_epsilon_is_the_smallest_root_even_when_roots_agree_to_fifteen_digits():
    """Roots 1/3 + 10⁻²⁰ (first condition) and 1/3 (second): a float64-precision comparison would tie."""
    first, second = ALPHA - (sympy.Rational(1, 3) + sympy.Rational(1, 10 ** 20)), ALPHA - sympy.Rational(1, 3)
    assert stability._smallest_positive_root([first, second], ALPHA) == (sympy.Rational(1, 3), sympy.Rational(1, 3))


def test_conditions_are_sign_normalised_by_the_leading_coefficient_and_not_stable_means_epsilon_zero():
    """G(α) = [2α − 1]: not positive stable for small α (ε = 0, no lower bound), yet at α = 1 (G = [1]) the
    conditions must hold, as numpy's eigenvalue says; at α = 1/4 (G = [−1/2]) they must not."""
    r = positive_stability_bound(sympy.Matrix([[2 * ALPHA - 1]]))
    assert not r["stable_for_small_alpha"] and r["epsilon"] == 0 and r["epsilon_lower"] is None
    for alpha in (sympy.Integer(1), sympy.Rational(1, 4)):
        stable = numpy.linalg.eigvals(_numeric(sympy.Matrix([[2 * alpha - 1]]))).real.min() > 0
        assert _conditions_hold(r, alpha) == stable
    saddle = sympy.Matrix([[0, 1], [1, 0]])
    c = contraction_bound(lookahead_matrix(saddle, saddle))
    assert not c["stable_for_small_alpha"] and c["epsilon"] == 0 and c["epsilon_lower"] is None


@pytest.mark.parametrize("name", ["x", "y", "a"])
def test_contraction_bound_does_not_depend_on_the_name_of_the_learning_rate_symbol(name):
    """contraction_bound(G, alpha=s) for any symbol s gives what the default α gives, renamed."""
    s = sympy.Symbol(name, positive=True)
    H, H_o = sympy.Matrix([[2, 2], [2, 2]]), sympy.Matrix([[0, 2], [2, 0]])  # the tandem: ε = 1/2, one neutral
    ref, got = contraction_bound(lookahead_matrix(H, H_o)), contraction_bound(lookahead_matrix(H, H_o, s), alpha=s)
    assert got["epsilon"] == ref["epsilon"] == sympy.Rational(1, 2) and got["neutral"] == ref["neutral"] == 1
    assert len(got["conditions"]) == len(ref["conditions"])
    assert all(is_zero(sympy.sympify(g).subs(s, ALPHA) - r) for g, r in zip(got["conditions"], ref["conditions"]))


def test_leading_eigenvalue_refuses_an_invertible_symmetric_part_with_its_reason():
    H = sympy.Matrix([[2, 1], [-1, 2]])
    with pytest.raises(ValueError) as info:
        stability.leading_min_eigenvalue_of_symmetric_part(H, H - sympy.diag(2, 2))
    assert str(info.value) == "the symmetric part of H is invertible: its smallest eigenvalue is O(1), not O(α)"


@pytest.mark.parametrize("name", ["z", "w", "mu", "lambda", "x"])
def test_the_stability_bounds_do_not_depend_on_the_name_of_alpha(name):
    # the internal variables (λ, μ of the Hurwitz test, z, w of the Cayley map) must never be
    # the caller's α: the tandem's LA contracts exactly for α < 1/2 whatever α is called

    alpha = sympy.Symbol(name)
    H, H_o = sympy.Matrix([[2, 2], [2, 2]]), sympy.Matrix([[0, 2], [2, 0]])
    G = lookahead_matrix(H, H_o, alpha)
    assert contraction_bound(G, alpha)["epsilon"] == sympy.Rational(1, 2)
    reference = positive_stability_bound(lookahead_matrix(sympy.Matrix(REMARK_D5_H), _off(REMARK_D5_H)))
    named = positive_stability_bound(lookahead_matrix(sympy.Matrix(REMARK_D5_H), _off(REMARK_D5_H), alpha), alpha)
    assert named["epsilon"] == reference["epsilon"]
    assert named["stable_for_small_alpha"] == reference["stable_for_small_alpha"]


def _off(rows):
    H = sympy.Matrix(rows)
    return H - sympy.diag(*[H[i, i] for i in range(H.shape[0])])
