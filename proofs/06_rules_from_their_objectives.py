"""§3.1, §3.2 and Proposition 1 for general smooth losses: LookAhead, p-LOLA and LOLA derived from their objectives.

Each loss is an arbitrary smooth function L^i(θ) (SymPy keeps every derivative unknown), so each identity
holds for every differentiable game with players of dimensions (1, 1), (2, 1), (1, 1, 1), (2, 2), (1, 1, 1, 1)
(the claims check the first three on every verify).  A stop-gradient
⊥v is a fresh symbol, constant under differentiation, replaced by v afterwards.  The right-hand sides are the
project's own symbolic rules (SymGame.lookahead, .p_lola, .lola); the claims sec31-la-preserves-fp,
sec32-plola and prop1-lola-vectorial run this same derivation.

Run: python proofs/06_rules_from_their_objectives.py
"""

from sosverify.claims.derivations import DIMS_MORE, prove_rules_from_objectives
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("LookAhead, p-LOLA and LOLA from their objectives (§3.1, §3.2, Prop. 1)", out)
    prove_rules_from_objectives(pr, DIMS_MORE)
    pr.qed()


if __name__ == "__main__":
    main()
