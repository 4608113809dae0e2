"""Figures 4–7: every algorithm on the Gaussian-mixture GAN (§5, Appendix F, SPEC §3).

Each algorithm is trained with RMSProp on its direction (α inside LA/LOLA/SOS: the shaping α,
``shaping_alpha``, by default each rule's choice for the preset,
:data:`~sosverify.gan.presets.DEFAULT_SHAPING_ALPHA`; see :mod:`sosverify.gan.train`),
evaluated at every ``eval_every`` iterations (KL(P ‖ Q) from 25,600 samples, modes covered,
high-quality samples), checkpointed, and drawn: one row per algorithm, one column per evaluation
(Figures 4 and 6), the ground truth (Figure 5) and ‖ξ‖ per iteration (Figure 7).

Two presets: ``paper`` (SPEC §3: 6 × 384 ReLU layers, batch 256, latent 64; 8k iterations,
evaluations every 2k) and ``small`` (3 × 64, batch 128, latent 16; 4k iterations, lr 3e-3), which
trains all six algorithms in about 10–16 minutes on two cores and shows the comparison of
Figures 4/6 in mode coverage (docs/gmm.md; modes covered at 4k, seeds 0 and 1, with α tied to the
rate: NL 4 and 4, CO 15 and 13, SOS = LOLA 12 and 9, SGA 8 and 11, LA 5 and 8; with the preset's
shaping α = 0.03, seeds 0–2 on JAX: SOS 14, 13, 9, LOLA 10, 13, 9, LA 9, 8, 8).
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import replace
from pathlib import Path

import numpy

from sosverify.algorithms import check_shared, get_algorithm, hyperparameters_for
from sosverify.backends import active_name, use_backend
from sosverify.errors import SosverifyError
from sosverify.games.gmm import GanSpec
from sosverify.gan.presets import DEFAULT_LR, preset_settings
from sosverify.gan.train import SHAPING_ALPHA, check_gan_algorithm, check_shaping_alpha_used, shaping_alpha_of, train
from sosverify.plotting import plt
from sosverify.reproduce.common import Reproduction, check_algorithms, register
from sosverify.settings import LR

DEFAULT_ALGOS = ("nl", "co", "sos", "la", "lola", "sga")
FIGURE7_ALGOS = ("sos", "la", "nl")
def parse_learning_rates(items) -> dict:
    """``["sos=1e-4", "nl=2e-4"]`` → ``{"sos": 1e-4, "nl": 2e-4}`` (names checked, rates > 0)."""
    out: dict[str, float] = {}
    for item in items or ():
        name, sep, value = str(item).partition("=")
        if not sep:
            raise SosverifyError(f"--lr takes ALGO=RATE, e.g. sos=1e-4; got {item!r}")
        try:
            rate = LR.parse(value)
        except SosverifyError as exc:
            raise SosverifyError(f"--lr {item!r}: {exc}") from None
        key = get_algorithm(name).name
        if key in out:
            raise SosverifyError(f"--lr gives {key} twice ({out[key]:g} and {rate:g}); give each algorithm one rate")
        out[key] = rate
    return out


def parse_shaping_alphas(items) -> dict | float | str:
    """``["0.1"]`` → 0.1 (every rule); ``["sos=0.1", "la=0.03"]`` → per rule; words as
    :data:`~sosverify.gan.train.SHAPING_ALPHA` allows (``lr``, ``predicted``)."""
    items = list(items or ())
    if not items:
        return SHAPING_ALPHA.default
    if len(items) == 1 and "=" not in str(items[0]):
        return SHAPING_ALPHA.parse(items[0])
    out: dict = {}
    for item in items:
        name, sep, value = str(item).partition("=")
        if not sep:
            raise SosverifyError(f"--shaping-alpha takes one VALUE for every rule or ALGO=VALUE items, got {item!r}")
        key = get_algorithm(name).name
        if key in out:
            raise SosverifyError(f"--shaping-alpha gives {key} twice; give each algorithm one value")
        out[key] = SHAPING_ALPHA.parse(value)
    return out


def _without_rate(optimiser: dict) -> dict:
    """The optimiser's settings shared by every training: its rate is each algorithm's (``learning_rates``)."""
    return {k: v for k, v in optimiser.items() if k != "learning_rate"}


def _job(kwargs: dict, reports: str | None = None) -> dict:
    """One training (run in a worker process when ``jobs > 1``), on the backend named in it;
    returns its picklable result.  ``reports``: the client's progress queue (its bar is drawn there)."""
    kwargs = dict(kwargs)
    if reports is not None:
        from sosverify.progress import RemoteBar

        kwargs["bar"] = lambda total, initial, desc: RemoteBar(reports, desc, total, initial)
    with use_backend(kwargs.pop("backend", None)):
        result = train(**kwargs)
    result.theta = None
    return {"key": (kwargs["algorithm"], kwargs["lr"]), "training": result}


def checkpoint_name(name: str, rate: float, seed: int, shaping) -> str:
    """``sos-lr0.0002-seed0.npz``; with a shaping α of its own ``sos-lr0.0002-sa0.1-seed0.npz``
    (tied to the rate, the name trainings had before the setting existed)."""
    mine = "" if shaping in (None, "lr") else f"-sa{shaping if isinstance(shaping, str) else format(shaping, 'g')}"
    return f"{name}-lr{rate:g}{mine}-seed{seed}.npz"


def _no_other_shaping(job: dict) -> None:
    """On ``--resume``, refuse to start afresh beside a checkpoint of the same rule, rate and seed
    trained with another shaping α (its file name differs: it would be left, and hours retrained)."""
    path = Path(job["checkpoint"])
    name, rate, seed = job["algorithm"], job["lr"], job["seed"]
    tied = checkpoint_name(name, rate, seed, "lr")
    own = [p.name for p in path.parent.glob(tied.replace(f"-seed{seed}.npz", f"-sa*-seed{seed}.npz"))]
    others = sorted(n for n in {*own, tied} if n != path.name and (path.parent / n).exists())
    if others:
        raise SosverifyError(f"--resume: {path.parent} holds {', '.join(others)}, a training of {job['label']} with "
                             f"another shaping alpha than {job['shaping_alpha']!r} (the default is each rule's choice "
                             "for the preset); give --shaping-alpha as that training had it (lr for a name without "
                             "-sa) to continue it, or use another --out")


def _run_jobs(jobs: list, n_jobs: int, scheduler: str | None = None, progress: bool = False) -> list:
    """Run independent trainings: one after another, or as Dask tasks (:func:`sosverify.distribute.map_tasks`:
    a local cluster of ``n_jobs`` single-threaded worker processes, or ``scheduler``).  Without
    ``dask.distributed`` installed, a local pool of ``n_jobs`` processes does the same."""
    if scheduler is None and (n_jobs <= 1 or len(jobs) <= 1):
        return [_job(j) for j in jobs]
    workers = min(n_jobs, len(jobs))
    # in this process: one bar counting trainings, and one per running training (from its worker's messages)
    quiet = [{**j, "progress": False} for j in jobs]
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        if scheduler is not None:
            raise SosverifyError('--scheduler needs dask.distributed: pip install "sosverify[sweep]"') from None
        from concurrent.futures import ProcessPoolExecutor

        from sosverify.distribute import single_threaded_blas

        with single_threaded_blas(), ProcessPoolExecutor(max_workers=workers,
                                                         mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(_job, quiet))
    from sosverify.distribute import map_tasks

    return map_tasks(_job, quiet, scheduler=scheduler, workers=workers, progress=progress, desc="trainings",
                     reports=True)


def table(rep) -> str:
    """Each rule's evaluations (KL, modes covered), or where it diverged, and its ms per iteration."""
    rows = []
    for name, e in rep.summary["algorithms"].items():
        evals = "  ".join(f"{it}: KL {kl:.3g} {e['modes_covered'][it]}/16" for it, kl in e["kl"].items())
        state = f"diverged at {e['diverged_at']}" if e["diverged_at"] is not None else evals
        sa = e.get("shaping_alpha")
        sa = "" if sa in (None, "lr") else f" alpha {sa if isinstance(sa, str) else format(sa, 'g')}"
        rows.append(f"{name:<5} lr {e['lr']:<8g}{sa} {state}  ({e['seconds_per_iteration'] * 1000:.0f} ms/it)")
    if "grid" in rep.summary:
        rows.append("grid (final KL): " + "; ".join(
            f"{n}: " + ", ".join(f"{lr}→{'diverged' if kl is None else format(kl, '.3g')}" for lr, kl in g.items())
            for n, g in rep.summary["grid"].items()))
    return "\n".join(rows)


@register("gmm", table)
def run_gmm(*, preset: str = "small", algos=DEFAULT_ALGOS, lr: dict | None = None, iterations: int | None = None,
            eval_every: int | None = None, seed: int = 0, dtype: str = "float32", hyper: dict | None = None,
            grid=None, jobs: int | None = None, checkpoint_dir=None, checkpoint_every: int | None = None,
            resume: bool = False, progress: bool = False, scheduler: str | None = None,
            shaping_alpha=SHAPING_ALPHA.default, minibatch: str = "random") -> Reproduction:
    """Train every algorithm in ``algos`` (or every algorithm at every rate of ``grid``) and draw Figures 4–7.

    With ``jobs > 1`` or a Dask ``scheduler`` address the trainings are Dask tasks
    (:func:`sosverify.distribute.map_tasks`); checkpoints are written by the workers, so resuming a
    training that ran on another machine needs a filesystem both see.

    ``hyper``: the rules' settings shared by name (``{"a": .., "b": .., "gamma": ..}``; SPEC §3:
    SOS's a = 0.5, b = 0.1, the rules' defaults).

    ``shaping_alpha``: α inside LA/LOLA/p-LOLA/SOS/EG for every rule, or ``{algorithm: value}``
    (others: the default), as :data:`sosverify.gan.train.SHAPING_ALPHA` allows; given (on the command
    line, or other than the default) when no rule of ``algos`` takes it, or for a rule that does not,
    it is refused (:func:`check_shaping_alpha_used`).
    ``minibatch``: ``"random"`` or ``"tiled"`` real minibatches (:class:`~sosverify.games.gmm.GanSpec`).
    """
    algos = check_algorithms(algos)
    check_shared(algos, hyper or {})
    for name in algos:
        check_gan_algorithm(name)
    if lr is not None and not isinstance(lr, dict):  # as the command line gives them: ["sos=1e-4", ...]
        lr = parse_learning_rates(lr)
    given = isinstance(shaping_alpha, (list, tuple, dict)) or shaping_alpha != SHAPING_ALPHA.default
    if isinstance(shaping_alpha, (list, tuple)):  # ["0.1"] or ["sos=0.1", "la=0.03"]: given on the command line
        shaping_alpha = parse_shaping_alphas(shaping_alpha)
    if given:  # a value no chosen rule takes is refused, not ignored
        check_shaping_alpha_used(algos, shaping_alpha)
    settings = preset_settings(preset)
    spec = replace(settings["spec"], dtype=dtype, minibatch=minibatch)
    # Figure 7's longer trainings belong to the preset's own schedule, not to a grid or other --iterations
    figure7 = settings.get("figure7_iterations") if iterations is None and not grid else None
    iterations = settings["iterations"] if iterations is None else iterations
    figure7 = figure7 if figure7 is not None and figure7 > iterations else None
    eval_every = settings["eval_every"] if eval_every is None else eval_every
    checkpoint_every = settings["checkpoint_every"] if checkpoint_every is None else checkpoint_every
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SosverifyError(f"--jobs must be a positive integer, got {jobs!r}")
    fallback = DEFAULT_LR[preset]["nl"]
    rates = {**{k: DEFAULT_LR[preset].get(k, fallback) for k in algos}, **(lr or {})}
    unknown = set(lr or {}) - set(algos)
    if unknown:
        raise SosverifyError(f"--lr names {', '.join(sorted(unknown))}, which are not among --algos {', '.join(algos)}")
    if grid and lr:
        raise SosverifyError("--lr and --grid do not go together: --grid trains every algorithm at each of its rates")
    if grid:
        grid = sorted({float(g) for g in grid})
        if not all(numpy.isfinite(g) and g > 0 for g in grid):
            raise SosverifyError(f"--grid rates must be positive finite numbers, got {grid}")
    if isinstance(shaping_alpha, dict):
        unknown = set(shaping_alpha) - set(algos)
        if unknown:
            raise SosverifyError(f"--shaping-alpha names {', '.join(sorted(unknown))}, which are not among --algos "
                                 f"{', '.join(algos)}")
        shaping = {a_: shaping_alpha_of(a_, shaping_alpha.get(a_, SHAPING_ALPHA.default), preset) for a_ in algos}
    else:
        shaping = {a_: shaping_alpha_of(a_, shaping_alpha, preset) for a_ in algos}
    pairs = [(a_, g) for a_ in algos for g in grid] if grid else [(a_, rates[a_]) for a_ in algos]
    jobs_list = []
    for name, rate in pairs:
        mine = hyperparameters_for(get_algorithm(name), hyper or {})
        ck = None if checkpoint_dir is None else Path(checkpoint_dir) / checkpoint_name(name, rate, seed, shaping[name])
        longer = figure7 is not None and name in FIGURE7_ALGOS
        jobs_list.append({"algorithm": name, "lr": rate, "spec": spec, "iterations": figure7 if longer else iterations,
                          "eval_until": iterations, "eval_every": eval_every, "seed": seed, "hyper": mine, "checkpoint": ck,
                          "checkpoint_every": checkpoint_every, "resume": resume, "progress": progress,
                          "label": f"{name} lr={rate:g}", "backend": active_name(),
                          "shaping_alpha": shaping[name] or "lr"})
    if checkpoint_dir is not None:
        try:
            Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SosverifyError(f"cannot use {checkpoint_dir} for checkpoints: {exc.strerror or exc}") from None
    # check every configuration (and every checkpoint to resume) before any training starts
    from sosverify.gan.train import load_checkpoint, training_config
    for j in jobs_list:
        config = training_config(j["algorithm"], j["lr"], spec, j["iterations"], eval_every, seed, j["hyper"],
                                 j["shaping_alpha"])
        if j["checkpoint"] is None:
            continue
        if not Path(j["checkpoint"]).exists():
            if resume:
                _no_other_shaping(j)
            continue
        if resume:
            load_checkpoint(j["checkpoint"], config)
        else:  # a fresh training would replace it at its first checkpoint: hours of training lost
            raise SosverifyError(f"{j['checkpoint']} holds a checkpoint of {j['label']}: --resume continues it "
                                 "(or re-evaluates it, if it is finished); to train from scratch, delete it or "
                                 "use another --out")
    results = _run_jobs(jobs_list, jobs, scheduler, progress)
    trainings = {r["key"]: r["training"] for r in results}
    chosen, grid_table = {}, {}
    for name in algos:
        mine = {rate: t for (n, rate), t in trainings.items() if n == name}
        if grid:
            # a training that diverged has no final KL (its last evaluation came before it diverged)
            grid_table[name] = {f"{rate:g}": None if t.diverged_at is not None else t.summary()["final_kl"]
                                for rate, t in sorted(mine.items())}
            finite = {rate: t for rate, t in mine.items() if t.diverged_at is None and t.evaluations}
            best = min(finite, key=lambda r: finite[r].evaluations[-1]["kl"]) if finite else min(mine)
            chosen[name] = mine[best]
        else:
            chosen[name] = next(iter(mine.values()))
    summary = {"algorithms": {name: t.summary() for name, t in chosen.items()}}
    if grid:
        summary["grid"] = grid_table
    config = {"experiment": "gmm", "preset": preset, "spec": spec.as_dict(), "iterations": iterations,
              "eval_every": eval_every, "seed": seed, "algorithms": algos,
              "hyperparameters": {n: t.config["hyperparameters"] for n, t in chosen.items()},
              "learning_rates": {n: t.config["lr"] for n, t in chosen.items()}, "grid": grid,
              # α inside each rule: a number, "lr" (tied to its rate) or "predicted"; None: the rule has none
              "shaping_alpha": {n: t.config["shaping_alpha"] for n, t in chosen.items()},
              "optimiser": _without_rate(next(iter(chosen.values())).config["optimiser"]), "jobs": jobs,
              "checkpoint_every": checkpoint_every,
              "figure7_iterations": figure7, "figure7_algorithms": [n for n in FIGURE7_ALGOS if n in algos]
              if figure7 else []}
    curves = _curves(chosen)
    figures = {"figure4_samples": figure_samples(chosen, spec),
               "figure5_ground_truth": figure_ground_truth(spec),
               "figure7_xi_norm": figure_xi_norm(chosen)}
    seconds = {name: t.seconds for name, t in chosen.items()}
    return Reproduction("gmm", config, chosen, summary, curves, figures, seconds)


def _curves(chosen: dict) -> dict:
    length = max(len(t.xi_norm) for t in chosen.values())
    cols = {}
    for name, t in chosen.items():
        pad = numpy.full(length, numpy.nan)
        for label, values in (("loss_generator", t.losses[:, 0]), ("loss_discriminator", t.losses[:, 1]),
                              ("xi_norm", t.xi_norm)):
            col = pad.copy()
            col[:len(values)] = values
            cols[f"{name}_{label}"] = col
        if t.p is not None:
            col = pad.copy()
            col[:len(t.p)] = t.p
            cols[f"{name}_p"] = col
    return cols


def figure_samples(chosen: dict, spec: GanSpec):
    """Figures 4/6: rows algorithms (learning rate at the right), columns evaluations, KL beneath (best bold)."""
    iterations = sorted({e["iteration"] for t in chosen.values() for e in t.evaluations})
    rows, cols = len(chosen), max(1, len(iterations))
    fig, axes = plt.subplots(rows, cols, figsize=(2.0 * cols + 0.6, 2.1 * rows), squeeze=False)
    best = {}
    for it in iterations:
        kls = [e["kl"] for t in chosen.values() for e in t.evaluations if e["iteration"] == it]
        best[it] = min(kls) if kls else None
    centres = spec.mixture.centres
    for r, (name, t) in enumerate(chosen.items()):
        evs = {e["iteration"]: e for e in t.evaluations}
        for c, it in enumerate(iterations):
            ax = axes[r, c]
            ax.set_xlim(-2, 2)
            ax.set_ylim(-2, 2)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_aspect("equal")
            ax.scatter(centres[:, 0], centres[:, 1], s=6, c="0.8", marker="o", linewidths=0)
            if it in t.samples:
                x = t.samples[it]
                ax.scatter(x[:, 0], x[:, 1], s=0.6, c="C0", alpha=0.5, linewidths=0, rasterized=True)
            if it in evs:
                kl = evs[it]["kl"]
                bold = best[it] is not None and bool(numpy.isclose(kl, best[it] or 0.0))
                ax.set_xlabel(f"KL {kl:.3g} · {evs[it]['modes_covered']}/16", fontsize=8,
                              fontweight="bold" if bold else "normal")
            else:
                ax.set_xlabel("diverged" if t.diverged_at is not None else "", fontsize=8)
            if r == 0:
                ax.set_title(f"{it} it", fontsize=9)
            if c == 0:
                ax.set_ylabel(name.upper(), fontsize=10)
        sa = t.config.get("shaping_alpha")
        side = f"lr {t.config['lr']:g}" + ("" if sa in (None, "lr") else f", α {sa if isinstance(sa, str) else format(sa, 'g')}")
        axes[r, cols - 1].text(1.06, 0.5, side, transform=axes[r, cols - 1].transAxes,
                               rotation=270, va="center", ha="left", fontsize=8)
    fig.suptitle("Generator samples on [−2, 2]² (KL(P‖Q) · modes covered; best KL of each column in bold)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def figure_ground_truth(spec: GanSpec, n: int = 2560, seed: int = 0):
    """Figure 5: samples of the true mixture."""
    x = spec.mixture.sample(numpy.random.default_rng(seed), (n,))
    fig, ax = plt.subplots(figsize=(2.6, 2.6))
    ax.scatter(x[:, 0], x[:, 1], s=0.6, c="C2", linewidths=0, rasterized=True)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_title("ground truth: 16 Gaussians, std 0.02", fontsize=9)
    fig.tight_layout()
    return fig


def figure_xi_norm(chosen: dict, names=FIGURE7_ALGOS, window: int = 50):
    """Figure 7: ‖ξ‖ per iteration (light) and its moving average over ``window`` iterations, semilog."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for k, name in enumerate(n for n in names if n in chosen):
        x = chosen[name].xi_norm
        ax.semilogy(x, color=f"C{k}", alpha=0.25, lw=0.5)
        if len(x) >= window:
            smooth = numpy.convolve(x, numpy.ones(window) / window, mode="valid")
            ax.semilogy(numpy.arange(window - 1, len(x)), smooth, color=f"C{k}", lw=1.5, label=name.upper())
        else:
            ax.lines[-1].set_label(name.upper())
    ax.set_xlabel("iteration")
    ax.set_ylabel("‖ξ‖")
    ax.legend()
    ax.set_title("Figure 7: ‖ξ‖ per iteration", fontsize=9)
    fig.tight_layout()
    return fig
