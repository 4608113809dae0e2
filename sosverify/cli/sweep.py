"""``sosverify sweep``: rules x rates x seeds as tasks on Dask."""

from __future__ import annotations

import sys

from sosverify.algorithms import get_algorithm
from sosverify.cli.args import (
    MINIBATCH_HELP,
    add_backend,
    add_setting_flags,
    bounded_int,
    check_files_writable,
    game_settings,
    given,
    positive_float,
    rule_settings,
    shaping_help,
    shaping_value,
)
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game
from sosverify.results import prepare_out_dir
from sosverify.validation import MAX_RUNS, MAX_SEED, MAX_STEPS

SWEEP_GMM_FLAGS = ("preset", "iterations", "eval_every", "shaping_alpha", "minibatch")


SWEEP_GAME_FLAGS = ("steps", "runs")


def cmd_sweep(args) -> int:
    from sosverify.algorithms import hyperparameters_for
    from sosverify.backends import active_name
    from sosverify.gan.train import SHAPING_ALPHA, divergence_of
    from sosverify.results import write_json
    from sosverify.sweep import collect, grid, sweep

    algos = list(dict.fromkeys(get_algorithm(a).name for a in args.algos))
    args.alpha, args.seeds = list(dict.fromkeys(args.alpha)), list(dict.fromkeys(args.seeds))  # each task once
    hyper = rule_settings(args, algos)
    # the backend that will run the tasks (flag, else SOSVERIFY_BACKEND, else autograd) is part of
    # each task, so a result of one backend is never taken for the other's on resume
    common: dict = {"backend": active_name()}
    if args.game == "gmm":
        from dataclasses import replace

        from sosverify.gan.train import check_gan_algorithm
        from sosverify.reproduce.gmm import preset

        wrong = given(args, SWEEP_GAME_FLAGS)
        if wrong:
            raise SosverifyError(f"{', '.join(wrong)} do not apply to gmm sweeps; the GAN takes --preset, "
                                 "--iterations and --eval-every")
        game_settings(args, "gmm", "sweep")
        for a in algos:
            check_gan_algorithm(a)
        chosen = preset(args.preset or "small")
        chosen_spec = replace(chosen["spec"], minibatch=args.minibatch or "random")
        iterations = args.iterations or chosen["iterations"]
        common.update(spec=chosen_spec.as_dict(), iterations=iterations,
                      eval_every=min(args.eval_every or chosen["eval_every"], iterations))
        shaping = list(dict.fromkeys(args.shaping_alpha or [SHAPING_ALPHA.default]))
    else:
        wrong = given(args, SWEEP_GMM_FLAGS)
        if wrong:
            raise SosverifyError(f"{', '.join(wrong)} apply to gmm sweeps only; {args.game} takes --steps and --runs")
        if _is_nfg(args.game):  # its payoffs go into every task (workers need no copy of the file)
            from pathlib import Path

            from sosverify.games.normal_form import read_nfg

            settings = game_settings(args, None)  # a flag of another game is refused before the file is read
            common["normal_form"] = read_nfg(args.game).game().params["normal_form"]
            args.game = Path(args.game).name
        elif args.game not in GAMES and ("." in args.game or "/" in args.game):
            raise SosverifyError(f"a game from a file is a Gambit FILE.nfg, got {args.game[:200]!r}")
        else:
            get_game(args.game)  # an unknown name is refused before any worker starts
            settings = game_settings(args, args.game)
        common.update(steps=100 if args.steps is None else args.steps, runs=1 if args.runs is None else args.runs)
        if settings:  # only when given, so that tasks without them keep their keys
            common["game_settings"] = settings
    tasks = []
    for a in algos:
        mine = hyperparameters_for(get_algorithm(a), hyper)
        if args.game != "gmm":
            tasks += grid(args.game, [a], args.alpha, args.seeds, hyper=mine, **common)
            continue
        # rules x rates x shaping alphas x seeds, in the order given; a task tied to the rate ("lr"), or of
        # a rule that predicts no step, has no shaping_alpha entry (its key as before the setting existed)
        values = shaping if get_algorithm(a).predicts else [None]
        for rate in args.alpha:
            for sa in values:
                extra = {} if sa in (None, "lr") else {"shaping_alpha": sa}
                tasks += grid(args.game, [a], [rate], args.seeds, hyper=mine, **common, **extra)
    out = prepare_out_dir(args.out)
    if (out / "tasks").exists() and not (out / "tasks").is_dir():
        raise SosverifyError(f"{out / 'tasks'} is a file; a sweep keeps its task results in that directory: "
                             "remove it or choose another --out")
    check_files_writable(out, ["sweep.json"])
    prepare_out_dir(out / "tasks")
    # a GAN training checkpoints in OUT/checkpoints, so a sweep stopped part-way continues it from there
    report = sweep(tasks, out / "tasks", scheduler=args.scheduler, workers=args.workers, resume=not args.restart,
                   progress=not args.quiet and sys.stderr.isatty(),
                   checkpoints=out / "checkpoints" if args.game == "gmm" else None)
    # this sweep's tasks only: a directory may hold the results of other sweeps too
    results = collect(out / "tasks", tasks)
    write_json(out / "sweep.json", {"report": report, "results": results})
    print(f"{len(results)} of {report['tasks']} tasks finished ({report['skipped']} from an earlier run, "
          f"{len(report['failed'])} failed); results in {out}")
    metric = "final_kl" if args.game == "gmm" else "final_loss_mean"
    for r in results:
        t, res = r["task"], r["result"]
        why = divergence_of(res) if args.game == "gmm" else None
        at = f" at iteration {res['diverged_at']}" if res.get("diverged_at") is not None else ""
        value = f"diverged{at} ({why})" if why else f"{metric}={res.get(metric)}"
        sa = f" shaping_alpha={t['shaping_alpha']}" if "shaping_alpha" in t else ""
        eq = res.get("equilibria")
        near = f"; runs near each equilibrium {eq['counts']}, near none {eq['none']}" if eq else ""
        print(f"  {t['algorithm']:<6} alpha={t['alpha']:<10g}{sa} seed={t['seed']:<4} {value}{near}")
    for f in report["failed"]:
        print(f"  FAILED {f['key']}: {f['error']}", file=sys.stderr)
    return 1 if report["failed"] else 0


def _is_nfg(game: str) -> bool:
    """A Gambit file: named ``*.nfg`` (a file named otherwise is refused as an unknown game)."""
    return game.lower().endswith(".nfg")


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("sweep", help="rules x learning rates x seeds as independent tasks on Dask (local or a cluster)")
    p.add_argument("game", help=f"built-in game: {', '.join(GAMES)} (gmm: the GAN); or a Gambit FILE.nfg (its "
                   "payoffs go into each task, and each result says which Nash equilibria its runs approach)")
    p.add_argument("--algos", nargs="+", required=True, metavar="NAME")
    p.add_argument("--alpha", nargs="+", type=positive_float, required=True, metavar="RATE",
                   help="learning rates (the GAN: RMSProp's rate; the alpha inside the rule is --shaping-alpha)")
    p.add_argument("--seeds", nargs="+", type=bounded_int(0, MAX_SEED), default=[0], metavar="SEED")
    p.add_argument("--steps", type=bounded_int(1, MAX_STEPS), help="steps per run (default 100)")
    p.add_argument("--runs", type=bounded_int(1, MAX_RUNS), help="runs per task (batched; default 1)")
    p.add_argument("--preset", choices=("small", "paper"), help="gmm: network size and schedule (default: small)")
    p.add_argument("--iterations", type=bounded_int(1, MAX_STEPS), help="gmm: training iterations")
    p.add_argument("--eval-every", type=bounded_int(1, MAX_STEPS), help="gmm: evaluate every this many iterations")
    p.add_argument("--minibatch", choices=("random", "tiled"), help="gmm: " + MINIBATCH_HELP)
    p.add_argument("--shaping-alpha", nargs="+", type=shaping_value, metavar="VALUE",
                   help="gmm: " + shaping_help("each value is a task of its own (LA, LOLA, SOS, p-LOLA, EG)"))
    add_setting_flags(p)
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://10.0.0.1:8786 "
                   "(default: a local cluster)")
    p.add_argument("--workers", type=bounded_int(1, 1024), help="local worker processes (default: the number of cores)")
    p.add_argument("--out", default="sosverify-sweep", help="output directory (default: ./sosverify-sweep)")
    p.add_argument("--restart", action="store_true",
                   help="run every task again, GAN trainings from their start (default: skip finished tasks "
                        "and continue GAN trainings from their checkpoints in OUT/checkpoints)")
    add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)
