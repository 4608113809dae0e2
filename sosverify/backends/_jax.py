"""The JAX backend: the seam (:mod:`sosverify._autodiff`) compiled with XLA.

Installed with ``pip install "sosverify[jax]"``; chosen with ``--backend jax``, ``backend="jax"``
or ``SOSVERIFY_BACKEND=jax``.  The numeric layer is written once against the seam; under this
backend the runner compiles one whole update step (:func:`compile`), so every quantity of a step
(ξ, the Hessian-vector products, SOS's ``p``) is one XLA program.

Importing this module turns on JAX's 64-bit mode (``jax_enable_x64``): the small games are
float64, as on the reference backend, and a float32 game (the GAN) stays float32 because every
constant sosverify adds is a Python scalar or an array of the game's dtype.  On a machine with a
GPU, JAX places arrays on it without any change here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import numpy as _onp

jax.config.update("jax_enable_x64", True)

import jax.numpy as np  # noqa: E402  (after the 64-bit switch)
from jax import lax  # noqa: E402

from sosverify.backends import _dense  # noqa: E402

NAME = "jax"
VERSION = jax.__version__
FORWARD_MODE = True  # jvp is a true forward pass: network games take Hessian-vector products by blocks

Array = Any

stop_gradient = lax.stop_gradient


def as_array(x, dtype):
    """``x`` as a JAX array of ``dtype``."""
    return np.asarray(x, dtype=dtype)


def to_numpy(x):
    """A JAX array (or a tree of them) as NumPy arrays."""
    return jax.tree_util.tree_map(_onp.asarray, x)


def compile(fun: Callable) -> Callable:  # noqa: A001 - the seam's name for "jit"
    """``jax.jit(fun)``: one XLA program per input shape."""
    return jax.jit(fun)


def scan(body: Callable, carry, length: int, xs=None, count=None):
    """``lax.scan(body, carry, xs, length)``: ``body(carry, x) -> (carry, record)`` ``length``
    times in one compiled loop; returns the last carry and the records stacked on a new first axis.
    With ``count``, each slice runs under ``lax.cond(k < count, ...)``: the slices from ``count`` on
    are skipped (one branch executes), their records zeros."""
    if count is None:
        return lax.scan(body, carry, xs, length=length)
    first = None if xs is None else jax.tree_util.tree_map(lambda a: a[0], xs)
    record = jax.eval_shape(body, carry, first)[1]

    def skip(inner, x):
        return inner, jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), record)

    def guarded(c, x):
        k, inner = c
        inner, out = lax.cond(k < count, body, skip, inner, x)
        return (k + 1, inner), out

    (_, carry), records = lax.scan(guarded, (np.asarray(0, dtype=np.int32), carry), xs, length=length)
    return carry, records


def invertible(A):
    """Per run: ``A`` finite with ``det A ≠ 0`` (computed on the host, see :mod:`._dense`)."""
    return jax.pure_callback(_dense.invertible, jax.ShapeDtypeStruct(A.shape[:1], np.bool_), A,
                             vmap_method="sequential")


def solve_or_nan(A, b):
    """``A⁻¹b`` per run, NaN where ``A`` is singular (computed on the host, see :mod:`._dense`)."""
    return jax.pure_callback(_dense.solve_or_nan, jax.ShapeDtypeStruct(b.shape, b.dtype), A, b,
                             vmap_method="sequential")


def value_and_pullback(fun: Callable[[Array], Array], x: Array):
    """Return ``(fun(x), pullback)`` where ``pullback(w) = ∇_x ⟨w, fun(x)⟩``."""
    value, vjp = jax.vjp(fun, x)
    return value, lambda w: vjp(np.asarray(w, dtype=value.dtype))[0]


def gradient(fun: Callable[[Array], Array], x: Array):
    """``∇_x fun(x)`` for a scalar ``fun`` (nestable)."""
    return jax.grad(fun)(x)


def jvp(fun: Callable[[Array], Array], x: Array, tangent: Array):
    """Return ``(fun(x), J_fun(x) · tangent)``: forward mode (nestable over :func:`gradient`)."""
    return jax.jvp(fun, (x,), (np.asarray(tangent, dtype=np.result_type(x)),))


def jvps(fun: Callable[[Array], Array], x: Array, tangents: Array):
    """``J_fun(x) · tangents[p]`` stacked over ``p``: ``jax.linearize`` once (the primal pass), the
    linear map ``vmap``-ed over the tangents."""
    _, linear = jax.linearize(fun, x)
    return jax.vmap(linear)(np.asarray(tangents, dtype=np.result_type(x)))


def weighted_gradient(fun: Callable[[Array], Array], x: Array, weights: Array):
    """Return ``(fun(x), ∇_x Σ weights · fun(x))`` with ``weights`` held constant."""
    value, pullback = value_and_pullback(fun, x)
    return value, pullback(weights)


def gradient_of_pairing(vector_fun: Callable[[Array], Array], x: Array, stopped: Array):
    """Return ``∇_x ⟨vector_fun(x), stop(stopped)⟩`` (a Hessian-vector product when
    ``vector_fun`` is a gradient; no dense Hessian is formed)."""
    stopped = lax.stop_gradient(stopped)
    return jax.grad(lambda t: np.sum(vector_fun(t) * stopped))(x)


def gradient_of_self_pairing(vector_fun: Callable[[Array], tuple], x: Array,
                             make_stopped: Callable[[Array, Array], tuple]):
    """Return ``(∇_x ⟨v(x), stop(w)⟩, extra)`` in one pass, ``w, extra = make_stopped(aux, v)``
    built from the values of ``vector_fun(x) = (aux, v)``."""
    def scalar(t):
        aux, v = vector_fun(t)
        w, extra = make_stopped(lax.stop_gradient(aux), lax.stop_gradient(v))
        return np.sum(v * lax.stop_gradient(w)), extra

    return jax.grad(scalar, has_aux=True)(x)


def take(x, start: int, stop: int, axis: int = -1):
    """``x[start:stop]`` along ``axis``."""
    return lax.slice_in_dim(x, start, stop, axis=axis % x.ndim)


def take_columns(x, start: int, stop: int):
    """``x[..., start:stop]``."""
    return take(x, start, stop, -1)


def unflatten(x, shapes: tuple):
    """Split the columns of ``x`` ``(R, Σ prod(shape))`` into arrays ``(R, *shape)``, in order."""
    out, start = [], 0
    for shape in shapes:
        size = int(_onp.prod(shape))
        out.append(np.reshape(take(x, start, start + size, 1), (x.shape[0],) + tuple(shape)))
        start += size
    return tuple(out)


def batch_matmul(a, b):
    """``out[r] = a[r] @ b[r]`` for stacks ``(R, m, k)`` and ``(R, k, n)``."""
    return np.matmul(a, b)


def relu(x):
    """``max(x, 0)``; derivative 0 at the kink (as on the reference backend)."""
    return np.where(x > 0, x, np.zeros_like(x))


def sigmoid(x):
    """``1 / (1 + e^{-x})``."""
    return jax.nn.sigmoid(x)


def bsolve(a, b):
    """``x[:, r] = a[:, :, r]⁻¹ b[:, r]`` for a runs-last stack ``a`` ``(n, n, R)`` and ``b`` ``(n, R)``:
    ``jnp.linalg.solve`` on the runs-first views (a batched LU inside the compiled program; on
    the IPD's 4×4 blocks three times faster with its derivatives than a closed-form inverse,
    whose slices turn into hundreds of pads in the backward passes)."""
    x = np.linalg.solve(np.moveaxis(a, -1, 0), np.transpose(b)[..., None])[..., 0]
    return np.transpose(x)
