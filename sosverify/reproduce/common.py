"""What every reproduction shares: running the algorithms, curves, writing the files."""

from __future__ import annotations

import csv
import hashlib
import inspect
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy

from sosverify.algorithms import get_algorithm, hyperparameters_for
from sosverify.errors import SosverifyError
from sosverify.results import (
    json_bytes,
    jsonable,
    read_manifest,
    render_figure,
    versions,
    write_atomic,
    write_together,
)
from sosverify.runner import initial_parameters, run
from sosverify.settings import ALPHA, RUNS, SEED, STEPS
from sosverify.validation import check_runs_memory


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
    runs, steps, alpha, seed = RUNS.check(runs), STEPS.check(steps), ALPHA.check(alpha), SEED.check(seed)
    resolved = [get_algorithm(a) for a in algos]
    # every rule's history is kept until the reproduction is drawn: all of them must fit, with a step's work
    check_runs_memory(steps, runs, game.dim, game.n_players, [(len(a.diagnostics), a.dense) for a in resolved])
    theta0 = initial_parameters(game, runs, numpy.random.default_rng(seed), init_std)
    histories, seconds = {}, {}
    for algo in resolved:
        mine = hyperparameters_for(algo, hyper)
        start = time.perf_counter()
        histories[algo.name] = run(game, algo, alpha=alpha, steps=steps, init=theta0, progress=progress, **mine)
        seconds[algo.name] = time.perf_counter() - start
    return histories, seconds


def hyper_config(algos, hyper) -> dict:
    """Each algorithm's settings (defaults, or the checked values of ``hyper`` that it takes)."""
    return {a: hyperparameters_for(get_algorithm(a), hyper) for a in algos}


def curve_columns(histories: dict, key: Callable, label: str) -> dict:
    """Per-step mean and std over surviving runs of ``key(history)`` ``(T, R)``, one column pair per algorithm."""
    cols = {}
    for name, h in histories.items():
        ok = ~h.diverged
        values = key(h)[:, ok] if ok.any() else numpy.full((key(h).shape[0], 1), numpy.nan)
        cols[f"{name}_{label}_mean"] = values.mean(axis=1)
        cols[f"{name}_{label}_std"] = values.std(axis=1)
    return cols


KEEP = ("checkpoints",)  # what a new reproduction carries over from the directory it replaces


def write(rep: Reproduction, out) -> Path:
    """Write every file of a reproduction to ``out``, then ``manifest.json`` (each file's SHA-256 and
    the settings) last, all together (:func:`sosverify.results.write_together`).

    The files are written to a temporary directory beside ``out``, which then replaces it, so a
    directory never mixes the files of two runs (``checkpoints/`` is carried over).  If ``out``
    holds files that no reproduction wrote (no manifest lists them), they are left alone and the
    files are replaced one by one instead, each atomically.  A directory holding another
    experiment's reproduction (or a run's results) is refused.
    """
    files = {}
    for stem, fig in rep.figures.items():
        for ext in ("png", "pdf"):
            files[f"{stem}.{ext}"] = render_figure(fig, ext)
    import matplotlib.pyplot as plt

    for fig in rep.figures.values():   # rendered: free them (a process may reproduce many times)
        plt.close(fig)
    files["config.json"] = json_bytes({**rep.config, "versions": versions()})
    files["summary.csv"] = _summary_csv(rep.summary).encode()
    files["curves.csv"] = _curves_csv(rep.curves).encode()
    files["summary.json"] = json_bytes({"experiment": rep.name, "config": rep.config, "versions": versions(),
                                        "seconds": rep.seconds, **rep.summary})
    return write_together(out, files, ("experiment", rep.name), rep.config.get("settings"), KEEP,
                          write=write_atomic)  # looked up here: a test interrupts a reproduction's writes


def up_to_date(out, settings: dict) -> bool:
    """Whether ``out`` holds a complete reproduction with these settings: its manifest names them and
    every file it lists is present with the same SHA-256."""
    manifest = read_manifest(out)
    try:
        if manifest.get("settings") != settings:
            return False
        return all(hashlib.sha256((Path(out) / name).read_bytes()).hexdigest() == digest
                   for name, digest in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


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


# The built-in game each experiment plays (its settings, e.g. the IPD's discount, are the
# experiment's flags), and the experiment's own defaults for the rules' settings where they differ
# from the rules' (the paper's tandem runs SOS with b = 0.5).  Kept here, apart from the
# experiments, so that the command line can name them without importing matplotlib.
PLAYS = {"ipd": "ipd", "tandem": "tandem", "matching-pennies": "matching-pennies", "gmm": "gmm"}
HYPER_DEFAULTS = {"tandem": {"b": 0.5}}


@dataclass(frozen=True)
class Experiment:
    """An experiment's one record: its name, the built-in game it plays, the function that runs it
    (``run(*, ..., hyper=None, progress=False) -> Reproduction``; its keyword defaults are the
    experiment's settings), the table printed after it, and its own defaults for the rules'
    settings.  The command line reads these and knows no experiment by name."""

    name: str
    game: str
    run: Callable[..., Reproduction]
    table: Callable[[Reproduction], str]
    hyper_defaults: dict = field(default_factory=dict)

    def __call__(self, **settings) -> Reproduction:
        return self.run(**settings)

    @property
    def defaults(self) -> dict:
        """Each setting's default, from ``run``'s signature (``progress`` is not a setting)."""
        return {k: p.default for k, p in inspect.signature(self.run).parameters.items() if k != "progress"}

    def resolve(self, settings: dict) -> dict:
        """Every setting: the defaults overridden by ``settings``, and each rule's settings in full (JSON-ready)."""
        out = {**self.defaults, **settings}
        out["hyper"] = hyper_config(out["algos"], {**self.hyper_defaults, **(settings.get("hyper") or {})})
        return jsonable(out)


def register(name: str, table: Callable[[Reproduction], str]):
    """Register the decorated ``run`` function as the experiment ``name`` (which must be in ``PLAYS``),
    printed with ``table``; returns the function unchanged."""
    def deco(fn):
        EXPERIMENTS[name] = Experiment(name, PLAYS[name], fn, table, HYPER_DEFAULTS.get(name, {}))
        return fn
    return deco


def number(value: float, digits: int = 4) -> str:
    """Fixed point for ordinary magnitudes, scientific notation for very large or very small ones.

    >>> number(1.0625), number(2.5e-9), number(-3.1e7), number(0.0)
    ('1.0625', '2.500e-09', '-3.100e+07', '0.0000')
    """
    if value != 0 and not 10 ** -(digits - 1) <= abs(value) < 1e5:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}f}"


def loss_table(rep: Reproduction, extra: Callable[[dict], str] = lambda e: "") -> str:
    """One line per rule: its final losses, ``extra(summary entry)``, diverged runs and seconds."""
    rows = []
    for algo, e in rep.summary["algorithms"].items():
        loss = e.get("final_loss_mean")
        cells = "  ".join("n/a" if v is None else f"{number(v):>8}" for v in (loss or [None]))
        rows.append(f"{algo:<6} loss {cells}{extra(e)}  diverged={e['diverged']}  ({rep.seconds[algo]:.2f} s)")
    return "\n".join(rows)


# `reproduce all` runs these; the GAN (minutes to hours) is run on its own: `reproduce gmm`
QUICK_EXPERIMENTS = ("ipd", "tandem", "matching-pennies")


def check_algorithms(algos) -> list:
    if not algos:
        raise SosverifyError("give at least one algorithm")
    return [get_algorithm(a).name for a in algos]
