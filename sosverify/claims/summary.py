"""The claims table, strength totals and errata, generated from the registry.

``python -m sosverify.claims.summary`` prints the block, between the markers ``<!-- claims:begin -->``
and ``<!-- claims:end -->``; the documentation site's claims page is written from it when the site is
built (``docs/_ext/generate.py``; ``tests/test_docs_pages.py`` checks the page holds it word for word),
so no copy can drift from the registry.  (:func:`readme_block` is named for the README, which held the
block before the site did.)
"""

from __future__ import annotations

from sosverify.claims.base import STRENGTHS, strength_class
from sosverify.claims.registry import get_claims

BEGIN, END = "<!-- claims:begin -->", "<!-- claims:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def readme_block() -> str:
    claims = [c for c in get_claims(long=True) if c.kind == "claim"]
    errata = [c for c in get_claims() if c.kind == "erratum"]
    lines = [BEGIN, "| id | section | claim | strength | planted twins |", "|---|---|---|---|---|"]
    for c in claims:
        long = " (`--long`)" if c.long else ""
        lines.append(f"| `{c.id}`{long} | {c.section} | {_cell(c.statement)} | {c.strength} | "
                     f"{', '.join(f'`{t.name}`' for t in c.twins)} |")
    counts: dict = {}
    for c in claims:
        counts[strength_class(c.strength)] = counts.get(strength_class(c.strength), 0) + 1
    lines += ["", f"Strength of the {len(claims)} claims: "
              + ", ".join(f"{counts[s]} {s}" for s in STRENGTHS if s in counts) + ".", "",
              f"Errata found by the machine ({len(errata)}; each re-checked on every run, `report.json` key `errata`):", ""]
    for c in errata:
        lines.append(f"- **{c.section}** (`{c.id}`): the paper says {_cell(c.statement.split(': ', 1)[-1])}. "
                     f"Corrected: {_cell(c.corrected)}")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_block())
