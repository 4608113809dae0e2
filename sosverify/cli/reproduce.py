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
    given,
    non_negative,
    of,
    rule_settings,
    shaping_help,
)
from sosverify.errors import SosverifyError
from sosverify.results import prepare_out_dir
from sosverify.settings import ALPHA, CHECKPOINT_EVERY, EVAL_EVERY, ITERATIONS, LR, RUNS, SEED, STEPS

GMM_FLAGS = ("preset", "lr", "iterations", "eval_every", "dtype", "grid", "jobs", "checkpoint_every", "scheduler",
             "shaping_alpha", "minibatch")


NOT_GMM_FLAGS = ("runs", "steps", "alpha", "init_std")


def cmd_reproduce(args) -> int:
    from sosverify.reproduce import get_experiment
    from sosverify.reproduce.common import QUICK_EXPERIMENTS, check_algorithms, up_to_date, write

    if args.experiment == "gmm":
        return cmd_gmm(args)
    names = list(QUICK_EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    fns = [get_experiment(n) for n in names]
    wrong = given(args, GMM_FLAGS)
    if wrong:
        raise SosverifyError(f"{', '.join(wrong)} apply to the gmm experiment only")
    if args.algos is not None:
        args.algos = list(dict.fromkeys(args.algos))
        check_algorithms(args.algos)
    every = {}  # every experiment's settings are checked before any of them runs
    for name, fn in zip(names, fns):
        settings = {k: v for k, v in (("runs", args.runs), ("steps", args.steps), ("alpha", args.alpha),
                                      ("seed", args.seed), ("init_std", args.init_std), ("algos", args.algos))
                    if v is not None}
        settings.update(game_settings(args, fn.game, "experiment"))
        hyper = rule_settings(args, check_algorithms(settings.get("algos") or fn.defaults["algos"]))
        if hyper:
            settings["hyper"] = hyper
        every[name] = settings
    outs = {n: prepare_out_dir(Path(args.out) / n if args.out and len(names) > 1 else
                                     Path(args.out) if args.out else Path("results") / n) for n in names}
    for name in names:
        check_files_writable(outs[name], ["summary.json"], figures=True)
    for name, fn in zip(names, fns):
        settings = every[name]
        resolved = fn.resolve(settings)
        if args.resume and up_to_date(outs[name], resolved):
            print(f"== {name}: {outs[name]} already holds every file of these settings (manifest.json); skipped (--resume)")
            continue
        start = time.perf_counter()
        rep = fn(progress=not args.quiet and sys.stderr.isatty(), **settings)
        rep.config["settings"] = resolved
        out = write(rep, outs[name])
        print(f"== {name} ({time.perf_counter() - start:.1f} s) -> {out}")
        print(fn.table(rep))
    return 0


def cmd_gmm(args) -> int:
    """``sosverify reproduce gmm``: the GAN of Figures 4–7 (see sosverify.reproduce.gmm)."""
    from sosverify.reproduce.common import check_algorithms, write
    from sosverify.reproduce.gmm import DEFAULT_ALGOS, parse_learning_rates, parse_shaping_alphas, run_gmm, table

    wrong = given(args, NOT_GMM_FLAGS)
    if wrong:
        raise SosverifyError(f"{', '.join(wrong)} do not apply to the gmm experiment; it takes --preset, --algos, "
                             "--lr, --shaping-alpha, --iterations, --eval-every, --seed, --dtype, the rules' settings "
                             "(--a, --b, ...), --grid, --jobs, --scheduler, --checkpoint-every, --resume")
    game_settings(args, "gmm", "experiment")
    if args.seed is not None and args.seed < 0:
        raise SosverifyError(f"--seed must be a non-negative integer, got {args.seed}")
    algos = check_algorithms(args.algos or DEFAULT_ALGOS)
    hyper = rule_settings(args, algos)
    out = prepare_out_dir(Path(args.out) if args.out else Path("results") / "gmm")
    check_files_writable(out, ["summary.json"], figures=True)
    start = time.perf_counter()
    rep = run_gmm(preset_name=args.preset or "small", algos=algos, lr=parse_learning_rates(args.lr),
                  iterations=args.iterations, eval_every=args.eval_every,
                  seed=0 if args.seed is None else args.seed, dtype=args.dtype or "float32",
                  hyper=hyper, grid=args.grid,
                  jobs=args.jobs, checkpoint_dir=out / "checkpoints", checkpoint_every=args.checkpoint_every,
                  resume=args.resume, progress=not args.quiet and sys.stderr.isatty(), scheduler=args.scheduler,
                  shaping_alpha=parse_shaping_alphas(args.shaping_alpha), minibatch=args.minibatch or "random")
    write(rep, out)
    print(f"== gmm ({time.perf_counter() - start:.1f} s) -> {out}")
    print(table(rep))
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
        "one VALUE for every rule, or ALGO=VALUE items, e.g. sos=0.1 la=0.03"))
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
