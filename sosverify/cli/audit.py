"""``sosverify audit``: a learning rule checked against the paper's guarantees."""

from __future__ import annotations

import sys

from sosverify.algorithms import ALGORITHMS
from sosverify.cli.args import (
    add_setting_flags,
    check_files_writable,
    dest,
    timeout,
)
from sosverify.errors import SosverifyError
from sosverify.results import prepare_out_dir


def cmd_audit(args) -> int:
    """``sosverify audit RULE ...``: the paper's guarantees checked for each rule (see sosverify.audit)."""
    from sosverify.audit import CALL_SECONDS, PROPERTIES, audit, load_rule, render_markdown, write_reports

    targets = list(ALGORITHMS) if args.rules == ["all"] else list(dict.fromkeys(args.rules))
    properties = list(dict.fromkeys(args.check or PROPERTIES))
    required = list(dict.fromkeys(args.require)) if args.require is not None else \
        [p for p in properties if p != "paper-games"]
    for p in [*properties, *required]:
        if p not in PROPERTIES:
            raise SosverifyError(f"unknown property {p!r}; valid: {', '.join(PROPERTIES)}")
    missing = [p for p in required if p not in properties]
    if missing:
        raise SosverifyError(f"--require {', '.join(missing)}: not among the checked properties")
    if "paper-games" in required:
        raise SosverifyError("paper-games is observed behaviour, not a property that holds or fails; "
                             "it cannot be --require'd")
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
                             symbolic=args.symbolic))
    write_reports(reports, out)
    print(render_markdown(reports))
    print(f"wrote {out / 'audit.md'} and {out / 'audit.json'}")
    return 0 if all(r.passed(required) for r in reports) else 1


def _setting_options() -> list:
    from sosverify.algorithms import all_settings

    return list(all_settings())


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("audit", help="check a learning rule of your own against the paper's guarantees")
    p.add_argument("rules", nargs="+", metavar="RULE",
                   help="MODULE:FUNCTION (a rule with the built-in signature), a built-in name, or all")
    p.add_argument("--check", nargs="+", action="extend", metavar="PROPERTY",
                   help="properties to check (default: all): consistency, convergence, saddles, reduction, "
                        "alignment, paper-games")
    p.add_argument("--require", nargs="*", action="extend", metavar="PROPERTY",
                   help="exit 0 only if these hold (default: every checked property but paper-games; "
                        "--require with no property requires none)")
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
