"""Reproduce the Gaussian-mixture GAN experiment (Figures 4-7).

    python experiments/gmm.py [--preset small|paper] [--algos ...] [--lr ALGO=RATE ...] [--iterations N]
                              [--eval-every K] [--seed K] [--grid LR ...] [--jobs J] [--resume] [--out DIR]

The same as `sosverify reproduce gmm ...`.
"""

import sys

from sosverify.cli import main

if __name__ == "__main__":
    sys.exit(main(["reproduce", "gmm", *sys.argv[1:]]))
