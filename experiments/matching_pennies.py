"""Reproduce the matching-pennies experiment (defaults: the paper's settings).

    python experiments/matching_pennies.py [--runs R] [--steps S] [--seed K] [--algos ...] [--out DIR] [--quiet]

The same as `sosverify reproduce matching-pennies ...`.
"""

import sys

from sosverify.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "matching-pennies", *sys.argv[1:]]))
