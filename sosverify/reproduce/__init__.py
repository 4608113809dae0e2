"""Reproductions of the paper's experiments: the IPD (Fig. 2), the tandem (Fig. 3), matching pennies.

Each experiment is a function ``run_<name>(**settings) -> Reproduction`` and a
``write(reproduction, out)`` that saves figures (PNG and PDF), ``summary.json``,
``summary.csv``, ``curves.csv`` and ``config.json`` atomically.
"""

from sosverify.errors import unknown_name
from sosverify.reproduce.common import EXPERIMENTS, PLAYS, Reproduction

__all__ = ["EXPERIMENTS", "Reproduction", "experiments", "get_experiment"]


def experiments() -> dict:
    """``{name: experiment}`` of every experiment, complete (one per entry of ``common.PLAYS``).

    The experiment modules register themselves when imported; they are imported here, on first use,
    because they load matplotlib, which the command line does not need to start.
    """
    from sosverify.reproduce import gmm, ipd, pennies, tandem  # noqa: F401  (each registers itself)

    assert set(EXPERIMENTS) == set(PLAYS), f"experiments {sorted(EXPERIMENTS)} != {sorted(PLAYS)}"
    return EXPERIMENTS


def get_experiment(name: str):
    """The experiment called ``name``; an unknown name lists the valid ones."""
    found = experiments()
    if name not in found:
        raise unknown_name("experiment", name, list(found) + ["all"])
    return found[name]
