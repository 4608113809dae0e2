"""``sosverify games`` and ``sosverify algorithms``: what is built in."""

from __future__ import annotations

from sosverify.algorithms import ALGORITHMS
from sosverify.games import GAMES


def cmd_games(args) -> int:
    for name, make in GAMES.items():
        g = make()
        print(f"{name:<18} {g.description}")
    return 0


def cmd_algorithms(args) -> int:
    for name, a in ALGORITHMS.items():
        hp = ", ".join(f"{s.name}={s.default:g} ({s.allowed})" for s in a.settings)
        print(f"{name:<6} {a.description}" + (f"  [{hp}]" if hp else ""))
    return 0


def register(sub) -> None:
    """Add this module's subcommands to ``sub``."""
    p = sub.add_parser("games", help="list the built-in games")
    p.set_defaults(func=cmd_games)
    p = sub.add_parser("algorithms", help="list the learning rules")
    p.set_defaults(func=cmd_algorithms)
