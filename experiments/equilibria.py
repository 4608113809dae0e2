"""Nash equilibria beside the learning dynamics (issue 22): four normal-form games, six rules, 100 runs each.

    python experiments/equilibria.py --out DIR [--runs 100] [--steps 1000] [--alpha 2] [--seed 0]
                                     [--algos nl la lola sos co sga] [--games ...] [--quiet]

For each game, Gambit's equilibria (:func:`sosverify.equilibria.equilibria`: the solver and whether
its list is complete), each placed in logit space (interior: a fixed point of ξ with its class and
LA/SOS's bound; boundary: at infinity); then every rule from the same ``runs`` random initial logits
(``N(0, 1)``, drawn by ``numpy.random.default_rng(seed)``) and, per equilibrium, how many runs
approach it (:func:`sosverify.equilibria.approached`, tolerance ``APPROACH_TOL`` over the last
``APPROACH_TAIL`` of the run), how many approach none and how many diverged.

Writes ``DIR/results.json`` (config, versions, equilibria, per-run outcomes), ``DIR/table.md`` (the
table the documentation includes) and prints the table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sosverify.equilibria import APPROACH_TAIL, APPROACH_TOL, approached, equilibria
from sosverify.games.normal_form import normal_form, read_nfg
from sosverify.results import prepare_out_dir, versions, write_atomic, write_json
from sosverify.runner import run

HERE = Path(__file__).resolve().parent
ALGOS = ("nl", "la", "lola", "sos", "co", "sga")


def coordination():
    """A 2×2 coordination game: two strict pure equilibria and one mixed (1/3, 2/3)."""
    return normal_form([[2, 0], [0, 1]], [[2, 0], [0, 1]], name="coordination",
                       strategies=[["A", "B"], ["A", "B"]])


def shapley():
    """Shapley's 3×3 game (1964): a unique equilibrium, uniform mixing; fictitious and gradient play cycle."""
    return normal_form([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1], [1, 0, 0]], name="shapley")


def rock_paper_scissors():
    """Rock–paper–scissors (zero-sum): a unique equilibrium, uniform mixing."""
    return normal_form([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], name="rock-paper-scissors",
                       strategies=[["R", "P", "S"], ["R", "P", "S"]])


def three_player():
    """McKelvey and McLennan's 2×2×2 example from Gambit's example games (9 equilibria, 2 totally mixed),
    read from the .nfg file beside this script."""
    return read_nfg(HERE / "games" / "2x2x2.nfg")


GAMES = {"coordination": coordination, "shapley": shapley, "rock-paper-scissors": rock_paper_scissors,
         "2x2x2": three_player}


def _spread(median) -> str:
    return "–" if median is None else f"{median[0]:.2f}–{median[1]:.2f}"


def markdown(entries: list, algos, config: dict) -> str:
    """The equilibrium table: per game, one row per equilibrium (and none / diverged), one column per rule."""
    lines = [f"Runs per rule: {config['runs']} from N(0, 1) logits (seed {config['seed']}), {config['steps']} steps "
             f"of α = {config['alpha']}; a run *approaches* an equilibrium when every probability stays within "
             f"{config['tolerance']} of it over the last {config['tail']:.0%} of the run.", ""]
    for e in entries:
        lines += [f"## {e['game']} ({'×'.join(map(str, e['shape']))})", "",
                  f"Solver: {e['equilibria']['solver']} — "
                  f"{'complete' if e['equilibria']['complete'] else 'possibly incomplete'}: "
                  f"{e['equilibria']['statement']}.", ""]
        head = "| equilibrium | in logit space | class | LA/SOS local convergence | " + " | ".join(
            a.upper() for a in algos) + " |"
        lines += [head, "|" + "---|" * (4 + len(algos))]
        for k, eq in enumerate(e["equilibria"]["equilibria"]):
            profile = " ; ".join("(" + ", ".join(s) + ")" for s in eq["strategies"])
            where = "fixed point" if eq["interior"] else "at infinity"
            if eq["interior"]:
                klass = eq["class"]
            else:
                klass = "pure, strict" if eq["pure"] and eq["strict"] else ("pure" if eq["pure"] else "boundary")
            lc = eq.get("local_convergence") or {}
            bound = (lc.get("statement") or lc.get("reason") or "—").replace("|", "/")
            counts = " | ".join(str(e["outcomes"][a]["counts"][k]) for a in algos)
            lines.append(f"| E{k + 1} {profile} | {where} | {klass} | {bound} | {counts} |")
        lines.append("| none | | | | " + " | ".join(str(e["outcomes"][a]["none"]) for a in algos) + " |")
        lines.append("| diverged | | | | " + " | ".join(str(e["outcomes"][a]["diverged"]) for a in algos) + " |")
        lines.append("| distance to the nearest equilibrium over the tail (median least–largest) | | | | " + " | ".join(
            _spread(e["outcomes"][a]["tail_distance_median"]) for a in algos) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="directory for results.json and table.md")
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--alpha", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--algos", nargs="+", default=list(ALGOS), choices=ALGOS)
    p.add_argument("--games", nargs="+", default=list(GAMES), choices=list(GAMES))
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    out = prepare_out_dir(args.out)
    config = {"runs": args.runs, "steps": args.steps, "alpha": args.alpha, "seed": args.seed, "algos": args.algos,
              "games": args.games, "tolerance": APPROACH_TOL, "tail": APPROACH_TAIL, "params_every": 10,
              "hyperparameters": "each rule's defaults (SOS a = 0.5, b = 0.1; CO gamma = 1; SGA eps = 0.1)"}
    entries = []
    for name in args.games:
        nf = GAMES[name]()
        started = time.perf_counter()
        found = equilibria(nf)
        entry = {"game": nf.name, "shape": list(nf.shape), "source": nf.source, "equilibria": found.as_dict(),
                 "equilibria_seconds": round(time.perf_counter() - started, 2), "outcomes": {}}
        if not args.quiet:
            print(f"{nf.name}: {found.table()}", flush=True)
        game = nf.game()
        for algo in args.algos:
            started = time.perf_counter()
            h = run(game, algo, alpha=args.alpha, steps=args.steps, runs=args.runs, seed=args.seed, params_every=10)
            res = approached(h, found)
            res["seconds"] = round(time.perf_counter() - started, 2)
            entry["outcomes"][algo] = res
            if not args.quiet:
                print(f"  {algo}: {res['counts']} none {res['none']} diverged {res['diverged']} ({res['seconds']} s)",
                      flush=True)
        entries.append(entry)
    import pygambit

    from sosverify.results import source_commit

    write_json(out / "results.json", {"config": config, "versions": {**versions(), "pygambit": pygambit.__version__},
                                      "source_commit": source_commit(), "games": entries})
    table = markdown(entries, args.algos, config)
    write_atomic(out / "table.md", table + "\n")
    if not args.quiet:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
