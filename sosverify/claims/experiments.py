"""The experimental claims at reduced scale (seconds); `sosverify reproduce` runs them at paper scale."""

from __future__ import annotations

import numpy

from sosverify.claims.base import Evidence
from sosverify.reproduce.ipd import run_ipd
from sosverify.reproduce.tandem import run_tandem


def check_exp_ipd(runs: int = 60, steps: int = 100, seed: int = 0) -> Evidence:
    ev = Evidence()
    rep = run_ipd(runs=runs, steps=steps, seed=seed)
    s = rep.summary["algorithms"]
    ev.note(f"reduced scale: {runs} runs × {steps} steps, seed {seed} (paper: 300 × 200)")
    for name in ("sos", "lola"):
        loss = s[name]["final_loss_mean"][0]
        coop = s[name]["mutual_cooperation"]
        ev.expect(f"{name.upper()} reaches cooperation: mean (1−γ)L₁ ≤ 1.2 and mutual cooperation in ≥ 70% of runs",
                  loss <= 1.2 and coop >= 0.7, f"{loss:.3f}, {coop:.0%}")
    for name, floor in (("la", 1.7), ("co", 1.45), ("sga", 1.7), ("nl", 1.9)):
        loss = s[name]["final_loss_mean"][0]
        ev.expect(f"{name.upper()} mostly defects: mean (1−γ)L₁ ≥ {floor}", loss >= floor, f"{loss:.3f}")
    ev.figures.append(("figure2b_losses", rep.figures["figure2b_losses"]))
    return ev


def check_exp_tandem(runs: int = 100, steps: int = 30, seed: int = 0) -> Evidence:
    ev = Evidence()
    rep = run_tandem(runs=runs, steps=steps, seed=seed)
    s = rep.summary["algorithms"]
    ev.note(f"reduced scale: {runs} runs × {steps} steps, seed {seed} (paper: 300 × 30), α = 0.1, a = b = 0.5")
    ev.expect("SOS: average loss → 0 and x + y → 1 (within 0.01)",
              abs(s["sos"]["final_average_loss_mean"]) < 0.01 and abs(s["sos"]["final_sum_mean"] - 1) < 0.01,
              f"{s['sos']['final_average_loss_mean']:.5f}, {s['sos']['final_sum_mean']:.5f}")
    ev.expect("LOLA: average loss → 4/9 and x + y → 4/3 (within 0.01)",
              abs(s["lola"]["final_average_loss_mean"] - 4 / 9) < 0.01 and abs(s["lola"]["final_sum_mean"] - 4 / 3) < 0.01,
              f"{s['lola']['final_average_loss_mean']:.5f}, {s['lola']['final_sum_mean']:.5f}")
    p = rep.histories["sos"].diagnostics["p"]
    mean_p = numpy.nanmean(p, axis=1)
    ev.expect("SOS decays p: mean p falls from 1 to below 1e-6", mean_p[0] > 0.9 and mean_p[-1] < 1e-6,
              f"{mean_p[0]:.3g} → {mean_p[-1]:.3g}")
    ev.figures.append(("figure3_tandem", rep.figures["figure3_tandem"]))
    return ev
