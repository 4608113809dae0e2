"""Loss strings are parsed, never executed: hostile inputs, bounds, names, and the round trip."""

import builtins
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from sosverify.errors import SosverifyError
from sosverify.expressions import from_expressions, game_from_specs, parse_players
from sosverify.safe_expr import FUNCTIONS, MAX_LENGTH, check_allowed, parse_expression
from sosverify.symbolic.game import SymGame
from tests.conftest import assert_close

x, y = sympy.symbols("x y", real=True)
ROOT = Path(__file__).resolve().parents[1]

HOSTILE = [
    ("__import__('os').system('echo owned')", "attribute access"),
    ("__import__('os')", "double underscores"),
    ("__builtins__", "double underscores"),
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("os.system('ls')", "attribute access"),
    ("sympy.exp(x)", "attribute access"),
    ("eval('1+1')", "call to 'eval' is not allowed"),
    ("exec('import os')", "call to 'exec' is not allowed"),
    ("open('/etc/passwd')", "call to 'open' is not allowed"),
    ("print(x)", "call to 'print' is not allowed"),
    ("globals()", "call to 'globals' is not allowed"),
    ("getattr(x, 'y')", "call to 'getattr' is not allowed"),
    ("breakpoint()", "call to 'breakpoint' is not allowed"),
    ("Function('print')(x)", "only calls to a function by name"),
    ("Integral(x, x)", "call to 'Integral' is not allowed"),
    ("Derivative(x, x)", "call to 'Derivative' is not allowed"),
    ("sin(x)(y)", "only calls to a function by name"),
    ("lambda: 0", "lambda not allowed"),
    ("[t for t in range(9)]", "comprehensions not allowed"),
    ("sum(t for t in x)", "call to 'sum' is not allowed"),
    ("(t for t in x)", "comprehensions not allowed"),
    ("'x'", "strings not allowed"),
    ("b'x'", "strings not allowed"),
    ("f'{x}'", "strings not allowed"),
    ("x[0]", "subscripts"),
    ("exp(x=1)", "keyword arguments are not allowed"),
    ("exp(*x)", "starred arguments are not allowed"),
    ("exp(x, 2)", "exp takes exactly one argument"),
    ("exp", "needs one argument"),
    ("2**10**10", "exponent 10000000000 is not allowed"),
    ("9**9**9", "exponent 387420489 is not allowed"),
    ("(x**64)**64", "power 4096 is too large"),
    ("((x*y)**64)**64", "x**4096 once SymPy combines"),  # a Mul: SymPy writes x**4096*y**4096
    ("(x+1)**64*(x+1)**64", "(x + 1)**128 once SymPy combines"),
    ("x**64/x**(-64)", "x**128 once SymPy combines"),
    ("sqrt(x**(1/64))", "x**(1/128) once SymPy combines"),
    ("x**1.5e10", "is not allowed"),
    ("999999999999999**64", "more than 1000 bits"),
    ("*".join(["999999999999999"] * 30), "more than 1000 bits"),
    ("1" + "0" * 400, "too large"),
    ("1e400*x", "out of range"),
    ("1j*x", "constant 1j not allowed"),
    ("None", "constant None not allowed"),
    ("True*x", "constant True not allowed"),
    ("x + ...", "constant Ellipsis not allowed"),
    ("(" * 200 + "x" + ")" * 200, "nested more than"),
    ("exp(" * 60 + "x" + ")" * 60, "nested more than"),
    ("-" * 500 + "x", "nested more than"),
    ("x+" * MAX_LENGTH + "x", "characters long"),
    ("x if y else x", "if-else not allowed"),
    ("x < y", "comparisons not allowed"),
    ("x and y", "and/or not allowed"),
    ("(x := 1)", "assignment (:=) not allowed"),
    ("import os", "invalid syntax"),
    ("x; import os", "invalid syntax"),
    ("{x: 1}", "dicts not allowed"),
    ("[x]", "lists not allowed"),
    ("x, y", "tuples (a comma) not allowed"),
    ("I*x", "imaginary unit"),
    ("x^2", "use ** for powers"),
    ("x @ y", "'@'"),
    ("x % 2", "'%'"),
    ("x // 2", "'//'"),
    ("~x", "'~'"),
    ("not x", "'not'"),
    ("x/0", "division by zero"),
    ("0**-1", "division by zero"),
    ("x\x00", "NUL"),
    ("", "empty"),
]


@contextlib.contextmanager
def nothing_runs():
    """Within the block, any call that runs code or a shell or opens a file fails the test."""
    calls = []

    def forbidden(name):
        def fail(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called while parsing a loss")
        return fail

    with pytest.MonkeyPatch.context() as mp:
        for module, name in [(os, "system"), (os, "popen"), (subprocess, "Popen"), (builtins, "open"),
                             (builtins, "eval"), (builtins, "exec")]:
            mp.setattr(module, name, forbidden(f"{module.__name__}.{name}"))
        yield calls


def test_hostile_battery_is_large_enough():
    assert len(HOSTILE) >= 30
    assert len({text for text, _ in HOSTILE}) == len(HOSTILE)


@pytest.mark.parametrize("text, message", HOSTILE, ids=[f"hostile{i}" for i in range(len(HOSTILE))])
def test_hostile_loss_is_refused_with_one_line_and_nothing_runs(text, message):
    with nothing_runs() as calls, pytest.raises(SosverifyError) as info:
        parse_players([f"x,y={text}"])
    assert calls == []
    text_of_error = str(info.value)
    assert message in text_of_error
    assert "\n" not in text_of_error and len(text_of_error) < 400


def test_the_patches_would_catch_a_call():
    """The guard is not vacuous: running code under it fails."""
    with nothing_runs() as calls, pytest.raises(AssertionError, match="builtins.eval"):
        eval("1")  # noqa: S307 - the call the guard must catch
    assert calls == ["builtins.eval"]


def test_a_shell_command_in_a_loss_never_runs(tmp_path):
    marker = tmp_path / "owned"
    loss = f"__import__('os').system('touch {marker}')"
    proc = subprocess.run([sys.executable, "-m", "sosverify.cli", "analyse", "--player", f"x={loss}"],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "attribute access" in proc.stderr
    assert not marker.exists()


def test_parser_builds_exact_rationals_and_the_listed_functions():
    table = {"x": x, "y": y}
    assert parse_expression("0.5*x + 1e-3", table) == x / 2 + sympy.Rational(1, 1000)
    assert parse_expression("sigmoid(x)", table) == 1 / (1 + sympy.exp(-x))
    assert parse_expression("x**(1/3) - sqrt(y)", table) == x ** sympy.Rational(1, 3) - sympy.sqrt(y)
    assert parse_expression("pi*x + E", table) == sympy.pi * x + sympy.E
    assert parse_expression("-+-x", table) == x
    assert parse_expression("x - y - x", table) == -y  # left-associative, as Python reads it
    assert parse_expression("x / y / 2", table) == x / (2 * y)
    assert parse_expression("2**3**2", table) == 512  # right-associative power
    for name in FUNCTIONS:
        assert parse_expression(f"{name}(x)", table).has(x)


def test_long_sums_are_flattened_not_nested():
    assert parse_expression("+".join(["x"] * 900), {"x": x}) == 900 * x


def test_unknown_names_become_real_symbols_that_a_player_must_own():
    table = {"x": x}
    expr = parse_expression("x*S + N + Q + O + oo", table)
    assert {str(s) for s in expr.free_symbols} == {"x", "S", "N", "Q", "O", "oo"}
    assert all(s.is_real for s in expr.free_symbols)
    with pytest.raises(SosverifyError, match="uses N, which no player owns"):
        parse_players(["x=x*N"])


def test_names_sympy_reads_as_objects_are_plain_symbols_when_players_own_them():
    losses, syms = parse_players(["S,N=S*N + O", "O,Q=Q**2 - S"])
    assert [str(s) for group in syms for s in group] == ["S", "N", "O", "Q"]
    assert losses[0] == syms[0][0] * syms[0][1] + syms[1][0]


@pytest.mark.parametrize("name, message", [("I", "imaginary unit"), ("E", "constant e"), ("pi", "constant π"),
                                           ("exp", "is a function"), ("alpha", "learning rate"),
                                           ("__x", "double underscores"), ("lambda", "not a valid symbol"),
                                           ("x.y", "not a valid symbol")])
def test_reserved_and_invalid_player_names_are_refused(name, message):
    with pytest.raises(SosverifyError, match=message):
        parse_players([f"{name}=1"])


def test_greek_names_work_and_are_normalised_like_python():
    g = game_from_specs(["θ=(θ+φ)**2-2*θ", "φ=(θ+φ)**2-2*φ"])
    assert_close(g.losses(numpy.array([[1.0, 0.5]])), [[0.25], [1.25]], rtol=1e-14, atol=0)
    losses, syms = parse_players(["ℌ=ℌ**2"])  # Python's parser reads ℌ as H (NFKC)
    assert str(syms[0][0]) == "H" and losses[0] == syms[0][0] ** 2


def test_game_from_expressions_parses_strings_through_the_same_path():
    with nothing_runs() as calls:
        sym = SymGame(["(x+y)**2-2*x", "(x+y)**2-2*y"], [["x"], ["y"]])
    assert calls == [] and sym.losses[0] == (x + y) ** 2 - 2 * x
    g = from_expressions(["(x+y)**2-2*x", "(x+y)**2-2*y"], [["x"], ["y"]])
    assert_close(g.losses(numpy.array([[1.0, 2.0]])), [[7.0], [5.0]], rtol=1e-14, atol=0)
    with pytest.raises(SosverifyError, match="call to 'print' is not allowed"):
        from_expressions(["print(x)", "y"], [["x"], ["y"]])


@pytest.mark.parametrize("loss, name", [
    (sympy.Function("print")(x), "print"),
    (sympy.Integral(x, x), "Integral"),
    (sympy.Derivative(x ** 2 * y, x), "Derivative"),
    (sympy.Max(x, y), "Max"),
    (sympy.Piecewise((x, x > 0), (y, True)), "Piecewise"),
    (sympy.gamma(x), "gamma"),
])
def test_sympy_objects_outside_the_list_never_reach_lambdify(loss, name):
    with pytest.raises(SosverifyError, match=f"contains {name}, which is not allowed"):
        from_expressions([loss, y], [[x], [y]])
    with pytest.raises(SosverifyError, match="not allowed"):
        check_allowed(loss)


def test_every_listed_function_lambdifies_and_matches_sympy(rng):
    theta = rng.uniform(0.1, 0.9, size=(4, 2))
    for name in FUNCTIONS:
        g = game_from_specs([f"x={name}(x) + x*y", f"y={name}(y)"])
        loss = parse_expression(f"{name}(x) + x*y", {"x": x, "y": y})
        expected = [float(loss.subs({x: a, y: b})) for a, b in theta]
        assert_close(g.losses(theta)[0], expected, rtol=1e-12, atol=1e-12, err_msg=name)


# -- round trip: the strings sosverify prints parse back to the same expressions -----------------

_ATOMS = st.sampled_from(["x", "y", "2", "3", "0.5", "1/3", "pi", "E"])


@st.composite
def loss_strings(draw, depth=3):
    """Loss strings from the accepted grammar."""
    if depth == 0 or draw(st.booleans()):
        return draw(_ATOMS)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "**", "call", "neg"]))
    a = draw(loss_strings(depth=depth - 1))
    if kind == "call":
        return f"{draw(st.sampled_from(sorted(FUNCTIONS)))}({a})"
    if kind == "neg":
        return f"-({a})"
    if kind == "**":
        return f"({a})**{draw(st.sampled_from(['2', '3', '(1/2)', '(-1)']))}"
    b = draw(loss_strings(depth=depth - 1))
    return f"({a}){kind}({b})"


@given(loss_strings())
def test_property_printed_expressions_parse_back_to_themselves(text):
    table = {"x": x, "y": y}
    try:
        expr = parse_expression(text, table)
    except SosverifyError:  # e.g. a division by zero the grammar happened to draw
        return
    assert parse_expression(str(expr), dict(table)) == expr


def test_results_record_the_loss_strings_as_given(tmp_path):
    import json

    from sosverify.cli import main
    specs = ["x=0.5*x**2 + x*y", "y=0.5*y**2 - x*y"]
    assert main(["run", "--player", specs[0], "--player", specs[1], "--algo", "nl", "--alpha", "0.1",
                 "--steps", "2", "--out", str(tmp_path), "--quiet"]) == 0
    params = json.loads((tmp_path / "results.json").read_text())["config"]["game_params"]
    assert params["specs"] == specs and params["losses"] == ["x**2/2 + x*y", "-x*y + y**2/2"]


@pytest.mark.parametrize("backend", ["autograd", "jax"])
def test_generated_loss_code_sees_only_the_listed_functions(backend):
    from sosverify.backends import use_backend
    from sosverify.expressions import _numpy_namespace, lambdify_losses
    fn = lambdify_losses([sympy.exp(x) * y + sympy.Abs(x), y], [[x], [y]])
    with use_backend(backend):
        fn([numpy.ones((2, 1)), numpy.ones((2, 1))])  # builds this backend's function
    (compiled,) = [c.cell_contents for c in fn.__closure__ if isinstance(c.cell_contents, dict)]
    assert set(compiled) == {backend}
    f = compiled[backend]
    listed = set(_numpy_namespace(numpy))
    allowed = listed | {"__builtins__", "builtins", "range", "x", "y"}  # SymPy adds the last four
    assert set(f.__globals__) <= allowed
    assert not any(callable(v) and k not in listed | {"range"}
                   for k, v in f.__globals__.items() if k not in ("__builtins__", "builtins", "x", "y"))


@pytest.mark.parametrize("command", ["run", "analyse"])
def test_help_lists_every_accepted_function(command, capsys):
    from sosverify.cli import main
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for name in FUNCTIONS:
        if name != "Abs":  # the spelling SymPy prints abs with; listed once as abs
            assert f" {name}," in text or f" {name} " in text, name
