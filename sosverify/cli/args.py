"""Argument types, the rules' and games' setting flags, and checks shared by the commands.

Each type turns a bad value into one line (argparse's error, exit 2).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from sosverify._functions import function_list
from sosverify.errors import SosverifyError

LOSS_HELP = ("a loss may use numbers, the players' symbols, + - * / **, parentheses, the constants pi and E, "
             f"and the functions {function_list()} (anything else is refused; nothing in a loss is executed)")


MINIBATCH_HELP = ("real minibatches: random (each point's mode drawn uniformly; default) or tiled (the 16 centres "
                  "tiled through the batch, 16 points per mode at batch 256, as the cited notebook)")


def shaping_help(how: str) -> str:
    from sosverify.gan.train import SHAPING_ALPHA as S
    from sosverify.gan.train import SHAPING_ALPHA_HELP

    return f"{SHAPING_ALPHA_HELP}: {S.allowed} (default {S.default_text}); {how}".replace("%", "%%")


def shaping_value(text: str):
    from sosverify.gan.train import SHAPING_ALPHA

    return of(SHAPING_ALPHA)(text)


def of(setting):
    """An argparse type from a declared :class:`~sosverify.settings.Setting`: its own ``parse``, its
    error as argparse's one line (the same check as the API's)."""
    def parse(text: str):
        try:
            return setting.parse(text)
        except SosverifyError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    parse.__name__ = setting.name  # argparse names the type in some messages
    return parse


def dest(option: str) -> str:
    return option[2:].replace("-", "_")


def add_setting_flags(parser, experiments: dict | None = None, game_flags: bool = True) -> None:
    """One flag per declared setting of the rules and of the games, help text from the declaration.

    ``experiments``: ``{name: {setting: default}}``, experiments' own defaults, named too.
    """
    from sosverify.algorithms import all_settings
    from sosverify.games import GAME_SETTINGS

    for option, owners in all_settings().items():
        text = "; ".join(f"{s.help}, {s.allowed} (default {s.default:g}" + "".join(
            f", {e}: {mine[s.name]:g}" for e, mine in (experiments or {}).items()
            if s.name in mine) + ")" for _, s in owners)
        parser.add_argument(option, type=finite, default=None, help=text)
    for game, settings in (GAME_SETTINGS.items() if game_flags else ()):
        for s in settings:
            parser.add_argument(s.option, type=finite, default=None,
                                help=f"{s.help}, {s.allowed} (default {s.default:g}; the {game} game only)")


def rule_settings(args, algos) -> dict:
    """The rules' settings given on the command line, ``{name: value}``; a flag no chosen rule takes is refused."""
    from sosverify.algorithms import all_settings

    given = {}
    for option, owners in all_settings().items():
        value = getattr(args, dest(option))
        if value is None:
            continue
        mine = [(a, s) for a, s in owners if a in algos]
        if not mine:
            users = ", ".join(a for a, _ in owners)
            raise SosverifyError(f"{option} ({owners[0][1].help}) is not used by {', '.join(algos)}; "
                                 f"it applies to: {users}")
        for _, s in mine:
            given[s.name] = s.check(value)
    return given


def game_settings(args, game: str | None, what: str = "game") -> dict:
    """The game's settings given on the command line (``--discount`` → ``gamma``), checked."""
    from sosverify.games import GAME_SETTINGS

    given = {}
    for name, settings in GAME_SETTINGS.items():
        for s in settings:
            value = getattr(args, dest(s.option))
            if value is None:
                continue
            if name != game:
                raise SosverifyError(f"{s.option} ({s.help}) applies to the {name} {what} only")
            given[s.name] = s.check(value)
    return given


RESULT_SUFFIXES = (".json", ".csv", ".png", ".pdf", ".md")


def check_files_writable(out: Path, names, figures: bool = False) -> None:
    """Refuse before any work if a results file to be written is a directory: one of ``names``, and
    with ``figures`` (reproductions, whose figures are named by the experiment) any directory in
    ``out`` named like a results file."""
    from sosverify.results import path_error

    named = [out / name for name in names]
    try:
        if figures and out.is_dir():
            named += sorted(p for p in out.iterdir() if p.suffix in RESULT_SUFFIXES)
        for path in named:
            if path.is_dir():
                raise SosverifyError(f"{path} is a directory; sosverify writes a file there: remove it "
                                     "or choose another --out")
    except OSError as exc:
        raise path_error(out, exc) from None


def finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def non_negative(text: str) -> float:
    value = finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def box(text: str) -> tuple:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"must be LO,HI (e.g. -10,10), got {text!r}")
    lo, hi = (finite(p) for p in parts)
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"must have LO < HI, got {text!r}")
    if not math.isfinite(hi - lo):
        raise argparse.ArgumentTypeError(f"must have a finite width HI - LO, got {text!r}")
    return lo, hi


def timeout(text: str) -> float:
    value = finite(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 3600], got {text}")
    return value


def bounded_int(lo: int, hi: int):
    allowed = f"a positive integer no larger than {hi}" if lo == 1 else f"an integer from {lo} to {hi}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]!r}") from None
        if not lo <= value <= hi:
            shown = str(value) if len(str(value)) <= 40 else f"an integer of {len(str(value))} digits"
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {shown}")
        return value
    return parse


def sympy_rational(text: str):
    from fractions import Fraction

    import sympy

    f = Fraction(text)
    return sympy.Rational(f.numerator, f.denominator)


def rational_alpha(text: str):
    import re

    exponent = re.search(r"[eE]\s*([+-]?\d+)", text)
    if len(text) > 40 or (exponent and abs(int(exponent.group(1)[:6])) > 300):
        # checked first: Fraction("1e-999999999") would build 10**999999999 before any other check
        raise argparse.ArgumentTypeError("must be a positive number between 1e-300 and 1e300 such as 0.1 or 1/10, "
                                         f"got {text[:40]!r}")
    try:
        value = sympy_rational(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"must be a positive number such as 0.1 or 1/10, got {text!r}") from None
    if not value > 0 or len(text) > 40:
        raise argparse.ArgumentTypeError(f"must be a positive number such as 0.1 or 1/10, got {text!r}")
    return value


def add_backend(p) -> None:
    from sosverify.backends import BACKENDS

    p.add_argument("--backend", type=str.lower, choices=tuple(BACKENDS), default=None,
                   help="differentiation backend: autograd (the reference, default) or jax (compiled; "
                        'pip install "sosverify[jax]"); default: $SOSVERIFY_BACKEND or autograd')


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit 2, and an argument that starts with
    a minus and a digit is a value, not an option: ``--box -2,2``, ``--alpha -1e-3`` (refused by its
    check, which says what is allowed), as Python 3.13's argparse reads them; before, only ``-2`` and
    ``-2.5`` were, and ``--box -2,2`` failed with 'expected one argument'.  No option of sosverify's
    starts with a digit."""

    def __init__(self, *args, **kwargs):
        import re

        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message):
        self.exit(2, f"sosverify: error: {message}\n")
