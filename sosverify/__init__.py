"""sosverify: check and reproduce "Stable Opponent Shaping in Differentiable Games"."""

from sosverify._autodiff import np
from sosverify.errors import SosverifyError
from sosverify.game import Game

__version__ = "0.1.0"
__all__ = ["np", "Game", "SosverifyError", "__version__", "run", "get_game", "analyse"]


def __getattr__(name):
    """``sosverify.run``, ``sosverify.get_game`` and ``sosverify.analyse``, imported when first used
    (so that ``import sosverify`` stays light and does not load SymPy)."""
    if name in ("run", "get_game"):
        import functools

        from sosverify import games, runner

        mine, theirs = (_run, runner.run) if name == "run" else (_get_game, games.get_game)
        return functools.update_wrapper(mine, theirs)  # its signature and docstring
    if name == "analyse":
        from sosverify.symbolic.analyse import analyse
        return analyse
    raise AttributeError(f"module 'sosverify' has no attribute {name!r}")


def _plain_numbers(kwargs: dict) -> dict:
    """Numbers of any real type given where the runner takes a number, as ``float`` (``Fraction``,
    ``Decimal``, SymPy's numbers) or ``int`` (NumPy's integers): the API takes what the command line
    takes (``--alpha 1/10``).  Anything else is passed on to be checked where it is used."""
    import decimal
    import numbers

    from sosverify.validation import _is_sympy_real, real_number

    out = dict(kwargs)
    for key, value in kwargs.items():
        if isinstance(value, bool) or type(value) in (int, float):
            continue
        if isinstance(value, numbers.Integral):
            out[key] = int(value)
        elif isinstance(value, (numbers.Real, decimal.Decimal)) or _is_sympy_real(value):
            out[key] = real_number(key, value, positive=key == "alpha")
    return out


def _run(game, algorithm, **kwargs):
    from sosverify.games import GAMES
    from sosverify.runner import run
    from sosverify.validation import name_in

    if not isinstance(game, Game):
        name_in("game", game, GAMES)  # a name, or one line (a list is not hashed, a number not called)
    return run(game, algorithm, **_plain_numbers(kwargs))


def _get_game(name, **params):
    from sosverify.games import GAMES, get_game
    from sosverify.validation import name_in

    return get_game(name_in("game", name, GAMES), **_plain_numbers(params))
