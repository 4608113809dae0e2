"""Games written as SymPy expressions: parsing ``--player "x,y=LOSS"`` and lambdifying.

The expressions are turned into autograd-NumPy functions with
``sympy.lambdify``, so the numeric layer can run them exactly as it runs the
built-in games.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy
from sympy.parsing.sympy_parser import parse_expr, standard_transformations

from sosverify import _autodiff
from sosverify.errors import SosverifyError
from sosverify.game import Game

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_players(specs: Sequence[str]):
    """Parse ``["x=LOSS", "y1,y2=LOSS", ...]`` into ``(losses, symbols_per_player)``.

    Symbols are real SymPy symbols.  Every symbol used must be owned by exactly
    one player.

    >>> losses, syms = parse_players(["x=(x+y)**2-2*x", "y=(x+y)**2-2*y"])
    >>> syms
    [[x], [y]]
    """
    if not specs:
        raise SosverifyError("a game needs at least one --player \"SYMBOLS=LOSS\"")
    owned: dict[str, int] = {}
    names_per_player = []
    bodies = []
    for k, spec in enumerate(specs):
        if "=" not in spec:
            raise SosverifyError(f"player {k + 1}: {spec!r} is not of the form \"SYMBOLS=LOSS\" (e.g. \"x=x*y\")")
        lhs, body = spec.split("=", 1)
        names = [n.strip() for n in lhs.split(",")]
        for name in names:
            if not _NAME.match(name):
                raise SosverifyError(f"player {k + 1}: {name!r} is not a valid symbol name")
            if name in owned:
                raise SosverifyError(
                    f"symbol {name!r} is owned by player {owned[name] + 1} and player {k + 1}; "
                    "each parameter belongs to exactly one player")
            owned[name] = k
        names_per_player.append(names)
        bodies.append(body)
    table = {name: sympy.Symbol(name, real=True) for name in owned}
    losses = []
    for k, body in enumerate(bodies):
        try:
            expr = parse_expr(body, local_dict=dict(table), transformations=standard_transformations,
                              evaluate=True)
        except Exception as exc:  # SyntaxError, TokenError, TypeError from SymPy's parser
            raise SosverifyError(f"player {k + 1}: cannot parse loss {body.strip()!r}: {type(exc).__name__}") from None
        if not isinstance(expr, sympy.Expr):
            raise SosverifyError(f"player {k + 1}: loss {body.strip()!r} is not a scalar expression")
        losses.append(expr)
    symbols = [[table[n] for n in names] for names in names_per_player]
    check_expressions(losses, symbols)
    return losses, symbols


def check_expressions(losses, symbols, constants=()) -> None:
    """Raise unless every loss is a real scalar expression over the players' symbols
    (and the symbolic ``constants``, e.g. coefficients of a generic game)."""
    if len(losses) != len(symbols):
        raise SosverifyError(f"{len(losses)} losses for {len(symbols)} players; give one loss per player")
    flat = [s for group in symbols for s in group]
    if len(set(flat)) != len(flat):
        raise SosverifyError("a symbol is owned by two players; each parameter belongs to exactly one player")
    for k, group in enumerate(symbols):
        if not group:
            raise SosverifyError(f"player {k + 1} controls no symbols")
    known = set(flat) | set(constants)
    for k, loss in enumerate(losses):
        loss = sympy.sympify(loss)
        if not isinstance(loss, sympy.Expr) or isinstance(loss, sympy.MatrixBase):
            raise SosverifyError(f"loss {k + 1} is not a scalar expression")
        stray = sorted(str(s) for s in loss.free_symbols - known)
        if stray:
            raise SosverifyError(
                f"loss {k + 1} uses {', '.join(stray)}, which no player owns; owned symbols: "
                f"{', '.join(str(s) for s in flat)}")
        if loss.has(sympy.I) or loss.has(sympy.zoo) or loss.has(sympy.nan):
            raise SosverifyError(f"loss {k + 1} is not a real finite expression: {loss}")


def lambdify_losses(losses, symbols):
    """Turn SymPy losses into a batched ``loss_fn(params) -> [L^1, ..., L^n]``.

    Each symbol becomes a column ``params[i][:, k]``; constants are broadcast to
    ``(R,)``.
    """
    check_expressions(losses, symbols)
    flat = [s for group in symbols for s in group]
    funcs = [sympy.lambdify(flat, sympy.sympify(loss), modules=[_autodiff.np]) for loss in losses]

    def loss_fn(params):
        cols = [p[:, k] for p in params for k in range(p.shape[1])]
        zero = 0.0 * cols[0]
        return [f(*cols) + zero for f in funcs]

    return loss_fn


def from_expressions(losses, symbols, name: str = "custom") -> Game:
    """A :class:`Game` from SymPy loss expressions and the symbols each player controls.

    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> g = from_expressions([(x + y)**2 - 2*x, (x + y)**2 - 2*y], [[x], [y]], name="tandem")
    >>> g.dims
    (1, 1)
    """
    symbols = [list(group) if isinstance(group, (list, tuple)) else [group] for group in symbols]
    losses = [sympy.sympify(loss) for loss in losses]
    fn = lambdify_losses(losses, symbols)
    desc = "; ".join(f"L{k + 1}={loss}" for k, loss in enumerate(losses))
    return Game(name, tuple(len(g) for g in symbols), fn, description=desc,
                params={"losses": [str(loss) for loss in losses],
                        "players": [[str(s) for s in g] for g in symbols]})


def game_from_specs(specs: Sequence[str], name: str = "custom") -> Game:
    """A :class:`Game` from ``--player "SYMBOLS=LOSS"`` strings."""
    losses, symbols = parse_players(specs)
    return from_expressions(losses, symbols, name=name)
