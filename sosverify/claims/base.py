"""Claims and the evidence their checks produce."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

import sympy

METHODS = ("symbolic", "numeric", "symbolic+numeric")

# How strongly a check establishes its statement, strongest first.  "proof (general)": proved
# exactly in the statement's generality (any game, any dimension, any α the statement allows);
# "proof (dimensions …)": proved exactly for every game of the dimensions named; "proof
# (instances)": exact on named instances; "numeric (N …)": floating point on N drawn or named
# cases; "experiment": a reduced-scale run of the paper's experiment.
STRENGTHS = ("proof (general)", "proof (dimensions)", "proof (instances)", "numeric", "experiment")
KINDS = ("claim", "erratum")


_FAIL_FAST = contextvars.ContextVar("sosverify_fail_fast", default=False)


class FirstFailure(Exception):
    """Raised by :meth:`Evidence.expect` at the first failed item inside :func:`fail_fast`."""

    def __init__(self, evidence: Evidence):
        super().__init__(evidence.items[-1]["what"])
        self.evidence = evidence


@contextmanager
def fail_fast():
    """Within this block a check stops at its first failed item (a twin needs only one to be caught)."""
    token = _FAIL_FAST.set(True)
    try:
        yield
    finally:
        _FAIL_FAST.reset(token)


@dataclass
class Evidence:
    """What a check established: a list of (what, value, ok) items; passes iff every item is ok.

    Values are Markdown strings; SymPy objects are rendered as inline LaTeX.
    """

    items: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    counterexample: str = ""

    def expect(self, what: str, ok, value="") -> bool:
        ok = bool(ok)
        self.items.append({"what": what, "value": render(value), "ok": ok})
        if not ok and _FAIL_FAST.get():
            raise FirstFailure(self)
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


def strength_class(strength: str) -> str:
    """The class of a strength label: ``"proof (dimensions (1,1), (2,1))"`` → ``"proof (dimensions)"``.

    >>> strength_class("numeric (40 drawn games)")
    'numeric'
    """
    prefixes = {"proof (general)": "proof (general)", "proof (dimensions": "proof (dimensions)",
                "proof (instances": "proof (instances)", "numeric": "numeric", "experiment": "experiment"}
    for prefix, cls in prefixes.items():
        if strength.startswith(prefix):
            return cls
    raise ValueError(f"unknown strength {strength!r}; it must start with one of {', '.join(prefixes)}")


@dataclass(frozen=True)
class Twin:
    """A planted bug: a plausible wrong rule or derivative that a claim must fail on.

    ``plant()`` returns the replacements ``(target, name, wrong)``: an attribute of a module or
    class (``setattr``) or a key of a dict (the rule registry); :meth:`planted` applies them for
    the duration of a ``with`` block and restores the originals after.
    """

    name: str
    description: str
    plant: Callable[[], list]

    @contextmanager
    def planted(self):
        undo = []
        try:
            for target, key, wrong in self.plant():
                if isinstance(target, dict):
                    undo.append((target, key, target[key]))
                    target[key] = wrong
                else:
                    undo.append((target, key, target.__dict__[key] if isinstance(target, type) else getattr(target, key)))
                    setattr(target, key, wrong)
            yield self
        finally:
            for target, key, original in reversed(undo):
                if isinstance(target, dict):
                    target[key] = original
                else:
                    setattr(target, key, original)


@dataclass(frozen=True)
class Claim:
    """One claim of the paper: id (SPEC §4), statement, section, method and its check.

    ``strength``: how strongly the check establishes the statement (a label of
    :data:`STRENGTHS`, with the dimensions or counts).  ``twins``: planted bugs the check must
    fail on.  ``kind``: ``"claim"`` (the paper is checked), or ``"erratum"`` (the paper's
    statement is shown false: the check confirms an exact counterexample, and ``corrected``
    states what holds instead).  ``long``: its check takes minutes; ``sosverify verify`` runs
    it with ``--long`` or ``--only ID``."""

    id: str
    statement: str
    section: str
    method: str
    check: Callable[[], Evidence]
    long: bool = False
    strength: str = "numeric"
    twins: tuple = ()
    kind: str = "claim"
    corrected: str = ""
    why_no_twin: str = ""

    def __post_init__(self):
        strength_class(self.strength)
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "erratum" and not self.corrected:
            raise ValueError(f"erratum {self.id} needs the corrected statement")
        if not self.twins and not self.why_no_twin:
            raise ValueError(f"claim {self.id} has no planted twin and no reason why")
