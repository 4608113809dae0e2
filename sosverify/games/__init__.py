"""Built-in games of the paper (SPEC §3) and a registry of them by name.

Each constructor returns a :class:`~sosverify.game.Game`; losses are written
with autograd's NumPy over a leading runs axis.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable

import numpy

from sosverify._autodiff import bsolve, np, sigmoid, take
from sosverify.errors import SosverifyError
from sosverify.game import Game
from sosverify.games.paper import REMARK_D5_H
from sosverify.settings import Setting
from sosverify.validation import name_in, plain_numbers


def tandem() -> Game:
    """Tandem (Example 2): ``L1 = (x+y)² − 2x``, ``L2 = (x+y)² − 2y``.

    Stable fixed points: the line ``x + y = 1``.  LOLA's fixed points:
    ``x + y = (1 − 2α)/(1 − 4α)`` (Appendix C).
    """
    def losses(p):
        x, y = p[0][:, 0], p[1][:, 0]
        return [(x + y) ** 2 - 2 * x, (x + y) ** 2 - 2 * y]
    return Game("tandem", (1, 1), losses, init_std=0.1,
                description="L1=(x+y)^2-2x, L2=(x+y)^2-2y; stable fixed points x+y=1 (Example 2)")


def cyclic() -> Game:
    """Cyclic zero-sum game (Example 1): ``L1 = xy``, ``L2 = −xy``; NL spirals out."""
    def losses(p):
        xy = p[0][:, 0] * p[1][:, 0]
        return [xy, -xy]
    return Game("cyclic", (1, 1), losses,
                description="L1=xy, L2=-xy; NL scales x^2+y^2 by 1+alpha^2 each step (Example 1)")


def common_saddle() -> Game:
    """``L1 = L2 = xy`` (§2.2): the origin is a Nash equilibrium and a strict saddle."""
    def losses(p):
        xy = p[0][:, 0] * p[1][:, 0]
        return [xy, xy]
    return Game("common-saddle", (1, 1), losses,
                description="L1=L2=xy; the origin is Nash yet a strict saddle (§2.2)")


def single_loss() -> Game:
    """One player, ``L = y²`` over ``(x, y)`` (Appendix A): GD stops at ``(x0, 0)``."""
    def losses(p):
        return [p[0][:, 1] ** 2]
    return Game("single-loss", (2,), losses,
                description="one player, L=y^2 over (x,y); GD converges to (x0,0) (Appendix A)")


def matching_pennies() -> Game:
    """Matching pennies: ``p_i = σ(θ_i)``, ``L1 = [p1, 1−p1] M [p2, 1−p2]ᵀ``, ``L2 = −L1``.

    With ``M = [[1, −1], [−1, 1]]`` this is ``L1 = (2p1 − 1)(2p2 − 1)``; the unique
    equilibrium is ``p1 = p2 = ½``.
    """
    def losses(p):
        p1, p2 = sigmoid(p[0][:, 0]), sigmoid(p[1][:, 0])
        l1 = (2 * p1 - 1) * (2 * p2 - 1)
        return [l1, -l1]
    return Game("matching-pennies", (1, 1), losses,
                description="p_i=sigmoid(theta_i), L1=(2p1-1)(2p2-1)=-L2; equilibrium at (1/2,1/2)")


IPD_PAYOFFS = ((1.0, 3.0, 0.0, 2.0), (1.0, 0.0, 3.0, 2.0))
# c * SIGN + ONE_HOT = (c, 1 − c) along axis 1 (player 1's action) or axis 2 (player 2's),
# for arrays shaped (states, 1, 1, runs).
_SIGN_ROW, _ONE_HOT_ROW = numpy.array([1.0, -1.0])[:, None, None], numpy.array([0.0, 1.0])[:, None, None]
_SIGN_COL, _ONE_HOT_COL = numpy.array([1.0, -1.0])[None, :, None], numpy.array([0.0, 1.0])[None, :, None]


IPD_DISCOUNT = Setting("gamma", 0.96, "the IPD's discount gamma", low=0.0, high=1.0, flag="discount")


def ipd(gamma: float = IPD_DISCOUNT.default, payoffs=IPD_PAYOFFS) -> Game:
    """Exact iterated prisoner's dilemma with discount ``γ`` (SPEC §3).

    Each player has 5 logits (start, CC, CD, DC, DD); ``σ(logit)`` is the
    probability of cooperating.  With ``p0`` the first joint action's
    distribution and ``P`` the 4×4 transition matrix over (CC, CD, DC, DD),
    ``L^i = p0ᵀ (I − γP)^{-1} r_i``.  Learning uses this ``L``; reports use
    ``(1 − γ) L`` (mutual defection 2, mutual cooperation 1).
    """
    gamma = float(IPD_DISCOUNT.check(gamma))  # a number here (the discount takes no word)
    r = numpy.asarray(payoffs, dtype=float)
    if r.shape != (2, 4) or not numpy.all(numpy.isfinite(r)):
        raise SosverifyError(f"IPD payoffs must be two finite rows of 4 (CC, CD, DC, DD), got shape {r.shape}")
    eye = numpy.eye(4)[:, :, None]

    def losses(p):
        runs = p[0].shape[0]
        # Runs on the last axis (every inner loop over R).  c_i[s, 0, 0, r]: probability that
        # player i cooperates in state s = start, CC, CD, DC, DD.
        c1 = np.reshape(sigmoid(np.transpose(p[0])), (5, 1, 1, runs))
        c2 = np.reshape(sigmoid(np.transpose(p[1])), (5, 1, 1, runs))
        # joint[s, a1·2 + a2, r] = P(player 1 plays a1) P(player 2 plays a2); action 0 = C, 1 = D,
        # so the second axis runs over the joint actions CC, CD, DC, DD.
        u1, u2 = c1 * _SIGN_ROW + _ONE_HOT_ROW, c2 * _SIGN_COL + _ONE_HOT_COL
        joint = np.reshape(u1 * u2, (5, 4, runs))
        p0, P = take(joint, 0, 1, axis=0), take(joint, 1, 5, axis=0)  # (1, 4, R), (4, 4, R)
        # L^i = p0ᵀ (I − γP)^{-1} r_i for both players at once: x = (I − γP)^{-T} p0, (4, R)
        x = bsolve(np.swapaxes(eye - gamma * P, 0, 1), np.reshape(p0, (4, runs)))
        return np.dot(r, x)

    return Game("ipd", (5, 5), losses, report_scale=1.0 - gamma, init_std=1.0,
                params={"gamma": gamma, "payoffs": r.tolist()},
                description="exact iterated prisoner's dilemma, 5 logits per player (§5, Figure 2)")


def linear(H, dims=None, name: str = "linear") -> Game:
    """The constant-Jacobian game with ``ξ(θ) = Hθ`` for a square matrix ``H``.

    ``L^i = ½ θ_iᵀ H_ii θ_i + Σ_{j≠i} θ_iᵀ H_ij θ_j``.  The diagonal blocks
    ``H_ii`` are Hessians of the players' own losses, so they must be symmetric.
    ``dims`` defaults to one parameter per player.
    """
    H = numpy.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.shape[0] == 0:
        raise SosverifyError(f"linear game needs a square matrix H, got shape {H.shape}")
    if not numpy.all(numpy.isfinite(H)):
        raise SosverifyError("linear game: H must be finite")
    dims = tuple([1] * H.shape[0] if dims is None else dims)
    if sum(dims) != H.shape[0] or any(int(d) < 1 for d in dims):
        raise SosverifyError(f"linear game: block sizes {dims} must be positive and sum to {H.shape[0]}")
    ends = numpy.cumsum((0,) + dims)
    blocks = [slice(int(a), int(b)) for a, b in zip(ends[:-1], ends[1:])]
    for i, s in enumerate(blocks):
        if not numpy.allclose(H[s, s], H[s, s].T, rtol=0, atol=0):
            raise SosverifyError(
                f"linear game: diagonal block H_{i + 1}{i + 1} must be symmetric (it is the Hessian "
                "of the player's own loss)")
    coef = []  # player i's rows of H, own block halved: ∇_i L^i = H_ii θ_i + Σ_{j≠i} H_ij θ_j
    for s in blocks:
        c = H[s].copy()
        c[:, s] *= 0.5
        coef.append(c)

    def losses(p):
        theta = np.concatenate(p, axis=1)
        return [np.sum(theta[:, s] * np.dot(theta, c.T), axis=1) for s, c in zip(blocks, coef)]

    return Game(name, dims, losses, params={"H": H.tolist(), "dims": list(dims)},
                description="constant-Jacobian game xi(theta)=H theta")


def remark_d5() -> Game:
    """Remark D.5's 4-player game: ``ξ = Hθ`` with the matrix of SPEC §3."""
    g = linear(REMARK_D5_H, name="remark-d5")
    return Game(g.name, g.dims, g.loss_fn, params=g.params,
                description="4 players, xi=H theta with Remark D.5's matrix; (I-aH_o)H stable, not PD")


def gmm(**spec) -> Game:
    """The Gaussian-mixture GAN (§5, Figures 4–7); see :func:`sosverify.gan.gmm_gan` for its settings."""
    from sosverify.games.gmm import gmm_gan

    return gmm_gan(**spec)


GAMES: dict[str, Callable[..., Game]] = {
    "tandem": tandem,
    "cyclic": cyclic,
    "common-saddle": common_saddle,
    "single-loss": single_loss,
    "matching-pennies": matching_pennies,
    "ipd": ipd,
    "remark-d5": remark_d5,
    "gmm": gmm,
}


# Each built-in game's numeric settings, declared once (flags and checks come from here).
GAME_SETTINGS: dict[str, tuple] = {"ipd": (IPD_DISCOUNT,)}


def get_game(name, **params) -> Game:
    """Build the built-in game ``name`` (with its settings, e.g. ``gamma`` for the IPD); a path ending
    in ``.nfg`` or a sequence of payoff arrays is a normal-form game (:mod:`sosverify.games.normal_form`)."""
    if isinstance(name, os.PathLike) or isinstance(name, str) and name.lower().endswith(".nfg"):
        from sosverify.games.normal_form import read_nfg

        if params:
            raise SosverifyError(f"a game read from a file takes no settings, got {', '.join(sorted(params))}")
        return read_nfg(name).game()
    if isinstance(name, (list, tuple)) and name and not any(isinstance(u, str) for u in name):
        from sosverify.games.normal_form import from_payoffs

        return from_payoffs(*name, **params)
    name_in("game", name, GAMES)  # a name, or one line (a list of names is not hashed, a number not called)
    params = plain_numbers(params)
    accepted = inspect.signature(GAMES[name]).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    unknown = sorted(k for k in params if k not in accepted and not takes_any)
    if unknown:
        raise SosverifyError(f"game {name!r} takes no setting {', '.join(unknown)}; it takes: "
                             f"{', '.join(accepted) or 'none'}")
    return GAMES[name](**params)
