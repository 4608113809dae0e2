"""The paper's checkable statements, one row each, in the paper's order.

Every definition with a formula, lemma, proposition, theorem, corollary, remark, worked example
and experimental statement of the main text and Appendices A–F is a row: where the paper has
it, what it says, the claims that check it, or why it is not checked.  The strength of a row is
read from its claims in the registry (never written here), so it cannot drift from what the
checks do.  ``sosverify verify --inventory`` prints it; the report has it under ``inventory``.
"""

from __future__ import annotations

from typing import NamedTuple

from sosverify.claims.base import STRENGTHS, strength_class

ERRATUM = "erratum"  # a row whose statement, as printed, the toolkit refutes (its claims include an erratum)


class Row(NamedTuple):
    location: str
    statement: str
    claims: tuple = ()
    not_checked: str = ""


ROWS = (
    Row("Def. 1", "A differentiable game: n players, θ = (θ_1, …, θ_n) ∈ ℝ^d, twice differentiable losses L^i: ℝ^d → ℝ",
        not_checked="a definition: every game of the project is one (sosverify.game.Game, SymGame); nothing to test"),
    Row("Def. 2", "Local Nash equilibrium: each θ̄_i a local best response to θ̄_{-i}", ("sec22-nash-saddle", "ex1-nl-diverges")),
    Row("§2.1", "Simultaneous gradient ξ = (∇_1 L^1, …, ∇_n L^n); NL is θ ← θ − αξ", ("ex1-nl-diverges", "appa-gd-singular")),
    Row("Ex. 1", "On L1 = −L2 = xy, ξ = (y, −x) and an NL step multiplies x² + y² by 1 + α²: NL diverges for every α > 0",
        ("ex1-nl-diverges",)),
    Row("Ex. 1", "The origin is the global and unique Nash equilibrium of L1 = −L2 = xy", ("ex1-nl-diverges",)),
    Row("Ex. 1 (typo)", "\"distance from the origin (1 + α²)(x² + y²)\": the squared distance", ("ex1-typo-distance",)),
    Row("§2.2", "The origin of L1 = L2 = xy is a Nash equilibrium yet a saddle (a strict saddle)", ("sec22-nash-saddle",)),
    Row("§2.2", "H = ∇ξ is the game Hessian; not symmetric in general, the usual Hessian ∇²L for one player",
        ("appa-unstable-strict-saddle",)),
    Row("Def. 3", "Fixed point ξ(θ̄) = 0; stable if H ⪰ 0, unstable if H ≺ 0, strict saddle if H has an eigenvalue "
        "with negative real part", ("ex2-tandem", "sec22-nash-saddle", "appa-unstable-strict-saddle")),
    Row("§2.2, App. A", "Unstable fixed points are a subset of strict saddles", ("appa-unstable-strict-saddle",)),
    Row("§2.3", "LOLA optimises L1(θ1, θ2 + Δθ2), Δθ2 = −α∇_2 L^2, to first order; the middle term is kept",
        ("prop1-lola-vectorial",)),
    Row("Prop. 1 / B.1", "LOLA = (I − αH_o)ξ − αχ with χ = diag(H_oᵀ∇L), for n players", ("prop1-lola-vectorial",)),
    Row("§2.3", "LOLA does not preserve fixed points: at ξ(θ̄) = 0 its direction is −αχ(θ̄) ≠ 0 in general",
        ("sec31-la-preserves-fp",)),
    Row("Ex. 2", "Tandem: the stable fixed points are x + y = 1, χ(x, 1 − x) = (4, 4) ≠ 0", ("ex2-tandem",)),
    Row("Ex. 2, App. C", "LOLA converges only to points with worse losses for both agents, for any α",
        ("appc-lola-fixed-points", "appc-erratum-ratio")),
    Row("§3.1", "LookAhead: optimising L1(θ1, θ̂2 + ⊥Δθ2) gives (I − αH_o)ξ; it preserves fixed points",
        ("sec31-la-preserves-fp",)),
    Row("§3.2", "p-LOLA: optimising L1(θ1, θ2 + ⊥^{1−p}Δθ2, …) gives ξ_p = (I − αH_o)ξ − pαχ; LA at p = 0, LOLA at p = 1",
        ("sec32-plola",)),
    Row("§3.2", "Fixed points are preserved only for infinitesimal p", ("sec32-plola",)),
    Row("§3.2", "The first criterion gives ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² > 0; p = min(p1, p2) ∈ [0, 1]",
        ("sec32-plola", "exp-gmm")),
    Row("Alg. 1", "SOS: ξ_0, χ; p1 from '⟨−αχ, ξ_0⟩ > 0'; p2 = ‖ξ‖² if ‖ξ‖ < b; θ ← θ − α(ξ_0 − pαχ)",
        ("alg1-erratum-strict-test", "sec32-plola")),
    Row("§4", "The results hold for any a, b ∈ (0, 1)", ("lemd7-p-near-fp", "sec32-plola")),
    Row("Thm. 2 / D.4", "H ⪰ 0 invertible with symmetric diagonal blocks ⇒ (I − αH_o)H positive stable for 0 < α < ε",
        ("thm2-la-positive-stable",)),
    Row("Thm. D.4 (proof)", "M⁻¹G₁M = MHM ⪰ 0 and −αuᵀH²u = α‖Au‖² on ker S: positive definiteness in a new inner product",
        not_checked="the proof's route; the theorem itself is proved another way (eigenvalue perturbation) in "
                    "thm2-la-positive-stable, and this route's last step rests on Lemma D.9, which is false as stated"),
    Row("Rem. D.5", "(I − αH_o)H need not be positive definite; for the 4 × 4 matrix it is positive stable for small α "
        "while its symmetric part has an eigenvalue ≈ −0.67α", ("remd5-not-pd",)),
    Row("Rem. D.5", "Positive definiteness can be shown for 2 × 2 matrices, perhaps 3 × 3", ("remd5-erratum-2x2",)),
    Row("Thm. D.1", "Ostrowski: eigenvalues of ∇F(x̄) inside the unit circle ⇒ local convergence, at least linear",
        not_checked="a cited theorem (Ortega & Rheinboldt 10.1.3); its use is exercised by cor3-la-converges, whose "
                    "runs follow the linear map I − αG exactly"),
    Row("Def. D.2", "Positive stable: every eigenvalue has positive real part", ("thm2-la-positive-stable", "remd5-not-pd")),
    Row("Cor. D.3", "XH(x̄) positive stable ⇒ x − αXξ converges locally; |1 − α(a + ib)| < 1 ⇔ 0 < α < 2a/(a² + b²)",
        ("cord3-alpha-bound", "thm4-sos-converges")),
    Row("Cor. 3 / D.6", "LookAhead converges locally to stable fixed points for small α", ("cor3-la-converges",)),
    Row("Lemma D.7", "Near a fixed point and for small α, SOS's p = ‖ξ‖²", ("lemd7-p-near-fp",)),
    Row("Lemma D.7 (typo)", "‖−αχ‖ = α²‖χ‖ in the proof", ("lemd7-typo-norm",)),
    Row("Thm. 4 / D.8", "∇ξ_p(θ̄) = (I − αH_o)H(θ̄) at fixed points; SOS converges locally to stable fixed points",
        ("thm4-sos-converges",)),
    Row("Thm. D.8 (typo)", "p ≤ p2 = ‖ξ‖ in the proof", ("thmd8-typo-p2",)),
    Row("Lemma D.9", "Pointwise ε_u on a compact Y extends to a uniform ε", ("lemd9-erratum-uniformity",)),
    Row("Lemma E.1", "c_k = min(a_k, b_k), L = lim c_k and L' = lim a_k exist ⇒ L ≤ L'",
        not_checked="a fact about limits of real sequences (c_k ≤ a_k, limits preserve ≤); nothing the project computes"),
    Row("Prop. 5 / E.2", "If SOS converges to θ̄ (α small), θ̄ is a fixed point", ("prop5-sos-only-fp",)),
    Row("Prop. E.2 (proof)", "I − αH_o is singular iff H_o has the eigenvalue 1/α", ("prop5-sos-only-fp",)),
    Row("Thm. E.3", "Stable Manifold Theorem",
        not_checked="a cited theorem of dynamical systems (Lee et al.); its use is checked through Thm. 6's eigenvalue "
                    "outside the unit circle and the escape runs (thm6-saddles)"),
    Row("Thm. 6 / E.4", "SOS (and LA) avoid strict saddles almost surely: ∇F(θ̄) = I − α(I − αH_o)H(θ̄) has an "
        "eigenvalue of modulus > 1", ("thm6-saddles",)),
    Row("Thm. E.4 (typo)", "|λ| = 1 − 2αa + α²(a² + b²) in the proof", ("thme4-typo-modulus",)),
    Row("App. A", "On L = y², gradient descent converges to (x0, 0), never to the minimum (0, 0)", ("appa-gd-singular",)),
    Row("App. A", "Strict positivity would exclude the origin of the cyclic game L1 = xy = −L2",
        ("appa-unstable-strict-saddle",)),
    Row("Rem. A.1", "H ⪰ 0 iff its symmetric part S ⪰ 0", ("appa-unstable-strict-saddle",)),
    Row("App. A (typo)", "H ≺ 0 ⇒ 'all eigenvalues are negative'", ("appa-typo-eigenvalues",)),
    Row("App. C", "Tandem: ξ = 2(x + y − 1)(1, 1), H = 2[[1, 1], [1, 1]], χ = 4(x + y)(1, 1); LOLA's fixed points "
        "x + y = (1 − 2α)/(1 − 4α)", ("ex2-tandem", "appc-lola-fixed-points")),
    Row("App. C", "(1 − 2α)/(1 − 4α) > 1 for all α > 0; the losses at LOLA's fixed points always sum to more than 0",
        ("appc-erratum-ratio",)),
    Row("App. C", "All the tandem's fixed points are stable fixed points (H ⪰ 0; H is singular there, outside the "
        "invertibility §2.2 assumes for its convergence results)", ("ex2-tandem",)),
    Row("§5.1", "IPD: always defect is a Nash equilibrium with normalised loss 2; tit-for-tat has loss 1",
        not_checked="the reproduction reports these losses (sosverify reproduce ipd: NL ≈ 2.00, SOS/LOLA ≈ 1.06); "
                    "the equilibria lie at infinite logits, so no claim asserts them exactly yet"),
    Row("§5.2, Fig. 2", "IPD: SOS and LOLA mostly play tit-for-tat; LA, CO, SGA, NL mostly defect", ("exp-ipd",)),
    Row("§5.1, Fig. 3", "Tandem: SOS's losses average 0, LOLA's 4/9 (α = 0.1); SOS decays p", ("exp-tandem",)),
    Row("§5.1", "Tandem: results are robust to the hyperparameters a, b", ("exp-tandem",)),
    Row("§5.1", "Tandem: SOS cannot diverge, since the Hessian is globally positive semi-definite",
        ("sec51-erratum-tandem-divergence",)),
    Row("§5.2", "IPD: SOS's trained parameters and losses are almost identical to LOLA's; both outperform all others",
        ("exp-ipd",)),
    Row("§5.2", "SOS gets away from LOLA's fixed points if initialised there", ("exp-tandem",)),
    Row("§5.2, Fig. 4, 6", "GAN: SOS, CO, SGA, LOLA spread mass across all Gaussians; LA slower; NL collapses and hops",
        ("exp-gmm-modes", "exp-gmm")),
    Row("App. F, Fig. 4, 6", "GAN: SOS and CO slightly better KL after 6–8k iterations; LOLA faster early, leaves the "
        "mixture after 8–10k",
        not_checked="needs paper-size trainings of 15 minutes each over seeds: docs/gmm.md reports them "
                    "(sosverify reproduce gmm --preset paper); at the sizes verify can afford the ordering does not show"),
    Row("App. F, Fig. 7", "‖ξ‖ falls fastest for SOS; NL keeps hopping; LA lags",
        not_checked="paper-size trainings to 12k iterations (docs/gmm.md, figure gmm_paper_12k_xi_norm.png)"),
)


def weakest(strengths) -> str:
    """The weakest of some strength labels (order of :data:`STRENGTHS`): a row is only as strong as all its checks."""
    return max(strengths, key=lambda s: STRENGTHS.index(strength_class(s)))


def row_strength(row: Row, claims: dict) -> str:
    """``erratum`` if any of the row's claims refutes the statement as printed, else its claims' weakest strength."""
    if not row.claims:
        return "not checked"
    if any(claims[c].kind == "erratum" for c in row.claims):
        return ERRATUM
    return weakest([claims[c].strength for c in row.claims])


def inventory(claims: dict) -> list[dict]:
    """The rows with each row's strength taken from its claims in ``claims`` (id → Claim)."""
    out = []
    for row in ROWS:
        unknown = [c for c in row.claims if c not in claims]
        if unknown:
            raise ValueError(f"inventory row {row.location!r} names claims not in the registry: {unknown}")
        strength = row_strength(row, claims)
        out.append({"location": row.location, "statement": row.statement, "claims": list(row.claims),
                    "strength": strength, "not_checked": row.not_checked})
    return out


def render(rows: list[dict]) -> str:
    """A plain-text table of the inventory, then the totals by strength."""
    lines = [f"{'location':<20} {'strength':<22} statement — claims or why not checked"]
    for r in rows:
        where = ", ".join(r["claims"]) if r["claims"] else f"not checked: {r['not_checked']}"
        lines.append(f"{r['location']:<20} {_class(r['strength']):<22} "
                     f"{r['statement']} — {where}")
    lines.append(totals(rows))
    return "\n".join(lines)


def _class(strength: str) -> str:
    return strength if strength in (ERRATUM, "not checked") else strength_class(strength)


def totals(rows: list[dict]) -> str:
    counts: dict = {}
    for r in rows:
        key = _class(r["strength"])
        counts[key] = counts.get(key, 0) + 1
    order = list(STRENGTHS) + [ERRATUM, "not checked"]
    return f"{len(rows)} statements: " + ", ".join(f"{counts[k]} {k}" for k in order if k in counts)
