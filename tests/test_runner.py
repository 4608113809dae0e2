"""Runs: validation, divergence flagging, reproducibility."""

import numpy
import pytest
from conftest import assert_close

from sosverify import SosverifyError
from sosverify.runner import run, summarise


def test_same_seed_same_numbers_and_other_seed_other_numbers():
    a = run("ipd", "sos", alpha=1.0, steps=5, runs=4, seed=7)
    b = run("ipd", "sos", alpha=1.0, steps=5, runs=4, seed=7)
    c = run("ipd", "sos", alpha=1.0, steps=5, runs=4, seed=8)
    assert numpy.array_equal(a.params, b.params)
    assert not numpy.allclose(a.params[0], c.params[0])


def test_diverging_runs_are_flagged_and_others_continue():
    init = numpy.array([[1.0, 1.0], [0.0, 0.0], [1e-3, -1e-3]])
    h = run("cyclic", "nl", alpha=10.0, steps=400, init=init)
    assert h.diverged.tolist() == [True, False, True]
    assert numpy.all(h.params[-1][1] == 0.0)  # the run at the fixed point stays there
    assert numpy.isnan(h.params[-1][0]).all()
    step = h.diverged_step[0]
    assert 0 < step < 400 and numpy.isfinite(h.params[step - 1][0]).all()
    s = summarise(h)
    assert s["diverged"] == 2 and s["diverged_runs"] == [0, 2]
    assert s["final_loss_mean"] == [0.0, 0.0]  # only the finite run is averaged
    assert s["final_params"][0] is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(alpha=0.0), "alpha must be a positive finite number"),
    (dict(alpha=-1.0), "alpha must be a positive finite number"),
    (dict(alpha=0.1, runs=0), "runs must be a positive integer"),
    (dict(alpha=0.1, steps=0), "steps must be a positive integer"),
    (dict(alpha=0.1, a=1.0), r"open interval \(0, 1\)"),
    (dict(alpha=0.1, b=0.0), r"open interval \(0, 1\)"),
    (dict(alpha=0.1, gamma=1.0), "takes no setting gamma; it takes: a"),
])
def test_bad_arguments_give_clear_errors(kwargs, message):
    kwargs = {"steps": 2, **kwargs}
    with pytest.raises(SosverifyError, match=message):
        run("tandem", "sos", **kwargs)


def test_unknown_algorithm_lists_valid_names():
    with pytest.raises(SosverifyError, match="unknown algorithm 'adam'; valid algorithms: .*sos"):
        run("tandem", "adam", alpha=0.1, steps=1)


def test_init_with_wrong_shape_is_rejected():
    with pytest.raises(SosverifyError, match=r"shape \(R, 2\)"):
        run("tandem", "nl", alpha=0.1, steps=1, init=numpy.zeros((3, 5)))


def test_history_shapes_and_per_player_views():
    h = run("ipd", "sga", alpha=1.0, steps=3, runs=2, seed=0)
    assert h.params.shape == (4, 2, 10) and h.losses.shape == (4, 2, 2)
    assert h.diagnostics["lambda"].shape == (3, 2)
    assert set(numpy.unique(h.diagnostics["lambda"])) <= {-1.0, 1.0}
    assert_close(h.player_params(1), h.params[:, :, 5:], rtol=0, atol=0)
    assert_close(h.reported_losses, 0.04 * h.losses, rtol=1e-15, atol=0)
