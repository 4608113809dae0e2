"""Games written as SymPy expressions: parsing ``--player "x,y=LOSS"`` and lambdifying.

Loss strings are read by :mod:`sosverify.safe_expr`, which parses and never
executes.  The expressions are turned into autograd-NumPy functions with
``sympy.lambdify`` after :func:`sosverify.safe_expr.check_allowed` has checked
that they use only the allowed functions, and the generated code sees only
those functions, so the numeric layer can run them exactly as it runs the
built-in games.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy
import sympy
from sympy.printing.lambdarepr import LambdaPrinter

from sosverify._functions import FUNCTIONS
from sosverify.backends import active_name, load
from sosverify.errors import SosverifyError
from sosverify.game import Game
from sosverify.safe_expr import check_allowed, check_symbol_name, normalise_name, parse_expression


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
        names = [normalise_name(n) for n in lhs.split(",")]
        for name in names:
            try:
                check_symbol_name(name)
            except SosverifyError as exc:
                raise SosverifyError(f"player {k + 1}: {exc}") from None
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
            expr = parse_expression(body, dict(table))
        except SosverifyError as exc:
            raise SosverifyError(f"player {k + 1}: {exc}") from None
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
        if not isinstance(loss, sympy.Expr) or isinstance(loss, sympy.MatrixBase):
            raise SosverifyError(f"loss {k + 1} is not a scalar SymPy expression (got {type(loss).__name__})")
        check_allowed(loss, f"loss {k + 1}")
        stray = sorted(str(s) for s in loss.free_symbols - known)
        if stray:
            raise SosverifyError(
                f"loss {k + 1} uses {', '.join(stray)}, which no player owns; owned symbols: "
                f"{', '.join(str(s) for s in flat)}")
        if loss.has(sympy.I) or loss.has(sympy.zoo) or loss.has(sympy.nan):
            raise SosverifyError(f"loss {k + 1} is not a real finite expression: {loss}")
        for node in sympy.preorder_traversal(loss):
            if node.is_number and node.is_extended_real is False:  # e.g. (-8)**(1/3) = 2*(-1)**(1/3)
                raise SosverifyError(f"loss {k + 1} has the constant {node}, which is not real; "
                                     f"write a real number (e.g. -2 for the real cube root of -8)")


def check_float_constants(expr, what: str) -> None:
    """Refuse a constant part of ``expr`` that floating point cannot hold (``exp(1000)`` overflows to
    inf): the numeric layer would see inf or NaN in every run and call each one diverged, whatever the
    dynamics.  One line naming the constant.  Inner constants are checked first, so no outer one is
    evaluated around an overflowing argument (sin(exp(exp(exp(3)))) would need 2e8 digits of π)."""
    for node in sympy.postorder_traversal(expr):
        if not node.is_number or isinstance(node, (sympy.Rational, sympy.Float, sympy.NumberSymbol)):
            continue
        try:
            value = complex(sympy.N(node, 20))
        except (TypeError, ValueError, OverflowError, ArithmeticError):
            value = complex(numpy.inf)
        if not (numpy.isfinite(value.real) and abs(value.real) <= numpy.finfo(float).max):
            raise SosverifyError(f"{what} has the constant {str(node)[:60]}, which floating point cannot hold "
                                 "(beyond about 1.8e308); the numeric layer would see inf in every run")


class _Printer(LambdaPrinter):
    """SymPy's lambda printer, with ``sign(u)`` as a call (vectorised) rather than a Python if-else."""

    def _print_sign(self, expr):
        return f"sign({self._print(expr.args[0])})"


#: the functions generated code may call, NumPy's names (``jax.numpy`` spells them the same).
_FUNCTIONS = {f.name: f.numpy for f in FUNCTIONS if f.numpy}


def _numpy_namespace(np) -> dict:
    """The only names generated code can call: the allowed functions, from the NumPy-like module ``np``."""
    return {**{k: getattr(np, v) for k, v in _FUNCTIONS.items()}, "pi": float(sympy.pi), "e": float(sympy.E)}


def to_expression(loss, table: dict, k: int):
    """A loss as a SymPy expression: strings through the safe parser, SymPy expressions as they are."""
    if isinstance(loss, str):
        try:
            return parse_expression(loss, table)
        except SosverifyError as exc:
            raise SosverifyError(f"loss {k + 1}: {exc}") from None
    if isinstance(loss, (int, float)) and not isinstance(loss, bool):
        return sympy.Rational(repr(loss)) if isinstance(loss, float) else sympy.Integer(loss)
    if isinstance(loss, sympy.Basic):
        return loss
    raise SosverifyError(f"loss {k + 1} must be a string or a SymPy expression, got {type(loss).__name__}")


def to_symbols(symbols) -> list:
    """Each player's symbols as lists of real SymPy symbols (names given as strings become real symbols)."""
    if isinstance(symbols, (str, bytes)) or not isinstance(symbols, (list, tuple)):
        raise SosverifyError(f"the players must be a list with each player's symbols (e.g. [['x'], ['y']]), got "
                             f"{type(symbols).__name__} {symbols!r}"[:300])
    out = []
    for group in symbols:
        group = list(group) if isinstance(group, (list, tuple)) else [group]
        row = []
        for s in group:
            if isinstance(s, str):
                name = normalise_name(s)
                check_symbol_name(name)
                s = sympy.Symbol(name, real=True)
            if not isinstance(s, sympy.Symbol):
                raise SosverifyError(f"a player's symbol must be a name or a SymPy Symbol, got {type(s).__name__}")
            row.append(s)
        out.append(row)
    return out


def lambdify_losses(losses, symbols):
    """Turn SymPy losses into a batched ``loss_fn(params) -> [L^1, ..., L^n]``.

    Each symbol becomes a column ``params[i][:, k]``; constants are broadcast to
    ``(R,)``.
    """
    check_expressions(losses, symbols)
    for k, loss in enumerate(losses):
        check_float_constants(loss, f"loss {k + 1}")
    flat = [s for group in symbols for s in group]
    printer = _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
                        "user_functions": {name: name for name in _numpy_namespace(numpy)}})
    compiled: dict = {}

    def build(backend: str):
        # all losses in one function, common subexpressions computed once (cse=True); the
        # namespace is the backend's NumPy, so each backend gets its own compiled function
        namespace = _numpy_namespace(load(backend).np)
        return sympy.lambdify(flat, list(losses), modules=[namespace], printer=printer, dummify=True, cse=True)

    def loss_fn(params):
        backend = active_name()
        if backend not in compiled:
            compiled[backend] = build(backend)
        cols = [p[:, k] for p in params for k in range(p.shape[1])]
        zero = 0.0 * cols[0]
        return [value + zero for value in compiled[backend](*cols)]

    return loss_fn


def from_expressions(losses, symbols, name: str = "custom") -> Game:
    """A :class:`Game` from loss expressions and the symbols each player controls.

    Losses are SymPy expressions or strings (parsed by :mod:`sosverify.safe_expr`);
    symbols are SymPy symbols or names.

    >>> import sympy
    >>> x, y = sympy.symbols("x y", real=True)
    >>> g = from_expressions([(x + y)**2 - 2*x, (x + y)**2 - 2*y], [[x], [y]], name="tandem")
    >>> g.dims
    (1, 1)
    """
    if isinstance(losses, (str, bytes)) or not isinstance(losses, (list, tuple)):
        raise SosverifyError(f"the losses must be a list with one loss per player, got {type(losses).__name__} "
                             f"{losses!r}"[:300])
    symbols = to_symbols(symbols)
    table = {str(s): s for group in symbols for s in group}
    losses = [to_expression(loss, dict(table), k) for k, loss in enumerate(losses)]
    fn = lambdify_losses(losses, symbols)
    desc = "; ".join(f"L{k + 1}={loss}" for k, loss in enumerate(losses))
    return Game(name, tuple(len(g) for g in symbols), fn, description=desc,
                params={"losses": [str(loss) for loss in losses],
                        "players": [[str(s) for s in g] for g in symbols]})


def game_from_specs(specs: Sequence[str], name: str = "custom") -> Game:
    """A :class:`Game` from ``--player "SYMBOLS=LOSS"`` strings (recorded as given in ``params["specs"]``)."""
    losses, symbols = parse_players(specs)
    game = from_expressions(losses, symbols, name=name)
    game.params["specs"] = [str(s) for s in specs]  # what the user wrote, recorded beside the parsed losses
    return game
