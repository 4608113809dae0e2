"""`sosverify audit`: the built-in rules come out as the paper and the cited papers say; a user's rule
is audited from MODULE:FUNCTION; a broken rule is a line in the report, not a crash."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy
import pytest

from sosverify.algorithms import ALGORITHMS, PROPERTIES, Algorithm, Direction
from sosverify.audit import audit, load_rule, render_markdown
from sosverify.audit.properties import spectral_radius, update_jacobian
from sosverify.cli import main
from sosverify.errors import SosverifyError
from sosverify.games import cyclic

ROOT = Path(__file__).resolve().parents[1]

# What the theory says of each rule is its record's ``properties`` (sosverify/algorithms.py says why).
EXPECTED = {name: dict(a.properties) for name, a in ALGORITHMS.items()}


def test_every_built_in_rule_states_every_property():
    assert {name: a.complete for name, a in ALGORITHMS.items() if a.complete} == {}


# three rules by default (one failing each property somewhere: NL, LA, SOS hold or fail as the table says);
# every rule under -m slow (tox -e slow): about 5 seconds each
QUICK = ("nl", "la", "sos")


@pytest.mark.parametrize("name", [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in EXPECTED])
def test_every_built_in_rule_is_audited_as_the_theory_says(name):
    """The table of docs/audit.md (`sosverify audit all`), at the quick profile: a minute for all ten."""
    report = audit(name, properties=PROPERTIES, profile="quick")
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


@pytest.mark.slow  # 10-50 s each: tox -e slow, which .ci/run runs
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

    def leaves(game, theta, *, alpha):
        import os
        os._exit(0)

    def chatty(game, theta, *, alpha):
        print("the rule says hello")
        s = D.second_order(game, theta, ("H_o_xi",))
        return Direction(s.first.xi - alpha * s.H_o_xi, s.first.losses, s.first.xi, {})
''')


def _audit_cli(tmp_path, *argv):
    (tmp_path / "myrules.py").write_text(RULES)
    return subprocess.run([sys.executable, "-m", "sosverify", "audit", *argv, "--profile", "quick",
                           "--out", str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=600)


@pytest.mark.slow  # 10-50 s each: tox -e slow, which .ci/run runs
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
    ("exits", "the rule ended the process: it called sys.exit(3)"),  # issue 21: the rule ended the process
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


# -- the rule is isolated (issue 21, item 4): copies, time limits, its stdout kept, its exits contained -------

def _la(game, theta, alpha):
    from sosverify import derivatives as D

    s = D.second_order(game, theta, ("H_o_xi",))
    return Direction(s.first.xi - alpha * s.H_o_xi, s.first.losses, s.first.xi, {})


def _writes_into_theta(game, theta, *, alpha):
    out = _la(game, theta, alpha)
    theta += 1.0  # in place: before isolation the audit reused this array as its fixed point
    return out


def _zeroes_theta(game, theta, *, alpha):
    out = _la(game, theta, alpha)
    theta[:] = 0.0
    return out


def _sleeps(game, theta, *, alpha):
    import time
    time.sleep(60)


def _naps(game, theta, *, alpha):
    import time
    time.sleep(0.2)  # under the limit of a call, but a property makes many calls
    return _la(game, theta, alpha)


def _swallows_the_timer(game, theta, *, alpha):
    import time
    while True:
        try:
            time.sleep(60)
        except BaseException:  # even the per-call timer: only the property's limit ends it
            pass


def _prints(game, theta, *, alpha):
    import os
    print("from the rule, through Python")
    os.write(1, b"from the rule, straight to fd 1\n")
    return _la(game, theta, alpha)


def _os_exit(game, theta, *, alpha):
    import os
    os._exit(0)


def _sys_exit_later(game, theta, *, alpha):
    import sys
    if len(theta) > 1:  # the batched calls of the Jacobian, after the first step
        sys.exit(0)
    return _la(game, theta, alpha)


MUTATING = {"writes-into-theta": _writes_into_theta, "zeroes-theta": _zeroes_theta}


@pytest.mark.parametrize("fn", MUTATING.values(), ids=MUTATING.keys())
def test_a_rule_that_mutates_its_input_is_a_finding_and_the_other_verdicts_stand(fn):
    """LA that writes into θ: consistency and convergence hold as for LA (they failed when the audit reused
    the mutated array), and the report says the rule mutates its input."""
    report = audit(Algorithm("mutating-la", fn), properties=["consistency", "convergence"], profile="quick")
    status = {f.property: f for f in report.findings}
    assert status["consistency"].status == "holds" and status["convergence"].status == "holds"
    assert status["input"].status == "fails" and "mutates its input" in status["input"].summary
    assert report.passed(["consistency", "convergence"])  # only the required properties decide


@pytest.mark.parametrize("fn, kwargs, within", [
    (_sleeps, {"call_seconds": 0.5}, 10.0),                               # the per-call limit
    (_naps, {"call_seconds": 5.0, "property_seconds": 2.0}, 12.0),        # the per-property limit
    (_swallows_the_timer, {"call_seconds": 0.3, "property_seconds": 2.0}, 12.0),
], ids=["sleeps", "naps", "swallows-the-timer"])
def test_a_rule_that_runs_too_long_is_inconclusive_timed_out_within_the_limit(fn, kwargs, within):
    import time

    start = time.monotonic()
    report = audit(Algorithm("slow", fn), properties=["reduction"], profile="quick", **kwargs)
    elapsed = time.monotonic() - start
    (finding,) = report.findings
    assert finding.status == "inconclusive" and finding.summary.startswith("timed out"), finding.summary
    assert elapsed < within, elapsed  # the limit plus forking and a first step, on a loaded machine
    assert not report.passed(["reduction"])


def test_what_the_rule_prints_is_in_the_report_not_on_stdout(capfd):
    report = audit(Algorithm("prints", _prints), properties=["reduction"], profile="quick")
    out = capfd.readouterr().out
    assert "from the rule" not in out
    (finding,) = report.findings
    assert finding.status == "holds"
    assert "from the rule, through Python" in finding.details["rule_output"]
    assert "from the rule, straight to fd 1" in finding.details["rule_output"]
    assert "the rule printed" in render_markdown([report])


@pytest.mark.parametrize("fn, said", [(_os_exit, "without an answer"), (_sys_exit_later, "sys.exit(0)")],
                         ids=["os-exit", "sys-exit-later"])
def test_a_rule_that_ends_the_process_is_inconclusive_and_never_a_pass(fn, said):
    report = audit(Algorithm("leaves", fn), properties=["reduction", "convergence"], profile="quick")
    ended = [f for f in report.findings if f.details.get("ended_process")]
    assert ended and all(f.status == "inconclusive" and "the rule ended the process" in f.summary for f in ended)
    assert any(said in f.summary for f in ended)
    assert not report.passed([]) and not report.passed(["reduction"])


def test_os_exit_in_a_rule_gives_a_report_and_a_non_zero_exit_status(tmp_path):
    proc = _audit_cli(tmp_path, "myrules:leaves", "--check", "reduction")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert "the rule ended the process" in (tmp_path / "out" / "audit.md").read_text()
    json.loads((tmp_path / "out" / "audit.json").read_text())
    proc = _audit_cli(tmp_path, "myrules:chatty", "--check", "reduction")
    assert proc.returncode == 0 and "the rule says hello" not in proc.stdout
    report = json.loads((tmp_path / "out" / "audit.json").read_text())
    assert "the rule says hello" in report[0]["findings"][0]["details"]["rule_output"]


def _kills_itself(game, theta, *, alpha):
    import os
    import signal
    os.kill(os.getpid(), signal.SIGKILL)


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("its __str__ raises too")


def _raises_an_unprintable_exception(game, theta, *, alpha):
    raise _Unprintable()


SLEEPER = {"pid_file": None}


def _leaves_a_sleeper(game, theta, *, alpha):
    import os
    import time
    pid = os.fork()
    if pid == 0:
        time.sleep(300)
        os._exit(0)
    with open(SLEEPER["pid_file"], "w") as fh:
        fh.write(str(pid))
    return _la(game, theta, alpha)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "State:\tZ" not in fh.read()  # a zombie has ended; only its exit status is left
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("fn, status, said", [
    (_kills_itself, "inconclusive", "the rule ended the process: it was killed by signal 9"),
    (_raises_an_unprintable_exception, "inconclusive", "raised _Unprintable: (its message could not be read)"),
], ids=["sigkill", "unprintable-exception"])
def test_a_rule_that_kills_itself_or_cannot_be_described_is_one_line(fn, status, said):
    report = audit(Algorithm("hostile", fn), properties=["reduction"], profile="quick")
    (finding,) = report.findings
    assert finding.status == status and said in finding.summary and "\n" not in finding.summary
    assert not report.passed(["reduction"])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_processes_a_rule_starts_end_with_its_check(tmp_path):
    SLEEPER["pid_file"] = tmp_path / "pid"
    report = audit(Algorithm("forks", _leaves_a_sleeper), properties=["reduction"], profile="quick")
    assert report.findings[0].status == "holds"
    pid = int(SLEEPER["pid_file"].read_text())
    # killed with the check's process group, not left sleeping for 300 s; a SIGKILL is delivered
    # asynchronously, so allow the kernel up to 5 s (on a loaded machine /proc lagged the return)
    import time

    deadline = time.monotonic() + 5.0
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)


def test_the_command_lines_call_timeout_reaches_the_audit(tmp_path, monkeypatch, capsys):
    """`sosverify audit RULE --call-timeout 0.5 --property-timeout 5`: a rule that sleeps is inconclusive
    within seconds, and the report says why (without the flags the call limit is sosverify.audit.CALL_SECONDS)."""
    import time

    (tmp_path / "sleepy.py").write_text("import time\n\ndef rule(game, theta, *, alpha):\n    time.sleep(60)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    start = time.monotonic()
    code = main(["audit", "sleepy:rule", "--check", "reduction", "--profile", "quick", "--call-timeout", "0.5",
                 "--property-timeout", "5", "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 1 and time.monotonic() - start < 20
    assert "timed out" in capsys.readouterr().out
