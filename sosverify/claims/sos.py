"""Claims about SOS: Lemma D.7, Theorem 4, Proposition 5, Theorem 6."""

from __future__ import annotations

import numpy
import sympy

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.claims.base import Evidence
from sosverify.claims.examples import x, y
from sosverify.claims.generic import generic_polynomial_game, without_linear_terms
from sosverify.games import get_game
from sosverify.runner import run
from sosverify.symbolic import SymGame, is_zero, lookahead_matrix
from sosverify.symbolic.game import ALPHA


def check_lemd7_p_near_fp() -> Evidence:
    ev = Evidence()
    rng = numpy.random.default_rng(13)
    cases = []
    tandem = get_game("tandem")
    u = rng.uniform(-2, 2, size=200)
    for r in (1e-3, 1e-4, 1e-5):  # points at distance ~r from the fixed line x + y = 1
        theta = numpy.stack([u + r * rng.normal(size=200), 1 - u + r * rng.normal(size=200)], axis=1)
        cases.append(("tandem", r, tandem, theta, 0.5))
    pennies = get_game("matching-pennies")
    for r in (1e-3, 1e-4, 1e-5):
        cases.append(("matching pennies", r, pennies, r * rng.normal(size=(200, 2)), 0.1))
    ev.note("why: when p1 < 1, p1 = a‖ξ_0‖²/|⟨αχ, ξ_0⟩| ≥ a‖ξ_0‖/(α‖χ‖) by Cauchy–Schwarz, and ‖ξ_0‖ ≥ σ_min(I − αH_o)‖ξ‖, "
            "so p1 shrinks like ‖ξ‖ while p2 = ‖ξ‖² shrinks faster: near a fixed point p = min(p1, p2) = ‖ξ‖²")
    alpha, a = 0.3, 0.5
    for name, r, game, theta, b in cases:
        out = A.sos(game, theta, alpha=alpha, a=a, b=b)
        s = D.second_order(game, theta, ("H_o_xi", "chi"))
        xi, chi = s["first"].xi, s["chi"]
        xi_0 = xi - alpha * s["H_o_xi"]
        sq = numpy.einsum("rd,rd->r", xi, xi)
        dot = numpy.einsum("rd,rd->r", -alpha * chi, xi_0)
        with numpy.errstate(divide="ignore"):
            p1 = numpy.where(dot < 0, numpy.minimum(1.0, -a * numpy.einsum("rd,rd->r", xi_0, xi_0) / dot), 1.0)
        cauchy = numpy.where(dot < 0, p1 >= numpy.minimum(1.0, a * numpy.linalg.norm(xi_0, axis=1)
                                                          / (alpha * numpy.linalg.norm(chi, axis=1))) * (1 - 1e-12), True)
        ev.expect(f"{name}, 200 points at distance ~{r:g} from fixed points: p1 ≥ a‖ξ_0‖/(α‖χ‖) and p = ‖ξ‖² in every one",
                  # p is ‖ξ‖² as the rule summed it; here it is summed again (another order on the JAX
                  # backend), so they agree to a few ulps: rtol 1e-12
                  bool(numpy.all(cauchy)) and numpy.allclose(out.diagnostics["p"], sq, rtol=1e-12, atol=0),
                  f"max ‖ξ‖ = {numpy.sqrt(sq.max()):.2e}, min p1/‖ξ‖² = {numpy.min(p1 / sq):.3g}")
    return ev


def check_thm4_sos_converges() -> Evidence:
    ev = Evidence()
    # generic 2-player game with a fixed point at 0: no linear terms, degree 2 and 3 terms with symbolic coefficients
    h = without_linear_terms(generic_polynomial_game((1, 1), 3))
    origin = {s: 0 for s in h.symbols}
    ev.expect("generic cubic 2-player game without linear terms: ξ(0) = 0", is_zero(h.xi.subs(origin)))
    xi_p = h.lookahead() - (h.xi.dot(h.xi)) * ALPHA * h.chi  # near fixed points p = ‖ξ‖² (Lemma D.7)
    J = xi_p.jacobian(h.symbols).subs(origin)
    G = lookahead_matrix(h.H.subs(origin), h.H_o.subs(origin))
    ev.expect("symbolic: ∇ξ_p(0) with p = ‖ξ‖² equals (I − αH_o)H(0)", is_zero(J - G), G)
    tandem = run("tandem", "sos", alpha=0.1, steps=300, runs=100, seed=0, a=0.5, b=0.5)
    gap = float(numpy.abs(tandem.params[-1].sum(axis=1) - 1).max())
    ev.expect("numeric: SOS on the tandem (α = 0.1, 100 runs) converges to the stable line x + y = 1 (max gap < 1e-8)",
              gap < 1e-8, f"{gap:.2e}")
    pennies = run("matching-pennies", "sos", alpha=1.0, steps=1000, runs=50, seed=0, init_std=0.5)
    dist = float(numpy.abs(pennies.params[-1]).max())
    ev.expect("numeric: SOS on matching pennies (α = 1, 50 runs) converges to the equilibrium (max |θ| < 1e-8)",
              dist < 1e-8, f"{dist:.2e}")
    return ev


def check_prop5_sos_only_fp() -> Evidence:
    ev = Evidence()
    damped = SymGame([x * y + x ** 2 / 10, -x * y + y ** 2 / 10], [[x], [y]], name="damped-cyclic").numeric()
    settings: list[tuple] = [("tandem", 0.1, dict(a=0.5, b=0.5), 400), ("matching-pennies", 1.0, {}, 1500), (damped, 0.3, {}, 600)]
    for game, alpha, hyper, steps in settings:
        h = run(game, "sos", alpha=alpha, steps=steps, runs=50, seed=1, **hyper)
        name = game if isinstance(game, str) else game.name
        moved = numpy.linalg.norm(h.params[-1] - h.params[-2], axis=1)
        converged = moved < 1e-10
        xi_max = float(h.xi_norm[-1][converged].max()) if converged.any() else float("nan")
        ev.expect(f"{name}: {int(converged.sum())}/50 SOS runs converged (last step < 1e-10); at each limit "
                  "‖ξ‖ < 1e-6", converged.any() and xi_max < 1e-6, f"max ‖ξ‖ = {xi_max:.2e}")
    lola = run("tandem", "lola", alpha=0.1, steps=400, runs=50, seed=1)
    moved = float(numpy.linalg.norm(lola.params[-1] - lola.params[-2], axis=1).max())
    xi_min = float(lola.xi_norm[-1].min())
    ev.expect("contrast: LOLA on the tandem converges too, but to points with ‖ξ‖ = 2√2·2α/(1−4α) ≈ 0.943 ≠ 0",
              moved < 1e-10 and abs(xi_min - 2 * numpy.sqrt(2) * 2 * 0.1 / 0.6) < 1e-6, f"min ‖ξ‖ = {xi_min:.6f}")
    return ev


def check_thm6_saddles() -> Evidence:
    ev = Evidence()
    g = SymGame([x * y, x * y], [[x], [y]])
    H = g.H.subs({x: 0, y: 0})
    G = lookahead_matrix(H, g.H_o.subs({x: 0, y: 0}))
    J = sympy.eye(2) - ALPHA * G  # Jacobian of θ ↦ θ − α ξ_p at the saddle (p = ‖ξ‖² has zero gradient there)
    eig = J.eigenvals(multiple=True)
    grow = [e for e in eig if is_zero(e - (1 + ALPHA + ALPHA ** 2))]
    ev.expect("symbolic: at the strict saddle of L1 = L2 = xy the LA/SOS map's Jacobian has eigenvalue 1 + α + α² > 1",
              len(grow) == 1, eig)
    h = run("common-saddle", "sos", alpha=0.1, steps=200, runs=100, seed=4, init_std=1e-4)
    start = numpy.linalg.norm(h.params[0], axis=1)
    with numpy.errstate(invalid="ignore"):
        end = numpy.linalg.norm(numpy.where(h.diverged[:, None], numpy.inf, h.params[-1]), axis=1)
    escaped = int(numpy.sum(end > 1e3 * start))
    ev.expect("numeric: SOS from 100 starts within ~1e-4 of the saddle: every run leaves it (‖θ‖ grows 1000×)",
              escaped == 100, f"{escaped}/100")
    return ev
