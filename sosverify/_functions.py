"""The names of the elementary functions a loss may call, in the order ``--help`` lists them.

Kept free of SymPy so that the command line starts without importing it;
:mod:`sosverify.safe_expr` maps each name to its SymPy function.
"""

FUNCTION_NAMES = ("exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos", "atan",
                  "sigmoid", "abs", "sign")


def function_list() -> str:
    """The accepted functions, for ``--help`` and error messages."""
    return ", ".join(FUNCTION_NAMES)
