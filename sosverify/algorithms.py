"""The learning rules of SPEC §2, one pure function each, and a registry by name.

Every rule maps ``(game, theta, alpha, **hyperparameters)`` to a
:class:`Direction`; the update is ``θ ← θ − α · direction`` for every player
(one learning rate).  All quantities are per run: ``theta`` is ``(R, d)`` and
SOS's ``p``, SGA's ``λ`` and every norm are computed row by row.

The rules that predict the players' next step (LA, LOLA, p-LOLA, SOS, EG: ``predicts`` in the
registry) also take ``alpha`` as an array ``(R, d)``: a per-coordinate step, the others'
step predicted as ``α ⊙ ξ`` (:func:`sosverify.derivatives.second_order`'s ``scale``).  This is
an extension beyond the paper, for a rule run under an optimiser whose step is not ``α ξ``
(the GAN's RMSProp: ``sosverify.gan.train``'s predicted-step mode); a scalar ``α`` is the paper's rule.

Note: the paper's "LookAhead" (Zhang & Lesser, 2010) is not the optimiser of
the same name in Optax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy

from sosverify import derivatives as D
from sosverify._autodiff import invertible as _invertible
from sosverify._autodiff import np
from sosverify._autodiff import solve_or_nan as _solve_or_nan
from sosverify.errors import SosverifyError, unknown_name
from sosverify.game import Game
from sosverify.settings import Setting, as_settings, resolve
from sosverify.symbolic import rules as R

# Each rule's settings, declared once: defaults, ranges, help and command-line flags come from here.
SOS_A = Setting("a", 0.5, "SOS's a", low=0.0, high=1.0)
SOS_B = Setting("b", 0.1, "SOS's b", low=0.0, high=1.0)
PLOLA_P = Setting("p", 0.5, "p-LOLA's fixed p", low=0.0, high=1.0, low_closed=True, high_closed=True)
CO_GAMMA = Setting("gamma", 1.0, "CO's gamma", low=0.0, low_closed=True)
SGA_EPS = Setting("eps", 0.1, "SGA's epsilon", low=0.0)
LSS_LAM = Setting("lam", 0.1, "LSS's regulariser lam", low=0.0, low_closed=True)


class Direction(NamedTuple):
    """An update direction and what was computed on the way.

    ``direction`` ``(R, d)``; ``losses`` ``(n, R)`` and ``xi`` ``(R, d)`` at the
    current parameters; ``diagnostics`` maps a name (``p``, ``lambda``) to an
    ``(R,)`` array.
    """

    direction: numpy.ndarray
    losses: numpy.ndarray
    xi: numpy.ndarray
    diagnostics: dict


def _rowdot(u, v):
    return np.einsum("rd,rd->r", u, v)


def _per_coordinate(alpha) -> bool:
    """Whether ``alpha`` is a per-coordinate step array ``(R, d)`` rather than one number."""
    return numpy.ndim(alpha) > 0


def _shaped(game: Game, theta, alpha, terms) -> tuple:
    """``first`` and ``{term: α·term}`` for ``H_o_xi``/``chi``: ``α H_o ξ`` and ``α χ`` for a number
    ``α``, ``H_o(α ⊙ ξ)`` and ``χ^α`` for a per-coordinate step array."""
    if _per_coordinate(alpha):
        s = D.second_order(game, theta, terms, scale=alpha)
        return s.first, {t: getattr(s, t) for t in terms}
    s = D.second_order(game, theta, terms)
    return s.first, {t: alpha * getattr(s, t) for t in terms}


def naive(game: Game, theta, *, alpha: float) -> Direction:
    """NL, naive simultaneous gradient descent: direction ``ξ`` (§2.1).

    >>> from sosverify.games import tandem
    >>> naive(tandem(), numpy.array([[0.0, 0.0]]), alpha=0.1).direction
    array([[-2., -2.]])
    """
    f = D.first_order(game, theta)
    return Direction(f.xi, f.losses, f.xi, {})


def lookahead(game: Game, theta, *, alpha: float) -> Direction:
    """LA (LookAhead): ``ξ_0 = (I − αH_o) ξ`` (§3.1).

    Each player differentiates through the others' *next* parameters but
    treats the others' gradients as constant (``stop``).

    >>> from sosverify.games import tandem
    >>> lookahead(tandem(), numpy.array([[0.0, 0.0]]), alpha=0.1).direction
    array([[-1.6, -1.6]])
    """
    f, shaped = _shaped(game, theta, alpha, ("H_o_xi",))
    return Direction(f.xi - shaped["H_o_xi"], f.losses, f.xi, {})


def p_lola(game: Game, theta, *, alpha: float, p: float) -> Direction:
    """p-LOLA: ``ξ_p = (I − αH_o) ξ − p α χ`` with fixed ``p ∈ [0, 1]`` (§3.2).

    ``p = 0`` is LA and ``p = 1`` is LOLA.

    >>> from sosverify.games import tandem
    >>> p_lola(tandem(), numpy.array([[0.0, 0.0]]), alpha=0.1, p=0.5).direction
    array([[-1.6, -1.6]])
    """
    PLOLA_P.check(p)
    if _per_coordinate(alpha):
        f, shaped = _shaped(game, theta, alpha, ("H_o_xi", "chi"))
        return Direction(f.xi - shaped["H_o_xi"] - p * shaped["chi"], f.losses, f.xi, {})
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    f = s.first
    return Direction(f.xi - alpha * s.H_o_xi - p * alpha * s.chi, f.losses, f.xi, {})


def lola(game: Game, theta, *, alpha: float) -> Direction:
    """LOLA: ``(I − αH_o) ξ − α χ`` (Proposition 1 / B.1; Foerster et al., 2018).

    The gradient of each player's first-order Taylor objective
    ``L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩``.

    >>> from sosverify.games import tandem
    >>> lola(tandem(), numpy.array([[0.5, 0.5]]), alpha=0.1).direction
    array([[-0.4, -0.4]])
    """
    return p_lola(game, theta, alpha=alpha, p=1.0)


def sos_p_parts(xi_, xi_0, chi_, *, alpha: float, a: float, b: float):
    """SOS's two criteria per run, ``(p1, p2)`` (Algorithm 1, with ``≥`` in the first test).

    ``p1 = 1`` if ``⟨−αχ, ξ_0⟩ ≥ 0`` else ``min(1, −a‖ξ_0‖² / ⟨−αχ, ξ_0⟩)`` (the alignment
    criterion: ``⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖²``); ``p2 = ‖ξ‖²`` if ``‖ξ‖ < b`` else 1 (the
    convergence criterion).  The paper's Algorithm 1 writes ``> 0`` in the first test, which
    divides by zero when ``⟨−αχ, ξ_0⟩ = 0``; its text (§3.2) has ``≥``.
    """
    dot = _rowdot(-alpha * chi_, xi_0)
    negative = dot < 0
    safe = np.where(negative, dot, -1.0)
    p1 = np.where(negative, np.minimum(1.0, -a * _rowdot(xi_0, xi_0) / safe), 1.0)
    sq = _rowdot(xi_, xi_)
    p2 = np.where(np.sqrt(sq) < b, sq, 1.0)
    return p1, p2


def sos_p(xi_, xi_0, chi_, *, alpha: float, a: float, b: float) -> numpy.ndarray:
    """SOS's per-run ``p = min(p1, p2)`` from :func:`sos_p_parts` (Algorithm 1)."""
    p1, p2 = sos_p_parts(xi_, xi_0, chi_, alpha=alpha, a=a, b=b)
    return np.minimum(p1, p2)


def sos(game: Game, theta, *, alpha: float, a: float = SOS_A.default, b: float = SOS_B.default) -> Direction:
    """SOS (Stable Opponent Shaping): ``ξ_p = ξ_0 − p α χ`` with ``p`` from :func:`sos_p` (§3.2, Alg. 1).

    Guarantees ``⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖²`` and ``p → 0`` near fixed points.
    Diagnostic: ``p`` per run.

    >>> from sosverify.games import tandem
    >>> sos(tandem(), numpy.array([[0.5, 0.5]]), alpha=0.1, a=0.5, b=0.5).diagnostics["p"]
    array([0.])
    """
    SOS_A.check(a)
    SOS_B.check(b)
    if _per_coordinate(alpha):  # the predicted-step extension: α χ is χ^α, and p's test uses it
        f, shaped = _shaped(game, theta, alpha, ("H_o_xi", "chi"))
        xi_0 = f.xi - shaped["H_o_xi"]
        p = sos_p(f.xi, xi_0, shaped["chi"], alpha=1.0, a=a, b=b)
        return Direction(xi_0 - p[:, None] * shaped["chi"], f.losses, f.xi, {"p": p})
    s = D.second_order(game, theta, ("H_o_xi", "chi"))
    f = s.first
    xi_0 = f.xi - alpha * s.H_o_xi
    p = sos_p(f.xi, xi_0, s.chi, alpha=alpha, a=a, b=b)
    return Direction(xi_0 - (p * alpha)[:, None] * s.chi, f.losses, f.xi, {"p": p})


def consensus(game: Game, theta, *, alpha: float, gamma: float = CO_GAMMA.default) -> Direction:
    """CO (consensus optimisation): ``ξ + γ Hᵀξ`` (Mescheder et al., 2017).

    >>> from sosverify.games import tandem
    >>> consensus(tandem(), numpy.array([[0.0, 0.0]]), alpha=0.1, gamma=1.0).direction
    array([[-10., -10.]])
    """
    CO_GAMMA.check(gamma)
    s = D.second_order(game, theta, ("Ht_xi",))
    f = s.first
    return Direction(f.xi + gamma * s.Ht_xi, f.losses, f.xi, {})


def sga(game: Game, theta, *, alpha: float, eps: float = SGA_EPS.default) -> Direction:
    """SGA with alignment: ``ξ + λ Aᵀξ`` (Balduzzi et al., 2018).

    ``Aᵀξ = (Hᵀξ − Hξ)/2``, ``λ = sign(⟨ξ, Hᵀξ⟩⟨Aᵀξ, Hᵀξ⟩ / d + ε)`` per run.
    Diagnostic: ``lambda`` per run.

    >>> from sosverify.games import cyclic
    >>> sga(cyclic(), numpy.array([[1.0, 1.0]]), alpha=0.1).direction
    array([[2., 0.]])
    """
    SGA_EPS.check(eps)
    s = D.second_order(game, theta, ("H_xi", "Ht_xi"))
    f = s.first
    a_xi = 0.5 * (s.Ht_xi - s.H_xi)
    lam = np.sign(_rowdot(f.xi, s.Ht_xi) * _rowdot(a_xi, s.Ht_xi) / game.dim + eps)
    return Direction(f.xi + lam[:, None] * a_xi, f.losses, f.xi, {"lambda": lam})


def extragradient(game: Game, theta, *, alpha: float) -> Direction:
    """EG (extragradient): ``ξ`` evaluated at ``θ − αξ(θ)`` (Korpelevich, 1976).

    >>> from sosverify.games import tandem
    >>> extragradient(tandem(), numpy.array([[0.0, 0.0]]), alpha=0.1).direction
    array([[-1.2, -1.2]])
    """
    f = D.first_order(game, theta)
    ahead = D.xi(game, game.as_params(theta) - alpha * f.xi)
    return Direction(ahead, f.losses, f.xi, {})


def cgd(game: Game, theta, *, alpha: float) -> Direction:
    """CGD (competitive gradient descent): ``(I + αH_o)^{-1} ξ`` (Schäfer & Anandkumar, 2019).

    Forms the dense ``H_o`` and solves a ``d × d`` system per run: for small
    games.

    >>> from sosverify.games import cyclic
    >>> cgd(cyclic(), numpy.array([[1.0, 0.0]]), alpha=1.0).direction
    array([[ 0.5, -0.5]])
    """
    H, f = D.hessian_and_first(game, theta)
    H_o = D.off_diagonal(game, H)
    A = np.eye(game.dim, dtype=H_o.dtype) + alpha * H_o
    return Direction(_solve_or_nan(A, f.xi), f.losses, f.xi, {})


def lss(game: Game, theta, *, alpha: float, lam: float = LSS_LAM.default) -> Direction:
    """LSS (local symplectic surgery): ``½ (ξ + Hᵀ H^{-1} ξ)`` (Mazumdar et al., 2019).

    As in the reference implementation, ``H^{-1}ξ`` is an exact solve, and only where ``H`` is
    singular (``det H = 0``, per run) the Tikhonov-regularised ``(HᵀH + λI)^{-1} Hᵀ ξ`` replaces it.
    Forms the dense ``H`` and solves per run: for small games.

    >>> from sosverify.games import cyclic
    >>> lss(cyclic(), numpy.array([[1.0, 0.0]]), alpha=0.1).direction
    array([[0., 0.]])
    """
    LSS_LAM.check(lam)
    H, f = D.hessian_and_first(game, theta)
    Ht = np.swapaxes(H, 1, 2)
    singular = ~_invertible(H)  # exactly singular, or not finite
    exact = _solve_or_nan(H, f.xi)
    regularised = _solve_or_nan(Ht @ H + lam * np.eye(game.dim, dtype=H.dtype), (Ht @ f.xi[:, :, None])[:, :, 0])
    w = np.where(singular[:, None], regularised, exact)
    return Direction(0.5 * (f.xi + (Ht @ w[:, :, None])[:, :, 0]), f.losses, f.xi, {})


# The properties sosverify.audit judges (it also observes "paper-games"); each rule's record states them
PROPERTIES = ("consistency", "convergence", "saddles", "reduction", "alignment")


@dataclass(frozen=True)
class Algorithm:
    """A rule's one record: the function and everything the rest of the house needs to know of it.

    A rule joins by being registered (:func:`register`): the shared suite (shape, batching,
    determinism, agreement with ``exact``), ``audit``, ``run``, ``sosverify algorithms`` and the
    theorems' tests read these fields and nothing else.

    - ``settings``: a tuple of :class:`~sosverify.settings.Setting` (default, range, help, flag) or,
      for a quick rule of one's own, a ``{name: default}`` mapping (any finite value allowed).
    - ``diagnostics``: the names of the per-run values the rule reports (SOS's ``p``).
    - ``dense``: forms the dense d × d game Hessian (refused above ``derivatives.DENSE_LIMIT``).
    - ``predicts``: α inside the direction is a predicted step (LA, LOLA, p-LOLA, SOS, EG): the GAN's
      shaping α applies, and α may be a per-coordinate step array ``(R, d)``.
    - ``exact``: the rule's formula evaluated exactly by the symbolic layer at a point
      (:mod:`sosverify.symbolic.rules`), or ``None`` if it has none.
    - ``properties``: the audit's verdict on each of :data:`PROPERTIES`, ``"holds"`` or ``"fails"``,
      as the paper and the rule's literature state it (empty: not stated).
    - ``fixed_point_p``: ``None`` if the rule leaves fixed points fixed (§3.1); otherwise its
      direction at a fixed point is ``−p α χ`` with ``p = fixed_point_p(settings)`` (LOLA: 1).
    - ``scaling``: how the settings move when ``L → cL`` and ``α → α/c`` so that the direction
      scales by ``c`` (``{setting: (value, c) -> value}``; empty: none moves), or, as a string, why
      the rule is not scale-equivariant.
    """

    name: str
    fn: Callable[..., Direction]
    settings: tuple | dict = ()  # Settings, or {name: default} (normalised to a tuple of Settings)
    description: str = ""
    diagnostics: tuple = ()
    dense: bool = False
    predicts: bool = False
    exact: Callable | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    fixed_point_p: Callable[[dict], float] | None = None
    scaling: Mapping[str, Callable] | str = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "settings", as_settings(self.settings))
        if not callable(self.fn):
            raise SosverifyError(f"rule {self.name!r}: fn must be a function (game, theta, *, alpha, ...)")
        wrong = {k: v for k, v in self.properties.items() if k not in PROPERTIES or v not in ("holds", "fails")}
        if wrong:
            raise SosverifyError(f"rule {self.name!r}: properties must map some of {', '.join(PROPERTIES)} "
                                 f"to 'holds' or 'fails', got {wrong}")
        if not isinstance(self.scaling, str):
            unknown = sorted(set(self.scaling) - {s.name for s in self.settings})
            if unknown:
                raise SosverifyError(f"rule {self.name!r}: scaling names {unknown}, which are not its settings")

    @property
    def defaults(self) -> dict:
        """``{name: default}`` of every setting."""
        return {s.name: s.default for s in self.settings}

    @property
    def complete(self) -> list:
        """What this record does not state (empty for every built-in rule): ``exact``, and each property."""
        missing = [] if self.exact is not None else ["exact"]
        return missing + [p for p in PROPERTIES if p not in self.properties]


def _holds(*failing) -> dict:
    """``{property: "holds" | "fails"}`` over :data:`PROPERTIES`, failing the named ones."""
    return {p: "fails" if p in failing else "holds" for p in PROPERTIES}


# Each rule's ``properties``: what the theory says (H the game Hessian, H_o its off-diagonal blocks,
# χ LOLA's extra term); tests/test_audit.py checks the audit finds exactly this on drawn games.
# consistency: the direction vanishes wherever ξ does — all but LOLA and p-LOLA, whose −pαχ does not
# (§3.1).  convergence at stable fixed points for small α: the map's Jacobian is I − αM with M = H
# (NL: fails on the cyclic game, whose H has eigenvalues ±i), (I − αH_o)H (LA, SOS: Theorem 4),
# H + γHᵀH (CO), ½(H + HᵀH⁻¹H) (LSS: 0 on the cyclic game, built for local Nash only); LOLA and
# p-LOLA move off the shaped fixed points.  saddles: an eigenvalue of modulus > 1 at strict saddles
# (Theorem 6 for LA, SOS; CO's HᵀH term can make the common saddle L1 = L2 = xy attracting; SGA's
# (I + Aᵀ)H is positive stable at the three-player cycle L1 = xy, L2 = yz, L3 = zx, whose H has
# eigenvalues 1, e^{±2πi/3}: near a fixed point ξ → 0 and alignment's λ is sign(ε) = +1, so it cannot
# flip to escape).  reduction: α = 0 gives ξ for the rules whose correction is scaled by α (CO's γ,
# SGA's λ and LSS's surgery are not).  alignment: ⟨direction, ξ⟩ ≥ 0 near fixed points (CO's γξᵀHξ is
# negative near a saddle; LOLA's −α⟨χ, ξ⟩ is of order ‖ξ‖ where χ ≠ 0 at the fixed point, and beats
# ‖ξ‖² close enough to it; LSS's ½ξᵀHᵀH⁻¹ξ = ½δᵀ(H²)ᵀδ at offset δ is negative where H² is
# indefinite, e.g. H with eigenvalues near the imaginary axis).
ALGORITHMS: dict[str, Algorithm] = {}


def register(algorithm: Algorithm) -> Algorithm:
    """Add a rule to the registry (its name must be new); returns it.

    From then on ``run``, ``audit``, the command line (``--algo``, ``sosverify algorithms``) and the
    shared test suite take it by name.  :func:`unregister` takes it out again.
    """
    if not isinstance(algorithm, Algorithm):
        raise SosverifyError(f"register takes an Algorithm record, got {type(algorithm).__name__}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", str(algorithm.name)):
        raise SosverifyError("a registered rule's name is lower-case letters, digits, '_', '.' and '-' "
                             f"(it is given as --algo NAME), got {algorithm.name!r}")
    if algorithm.name in ALGORITHMS:
        raise SosverifyError(f"a rule named {algorithm.name!r} is already registered")
    ALGORITHMS[algorithm.name] = algorithm
    return algorithm


def unregister(name: str) -> None:
    """Take a rule registered with :func:`register` out of the registry (built-in rules stay)."""
    if name in BUILT_IN:
        raise SosverifyError(f"{name!r} is a built-in rule and stays registered")
    ALGORITHMS.pop(name, None)


for _a in [
    Algorithm("nl", naive, {}, "naive simultaneous gradient descent: xi", exact=R.nl,
              properties=_holds("convergence")),
    Algorithm("la", lookahead, {}, "LookAhead: (I - alpha H_o) xi", predicts=True, exact=R.la,
              properties=_holds()),
    Algorithm("lola", lola, {}, "LOLA: (I - alpha H_o) xi - alpha chi", predicts=True, exact=R.lola,
              properties=_holds("consistency", "convergence", "alignment"), fixed_point_p=lambda s: 1.0),
    Algorithm("plola", p_lola, (PLOLA_P,), "p-LOLA: (I - alpha H_o) xi - p alpha chi, fixed p in [0,1]",
              predicts=True, exact=R.plola, properties=_holds("consistency", "convergence", "alignment"),
              fixed_point_p=lambda s: s["p"]),
    Algorithm("sos", sos, (SOS_A, SOS_B), "Stable Opponent Shaping: p-LOLA with p chosen per step", ("p",),
              predicts=True, exact=R.sos, properties=_holds(),
              scaling="p2 compares ‖ξ‖ with the fixed b and is ‖ξ‖², not scale-free"),
    Algorithm("co", consensus, (CO_GAMMA,), "consensus optimisation: xi + gamma H^T xi", exact=R.co,
              properties=_holds("saddles", "reduction", "alignment"), scaling={"gamma": lambda g, c: g / c}),
    Algorithm("sga", sga, (SGA_EPS,), "symplectic gradient adjustment with alignment: xi + lambda A^T xi",
              ("lambda",), exact=R.sga, properties=_holds("saddles", "reduction"),
              scaling="λ's sign compares ⟨ξ,Hᵀξ⟩⟨Aᵀξ,Hᵀξ⟩/d (degree 4 in c) with the fixed ε"),
    Algorithm("eg", extragradient, {}, "extragradient: xi at theta - alpha xi", predicts=True, exact=R.eg,
              properties=_holds()),
    Algorithm("cgd", cgd, {}, "competitive gradient descent: (I + alpha H_o)^-1 xi (dense solve)",
              dense=True, exact=R.cgd, properties=_holds()),
    Algorithm("lss", lss, (LSS_LAM,), "local symplectic surgery: (xi + H^T H^-1 xi)/2, regularised where H is singular (dense)",
              dense=True, exact=R.lss, properties=_holds("convergence", "reduction", "alignment"),
              scaling={"lam": lambda lam, c: lam * c * c}),  # (c²HᵀH + c²λ)⁻¹ cHᵀ cξ = (HᵀH + λ)⁻¹Hᵀξ
]:
    register(_a)
BUILT_IN = tuple(ALGORITHMS)


def get_algorithm(name: str) -> Algorithm:
    """The registry entry for ``name`` (case-insensitive)."""
    key = name.lower()
    if key not in ALGORITHMS:
        raise unknown_name("algorithm", name, ALGORITHMS)
    return ALGORITHMS[key]


def hyperparameters(algorithm: Algorithm, given: dict) -> dict:
    """The algorithm's settings: each default, or the given value checked against its range.

    Entries of ``given`` that are ``None`` count as not given; a name the algorithm does not
    take is an error (see :func:`hyperparameters_for` for a mapping shared by several rules).
    """
    return resolve(as_settings(algorithm.settings), given, f"algorithm {algorithm.name!r}")


def hyperparameters_for(algorithm: Algorithm, shared: dict) -> dict:
    """The algorithm's settings from a mapping shared by several rules (``{"a": .., "gamma": ..}``)."""
    return hyperparameters(algorithm, {k: v for k, v in shared.items() if k in algorithm.defaults})


def check_shared(algos, shared: dict) -> None:
    """A mapping shared by several rules names only settings some of them take."""
    names = {s.name for a in algos for s in get_algorithm(a).settings}
    unknown = sorted(k for k, v in (shared or {}).items() if v is not None and k not in names)
    if unknown:
        raise SosverifyError(f"no chosen rule ({', '.join(algos)}) takes the setting {', '.join(unknown)}; "
                             f"they take: {', '.join(sorted(names)) or 'none'}")


def all_settings() -> dict:
    """``{flag: [(algorithm, Setting), ...]}`` over the registry, for the command line."""
    out: dict = {}
    for algo in ALGORITHMS.values():
        for s in algo.settings:
            out.setdefault(s.option, []).append((algo.name, s))
    return out


def probe_rule(game, algo, theta0, alpha, hyper) -> None:
    """Run a user's rule once on up to two runs and check it returns a ``Direction`` of the right
    shapes (a wrong shape would otherwise be broadcast: every player moving by player 1's ξ).
    The registered rules are not probed: they are tested, and a probe step would cost one more
    evaluation of the game."""
    if ALGORITHMS.get(algo.name) is algo:
        return

    theta = numpy.nan_to_num(game.as_params(theta0[:2]))
    bound = game.draw(numpy.random.default_rng(0), theta.shape[0]) if game.draws_data else game
    try:
        with numpy.errstate(all="ignore"):
            out = algo.fn(bound, theta, alpha=alpha, **hyper)
    except SosverifyError:
        raise
    except Exception as exc:
        raise SosverifyError(f"algorithm {algo.name!r} failed on a first step: {type(exc).__name__}: {exc}"[:300]) \
            from None
    if not isinstance(out, Direction):
        raise SosverifyError(f"algorithm {algo.name!r} returned {type(out).__name__}; a rule must return a "
                             "Direction(direction, losses, xi, diagnostics)")
    r, d = theta.shape
    for part, shape in (("direction", (r, d)), ("xi", (r, d)), ("losses", (game.n_players, r))):
        got = numpy.shape(getattr(out, part))
        if got != shape:
            raise SosverifyError(f"algorithm {algo.name!r} returned a {part} of shape {got} for {r} runs of "
                                 f"{d} parameters; expected {shape}")
    missing = set(algo.diagnostics) - set(out.diagnostics or {})
    if missing:
        raise SosverifyError(f"algorithm {algo.name!r} declares diagnostics {', '.join(sorted(missing))} "
                             "but does not return them")
