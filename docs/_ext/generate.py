"""Sphinx extension: pages generated from the project itself when the site is built.

- ``_generated/claims.md``: the claims table with strengths and planted twins, the strength totals and
  the errata (:func:`sosverify.claims.summary.readme_block`, the block the README held once), then the
  paper's inventory with its totals (:func:`sosverify.claims.inventory.inventory`), all from the registry;
- ``_generated/gallery.md``: every figure in ``figures/`` with its caption from :data:`CAPTIONS`.

Nothing here runs a claim: the tables describe the registry; ``sosverify verify`` checks it.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[1]

#: figure file → caption (a figure without one is still shown, under its file name).
CAPTIONS = {
    "figure2a_policies.png": "IPD (Figure 2a): the learned policies' probabilities of cooperating, per rule.",
    "figure2b_losses.png": "IPD (Figure 2b): average loss (1 − γ)L over the runs; SOS and LOLA near 1, the others near 2.",
    "figure3_tandem.png": "Tandem (Figure 3): SOS's average loss goes to 0, LOLA's to 4/9.",
    "pennies.png": "Matching pennies: every rule from the same random starts.",
    "gmm_paper_nl_sos_co.png": "GAN at the paper's size, NL, SOS and CO to 2000 iterations (docs/gmm.md).",
    "gmm_paper_8k_nl_sos_la.png": "GAN at the paper's size to 8000 iterations: NL, SOS and LA samples.",
    "gmm_paper_8k_xi_norm.png": "GAN at the paper's size: ‖ξ‖ over 8000 iterations (Figure 7's measure).",
    "gmm_paper_12k_xi_norm.png": "GAN at the paper's size: ‖ξ‖ to 12000 iterations.",
    "gmm_small_seed0.png": "Small GAN, seed 0: samples at 1k–4k iterations.",
    "gmm_small_seed1.png": "Small GAN, seed 1: samples at 1k–4k iterations.",
}


def claims_page() -> str:
    from sosverify.claims.inventory import inventory, totals
    from sosverify.claims.registry import CLAIMS
    from sosverify.claims.summary import BEGIN, END, readme_block

    block = readme_block().replace(BEGIN + "\n", "").replace("\n" + END, "")
    lines = ["# Claims, inventory and strengths", "",
             "Generated from the claims registry (`sosverify/claims/`) when this site was built. "
             "`sosverify verify` checks every claim and plants each twin (a plausible wrong rule) to see the check "
             "fail; see the tutorial *The paper in one command*.", "", "## The claims", "", block, "",
             "## Inventory of the paper", "",
             "Every statement of the paper, the claims that check it, and its strength (the weakest of its claims').",
             "", "| location | statement | claims | strength |", "|---|---|---|---|"]
    rows = inventory(CLAIMS)
    for row in rows:
        where = ", ".join(f"`{c}`" for c in row["claims"]) or f"not checked: {row['not_checked']}"
        lines.append(f"| {row['location']} | {row['statement'].replace('|', '/')} | {where.replace('|', '/')} | "
                     f"{row['strength']} |")
    lines += ["", f"**Totals:** {totals(rows)}.", ""]
    return "\n".join(lines)


def gallery_page() -> str:
    lines = ["# Gallery: the experiments' figures", "",
             "The figures in `docs/figures`, as the reproductions wrote them (`sosverify reproduce ...`); the GAN's "
             "runs are described in [the GAN page](../gmm.md).", ""]
    for path in sorted((DOCS / "figures").glob("*.png"), key=lambda p: (not p.name.startswith("gmm"), p.name)):
        caption = CAPTIONS.get(path.name, path.name)
        lines += [f"```{{figure}} ../figures/{path.name}", ":width: 90%", f":alt: {caption}", "", caption, "```", ""]
    return "\n".join(lines)


def write_pages(app=None) -> None:
    out = DOCS / "_generated"
    out.mkdir(exist_ok=True)
    for name, text in (("claims.md", claims_page()), ("gallery.md", gallery_page())):
        path = out / name
        if not path.exists() or path.read_text() != text:  # unchanged pages keep their time stamp
            path.write_text(text)


def setup(app):
    app.connect("builder-inited", write_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
