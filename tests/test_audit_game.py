"""`sosverify audit RULE --game FILE.nfg` and `sosverify sweep FILE.nfg`: the user's normal-form game is the
game the rule is checked and run on (a change to its payoffs changes the answer), its interior equilibria
are where the local properties are judged, and a bad file is one line with exit status 2 and no output."""

import json
from fractions import Fraction

import numpy
import pytest

from sosverify import derivatives as D
from sosverify.algorithms import ALGORITHMS
from sosverify.audit import audit
from sosverify.audit.properties import ALPHAS, CONSISTENCY_ATOL, spectral_radius
from sosverify.cli import main
from sosverify.equilibria import equilibria, run_outcomes
from sosverify.errors import SosverifyError
from sosverify.games.normal_form import normal_form, read_nfg, to_gambit
from sosverify.runner import run

pytest.importorskip("pygambit")

STEPS = 300  # game-runs' steps here (the quick profile: 20 runs)


def _nfg(tmp_path, name, A, B) -> str:
    """A Gambit .nfg file written by pygambit from the payoff matrices (Nashpy's convention)."""
    path = tmp_path / f"{name}.nfg"
    path.write_text(to_gambit(normal_form(A, B, name=name)).to_nfg())
    return str(path)


def _interior(path):
    (e,) = [e for e in equilibria(read_nfg(path)) if e.interior]
    return e


def _finding(report, name):
    (f,) = [f for f in report.findings if f.property == name]
    return f


def test_game_runs_are_runs_on_the_file_s_game_and_a_change_to_its_payoffs_changes_them(tmp_path):
    """Coordination with A the better equilibrium, then with B (a planted change to the file): the counts per
    equilibrium are what the runner and run_outcomes give on each file's game, and they differ."""
    counts = {}
    for name, (a, b) in {"prefer-a": (3, 1), "prefer-b": (1, 3)}.items():
        path = _nfg(tmp_path, name, [[a, 0], [0, b]], [[a, 0], [0, b]])
        f = _finding(audit("nl", properties=["game-runs"], profile="quick", game=path, game_steps=STEPS), "game-runs")
        direct = run_outcomes(run(read_nfg(path).game(), "nl", alpha=1.0, steps=STEPS, runs=20, seed=0,
                                  params_every=STEPS // 100))
        assert f.status == "observed" and f.details["game"] == name
        assert (f.details["counts"], f.details["none"], f.details["diverged"]) == \
            (direct["counts"], direct["none"], direct["diverged"])
        assert f.details["equilibria"] == direct["equilibria"]
        counts[name] = f.details["counts"]
    assert counts["prefer-a"] != counts["prefer-b"]


def test_lola_moves_off_the_interior_equilibrium_of_battle_of_the_sexes_and_la_does_not(tmp_path):
    """At (3/5, 2/5) ; (2/5, 3/5), a fixed point of ξ away from θ = 0, LOLA's direction is not 0 (its χ term)
    and LA's is: the audit's verdicts are those of the rules' own directions there."""
    path = _nfg(tmp_path, "bos", [[3, 0], [0, 2]], [[2, 0], [0, 3]])
    e = _interior(path)
    game = read_nfg(path).game()
    theta = numpy.array([e.logits])
    assert numpy.abs(theta).max() > 0.1  # a check made at θ = 0 instead would be caught
    for name in ("la", "lola"):
        move = numpy.abs(ALGORITHMS[name].fn(game, theta, alpha=0.1).direction).max()
        f = _finding(audit(name, properties=["game-equilibria"], profile="quick", game=path), "game-equilibria")
        assert f.status == ("holds" if move <= CONSISTENCY_ATOL else "fails"), f.summary
        (row,) = [r for r in f.details["equilibria"] if "checked" in r]
        assert row["equilibrium"] == "E2" and row["logits"] == list(e.logits)
        if f.status == "fails":
            assert "at E2" in f.summary and "(consistency)" in row["result"]
        else:
            assert [r["checked"] for r in f.details["equilibria"] if "checked" in r] == [
                ["consistency", "saddles", "alignment"]]
    assert e.strategies == ((Fraction(3, 5), Fraction(2, 5)), (Fraction(2, 5), Fraction(3, 5)))


def test_nl_fails_convergence_at_a_stable_mixed_equilibrium_where_la_converges(tmp_path):
    """Lopsided matching pennies (zero-sum): its one equilibrium is interior and stable; NL's map I − αH has
    spectral radius ≥ 1 at every α of the grid there (computed here from the Hessian), LA's contracts."""
    A = [[2, -1], [-1, 1]]
    path = _nfg(tmp_path, "pennies", A, (-numpy.array(A)).tolist())
    e = _interior(path)
    assert e.category == "stable"
    H = numpy.asarray(D.hessian(read_nfg(path).game(), numpy.array([e.logits])))[0]
    nl_contracts = any(spectral_radius(numpy.eye(2) - a * H) < 1 for a in ALPHAS)
    nl = _finding(audit("nl", properties=["game-equilibria"], profile="quick", game=path), "game-equilibria")
    la = _finding(audit("la", properties=["game-equilibria"], profile="quick", game=path), "game-equilibria")
    assert not nl_contracts and nl.status == "fails" and "(convergence)" in nl.summary
    assert la.status == "holds" and "convergence" in la.details["equilibria"][0]["checked"]


def test_gambits_three_player_example_is_audited_at_each_of_its_interior_equilibria():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "experiments" / "games" / "2x2x2.nfg"
    found = equilibria(read_nfg(path))
    f = _finding(audit("la", properties=["game-equilibria"], profile="quick", game=path), "game-equilibria")
    assert f.status == "holds", f.summary
    assert f.details["interior"] == sum(e.interior for e in found) >= 1
    assert f.details["at_infinity"] == sum(not e.interior for e in found)
    assert f.details["complete"] is False and f.details["solver"] == found.solver


def test_the_command_audits_on_the_game_alone_and_requires_game_equilibria(tmp_path, capsys):
    path = _nfg(tmp_path, "bos", [[3, 0], [0, 2]], [[2, 0], [0, 3]])
    argv = ["--game", path, "--check", "game-equilibria", "game-runs", "--profile", "quick", "--game-steps", "200",
            "--game-alpha", "0.5", "--quiet"]
    assert main(["audit", "la", *argv, "--out", str(tmp_path / "la")]) == 0
    assert main(["audit", "lola", *argv, "--out", str(tmp_path / "lola")]) == 1  # game-equilibria fails
    (report,) = json.loads((tmp_path / "la" / "audit.json").read_text())
    assert [f["property"] for f in report["findings"]] == ["game-equilibria", "game-runs"]
    runs = report["findings"][1]["details"]
    assert (runs["alpha"], runs["steps"], runs["runs"]) == (0.5, 200, 20)
    assert "| la | holds | observed |" in capsys.readouterr().out


@pytest.mark.parametrize("content", ["", "NFG 1 R \"x\" { \"A\" \"B\" } { 2 2 }\n\n1 2 3\n", "\x00\x01binary"])
def test_a_malformed_file_is_one_line_and_leaves_no_output(tmp_path, capsys, content):
    bad = tmp_path / "bad.nfg"
    bad.write_text(content)
    for argv in (["audit", "la", "--game", str(bad)], ["sweep", str(bad), "--algos", "nl", "--alpha", "1"]):
        assert main([*argv, "--out", str(tmp_path / "out")]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("sosverify: error: bad.nfg: not a Gambit"), lines
        assert not (tmp_path / "out").exists()


def test_the_api_refuses_a_game_that_is_not_normal_form():
    from sosverify.games import tandem

    for game, message in (("tandem", "a game to audit on is a Gambit FILE.nfg"),
                          (tandem(), "not a normal-form game")):
        with pytest.raises(SosverifyError, match=message):
            audit("la", game=game)
    with pytest.raises(SosverifyError, match="game-runs checks a game of yours"):
        audit("la", properties=["game-runs"])


def test_a_sweep_task_carries_the_file_s_payoffs_and_runs_as_the_runner_does(tmp_path, planned_sweep_tasks):
    """The task holds the payoffs (a worker needs no copy of the file; an edited file is a new task, by its key),
    and its result is the runner's on that game with the equilibria its runs approach."""
    import sosverify.sweep as S

    seen = planned_sweep_tasks
    keys = {}
    for name, b in (("first", 1), ("edited", 2)):
        path = tmp_path / "game.nfg"
        path.write_text(to_gambit(normal_form([[2, 0], [0, b]], [[2, 0], [0, b]], name="game")).to_nfg())
        seen.clear()
        assert main(["sweep", str(path), "--algos", "la", "--alpha", "1", "--steps", "100", "--runs", "5",
                     "--out", str(tmp_path / "sweep"), "--quiet"]) == 0
        (task,) = seen
        assert task["game"] == "game.nfg" and task["normal_form"]["payoffs"][0] == [[2, 0], [0, b]]
        keys[name] = S.task_key(task)
    assert keys["first"] != keys["edited"]
    result = S.run_task(task)["result"]
    direct = run(read_nfg(path).game(), "la", alpha=1.0, steps=100, runs=5, seed=0, params_every=1)
    assert result["final_losses"] == direct.losses[-1].T.tolist()
    assert result["equilibria"]["counts"] == run_outcomes(direct)["counts"]
