"""§2.2, Theorem 6 / E.4 and Appendix A: strict saddles repel LA and SOS; a singular minimum traps gradient descent.

Run: python proofs/05_strict_saddles.py
"""

import sympy

from sosverify.symbolic import SymGame, classify, lookahead_matrix
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.proof import Proof


def main(out=print):
    x, y = sympy.symbols("x y", real=True)
    pr = Proof("§2.2 and Theorem 6: L1 = L2 = xy", out)
    g = SymGame([x * y, x * y], [[x], [y]])
    H = g.H.subs({x: 0, y: 0})
    pr.holds("ξ = (y, x) vanishes only at the origin", g.xi == sympy.Matrix([y, x]))
    pr.holds("each player's loss is constant (0) in its own parameter when the other is at 0: a Nash equilibrium",
             g.losses[0].subs(y, 0) == 0 and g.losses[1].subs(x, 0) == 0)
    pr.holds("H(0) = [[0, 1], [1, 0]] has eigenvalues ±1: a strict saddle", classify(H) == "strict-saddle")
    G = lookahead_matrix(H, g.H_o.subs({x: 0, y: 0}))
    pr.equal("G(α) = (I − αH_o)H = H − αI here", G, H - ALPHA * sympy.eye(2))
    J = sympy.eye(2) - ALPHA * G
    pr.holds("the LA/SOS map's Jacobian I − αG has eigenvalue 1 + α + α² > 1 for every α > 0",
             any(sympy.expand(e - (1 + ALPHA + ALPHA ** 2)) == 0 for e in J.eigenvals()))
    pr.say("An eigenvalue outside the unit circle makes the saddle repelling: by the stable-manifold theorem, almost\n"
           "no initialisation converges to it (Theorem 6).")
    pr.qed()

    pr = Proof("Appendix A: gradient descent on L = y² stops at (x0, 0)", out)
    g = SymGame([y ** 2], [[x, y]])
    step = sympy.Matrix([x, y]) - ALPHA * g.naive()
    pr.equal("one step maps (x, y) to (x, (1 − 2α)y)", step, sympy.Matrix([x, (1 - 2 * ALPHA) * y]))
    pr.say("For 0 < α < 1, |1 − 2α| < 1: y → 0 and x never moves, so GD converges to (x0, 0), a fixed point with\n"
           "singular H = diag(0, 2), and not to (0, 0) unless x0 = 0.")
    pr.qed()


if __name__ == "__main__":
    main()
