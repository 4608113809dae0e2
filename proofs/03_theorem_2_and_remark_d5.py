"""Theorem 2 / D.4 and Remark D.5: LookAhead's Jacobian (I − αH_o)H is positive stable, yet not positive definite.

Run: python proofs/03_theorem_2_and_remark_d5.py
"""

import sympy

from sosverify.games import REMARK_D5_H
from sosverify.symbolic import leading_min_eigenvalue_of_symmetric_part, lookahead_matrix, positive_stability_bound
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("Theorem 2 for one parameter per player (2 × 2), in general", out)
    a, b, c, d = sympy.symbols("a b c d", real=True)
    H = sympy.Matrix([[a, b], [c, d]])
    H_o = sympy.Matrix([[0, b], [c, 0]])
    G = lookahead_matrix(H, H_o)
    pr.show("G = (I − αH_o)H", G)
    pr.equal("tr G = a + d − 2αbc", G.trace(), a + d - 2 * ALPHA * b * c)
    pr.equal("det G = (1 − α²bc)(ad − bc)", G.det(), (1 - ALPHA ** 2 * b * c) * (a * d - b * c))
    pr.equal("ad − bc = [ad − ((b + c)/2)²] + ((b − c)/2)²; H ⪰ 0 ⇔ a, d ≥ 0 and the bracket ≥ 0",
             a * d - b * c, (a * d - ((b + c) / 2) ** 2) + ((b - c) / 2) ** 2)
    pr.say("So invertible H ⪰ 0 has det H > 0, and for α² |bc| < 1, det G > 0. If a + d > 0 then tr G > 0 for small α;\n"
           "if a + d = 0 then a = d = 0, the bracket forces c = −b ≠ 0, and tr G = 2αb² > 0. A real 2 × 2 matrix with\n"
           "positive trace and determinant has both eigenvalues in the right half-plane: G is positive stable.")
    pr.qed()

    pr = Proof("Remark D.5: positive stable for 0 < α < ε, but not positive definite", out)
    H = sympy.Matrix(REMARK_D5_H)
    H_o = H - sympy.diag(*[H[i, i] for i in range(4)])
    S = (H + H.T) / 2
    pr.show("H", H)
    pr.holds("sym(H) has eigenvalues 12, 0, 0, 0: H ⪰ 0", sorted(S.eigenvals(multiple=True)) == [0, 0, 0, 12])
    pr.holds("det H = 1: H is invertible", H.det() == 1)
    G = lookahead_matrix(H, H_o)
    bound = positive_stability_bound(G)
    pr.show("characteristic polynomial det(λI − G(α))", sympy.collect(bound["charpoly"], sympy.Symbol("lambda")))
    for k, cond in enumerate(bound["conditions"], 1):
        pr.show(f"Hurwitz determinant Δ_{k} of q(μ) = p(−μ)", cond)
    pr.holds("every Δ_k is positive for small α > 0 (lowest-order coefficient positive)", bound["stable_for_small_alpha"])
    eps = bound["epsilon"]
    pr.say(f"ε = the smallest positive root of the Δ_k = {eps} ≈ {sympy.N(eps, 12)}")
    pr.holds(f"certified: G is positive stable for all 0 < α < {bound['epsilon_lower']} "
             f"(≈ {float(bound['epsilon_lower']):.6f}, a rational below ε)", 0 < bound["epsilon_lower"] <= eps)
    c, M = leading_min_eigenvalue_of_symmetric_part(H, H_o)
    pr.show("on ker sym(H), sym(G(α)) = α·M + O(α²) with M", M)
    pr.holds(f"M has the negative eigenvalue c = {sympy.N(c, 8)} (a root of "
             f"{sympy.minimal_polynomial(c, sympy.Symbol('x'))}): sym G(α) has an eigenvalue ≈ cα < 0",
             sympy.N(c) < 0 and abs(sympy.N(c) + sympy.Rational(67, 100)) < sympy.Rational(1, 200))
    Gs = G.subs(ALPHA, sympy.Rational(1, 100))
    # sym(G) is symmetric, so its characteristic polynomial has real roots; count them below 0 exactly
    mu = sympy.Symbol("mu")
    char = sympy.Poly(((Gs + Gs.T) / 2).charpoly(mu).as_expr(), mu)
    pr.holds("check at α = 1/100: sym G has a negative eigenvalue (so G is not positive definite)",
             char.count_roots(-sympy.oo, 0) > 0)
    pr.qed()


if __name__ == "__main__":
    main()
