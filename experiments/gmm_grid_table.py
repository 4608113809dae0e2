"""Tabulate a GAN learning-rate sweep: KL, modes covered and high-quality share at each evaluation.

    python experiments/gmm_grid_table.py OUT        # OUT: the --out of `sosverify sweep gmm ...`

Prints one Markdown row per (algorithm, rate, shaping alpha, seed), with the share of iterations
where SOS's p < 1 and the commit each training ran on, then each algorithm's (rate, shaping alpha)
with the lowest KL at the last evaluation (mean over seeds; diverged trainings never win), as
`sosverify reproduce gmm --grid` chooses.  Reads every finished task in OUT/tasks.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from sosverify.gan.train import divergence_of
from sosverify.sweep import collect, shorter_task, task_key


def rows(out) -> list[dict]:
    """One dict per finished GAN task: algorithm, rate, seed, evaluations, SOS's p below one."""
    found = []
    for r in collect(f"{out}/tasks"):
        task, res = r["task"], r["result"]
        if task.get("game") != "gmm":
            continue
        evals = [(int(it), kl, res["modes_covered"][it], res["high_quality"][it]) for it, kl in res["kl"].items()]
        found.append({"algorithm": task["algorithm"], "rate": task["alpha"], "seed": task["seed"],
                      # a task without the entry had alpha inside the rule tied to its rate
                      "shaping_alpha": task.get("shaping_alpha", "lr") if _predicts(task) else None,
                      "commit": r.get("commit"),
                      "variant": _variant(task),
                      "lambda_negative_share": res.get("lambda_negative_share"),
                      "p_below_one_share": res.get("p_below_one_share"),
                      "evaluations": sorted(evals), "diverged_at": res.get("diverged_at"),
                      # flagged, or (results written before the flag) blown up while finite
                      "diverged": divergence_of(res),
                      "p_below_one": res.get("p_below_one"), "seconds_per_iteration": _per_iteration(res, task),
                      "seconds": res.get("seconds"), "key": task_key(task),
                      "base": task_key(shorter_task(task)) if task.get("extends") is not None else None,
                      "iterations": task["iterations"], "extends": task.get("extends")})
    _own_time(found)
    return sorted(found, key=lambda f: (f["algorithm"], f["rate"], str(f["shaping_alpha"]), f["variant"], f["seed"]))


def _own_time(found: list[dict]) -> None:
    """A training taken on from a shorter one records the shorter one's seconds too (they come with its
    checkpoint): its own are the difference, per iteration of its own part; without the shorter
    training's result at hand its time is not shown (and not summed)."""
    seconds = {f["key"]: f["seconds"] for f in found}
    for f in found:
        if f["base"] is None:
            continue
        before = seconds.get(f["base"])
        if f["seconds"] is None or before is None:
            f["seconds"] = f["seconds_per_iteration"] = None
            continue
        f["seconds"] = f["seconds"] - before
        ran = (f["diverged_at"] or f["iterations"]) - f["extends"]
        f["seconds_per_iteration"] = f["seconds"] / max(1, ran)


def _per_iteration(res: dict, task: dict) -> float | None:
    """Seconds per iteration run: a diverged training ran to ``diverged_at`` (results written before
    the summary counted only the iterations run divided by all of them; results written before it
    recorded ``iterations`` have them in the task)."""
    if res.get("seconds") is None:
        return res.get("seconds_per_iteration")
    return res["seconds"] / max(1, res.get("diverged_at") or res.get("iterations") or task["iterations"])


def _predicts(task: dict) -> bool:
    from sosverify.algorithms import get_algorithm

    return get_algorithm(task["algorithm"]).predicts


def _variant(task: dict) -> str:
    """What sets a task apart besides rule, rate and shaping alpha: tiled minibatches, a rule setting
    other than its default (SGA's eps of the notebook's normaliser), a training taken on from a shorter
    one; '' for none (only those are ranked)."""
    from sosverify.algorithms import get_algorithm

    out = [f"minibatch {task['spec']['minibatch']}"] if "minibatch" in task.get("spec", {}) else []
    if task.get("extends") is not None:  # taken on from the same training's checkpoint (sweep gmm --extends)
        out.append(f"on from {task['extends']}")
    defaults = get_algorithm(task["algorithm"]).defaults
    out += [f"{k} {v:g}" for k, v in sorted((task.get("hyper") or {}).items()) if defaults.get(k) != v]
    return ", ".join(out)


def best_settings(found: list[dict]) -> dict:
    """Each algorithm's (rate, shaping alpha) with the lowest mean final KL over its seeds (diverged
    trainings excluded)."""
    finals: dict = defaultdict(lambda: defaultdict(list))
    for f in found:
        if f["diverged"] is None and f["evaluations"]:
            if not f["variant"]:  # the rates and alphas are ranked under the default setup
                finals[f["algorithm"]][f["rate"], f["shaping_alpha"]].append(f["evaluations"][-1][1])
    return {a: min(cells, key=lambda c: sum(cells[c]) / len(cells[c])) for a, cells in finals.items()}


def best_rates(found: list[dict]) -> dict:
    """Each algorithm's rate of :func:`best_settings`."""
    return {a: rate for a, (rate, _) in best_settings(found).items()}


def _alpha(value) -> str:
    """A shaping alpha as shown: a word, a number, or a dash for a rule without alpha inside."""
    return "—" if value is None else value if isinstance(value, str) else f"{value:g}"


def table(found: list[dict]) -> str:
    iterations = sorted({e[0] for f in found for e in f["evaluations"]})
    lines = ["| rule | rate | shaping α | variant | seed | " + " | ".join(str(i) for i in iterations)
             + " | p < 1 | λ = −1 | ms/it | commit |", "|---" * (len(iterations) + 9) + "|"]
    for f in found:
        cells = {e[0]: f"{e[1]:.3g} ({e[2]}, {e[3]:.1%})" for e in f["evaluations"]}
        if f["diverged"] is not None:
            at = f" at {f['diverged_at']}" if f["diverged_at"] is not None else ""
            cells[iterations[-1] if iterations else 0] = f"diverged{at} ({f['diverged']})"
        ms = "" if f["seconds_per_iteration"] is None else f"{1000 * f['seconds_per_iteration']:.0f}"
        share = "" if f["p_below_one_share"] is None else f"{f['p_below_one_share']:.1%}"
        lam = "" if f["lambda_negative_share"] is None else f"{f['lambda_negative_share']:.1%}"
        lines.append(f"| {f['algorithm'].upper()} | {f['rate']:g} | {_alpha(f['shaping_alpha'])} | {f['variant']} | "
                     f"{f['seed']} | " + " | ".join(cells.get(i, "") for i in iterations)
                     + f" | {share} | {lam} | {ms} | {(f['commit'] or '')[:10]} |")
    best = best_settings(found)
    lines.append("")
    lines.append("Lowest final KL: " + ", ".join(
        f"{a.upper()} {r:g}" + ("" if sa in ("lr", None) else f" (shaping α {_alpha(sa)})") for a, (r, sa) in sorted(best.items())))
    timed = [f["seconds"] for f in found if f.get("seconds") is not None]
    if timed:
        lines.append(f"Training time: {sum(timed) / 3600:.1f} h over {len(timed)} trainings (each one's recorded seconds, "
                     "diverged ones to where they stopped)")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(table(rows(sys.argv[1])))
