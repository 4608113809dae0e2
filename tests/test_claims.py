"""Claims: each can fail — deliberately wrong variants are caught — and verify/analyse behave."""

import json

import pytest
import sympy

from sosverify import algorithms as A
from sosverify import derivatives as D
from sosverify.claims import get_claims
from sosverify.cli import main
from sosverify.safe_expr import parse_expression
from sosverify.symbolic.game import SymGame


def _check(claim_id):
    (claim,) = get_claims([claim_id])
    return claim.check()


def test_symbolic_lola_without_middle_term_fails_proposition_1(monkeypatch):
    monkeypatch.setattr(SymGame, "lola", lambda self, alpha=sympy.Symbol("alpha", positive=True):
                        self.xi - alpha * self.chi)
    assert not _check("prop1-lola-vectorial").passed


def test_numeric_lola_without_middle_term_fails_proposition_1(monkeypatch):
    def wrong_lola(game, theta, *, alpha):
        s = D.second_order(game, theta, ("chi",))
        return A.Direction(s["first"].xi - alpha * s["chi"], s["first"].losses, s["first"].xi, {})

    monkeypatch.setattr(A, "lola", wrong_lola)
    ev = _check("prop1-lola-vectorial")
    assert not ev.passed
    assert [i["ok"] for i in ev.items if i["ok"] is not None][-1] is False  # the numeric item caught it


def test_chi_with_flipped_index_fails_the_tandem_and_lola_claims(monkeypatch):
    def flipped(self):  # ∇_i∇_j L^i ∇_j L^j instead of ∇_i∇_j L^j ∇_j L^i
        out = []
        for s, i in zip(self.symbols, self.owner):
            out.append(sum(sympy.diff(self.losses[i], s, t) * sympy.diff(self.losses[j], t)
                           for t, j in zip(self.symbols, self.owner) if j != i))
        return sympy.Matrix(out)

    monkeypatch.setattr(SymGame, "chi", property(flipped))
    assert not _check("ex2-tandem").passed
    assert not _check("prop1-lola-vectorial").passed


def test_sos_without_the_p1_safeguard_fails_section_3_2(monkeypatch):
    monkeypatch.setattr(A, "sos_p", lambda xi_, xi_0, chi_, *, alpha, a, b: 1.0 + 0 * xi_[:, 0])
    assert not _check("sec32-plola").passed


@pytest.mark.parametrize("broken", [
    lambda xi_, xi_0, chi_, *, alpha, a, b: 1.0 + 0 * xi_[:, 0],          # no safeguard: SOS is LOLA
    lambda xi_, xi_0, chi_, *, alpha, a, b: 1.5 + 0 * xi_[:, 0],          # p outside [0, 1]
])
def test_a_broken_sos_fails_the_gan_claim(monkeypatch, broken):
    monkeypatch.setattr(A, "sos_p", broken)
    ev = _check("exp-gmm")
    assert not ev.passed
    failed = [i["what"] for i in ev.items if i["ok"] is False]
    assert any("SOS on the GAN" in w for w in failed), failed


def test_a_check_that_raises_is_a_failed_claim_not_a_crash(monkeypatch, tmp_path):
    from sosverify.claims import registry
    from sosverify.verify import run_claims

    (claim,) = get_claims(["ex2-tandem"])

    broken = registry.Claim(claim.id, claim.statement, claim.section, claim.method, lambda: 1 / 0)
    monkeypatch.setitem(registry.CLAIMS, claim.id, broken)
    (result,) = run_claims([claim.id])
    assert result["status"] == "fail" and "ZeroDivisionError" in result["evidence"][0]["value"]


def test_verify_runs_every_claim_and_writes_the_report(tmp_path, capsys):
    code = main(["verify", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "report.json").read_text())
    ids = [c["id"] for c in report["claims"]]
    assert ids == [c.id for c in get_claims()]
    assert all(set(c) >= {"id", "status", "method", "evidence", "seconds"} for c in report["claims"])
    failed = [c["id"] for c in report["claims"] if c["status"] != "pass"]
    assert failed == [] and code == 0, failed
    md = (tmp_path / "report.md").read_text()
    assert md.splitlines()[2].startswith("| id | claim |")  # the report opens with the table
    n = len(get_claims())
    assert f"{n}/{n} claims pass" in out
    long = [c.id for c in get_claims(long=True) if c.long]
    assert long == ["exp-gmm-modes"] and report["not_checked"] == long  # named as not checked, not passed
    assert f"not checked (minutes each; sosverify verify --long): {long[0]}" in out and f"Not checked: {long[0]}" in md
    assert (tmp_path / "exp-tandem-figure3_tandem.png").exists()


def test_verify_only_and_list(tmp_path, capsys):
    assert main(["verify", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(c.id in listed for c in get_claims())
    assert "exp-gmm-modes" in listed and "[long: --long]" in listed
    assert main(["verify", "--only", "ex1-nl-diverges", "ex2-tandem", "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["ex1-nl-diverges", "ex2-tandem"]


def _stand_in(monkeypatch, claim_id, ok: bool):
    """Replace a claim's check with one that at once passes (``ok``) or fails; all else kept."""
    from dataclasses import replace

    from sosverify.claims import registry
    from sosverify.claims.base import Evidence

    def check():
        ev = Evidence()
        ev.expect("stand-in", ok)
        return ev

    get_claims()
    monkeypatch.setitem(registry.CLAIMS, claim_id, replace(registry.CLAIMS[claim_id], check=check))


def test_verify_exit_code_is_nonzero_when_a_claim_fails(monkeypatch, tmp_path):
    _stand_in(monkeypatch, "ex2-tandem", ok=False)
    assert main(["verify", "--only", "ex2-tandem", "--out", str(tmp_path), "--quiet"]) == 1


def test_analyse_tandem_prints_the_fixed_line_and_lolas_line(capsys):
    assert main(["analyse", "--player", "x=(x+y)**2-2*x", "--player", "y=(x+y)**2-2*y"]) == 0
    out = capsys.readouterr().out
    assert "x = 1 - y: stable" in out
    assert "x = -y + (2*alpha - 1)/(4*alpha - 1)" in out


def test_analyse_json_reports_strict_saddle_of_common_xy(capsys):
    assert main(["analyse", "--player", "x=x*y", "--player", "y=x*y", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["players"] == [["x"], ["y"]]
    assert data["fixed_points"]["status"] == "exact"
    assert [fp["kind"] for fp in data["fixed_points"]["points"]] == ["strict-saddle"]
    assert data["fixed_points"]["points"][0]["solution"] == {"x": "0", "y": "0"}
    x, y = sympy.symbols("x y", real=True)
    assert parse_expression(data["xi"][0], {"x": x, "y": y}) == y
    assert {"xi", "H", "chi", "lola_fixed_points"} <= set(data)


def test_analyse_json_solutions_are_parsable_with_alpha(capsys):
    main(["analyse", "--player", "x=(x+y)**2-2*x", "--player", "y=(x+y)**2-2*y", "--json"])
    data = json.loads(capsys.readouterr().out)
    x, y, a = sympy.symbols("x y alpha")
    assert data["lola_fixed_points"]["status"] == "exact"
    sol = parse_expression(data["lola_fixed_points"]["points"][0]["solution"]["x"], {"x": x, "y": y, "alpha": a})
    assert sympy.expand(sympy.cancel(sol + y - (1 - 2 * a) / (1 - 4 * a))) == 0
    lc = data["fixed_points"]["points"][0]["local_convergence"]
    assert lc["alpha_max"] == "1/2" and lc["neutral_directions"] == 1  # |1 − 4α(1 − 2α)| < 1 ⇔ α < 1/2


@pytest.mark.parametrize("argv, message", [
    (["analyse", "--player", "x=(x+"], "cannot parse"),
    (["analyse", "--player", "x=exec('1')"], "call to 'exec' is not allowed"),
    (["analyse", "--player", "x=x*y"], "y, which no player owns"),
    (["analyse", "--player", "x=x*y", "--player", "x=y"], "owned by player 1 and player 2"),
    (["verify", "--only", "no-such-claim"], "unknown claim id 'no-such-claim'"),
])
def test_bad_input_to_analyse_and_verify_is_a_one_line_error(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_gan_mode_coverage_claim_holds():
    ev = _check("exp-gmm-modes")
    assert ev.passed, ev.items


@pytest.mark.slow
def test_co_replaced_by_nl_fails_the_gan_mode_coverage_claim(monkeypatch):
    from dataclasses import replace

    monkeypatch.setitem(A.ALGORITHMS, "co", replace(A.ALGORITHMS["nl"], name="co"))
    ev = _check("exp-gmm-modes")
    assert not ev.passed
    assert [i["what"] for i in ev.items if i["ok"] is False] == ["CO covers on average at least 3 more of the 16 "
                                                                 "modes than NL"]


def test_verify_long_checks_the_long_claims_too(monkeypatch, tmp_path, capsys):
    """The plumbing of --long, with the long claim's check swapped for a quick one (it is run for real
    under -m slow above)."""
    _stand_in(monkeypatch, "exp-gmm-modes", ok=True)
    assert main(["verify", "--long", "--only", "ex1-nl-diverges", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert "not checked" not in capsys.readouterr().out  # --only names what is checked
    ids = [c.id for c in get_claims(long=True)]
    monkeypatch.setattr("sosverify.verify.get_claims", lambda ids=None, long=False: [
        c for c in get_claims(ids, long=long) if c.id in ("ex1-nl-diverges", "exp-gmm-modes")])
    assert main(["verify", "--long", "--out", str(tmp_path / "b"), "--quiet"]) == 0
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert [c["id"] for c in report["claims"]] == ["ex1-nl-diverges", "exp-gmm-modes"] and ids[-1] == "exp-gmm-modes"
    assert report["not_checked"] == [] and "not checked" not in capsys.readouterr().out
