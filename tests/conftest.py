"""Shared test helpers: tolerances, finite differences, hypothesis profiles."""

import os
from pathlib import Path

import numpy
import pytest
from hypothesis import HealthCheck, settings

# Profiles (select with HYPOTHESIS_PROFILE): ``dev`` fast and random, ``ci`` (the default)
# derandomised so every run meets the same examples, ``long`` for `tox -e property`.  Properties
# whose examples are costly ask for ``examples(n)``: n under ``ci``, scaled by the profile.
_SLOW_DRAWS = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=_SLOW_DRAWS)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, suppress_health_check=_SLOW_DRAWS)
settings.register_profile("long", max_examples=600, deadline=None, suppress_health_check=_SLOW_DRAWS)
# tools/mutation.py: derandomised (every mutant meets the same examples), fewer of them
settings.register_profile("mutation", max_examples=20, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_SLOW_DRAWS)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
EXAMPLE_SCALE = {"dev": 0.4, "ci": 1.0, "long": 10.0, "mutation": 0.5}.get(PROFILE, 1.0)


def examples(n: int) -> settings:
    """``n`` examples under ``ci``, fewer under ``dev``, ten times more under ``long``."""
    return settings(max_examples=max(2, int(n * EXAMPLE_SCALE)))


def assert_close(actual, expected, *, rtol, atol, err_msg=""):
    """The one comparison helper: every tolerance is named at the call site."""
    numpy.testing.assert_allclose(numpy.asarray(actual), numpy.asarray(expected), rtol=rtol, atol=atol,
                                  err_msg=err_msg)


def fd_gradients(game, theta, h=1e-5):
    """Central differences of every loss w.r.t. every parameter: ``(n, R, d)``; error O(h²)."""
    theta = numpy.asarray(theta, dtype=float)
    out = numpy.zeros((game.n_players,) + theta.shape)
    for a in range(theta.shape[1]):
        e = numpy.zeros_like(theta)
        e[:, a] = h
        out[:, :, a] = (numpy.asarray(game.losses(theta + e)) - numpy.asarray(game.losses(theta - e))) / (2 * h)
    return out


def fd_loss_hessians(game, theta, h=1e-3):
    """Second central differences of every loss: ``(n, R, d, d)``; error O(h²) + O(ε/h²)."""
    theta = numpy.asarray(theta, dtype=float)
    runs, d = theta.shape
    out = numpy.zeros((game.n_players, runs, d, d))

    def L(t):
        return numpy.asarray(game.losses(t))

    for a in range(d):
        for b in range(a, d):
            ea, eb = numpy.zeros_like(theta), numpy.zeros_like(theta)
            ea[:, a], eb[:, b] = h, h
            val = (L(theta + ea + eb) - L(theta + ea - eb) - L(theta - ea + eb) + L(theta - ea - eb)) / (4 * h * h)
            out[:, :, a, b] = out[:, :, b, a] = val
    return out


class FDQuantities:
    """ξ, H, H_o, χ, H_oξ, Hξ, Hᵀξ from finite differences of the losses alone (no autograd)."""

    def __init__(self, game, theta, h2=1e-3):
        G = fd_gradients(game, theta)
        Hs = fd_loss_hessians(game, theta, h=h2)
        masks = game.masks
        self.grads = G
        self.xi = numpy.einsum("nrd,nd->rd", G, masks)
        # H[a, b] = ∂_b ξ_a: row a belongs to player k(a), whose loss Hessian supplies the row.
        owner = masks.argmax(axis=0)
        self.H = numpy.stack([Hs[owner[a], :, a, :] for a in range(game.dim)], axis=1)
        same = masks.T @ masks
        self.H_o = self.H * (1 - same)
        self.H_o_xi = numpy.einsum("rab,rb->ra", self.H_o, self.xi)
        self.H_xi = numpy.einsum("rab,rb->ra", self.H, self.xi)
        self.Ht_xi = numpy.einsum("rba,rb->ra", self.H, self.xi)
        # χ_i = Σ_{j≠i} (∇_i∇_j L^j) ∇_j L^i
        chi = numpy.zeros_like(self.xi)
        for i, si in enumerate(game.slices):
            for j, sj in enumerate(game.slices):
                if j != i:
                    chi[:, si] += numpy.einsum("rab,rb->ra", Hs[j][:, si, sj], G[i][:, sj])
        self.chi = chi


@pytest.fixture
def rng():
    return numpy.random.default_rng(20190101)


@pytest.fixture
def planned_sweep_tasks(monkeypatch):
    """The tasks ``sosverify sweep`` hands to :func:`sosverify.sweep.sweep`, collected in a list instead
    of run (the planning and its keys without a Dask cluster), on the autograd backend."""
    import sosverify.sweep as S

    seen: list = []

    def collect(tasks, out, **kw):
        seen.extend(tasks)
        return {"tasks": len(tasks), "skipped": 0, "done": 0, "failed": [], "elsewhere": []}

    monkeypatch.setattr(S, "sweep", collect)
    monkeypatch.setenv("SOSVERIFY_BACKEND", "autograd")
    return seen


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures a test drew through a reproduction it ran without writing (``run_gmm(...)``) are
    closed after it, so that matplotlib's too-many-figures warning (an error here) depends on no order."""
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def jax_param(*marks):
    """The backend name "jax" as a parameter, skipped without the [jax] extra (the test extra installs it)."""
    from importlib.util import find_spec

    return pytest.param("jax", marks=[*marks, pytest.mark.skipif(find_spec("jax") is None, reason="needs jax")])


def experiment(name: str):
    """The script ``experiments/<name>.py`` as a module (registered while it runs: its dataclasses look
    their module up)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module
