"""The JAX backend against the reference (autograd): same directions, same runs, same refusals.

Parity tolerance: both backends evaluate the same formulas in float64, in different orders
(XLA fuses and reassociates), so results agree to a few ulps times the size of the numbers:
``PARITY = 1e-10`` relative to ``1 + |value|``.  The dense solves of CGD and LSS amplify
rounding by the condition number of the matrix they solve, so their tolerance is scaled by it.
"""

import os
import subprocess
import sys

import numpy
import pytest
from conftest import assert_close, examples
from hypothesis import given
from hypothesis import strategies as st

import sosverify
from sosverify import _autodiff as B
from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS
from sosverify.audit.strategies import polynomial_games
from sosverify.backends import active_name, describe, use_backend
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game

jax = pytest.importorskip("jax")  # the [jax] extra; the test extra installs it

PARITY = 1e-10
FLOAT32_RTOL, FLOAT32_ATOL = 2e-4, 2e-5  # float32: ~1e-7 per operation, through a few hundred terms
SMALL_GAMES = sorted(n for n in GAMES if n != "gmm")


def _points(game, rng, runs=4):
    theta = rng.normal(0.0, 1.0, size=(runs, game.dim))
    if game.name == "tandem":  # one run near the line of fixed points: SOS's p2 = ‖ξ‖² < 1 branch
        theta[0] = [0.505, 0.5]
    return theta


def _tolerance(game, theta, rule, alpha):
    """``PARITY``, times the condition number of the matrix a dense rule solves (per run)."""
    if rule not in ("cgd", "lss"):
        return PARITY
    H = D.hessian(game, theta)
    if rule == "cgd":
        cond = numpy.linalg.cond(numpy.eye(game.dim) + alpha * D.off_diagonal(game, H))
    else:  # LSS solves H, or HᵀH + λI where H is singular
        Ht = numpy.swapaxes(H, 1, 2)
        regularised = numpy.linalg.cond(Ht @ H + ALGORITHMS["lss"].defaults["lam"] * numpy.eye(game.dim))
        cond = numpy.where(numpy.linalg.det(H) == 0, regularised, numpy.linalg.cond(H))
    return PARITY * max(1.0, float(numpy.max(cond)))


def _compare(ref, got, tol, what):
    for field in ("direction", "losses", "xi"):
        a, b = numpy.asarray(getattr(ref, field)), numpy.asarray(getattr(got, field))
        assert_close(b, a, rtol=tol, atol=tol, err_msg=f"{what}: {field}")
    assert set(ref.diagnostics) == set(got.diagnostics)
    for name in ref.diagnostics:
        assert_close(got.diagnostics[name], ref.diagnostics[name], rtol=tol, atol=tol, err_msg=f"{what}: {name}")


@pytest.mark.slow  # JAX compiles per rule and game: minutes in all (tox -e slow)
@pytest.mark.parametrize("name", SMALL_GAMES)
def test_every_rule_gives_the_same_direction_compiled_on_jax(name, rng):
    game = get_game(name)
    theta, alpha = _points(game, rng), 0.3
    for rule, algo in ALGORITHMS.items():
        ref = algo.fn(game, theta, alpha=alpha, **algo.defaults)
        with use_backend("jax"):
            step = B.compile(lambda t, algo=algo: algo.fn(game, t, alpha=alpha, **algo.defaults))
            got = B.to_numpy(step(theta))
        assert got.direction.dtype == numpy.float64
        _compare(ref, got, _tolerance(game, theta, rule, alpha), f"{rule} on {name}")


def test_sos_takes_both_branches_of_p_in_the_parity_check(rng):
    game = get_game("tandem")
    p = ALGORITHMS["sos"].fn(game, _points(game, rng), alpha=0.3).diagnostics["p"]
    assert p.min() < 1e-3 and p.max() == 1.0  # near the fixed line p = ‖ξ‖²; elsewhere 1


@pytest.mark.slow  # JAX compiles per rule and game: minutes in all (tox -e slow)
@examples(6)
@given(polynomial_games(max_dim=4), st.integers(0, 2**32 - 1))
def test_every_rule_agrees_on_drawn_polynomial_games(drawn, seed):
    game = drawn.numeric
    theta = numpy.random.default_rng(seed).uniform(-1.0, 1.0, size=(2, game.dim))
    for rule, algo in ALGORITHMS.items():
        ref = algo.fn(game, theta, alpha=0.2, **algo.defaults)
        with use_backend("jax"):
            got = B.to_numpy(algo.fn(game, theta, alpha=0.2, **algo.defaults))
        tol = _tolerance(game, theta, rule, 0.2)
        if tol > 1e-6:
            continue  # nearly singular (cond > 1e4): agreement is not expected beyond cond · ε
        _compare(ref, got, tol, f"{rule} on {drawn!r}")


@pytest.mark.slow  # JAX compiles per rule and game: minutes in all (tox -e slow)
@pytest.mark.parametrize("rule", ["nl", "la", "sos", "co"])
def test_the_gan_step_agrees_in_float32(rule):
    game = get_game("gmm", hidden=16, layers=2, latent=4, batch=32)
    theta = game.init(numpy.random.default_rng(0), 2)
    bound = game.draw(numpy.random.default_rng(1), 2)
    algo = ALGORITHMS[rule]
    ref = algo.fn(bound, theta, alpha=1e-3, **algo.defaults)
    with use_backend("jax"):
        step = B.compile(lambda t, batch: algo.fn(game.bind(batch), t, alpha=1e-3, **algo.defaults))
        got = B.to_numpy(step(theta, bound.batch))
    assert got.direction.dtype == numpy.float32 and got.losses.dtype == numpy.float32
    scale = float(numpy.abs(ref.direction).max())
    assert_close(got.direction, ref.direction, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL * scale, err_msg=rule)
    assert_close(got.losses, ref.losses, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, err_msg=rule)


@pytest.mark.slow  # JAX compiles per rule and game: minutes in all (tox -e slow)
@pytest.mark.parametrize("rule", ["nl", "sos", "lss"])
def test_a_short_run_is_the_same_on_both_backends(rule):
    # 5 steps: the IPD amplifies rounding differences about twofold per step, so longer runs
    # agree only in distribution; 5 steps keep them within 1e-9
    ref = sosverify.run("ipd", rule, alpha=1.0, steps=5, runs=6, seed=3)
    got = sosverify.run("ipd", rule, alpha=1.0, steps=5, runs=6, seed=3, backend="jax")
    assert_close(got.params, ref.params, rtol=1e-9, atol=1e-9)
    assert_close(got.losses, ref.losses, rtol=1e-9, atol=1e-9)
    assert got.config["backend"] == {"name": "jax", "version": jax.__version__}
    assert ref.config["backend"]["name"] == "autograd"


def test_the_same_seed_gives_the_same_numbers_on_jax():
    a = sosverify.run("matching-pennies", "sos", alpha=0.5, steps=30, runs=5, seed=9, backend="jax")
    b = sosverify.run("matching-pennies", "sos", alpha=0.5, steps=30, runs=5, seed=9, backend="jax")
    numpy.testing.assert_array_equal(a.params, b.params)
    numpy.testing.assert_array_equal(a.diagnostics["p"], b.diagnostics["p"])


def test_a_diverging_run_is_masked_on_jax_and_the_others_match_the_reference():
    init = numpy.array([[0.3, -0.2], [1e200, 1e200], [0.1, 0.4]])
    ref = sosverify.run("cyclic", "la", alpha=0.1, steps=20, init=init)
    got = sosverify.run("cyclic", "la", alpha=0.1, steps=20, init=init, backend="jax")
    numpy.testing.assert_array_equal(got.diverged, [False, True, False])
    numpy.testing.assert_array_equal(got.diverged_step, ref.diverged_step)
    assert numpy.isnan(got.params[-1, 1]).all()
    assert_close(got.params[:, [0, 2]], ref.params[:, [0, 2]], rtol=PARITY, atol=PARITY)


def test_a_game_typed_as_expressions_runs_on_jax():
    game = sosverify.from_expressions(["x*y + sin(x)**2", "-x*y + exp(y)/4"], [["x"], ["y"]])
    theta = numpy.array([[0.3, -0.7], [1.2, 0.4]])
    ref = ALGORITHMS["sos"].fn(game, theta, alpha=0.1)
    with use_backend("jax"):
        got = B.to_numpy(B.compile(lambda t: ALGORITHMS["sos"].fn(game, t, alpha=0.1))(theta))
    _compare(ref, got, PARITY, "expression game")


def test_the_backend_is_chosen_by_name_by_context_and_by_environment(monkeypatch):
    monkeypatch.delenv("SOSVERIFY_BACKEND", raising=False)
    assert active_name() == "autograd"
    with use_backend("JAX"):
        assert active_name() == "jax"
        assert type(B.np.zeros(2)).__module__.startswith("jax")
    assert active_name() == "autograd"
    monkeypatch.setenv("SOSVERIFY_BACKEND", "jax")
    assert active_name() == "jax"
    monkeypatch.setenv("SOSVERIFY_BACKEND", "tensorflow")
    with pytest.raises(SosverifyError, match="SOSVERIFY_BACKEND='tensorflow'.*choose one of: autograd, jax"):
        active_name()


def test_an_unknown_backend_is_refused_with_the_choices():
    with pytest.raises(SosverifyError, match="unknown backend 'torch'; choose one of: autograd, jax"):
        sosverify.run("tandem", "nl", alpha=0.1, steps=2, backend="torch")


def test_describe_records_name_and_version():
    assert describe("jax") == {"name": "jax", "version": jax.__version__}
    assert describe("autograd")["version"].count(".") >= 1


def test_the_command_line_runs_on_jax(tmp_path):
    out = tmp_path / "results"
    env = {**os.environ, "SOSVERIFY_BACKEND": ""}
    proc = subprocess.run([sys.executable, "-m", "sosverify", "run", "tandem", "--algo", "sos", "--alpha", "0.1",
                           "--steps", "5", "--runs", "2", "--backend", "jax", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = (out / "results.json").read_text()
    assert '"backend"' in text and '"jax"' in text


@pytest.mark.slow  # JAX compiles per rule and game: minutes in all (tox -e slow)
def test_a_short_gan_training_runs_on_jax_and_follows_the_reference():
    from sosverify.games.gmm import GanSpec
    from sosverify.gan.train import train

    spec = GanSpec(hidden=16, layers=2, latent=4, batch=32)
    ref = train("sos", 1e-3, spec=spec, iterations=4, eval_every=4, seed=2)
    with use_backend("jax"):
        got = train("sos", 1e-3, spec=spec, iterations=4, eval_every=4, seed=2)
    assert got.losses.dtype == ref.losses.dtype
    assert_close(got.losses, ref.losses, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)
    assert_close(got.p, ref.p, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)
    assert got.evaluations[-1]["modes_covered"] == ref.evaluations[-1]["modes_covered"]
