"""Reproduce the ipd experiment (defaults: the paper's settings).

    python experiments/ipd.py [--runs R] [--steps S] [--seed K] [--algos ...] [--out DIR] [--quiet]

The same as `sosverify reproduce ipd ...`.
"""

import sys

from sosverify.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "ipd", *sys.argv[1:]]))
