"""ξ, H_oξ, χ, Hξ, Hᵀξ and the dense game Hessian, batched over runs (SPEC §1).

Every second-order term is a sum of Hessian-vector products ``∇_i ⟨∇_j L^k, stop(v)⟩``,
computed one of two ways (:func:`second_order`, ``method=``):

- ``"copies"`` (small games): in *one* pass by stacking copies of the runs: copy ``p`` of
  ``theta`` differentiates loss ``k_p`` paired with its own constant vector ``v_p``, and runs
  never interact, so the gradient of the summed pairing w.r.t. the stacked copies returns every
  product at once (few, large array operations instead of many tiny ones).
- ``"blocks"`` (on a backend with a true forward mode: JAX; autograd's ``jvp`` is reverse over
  reverse and copies stay faster there): each product is a *mixed partial*
  ``∂_j(∇_i L^k)·v_j`` taken on the players' blocks themselves: the gradient w.r.t. block ``i``
  only, differentiated forward along ``v_j`` on block ``j`` only, so no pass runs through a
  block whose tangent or cotangent is zero (for the GAN, SOS's four products skip half the
  network passes that copies of the whole network would make).

Only :func:`hessian` forms a dense matrix (for small games and analysis).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy

from sosverify._autodiff import (
    gradient,
    gradient_of_pairing,
    gradient_of_self_pairing,
    has_forward_mode,
    jvp,
    jvps,
    np,
    stop_gradient,
    value_and_pullback,
    weighted_gradient,
)
from sosverify.errors import SosverifyError
from sosverify.game import Game

__all__ = ["FirstOrder", "SecondOrder", "first_order", "xi", "second_order", "mixed_partial", "H_o_xi", "chi", "H_xi", "Ht_xi",
           "hessian", "hessian_and_first", "off_diagonal", "diagonal_blocks", "DENSE_LIMIT", "check_dense"]

# The largest number of parameters d for which a dense d × d game Hessian is formed (CGD, LSS,
# analysis): d Hessian-vector products and a d × d matrix per run.  At d = 2000 that is 32 MB
# per run in float64; a network game (the GAN has about 1.5 million) is refused, not allocated.
DENSE_LIMIT = 2000


# Small games on autograd stack n copies of the runs so that one backward pass returns every loss's
# gradient (many tiny array operations cost more than the arithmetic).  Above this many parameters
# the arithmetic dominates and n copies would repeat the forward pass n times: first_order then does
# one forward pass and one backward pass per loss instead, as it always does on JAX.
STACK_LIMIT = 4096


def check_dense(game: Game, what: str = "a dense game Hessian") -> None:
    """Refuse to form a dense ``d × d`` matrix for a game with more than :data:`DENSE_LIMIT` parameters."""
    if game.dim > DENSE_LIMIT:
        raise SosverifyError(
            f"{what} needs a dense {game.dim} x {game.dim} matrix per run; game {game.name!r} has "
            f"{game.dim} parameters, above the limit of {DENSE_LIMIT} (sosverify.derivatives.DENSE_LIMIT)")


class FirstOrder(NamedTuple):
    """Losses ``(n, R)``, all gradients ``G[i] = ∇L^i`` ``(n, R, d)`` and ``ξ`` ``(R, d)``."""

    losses: numpy.ndarray
    grads: numpy.ndarray
    xi: numpy.ndarray


class SecondOrder(NamedTuple):
    """What :func:`second_order` returns: ``first`` (the :class:`FirstOrder`) and each requested
    term ``(R, d)``; a term not requested is ``None``."""

    first: FirstOrder
    H_o_xi: Any = None
    chi: Any = None
    H_xi: Any = None
    Ht_xi: Any = None


def _copy_weights(n: int, runs: int, loss_of_copy, dtype) -> numpy.ndarray:
    """Cotangent ``(n, P·R)`` that picks loss ``loss_of_copy[p]`` in copy ``p``."""
    w = numpy.zeros((n, len(loss_of_copy) * runs), dtype=dtype)
    for p, k in enumerate(loss_of_copy):
        w[k, p * runs:(p + 1) * runs] = 1.0
    return w


def first_order(game: Game, theta) -> FirstOrder:
    """Losses and the gradient of every loss w.r.t. every parameter.

    ``ξ_i = ∇_i L^i`` is read off the diagonal blocks of ``G``.
    """
    theta = game.as_params(theta)
    n, (runs, d) = game.n_players, theta.shape
    # one forward pass, then one backward pass per loss: above STACK_LIMIT, and on a compiled
    # backend (JAX), where the forward pass is shared with the second-order terms' (the IPD's
    # LU factorisation once instead of on 2R stacked copies and again on R: SOS 6.0 -> 4.6 us per run)
    if d > STACK_LIMIT or has_forward_mode():
        # differentiated w.r.t. the players' blocks, not the flat theta: the cotangent of each block
        # is then its own array (a flat theta's pullback pads every piece a game slices out of it
        # to all d columns and adds them up: the GAN's NL direction 147 -> 60 ms on JAX, one core)
        value, pullback = value_and_pullback(game.block_losses, game.split(theta))
        weights = numpy.eye(n, dtype=theta.dtype)[:, :, None] * numpy.ones(runs, dtype=theta.dtype)
        per_block = [pullback(w) for w in weights]
        # ξ from each loss's own block (not a product with the masks): a compiler then drops the
        # parts of the backward passes that ξ does not need when nothing else reads G (NL, LA, CO, SGA)
        xi_ = np.concatenate([g[i] for i, g in enumerate(per_block)], axis=1)
        grads = np.stack([np.concatenate(list(g), axis=1) for g in per_block])
        return FirstOrder(value[:, :runs], grads, xi_)
    value, pullback = value_and_pullback(game.losses, np.tile(theta, (n, 1)))
    return _first_from(game, value, pullback(_copy_weights(n, runs, range(n), theta.dtype)).reshape(n, runs, d), runs)


def _first_from(game: Game, stacked_losses, grads, runs: int) -> FirstOrder:
    """:class:`FirstOrder` from the losses of stacked copies and ``G`` ``(n, R, d)``."""
    return FirstOrder(stacked_losses[:, :runs], grads, np.einsum("nrd,nd->rd", grads, game.masks))


def xi(game: Game, theta) -> numpy.ndarray:
    """The simultaneous gradient ``ξ = (∇_1 L^1, …, ∇_n L^n)``, shape ``(R, d)``."""
    return first_order(game, theta).xi


def _hessian_products(game: Game, theta, losses_of, build, first: FirstOrder | None):
    """``out[p] = ∇²L^{k_p} · v_p`` for ``k_p = losses_of[p]``, shape ``(P, R, d)``.

    ``build(first)`` returns the stacked constant vectors ``v_p`` ``(P·R, d)``
    from the first-order quantities.  If ``first`` is not given and every
    loss appears in ``losses_of``, the first-order quantities are read off the
    same pass (one forward, one differentiable backward, one more backward);
    otherwise they are computed first.  Returns ``(out, first)``.
    """
    theta = game.as_params(theta)
    (runs, d), n, P = theta.shape, game.n_players, len(losses_of)
    weights = _copy_weights(n, runs, losses_of, theta.dtype)
    tiled = np.tile(theta, (P, 1))

    def stacked_gradients(t):
        return weighted_gradient(game.losses, t, weights)

    if first is None and set(losses_of) == set(range(n)):
        copy_of = {k: p for p, k in enumerate(losses_of)}

        def make_stopped(value, g):
            g = np.reshape(g, (P, runs, d))
            f = _first_from(game, value, np.stack([g[copy_of[i]] for i in range(n)]), runs)
            return build(f), f

        out, first = gradient_of_self_pairing(stacked_gradients, tiled, make_stopped)
    else:
        first = first_order(game, theta) if first is None else first
        out = gradient_of_pairing(lambda t: stacked_gradients(t)[1], tiled, build(first))
    return np.reshape(out, (P, runs, d)), first


_TERMS = ("H_o_xi", "chi", "H_xi", "Ht_xi")


def _plan(game: Game, term: str, scale=None):
    """The Hessian-vector products behind ``term``: ``(loss k, v(first), output mask)`` each.
    ``scale`` ``(R, d)`` multiplies the vectors of ``H_o_xi`` and ``chi`` (see :func:`second_order`)."""
    n, masks = game.n_players, game.masks
    if scale is not None:
        def by(v):
            return v * scale
    else:
        def by(v):
            return v
    if term == "H_o_xi":   # block i of ∇²L^i · (ξ without block i)
        return [(i, lambda f, i=i: by(f.xi) * (1.0 - masks[i]), masks[i]) for i in range(n)]
    if term == "H_xi":     # block i of ∇²L^i · ξ
        return [(i, lambda f: f.xi, masks[i]) for i in range(n)]
    if term == "Ht_xi":    # Σ_i ∇²L^i · (ξ_i on block i), every block
        return [(i, lambda f, i=i: f.xi * masks[i], numpy.ones(game.dim, dtype=game.dtype)) for i in range(n)]
    # chi: block i of Σ_{j≠i} ∇²L^j · (∇_j L^i on block j)
    return [(j, lambda f, i=i, j=j: by(f.grads[i]) * masks[j], masks[i])
            for i in range(n) for j in range(n) if j != i]


def _block_plan(n: int, term: str):
    """``term`` as mixed partials ``(out block, loss k, in block, tangent)``: block ``out`` of
    ``∂_in(∇_out L^k)·v`` with ``v`` = ``("xi", j)`` (``ξ_j``) or ``("grad", i, j)`` (``∇_j L^i``)."""
    if term == "H_o_xi":   # (H_o ξ)_i = Σ_{j≠i} ∂_j ∇_i L^i · ξ_j
        return [(i, i, j, ("xi", j)) for i in range(n) for j in range(n) if j != i]
    if term == "H_xi":     # (H ξ)_i = Σ_j ∂_j ∇_i L^i · ξ_j
        return [(i, i, j, ("xi", j)) for i in range(n) for j in range(n)]
    if term == "Ht_xi":    # (Hᵀξ)_j = Σ_i (∂_j ∇_i L^i)ᵀ ξ_i = Σ_i ∂_i ∇_j L^i · ξ_i (∇²L^i is symmetric)
        return [(j, i, i, ("xi", i)) for i in range(n) for j in range(n)]
    # chi: χ_i = Σ_{j≠i} (∇_i ∇_j L^j) ∇_j L^i = Σ_{j≠i} ∂_j ∇_i L^j · ∇_j L^i
    return [(i, j, j, ("grad", i, j)) for i in range(n) for j in range(n) if j != i]


def mixed_partial(game: Game, blocks, k: int, out: int, inp: int, v):
    """``∂_inp(∇_out L^k) · v``: block ``out`` of ``∇²L^k`` times ``v`` on block ``inp``, ``(R, d_out)``.

    Reverse mode w.r.t. block ``out`` only, forward mode along ``v`` w.r.t. block ``inp`` only
    (``blocks`` are the per-player parameters; every run's loss is summed, runs never interact).
    """
    return jvp(_gradient_of_block(game, blocks, k, out, inp), blocks[inp], stop_gradient(v))[1]


def _gradient_of_block(game: Game, blocks, k: int, out: int, inp: int):
    """``∇_out L^k`` (summed over runs) as a function of block ``inp`` alone."""
    def gradient_of_out(p_in):
        at = list(blocks)
        at[inp] = p_in

        def loss(p_out):
            here = list(at)
            here[out] = p_out
            return np.sum(game.block_losses(here)[k])

        return gradient(loss, at[out])

    return gradient_of_out


def _second_order_by_blocks(game: Game, theta, terms, first: FirstOrder | None, scale=None) -> SecondOrder:
    """:func:`second_order` by mixed partials on the players' blocks (``method="blocks"``)."""
    first = first_order(game, theta) if first is None else first
    blocks = game.split(theta)
    xi_blocks = game.split(first.xi if scale is None else first.xi * scale)
    grad_blocks = [game.split(g if scale is None else g * scale) for g in first.grads]
    tangent: dict = {("xi", j): xi_blocks[j] for j in range(game.n_players)}
    tangent.update({("grad", i, j): grad_blocks[i][j] for i in range(game.n_players) for j in range(game.n_players)})
    done: dict = {}  # one product per (out, k, in, tangent), shared between terms (SGA: Hξ and Hᵀξ)
    result: dict = {}
    for term in terms:
        parts: list = [None] * game.n_players
        for out, k, inp, key in _block_plan(game.n_players, term):
            if (out, k, inp, key) not in done:
                done[out, k, inp, key] = mixed_partial(game, blocks, k, out, inp, tangent[key])
            product = done[out, k, inp, key]
            parts[out] = product if parts[out] is None else parts[out] + product
        result[term] = np.concatenate([np.zeros_like(b) if p is None else p for p, b in zip(parts, blocks)], axis=1)
    return SecondOrder(first, **result)


METHODS = ("copies", "blocks")


def _method(method: str | None, what: str) -> str:
    """``method`` checked, or the default: blocks on a backend with a true forward mode, else copies."""
    if method is None:
        return "blocks" if has_forward_mode() else "copies"
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} for {what}; valid: {', '.join(METHODS)}")
    return method


def second_order(game: Game, theta, terms=("H_o_xi", "chi"), first: FirstOrder | None = None,
                 method: str | None = None, scale=None) -> SecondOrder:
    """Compute the requested second-order terms in one pass.

    Terms (player ``i``'s block; SPEC §1):

    - ``H_o_xi``: ``(H_o ξ)_i = ∇_i Σ_{j≠i} ⟨∇_j L^i, stop(ξ_j)⟩``
    - ``chi``:    ``χ_i = Σ_{j≠i} (∇_i ∇_j L^j) ∇_j L^i``
    - ``H_xi``:   ``(H ξ)_i = ∇_i Σ_j ⟨∇_j L^i, stop(ξ_j)⟩``
    - ``Ht_xi``:  ``Hᵀξ = ∇ ½‖ξ‖²``

    ``method``: ``"copies"`` (stacked copies of the runs, one pass) or ``"blocks"`` (mixed
    partials on the players' blocks); by default blocks on a backend with a true forward mode
    (JAX: the GAN's SOS step in half the time, SOS on the IPD 4-5x faster than copies), copies
    otherwise (autograd, whose forward mode is reverse over reverse).  Both give the same values
    (to rounding).

    ``scale`` ``(R, d)`` (``H_o_xi`` and ``chi`` only): the vectors the Hessian blocks multiply
    are scaled per coordinate first, giving ``H_o(s ⊙ ξ)`` and
    ``χ^s_i = Σ_{j≠i} (∇_i ∇_j L^j)(s_j ⊙ ∇_j L^i)``: the terms of LA and LOLA when player ``j``'s
    step is predicted as ``s_j ⊙ ξ_j`` rather than ``α ξ_j`` (with ``s = α`` everywhere they are
    ``α H_o ξ`` and ``α χ``).

    Returns a :class:`SecondOrder`: ``first`` (the :class:`FirstOrder`) and the terms (``None``
    for a term not requested).
    """
    unknown = set(terms) - set(_TERMS)
    if unknown:
        raise ValueError(f"unknown second-order terms {sorted(unknown)}; valid: {', '.join(_TERMS)}")
    if scale is not None and set(terms) - {"H_o_xi", "chi"}:
        raise ValueError("a scale applies to the terms H_o_xi and chi only")
    method = _method(method, "second-order terms")
    theta = game.as_params(theta)
    if method == "blocks":
        return _second_order_by_blocks(game, theta, terms, first, scale)
    plan = [(term, k, v, mask) for term in terms for k, v, mask in _plan(game, term, scale)]
    if not plan:  # e.g. chi of a one-player game
        first = first_order(game, theta) if first is None else first
        return SecondOrder(first, **{term: np.zeros_like(theta) for term in terms})
    out, first = _hessian_products(
        game, theta, [k for _, k, _, _ in plan],
        lambda f: np.concatenate([v(f) for _, _, v, _ in plan], axis=0), first)
    result = {term: np.zeros_like(theta) for term in terms}
    for p, (term, _, _, mask) in enumerate(plan):
        result[term] += out[p] * mask
    return SecondOrder(first, **result)


def H_o_xi(game: Game, theta) -> numpy.ndarray:
    """``H_o ξ`` (off-diagonal blocks of the game Hessian times ξ), shape ``(R, d)``."""
    return second_order(game, theta, ("H_o_xi",)).H_o_xi


def chi(game: Game, theta) -> numpy.ndarray:
    """The shaping term ``χ = diag(H_oᵀ ∇L)``, shape ``(R, d)``."""
    return second_order(game, theta, ("chi",)).chi


def H_xi(game: Game, theta) -> numpy.ndarray:
    """``H ξ``, shape ``(R, d)``."""
    return second_order(game, theta, ("H_xi",)).H_xi


def Ht_xi(game: Game, theta) -> numpy.ndarray:
    """``Hᵀ ξ = ∇ ½‖ξ‖²``, shape ``(R, d)``."""
    return second_order(game, theta, ("Ht_xi",)).Ht_xi


def hessian(game: Game, theta) -> numpy.ndarray:
    """The dense game Hessian ``H = ∇ξ``, shape ``(R, d, d)`` (``H[r, a, b] = ∂ξ_a/∂θ_b``).

    Row ``a`` belongs to the player ``k`` who owns parameter ``a``: it is row ``a`` of the
    (symmetric) Hessian of ``L^k``, i.e. ``∇²L^k e_a``.  So ``d`` Hessian-vector products give all
    of H (:func:`hessian_and_first` says how): for small games and analysis only.
    """
    return hessian_and_first(game, theta)[0]


def hessian_and_first(game: Game, theta, method: str | None = None) -> tuple[numpy.ndarray, FirstOrder]:
    """:func:`hessian` and the :class:`FirstOrder` quantities.

    ``method`` as in :func:`second_order`: ``"copies"`` takes the ``d`` products in one stacked
    reverse-over-reverse pass (with the first-order quantities read off it); ``"blocks"`` (the
    default on JAX) takes block ``(k, j)`` of H as the mixed partials ``∂_j(∇_k L^k)·e_m`` for the
    ``d_j`` unit vectors of block ``j``, forward over reverse, one primal pass shared by all of them
    (:func:`sosverify._autodiff.jvps`; the IPD's H for CGD and LSS on JAX: 21 → 8 µs per run).
    """
    check_dense(game)
    theta = game.as_params(theta)
    runs, d = theta.shape
    method = _method(method, "the game Hessian")
    if method == "blocks":
        return _hessian_by_blocks(game, theta), first_order(game, theta)
    owner = [int(k) for k in game.masks.argmax(axis=0)]
    basis = numpy.repeat(numpy.eye(d, dtype=theta.dtype), runs, axis=0)  # e_a for every run, a = 0..d-1
    out, first = _hessian_products(game, theta, owner, lambda f: basis, None)
    return np.transpose(out, (1, 0, 2)), first


def _hessian_by_blocks(game: Game, theta):
    """The game Hessian ``(R, d, d)`` from mixed partials on the players' blocks (``method="blocks"``)."""
    runs = theta.shape[0]
    blocks = game.split(theta)
    rows = []
    for k in range(game.n_players):
        cols = []
        for j, d_j in enumerate(game.dims):
            # tangent m: the unit vector e_m of block j in every run; one primal pass for all d_j
            units = numpy.broadcast_to(numpy.eye(d_j, dtype=theta.dtype)[:, None, :], (d_j, runs, d_j))
            block = jvps(_gradient_of_block(game, blocks, k, k, j), blocks[j], units)  # (d_j, R, d_k)
            cols.append(np.transpose(block, (1, 2, 0)))  # (R, d_k, d_j): rows of ∇²L^k, column m
        rows.append(np.concatenate(cols, axis=2))
    return np.concatenate(rows, axis=1)


def off_diagonal(game: Game, H) -> numpy.ndarray:
    """``H_o``: ``H`` with its diagonal (own-player) blocks set to zero."""
    same = game.masks.T @ game.masks  # 1 where row and column belong to the same player
    return H * (1.0 - same)


def diagonal_blocks(game: Game, H) -> numpy.ndarray:
    """``H_d``: the diagonal (own-player) blocks of ``H``."""
    same = game.masks.T @ game.masks
    return H * same


