"""Reproductions of the paper's experiments: the IPD (Fig. 2), the tandem (Fig. 3), matching pennies.

Each experiment is a function ``run_<name>(**settings) -> Reproduction`` and a
``write(reproduction, out)`` that saves figures (PNG and PDF), ``summary.json``,
``summary.csv``, ``curves.csv`` and ``config.json`` atomically.
"""

from sosverify.reproduce.common import EXPERIMENTS, Reproduction, get_experiment

__all__ = ["EXPERIMENTS", "Reproduction", "get_experiment"]
