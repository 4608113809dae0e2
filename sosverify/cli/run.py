"""``sosverify run``: learning rules on a game; results.json and a figure."""

from __future__ import annotations

import sys
import time

from sosverify.algorithms import ALGORITHMS, get_algorithm
from sosverify.cli.args import (
    LOSS_HELP,
    add_backend,
    add_setting_flags,
    check_files_writable,
    game_settings,
    non_negative,
    of,
    rule_settings,
)
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game
from sosverify.reproduce.common import number
from sosverify.results import prepare_out_dir
from sosverify.settings import ALPHA, RUNS, SEED, STEPS
from sosverify.validation import check_runs_memory


def _game_from_args(args):
    from sosverify.expressions import game_from_specs

    if args.player:
        if args.game:
            raise SosverifyError("give either a built-in GAME or --player expressions, not both")
        game_settings(args, None)
        return game_from_specs(args.player)
    if not args.game:
        raise SosverifyError(f"give a GAME ({', '.join(GAMES)}) or --player \"SYMBOLS=LOSS\" per player")
    return get_game(args.game, **game_settings(args, args.game))


def cmd_run(args) -> int:
    from sosverify.plotting import loss_curves
    from sosverify.results import OWNERS, check_owner, json_bytes, render_figure, versions, write_together
    from sosverify.runner import run, summarise

    game = _game_from_args(args)
    args.algo = list(dict.fromkeys(args.algo))  # a name given twice runs and is recorded once
    algos = [get_algorithm(name) for name in args.algo]
    hyper = rule_settings(args, args.algo)
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["results.json", "losses.png"])
    owner = ("run", _label(game.name, game.params))
    # before any work: a reproduction or files of another kind are never replaced; an earlier run (of any
    # game) is replaced whole, never mixed with this one's files, and the user is told which
    replaced = check_owner(out, owner, _held(out), same_kind=True)
    histories, entries, seconds = {}, {}, {}
    normal_form = "normal_form" in game.params
    # every rule's history is kept, and the results file built beside them: all must fit, before any work
    every = max(1, args.steps // 100) if normal_form else args.steps
    check_runs_memory(args.steps, args.runs, game.dim, game.n_players, [(len(a.diagnostics), a.dense) for a in algos],
                      args.steps // every + 1 + (1 if args.steps % every else 0), results=True)
    for algo in algos:
        mine = {k: v for k, v in hyper.items() if k in algo.defaults}
        start = time.perf_counter()
        h = run(game, algo, alpha=args.alpha, steps=args.steps, runs=args.runs, seed=args.seed,
                init_std=args.init_std, progress=not args.quiet and sys.stderr.isatty(),
                # a normal-form game's runs are judged over their last quarter: keep about 100 states
                params_every=every if normal_form else None, **mine)
        seconds[algo.name] = time.perf_counter() - start
        histories[algo.name] = h
        entries[algo.name] = {**summarise(h), "seconds": seconds[algo.name]}
        if normal_form:  # which of Gambit's equilibria each run approaches, how many approach none
            from sosverify.equilibria import run_outcomes

            entries[algo.name]["equilibria"] = run_outcomes(h)
    config = {"command": "run", "game": game.name, "game_params": game.params, "algorithms": args.algo,
              "alpha": args.alpha, "steps": args.steps, "runs": args.runs, "seed": args.seed,
              "init_std": game.init_std if args.init_std is None else args.init_std,
              "hyperparameters": {a.name: entries[a.name]["hyperparameters"] for a in algos}}
    results = {"config": config, "versions": versions(), "algorithms": entries}
    # rendered first, then written together: an interrupted run leaves the old files or the new ones
    files = {"results.json": json_bytes(results),
             "losses.png": render_figure(loss_curves(histories, f"{game.name}: alpha={args.alpha}, {args.runs} runs"),
                                         "png", close=True)}
    write_together(out, files, owner, config, same_kind=True)
    if replaced is not None:
        print(f"sosverify: replaced {OWNERS[replaced[0]].format(replaced[1])} in {out} (give --out to keep both)",
              file=sys.stderr)
    if args.json:
        import json

        from sosverify.results import jsonable
        print(json.dumps(jsonable(results), indent=2))
    else:
        print(_table(game, entries))
        for name, e in entries.items():
            if "equilibria" in e:
                from sosverify.equilibria import describe_approached

                print(f"{name}: {describe_approached(e['equilibria'], e['equilibria'].get('solver'))}")
        print(f"wrote {out / 'results.json'} and {out / 'losses.png'}")
    return 0


def _label(name: str, params: dict) -> str:
    """A game as a run's manifest names it: its name, or a game of one's own by its players' losses."""
    specs = params.get("specs") if isinstance(params, dict) else None
    return f"{name} ({'; '.join(map(str, specs))})" if specs else name


def _held(out):
    """What wrote ``out``: its manifest's owner, else a run's results.json from before manifests, else None."""
    import json

    from sosverify.results import owner_of

    held = owner_of(out)
    if held is not None:
        return held
    try:
        config = json.loads((out / "results.json").read_text())["config"]
        return ("run", _label(config["game"], config.get("game_params"))) if config.get("command") == "run" else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _table(game, entries) -> str:
    scaled = game.report_scale != 1.0
    head = "final loss (reported)" if scaled else "final loss"
    rows = [f"{'algorithm':<10} {head:<{12 * game.n_players + 8}} {'diverged':>8} {'seconds':>8}"]
    for name, e in entries.items():
        means, stds = e["final_reported_loss_mean"], e["final_reported_loss_std"]
        cells = "  ".join("   n/a    " if m is None else f"{number(m)}±{number(s, 3)}" for m, s in zip(means, stds))
        rows.append(f"{name:<10} {cells:<{12 * game.n_players + 8}} {e['diverged']:>8} {e['seconds']:>8.2f}")
    return "\n".join(rows)


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("run", help="run learning rules on a game and write results.json and a figure")
    p.add_argument("game", nargs="?", help=f"built-in game: {', '.join(GAMES)}; or a Gambit FILE.nfg")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS",
                   help='a player of your own game, e.g. --player "x=(x+y)**2-2*x" (repeat per player); ' + LOSS_HELP)
    p.add_argument("--algo", nargs="+", required=True, metavar="NAME", help=f"one or more of: {', '.join(ALGORITHMS)}")
    p.add_argument("--alpha", type=of(ALPHA), required=True, help="learning rate (> 0)")
    p.add_argument("--steps", type=of(STEPS), default=STEPS.default,
                   help=f"updates of each run: {STEPS.allowed} (default %(default)s)")
    p.add_argument("--runs", type=of(RUNS), default=RUNS.default,
                   help=f"independent runs, batched: {RUNS.allowed} (default %(default)s)")
    p.add_argument("--seed", type=of(SEED), default=SEED.default,
                   help=f"seed of the random draws (the initial parameters, a game's data): {SEED.allowed} "
                        "(default %(default)s)")
    p.add_argument("--init-std", type=non_negative, default=None, help="std of the initial parameters (default: the game's)")
    add_setting_flags(p)
    p.add_argument("--out", default="sosverify-results", help="output directory (default: ./sosverify-results)")
    p.add_argument("--json", action="store_true", help="print the results JSON instead of the table")
    add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)
