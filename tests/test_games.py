"""The built-in games and games from expressions."""

import numpy
import pytest
import sympy
from conftest import assert_close

from sosverify import Game, SosverifyError
from sosverify import derivatives as D
from sosverify.expressions import from_expressions, game_from_specs, parse_players
from sosverify.games import REMARK_D5_H, get_game, linear
from sosverify.games.paper import PAPER

BIG = 30.0  # logit giving probability 1 − 1e-13: deterministic policies


def test_ipd_reports_two_for_mutual_defection_and_one_for_mutual_cooperation():
    g = get_game("ipd")
    always_d, always_c = -BIG * numpy.ones((1, 5)), BIG * numpy.ones((1, 5))
    tft = numpy.array([[BIG, BIG, -BIG, BIG, -BIG]])  # cooperate at start and after the other's C
    tft2 = numpy.array([[BIG, BIG, BIG, -BIG, -BIG]])  # player 2 copies player 1's last action
    scale = g.report_scale
    assert_close(scale * g.losses(numpy.hstack([always_d, always_d])), 2.0, rtol=0, atol=1e-9)
    assert_close(scale * g.losses(numpy.hstack([always_c, always_c])), 1.0, rtol=0, atol=1e-9)
    assert_close(scale * g.losses(numpy.hstack([tft, tft2])), 1.0, rtol=0, atol=1e-9)
    # the sucker: C against D loses 3 per step, the defector 0
    assert_close(scale * g.losses(numpy.hstack([always_c, always_d]))[:, 0], [3.0, 0.0], rtol=0, atol=1e-9)


def test_ipd_matches_a_monte_carlo_free_direct_sum(rng):
    """L = p0ᵀ Σ_t γ^t P^t r, summed to convergence, equals the closed form."""
    gamma = 0.9
    g = get_game("ipd", gamma=gamma)
    theta = rng.normal(size=(2, 10))
    s = 1 / (1 + numpy.exp(-theta))
    for r in range(2):
        a, b = s[r, 0], s[r, 5]
        p0 = numpy.array([a * b, a * (1 - b), (1 - a) * b, (1 - a) * (1 - b)])
        c1, c2 = s[r, 1:5], s[r, 6:10]
        P = numpy.stack([c1 * c2, c1 * (1 - c2), (1 - c1) * c2, (1 - c1) * (1 - c2)], axis=1)
        total, dist = numpy.zeros(2), p0.copy()
        for t in range(600):  # 0.9^600 ≈ 1e-28
            total += gamma ** t * dist @ numpy.array([[1, 1], [3, 0], [0, 3], [2, 2]])
            dist = dist @ P
        assert_close(g.losses(theta)[:, r], total, rtol=1e-12, atol=0)


def test_linear_game_has_the_given_jacobian(rng):
    g = get_game("remark-d5")
    theta = rng.normal(size=(3, 4))
    H = numpy.array(REMARK_D5_H, dtype=float)
    assert_close(D.xi(g, theta), theta @ H.T, rtol=1e-13, atol=1e-13)
    assert_close(D.hessian(g, theta), numpy.broadcast_to(H, (3, 4, 4)), rtol=0, atol=1e-13)


def test_linear_game_with_blocks(rng):
    H = numpy.array([[2.0, 1.0, 3.0], [1.0, 4.0, -1.0], [5.0, 0.5, 1.0]])
    g = linear(H, dims=(2, 1))
    theta = rng.normal(size=(2, 3))
    assert_close(D.xi(g, theta), theta @ H.T, rtol=1e-13, atol=1e-13)


def test_linear_game_rejects_asymmetric_diagonal_block():
    with pytest.raises(SosverifyError, match="symmetric"):
        linear(numpy.array([[1.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), dims=(2, 1))


@pytest.mark.parametrize("name", sorted(PAPER))
def test_each_hand_written_paper_game_equals_its_expressions(name, rng):
    """The fast numeric form of each paper game against its one definition (sosverify.games.paper):
    losses and ξ (SymPy's derivatives at 30 digits against autograd), and the game from the same
    expressions (lambdified) agrees on χ.  Float64 at O(1) points: 1e-12 relative."""
    paper, builtin = PAPER[name], get_game(name)
    symbols = [s for group in paper.players for s in group]
    assert builtin.dims == tuple(len(g) for g in paper.players)
    theta = rng.normal(size=(3, len(symbols)))
    xi_exprs = [sympy.diff(loss, s) for loss, group in zip(paper.losses, paper.players) for s in group]
    for r in range(theta.shape[0]):
        at = dict(zip(symbols, (sympy.Float(v, 30) for v in theta[r])))
        losses = [float(loss.evalf(30, subs=at)) for loss in paper.losses]
        xi = [float(e.evalf(30, subs=at)) for e in xi_exprs]
        assert_close(builtin.losses(theta[r:r + 1])[:, 0], losses, rtol=1e-12, atol=1e-12)
        assert_close(D.xi(builtin, theta[r:r + 1])[0], xi, rtol=1e-12, atol=1e-12)
    lambdified = from_expressions(list(paper.losses), [list(g) for g in paper.players])
    assert_close(D.chi(lambdified, theta), D.chi(builtin, theta), rtol=1e-12, atol=1e-12)


def test_player_specs_with_several_symbols_and_constant_losses():
    g = game_from_specs(["x1,x2=x1*y + x2**2", "y=0"])
    assert g.dims == (2, 1)
    assert_close(g.losses(numpy.array([[1.0, 2.0, 3.0]])), [[7.0], [0.0]], rtol=0, atol=0)


@pytest.mark.parametrize("specs, message", [
    (["x=x*y"], "y, which no player owns"),
    (["x=x*y", "x=y"], "owned by player 1 and player 2"),
    (["x=(x+"], "cannot parse"),
    (["x x"], "not of the form"),
    (["1x=x"], "not a valid symbol"),
    ([], "at least one"),
])
def test_bad_player_specs_give_clear_errors(specs, message):
    with pytest.raises(SosverifyError, match=message):
        parse_players(specs)


def test_loss_with_wrong_shape_is_rejected():
    with pytest.raises(SosverifyError, match=r"loss 1 has shape \(2, 1\).*one scalar per run"):
        Game("bad", (1,), lambda p: [p[0]])
    with pytest.raises(SosverifyError, match="returned 1 losses, expected one per player"):
        Game("bad", (1, 1), lambda p: [p[0][:, 0]])


def test_unknown_game_lists_valid_names():
    with pytest.raises(SosverifyError, match="unknown game 'chess'; valid games: .*tandem"):
        get_game("chess")


def test_ipd_rejects_discount_outside_unit_interval():
    with pytest.raises(SosverifyError, match=r"\(0, 1\)"):
        get_game("ipd", gamma=1.0)
