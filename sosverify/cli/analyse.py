"""``sosverify analyse``: the symbolic analysis of a game given as expressions, or of a Gambit ``.nfg``
file with its Nash equilibria beside the fixed points."""

from __future__ import annotations

from sosverify.cli.args import (
    LOSS_HELP,
    bounded_int,
    box,
    rational_alpha,
    sympy_rational,
    timeout,
)


def cmd_analyse(args) -> int:
    import json

    from sosverify.errors import SosverifyError
    from sosverify.symbolic.analyse import analyse, render_text
    from sosverify.symbolic.game import SymGame

    settings = dict(box=args.box, timeout=args.timeout, alpha=args.numeric_alpha, starts=args.starts)
    if bool(args.game) == bool(args.player):
        raise SosverifyError("give a Gambit FILE.nfg or --player \"SYMBOLS=LOSS\" per player (one of the two)")
    if args.game:
        from sosverify.equilibria import analyse_normal_form, render_normal_form

        if not args.game.lower().endswith(".nfg"):
            raise SosverifyError(f"a game to analyse from a file is a Gambit FILE.nfg, got {args.game!r}; "
                                 "write any other game as --player expressions")

        result = analyse_normal_form(args.game, **settings)
        print(json.dumps(result, indent=2) if args.json else render_normal_form(result))
        return 0
    result = analyse(SymGame.from_specs(args.player), **settings)
    print(json.dumps(result, indent=2) if args.json else render_text(result))
    return 0


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("analyse", help="symbolic analysis of your own game (expressions or a Gambit .nfg file)")
    p.add_argument("game", nargs="?", metavar="FILE.nfg",
                   help="a normal-form game in Gambit's format: its Nash equilibria (Gambit) beside the fixed points")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS",
                   help='a player, e.g. --player "x=(x+y)**2-2*x" (repeat per player); ' + LOSS_HELP)
    p.add_argument("--box", type=box, default=(-10.0, 10.0), metavar="LO,HI",
                   help="box searched numerically for fixed points, the same for every parameter, e.g. --box -2,2 "
                        "(default: -10,10)")
    p.add_argument("--timeout", type=timeout, default=10.0, metavar="SECONDS",
                   help="time limit of each stage (exact solve, classification, numeric search; default 10)")
    p.add_argument("--starts", type=bounded_int(1, 100_000), default=100, help="numeric starts (default 100)")
    p.add_argument("--numeric-alpha", type=rational_alpha, default=sympy_rational("1/10"), metavar="ALPHA",
                   help="learning rate at which LOLA's fixed points are searched numerically (default 1/10)")
    p.add_argument("--json", action="store_true", help="print JSON (each answer with its status)")
    p.set_defaults(func=cmd_analyse)
