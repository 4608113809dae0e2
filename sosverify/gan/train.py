"""Training one algorithm on the GAN: RMSProp on the rule's direction, evaluations, checkpoints, resume.

The shaping step α inside LA, LOLA, p-LOLA, SOS (and EG's extrapolation) is its own setting,
:data:`SHAPING_ALPHA`: a number (the paper's Algorithm 1 with that α; RMSProp's learning rate is
separate), ``"lr"`` (α tied to RMSProp's learning rate, this project's reading until issue 19),
or ``"predicted"`` (an extension beyond the paper: the others' step predicted as RMSProp will
take it, ``lr/√(ν + ε)`` per coordinate).  docs/gmm.md says which is the default and why.

:func:`train` drives :func:`sosverify.runner.trajectory` (one run) and keeps
only what the caller needs: both losses, ‖ξ‖ and SOS's p at every iteration,
and at each evaluation the KL, the modes covered, the high-quality fraction
and 2,560 generator samples.  Every ``checkpoint_every`` iterations it writes
a checkpoint (parameters, optimiser state, the data generator's state, the
logs and the configuration) atomically; ``resume=True`` continues from it bit
for bit, and may extend ``iterations``.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy

from sosverify.algorithms import get_algorithm, hyperparameters
from sosverify.backends import active_name
from sosverify.errors import SosverifyError
from sosverify.games.gmm import GanSpec, gmm_gan
from sosverify.gan.evaluate import eval_latents, evaluate_generator
from sosverify.gan.presets import preset_shaping_alpha, shaping_defaults_text
from sosverify.optimisers import rmsprop
from sosverify.results import write_atomic
from sosverify.runner import check_positive, initial_parameters, trajectory
from sosverify.settings import CHECKPOINT_EVERY, EVAL_EVERY, ITERATIONS, LR, MAX_STEPS, SEED, Setting, count

# Declared once: the API, `reproduce gmm`, `sweep gmm`, config.json, checkpoints and resume use it.
# "preset": each rule's value chosen for the preset (:data:`~sosverify.gan.presets.DEFAULT_SHAPING_ALPHA`),
# resolved by ``reproduce gmm`` and ``sweep gmm``, which know the preset; :func:`train` takes a value.
SHAPING_ALPHA = Setting("shaping_alpha", "preset", "the GAN's shaping step alpha (inside LA/LOLA/SOS)",  # type: ignore[arg-type]
                        low=0.0, words=("preset", "lr", "predicted"))  # a word default: the Setting takes words
SHAPING_ALPHA_HELP = ("the opponent's step that LA, LOLA, p-LOLA, SOS (and EG) predict: a number; preset: each "
                      f"rule's choice for the preset ({shaping_defaults_text()}); lr: tied to RMSProp's learning "
                      "rate; predicted: RMSProp's own lr/sqrt(nu) per coordinate, an extension beyond the paper")

FIGURE_SAMPLES = 2560
# A training whose ‖ξ‖ passes this bound has blown up, though its numbers are still finite: it is
# flagged as diverged there and stops.  Over the 50 healthy trainings of the committed searches
# (docs/runs: paper size to 12k and the small preset, every rule) ‖ξ‖ never passed 588 at any
# iteration (NL at paper size, collapsed onto a few modes; every other rule ≤ 73) and ends at most at
# 163.  The trainings whose samples left the square end far above: LA at α = 0.1 on the small preset
# (‖ξ‖ 1.5e4–3.6e4 at the end, KL 1e7–1e9 on every seed) and LOLA there on seed 1 (1.1e5, KL 3e10)
# stayed below the earlier bound of 1e6 and were counted as finished, their KL averaged in; the first
# paper-size training that blew up (SOS, lr 2e-4, α 0.1) passed 1e3 at iteration 463.  1e4 sits 17×
# above the largest healthy ‖ξ‖ and below every runaway's end.
BLOWUP_XI_NORM = 1e4
# Settings that must agree between a checkpoint and the training that resumes from it
# (``iterations`` and ``checkpoint_every`` may change: a resumed training can be extended).
# The backend too: a training continued on the other backend would not be the same training (float32
# sums in another order); checkpoints written before the backend was recorded are not checked for it.
# ``shaping_alpha``: checkpoints written before it was a setting trained with α = lr ("lr").
RESUME_KEYS = ("algorithm", "lr", "shaping_alpha", "hyperparameters", "seed", "spec", "eval_every", "optimiser",
               "backend")


@dataclass
class Training:
    """What :func:`train` keeps: per-iteration logs and the evaluations."""

    config: dict
    losses: numpy.ndarray            # (T + 1, 2): generator, discriminator
    xi_norm: numpy.ndarray           # (T + 1,)
    p: numpy.ndarray | None          # (T,) SOS's p, else None
    evaluations: list = field(default_factory=list)  # {"iteration", "kl", "modes_covered", "high_quality"}
    samples: dict = field(default_factory=dict)      # iteration -> (FIGURE_SAMPLES, 2)
    diverged_at: int | None = None
    seconds: float = 0.0
    resumed_from: int | None = None
    theta: numpy.ndarray | None = None
    lam: numpy.ndarray | None = None  # (T,) SGA's λ, else None (logged since the setting of issue 19)
    diverged_because: str | None = None  # "not finite" or "‖ξ‖ > 10000" when diverged_at is set

    def summary(self) -> dict:
        ev = self.evaluations
        return {"lr": self.config["lr"], "shaping_alpha": self.config.get("shaping_alpha"),
                "hyperparameters": self.config["hyperparameters"],
                "kl": {str(e["iteration"]): e["kl"] for e in ev},
                "modes_covered": {str(e["iteration"]): e["modes_covered"] for e in ev},
                "high_quality": {str(e["iteration"]): e["high_quality"] for e in ev},
                "final_kl": ev[-1]["kl"] if ev else None, "final_kl_iteration": ev[-1]["iteration"] if ev else None,
                "iterations": self.config["iterations"],
                # SOS's p: its smallest value and how many iterations had p < 1 (p = 1 at every
                # iteration means SOS took LOLA's step throughout); None for other rules
                "p_min": None if self.p is None or not len(self.p) else float(self.p.min()),
                "p_below_one": None if self.p is None else int((self.p < 1).sum()),
                "p_below_one_share": None if self.p is None or not len(self.p) else float((self.p < 1).mean()),
                # SGA's λ: the share of the logged iterations where it was −1 (alignment against the gradient)
                "lambda_negative_share": None if self.lam is None or not len(self.lam) else float((self.lam < 0).mean()),
                "final_losses": self.losses[-1].tolist() if len(self.losses) else None,
                "final_xi_norm": float(self.xi_norm[-1]) if len(self.xi_norm) else None,
                # the largest ‖ξ‖ of any iteration: how close a training came to BLOWUP_XI_NORM
                "max_xi_norm": float(numpy.nanmax(self.xi_norm)) if numpy.isfinite(self.xi_norm).any() else None,
                "diverged_at": self.diverged_at, "diverged_because": self.diverged_because,
                "seconds": self.seconds,
                # seconds add up over resumed sessions, so this is the mean over the whole training,
                # per iteration run (a diverged training stopped at diverged_at)
                "seconds_per_iteration": self.seconds / max(1, len(self.xi_norm) - 1),
                "resumed_from": self.resumed_from}


def divergence_of(summary: dict, blowup: float = BLOWUP_XI_NORM) -> str | None:
    """Why a training's :meth:`Training.summary` counts as diverged, or None: its own flag, or
    (for results written before the flag for finite blow-ups) a final ‖ξ‖ above ``blowup`` or
    not finite.  Rankings and tables leave such trainings out rather than average them in."""
    if summary.get("diverged_at") is not None:
        return summary.get("diverged_because") or "not finite"
    xi = summary.get("final_xi_norm")
    if xi is None:  # not recorded: nothing says it diverged
        return None
    if not numpy.isfinite(xi):
        return "not finite"
    return f"‖ξ‖ > {blowup:g} at the end" if xi > blowup else None


def check_gan_algorithm(name: str):
    """The registry entry for ``name``, refused if it forms a dense game Hessian (CGD, LSS)."""
    from sosverify.algorithms import ALGORITHMS
    from sosverify.derivatives import DENSE_LIMIT

    algo = get_algorithm(name)
    if algo.dense:
        usable = ", ".join(n for n, a in ALGORITHMS.items() if not a.dense)
        raise SosverifyError(f"{algo.name.upper()} forms a dense game Hessian (allowed up to {DENSE_LIMIT} "
                             f"parameters) and is not offered on the GAN, whose networks are far larger; "
                             f"use one of {usable}")
    return algo


def shaping_alpha_of(algorithm: str, value="lr", preset: str | None = None):
    """The shaping α a training of ``algorithm`` records: ``value`` checked (``"preset"``: the
    preset's choice for the rule, :func:`~sosverify.gan.presets.preset_shaping_alpha`), or None for a
    rule whose direction predicts no step (NL, CO, SGA: the setting does not change them)."""
    value = SHAPING_ALPHA.check(value)
    if not get_algorithm(algorithm).predicts:
        return None
    if value == "preset":
        if preset is None:
            raise SosverifyError("shaping_alpha 'preset' takes the value chosen for a preset (reproduce gmm, sweep "
                                 "gmm); a single training takes a number, 'lr' or 'predicted'")
        return preset_shaping_alpha(preset, get_algorithm(algorithm).name)
    return value


def check_shaping_alpha_used(algos, shaping) -> None:
    """Refuse a shaping α (one value, a list of values, or ``{algorithm: value}``) that no rule of
    ``algos`` takes: only the rules that predict a step (LA, LOLA, p-LOLA, SOS, EG: ``predicts``) have
    an α inside; NL, CO and SGA have none, and a value given for them alone would be ignored.  With at
    least one rule that takes it, one value applies to those rules."""
    from sosverify.algorithms import ALGORITHMS

    takers = ", ".join(n for n, a in ALGORITHMS.items() if a.predicts and not a.dense)
    if isinstance(shaping, dict):
        for name in shaping:
            if not get_algorithm(name).predicts:
                raise SosverifyError(f"--shaping-alpha gives {name} a value, but {name} predicts no step and has no "
                                     f"alpha inside; it applies to: {takers}")
    elif not any(get_algorithm(a).predicts for a in algos):
        raise SosverifyError(f"--shaping-alpha ({SHAPING_ALPHA.help}) is not used by {', '.join(algos)}, which "
                             f"predict no step; it applies to: {takers}")


def training_config(algorithm: str, lr: float, spec: GanSpec, iterations: int, eval_every: int, seed: int,
                    hyper: dict | None = None, shaping_alpha="lr") -> dict:
    """The full, JSON-ready configuration of one training (recorded and checked on resume)."""
    algo = check_gan_algorithm(algorithm)
    shaping = shaping_alpha_of(algo.name, shaping_alpha)
    lr, iterations, seed = LR.check(lr), ITERATIONS.check(iterations), SEED.check(seed)
    eval_every = EVAL_EVERY.check(eval_every)
    opt = rmsprop(lr)
    return {"algorithm": algo.name, "lr": float(lr), "shaping_alpha": shaping,
            "hyperparameters": hyperparameters(algo, hyper or {}),
            "seed": int(seed), "spec": spec.as_dict(), "iterations": int(iterations), "eval_every": int(eval_every),
            "optimiser": {"name": opt.name, **opt.settings}, "backend": active_name()}


def train(algorithm: str, lr: float, *, spec: GanSpec = GanSpec(), iterations: int = 8000, eval_every: int = 2000,
          seed: int = 0, hyper: dict | None = None, checkpoint: str | Path | None = None,
          checkpoint_every: int | None = None, resume: bool = False, progress: bool = False,
          label: str | None = None, position: int = 0, eval_until: int | None = None, bar=None,
          shaping_alpha="lr", blowup: float = BLOWUP_XI_NORM) -> Training:
    """Train ``algorithm`` on the GAN with RMSProp(``lr``) applied to its direction.

    ``shaping_alpha`` (:data:`SHAPING_ALPHA`): α inside LA/LOLA/p-LOLA/SOS/EG, a number > 0,
    ``"lr"`` (α = ``lr``) or ``"predicted"`` (α = RMSProp's ``lr/√(ν + ε)`` per coordinate at each
    update: an extension beyond the paper).  Recorded in the configuration and checked on resume.

    Evaluations (KL, modes, samples) at every multiple of ``eval_every`` up to ``eval_until``
    (default ``iterations``), and at ``eval_until`` itself, so that the final KL is always that
    iteration's.  Past ``eval_until`` the training goes on to ``iterations`` logging the losses,
    ‖ξ‖ and p only (Figure 7 follows ‖ξ‖ to 12k iterations, Figures 4/6 evaluate to 8k).

    ``bar``: ``bar(total, initial, desc)`` makes the progress bar instead of a tqdm bar on stderr
    (shown whatever ``progress``): a training in a Dask worker draws its bar in the client this way.

    A training diverges where its parameters, losses or ξ stop being finite, or where ‖ξ‖ passes
    ``blowup`` (:data:`BLOWUP_XI_NORM`): ``diverged_at`` is that iteration, ``diverged_because``
    says which, and the training stops there (no final evaluation, no final checkpoint).
    """
    config = training_config(algorithm, lr, spec, iterations, eval_every, seed, hyper, shaping_alpha)
    eval_until = iterations if eval_until is None else eval_until
    eval_until = count("eval_until", MAX_STEPS).check(eval_until)
    if eval_until > iterations:
        raise SosverifyError(f"eval_until ({eval_until}) must not exceed iterations ({iterations})")
    algo = get_algorithm(algorithm)
    game = gmm_gan(**asdict(spec))
    optimiser = rmsprop(lr)
    if checkpoint_every is not None:
        CHECKPOINT_EVERY.check(checkpoint_every)
    check_positive("blowup", blowup)
    z_eval = eval_latents(spec, seed)
    logs_losses, logs_xi, logs_p, logs_lam = [], [], [], []
    evaluations, samples = [], {}
    rng = numpy.random.default_rng(seed)
    start, opt_state, resumed_from, elapsed = 0, None, None, 0.0
    if resume and checkpoint is not None and Path(checkpoint).exists():
        ck = load_checkpoint(checkpoint, config)
        theta0, opt_state, start = ck["theta"], ck["opt_state"], ck["t"]
        rng.bit_generator.state = ck["rng_state"]
        logs_losses, logs_xi, logs_p = list(ck["losses"]), list(ck["xi_norm"]), list(ck["p"])
        logs_lam = list(ck["lambda"])
        # a checkpoint of a training evaluated further (e.g. to 10k) keeps only this one's evaluations
        evaluations = [e for e in ck["evaluations"] if e["iteration"] <= eval_until]
        samples = {k: v for k, v in ck["samples"].items() if k <= eval_until}
        elapsed, resumed_from = ck["seconds"], start
    else:
        theta0 = initial_parameters(game, 1, rng)
    d_g = game.dims[0]
    desc = label or f"{algo.name} lr={lr:g}"
    shaping = config["shaping_alpha"]
    alpha = lr if shaping in (None, "lr", "predicted") else shaping
    bar = _bar(iterations, start, desc, progress, position) if bar is None else bar(iterations, start, desc)
    began = time.perf_counter()
    diverged_at, diverged_because = None, None
    hyper_full = config["hyperparameters"]
    try:
        for s in trajectory(game, algo, theta0, alpha=alpha, steps=iterations, hyper=hyper_full, optimiser=optimiser,
                            rng=rng, start=start, opt_state=opt_state, predicted_step=shaping == "predicted"):
            if checkpoint is not None and checkpoint_every and s.t > start and (s.t % checkpoint_every == 0):
                _save(checkpoint, config, s, logs_losses, logs_xi, logs_p, logs_lam, evaluations, samples,
                      elapsed + time.perf_counter() - began)
            if not s.active[0]:
                diverged_at, diverged_because = s.t, "not finite"
                break
            logs_losses.append(s.losses[:, 0].astype(float))
            logs_xi.append(float(s.xi_norm[0]))
            if s.xi_norm[0] > blowup:  # logged: the final ‖ξ‖ is the one that passed the bound
                diverged_at, diverged_because = s.t, f"‖ξ‖ > {blowup:g}"
                break
            if s.t < iterations and "p" in s.diagnostics:
                logs_p.append(float(s.diagnostics["p"][0]))
            if s.t < iterations and "lambda" in s.diagnostics:
                logs_lam.append(float(s.diagnostics["lambda"][0]))
            if 0 < s.t <= eval_until and (s.t % eval_every == 0 or s.t == eval_until):
                result = evaluate_generator(spec, s.theta[0, :d_g], z_eval)
                evaluations.append({"iteration": s.t, "kl": result["kl"], "modes_covered": result["modes_covered"],
                                    "high_quality": result["high_quality"], "mode_counts": result["mode_counts"]})
                samples[s.t] = result["samples"][:FIGURE_SAMPLES].astype(float)
                bar.set_postfix(KL=f"{result['kl']:.3g}", modes=result["modes_covered"])
            if s.t < iterations:
                bar.update(1)
            theta_last = s.theta
    finally:  # also when a training fails: its bar (perhaps drawn by a client elsewhere) ends
        bar.close()
    seconds = elapsed + time.perf_counter() - began
    config["iterations"] = iterations
    out = Training(config, numpy.array(logs_losses).reshape(-1, 2), numpy.array(logs_xi),
                   numpy.array(logs_p) if "p" in algo.diagnostics else None, evaluations, samples, diverged_at,
                   seconds, resumed_from, None if diverged_at is not None else theta_last[0],
                   numpy.array(logs_lam) if "lambda" in algo.diagnostics else None, diverged_because)
    if checkpoint is not None and diverged_at is None:
        final = s
        _save(checkpoint, config, final, logs_losses[:-1], logs_xi[:-1], logs_p, logs_lam,
              [e for e in evaluations if e["iteration"] < final.t], {k: v for k, v in samples.items() if k < final.t},
              seconds)
    return out


def _bar(total: int, initial: int, desc: str, enabled: bool, position: int = 0):
    """Iterations, it/s and (as postfix) the latest KL and modes covered, on stderr."""
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, desc=desc, disable=not enabled, unit="it", leave=True,
                position=position)


def _save(path, config, step, losses, xi, p, lam, evaluations, samples, seconds) -> None:
    """Checkpoint at the state *before* update ``step.t``: everything needed to resume bit for bit."""
    meta = {"config": config, "t": int(step.t), "rng_state": step.rng_state, "evaluations": evaluations,
            "seconds": seconds, "format": 1}
    arrays = {"theta": step.theta, "losses": numpy.array(losses, dtype=float).reshape(-1, 2),
              "xi_norm": numpy.array(xi, dtype=float), "p": numpy.array(p, dtype=float),
              "lambda": numpy.array(lam, dtype=float),
              "meta": numpy.frombuffer(json.dumps(meta).encode(), dtype=numpy.uint8)}
    for k, v in (step.opt_state or {}).items():
        arrays[f"opt_{k}"] = v
    for it, x in samples.items():
        arrays[f"samples_{it}"] = x
    buf = io.BytesIO()
    numpy.savez(buf, **arrays)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, buf.getvalue())


CHECKPOINT_ARRAYS = ("theta", "losses", "xi_norm", "p")
CHECKPOINT_META = ("config", "t", "rng_state", "evaluations", "seconds")


def _check_state(path, theta, rng_state, spec: GanSpec) -> None:
    """The parameters have the game's shape and dtype, and the data generator's state is one."""
    dim = gmm_gan(**asdict(spec)).dim
    try:
        if theta.shape != (1, dim) or theta.dtype != numpy.dtype(spec.dtype):
            raise ValueError(f"parameters of shape {theta.shape} and {theta.dtype}, not (1, {dim}) and {spec.dtype}")
        numpy.random.default_rng().bit_generator.state = rng_state
    except (TypeError, ValueError, KeyError) as exc:
        raise SosverifyError(f"checkpoint {str(path)!r} is corrupt ({exc}); delete it or train without --resume") from None


def load_checkpoint(path, config: dict | None = None) -> dict:
    """Read a checkpoint; a one-line error if it is truncated, corrupt or (given the ``config`` of the
    training that resumes from it) of another configuration or not a state of it."""
    try:
        with open(path, "rb") as fh, numpy.load(fh, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(bytes(arrays.pop("meta")).decode())
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise SosverifyError(f"checkpoint {str(path)!r} is truncated or corrupt ({type(exc).__name__}); "
                             "delete it or train without --resume") from None
    missing = [k for k in CHECKPOINT_ARRAYS if k not in arrays]
    missing += list(CHECKPOINT_META) if not isinstance(meta, dict) else [k for k in CHECKPOINT_META if k not in meta]
    if missing:
        raise SosverifyError(f"checkpoint {str(path)!r} is corrupt: it lacks {', '.join(missing)}; "
                             "delete it or train without --resume")
    if config is not None:
        stored = meta.get("config", {})
        differ = []
        for k in RESUME_KEYS:  # name the differing entry inside a nested setting: spec.dtype, not all of spec
            if k == "backend" and k not in stored:
                continue
            a, b = stored.get(k), config.get(k)
            if k == "shaping_alpha" and k not in stored:  # written when α inside the rule was the rate
                a = shaping_alpha_of(stored.get("algorithm", config["algorithm"]), "lr")
            if isinstance(a, dict) and isinstance(b, dict):
                differ += [(f"{k}.{j}", a.get(j), b.get(j)) for j in sorted(set(a) | set(b)) if a.get(j) != b.get(j)]
            elif a != b:
                differ.append((k, a, b))
        if differ:
            detail = "; ".join(f"{k}: checkpoint {a!r}, now {b!r}" for k, a, b in differ)
            raise SosverifyError(f"checkpoint {str(path)!r} belongs to another configuration ({detail}); "
                                 "use another --out or drop --resume")
        if meta["t"] > config["iterations"]:
            raise SosverifyError(f"checkpoint {str(path)!r} is at iteration {meta['t']}, beyond the "
                                 f"{config['iterations']} iterations of this training (--iterations)")
        _check_state(path, arrays["theta"], meta["rng_state"], GanSpec(**config["spec"]))
    return {"theta": arrays["theta"], "t": int(meta["t"]), "rng_state": meta["rng_state"],
            "opt_state": {k[4:]: v for k, v in arrays.items() if k.startswith("opt_")},
            "losses": arrays["losses"], "xi_norm": arrays["xi_norm"], "p": arrays["p"],
            # SGA's λ, logged since issue 19: a checkpoint from before has none for its iterations
            "lambda": arrays.get("lambda", numpy.zeros(0)),
            "evaluations": meta["evaluations"], "seconds": meta["seconds"],
            "samples": {int(k[8:]): v for k, v in arrays.items() if k.startswith("samples_")}}
