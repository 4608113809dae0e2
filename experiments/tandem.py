"""Reproduce the tandem experiment (defaults: the paper's settings).

    python experiments/tandem.py [--runs R] [--steps S] [--seed K] [--algos ...] [--out DIR] [--quiet]

The same as `sosverify reproduce tandem ...`.
"""

import sys

from sosverify.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "tandem", *sys.argv[1:]]))
