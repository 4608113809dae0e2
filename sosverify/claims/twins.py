"""Planted twins: plausible wrong rules and derivatives, each a bug some claim must fail on.

A claim that passes for a wrong implementation proves nothing about the right one.  Each twin
below replaces one piece of the project — a numeric rule (in :mod:`sosverify.algorithms` and its
registry), a second-order term (:func:`sosverify.derivatives.second_order`), a symbolic rule
(:class:`~sosverify.symbolic.game.SymGame`), or a symbolic analysis function — with the mistake
named in its description.  Where the piece exists in both layers, both are replaced, so the twin
is one consistent wrong project.  ``sosverify verify`` runs every claim against its twins and
reports the claim × twin table; ``tests/test_claims.py`` asserts that every twin is caught.

A twin is planted only inside ``with twin.planted():`` and restored after (never left behind).

Not a twin: p1 without its ``min(1, ·)``.  Since p2 ≤ 1 always, p = min(p1, p2) is the same with or
without it — an equivalent mutant, which no check can (or should) tell apart; found when it was a
twin that every claim missed.
"""

from __future__ import annotations

import importlib
from dataclasses import replace

import sympy

from sosverify.claims.base import Twin


def _rule(name: str, fn) -> list:
    """Replace a numeric rule in the module and in the registry (the runner reads the registry)."""
    from sosverify import algorithms as A

    attr = A.ALGORITHMS[name].fn.__name__
    return [(A, attr, fn), (A.ALGORITHMS, name, replace(A.ALGORITHMS[name], fn=fn))]


def _second_order(transform) -> list:
    """Replace ``derivatives.second_order`` by one whose result passes through ``transform(result)``;
    the extra terms a transform reads are computed too."""
    from sosverify import derivatives as D

    real = D.second_order

    def wrong(game, theta, terms=("H_o_xi", "chi"), first=None, method=None, **options):
        out = real(game, theta, tuple(dict.fromkeys(tuple(terms) + ("H_o_xi", "H_xi"))), first, method, **options)
        return transform(out)._replace(**{t: None for t in ("H_o_xi", "chi", "H_xi", "Ht_xi") if t not in terms})

    return [(D, "second_order", wrong)]


def _sym(name: str, fn, as_property: bool = False) -> list:
    from sosverify.symbolic.game import SymGame

    return [(SymGame, name, property(fn) if as_property else fn)]


def _sos_parts(fn) -> list:
    """Replace SOS's two criteria (numeric): ``fn(p1, p2, xi, xi_0, chi, alpha, a, b) -> (p1, p2)``."""
    from sosverify import algorithms as A

    real = A.sos_p_parts

    def wrong(xi_, xi_0, chi_, *, alpha, a, b):
        p1, p2 = real(xi_, xi_0, chi_, alpha=alpha, a=a, b=b)
        return fn(p1, p2, xi_, xi_0, chi_, alpha, a, b)

    return [(A, "sos_p_parts", wrong)]


# -- the rules ---------------------------------------------------------------------------------

def _plant_nl_cooperative():
    from sosverify import algorithms as A
    from sosverify import derivatives as D

    def naive(game, theta, *, alpha):  # every player descends the sum of all losses
        f = D.first_order(game, theta)
        return A.Direction(f.grads.sum(axis=0), f.losses, f.xi, {})

    def sym_naive(self):
        total = sum(self.losses, sympy.Integer(0))
        return sympy.Matrix([sympy.diff(total, s) for s in self.symbols])

    return _rule("nl", naive) + _sym("naive", sym_naive)


def _plant_nl_ascent():
    from sosverify import algorithms as A
    from sosverify import derivatives as D

    def naive(game, theta, *, alpha):
        f = D.first_order(game, theta)
        return A.Direction(-f.xi, f.losses, f.xi, {})

    return _rule("nl", naive) + _sym("naive", lambda self: -self.xi)


def _plant_la_plus_alpha():
    def negate(out):  # every numeric rule reads H_oξ from second_order: LA, LOLA, p-LOLA and SOS all see it
        return out._replace(H_o_xi=-out.H_o_xi)

    return (_second_order(negate)
            + _sym("lookahead", lambda self, alpha=sympy.Symbol("alpha", positive=True):
                   self.xi + alpha * self.H_o * self.xi))


def _plant_la_is_lola():
    from sosverify import algorithms as A

    def lookahead(game, theta, *, alpha):
        return A.lola(game, theta, alpha=alpha)

    return (_rule("la", lookahead)
            + _sym("lookahead", lambda self, alpha=sympy.Symbol("alpha", positive=True):
                   self.xi - alpha * self.H_o * self.xi - alpha * self.chi))


def _plant_ho_with_diagonal():
    def keep_diagonal(out):
        return out._replace(H_o_xi=out.H_xi)

    return _second_order(keep_diagonal) + _sym("H_o", lambda self: self.H, as_property=True)


def _plant_lola_no_middle():
    from sosverify import algorithms as A

    def lola(game, theta, *, alpha):
        s = A.D.second_order(game, theta, ("chi",))
        return A.Direction(s.first.xi - alpha * s.chi, s.first.losses, s.first.xi, {})

    return _rule("lola", lola) + _sym("lola", lambda self, alpha=sympy.Symbol("alpha", positive=True):
                                      self.xi - alpha * self.chi)


def _plant_chi_flipped():
    def flipped(out):  # Σ_j ∇_i∇_j L^i ∇_j L^j (= H_oξ) instead of Σ_j ∇_i∇_j L^j ∇_j L^i
        return out._replace(chi=out.H_o_xi)

    return _second_order(flipped) + _sym("chi", lambda self: self.H_o * self.xi, as_property=True)


def _plant_chi_transposed():
    def chi(self):  # diag(H_o ∇L) instead of diag(H_oᵀ ∇L): Σ_j (∇_j∇_i L^i) ∇_j L^i
        out = []
        for s, i in zip(self.symbols, self.owner):
            out.append(sum((sympy.diff(self.losses[i], s, t) * sympy.diff(self.losses[i], t)
                            for t, j in zip(self.symbols, self.owner) if j != i), sympy.Integer(0)))
        return sympy.Matrix(out)

    return _sym("chi", chi, as_property=True)


def _plant_plola_p_squared():
    from sosverify import algorithms as A

    def p_lola(game, theta, *, alpha, p):
        s = A.D.second_order(game, theta, ("H_o_xi", "chi"))
        f = s.first
        return A.Direction(f.xi - alpha * s.H_o_xi - p ** 2 * alpha * s.chi, f.losses, f.xi, {})

    return _rule("plola", p_lola) + _sym(
        "p_lola", lambda self, alpha=sympy.Symbol("alpha", positive=True), p=sympy.Symbol("p", nonnegative=True):
        self.lookahead(alpha) - p ** 2 * alpha * self.chi)


def _plant_sos_p2_norm():
    from sosverify._autodiff import np

    def parts(p1, p2, xi_, xi_0, chi_, alpha, a, b):
        return p1, np.where(p2 < 1, np.sqrt(p2), 1.0)

    return _sos_parts(parts) + _sym("sos_p_near_fixed_point", lambda self: sympy.sqrt(self.xi.dot(self.xi)))


def _plant_sos_p2_linear():
    from sosverify._autodiff import np

    def parts(p1, p2, xi_, xi_0, chi_, alpha, a, b):
        return p1, np.where(p2 < 1, np.minimum(1.0, np.abs(np.sum(xi_, axis=1))), 1.0)

    return _sos_parts(parts) + _sym("sos_p_near_fixed_point", lambda self: sum(self.xi, sympy.Integer(0)))


def _plant_sos_no_p1():
    return _sos_parts(lambda p1, p2, *rest: (1.0 + 0 * p1, p2))


def _plant_sos_no_p2():
    return (_sos_parts(lambda p1, p2, *rest: (p1, 1.0 + 0 * p2))
            + _sym("sos_p_near_fixed_point", lambda self: sympy.Integer(1)))


def _plant_sos_p1_strict():
    from sosverify._autodiff import np

    def parts(p1, p2, xi_, xi_0, chi_, alpha, a, b):  # Algorithm 1 as printed: "> 0", then divide
        dot = np.einsum("rd,rd->r", -alpha * chi_, xi_0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = -a * np.einsum("rd,rd->r", xi_0, xi_0) / dot
        return np.where(dot > 0, 1.0, np.minimum(1.0, ratio)), p2

    return _sos_parts(parts)


def _plant_sos_as_la():
    return _sos_parts(lambda p1, p2, *rest: (0 * p1, p2))


def _plant_sos_half_shaping():
    from sosverify import algorithms as A

    real = A.sos

    def sos(game, theta, *, alpha, a=A.SOS_A.default, b=A.SOS_B.default):  # steps with half the shaping it reports
        out = real(game, theta, alpha=alpha, a=a, b=b)
        s = A.D.second_order(game, theta, ("chi",))
        return out._replace(direction=out.direction + 0.5 * (out.diagnostics["p"] * alpha)[:, None] * s.chi)

    return _rule("sos", sos)


def _plant_sos_p2_test_on_square():
    from sosverify._autodiff import np

    def parts(p1, p2, xi_, xi_0, chi_, alpha, a, b):  # 'if ‖ξ‖² < b' instead of 'if ‖ξ‖ < b'
        sq = np.einsum("rd,rd->r", xi_, xi_)
        return p1, np.where(sq < b, sq, 1.0)

    return _sos_parts(parts)


def _plant_hurwitz_without_last():
    from sosverify.symbolic import stability as S

    real = S.hurwitz_determinants
    return [(S, "hurwitz_determinants", lambda coeffs: real(coeffs)[:-1])]


def _plant_co_minus():
    from sosverify import algorithms as A

    def consensus(game, theta, *, alpha, gamma=A.CO_GAMMA.default):
        s = A.D.second_order(game, theta, ("Ht_xi",))
        return A.Direction(s.first.xi - gamma * s.Ht_xi, s.first.losses, s.first.xi, {})

    return _rule("co", consensus)


def _plant_sga_lambda_flipped():
    from sosverify import algorithms as A

    real = A.sga

    def sga(game, theta, *, alpha, eps=A.SGA_EPS.default):
        out = real(game, theta, alpha=alpha, eps=eps)
        lam = out.diagnostics["lambda"]
        # ξ + λAᵀξ → ξ − λAᵀξ: subtract twice the adjustment
        return out._replace(direction=out.xi - (out.direction - out.xi), diagnostics={"lambda": -lam})

    return _rule("sga", sga)


def _plant_symbolic_p_fourth():
    return _sym("sos_p_near_fixed_point", lambda self: self.xi.dot(self.xi) ** 2)


def _plant_classify_definite():
    F = importlib.import_module("sosverify.symbolic.fixed_points")

    real = F.classify

    def classify(H):  # "stable" only where the symmetric part is positive *definite*
        kind = real(H)
        if kind == "stable" and ((H + H.T) / 2).det() == 0:
            return "other"
        return kind

    return [(F, "classify", classify)]


def _plant_strict_saddle_as_unstable():
    F = importlib.import_module("sosverify.symbolic.fixed_points")

    def strict_saddle(H):  # every eigenvalue in Re < 0, not just one
        ev = F._sign_of_eigenvalues(H)
        return ev is not None and all(F._re_sign(v) < 0 for v in ev)

    return [(F, "strict_saddle", strict_saddle)]


def _plant_strict_saddle_real_only():
    F = importlib.import_module("sosverify.symbolic.fixed_points")

    def strict_saddle(H):  # only real negative eigenvalues counted
        ev = F._sign_of_eigenvalues(H)
        return ev is not None and any(v.is_real and v < 0 for v in ev)

    return [(F, "strict_saddle", strict_saddle)]


def _plant_lookahead_matrix_plus():
    from sosverify.symbolic import stability as S
    from sosverify.symbolic.game import ALPHA

    def lookahead_matrix(H, H_o, alpha=ALPHA):
        return (sympy.eye(H.shape[0]) + alpha * H_o) * H

    return [(S, "lookahead_matrix", lookahead_matrix)]


def _plant_contraction_is_positive_stability():
    from sosverify.symbolic import stability as S

    return [(S, "contraction_bound", lambda G, alpha=None: S.positive_stability_bound(G))]


def _plant_co_as_nl():
    from sosverify import algorithms as A

    return [(A.ALGORITHMS, "co", replace(A.ALGORITHMS["nl"], name="co"))]


def _plant_sos_shaping_tied_to_lr():
    from sosverify.claims import experiments as X

    return [(X, "MODES_SHAPING_ALPHA", "lr")]


TWINS: dict[str, Twin] = {t.name: t for t in [
    Twin("nl-cooperative", "NL descends the sum of all losses (∇Σ_k L^k) instead of each player's own gradient ξ",
         _plant_nl_cooperative),
    Twin("nl-ascent", "NL steps along +ξ (θ ← θ + αξ): the update's sign flipped", _plant_nl_ascent),
    Twin("la-plus-alpha", "the look-ahead term with the wrong sign: (I + αH_o)ξ in LA, LOLA, p-LOLA and SOS",
         _plant_la_plus_alpha),
    Twin("la-is-lola", "LA keeps the shaping term: (I − αH_o)ξ − αχ", _plant_la_is_lola),
    Twin("ho-with-diagonal", "H_o with the diagonal blocks kept (H instead of H_o)", _plant_ho_with_diagonal),
    Twin("lola-no-middle", "LOLA without the 'middle' term: ξ − αχ (Foerster et al.'s first form)",
         _plant_lola_no_middle),
    Twin("chi-flipped", "χ with the losses swapped: Σ_j (∇_i∇_j L^i)∇_j L^j (= H_oξ)", _plant_chi_flipped),
    Twin("chi-transposed", "χ = diag(H_o ∇L) instead of diag(H_oᵀ ∇L)", _plant_chi_transposed),
    Twin("plola-p-squared", "p-LOLA with p²: ξ_0 − p²αχ (right at p = 0 and p = 1 only)", _plant_plola_p_squared),
    Twin("sos-p2-norm", "SOS's second criterion p2 = ‖ξ‖ instead of ‖ξ‖²", _plant_sos_p2_norm),
    Twin("sos-p2-linear", "SOS's second criterion p2 = |Σ_k ξ_k| (zero at fixed points, but not its gradient)",
         _plant_sos_p2_linear),
    Twin("sos-no-p1", "SOS without the alignment criterion: p = p2", _plant_sos_no_p1),
    Twin("sos-no-p2", "SOS without the convergence criterion: p = p1", _plant_sos_no_p2),
    Twin("sos-p1-strict", "SOS's first test as Algorithm 1 prints it: '> 0', dividing by ⟨−αχ, ξ_0⟩ = 0",
         _plant_sos_p1_strict),
    Twin("sos-as-la", "SOS with p = 0 at every step (LookAhead)", _plant_sos_as_la),
    Twin("sos-half-shaping", "SOS steps along ξ_0 − ½pαχ while it reports p (its step is not p-LOLA at its own p)",
         _plant_sos_half_shaping),
    Twin("sos-p2-test-on-square", "SOS's second criterion tests ‖ξ‖² < b instead of ‖ξ‖ < b", _plant_sos_p2_test_on_square),
    Twin("symbolic-p-fourth", "the symbolic SOS p near fixed points is ‖ξ‖⁴ (also 0 with its gradient there)",
         _plant_symbolic_p_fourth),
    Twin("hurwitz-without-last", "Routh–Hurwitz without the last Hurwitz determinant Δ_n (ε from too few conditions)",
         _plant_hurwitz_without_last),
    Twin("co-minus", "CO steps along ξ − γHᵀξ", _plant_co_minus),
    Twin("sga-lambda-flipped", "SGA with the alignment sign flipped: ξ − λAᵀξ", _plant_sga_lambda_flipped),
    Twin("classify-definite", "'stable' only where sym(H) is positive definite (not semidefinite)",
         _plant_classify_definite),
    Twin("strict-saddle-as-unstable", "'strict saddle' only when every eigenvalue has negative real part",
         _plant_strict_saddle_as_unstable),
    Twin("strict-saddle-real-only", "'strict saddle' only for a real negative eigenvalue (complex ones missed)",
         _plant_strict_saddle_real_only),
    Twin("lookahead-matrix-plus", "LookAhead's Jacobian G = (I + αH_o)H instead of (I − αH_o)H",
         _plant_lookahead_matrix_plus),
    Twin("contraction-is-positive-stability", "LA's contraction interval taken as G's positive-stability interval "
         "(no |1 − αλ| < 1 condition)", _plant_contraction_is_positive_stability),
    Twin("co-as-nl", "CO's registry entry runs NL", _plant_co_as_nl),
    Twin("sos-shaping-tied-to-lr", "the GAN's SOS with α inside the rule tied to RMSProp's rate (this project's "
         "reading before issue 19): its predicted step is hundreds of times smaller than the one taken",
         _plant_sos_shaping_tied_to_lr),
]}


def twins(*names: str) -> tuple:
    """The named twins, in the order given (an unknown name is a programming error)."""
    return tuple(TWINS[n] for n in names)
