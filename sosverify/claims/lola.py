"""Claims about LOLA, LookAhead and p-LOLA: Proposition 1, §3.1, §3.2."""

from __future__ import annotations

import numpy
import sympy

from sosverify import algorithms as A
from sosverify._autodiff import gradient, np, value_and_pullback
from sosverify.claims.base import Evidence
from sosverify.claims.examples import tandem, x, y
from sosverify.claims.generic import generic_polynomial_game, random_polynomial_game
from sosverify.games import get_game, linear
from sosverify.symbolic import is_zero
from sosverify.symbolic.game import ALPHA, P


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


def check_prop1_lola_vectorial() -> Evidence:
    ev = Evidence()
    for dims, degree in (((1, 1), 3), ((2, 2), 2), ((1, 1, 1), 3)):
        g = generic_polynomial_game(dims, degree)
        coeffs = len(g.constants)
        diff = g.taylor_gradient() - g.lola()
        ev.expect(f"symbolic, generic {len(dims)}-player game, dims {dims}, degree-{degree} losses with "
                  f"{coeffs} symbolic coefficients: ∇(Taylor objective) − [(I − αH_o)ξ − αχ] expands to 0",
                  is_zero(diff))
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
    g = generic_polynomial_game((1, 1), 3)
    ev.expect("symbolic, generic cubic 2-player game: LA direction − (I − αH_o)ξ expands to 0, so ξ = 0 ⇒ LA = 0",
              is_zero(g.lookahead() - (sympy.eye(2) - ALPHA * g.H_o) * g.xi))
    t = tandem()
    on_line = {x: 1 - y}
    la, lola = t.lookahead().subs(on_line), t.lola().subs(on_line)
    ev.expect("tandem, on the fixed line x + y = 1: LA direction = 0", is_zero(la), la)
    ev.expect("tandem, on the fixed line: LOLA direction = −αχ = −4α(1, 1) ≠ 0",
              is_zero(lola + 4 * ALPHA * sympy.ones(2, 1)), lola)
    rng = numpy.random.default_rng(5)
    moved_la, moved_lola = 0.0, 0.0
    for _ in range(20):
        n = int(rng.integers(2, 5))
        game = linear(rng.integers(-4, 5, size=(n, n)).astype(float))
        zero = numpy.zeros((1, n))
        moved_la = max(moved_la, float(numpy.abs(A.lookahead(game, zero, alpha=0.3).direction).max()))
        moved_lola = max(moved_lola, float(numpy.abs(A.lola(game, zero, alpha=0.3).direction).max()))
    ev.expect("numeric: 20 random linear games at their fixed point θ = 0: LA direction exactly 0", moved_la == 0.0)
    ev.note("(LOLA's direction there is −αχ(0), which is 0 for linear games because ∇L^i vanishes too; "
            "the tandem above is the counterexample)", f"max |LOLA| = {moved_lola:.1e}")
    return ev


def check_sec32_plola() -> Evidence:
    ev = Evidence()
    g = generic_polynomial_game((1, 1), 3)
    ev.expect("symbolic: ξ_p at p = 0 is LA", is_zero(g.p_lola(ALPHA, P).subs(P, 0) - g.lookahead()))
    ev.expect("symbolic: ξ_p at p = 1 is LOLA", is_zero(g.p_lola(ALPHA, P).subs(P, 1) - g.lola()))
    rng = numpy.random.default_rng(7)
    worst_gap, p_min, p_max, count = numpy.inf, 1.0, 0.0, 0
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
                    p_min, p_max = min(p_min, float(p.min())), max(p_max, float(p.max()))
                    count += len(p)
    ev.expect(f"numeric: {count} SOS steps (4 games, a ∈ {{0.1, 0.5, 0.9}}, b ∈ {{0.1, 0.5}}, 3 α): "
              "⟨ξ_p, ξ_0⟩ − (1 − a)‖ξ_0‖² ≥ −1e-12 (relative)", worst_gap >= -1e-12, f"min = {worst_gap:.3g}")
    ev.expect("p ∈ [0, 1] in every step", 0.0 <= p_min and p_max <= 1.0, f"p ∈ [{p_min:.3g}, {p_max:.3g}]")
    # the reason, symbolically: with d = ⟨−αχ, ξ_0⟩ < 0 and p ≤ −a‖ξ_0‖²/d, ⟨ξ_p, ξ_0⟩ = ‖ξ_0‖² + p d
    n2, d = sympy.symbols("n2 d", real=True)
    bound = sympy.expand((n2 + (-sympy.Symbol("a") * n2 / d) * d) - (1 - sympy.Symbol("a")) * n2)
    ev.expect("symbolic: ⟨ξ_p, ξ_0⟩ = ‖ξ_0‖² + p·d with d = ⟨−αχ, ξ_0⟩; for d < 0 it decreases in p and equals "
              "(1 − a)‖ξ_0‖² at the largest allowed p = −a‖ξ_0‖²/d (difference expands to 0)", bound == 0, bound)
    return ev
