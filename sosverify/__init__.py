"""sosverify: check and reproduce "Stable Opponent Shaping in Differentiable Games"."""

from sosverify._autodiff import np
from sosverify.errors import SosverifyError
from sosverify.game import Game

__version__ = "0.1.0"
__all__ = ["np", "Game", "SosverifyError", "__version__"]
