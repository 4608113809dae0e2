"""The registry of claims, in the order of the paper."""

from __future__ import annotations

from sosverify.claims.base import Claim
from sosverify.errors import unknown_name


def _build() -> dict:
    from sosverify.claims import examples as E
    from sosverify.claims import experiments as X
    from sosverify.claims import lola as L
    from sosverify.claims import sos as S
    from sosverify.claims import stability as T

    claims = [
        Claim("ex1-nl-diverges", "Example 1: an NL step on L1 = −L2 = xy scales x² + y² by (1 + α²)", "§2.1, Ex. 1",
              "symbolic+numeric", E.check_ex1_nl_diverges),
        Claim("sec22-nash-saddle", "The origin of L1 = L2 = xy is a Nash equilibrium yet a strict saddle", "§2.2",
              "symbolic", E.check_sec22_nash_saddle),
        Claim("prop1-lola-vectorial", "LOLA's gradient is (I − αH_o)ξ − αχ, for any n-player game",
              "Prop. 1 / B.1", "symbolic+numeric", L.check_prop1_lola_vectorial),
        Claim("ex2-tandem", "Tandem: fixed points x + y = 1 are stable, H constant, χ(x, 1 − x) = (4, 4) ≠ 0",
              "§2.3, Ex. 2", "symbolic", E.check_ex2_tandem),
        Claim("appc-lola-fixed-points", "LOLA's tandem fixed points x + y = (1 − 2α)/(1 − 4α): worse for both",
              "App. C", "symbolic", E.check_appc_lola_fixed_points),
        Claim("sec31-la-preserves-fp", "LookAhead preserves every fixed point; LOLA does not", "§3.1",
              "symbolic+numeric", L.check_sec31_la_preserves_fp),
        Claim("sec32-plola", "p-LOLA interpolates LA (p = 0) and LOLA (p = 1); SOS's p keeps "
              "⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖², p ∈ [0, 1]", "§3.2", "symbolic+numeric", L.check_sec32_plola),
        Claim("thm2-la-positive-stable", "H ⪰ 0 invertible with symmetric diagonal blocks ⇒ (I − αH_o)H is positive "
              "stable for 0 < α < ε", "Thm. 2 / D.4", "symbolic+numeric", T.check_thm2_la_positive_stable),
        Claim("remd5-not-pd", "For Remark D.5's matrix, (I − αH_o)H is positive stable but not positive definite: "
              "its symmetric part has an eigenvalue ≈ −cα", "Rem. D.5", "symbolic+numeric", T.check_remd5_not_pd),
        Claim("cord3-alpha-bound", "An eigenvalue a + ib of XH maps inside the unit circle iff 0 < α < 2a/(a² + b²)",
              "Cor. D.3", "symbolic+numeric", T.check_cord3_alpha_bound),
        Claim("cor3-la-converges", "LookAhead converges locally to stable fixed points for small α", "Cor. 3 / D.6",
              "symbolic+numeric", T.check_cor3_la_converges),
        Claim("lemd7-p-near-fp", "Near a fixed point, SOS's p equals ‖ξ‖²", "Lemma D.7", "numeric", S.check_lemd7_p_near_fp),
        Claim("thm4-sos-converges", "∇ξ_p(θ̄) = (I − αH_o)H(θ̄) at fixed points; SOS converges locally to stable "
              "fixed points", "Thm. 4 / D.8", "symbolic+numeric", S.check_thm4_sos_converges),
        Claim("prop5-sos-only-fp", "If SOS converges, the limit is a fixed point", "Prop. 5 / E.2", "numeric",
              S.check_prop5_sos_only_fp),
        Claim("thm6-saddles", "At a strict saddle the LA/SOS map's Jacobian has an eigenvalue of modulus > 1; SOS "
              "escapes from random starts near it", "Thm. 6 / E.4", "symbolic+numeric", S.check_thm6_saddles),
        Claim("appa-gd-singular", "On L = y², gradient descent converges to (x0, 0), not to (0, 0)", "App. A",
              "symbolic+numeric", E.check_appa_gd_singular),
        Claim("exp-ipd", "IPD: SOS and LOLA reach tit-for-tat (loss ≈ 1); LA, CO, SGA, NL mostly defect (≈ 2)",
              "§5, Fig. 2", "numeric", X.check_exp_ipd),
        Claim("exp-tandem", "Tandem: SOS's average loss → 0, LOLA's → 4/9 (α = 0.1); SOS decays p", "§5, Fig. 3",
              "numeric", X.check_exp_tandem),
        Claim("exp-gmm", "GAN (reduced): SOS keeps 0 ≤ p ≤ 1 and ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² on a network game with "
              "minibatches, where LOLA does not; the KL estimator is calibrated", "§5, Fig. 4–7", "numeric",
              X.check_exp_gmm),
        Claim("exp-gmm-modes", X.MODES_STATEMENT, "§5, Fig. 4/6", "numeric", X.check_exp_gmm_modes, long=True),
    ]
    return {c.id: c for c in claims}


CLAIMS: dict = {}


def get_claims(ids=None, long: bool = False) -> list[Claim]:
    """All claims (the long ones too with ``long``), or those with the given ids (an unknown id is
    an error listing the valid ones)."""
    if not CLAIMS:
        CLAIMS.update(_build())
    if not ids:
        return [c for c in CLAIMS.values() if long or not c.long]
    for i in ids:
        if i not in CLAIMS:
            raise unknown_name("claim id", i, CLAIMS)
    return [CLAIMS[i] for i in ids]
