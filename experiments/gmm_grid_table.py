"""Tabulate a GAN learning-rate sweep: KL, modes covered and high-quality share at each evaluation.

    python experiments/gmm_grid_table.py OUT [OUT ...]   # OUT: the --out of `sosverify sweep gmm ...`

Prints one Markdown row per (algorithm, rate, shaping alpha, seed), with the share of iterations
where SOS's p < 1 and the commit each training ran on, then each algorithm's (rate, shaping alpha)
with the lowest KL at the last evaluation (mean over seeds; diverged trainings never win), as
`sosverify reproduce gmm --grid` chooses; then the settings over seeds (:func:`over_seeds`): modes
covered, high-quality share and KL at the last evaluation, mean and spread over the seeds that
finished, the diverged ones counted apart, ranked by :func:`rank`.  Reads every finished task in
each OUT/tasks (a task found in two of them is refused).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from sosverify.gan.train import divergence_of
from sosverify.sweep import collect, shorter_task, task_key


def rows(*outs) -> list[dict]:
    """One dict per finished GAN task of the sweeps ``outs``: algorithm, rate, seed, evaluations,
    SOS's p below one."""
    missing = [str(out) for out in outs if not Path(out, "tasks").is_dir()]
    if missing:
        raise SystemExit(f"{', '.join(missing)}: no tasks/ directory; give the output directory of `sosverify sweep gmm`")
    found, where = [], {}
    for out, r in ((sweep, r) for sweep in outs for r in collect(f"{sweep}/tasks")):
        key = task_key(r["task"])
        if key in where:
            raise SystemExit(f"task {key} is in both {where[key]} and {out}: give each task's sweep once")
        where[key] = out
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
    training's result at hand its time is not shown (and not summed).  Nor is it where the shorter
    training at hand is another one of the same task (its evaluations before ``extends`` differ: a
    retraining on another machine, kept elsewhere), which the row's variant then says.  The
    evaluation at ``extends`` itself is recomputed by the extension from the checkpoint (on other
    packages it may move in the last digits), so it is compared only where there is no earlier one."""
    seconds = {f["key"]: f["seconds"] for f in found}
    evaluations = {f["key"]: f["evaluations"] for f in found}
    for f in found:
        if f["base"] is None:
            continue
        before = seconds.get(f["base"])
        if f["base"] in evaluations and _another_training(evaluations[f["base"]], f["evaluations"], f["extends"]):
            f["variant"] += ", from another training of its base"
            before = None
        if f["seconds"] is None or before is None:
            f["seconds"] = f["seconds_per_iteration"] = None
            continue
        f["seconds"] = f["seconds"] - before
        ran = (f["diverged_at"] or f["iterations"]) - f["extends"]
        f["seconds_per_iteration"] = f["seconds"] / max(1, ran)


def _another_training(base: list, extension: list, extends: int) -> bool:
    """Whether ``extension`` (evaluations ``(iteration, kl, modes, hq)``) did not continue the training
    whose evaluations are ``base``: they differ before ``extends`` or, with none before it, at it."""
    def upto(evals, stop):
        return [e for e in evals if e[0] < stop]

    earlier = upto(base, extends)
    if earlier or upto(extension, extends):
        return earlier != upto(extension, extends)
    return [e for e in base if e[0] == extends] != [e for e in extension if e[0] == extends]


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


def over_seeds(found: list[dict]) -> list[dict]:
    """Each (algorithm, rate, shaping alpha) of the default setup over its seeds: at the last
    evaluation, the modes covered per seed (None for a diverged training), and the mean and spread
    (population standard deviation) of modes, high-quality share and KL over the seeds that finished;
    a diverged training is counted in ``diverged``, never averaged in.  Ranked by :func:`rank`."""
    cells: dict = defaultdict(list)
    for f in found:
        if not f["variant"]:
            cells[f["algorithm"], f["rate"], f["shaping_alpha"]].append(f)
    out = []
    for (algorithm, rate, alpha), runs in cells.items():
        done = [f for f in runs if f["diverged"] is None and f["evaluations"]]
        last = [f["evaluations"][-1] for f in done]  # (iteration, kl, modes, hq)
        out.append({"algorithm": algorithm, "rate": rate, "shaping_alpha": alpha,
                    "seeds": [f["seed"] for f in runs], "diverged": len(runs) - len(done),
                    "modes_per_seed": [None if f not in done else f["evaluations"][-1][2] for f in runs],
                    "iterations": sorted({e[0] for e in last}),
                    "modes": _mean_spread([e[2] for e in last]), "high_quality": _mean_spread([e[3] for e in last]),
                    "kl": _mean_spread([e[1] for e in last])})
    return sorted(out, key=lambda c: (c["algorithm"], rank(c)))


def rank(cell: dict) -> tuple:
    """The order of a rule's settings (:func:`over_seeds`): fewer diverged trainings among its seeds
    first (a setting that blows up on one seed in three is worse than one that never has, on however
    many seeds); among settings that blew up as often, the one run on more seeds first (the search
    screens settings on seed 0 and takes the best on to more seeds; a mean over one seed is not
    compared with a mean over three); then more modes covered (mean over the seeds that
    finished), a larger high-quality share, a lower KL.  Modes come before KL because the kNN KL
    rewards a few sharp modes (SOS at 2e-4 with α tied to the rate: KL 21.1 on 4 modes)."""
    modes, hq, kl = (cell[k][0] if cell[k] else float("nan") for k in ("modes", "high_quality", "kl"))
    share, seeds = cell["diverged"] / len(cell["seeds"]), -len(cell["seeds"])
    return (share, seeds, -modes, -hq, kl) if cell["modes"] else (share, seeds, float("inf"), float("inf"), float("inf"))


def first_ranked(cells: list[dict]) -> dict:
    """Each rule's first setting in :func:`over_seeds`' order (its chosen one), by rule name."""
    first: dict = {}
    for c in cells:
        first.setdefault(c["algorithm"], c)
    return first


def contenders(cells: list[dict]) -> list[dict]:
    """The settings :func:`rank` puts below their rule's first only for having run on fewer seeds: no
    training of theirs blew up, and on the seeds both ran they covered more modes on average than the
    first did.  The ranking over seeds favours the setting taken on to more seeds, so these are what
    the search has not yet settled (each one's rest of the first's seeds would)."""
    out, first = [], first_ranked(cells)
    for c in cells:
        top = first[c["algorithm"]]
        if c is top or c["diverged"]:  # (with no blow-up and as many seeds, ahead would have ranked first)
            continue
        mine, theirs = (dict(zip(x["seeds"], x["modes_per_seed"])) for x in (c, top))
        shared = [s for s in c["seeds"] if theirs.get(s) is not None]
        if shared and sum(mine[s] for s in shared) > sum(theirs[s] for s in shared):
            out.append({"algorithm": c["algorithm"], "rate": c["rate"], "shaping_alpha": c["shaping_alpha"],
                        "seeds": shared, "modes": [mine[s] for s in shared], "first_modes": [theirs[s] for s in shared]})
    return out


def _contenders_line(cells: list[dict]) -> str:
    found = contenders(cells)
    shown = [f"{c['algorithm'].upper()} {c['rate']:g}"
             + ("" if c["shaping_alpha"] in ("lr", None) else f" (shaping α {_alpha(c['shaping_alpha'])})")
             + f" (seed {', '.join(map(str, c['seeds']))}: {', '.join(map(str, c['modes']))} modes against "
             f"{', '.join(map(str, c['first_modes']))})" for c in found]
    return ("Ahead of their rule's first on the seeds both ran, not yet run on its other seeds (unsettled, not "
            "chosen): " + ("; ".join(shown) if shown else "none"))


def _mean_spread(values: list) -> tuple | None:
    """(mean, population standard deviation) of ``values``; None for none."""
    if not values:
        return None
    mean = sum(values) / len(values)
    return mean, (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5


def seeds_table(cells: list[dict]) -> str:
    """:func:`over_seeds` as Markdown, in :func:`rank`'s order, each rule's first setting (its chosen
    one) in bold."""
    lines = ["| rule | rate | shaping α | seeds | diverged | modes per seed | modes | HQ | KL | at |",
             "|---" * 10 + "|"]
    first = first_ranked(cells)
    for c in cells:
        mark = "**" if first[c["algorithm"]] is c else ""

        def show(pair, fmt):
            return "" if pair is None else f"{fmt(pair[0])} ± {fmt(pair[1])}"

        per_seed = ", ".join("×" if m is None else str(m) for m in c["modes_per_seed"])
        lines.append(f"| {mark}{c['algorithm'].upper()}{mark} | {c['rate']:g} | {_alpha(c['shaping_alpha'])} | "
                     f"{', '.join(map(str, c['seeds']))} | {c['diverged']} | {per_seed} | "
                     f"{show(c['modes'], lambda v: f'{v:.1f}')} | {show(c['high_quality'], lambda v: f'{v:.1%}')} | "
                     f"{show(c['kl'], lambda v: f'{v:.3g}')} | {', '.join(map(str, c['iterations']))} |")
    return "\n".join(lines)


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
    lines.append("Lowest mean final KL alone (over each setting's own seeds; not the choice, which is the ranking over "
                 "seeds below: the kNN KL rewards a few sharp modes): " + ", ".join(
        f"{a.upper()} {r:g}" + ("" if sa in ("lr", None) else f" (shaping α {_alpha(sa)})") for a, (r, sa) in sorted(best.items())))
    timed = [f["seconds"] for f in found if f.get("seconds") is not None]
    if timed:
        lines.append(f"Training time: {sum(timed) / 3600:.1f} h over {len(timed)} trainings (each one's recorded seconds, "
                     "diverged ones to where they stopped)")
    cells = over_seeds(found)
    lines += ["", "Over seeds (the default setup; last evaluation; mean ± spread over the seeds that finished, "
              "× a diverged one; each rule's settings ranked by fewer diverged (share of seeds), then more seeds, "
              "more modes, more HQ, lower KL; the first in bold):", "", seeds_table(cells), "", _contenders_line(cells)]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print(table(rows(*sys.argv[1:])))
