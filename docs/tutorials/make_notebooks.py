"""Write the tutorial notebooks (no outputs: the site's build executes them).

    python docs/tutorials/make_notebooks.py

The notebooks are the source; this script is how they were first written and is kept so that their
cells can be reviewed as plain Python. Edit either, then re-run the build.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

YOUR_GAME = [
    new_markdown_cell("""# Your game in ten lines

A game is its players' losses. Write them as SymPy expressions (or strings), say which symbols each
player controls, and sosverify gives you $\\xi$, $H$ and $\\chi$ exactly, the fixed points with their
class, and batched runs of every learning rule. Here: the tandem game of the paper (Example 2),
$L^1 = (x+y)^2 - 2x$, $L^2 = (x+y)^2 - 2y$."""),
    new_code_cell("""import numpy
import matplotlib.pyplot as plt
from sosverify.symbolic.game import SymGame
from sosverify.symbolic.analyse import analyse, render_text
from sosverify.runner import run

sym = SymGame(["(x+y)**2 - 2*x", "(x+y)**2 - 2*y"], [["x"], ["y"]], name="tandem")
sym"""),
    new_markdown_cell("""`analyse` solves $\\xi = 0$ exactly where it can, classifies each fixed point by $H$ (stable when
its symmetric part is positive semi-definite) and gives the $\\alpha$ for which LA and SOS converge locally;
it also finds LOLA's fixed points, which are not the game's (Appendix C)."""),
    new_code_cell("""result = analyse(sym, timeout=10)
print(render_text(result))"""),
    new_markdown_cell("""The same game for the numeric layer, and 20 runs of SOS and LOLA from the same random starts.
SOS lands on the stable line $x + y = 1$; LOLA on its own line $x + y = (1-2\\alpha)/(1-4\\alpha) = 4/3$."""),
    new_code_cell("""game = sym.numeric()
fig, ax = plt.subplots(figsize=(5, 3))
for rule, hyper in (("sos", {"a": 0.5, "b": 0.5}), ("lola", {})):
    h = run(game, rule, alpha=0.1, steps=200, runs=20, seed=0, **hyper)
    s = h.params[:, :, 0] + h.params[:, :, 1]
    ax.plot(s.mean(axis=1), label=f"{rule.upper()}: final x + y = {s[-1].mean():.4f}")
ax.set_xlabel("step"); ax.set_ylabel("mean x + y"); ax.legend(); fig.tight_layout()"""),
    new_markdown_cell("""## A game from a Gambit file

A normal-form game read from Gambit's `.nfg` format becomes a game over softmax logits (the last logit
of each player is fixed at 0). Here McKelvey and McLennan's three-player example from Gambit's example
games. Gambit lists its Nash equilibria; each interior one is a fixed point of $\\xi$ and gets its class,
the others lie at infinity in logit space."""),
    new_code_cell("""from pathlib import Path
from sosverify.games.normal_form import read_nfg
from sosverify.equilibria import equilibria, approached

root = Path.cwd()
while not (root / "experiments").is_dir():   # the repository, wherever the notebook runs
    root = root.parent
nf = read_nfg(root / "experiments" / "games" / "2x2x2.nfg")
found = equilibria(nf)
print(found.table())"""),
    new_code_cell("""h = run(nf.game(), "sos", alpha=0.5, steps=600, runs=50, seed=0, params_every=10)
outcome = approached(h, found)
print("runs per equilibrium:", outcome["counts"], "| none:", outcome["none"], "| diverged:", outcome["diverged"])"""),
]

AUDIT = [
    new_markdown_cell("""# Audit your own learning rule

A learning rule is one pure function `(game, theta, *, alpha, **hyper) -> Direction`, built from the
shared pieces in `sosverify.derivatives` (each a Hessian-vector product: no dense $H$). Here LookAhead
with half of its look-ahead, $(I - \\tfrac12 \\alpha H_o)\\xi$, and a deliberately broken rule that adds a
constant push."""),
    new_code_cell("""from sosverify import derivatives as D
from sosverify.algorithms import Algorithm, Direction
from sosverify.audit import audit

def half_lookahead(game, theta, *, alpha):
    \"\"\"(I − ½αH_o)ξ.\"\"\"
    s = D.second_order(game, theta, ("H_o_xi",))
    f = s.first
    return Direction(f.xi - 0.5 * alpha * s.H_o_xi, f.losses, f.xi, {})

def pushy(game, theta, *, alpha):
    \"\"\"ξ + 0.01: moves off every fixed point.\"\"\"
    f = D.first_order(game, theta)
    return Direction(f.xi + 0.01, f.losses, f.xi, {})"""),
    new_markdown_cell("""`audit` checks the paper's guarantees for LA and SOS on games drawn as coefficients (a failure
shrinks to a small game printed as expressions): `consistency` (the direction is 0 at every fixed point),
`reduction` (at $\\alpha = 0$ the rule is naive learning) and `convergence` (the update map contracts at
stable fixed points for some $\\alpha$)."""),
    new_code_cell("""def show(report):
    for f in report.findings:
        print(f"{report.rule:8} {f.property:12} {f.status:6} {f.summary}")
        if f.counterexample:
            print(f"{'':28}counterexample: {f.counterexample}")

show(audit(Algorithm("half-la", half_lookahead), properties=["consistency", "reduction", "convergence"],
           profile="quick"))
show(audit(Algorithm("pushy", pushy), properties=["consistency"], profile="quick"))"""),
    new_markdown_cell("""Half a look-ahead keeps every fixed point and is naive learning at $\\alpha = 0$, but it fails to
converge on the cyclic game $L^1 = xy$, $L^2 = -xy$: there $H_o H = H^2 = -I$, so its map is
$I - \\alpha H - \\tfrac12 \\alpha^2 I$, with eigenvalues of modulus$^2$ $1 + \\alpha^4/4 > 1$, while LookAhead's
$I - \\alpha H - \\alpha^2 I$ has $1 - \\alpha^2 + \\alpha^4 < 1$. The full look-ahead is what Theorem 2 needs.
The constant push is caught at once: it moves off every fixed point."""),
    new_markdown_cell("""The same on the command line, for a rule in a file `myrules.py`:
`sosverify audit myrules:half_lookahead`. It writes `audit.md` and `audit.json` and exits with 0 only
when every required property holds."""),
]

PAPER = [
    new_markdown_cell("""# The paper in one command

`sosverify verify` checks every claim of the paper (SPEC §4), each with its evidence, and plants a
*twin* for each — a plausible wrong rule — to see the check fail on it. The whole run takes about a
minute; here three claims, with their twins, to keep this page quick:

```bash
sosverify verify --only ex1-nl-diverges ex2-tandem sec31-la-preserves-fp --out report
```"""),
    new_code_cell("""import tempfile
from pathlib import Path
from sosverify.cli import main

out = Path(tempfile.mkdtemp()) / "report"
status = main(["verify", "--only", "ex1-nl-diverges", "ex2-tandem", "sec31-la-preserves-fp", "--out", str(out)])
print("exit status", status)"""),
    new_markdown_cell("""The report is Markdown: the table first, then each claim's evidence (expressions, numbers and
figures)."""),
    new_code_cell("""import re
from IPython.display import Markdown
text = re.sub(r"\\[([^]]+)\\]\\(#[^)]*\\)", r"\\1", (out / "report.md").read_text())  # in-report links: plain ids
claims_table = text.split("## Planted twins")[0].replace("# sosverify report", "")
evidence = text[text.index("## ex1-nl-diverges"):text.index("## sec31-la-preserves-fp")].replace("## ", "#### ")
Markdown(claims_table + evidence)"""),
    new_markdown_cell("""`report.json` holds the same, for machines: per claim its status, strength, evidence and every
twin's result, with the versions of everything that ran."""),
    new_code_cell("""import json
data = json.loads((out / "report.json").read_text())
[(c["id"], c["status"], [t["result"] for t in c["twins"]]) for c in data["claims"]]"""),
]


def write(name, cells):
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nbformat.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    write("your_game", YOUR_GAME)
    write("audit_rule", AUDIT)
    write("paper", PAPER)
