"""Properties of Theorem 2's matrices and the IPD's symmetry.

The shared properties of every rule on drawn games (fixed points kept or moved, SOS's p, Proposition 1,
scaling, permuting players) live in tests/test_theorems.py, once."""

import numpy
import sympy
from conftest import assert_close
from hypothesis import assume, example, given, note, settings
from hypothesis import strategies as st

from sosverify import algorithms as A
from sosverify.audit.strategies import small_logits
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


IPD = get_game("ipd")


@settings(max_examples=25, deadline=None)
@given(theta=small_logits(IPD, max_abs=3.0, runs=3), alpha=st.floats(0.01, 1.0))
def test_property_swapping_players_of_a_symmetric_game_swaps_the_directions(theta, alpha):
    """Metamorphic: the IPD is symmetric under swapping the players (and the CD/DC states).
    (Permuting the players of drawn games, for every rule: tests/test_theorems.py §8.)"""
    game = IPD
    perm = numpy.array([0, 1, 3, 2, 4])  # start, CC, DC, CD, DD seen from the other side
    swapped = numpy.concatenate([theta[:, 5:][:, perm], theta[:, :5][:, perm]], axis=1)
    for rule in (A.naive, A.lookahead, A.lola, A.sos):
        d = rule(game, theta, alpha=alpha).direction
        ds = rule(game, swapped, alpha=alpha).direction
        expected = numpy.concatenate([d[:, 5:][:, perm], d[:, :5][:, perm]], axis=1)
        assert_close(ds, expected, rtol=1e-9, atol=1e-11)
