"""Errata, twins and the paper's inventory: each erratum's counterexample re-checked independently (in floating
point, without the claim's code), planted twins restored after use, and the inventory complete."""

import json

import numpy
import pytest
import sympy

from sosverify import algorithms as A
from sosverify.claims import CLAIMS, get_claims
from sosverify.claims.base import Claim, Evidence
from sosverify.claims.inventory import ROWS, inventory
from sosverify.claims.twins import TWINS
from sosverify.cli import main
from sosverify.games import get_game
from sosverify.reproduce.ipd import tit_for_tat_by_state
from sosverify.symbolic.game import SymGame


def _lookahead_matrix(H, owner):
    """G(α) = (I − αH_o)H in NumPy, written here from SPEC §2 (not the project's function)."""
    H_o = H * (numpy.asarray(owner)[:, None] != numpy.asarray(owner)[None, :])
    return lambda a: (numpy.eye(len(H)) - a * H_o) @ H


def test_remark_d5_2x2_counterexample_is_never_positive_definite():
    """Rem. D.5 says G is positive definite for 2 × 2; for H = [[1, 1], [3, 4]] its symmetric part has a negative
    eigenvalue at every α on a log grid from 1e-8 to 1e3, while G stays positive stable for small α."""
    H = numpy.array([[1.0, 1.0], [3.0, 4.0]])
    assert numpy.linalg.eigvalsh((H + H.T) / 2).min() > -1e-12 and abs(numpy.linalg.det(H) - 1) < 1e-12
    G = _lookahead_matrix(H, [0, 1])
    for a in numpy.logspace(-8, 3, 200):
        S = (G(a) + G(a).T) / 2
        # det sym(G) = −α(13α + 4)/4: relative to it, rounding is far smaller than the value
        assert numpy.linalg.det(S) < 0 and numpy.isclose(numpy.linalg.det(S), -a * (13 * a + 4) / 4, rtol=1e-6)
    assert numpy.linalg.eigvals(G(1e-3)).real.min() > 0


def test_lemma_d9_counterexample_has_no_uniform_epsilon():
    g = lambda a, u: (a - u) ** 2  # noqa: E731
    us = numpy.linspace(0, 1, 1001)
    for u in us[1:]:  # premise: g > 0 on (0, u)
        assert numpy.all(g(numpy.linspace(1e-9, u, 50, endpoint=False), u) > 0)
    assert numpy.all(g(numpy.logspace(-9, 0, 50), 0.0) > 0)
    for eps in (1e-1, 1e-3, 1e-6):  # conclusion fails: a zero inside (0, ε) × Y
        assert g(eps / 2, eps / 2) == 0


def test_lola_at_alpha_one_half_stops_on_x_plus_y_zero_with_better_losses():
    """App. C: at α = 1/2 the tandem's LOLA direction vanishes on x + y = 0 (not > 1), where L1 = −2x < 1 − 2x."""
    tandem = get_game("tandem")
    theta = numpy.array([[0.3, -0.3], [-2.0, 2.0], [1.5, -1.5]])
    assert numpy.abs(A.lola(tandem, theta, alpha=0.5).direction).max() < 1e-12
    losses = tandem.losses(theta)
    assert numpy.all(losses[0] < 1 - 2 * theta[:, 0])


def test_algorithm_1_as_printed_divides_by_zero_at_the_tandem_origin():
    tandem = get_game("tandem")
    la = A.lookahead(tandem, numpy.zeros((1, 2)), alpha=0.1).direction[0]
    chi = numpy.array([0.0, 0.0])  # χ = 4(x + y)(1, 1) = 0 at the origin (SPEC §3)
    dot = float(-0.1 * chi @ la)
    assert dot == 0.0 and numpy.abs(la).max() > 1
    with numpy.errstate(divide="ignore", invalid="ignore"):
        printed = numpy.float64(-0.5 * la @ la) / numpy.float64(dot)
    assert not numpy.isfinite(printed)
    assert A.sos(tandem, numpy.zeros((1, 2)), alpha=0.1, a=0.5, b=0.1).diagnostics["p"][0] == 1.0


def test_typos_are_typos():
    # Ex. 1: distance √(1 + α²)·r, squared distance (1 + α²)r²
    step = numpy.array([1.0, 0.0]) - 1.0 * numpy.array([0.0, -1.0])  # ξ(1, 0) = (y, −x) = (0, −1)
    assert numpy.isclose(numpy.linalg.norm(step), numpy.sqrt(2)) and numpy.isclose(step @ step, 2.0)
    # App. A: H ≺ 0 with complex eigenvalues
    H = numpy.array([[-1.0, 2.0], [-2.0, -1.0]])
    ev = numpy.linalg.eigvals(H)
    assert numpy.all(ev.real < 0) and numpy.all(ev.imag != 0)
    # Thm. D.8: p2 = ‖ξ‖² when ‖ξ‖ < b
    xi = numpy.array([[0.03, 0.04]])
    assert A.sos_p_parts(xi, xi, 0 * xi, alpha=0.1, a=0.5, b=0.1)[1][0] == pytest.approx(0.0025, abs=1e-15)
    # Thm. E.4: |1 − α(a + ib)| at a = −1, b = 0, α = 1
    assert abs(1 - 1.0 * (-1.0)) == 2.0


def test_each_erratum_fails_when_its_counterexample_does_not_hold():
    """An erratum check is a claim too: with its twin planted (the project wrong), it is not confirmed."""
    for c in get_claims():
        if c.kind != "erratum":
            continue
        for twin in c.twins:
            with twin.planted(), numpy.errstate(all="ignore"):
                try:
                    confirmed = c.check().passed
                except Exception:
                    confirmed = False
            assert not confirmed, (c.id, twin.name)


def test_a_twin_is_restored_after_use_even_when_the_check_raises():
    from sosverify import derivatives as D
    from sosverify.symbolic import stability as ST

    before = (A.sos_p_parts, A.ALGORITHMS["la"], D.second_order, SymGame.__dict__["chi"], ST.lookahead_matrix)
    for twin in TWINS.values():
        with pytest.raises(ZeroDivisionError):
            with twin.planted():
                raise ZeroDivisionError("a check that raises inside the planted block")
    assert before == (A.sos_p_parts, A.ALGORITHMS["la"], D.second_order, SymGame.__dict__["chi"],
                      ST.lookahead_matrix)


def test_every_twin_is_used_by_some_claim():
    used = {t.name for c in get_claims(long=True) for t in c.twins}
    assert set(TWINS) == used


def test_a_claim_without_a_twin_or_a_reason_is_refused():
    with pytest.raises(ValueError, match="no planted twin"):
        Claim("x", "a statement", "§0", "numeric", lambda: Evidence())
    with pytest.raises(ValueError, match="unknown strength"):
        Claim("x", "a statement", "§0", "numeric", lambda: Evidence(), strength="strong", why_no_twin="none")


def test_inventory_has_a_row_for_every_checkable_statement_and_a_reason_for_each_unchecked_one():
    get_claims()
    rows = inventory(CLAIMS)
    assert len(rows) == len(ROWS) >= 35
    assert all(r["claims"] or r["not_checked"] for r in rows)
    assert all(r["strength"] != "not checked" or r["not_checked"] for r in rows)
    named = {c for r in rows for c in r["claims"]}
    assert {c.id for c in get_claims(long=True)} <= named  # every claim and erratum answers some statement


def test_verify_inventory_prints_the_rows_and_totals(capsys):
    assert main(["verify", "--inventory"]) == 0
    out = capsys.readouterr().out
    assert "Rem. D.5" in out and "not checked: " in out and out.strip().splitlines()[-1].startswith(f"{len(ROWS)} statements")


def test_always_cooperate_is_not_tit_for_tat_state_by_state():
    """exp-ipd asserts tit-for-tat per state: always-cooperate cooperates after a defection, so it fails CD/DC/DD."""
    cooperate = numpy.full((10, 10), 5.0)  # logits: P(cooperate) ≈ 0.993 in every state
    frac = tit_for_tat_by_state(cooperate)
    assert numpy.all(frac[:, :2] == 1) and frac[0, 2] == 0 and frac[0, 4] == 0 and frac[1, 3] == 0
    tft = numpy.tile(numpy.array([5, 5, -5, 5, -5, 5, 5, 5, -5, -5.0]), (10, 1))
    assert numpy.all(tit_for_tat_by_state(tft) == 1)


def test_report_json_lists_errata_with_location_and_counterexample(tmp_path):
    ids = [c.id for c in get_claims() if c.kind == "erratum"]
    assert main(["verify", "--only", *ids, "--out", str(tmp_path), "--quiet"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert [e["id"] for e in report["errata"]] == ids
    assert all(e["status"] == "erratum" and e["counterexample"] and e["corrected"] for e in report["errata"])
    assert sum(e["typo"] for e in report["errata"]) >= 4


def test_general_game_keeps_every_derivative_unknown():
    g = SymGame.general((1, 1))
    assert all(isinstance(e, sympy.Derivative) for e in g.xi)
    with pytest.raises(Exception, match="no numeric form"):
        g.numeric()


def test_the_registry_is_complete_when_imported_in_a_fresh_process():
    """Filled at import (no getter has to run first), with every claim id of SPEC §4."""
    import subprocess
    import sys

    code = "from sosverify.claims.registry import CLAIMS; print(' '.join(CLAIMS))"
    ids = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    spec = ["ex1-nl-diverges", "sec22-nash-saddle", "prop1-lola-vectorial", "ex2-tandem", "appc-lola-fixed-points",
            "sec31-la-preserves-fp", "sec32-plola", "thm2-la-positive-stable", "remd5-not-pd", "cord3-alpha-bound",
            "cor3-la-converges", "lemd7-p-near-fp", "thm4-sos-converges", "prop5-sos-only-fp", "thm6-saddles",
            "appa-gd-singular", "exp-ipd", "exp-tandem", "exp-gmm"]
    assert set(spec) <= set(ids) and ids == [c.id for c in get_claims(long=True)]
