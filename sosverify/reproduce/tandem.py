"""Figure 3: the tandem game (α = 0.1, a = b = 0.5, θ₀ ~ N(0, 0.1²), 300 runs × 30 steps).

Theory (Appendix C): SOS → x + y = 1 with average loss 0; LOLA → x + y = 4/3 with
average loss 4/9.
"""

from __future__ import annotations

import numpy

from sosverify.algorithms import check_shared
from sosverify.games import get_game
from sosverify.plotting import band, plt
from sosverify.reproduce.common import (
    HYPER_DEFAULTS,
    Reproduction,
    check_algorithms,
    curve_columns,
    hyper_config,
    loss_table,
    register,
    run_algorithms,
)
from sosverify.runner import mean_std

DEFAULT_ALGOS = ("sos", "lola")


def theory(alpha: float) -> dict:
    """Limits of x + y and of the average loss (L1 + L2)/2 = s(s − 1) for SOS/LA and for LOLA."""
    s_lola = (1 - 2 * alpha) / (1 - 4 * alpha)
    return {"sos": {"sum": 1.0, "loss": 0.0}, "la": {"sum": 1.0, "loss": 0.0},
            "lola": {"sum": s_lola, "loss": s_lola * (s_lola - 1)}}


def table(rep) -> str:
    """The run's lines: final losses, x + y, the average loss and SOS's p per rule."""
    def extra(e):
        if e.get("final_sum_mean") is None:
            return ""
        p = f"  p={e['final_p_mean']:.2e}" if e.get("final_p_mean") is not None else ""
        return f"  x+y={e['final_sum_mean']:.5f}  avg-loss={e['final_average_loss_mean']:.5f}{p}"
    return loss_table(rep, extra)


@register("tandem", table)
def run_tandem(*, runs=300, steps=30, alpha=0.1, seed=0, init_std=0.1, algos=DEFAULT_ALGOS, hyper=None,
               progress=False) -> Reproduction:
    """Figure 3; ``hyper``: the rules' settings (default SOS b = 0.5)."""
    algos = check_algorithms(algos)
    game = get_game("tandem")
    check_shared(algos, hyper)
    hyper = {**HYPER_DEFAULTS["tandem"], **(hyper or {})}
    histories, seconds = run_algorithms(game, algos, alpha=alpha, steps=steps, runs=runs, seed=seed,
                                        init_std=init_std, hyper=hyper, progress=progress)
    expected = theory(alpha) if alpha < 0.25 else {}
    summary: dict = {"algorithms": {}}
    for name, h in histories.items():
        ok = ~h.diverged
        mean, std = mean_std(h.losses[-1], ok)
        average = h.losses[-1].mean(axis=0)
        sums = h.params[-1].sum(axis=1)
        entry = {"final_loss_mean": mean, "final_loss_std": std,
                 "final_average_loss_mean": float(average[ok].mean()) if ok.any() else None,
                 "final_sum_mean": float(sums[ok].mean()) if ok.any() else None,
                 "final_sum_std": float(sums[ok].std()) if ok.any() else None,
                 "diverged": int(h.diverged.sum())}
        if name in expected:
            entry["theory_sum"] = expected[name]["sum"]
            entry["theory_average_loss"] = expected[name]["loss"]
        if "p" in h.diagnostics:
            entry["final_p_mean"] = float(numpy.nanmean(h.diagnostics["p"][-1])) if ok.any() else None
            entry["initial_p_mean"] = float(numpy.nanmean(h.diagnostics["p"][0])) if ok.any() else None
        summary["algorithms"][name] = entry
    config = {"experiment": "tandem", "game": "tandem", "alpha": alpha, "steps": steps, "runs": runs, "seed": seed,
              "init_std": init_std, "algorithms": list(algos), "hyperparameters": hyper_config(algos, hyper)}
    curves = curve_columns(histories, lambda h: h.losses.mean(axis=1), "average_loss")
    curves.update(curve_columns(histories, lambda h: h.params.sum(axis=2), "sum"))
    with_p = {k: h for k, h in histories.items() if "p" in h.diagnostics}
    curves.update(curve_columns(with_p, lambda h: numpy.vstack([h.diagnostics["p"], h.diagnostics["p"][-1:]]), "p"))
    figures = {"figure3_tandem": figure_3(histories, expected)}
    return Reproduction("tandem", config, histories, summary, curves, figures, seconds)


def figure_3(histories: dict, expected: dict):
    """3A: average loss per step (±1 std); 3B: SOS's p per step (±1 std)."""
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for name, h in histories.items():
        line = band(ax_a, h.losses.mean(axis=1), name.upper())
        if name in expected:
            ax_a.axhline(expected[name]["loss"], color=line.get_color(), linestyle=":", linewidth=1)
    ax_a.set_xlabel("learning step")
    ax_a.set_ylabel("average loss (L1 + L2)/2")
    ax_a.set_title("Tandem: loss (Figure 3A); dotted: theory")
    ax_a.grid(alpha=0.3)
    ax_a.legend(fontsize=8)
    for name, h in histories.items():
        if "p" in h.diagnostics:
            band(ax_b, h.diagnostics["p"], name.upper(), clip=(0.0, 1.0))
    ax_b.set_xlabel("learning step")
    ax_b.set_ylabel("p")
    ax_b.set_title("SOS's p (Figure 3B; band: ±1 std within [0, 1])")
    ax_b.grid(alpha=0.3)
    fig.tight_layout()
    return fig
