"""Figures 4, 6 and 7 of the paper from a paper-size search's finished trainings, one set per seed.

    python experiments/gmm_search_figures.py OUT [OUT ...] [--seeds 0 1 2] [--figures docs/figures]

``OUT`` is the output directory of ``sosverify sweep gmm`` (its ``tasks/`` and ``checkpoints/``;
the search of issue 19 is ``docs/runs/shaping-8k/run-shaping-8k.sh``).  Each rule is drawn at the
setting the search chose for it (:func:`panels`: the paper preset's, SOS at ``--sos-shaping-alpha``);
a training that is still running or was never run is left out and named on stderr, one that blew up
is a row marked "diverged".

- ``gmm_search_fig4_seed{S}.png``: NL, CO, SOS (Figure 4); ``gmm_search_fig6_seed{S}.png``: LA,
  LOLA, SGA (Figure 6): generator samples at each evaluation, KL and modes covered beneath.
- ``gmm_search_fig7_seed{S}.png``: ‖ξ‖ per iteration of SOS, LA and NL (Figure 7: to 12k where a
  training was taken on with ``sweep gmm --extends 8000``, else to 8k), and beneath it SOS's p per
  iteration (p < 1 is where SOS is not LOLA).
- ``gmm_search_sos_lola_a{α}_seed{S}.png``: SOS and LOLA at the same setting (lr 2e-4, shaping α 0.01
  and 0.03): their ‖ξ‖ (a blown-up training to its last checkpoint) and SOS's p beneath.

The samples at the last iteration are regenerated from the final parameters with the
evaluation's own latents (``eval_latents``: the same at every evaluation of a training); the
checkpoint keeps those of the earlier evaluations.  Nothing here trains.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402

from sosverify.algorithms import get_algorithm  # noqa: E402
from sosverify.games.gmm import GanSpec, gmm_gan  # noqa: E402
from sosverify.gan.evaluate import eval_latents, evaluate_generator  # noqa: E402
from sosverify.gan.presets import DEFAULT_LR, DEFAULT_SHAPING_ALPHA  # noqa: E402
from sosverify.gan.train import FIGURE_SAMPLES, load_checkpoint  # noqa: E402
from sosverify.reproduce.gmm import figure_samples, figure_xi_norm  # noqa: E402
from sosverify.results import write_atomic  # noqa: E402
from sosverify.sweep import collect, task_key  # noqa: E402

#: SOS's shaping α in the figures: the paper preset's (``DEFAULT_SHAPING_ALPHA``), or ``--sos-shaping-alpha``
SOS_SHAPING = DEFAULT_SHAPING_ALPHA["paper"]["sos"]


def panels(sos_alpha: float = SOS_SHAPING, **at_setting) -> dict:
    """(rule, learning rate, shaping α or None) of each figure: the paper preset's settings, those the
    search over seeds ranks first (``DEFAULT_LR``, ``DEFAULT_SHAPING_ALPHA``; docs/gmm.md), SOS at
    ``sos_alpha``, and any rule at a ``(rate, shaping α or None)`` given by name, e.g.
    ``la=(2e-4, 0.01)`` (``--at la 2e-4 0.01``)."""
    lr, shaping = DEFAULT_LR["paper"], DEFAULT_SHAPING_ALPHA["paper"]

    def at(rule):
        if rule in at_setting:
            return (rule, *at_setting[rule])
        return (rule, lr[rule], shaping.get(rule, "lr") if get_algorithm(rule).predicts else None)

    sos = at("sos") if "sos" in at_setting else ("sos", lr["sos"], sos_alpha)
    return {"fig4": [at("nl"), at("co"), sos], "fig6": [at("la"), at("lola"), at("sga")],
            "fig7": [sos, at("la"), at("nl")]}


PANELS = panels()
#: SOS beside LOLA at the same setting: where p < 1 their steps differ (§5, Appendix F)
SOS_LOLA = [0.01, 0.03]


@dataclass
class Finished:
    """What the figures of :mod:`sosverify.reproduce.gmm` read from a training."""

    config: dict
    evaluations: list
    samples: dict
    xi_norm: numpy.ndarray
    p: numpy.ndarray | None
    diverged_at: int | None
    extra: dict = field(default_factory=dict)


def _tasks(out: Path) -> list:
    """``(task key, record)`` of each finished task in ``out`` (a failed task's ``.error.json`` is not one)."""
    return [(task_key(r["task"]), r) for r in collect(out / "tasks")]


def find(out: Path, rule: str, lr: float, shaping, seed: int, iterations: int | None = None) -> Finished | None:
    """The finished training of ``rule`` at ``lr``, ``shaping`` and ``seed`` in ``out`` (of ``iterations``
    iterations, if given: a training extended to 12k is another task than its 8k one), or None."""
    for key, record in _tasks(out):
        task, result = record["task"], record["result"]
        if (task["algorithm"], task["seed"]) != (rule, seed) or not numpy.isclose(task["alpha"], lr):
            continue
        if iterations is not None and task["iterations"] != iterations:
            continue
        if task.get("shaping_alpha") != shaping:
            continue
        spec = GanSpec(**task["spec"])
        evaluations = [{"iteration": int(it), "kl": kl, "modes_covered": result["modes_covered"][it]}
                       for it, kl in result["kl"].items()]
        config = {"lr": task["alpha"], "shaping_alpha": shaping}
        checkpoint = out / "checkpoints" / f"{key}.npz"
        if result.get("diverged_at") is not None:  # ‖ξ‖ and p up to its last checkpoint, where one is left
            xi, p = numpy.zeros(0), None
            if checkpoint.exists():
                ck = load_checkpoint(checkpoint)
                xi, p = numpy.asarray(ck["xi_norm"]), numpy.asarray(ck["p"]) if len(ck["p"]) else None
            return Finished(config, evaluations, {}, xi, p, result.get("diverged_at"))
        if not checkpoint.exists():  # a task file copied without its checkpoint: no samples to draw
            continue
        ck = load_checkpoint(checkpoint)
        samples, extra = dict(ck["samples"]), {}
        last = max(e["iteration"] for e in evaluations)
        if last not in samples:  # the final checkpoint precedes the last evaluation: regenerate it
            theta_g = ck["theta"][0, :gmm_gan(**task["spec"]).dims[0]]
            again = evaluate_generator(spec, theta_g, eval_latents(spec, seed))
            samples[last] = numpy.asarray(again["samples"])[:FIGURE_SAMPLES].astype(float)
            # the same generator on the same latents: the recorded KL again (float32 networks on
            # another backend or BLAS may round differently)
            recorded = result["kl"][str(last)]
            extra["kl_regenerated"] = float(again["kl"])
            if not numpy.isclose(again["kl"], recorded, rtol=1e-3):
                print(f"{key}: the samples regenerated at {last} give KL {again['kl']:.4g}, the training "
                      f"recorded {recorded:.4g}: not its final generator", file=sys.stderr)
                return None
        return Finished(config, evaluations, samples, numpy.asarray(ck["xi_norm"]),
                        numpy.asarray(ck["p"]) if len(ck["p"]) else None, None, extra)
    return None


def _chosen(outs, panels, seed: int, lengths) -> dict:
    """Each panel's training: the first of ``lengths`` (iterations, in order of preference) found."""
    chosen = {}
    for rule, lr, shaping in panels:
        found = next((f for n in lengths for out in outs if (f := find(out, rule, lr, shaping, seed, n)) is not None),
                     None)
        if found is None:
            print(f"seed {seed}: no finished {rule} at lr {lr:g}" + (f", shaping α {shaping}" if shaping else "")
                  + " (still training or not run): left out", file=sys.stderr)
        else:
            chosen[rule] = found
    return chosen


def _save(fig, path: Path) -> None:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, dpi=110, format="png")
    plt.close(fig)
    write_atomic(path, buf.getvalue())
    print(path)


def figure_p(chosen: dict, ax) -> None:
    """SOS's p per iteration (and the share of iterations with p < 1) on ``ax``."""
    sos = chosen.get("sos")
    if sos is None or sos.p is None:
        ax.set_visible(False)
        return
    ax.plot(sos.p, lw=0.4, color="C0")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("iteration")
    ax.set_ylabel("SOS's p")
    ax.set_title(f"p < 1 on {100 * float((sos.p < 1).mean()):.1f}% of the iterations "
                 "(there SOS's step is not LOLA's)", fontsize=8)


def figure_sos_lola(both: dict, alpha: float, seed: int):
    """‖ξ‖ of SOS and LOLA at the same setting (a blown-up training to its last checkpoint, marked where
    it passed the bound), SOS's p beneath."""
    fig = figure_xi_norm(both, names=("sos", "lola"))
    ax = fig.axes[0]
    for k, name in enumerate(("sos", "lola")):
        if both[name].diverged_at is not None:
            ax.axvline(both[name].diverged_at, color=f"C{k}", ls=":", lw=1)
            ax.text(both[name].diverged_at, ax.get_ylim()[1], f" {name.upper()} blew up", color=f"C{k}",
                    fontsize=7, va="top")
    longest = max(len(v.xi_norm) for v in both.values())
    ax.set_title(f"SOS beside LOLA: lr 2e-4, shaping α {alpha:g}, seed {seed} (to {longest:,} iterations)", fontsize=9)
    fig.set_size_inches(5.5, 5.4)
    ax.set_position([0.13, 0.47, 0.82, 0.46])
    figure_p(both, fig.add_axes([0.13, 0.08, 0.82, 0.27]))
    return fig


def _setting(values: list) -> tuple:
    """``--at RULE RATE [ALPHA]`` as ``(rule, (rate, alpha or None))``; ValueError says what is wrong."""
    rule = values[0].lower()
    if rule not in DEFAULT_LR["paper"] or len(values) not in (2, 3):
        raise ValueError(f"takes RULE RATE [ALPHA] with RULE one of {', '.join(DEFAULT_LR['paper'])}, got "
                         f"{' '.join(values)!r}")
    predicts = get_algorithm(rule).predicts
    if len(values) == 3 and not predicts:
        raise ValueError(f"{rule} has no alpha inside (it takes RULE RATE), got {' '.join(values)!r}")
    try:
        rate = float(values[1])
        alpha = None if not predicts else "lr" if len(values) == 2 or values[2] == "lr" else float(values[2])
    except ValueError:
        raise ValueError(f"RATE and ALPHA are numbers (ALPHA may be lr), got {' '.join(values)!r}") from None
    if not all(math.isfinite(v) and v > 0 for v in (rate, alpha) if isinstance(v, float)):
        raise ValueError(f"RATE and ALPHA are positive finite numbers, got {' '.join(values)!r}")
    return rule, (rate, alpha)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="+",
                        help="output directories of the sweeps (tasks/ and checkpoints/), searched in order")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--figures", type=Path, default=Path("docs/figures"))
    parser.add_argument("--iterations", type=int, default=8000, help="the trainings of Figures 4 and 6 (default 8000)")
    parser.add_argument("--figure7-iterations", type=int, default=12000,
                        help="Figure 7 draws the trainings of this length where they exist (taken on with "
                             "`sweep gmm --extends`), else those of --iterations (default 12000)")
    parser.add_argument("--sos-shaping-alpha", type=float, default=SOS_SHAPING,
                        help=f"SOS's shaping alpha in Figures 4 and 7 (default {SOS_SHAPING:g}, the paper preset's); "
                             "another value names the files ..._sos{alpha}_seed{S}.png")
    parser.add_argument("--at", nargs="+", action="append", default=[], metavar="RULE RATE [ALPHA]",
                        help="draw RULE at another setting than the preset's, e.g. --at la 2e-4 0.01 (ALPHA: a "
                             "number or lr; only for LA, LOLA, SOS); the file names stay the same")
    args = parser.parse_args(argv)
    try:
        chosen_panels = panels(args.sos_shaping_alpha, **dict(_setting(v) for v in args.at))
    except ValueError as exc:
        parser.error(f"--at {exc}")
    tag = "" if args.sos_shaping_alpha == SOS_SHAPING else f"_sos{args.sos_shaping_alpha:g}"
    for out in args.out:
        if not (out / "tasks").is_dir():
            parser.error(f"{out} has no tasks/ directory: give the output directory of `sosverify sweep gmm`")
    args.figures.mkdir(parents=True, exist_ok=True)
    spec = GanSpec()
    for seed in args.seeds:
        for name in ("fig4", "fig6"):
            if tag and name == "fig6":  # no SOS in Figure 6
                continue
            chosen = _chosen(args.out, chosen_panels[name], seed, [args.iterations])
            if chosen:
                fig = figure_samples(chosen, spec)
                fig.suptitle(f"{fig._suptitle.get_text()} · seed {seed}", fontsize=9)
                _save(fig, args.figures / f"gmm_search_{name}{tag}_seed{seed}.png")
        lengths = list(dict.fromkeys([args.figure7_iterations, args.iterations]))
        chosen = {k: v for k, v in _chosen(args.out, chosen_panels["fig7"], seed, lengths).items() if v.diverged_at is None}
        if chosen:
            fig = figure_xi_norm(chosen)
            ax = fig.axes[0]
            longest = max(len(v.xi_norm) for v in chosen.values())
            ax.set_title(f"Figure 7 at paper size: ‖ξ‖ per iteration, seed {seed} (to {longest:,} iterations)",
                         fontsize=9)
            fig.set_size_inches(5.5, 5.4)
            ax.set_position([0.13, 0.47, 0.82, 0.46])
            figure_p(chosen, fig.add_axes([0.13, 0.08, 0.82, 0.27]))
            _save(fig, args.figures / f"gmm_search_fig7{tag}_seed{seed}.png")
        for alpha in SOS_LOLA if not tag else ():
            both = _chosen(args.out, [("sos", 2e-4, alpha), ("lola", 2e-4, alpha)], seed, lengths)
            if len(both) == 2 and all(len(v.xi_norm) for v in both.values()):
                _save(figure_sos_lola(both, alpha, seed), args.figures / f"gmm_search_sos_lola_a{alpha:g}_seed{seed}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
