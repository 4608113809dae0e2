"""SOS and LA on the IPD written directly in JAX, with no project code: the compiled limit.

What :mod:`bench_backends` measures the project against (issue 23).  Per run: the IPD's losses
``L^i = p0ᵀ (I − γP)^{-1} r_i`` (SPEC §3), ``vmap`` over runs; Hessian-vector products as
gradients of stop-gradient dot products on each player's block (reverse over reverse); SOS as
Algorithm 1 (p = min(p1, p2), ``≥`` in the first test).  One ``jax.jit`` step, float64.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

GAMMA = 0.96
R = jnp.array([[1.0, 3.0, 0.0, 2.0], [1.0, 0.0, 3.0, 2.0]])  # SPEC §3: rows player 1, 2; CC, CD, DC, DD


def _losses(t1, t2):
    c1, c2 = jax.nn.sigmoid(t1), jax.nn.sigmoid(t2)            # P(cooperate) in start, CC, CD, DC, DD
    joint = jnp.stack([c1 * c2, c1 * (1 - c2), (1 - c1) * c2, (1 - c1) * (1 - c2)], axis=1)  # (5, 4)
    p0, P = joint[0], joint[1:]
    x = jnp.linalg.solve((jnp.eye(4) - GAMMA * P).T, p0)
    return R @ x                                                # (2,)


def _l1(t1, t2):
    return _losses(t1, t2)[0]


def _l2(t1, t2):
    return _losses(t1, t2)[1]


def _terms(t1, t2, shaping: bool):
    """ξ, H_oξ and (if ``shaping``) χ for one run."""
    g11, g12 = jax.grad(_l1, (0, 1))(t1, t2)
    g21, g22 = jax.grad(_l2, (0, 1))(t1, t2)
    xi1, xi2 = g11, g22
    sg = jax.lax.stop_gradient
    # (H_o ξ)_1 = ∇_1 ⟨∇_2 L^1, ξ_2⟩, (H_o ξ)_2 = ∇_2 ⟨∇_1 L^2, ξ_1⟩
    ho1 = jax.grad(lambda a: jnp.dot(jax.grad(_l1, 1)(a, t2), sg(xi2)))(t1)
    ho2 = jax.grad(lambda b: jnp.dot(jax.grad(_l2, 0)(t1, b), sg(xi1)))(t2)
    if not shaping:
        return (xi1, xi2), (ho1, ho2), None
    # χ_1 = ∇_1 ⟨∇_2 L^2, ∇_2 L^1⟩ (stopped), χ_2 = ∇_2 ⟨∇_1 L^1, ∇_1 L^2⟩
    ch1 = jax.grad(lambda a: jnp.dot(jax.grad(_l2, 1)(a, t2), sg(g12)))(t1)
    ch2 = jax.grad(lambda b: jnp.dot(jax.grad(_l1, 0)(t1, b), sg(g21)))(t2)
    return (xi1, xi2), (ho1, ho2), (ch1, ch2)


def sos_direction(xi, ho, ch, alpha, a=0.5, b=0.1):
    """Algorithm 1 from one run's ξ, H_oξ and χ (flat): ``ξ_0 − p α χ``, ``p = min(p1, p2)``."""
    xi_0 = xi - alpha * ho
    dot = jnp.dot(-alpha * ch, xi_0)
    p1 = jnp.where(dot < 0, jnp.minimum(1.0, -a * jnp.dot(xi_0, xi_0) / jnp.where(dot < 0, dot, -1.0)), 1.0)
    sq = jnp.dot(xi, xi)
    p2 = jnp.where(jnp.sqrt(sq) < b, sq, 1.0)
    return xi_0 - jnp.minimum(p1, p2) * alpha * ch


def _sos_run(theta, alpha):
    xi, ho, ch = _terms(theta[:5], theta[5:], True)
    return sos_direction(jnp.concatenate(xi), jnp.concatenate(ho), jnp.concatenate(ch), alpha)


def _la_run(theta, alpha):
    xi, ho, _ = _terms(theta[:5], theta[5:], False)
    return jnp.concatenate(xi) - alpha * jnp.concatenate(ho)


def losses(theta):
    """Both losses per run, ``(2, R)``."""
    return jax.vmap(lambda t: _losses(t[:5], t[5:]))(theta).T


STEPS = {
    "sos": jax.jit(lambda theta, alpha: theta - alpha * jax.vmap(_sos_run, (0, None))(theta, alpha)),
    "la": jax.jit(lambda theta, alpha: theta - alpha * jax.vmap(_la_run, (0, None))(theta, alpha)),
}
