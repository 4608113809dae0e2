"""The autograd backend: the reference implementation of the seam (:mod:`sosverify._autodiff`).

Autograd traces NumPy code as it runs; a value computed outside the traced closure is a
constant of it (the *stop-gradient idiom*: ``stop(v)`` of the paper is a plain array the
closure only reads).  The speed primitives below (``take``, ``unflatten``, ``batch_matmul``,
``bsolve``: runs-last products and a closed-form 4×4 inverse) are autograd's
implementation of seam functions: the rest of sosverify reaches them through the seam only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from importlib import metadata as _metadata
from typing import Any

import autograd.numpy as np
import numpy as _onp
from autograd import grad as _grad
from autograd import make_vjp as _make_vjp
from autograd.extend import defvjp as _defvjp
from autograd.extend import primitive as _primitive
from autograd.extend import vspace as _vspace
from autograd.tracer import getval as _getval

NAME = "autograd"
VERSION = _metadata.version("autograd")
FORWARD_MODE = False  # jvp is reverse over reverse: Hessian-vector products by stacked copies are faster

Array = Any


from sosverify.backends._dense import invertible, solve_or_nan  # noqa: E402,F401  (NumPy, as is)


def stop_gradient(x):
    """The value of ``x`` with no derivative flowing through it."""
    return _getval(x)


def as_array(x, dtype):
    """``x`` as an array of ``dtype`` (a NumPy array for this backend)."""
    return _onp.asarray(x, dtype=dtype)


def to_numpy(x):
    """A backend array as a NumPy array (here: itself)."""
    return x


def compile(fun: Callable) -> Callable:  # noqa: A001 - the seam's name for "jit"
    """Autograd has no compiler: ``fun`` itself."""
    return fun


def scan(body: Callable, carry, length: int, xs=None, count=None):
    """``body(carry, x) -> (carry, record)`` for each ``x`` of ``xs`` (a tuple of arrays sliced on
    their first axis, or ``None``: ``x`` is ``None``), ``length`` times in Python; returns the last
    carry and the records stacked on a new first axis (the semantics of ``jax.lax.scan``).  With
    ``count``, only the first ``count`` slices are computed and the later records are zeros."""
    todo = length if count is None else max(0, min(length, int(count)))
    records = []
    for k in range(todo):
        carry, record = body(carry, None if xs is None else tuple(x[k] for x in xs))
        records.append(record)
    if not records:
        raise ValueError("scan computed no step (count < 1): there is no record to stack")
    records += [_zeros_like(records[0])] * (length - todo)
    return carry, _stack(records)


def _zeros_like(record):
    if isinstance(record, dict):
        return {k: _zeros_like(v) for k, v in record.items()}
    if isinstance(record, tuple) and hasattr(record, "_fields"):  # a NamedTuple
        return type(record)(*(_zeros_like(v) for v in record))
    if isinstance(record, (tuple, list)):
        return type(record)(_zeros_like(v) for v in record)
    return _onp.zeros_like(_onp.asarray(record))


def _stack(records: list):
    first = records[0]
    if isinstance(first, dict):
        return {k: _stack([r[k] for r in records]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a NamedTuple
        return type(first)(*(_stack([r[i] for r in records]) for i in range(len(first))))
    if isinstance(first, (tuple, list)):
        return type(first)(_stack([r[i] for r in records]) for i in range(len(first)))
    return _onp.stack([_onp.asarray(r) for r in records])


def _quiet(differentiate):
    """Run ``differentiate()`` without autograd's "Output seems independent of input." warning.

    A derivative that is identically zero is an answer here, not a mistake: a linear game has
    H = 0, a loss may ignore a player.  Only that warning is silenced, only inside the seam.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Output seems independent of input", category=UserWarning)
        return differentiate()


def value_and_pullback(fun: Callable[[Array], Array], x: Array):
    """Return ``(fun(x), pullback)`` where ``pullback(w) = ∇_x ⟨w, fun(x)⟩``.

    The forward pass is done once; ``pullback`` may be called many times.
    """
    pullback, value = _quiet(lambda: _make_vjp(fun)(x))
    return value, lambda w: _quiet(lambda: pullback(w))


def gradient(fun: Callable[[Array], Array], x: Array):
    """``∇_x fun(x)`` for a scalar ``fun`` (nestable: ``fun`` may itself differentiate)."""
    return _quiet(lambda: _grad(fun)(x))


def jvp(fun: Callable[[Array], Array], x: Array, tangent: Array):
    """Return ``(fun(x), J_fun(x) · tangent)`` by reverse over reverse: the pullback of ``fun``
    is linear in its cotangent, so pulling ``tangent`` back through the pullback gives ``J·tangent``
    (autograd's ``make_jvp_reversemode``; nestable over :func:`gradient`)."""
    value, pull_pullback = _pullback_of_pullback(fun, x)
    return value, _quiet(lambda: pull_pullback(tangent))


def _pullback_of_pullback(fun: Callable[[Array], Array], x: Array):
    """``(fun(x), v ↦ J_fun(x)·v)``: the pullback of ``fun``'s pullback, built once."""
    pullback, value = _quiet(lambda: _make_vjp(fun)(x))
    pull_pullback, _ = _quiet(lambda: _make_vjp(pullback)(_vspace(value).zeros()))
    return value, pull_pullback


def jvps(fun: Callable[[Array], Array], x: Array, tangents: Array):
    """``J_fun(x) · tangents[p]`` stacked over ``p``: the pullback of the pullback built once (as in
    :func:`jvp`) and applied to each tangent."""
    _, pull_pullback = _pullback_of_pullback(fun, x)
    return np.stack([_quiet(lambda t=t: pull_pullback(t)) for t in tangents])


def weighted_gradient(fun: Callable[[Array], Array], x: Array, weights: Array):
    """Return ``(fun(x), ∇_x Σ weights · fun(x))`` with ``weights`` held constant.

    Works on traced inputs too, so it can sit inside :func:`gradient_of_pairing`
    (that is how second derivatives are taken).
    """
    value, pullback = value_and_pullback(fun, x)
    return value, pullback(weights)


def gradient_of_pairing(vector_fun: Callable[[Array], Array], x: Array, stopped: Array):
    """Return ``∇_x ⟨vector_fun(x), stop(stopped)⟩``.

    ``stopped`` is a constant computed before this call: the derivative flows
    only through ``vector_fun``.  With ``vector_fun`` a gradient this is a
    Hessian-vector product, and no dense Hessian is formed.
    """
    return _quiet(lambda: _grad(lambda t: np.sum(vector_fun(t) * stopped))(x))


def gradient_of_self_pairing(vector_fun: Callable[[Array], tuple], x: Array,
                             make_stopped: Callable[[Array, Array], tuple]):
    """Return ``(∇_x ⟨v(x), stop(w)⟩, extra)`` in one pass.

    ``vector_fun(x)`` returns ``(aux, v)``; ``w, extra = make_stopped(aux, v)`` is built
    from their *values* (the stop-gradient), so it may depend on ``v`` itself:
    e.g. ``v`` the stacked loss gradients and ``w`` made of ξ, read off ``v``; ``extra``
    (any values computed on the way, such as ξ itself) is returned beside the gradient.
    This saves the separate first-order pass of :func:`gradient_of_pairing`.
    """
    kept = []

    def scalar(t):
        aux, v = vector_fun(t)
        w, extra = make_stopped(_getval(aux), _getval(v))
        kept.append(extra)
        return np.sum(v * w)

    out = _quiet(lambda: _grad(scalar)(x))
    return out, kept[-1]


# Slices with a cheap derivative.  ``x[:, a:b]`` in autograd scatters its
# cotangent with ``numpy.add.at``, which dominates small batched games; this
# pair of primitives (each the other's derivative) writes into a zero array.
@_primitive
def take(x, start: int, stop: int, axis: int = -1):
    """``x[start:stop]`` along ``axis`` (differentiable to any order)."""
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, stop)
    return x[tuple(index)]


@_primitive
def _put(g, start: int, stop: int, axis: int, size: int):
    shape = list(g.shape)
    shape[axis] = size
    out = _onp.zeros(shape, dtype=g.dtype)
    index = [slice(None)] * g.ndim
    index[axis] = slice(start, stop)
    out[tuple(index)] = g
    return out


_defvjp(take, lambda ans, x, start, stop, axis=-1: lambda g: _put(g, start, stop, axis, x.shape[axis]))
_defvjp(_put, lambda ans, g, start, stop, axis, size: lambda h: take(h, start, stop, axis))


def take_columns(x, start: int, stop: int):
    """``x[..., start:stop]``, differentiable (see :func:`take`)."""
    return take(x, start, stop, -1)


@_primitive
def unflatten(x, shapes: tuple):
    """Split the columns of ``x`` ``(R, Σ prod(shape))`` into arrays of shape ``(R, *shape)``, in order.

    Differentiable to any order; the cotangent is one concatenation (no per-piece zero array),
    which matters for networks whose parameters are one long vector per run.
    """
    out, start = [], 0
    for shape in shapes:
        size = int(_onp.prod(shape))
        out.append(x[:, start:start + size].reshape((x.shape[0],) + tuple(shape)))
        start += size
    return tuple(out)


@_primitive
def _flatten(parts, shapes: tuple):
    return _onp.concatenate([_onp.reshape(g, (g.shape[0], -1)) for g in parts], axis=1)


_defvjp(unflatten, lambda ans, x, shapes: lambda g: _flatten(g, shapes))
_defvjp(_flatten, lambda ans, parts, shapes: lambda g: unflatten(g, shapes))


@_primitive
def batch_matmul(a, b):
    """``out[r] = a[r] @ b[r]`` for stacks ``(R, m, k)`` and ``(R, k, n)``, one BLAS call per run.

    NumPy's stacked ``matmul`` is about twice as slow when an operand is a transposed view (as
    every reverse-mode derivative of a product makes it); a loop of 2-D products is not.
    """
    out = _onp.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=_onp.result_type(a, b))
    for r in range(a.shape[0]):
        _onp.matmul(a[r], b[r], out=out[r])
    return out


_defvjp(batch_matmul,
        lambda ans, a, b: lambda g: batch_matmul(g, np.swapaxes(b, 1, 2)),
        lambda ans, a, b: lambda g: batch_matmul(np.swapaxes(a, 1, 2), g))


@_primitive
def relu(x):
    """``max(x, 0)``; its derivative is the mask ``x > 0`` (0 at the kink), to any order."""
    return _onp.maximum(x, 0)


_defvjp(relu, lambda ans, x: lambda g: g * (ans > 0))


@_primitive
def sigmoid(x):
    """``1 / (1 + e^{-x})``; ``e^{-x}`` may overflow to ``inf`` for very negative ``x``,
    which gives the correct limit 0."""
    with _onp.errstate(over="ignore"):
        return 1.0 / (1.0 + _onp.exp(-x))


_defvjp(sigmoid, lambda ans, x: lambda g: g * ans * (1.0 - ans))


# Small matrices batched over a *trailing* runs axis: shape (rows, cols, R).  With the
# runs axis last every inner loop runs over R, which is several times faster than
# NumPy's batched (R, rows, cols) routines on 4×4 blocks.
def _swap(a):
    return np.swapaxes(a, 0, 1)


@_primitive
def _bmatmul(a, b):
    """``out[:, :, r] = a[:, :, r] @ b[:, :, r]`` for runs-last stacks (leading axes broadcast)."""
    # einsum is fast on contiguous stacks and slow on transposed views: copy first
    return _onp.einsum("ikr,kjr->ijr", _onp.ascontiguousarray(a), _onp.ascontiguousarray(b))


def _unbroadcast_runs(g, shape):
    """Sum a cotangent over the axes that were broadcast to reach ``g.shape``."""
    if g.shape == tuple(shape):
        return g
    axes = tuple(k for k, (m, n) in enumerate(zip(g.shape, shape)) if n == 1 and m != 1)
    return np.sum(g, axis=axes, keepdims=True)


_defvjp(_bmatmul,
        lambda ans, a, b: lambda g: _unbroadcast_runs(_bmatmul(g, _swap(b)), a.shape),
        lambda ans, a, b: lambda g: _unbroadcast_runs(_bmatmul(_swap(a), g), b.shape))


@_primitive
def _binv(a):
    """Inverse of each ``a[:, :, r]`` of a runs-last stack ``(n, n, R)``.

    4×4 blocks use the closed form by 2×2 minors (elementwise over runs, several
    times faster than a LAPACK call per block); other sizes use NumPy.
    """
    if a.shape[:2] == (4, 4):
        return _inv4(a)
    return _onp.moveaxis(_onp.linalg.inv(_onp.moveaxis(a, -1, 0)), 0, -1)


def _inv4(m):
    """Inverse of runs-last 4×4 blocks by Laplace expansion in 2×2 minors."""
    s0 = m[0, 0] * m[1, 1] - m[1, 0] * m[0, 1]
    s1 = m[0, 0] * m[1, 2] - m[1, 0] * m[0, 2]
    s2 = m[0, 0] * m[1, 3] - m[1, 0] * m[0, 3]
    s3 = m[0, 1] * m[1, 2] - m[1, 1] * m[0, 2]
    s4 = m[0, 1] * m[1, 3] - m[1, 1] * m[0, 3]
    s5 = m[0, 2] * m[1, 3] - m[1, 2] * m[0, 3]
    c5 = m[2, 2] * m[3, 3] - m[3, 2] * m[2, 3]
    c4 = m[2, 1] * m[3, 3] - m[3, 1] * m[2, 3]
    c3 = m[2, 1] * m[3, 2] - m[3, 1] * m[2, 2]
    c2 = m[2, 0] * m[3, 3] - m[3, 0] * m[2, 3]
    c1 = m[2, 0] * m[3, 2] - m[3, 0] * m[2, 2]
    c0 = m[2, 0] * m[3, 1] - m[3, 0] * m[2, 1]
    det = s0 * c5 - s1 * c4 + s2 * c3 + s3 * c2 - s4 * c1 + s5 * c0
    out = _onp.empty(m.shape)
    out[0, 0] = m[1, 1] * c5 - m[1, 2] * c4 + m[1, 3] * c3
    out[0, 1] = -m[0, 1] * c5 + m[0, 2] * c4 - m[0, 3] * c3
    out[0, 2] = m[3, 1] * s5 - m[3, 2] * s4 + m[3, 3] * s3
    out[0, 3] = -m[2, 1] * s5 + m[2, 2] * s4 - m[2, 3] * s3
    out[1, 0] = -m[1, 0] * c5 + m[1, 2] * c2 - m[1, 3] * c1
    out[1, 1] = m[0, 0] * c5 - m[0, 2] * c2 + m[0, 3] * c1
    out[1, 2] = -m[3, 0] * s5 + m[3, 2] * s2 - m[3, 3] * s1
    out[1, 3] = m[2, 0] * s5 - m[2, 2] * s2 + m[2, 3] * s1
    out[2, 0] = m[1, 0] * c4 - m[1, 1] * c2 + m[1, 3] * c0
    out[2, 1] = -m[0, 0] * c4 + m[0, 1] * c2 - m[0, 3] * c0
    out[2, 2] = m[3, 0] * s4 - m[3, 1] * s2 + m[3, 3] * s0
    out[2, 3] = -m[2, 0] * s4 + m[2, 1] * s2 - m[2, 3] * s0
    out[3, 0] = -m[1, 0] * c3 + m[1, 1] * c1 - m[1, 2] * c0
    out[3, 1] = m[0, 0] * c3 - m[0, 1] * c1 + m[0, 2] * c0
    out[3, 2] = -m[3, 0] * s3 + m[3, 1] * s1 - m[3, 2] * s0
    out[3, 3] = m[2, 0] * s3 - m[2, 1] * s1 + m[2, 2] * s0
    with _onp.errstate(divide="ignore", invalid="ignore"):
        return out / det


_defvjp(_binv, lambda ans, a: lambda g: -_bmatmul(_bmatmul(_swap(ans), g), _swap(ans)))


def bsolve(a, b):
    """``x[:, r] = a[:, :, r]⁻¹ b[:, r]`` for a runs-last stack ``a`` ``(n, n, R)`` and ``b`` ``(n, R)``.

    Computed with the primitives above, whose derivatives are written out: every inner loop runs
    over R, and 4×4 blocks (the IPD) use the closed-form inverse; several times faster here than
    NumPy's batched ``solve`` traced by autograd."""
    return _bmatmul(_binv(a), b[:, None, :])[:, 0, :]
