"""Example 2 and Appendix C: the tandem game's fixed points, and LOLA's arrogant fixed points.

Run: python proofs/01_tandem_and_lola_fixed_points.py
"""

import sympy

from sosverify.symbolic import SymGame, fixed_points, lola_fixed_points
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.proof import Proof


def main(out=print):
    x, y = sympy.symbols("x y", real=True)
    g = SymGame([(x + y) ** 2 - 2 * x, (x + y) ** 2 - 2 * y], [[x], [y]])
    pr = Proof("Tandem game (Example 2) and LOLA's fixed points (Appendix C)", out)
    pr.show("L1, L2", sympy.Matrix(g.losses))
    pr.show("ξ = (∂L1/∂x, ∂L2/∂y)", g.xi)
    (fp,) = fixed_points(g)
    pr.holds("ξ = 0 exactly on the line x = 1 − y", fp["solution"] == {x: 1 - y}, fp["solution"])
    pr.holds("H = ∇ξ = 2[[1,1],[1,1]], constant", g.H == 2 * sympy.ones(2, 2), g.H)
    pr.holds("sym(H) = H has eigenvalues 0, 4 ≥ 0: the line is stable (H ⪰ 0, singular)", fp["kind"] == "stable")
    pr.show("χ = diag(H_oᵀ∇L)", g.chi)
    pr.equal("on the line, χ = (4, 4): LOLA's shaping term does not vanish at the fixed points",
             g.chi.subs(x, 1 - y), sympy.Matrix([4, 4]))
    pr.equal("so there LOLA moves: its direction is −αχ = −4α(1, 1)", g.lola().subs(x, 1 - y),
             -4 * ALPHA * sympy.ones(2, 1))
    pr.show("LOLA direction (I − αH_o)ξ − αχ", sympy.factor(g.lola()))
    (lfp,) = lola_fixed_points(g)
    s = (1 - 2 * ALPHA) / (1 - 4 * ALPHA)
    pr.equal("LOLA direction = 0 ⇔ x + y = (1 − 2α)/(1 − 4α)", lfp["solution"][x] + y, s)
    pr.equal("x + y − 1 = 2α/(1 − 4α), positive for 0 < α < 1/4", s - 1, 2 * ALPHA / (1 - 4 * ALPHA))
    total = (g.losses[0] + g.losses[1]).subs(x, s - y)
    pr.equal("L1 + L2 there = 4α(1 − 2α)/(1 − 4α)² > 0, whereas L1 + L2 = 0 on the stable line", total,
             4 * ALPHA * (1 - 2 * ALPHA) / (1 - 4 * ALPHA) ** 2)
    pr.equal("with x = y both players lose 2α(1 − 2α)/(1 − 4α)² > 0 instead of 0",
             g.losses[0].subs({x: s / 2, y: s / 2}), 2 * ALPHA * (1 - 2 * ALPHA) / (1 - 4 * ALPHA) ** 2)
    pr.holds("at α = 0.1: x + y = 4/3 and the average loss is 4/9 (the paper's 'losses averaging at 4/9')",
             s.subs(ALPHA, sympy.Rational(1, 10)) == sympy.Rational(4, 3)
             and (total / 2).subs(ALPHA, sympy.Rational(1, 10)) == sympy.Rational(4, 9))
    pr.qed()


if __name__ == "__main__":
    main()
