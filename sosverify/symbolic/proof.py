"""A tiny helper for the executable proofs in ``proofs/``: print each step, assert each claim."""

from __future__ import annotations

import sympy

from sosverify.symbolic.game import is_zero


class ProofFailed(AssertionError):
    """A step of a proof did not hold."""


class Proof:
    """Prints a titled derivation step by step; every ``holds``/``zero`` step is asserted."""

    def __init__(self, title: str, out=print):
        self.out = out
        self.steps = 0
        self.out(f"\n=== {title} ===")

    def say(self, text: str) -> None:
        self.out(text)

    def show(self, label: str, expr) -> None:
        self.out(f"{label}:\n{sympy.pretty(expr, use_unicode=True)}")

    def zero(self, label: str, expr) -> None:
        """Assert that ``expr`` is exactly zero (canonical form), and say so."""
        self.holds(label, is_zero(expr), expr)

    def equal(self, label: str, lhs, rhs) -> None:
        self.holds(label, is_zero(lhs - rhs), lhs)

    def holds(self, label: str, condition, value=None) -> None:
        self.steps += 1
        if not bool(condition):
            shown = "" if value is None else f"\n{sympy.pretty(value, use_unicode=True)}"
            raise ProofFailed(f"step {self.steps} fails: {label}{shown}")
        self.out(f"  [{self.steps}] {label}  ✓")

    def qed(self) -> None:
        self.out(f"∎ ({self.steps} steps checked)")
