"""Speed on the IPD at paper scale: batched runs against a per-run loop of the same code.

Prints microseconds per run-step for every rule, the batched/per-run ratio, and the
ratio against the reference PyTorch implementation (one run at a time: SOS on the IPD,
300 runs × 200 steps, took 112 s on the project's 2-core machine = 1.86 ms per run-step).

    python benchmarks/bench_ipd.py [--runs 300] [--steps 200] [--loop-runs 10] [--algos sos lola ...]
"""

from __future__ import annotations

import argparse
import time

import numpy

from sosverify.algorithms import ALGORITHMS
from sosverify.runner import run

REFERENCE_US_PER_RUN_STEP = 1860.0  # PyTorch reference notebook, SOS on the IPD, this machine


def seconds(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--loop-runs", type=int, default=10, help="runs timed one at a time (then scaled)")
    parser.add_argument("--algos", nargs="+", default=["nl", "la", "lola", "sos", "co", "sga", "eg", "cgd", "lss"])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    theta0 = numpy.random.default_rng(0).standard_normal((args.runs, 10))
    print(f"IPD, {args.runs} runs x {args.steps} steps, alpha = 1 (best of {args.repeat})")
    print(f"{'algo':<6} {'batched s':>10} {'us/run-step':>12} {'loop us/run-step':>17} {'vs loop':>8} "
          f"{'vs reference':>13}")
    for name in args.algos:
        algo = ALGORITHMS[name]
        k = min(args.loop_runs, args.runs)

        def batched_runs(algo=algo):
            run("ipd", algo, alpha=1.0, steps=args.steps, init=theta0)

        def one_at_a_time(algo=algo, k=k):
            for r in range(k):
                run("ipd", algo, alpha=1.0, steps=args.steps, init=theta0[r:r + 1])

        batched = seconds(batched_runs, args.repeat)
        loop = seconds(one_at_a_time, 1)
        per = batched / (args.runs * args.steps) * 1e6
        loop_per = loop / (k * args.steps) * 1e6
        print(f"{name:<6} {batched:>10.2f} {per:>12.1f} {loop_per:>17.1f} {loop_per / per:>7.0f}x "
              f"{REFERENCE_US_PER_RUN_STEP / per:>12.0f}x")


if __name__ == "__main__":
    main()
