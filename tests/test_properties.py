"""Property-based tests of the stability claims and metamorphic properties of the rules."""

import numpy
import sympy
from conftest import assert_close
from hypothesis import assume, example, given, note, settings
from hypothesis import strategies as st

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.game import Game
from sosverify.games import get_game
from sosverify.symbolic import lookahead_matrix, positive_stability_bound


@st.composite
def theorem2_matrices(draw, size=st.integers(2, 3)):
    """Integer H = BᵀB + A (one parameter per player): sym(H) ⪰ 0, A antisymmetric off the diagonal.

    Only invertible H are kept (the hypothesis of Theorem 2).
    """
    n = draw(size)
    rank = draw(st.integers(1, n))
    B = sympy.Matrix(rank, n, draw(st.lists(st.integers(-3, 3), min_size=rank * n, max_size=rank * n)))
    upper = draw(st.lists(st.integers(-3, 3), min_size=n * n, max_size=n * n))
    U = sympy.Matrix(n, n, lambda i, j: upper[i * n + j] if i < j else 0)
    H = B.T * B + U - U.T
    assume(H.det() != 0)
    return H


@settings(max_examples=20, deadline=None)
@given(H=theorem2_matrices())
@example(H=sympy.Matrix([[0, 1], [-1, 0]]))  # pure rotation: sym(H) = 0, eigenvalues ±i
def test_property_lookahead_jacobian_is_positive_stable_for_small_alpha(H):
    """Theorem 2: H ⪰ 0 invertible (1-dim blocks are symmetric) ⇒ (I − αH_o)H positive stable for 0 < α < ε."""
    H_o = H - sympy.diag(*[H[i, i] for i in range(H.shape[0])])
    bound = positive_stability_bound(lookahead_matrix(H, H_o))
    note(f"H={H.tolist()}, eps={bound['epsilon']}")
    assert bound["stable_for_small_alpha"]
    alpha = bound["epsilon_lower"] / 2 if bound["epsilon_lower"] is not None else sympy.Rational(1, 2)
    G = numpy.array(lookahead_matrix(H, H_o, alpha).evalf(), dtype=float)
    assert numpy.linalg.eigvals(G).real.min() > 0


def _scaled(game: Game, c: float) -> Game:
    return Game(f"{game.name}*{c}", game.dims, lambda p: [c * loss for loss in game.loss_fn(p)])


@settings(max_examples=25, deadline=None)
@given(c=st.floats(0.1, 10.0), alpha=st.floats(0.01, 1.0), seed=st.integers(0, 10 ** 6),
       name=st.sampled_from(["ipd", "tandem", "matching-pennies"]))
def test_property_scaling_losses_by_c_and_alpha_by_one_over_c_scales_directions_by_c(c, alpha, seed, name):
    """Metamorphic: with L → cL and α → α/c, ξ, H_oξ·α and αχ scale so that LA and LOLA directions scale by c."""
    game = get_game(name)
    theta = numpy.random.default_rng(seed).normal(size=(4, game.dim))
    scaled = _scaled(game, c)
    for rule in (A.naive, A.lookahead, A.lola):
        base = rule(game, theta, alpha=alpha).direction
        # rounding in c·L and its derivatives: relative 1e-12 of the largest entry
        assert_close(rule(scaled, theta, alpha=alpha / c).direction, c * base, rtol=1e-10,
                     atol=1e-12 * c * (1 + numpy.abs(base).max()))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10 ** 6), alpha=st.floats(0.01, 1.0))
def test_property_swapping_players_of_a_symmetric_game_swaps_the_directions(seed, alpha):
    """Metamorphic: the IPD is symmetric under swapping the players (and the CD/DC states)."""
    game = get_game("ipd")
    theta = numpy.random.default_rng(seed).normal(size=(3, 10))
    perm = numpy.array([0, 1, 3, 2, 4])  # start, CC, DC, CD, DD seen from the other side
    swapped = numpy.concatenate([theta[:, 5:][:, perm], theta[:, :5][:, perm]], axis=1)
    for rule in (A.naive, A.lookahead, A.lola, A.sos):
        d = rule(game, theta, alpha=alpha).direction
        ds = rule(game, swapped, alpha=alpha).direction
        expected = numpy.concatenate([d[:, 5:][:, perm], d[:, :5][:, perm]], axis=1)
        assert_close(ds, expected, rtol=1e-9, atol=1e-11)


@st.composite
def games_with_a_fixed_point_at_zero(draw):
    """2–3 players, 1–2 parameters each; L^i = quadratic + cubic terms in all parameters, plus terms
    linear in the *other* players' parameters.  Then ξ(0) = 0 while ∇_j L^i(0) ≠ 0 for j ≠ i."""
    from sosverify._autodiff import np

    dims = tuple(draw(st.lists(st.integers(1, 2), min_size=2, max_size=3)))
    d, n = sum(dims), len(dims)
    rng = numpy.random.default_rng(draw(st.integers(0, 10 ** 6)))
    A = rng.normal(size=(n, d, d))
    C = rng.normal(size=(n, d, d, d)) / 3
    own = numpy.zeros((n, d))
    ends = numpy.cumsum((0,) + dims)
    for i in range(n):
        own[i, ends[i]:ends[i + 1]] = 1
    b = rng.normal(size=(n, d)) * (1 - own)  # linear only in the others' parameters

    def losses(p):
        t = np.concatenate(p, axis=1)
        quad = np.einsum("ra,iab,rb->ir", t, A, t)
        cubic = np.einsum("ra,iabc,rb,rc->ir", t, C, t, t)
        return quad + cubic + np.dot(b, t.T)

    return Game("random-fixed-point", dims, losses)


@settings(max_examples=30, deadline=None)
@given(game=games_with_a_fixed_point_at_zero(), alpha=st.floats(0.01, 1.0))
def test_property_la_and_sos_preserve_fixed_points_and_lola_leaves_them(game, alpha):
    """§3.1: at θ̄ with ξ(θ̄) = 0, LA and SOS do not move; LOLA moves by −αχ(θ̄), which is not 0 here."""
    zero = numpy.zeros((1, game.dim))
    assert_close(A.naive(game, zero, alpha=alpha).direction, 0.0, rtol=0, atol=0)
    assert_close(A.lookahead(game, zero, alpha=alpha).direction, 0.0, rtol=0, atol=1e-15)
    assert_close(A.sos(game, zero, alpha=alpha).direction, 0.0, rtol=0, atol=1e-15)
    chi = D.chi(game, zero)
    note(f"chi(0) = {chi}")
    assert_close(A.lola(game, zero, alpha=alpha).direction, -alpha * chi, rtol=1e-12, atol=1e-15)
    assert numpy.abs(chi).max() > 1e-8  # generic off-diagonal gradients make χ(0) ≠ 0
