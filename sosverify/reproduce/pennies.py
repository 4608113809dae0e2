"""Matching pennies (in the reference implementation, not the paper): NL spirals out, LA and SOS converge.

p_i = σ(θ_i); the equilibrium is P1(heads) = P2(heads) = ½, i.e. θ = 0.
"""

from __future__ import annotations

import numpy

from sosverify.algorithms import ALGORITHMS, check_shared
from sosverify.games import get_game
from sosverify.plotting import band, plt
from sosverify.reproduce.common import (
    Reproduction,
    check_algorithms,
    curve_columns,
    hyper_config,
    loss_table,
    register,
    run_algorithms,
)
from sosverify.runner import mean_std

DEFAULT_ALGOS = tuple(a for a in ALGORITHMS if a != "plola")


def heads(h) -> numpy.ndarray:
    """P(heads) per step, run and player: ``(T, R, 2)``."""
    return 1.0 / (1.0 + numpy.exp(-h.params))


def distance(h) -> numpy.ndarray:
    """Euclidean distance of (P1(heads), P2(heads)) to (½, ½), ``(T, R)``."""
    return numpy.linalg.norm(heads(h) - 0.5, axis=2)


def table(rep) -> str:
    """The run's lines: final losses and the distance to (1/2, 1/2) per rule."""
    def extra(e):
        if e.get("final_distance_mean") is None:
            return ""
        return f"  distance to (1/2,1/2): {e['initial_distance_mean']:.3g} -> {e['final_distance_mean']:.3g}"
    return loss_table(rep, extra)


@register("matching-pennies", table)
def run_pennies(*, runs=100, steps=300, alpha=1.0, seed=0, init_std=0.5, algos=DEFAULT_ALGOS, hyper=None,
                progress=False) -> Reproduction:
    """Matching pennies; ``hyper``: the rules' settings (``{"a": .., "gamma": ..}``)."""
    algos = check_algorithms(algos)
    game = get_game("matching-pennies")
    check_shared(algos, hyper)
    hyper = dict(hyper or {})
    histories, seconds = run_algorithms(game, algos, alpha=alpha, steps=steps, runs=runs, seed=seed,
                                        init_std=init_std, hyper=hyper, progress=progress)
    summary: dict = {"algorithms": {}}
    for name, h in histories.items():
        ok = ~h.diverged
        mean, std = mean_std(h.losses[-1], ok)
        dist = distance(h)
        summary["algorithms"][name] = {
            "final_loss_mean": mean, "final_loss_std": std,
            "initial_distance_mean": float(dist[0][ok].mean()) if ok.any() else None,
            "final_distance_mean": float(dist[-1][ok].mean()) if ok.any() else None,
            "final_distance_max": float(dist[-1][ok].max()) if ok.any() else None,
            "diverged": int(h.diverged.sum())}
    config = {"experiment": "matching-pennies", "game": "matching-pennies", "alpha": alpha, "steps": steps,
              "runs": runs, "seed": seed, "init_std": init_std, "algorithms": list(algos),
              "hyperparameters": hyper_config(algos, hyper)}
    curves = curve_columns(histories, distance, "distance")
    return Reproduction("matching-pennies", config, histories, summary, curves, {"pennies": figure(histories)},
                        seconds)


def figure(histories: dict):
    """Left: P1(heads), P2(heads) over steps for one run per algorithm; right: mean distance to (½, ½)."""
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, h in histories.items():
        p = heads(h)[:, 0, :]
        ax_a.plot(p[:, 0], p[:, 1], label=name.upper(), linewidth=1)
        band(ax_b, distance(h), name.upper())
    ax_a.plot([0.5], [0.5], "k*", markersize=10)
    ax_a.set_xlim(0, 1)
    ax_a.set_ylim(0, 1)
    ax_a.set_xlabel("P1(heads)")
    ax_a.set_ylabel("P2(heads)")
    ax_a.set_title("trajectory of run 0")
    ax_a.legend(fontsize=7, ncol=2)
    ax_b.set_yscale("log")
    ax_b.set_xlabel("learning step")
    ax_b.set_ylabel("distance to (½, ½)")
    ax_b.set_title("matching pennies: mean distance (±1 std)")
    ax_b.grid(alpha=0.3)
    fig.tight_layout()
    return fig
