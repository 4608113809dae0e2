"""Claims about LOLA, LookAhead and p-LOLA: Proposition 1, §3.1, §3.2."""

from __future__ import annotations

import numpy
import sympy

from sosverify import algorithms as A
from sosverify._autodiff import gradient, np, value_and_pullback
from sosverify.claims import derivations as D
from sosverify.claims.base import Evidence
from sosverify.claims.examples import tandem, x, y
from sosverify.claims.generic import random_polynomial_game
from sosverify.games import get_game, linear
from sosverify.symbolic import is_zero
from sosverify.symbolic.game import ALPHA, P, SymGame
from sosverify.symbolic.proof import Proof, ProofFailed


def taylor_lola_gradient(game, theta, alpha: float) -> numpy.ndarray:
    """∇_i of L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩, differentiated through everything (autograd)."""
    masks, n, runs = game.masks, game.n_players, theta.shape[0]
    out = numpy.zeros_like(theta)
    for i in range(n):
        def objective(t, i=i):
            value, pullback = value_and_pullback(game.losses, t)
            G = [pullback(numpy.eye(n)[k][:, None] * numpy.ones((1, runs))) for k in range(n)]
            shaping = sum(np.sum(G[i] * G[j] * masks[j]) for j in range(n) if j != i)
            return np.sum(value[i]) - alpha * shaping
        out += gradient(objective, numpy.asarray(theta, dtype=float)) * masks[i]
    return out


def _rules_from_objectives(ev: Evidence, what: str) -> None:
    """The general derivation (derivations.prove_rules_from_objectives) as one item of evidence."""
    pr = Proof("rules from their objectives", out=lambda line: None)
    try:
        D.prove_rules_from_objectives(pr)
        ev.expect(what, True, f"{pr.steps} steps, dimensions {D.DIMS_TEXT}")
    except ProofFailed as exc:
        ev.expect(what, False, str(exc))


def check_prop1_lola_vectorial() -> Evidence:
    ev = Evidence()
    _rules_from_objectives(ev, f"symbolic, general smooth losses L^i(θ), players of dimensions {D.DIMS_TEXT}: "
                               "∇_i of LOLA's Taylor objective L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩ (the p = 1 "
                               "objective, nothing stopped) − the project's LOLA (I − αH_o)ξ − αχ expands to 0")
    ev.note("LOLA of the tandem game", tandem().lola())
    rng = numpy.random.default_rng(11)
    worst = 0.0
    games = [get_game("ipd"), get_game("matching-pennies")]
    games += [random_polynomial_game(rng, dims, 3).numeric() for dims in ((1, 2), (2, 1, 2), (1, 1, 1, 1))]
    for game in games:
        theta = rng.normal(size=(8, game.dim))
        for alpha in (0.03, 0.5, 1.0):
            expected = taylor_lola_gradient(game, theta, alpha)
            got = A.lola(game, theta, alpha=alpha).direction
            worst = max(worst, float(numpy.max(numpy.abs(got - expected) / (1 + numpy.abs(expected)))))
    ev.expect(f"numeric: {len(games)} games (IPD, matching pennies, random cubic 2-, 3-, 4-player) × 8 points "
              "× 3 α: autograd gradient of the Taylor objective = LOLA rule, max relative error < 1e-9",
              worst < 1e-9, f"{worst:.2e}")
    return ev


def check_sec31_la_preserves_fp() -> Evidence:
    ev = Evidence()
    _rules_from_objectives(ev, f"symbolic, general smooth losses, dimensions {D.DIMS_TEXT}: ∇_i of L^i(θ_i, θ_{{-i}} + "
                               "⊥Δθ_{-i}) (the others' step stopped, §3.1) − the project's LA (I − αH_o)ξ expands to 0")
    g = SymGame.general((2, 1))
    at = {e: 0 for e in g.xi}
    ev.expect("general losses: where ξ = 0, the project's LA direction (I − αH_o)ξ is 0 (it is linear in ξ)",
              is_zero(g.lookahead().xreplace(at)))
    t = tandem()
    on_line = {x: 1 - y}
    la, lola = t.lookahead().subs(on_line), t.lola().subs(on_line)
    ev.expect("tandem, on the fixed line x + y = 1: LA direction = 0", is_zero(la), la)
    ev.expect("tandem, on the fixed line: LOLA direction = −αχ = −4α(1, 1) ≠ 0",
              is_zero(lola + 4 * ALPHA * sympy.ones(2, 1)), lola)
    rng = numpy.random.default_rng(5)
    moved_la = 0.0
    for _ in range(20):
        n = int(rng.integers(2, 5))
        game = linear(rng.integers(-4, 5, size=(n, n)).astype(float))
        zero = numpy.zeros((1, n))
        moved_la = max(moved_la, float(numpy.abs(A.lookahead(game, zero, alpha=0.3).direction).max()))
    tandem_fp = numpy.array([[0.3, 0.7], [-1.0, 2.0]])
    moved_tandem = float(numpy.abs(A.lookahead(get_game("tandem"), tandem_fp, alpha=0.3).direction).max())
    lola_tandem = float(numpy.abs(A.lola(get_game("tandem"), tandem_fp, alpha=0.3).direction).min())
    ev.expect("numeric: 20 random linear games at their fixed point θ = 0, and the tandem on its line: LA's direction "
              "exactly 0, LOLA's not (tandem: |LOLA| = 4α = 1.2)", moved_la == 0.0 and moved_tandem < 1e-15
              and abs(lola_tandem - 1.2) < 1e-12, f"max |LA| = {max(moved_la, moved_tandem):.1e}, min |LOLA| = {lola_tandem:.3g}")
    return ev


def check_sec32_plola() -> Evidence:
    ev = Evidence()
    _rules_from_objectives(ev, f"symbolic, general smooth losses, dimensions {D.DIMS_TEXT}: ∇_i of L^i(θ_i, θ_{{-i}} + "
                               "⊥^{1−p}Δθ_{-i}), ⊥^q = q⊥ + (1 − q)I, − the project's p-LOLA ξ_0 − pαχ expands to 0 "
                               "for symbolic p; at p = 0 it is LA, at p = 1 LOLA")
    t = tandem()
    on_line = t.p_lola(ALPHA, P).subs(x, 1 - y)
    ev.expect("fixed points are preserved only for p → 0: on the tandem's line ξ_p = −4pα(1, 1) (project's p-LOLA)",
              is_zero(on_line + 4 * P * ALPHA * sympy.ones(2, 1)), on_line)
    theta = numpy.array([[0.2, -0.7], [1.1, 0.4]])
    tg = get_game("tandem")
    la, lola = A.lookahead(tg, theta, alpha=0.3).direction, A.lola(tg, theta, alpha=0.3).direction
    worst = max(float(numpy.abs(A.p_lola(tg, theta, alpha=0.3, p=p).direction - ((1 - p) * la + p * lola)).max())
                for p in (0.0, 0.25, 0.5, 1.0))
    ev.expect("numeric: the project's p-LOLA is (1 − p)·LA + p·LOLA at p = 0, ¼, ½, 1 (tandem, error < 1e-12)",
              worst < 1e-12, f"{worst:.1e}")
    rng = numpy.random.default_rng(7)
    worst_gap, p_min, p_max, count, worst_dir = numpy.inf, 1.0, 0.0, 0, 0.0
    games = [get_game("ipd"), get_game("tandem"), get_game("matching-pennies"),
             random_polynomial_game(rng, (1, 2), 3).numeric()]
    for game in games:
        for a in (0.1, 0.5, 0.9):
            for b in (0.1, 0.5):
                for alpha in (0.05, 0.5, 1.0):
                    theta = rng.normal(size=(64, game.dim))
                    out = A.sos(game, theta, alpha=alpha, a=a, b=b)
                    xi_0 = A.lookahead(game, theta, alpha=alpha).direction
                    lhs = numpy.einsum("rd,rd->r", out.direction, xi_0)
                    rhs = (1 - a) * numpy.einsum("rd,rd->r", xi_0, xi_0)
                    worst_gap = min(worst_gap, float(numpy.min((lhs - rhs) / (1 + numpy.abs(rhs)))))
                    p = out.diagnostics["p"]
                    # SOS steps along the project's p-LOLA at its own p: ξ_p = (1 − p)·LA + p·LOLA (p-LOLA is affine
                    # in p, checked above at p = 0, ¼, ½, 1)
                    lola_dir = A.lola(game, theta, alpha=alpha).direction
                    ref = xi_0 + p[:, None] * (lola_dir - xi_0)
                    worst_dir = max(worst_dir, float(numpy.max(numpy.abs(out.direction - ref) / (1 + numpy.abs(ref)))))
                    p_min, p_max = min(p_min, float(p.min())), max(p_max, float(p.max()))
                    count += len(p)
    ev.expect(f"numeric: {count} SOS steps (4 games, a ∈ {{0.1, 0.5, 0.9}}, b ∈ {{0.1, 0.5}}, 3 α): "
              "⟨ξ_p, ξ_0⟩ − (1 − a)‖ξ_0‖² ≥ −1e-12 (relative)", worst_gap >= -1e-12, f"min = {worst_gap:.3g}")
    ev.expect("SOS's direction is the project's p-LOLA ξ_0 − pαχ at SOS's own p (every step, rel. error < 1e-12)",
              worst_dir < 1e-12, f"{worst_dir:.1e}")
    s_ = 1 - 0.6 / (2 * numpy.sqrt(2))  # tandem point on x = y with ‖ξ‖ = 0.6; there ⟨−αχ, ξ_0⟩ ≥ 0, so p1 = 1
    s2 = 1 - 0.42 / (2 * numpy.sqrt(2))  # ‖ξ‖ = 0.42
    pts = numpy.array([[s_ / 2, s_ / 2], [s2 / 2, s2 / 2]])
    pp = A.sos(tg, pts, alpha=0.1, a=0.5, b=0.5).diagnostics["p"]
    ev.expect("Algorithm 1, line 5 on both sides of b = 0.5 (tandem, α = 0.1): ‖ξ‖ = 0.6 ≥ b gives p = 1; "
              "‖ξ‖ = 0.42 < b gives p = ‖ξ‖² = 0.1764", abs(pp[0] - 1) < 1e-12 and abs(pp[1] - 0.1764) < 1e-12, pp)
    ev.expect("p ∈ [0, 1] in every step", 0.0 <= p_min and p_max <= 1.0, f"p ∈ [{p_min:.3g}, {p_max:.3g}]")
    # the reason, symbolically: with d = ⟨−αχ, ξ_0⟩ < 0 and p ≤ −a‖ξ_0‖²/d, ⟨ξ_p, ξ_0⟩ = ‖ξ_0‖² + p d
    n2, d = sympy.symbols("n2 d", real=True)
    bound = sympy.expand((n2 + (-sympy.Symbol("a") * n2 / d) * d) - (1 - sympy.Symbol("a")) * n2)
    ev.expect("symbolic: ⟨ξ_p, ξ_0⟩ = ‖ξ_0‖² + p·d with d = ⟨−αχ, ξ_0⟩; for d < 0 it decreases in p and equals "
              "(1 − a)‖ξ_0‖² at the largest allowed p = −a‖ξ_0‖²/d (difference expands to 0)", bound == 0, bound)
    return ev
