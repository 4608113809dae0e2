"""Claims about LookAhead's stability: Theorem 2, Remark D.5, Corollaries D.3 and 3."""

from __future__ import annotations

import numpy
import sympy

from sosverify.claims import derivations as DV
from sosverify.claims.base import Evidence
from sosverify.games import REMARK_D5_H, get_game
from sosverify.runner import run
from sosverify.symbolic import is_zero
from sosverify.symbolic import stability as ST  # through the module: a planted twin is the one checked
from sosverify.symbolic.game import ALPHA, off_diagonal_blocks, same_player_mask
from sosverify.symbolic.proof import Proof, ProofFailed

block_mask, off_diagonal_part = same_player_mask, off_diagonal_blocks


def random_theorem2_matrix(rng: numpy.random.Generator, dims, rank: int) -> sympy.Matrix:
    """H = S + A: S = BᵀB PSD of the given rank, A antisymmetric and zero on the diagonal blocks,
    so H ⪰ 0 with symmetric diagonal blocks; redrawn until H is invertible."""
    d = sum(dims)
    mask = block_mask(dims)
    while True:
        B = sympy.Matrix(rank, d, lambda i, j: int(rng.integers(-3, 4)))
        U = sympy.Matrix(d, d, lambda i, j: int(rng.integers(-3, 4)) if i < j else 0)
        A = (U - U.T).multiply_elementwise(sympy.ones(d, d) - mask)
        H = B.T * B + A
        if H.det() != 0:
            return H


def _eig_min_real(M: numpy.ndarray) -> float:
    return float(numpy.linalg.eigvals(M).real.min())


def _proof_item(ev: Evidence, what: str, prove) -> None:
    pr = Proof(what, out=lambda line: None)
    try:
        prove(pr)
        ev.expect(what, True, f"{pr.steps} steps")
    except ProofFailed as exc:
        ev.expect(what, False, str(exc))


def imaginary_axis_matrix(rng: numpy.random.Generator, n: int, omega: int) -> sympy.Matrix:
    """H = Q·diag(ω[[0, 1], [−1, 0]], M)·Qᵀ, one parameter per player: Q a rational orthogonal matrix (Cayley
    transform of a drawn integer antisymmetric K), M with sym(M) ≻ 0.  So H ⪰ 0, invertible, with the eigenvalues
    ±iω on the imaginary axis (the case Theorem 2 is about), and its 1 × 1 diagonal blocks are symmetric."""
    K = sympy.Matrix(n, n, lambda i, j: int(rng.integers(-2, 3)) if i < j else 0)
    K = K - K.T
    Q = (sympy.eye(n) - K) * (sympy.eye(n) + K).inv()
    m = n - 2
    B = sympy.Matrix(m, m, lambda i, j: int(rng.integers(-2, 3)))
    U = sympy.Matrix(m, m, lambda i, j: int(rng.integers(-3, 4)) if i < j else 0)
    M = B.T * B + sympy.eye(m) + U - U.T
    core = sympy.diag(sympy.Matrix([[0, omega], [-omega, 0]]), M)
    return sympy.simplify(Q * core * Q.T)


def check_thm2_la_positive_stable() -> Evidence:
    ev = Evidence()
    _proof_item(ev, "general proof, every dimension (block / noncommutative algebra): the project's G(α) is "
                    "H − αH_oH; H ⪰ 0 puts every eigenvalue in Re ≥ 0, invertibility off 0; an eigenvalue iω on the "
                    "axis is semisimple with left eigenvector v*, and moves by α(ω² + iω·v*H_dv), v*H_dv real: "
                    "right at rate ω² > 0", DV.prove_theorem_2)
    a, b, c, d = sympy.symbols("a b c d", real=True)
    H = sympy.Matrix([[a, b], [c, d]])
    G = ST.lookahead_matrix(H, off_diagonal_part(H, (1, 1)))
    ev.expect("symbolic, generic 2×2 (one parameter each): tr G = a + d − 2αbc", is_zero(G.trace() - (a + d - 2 * ALPHA * b * c)),
              G.trace())
    ev.expect("det G = (1 − α²bc)(ad − bc)", is_zero(G.det() - (1 - ALPHA ** 2 * b * c) * (a * d - b * c)), sympy.factor(G.det()))
    ev.expect("ad − bc = [ad − ((b+c)/2)²] + ((b−c)/2)²: H ⪰ 0 makes the bracket ≥ 0, so invertible H has det H > 0",
              is_zero(a * d - b * c - ((a * d - ((b + c) / 2) ** 2) + ((b - c) / 2) ** 2)))
    ev.note("so for small α > 0: det G > 0, and tr G > 0 (if a + d = 0 then H ⪰ 0 forces a = d = 0, c = −b ≠ 0 "
            "and tr G = 2αb²): both eigenvalues have positive real part")
    rng = numpy.random.default_rng(2019)
    results = []
    for dims, rank in (((1, 1, 1), 1), ((1, 2), 2), ((2, 1, 1), 2), ((1, 1, 1, 1), 1), ((2, 2), 3), ((1, 1, 2), 3)):
        H = random_theorem2_matrix(rng, dims, rank)
        G = ST.lookahead_matrix(H, off_diagonal_part(H, dims))
        bound = ST.positive_stability_bound(G)
        eps = bound["epsilon"]
        ok = bound["stable_for_small_alpha"] and (eps == sympy.oo or eps > 0)
        probe = float(bound["epsilon_lower"]) / 2 if eps != sympy.oo else 0.5
        Gn = numpy.array(G.subs(ALPHA, sympy.Rational(probe)).evalf(), dtype=float)
        ok = ok and _eig_min_real(Gn) > 0
        if eps != sympy.oo:  # sharp: at α = ε an eigenvalue of G reaches the imaginary axis
            Ge = numpy.array(G.subs(ALPHA, eps).evalf(30), dtype=float)
            ok = ok and abs(_eig_min_real(Ge)) < 1e-8
        results.append(ok)
        ev.expect(f"random H ⪰ 0, blocks {dims}, rank(sym H) = {rank}: Routh–Hurwitz conditions positive for "
                  f"small α, ε = {sympy.N(eps, 6)}; eigenvalues of G(α) at α = {probe:.4g} (ε/2, or ½ if ε = ∞) "
                  "have Re > 0", ok, f"min Re λ = {_eig_min_real(Gn):.3g}")
    rates = []
    for n, omega in ((3, 1), (3, 2), (4, 1), (4, 3)):
        H = imaginary_axis_matrix(rng, n, omega)
        ones: tuple = (1,) * n
        G = ST.lookahead_matrix(H, off_diagonal_part(H, ones))
        bound = ST.positive_stability_bound(G)
        Hn = numpy.array(H.evalf(), dtype=float)
        on_axis = numpy.abs(numpy.linalg.eigvals(Hn).real).min() < 1e-12
        # the critical pair moves right at rate ω²: Re λ(G(h))/h → ω² (h = 1e-6: O(h) error)
        h = 1e-6
        Gh = numpy.array(G.subs(ALPHA, sympy.Rational(1, 10 ** 6)).evalf(), dtype=float)
        critical = sorted(numpy.linalg.eigvals(Gh), key=lambda z: abs(abs(z.imag) - omega))[:2]
        rate = float(numpy.mean([z.real for z in critical])) / h
        rates.append(rate)
        ok = bound["stable_for_small_alpha"] and on_axis and abs(rate - omega ** 2) < 1e-3 * omega ** 2
        ev.expect(f"H ⪰ 0 with eigenvalues ±{omega}i on the imaginary axis ({n} players, drawn by rotation): "
                  f"Routh–Hurwitz positive for small α (ε = {sympy.N(bound['epsilon'], 6)}), and Re λ(G(α))/α → "
                  f"ω² = {omega ** 2} for the critical pair", ok, f"rate {rate:.6g}")
    return ev


def remark_d5_analysis():
    H = sympy.Matrix(REMARK_D5_H)
    H_o = off_diagonal_part(H, (1, 1, 1, 1))
    G = ST.lookahead_matrix(H, H_o)
    return H, H_o, G, ST.positive_stability_bound(G), ST.leading_min_eigenvalue_of_symmetric_part(H, H_o)


def check_remd5_not_pd() -> Evidence:
    ev = Evidence()
    H, H_o, G, bound, (c, M) = remark_d5_analysis()
    S = (H + H.T) / 2
    ev.expect("sym(H) has eigenvalues 12, 0, 0, 0 (PSD, rank 1) and det H = 1",
              sorted(S.eigenvals(multiple=True)) == [0, 0, 0, 12] and H.det() == 1, S.eigenvals())
    ev.note("characteristic polynomial of G(α) = (I − αH_o)H", sympy.collect(bound["charpoly"], sympy.Symbol("lambda")))
    ev.note("Routh–Hurwitz conditions (all > 0 ⇔ G positive stable)", bound["conditions"])
    eps = bound["epsilon"]
    ev.expect("G positive stable for all 0 < α < ε", bound["stable_for_small_alpha"] and eps > 0,
              f"ε = {sympy.N(eps, 10)} (exactly {sympy.latex(eps)}); certified rational bound "
              f"{bound['epsilon_lower']} ≈ {float(bound['epsilon_lower']):.6f}")
    c_num = float(sympy.N(c, 30))
    ev.expect("smallest eigenvalue of sym(G(α)) ≈ c·α with c < 0 (first-order perturbation on ker sym(H))",
              c_num < 0, f"c = {c_num:.6f} (root of {sympy.latex(sympy.minimal_polynomial(c, sympy.Symbol('x')))})")
    ev.expect("c ≈ −0.67 as stated in the paper (|c + 0.67| < 0.005)", abs(c_num + 0.67) < 0.005, f"{c_num:.4f}")
    ratios = []
    for a in (1e-2, 1e-3, 1e-4, 1e-5):
        Gn = numpy.array(G.subs(ALPHA, sympy.Rational(a)).evalf(), dtype=float)
        ratios.append(float(numpy.linalg.eigvalsh((Gn + Gn.T) / 2).min()) / a)
    # the next-order term moves the ratio by about 13α, so at α = 1e-5 it is within 1e-3 of c
    ev.expect("numeric: λ_min(sym G(α))/α → c as α → 0 (α = 1e-2 … 1e-5)", abs(ratios[-1] - c_num) < 1e-3,
              ", ".join(f"{r:.5f}" for r in ratios))
    Gn = numpy.array(G.subs(ALPHA, sympy.Rational(1, 100)).evalf(), dtype=float)
    ev.expect("so G(0.01) is positive stable but not positive definite",
              _eig_min_real(Gn) > 0 and numpy.linalg.eigvalsh((Gn + Gn.T) / 2).min() < 0,
              f"min Re λ(G) = {_eig_min_real(Gn):.4g}, λ_min(sym G) = {numpy.linalg.eigvalsh((Gn + Gn.T) / 2).min():.4g}")
    return ev


def check_cord3_alpha_bound() -> Evidence:
    ev = Evidence()
    a, b = sympy.symbols("a b", real=True)
    lam = a + sympy.I * b
    modulus_sq = sympy.expand((1 - ALPHA * lam) * sympy.conjugate(1 - ALPHA * lam))
    ev.expect("|1 − α(a + ib)|² − 1 = α(α(a² + b²) − 2a)", is_zero(modulus_sq - 1 - ALPHA * (ALPHA * (a * a + b * b) - 2 * a)),
              sympy.factor(modulus_sq - 1))
    ev.note("with α > 0 this is negative iff α(a² + b²) < 2a, i.e. a > 0 and 0 < α < 2a/(a² + b²)")
    rng = numpy.random.default_rng(3)
    lams = rng.normal(size=200) * 2 + 1j * rng.normal(size=200) * 2
    lams = lams[numpy.abs(lams) > 1e-3]
    agree = 0
    for lv in lams:
        for av in numpy.linspace(0.01, 3.0, 60):
            inside = abs(1 - av * lv) < 1
            predicted = lv.real > 0 and av < 2 * lv.real / abs(lv) ** 2
            agree += inside == predicted
    total = len(lams) * 60
    ev.expect(f"numeric: {total} (λ, α) pairs: |1 − αλ| < 1 exactly when the bound says so", agree == total,
              f"{agree}/{total}")
    exact, cases = 0, 0
    for re_, im_ in ((1, 0), (1, 2), (3, 4), (2, 5)):
        for re2, im2 in ((2, 1), (5, 0)):
            G = sympy.diag(sympy.Matrix([[re_, -im_], [im_, re_]]), sympy.Matrix([[re2, -im2], [im2, re2]]))
            expected = min(sympy.Rational(2 * re_, re_ ** 2 + im_ ** 2), sympy.Rational(2 * re2, re2 ** 2 + im2 ** 2))
            got = ST.contraction_bound(G)
            cases += 1
            exact += got["stable_for_small_alpha"] and got["epsilon"] == expected
    ev.expect(f"the project's exact contraction interval (contraction_bound) on {cases} constant matrices with "
              "eigenvalues a_k ± ib_k is 0 < α < min_k 2a_k/(a_k² + b_k²)", exact == cases, f"{exact}/{cases}")
    return ev


def check_cor3_la_converges() -> Evidence:
    ev = Evidence()
    _proof_item(ev, "general proof: with X = I − αH_o depending on α, each eigenvalue of G(α) gives "
                    "|1 − αλ(α)|² = 1 − α²ω² + O(α³) (λ(0) = iω, Theorem 2's rate) or 1 − 2aα + O(α²) (Re λ(0) = a > 0)",
                DV.prove_corollary_3)
    H = sympy.Matrix(REMARK_D5_H)
    G = ST.lookahead_matrix(H, off_diagonal_part(H, (1, 1, 1, 1)))
    alpha = 0.15
    J = numpy.eye(4) - alpha * numpy.array(G.subs(ALPHA, sympy.Rational(3, 20)).evalf(), dtype=float)
    h = run("remark-d5", "la", alpha=alpha, steps=300, runs=20, seed=0, init_std=0.1)
    predicted = h.params[0] @ numpy.linalg.matrix_power(J, 300).T
    err = float(numpy.abs(h.params[-1] - predicted).max() / numpy.abs(predicted).max())
    ev.expect("numeric: on Remark D.5's game (fixed point 0, sym H ⪰ 0, det H = 1), 300 LA steps at α = 0.15 from 20 "
              "random starts follow the linear map θ ↦ (I − αG(α))θ (relative error < 1e-10)", err < 1e-10, f"{err:.1e}")
    rhos = {}
    for a in (0.01, 0.05, 0.1, 0.15):
        Ja = numpy.eye(4) - a * numpy.array(G.subs(ALPHA, sympy.Rational(str(a))).evalf(), dtype=float)
        rhos[a] = float(numpy.abs(numpy.linalg.eigvals(Ja)).max())
    ev.expect("its spectral radius is < 1 for α = 0.01 … 0.15", all(r < 1 for r in rhos.values()),
              ", ".join(f"ρ({a}) = {r:.5f}" for a, r in rhos.items()))
    exact = ST.contraction_bound(G)
    ev.expect("exactly (Routh–Hurwitz on the Möbius-transformed characteristic polynomial of I − αG): LA's map "
              "contracts for all 0 < α < ε_c", exact["stable_for_small_alpha"] and exact["epsilon"] > sympy.Rational(3, 20),
              f"ε_c = {sympy.N(exact['epsilon'], 10)}; certified for α < {exact['epsilon_lower']}")
    decay = float(numpy.linalg.norm(numpy.linalg.matrix_power(J, 5000), 2))
    ev.expect("so every start converges to 0: ‖(I − αG)^5000‖ < 1e-10 at α = 0.15", decay < 1e-10, f"{decay:.1e}")
    g = get_game("matching-pennies")
    h = run(g, "la", alpha=1.0, steps=1000, runs=50, seed=0, init_std=0.5)
    dist = float(numpy.abs(h.params[-1]).max())
    ev.expect("numeric: matching pennies (H(0) = [[0, ¼], [−¼, 0]] ⪰ 0, invertible): LA with α = 1 from 50 "
              "starts ~N(0, 0.5²) converges to the equilibrium (max |θ| after 1000 steps < 1e-8)", dist < 1e-8,
              f"{dist:.2e}")
    return ev
