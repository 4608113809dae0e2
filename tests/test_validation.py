"""Arguments of a run checked before any work: one clear error, never a traceback or a quiet acceptance."""

import json

import numpy
import pytest

from sosverify.algorithms import ALGORITHMS, Algorithm, Direction, naive
from sosverify.cli import main
from sosverify.errors import SosverifyError
from sosverify.reproduce.common import run_algorithms
from sosverify.runner import run
from sosverify.validation import available_memory


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed must be an integer from 0"),
    ({"seed": 2 ** 64}, "seed must be an integer from 0"),
    ({"seed": 1.5}, "seed must be an integer from 0"),
    ({"steps": 2 ** 70}, "steps must be a positive integer"),
    ({"runs": 2 ** 70}, "runs must be a positive integer"),
    ({"steps": True}, "steps must be a positive integer"),
])
def test_counts_and_seed_are_bounded(kwargs, message):
    args = {"alpha": 0.1, "steps": 2, "runs": 1, **kwargs}
    with pytest.raises(SosverifyError, match=message):
        run("tandem", "nl", **args)


@pytest.mark.parametrize("kwargs, message", [({"seed": -5}, "seed must be an integer from 0"),
                                             ({"runs": 2 ** 70}, "runs must be a positive integer"),
                                             ({"steps": 10 ** 9, "runs": 10 ** 8}, "of memory is available")])
def test_the_experiments_check_seed_counts_and_memory_too(kwargs, message):
    from sosverify.games import get_game
    args = {"alpha": 0.1, "steps": 2, "runs": 1, "seed": 0, **kwargs}
    with pytest.raises(SosverifyError, match=message):
        run_algorithms(get_game("tandem"), ["nl"], init_std=None, hyper={}, progress=False, **args)


def test_history_that_would_not_fit_is_refused_before_allocating():
    have = available_memory()
    assert have is not None  # Linux: /proc/meminfo
    steps = 10 ** 9
    runs = int(have // (steps * 8)) + 10  # the params array alone is larger than the available memory
    with pytest.raises(SosverifyError, match=r"needs about .* GiB, but only .* GiB of memory is available"):
        run("tandem", "nl", alpha=0.1, steps=steps, runs=runs)


@pytest.mark.parametrize("algo, hyper", [("co", {"gamma": float("nan")}), ("sga", {"eps": float("nan")}),
                                         ("lss", {"lam": float("nan")}), ("co", {"gamma": float("inf")}),
                                         ("sos", {"a": "0.5"})])
def test_non_finite_hyperparameters_are_refused(algo, hyper):
    with pytest.raises(SosverifyError, match="must be a finite number"):
        run("tandem", algo, alpha=0.1, steps=2, **hyper)


@pytest.mark.parametrize("init, message", [
    ("abc", "got str"),
    ({"x": 1.0}, "got dict"),
    ([[1.0, "x"]], "numbers only"),
    (numpy.zeros((2, 3)), r"shape \(R, 2\)"),
    ([numpy.zeros((2, 1)), numpy.zeros((3, 1))], r"shapes \(R, d_i\)"),
    (numpy.zeros((0, 2)), r"shape \(R, 2\)"),
])
def test_init_of_the_wrong_type_or_shape_is_refused(init, message):
    with pytest.raises(SosverifyError, match=message):
        run("tandem", "nl", alpha=0.1, steps=2, init=init)


def test_init_as_one_array_or_per_player_arrays_still_works():
    h1 = run("tandem", "nl", alpha=0.1, steps=3, init=numpy.array([[0.5, -0.5]]))
    h2 = run("tandem", "nl", alpha=0.1, steps=3, init=[numpy.array([[0.5]]), numpy.array([[-0.5]])])
    assert numpy.array_equal(h1.params, h2.params)


def _rule(fn):
    return Algorithm("custom", fn, {}, "a user's rule")


def test_custom_rule_returning_an_array_is_refused():
    with pytest.raises(SosverifyError, match="returned ndarray; a rule must return a Direction"):
        run("tandem", _rule(lambda game, theta, *, alpha: naive(game, theta, alpha=alpha).direction),
            alpha=0.1, steps=2)


def test_custom_rule_returning_a_direction_of_the_wrong_shape_is_refused():
    def first_player_only(game, theta, *, alpha):
        out = naive(game, theta, alpha=alpha)
        return Direction(out.direction[:, :1], out.losses, out.xi, {})  # would broadcast to every player

    with pytest.raises(SosverifyError, match=r"direction of shape \(1, 1\) .* expected \(1, 2\)"):
        run("tandem", _rule(first_player_only), alpha=0.1, steps=2)


def test_the_probe_accepts_every_well_formed_rule():
    """Each registered rule, given as a user's own Algorithm, passes the probe and runs."""
    for name, a in ALGORITHMS.items():
        mine = Algorithm(f"my-{name}", a.fn, dict(a.defaults), a.description, a.diagnostics)
        h = run("matching-pennies", mine, alpha=0.05, steps=2, runs=2)
        assert h.params.shape == (3, 2, 2) and not h.diverged.any()


def test_duplicate_names_are_run_and_recorded_once(tmp_path, capsys):
    assert main(["run", "tandem", "--algo", "nl", "la", "nl", "--alpha", "0.1", "--steps", "2",
                 "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["config"]["algorithms"] == ["nl", "la"] and list(data["algorithms"]) == ["nl", "la"]


def test_verify_only_checks_a_repeated_claim_once(tmp_path, capsys):
    assert main(["verify", "--only", "ex2-tandem", "ex2-tandem", "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    claims = report["claims"] if isinstance(report, dict) else report
    assert [c["id"] for c in claims] == ["ex2-tandem"]
