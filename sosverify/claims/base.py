"""Claims and the evidence their checks produce."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy

METHODS = ("symbolic", "numeric", "symbolic+numeric")


@dataclass
class Evidence:
    """What a check established: a list of (what, value, ok) items; passes iff every item is ok.

    Values are Markdown strings; SymPy objects are rendered as inline LaTeX.
    """

    items: list = field(default_factory=list)
    figures: list = field(default_factory=list)

    def expect(self, what: str, ok, value="") -> bool:
        ok = bool(ok)
        self.items.append({"what": what, "value": render(value), "ok": ok})
        return ok

    def note(self, what: str, value="") -> None:
        self.items.append({"what": what, "value": render(value), "ok": None})

    @property
    def passed(self) -> bool:
        checks = [i["ok"] for i in self.items if i["ok"] is not None]
        return bool(checks) and all(checks)


def render(value) -> str:
    """Markdown for a value: SymPy → ``$latex$``, floats to 6 significant digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, (sympy.Basic, sympy.MatrixBase)):
        return f"${sympy.latex(value)}$"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{render(k)} = {render(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper: id (SPEC §4), statement, section, method and its check.

    ``long``: its check takes minutes; ``sosverify verify`` runs it with ``--long`` or ``--only ID``."""

    id: str
    statement: str
    section: str
    method: str
    check: Callable[[], Evidence]
    long: bool = False
