"""The ``sosverify`` command.

Every error from bad input is one line on stderr and exit status 2; no
traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

from sosverify.algorithms import ALGORITHMS, get_algorithm
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game

HYPER_FLAGS = {"a": "SOS's a", "b": "SOS's b", "gamma": "CO's gamma", "eps": "SGA's epsilon",
               "p": "p-LOLA's fixed p", "lam": "LSS's regulariser"}


def _game_from_args(args):
    from sosverify.expressions import game_from_specs

    if args.player:
        if args.game:
            raise SosverifyError("give either a built-in GAME or --player expressions, not both")
        return game_from_specs(args.player)
    if not args.game:
        raise SosverifyError(f"give a GAME ({', '.join(GAMES)}) or --player \"SYMBOLS=LOSS\" per player")
    params = {}
    if args.discount is not None:
        if args.game != "ipd":
            raise SosverifyError("--discount applies to the ipd game only")
        params["gamma"] = args.discount
    return get_game(args.game, **params)


def cmd_run(args) -> int:
    from sosverify.plotting import loss_curves
    from sosverify.results import prepare_out_dir, save_figure, versions, write_json
    from sosverify.runner import run, summarise

    game = _game_from_args(args)
    algos = [get_algorithm(name) for name in args.algo]
    hyper = {k: getattr(args, k) for k in HYPER_FLAGS}
    for k, v in hyper.items():
        if v is not None and not any(k in a.defaults for a in algos):
            raise SosverifyError(f"--{k} ({HYPER_FLAGS[k]}) is not used by {', '.join(a.name for a in algos)}")
    out = prepare_out_dir(args.out)
    histories, entries, seconds = {}, {}, {}
    for algo in algos:
        mine = {k: v for k, v in hyper.items() if k in algo.defaults}
        start = time.perf_counter()
        h = run(game, algo, alpha=args.alpha, steps=args.steps, runs=args.runs, seed=args.seed,
                init_std=args.init_std, progress=not args.quiet and sys.stderr.isatty(), **mine)
        seconds[algo.name] = time.perf_counter() - start
        histories[algo.name] = h
        entries[algo.name] = {**summarise(h), "seconds": seconds[algo.name]}
    config = {"command": "run", "game": game.name, "game_params": game.params, "algorithms": args.algo,
              "alpha": args.alpha, "steps": args.steps, "runs": args.runs, "seed": args.seed,
              "init_std": game.init_std if args.init_std is None else args.init_std,
              "hyperparameters": {a.name: entries[a.name]["hyperparameters"] for a in algos}}
    results = {"config": config, "versions": versions(), "algorithms": entries}
    write_json(out / "results.json", results)
    save_figure(loss_curves(histories, f"{game.name}: alpha={args.alpha}, {args.runs} runs"), out / "losses.png")
    if args.json:
        import json

        from sosverify.results import jsonable
        print(json.dumps(jsonable(results), indent=2))
    else:
        print(_table(game, entries))
        print(f"wrote {out / 'results.json'} and {out / 'losses.png'}")
    return 0


def _table(game, entries) -> str:
    scaled = game.report_scale != 1.0
    head = "final loss (reported)" if scaled else "final loss"
    rows = [f"{'algorithm':<10} {head:<{12 * game.n_players + 8}} {'diverged':>8} {'seconds':>8}"]
    for name, e in entries.items():
        means, stds = e["final_reported_loss_mean"], e["final_reported_loss_std"]
        cells = "  ".join("   n/a    " if m is None else f"{m:7.4f}±{s:.3f}" for m, s in zip(means, stds))
        rows.append(f"{name:<10} {cells:<{12 * game.n_players + 8}} {e['diverged']:>8} {e['seconds']:>8.2f}")
    return "\n".join(rows)


def cmd_games(args) -> int:
    for name, make in GAMES.items():
        g = make()
        print(f"{name:<18} {g.description}")
    return 0


def cmd_algorithms(args) -> int:
    for name, a in ALGORITHMS.items():
        hp = ", ".join(f"{k}={v}" for k, v in a.defaults.items())
        print(f"{name:<6} {a.description}" + (f"  [{hp}]" if hp else ""))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit 2."""

    def error(self, message):
        self.exit(2, f"sosverify: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sosverify", description="Check and reproduce 'Stable Opponent Shaping in "
                     "Differentiable Games' (ICLR 2019).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="run learning rules on a game and write results.json and a figure")
    p.add_argument("game", nargs="?", help=f"built-in game: {', '.join(GAMES)}")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS",
                   help='a player of your own game, e.g. --player "x=(x+y)**2-2*x" (repeat per player)')
    p.add_argument("--algo", nargs="+", required=True, metavar="NAME", help=f"one or more of: {', '.join(ALGORITHMS)}")
    p.add_argument("--alpha", type=_positive_float, required=True, help="learning rate (> 0)")
    p.add_argument("--steps", type=_positive_int, default=100)
    p.add_argument("--runs", type=_positive_int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init-std", type=float, default=None, help="std of the initial parameters (default: the game's)")
    for k, text in HYPER_FLAGS.items():
        p.add_argument(f"--{k}", type=float, default=None, help=text)
    p.add_argument("--discount", type=float, default=None, help="the IPD's discount (paper: gamma = 0.96)")
    p.add_argument("--out", default="sosverify-results", help="output directory (default: ./sosverify-results)")
    p.add_argument("--json", action="store_true", help="print the results JSON instead of the table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("games", help="list the built-in games")
    p.set_defaults(func=cmd_games)
    p = sub.add_parser("algorithms", help="list the learning rules")
    p.set_defaults(func=cmd_algorithms)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SosverifyError as exc:
        print(f"sosverify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sosverify: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
