"""Tabulate a GAN learning-rate sweep: KL, modes covered and high-quality share at each evaluation.

    python experiments/gmm_grid_table.py OUT        # OUT: the --out of `sosverify sweep gmm ...`

Prints one Markdown row per (algorithm, rate, seed), then each algorithm's rate with the lowest KL at
the last evaluation (mean over seeds; diverged trainings never win), as `sosverify reproduce gmm
--grid` chooses.  Reads every finished task in OUT/tasks.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from sosverify.sweep import collect


def rows(out) -> list[dict]:
    """One dict per finished GAN task: algorithm, rate, seed, evaluations, SOS's p below one."""
    found = []
    for r in collect(f"{out}/tasks"):
        task, res = r["task"], r["result"]
        if task.get("game") != "gmm":
            continue
        evals = [(int(it), kl, res["modes_covered"][it], res["high_quality"][it]) for it, kl in res["kl"].items()]
        found.append({"algorithm": task["algorithm"], "rate": task["alpha"], "seed": task["seed"],
                      "evaluations": sorted(evals), "diverged_at": res.get("diverged_at"),
                      "p_below_one": res.get("p_below_one"), "seconds_per_iteration": res.get("seconds_per_iteration")})
    return sorted(found, key=lambda f: (f["algorithm"], f["rate"], f["seed"]))


def best_rates(found: list[dict]) -> dict:
    """Each algorithm's rate with the lowest mean final KL over its seeds (diverged trainings excluded)."""
    finals: dict = defaultdict(lambda: defaultdict(list))
    for f in found:
        if f["diverged_at"] is None and f["evaluations"]:
            finals[f["algorithm"]][f["rate"]].append(f["evaluations"][-1][1])
    return {a: min(by_rate, key=lambda r: sum(by_rate[r]) / len(by_rate[r])) for a, by_rate in finals.items()}


def table(found: list[dict]) -> str:
    iterations = sorted({e[0] for f in found for e in f["evaluations"]})
    lines = ["| rule | rate | seed | " + " | ".join(str(i) for i in iterations) + " | ms/it |",
             "|---" * (len(iterations) + 4) + "|"]
    for f in found:
        cells = {e[0]: f"{e[1]:.3g} ({e[2]}, {e[3]:.1%})" for e in f["evaluations"]}
        if f["diverged_at"] is not None:
            cells[iterations[-1] if iterations else 0] = f"diverged at {f['diverged_at']}"
        ms = "" if f["seconds_per_iteration"] is None else f"{1000 * f['seconds_per_iteration']:.0f}"
        lines.append(f"| {f['algorithm'].upper()} | {f['rate']:g} | {f['seed']} | "
                     + " | ".join(cells.get(i, "") for i in iterations) + f" | {ms} |")
    best = best_rates(found)
    lines.append("")
    lines.append("Lowest final KL: " + ", ".join(f"{a.upper()} {r:g}" for a, r in sorted(best.items())))
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(table(rows(sys.argv[1])))
