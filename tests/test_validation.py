"""Arguments of a run checked before any work: one clear error, never a traceback or a quiet acceptance."""

import json

import numpy
import pytest

from sosverify.algorithms import ALGORITHMS, Algorithm, Direction, naive
from sosverify.cli import main
from sosverify.errors import SosverifyError
from sosverify.reproduce.common import run_algorithms
from sosverify.runner import run
from sosverify.validation import available_memory


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed must be an integer from 0"),
    ({"seed": 2 ** 64}, "seed must be an integer from 0"),
    ({"seed": 1.5}, "seed must be an integer from 0"),
    ({"steps": 2 ** 70}, "steps must be a positive integer"),
    ({"runs": 2 ** 70}, "runs must be a positive integer"),
    ({"steps": True}, "steps must be a positive integer"),
])
def test_counts_and_seed_are_bounded(kwargs, message):
    args = {"alpha": 0.1, "steps": 2, "runs": 1, **kwargs}
    with pytest.raises(SosverifyError, match=message):
        run("tandem", "nl", **args)


@pytest.mark.parametrize("kwargs, message", [({"seed": -5}, "seed must be an integer from 0"),
                                             ({"runs": 2 ** 70}, "runs must be a positive integer"),
                                             ({"steps": 10 ** 9, "runs": 10 ** 8}, "of memory is available")])
def test_the_experiments_check_seed_counts_and_memory_too(kwargs, message):
    from sosverify.games import get_game
    args = {"alpha": 0.1, "steps": 2, "runs": 1, "seed": 0, **kwargs}
    with pytest.raises(SosverifyError, match=message):
        run_algorithms(get_game("tandem"), ["nl"], init_std=None, hyper={}, progress=False, **args)


def test_history_that_would_not_fit_is_refused_before_allocating():
    have = available_memory()
    assert have is not None  # Linux: /proc/meminfo
    steps = 10 ** 9
    runs = int(have // (steps * 8)) + 10  # the params array alone is larger than the available memory
    with pytest.raises(SosverifyError, match=r"needs about .* GiB, but only .* GiB of memory is available"):
        run("tandem", "nl", alpha=0.1, steps=steps, runs=runs)


@pytest.mark.parametrize("algo, hyper", [("co", {"gamma": float("nan")}), ("sga", {"eps": float("nan")}),
                                         ("lss", {"lam": float("nan")}), ("co", {"gamma": float("inf")}),
                                         ("sos", {"a": "0.5"})])
def test_non_finite_hyperparameters_are_refused(algo, hyper):
    with pytest.raises(SosverifyError, match="must be a (positive )?finite number"):
        run("tandem", algo, alpha=0.1, steps=2, **hyper)


@pytest.mark.parametrize("init, message", [
    ("abc", "got str"),
    ({"x": 1.0}, "got dict"),
    ([[1.0, "x"]], "numbers only"),
    (numpy.zeros((2, 3)), r"shape \(R, 2\)"),
    ([numpy.zeros((2, 1)), numpy.zeros((3, 1))], r"shapes \(R, d_i\)"),
    (numpy.zeros((0, 2)), r"shape \(R, 2\)"),
])
def test_init_of_the_wrong_type_or_shape_is_refused(init, message):
    with pytest.raises(SosverifyError, match=message):
        run("tandem", "nl", alpha=0.1, steps=2, init=init)


def test_init_as_one_array_or_per_player_arrays_still_works():
    h1 = run("tandem", "nl", alpha=0.1, steps=3, init=numpy.array([[0.5, -0.5]]))
    h2 = run("tandem", "nl", alpha=0.1, steps=3, init=[numpy.array([[0.5]]), numpy.array([[-0.5]])])
    assert numpy.array_equal(h1.params, h2.params)


def _rule(fn):
    return Algorithm("custom", fn, {}, "a user's rule")


def test_custom_rule_returning_an_array_is_refused():
    with pytest.raises(SosverifyError, match="returned ndarray; a rule must return a Direction"):
        run("tandem", _rule(lambda game, theta, *, alpha: naive(game, theta, alpha=alpha).direction),
            alpha=0.1, steps=2)


def test_custom_rule_returning_a_direction_of_the_wrong_shape_is_refused():
    def first_player_only(game, theta, *, alpha):
        out = naive(game, theta, alpha=alpha)
        return Direction(out.direction[:, :1], out.losses, out.xi, {})  # would broadcast to every player

    with pytest.raises(SosverifyError, match=r"direction of shape \(1, 1\) .* expected \(1, 2\)"):
        run("tandem", _rule(first_player_only), alpha=0.1, steps=2)


def test_the_probe_accepts_every_well_formed_rule():
    """Each registered rule, given as a user's own Algorithm, passes the probe and runs."""
    for name, a in ALGORITHMS.items():
        mine = Algorithm(f"my-{name}", a.fn, dict(a.defaults), a.description, a.diagnostics)
        h = run("matching-pennies", mine, alpha=0.05, steps=2, runs=2)
        assert h.params.shape == (3, 2, 2) and not h.diverged.any()


def test_duplicate_names_are_run_and_recorded_once(tmp_path, capsys):
    assert main(["run", "tandem", "--algo", "nl", "la", "nl", "--alpha", "0.1", "--steps", "2",
                 "--out", str(tmp_path), "--quiet"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["config"]["algorithms"] == ["nl", "la"] and list(data["algorithms"]) == ["nl", "la"]


def test_verify_only_checks_a_repeated_claim_once(tmp_path, capsys):
    assert main(["verify", "--only", "ex2-tandem", "ex2-tandem", "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    claims = report["claims"] if isinstance(report, dict) else report
    assert [c["id"] for c in claims] == ["ex2-tandem"]


# -- the Python API speaks as the command line does (issue 21, item 6): one exception type, one line ------

def _api():
    import sosverify
    return sosverify


def _tandem_numeric():
    from sosverify.games import get_game
    return get_game("tandem")


def _spec_game():
    from sosverify.expressions import game_from_specs
    return game_from_specs(["x=x*y", "y=-x*y"])


API_REFUSALS = [  # (call, what the one line says); every refusal is a SosverifyError, the CLI's error type
    (lambda s: s.get_game(["ipd"]), "a game is given by its name"),       # was TypeError: unhashable type
    (lambda s: s.get_game(None), "a game is given by its name"),
    (lambda s: s.get_game("nosuch"), "unknown game 'nosuch'"),
    (lambda s: s.run(["ipd"], "nl", alpha=0.1, steps=2), "a game is given by its name"),
    (lambda s: s.run("tandem", "nl", alpha=-0.1, steps=2), "alpha must be a positive finite number"),
    (lambda s: s.run("tandem", "nl", alpha=__import__("fractions").Fraction(-1, 10), steps=2),
     "alpha must be a positive finite number"),
    (lambda s: s.run("tandem", "nl", alpha="0.1", steps=2), "alpha must be a positive finite number"),
    (lambda s: s.analyse(_tandem_numeric()), "has no loss expressions"),  # was 'method' object is not iterable
    (lambda s: s.analyse(3), "analyse takes a SymGame or a list of \"SYMBOLS=LOSS\" strings"),
    (lambda s: s.analyse([1, 2]), "analyse takes a SymGame"),
    (lambda s: s.analyse(["x=x*y", "y=-x*y"], alpha=0), "must be a positive number"),
    (lambda s: s.analyse(["x=x*y", "y=-x*y"], alpha="1/10"), "must be a positive number"),
    (lambda s: __import__("sosverify.audit").audit.audit("la", properties=[3]), "properties must be names"),
    (lambda s: __import__("sosverify.audit").audit.audit("la", properties="speed"), "unknown property speed"),
    (lambda s: __import__("sosverify.audit").audit.audit("la", properties=["reduction"], call_seconds=-1),
     "call_seconds must be"),
    (lambda s: __import__("sosverify.audit").audit.audit("la", hyper=[1]), "hyper must be a dict"),  # AttributeError
    (lambda s: __import__("sosverify.symbolic.game").symbolic.game.SymGame("x*y", [["x"], ["y"]]),
     "the losses must be a list"),                                        # was split into letters: 'x', '*', 'y'
    (lambda s: __import__("sosverify.symbolic.game").symbolic.game.SymGame(["x*y", "-x*y"], "xy"),
     "the players must be a list"),                                       # was silently players x and y
    (lambda s: __import__("sosverify.expressions").expressions.from_expressions("x*y", [["x"], ["y"]]),
     "the losses must be a list"),
    (lambda s: s.analyse(["x=x*y", "y=-x*y"], box=("-1", "1")), "box must be two finite numbers"),
    (lambda s: s.analyse(["x=x*y", "y=-x*y"], timeout="2"), "timeout must be a number of seconds"),
]


@pytest.mark.parametrize("call, message", API_REFUSALS, ids=[f"api{i}" for i in range(len(API_REFUSALS))])
def test_the_api_refuses_bad_arguments_with_the_clis_error_type_and_one_line(call, message):
    with pytest.raises(SosverifyError) as info:
        call(_api())
    assert message in str(info.value) and "\n" not in str(info.value) and len(str(info.value)) <= 300


def test_analyse_takes_the_players_strings_and_a_game_built_from_expressions():
    sosverify = _api()
    for game in (["x=x*y", "y=-x*y"], _spec_game()):  # was AttributeError: 'list' object has no attribute 'losses'
        r = sosverify.analyse(game, timeout=5, starts=5)
        assert r["fixed_points"]["status"] == "exact" and r["xi"] == ["y", "-x"]


def test_rationals_are_accepted_where_numbers_are():
    from decimal import Decimal
    from fractions import Fraction

    import sympy

    sosverify = _api()
    ref = sosverify.run("tandem", "la", alpha=0.1, steps=5, runs=2, seed=1)
    for alpha in (Fraction(1, 10), Decimal("0.1"), sympy.Rational(1, 10)):  # Fraction was refused as "not positive"
        h = sosverify.run("tandem", "la", alpha=alpha, steps=5, runs=2, seed=1)
        numpy.testing.assert_array_equal(h.params[-1], ref.params[-1])  # the same float 0.1: bit for bit
    r = sosverify.analyse(["x=x*y", "y=-x*y"], timeout=5, starts=5, alpha=Fraction(1, 7))
    assert r["lola_fixed_points"]["numeric_alpha"] == "1/7"
    # a box of fractions was a TypeError in formatting, a Fraction timeout was refused
    r = sosverify.analyse(["x=x*y", "y=-x*y"], box=(Fraction(-1), Fraction(1)), timeout=Fraction(5, 2), starts=5)
    assert r["settings"]["box"] == [-1.0, 1.0] and r["settings"]["timeout"] == 2.5
    # NumPy integers where counts are taken (was AttributeError: 'numpy.int64' has no 'bit_length'), and a
    # rule's setting as a fraction in audit (was refused as not a finite number in (0, 1))
    assert sosverify.run("tandem", "nl", alpha=0.1, steps=numpy.int64(2)).params.shape == (3, 1, 2)
    from sosverify.audit import audit
    assert audit("sos", hyper={"a": Fraction(1, 2)}, properties=["reduction"], profile="quick").hyperparameters["a"] == 0.5


def test_a_tiny_positive_numeric_alpha_is_accepted(capsys):
    """--numeric-alpha 1e-300 was refused as 'not positive': nsimplify rounded 1/10**300 to 0."""
    argv = ["analyse", "--player", "x=x*y", "--player", "y=-x*y", "--numeric-alpha", "1e-300", "--timeout", "5",
            "--starts", "5", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["lola_fixed_points"]["numeric_alpha"] == "1/1" + "0" * 300
    r = _api().analyse(["x=x*y", "y=-x*y"], timeout=5, starts=5, alpha=1e-300)
    assert r["lola_fixed_points"]["numeric_alpha"] == "1/1" + "0" * 300


def test_a_string_where_a_list_of_properties_is_expected_is_one_property():
    from sosverify.audit import audit

    report = audit("la", properties="reduction", profile="quick")  # was "unknown properties r, e, d, u, c, ..."
    assert [(f.property, f.status) for f in report.findings] == [("reduction", "holds")]
