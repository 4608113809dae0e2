"""The paper's derivations and theorems proved in their generality, step by step.

Each ``prove_*`` function takes a :class:`~sosverify.symbolic.proof.Proof` (which prints every
step and asserts it) and raises :class:`~sosverify.symbolic.proof.ProofFailed` at the first step
that does not hold.  The same functions are printed by ``proofs/`` and used as evidence by the
claims.  They run the project's own symbolic rules (:class:`SymGame` methods,
:func:`sosverify.symbolic.stability.lookahead_matrix`), so a wrong rule fails them.

Generality comes from :meth:`SymGame.general`: losses ``L^i(θ)`` that are arbitrary smooth
functions, so SymPy keeps every derivative as an unknown and an identity that expands to 0
holds for every differentiable game of those dimensions.  A stop-gradient ``⊥v`` is a fresh
symbol, differentiated as a constant and replaced by ``v`` afterwards.  Statements about every
dimension at once are proved in noncommutative (block-matrix) algebra.
"""

from __future__ import annotations

import sympy

from sosverify.symbolic import stability as ST
from sosverify.symbolic.game import ALPHA, P, SymGame, is_zero, off_diagonal_blocks

DIMS = ((1, 1), (2, 1), (1, 1, 1))  # what the claims check on every verify (about a second each)
DIMS_TEXT = "(1, 1), (2, 1), (1, 1, 1)"
DIMS_MORE = DIMS + ((2, 2), (1, 1, 1, 1))  # proofs/ prints these too (seconds more)


def _dims(dims) -> str:
    return ", ".join(f"({', '.join(map(str, d))})" for d in dims)


# -- §3.1, §3.2, Prop. 1: the rules derived from their objectives ---------------------------------

def stop_gradient_objective(game: SymGame, i: int, alpha=ALPHA, p=P):
    """Player i's first-order p-LOLA objective and its stop-gradients.

    ``L^i(θ_i, θ_j + ⊥^{1−p} Δθ_j, …)`` with ``Δθ_j = −α∇_j L^j`` and ``⊥^q = q⊥ + (1 − q)I`` (§3.2),
    expanded to first order: ``L^i + Σ_{j≠i} ∇_j L^i · ((1 − p)⊥Δθ_j + pΔθ_j)``.  ``p = 0`` is
    LookAhead's objective (§3.1: the others' step does not depend on θ_i), ``p = 1`` LOLA's.
    Returns ``(objective, stops)`` with ``stops`` mapping each fresh stop symbol to the value it
    stands for.
    """
    objective, stops = game.losses[i], {}
    for t, j in zip(game.symbols, game.owner):
        if j == i:
            continue
        step = -alpha * sympy.diff(game.losses[j], t)
        stopped = sympy.Dummy(f"stop_{t}", real=True)
        stops[stopped] = step
        objective += sympy.diff(game.losses[i], t) * ((1 - p) * stopped + p * step)
    return objective, stops


def objective_gradient(game: SymGame, alpha=ALPHA, p=P) -> sympy.Matrix:
    """``(∇_i of player i's p-LOLA objective)_i`` as a column, stop-gradients substituted back."""
    objectives = [stop_gradient_objective(game, i, alpha, p) for i in range(game.n_players)]
    rows = []
    for s, i in zip(game.symbols, game.owner):
        objective, stops = objectives[i]
        rows.append(sympy.diff(objective, s).xreplace(stops))
    return sympy.Matrix(rows)


def prove_rules_from_objectives(pr, dims=DIMS) -> None:
    """§3.1, §3.2 and Prop. 1 / B.1 for general smooth losses: the gradient of the p-LOLA objective
    is the project's p-LOLA ξ_p = (I − αH_o)ξ − pαχ for every p; at p = 0 it is LookAhead, at p = 1 LOLA."""
    pr.say("Player i's objective: L^i(θ_i, θ_{-i} + ⊥^{1−p}Δθ_{-i}), Δθ_j = −α∇_j L^j, ⊥^q = q⊥ + (1 − q)I, "
           "to first order; ⊥v is a fresh symbol, constant under ∇, replaced by v afterwards.")
    for d in dims:
        g = SymGame.general(d)
        grad = objective_gradient(g)
        pr.say(f"players with dimensions {d}: losses L^i(θ) arbitrary smooth functions")
        pr.zero(f"{d}: ∇(p-LOLA objective) − project's p-LOLA (I − αH_o)ξ − pαχ = 0 for symbolic p", grad - g.p_lola())
        pr.zero(f"{d}: at p = 0 (⊥ everywhere: LookAhead's objective) it is the project's LA (I − αH_o)ξ",
                grad.subs(P, 0) - g.lookahead())
        pr.zero(f"{d}: at p = 1 (no ⊥: LOLA's Taylor objective, Prop. 1) it is the project's LOLA "
                "(I − αH_o)ξ − αχ", grad.subs(P, 1) - g.lola())
        pr.holds(f"{d}: the 'middle' term H_oξ and the shaping term χ are not identically 0",
                 not is_zero(g.H_o * g.xi) and not is_zero(g.chi))


# -- Cor. D.3, Thm. 4 / D.8, Thm. 6 / E.4: Jacobians at fixed points -------------------------------

def at_fixed_point(game: SymGame) -> dict:
    """Impose ξ(θ̄) = 0: every own first derivative ∇_i L^i at the point is 0 (the other derivatives
    keep their unknown values).  ``xreplace``: only those exact nodes, never their derivatives."""
    return {e: sympy.Integer(0) for e in game.xi}


def jacobian_at_fixed_point(game: SymGame, direction: sympy.Matrix) -> sympy.Matrix:
    """∇(direction) at a point where ξ = 0 (general losses: derivatives of L there are unknowns)."""
    return direction.jacobian(game.symbols).xreplace(at_fixed_point(game))


def prove_jacobians_at_fixed_points(pr, dims=DIMS) -> None:
    """Cor. D.3 with X = I − αH_o, Thm. 4 / D.8 and Thm. 6 / E.4: at any fixed point of any game of
    these dimensions, ∇ξ_0 = ∇ξ_p (p = ‖ξ‖², SOS's p there by Lemma D.7) = (I − αH_o)H, so SOS's and
    LA's map θ ↦ θ − αξ_p has Jacobian I − α(I − αH_o)H; a wrong p with p(θ̄) = 0 but ∇p(θ̄) ≠ 0 breaks it."""
    for d in dims:
        g = SymGame.general(d)
        at = at_fixed_point(g)
        G = ST.lookahead_matrix(g.H, g.H_o).xreplace(at)
        pr.say(f"players with dimensions {d}, general smooth losses, ξ(θ̄) = 0 imposed")
        pr.zero(f"{d}: ∇[(I − αH_o)ξ](θ̄) − (I − αH_o)H(θ̄) = 0 (Cor. D.3: ∇X·ξ vanishes with ξ)",
                jacobian_at_fixed_point(g, g.lookahead()) - G)
        p = g.sos_p_near_fixed_point()
        pr.zero(f"{d}: SOS's p near θ̄ (project's) vanishes at θ̄ with its gradient",
                sympy.Matrix([p]).jacobian(g.symbols).xreplace(at).row_join(sympy.Matrix([p.xreplace(at)])))
        pr.zero(f"{d}: ∇ξ_p(θ̄) − (I − αH_o)H(θ̄) = 0 with ξ_p the project's p-LOLA at SOS's p (Thm. 4 / D.8)",
                jacobian_at_fixed_point(g, g.p_lola(ALPHA, p)) - G)
        wrong = jacobian_at_fixed_point(g, g.p_lola(ALPHA, sum(g.xi, sympy.Integer(0)))) - G
        pr.holds(f"{d}: contrast: with p = Σ_k ξ_k (also 0 at θ̄) the difference −αχ∇pᵀ is not 0 "
                 "(χ(θ̄) ≠ 0 in general)", not is_zero(wrong))
    pr.say("so the map F(θ) = θ − αξ_p has ∇F(θ̄) = I − α(I − αH_o)H(θ̄): LA's map, for SOS as for LA.")


# -- Thm. 2 / D.4 in every dimension: the critical eigenvalues move right at rate ω² --------------

_S, _A, _HD, _T, _TT = sympy.symbols("S A H_d T Tt", commutative=False)
_V, _VS, _W = sympy.symbols("v vs w", commutative=False)
_U, _UT = sympy.symbols("u ut", commutative=False)  # a real vector and its transpose
OMEGA = sympy.Symbol("omega", real=True, nonzero=True)
# conjugate transpose of each noncommutative symbol (S, H_d symmetric and A antisymmetric, all real)
_ADJOINT = {_S: _S, _A: -_A, _HD: _HD, _T: _TT, _TT: _T, _V: _VS, _VS: _V, _W: None, _U: _UT, _UT: _U}


def adjoint(expr):
    """Conjugate transpose of an expanded sum of noncommutative monomials (real matrices S, A, H_d,
    T with Sᵀ = S, Aᵀ = −A, H_dᵀ = H_d; vectors v ↔ v*)."""
    out = sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coeff, factors = term.args_cnc()
        c = sympy.conjugate(sympy.Mul(*coeff))
        for f in reversed(factors):
            base, exp = f.as_base_exp()
            c *= _ADJOINT[base] ** exp
        out += c
    return sympy.expand(out)


def rewrite(expr, rules: dict, rounds: int = 6):
    """Expand and apply the rules (noncommutative sub-products) until nothing changes."""
    expr = sympy.expand(expr)
    for _ in range(rounds):
        new = sympy.expand(expr.subs(rules))
        if new == expr:
            return expr
        expr = new
    return expr


def prove_lookahead_first_order(pr, dims=((1, 1, 1), (2, 1), (2, 2))) -> None:
    """The project's G(α) = lookahead_matrix(H, H_o) is H − αH_oH exactly, for a generic H with
    symbolic entries: G(0) = H and G'(0) = −H_oH."""
    for d in dims:
        n = sum(d)
        H = sympy.Matrix(n, n, lambda a, b: sympy.Symbol(f"h{a}{b}", real=True))
        H_o = off_diagonal_blocks(H, d)
        pr.zero(f"blocks {d}: project's (I − αH_o)H − (H − αH_oH) = 0 for symbolic H",
                ST.lookahead_matrix(H, H_o) - (H - ALPHA * H_o * H))


def prove_theorem_2(pr) -> None:
    """Theorem 2 / D.4 for every dimension: H ⪰ 0 invertible with symmetric diagonal blocks ⇒
    G(α) = (I − αH_o)H = H − αH_oH is positive stable for small α > 0.

    Eigenvalues of H with Re > 0 keep Re > 0 for small α (continuity).  H ⪰ 0 gives Re λ ≥ 0, and
    invertibility λ ≠ 0, so the critical eigenvalues are λ = iω, ω ≠ 0.  For those, in block
    (noncommutative) algebra: their eigenvectors satisfy Sv = 0, v* is a left eigenvector, the
    eigenvalue is semisimple, and first-order perturbation (Kato) moves it by α(ω² + iω v*H_d v/v*v)
    with v*H_d v real: to the right at rate ω² > 0.
    """
    prove_lookahead_first_order(pr)
    H = _S + _A
    pr.say("H = S + A (S = Tᵀ T ⪰ 0 symmetric, A antisymmetric); hypothesis Hv = iωv, ω ≠ 0 real, v ≠ 0; v* its "
           "conjugate transpose.")
    pr.zero("v*Av is purely imaginary: v*Av + (v*Av)* = 0 (A antisymmetric and real)",
            _VS * _A * _V + adjoint(_VS * _A * _V))
    pr.say("so Re(v*Hv) = v*Sv; with Hv = iωv, Re(v*Hv) = Re(iω)·v*v = 0, so v*Sv = ‖Tv‖² = 0 and Tv = 0:")
    pr.zero("Sv = TᵀTv = 0", rewrite(_TT * _T * _V, {_T * _V: 0}))
    hypothesis = H * _V - sympy.I * OMEGA * _V  # = 0
    pr.zero("Av − iωv equals the hypothesis Hv − iωv once Sv = 0: so Av = iωv",
            rewrite((_A * _V - sympy.I * OMEGA * _V) - hypothesis, {_S * _V: 0}))
    rules = {_S * _V: 0, _A * _V: sympy.I * OMEGA * _V}
    pr.zero("the conjugate transpose of Sv = 0 is v*S = 0 (S symmetric)", adjoint(_S * _V) - _VS * _S)
    pr.zero("the conjugate transpose of Av − iωv = 0 is −(v*A − iωv*) (Aᵀ = −A, ω real)",
            adjoint(_A * _V - sympy.I * OMEGA * _V) + (_VS * _A - sympy.I * OMEGA * _VS))
    rules.update({_VS * _S: 0, _VS * _A: sympy.I * OMEGA * _VS})
    pr.zero("so v*H = iωv*: v* is a left eigenvector for the same eigenvalue",
            rewrite(_VS * H - sympy.I * OMEGA * _VS, rules))
    pr.zero("semisimple: if (H − iω)w = v then v*v = v*(H − iω)w = 0, impossible for v ≠ 0",
            rewrite(_VS * (H * _W - sympy.I * OMEGA * _W), rules))
    pr.say("Block form: let the columns of V (n × k) be an orthonormal basis of the eigenspace of iω, V*V = I. Every "
           "step above holds for V in place of v (the algebra never commutes v past a matrix), so SV = 0, AV = iωV, "
           "V*H = iωV*, and by first-order perturbation of a semisimple eigenvalue (Kato) the k eigenvalues of G(α) "
           "near iω are iω + α·μ + o(α), μ the eigenvalues of M = V*G'(0)V = −V*H_oHV:")
    M = rewrite(-_VS * (H - _HD) * H * _V, rules)
    pr.zero("M = −V*(H − H_d)HV = ω²·V*V + iω·V*H_dV (noncommutative expansion)",
            M - (OMEGA ** 2 * _VS * _V + sympy.I * OMEGA * _VS * _HD * _V))
    M = M.subs(_VS * _V, 1)  # V*V = I (the identity of size k)
    pr.zero("the Hermitian part (M + M*)/2 of M = ω²I + iω·V*H_dV is ω²I: V*H_dV is Hermitian (H_d symmetric, the "
            "diagonal blocks ∇_ii L^i), so iω·V*H_dV is anti-Hermitian",
            (M + adjoint(M).subs(_VS * _V, 1)) / 2 - OMEGA ** 2)
    pr.say("Every eigenvalue μ of M has Re μ between the extreme eigenvalues of its Hermitian part: Re μ = ω² > 0. "
           "So each critical eigenvalue has Re λ(α) = αω² + o(α) > 0, and with the others (Re > 0 by continuity) "
           "G(α) is positive stable for all small α > 0, in every dimension.")


def prove_corollary_3(pr) -> None:
    """Cor. 3 / D.6 with X = I − αH_o depending on α: an eigenvalue λ(α) of G(α) with λ(0) = iω and
    λ'(0) = ω² + iκ (Theorem 2) gives |1 − αλ(α)|² = 1 − α²ω² + O(α³) < 1; one with Re λ(0) = a > 0
    gives 1 − 2aα + O(α²) < 1: LA's map contracts for small α (Ostrowski, Thm. D.1)."""
    kappa, u, w, a, b = sympy.symbols("kappa u w a b", real=True)
    lam = sympy.I * OMEGA + ALPHA * (OMEGA ** 2 + sympy.I * kappa) + ALPHA ** 2 * (u + sympy.I * w)
    modulus = sympy.expand((1 - ALPHA * lam) * (1 - ALPHA * sympy.conjugate(lam)))
    series = sympy.series(modulus, ALPHA, 0, 3).removeO()
    pr.zero("critical eigenvalue: |1 − αλ(α)|² = 1 − α²ω² + O(α³)", series - (1 - ALPHA ** 2 * OMEGA ** 2))
    lam = a + sympy.I * b + ALPHA * (u + sympy.I * w)
    modulus = sympy.expand((1 - ALPHA * lam) * (1 - ALPHA * sympy.conjugate(lam)))
    pr.zero("other eigenvalues, λ(0) = a + ib: |1 − αλ(α)|² = 1 − 2aα + O(α²)",
            sympy.series(modulus, ALPHA, 0, 2).removeO() - (1 - 2 * a * ALPHA))
    pr.say("both are < 1 for small α > 0 (ω ≠ 0, a > 0): every eigenvalue of I − αG(α) is inside the unit circle.")
