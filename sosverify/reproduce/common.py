"""What every reproduction shares: running the algorithms, curves, writing the files."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy

from sosverify.algorithms import get_algorithm, hyperparameters
from sosverify.errors import SosverifyError, unknown_name
from sosverify.results import prepare_out_dir, save_figure, versions, write_atomic, write_json
from sosverify.runner import check_positive, initial_parameters, run
from sosverify.validation import MAX_RUNS, MAX_STEPS, check_count, check_history_memory, check_seed


@dataclass
class Reproduction:
    """The histories of one experiment, its settings, summary, per-step curves and figures."""

    name: str
    config: dict
    histories: dict
    summary: dict
    curves: dict  # column name -> (steps+1,) array
    figures: dict = field(default_factory=dict)  # file stem -> matplotlib figure
    seconds: dict = field(default_factory=dict)


def run_algorithms(game, algos, *, alpha, steps, runs, seed, init_std, hyper, progress) -> tuple[dict, dict]:
    """Run each algorithm from the *same* initial parameters (drawn once from ``seed``)."""
    check_count("runs", runs, MAX_RUNS)
    check_count("steps", steps, MAX_STEPS)
    check_positive("alpha", alpha)
    check_seed(seed)
    resolved = [get_algorithm(a) for a in algos]
    for algo in resolved:
        check_history_memory(steps, runs, game.dim, game.n_players, len(algo.diagnostics))
    theta0 = initial_parameters(game, runs, numpy.random.default_rng(seed), init_std)
    histories, seconds = {}, {}
    for algo in resolved:
        mine = {k: v for k, v in hyper.items() if k in algo.defaults}
        start = time.perf_counter()
        histories[algo.name] = run(game, algo, alpha=alpha, steps=steps, init=theta0, progress=progress, **mine)
        seconds[algo.name] = time.perf_counter() - start
    return histories, seconds


def hyper_config(algos, hyper) -> dict:
    return {a: hyperparameters(get_algorithm(a), hyper) for a in algos}


def curve_columns(histories: dict, key: Callable, label: str) -> dict:
    """Per-step mean and std over surviving runs of ``key(history)`` ``(T, R)``, one column pair per algorithm."""
    cols = {}
    for name, h in histories.items():
        ok = ~h.diverged
        values = key(h)[:, ok] if ok.any() else numpy.full((key(h).shape[0], 1), numpy.nan)
        cols[f"{name}_{label}_mean"] = values.mean(axis=1)
        cols[f"{name}_{label}_std"] = values.std(axis=1)
    return cols


def write(rep: Reproduction, out) -> Path:
    """Write every file of a reproduction to ``out`` (created if needed), each atomically."""
    out = prepare_out_dir(out)
    for stem, fig in rep.figures.items():
        save_figure(fig, out / f"{stem}.png")
        save_figure(fig, out / f"{stem}.pdf")
    write_json(out / "config.json", {**rep.config, "versions": versions()})
    write_atomic(out / "summary.csv", _summary_csv(rep.summary))
    write_atomic(out / "curves.csv", _curves_csv(rep.curves))
    # summary.json last: when it is new, everything it describes is new too
    write_json(out / "summary.json", {"experiment": rep.name, "config": rep.config, "versions": versions(),
                                      "seconds": rep.seconds, **rep.summary})
    return out


def _summary_csv(summary: dict) -> str:
    buf = io.StringIO()
    rows = []
    for algo, entry in summary["algorithms"].items():
        row = {"algorithm": algo}
        for key, value in entry.items():
            if isinstance(value, list):
                for i, v in enumerate(value):
                    row[f"{key}_{i + 1}"] = v
            elif isinstance(value, dict):
                for k, v in value.items():
                    row[f"{key}_{k}"] = v
            else:
                row[key] = value
        rows.append(row)
    fields = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def _curves_csv(curves: dict) -> str:
    buf = io.StringIO()
    names = list(curves)
    steps = len(next(iter(curves.values())))
    writer = csv.writer(buf)
    writer.writerow(["step", *names])
    for t in range(steps):
        writer.writerow([t, *(repr(float(curves[n][t])) for n in names)])
    return buf.getvalue()


EXPERIMENTS: dict = {}


def register(name: str):
    def deco(fn):
        EXPERIMENTS[name] = fn
        return fn
    return deco


def get_experiment(name: str):
    from sosverify.reproduce import gmm, ipd, pennies, tandem  # noqa: F401  (fill the registry)

    if name not in EXPERIMENTS:
        raise unknown_name("experiment", name, list(EXPERIMENTS) + ["all"])
    return EXPERIMENTS[name]


# `reproduce all` runs these; the GAN (minutes to hours) is run on its own: `reproduce gmm`
QUICK_EXPERIMENTS = ("ipd", "tandem", "matching-pennies")


def check_algorithms(algos) -> list:
    if not algos:
        raise SosverifyError("give at least one algorithm")
    return [get_algorithm(a).name for a in algos]
