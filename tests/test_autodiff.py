"""The differentiation seam's own primitives: values and derivatives against NumPy and finite differences."""

import warnings

import numpy
import pytest
from autograd import grad
from conftest import assert_close, jax_param

from sosverify._autodiff import bsolve, np, sigmoid, take
from sosverify.backends import use_backend


@pytest.mark.parametrize("backend", ["autograd", jax_param()])
@pytest.mark.parametrize("n", [2, 3, 4])
def test_bsolve_solves_each_run_on_each_backend(n, backend, rng):
    # 1e-12: a well-conditioned system (diagonal shift 3) solved two ways in float64
    a = rng.normal(size=(n, n, 40)) + 3 * numpy.eye(n)[:, :, None]   # runs last
    b = rng.normal(size=(n, 40))
    with use_backend(backend):
        got = numpy.asarray(bsolve(a, b))
    want = numpy.linalg.solve(numpy.moveaxis(a, -1, 0), b.T[..., None])[..., 0].T
    assert_close(got, want, rtol=1e-12, atol=1e-12)


def _fd_grad(f, x, h=1e-6):
    g = numpy.zeros_like(x)
    for idx in numpy.ndindex(x.shape):
        e = numpy.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("backend", ["autograd", jax_param()])
def test_bsolve_derivatives_to_second_order_match_finite_differences(backend, rng):
    from sosverify._autodiff import gradient

    a = rng.normal(size=(4, 4, 3)) + 4 * numpy.eye(4)[:, :, None]
    b = rng.normal(size=(4, 3))
    weights = rng.normal(size=(4, 3))
    v = rng.normal(size=a.shape)
    with use_backend(backend):
        def f(x):
            return np.sum(bsolve(x, np.sin(b + np.sum(x, axis=1))) * weights)

        def directional(x):
            return np.sum(gradient(f, x) * v)

        # first differences of a smooth function with h = 1e-6: error ~1e-9 relative
        assert_close(numpy.asarray(gradient(f, a)), _fd_grad(lambda x: float(f(x)), a), rtol=1e-6, atol=1e-8)
        # second order: gradient of a directional derivative, against differences of the gradient
        assert_close(numpy.asarray(gradient(directional, a)), _fd_grad(lambda x: float(directional(x)), a),
                     rtol=1e-5, atol=1e-7)


def test_take_and_sigmoid_derivatives(rng):
    x = rng.normal(size=(3, 5))

    def f(t):
        return np.sum(sigmoid(take(t, 1, 4, axis=1)) ** 2)

    assert_close(grad(f)(x), _fd_grad(lambda t: float(f(t)), x), rtol=1e-6, atol=1e-9)


def test_sigmoid_saturates_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(numpy.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    assert_close(out, [0.0, 0.0, 0.5, 1.0, 1.0], rtol=0, atol=1e-300)
