"""The GAN's ξ and SOS direction written directly in JAX, with no project code: the compiled limit.

What :mod:`bench_backends` ``--part gan`` measures the project against (issues 20 and 23).  One
run, flat parameters ``θ = (θ_G, θ_D)`` sliced into each MLP's weights and biases (ReLU hidden
layers), the discriminator on real and generated points, L_G = mean softplus(−D(G(z))),
L_D = mean softplus(−D(x)) + mean softplus(D(G(z))) (SPEC §3).  ξ is ``jax.grad`` of each loss
w.r.t. its own player's block; SOS's four Hessian-vector products are mixed partials
``∂_j(∇_i L^k)·v`` (forward over reverse, the other block held fixed), then Algorithm 1.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from plain_jax import sos_direction  # Algorithm 1 from the terms, as on the IPD


def _unpack(flat, shapes):
    out, k = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(flat[k:k + n].reshape(s))
        k += n
    return out


def _mlp(params, x):
    h = x
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k < len(params) - 2:
            h = jnp.where(h > 0, h, 0.0)  # derivative 0 at the kink, as the project's relu (maximum's is ½)
    return h


def make(generator_shapes, discriminator_shapes, batch: int):
    """``(xi, sos)``: jitted functions of ``(theta_g, theta_d, real, z)`` for one run (flat blocks,
    one minibatch); ``sos`` also takes ``alpha`` and returns the SOS direction (a = 0.5, b = 0.1)."""

    def losses(tg, td, real, z):
        fake = _mlp(_unpack(tg, generator_shapes), z)
        logits = _mlp(_unpack(td, discriminator_shapes), jnp.concatenate([real, fake]))[:, 0]
        d_real, d_fake = logits[:batch], logits[batch:]
        loss_g = jnp.mean(jax.nn.softplus(-d_fake))
        loss_d = jnp.mean(jax.nn.softplus(-d_real)) + jnp.mean(jax.nn.softplus(d_fake))
        return loss_g, loss_d

    def l_g(tg, td, real, z):
        return losses(tg, td, real, z)[0]

    def l_d(tg, td, real, z):
        return losses(tg, td, real, z)[1]

    def xi(tg, td, real, z):
        return jax.grad(l_g, 0)(tg, td, real, z), jax.grad(l_d, 1)(tg, td, real, z)

    def sos(tg, td, real, z, alpha, a=0.5, b=0.1):
        xg, xd = xi(tg, td, real, z)
        dg_ld, dd_lg = jax.grad(l_d, 0)(tg, td, real, z), jax.grad(l_g, 1)(tg, td, real, z)
        sg = jax.lax.stop_gradient
        # (H_o ξ)_G = ∂_D(∇_G L_G)·ξ_D, (H_o ξ)_D = ∂_G(∇_D L_D)·ξ_G
        ho_g = jax.jvp(lambda d: jax.grad(l_g, 0)(tg, d, real, z), (td,), (sg(xd),))[1]
        ho_d = jax.jvp(lambda g: jax.grad(l_d, 1)(g, td, real, z), (tg,), (sg(xg),))[1]
        # χ_G = ∂_D(∇_G L_D)·∇_D L_G, χ_D = ∂_G(∇_D L_G)·∇_G L_D
        ch_g = jax.jvp(lambda d: jax.grad(l_d, 0)(tg, d, real, z), (td,), (sg(dd_lg),))[1]
        ch_d = jax.jvp(lambda g: jax.grad(l_g, 1)(g, td, real, z), (tg,), (sg(dg_ld),))[1]
        return sos_direction(jnp.concatenate([xg, xd]), jnp.concatenate([ho_g, ho_d]),
                             jnp.concatenate([ch_g, ch_d]), alpha, a, b)

    return jax.jit(xi), jax.jit(sos)
