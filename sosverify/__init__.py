"""sosverify: check and reproduce "Stable Opponent Shaping in Differentiable Games"."""

from sosverify._autodiff import np
from sosverify.errors import SosverifyError
from sosverify.game import Game

__version__ = "0.1.0"
__all__ = ["np", "Game", "SosverifyError", "__version__", "run", "get_game", "analyse", "from_expressions",
           "from_payoffs"]


def __getattr__(name):
    """``sosverify.run``, ``sosverify.get_game``, ``sosverify.analyse``, ``sosverify.from_expressions``
    (a :class:`Game` from SymPy loss expressions) and ``sosverify.from_payoffs`` (from payoff arrays),
    imported when first used (so that ``import sosverify`` stays light and does not load SymPy).
    They are not :class:`Game` methods: the Game sits below the modules that build games."""
    if name == "run":
        from sosverify.runner import run
        return run
    if name == "get_game":
        from sosverify.games import get_game
        return get_game
    if name == "from_expressions":
        from sosverify.expressions import from_expressions
        return from_expressions
    if name == "from_payoffs":
        from sosverify.games.normal_form import from_payoffs
        return from_payoffs
    if name == "analyse":
        from sosverify.symbolic.analyse import analyse
        return analyse
    raise AttributeError(f"module 'sosverify' has no attribute {name!r}")
