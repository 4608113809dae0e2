"""`sosverify audit`: the built-in rules come out as the paper and the cited papers say; a user's rule
is audited from MODULE:FUNCTION; a broken rule is a line in the report, not a crash."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy
import pytest

from sosverify.algorithms import ALGORITHMS, Algorithm, Direction
from sosverify.audit import audit, load_rule, render_markdown
from sosverify.audit.properties import spectral_radius, update_jacobian
from sosverify.cli import main
from sosverify.errors import SosverifyError
from sosverify.games import cyclic

ROOT = Path(__file__).resolve().parents[1]
PROPS = ("consistency", "convergence", "saddles", "reduction", "alignment")

# What the theory says of each rule is its record's ``properties`` (sosverify/algorithms.py says why).
EXPECTED = {name: dict(a.properties) for name, a in ALGORITHMS.items()}


def test_every_built_in_rule_states_every_property():
    assert {name: a.complete for name, a in ALGORITHMS.items() if a.complete} == {}


# three rules by default (one failing each property somewhere: NL, LA, SOS hold or fail as the table says);
# every rule under -m slow (tox -e slow): about 5 seconds each
QUICK = ("nl", "la", "sos")


@pytest.mark.parametrize("name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in EXPECTED])
def test_every_built_in_rule_is_audited_as_the_theory_says(name):
    """The README's table (`sosverify audit all`), at the quick profile: a minute for all ten."""
    report = audit(name, properties=PROPS, profile="quick")
    got = {f.property: f.status for f in report.findings}
    assert got == EXPECTED[name], render_markdown([report])


def test_lola_is_flagged_inconsistent_with_a_small_shrunk_game():
    (finding,) = audit("lola", properties=["consistency"], profile="quick").findings
    assert finding.status == "fails" and "moves off a fixed point" in finding.summary
    assert "L3" not in finding.counterexample and len(finding.counterexample) < 200  # two players, few terms


def test_nl_fails_local_convergence_on_the_cyclic_game():
    (finding,) = audit("nl", properties=["convergence"], profile="quick").findings
    assert finding.counterexample.startswith("cyclic(L1 = x*y; L2 = -x*y")
    # and the reason is real: NL's map I − αH has spectral radius sqrt(1 + α²) > 1 there
    assert spectral_radius(update_jacobian(ALGORITHMS["nl"], cyclic(), [0.0, 0.0], 0.01, {})) == \
        pytest.approx(numpy.sqrt(1 + 0.01 ** 2), abs=1e-9)


def test_the_update_jacobian_matches_the_formula_for_lookahead():
    """LA at a fixed point of a quadratic game: ∂F = I − α(I − αH_o)H (Theorem 4's matrix)."""
    H = numpy.array([[2.0, 1.0], [-1.0, 1.0]])
    from sosverify.games import linear
    game = linear(H)
    H_o = numpy.array([[0.0, 1.0], [-1.0, 0.0]])
    alpha = 0.1
    expected = numpy.eye(2) - alpha * (numpy.eye(2) - alpha * H_o) @ H
    assert numpy.allclose(update_jacobian(ALGORITHMS["la"], game, [0.0, 0.0], alpha, {}), expected,
                          rtol=0, atol=1e-9)


def test_a_rule_with_its_own_setting_is_audited_with_it():
    def damped_la(game, theta, *, alpha, k=1.0):
        from sosverify import derivatives as D
        s = D.second_order(game, theta, ("H_o_xi",))
        return Direction(k * (s.first.xi - alpha * s.H_o_xi), s.first.losses, s.first.xi, {})

    report = audit(Algorithm("damped-la", damped_la, {"k": 1.0}), properties=["reduction"], profile="quick",
                   hyper={"k": 0.5})
    assert report.hyperparameters == {"k": 0.5}
    assert report.findings[0].status == "fails"  # at α = 0 it is ξ/2, not ξ


RULES = textwrap.dedent('''
    import numpy
    from sosverify import derivatives as D
    from sosverify.algorithms import Direction

    def momentum_la(game, theta, *, alpha):
        """LA plus a step along ξ scaled by α: (I − αH_o)ξ + ½αξ."""
        s = D.second_order(game, theta, ("H_o_xi",))
        f = s.first
        return Direction(f.xi - alpha * s.H_o_xi + 0.5 * alpha * f.xi, f.losses, f.xi, {})

    def momentum_la_symbolic(game, alpha):
        return game.lookahead(alpha) + alpha / 2 * game.xi

    def raises(game, theta, *, alpha):
        raise RuntimeError("not finished")

    def wrong_shape(game, theta, *, alpha):
        f = D.first_order(game, theta)
        return Direction(f.xi[:, :1], f.losses, f.xi, {})

    def nan(game, theta, *, alpha):
        f = D.first_order(game, theta)
        return Direction(f.xi * numpy.nan, f.losses, f.xi, {})

    CALLS = [0]

    def later(game, theta, *, alpha):
        CALLS[0] += 1
        if CALLS[0] > 20:
            raise ZeroDivisionError("at the 21st call")
        return D.first_order(game, theta) and Direction(D.xi(game, theta), numpy.zeros((game.n_players,
                                                         len(theta))), D.xi(game, theta), {})

    def strings(game, theta, *, alpha):
        f = D.first_order(game, theta)
        return Direction(numpy.full(theta.shape, "x"), f.losses, f.xi, {})

    def huge(game, theta, *, alpha):
        f = D.first_order(game, theta)
        return Direction(f.xi + numpy.sign(theta) * 1e308, f.losses, f.xi, {})

    def exits(game, theta, *, alpha):
        raise SystemExit(3)
''')


def _audit_cli(tmp_path, *argv):
    (tmp_path / "myrules.py").write_text(RULES)
    return subprocess.run([sys.executable, "-m", "sosverify", "audit", *argv, "--profile", "quick",
                           "--out", str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)


def test_consistency_and_reduction_are_proved_exactly_for_a_rule_with_a_symbolic_form():
    report = audit("lola", properties=["consistency", "reduction"], profile="quick", symbolic="builtin")
    exact = {f.property: f for f in report.findings if f.property.endswith("-exact")}
    assert exact["consistency-exact"].status == "fails" and "-4*alpha" in exact["consistency-exact"].summary
    assert exact["consistency-exact"].counterexample.startswith("tandem(")
    assert exact["reduction-exact"].status == "holds"
    assert not report.passed(["consistency"]) and report.passed(["reduction"])
    report = audit("la", properties=["consistency"], profile="quick", symbolic=lambda g, a: g.lookahead(a))
    assert [f.status for f in report.findings] == ["holds", "holds"]
    wrong = audit("la", properties=["reduction"], profile="quick", symbolic=lambda g, a: g.lookahead(a) + g.chi)
    assert wrong.findings[-1].status == "fails" and not wrong.passed(["reduction"])


def test_a_users_rule_is_audited_from_module_colon_function(tmp_path):
    proc = _audit_cli(tmp_path, "myrules:momentum_la", "--check", "consistency", "reduction", "saddles",
                      "--symbolic", "myrules:momentum_la_symbolic")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert [(f["property"], f["status"]) for f in report[0]["findings"]] == [
        ("consistency", "holds"), ("reduction", "holds"), ("saddles", "holds"), ("consistency-exact", "holds"),
        ("reduction-exact", "holds")]
    assert "| momentum_la | holds | holds | holds |" in (tmp_path / "out" / "audit.md").read_text()


@pytest.mark.parametrize("rule, message", [
    ("raises", "raised RuntimeError: not finished"),
    ("wrong_shape", "returned a direction of shape (2, 1) for parameters of shape (2, 2)"),
    ("nan", "returned a direction that is not finite"),
    ("strings", "returned a direction that is not an array of real numbers"),
    ("exits", "raised SystemExit: 3"),
])
def test_a_broken_rule_is_one_clear_line_per_property_not_a_crash(tmp_path, rule, message):
    proc = _audit_cli(tmp_path, f"myrules:{rule}", "--check", "consistency", "convergence")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout
    md = (tmp_path / "out" / "audit.md").read_text()
    assert md.count(message) == 2 and "inconclusive" in md


@pytest.mark.parametrize("rule, check, message", [
    ("later", "paper-games", "raised ZeroDivisionError during a run on the paper's games: at the 21st call"),
    ("huge", "saddles", "has a Jacobian that is not finite"),
])
def test_a_rule_that_breaks_after_its_first_step_is_a_finding_not_a_crash(tmp_path, rule, check, message):
    proc = _audit_cli(tmp_path, f"myrules:{rule}", "--check", check, "--require")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert message in (tmp_path / "out" / "audit.md").read_text()
    json.loads((tmp_path / "out" / "audit.json").read_text())  # valid JSON: no NaN


def test_a_module_that_exits_on_import_is_one_line(tmp_path):
    (tmp_path / "leaves.py").write_text("import sys\nprint('hello')\nsys.exit('bye')\n")
    proc = subprocess.run([sys.executable, "-m", "sosverify", "audit", "leaves:rule", "--out", str(tmp_path / "o")],
                          cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1] == "sosverify: error: cannot import 'leaves': SystemExit: bye"


def test_bad_rule_specs_are_refused_with_one_line(tmp_path, capsys):
    for spec, message in (("nosuchmodule:rule", "cannot import 'nosuchmodule'"),
                          ("sosverify.games:nothing", "has no 'nothing'"),
                          ("sosverify.games:GAMES", "is a dict, not a function"),
                          ("adam", "unknown algorithm 'adam'")):
        assert main(["audit", spec, "--out", str(tmp_path)]) == 2
        assert message in capsys.readouterr().err
    assert main(["audit", "sos", "--check", "speed", "--out", str(tmp_path)]) == 2
    assert "unknown property 'speed'" in capsys.readouterr().err
    assert main(["audit", "nl", "--eps", "0.2", "--out", str(tmp_path)]) == 2
    assert "--eps is not a setting of nl" in capsys.readouterr().err
    with pytest.raises(SosverifyError, match="a rule is a name"):
        load_rule(3)
