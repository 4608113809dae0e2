"""Cor. D.3, Theorem 4 / D.8 and Theorem 6 / E.4 for general smooth losses: Jacobians at a fixed point.

With ξ(θ̄) = 0 imposed (every own first derivative ∇_i L^i is 0 there, every other derivative unknown):
∇[(I − αH_o)ξ](θ̄) = (I − αH_o)H(θ̄), SOS's p = ‖ξ‖² vanishes with its gradient, and so the project's SOS
direction has the same Jacobian as LookAhead — while a p that vanishes without its gradient (p = Σξ_k) does
not.  The claims thm4-sos-converges and thm6-saddles run this same derivation.

Run: python proofs/08_jacobians_at_fixed_points.py
"""

from sosverify.claims.derivations import DIMS_MORE, prove_jacobians_at_fixed_points
from sosverify.symbolic.proof import Proof


def main(out=print):
    pr = Proof("∇ξ_p(θ̄) = (I − αH_o)H(θ̄) at every fixed point (Cor. D.3, Thm. 4, Thm. 6)", out)
    prove_jacobians_at_fixed_points(pr, DIMS_MORE)
    pr.qed()


if __name__ == "__main__":
    main()
