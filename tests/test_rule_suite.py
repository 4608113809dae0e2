"""The shared suite every entry of ``ALGORITHMS`` must pass (Optax style): a rule joins by being registered.

Shape and dtype, batched = one run at a time, same seed → same numbers, finite on finite input,
and agreement with the symbolic layer's formula for that rule (its record's ``exact``,
``sosverify/symbolic/rules.py``) on random
polynomial games — with SOS's p1 and p2 and LSS's two solves each driven into every branch.
"""

import inspect

import numpy
import pytest
import sympy
from conftest import assert_close, examples
from hypothesis import assume, example, given, note
from hypothesis import strategies as st

from sosverify import algorithms as A
from sosverify.algorithms import ALGORITHMS
from sosverify.audit.strategies import (
    COMMON_SADDLE,
    CYCLIC,
    REMARK_D5,
    SINGLE_LOSS,
    TANDEM,
    DrawnGame,
    any_games,
    bimatrix_games,
    games_with_a_fixed_point,
    learning_rates,
    points,
    polynomial_games,
    quadratic_games,
    small_logits,
    unit_fractions,
)
from sosverify.runner import run
from sosverify.symbolic.rules import sos_parts

RULES = sorted(ALGORITHMS)
# Symbolic (exact) and autograd (float64) values of low-degree polynomials at O(1) points:
# both are exact up to rounding, relative to the size of the numbers involved.
RTOL = 1e-9


def _atol(expected) -> float:
    return 1e-9 * (1.0 + float(numpy.abs(numpy.asarray(expected, dtype=float)).max(initial=0.0)))


def _direction(name, game, theta, alpha, **overrides):
    """The rule with its registered defaults; a point where the rule is undefined (CGD's
    (I + αH_o)^{-1} does not exist: ``LinAlgError``) is not an example."""
    algorithm = ALGORITHMS[name]
    try:
        return algorithm.fn(game, theta, alpha=alpha, **{**algorithm.defaults, **overrides})
    except numpy.linalg.LinAlgError:
        assume(False)


@st.composite
def games_and_thetas(draw, runs=st.integers(1, 3)):
    """Any game (polynomial, quadratic, bimatrix, IPD) and ``(R, d)`` parameters of quarters."""
    game = draw(any_games())
    theta = draw(small_logits(game, runs=draw(runs)))
    return game, theta


def test_every_registered_rule_has_a_symbolic_formula():
    missing = sorted(name for name, a in ALGORITHMS.items() if a.exact is None)
    assert not missing, f"give {missing} an exact form (sosverify/symbolic/rules.py) in its record"


@pytest.mark.parametrize("name", RULES)
@examples(15)
@given(case=games_and_thetas(), alpha=learning_rates())
def test_direction_has_the_shape_and_dtype_of_theta(name, case, alpha):
    game, theta = case
    runs, d = theta.shape
    out = _direction(name, game.numeric, theta, alpha)
    assert out.direction.shape == (runs, d) and out.direction.dtype == theta.dtype
    assert out.xi.shape == (runs, d) and numpy.shape(out.losses) == (game.numeric.n_players, runs)
    assert set(out.diagnostics) == set(ALGORITHMS[name].diagnostics)
    for key, val in out.diagnostics.items():
        assert numpy.shape(val) == (runs,), key


@pytest.mark.parametrize("name", RULES)
@examples(10)
@given(case=games_and_thetas(runs=st.just(3)), alpha=learning_rates())
def test_batched_runs_equal_one_run_at_a_time(name, case, alpha):
    game, theta = case
    batched = _direction(name, game.numeric, theta, alpha)
    for r in range(theta.shape[0]):
        single = _direction(name, game.numeric, theta[r:r + 1], alpha)
        # the same arithmetic per row; batched LAPACK calls may differ in the last bits only
        assert_close(batched.direction[r], single.direction[0], rtol=1e-12, atol=1e-12 * (1 + abs(single.direction).max()))
        for key in batched.diagnostics:
            assert_close(batched.diagnostics[key][r], single.diagnostics[key][0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", RULES)
@examples(5)
@given(case=games_and_thetas(), alpha=learning_rates(), seed=st.integers(0, 2 ** 32 - 1))
def test_same_seed_gives_the_same_numbers_and_theta_is_not_changed(name, case, alpha, seed):
    game, theta = case
    before = theta.copy()
    first, second = _direction(name, game.numeric, theta, alpha), _direction(name, game.numeric, theta, alpha)
    assert numpy.array_equal(theta, before)
    assert numpy.array_equal(first.direction, second.direction)
    h1 = run(game.numeric, name, alpha=alpha, steps=2, runs=2, seed=seed)
    h2 = run(game.numeric, name, alpha=alpha, steps=2, runs=2, seed=seed)
    assert numpy.array_equal(h1.params, h2.params) and numpy.array_equal(h1.losses, h2.losses)


@pytest.mark.parametrize("name", RULES)
@examples(15)
@given(case=games_and_thetas(), alpha=learning_rates())
def test_finite_input_gives_a_finite_direction(name, case, alpha):
    game, theta = case
    out = _direction(name, game.numeric, theta, alpha)
    assert numpy.all(numpy.isfinite(out.direction))
    for val in out.diagnostics.values():
        assert numpy.all(numpy.isfinite(val))


def check_agreement(name, game, point, alpha, hyper=None, *, rule=None, min_margin=1e-9):
    """The numeric rule at ``point`` equals the symbolic formula there; returns the oracle's branches."""
    algorithm = ALGORITHMS.get(name)
    hyper = {**(algorithm.defaults if algorithm else {}), **(hyper or {})}
    expected, branches, margin = algorithm.exact(game.sym, game.point(point), alpha, **hyper)
    note(f"branches {sorted(branches)}")
    assume(expected is not None and margin > min_margin)  # rounding may take the other side of a jump
    expected = numpy.array([float(v) for v in expected], dtype=float)
    theta = numpy.array([[float(v) for v in point]])
    fn = rule or algorithm.fn
    got = fn(game.numeric, theta, alpha=alpha, **hyper).direction[0]
    note(f"numeric {got}, symbolic {expected}")
    assert_close(got, expected, rtol=RTOL, atol=_atol(expected))
    return branches


@st.composite
def games_and_points(draw, games=None):
    game = draw(polynomial_games(max_dim=4) if games is None else games)
    return game, draw(points(game))


@pytest.mark.parametrize("name", RULES)
@examples(12)
@given(case=games_and_points(), alpha=learning_rates())
@example(case=(TANDEM, (0, 0)), alpha=0.125)
@example(case=(CYCLIC, (1, 1)), alpha=0.5)
@example(case=(REMARK_D5, (1, 0, -1, sympy.Rational(1, 2))), alpha=0.125)
@example(case=(COMMON_SADDLE, (1, -1)), alpha=0.25)
@example(case=(SINGLE_LOSS, (1, 1)), alpha=0.25)
def test_direction_agrees_with_the_symbolic_formula(name, case, alpha):
    game, point = case
    check_agreement(name, game, point, alpha)


@pytest.mark.parametrize("name", RULES)
@examples(5)
@given(game=bimatrix_games(), point=st.tuples(*[st.integers(-8, 8).map(lambda k: sympy.Rational(k, 4))] * 2),
       alpha=learning_rates())
def test_direction_agrees_with_the_symbolic_formula_under_the_sigmoid(name, game, point, alpha):
    check_agreement(name, game, point, alpha)


# -- SOS's p: every branch of p1 and p2 is met --------------------------------------------

SOS_BRANCHES = ["p1: <-alpha chi, xi_0> >= 0", "p1: ratio < 1", "p1: ratio capped at 1", "p2: |xi| < b", "p2: |xi| >= b"]


def _between(lo, hi, u):
    """The float lo + u (hi − lo), which lies strictly inside (lo, hi) for u ∈ (0, 1)."""
    return float(lo + (hi - lo) * u)


@st.composite
def sos_cases(draw, branch):
    """A game with a fixed point, a point near it and (α, a, b) steered into ``branch``."""
    game = draw(games_with_a_fixed_point(polynomial_games(max_dim=4)))
    offset = draw(st.lists(st.integers(-4, 4).map(lambda k: sympy.Rational(k, 16)), min_size=game.dim,
                           max_size=game.dim))
    point = tuple(c + o for c, o in zip(game.fixed_point, offset))
    alpha = draw(learning_rates())
    xi, xi_0, chi, *_ = sos_parts(game.sym, game.point(point), alpha, 0.5, 0.5)
    dot = float((-sympy.Rational(alpha) * chi.T * xi_0)[0, 0])
    norm0, norm = float((xi_0.T * xi_0)[0, 0]), float(sympy.sqrt((xi.T * xi)[0, 0]))
    u, v = draw(unit_fractions()), draw(unit_fractions())
    a, b = 0.5, 0.5
    if branch.startswith("p1"):
        assume((dot >= 0) == (branch == SOS_BRANCHES[0]))
        if dot < 0:
            edge = -dot / norm0  # ratio = a‖ξ_0‖²/|dot| < 1  ⇔  a < |dot|/‖ξ_0‖²
            if branch == "p1: ratio < 1":
                a = _between(0, min(edge, 1.0), u)
            else:
                assume(edge < 1)
                a = _between(edge, 1.0, u)
        b = v
    else:
        if branch == "p2: |xi| < b":
            assume(norm < 1)
            b = _between(norm, 1.0, v)
        else:
            assume(norm > 0)
            b = _between(0, min(norm, 1.0), v)
        a = u
    assume(0 < a < 1 and 0 < b < 1)
    return game, point, alpha, a, b


@pytest.mark.parametrize("branch", SOS_BRANCHES)
@examples(8)
@given(data=st.data())
def test_sos_agrees_with_algorithm_1_on_each_branch_of_p1_and_p2(branch, data):
    """Every branch of p1 and p2 is met by the drawn cases (asserted), and SOS's p and direction match."""
    game, point, alpha, a, b = data.draw(sos_cases(branch))
    branches = check_agreement("sos", game, point, alpha, {"a": a, "b": b})
    assert branch in branches
    _, _, _, p1, p2, _ = sos_parts(game.sym, game.point(point), alpha, a, b)
    theta = numpy.array([[float(v) for v in point]])
    p = A.sos(game.numeric, theta, alpha=alpha, a=a, b=b).diagnostics["p"][0]
    assert_close(p, float(min(p1, p2)), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("branch", ["H invertible", "H singular"])
@examples(8)
@given(data=st.data(), alpha=learning_rates())
def test_lss_agrees_with_its_formula_with_and_without_the_regulariser(branch, data, alpha):
    kind = "stable" if branch == "H invertible" else "singular"
    game = data.draw(quadratic_games(kind, max_dim=3))
    point = data.draw(points(game))
    if branch == "H singular":  # the rule tests det H = 0 in floating point: keep cases it sees exactly
        H = numpy.array(game.H_at_fixed_point.tolist(), dtype=float)
        assume(numpy.linalg.det(H) == 0)
    assert branch in check_agreement("lss", game, point, alpha, min_margin=-1)


# -- SGA's λ: both signs, with ε steered across ⟨ξ,Hᵀξ⟩⟨Aᵀξ,Hᵀξ⟩/d ------------------------

@st.composite
def sga_cases(draw, sign):
    """A point where s = ⟨ξ,Hᵀξ⟩⟨Aᵀξ,Hᵀξ⟩ < 0 and ε chosen so that λ = sign(s/d + ε) is ``sign``:
    ε ∈ (|s|/d, |s|·d) for +1 (so ``s/d − ε`` or ``s·d + ε`` would give −1), ε ∈ (0, |s|/d) for −1."""
    game, point = draw(games_and_points())
    sym, at = game.sym, game.point(point)
    xi, H = sym.xi.subs(at), sym.H.subs(at)
    ht_xi = H.T * xi
    s = float((xi.T * ht_xi)[0, 0] * (((ht_xi - H * xi) / 2).T * ht_xi)[0, 0])
    assume(s < -1e-6)
    d, u = game.dim, draw(unit_fractions())
    hi = min(-s * d, 2.0) if d > 1 else 2.0
    assume(sign < 0 or hi > -s / d)
    eps = _between(-s / d, hi, u) if sign > 0 else _between(0, -s / d, u)
    assume(eps > 0 and abs(s / d + eps) > 1e-9)
    return game, point, eps


@pytest.mark.parametrize("sign", [1, -1])
@examples(8)
@given(data=st.data(), alpha=learning_rates())
def test_sga_agrees_with_its_formula_for_both_signs_of_lambda(sign, data, alpha):
    game, point, eps = data.draw(sga_cases(sign))
    assert f"lambda = {sign}" in check_agreement("sga", game, point, alpha, {"eps": eps})


# -- edges of the rules' arguments ----------------------------------------------------------

@pytest.mark.parametrize("name, value", [("a", 0.0), ("b", 1.0)])
def test_sos_names_the_hyperparameter_outside_the_open_unit_interval(name, value):
    with pytest.raises(ValueError, match=f"SOS's {name} must be a finite number in the open interval"):
        A.sos(TANDEM.numeric, numpy.zeros((1, 2)), alpha=0.1, **{name: value})


def test_lss_accepts_a_zero_regulariser_and_rejects_a_negative_one():
    theta = numpy.array([[0.5, -0.25]])
    out = A.lss(CYCLIC.numeric, theta, alpha=0.1, lam=0.0)  # H invertible: λ is not used
    assert_close(out.direction, A.lss(CYCLIC.numeric, theta, alpha=0.1).direction, rtol=0, atol=0)
    with pytest.raises(ValueError, match="LSS's regulariser lam must be a finite number >= 0, got -0.1"):
        A.lss(CYCLIC.numeric, theta, alpha=0.1, lam=-0.1)


def test_p_lola_rejects_p_outside_the_unit_interval():
    for p in (-0.5, 1.5):
        with pytest.raises(ValueError, match=r"p-LOLA's fixed p must be a finite number in the closed interval \[0, 1\]"):
            A.p_lola(TANDEM.numeric, numpy.zeros((1, 2)), alpha=0.1, p=p)


def test_an_unknown_rule_name_lists_the_registered_ones():
    assert A.get_algorithm("SOS") is ALGORITHMS["sos"]
    with pytest.raises(ValueError, match="unknown algorithm 'adam'; valid algorithms: ") as info:
        A.get_algorithm("adam")
    assert all(name in str(info.value).split(": ", 1)[1].split(", ") for name in ALGORITHMS)


@pytest.mark.parametrize("name", RULES)
def test_hyperparameters_take_given_values_keep_defaults_for_none_and_refuse_others(name):
    algorithm = ALGORITHMS[name]
    given_values = {k: 0.25 for k in algorithm.defaults}
    assert A.hyperparameters(algorithm, given_values) == given_values
    assert A.hyperparameters(algorithm, {k: None for k in algorithm.defaults}) == algorithm.defaults
    with pytest.raises(ValueError, match=f"algorithm '{name}' takes no setting not_a_setting"):
        A.hyperparameters(algorithm, {**given_values, "not_a_setting": 3})
    # a mapping shared by several rules: each takes its own entries
    assert A.hyperparameters_for(algorithm, {**given_values, "not_a_setting": 3}) == given_values


@pytest.mark.parametrize("name", RULES)
def test_a_rules_own_defaults_agree_with_the_registry(name):
    """Calling the function directly and through the registry uses the same hyperparameters."""
    algorithm = ALGORITHMS[name]
    signature = inspect.signature(algorithm.fn).parameters
    own = {k: p.default for k, p in signature.items() if p.default is not inspect.Parameter.empty}
    assert {k: v for k, v in own.items() if k in algorithm.defaults} == {
        k: v for k, v in algorithm.defaults.items() if k in own}
    assert set(algorithm.defaults) <= set(signature)


@pytest.mark.parametrize("name", RULES)
def test_calling_a_rule_without_hyperparameters_uses_the_registry_defaults(name):
    algorithm = ALGORITHMS[name]
    required = {k: v for k, v in algorithm.defaults.items()
                if inspect.signature(algorithm.fn).parameters[k].default is inspect.Parameter.empty}
    # where every default matters: SGA's ε flips λ at (−1/2, 1); H is singular on the tandem (LSS's λ)
    x, y = sympy.symbols("x y", real=True)
    cases = [(DrawnGame((x * y ** 2, x ** 2 * y + x * y), ((x,), (y,))), [[-0.5, 1.0]]), (TANDEM, [[0.5, -0.25]])]
    for game, theta in cases:
        bare = algorithm.fn(game.numeric, numpy.array(theta), alpha=0.25, **required).direction
        full = algorithm.fn(game.numeric, numpy.array(theta), alpha=0.25, **algorithm.defaults).direction
        assert_close(bare, full, rtol=0, atol=0)


@pytest.mark.parametrize("name", RULES)
def test_a_float32_game_keeps_float32_through_every_rule_including_the_dense_solves(name):
    """float32 in, float32 out: no identity matrix, regulariser or fallback quietly in float64."""
    from dataclasses import replace

    from sosverify.games import get_game

    for game_name in ("cyclic", "tandem", "single-loss", "matching-pennies"):
        game = replace(get_game(game_name), dtype="float32")
        theta = numpy.linspace(-0.5, 0.75, 3 * game.dim, dtype=numpy.float32).reshape(3, game.dim)
        out = _direction(name, game, theta, 0.25)
        assert out.direction.dtype == numpy.float32, (name, game_name, out.direction.dtype)
        assert numpy.isfinite(out.direction).all() or name in ("cgd", "lss"), (name, game_name)
