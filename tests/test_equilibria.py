"""Nash equilibria beside the dynamics: Gambit's lists, their place in logit space, and which runs approach them."""

from fractions import Fraction as F
from pathlib import Path

import numpy
import pytest
import sympy
from conftest import assert_close

from sosverify import SosverifyError
from sosverify import derivatives as D
from sosverify.equilibria import APPROACH_TOL, Equilibria, approached, equilibria, hessian_at, is_nash, place
from sosverify.games.normal_form import normal_form
from sosverify.runner import run

ROOT = Path(__file__).resolve().parents[1]
THREE_PLAYER = ROOT / "experiments" / "games" / "2x2x2.nfg"
COORDINATION = ([[2, 0], [0, 1]], [[2, 0], [0, 1]])
SHAPLEY = ([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
RPS = ([[0, -1, 1], [1, 0, -1], [-1, 1, 0]],)
THIRD = [F(1, 3)] * 3
ROUNDING = 1e-12
XI_AT_EQUILIBRIUM = 1e-12  # ξ at logits log(p/p_last) computed in floating point


@pytest.mark.parametrize("payoffs, profile", [
    (SHAPLEY, [THIRD, THIRD]),
    (COORDINATION, [[F(1, 3), F(2, 3)]] * 2),  # logits log(1/2), not 0: the point itself is checked
], ids=["shapley", "coordination"])
def test_the_exact_hessian_at_an_interior_equilibrium_is_the_numeric_one(payoffs, profile):
    nf = normal_form(*payoffs)
    _, H = hessian_at(nf, profile)
    assert all(e.is_Rational for e in H)  # exp(log(r)) = r: H is exact
    theta = numpy.array([nf.logits(profile)])
    assert_close(numpy.array(H.tolist(), dtype=float), D.hessian(nf.game(), theta)[0], rtol=0, atol=ROUNDING)


@pytest.mark.parametrize("payoffs, profile, category", [
    (RPS, [THIRD, THIRD], "stable"),  # zero-sum: H_d = 0 and H_o antisymmetric there, so H's symmetric part is 0
    (SHAPLEY, [THIRD, THIRD], "strict-saddle"),
    (COORDINATION, [[F(1, 3), F(2, 3)]] * 2, "strict-saddle"),
], ids=["rock-paper-scissors", "shapley", "coordination-mixed"])
def test_an_interior_equilibrium_is_a_fixed_point_with_a_class(payoffs, profile, category):
    nf = normal_form(*payoffs)
    e = place(nf, profile)
    assert e.interior and e.category == category
    assert_close(D.xi(nf.game(), numpy.array([e.logits])), 0.0, rtol=0, atol=XI_AT_EQUILIBRIUM)


def test_an_equilibrium_where_h_is_singular_is_degenerate():
    """The column player is indifferent everywhere: its row of H is 0, so H is singular."""
    nf = normal_form([[1, -1], [-1, 1]], [[0, 0], [0, 0]])
    e = place(nf, [[F(1, 2)] * 2, [F(1, 2)] * 2])
    assert e.interior and e.degenerate and e.category == "degenerate"
    assert e.local_convergence["applies"] is False


def test_rock_paper_scissors_gets_la_and_sos_s_exact_bound():
    e = place(normal_form(*RPS), [THIRD, THIRD])
    assert e.local_convergence["applies"] and e.local_convergence["alpha_max_value"] == pytest.approx(9.0, abs=0)


def test_a_pure_equilibrium_lies_at_infinity():
    nf = normal_form(*COORDINATION)
    e = place(nf, [[F(1), F(0)], [F(1), F(0)]])
    assert not e.interior and e.pure and e.strict and e.logits is None and e.category == "at infinity"
    assert "at infinity" in e.describe(nf)


def test_a_pure_equilibrium_that_is_not_strict_is_said_so():
    nf = normal_form([[1, 1], [0, 0]], [[1, 1], [1, 1]])  # the column player is indifferent
    assert place(nf, [[F(1), F(0)], [F(1), F(0)]]).strict is False


def _fake_equilibria(nf, profiles) -> Equilibria:
    return Equilibria(nf, "test", True, "given", tuple(place(nf, p, classify=False) for p in profiles))


def test_runs_are_counted_by_the_equilibrium_they_approach():
    """Coordination from four chosen starts: two deep in A's basin, one in B's, one on the mixed point."""
    nf = normal_form(*COORDINATION)
    found = _fake_equilibria(nf, [[[F(1), F(0)]] * 2, [[F(1, 3), F(2, 3)]] * 2, [[F(0), F(1)]] * 2])
    mixed = float(numpy.log(0.5))
    init = numpy.array([[3.0, 3.0], [1.0, 2.0], [-3.0, -3.0], [mixed, mixed]])
    h = run(nf.game(), "nl", alpha=1.0, steps=400, init=init)
    out = approached(h, found)
    assert out["per_run"] == [0, 0, 2, 1] and out["counts"] == [2, 1, 1] and out["none"] == 0


def test_a_cycling_run_approaches_nothing():
    """NL on matching pennies circles the mixed equilibrium without nearing it (Example 1's spiral)."""
    nf = normal_form([[-1, 1], [1, -1]], [[1, -1], [-1, 1]])
    found = _fake_equilibria(nf, [[[F(1, 2)] * 2] * 2])
    h = run(nf.game(), "nl", alpha=0.5, steps=300, init=numpy.array([[1.0, 0.0]]))
    out = approached(h, found)
    assert out["none"] == 1 and out["counts"] == [0]
    assert approached(h, found, tol=0.49)["counts"] == [1]  # the tolerance is what decides


def test_a_run_that_only_passes_by_is_not_counted():
    """Every kept step of the tail must be within the tolerance, not just one: run 0 crosses the
    equilibrium mid-tail and leaves; run 1 stays."""
    from types import SimpleNamespace

    nf = normal_form(*COORDINATION)
    found = _fake_equilibria(nf, [[[F(1, 2)] * 2] * 2])
    path = numpy.linspace(-2.0, 2.0, 5)  # logits of both players at the kept steps 0, 25, …, 100
    params = numpy.stack([numpy.stack([path, path], axis=1), numpy.zeros((5, 2))], axis=1)  # (K, R, d)
    h = SimpleNamespace(config={"steps": 100}, param_steps=numpy.arange(0, 101, 25), params=params,
                        diverged=numpy.array([False, False]))
    out = approached(h, found, tail=0.5)
    assert out["per_run"] == [None, 0]
    # run 0 over the tail (logits 0, 1, 2): distances 0, σ(1) − ½, σ(2) − ½; run 1 stays at 0
    assert_close(out["tail_distance"], [[0.0, 1 / (1 + numpy.exp(-2.0)) - 0.5], [0.0, 0.0]], rtol=0, atol=ROUNDING)


def test_approached_refuses_a_tolerance_out_of_range():
    nf = normal_form(*COORDINATION)
    h = run(nf.game(), "nl", alpha=1.0, steps=2, runs=1)
    with pytest.raises(SosverifyError, match="tol"):
        approached(h, _fake_equilibria(nf, []), tol=0.0)
    assert 0 < APPROACH_TOL < 0.1


# ------------------------------------------------------------ with Gambit


def test_without_pygambit_the_error_is_one_line(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pygambit", None)
    with pytest.raises(SosverifyError, match='pip install "sosverify\\[gambit\\]"') as err:
        equilibria(normal_form(*COORDINATION))
    assert "\n" not in str(err.value)


def test_gambit_finds_the_coordination_games_three_equilibria():
    pytest.importorskip("pygambit")
    found = equilibria(normal_form(*COORDINATION))
    assert found.solver == "enummixed" and found.complete
    assert [e.as_floats() for e in found] == [[[1, 0], [1, 0]], [[1 / 3, 2 / 3], [1 / 3, 2 / 3]], [[0, 1], [0, 1]]]
    assert [e.category for e in found] == ["at infinity", "strict-saddle", "at infinity"]


@pytest.mark.parametrize("payoffs", [SHAPLEY, RPS], ids=["shapley", "rock-paper-scissors"])
def test_gambit_finds_the_unique_uniform_equilibrium(payoffs):
    pytest.importorskip("pygambit")
    found = equilibria(normal_form(*payoffs))
    assert len(found) == 1 and found[0].strategies == (tuple(THIRD), tuple(THIRD))


def test_lcp_is_said_to_be_possibly_incomplete():
    pytest.importorskip("pygambit")
    found = equilibria(normal_form(*COORDINATION), solver="lcp", classify=False)
    assert not found.complete and "possibly incomplete" in found.table()


def test_a_two_player_solver_refuses_three_players():
    pytest.importorskip("pygambit")
    nf = normal_form(*numpy.zeros((3, 2, 2, 2), dtype=int))
    with pytest.raises(SosverifyError, match="two-player"):
        equilibria(nf, solver="enummixed")


def test_gambits_three_player_example_is_read_and_solved():
    """McKelvey and McLennan's 2×2×2 game: Gambit's file says 9 equilibria, 2 totally mixed."""
    pytest.importorskip("pygambit")
    from sosverify.games import get_game
    from sosverify.games.normal_form import read_nfg

    nf = read_nfg(THREE_PLAYER)
    assert nf.shape == (2, 2, 2) and nf.payoffs[2][0, 0, 0] == 12
    assert get_game(THREE_PLAYER).dims == (1, 1, 1)
    found = equilibria(nf)
    assert not found.complete
    interior = [e for e in found if e.interior]
    assert len(found) == 9 and len(interior) == 2
    # enumpoly's floats, rationalised and checked to be Nash equilibria exactly
    assert all(e.exact for e in found)
    assert interior[0].strategies == ((F(1, 2), F(1, 2)), (F(2, 5), F(3, 5)), (F(1, 4), F(3, 4)))
    game = nf.game()
    for e in interior:
        assert_close(D.xi(game, numpy.array([e.logits])), 0.0, rtol=0, atol=XI_AT_EQUILIBRIUM)
    assert sympy.Rational(str(nf.payoffs[0][0, 0, 0])) == 9


def test_a_malformed_nfg_file_is_one_clear_line(tmp_path):
    pytest.importorskip("pygambit")
    from sosverify.games.normal_form import read_nfg

    bad = tmp_path / "bad.nfg"
    bad.write_text("NFG 1 R \"broken\" { \"a\" \"b\" } { 2 2 }\n1 2 3\n")
    with pytest.raises(SosverifyError, match="bad.nfg") as err:
        read_nfg(bad)
    assert "\n" not in str(err.value)


def test_a_game_pygambit_ships_is_read_and_solved():
    """Nau et al. (2004) §4, in pygambit's catalogue: three players, a unique equilibrium in irrational numbers."""
    gbt = pytest.importorskip("pygambit")
    from sosverify.games.normal_form import read_nfg

    path = Path(gbt.__file__).parent / "catalog_data" / "journals" / "ijgt" / "nau2004" / "sec4.nfg"
    if not path.is_file():
        pytest.skip("this pygambit ships no catalogue file nau2004/sec4.nfg")
    found = equilibria(read_nfg(path))
    assert len(found) == 1 and found[0].interior and not found[0].exact
    assert "possibly incomplete" in found.table()


def test_a_profile_is_checked_to_be_nash_exactly():
    from sosverify.equilibria import rationalise

    nf = normal_form(*COORDINATION)
    assert is_nash(nf, [[F(1, 3), F(2, 3)]] * 2) and is_nash(nf, [[F(1), F(0)]] * 2)
    assert not is_nash(nf, [[F(1, 2), F(1, 2)]] * 2) and not is_nash(nf, [[F(1), F(0)], [F(0), F(1)]])
    assert rationalise(nf, ((1 / 3 + 1e-12, 2 / 3 - 1e-12),) * 2) == ((F(1, 3), F(2, 3)),) * 2
    near = ((0.5, 0.5),) * 2  # a fraction, but not an equilibrium: kept as floats
    assert rationalise(nf, near) == near


def test_a_runs_outcomes_name_gambits_equilibria():
    pytest.importorskip("pygambit")
    from sosverify.equilibria import run_outcomes

    nf = normal_form(*COORDINATION)
    h = run(nf.game(), "nl", alpha=1.0, steps=300, init=numpy.array([[3.0, 3.0], [-3.0, -3.0]]))
    out = run_outcomes(h)
    assert out["per_run"] == [0, 2] and out["equilibria"][1] == [["1/3", "2/3"], ["1/3", "2/3"]] and out["complete"]


@pytest.mark.slow
def test_analyse_of_a_normal_form_game_lists_its_equilibria():
    pytest.importorskip("pygambit")
    from sosverify.equilibria import analyse_normal_form, render_normal_form

    result = analyse_normal_form(normal_form(*COORDINATION), timeout=5, starts=20)
    text = render_normal_form(result)
    assert "Nash equilibria (Gambit, enummixed; complete" in text and text.count("at infinity") == 2


# ------------------------------------------------------------ large payoffs, solver failures

BIG = 10 ** 10


def _affine(nf, scales, shifts):
    """``nf`` with player i's payoffs mapped by u ↦ scales[i]·u + shifts[i] (scales positive)."""
    return normal_form(*[numpy.vectorize(lambda v, a=a, b=b: a * v + b, otypes=[object])(u)
                         for u, a, b in zip(nf.payoffs, scales, shifts)])


def test_gambit_finds_the_equilibrium_of_a_game_with_a_payoff_of_1e10():
    """Gambit returned no equilibrium for a payoff of 1e10 (2**31 − 1 or more), and that empty list was
    reported as enummixed's complete list; Gambit is now asked about the game rescaled to [0, 1]."""
    pytest.importorskip("pygambit")
    nf = normal_form([[BIG, 0], [0, 1]], [[0, 1], [1, 0]])
    found = equilibria(nf, classify=False)
    assert found.trusted and found.complete and found.status == "complete"
    assert [e.strategies for e in found] == [((F(1, 2), F(1, 2)), (F(1, BIG + 1), F(BIG, BIG + 1)))]


@pytest.mark.parametrize("payoffs", [COORDINATION, SHAPLEY, RPS, "three-player"],
                         ids=["coordination", "shapley", "rock-paper-scissors", "three-player"])
def test_a_positive_affine_rescaling_of_each_players_payoffs_keeps_the_equilibria(payoffs):
    """Gambit is asked about ``nf.rescaled()``: the equilibria of that game, and of a game whose payoffs are
    multiplied by 1e10 and shifted (per player), are the original game's."""
    pytest.importorskip("pygambit")
    from sosverify.games.normal_form import read_nfg, to_gambit

    nf = read_nfg(THREE_PLAYER) if payoffs == "three-player" else normal_form(*payoffs)
    rescaled = nf.rescaled()
    assert all(min(u.flat) == 0 and max(u.flat) == 1 for u in rescaled.payoffs)
    big = _affine(nf, [BIG, 3 * BIG, F(BIG, 7)][:nf.n_players], [-BIG, 5, BIG][:nf.n_players])
    original = [e.strategies for e in equilibria(nf, classify=False)]
    for other in (rescaled, big):
        assert [e.strategies for e in equilibria(other, classify=False)] == original
        assert all(is_nash(other, e) for e in original)  # exact arithmetic, no solver
    # Gambit itself, asked without rescaling, about the original and the rescaled copy: the same profiles
    import pygambit as gbt

    solve = ((lambda g: gbt.nash.enummixed_solve(g, rational=True)) if nf.n_players == 2
             else gbt.nash.enumpoly_solve)

    def direct(game):
        found = solve(to_gambit(game)).equilibria
        return sorted(tuple(round(float(eq[s]), 9) for p in eq.game.players for s in p.strategies) for eq in found)

    assert direct(rescaled) == direct(nf) and len(direct(nf)) == len(original)


@pytest.mark.parametrize("failure", ["empty", "error"])
def test_a_solver_that_returns_no_equilibrium_is_unknown_not_complete(monkeypatch, failure):
    """Every finite game has a Nash equilibrium: an empty list (or a Gambit error) was reported as
    'enummixed; complete' with no equilibrium; it is now the solver's unknown, untrusted answer."""
    import sosverify.equilibria as E

    pytest.importorskip("pygambit")

    def solve(nf, solver):
        if failure == "error":
            raise RuntimeError("Column label index out of range")
        return []

    monkeypatch.setattr(E, "_solve", solve)
    found = equilibria(normal_form(*COORDINATION))
    assert len(found) == 0 and not found.complete and not found.trusted and found.status == "unknown"
    assert found.as_dict()["status"] == "unknown" and "unknown" in found.statement
    assert found.table().startswith("0 Nash equilibria (unknown: Gambit's enummixed ")
    result = E.analyse_normal_form(normal_form([[1, 1], [1, 1]], [[1, 1], [1, 1]]), timeout=2, starts=2)
    text = E.render_normal_form(result).split("Nash equilibria (Gambit", 1)[1]
    assert text.startswith(", enummixed; unknown: ") and "complete" not in text


def test_runs_with_no_equilibrium_to_compare_with_are_unknown():
    """approached() with no equilibria crashed (ValueError: cannot reshape array of size 0); each run's
    equilibrium is now unknown, and no run is said to be near none."""
    nf = normal_form(*COORDINATION)
    h = run(nf.game(), "nl", alpha=1.0, steps=8, runs=3)
    out = approached(h, _fake_equilibria(nf, []))
    assert out["per_run"] == ["unknown"] * 3 and out["unknown"] == 3 and out["none"] is None
    assert out["counts"] == [] and out["diverged"] == 0 and "unknown" in out["statement"]
    known = approached(h, _fake_equilibria(nf, [[[F(1), F(0)]] * 2]))
    assert known["unknown"] == 0 and isinstance(known["none"], int)


def test_the_command_line_runs_a_game_whose_solver_finds_no_equilibrium(tmp_path, monkeypatch, capsys):
    """`sosverify run FILE.nfg` crashed and left an empty --out when Gambit's list was empty."""
    pytest.importorskip("pygambit")
    import json

    import sosverify.equilibria as E
    from sosverify.cli import main

    monkeypatch.setattr(E, "_solve", lambda nf, solver: [])
    path = tmp_path / "coordination.nfg"
    path.write_text('NFG 1 R "c" { "P1" "P2" } { 2 2 }\n2 2 0 0 0 0 1 1\n')
    assert main(["run", str(path), "--algo", "nl", "--alpha", "1", "--steps", "10", "--runs", "2",
                 "--out", str(tmp_path / "out")]) == 0
    eq = json.loads((tmp_path / "out" / "results.json").read_text())["algorithms"]["nl"]["equilibria"]
    assert eq["per_run"] == ["unknown"] * 2 and eq["status"] == "unknown" and not eq["complete"]
    printed = capsys.readouterr().out  # said so, not "near each of Gambit's 0 equilibria: []; near none None"
    assert "nl: which equilibrium each run approaches is unknown" in printed and "near none None" not in printed


def test_the_command_line_analyses_and_runs_a_game_with_a_payoff_of_1e10(tmp_path, capsys):
    """The reviewer's file: analyse printed 'enummixed; complete' over no equilibrium, run crashed."""
    pytest.importorskip("pygambit")
    import json

    from sosverify.cli import main

    path = tmp_path / "big.nfg"
    path.write_text('NFG 1 R "big" { "P1" "P2" } { 2 2 }\n10000000000 0 0 1 0 1 1 0\n')
    assert main(["analyse", str(path), "--timeout", "2", "--starts", "2"]) == 0
    out = capsys.readouterr().out.split("Nash equilibria (Gambit", 1)[1]
    assert "enummixed; complete" in out and "E1: (1/2, 1/2) ; (1/10000000001, 10000000000/10000000001)" in out
    assert main(["run", str(path), "--algo", "nl", "--alpha", "1", "--steps", "10", "--runs", "2",
                 "--out", str(tmp_path / "out")]) == 0
    eq = json.loads((tmp_path / "out" / "results.json").read_text())["algorithms"]["nl"]["equilibria"]
    assert len(eq["counts"]) == 1 and eq["status"] == "complete"
