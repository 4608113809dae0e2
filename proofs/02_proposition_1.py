"""Proposition 1 / B.1: the gradient of LOLA's Taylor objective is (I − αH_o)ξ − αχ, for any n-player game.

Checked as a polynomial identity on games whose losses are general polynomials with
symbolic coefficients (so it holds for every game of that shape), then on 3 players.

Run: python proofs/02_proposition_1.py
"""

from sosverify.claims.generic import generic_polynomial_game
from sosverify.symbolic import is_zero
from sosverify.symbolic.game import ALPHA
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("Proposition 1: LOLA = (I − αH_o)ξ − αχ", out)
    pr.say("Player i minimises the first-order expansion L^i − α Σ_{j≠i} ⟨∇_j L^i, ∇_j L^j⟩ "
           "(the others' step −α∇_j L^j, differentiated through everything).")
    for dims, degree in (((1, 1), 3), ((2, 2), 2), ((1, 1, 1), 3)):
        g = generic_polynomial_game(dims, degree)
        pr.say(f"\n{len(dims)} players with {dims} parameters; each loss a general degree-{degree} polynomial "
               f"({len(g.constants)} symbolic coefficients in all).")
        grad = g.taylor_gradient()
        pr.zero("∇_i(Taylor objective of i) − [ξ − αH_oξ − αχ]_i expands to 0 for every i", grad - g.lola())
        pr.equal("the form without the 'middle' term, ξ − αχ, misses exactly −αH_oξ", grad - (g.xi - ALPHA * g.chi),
                 -ALPHA * g.H_o * g.xi)
        pr.holds("and H_oξ is not identically zero for these games", not is_zero(g.H_o * g.xi))
    pr.qed()


if __name__ == "__main__":
    main()
