"""The hostile inputs of issue 21 and of its second pass, kept as data with the outcome each must have.

Every row runs through the command line in this process: the answer is JSON on stdout (nothing else),
a refusal is one line on stderr with exit status 2, nothing raises, and ``analyse`` returns within its
stages' limits.  The rules of ``audit`` are in tests/test_audit.py and the Python API's arguments in
tests/test_validation.py, as data too.
"""

import contextlib
import io
import json
import time

import pytest

from sosverify.cli import main
from sosverify.symbolic.analyse import STAGES

LIMIT = 0.5     # --timeout of every analysed row: most rows meet the limit in some stage
SLACK = 2.0     # forking six stages and writing the answer (the bound of tests/test_analyse_limits.py)
NOT_NONE = ("exact", "numerical", "unknown")   # a row whose game has fixed points: never "none"


def _nested(fn, inner, depth):
    for _ in range(depth):
        inner = f"{fn}({inner})"
    return inner


#: (players, what must hold): "refused: TEXT" (exit 2, one line holding TEXT) or the fixed points'
#: allowed statuses, and optionally kinds that must not appear / must appear
ANALYSED = [
    # an undecided zero test must not prove "none": the line y = 0 is fixed
    (["x=(sin(1)**2 + cos(1)**2 - 1)*x", "y=y**2"], {"fixed": NOT_NONE}),
    (["x=(log(6)-log(2)-log(3))*x + x*y", "y=y**2"], {"fixed": NOT_NONE}),
    (["x=(sqrt(2)**2-2)*x", "y=y**2"], {"fixed": NOT_NONE}),
    # large and deep: within the limit of each stage (at 0.25 s in the default suite: test_analyse_limits.py)
    *(pytest.param(players, {"fixed": NOT_NONE}, marks=pytest.mark.slow) for players in [
        ["x=((x+y+1)**16+1)**8", "y=x*y"], ["x=(x+y)**40", "y=(x-y)**40"],
        ["x=(x+y+z)**64", "y=x*y*z", "z=z**2"], ["x=" + _nested("sin", "x*y", 38), "y=x*y"],
        ["x=" + "+".join(f"x**{k}" for k in range(1, 65)), "y=y**2"]]),
    # limits that hold after SymPy combines powers, decimals that would become 0, constants not real
    (["x=((x*y)**64)**64", "y=x"], "refused: x**4096 once SymPy combines"),
    (["x=(x+1)**64*(x+1)**64", "y=x*y"], "refused: (x + 1)**128 once SymPy combines"),
    (["x=1e-400*x", "y=y"], "refused: decimal literal 1e-400 is out of range"),
    (["x=(-8)**(1/3)*x + x*y", "y=x*y"], "refused: which is not real"),
    (["x=x*I", "y=y"], "refused: imaginary unit"),
    # no fixed point: "none" only where proved, "unknown" otherwise
    (["x=exp(x)"], {"fixed": ("unknown",)}),
    (["x=x", "y=y"], {"fixed": ("none",)}),
    (["x=x**-64", "y=y**-64"], {"fixed": ("none",)}),
    (["x=log(x)", "y=log(y)"], {"fixed": ("none",)}),
    (["x=pi*x+E*y", "y=x*y"], {"fixed": ("none", "unknown")}),
    # poles, kinks and families: no traceback, no promise where ξ or H is not defined, never a wrong word
    (["x=x**(4/3) + x*y", "y=x*y"], {"fixed": NOT_NONE, "kinds_not": ("stable", "unstable", "strict-saddle")}),
    (["x=sign(x)*x + x*y", "y=x*y"], {"fixed": NOT_NONE, "kinds_not": ("strict-saddle", "stable", "unstable")}),
    (["x=abs(x)+abs(y)", "y=abs(x-y)"], {"fixed": NOT_NONE, "kinds_not": ("stable", "unstable", "strict-saddle")}),
    (["x=(x**2+y**2-1)**2/4", "y=(x**2+y**2-1)**2/4"], {"fixed": NOT_NONE, "kinds_not": ("other",)}),
    (["x=x**2*y/2", "y=x*y**2/2"], {"fixed": NOT_NONE, "kinds_not": ("stable", "other")}),
    (["x=x**3-3*x*y**2", "y=3*x**2*y-y**3"], {"fixed": NOT_NONE}),  # the lines y = ±x; H = 0 at the origin
    (["x=0", "y=0"], {"fixed": ("exact",)}),
    (["x=x*sin(exp(exp(exp(3)))) + x*y", "y=x*y"], {"fixed": NOT_NONE}),  # its evaluations are in the limit too
    (["α=α*β", "β=-α*β"], {"fixed": ("exact",)}),
]


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's refusals
            code = exc.code
    return code, out.getvalue(), err.getvalue(), time.monotonic() - start


def _kinds(answer):
    return {p.get("kind") for p in answer["points"]}


@pytest.mark.parametrize("players, expected", ANALYSED, ids=[f"analyse{i}" for i in range(len(ANALYSED))])
def test_hostile_game_gets_an_honest_answer_or_one_line(players, expected):
    argv = ["analyse", "--json", "--timeout", str(LIMIT), "--starts", "5"]
    for p in players:
        argv += ["--player", p]
    code, out, err, elapsed = _cli(argv)
    if isinstance(expected, str):
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, (code, err)
        assert expected.removeprefix("refused: ") in err
        return
    assert code == 0 and err == "", err
    data = json.loads(out)  # stdout is the answer and nothing else
    assert elapsed <= STAGES * LIMIT + SLACK, elapsed
    fixed = data["fixed_points"]
    assert fixed["status"] in expected["fixed"], fixed["status"]
    assert not _kinds(fixed) & set(expected.get("kinds_not", ())), _kinds(fixed)


#: argument lists of `analyse` (after the game x*y, -x*y): (extra arguments, exit status, what stderr says)
ARGUMENTS = [
    (["--box=-1e308,1e308"], 2, "finite width"), (["--box=1,1"], 2, "LO < HI"), (["--box=nan,1"], 2, "finite"),
    (["--timeout", "0"], 2, "(0, 3600]"), (["--timeout", "nan"], 2, "finite"), (["--timeout", "-1"], 2, "(0, 3600]"),
    (["--timeout", "3601"], 2, "(0, 3600]"), (["--starts", "0"], 2, "positive integer"),
    (["--starts", "1.5"], 2, "positive integer"), (["--numeric-alpha", "0"], 2, "positive number"),
    (["--numeric-alpha", "nan"], 2, "positive number"), (["--numeric-alpha", "1/0"], 2, "positive number"),
    (["--numeric-alpha", "1e-300"], 0, ""), (["--numeric-alpha", "1e300"], 0, ""), (["--numeric-alpha", "1/3"], 0, ""),
    (["--box=-1e-300,1e-300"], 0, ""), (["--timeout", "1e-9"], 0, ""), (["--starts", "1"], 0, ""),
]


@pytest.mark.parametrize("extra, code, message", ARGUMENTS, ids=[f"argv{i}" for i in range(len(ARGUMENTS))])
def test_hostile_arguments_are_one_line_or_an_answer(extra, code, message):
    argv = ["analyse", "--json", "--player", "x=x*y", "--player", "y=-x*y", "--starts", "5"]
    if "--timeout" not in extra:
        argv += ["--timeout", "2"]
    got, out, err, _ = _cli(argv + extra)
    assert got == code, err
    if code:
        assert out == "" and len(err.strip().splitlines()) == 1 and message in err
    else:
        assert json.loads(out)["fixed_points"]["status"] in ("exact", "unknown") and err == ""


#: losses `run` must refuse with one line (the numeric layer cannot hold them), or run
RUN = [
    ("x=x**2+exp(1000)", "the constant exp(1000), which floating point cannot hold"),
    ("x=x**2+exp(exp(10))", "the constant exp(exp(10))"),
    ("x=x**2*1e-400", "decimal literal 1e-400 is out of range"),
    ("x=(-8)**(1/3)*x", "which is not real"),
    ("x=x*sin(exp(exp(exp(3))))", "the constant exp(exp(exp(3)))"),  # never sin of it: 2e8 digits of π
    ("x=x**2+exp(700)", None),
    ("x=x*sin(exp(709))", None),
]


@pytest.mark.parametrize("loss, message", RUN, ids=[f"run{i}" for i in range(len(RUN))])
def test_hostile_losses_of_run_are_one_line_or_a_run(loss, message, tmp_path):
    code, out, err, _ = _cli(["run", "--player", loss, "--player", "y=y**2", "--algo", "nl", "--alpha", "0.1",
                              "--steps", "3", "--out", str(tmp_path / "out")])
    if message is None:
        assert code == 0, err
    else:
        assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err


def test_the_battery_is_kept_large():
    assert len(ANALYSED) + len(ARGUMENTS) + len(RUN) >= 45
