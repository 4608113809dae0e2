"""`sosverify verify`: run the claims, print a table, write report.md and report.json."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from sosverify.claims import get_claims
from sosverify.results import prepare_out_dir, save_figure, versions, write_atomic, write_json


def run_claims(ids=None, progress: bool = False, long: bool = False) -> list[dict]:
    """Check each claim (the long ones too with ``long``); a check that raises is a failure with the
    error as evidence."""
    from tqdm import tqdm

    results = []
    bar = tqdm(get_claims(ids, long=long), desc="claims", unit="claim", disable=not progress, leave=False, file=sys.stderr)
    for claim in bar:
        bar.set_postfix_str(claim.id)
        start = time.perf_counter()
        try:
            ev = claim.check()
            status = "pass" if ev.passed else "fail"
            items, figures = ev.items, ev.figures
        except Exception as exc:  # a broken check is a failed claim, reported with its error
            status = "fail"
            items = [{"what": "the check raised an error", "ok": False,
                      "value": "".join(traceback.format_exception_only(type(exc), exc)).strip()}]
            figures = []
        results.append({"id": claim.id, "claim": claim.statement, "section": claim.section, "method": claim.method,
                        "status": status, "seconds": time.perf_counter() - start, "evidence": items,
                        "figures": figures})
    return results


def table(results) -> str:
    rows = [f"{'id':<24} {'method':<17} {'result':<6} {'seconds':>7}  claim"]
    for r in results:
        rows.append(f"{r['id']:<24} {r['method']:<17} {r['status']:<6} {r['seconds']:>7.2f}  {r['claim']}")
    passed = sum(r["status"] == "pass" for r in results)
    rows.append(f"{passed}/{len(results)} claims pass")
    return "\n".join(rows)


def _markdown(results, skipped=()) -> str:
    lines = ["# sosverify report", "",
             "| id | claim | section | method | result | seconds |", "|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| [{r['id']}](#{r['id']}) | {r['claim']} | {r['section']} | {r['method']} | "
                     f"**{r['status']}** | {r['seconds']:.2f} |")
    passed = sum(r["status"] == "pass" for r in results)
    lines += ["", f"{passed}/{len(results)} claims pass."
              + (f" Not checked: {', '.join(skipped)} (long claims, minutes each: `sosverify verify --long`)."
                 if skipped else ""), ""]
    for r in results:
        lines += [f"## {r['id']}", "", f"*{r['claim']}* ({r['section']}; {r['method']}) — **{r['status']}**", ""]
        for item in r["evidence"]:
            mark = {True: "✔", False: "✘", None: "·"}[item["ok"]]
            value = f": {item['value']}" if item["value"] else ""
            lines.append(f"- {mark} {item['what']}{value}")
        for stem in r["figure_files"]:
            lines += ["", f"![{stem}]({stem})"]
        lines.append("")
    return "\n".join(lines)


def write_report(results, out, skipped=()) -> Path:
    """Write report.md (table first), report.json and the figures the claims made; ``skipped``: the
    long claims not checked (named in both)."""
    out = prepare_out_dir(out)
    for r in results:
        r["figure_files"] = []
        for stem, fig in r.pop("figures", []):
            name = f"{r['id']}-{stem}.png"
            save_figure(fig, out / name, close=True)
            r["figure_files"].append(name)
    write_atomic(out / "report.md", _markdown(results, skipped))
    write_json(out / "report.json", {"versions": versions(), "claims": results,
                                     "passed": sum(r["status"] == "pass" for r in results), "total": len(results),
                                     "not_checked": list(skipped)})
    return out
