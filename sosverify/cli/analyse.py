"""``sosverify analyse``: the symbolic analysis of a game given as expressions."""

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

    from sosverify.symbolic.analyse import analyse, render_text
    from sosverify.symbolic.game import SymGame

    result = analyse(SymGame.from_specs(args.player), box=args.box, timeout=args.timeout,
                     alpha=args.numeric_alpha, starts=args.starts)
    print(json.dumps(result, indent=2) if args.json else render_text(result))
    return 0


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("analyse", help="symbolic analysis of your own game")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS", required=True,
                   help='a player, e.g. --player "x=(x+y)**2-2*x" (repeat per player); ' + LOSS_HELP)
    p.add_argument("--box", type=box, default=(-10.0, 10.0), metavar="LO,HI",
                   help="box searched numerically for fixed points, the same for every parameter (default: -10,10)")
    p.add_argument("--timeout", type=timeout, default=10.0, metavar="SECONDS",
                   help="time limit of each stage (exact solve, classification, numeric search; default 10)")
    p.add_argument("--starts", type=bounded_int(1, 100_000), default=100, help="numeric starts (default 100)")
    p.add_argument("--numeric-alpha", type=rational_alpha, default=sympy_rational("1/10"), metavar="ALPHA",
                   help="learning rate at which LOLA's fixed points are searched numerically (default 1/10)")
    p.add_argument("--json", action="store_true", help="print JSON (each answer with its status)")
    p.set_defaults(func=cmd_analyse)
