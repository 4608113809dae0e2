"""Figure 2: the iterated prisoner's dilemma (γ = 0.96, α = 1, 300 runs × 200 steps).

Outcome of a run, in this order (written into ``summary.json`` and described in docs/reproduce.md):

- ``tft``: both players play strict tit-for-tat — in every state the action tit-for-tat
  prescribes (cooperate at the start and after the opponent cooperated, defect after
  it defected) has probability ≥ 0.9;
- ``cooperate``: otherwise, mutual cooperation is played — both reported losses ≤ 1.1;
- ``defect``: mutual defection is played — both reported losses ≥ 1.9;
- ``other``: anything else.

``mutual_cooperation`` is the fraction with both reported losses ≤ 1.1 (tit-for-tat
included).
"""

from __future__ import annotations

import numpy

from sosverify.algorithms import check_shared
from sosverify.games import IPD_DISCOUNT, get_game
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

DEFAULT_ALGOS = ("sos", "lola", "la", "co", "sga", "nl")
STATES = ("start", "CC", "CD", "DC", "DD")
OUTCOME_RULE = ("tft: both players strict tit-for-tat (prescribed action has probability >= 0.9 in every "
                "state); cooperate: otherwise both reported losses <= 1.1; defect: both >= 1.9; other: the rest")
# tit-for-tat's probability of cooperating per state (start, CC, CD, DC, DD); states are (player 1, player 2)
TFT = (numpy.array([1, 1, 0, 1, 0]), numpy.array([1, 1, 1, 0, 0]))
TFT_THRESHOLD = 0.9


def cooperation_probabilities(theta: numpy.ndarray) -> numpy.ndarray:
    """``(R, 2, 5)``: P(player i cooperates | state) from the logits ``(R, 10)``."""
    return 1.0 / (1.0 + numpy.exp(-theta.reshape(-1, 2, 5)))


STATES = ("start", "CC", "CD", "DC", "DD")


def tit_for_tat_by_state(theta: numpy.ndarray) -> numpy.ndarray:
    """``(2, 5)``: per player and state (start, CC, CD, DC, DD), the fraction of runs whose policy puts
    probability > ½ on the action tit-for-tat prescribes there (cooperate at the start, then copy the
    opponent's last action): Figure 2A's reading, state by state."""
    probs = cooperation_probabilities(theta)
    prescribed = numpy.stack([numpy.where(TFT[i] == 1, probs[:, i], 1 - probs[:, i]) for i in range(2)], axis=1)
    return (prescribed > 0.5).mean(axis=0)


def outcomes(theta: numpy.ndarray, reported: numpy.ndarray) -> numpy.ndarray:
    """Outcome label per run from final logits ``(R, 10)`` and reported losses ``(2, R)``."""
    probs = cooperation_probabilities(theta)
    tft = numpy.ones(len(theta), dtype=bool)
    for i in range(2):
        prescribed = numpy.where(TFT[i] == 1, probs[:, i], 1 - probs[:, i])
        tft &= numpy.all(prescribed >= TFT_THRESHOLD, axis=1)
    coop = numpy.all(reported <= 1.1, axis=0)
    defect = numpy.all(reported >= 1.9, axis=0)
    return numpy.where(tft, "tft", numpy.where(coop, "cooperate", numpy.where(defect, "defect", "other")))


def table(rep) -> str:
    """The run's lines: final losses, outcome shares and mutual cooperation per rule."""
    def extra(e):
        return ("  " + " ".join(f"{k}={v:.0%}" for k, v in e["outcomes"].items())
                + f"  mutual-cooperation={e['mutual_cooperation']:.0%}")
    return loss_table(rep, extra)


@register("ipd", table)
def run_ipd(*, runs=300, steps=200, alpha=1.0, gamma=IPD_DISCOUNT.default, seed=0, init_std=1.0,
            algos=DEFAULT_ALGOS, hyper=None, scatter_runs=50, progress=False) -> Reproduction:
    """Figure 2; ``gamma`` is the IPD's discount, ``hyper`` the rules' settings (``{"a": .., "gamma": ..}``)."""
    algos = check_algorithms(algos)
    game = get_game("ipd", gamma=gamma)
    check_shared(algos, hyper)
    hyper = dict(hyper or {})
    histories, seconds = run_algorithms(game, algos, alpha=alpha, steps=steps, runs=runs, seed=seed,
                                        init_std=init_std, hyper=hyper, progress=progress)
    summary: dict = {"outcome_rule": OUTCOME_RULE, "algorithms": {}}
    for name, h in histories.items():
        ok = ~h.diverged
        reported = h.reported_losses[-1]
        mean, std = mean_std(reported, ok)
        labels = outcomes(h.params[-1][ok], reported[:, ok]) if ok.any() else numpy.array([])
        n_ok = max(int(ok.sum()), 1)
        summary["algorithms"][name] = {
            "final_loss_mean": mean, "final_loss_std": std,
            "final_learning_loss_mean": mean_std(h.losses[-1], ok)[0],
            "outcomes": {k: float(numpy.sum(labels == k)) / n_ok for k in ("tft", "cooperate", "defect", "other")},
            "mutual_cooperation": float(numpy.all(reported[:, ok] <= 1.1, axis=0).sum()) / n_ok,
            "tit_for_tat_by_state": ({f"player{i + 1}": dict(zip(STATES, map(float, row)))
                                      for i, row in enumerate(tit_for_tat_by_state(h.params[-1][ok]))}
                                     if ok.any() else None),
            "diverged": int(h.diverged.sum()),
        }
    config = {"experiment": "ipd", "game": "ipd", "gamma": gamma, "alpha": alpha, "steps": steps, "runs": runs,
              "seed": seed, "init_std": init_std, "algorithms": list(algos),
              "hyperparameters": hyper_config(algos, hyper), "scatter_runs": scatter_runs}
    curves = curve_columns(histories, lambda h: h.reported_losses[:, 0, :], "loss1")
    curves.update(curve_columns(histories, lambda h: h.reported_losses[:, 1, :], "loss2"))
    figures = {"figure2a_policies": figure_2a(histories, scatter_runs), "figure2b_losses": figure_2b(histories)}
    return Reproduction("ipd", config, histories, summary, curves, figures, seconds)


def figure_2a(histories: dict, scatter_runs: int):
    """For each algorithm: (P1(C|s), P2(C|s)) at the end of the first ``scatter_runs`` runs, per state."""
    names = list(histories)
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")
    for ax, name in zip(axes.flat, names):
        h = histories[name]
        ok = ~h.diverged
        probs = cooperation_probabilities(h.params[-1][ok][:scatter_runs])
        for s, (state, colour) in enumerate(zip(STATES, colours)):
            ax.scatter(probs[:, 0, s], probs[:, 1, s], s=12, alpha=0.6, color=colour, label=state)
        ax.set_xlim(-0.05, 1.05)
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(name.upper())
        ax.set_xlabel("P(cooperate | state), player 1")
        ax.set_ylabel("player 2")
        ax.set_aspect("equal")
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7, loc="center")
    fig.suptitle("IPD: final policies (Figure 2A)")
    fig.tight_layout()
    return fig


def figure_2b(histories: dict):
    """Mean (1 − γ)L₁ per step over all runs, ±1 std band, one line per algorithm."""
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for name, h in histories.items():
        band(ax, h.reported_losses[:, 0, :], name.upper())
    ax.set_xlabel("learning step")
    ax.set_ylabel("average loss of player 1, (1 − γ)L₁")
    ax.set_title("IPD (Figure 2B)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
