"""The paper's small games, each written once, as SymPy losses and the symbols each player controls (SPEC §3).

The symbolic claims (:mod:`sosverify.claims`), the audit's examples (:mod:`sosverify.audit.strategies`)
and the tests start from these.  The numeric forms in :mod:`sosverify.games` are written by hand for
speed (one line of array code each); ``tests/test_games.py`` checks that every one of them equals its
expressions here, losses and ξ, at drawn points.

>>> TANDEM.losses[0] == (x + y)**2 - 2*x, TANDEM.players
(True, ((x,), (y,)))
>>> sorted(PAPER)
['common-saddle', 'cyclic', 'matching-pennies', 'remark-d5', 'single-loss', 'tandem']
"""

from __future__ import annotations

from typing import NamedTuple

import sympy

x, y, z, w = sympy.symbols("x y z w", real=True)


class PaperGame(NamedTuple):
    """A game of the paper as expressions: ``losses[i]`` is player ``i``'s loss, ``players[i]`` its symbols."""

    name: str
    losses: tuple
    players: tuple


def _sigmoid(t):
    return 1 / (1 + sympy.exp(-t))


def _linear(name: str, H, symbols) -> PaperGame:
    """``ξ = Hθ``: ``L^i = ½ H_ii θ_i² + Σ_{j≠i} H_ij θ_i θ_j`` (one parameter per player)."""
    H = sympy.Matrix(H)
    n = H.shape[0]
    losses = tuple(sympy.Rational(1, 2) * H[i, i] * symbols[i] ** 2
                   + sum(H[i, j] * symbols[i] * symbols[j] for j in range(n) if j != i) for i in range(n))
    return PaperGame(name, losses, tuple((s,) for s in symbols))


# Remark D.5's matrix (SPEC §3): (I − αH_o)H is positive stable for small α, H_o H is not positive definite
REMARK_D5_H = ((9, -4, -3, -3), (-2, 1, 2, 1), (-3, 0, 1, 0), (-3, 1, 2, 1))

TANDEM = PaperGame("tandem", ((x + y) ** 2 - 2 * x, (x + y) ** 2 - 2 * y), ((x,), (y,)))           # Example 2
CYCLIC = PaperGame("cyclic", (x * y, -x * y), ((x,), (y,)))                                      # Example 1
COMMON_SADDLE = PaperGame("common-saddle", (x * y, x * y), ((x,), (y,)))                         # §2.2
SINGLE_LOSS = PaperGame("single-loss", (y ** 2,), ((x, y),))                                    # Appendix A
_PENNIES = (2 * _sigmoid(x) - 1) * (2 * _sigmoid(y) - 1)                                         # §5
MATCHING_PENNIES = PaperGame("matching-pennies", (_PENNIES, -_PENNIES), ((x,), (y,)))
REMARK_D5 = _linear("remark-d5", REMARK_D5_H, (x, y, z, w))                                      # Remark D.5

PAPER = {g.name: g for g in (TANDEM, CYCLIC, COMMON_SADDLE, SINGLE_LOSS, MATCHING_PENNIES, REMARK_D5)}
