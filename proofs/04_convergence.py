"""Corollary D.3, Lemma D.7 and Theorem 4: the step-size bound, SOS's p near fixed points, and SOS's Jacobian.

Run: python proofs/04_convergence.py
"""

import sympy

from sosverify.claims.generic import generic_polynomial_game, without_linear_terms
from sosverify.symbolic import lookahead_matrix
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("Corollary D.3: the step-size bound", out)
    a, b = sympy.symbols("a b", real=True)
    lam = a + sympy.I * b
    m2 = sympy.expand((1 - ALPHA * lam) * sympy.conjugate(1 - ALPHA * lam))
    pr.equal("|1 − αλ|² − 1 = α(α(a² + b²) − 2a) for λ = a + ib", m2 - 1, ALPHA * (ALPHA * (a ** 2 + b ** 2) - 2 * a))
    pr.say("With α > 0: |1 − αλ| < 1 ⇔ α(a² + b²) < 2a ⇔ a > 0 and 0 < α < 2a/(a² + b²).")
    pr.qed()

    pr = Proof("Theorem 4: at a fixed point, ∇ξ_p = (I − αH_o)H", out)
    h = without_linear_terms(generic_polynomial_game((1, 1), 3))
    origin = {s: 0 for s in h.symbols}
    pr.say("A general cubic two-player game without linear terms (so θ = 0 is a fixed point), symbolic coefficients.")
    pr.zero("ξ(0) = 0", h.xi.subs(origin))
    pr.say("Near a fixed point SOS uses p = ‖ξ‖² (Lemma D.7: p1 ≥ a‖ξ_0‖/(α‖χ‖) shrinks like ‖ξ‖, p2 = ‖ξ‖² faster).")
    xi_p = h.lookahead() - h.xi.dot(h.xi) * ALPHA * h.chi
    J = xi_p.jacobian(h.symbols).subs(origin)
    pr.equal("∇ξ_p(0) = (I − αH_o)H(0): the p-term's derivative vanishes because ∇‖ξ‖² = 2Hᵀξ = 0 there",
             J, lookahead_matrix(h.H.subs(origin), h.H_o.subs(origin)))
    pr.say("So SOS's map θ ↦ θ − αξ_p has the Jacobian of LA's at fixed points, and Theorem 2 + Corollary D.3 give\n"
           "local convergence to stable fixed points for small α.")
    pr.qed()


if __name__ == "__main__":
    main()
