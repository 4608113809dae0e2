"""``sosverify audit``: which of the paper's guarantees does a learning rule have?

>>> from sosverify.audit import audit
>>> report = audit("la", properties=["consistency", "reduction"], profile="quick")
>>> [(f.property, f.status) for f in report.findings]
[('consistency', 'holds'), ('reduction', 'holds')]

A rule is a registered name (``"sos"``), an :class:`~sosverify.algorithms.Algorithm`, a function
with the built-in signature ``(game, theta, *, alpha, **hyper) -> Direction``, or on the command
line ``MODULE:FUNCTION`` (the module is imported: it is the user's own code).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sosverify.algorithms import ALGORITHMS, Algorithm, get_algorithm, hyperparameters
from sosverify.audit.properties import CHECKS, PROFILES, PROPERTIES, Finding, RuleError, call
from sosverify.errors import SosverifyError

__all__ = ["audit", "AuditReport", "Finding", "load_rule", "PROPERTIES", "PROFILES"]

ORDER = {"holds": 0, "observed": 1, "inconclusive": 2, "fails": 3}


@dataclass
class AuditReport:
    rule: str
    profile: str
    hyperparameters: dict
    findings: list
    seconds: float

    def passed(self, required) -> bool:
        """Every property in ``required`` holds."""
        status = {f.property: f.status for f in self.findings}
        return all(status.get(p) == "holds" for p in required)

    def to_json(self) -> dict:
        return {"rule": self.rule, "profile": self.profile, "hyperparameters": self.hyperparameters,
                "seconds": self.seconds, "findings": [asdict(f) for f in self.findings]}


def load_rule(spec) -> Algorithm:
    """A registered name, an ``Algorithm``, a function, or ``"MODULE:FUNCTION"``."""
    if isinstance(spec, Algorithm):
        return spec
    if callable(spec):
        return Algorithm(getattr(spec, "__name__", "rule"), spec)
    if not isinstance(spec, str):
        raise SosverifyError(f"a rule is a name, an Algorithm, a function or MODULE:FUNCTION, got {type(spec).__name__}")
    if ":" not in spec:
        return get_algorithm(spec)
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr.isidentifier():
        raise SosverifyError(f"give the rule as MODULE:FUNCTION, e.g. myrules:momentum_la; got {spec!r}")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # a module in the current directory, as `python -m` would find it
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise SosverifyError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"[:300]) from None
    obj = getattr(module, attr, None)
    if obj is None:
        raise SosverifyError(f"module {module_name!r} has no {attr!r}")
    if isinstance(obj, Algorithm):
        return obj
    if not callable(obj):
        raise SosverifyError(f"{spec} is a {type(obj).__name__}, not a function")
    _check_signature(obj, spec)
    return Algorithm(attr, obj)


def _check_signature(fn, spec: str) -> None:
    """A rule takes ``(game, theta, *, alpha, ...)``; refuse anything else before calling it."""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        params = None
    if params is not None:
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        var_pos = any(p.kind is p.VAR_POSITIONAL for p in params)
        takes_alpha = any(p.name == "alpha" or p.kind is p.VAR_KEYWORD for p in params)
        if (len(positional) >= 2 or var_pos) and takes_alpha:
            return
    raise SosverifyError(f"{spec} is not a rule: it takes no game, theta and keyword alpha "
                         "(a rule is fn(game, theta, *, alpha, **settings) -> Direction)")


def audit(rule, *, properties=PROPERTIES, profile: str = "default", hyper: dict | None = None,
          progress=None) -> AuditReport:
    """Check ``rule`` against each property (see :mod:`sosverify.audit.properties`)."""
    algo = load_rule(rule)
    unknown = [p for p in properties if p not in CHECKS]
    if unknown:
        raise SosverifyError(f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                             f"valid: {', '.join(PROPERTIES)}")
    if profile not in PROFILES:
        raise SosverifyError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}")
    hyper = hyperparameters(algo, hyper or {})
    start = time.perf_counter()
    findings = []
    first = _first_step(algo, hyper)
    for name in dict.fromkeys(properties):
        if first is not None:
            findings.append(Finding(name, "inconclusive", f"the rule is not usable: it {first}"))
            continue
        t0 = time.perf_counter()
        try:
            finding = CHECKS[name](algo, hyper, PROFILES[profile])
        except RuleError as exc:
            finding = Finding(name, "fails", f"the rule {exc}")
        except SosverifyError as exc:
            finding = Finding(name, "inconclusive", f"the rule was refused: {exc}")
        finding.details["seconds"] = round(time.perf_counter() - t0, 2)
        findings.append(finding)
        if progress:
            progress(finding)
    return AuditReport(algo.name, profile, hyper, findings, time.perf_counter() - start)


def _first_step(algo, hyper) -> str | None:
    """``None`` if the rule takes one step on the tandem game, else what went wrong."""
    import numpy

    from sosverify.games import tandem

    try:
        call(algo, tandem(), numpy.array([[0.25, -0.5], [0.5, 0.5]]), 0.1, hyper)
    except RuleError as exc:
        return str(exc)
    except SosverifyError as exc:
        return f"was refused: {exc}"
    return None


def render_markdown(reports) -> str:
    """One table: a row per rule, a column per property (status), then each finding in full."""
    props = list(dict.fromkeys(f.property for r in reports for f in r.findings))
    head = "| rule | " + " | ".join(props) + " | seconds |\n|---|" + "---|" * (len(props) + 1)
    rows = []
    for r in reports:
        cells = {f.property: f.status for f in r.findings}
        rows.append(f"| {r.rule} | " + " | ".join(cells.get(p, "") for p in props) + f" | {r.seconds:.0f} |")
    lines = [head, *rows, ""]
    for r in reports:
        lines.append(f"### {r.rule}" + (f" ({', '.join(f'{k}={v:g}' for k, v in r.hyperparameters.items())})"
                                         if r.hyperparameters else ""))
        for f in r.findings:
            lines.append(f"- **{f.property}**: {f.status} — {f.summary}")
            if f.counterexample:
                lines.append(f"  - shrunk counterexample: `{f.counterexample}`")
        lines.append("")
    return "\n".join(lines)


def write_reports(reports, out: Path) -> None:
    from sosverify.results import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "audit.md", render_markdown(reports))
    write_atomic(out / "audit.json", json.dumps([r.to_json() for r in reports], indent=2, default=float))


def builtin_rules() -> list:
    return list(ALGORITHMS)
