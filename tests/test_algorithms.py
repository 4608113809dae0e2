"""The learning rules: Proposition 1, reductions, the tandem's limits, Example 1, batching."""

import numpy
import pytest
from conftest import assert_close
from hypothesis import given
from hypothesis import strategies as st
from test_derivatives import _three_player_cubic

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS
from sosverify.claims.lola import taylor_lola_gradient
from sosverify.games import get_game, linear
from sosverify.runner import run


@pytest.mark.parametrize("game_name", ["ipd", "tandem", "matching-pennies", "cubic3"])
def test_property_lola_is_gradient_of_taylor_objective(game_name, rng):
    """Proposition 1 / B.1: that gradient equals (I − αH_o)ξ − αχ (the H_oξ term is kept)."""
    game = _three_player_cubic(rng) if game_name == "cubic3" else get_game(game_name)
    theta = rng.normal(size=(3, game.dim))
    for alpha in (0.05, 0.3, 1.0):
        expected = taylor_lola_gradient(game, theta, alpha)
        # two autograd routes to the same third-order-free quantity: equal to rounding
        assert_close(A.lola(game, theta, alpha=alpha).direction, expected, rtol=1e-9, atol=1e-10)


def test_lola_without_the_middle_term_is_caught(rng):
    """A LOLA that drops αH_oξ (the form in Foerster et al.'s appendix) does not match Proposition 1."""
    game = get_game("ipd")
    theta = rng.normal(size=(3, game.dim))
    s = D.second_order(game, theta, ("chi",))
    wrong = s.first.xi - 0.5 * s.chi
    with pytest.raises(AssertionError):
        assert_close(wrong, taylor_lola_gradient(game, theta, 0.5), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("game_name", ["ipd", "tandem", "matching-pennies", "remark-d5"])
def test_reductions_to_simpler_rules(game_name, rng):
    """p-LOLA(p=0) = LA, p-LOLA(p=1) = LOLA, CO(γ=0) = NL, LA(α=0) = LOLA(α=0) = NL."""
    game = get_game(game_name)
    theta = rng.normal(size=(4, game.dim))
    alpha = 0.37
    tight = dict(rtol=1e-13, atol=1e-13)
    assert_close(A.p_lola(game, theta, alpha=alpha, p=0.0).direction,
                 A.lookahead(game, theta, alpha=alpha).direction, **tight)
    assert_close(A.p_lola(game, theta, alpha=alpha, p=1.0).direction,
                 A.lola(game, theta, alpha=alpha).direction, **tight)
    nl = A.naive(game, theta, alpha=alpha).direction
    assert_close(A.consensus(game, theta, alpha=alpha, gamma=0.0).direction, nl, **tight)
    assert_close(A.lookahead(game, theta, alpha=0.0).direction, nl, **tight)
    assert_close(A.lola(game, theta, alpha=0.0).direction, nl, **tight)
    assert_close(A.extragradient(game, theta, alpha=0.0).direction, nl, **tight)
    assert_close(A.cgd(game, theta, alpha=0.0).direction, nl, **tight)
    # and they are not all trivially equal: LA differs from NL for α > 0 on these games
    assert not numpy.allclose(A.lookahead(game, theta, alpha=alpha).direction, nl)


def test_tandem_lola_and_sos_limits():
    """SPEC §3: at α = 0.1, LOLA → x + y = 4/3 (average loss 4/9), SOS → x + y = 1 (loss 0)."""
    kwargs = dict(alpha=0.1, steps=300, runs=16, seed=3)
    lola_h = run("tandem", "lola", **kwargs)
    sos_h = run("tandem", "sos", a=0.5, b=0.5, **kwargs)
    for h, s_star, loss_star in ((lola_h, 4 / 3, 4 / 9), (sos_h, 1.0, 0.0)):
        assert not h.diverged.any()
        assert_close(h.params[-1].sum(axis=1), s_star, rtol=0, atol=1e-6, err_msg=h.algorithm)
        assert_close(h.losses[-1].mean(axis=0), loss_star, rtol=0, atol=1e-6, err_msg=h.algorithm)
    assert sos_h.diagnostics["p"][-1].max() < 1e-10  # p = ‖ξ‖² → 0 at the fixed line


@given(alpha=st.floats(0.01, 2.0), x=st.floats(-10, 10), y=st.floats(-10, 10))
def test_property_nl_step_on_cyclic_game_scales_norm_by_one_plus_alpha_squared(alpha, x, y):
    """Example 1: one NL step on L1 = −L2 = xy multiplies x² + y² by exactly 1 + α²."""
    h = run("cyclic", "nl", alpha=alpha, steps=1, init=numpy.array([[x, y]]))
    before, after = x * x + y * y, float(numpy.sum(h.params[-1] ** 2))
    assert_close(after, (1 + alpha ** 2) * before, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("algo", sorted(A.ALGORITHMS))
def test_batched_runs_equal_separate_single_runs_on_ipd(algo, rng):
    theta0 = rng.normal(size=(5, 10))
    batched = run("ipd", algo, alpha=1.0, steps=8, init=theta0)
    for r in range(theta0.shape[0]):
        single = run("ipd", algo, alpha=1.0, steps=8, init=theta0[r:r + 1])
        assert_close(batched.params[:, r], single.params[:, 0], rtol=0, atol=1e-12)
        assert_close(batched.losses[:, :, r], single.losses[:, :, 0], rtol=0, atol=1e-12)
        for name in batched.diagnostics:
            assert_close(batched.diagnostics[name][:, r], single.diagnostics[name][:, 0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_sos_rejects_a_or_b_outside_open_unit_interval(bad):
    game = get_game("tandem")
    theta = numpy.zeros((1, 2))
    with pytest.raises(ValueError, match=r"open interval \(0, 1\)"):
        A.sos(game, theta, alpha=0.1, a=bad)
    with pytest.raises(ValueError, match=r"open interval \(0, 1\)"):
        A.sos(game, theta, alpha=0.1, b=bad)


def test_a_run_whose_cgd_or_lss_system_is_singular_is_nan_not_an_exception():
    """CGD at α = 1 on L1 = L2 = xy: I + αH_o is singular; the run is flagged diverged, nothing raises."""
    A_ = numpy.array([[[1.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [0.0, 4.0]], [[numpy.nan, 0.0], [0.0, 1.0]]])
    x = A._solve_or_nan(A_, numpy.array([[1.0, 1.0], [2.0, 4.0], [1.0, 1.0]]))
    assert numpy.isnan(x[0]).all() and numpy.isnan(x[2]).all()
    assert_close(x[1], [1.0, 1.0], rtol=0, atol=1e-15)
    game = linear(numpy.array([[0.0, 1.0], [1.0, 0.0]]))
    assert run(game, "cgd", alpha=1.0, steps=3, runs=2, seed=0).diverged.all()
    assert not run(game, "cgd", alpha=0.5, steps=3, runs=2, seed=0).diverged.any()
    single = get_game("single-loss")  # L = y² for both: H singular everywhere
    assert run(single, "lss", alpha=0.1, steps=3, runs=2, seed=0, lam=0.0).diverged.all()
    assert not run(single, "lss", alpha=0.1, steps=3, runs=2, seed=0).diverged.any()


def test_a_derivative_that_is_identically_zero_gives_no_warning():
    """A linear game has H = 0: autograd's "Output seems independent of input" is not shown."""
    import warnings

    from sosverify._autodiff import np
    from sosverify.game import Game

    game = Game("linear-losses", (1, 1), lambda p: np.stack([2.0 * p[0][:, 0], 3.0 * p[1][:, 0]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, algo in ALGORITHMS.items():
            out = algo.fn(game, numpy.ones((2, 2)), alpha=0.1, **algo.defaults).direction
            assert numpy.isfinite(out).all(), name


def test_a_per_coordinate_alpha_predicts_the_step_on_the_vector_not_the_output(rng):
    """The predicted-step extension with a non-constant step s (an (R, d) array): LA's direction is
    ξ − H_o(s ⊙ ξ), LOLA's adds − χ^s with χ^s_i = Σ_{j≠i} (∇_i∇_j L^j)(s_j ⊙ ∇_j L^i), and SOS's p is
    Algorithm 1's with αχ read as χ^s, from the dense H of the game (not through the rule's own calls).
    Planted: s ⊙ (H_o ξ) and s ⊙ χ, the scalar formula reused for an array, which a constant s (the
    test below) cannot tell apart and which 'verify' did not see (a review's unplanted mutant)."""
    game = _three_player_cubic(rng)
    theta = rng.standard_normal((3, game.dim))
    step = rng.uniform(0.05, 0.5, size=theta.shape)
    H, first = D.hessian_and_first(game, theta)
    H_o = D.off_diagonal(game, H)
    H_o_xi = numpy.einsum("rab,rb->ra", H_o, step * first.xi)
    chi = sum(game.masks[i] * numpy.einsum("rba,rb->ra", H_o, step * first.grads[i]) for i in range(game.n_players))
    la = ALGORITHMS["la"].fn(game, theta, alpha=step).direction
    assert_close(la, first.xi - H_o_xi, rtol=1e-10, atol=1e-12)
    lola = ALGORITHMS["lola"].fn(game, theta, alpha=step).direction
    assert_close(lola, first.xi - H_o_xi - chi, rtol=1e-10, atol=1e-12)
    sos = ALGORITHMS["sos"].fn(game, theta, alpha=step, a=0.5, b=0.1)
    p = A.sos_p(first.xi, first.xi - H_o_xi, chi, alpha=1.0, a=0.5, b=0.1)
    assert_close(sos.diagnostics["p"], p, rtol=1e-10, atol=1e-12)
    assert_close(sos.direction, first.xi - H_o_xi - p[:, None] * chi, rtol=1e-10, atol=1e-12)


def test_sos_p2_is_each_runs_own_where_the_batch_mixes_runs_near_and_far_from_a_fixed_point():
    """p2 = ‖ξ‖² where ‖ξ‖ < b is each run's own norm: a batch of tandem runs, one within b of the line
    of fixed points x + y = 1 and others far, gives each row the direction of that run alone.  Planted:
    the norm over the whole batch (the batched-equals-single test on the IPD never reached ‖ξ‖ < b)."""
    game = get_game("tandem")
    theta = numpy.array([[0.5 + 1e-3, 0.5], [2.0, -3.0], [0.3, 0.71], [-1.0, 4.0]])
    batch = ALGORITHMS["sos"].fn(game, theta, alpha=0.1, a=0.5, b=0.1)
    norms = numpy.linalg.norm(batch.xi, axis=1)
    assert (norms < 0.1).any() and (norms > 0.1).any()
    for r in range(len(theta)):
        one = ALGORITHMS["sos"].fn(game, theta[r:r + 1], alpha=0.1, a=0.5, b=0.1)
        assert numpy.array_equal(batch.direction[r], one.direction[0]), r
        assert batch.diagnostics["p"][r] == one.diagnostics["p"][0]


def test_sos_defaults_are_the_papers_a_one_half_and_b_one_tenth():
    """SPEC §3 (Algorithm 1's hyperparameters): a = 0.5, b = 0.1.  Swapped defaults passed every claim
    of 'verify' and every rule test (a review's unplanted mutant); a run without a and b must use these."""
    assert ALGORITHMS["sos"].defaults == {"a": 0.5, "b": 0.1}
    game = get_game("ipd")
    theta = numpy.random.default_rng(3).standard_normal((4, game.dim)) * 0.1
    default = ALGORITHMS["sos"].fn(game, theta, alpha=1.0, **ALGORITHMS["sos"].defaults)
    explicit = ALGORITHMS["sos"].fn(game, theta, alpha=1.0, a=0.5, b=0.1)
    assert numpy.array_equal(default.direction, explicit.direction)


def test_a_per_coordinate_alpha_that_is_constant_is_the_scalar_rule():
    # the predicted-step extension (alpha an (R, d) array) reduces to the paper's rules when every
    # coordinate's step is the same alpha; SOS at p = 1 stays LOLA exactly with an array too
    from sosverify.algorithms import ALGORITHMS
    from sosverify.games import get_game

    game = get_game("ipd")
    theta = numpy.random.default_rng(1).standard_normal((3, game.dim))
    for name in ("la", "lola", "plola", "sos", "eg"):
        algo = ALGORITHMS[name]
        assert algo.predicts
        scalar = algo.fn(game, theta, alpha=0.3, **algo.defaults)
        array = algo.fn(game, theta, alpha=numpy.full(theta.shape, 0.3), **algo.defaults)
        numpy.testing.assert_allclose(array.direction, scalar.direction, rtol=1e-10, atol=1e-12, err_msg=name)
    assert not any(ALGORITHMS[n].predicts for n in ("nl", "co", "sga", "cgd", "lss"))
    step = numpy.random.default_rng(2).uniform(0.1, 1.0, theta.shape)
    sos = ALGORITHMS["sos"].fn(game, theta, alpha=step, a=0.5, b=1e-6)  # tiny b: p2 = 1, p from p1 alone
    lola = ALGORITHMS["lola"].fn(game, theta, alpha=step)
    one = sos.diagnostics["p"] == 1
    assert one.any()
    assert numpy.array_equal(sos.direction[one], lola.direction[one])
