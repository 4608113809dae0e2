"""The symbolic layer (SymPy): exact ξ, H, χ, update rules, fixed points and stability.

Exact arithmetic throughout: real symbols, ``Rational`` numbers, and equality
decided by bringing a difference to a canonical form (``expand``/``cancel``)
and comparing with 0 — never ``simplify()`` as an oracle.
"""

from sosverify.symbolic.fixed_points import classify, fixed_points, lola_fixed_points
from sosverify.symbolic.game import SymGame, is_zero
from sosverify.symbolic.stability import (
    contraction_bound,
    leading_min_eigenvalue_of_symmetric_part,
    lookahead_matrix,
    positive_stability_bound,
)

__all__ = ["SymGame", "is_zero", "classify", "fixed_points", "lola_fixed_points", "lookahead_matrix",
           "positive_stability_bound", "contraction_bound", "leading_min_eigenvalue_of_symmetric_part"]
