"""The elementary functions a loss may call: one table, read by every layer.

Each row names the function as a loss writes it, as SymPy builds it and as NumPy (and
``jax.numpy``) computes it, and whether it is smooth everywhere.  The parser
(:mod:`sosverify.safe_expr`), the generated numeric code (:mod:`sosverify.expressions`), the
interval enclosures of ``analyse`` (:mod:`sosverify.symbolic.numeric`) and ``--help`` all read
it, so a function added here is accepted, computed and enclosed everywhere or fails the table's
test (``tests/test_functions_table.py``).  Kept free of SymPy so that the command line starts
without importing it.

>>> [f.name for f in FUNCTIONS if not f.smooth]
['abs', 'sign']
>>> BY_NAME["asin"].numpy
'arcsin'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    """One function a loss may call (with exactly one argument).

    ``sympy``: the name of what builds it in SymPy (``sympy.Abs`` prints as ``Abs``, and a loss
    may use that spelling too); empty when it is written through other functions (``sigmoid(u)``
    is ``1/(1 + exp(-u))``, so it never appears in a built expression).
    ``numpy``: its NumPy name in generated code (SymPy prints ``u**(1/2)`` as ``sqrt(u)``); empty
    when no printed expression calls it.
    ``smooth``: differentiable everywhere (``analyse`` warns on the kinks of the others).
    """

    name: str
    sympy: str
    numpy: str
    smooth: bool = True


FUNCTIONS = (
    Function("exp", "exp", "exp"),
    Function("log", "log", "log"),
    Function("sqrt", "sqrt", "sqrt"),
    Function("sin", "sin", "sin"),
    Function("cos", "cos", "cos"),
    Function("tan", "tan", "tan"),
    Function("sinh", "sinh", "sinh"),
    Function("cosh", "cosh", "cosh"),
    Function("tanh", "tanh", "tanh"),
    Function("asin", "asin", "arcsin"),
    Function("acos", "acos", "arccos"),
    Function("atan", "atan", "arctan"),
    Function("sigmoid", "", ""),
    Function("abs", "Abs", "abs", smooth=False),
    Function("sign", "sign", "sign", smooth=False),
)

BY_NAME = {f.name: f for f in FUNCTIONS}

#: the names a loss may call, in the order ``--help`` lists them.
FUNCTION_NAMES = tuple(f.name for f in FUNCTIONS)


def function_list() -> str:
    """The accepted functions, for ``--help`` and error messages."""
    return ", ".join(FUNCTION_NAMES)
