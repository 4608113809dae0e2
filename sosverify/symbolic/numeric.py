"""Numeric zeros of a vector field given as SymPy expressions, each with a residual and, where it
can be had, a Krawczyk certificate that exactly one zero lies in a small box around it.

Used by ``sosverify analyse`` when SymPy cannot solve ξ = 0 (or LOLA's direction = 0) in closed
form: many starts in a box, a Newton-type solver (``scipy.optimize.root``), deduplication.

The certificate is the Krawczyk test (Krawczyk 1969; Moore, Kearfott and Cloud, *Introduction to
Interval Analysis*, 2009, §8.2): for a box X around x̃ and Y ≈ J(x̃)⁻¹, if
K(X) = x̃ − Y f(x̃) + (I − Y J(X))(X − x̃) lies in the interior of X, then f has exactly one zero
in X.  f(x̃) and J(X) are enclosed with the interval arithmetic of :class:`Interval` (outward
rounded), so the test is a proof up to the correctness of that arithmetic.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy
import sympy

from sosverify._functions import BY_NAME
from sosverify.safe_expr import check_allowed


class NoEnclosure(Exception):
    """The expression cannot be enclosed on this box (a pole, a function without a rule here)."""


def _lo(v: float) -> float:
    return math.nextafter(v, -math.inf)


def _hi(v: float) -> float:
    return math.nextafter(v, math.inf)


def _lib_lo(v: float) -> float:  # library functions (exp, sin, ...) are accurate to a few ulps
    return v - abs(v) * 4e-16 - 1e-300


def _lib_hi(v: float) -> float:
    return v + abs(v) * 4e-16 + 1e-300


class Interval:
    """A closed interval [lo, hi] of reals with outward-rounded arithmetic."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: float, hi: float | None = None):
        hi = lo if hi is None else hi
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
            raise NoEnclosure(f"not a finite interval: [{lo}, {hi}]")
        self.lo, self.hi = float(lo), float(hi)

    def __repr__(self) -> str:
        return f"Interval({self.lo!r}, {self.hi!r})"

    def __add__(self, other: Interval) -> Interval:
        return Interval(_lo(self.lo + other.lo), _hi(self.hi + other.hi))

    def __sub__(self, other: Interval) -> Interval:
        return Interval(_lo(self.lo - other.hi), _hi(self.hi - other.lo))

    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __mul__(self, other: Interval) -> Interval:
        p = [self.lo * other.lo, self.lo * other.hi, self.hi * other.lo, self.hi * other.hi]
        return Interval(_lo(min(p)), _hi(max(p)))

    def reciprocal(self) -> Interval:
        if self.lo <= 0 <= self.hi:
            raise NoEnclosure("division by an interval containing 0")
        return Interval(_lo(1 / self.hi), _hi(1 / self.lo))

    def contains_zero(self) -> bool:
        return self.lo <= 0 <= self.hi

    def inside(self, other: Interval) -> bool:
        """Strictly inside ``other``."""
        return other.lo < self.lo and self.hi < other.hi


def _monotone(f, x: Interval, increasing: bool = True) -> Interval:
    a, b = f(x.lo), f(x.hi)
    if not increasing:
        a, b = b, a
    return Interval(_lib_lo(a), _lib_hi(b))


def _power(x: Interval, e) -> Interval:
    if isinstance(e, sympy.Integer):
        n = int(e)
        if n < 0:
            return _power(x, sympy.Integer(-n)).reciprocal()
        if n == 0:
            return Interval(1.0)
        a, b = x.lo ** n, x.hi ** n
        if n % 2 == 0:
            if x.contains_zero():
                return Interval(0.0, _lib_hi(max(a, b)) * (1 + 1e-15 * n))
            lo, hi = min(a, b), max(a, b)
        else:
            lo, hi = a, b
        slack = 1 + 2e-16 * (n + 2)
        return Interval(lo / slack if lo > 0 else lo * slack, hi * slack if hi > 0 else hi / slack)
    if isinstance(e, sympy.Rational):
        if x.lo <= 0:
            raise NoEnclosure("a fractional power of an interval reaching 0 or below")
        q = float(e)
        return _monotone(lambda v: v ** q, x, increasing=q > 0)
    raise NoEnclosure("a power with a symbolic exponent")


def _periodic(f, x: Interval, peaks) -> Interval:
    """Range of sin or cos: endpoints, plus ±1 where a peak (a point where f = ±1) lies in x."""
    if x.hi - x.lo >= 2 * math.pi:
        return Interval(-1.0, 1.0)
    lo, hi = min(f(x.lo), f(x.hi)), max(f(x.lo), f(x.hi))
    for offset, value in peaks:  # peaks at offset + 2πk
        k = math.ceil((x.lo - offset) / (2 * math.pi) - 1e-12)
        if offset + 2 * math.pi * k <= x.hi + 1e-12:
            lo, hi = min(lo, value), max(hi, value)
    return Interval(max(-1.0, _lib_lo(lo)), min(1.0, _lib_hi(hi)))


def _log(x: Interval) -> Interval:
    if x.lo <= 0:
        raise NoEnclosure("log of an interval reaching 0 or below")
    return _monotone(math.log, x)


def _arc(f, increasing: bool):
    def rule(x: Interval) -> Interval:
        if not (-1 < x.lo and x.hi < 1):
            raise NoEnclosure("asin/acos outside (-1, 1)")
        return _monotone(f, x, increasing)
    return rule


#: interval rules by the name of :mod:`sosverify._functions`; ``tan`` has none (``analyse`` says "unknown"
#: where it would need one), ``sign`` is enclosed in :func:`enclose`, sigmoid and sqrt build from exp and powers.
_RULES = {
    "exp": lambda x: _monotone(math.exp, x),
    "log": _log,
    "tanh": lambda x: _monotone(math.tanh, x),
    "sinh": lambda x: _monotone(math.sinh, x),
    "atan": lambda x: _monotone(math.atan, x),
    "asin": _arc(math.asin, True),
    "acos": _arc(math.acos, False),
    "cosh": lambda x: (Interval(1.0, _lib_hi(max(math.cosh(x.lo), math.cosh(x.hi)))) if x.contains_zero()
                       else _monotone(math.cosh, x, increasing=x.lo > 0)),
    "abs": lambda x: (Interval(0.0, max(-x.lo, x.hi)) if x.contains_zero()
                      else Interval(min(abs(x.lo), abs(x.hi)), max(abs(x.lo), abs(x.hi)))),
    "sin": lambda x: _periodic(math.sin, x, [(math.pi / 2, 1.0), (-math.pi / 2, -1.0)]),
    "cos": lambda x: _periodic(math.cos, x, [(0.0, 1.0), (math.pi, -1.0)]),
}
_UNARY = {getattr(sympy, BY_NAME[name].sympy): rule for name, rule in _RULES.items()}


def enclose(expr, box: dict) -> Interval:
    """An interval containing every value of ``expr`` for symbol values in ``box`` (symbol → Interval)."""
    if isinstance(expr, sympy.Symbol):
        if expr not in box:
            raise NoEnclosure(f"no range for {expr}")
        return box[expr]
    if isinstance(expr, sympy.Integer):
        return Interval(float(expr)) if abs(int(expr)) < 2 ** 53 else Interval(_lo(float(expr)), _hi(float(expr)))
    if isinstance(expr, (sympy.Rational, sympy.Float, sympy.NumberSymbol)):
        v = float(expr)
        return Interval(_lib_lo(v), _lib_hi(v))
    if isinstance(expr, sympy.Add):
        out = Interval(0.0)
        for a in expr.args:
            out = out + enclose(a, box)
        return out
    if isinstance(expr, sympy.Mul):
        out = Interval(1.0)
        for a in expr.args:
            out = out * enclose(a, box)
        return out
    if isinstance(expr, sympy.Pow):
        return _power(enclose(expr.base, box), expr.exp)
    if isinstance(expr, sympy.sign):
        x = enclose(expr.args[0], box)
        if x.contains_zero():
            raise NoEnclosure("sign of an interval containing 0")
        return Interval(1.0 if x.lo > 0 else -1.0)
    for cls, rule in _UNARY.items():
        if isinstance(expr, cls):
            return rule(enclose(expr.args[0], box))
    raise NoEnclosure(f"no interval rule for {type(expr).__name__}")


def drop_dirac(expr):
    """Derivatives of Abs and sign produce DiracDelta terms; away from the kinks they are 0."""
    if isinstance(expr, sympy.MatrixBase):
        return expr.applyfunc(drop_dirac)
    return expr.replace(sympy.DiracDelta, lambda *args: sympy.Integer(0)) if expr.has(sympy.DiracDelta) else expr


def krawczyk(field, jacobian, symbols, point, radii=(1e-9, 1e-7, 1e-5, 1e-3)):
    """The Krawczyk test around ``point``: ``{"method", "radius"}`` for the first relative radius
    whose box provably holds exactly one zero of ``field``, or ``None``."""
    point = numpy.asarray(point, dtype=float)
    J = numpy.array(jacobian(*point), dtype=float)
    try:
        Y = numpy.linalg.inv(J)
    except numpy.linalg.LinAlgError:
        return None
    if not numpy.all(numpy.isfinite(Y)):
        return None
    d = len(symbols)
    try:
        at = {s: Interval(float(v)) for s, v in zip(symbols, point)}
        f = [enclose(e, at) for e in field]
    except NoEnclosure:
        return None
    jac_expr = drop_dirac(sympy.Matrix(field).jacobian(symbols))
    for rel in radii:
        r = [rel * (1 + abs(v)) for v in point]
        X = [Interval(_lo(v - ri), _hi(v + ri)) for v, ri in zip(point, r)]
        box = dict(zip(symbols, X))
        try:
            JX = [[enclose(jac_expr[i, j], box) for j in range(d)] for i in range(d)]
        except NoEnclosure:
            return None
        ok = True
        for i in range(d):
            k = Interval(float(point[i]))
            for j in range(d):
                k = k - Interval(float(Y[i, j])) * f[j]
            for j in range(d):
                m = Interval(1.0 if i == j else 0.0)
                for q in range(d):
                    m = m - Interval(float(Y[i, q])) * JX[q][j]
                k = k + m * (X[j] - Interval(float(point[j])))
            if not k.inside(X[i]):
                ok = False
                break
        if ok:
            return {"method": "Krawczyk", "radius": max(r)}
    return None


def lambdify_numeric(symbols, expr):
    """``expr`` (a Matrix or scalar) as a plain-NumPy function of the symbols, through the same
    allow-list as the losses."""
    from sosverify.expressions import _numpy_namespace, _Printer

    if isinstance(expr, sympy.MatrixBase):
        expr = expr.tolist()
    for e in (sympy.Matrix(expr) if isinstance(expr, list) else [expr]):
        check_allowed(e, "an expression")
    namespace = _numpy_namespace(numpy)
    printer = _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
                        "user_functions": {name: name for name in namespace}})
    return sympy.lambdify(symbols, expr, modules=[namespace], printer=printer, dummify=True)


def newton_confirms(field, jac_expr, symbols, x, digits: int = 50) -> bool:
    """Whether ``x`` is a zero and not an underflow: re-evaluated with ``digits`` digits, the field is exactly 0
    there, or the Newton step J⁺f is small (≤ 1e-6 (1 + |x|)).  ``exp(x)`` at x = −795 has f = J = 0 in floating
    point but f = J ≈ 3.5e−346 here: the step is 1, so it is no zero (nor is a far tail of a sigmoid)."""
    import mpmath

    at = {s: sympy.Float(float(v), digits) for s, v in zip(symbols, x)}
    try:
        with mpmath.workdps(digits):
            f = mpmath.matrix([mpmath.mpf(str(sympy.N(e.subs(at), digits))) for e in field])
            if all(v == 0 for v in f):
                return True
            J = mpmath.matrix([[mpmath.mpf(str(sympy.N(e.subs(at), digits))) for e in row]
                               for row in jac_expr.tolist()])
            step = mpmath.qr_solve(J, f)[0] if J.rows >= J.cols else None
            if step is None:
                return False
            return bool(mpmath.norm(step, mpmath.inf) <= mpmath.mpf("1e-6") * (1 + max(abs(float(v)) for v in x)))
    except (TypeError, ValueError, ZeroDivisionError, ArithmeticError):  # not real, or J singular: not confirmed
        return False


#: the ulps by which each coordinate of a zero is moved to see whether H is resolved there
RESOLUTION_ULPS = 4
#: H at a zero must change by at most this fraction of (1 + ‖H‖∞) within RESOLUTION_ULPS of it
RESOLUTION_CHANGE = 1e-3


def resolved_tolerance(tol: float, jx, x) -> float:
    """The largest ‖ξ‖ a float point may have and still be a zero: ``tol``, plus what rounding x to
    double precision alone leaves (‖J‖∞ times 8 ulps of the largest coordinate).  It does not grow
    with |x| where ξ varies slowly, so a point far out with ‖ξ‖ ≈ 0.6 (sin at x ≈ 1e9 with the old
    tolerance ``tol · (1 + |x|)`` = 1) is no zero, while x² − 2e12 at its float zero near 1.41e6
    (‖ξ‖ ≈ 3e-4, all rounding) is one.

    >>> import numpy
    >>> resolved_tolerance(1e-9, numpy.array([[1.0]]), numpy.array([1e9])) < 1e-5
    True
    >>> resolved_tolerance(1e-9, numpy.array([[2.83e6]]), numpy.array([1.414e6])) > 3e-4
    True
    """
    eps = float(numpy.finfo(float).eps)
    return tol + 8 * eps * float(numpy.abs(jx).sum(axis=1).max()) * (1 + float(numpy.abs(x).max()))


def jacobian_resolved(jac, jx, x) -> bool:
    """Whether double precision resolves H near the zero ``x``: H moves by at most
    :data:`RESOLUTION_CHANGE` · (1 + ‖H‖∞) when each coordinate moves by :data:`RESOLUTION_ULPS` ulps.
    Far out (sin at x ≈ 1e300, where neighbouring floats are 1e284 apart) H = cos x at neighbouring
    floats is unrelated, so the kind of such a point is noise: it is not reported."""
    scale = 1 + float(numpy.abs(jx).max())
    for direction in (numpy.inf, -numpy.inf):
        nearby = x.copy()
        for _ in range(RESOLUTION_ULPS):
            nearby = numpy.nextafter(nearby, direction)
        try:
            with warnings.catch_warnings(), numpy.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                there = jac(nearby)
        except (ArithmeticError, ValueError, TypeError):
            return False
        if not (numpy.all(numpy.isfinite(there)) and numpy.abs(there - jx).max() <= RESOLUTION_CHANGE * scale):
            return False
    return True


def find_zeros(field, symbols, *, box=(-10.0, 10.0), starts: int = 100, rng=None, deadline: float | None = None,
               tol: float = 1e-9):
    """Zeros of ``field`` (a column of SymPy expressions in ``symbols``) in the box, from ``starts``
    random starts (``rng``: a NumPy Generator).  Returns ``(points, finished)``; each point has
    ``value`` (list), ``residual`` (‖field‖₂) and ``jacobian`` (NumPy array)."""
    found = list(iter_zeros(field, symbols, box=box, starts=starts, rng=rng, deadline=deadline, tol=tol))
    finished = not found or found[-1] is not None
    found = [p for p in found if p is not None]
    found.sort(key=lambda p: tuple(p["value"]))
    return found, finished


def iter_zeros(field, symbols, *, box=(-10.0, 10.0), starts: int = 100, rng=None, deadline: float | None = None,
               tol: float = 1e-9):
    """:func:`find_zeros` one zero at a time, as found (so a caller that is cut off keeps what came);
    ``None`` last if the search stopped at ``deadline``."""
    from scipy.optimize import root

    rng = numpy.random.default_rng(0) if rng is None else rng
    field = drop_dirac(sympy.Matrix(field))  # sign(x)·x: ξ holds x·δ(x), 0 away from the kink
    jac_expr = drop_dirac(field.jacobian(symbols))
    f = lambdify_numeric(symbols, field)
    J = lambdify_numeric(symbols, jac_expr)
    d = len(symbols)
    lo, hi = box

    def fun(v):
        return numpy.asarray(f(*v), dtype=float).reshape(-1)

    def jac(v):
        return numpy.asarray(J(*v), dtype=float).reshape(d, d)

    found: list = []
    candidates = [numpy.zeros(d)] + [rng.uniform(lo, hi, size=d) for _ in range(starts - 1)]
    for x0 in candidates:
        if deadline is not None and time.monotonic() > deadline:
            yield None
            return
        try:
            with warnings.catch_warnings(), numpy.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                sol = root(fun, x0, jac=jac, method="hybr")
                x = sol.x
                for _ in range(3):  # a few Newton steps to polish
                    jx, fx = jac(x), fun(x)
                    if not (numpy.all(numpy.isfinite(jx)) and numpy.all(numpy.isfinite(fx))):
                        break  # LAPACK would print "DLASCL parameter … had an illegal value" to stdout
                    step = numpy.linalg.lstsq(jx, fx, rcond=None)[0]
                    if not numpy.all(numpy.isfinite(step)):
                        break
                    x = x - step
                residual = float(numpy.linalg.norm(fun(x)))
                jx = jac(x)
        except (ArithmeticError, ValueError, TypeError, numpy.linalg.LinAlgError):
            continue
        if not (numpy.all(numpy.isfinite(x)) and numpy.isfinite(residual) and numpy.all(numpy.isfinite(jx))):
            continue
        if residual > resolved_tolerance(tol, jx, x) or not jacobian_resolved(jac, jx, x):
            continue
        margin = 1e-6 * (hi - lo)
        if numpy.any(x < lo - margin) or numpy.any(x > hi + margin):
            continue
        if any(numpy.max(numpy.abs(p["value"] - x)) <= 1e-6 * (1 + numpy.abs(x).max()) for p in found):
            continue
        if not newton_confirms(field, jac_expr, symbols, x):
            continue
        point = {"value": x, "residual": residual, "jacobian": jx}
        found.append(point)
        yield point
