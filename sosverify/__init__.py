"""sosverify: check and reproduce "Stable Opponent Shaping in Differentiable Games"."""

from sosverify._autodiff import np
from sosverify.errors import SosverifyError
from sosverify.game import Game

__version__ = "0.1.0"
__all__ = ["np", "Game", "SosverifyError", "__version__", "run", "get_game", "analyse"]


def __getattr__(name):
    """``sosverify.run``, ``sosverify.get_game`` and ``sosverify.analyse``, imported when first used
    (so that ``import sosverify`` stays light and does not load SymPy)."""
    if name == "run":
        from sosverify.runner import run
        return run
    if name == "get_game":
        from sosverify.games import get_game
        return get_game
    if name == "analyse":
        from sosverify.symbolic.analyse import analyse
        return analyse
    raise AttributeError(f"module 'sosverify' has no attribute {name!r}")
