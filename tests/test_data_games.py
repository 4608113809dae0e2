"""Games that draw data, initialise themselves and keep their dtype; what a run keeps; dense limits."""

import numpy
import pytest
from conftest import assert_close

from sosverify import SosverifyError, np
from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS, extragradient
from sosverify.game import Game
from sosverify.games import GAMES, get_game
from sosverify.games.gmm import gmm_gan
from sosverify.runner import initial_parameters, run, trajectory
from sosverify.step import _clone

TINY_GAN = {"hidden": 8, "layers": 2, "latent": 4, "batch": 16}


def noisy_bilinear(dtype="float64", m=5):
    """``L1 = c̄·xy + x²/2``, ``L2 = −c̄·xy + y²/2`` with ``c̄`` the mean of ``m`` draws ``c ~ N(1, 1)``.

    ξ, H_o and χ all depend on the minibatch, so a step that mixed two batches shows.
    """
    def sample(rng, runs):
        return (rng.normal(1.0, 1.0, size=(runs, m)).astype(dtype),)

    def losses(p, batch):
        x, y = p[0][:, 0], p[1][:, 0]
        c = np.mean(batch[0], axis=1)
        return [c * x * y + 0.5 * x ** 2, -c * x * y + 0.5 * y ** 2]

    return Game("noisy-bilinear", (1, 1), losses, sample=sample, dtype=dtype)


def test_a_game_that_draws_data_needs_a_bound_minibatch():
    game = noisy_bilinear()
    with pytest.raises(SosverifyError, match="draws data: bind a minibatch"):
        game.losses(numpy.zeros((2, 2)))
    with pytest.raises(SosverifyError, match="give trajectory an rng"):
        next(trajectory(game, ALGORITHMS["nl"], numpy.zeros((2, 2)), alpha=0.1, steps=1))


@pytest.mark.parametrize("name", ["sos", "lola", "la", "co", "sga", "eg", "cgd", "lss"])
def test_every_quantity_of_a_step_uses_that_steps_minibatch(name):
    game, algo = noisy_bilinear(), ALGORITHMS[name]
    theta = numpy.array([[0.7, -0.4], [0.2, 0.9]])
    rng = numpy.random.default_rng(3)
    expected_batch = game.sample(_clone(rng), 2)        # what step 0 will draw
    first = next(trajectory(game, algo, theta, alpha=0.1, steps=2, hyper=dict(algo.defaults), rng=rng))
    direct = algo.fn(game.bind(expected_batch), theta, alpha=0.1, **algo.defaults)
    assert_close(first.losses, direct.losses, rtol=0, atol=0)
    steps = list(trajectory(game, algo, theta, alpha=0.1, steps=1, hyper=dict(algo.defaults),
                            rng=numpy.random.default_rng(3)))
    assert_close(steps[1].theta, theta - 0.1 * direct.direction, rtol=1e-15, atol=1e-15)


def test_extragradient_looks_ahead_on_the_same_minibatch():
    game = noisy_bilinear()
    theta = numpy.array([[0.7, -0.4]])
    bound = game.draw(numpy.random.default_rng(0), 1)
    xi = D.xi(bound, theta)
    assert_close(extragradient(bound, theta, alpha=0.3).direction, D.xi(bound, theta - 0.3 * xi), rtol=0, atol=0)
    other = game.draw(numpy.random.default_rng(1), 1)   # a second batch would give another direction
    assert not numpy.allclose(D.xi(other, theta - 0.3 * xi), D.xi(bound, theta - 0.3 * xi))


def test_same_seed_same_training_and_another_seed_another():
    game = gmm_gan(**TINY_GAN)
    a = run(game, "sos", alpha=0.01, steps=3, runs=2, seed=5)
    b = run(game, "sos", alpha=0.01, steps=3, runs=2, seed=5)
    c = run(game, "sos", alpha=0.01, steps=3, runs=2, seed=6)
    assert numpy.array_equal(a.params, b.params) and numpy.array_equal(a.losses, b.losses)
    assert not numpy.allclose(a.params[0], c.params[0])


def _float32_tandem():
    t = get_game("tandem")
    return Game("tandem32", t.dims, t.loss_fn, dtype="float32")


@pytest.mark.parametrize("name", sorted(ALGORITHMS))
def test_float32_stays_float32_through_a_step_of_every_rule(name):
    algo = ALGORITHMS[name]
    games = [_float32_tandem()] + ([] if algo.dense else [gmm_gan(**TINY_GAN)])
    for game in games:
        rng = numpy.random.default_rng(0)
        theta = initial_parameters(game, 2, rng)
        assert theta.dtype == numpy.float32
        bound = game.draw(numpy.random.default_rng(1), 2)
        out = algo.fn(bound, theta, alpha=0.01, **algo.defaults)
        assert out.direction.dtype == numpy.float32, (game.name, out.direction.dtype)
        assert out.xi.dtype == numpy.float32 and out.losses.dtype == numpy.float32
        steps = list(trajectory(game, algo, theta, alpha=0.01, steps=1, hyper=dict(algo.defaults), rng=rng))
        assert steps[-1].theta.dtype == numpy.float32 and numpy.isfinite(steps[-1].theta).all()


def _small(name):
    return gmm_gan(**TINY_GAN) if name == "gmm" else get_game(name)


@pytest.mark.parametrize("name", sorted(GAMES))
def test_perturbing_one_run_moves_no_other_run(name):
    game = _small(name)
    theta = initial_parameters(game, 3, numpy.random.default_rng(1), None if game.init else 0.5)
    bound = game.draw(numpy.random.default_rng(2), 3)
    moved = theta.copy()
    moved[0] += 0.25
    for rule in ("nl", "la", "sos", "co", "sga"):
        algo = ALGORITHMS[rule]
        before = algo.fn(bound, theta, alpha=0.05, **algo.defaults)
        after = algo.fn(bound, moved, alpha=0.05, **algo.defaults)
        assert not numpy.array_equal(before.losses[:, 0], after.losses[:, 0]) or \
            not numpy.array_equal(before.direction[0], after.direction[0])   # run 0 did move
        assert numpy.array_equal(before.losses[:, 1:], after.losses[:, 1:]), rule
        assert numpy.array_equal(before.direction[1:], after.direction[1:]), rule


@pytest.mark.parametrize("name", ["cgd", "lss"])
def test_dense_rules_refuse_a_game_above_the_size_limit(name):
    game = gmm_gan(hidden=64, layers=2, latent=8, batch=8)
    assert game.dim > D.DENSE_LIMIT
    with pytest.raises(SosverifyError, match=f"above the limit of {D.DENSE_LIMIT}"):
        run(game, name, alpha=0.01, steps=1)
    with pytest.raises(SosverifyError, match="dense"):
        D.hessian(game.draw(numpy.random.default_rng(0), 1), game.init(numpy.random.default_rng(0), 1))


def test_params_every_keeps_fewer_parameters_and_the_same_run():
    full = run("ipd", "sos", alpha=1.0, steps=10, runs=3, seed=2)
    thin = run("ipd", "sos", alpha=1.0, steps=10, runs=3, seed=2, params_every=4)
    assert thin.param_steps.tolist() == [0, 4, 8, 10]
    assert numpy.array_equal(thin.params, full.params[[0, 4, 8, 10]])
    assert numpy.array_equal(thin.losses, full.losses)
    ends = run("ipd", "sos", alpha=1.0, steps=10, runs=3, seed=2, params_every=None)
    assert ends.param_steps.tolist() == [0, 10] and numpy.array_equal(ends.params[-1], full.params[-1])


def test_a_game_initialises_itself_unless_a_std_is_given():
    game = gmm_gan(**TINY_GAN)
    theta = initial_parameters(game, 2, numpy.random.default_rng(0))
    d_g = game.dims[0]
    # biases are 0 and weights lie within ±2 std (std = 1/√fan_in, fan_in = latent = 4 for the first layer)
    first_w = theta[:, :4 * 8]
    assert numpy.abs(first_w).max() <= 2 / numpy.sqrt(4) + 1e-7 and first_w.std() > 0.2
    assert numpy.all(theta[:, 4 * 8:4 * 8 + 8] == 0)
    normal = initial_parameters(game, 2, numpy.random.default_rng(0), 3.0)
    assert normal[:, :d_g].std() > 2.0


def test_first_order_by_stacked_copies_and_by_one_pullback_per_loss_agree(monkeypatch):
    game = gmm_gan(**TINY_GAN)
    theta = game.init(numpy.random.default_rng(0), 2)
    bound = game.draw(numpy.random.default_rng(1), 2)
    monkeypatch.setattr(D, "STACK_LIMIT", 10 ** 9)
    stacked = D.first_order(bound, theta)
    monkeypatch.setattr(D, "STACK_LIMIT", 0)
    separate = D.first_order(bound, theta)
    # float32, the same products summed in another order: agreement to a few ulps of the largest entry
    for a, b in zip(stacked, separate):
        assert a.dtype == b.dtype == numpy.float32
        assert_close(a, b, rtol=0, atol=1e-6 * float(numpy.abs(a).max()))
