"""``sosverify reproduce``: the paper's experiments (the IPD, the tandem, matching pennies, the GAN)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sosverify.cli.args import (
    MINIBATCH_HELP,
    add_backend,
    add_setting_flags,
    bounded_int,
    check_files_writable,
    game_settings,
    non_negative,
    of,
    rule_settings,
    shaping_help,
)
from sosverify.errors import SosverifyError
from sosverify.results import check_out_given, check_owner, prepare_out_dir
from sosverify.settings import ALPHA, CHECKPOINT_EVERY, EVAL_EVERY, ITERATIONS, LR, RUNS, SEED, STEPS

#: the experiment-level flags (argparse's names): each applies to the experiments whose run function
#: takes a keyword of that name (the record's ``defaults``), so no experiment is known here by name.
EXPERIMENT_FLAGS = ("runs", "steps", "alpha", "seed", "init_std", "algos", "preset", "lr", "shaping_alpha",
                    "iterations", "eval_every", "dtype", "minibatch", "grid", "jobs", "scheduler", "checkpoint_every")


def _options(names) -> str:
    return ", ".join("--" + n.replace("_", "-") for n in names)


def experiment_settings(exp, args) -> dict:
    """The settings given for ``exp`` on the command line, each checked to be one it takes."""
    from sosverify.reproduce.common import check_algorithms

    takes = exp.defaults
    settings = {k: getattr(args, k) for k in EXPERIMENT_FLAGS if getattr(args, k) is not None}
    wrong = [k for k in settings if k not in takes]
    if wrong:
        verb = "does" if len(wrong) == 1 else "do"
        raise SosverifyError(f"{_options(wrong)} {verb} not apply to the {exp.name} experiment; it takes "
                             f"{_options(k for k in EXPERIMENT_FLAGS if k in takes)} and the rules' settings")
    settings.update(game_settings(args, exp.game, "experiment"))
    hyper = rule_settings(args, check_algorithms(settings.get("algos") or takes["algos"]))
    if hyper:
        settings["hyper"] = hyper
    return settings


def cmd_reproduce(args) -> int:
    """``sosverify reproduce NAME``: each experiment's record says what it takes, how it runs and what it prints."""
    from sosverify.reproduce import get_experiment
    from sosverify.reproduce.common import QUICK_EXPERIMENTS, check_algorithms, up_to_date, write

    names = list(QUICK_EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    exps = [get_experiment(n) for n in names]
    if args.algos is not None:
        args.algos = list(dict.fromkeys(args.algos))
        check_algorithms(args.algos)
    every = {exp.name: experiment_settings(exp, args) for exp in exps}  # all checked before any runs
    if args.out is not None:
        check_out_given(args.out)  # refused as every command refuses it, not taken for the default
    outs = {n: prepare_out_dir(Path("results") / n if args.out is None else
                               Path(args.out) / n if len(names) > 1 else Path(args.out)) for n in names}
    for name in names:
        check_files_writable(outs[name], ["summary.json"], figures=True)
        check_owner(outs[name], ("experiment", name))  # before any work, as write() refuses it after
    for exp in exps:
        settings, out = every[exp.name], outs[exp.name]
        resolved = exp.resolve(settings)
        if "resume" in exp.defaults:  # the experiment resumes itself (the GAN: each training from its checkpoint)
            settings = {**settings, "resume": args.resume, "checkpoint_dir": out / "checkpoints"}
        elif args.resume and up_to_date(out, resolved):
            print(f"== {exp.name}: {out} already holds every file of these settings (manifest.json); skipped (--resume)")
            continue
        start = time.perf_counter()
        rep = exp(progress=not args.quiet and sys.stderr.isatty(), **settings)
        if resolved.get("shaping_alpha") == "preset" and "shaping_alpha" in rep.config:
            resolved = {**resolved, "shaping_alpha": rep.config["shaping_alpha"]}  # the values, not the word
        rep.config["settings"] = resolved
        out = write(rep, out)
        print(f"== {exp.name} ({time.perf_counter() - start:.1f} s) -> {out}")
        print(exp.table(rep))
    return 0


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("reproduce", help="reproduce an experiment at paper scale (figures, summary.json, ...)")
    p.add_argument("experiment", help="ipd, tandem, matching-pennies, all (these three) or gmm (the GAN)")
    p.add_argument("--runs", type=of(RUNS))
    p.add_argument("--steps", type=of(STEPS))
    p.add_argument("--alpha", type=of(ALPHA))
    p.add_argument("--seed", type=of(SEED))
    p.add_argument("--init-std", type=non_negative)
    p.add_argument("--algos", nargs="+", metavar="NAME")
    from sosverify.reproduce.common import HYPER_DEFAULTS

    add_setting_flags(p, HYPER_DEFAULTS)
    p.add_argument("--out", default=None, help="output directory (default: ./results/<experiment>)")
    p.add_argument("--resume", action="store_true",
                   help="skip an experiment whose summary.json in --out already has exactly these settings; "
                        "gmm: continue every training from its checkpoint")
    g = p.add_argument_group("gmm (the GAN of Figures 4-7)")
    g.add_argument("--preset", choices=("small", "paper"), help="network size and schedule (default: small)")
    g.add_argument("--lr", nargs="+", metavar="ALGO=RATE", help="RMSProp learning rate per algorithm, e.g. sos=1e-4")
    g.add_argument("--shaping-alpha", nargs="+", metavar="VALUE", help=shaping_help(
        "one VALUE for every rule that takes it, or ALGO=VALUE items, e.g. sos=0.1 la=0.03; refused when no "
        "chosen rule takes it (NL, CO and SGA have no alpha inside)"))
    g.add_argument("--iterations", type=of(ITERATIONS),
                   help="training iterations (default: the preset's; the paper preset then trains SOS, LA and NL "
                        "on for Figure 7's ‖ξ‖)")
    g.add_argument("--eval-every", type=of(EVAL_EVERY), help="evaluate KL and modes every this many iterations")
    g.add_argument("--dtype", choices=("float32", "float64"), help="float32 (default) or float64")
    g.add_argument("--minibatch", choices=("random", "tiled"), help=MINIBATCH_HELP)
    g.add_argument("--grid", nargs="+", type=of(LR), metavar="LR",
                   help="train every algorithm at every rate; report each algorithm's best final KL")
    g.add_argument("--jobs", type=bounded_int(1, 1024),
                   help="trainings in parallel: Dask worker processes on this machine (default: the number of cores)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the trainings on an existing Dask cluster, e.g. tcp://10.0.0.1:8786")
    g.add_argument("--checkpoint-every", type=of(CHECKPOINT_EVERY), help="checkpoint every this many iterations")
    add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reproduce)
