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
    of,
    rule_settings,
    shaping_help,
    shaping_value,
)
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game
from sosverify.results import prepare_out_dir
from sosverify.settings import ALPHA, EVAL_EVERY, ITERATIONS, RUNS, SEED, STEPS


def cmd_sweep(args) -> int:
    from sosverify.algorithms import hyperparameters_for
    from sosverify.backends import active_name
    from sosverify.results import write_json
    from sosverify.sweep import GAME_OPTIONS, GAN_OPTIONS, check_options, collect, describe_result, plan, sweep

    algos = list(dict.fromkeys(get_algorithm(a).name for a in args.algos))
    args.alpha, args.seeds = list(dict.fromkeys(args.alpha)), list(dict.fromkeys(args.seeds))  # each task once
    hyper = rule_settings(args, algos)
    options = {k: getattr(args, k) for k in (*GAN_OPTIONS, *GAME_OPTIONS) if hasattr(args, k)}
    check_options(args.game, options)  # a flag of the other kind of sweep, before any file is read
    if args.shaping_alpha is not None:  # given, even as the default, for rules of which none takes it
        from sosverify.gan.train import check_shaping_alpha_used

        check_shaping_alpha_used(algos, args.shaping_alpha)
    if args.game == "gmm":
        options["game_settings"] = game_settings(args, "gmm", "sweep") or None
    elif _is_nfg(args.game):  # its payoffs go into every task (workers need no copy of the file)
        from pathlib import Path

        from sosverify.games.normal_form import read_nfg

        options["game_settings"] = game_settings(args, None) or None  # another game's flag, before the file is read
        options["normal_form"] = read_nfg(args.game).game().params["normal_form"]
        args.game = Path(args.game).name
    elif args.game not in GAMES and ("." in args.game or "/" in args.game):
        raise SosverifyError(f"a game from a file is a Gambit FILE.nfg, got {args.game[:200]!r}")
    else:
        get_game(args.game)  # an unknown name is refused before any worker starts
        options["game_settings"] = game_settings(args, args.game) or None
    # the backend that will run the tasks (flag, else SOSVERIFY_BACKEND, else autograd) is part of
    # each task, so a result of one backend is never taken for the other's on resume
    tasks = plan(args.game, algos, args.alpha, args.seeds, backend=active_name(), **options,
                 hyper={a: hyperparameters_for(get_algorithm(a), hyper) for a in algos})
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["sweep.json"])
    if _is_file(out / "tasks"):
        raise SosverifyError(f"{out / 'tasks'} is a file; a sweep keeps its task results in that directory: "
                             "remove it or choose another --out")
    prepare_out_dir(out / "tasks")
    if args.game == "gmm" and args.shaping_alpha is None:
        _note_other_shaping(tasks, out / "tasks")
    # a GAN training checkpoints in OUT/checkpoints, so a sweep stopped part-way continues it from there
    report = sweep(tasks, out / "tasks", scheduler=args.scheduler, workers=args.workers, resume=not args.restart,
                   progress=not args.quiet and sys.stderr.isatty(),
                   checkpoints=out / "checkpoints" if args.game == "gmm" else None)
    # this sweep's tasks only: a directory may hold the results of other sweeps too
    results = collect(out / "tasks", tasks)
    write_json(out / "sweep.json", {"report": report, "results": results})
    elsewhere = f", {len(report['elsewhere'])} running in another sweep" if report["elsewhere"] else ""
    print(f"{len(results)} of {report['tasks']} tasks finished ({report['skipped']} from an earlier run, "
          f"{len(report['failed'])} failed{elsewhere}); results in {out}")
    for r in results:
        print(describe_result(r["task"], r["result"]))
    for f in report["failed"]:
        print(f"  FAILED {f['key']}: {f['error']}", file=sys.stderr)
    for e in report["elsewhere"]:
        who = f"process {e['pid']} on {e['host']} since {e['since']}" if e["pid"] is not None else "a sweep starting"
        print(f"  RUNNING ELSEWHERE {e['key']}: left to {who} ({out / 'tasks' / (e['key'] + '.running')}; "
              "remove that file if that sweep has stopped)", file=sys.stderr)
    return 1 if report["failed"] else 0


def _note_other_shaping(tasks: list, directory) -> None:
    """One line on stderr when the default shaping α (each rule's choice for the preset) plans a task
    that ``directory`` holds finished with another α only, e.g. a sweep of results from before the
    default: its command then needs ``--shaping-alpha`` as those ran, or it trains them anew."""
    from sosverify.sweep import collect, task_key

    def same(task):  # the task but its shaping α
        return task_key({k: v for k, v in task.items() if k != "shaping_alpha"})

    finished = [r["task"] for r in collect(directory)]
    held = {task_key(t) for t in finished}
    others = {same(t): t.get("shaping_alpha", "lr") for t in finished}
    new = [t for t in tasks if task_key(t) not in held and same(t) in others]
    if new:
        t = new[0]
        print(f"note: {len(new)} task(s) of this sweep, e.g. {t['algorithm']} at {t['alpha']:g} seed {t['seed']} with "
              f"shaping alpha {t.get('shaping_alpha', 'lr')} (the preset's default), are new, while {directory} holds "
              f"them finished with shaping alpha {others[same(t)]}: give --shaping-alpha to resume those",
              file=sys.stderr)


def _is_file(path) -> bool:
    """Whether ``path`` is there and no directory (a path the system refuses is left to prepare_out_dir)."""
    try:
        return path.exists() and not path.is_dir()
    except OSError:
        return False


def _is_nfg(game: str) -> bool:
    """A Gambit file: named ``*.nfg`` (a file named otherwise is refused as an unknown game)."""
    return game.lower().endswith(".nfg")


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("sweep", help="rules x learning rates x seeds as independent tasks on Dask (local or a cluster)")
    p.add_argument("game", help=f"built-in game: {', '.join(GAMES)} (gmm: the GAN); or a Gambit FILE.nfg (its "
                   "payoffs go into each task, and each result says which Nash equilibria its runs approach)")
    p.add_argument("--algos", nargs="+", required=True, metavar="NAME")
    p.add_argument("--alpha", nargs="+", type=of(ALPHA), required=True, metavar="RATE",
                   help="learning rates (the GAN: RMSProp's rate; the alpha inside the rule is --shaping-alpha)")
    p.add_argument("--seeds", nargs="+", type=of(SEED), default=[0], metavar="SEED")
    p.add_argument("--steps", type=of(STEPS), help="steps per run (default 100)")
    p.add_argument("--runs", type=of(RUNS), help="runs per task (batched; default 1)")
    p.add_argument("--preset", choices=("small", "paper"), help="gmm: network size and schedule (default: small)")
    p.add_argument("--iterations", type=of(ITERATIONS), help="gmm: training iterations")
    p.add_argument("--eval-every", type=of(EVAL_EVERY), help="gmm: evaluate every this many iterations")
    p.add_argument("--minibatch", choices=("random", "tiled"), help="gmm: " + MINIBATCH_HELP)
    p.add_argument("--extends", type=of(ITERATIONS), metavar="N",
                   help="gmm: continue each training from the final checkpoint (in OUT/checkpoints) of the same "
                        "training run to N iterations, which must have finished, rather than from scratch: "
                        "e.g. --iterations 12000 --extends 8000 takes the 8k trainings on to 12k (Figure 7)")
    p.add_argument("--shaping-alpha", nargs="+", type=shaping_value, metavar="VALUE",
                   help="gmm: " + shaping_help("each value is a task of its own for LA, LOLA, SOS, p-LOLA and EG; "
                                               "refused when no chosen rule takes it (NL, CO, SGA have no alpha "
                                               "inside)"))
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
