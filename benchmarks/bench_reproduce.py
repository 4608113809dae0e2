"""Speed of the default `sosverify reproduce ipd` (6 algorithms × 300 runs × 200 steps).

Prints seconds per algorithm and the ratio against the reference PyTorch
implementation's per-run loop on the same work (SOS alone: 112 s on this machine;
about 11 minutes for the six algorithms).

    python benchmarks/bench_reproduce.py
"""

from __future__ import annotations

import time

from sosverify.cli import tune_allocator
from sosverify.reproduce.ipd import run_ipd

REFERENCE_SECONDS_ALL = 11 * 60  # reference notebook, six algorithms, per-run loop
REFERENCE_SECONDS_SOS = 112.0


def main() -> None:
    tune_allocator()  # as the `sosverify` command does
    start = time.perf_counter()
    rep = run_ipd()
    total = time.perf_counter() - start
    for name, sec in rep.seconds.items():
        print(f"{name:<6} {sec:6.2f} s")
    print(f"total (runs, summary and figures): {total:.1f} s; "
          f"{REFERENCE_SECONDS_ALL / total:.0f}x faster than the reference's ~{REFERENCE_SECONDS_ALL} s; "
          f"SOS alone {REFERENCE_SECONDS_SOS / rep.seconds['sos']:.0f}x faster than its 112 s")


if __name__ == "__main__":
    main()
