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
from sosverify.audit.isolation import describe, run_isolated
from sosverify.audit.own_game import GAME_CHECKS, GAME_PROPERTIES, OBSERVED, RUNS, GameSetup, load_game
from sosverify.audit.properties import CHECKS, PROFILES, PROPERTIES, Finding, RuleError, call
from sosverify.errors import SosverifyError
from sosverify.settings import GAME_ALPHA, GAME_STEPS

__all__ = ["audit", "AuditReport", "Finding", "load_rule", "PROPERTIES", "GAME_PROPERTIES", "OBSERVED", "PROFILES"]

ORDER = {"holds": 0, "observed": 1, "inconclusive": 2, "fails": 3}


@dataclass
class AuditReport:
    rule: str
    profile: str
    hyperparameters: dict
    findings: list
    seconds: float

    def passed(self, required) -> bool:
        """Every property in ``required`` holds (and its exact proof, where one was run), and the rule
        never ended the audit's process (then nothing it did can be taken for a pass)."""
        status = {f.property: f.status for f in self.findings}
        if any(f.details.get("ended_process") for f in self.findings):
            return False
        return all(status.get(p) == "holds" and status.get(f"{p}-exact", "holds") == "holds" for p in required)

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
        if spec not in ALGORITHMS and (spec.endswith(".py") or "." in spec or "/" in spec):
            raise SosverifyError(f"give a rule of your own as MODULE:FUNCTION (e.g. myrules:momentum_la); got {spec!r}")
        return get_algorithm(spec)
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr.isidentifier():
        raise SosverifyError(f"give the rule as MODULE:FUNCTION, e.g. myrules:momentum_la; got {spec!r}")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # a module in the current directory, as `python -m` would find it
    module = _import(module_name)
    obj = getattr(module, attr, None)
    if obj is None:
        raise SosverifyError(f"module {module_name!r} has no {attr!r}")
    if isinstance(obj, Algorithm):
        return obj
    if not callable(obj):
        raise SosverifyError(f"{spec} is a {type(obj).__name__}, not a function")
    _check_signature(obj, spec)
    return Algorithm(attr, obj, _keyword_settings(obj))


def _keyword_settings(fn) -> dict:
    """A plain rule's keyword-only parameters with real-number defaults become its settings
    (so ``--a 0.3`` reaches ``def rule(game, theta, *, alpha, a=0.5)``)."""
    import inspect
    import numbers

    params = inspect.signature(fn).parameters.values()
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY and p.name != "alpha"
            and isinstance(p.default, numbers.Real) and not isinstance(p.default, bool)}


def _import(module_name: str):
    """Import the user's module; whatever it raises (SystemExit too) is one line; what it prints goes
    to stderr, apart from the report."""
    import contextlib

    try:
        with contextlib.redirect_stdout(sys.stderr):
            return importlib.import_module(module_name)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise SosverifyError(f"cannot import {module_name!r}: {type(exc).__name__}: {exc}"[:300]) from None


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


#: time limits of the isolated checks (:mod:`sosverify.audit.isolation`): one call of the rule, and one
#: property under each profile (the built-in rules take 1–40 s per property under ``long``)
CALL_SECONDS = 10.0
PROPERTY_SECONDS = {"quick": 120.0, "default": 300.0, "long": 1800.0}


def _check_property(name, algo, hyper, profile, setup=None) -> Finding:
    """One property of the rule (run in an isolated child): the first step, then the check (a property of
    the user's game, :mod:`sosverify.audit.own_game`, on ``setup``)."""
    first = _first_step(algo, hyper)
    if first is not None:
        return Finding(name, "inconclusive", f"the rule is not usable: it {first}")
    try:
        if name in GAME_CHECKS:
            return GAME_CHECKS[name](algo, hyper, PROFILES[profile], setup)
        return CHECKS[name](algo, hyper, PROFILES[profile])
    except RuleError as exc:
        return Finding(name, "fails", f"the rule {exc}")
    except SosverifyError as exc:
        return Finding(name, "inconclusive", f"the rule was refused: {exc}")
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # anything else the rule provoked: a line in the report
        return Finding(name, "inconclusive", f"the check stopped: {describe(exc)}"[:300])


def _exact_check(name, sym, profile) -> Finding:
    from sosverify.audit.exact import exact_consistency, exact_reduction

    check = {"consistency": exact_consistency, "reduction": exact_reduction}[name]
    try:
        return check(sym, PROFILES[profile])
    except Exception as exc:  # the user's symbolic code
        return Finding(f"{name}-exact", "inconclusive", f"the symbolic rule raised {describe(exc)}"[:300])


def _isolated(name, fn, args, *, seconds, call_seconds, mutations: list) -> Finding:
    """``fn(*args)`` (a Finding) through :func:`run_isolated`, its ending turned into a Finding."""
    t0 = time.perf_counter()
    out = run_isolated(fn, args, seconds=seconds, call_seconds=call_seconds)
    if out.kind == "ok":
        finding = out.value
    elif out.kind == "ended":
        finding = Finding(name, "inconclusive", f"the rule ended the process: {out.value}",
                          details={"ended_process": True})
    elif out.kind in ("timeout", "call-timeout"):
        finding = Finding(name, "inconclusive", f"timed out: {out.value}", details={"timed_out": True})
    else:
        finding = Finding(name, "inconclusive", f"the check stopped: {out.value}")
    if out.output:
        finding.details["rule_output"] = out.output  # what the rule printed: in the report, not on stdout
    if out.watch.get("mutated"):
        mutations.append((name, out.watch))
    finding.details["seconds"] = round(time.perf_counter() - t0, 2)
    return finding


def _property_names(properties) -> list:
    """``properties`` as a list of names: one name alone is one property, never its letters."""
    if isinstance(properties, str):
        return [properties]
    try:
        names = list(properties)
    except TypeError:
        raise SosverifyError(f"properties must be a list of names ({', '.join(PROPERTIES)}), "
                             f"got {type(properties).__name__}") from None
    bad = [p for p in names if not isinstance(p, str)]
    if bad:
        raise SosverifyError(f"properties must be names ({', '.join(PROPERTIES)}), got {bad[0]!r}"[:300])
    return names


def audit(rule, *, properties=PROPERTIES, profile: str = "default", hyper: dict | None = None,
          symbolic=None, progress=None, call_seconds: float | None = CALL_SECONDS,
          property_seconds: float | None = None, game=None, game_alpha: float = GAME_ALPHA.default,
          game_steps: int = GAME_STEPS.default) -> AuditReport:
    """Check ``rule`` against each property (see :mod:`sosverify.audit.properties`).

    ``game``: a normal-form game of the user's (a path to a Gambit ``.nfg`` file, a
    :class:`~sosverify.games.normal_form.NormalForm` or a game from ``from_payoffs``).  Then the
    properties of :data:`GAME_PROPERTIES` are checked on it too (:mod:`sosverify.audit.own_game`):
    ``game-equilibria``, the local properties at its interior Nash equilibria, and ``game-runs``,
    which equilibria ``RUNS[profile]`` runs of ``game_steps`` steps at ``game_alpha`` approach.  With
    the default ``properties`` both are added to the paper's; name them in ``properties`` to choose.

    ``symbolic``: the same rule as ``fn(SymGame, alpha) -> sympy.Matrix`` (or ``"builtin"`` for the
    built-in closed forms of NL, LA, LOLA and CO); then consistency and reduction are also proved
    exactly on the drawn games (:mod:`sosverify.audit.exact`).

    Each property is checked in an isolated child (:mod:`sosverify.audit.isolation`): each call of
    the rule gets a copy of θ and at most ``call_seconds``, each property at most
    ``property_seconds`` (default :data:`PROPERTY_SECONDS` of the profile); what the rule prints is
    kept in the findings' details; a rule that changes its input in place is reported as a finding
    ("mutates its input"), and one that ends the process makes its property inconclusive and the
    report not passed.
    """
    algo = load_rule(rule)
    sym = _symbolic_rule(symbolic, algo)
    setup = None
    if game is not None:
        if properties is PROPERTIES:
            properties = (*PROPERTIES, *GAME_PROPERTIES)
        setup = _game_setup(game, game_alpha, game_steps, profile)
    properties = _property_names(properties)
    unknown = [p for p in properties if p not in CHECKS and p not in GAME_CHECKS]
    if unknown:
        raise SosverifyError(f"unknown propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}; "
                             f"valid: {', '.join(PROPERTIES)}"[:300])
    if not isinstance(profile, str) or profile not in PROFILES:
        raise SosverifyError(f"unknown profile {profile!r}; valid: {', '.join(PROFILES)}"[:300])
    on_game = [p for p in properties if p in GAME_CHECKS]
    if on_game and setup is None:
        raise SosverifyError(f"{', '.join(on_game)} check{'s' if len(on_game) == 1 else ''} a game of yours: "
                             "give it (--game FILE.nfg; game= in Python)")
    if setup is not None and not on_game:
        raise SosverifyError(f"a game is audited by {' and '.join(GAME_PROPERTIES)}; check one of them "
                             "or give no game")
    for what, value in (("call_seconds", call_seconds), ("property_seconds", property_seconds)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                  or not 0 < value <= 86400):
            raise SosverifyError(f"{what} must be a number of seconds in (0, 86400] or None, got {value!r}"[:300])
    if hyper is not None and not isinstance(hyper, dict):
        raise SosverifyError(f"hyper must be a dict of the rule's settings (e.g. {{'a': 0.5}}), got "
                             f"{type(hyper).__name__}"[:300])
    from sosverify.validation import plain_numbers

    hyper = hyperparameters(algo, plain_numbers(hyper or {}))
    seconds = property_seconds if property_seconds is not None else PROPERTY_SECONDS[profile]
    start = time.perf_counter()
    findings: list = []
    mutations: list = []
    for name in dict.fromkeys(properties):
        finding = _isolated(name, _check_property, (name, algo, hyper, profile, setup), seconds=seconds,
                            call_seconds=call_seconds, mutations=mutations)
        findings.append(finding)
        if progress:
            progress(finding)
    usable = not any(f.summary.startswith("the rule is not usable") for f in findings)
    if sym is not None and usable:
        for name in ("consistency", "reduction"):
            if name in properties:
                findings.append(_isolated(f"{name}-exact", _exact_check, (name, sym, profile), seconds=seconds,
                                          call_seconds=None, mutations=mutations))
    if mutations:
        where = ", ".join(name for name, _ in mutations)
        first = mutations[0][1].get("first_mutation", "")
        count = sum(w.get("mutated", 0) for _, w in mutations)
        findings.append(Finding("input", "fails", f"the rule mutates its input: {first}; {count} calls changed "
                                f"their θ (during {where}); each call had its own copy, so the other verdicts "
                                "are unaffected", details={"calls_that_mutated": count}))
    return AuditReport(algo.name, profile, hyper, findings, time.perf_counter() - start)


def _game_setup(game, alpha, steps, profile) -> GameSetup:
    """The user's game read and checked before any property runs (a bad file is one line, here)."""
    from sosverify.validation import plain_numbers

    nums = plain_numbers({"game_alpha": alpha, "game_steps": steps})
    alpha, steps = GAME_ALPHA.check(nums["game_alpha"]), GAME_STEPS.check(nums["game_steps"])
    nf = load_game(game)
    return GameSetup(nf, alpha, steps, RUNS.get(profile, RUNS["default"]))


def _symbolic_rule(spec, algo):
    """``None``, a callable, ``"builtin"`` (the closed form of a built-in rule) or ``"MODULE:FUNCTION"``."""
    if spec is None or callable(spec):
        return spec
    if spec == "builtin":
        from sosverify.audit.exact import BUILTIN

        if algo.name not in BUILTIN:
            raise SosverifyError(f"no built-in symbolic form of {algo.name!r}; there are: {', '.join(BUILTIN)}")
        return BUILTIN[algo.name]
    module_name, _, attr = str(spec).partition(":")
    if not module_name or not attr.isidentifier():
        raise SosverifyError(f"give the symbolic rule as MODULE:FUNCTION; got {spec!r}")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    module = _import(module_name)
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise SosverifyError(f"module {module_name!r} has no function {attr!r}")
    return fn


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
        lines.append(f"### {r.rule}" + (f" ({', '.join(f'{k}={v}' for k, v in r.hyperparameters.items())})"
                                         if r.hyperparameters else ""))
        for f in r.findings:
            lines.append(f"- **{f.property}**: {f.status} — {f.summary}")
            if f.counterexample:
                lines.append(f"  - shrunk counterexample: `{f.counterexample}`")
            if f.details.get("rule_output"):
                lines.append(f"  - the rule printed {len(f.details['rule_output'])} characters "
                             "(kept in audit.json, details.rule_output)")
        lines.append("")
    return "\n".join(lines)


def write_reports(reports, out: Path) -> None:
    from sosverify.results import write_atomic

    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "audit.md", render_markdown(reports))
    from sosverify.results import jsonable

    write_atomic(out / "audit.json", json.dumps(jsonable([r.to_json() for r in reports]), indent=2, allow_nan=False))


def builtin_rules() -> list:
    return list(ALGORITHMS)
