"""The one table of loss functions (:mod:`sosverify._functions`) agrees with itself in every layer.

Each function is written once there; the parser builds it in SymPy, the generated code computes it
with NumPy (and ``jax.numpy``), ``analyse`` encloses it in intervals.  Each layer is checked against
SymPy's 30-digit value of the same expression, and a planted wrong row (``asin`` computed by NumPy's
``arccos``) is caught.
"""

from __future__ import annotations

import numpy
import pytest
import sympy

from sosverify import expressions
from sosverify._functions import FUNCTIONS
from sosverify.safe_expr import FUNCTIONS as BUILD
from sosverify.safe_expr import NON_SMOOTH_CLASSES, is_smooth, parse_expression
from sosverify.symbolic.numeric import Interval, NoEnclosure, enclose, lambdify_numeric

X = sympy.Symbol("x")
POINT = 0.3           # inside every function's domain (log, sqrt, asin, acos included)
BOX = (0.25, 0.35)    # an interval around it, in the domain too
RTOL = 1e-13          # NumPy's elementary functions are correct to a few ulps; 1e-13 leaves room
F32_RTOL = 1e-6     # jax.numpy computes in float32 unless x64 is enabled (eps 1.2e-7)
NO_ENCLOSURE = {"tan"}  # functions analyse cannot enclose: it says "unknown" where it would need one


def built(name: str):
    return parse_expression(f"{name}(x)", {"x": X})


def exact(name: str) -> float:
    return float(built(name).subs(X, sympy.Rational(3, 10)).evalf(30))


def numeric_disagreements(namespace: dict | None = None) -> list:
    """Functions whose generated NumPy code differs from SymPy's value at :data:`POINT`."""
    out = []
    for f in FUNCTIONS:
        fn = lambdify_numeric([X], built(f.name))
        if namespace is not None:
            fn.__globals__.update(namespace)
        if not numpy.isclose(float(fn(POINT)), exact(f.name), rtol=RTOL, atol=0):
            out.append(f.name)
    return out


def test_every_function_in_the_table_is_parsed_and_read_back_as_sympy_prints_it():
    for f in FUNCTIONS:
        expr = built(f.name)
        assert expr.has(X) and expr != X
        assert parse_expression(str(expr), {"x": X}) == expr, f.name  # what SymPy prints reads back


def test_generated_numpy_code_agrees_with_sympy_for_every_function():
    assert numeric_disagreements() == []


def test_a_planted_wrong_numpy_name_is_caught(monkeypatch):
    monkeypatch.setitem(expressions._FUNCTIONS, "asin", "arccos")
    assert numeric_disagreements() == ["asin"]


def test_jax_numpy_has_every_name_the_generated_code_calls():
    jnp = pytest.importorskip("jax.numpy")
    space = expressions._numpy_namespace(jnp)
    for f in FUNCTIONS:
        if f.numpy:
            value = float(space[f.name](POINT))
            assert numpy.isclose(value, float(getattr(numpy, f.numpy)(POINT)), rtol=F32_RTOL), f.name


def test_every_enclosure_contains_the_exact_value_or_says_it_has_none():
    box = {X: Interval(*BOX)}
    for f in FUNCTIONS:
        expr = built(f.name)
        if f.name in NO_ENCLOSURE:
            with pytest.raises(NoEnclosure):
                enclose(expr, box)
            continue
        if f.name == "sign":  # constant on a box that does not reach 0
            assert (enclose(expr, box).lo, enclose(expr, box).hi) == (1.0, 1.0)
            continue
        got = enclose(expr, box)
        lo, hi = sorted(float(expr.subs(X, sympy.Float(b, 30)).evalf(30)) for b in BOX)
        assert got.lo <= min(lo, exact(f.name)) and max(hi, exact(f.name)) <= got.hi, f.name
        assert got.hi - got.lo < 1.0, f.name  # and says something


def test_the_non_smooth_functions_are_the_tables_and_only_they_are_flagged():
    for f in FUNCTIONS:
        assert is_smooth(built(f.name)) == f.smooth, f.name
    assert {c.__name__ for c in NON_SMOOTH_CLASSES} == {f.sympy for f in FUNCTIONS if not f.smooth}


def test_the_parser_accepts_exactly_the_tables_names_and_sympys_spellings():
    assert set(BUILD) == {f.name for f in FUNCTIONS} | {f.sympy for f in FUNCTIONS if f.sympy}
