"""Loss strings parsed, never executed.

:func:`parse_expression` reads a loss such as ``"(x+y)**2 - 2*x"`` with Python's
:func:`ast.parse` in ``"eval"`` mode, which only builds a syntax tree, and walks
that tree against an allow-list, building the SymPy expression itself.  Nothing
in the text is ever evaluated by Python: no ``eval``, ``sympify`` or
``parse_expr`` touches user text.

What a loss may contain:

- numbers: integers and decimals (``0.5``, ``1e-3``), read as exact rationals;
- names: the players' symbols (any Python identifier, Greek letters welcome);
  ``pi`` and ``E`` are the constants π and e;
- ``+ - * / **``, unary minus and plus, parentheses;
- calls, with one positional argument, to the functions in :data:`FUNCTIONS`.

Everything else is refused with one line naming what is not allowed: attribute
access, subscripts, strings, lambdas, comprehensions, keyword arguments,
comparisons, calls to any other name, names with double underscores, and the
imaginary unit ``I`` (losses are real).  Other names SymPy would read as objects
(``S``, ``N``, ``O``, ``Q``, ``oo``, ...) are plain real symbols here, so a loss
that uses one must give it to a player.

Bounds keep every input small: at most :data:`MAX_LENGTH` characters,
:data:`MAX_DEPTH` levels of nesting, integer literals below ``10**15``, numeric
exponents that are rationals with numerator and denominator at most
:data:`MAX_EXPONENT`, and no intermediate number with more than
:data:`MAX_NUMBER_BITS` bits (about 300 digits).

:func:`check_allowed` applies the same allow-list to SymPy expressions built in
Python, so :func:`sosverify.expressions.lambdify_losses` only ever generates code
that calls the functions below.

>>> x, y = sympy.symbols("x y", real=True)
>>> parse_expression("(x+y)**2 - 2*x", {"x": x, "y": y})
-2*x + (x + y)**2
>>> parse_expression("0.5*exp(-x)", {"x": x})
exp(-x)/2
>>> parse_expression("__import__('os')", {"x": x})
Traceback (most recent call last):
...
sosverify.errors.SosverifyError: names with double underscores ('__import__') are not allowed
"""

from __future__ import annotations

import ast
import keyword
import unicodedata

import sympy

from sosverify._functions import FUNCTIONS as TABLE
from sosverify._functions import function_list
from sosverify.errors import SosverifyError


def _sigmoid(u):
    return 1 / (1 + sympy.exp(-u))


#: name in a loss string → how it is built (each takes exactly one argument), from the one table of
#: :mod:`sosverify._functions`; SymPy's own spelling is read back too (``Abs``, as ``abs`` prints).
FUNCTIONS = {f.name: getattr(sympy, f.sympy) if f.sympy else _sigmoid for f in TABLE}
FUNCTIONS.update({f.sympy: FUNCTIONS[f.name] for f in TABLE if f.sympy and f.sympy != f.name})

#: what a built expression may apply: SymPy's function classes of the table (``sqrt`` builds a power).
_FUNCTION_CLASSES = tuple(c for c in (getattr(sympy, f.sympy) for f in TABLE if f.sympy)
                          if isinstance(c, sympy.FunctionClass))

#: the classes of the functions that are not smooth everywhere (``analyse`` warns at their kinks).
NON_SMOOTH_CLASSES = tuple(getattr(sympy, f.sympy) for f in TABLE if not f.smooth)

#: named constants.
CONSTANTS = {"pi": sympy.pi, "E": sympy.E}

#: names that may not be a player's symbol, with the reason.
RESERVED = {"I": "I is the imaginary unit, which a real loss cannot use",
            "alpha": "alpha is reserved for the learning rate α in the symbolic analysis",
            **{name: f"{name} is a function" for name in FUNCTIONS},
            "pi": "pi is the constant π", "E": "E is the constant e"}

MAX_LENGTH = 2000
MAX_DEPTH = 40
MAX_INTEGER = 10 ** 15
MAX_EXPONENT = 64
MAX_NUMBER_BITS = 1000

_ATOM_CLASSES = (sympy.Symbol, sympy.Rational, sympy.Float)
_OPERATOR_CLASSES = (sympy.Add, sympy.Mul, sympy.Pow)
_CONSTANT_VALUES = (sympy.pi, sympy.E)


def normalise_name(name: str) -> str:
    """A symbol name as Python's parser reads it (NFKC, so ``ℌ`` is ``H``)."""
    return unicodedata.normalize("NFKC", name.strip())


def check_symbol_name(name: str) -> None:
    """Raise unless ``name`` can be a player's symbol."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise SosverifyError(f"{name!r} is not a valid symbol name (a letter or _, then letters, digits or _)")
    if "__" in name:
        raise SosverifyError(f"names with double underscores ({name!r}) are not allowed")
    if name in RESERVED:
        raise SosverifyError(f"{name!r} cannot be a player's symbol: {RESERVED[name]}")


def _bits(value) -> int:
    if isinstance(value, sympy.Rational):
        return max(abs(value.p).bit_length(), abs(value.q).bit_length())
    return 0


def _check_size(expr):
    if isinstance(expr, sympy.Rational) and _bits(expr) > MAX_NUMBER_BITS:
        raise SosverifyError(f"a number in this loss would have more than {MAX_NUMBER_BITS} bits; "
                             "numbers are limited to about 300 digits")
    return expr


_DESCRIPTIONS = [(ast.Attribute, "attribute access (a.b)"), (ast.Subscript, "subscripts (a[b])"),
                 (ast.Lambda, "lambda"), (ast.ListComp, "comprehensions"), (ast.SetComp, "comprehensions"),
                 (ast.DictComp, "comprehensions"), (ast.GeneratorExp, "comprehensions"),
                 (ast.Compare, "comparisons"), (ast.BoolOp, "and/or"), (ast.IfExp, "if-else"),
                 (ast.List, "lists"), (ast.Tuple, "tuples (a comma)"), (ast.Dict, "dicts"), (ast.Set, "sets"),
                 (ast.JoinedStr, "strings"), (ast.Starred, "starred arguments"), (ast.NamedExpr, "assignment (:=)"),
                 (ast.Await, "await"), (ast.Yield, "yield"), (ast.YieldFrom, "yield"), (ast.Slice, "slices")]


def _describe(node: ast.AST) -> str:
    for cls, text in _DESCRIPTIONS:
        if isinstance(node, cls):
            return text
    return type(node).__name__


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED_BINOPS = {ast.BitXor: "'^' (use ** for powers)", ast.MatMult: "'@'", ast.Mod: "'%'",
                   ast.FloorDiv: "'//'", ast.LShift: "'<<'", ast.RShift: "'>>'", ast.BitOr: "'|'",
                   ast.BitAnd: "'&'"}


class _Builder:
    def __init__(self, symbols: dict):
        self.symbols = symbols

    def build(self, node: ast.AST, depth: int = 0):
        if depth > MAX_DEPTH:
            raise SosverifyError(f"the loss is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return _check_size(-self.build(node.operand, depth + 1))
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            raise SosverifyError(f"operator {'not' if isinstance(node.op, ast.Not) else '~'!r} is not allowed; "
                                 "allowed: + - * / ** and parentheses")
        if isinstance(node, ast.BinOp):
            return self.binop(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise SosverifyError(f"{_describe(node)} not allowed in a loss; allowed: numbers, the players' symbols, "
                             "+ - * / **, parentheses and the functions " + function_list())

    def constant(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "strings" if isinstance(value, (str, bytes)) else f"the constant {value!r}"
            raise SosverifyError(f"{kind} not allowed in a loss; numbers must be integers or decimals")
        if isinstance(value, int):
            if abs(value) >= MAX_INTEGER:
                raise SosverifyError(f"an integer literal with {len(str(abs(value)))} digits is too large (at most 15 digits)")
            return sympy.Integer(value)
        if not (value == 0 or 1e-15 <= abs(value) < MAX_INTEGER):
            raise SosverifyError(f"decimal literal {value!r} is out of range (0 or between 1e-15 and 1e15)")
        return sympy.Rational(repr(value))  # the shortest decimal that reads back as this float, exactly

    def name(self, name: str):
        if "__" in name:
            raise SosverifyError(f"names with double underscores ({name!r}) are not allowed")
        if name in FUNCTIONS:
            raise SosverifyError(f"function {name!r} needs one argument in parentheses, e.g. {name}(x)")
        if name == "I":
            raise SosverifyError("I (the imaginary unit) is not allowed: losses are real")
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name not in self.symbols:
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.symbols[name]

    def _chain(self, node: ast.BinOp, ops):
        """Flatten a left-leaning chain ``a + b - c + ...`` into its operands (no recursion per term)."""
        terms: list = []
        operand: ast.expr = node
        while isinstance(operand, ast.BinOp) and type(operand.op) in ops:
            terms.append((type(operand.op), operand.right))
            operand = operand.left
        terms.append((None, operand))
        return terms[::-1]

    def binop(self, node: ast.BinOp, depth: int):
        op = type(node.op)
        if op in _REFUSED_BINOPS:
            raise SosverifyError(f"operator {_REFUSED_BINOPS[op]} is not allowed; allowed: + - * / **")
        if op is ast.Pow:
            base = self.build(node.left, depth + 1)
            exponent = self.build(node.right, depth + 1)
            return self.power(base, exponent)
        group = (ast.Add, ast.Sub) if op in (ast.Add, ast.Sub) else (ast.Mult, ast.Div)
        result = None
        for kind, operand in self._chain(node, group):
            value = self.build(operand, depth + 1)
            if kind is None:
                result = value
            elif kind is ast.Add:
                result = result + value
            elif kind is ast.Sub:
                result = result - value
            elif kind is ast.Mult:
                result = result * value
            else:
                if value == 0:
                    raise SosverifyError("division by zero in the loss")
                result = result / value
            _check_size(result)
        return result

    def power(self, base, exponent):
        if exponent.is_Number:
            if not isinstance(exponent, sympy.Rational) or abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT:
                raise SosverifyError(f"exponent {exponent} is not allowed: numeric exponents are fractions p/q "
                                     f"with |p|, q <= {MAX_EXPONENT}")
            if base.is_Number and _bits(base) * abs(exponent.p) > MAX_NUMBER_BITS:
                raise SosverifyError(f"{base}**{exponent} would have more than {MAX_NUMBER_BITS} bits; "
                                     "numbers are limited to about 300 digits")
            if base == 0 and exponent.is_negative:
                raise SosverifyError("division by zero in the loss (0 to a negative power)")
        result = sympy.Pow(base, exponent)
        if isinstance(result, sympy.Pow) and result.exp.is_Number and abs(result.exp) > MAX_EXPONENT:
            raise SosverifyError(f"the power {result.exp} is too large: numeric exponents are at most {MAX_EXPONENT}")
        return _check_size(result)

    def call(self, node: ast.Call, depth: int):
        if not isinstance(node.func, ast.Name):
            raise SosverifyError(f"only calls to a function by name are allowed ({function_list()}); "
                                 f"{_describe(node.func)} is not allowed")
        name = node.func.id
        if "__" in name:
            raise SosverifyError(f"names with double underscores ({name!r}) are not allowed")
        if name not in FUNCTIONS:
            shown = name if len(name) <= 30 else name[:30] + "..."
            raise SosverifyError(f"call to {shown!r} is not allowed; allowed functions: {function_list()}")
        if node.keywords:
            raise SosverifyError(f"keyword arguments are not allowed ({name} takes one argument)")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise SosverifyError(f"starred arguments are not allowed ({name} takes one argument)")
        if len(node.args) != 1:
            raise SosverifyError(f"{name} takes exactly one argument, got {len(node.args)}")
        argument = self.build(node.args[0], depth + 1)
        return _check_size(FUNCTIONS[name](argument))


def parse_expression(text: str, symbols: dict | None = None, *, max_length: int = MAX_LENGTH):
    """Parse one loss string into a SymPy expression, executing nothing.

    ``symbols`` maps names to the SymPy symbols to use for them; a name not in it
    becomes a new real symbol and is added to it (so the caller can report names no
    player owns).  Raises :class:`SosverifyError` with one line naming what is not
    allowed.  ``max_length`` may be raised to read back long expressions sosverify printed
    (``analyse --json``'s χ of a large game); the other bounds stay.
    """
    if not isinstance(text, str):
        raise SosverifyError(f"a loss must be a string or a SymPy expression, got {type(text).__name__}")
    if len(text) > max_length:
        raise SosverifyError(f"the loss is {len(text)} characters long; at most {max_length} are allowed")
    if not text.strip():
        raise SosverifyError("the loss is empty")
    if "\x00" in text:
        raise SosverifyError("the loss contains a NUL character")
    depth = level = 0
    for ch in text:  # Python's own parser gives up on deep nesting with a MemoryError or RecursionError
        level += ch in "([{"
        level -= ch in ")]}"
        depth = max(depth, level)
    if depth > MAX_DEPTH:
        raise SosverifyError(f"the loss is nested more than {MAX_DEPTH} levels deep")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise SosverifyError(f"cannot parse loss {text.strip()[:60]!r}: invalid syntax{where}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise SosverifyError(f"cannot parse loss {text.strip()[:60]!r}: {type(exc).__name__}") from None
    _check_underflowing_literals(tree, text.strip())
    table = {} if symbols is None else symbols
    try:
        expr = _Builder(table).build(tree.body)
    except RecursionError:
        raise SosverifyError(f"the loss is nested more than {MAX_DEPTH} levels deep") from None
    check_limits(expr)
    return expr


def _check_underflowing_literals(tree, text: str) -> None:
    """Refuse a decimal literal that Python reads as 0.0 though it is not zero (``1e-400``): the range
    of decimals is 0 or 1e-15 to 1e15, and a literal below it must not become 0 unsaid."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float) and node.value == 0:
            written = ast.get_source_segment(text, node) or ""
            mantissa = written.lower().split("e")[0]
            if any(ch in "123456789" for ch in mantissa):
                raise SosverifyError(f"decimal literal {written[:40]} is out of range (0 or between 1e-15 and 1e15); "
                                     "it would be read as 0")


def check_limits(expr) -> None:
    """Raise unless the bounds on exponents and numbers hold for ``expr`` as SymPy keeps it: SymPy
    combines powers as it builds (``((x*y)**64)**64`` is ``x**4096*y**4096``, ``(x+1)**64*(x+1)**64``
    is ``(x+1)**128``), so the bounds are checked again on the result."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_Number:
            e = node.exp
            if not isinstance(e, sympy.Rational) or abs(e.p) > MAX_EXPONENT or e.q > MAX_EXPONENT:
                raise SosverifyError(f"the loss has the power {node} once SymPy combines its powers: numeric "
                                     f"exponents are fractions p/q with |p|, q <= {MAX_EXPONENT}"[:300])
        elif isinstance(node, sympy.Rational) and _bits(node) > MAX_NUMBER_BITS:
            raise SosverifyError(f"a number in this loss has more than {MAX_NUMBER_BITS} bits once SymPy combines "
                                 "it; numbers are limited to about 300 digits")


def check_allowed(expr, what: str = "the loss") -> None:
    """Raise unless ``expr`` is built only from numbers, symbols, + * ** and :data:`FUNCTIONS`.

    This is the gate before ``lambdify``: unevaluated objects (``Integral``,
    ``Derivative``), undefined functions (``Function('print')(x)``), relations and
    anything else are refused.
    """
    if not isinstance(expr, sympy.Basic):
        raise SosverifyError(f"{what} is a {type(expr).__name__}, not a SymPy expression")
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, _ATOM_CLASSES) or isinstance(node, _OPERATOR_CLASSES):
            continue
        if node in _CONSTANT_VALUES:
            continue
        if isinstance(node, _FUNCTION_CLASSES) and not isinstance(node, sympy.core.function.AppliedUndef):
            continue
        name = getattr(node, "func", type(node)).__name__
        raise SosverifyError(f"{what} contains {name}, which is not allowed; a loss is built from numbers, "
                             f"symbols, + - * / ** and the functions {function_list()}")


def is_smooth(expr) -> bool:
    """False if ``expr`` uses ``Abs`` or ``sign`` (not differentiable where the argument is 0)."""
    return not expr.has(*NON_SMOOTH_CLASSES)
