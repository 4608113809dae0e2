"""The registry of claims and errata, in the order of the paper, filled when this module is imported."""

from __future__ import annotations

from sosverify.claims import errata as R
from sosverify.claims import examples as E
from sosverify.claims import experiments as X
from sosverify.claims import lola as L
from sosverify.claims import sos as S
from sosverify.claims import stability as T
from sosverify.claims.base import Claim
from sosverify.claims.derivations import DIMS_TEXT
from sosverify.claims.twins import twins
from sosverify.errors import unknown_name


def _build() -> dict:
    dims = f"proof (dimensions {DIMS_TEXT})"
    jacobian = f"proof (dimensions {DIMS_TEXT}) of the Jacobian; Lemma D.7 numeric, Ostrowski / Stable Manifold cited"
    pure = "pure analysis: no rule, derivative or analysis of the project is involved"
    claims = [
        Claim("ex1-nl-diverges", "Example 1: an NL step on L1 = −L2 = xy scales x² + y² by (1 + α²); the origin is the "
              "unique fixed point and a Nash equilibrium", "§2.1, Ex. 1", "symbolic+numeric", E.check_ex1_nl_diverges,
              strength="proof (general)", twins=twins("nl-cooperative")),
        Claim("sec22-nash-saddle", "The origin of L1 = L2 = xy is a Nash equilibrium yet a strict saddle", "§2.2",
              "symbolic", E.check_sec22_nash_saddle, strength="proof (general)",
              twins=twins("strict-saddle-as-unstable")),
        Claim("appa-unstable-strict-saddle", "H ⪰ 0 iff sym(H) ⪰ 0; unstable fixed points (H ≺ 0) are strict saddles; "
              "strict positivity would exclude the cyclic game's origin", "§2.2, App. A, Rem. A.1", "symbolic",
              E.check_appa_unstable_strict_saddle, strength="proof (general)", twins=twins("strict-saddle-real-only")),
        Claim("prop1-lola-vectorial", "LOLA's gradient is (I − αH_o)ξ − αχ, for any n-player game",
              "Prop. 1 / B.1", "symbolic+numeric", L.check_prop1_lola_vectorial, strength=dims,
              twins=twins("lola-no-middle", "chi-flipped", "chi-transposed")),
        Claim("ex2-tandem", "Tandem: fixed points x + y = 1 are stable, H constant, χ(x, 1 − x) = (4, 4) ≠ 0",
              "§2.3, Ex. 2", "symbolic", E.check_ex2_tandem, strength="proof (general)",
              twins=twins("chi-flipped", "classify-definite")),
        Claim("appc-lola-fixed-points", "LOLA's tandem fixed points x + y = (1 − 2α)/(1 − 4α): worse for both "
              "(for 0 < α < 1/4; see the erratum appc-erratum-ratio for larger α)", "App. C", "symbolic",
              E.check_appc_lola_fixed_points, strength="proof (general)", twins=twins("lola-no-middle")),
        Claim("sec31-la-preserves-fp", "LookAhead, derived from its stop-gradient objective, is (I − αH_o)ξ and "
              "preserves every fixed point; LOLA does not", "§3.1", "symbolic+numeric", L.check_sec31_la_preserves_fp,
              strength=dims, twins=twins("la-is-lola", "ho-with-diagonal", "la-plus-alpha")),
        Claim("sec32-plola", "p-LOLA, derived from its ⊥^{1−p} objective, is ξ_0 − pαχ: LA at p = 0, LOLA at p = 1; SOS's p "
              "keeps ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖², p ∈ [0, 1]", "§3.2", "symbolic+numeric", L.check_sec32_plola,
              strength=dims, twins=twins("plola-p-squared", "sos-no-p1", "sos-half-shaping", "sos-p2-test-on-square")),
        Claim("thm2-la-positive-stable", "H ⪰ 0 invertible with symmetric diagonal blocks ⇒ (I − αH_o)H is positive "
              "stable for 0 < α < ε", "Thm. 2 / D.4", "symbolic+numeric", T.check_thm2_la_positive_stable,
              strength="proof (general); eigenvalue perturbation (Kato) cited",
              twins=twins("lookahead-matrix-plus", "hurwitz-without-last")),
        Claim("remd5-not-pd", "For Remark D.5's matrix, (I − αH_o)H is positive stable but not positive definite: "
              "its symmetric part has an eigenvalue ≈ −cα", "Rem. D.5", "symbolic+numeric", T.check_remd5_not_pd,
              strength="proof (general)", twins=twins("lookahead-matrix-plus")),
        Claim("cord3-alpha-bound", "An eigenvalue a + ib of XH maps inside the unit circle iff 0 < α < 2a/(a² + b²)",
              "Cor. D.3", "symbolic+numeric", T.check_cord3_alpha_bound, strength="proof (general)",
              twins=twins("contraction-is-positive-stability")),
        Claim("cor3-la-converges", "LookAhead converges locally to stable fixed points for small α", "Cor. 3 / D.6",
              "symbolic+numeric", T.check_cor3_la_converges, strength="proof (general); Ostrowski (Thm. D.1) cited",
              twins=twins("la-plus-alpha", "lookahead-matrix-plus")),
        Claim("lemd7-p-near-fp", "Near a fixed point, SOS's p equals ‖ξ‖²", "Lemma D.7", "numeric",
              S.check_lemd7_p_near_fp, strength="numeric (4 games × 600 points × 3 values of a)",
              twins=twins("sos-p2-norm", "sos-no-p2", "symbolic-p-fourth")),
        Claim("thm4-sos-converges", "∇ξ_p(θ̄) = (I − αH_o)H(θ̄) at fixed points; SOS converges locally to stable "
              "fixed points", "Thm. 4 / D.8", "symbolic+numeric", S.check_thm4_sos_converges, strength=jacobian,
              twins=twins("sos-p2-linear", "la-plus-alpha")),
        Claim("prop5-sos-only-fp", "If SOS converges, the limit is a fixed point", "Prop. 5 / E.2", "numeric",
              S.check_prop5_sos_only_fp, strength="numeric (3 games × 50 runs)", twins=twins("sos-no-p1")),
        Claim("thm6-saddles", "At a strict saddle the LA/SOS map's Jacobian has an eigenvalue of modulus > 1; SOS "
              "and LA escape from random starts near it", "Thm. 6 / E.4", "symbolic+numeric", S.check_thm6_saddles,
              strength=jacobian, twins=twins("sos-p2-linear", "la-plus-alpha")),
        Claim("appa-gd-singular", "On L = y², gradient descent converges to (x0, 0), not to (0, 0)", "App. A",
              "symbolic+numeric", E.check_appa_gd_singular, strength="proof (general)", twins=twins("nl-ascent")),
        Claim("exp-ipd", "IPD: SOS and LOLA mostly play tit-for-tat, state by state (loss ≈ 1); LA, CO, SGA, NL "
              "mostly defect (≈ 2)", "§5, Fig. 2", "numeric", X.check_exp_ipd, strength="experiment",
              twins=twins("sos-as-la", "co-minus", "sga-lambda-flipped")),
        Claim("exp-tandem", "Tandem: SOS's average loss → 0, LOLA's → 4/9 (α = 0.1); SOS decays p and leaves LOLA's "
              "fixed points", "§5, Fig. 3", "numeric", X.check_exp_tandem, strength="experiment",
              twins=twins("sos-no-p2", "lola-no-middle")),
        Claim("exp-gmm", "GAN (reduced): SOS keeps 0 ≤ p ≤ 1 and ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² on a network game with "
              "minibatches, where LOLA does not; the KL estimator is calibrated", "§5, Fig. 4–7", "numeric",
              X.check_exp_gmm, strength="experiment", twins=twins("sos-no-p1")),
        Claim("exp-gmm-modes", X.MODES_STATEMENT, "§5, Fig. 4/6", "numeric", X.check_exp_gmm_modes, long=True,
              strength="experiment", twins=twins("co-as-nl", "sos-shaping-tied-to-lr")),
        # errata: the paper's statement is false; the check confirms an exact counterexample
        Claim("remd5-erratum-2x2", "Remark D.5: (I − αH_o)H is positive definite for 2 × 2 H (and perhaps 3 × 3)",
              "Rem. D.5", "symbolic", R.check_remd5_2x2, strength="proof (general)", kind="erratum",
              twins=twins("lookahead-matrix-plus"),
              corrected="For 2 × 2 (and 3 × 3) H ⪰ 0 invertible with symmetric diagonal blocks, (I − αH_o)H is "
                        "positive stable for small α (Theorem 2) but need not be positive definite for any α > 0; "
                        "it is positive definite for small α when sym(H) ≻ 0."),
        Claim("lemd9-erratum-uniformity", "Lemma D.9: g continuous on ℝ₊ × Y, Y compact, and for each u some ε_u > 0 "
              "with g(α, u) > 0 on (0, ε_u) ⇒ one ε > 0 works for all u", "Lemma D.9", "symbolic",
              R.check_lemd9_uniformity, strength="proof (general)", kind="erratum", why_no_twin=pure,
              corrected="The conclusion needs local uniformity: each u has a neighbourhood V_u and ε_u > 0 with g > 0 "
                        "on (0, ε_u) × V_u; compactness then gives ε. Theorem D.4 still holds (proved by eigenvalue "
                        "perturbation in thm2-la-positive-stable)."),
        Claim("appc-erratum-ratio", "App. C: (1 − 2α)/(1 − 4α) > 1 for all α > 0, so LOLA's fixed points are worse "
              "for both agents for any α (also §2.3), and their losses always sum to more than 0", "App. C, §2.3",
              "symbolic", R.check_appc_ratio,
              strength="proof (general)", kind="erratum", twins=twins("lola-no-middle"),
              corrected="(1 − 2α)/(1 − 4α) > 1 exactly for 0 < α < 1/4 (at α = 1/4 LOLA has no fixed point); LOLA's "
                        "fixed points are worse for both agents exactly for 0 < α < 1/3, α ≠ 1/4, and their losses sum "
                        "to more than 0 only for 0 < α < 1/2. The conclusion survives: for α > 1/4 LOLA's fixed line "
                        "repels (a LOLA step multiplies the distance of x + y from it by 1 − 4α + 16α² > 1)."),
        Claim("sec51-erratum-tandem-divergence", "§5.1: SOS diverging on the tandem 'turns out to be impossible since "
              "the Hessian is globally positive semi-definite'", "§5.1", "symbolic+numeric", R.check_sec51_tandem_divergence,
              strength="proof (instances)", kind="erratum", twins=twins("la-is-lola"),
              corrected="H ⪰ 0 everywhere does not prevent divergence: near its fixed line SOS steps as LA, which "
                        "multiplies x + y − 1 by 1 − 4α + 8α², so SOS converges there only for 0 < α < 1/2 (the "
                        "paper's α = 0.1 is inside) and diverges from every start at α = 0.6."),
        Claim("alg1-erratum-strict-test", "Algorithm 1, line 4: 'if ⟨−αχ, ξ_0⟩ > 0 then p1 = 1 else "
              "p1 = min(1, −a‖ξ_0‖²/⟨−αχ, ξ_0⟩)'", "Alg. 1", "symbolic+numeric", R.check_alg1_strict_test,
              strength="proof (instances)", kind="erratum", twins=twins("sos-p1-strict"),
              corrected="Test ⟨−αχ, ξ_0⟩ ≥ 0, as the text of §3.2 does; '> 0' divides by zero when the inner "
                        "product is 0 (the project uses ≥)."),
        Claim("ex1-typo-distance", "Example 1 (typo): the step lands at distance (1 + α²)(x² + y²) from the origin",
              "§2.1, Ex. 1", "symbolic", R.check_typo_ex1_distance, strength="proof (instances)", kind="erratum",
              twins=twins("nl-cooperative"), corrected="The *squared* distance is (1 + α²)(x² + y²)."),
        Claim("appa-typo-eigenvalues", "App. A (typo): if H(θ̄) ≺ 0 then all eigenvalues are negative", "App. A",
              "symbolic", R.check_typo_appa_eigenvalues, strength="proof (instances)", kind="erratum",
              twins=twins("strict-saddle-real-only"),
              corrected="All eigenvalues have negative real part (they need not be real)."),
        Claim("lemd7-typo-norm", "Lemma D.7's proof (typo): ‖−αχ(θ)‖ = α²‖χ(θ)‖", "Lemma D.7", "symbolic",
              R.check_typo_lemd7_norm, strength="proof (instances)", kind="erratum", twins=twins("chi-flipped"),
              corrected="‖−αχ(θ)‖ = α‖χ(θ)‖ (the bound c absorbs either, so the proof stands)."),
        Claim("thmd8-typo-p2", "Theorem D.8's proof (typo): p ≤ p2 = ‖ξ‖ if ‖ξ‖ < b", "Thm. D.8", "numeric",
              R.check_typo_thmd8_p2, strength="proof (instances)", kind="erratum", twins=twins("sos-p2-norm"),
              corrected="p ≤ p2 = ‖ξ‖² if ‖ξ‖ < b (Algorithm 1; the proof then uses ‖ξ‖², as it should)."),
        Claim("thme4-typo-modulus", "Theorem E.4's proof (typo): |λ| = 1 − 2αa + α²(a² + b²)", "Thm. E.4",
              "symbolic", R.check_typo_thme4_modulus, strength="proof (general)", kind="erratum", why_no_twin=pure,
              corrected="|λ|² = 1 − 2αa + α²(a² + b²) ≥ 1 − 2αa > 1 for a < 0."),
    ]
    return {c.id: c for c in claims}


CLAIMS: dict = _build()


def get_claims(ids=None, long: bool = False) -> list[Claim]:
    """All claims and errata (the long ones too with ``long``), or those with the given ids (an unknown
    id is an error listing the valid ones)."""
    if not ids:
        return [c for c in CLAIMS.values() if long or not c.long]
    for i in ids:
        if i not in CLAIMS:
            raise unknown_name("claim id", i, CLAIMS)
    return [CLAIMS[i] for i in ids]
