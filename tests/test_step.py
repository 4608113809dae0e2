"""The one step engine (sosverify.step): a pure step of rule, optimiser and masks, run in chunks.

The step is checked against a loop written here by hand from the rule and the optimiser (a
planted wrong update, optimiser or predicted step fails it), and a run is checked to give the
same states whatever its chunk length, diverged runs flagged at the same step."""

import numpy
import pytest
from conftest import assert_close, jax_param

from sosverify import step as S
from sosverify.algorithms import Algorithm, get_algorithm, naive
from sosverify.backends import use_backend
from sosverify.errors import SosverifyError
from sosverify.games import get_game
from sosverify.optimisers import rmsprop, sgd
from sosverify.runner import run, trajectory

# (game, rule, alpha): every rule with diagnostics, a dense solve, a rule that diverges here
CASES = [("ipd", "sos", 1.0), ("tandem", "lola", 0.3), ("matching-pennies", "sga", 0.1), ("cyclic", "nl", 5.0),
         ("remark-d5", "cgd", 0.2), ("common-saddle", "lss", 0.05)]


def _start(game, seed=0):
    theta = numpy.random.default_rng(seed).standard_normal((5, game.dim))
    theta[1] = numpy.nan     # diverged before the start
    theta[2] *= 1e150        # overflows within a few steps on most rules
    return theta


def _states(game, rule, theta, alpha, backend, chunk, steps=30, start=0, **kw):
    algo = get_algorithm(rule) if isinstance(rule, str) else rule
    return list(trajectory(game, algo, theta, alpha=alpha, steps=steps, hyper=algo.defaults, backend=backend,
                           chunk=chunk, start=start, **kw))


def assert_same_states(expected, got, rtol):
    """Same steps, the same runs active at each and NaN in the same places; values to rtol of their scale."""
    assert [s.t for s in got] == [s.t for s in expected]
    for e, g in zip(expected, got):
        assert (g.active == e.active).all(), f"step {e.t}: active {g.active} != {e.active}"
        pairs = [(e.theta, g.theta), (e.losses, g.losses), (e.xi_norm, g.xi_norm)]
        pairs += [(e.diagnostics[k], g.diagnostics[k]) for k in e.diagnostics]
        pairs += [(e.opt_state[k], g.opt_state[k]) for k in (e.opt_state or {})]
        assert sorted(g.diagnostics) == sorted(e.diagnostics)
        for a, b in pairs:
            assert (numpy.isnan(a) == numpy.isnan(b)).all(), f"step {e.t}: NaN in other places"
            scale = 1.0 + numpy.nanmax(numpy.abs(a), initial=0.0)
            assert_close(numpy.nan_to_num(b), numpy.nan_to_num(a), rtol=0, atol=rtol * scale, err_msg=f"step {e.t}")


def _by_hand(game, algo, theta, optimiser, steps, *, alpha, predicted=False):
    """θ, losses, ‖ξ‖ and the optimiser's state before each update, from the rule and the optimiser alone."""
    theta, state, out = numpy.array(theta), optimiser.init(theta), []
    for _ in range(steps):
        inner = numpy.broadcast_to(optimiser.preconditioner(state), theta.shape) if predicted else alpha
        o = algo.fn(game, theta, alpha=inner, **algo.defaults)
        out.append((theta.copy(), o.losses, numpy.linalg.norm(o.xi, axis=1), {k: numpy.array(v) for k, v in state.items()}))
        step, state = optimiser.update(o.direction, state)
        theta = theta - step
    return out


@pytest.mark.parametrize("backend", ["autograd", jax_param(pytest.mark.slow)])
@pytest.mark.parametrize("optimiser, predicted", [(sgd(0.3), False), (rmsprop(0.05), False), (rmsprop(0.05), True)])
def test_the_step_is_the_rule_then_the_optimiser(optimiser, predicted, backend):
    # 1e-12: the same arithmetic, compiled (JAX fuses it in another order) over 12 steps of the IPD
    game, algo = get_game("ipd"), get_algorithm("sos")
    theta = numpy.random.default_rng(4).standard_normal((3, game.dim))
    want = _by_hand(game, algo, theta, optimiser, 12, alpha=0.3, predicted=predicted)
    got = _states(game, algo, theta, 0.3, backend, None, steps=12, optimiser=optimiser, predicted_step=predicted)
    for (th, losses, norm, state), s in zip(want, got):
        assert s.active.all()
        for a, b in [(th, s.theta), (losses, s.losses), (norm, s.xi_norm)] + [(state[k], s.opt_state[k]) for k in state]:
            assert_close(b, a, rtol=0, atol=1e-12 * (1 + numpy.abs(a).max()), err_msg=f"step {s.t}")


@pytest.mark.parametrize("backend", ["autograd", jax_param(pytest.mark.slow)])
@pytest.mark.parametrize("game_name, rule, alpha", CASES)
def test_a_run_gives_the_same_states_whatever_its_chunk_length(game_name, rule, alpha, backend):
    """One step per call, chunks of 7 (the last computing steps in vain) and the default chunk:
    same states step by step, diverged runs flagged at the same step.  Tolerance 1e-9 of each
    quantity's scale: on JAX one step and a scan of steps are different programs that fuse the
    same arithmetic in another order, over 30 steps of games that amplify rounding."""
    game = get_game(game_name)
    theta = _start(game)
    one = _states(game, rule, theta, alpha, backend, 1)
    for chunk in (7, None):
        assert_same_states(one, _states(game, rule, theta, alpha, backend, chunk), rtol=1e-9)
    assert not one[-1].active[1]


def test_a_run_whose_loss_turns_infinite_stops_though_its_step_is_finite():
    """L¹ = −x, +inf on 3 < x < 3.5 (the gradient stays −1): the new parameters stay finite, yet the
    run is flagged at the step whose loss is not finite and stays stopped after x leaves the band
    (a step that checked only the new parameters would carry it on)."""
    from sosverify import np
    from sosverify.game import Game

    def losses(p):
        x = p[0][:, 0]
        return [-x + np.where((x > 3) & (x < 3.5), np.inf, 0.0), -p[1][:, 0]]

    game = Game("band", (1, 1), losses)
    theta = numpy.array([[0.0, 0.0], [2.5, 0.0]])  # run 2: x = 2.5, 2.9, 3.3 (inf), 3.7, ...
    for backend in ("autograd", "jax"):
        states = _states(game, "nl", theta, 0.4, backend, None, steps=12)
        assert [s.active.tolist() for s in states][:4] == [[True, True], [True, True], [True, False], [True, False]]
        assert not states[-1].active[1] and numpy.isnan(states[-1].theta[1]).all()


def test_a_run_resumes_from_a_step_with_its_optimiser_state():
    game = get_game("tandem")
    theta = _start(game, seed=5)
    straight = _states(game, "sos", theta, 0.1, "jax", None, steps=20, optimiser=rmsprop(0.1))
    s = straight[8]
    resumed = _states(game, "sos", s.theta, 0.1, "jax", None, steps=20, start=8, optimiser=rmsprop(0.1),
                      opt_state=s.opt_state)
    assert_same_states(straight[8:], resumed, rtol=1e-12)


@pytest.mark.slow  # JAX compiles per case
def test_a_float32_game_stays_float32_whatever_the_type_of_alpha():
    """alpha given as a NumPy float64 and the IPD's float64 constants: the step brings every state
    back to the game's dtype, on both backends, under plain descent and RMSProp."""
    from dataclasses import replace

    for name in ("tandem", "ipd"):
        game = replace(get_game(name), dtype="float32")
        theta = numpy.random.default_rng(1).standard_normal((3, game.dim)).astype("float32")
        for backend in ("autograd", "jax"):
            for opt in (None, rmsprop(0.1)):
                for s in _states(game, "sos", theta, numpy.float64(0.1), backend, None, steps=5, optimiser=opt):
                    assert s.theta.dtype == s.losses.dtype == s.xi_norm.dtype == numpy.float32, (name, backend)
                    assert all(v.dtype == numpy.float32 for v in (s.opt_state or {}).values())


def test_a_rule_of_ones_own_with_a_list_of_diagnostics_runs_on_both_backends():
    def mine(game, theta, *, alpha, c):
        d = naive(game, theta, alpha=alpha)
        return d._replace(direction=c * d.direction, diagnostics={"c": 0 * d.losses[0] + c})

    algo = Algorithm("mine", mine, {"c": 1.0}, "", ["c"])
    h = run(get_game("tandem"), algo, alpha=0.1, steps=5, runs=2, backend="jax", c=0.5)
    ref = run(get_game("tandem"), algo, alpha=0.1, steps=5, runs=2, c=0.5)
    assert h.config["chunk"] == ref.config["chunk"] == 8
    assert_close(h.params, ref.params, rtol=0, atol=1e-14)
    assert_close(h.diagnostics["c"], 0.5, rtol=0, atol=0)


def test_chunk_is_a_positive_integer_and_a_late_start_yields_nothing():
    for bad in ("no", 0, -3, 2.5):
        with pytest.raises(SosverifyError, match="chunk must be a positive integer"):
            run("tandem", "nl", alpha=0.1, steps=3, chunk=bad)
    game = get_game("tandem")
    assert _states(game, "nl", numpy.zeros((1, 2)), 0.1, "jax", None, steps=3, start=5) == []
    assert _states(game, "nl", numpy.zeros((1, 2)), 0.1, "autograd", 1, steps=3, start=5) == []


def test_the_chunk_length_fits_the_record_budget():
    small, gan = get_game("ipd"), get_game("gmm")  # the GAN at its default (paper) size
    assert S.chunk_length(small, 300, {}, 200) == 256 and S.chunk_length(small, 300, {}, 5) == 8
    assert S.chunk_length(gan, 1, {"nu": None}, 8000) * gan.dim * 4 * 2 <= S.RECORD_BUDGET
    assert S.chunk_length(small, 300, {}, 200, chunk=3) == 3


def test_runs_of_the_same_setting_compile_once(monkeypatch):
    """The step program is cached per game and rule object, α, settings, the optimiser's settings
    and the chunk length: runs that make their own optimiser (plain descent by default) reuse it."""
    built = []
    original = S.make_step
    monkeypatch.setattr(S, "make_step", lambda *a, **k: built.append(a[0]) or original(*a, **k))
    monkeypatch.setattr(S, "_programs", type(S._programs)())
    game = get_game("tandem")
    for seed in (0, 1):
        run(game, "la", alpha=0.1, steps=10, runs=2, seed=seed, backend="jax")
        run(game, "la", alpha=0.1, steps=10, runs=2, seed=seed, backend="jax", optimiser=rmsprop(0.1))
    assert len(built) == 2
    run(get_game("tandem"), "la", alpha=0.1, steps=10, runs=2, backend="jax")                 # another game
    run(game, "la", alpha=0.2, steps=10, runs=2, backend="jax")                               # another alpha
    run(game, "la", alpha=0.1, steps=10, runs=2, backend="jax", optimiser=rmsprop(0.1, decay=0.5))  # settings
    assert len(built) == 5


@pytest.mark.slow  # the GAN compiles
def test_a_game_with_data_under_rmsprop_runs_in_chunks_as_step_by_step():
    """Minibatches drawn on the host a chunk at a time, the optimiser inside the compiled step:
    the same states and the same data-generator states as one step per call."""
    game = get_game("gmm", hidden=8, layers=1, latent=2, batch=8, dtype="float64")
    theta = game.init(numpy.random.default_rng(0), 2)
    for backend in ("autograd", "jax"):
        one = _states(game, "sos", theta, 1e-3, backend, 1, steps=9, optimiser=rmsprop(1e-3),
                      rng=numpy.random.default_rng(3))
        chunked = _states(game, "sos", theta, 1e-3, backend, 4, steps=9, optimiser=rmsprop(1e-3),
                          rng=numpy.random.default_rng(3))
        assert_same_states(one, chunked, rtol=1e-10)
        assert [s.rng_state for s in one] == [s.rng_state for s in chunked]


def test_a_chunk_computes_only_the_steps_it_has():
    """5 steps in one chunk of 8: the rule runs 5 times (plus the probe of a rule of one's own), not 8
    (the three slots past the end were computed and thrown away before)."""
    calls = []

    def counting(game, theta, *, alpha):
        calls.append(1)
        return naive(game, theta, alpha=alpha)

    rule = Algorithm("counting-nl", counting)
    history = run("tandem", rule, alpha=0.1, steps=5, runs=2, seed=0, chunk=8)
    assert len(calls) == 5 + 1 and history.params.shape == (6, 2, 2)
    assert numpy.array_equal(history.params, run("tandem", "nl", alpha=0.1, steps=5, runs=2, seed=0, chunk=1).params)


@pytest.mark.parametrize("backend", ["autograd", jax_param()])
def test_scan_with_a_count_stops_the_carry_there_and_records_zeros_after(backend):
    from sosverify import _autodiff as B

    def body(carry, x):
        return carry + x[0], carry * 10.0

    with use_backend(backend):
        xs = (B.as_array(numpy.arange(1.0, 6.0), "float64"),)
        carry, records = B.to_numpy(B.scan(body, B.as_array(numpy.float64(0.0), "float64"), 5, xs=xs, count=3))
    assert float(carry) == 1.0 + 2.0 + 3.0
    assert numpy.array_equal(numpy.asarray(records), [0.0, 10.0, 30.0, 0.0, 0.0])
