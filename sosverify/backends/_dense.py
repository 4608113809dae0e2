"""Dense per-run linear algebra for CGD and LSS, in NumPy (both backends use it).

Under JAX these functions run on the host through ``jax.pure_callback``: XLA's CPU LAPACK calls
were seen to stall a long compiled LSS run on the IPD (jax 0.10.2, no CPU use, never returning),
and the directions of CGD and LSS are never differentiated, so nothing is lost.
"""

from __future__ import annotations

import numpy


def invertible(A):
    """Per run: ``A`` is finite and ``det A ≠ 0`` (exactly; as in the reference LSS)."""
    A = numpy.asarray(A)
    finite = numpy.isfinite(A).all(axis=(1, 2))
    eye = numpy.eye(A.shape[-1], dtype=A.dtype)
    # slogdet's sign is 0 exactly when det A = 0, and it does not underflow as det does for large d
    return finite & (numpy.linalg.slogdet(numpy.where(finite[:, None, None], A, eye))[0] != 0)


def solve_or_nan(A, b):
    """``A⁻¹b`` per run; NaN for a run whose ``A`` is singular or not finite (the runner then
    flags that run as diverged instead of the whole computation failing)."""
    A, b = numpy.asarray(A), numpy.asarray(b)
    eye = numpy.eye(A.shape[-1], dtype=A.dtype)
    ok = invertible(A)
    x = numpy.linalg.solve(numpy.where(ok[:, None, None], A, eye), numpy.where(ok[:, None], b, 0)[:, :, None])
    return numpy.where(ok[:, None], x[:, :, 0], numpy.nan).astype(b.dtype, copy=False)
