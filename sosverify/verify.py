"""`sosverify verify`: run the claims and their planted twins, print a table, write report.md and report.json.

Each claim is checked as the project stands (``pass`` or ``fail``; an erratum whose counterexample is
confirmed is ``erratum``), then once per planted twin (a plausible wrong rule planted for the duration
of that check): a twin is ``caught`` when the check fails on it, ``missed`` when it still passes — a
claim that misses a twin cannot tell the right rule from that wrong one.
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

from sosverify.claims import get_claims
from sosverify.claims.base import STRENGTHS, strength_class
from sosverify.results import prepare_out_dir, save_figure, versions, write_atomic, write_json


def _run_check(claim):
    """``(passed, evidence)`` of one check; one that raises has failed, with the error as its evidence."""
    from sosverify.claims.base import FirstFailure

    try:
        ev = claim.check()
        return ev.passed, ev
    except FirstFailure as stop:  # inside fail_fast: the first failed item ends the check
        return False, stop.evidence
    except Exception as exc:  # a broken check is a failed claim, reported with its error
        from sosverify.claims.base import Evidence

        ev = Evidence()  # the item is added as is: expect() would stop again inside fail_fast
        ev.items.append({"what": "the check raised an error", "ok": False,
                         "value": "".join(traceback.format_exception_only(type(exc), exc)).strip()})
        return False, ev


def run_twins(claim) -> list[dict]:
    """Check ``claim`` once with each of its twins planted: ``caught`` (the check failed) or ``missed``."""
    import warnings

    import matplotlib.pyplot as plt
    import numpy

    from sosverify.claims.base import fail_fast

    out = []
    for twin in claim.twins:
        start = time.perf_counter()
        # a wrong rule may overflow or divide by zero: its warnings are part of being wrong, not news
        with twin.planted(), fail_fast(), numpy.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            passed, ev = _run_check(claim)
        for _, fig in ev.figures:
            plt.close(fig)
        failed = [i["what"] for i in ev.items if i["ok"] is False]
        out.append({"twin": twin.name, "description": twin.description, "result": "missed" if passed else "caught",
                    "failed": failed[:3], "seconds": time.perf_counter() - start})
    return out


def run_claims(ids=None, progress: bool = False, long: bool = False, twins: bool = True) -> list[dict]:
    """Check each claim (the long ones too with ``long``) and, with ``twins``, each of its planted twins."""
    from tqdm import tqdm

    results = []
    bar = tqdm(get_claims(ids, long=long), desc="claims", unit="claim", disable=not progress, leave=False, file=sys.stderr)
    for claim in bar:
        bar.set_postfix_str(claim.id)
        start = time.perf_counter()
        passed, ev = _run_check(claim)
        if claim.kind == "erratum":
            status = "erratum" if passed else "fail"
        else:
            status = "pass" if passed else "fail"
        seconds = time.perf_counter() - start
        result = {"id": claim.id, "kind": claim.kind, "claim": claim.statement, "section": claim.section,
                  "method": claim.method, "strength": claim.strength, "status": status, "seconds": seconds,
                  "evidence": ev.items, "figures": ev.figures}
        if claim.kind == "erratum":
            result.update(counterexample=ev.counterexample, corrected=claim.corrected)
        if twins:
            result["twins"] = run_twins(claim)
            if not claim.twins:
                result["why_no_twin"] = claim.why_no_twin
        results.append(result)
    return results


def ok(results) -> bool:
    """Every claim passes, every erratum is confirmed, and no check missed a twin."""
    return all(r["status"] in ("pass", "erratum") for r in results) and not missed(results)


def missed(results) -> list[str]:
    return [f"{r['id']} × {t['twin']}" for r in results for t in r.get("twins", ()) if t["result"] == "missed"]


def strength_totals(results) -> str:
    counts: dict = {}
    for r in results:
        if r["kind"] == "claim":
            counts[strength_class(r["strength"])] = counts.get(strength_class(r["strength"]), 0) + 1
    return "strength of the claims: " + ", ".join(f"{counts[s]} {s}" for s in STRENGTHS if s in counts)


def table(results) -> str:
    rows = [f"{'id':<27} {'strength':<19} {'result':<7} {'twins':>6} {'seconds':>7}  claim"]
    for r in results:
        tw = r.get("twins")
        caught = f"{sum(t['result'] == 'caught' for t in tw)}/{len(tw)}" if tw else ("–" if tw is not None else "")
        rows.append(f"{r['id']:<27} {strength_class(r['strength']):<19} {r['status']:<7} {caught:>6} "
                    f"{r['seconds']:>7.2f}  {r['claim']}")
    claims = [r for r in results if r["kind"] == "claim"]
    errata = [r for r in results if r["kind"] == "erratum"]
    passed = sum(r["status"] == "pass" for r in claims)
    line = f"{passed}/{len(claims)} claims pass"
    if errata:
        line += f"; {sum(r['status'] == 'erratum' for r in errata)}/{len(errata)} errata confirmed"
    if any("twins" in r for r in results):
        all_twins = [t for r in results for t in r.get("twins", ())]
        line += f"; {sum(t['result'] == 'caught' for t in all_twins)}/{len(all_twins)} planted twins caught"
    rows.append(line)
    rows.append(strength_totals(results))
    for m in missed(results):
        rows.append(f"MISSED: {m} (the claim passes on this wrong rule)")
    return "\n".join(rows)


def _twin_table(results) -> list[str]:
    names = list(dict.fromkeys(t["twin"] for r in results for t in r.get("twins", ())))
    if not names:
        return []
    from sosverify.claims.twins import TWINS

    lines = ["## Planted twins", "",
             "Each claim is checked again with a plausible wrong rule planted (✘ = the check failed on it: caught; "
             "**missed** = it passed, a defect of the claim).", ""]
    lines += [f"- `{n}`: {TWINS[n].description}" for n in names]
    lines += ["", "| claim | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---|" * len(names)]
    for r in results:
        got = {t["twin"]: t["result"] for t in r.get("twins", ())}
        if not got:
            continue
        cells = ["✘" if got.get(n) == "caught" else ("**missed**" if got.get(n) == "missed" else "") for n in names]
        lines.append(f"| {r['id']} | " + " | ".join(cells) + " |")
    without = [r for r in results if "twins" in r and not r["twins"]]
    if without:
        lines += ["", "Without a twin: " + "; ".join(f"{r['id']} ({r.get('why_no_twin', '')})" for r in without)]
    return lines + [""]


def _markdown(results, skipped=(), inventory_rows=()) -> str:
    lines = ["# sosverify report", "",
             "| id | claim | section | strength | result | twins caught | seconds |", "|---|---|---|---|---|---|---|"]
    for r in results:
        tw = r.get("twins")
        caught = f"{sum(t['result'] == 'caught' for t in tw)}/{len(tw)}" if tw else "–"
        lines.append(f"| [{r['id']}](#{r['id']}) | {r['claim']} | {r['section']} | {r['strength']} | "
                     f"**{r['status']}** | {caught} | {r['seconds']:.2f} |")
    claims = [r for r in results if r["kind"] == "claim"]
    errata = [r for r in results if r["kind"] == "erratum"]
    passed = sum(r["status"] == "pass" for r in claims)
    lines += ["", f"{passed}/{len(claims)} claims pass; {strength_totals(results)}."
              + (f" Not checked: {', '.join(skipped)} (long claims, minutes each: `sosverify verify --long`)."
                 if skipped else ""), ""]
    if errata:
        lines += ["## Errata", "", "Statements of the paper shown false, each with an exact counterexample "
                  "(re-checked by every run).", "",
                  "| location | statement | counterexample | corrected | result |", "|---|---|---|---|---|"]
        for r in errata:
            lines.append(f"| {r['section']} | {r['claim']} | {r.get('counterexample', '')} | {r.get('corrected', '')} | "
                         f"**{r['status']}** |")
        lines.append("")
    lines += _twin_table(results)
    if inventory_rows:
        from sosverify.claims.inventory import totals

        lines += ["## Inventory of the paper", "", "| location | statement | claims | strength |", "|---|---|---|---|"]
        for row in inventory_rows:
            where = ", ".join(f"[{c}](#{c})" for c in row["claims"]) or f"not checked: {row['not_checked']}"
            lines.append(f"| {row['location']} | {row['statement']} | {where} | {row['strength']} |")
        lines += ["", totals(inventory_rows) + ".", ""]
    for r in results:
        lines += [f"## {r['id']}", "", f"*{r['claim']}* ({r['section']}; {r['method']}; {r['strength']}) — "
                  f"**{r['status']}**", ""]
        if r["kind"] == "erratum":
            lines += [f"Counterexample: {r.get('counterexample', '')}", "", f"Corrected: {r.get('corrected', '')}", ""]
        for item in r["evidence"]:
            mark = {True: "✔", False: "✘", None: "·"}[item["ok"]]
            value = f": {item['value']}" if item["value"] else ""
            lines.append(f"- {mark} {item['what']}{value}")
        for stem in r["figure_files"]:
            lines += ["", f"![{stem}]({stem})"]
        lines.append("")
    return "\n".join(lines)


def write_report(results, out, skipped=(), inventory_rows=()) -> Path:
    """Write report.md (table first), report.json and the figures the claims made; ``skipped``: the
    long claims not checked (named in both); ``inventory_rows``: the paper's inventory."""
    out = prepare_out_dir(out)
    for r in results:
        r["figure_files"] = []
        for stem, fig in r.pop("figures", []):
            name = f"{r['id']}-{stem}.png"
            save_figure(fig, out / name, close=True)
            r["figure_files"].append(name)
    write_atomic(out / "report.md", _markdown(results, skipped, inventory_rows))
    claims = [r for r in results if r["kind"] == "claim"]
    errata = [{"id": r["id"], "location": r["section"], "statement": r["claim"], "counterexample": r["counterexample"],
               "corrected": r["corrected"], "typo": "(typo)" in r["claim"], "status": r["status"]}
              for r in results if r["kind"] == "erratum"]
    counts: dict = {}
    for r in claims:
        counts[strength_class(r["strength"])] = counts.get(strength_class(r["strength"]), 0) + 1
    write_json(out / "report.json", {"versions": versions(), "claims": results,
                                     "passed": sum(r["status"] == "pass" for r in claims), "total": len(claims),
                                     "strength_totals": counts, "errata": errata,
                                     "twins_missed": missed(results), "inventory": list(inventory_rows),
                                     "not_checked": list(skipped)})
    return out
