"""A fixed-length run as one compiled loop (sosverify.loop) gives the states of the Python loop."""

import numpy
import pytest
from conftest import assert_close

from sosverify import loop
from sosverify.algorithms import get_algorithm
from sosverify.errors import SosverifyError
from sosverify.games import get_game
from sosverify.optimisers import rmsprop
from sosverify.runner import run, trajectory

# (game, rule, alpha): every rule with diagnostics, a dense solve, a rule that diverges here
CASES = [("ipd", "sos", 1.0), ("tandem", "lola", 0.3), ("matching-pennies", "sga", 0.1), ("cyclic", "nl", 5.0),
         ("remark-d5", "cgd", 0.2), ("common-saddle", "lss", 0.05)]


def _start(game, seed=0):
    theta = numpy.random.default_rng(seed).standard_normal((5, game.dim))
    theta[1] = numpy.nan     # diverged before the start
    theta[2] *= 1e150        # overflows within a few steps on most rules
    return theta


def _states(game, rule, theta, alpha, backend, compiled_loop, steps=30, start=0):
    algo = get_algorithm(rule)
    return list(trajectory(game, algo, theta, alpha=alpha, steps=steps, hyper=algo.defaults, backend=backend,
                           compiled_loop=compiled_loop, start=start))


def assert_same_states(expected, got, rtol):
    """Same steps, the same runs active at each and NaN in the same places; values to rtol of their scale."""
    assert [s.t for s in got] == [s.t for s in expected]
    for e, g in zip(expected, got):
        assert (g.active == e.active).all(), f"step {e.t}: active {g.active} != {e.active}"
        pairs = [(e.theta, g.theta), (e.losses, g.losses), (e.xi_norm, g.xi_norm)]
        pairs += [(e.diagnostics[k], g.diagnostics[k]) for k in e.diagnostics]
        assert sorted(g.diagnostics) == sorted(e.diagnostics)
        for a, b in pairs:
            assert (numpy.isnan(a) == numpy.isnan(b)).all(), f"step {e.t}: NaN in other places"
            scale = 1.0 + numpy.nanmax(numpy.abs(a), initial=0.0)
            assert_close(numpy.nan_to_num(b), numpy.nan_to_num(a), rtol=0, atol=rtol * scale, err_msg=f"step {e.t}")


@pytest.mark.slow  # JAX compiles per case: tens of seconds (tox -e slow)
@pytest.mark.parametrize("backend", ["autograd", "jax"])
@pytest.mark.parametrize("game_name, rule, alpha", CASES)
def test_the_compiled_loop_gives_the_states_of_the_python_loop(game_name, rule, alpha, backend):
    """Same states step by step, diverged runs flagged at the same step.  Autograd runs the loop
    in Python over all runs (masks) against its own subsets of active runs; JAX compiles it.
    Tolerance 1e-9 of each quantity's scale: the same arithmetic in another fusion order, over 30
    steps of games (IPD, LOLA on the tandem) that amplify rounding."""
    game = get_game(game_name)
    theta = _start(game)
    python = _states(game, rule, theta, alpha, backend, compiled_loop=False)
    looped = _states(game, rule, theta, alpha, backend, compiled_loop=True)
    assert_same_states(python, looped, rtol=1e-9)
    assert not looped[-1].active[1]


@pytest.mark.slow  # JAX compiles per case: tens of seconds (tox -e slow)
def test_a_run_cut_into_chunks_is_the_run_in_one_chunk(monkeypatch):
    """23 steps in chunks of at most 7 (four programs' calls of 6 steps, one step computed in vain)
    give the states of one chunk of 23."""
    game = get_game("ipd")
    theta = _start(game, seed=3)
    whole = _states(game, "la", theta, 1.0, "jax", True, steps=23)
    monkeypatch.setattr(loop, "CHUNK", 7)
    chunked = _states(game, "la", theta, 1.0, "jax", True, steps=23)
    assert_same_states(whole, chunked, rtol=1e-12)


def test_a_looped_run_resumes_from_a_step_as_the_python_loop_does():
    game = get_game("tandem")
    theta = _start(game, seed=5)
    straight = _states(game, "sos", theta, 0.1, "jax", True, steps=20)
    resumed = _states(game, "sos", straight[8].theta, 0.1, "jax", True, steps=20, start=8)
    assert_same_states(straight[8:], resumed, rtol=1e-12)


def test_run_uses_the_compiled_loop_on_jax_and_records_it():
    h_jax = run("tandem", "sos", alpha=0.1, steps=60, runs=4, seed=2, backend="jax", b=0.5)
    h_ref = run("tandem", "sos", alpha=0.1, steps=60, runs=4, seed=2, b=0.5)
    assert h_jax.config["compiled_loop"] is True and h_ref.config["compiled_loop"] is False
    assert_close(h_jax.params, h_ref.params, rtol=0, atol=1e-12)
    assert_close(h_jax.diagnostics["p"], h_ref.diagnostics["p"], rtol=0, atol=1e-12)
    # RMSProp lives in Python: the run steps in Python, on JAX too
    h_rms = run("tandem", "nl", alpha=0.1, steps=5, runs=2, backend="jax", optimiser=rmsprop(0.1))
    assert h_rms.config["compiled_loop"] is False


def test_a_compiled_loop_is_refused_where_it_does_not_apply():
    algo = get_algorithm("nl")
    with pytest.raises(SosverifyError, match="games without data under plain descent only; game 'tandem' "
                                             "with optimiser 'rmsprop'"):
        trajectory(get_game("tandem"), algo, numpy.zeros((1, 2)), alpha=0.1, steps=3, optimiser=rmsprop(0.1),
                   compiled_loop=True)
    gan = get_game("gmm", hidden=4, layers=1, latent=2, batch=4)
    with pytest.raises(SosverifyError, match="game 'gmm' draws data"):
        trajectory(gan, algo, gan.init(numpy.random.default_rng(0), 1), alpha=0.1, steps=3,
                   rng=numpy.random.default_rng(0), compiled_loop=True)


def test_runs_of_the_same_setting_compile_once(monkeypatch):
    """The chunk program is cached per game object, rule, α, settings and length."""
    built = []
    original = loop._chunk
    monkeypatch.setattr(loop, "_chunk", lambda *a: built.append(a[0]) or original(*a))
    monkeypatch.setattr(loop, "_programs", type(loop._programs)())
    game = get_game("tandem")
    for seed in (0, 1):
        run(game, "la", alpha=0.1, steps=10, runs=2, seed=seed, backend="jax")
    assert len(built) == 1
    run(get_game("tandem"), "la", alpha=0.1, steps=10, runs=2, backend="jax")  # another game object
    run(game, "la", alpha=0.2, steps=10, runs=2, backend="jax")                # another alpha
    assert len(built) == 3


def test_a_run_whose_loss_turns_infinite_stops_though_its_step_is_finite():
    """L¹ = −x, +inf on 3 < x < 3.5 (the gradient stays −1): the new parameters stay finite, yet the
    run is flagged at the step whose loss is not finite and stays stopped after x leaves the band,
    in both loops (a loop that checked only the new parameters would carry it on)."""
    from sosverify import np
    from sosverify.game import Game

    def losses(p):
        x = p[0][:, 0]
        return [-x + np.where((x > 3) & (x < 3.5), np.inf, 0.0), -p[1][:, 0]]

    game = Game("band", (1, 1), losses)
    theta = numpy.array([[0.0, 0.0], [2.5, 0.0]])  # run 2: x = 2.5, 2.9, 3.3 (inf), 3.7, ...
    python = _states(game, "nl", theta, 0.4, "jax", False, steps=12)
    looped = _states(game, "nl", theta, 0.4, "jax", True, steps=12)
    assert_same_states(python, looped, rtol=1e-12)
    assert [s.active.tolist() for s in looped][:4] == [[True, True], [True, True], [True, False], [True, False]]
    assert not looped[-1].active[1]


@pytest.mark.slow  # JAX compiles per case: tens of seconds (tox -e slow)
def test_a_float32_game_stays_float32_in_the_loop_whatever_the_type_of_alpha():
    """alpha given as a NumPy float64 and the IPD's float64 constants: the loop brings every state
    back to the game's dtype, as the Python loop does, on both backends."""
    from dataclasses import replace

    for name in ("tandem", "ipd"):
        game = replace(get_game(name), dtype="float32")
        theta = numpy.random.default_rng(1).standard_normal((3, game.dim)).astype("float32")
        for backend in ("autograd", "jax"):
            python = _states(game, "sos", theta, numpy.float64(0.1), backend, False, steps=5)
            looped = _states(game, "sos", theta, numpy.float64(0.1), backend, True, steps=5)
            for s in looped:
                assert s.theta.dtype == s.losses.dtype == s.xi_norm.dtype == numpy.float32, (name, backend)
            assert_same_states(python, looped, rtol=1e-5)


def test_a_rule_of_ones_own_with_a_list_of_diagnostics_runs_in_the_loop():
    from sosverify.algorithms import Algorithm, naive

    def mine(game, theta, *, alpha, c):
        d = naive(game, theta, alpha=alpha)
        return d._replace(direction=c * d.direction, diagnostics={"c": 0 * d.losses[0] + c})

    algo = Algorithm("mine", mine, {"c": 1.0}, "", ["c"])
    h = run(get_game("tandem"), algo, alpha=0.1, steps=5, runs=2, backend="jax", c=0.5)
    ref = run(get_game("tandem"), algo, alpha=0.1, steps=5, runs=2, c=0.5)
    assert h.config["compiled_loop"] is True
    assert_close(h.params, ref.params, rtol=0, atol=1e-14)
    assert_close(h.diagnostics["c"], 0.5, rtol=0, atol=0)


def test_compiled_loop_takes_none_true_or_false_and_a_late_start_yields_nothing():
    with pytest.raises(SosverifyError, match="compiled_loop must be None .*, True or False, got 'no'"):
        run("tandem", "nl", alpha=0.1, steps=3, compiled_loop="no")
    game = get_game("tandem")
    assert _states(game, "nl", numpy.zeros((1, 2)), 0.1, "jax", True, steps=3, start=5) == []
    assert _states(game, "nl", numpy.zeros((1, 2)), 0.1, "jax", False, steps=3, start=5) == []
