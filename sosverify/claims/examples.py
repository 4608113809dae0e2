"""Claims about the paper's small examples: Example 1, §2.2, Example 2, App. C, App. A."""

from __future__ import annotations

import importlib

import numpy
import sympy

from sosverify.claims.base import Evidence
from sosverify.games.paper import COMMON_SADDLE, CYCLIC, SINGLE_LOSS, TANDEM, PaperGame
from sosverify.runner import run
from sosverify.symbolic import SymGame, is_zero
from sosverify.symbolic.game import ALPHA

# through the module, so that a planted twin of classify or strict_saddle is the one the checks run
F = importlib.import_module("sosverify.symbolic.fixed_points")

x, y = sympy.symbols("x y", real=True)


def paper_game(game: PaperGame) -> SymGame:
    """One of the paper's games (:mod:`sosverify.games.paper`, where each is written once) as a SymGame."""
    return SymGame(list(game.losses), [list(p) for p in game.players], name=game.name)


def tandem() -> SymGame:
    return paper_game(TANDEM)


def check_ex1_nl_diverges() -> Evidence:
    ev = Evidence()
    g = paper_game(CYCLIC)
    new = sympy.Matrix([x, y]) - ALPHA * g.naive()
    ratio_identity = sympy.expand(new.dot(new) - (1 + ALPHA ** 2) * (x ** 2 + y ** 2))
    ev.note("NL step", sympy.Eq(sympy.Matrix([sympy.Symbol("x'"), sympy.Symbol("y'")]), new))
    ev.expect("x'² + y'² − (1 + α²)(x² + y²) expands to 0 (symbolic): for every α > 0 and (x, y) ≠ 0 the step "
              "moves away from the origin", ratio_identity == 0, ratio_identity)
    fps = F.fixed_points(g)
    ev.expect("the origin is the only fixed point (ξ = (y, −x) = 0), and a Nash equilibrium: L1(x, 0) = 0 = L2(0, y)",
              [fp["solution"] for fp in fps] == [{x: 0, y: 0}] and g.losses[0].subs(y, 0) == 0
              and g.losses[1].subs(x, 0) == 0)
    rng = numpy.random.default_rng(1)
    init = rng.normal(size=(50, 2))
    alphas = [0.01, 0.1, 1.0]
    worst = 0.0
    for a in alphas:
        h = run("cyclic", "nl", alpha=a, steps=1, init=init)
        ratio = (h.params[-1] ** 2).sum(axis=1) / (init ** 2).sum(axis=1)
        worst = max(worst, float(numpy.max(numpy.abs(ratio - (1 + a * a)))))
    ev.expect(f"numeric: one NL step on 50 random points, α ∈ {alphas}: max |ratio − (1+α²)| < 1e-13",
              worst < 1e-13, worst)
    return ev


def check_sec22_nash_saddle() -> Evidence:
    ev = Evidence()
    g = paper_game(COMMON_SADDLE)
    fps = F.fixed_points(g)
    ev.expect("ξ = 0 only at the origin", [fp["solution"] for fp in fps] == [{x: 0, y: 0}],
              [fp["solution"] for fp in fps])
    # Nash: with the other player at 0, each player's loss is constant (0) in its own parameter
    ev.expect("L1(x, 0) = 0 and L2(0, y) = 0 for all x, y: the origin is a Nash equilibrium",
              is_zero(g.losses[0].subs(y, 0)) and is_zero(g.losses[1].subs(x, 0)))
    H = g.H.subs({x: 0, y: 0})
    ev.expect("H(0) eigenvalues are ±1", sorted(H.eigenvals()) == [-1, 1], H)
    ev.expect("classified as a strict saddle (an eigenvalue with Re < 0)", F.classify(H) == "strict-saddle", F.classify(H))
    return ev


def check_ex2_tandem() -> Evidence:
    ev = Evidence()
    g = tandem()
    fps = F.fixed_points(g)
    ev.expect("ξ = 0 ⇔ x = 1 − y (a line)", [fp["solution"] for fp in fps] == [{x: 1 - y}],
              [fp["solution"] for fp in fps])
    ev.expect("H = 2[[1,1],[1,1]] everywhere", g.H == 2 * sympy.ones(2, 2), g.H)
    ev.expect("the line is stable (H ⪰ 0, although singular)", fps[0]["kind"] == "stable", fps[0]["kind"])
    chi_on_line = g.chi.subs(x, 1 - y)
    ev.expect("χ(x, 1 − x) = (4, 4) ≠ 0", chi_on_line == sympy.Matrix([4, 4]), chi_on_line)
    return ev


def check_appc_lola_fixed_points() -> Evidence:
    ev = Evidence()
    g = tandem()
    sols = F.lola_fixed_points(g)
    target = (1 - 2 * ALPHA) / (1 - 4 * ALPHA)
    ok = len(sols) == 1 and is_zero(sols[0]["solution"][x] + y - target)
    ev.expect("LOLA direction = 0 ⇔ x + y = (1 − 2α)/(1 − 4α)", ok, sols[0]["solution"] if sols else "none")
    s = sympy.Symbol("s", real=True)
    excess = sympy.factor(target - 1)
    ev.expect("x + y − 1 = 2α/(1 − 4α) > 0 for 0 < α < 1/4 (LOLA misses the fixed line)",
              is_zero(excess - 2 * ALPHA / (1 - 4 * ALPHA)), excess)
    total = sympy.factor((g.losses[0] + g.losses[1]).subs(x, s - y).subs(s, target))
    ev.expect("L1 + L2 = 2(x+y)(x+y−1) = 4α(1−2α)/(1−4α)² > 0 there (0 on the fixed line)",
              is_zero(total - 4 * ALPHA * (1 - 2 * ALPHA) / (1 - 4 * ALPHA) ** 2), total)
    each = sympy.factor(g.losses[0].subs({x: target / 2, y: target / 2}))
    ev.expect("with x = y each loss is 2α(1−2α)/(1−4α)² > 0, worse than 0 at x = y = ½",
              is_zero(each - 2 * ALPHA * (1 - 2 * ALPHA) / (1 - 4 * ALPHA) ** 2), each)
    at = {ALPHA: sympy.Rational(1, 10)}
    ev.expect("at α = 0.1: x + y = 4/3, average loss 4/9",
              target.subs(at) == sympy.Rational(4, 3) and (total / 2).subs(at) == sympy.Rational(4, 9),
              [target.subs(at), (total / 2).subs(at)])
    return ev


def check_appa_gd_singular() -> Evidence:
    ev = Evidence()
    g = paper_game(SINGLE_LOSS)
    step = sympy.Matrix([x, y]) - ALPHA * g.naive()
    ev.expect("one GD step maps (x, y) ↦ (x, (1 − 2α) y)", is_zero(step - sympy.Matrix([x, (1 - 2 * ALPHA) * y])),
              step)
    ev.note("so for 0 < α < 1, y → 0 geometrically and x never moves: the limit is (x0, 0)")
    h = run("single-loss", "nl", alpha=0.1, steps=200, runs=20, seed=2)
    x_moved = float(numpy.max(numpy.abs(h.params[-1][:, 0] - h.params[0][:, 0])))
    y_final = float(numpy.max(numpy.abs(h.params[-1][:, 1])))
    ev.expect("numeric, 20 runs, α = 0.1, 200 steps: x unchanged, |y| < 1e-15", x_moved == 0.0 and y_final < 1e-15,
              f"max |Δx| = {x_moved:.1e}, max |y| = {y_final:.1e}")
    ev.expect("the limits are not the minimum (0, 0): min |x0| > 0", float(numpy.min(numpy.abs(h.params[-1][:, 0]))) > 0)
    return ev


def check_appa_unstable_strict_saddle() -> Evidence:
    """App. A, Rem. A.1 and §2.2: H ⪰ 0 iff sym(H) ⪰ 0; unstable fixed points (H ≺ 0) are strict saddles;
    strict positivity would exclude the cyclic game's origin."""
    from sosverify.claims import derivations as D
    from sosverify.symbolic.proof import Proof, ProofFailed

    ev = Evidence()
    pr = Proof("Rem. A.1 and unstable ⊂ strict saddles", out=lambda line: None)
    try:
        # for a real vector u, uᵀAu is a real scalar equal to its own transpose −uᵀAu
        quadratic = D._UT * D._A * D._U  # a real 1 × 1 number, equal to its own transpose
        pr.zero("uᵀAu + (uᵀAu)ᵀ = 0 for antisymmetric A (A = (H − Hᵀ)/2); a real number equal to minus itself is 0: "
                "uᵀHu = uᵀSu, so H ⪰ 0 ⇔ sym(H) ⪰ 0", quadratic + D.adjoint(quadratic))
        pr.zero("for an eigenpair Hv = λv: v*Hv + (v*Hv)* = 2 v*Sv (the A part cancels), so 2 Re λ·v*v = 2 v*Sv",
                (D._VS * (D._S + D._A) * D._V + D.adjoint(D._VS * (D._S + D._A) * D._V)) - 2 * D._VS * D._S * D._V)
        ev.expect("general proof (any dimension): uᵀHu = uᵀSu, and Re λ = v*Sv/v*v: if H ≺ 0 (S negative definite) "
                  "every eigenvalue has Re λ < 0, so an unstable fixed point is a strict saddle", True,
                  f"{pr.steps} steps")
    except ProofFailed as exc:
        ev.expect("general proof: uᵀHu = uᵀSu and Re λ = v*Sv/v*v", False, str(exc))
    rng = numpy.random.default_rng(23)
    count, agree, complex_seen = 0, 0, 0
    for _ in range(12):
        n = int(rng.integers(2, 4))
        B = sympy.Matrix(n, n, lambda i, j: int(rng.integers(-3, 4)))
        U = sympy.Matrix(n, n, lambda i, j: int(rng.integers(-4, 5)) if i < j else 0)
        H = -(B.T * B + sympy.eye(n)) + (U - U.T)  # sym(H) = −(BᵀB + I) ≺ 0
        count += 1
        agree += F.classify(H) == "unstable" and F.strict_saddle(H)
        complex_seen += any(not e.is_real for e in H.eigenvals())
    ev.expect(f"the project's classification of {count} drawn H ≺ 0 (2 or 3 players): 'unstable', and its strict-saddle "
              f"test holds for each ({complex_seen} with complex eigenvalues)", agree == count and complex_seen > 0,
              f"{agree}/{count}")
    cyclic = SymGame([x * y, -x * y], [[x], [y]])
    single = SymGame([x ** 2 * y + y ** 3], [[x, y]])
    ev.expect("H = ∇ξ is not symmetric in general (cyclic game: H = [[0, 1], [−1, 0]]); for one player it is the "
              "symmetric Hessian ∇²L (here of x²y + y³)", cyclic.H != cyclic.H.T and single.H == single.H.T,
              cyclic.H)
    kinds = []
    for loss, kind in ((x ** 4, "minimum"), (-(x ** 4), "maximum"), (x ** 3, "saddle")):
        one = SymGame([loss], [[x]])
        values = [loss.subs(x, v) for v in (-1, 1)]
        seen = ("minimum" if min(values) > 0 else "maximum" if max(values) < 0 else "saddle")
        kinds.append(one.H.subs(x, 0) == sympy.zeros(1, 1) and one.xi.subs(x, 0) == sympy.zeros(1, 1) and seen == kind)
    ev.expect("§2.2: a fixed point with singular Hessian can be a minimum (x⁴), a maximum (−x⁴) or a saddle (x³): "
              "H(0) = 0 in all three", all(kinds))
    H = sympy.Matrix([[0, 1], [-1, 0]])  # the cyclic game L1 = xy = −L2 at the origin
    ev.expect("cyclic game's origin: H = [[0, 1], [−1, 0]] has sym(H) = 0, PSD but not PD: stable, and strict "
              "positivity would exclude it (App. A)", F.classify(H) == "stable" and ((H + H.T) / 2).is_zero_matrix)
    return ev
