"""The one seam between sosverify and its differentiation backend.

Everything in the numeric layer that differentiates goes through the functions below, and
every array operation on a value that may be differentiated (or traced by a compiler) uses
:data:`np` from here: the active backend's NumPy (autograd's by default, ``jax.numpy`` under
the JAX backend; see :mod:`sosverify.backends`).  Each function looks the backend up when it
is called, so a game written once runs on either.

The *stop-gradient idiom*: a quantity written ``stop(v)`` in the paper (for example
``⟨∇_j L^i, stop(ξ_j)⟩``) is computed first and passed in as a constant
(:func:`gradient_of_pairing`), or read off values with :func:`stop_gradient`
(:func:`gradient_of_self_pairing`); no derivative flows through it.
"""

from __future__ import annotations

from sosverify.backends import active, active_name, use_backend

__all__ = ["np", "stop_gradient", "as_array", "to_numpy", "compile", "gradient", "value_and_pullback", "jvp", "jvps",
           "has_forward_mode", "scan",
           "weighted_gradient", "gradient_of_pairing", "gradient_of_self_pairing", "take", "take_columns",
           "unflatten", "batch_matmul", "relu", "sigmoid", "bsolve", "invertible", "solve_or_nan",
           "active_name", "use_backend"]


class _Namespace:
    """``np.f`` is ``f`` of the active backend's NumPy (``autograd.numpy`` or ``jax.numpy``)."""

    def __getattr__(self, name):
        return getattr(active().np, name)

    def __repr__(self):
        return f"<sosverify.np: the NumPy of the active backend ({active_name()})>"


np = _Namespace()


def stop_gradient(x):
    """The value of ``x``; no derivative flows through the result."""
    return active().stop_gradient(x)


def as_array(x, dtype):
    """``x`` as an array of the active backend with ``dtype``."""
    return active().as_array(x, dtype)


def to_numpy(x):
    """A backend array (or a tuple/dict of them) as NumPy arrays."""
    return active().to_numpy(x)


def compile(fun):  # noqa: A001 - "jit"
    """``fun`` compiled by the active backend (JAX: ``jax.jit``; autograd: ``fun`` itself)."""
    return active().compile(fun)


def value_and_pullback(fun, x):
    """Return ``(fun(x), pullback)`` where ``pullback(w) = ∇_x ⟨w, fun(x)⟩`` (one forward pass)."""
    return active().value_and_pullback(fun, x)


def gradient(fun, x):
    """``∇_x fun(x)`` for a scalar ``fun`` (nestable: ``fun`` may itself differentiate)."""
    return active().gradient(fun, x)


def jvp(fun, x, tangent):
    """Return ``(fun(x), J_fun(x) · tangent)`` (forward mode on JAX; reverse over reverse on
    autograd).  With ``fun`` a gradient, a Hessian-vector product; no dense Hessian is formed."""
    return active().jvp(fun, x, tangent)


def jvps(fun, x, tangents):
    """``J_fun(x) · tangents[p]`` for each ``p``, stacked on a new first axis: one primal pass shared
    by every tangent (JAX: ``vmap`` of the forward pass over the tangents; autograd: one pullback
    of the pullback, applied to each)."""
    return active().jvps(fun, x, tangents)


def scan(body, carry, length: int, xs=None, count=None):
    """``body(carry, x) -> (carry, record)`` ``length`` times, ``x`` the next slice of ``xs`` (a
    tuple of arrays, first axis ``length``; ``None``: ``x`` is ``None``); returns the last carry and
    the records stacked on a new first axis (JAX: one compiled ``lax.scan``; autograd: a Python loop).

    ``count`` (a number, traced on JAX): only the first ``count`` slices are computed; the carry
    stops there and the later records are zeros.  One compiled program then serves a chunk of any
    length up to ``length`` without computing the steps past its end."""
    return active().scan(body, carry, length, xs, count)


def has_forward_mode() -> bool:
    """Whether the active backend's :func:`jvp` is a true forward pass (JAX) rather than reverse
    over reverse (autograd); :mod:`sosverify.derivatives` picks its Hessian-vector products by it."""
    return active().FORWARD_MODE


def weighted_gradient(fun, x, weights):
    """Return ``(fun(x), ∇_x Σ weights · fun(x))`` with ``weights`` held constant (works on
    traced inputs, so it nests inside :func:`gradient_of_pairing`)."""
    return active().weighted_gradient(fun, x, weights)


def gradient_of_pairing(vector_fun, x, stopped):
    """``∇_x ⟨vector_fun(x), stop(stopped)⟩``: with ``vector_fun`` a gradient, a Hessian-vector
    product; no dense Hessian is formed."""
    return active().gradient_of_pairing(vector_fun, x, stopped)


def gradient_of_self_pairing(vector_fun, x, make_stopped):
    """``(∇_x ⟨v(x), stop(w)⟩, extra)`` in one pass, where ``vector_fun(x) = (aux, v)`` and
    ``w, extra = make_stopped(aux, v)`` is built from their values."""
    return active().gradient_of_self_pairing(vector_fun, x, make_stopped)


def invertible(A):
    """Per run ``(R, d, d)``: ``A`` is finite and ``det A ≠ 0`` (exactly).  Not differentiable."""
    return active().invertible(A)


def solve_or_nan(A, b):
    """``A⁻¹b`` per run ``(R, d)``; NaN rows where ``A`` is singular or not finite.  Not differentiable."""
    return active().solve_or_nan(A, b)


def take(x, start: int, stop: int, axis: int = -1):
    """``x[start:stop]`` along ``axis`` (differentiable to any order, cheap cotangent)."""
    return active().take(x, start, stop, axis)


def take_columns(x, start: int, stop: int):
    """``x[..., start:stop]``."""
    return active().take_columns(x, start, stop)


def unflatten(x, shapes: tuple):
    """Split the columns of ``x`` ``(R, Σ prod(shape))`` into arrays ``(R, *shape)``, in order."""
    return active().unflatten(x, shapes)


def batch_matmul(a, b):
    """``out[r] = a[r] @ b[r]`` for stacks ``(R, m, k)`` and ``(R, k, n)``."""
    return active().batch_matmul(a, b)


def relu(x):
    """``max(x, 0)``; its derivative is the mask ``x > 0`` (0 at the kink), to any order."""
    return active().relu(x)


def sigmoid(x):
    """``1 / (1 + e^{-x})`` (overflow of ``e^{-x}`` gives the correct limit 0)."""
    return active().sigmoid(x)


def bsolve(a, b):
    """``x[:, r] = a[:, :, r]⁻¹ b[:, r]`` for a runs-last stack ``a`` ``(n, n, R)`` and ``b`` ``(n, R)``,
    differentiable to any order (each backend its fastest form: see its ``bsolve``)."""
    return active().bsolve(a, b)
