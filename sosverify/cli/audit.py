"""``sosverify audit``: a learning rule checked against the paper's guarantees."""

from __future__ import annotations

import sys

from sosverify.algorithms import ALGORITHMS
from sosverify.cli.args import (
    add_setting_flags,
    check_files_writable,
    dest,
    of,
    timeout,
)
from sosverify.errors import SosverifyError
from sosverify.results import prepare_out_dir
from sosverify.settings import GAME_ALPHA, GAME_STEPS


def cmd_audit(args) -> int:
    """``sosverify audit RULE ...``: the paper's guarantees checked for each rule (see sosverify.audit)."""
    from sosverify.audit import (
        CALL_SECONDS,
        GAME_PROPERTIES,
        OBSERVED,
        PROPERTIES,
        audit,
        load_rule,
        render_markdown,
        write_reports,
    )

    targets = list(ALGORITHMS) if args.rules == ["all"] else list(dict.fromkeys(args.rules))
    valid = (*PROPERTIES, *GAME_PROPERTIES)
    properties = list(dict.fromkeys(args.check or (valid if args.game else PROPERTIES)))
    required = list(dict.fromkeys(args.require)) if args.require is not None else \
        [p for p in properties if p not in OBSERVED]
    for p in [*properties, *required]:
        if p not in valid:
            raise SosverifyError(f"unknown property {p!r}; valid: {', '.join(valid)}")
    missing = [p for p in required if p not in properties]
    if missing:
        raise SosverifyError(f"--require {', '.join(missing)}: not among the checked properties")
    observed = [p for p in required if p in OBSERVED]
    if observed:
        raise SosverifyError(f"{observed[0]} is observed behaviour, not a property that holds or fails; "
                             "it cannot be --require'd")
    game = _game(args, properties, GAME_PROPERTIES)
    rules = [load_rule(t) for t in targets]
    if args.symbolic not in (None, "builtin") and len(rules) > 1:
        raise SosverifyError("--symbolic MODULE:FUNCTION is the symbolic form of one rule; audit one rule with it")
    taken = {st.option for r in rules for st in r.settings}
    for option in _setting_options():
        if getattr(args, dest(option)) is not None and option not in taken:
            raise SosverifyError(f"{option} is not a setting of {', '.join(r.name for r in rules)}")
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["audit.md", "audit.json"])
    reports = []
    for rule in rules:
        mine = {st.name: getattr(args, dest(st.option), None) for st in rule.settings}
        show = (lambda f, r=rule.name: print(f"  {r}: {f.property} {f.status}", file=sys.stderr)) \
            if not args.quiet and sys.stderr.isatty() else None
        reports.append(audit(rule, properties=properties, profile=args.profile, hyper=mine, progress=show,
                             call_seconds=CALL_SECONDS if args.call_timeout is None else args.call_timeout,
                             property_seconds=args.property_timeout,
                             symbolic=args.symbolic, **game))
    write_reports(reports, out)
    print(render_markdown(reports))
    print(f"wrote {out / 'audit.md'} and {out / 'audit.json'}")
    return 0 if all(r.passed(required) for r in reports) else 1


def _game(args, properties, game_properties) -> dict:
    """``audit``'s game arguments from ``--game FILE.nfg`` (read here: a bad file is one line before any work)."""
    on_game = [p for p in properties if p in game_properties]
    if not args.game:
        flags = [f for f, v in (("--game-alpha", args.game_alpha), ("--game-steps", args.game_steps)) if v is not None]
        if flags or on_game:
            raise SosverifyError(f"{', '.join(flags + on_game)} need{'s' if len(flags + on_game) == 1 else ''} "
                                 "a game of yours: --game FILE.nfg")
        return {}
    if not on_game:
        raise SosverifyError(f"--game is audited by {' and '.join(game_properties)}: add one to --check, or drop --game")
    from sosverify.audit.own_game import load_game

    return {"game": load_game(args.game),
            "game_alpha": GAME_ALPHA.default if args.game_alpha is None else args.game_alpha,
            "game_steps": GAME_STEPS.default if args.game_steps is None else args.game_steps}


def _setting_options() -> list:
    from sosverify.algorithms import all_settings

    return list(all_settings())


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("audit", help="check a learning rule of your own against the paper's guarantees "
                       "(and on a normal-form game of yours: --game FILE.nfg)")
    p.add_argument("rules", nargs="+", metavar="RULE",
                   help="MODULE:FUNCTION (a rule with the built-in signature), a built-in name, or all")
    p.add_argument("--check", nargs="+", action="extend", metavar="PROPERTY",
                   help="properties to check (default: all): consistency, convergence, saddles, reduction, "
                        "alignment, paper-games; with --game also game-equilibria and game-runs")
    p.add_argument("--require", nargs="*", action="extend", metavar="PROPERTY",
                   help="exit 0 only if these hold (default: every checked property but the observed paper-games "
                        "and game-runs; --require with no property requires none)")
    p.add_argument("--game", metavar="FILE.nfg",
                   help="a normal-form game of yours (Gambit's format), audited in addition to the drawn games: "
                        "game-equilibria checks consistency and alignment at each of its interior Nash equilibria "
                        "(fixed points of xi in logit space), convergence at the stable ones, escape at the saddles, "
                        "and reduction at random logits (equilibria on the boundary lie at infinity: no local "
                        "property applies); game-runs observes which equilibria the rule's runs approach. "
                        "--check game-equilibria game-runs audits on your game alone")
    p.add_argument("--game-alpha", type=of(GAME_ALPHA), metavar="RATE",
                   help=f"game-runs: learning rate of the runs on --game (default {GAME_ALPHA.default_text})")
    p.add_argument("--game-steps", type=of(GAME_STEPS), metavar="STEPS",
                   help=f"game-runs: steps of each run on --game (default {GAME_STEPS.default_text}; runs: 20, 100 or 300 "
                        "by --profile)")
    p.add_argument("--symbolic", nargs="?", const="builtin", metavar="MODULE:FUNCTION",
                   help="the same rule as fn(SymGame, alpha) -> sympy.Matrix: consistency and reduction are "
                        "then also proved exactly on the drawn games (alone: the built-in forms of nl, la, lola, co)")
    p.add_argument("--call-timeout", type=timeout, default=None, metavar="SECONDS",
                   help="time limit of each call of the rule (default: sosverify.audit.CALL_SECONDS): a call that "
                        "runs longer makes the property inconclusive")
    p.add_argument("--property-timeout", type=timeout, default=None, metavar="SECONDS",
                   help="time limit of each property (default: 120, 300 or 1800 s by --profile)")
    p.add_argument("--profile", choices=("quick", "default", "long"), default="default",
                   help="games drawn per property: 8, 25 or 200 (default: default)")
    add_setting_flags(p, game_flags=False)
    p.add_argument("--out", default="sosverify-audit", help="report directory (default: ./sosverify-audit)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_audit)
