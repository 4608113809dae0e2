"""Each rule's formula (SPEC §2) evaluated exactly by the symbolic layer at a point.

A rule's ``exact`` form in its registry record (:class:`sosverify.algorithms.Algorithm`): the
shared suite checks the numeric rule against it on drawn games, so a rule of one's own that gives
one is checked the same way.  Written from the paper's formulas, independently of the numeric rules.

Where :class:`~sosverify.symbolic.SymGame` has the rule (NL, LA, LOLA, p-LOLA, CO, SGA's
``Aᵀξ``) its method is used; EG, CGD, LSS and SOS's ``p`` are written here from SymGame's
``ξ``, ``H``, ``H_o`` and ``χ``.  Numbers stay exact (rationals) at rational points and are
evaluated to 40 digits otherwise (games with ``exp``), so every branch decision (SOS's p1 and p2,
SGA's sign, LSS's singular test) is made on the exact value.

``form(game, point, alpha, **hyperparameters)`` (``game`` a :class:`~sosverify.symbolic.SymGame`,
``point`` a ``{symbol: value}`` mapping) returns ``(direction, branches, margin)``:
the direction as a SymPy column, the set of branches taken, and the distance to the nearest
discontinuity of the rule (SOS's ‖ξ‖ = b, SGA's sign, LSS's det H = 0; ``oo`` if none), so a test
can leave out points where rounding may take the other branch.
"""

from __future__ import annotations

import sympy

DIGITS = 40


def value(expr, at: dict):
    """Exact where the value is rational, otherwise ``DIGITS`` significant digits."""
    v = (expr if isinstance(expr, sympy.Basic) else sympy.Rational(expr)).subs(at)  # never a string
    return v if v.is_Rational else sympy.N(v, DIGITS)


def matrix(M: sympy.Matrix, at: dict) -> sympy.Matrix:
    return M.applyfunc(lambda e: value(e, at))


def _q(x: float):
    """A float hyperparameter as the exact rational it is."""
    return sympy.Rational(x)


def _dot(u, v):
    return (u.T * v)[0, 0]


def nl(game, at, alpha):
    return matrix(game.naive(), at), {"-"}, sympy.oo


def la(game, at, alpha):
    return matrix(game.lookahead(_q(alpha)), at), {"-"}, sympy.oo


def lola(game, at, alpha):
    return matrix(game.lola(_q(alpha)), at), {"-"}, sympy.oo


def plola(game, at, alpha, p):
    return matrix(game.p_lola(_q(alpha), _q(p)), at), {"-"}, sympy.oo


def co(game, at, alpha, gamma):
    return matrix(game.consensus(_q(gamma)), at), {"-"}, sympy.oo


def sos_parts(game, at, alpha, a, b):
    """``(ξ, ξ_0, χ, p1, p2, branches)`` of Algorithm 1 (≥ in the first test), exactly."""
    alpha, a, b = _q(alpha), _q(a), _q(b)
    xi, chi = matrix(game.xi, at), matrix(game.chi, at)
    xi_0 = matrix(game.lookahead(alpha), at)
    dot = _dot(-alpha * chi, xi_0)
    if dot >= 0:
        p1, b1 = sympy.Integer(1), "p1: <-alpha chi, xi_0> >= 0"
    else:
        ratio = -a * _dot(xi_0, xi_0) / dot
        p1, b1 = (ratio, "p1: ratio < 1") if ratio < 1 else (sympy.Integer(1), "p1: ratio capped at 1")
    sq = _dot(xi, xi)
    p2, b2 = (sq, "p2: |xi| < b") if sq < b * b else (sympy.Integer(1), "p2: |xi| >= b")  # ‖ξ‖ < b ⇔ ‖ξ‖² < b², b > 0
    return xi, xi_0, chi, p1, p2, {b1, b2}


def sos(game, at, alpha, a, b):
    xi, xi_0, chi, p1, p2, branches = sos_parts(game, at, alpha, a, b)
    p = min(p1, p2)
    return xi_0 - p * _q(alpha) * chi, branches, abs(_dot(xi, xi) - _q(b) ** 2)


def sga(game, at, alpha, eps):
    xi, H = matrix(game.xi, at), matrix(game.H, at)
    ht_xi = H.T * xi
    a_xi = matrix(game.sga_adjustment(), at)
    s = _dot(xi, ht_xi) * _dot(a_xi, ht_xi) / game.dim + _q(eps)
    lam = sympy.sign(s)
    return matrix(game.sga(lam), at), {f"lambda = {lam}"}, abs(s)


def eg(game, at, alpha):
    xi = matrix(game.xi, at)
    ahead = {s: at[s] - _q(alpha) * v for s, v in zip(game.symbols, xi)}
    return matrix(game.xi, ahead), {"-"}, sympy.oo


def cgd(game, at, alpha):
    A = sympy.eye(game.dim) + _q(alpha) * matrix(game.H_o, at)
    det = A.det()
    if det == 0:  # (I + αH_o)^{-1} does not exist: the rule is undefined here
        return None, {"I + alpha H_o singular"}, sympy.Integer(0)
    return A.LUsolve(matrix(game.xi, at)), {"-"}, abs(det)


def lss(game, at, alpha, lam):
    xi, H = matrix(game.xi, at), matrix(game.H, at)
    det = H.det()
    if det != 0:
        w, branch = H.LUsolve(xi), "H invertible"
    else:
        w, branch = (H.T * H + _q(lam) * sympy.eye(game.dim)).LUsolve(H.T * xi), "H singular"
    return (xi + H.T * w) / 2, {branch}, abs(det)


__all__ = ["nl", "la", "lola", "plola", "sos", "sos_parts", "co", "sga", "eg", "cgd", "lss", "value", "matrix"]
