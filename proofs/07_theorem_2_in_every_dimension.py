"""Theorem 2 / D.4 in every dimension, and Corollary 3 with X = I − αH_o depending on α.

H ⪰ 0 invertible with symmetric diagonal blocks: the eigenvalues of G(α) = (I − αH_o)H that start on the
imaginary axis (λ(0) = iω, the only ones continuity does not settle) move right at rate ω².  The algebra is
noncommutative (S, A, H_d, v, v* are blocks of any size), so it holds in every dimension; eigenvalue
perturbation of a semisimple eigenvalue (Kato) is the one cited result.  Then |1 − αλ(α)|² < 1 for small α.
The claims thm2-la-positive-stable and cor3-la-converges run this same derivation.

Run: python proofs/07_theorem_2_in_every_dimension.py
"""

from sosverify.claims.derivations import prove_corollary_3, prove_theorem_2
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("Theorem 2 / D.4: (I − αH_o)H positive stable for small α, any dimension", out)
    prove_theorem_2(pr)
    pr.qed()
    pr = Proof("Corollary 3 / D.6: LookAhead's map contracts for small α", out)
    prove_corollary_3(pr)
    pr.qed()


if __name__ == "__main__":
    main()
