"""`analyse --timeout T` returns within T × (number of stages) + 2 s whatever the game (issue 21, item 2).

Every piece of symbolic work (expansion, ``together``, Jacobians, Gröbner bases, solving, classification,
the numeric search and its lambdified fields) runs in a forked child killed at the limit; the reported
games took from 117 s to killed-at-120 s at ``--timeout 2`` when the expansions ran in the caller.
"""

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sosverify.errors import SosverifyError
from sosverify.symbolic.analyse import STAGES, analyse, render_text
from sosverify.symbolic.game import SymGame

#: what the bound allows beyond T per stage: forking the stages and assembling their answers
SLACK = 2.0


def _nested(fn: str, inner: str, depth: int) -> str:
    for _ in range(depth):
        inner = f"{fn}({inner})"
    return inner


#: the games of the issue, and others of the same sort (each stage of them runs past a small limit)
REPORTED = {
    "nested-power": ["x=((x+y+1)**16+1)**8", "y=x*y"],
    "two-40th-powers": ["x=(x+y)**40", "y=(x-y)**40"],
    "three-player-64th-power": ["x=(x+y+z)**64", "y=x*y*z", "z=z**2"],
    "deep-jacobian": [f"x={_nested('sin', 'x*y', 38)}", "y=x*y"],
    "nested-squares": ["x=((((((x+y)**2+x)**2+y)**2+x)**2+y)**2+x)**2", "y=(x*y+1)**30"],
}


def _timed(specs, limit: float):
    """The analysis and its wall time, from the parse to the text and JSON; a game the parser refuses
    (one line: a bound on exponents or sizes) is ``None`` and counts its refusal's time."""
    start = time.monotonic()
    try:
        game = SymGame.from_specs(specs)
    except SosverifyError:
        return None, time.monotonic() - start
    result = analyse(game, timeout=limit, starts=10)
    render_text(result)
    json.dumps(result)
    return result, time.monotonic() - start


@pytest.mark.parametrize("specs", REPORTED.values(), ids=REPORTED.keys())
def test_reported_games_return_within_the_limit_of_each_stage(specs):
    limit = 0.25
    result, elapsed = _timed(specs, limit)
    assert elapsed <= STAGES * limit + SLACK, elapsed
    stages = [result["derivatives"].get("reason", "")]
    for answer in (result["fixed_points"], result["lola_fixed_points"]):
        stages += [str(v) for v in answer["stages"].values()]
    assert any("timed out" in s for s in stages)  # a stage ran out and said so
    assert result["fixed_points"]["status"] in ("unknown", "numerical")  # never "none" from a stage cut short


@st.composite
def heavy_losses(draw, players: int):
    """A loss built from large powers, nested elementary functions, products and sums of the players'
    symbols: sizes chosen so that expanding or differentiating it is slow (the parser's bounds hold)."""
    names = "xyz"[:players]

    def leaf():
        return draw(st.sampled_from([*names, f"({'+'.join(names)}+1)", f"{names[0]}*{names[-1]}"]))

    expr = leaf()
    for _ in range(draw(st.integers(1, 6))):
        step = draw(st.sampled_from(["power", "function", "product", "sum"]))
        if step == "power":
            expr = f"(({expr})**{draw(st.integers(2, 64))}+{draw(st.integers(1, 3))})"
        elif step == "function":
            fn = draw(st.sampled_from(["sin", "exp", "tanh", "atan", "cos"]))
            expr = _nested(fn, expr, draw(st.integers(1, 6)))
        elif step == "product":
            expr = f"({expr})*({leaf()})**{draw(st.integers(2, 40))}"
        else:
            expr = f"({expr})+({leaf()})**{draw(st.integers(2, 40))}"
    return expr


@st.composite
def heavy_games(draw):
    players = draw(st.integers(2, 3))
    return [f"{name}={draw(heavy_losses(players))}" for name in "xyz"[:players]]


@settings(max_examples=3, deadline=None)
@given(heavy_games())
def test_property_analyse_returns_within_the_limit_of_each_stage(specs):
    limit = 0.25
    _, elapsed = _timed(specs, limit)
    assert elapsed <= STAGES * limit + SLACK, (specs, elapsed)


@pytest.mark.slow
@settings(max_examples=30, deadline=None)
@given(heavy_games(), st.sampled_from([0.5, 1.0, 2.0]))
def test_property_analyse_returns_within_the_limit_of_each_stage_long(specs, limit):
    _, elapsed = _timed(specs, limit)
    assert elapsed <= STAGES * limit + SLACK, (specs, elapsed)


@pytest.mark.slow
@pytest.mark.parametrize("specs", REPORTED.values(), ids=REPORTED.keys())
def test_reported_games_at_the_issues_limit(specs):
    _, elapsed = _timed(specs, 2.0)
    assert elapsed <= STAGES * 2.0 + SLACK, elapsed
