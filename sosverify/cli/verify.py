"""``sosverify verify``: every claim of the paper, with its planted twins; report.md and report.json."""

from __future__ import annotations

import sys

from sosverify.cli.args import (
    add_backend,
    check_files_writable,
)
from sosverify.errors import SosverifyError
from sosverify.results import prepare_out_dir


def cmd_verify(args) -> int:
    from sosverify.claims import CLAIMS, get_claims
    from sosverify.claims.inventory import inventory
    from sosverify.claims.inventory import render as render_inventory
    from sosverify.verify import ok, run_claims, table, write_report

    if args.list:
        for c in get_claims(long=True):
            kind = " [erratum]" if c.kind == "erratum" else ""
            print(f"{c.id:<27} {c.method:<17} {c.section:<14} {c.statement}{kind}" + (" [long: --long]" if c.long else ""))
        return 0
    if args.only:
        args.only = list(dict.fromkeys(args.only))  # each claim is checked once
    get_claims(args.only)  # unknown ids fail before any work
    if args.inventory:
        if args.only:
            raise SosverifyError("--inventory lists the whole paper; it takes no --only")
        print(render_inventory(inventory(CLAIMS)))
        return 0
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["report.md", "report.json"])
    results = run_claims(args.only, progress=not args.quiet and sys.stderr.isatty(), long=args.long,
                         twins=not args.no_twins)
    skipped = [c.id for c in get_claims(long=True) if c.long] if not (args.only or args.long) else []
    write_report(results, out, skipped, inventory(CLAIMS) if not args.only else ())
    print(table(results))
    if skipped:
        print(f"not checked (minutes each; sosverify verify --long): {', '.join(skipped)}")
    print(f"wrote {out / 'report.md'} and {out / 'report.json'}")
    return 0 if ok(results) else 1


def register(sub) -> None:
    """Add this module's subcommand to ``sub``."""
    p = sub.add_parser("verify", help="check every claim of the paper; write report.md and report.json")
    p.add_argument("--only", nargs="+", metavar="ID", help="check only these claims")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--long", action="store_true", help="also check the long claims (minutes each; see --list)")
    p.add_argument("--inventory", action="store_true",
                   help="print the inventory of the paper's checkable statements (claims, strength or why not checked) and exit")
    p.add_argument("--no-twins", action="store_true",
                   help="skip re-checking each claim with its planted twins (wrong rules it must fail on)")
    p.add_argument("--out", default="sosverify-report", help="report directory (default: ./sosverify-report)")
    add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_verify)
