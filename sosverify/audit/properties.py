"""The paper's guarantees as checks of any learning rule (§3–§4, Appendix D).

Each check draws games with :mod:`sosverify.audit.strategies` (games as coefficients, so a
failure shrinks to a game a person reads) plus the paper's games, and answers with a
:class:`Finding`: ``holds``, ``fails`` (with the shrunk game, printed as expressions) or
``inconclusive`` (with why).  The update map is ``F(θ) = θ − α·rule(θ)``; its Jacobian at a
fixed point is taken by central differences over one batched call of the rule (``2d`` runs),
so a rule needs no derivatives of its own and any NumPy code will do.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sosverify import derivatives as D
from sosverify.algorithms import PROPERTIES as JUDGED
from sosverify.audit import strategies as S
from sosverify.errors import SosverifyError

# Learning rates tried for local convergence and saddle avoidance ("for α small enough").
ALPHAS = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4)
SADDLE_ALPHAS = (0.01, 0.001)   # Theorem 6 at two small α: an eigenvalue of modulus > 1 at both
CONSISTENCY_ALPHAS = (0.1, 0.3)
FD_STEP = 1e-5                  # central differences for the map's Jacobian (exact for linear maps)
CONSISTENCY_ATOL = 1e-9         # ‖direction‖ at an exact fixed point (rationals, so ξ = 0 to rounding)
REDUCTION_RTOL = 1e-9           # ‖rule(α = 0) − ξ‖ ≤ rtol (1 + ‖ξ‖)
ALIGNMENT_ALPHA = 0.01
ALIGNMENT_OFFSET = 1e-4         # distance of the tried points from the fixed point
PROFILES = {"quick": 8, "default": 25, "long": 200}   # hypothesis examples per property
SHRINK_SECONDS = 10.0           # after this long shrinking one failure, keep the smallest game found so far

PROPERTIES = (*JUDGED, "paper-games")  # the judged properties a rule's record states, and what is observed


@dataclass
class Finding:
    """The answer for one property: ``holds``, ``fails``, ``inconclusive`` or ``observed``."""

    property: str
    status: str
    summary: str
    counterexample: str | None = None
    details: dict = field(default_factory=dict)


class RuleError(Exception):
    """The rule raised, returned the wrong thing, or returned NaN/inf (a finding, not a crash)."""


def call(rule, game, theta, alpha, hyper) -> numpy.ndarray:
    """``rule(game, theta, alpha=α, **hyper).direction`` checked: a finite ``(R, d)`` array."""
    from sosverify.audit import isolation

    theta = numpy.atleast_2d(numpy.asarray(theta, dtype=float))
    given = theta.copy()  # the rule's own copy: a rule that writes into θ never changes the audit's arrays
    watch = isolation.WATCH
    watch.calls += 1
    try:
        with numpy.errstate(all="ignore"), isolation.call_timer():
            out = rule.fn(game, given, alpha=alpha, **hyper)
    except SosverifyError:
        raise
    except KeyboardInterrupt:
        raise
    except isolation.CallTimedOut:
        watch.stop("call-timeout", f"a call to the rule ran past {watch.call_seconds:g} s")
        raise RuleError("ran past its time limit") from None
    except SystemExit as exc:
        watch.stop("ended", f"it called {isolation.exit_call(exc)}")
        raise RuleError(f"raised {isolation.describe(exc)}"[:200]) from None
    except BaseException as exc:  # the user's code: any other exception is a finding
        raise RuleError(f"raised {isolation.describe(exc)}"[:200]) from None
    if not numpy.array_equal(given, theta, equal_nan=True):
        watch.mutated += 1
        if not watch.first_mutation:
            watch.first_mutation = f"θ of shape {theta.shape} changed in place (at α = {alpha:g})"
    direction = getattr(out, "direction", None)
    if direction is None:
        raise RuleError(f"returned {type(out).__name__}, not a Direction(direction, losses, xi, diagnostics)")
    try:
        direction = numpy.asarray(direction)
        if direction.dtype.kind not in "fiu":
            raise TypeError(direction.dtype)
        direction = direction.astype(float)
    except (TypeError, ValueError):
        raise RuleError("returned a direction that is not an array of real numbers") from None
    if direction.shape != theta.shape:
        raise RuleError(f"returned a direction of shape {direction.shape} for parameters of shape {theta.shape}")
    if not numpy.isfinite(direction).all():
        raise RuleError("returned a direction that is not finite (NaN or inf)")
    return direction


def update_jacobian(rule, game, point, alpha, hyper) -> numpy.ndarray:
    """``∂F/∂θ`` of ``F(θ) = θ − α·rule(θ)`` at ``point``, by central differences in one batched call."""
    d = len(point)
    base = numpy.asarray(point, dtype=float)
    steps = FD_STEP * numpy.eye(d)
    thetas = numpy.concatenate([base + steps, base - steps])
    dirs = call(rule, game, thetas, alpha, hyper)
    with numpy.errstate(all="ignore"):
        J = numpy.eye(d) - alpha * ((dirs[:d] - dirs[d:]) / (2 * FD_STEP)).T
    if not numpy.isfinite(J).all():
        raise RuleError("has a Jacobian that is not finite at a fixed point (directions too large)")
    return J


def spectral_radius(J) -> float:
    return float(numpy.abs(numpy.linalg.eigvals(J)).max())


def _point(game) -> numpy.ndarray:
    return numpy.array([float(v) for v in game.fixed_point])


def _search(strategy, check, examples: int, pinned=()):
    """Run ``check(game)`` (returns ``None`` or a failure text) over drawn games, shrinking a failure.

    Returns ``(number of games tried, None)`` or ``(n, (shrunk game, text))``.
    """
    failure: dict = {"seen": []}
    tried = [0]

    def body(game):
        if "since" in failure and time.perf_counter() - failure["since"] > SHRINK_SECONDS:
            # shrinking budget spent: only games already seen failing still fail, so the shrinker
            # stops at once and its final replay (of one of them) fails as before
            if any(game == seen for seen in failure["seen"]):
                failure["game"] = game
                raise AssertionError(failure["texts"][repr(game)])
            return
        tried[0] += 1
        try:
            text = check(game)
        except RuleError as exc:  # NaN, an exception, a wrong shape: shrink it to a game too
            text = f"the rule {exc}"
        if text is not None:
            failure.setdefault("since", time.perf_counter())
            failure["seen"].append(game)
            failure.setdefault("texts", {})[repr(game)] = text
            failure["game"], failure["text"] = game, text
            raise AssertionError(text)

    test = given(game=strategy)(body)
    for game in pinned:
        test = example(game=game)(test)
    test = settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                    print_blob=False)(test)
    from hypothesis.internal.conjecture import engine  # noqa: PLC0415 (a private knob, guarded)

    saved = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if saved is not None:
        engine.MAX_SHRINKING_SECONDS = SHRINK_SECONDS  # type: ignore[assignment]
    try:
        test()
    except AssertionError:  # the last failing call is hypothesis' replay of the shrunk example
        return tried[0], (failure["game"], failure["texts"][repr(failure["game"])])
    except Exception:  # e.g. hypothesis' FlakyFailure: still a failure, on the smallest game recorded
        if "game" not in failure:
            raise
        return tried[0], (failure["game"], failure["texts"][repr(failure["game"])])
    finally:
        if saved is not None:
            engine.MAX_SHRINKING_SECONDS = saved
    return tried[0], None


def _fails_or_holds(name, tried, failed, holds_text, fail_prefix, details=None) -> Finding:
    if failed is None:
        return Finding(name, "holds", holds_text.format(n=tried), details=details or {})
    game, text = failed
    return Finding(name, "fails", f"{fail_prefix}: {text}", counterexample=repr(game), details=details or {})


def consistency(rule, hyper, examples) -> Finding:
    """1. At every fixed point the direction is 0 (§3.1: LOLA is not; LA and SOS are)."""
    worst = {"displacement": 0.0, "game": None}

    def check(game):
        point = _point(game)
        for alpha in CONSISTENCY_ALPHAS:
            move = float(numpy.abs(call(rule, game.numeric, point[None, :], alpha, hyper)).max())
            if move > worst["displacement"]:
                worst.update(displacement=move, game=repr(game))
            if move > CONSISTENCY_ATOL:
                return f"direction {move:.3g} ≠ 0 at the fixed point with α = {alpha}"
        return None

    games = st.one_of(S.games_with_a_fixed_point(), S.quadratic_games(kind="general"))
    tried, failed = _search(games, check, examples, pinned=(S.TANDEM, S.CYCLIC, S.COMMON_SADDLE))
    return _fails_or_holds("consistency", tried, failed,
                           "direction = 0 at every fixed point of {n} games (largest |direction| "
                           f"{worst['displacement']:.2g})", "moves off a fixed point",
                           {"largest_displacement": worst["displacement"]})


def convergence(rule, hyper, examples) -> Finding:
    """2. Near stable fixed points the update map contracts for small α (Corollary D.3, Thm 4)."""
    largest: dict = {}

    def check(game):
        point = _point(game)
        for alpha in CONSISTENCY_ALPHAS:
            move = float(numpy.abs(call(rule, game.numeric, point[None, :], alpha, hyper)).max())
            if move > CONSISTENCY_ATOL:
                return f"the map does not fix the point (direction {move:.3g} at α = {alpha}), so no run converges to it"
        works = [a for a in ALPHAS if spectral_radius(update_jacobian(rule, game.numeric, point, a, hyper)) < 1]
        # per family: the largest α of the grid that works for every game seen so far
        largest[game.name] = min(largest.get(game.name, math.inf), max(works) if works else 0.0)
        if not works:
            radius = spectral_radius(update_jacobian(rule, game.numeric, point, ALPHAS[-1], hyper))
            return f"spectral radius of the map's Jacobian ≥ 1 for every α ≥ {ALPHAS[-1]:g} ({radius:.12g} there)"
        return None

    tried, failed = _search(S.quadratic_games(kind="stable"), check, examples, pinned=(S.CYCLIC,))
    return _fails_or_holds("convergence", tried, failed,
                           "the map contracts at {n} stable fixed points for some α ≤ 0.3",
                           "does not converge to a stable fixed point",
                           {"largest_alpha_that_works": {k: v for k, v in largest.items()}})


def saddles(rule, hyper, examples) -> Finding:
    """3. At strict saddles the map's Jacobian has an eigenvalue of modulus > 1 (Theorem 6)."""
    def check(game):
        point = _point(game)
        for alpha in SADDLE_ALPHAS:
            radius = spectral_radius(update_jacobian(rule, game.numeric, point, alpha, hyper))
            if not radius > 1:
                return f"every eigenvalue of the map's Jacobian has modulus ≤ 1 at α = {alpha} ({radius:.12g})"
        return None

    tried, failed = _search(S.quadratic_games(kind="saddle"), check, examples,
                            pinned=(S.COMMON_SADDLE, S.THREE_CYCLE))
    return _fails_or_holds("saddles", tried, failed,
                           "an eigenvalue of modulus > 1 at {n} strict saddles (α = 0.01, 0.001)",
                           "can be attracted to a strict saddle")


def reduction(rule, hyper, examples) -> Finding:
    """4. α = 0 gives naive learning: the direction is ξ."""
    def check(args):
        game, point = args
        theta = numpy.array([[float(v) for v in point]])
        xi = D.xi(game.numeric, theta)
        got = call(rule, game.numeric, theta, 0.0, hyper)
        gap = float(numpy.abs(got - xi).max())
        if gap > REDUCTION_RTOL * (1 + float(numpy.abs(xi).max())):
            return f"at α = 0 the direction differs from ξ by {gap:.3g} at {tuple(str(v) for v in point)}"
        return None

    games = S.polynomial_games().flatmap(lambda g: st.tuples(st.just(g), S.points(g)))
    tried, failed = _search(games, check, examples)
    if failed is not None:
        (game, point), text = failed
        failed = (game, text)
    return _fails_or_holds("reduction", tried, failed, "rule(α = 0) = ξ at {n} points of polynomial games",
                           "is not naive learning at α = 0")


def alignment(rule, hyper, examples) -> Finding:
    """5. ⟨direction, ξ⟩ ≥ 0 near fixed points (else the rule can move away from an equilibrium)."""
    def check(args):
        game, signs = args
        theta = _point(game) + ALIGNMENT_OFFSET * numpy.array(signs, dtype=float)
        theta = theta[None, :]
        xi = D.xi(game.numeric, theta)
        got = call(rule, game.numeric, theta, ALIGNMENT_ALPHA, hyper)
        inner = float((got * xi).sum())
        if inner < -1e-12 * (1 + float((xi * xi).sum())):
            return f"⟨direction, ξ⟩ = {inner:.3g} < 0 at offset {ALIGNMENT_OFFSET:g}·{tuple(signs)} (α = {ALIGNMENT_ALPHA})"
        return None

    games = st.one_of(S.quadratic_games(kind="stable"), S.quadratic_games(kind="general"),
                      S.games_with_a_fixed_point()).flatmap(
        lambda g: st.tuples(st.just(g), st.lists(st.sampled_from([-1, 0, 1]), min_size=g.dim, max_size=g.dim)
                            .filter(any)))
    tried, failed = _search(games, check, examples, pinned=((S.LOPSIDED_CYCLE, [1, 0]), (S.CYCLIC, [1, 1])))
    if failed is not None:
        (game, _), text = failed
        failed = (game, text)
    return _fails_or_holds("alignment", tried, failed, "⟨direction, ξ⟩ ≥ 0 at {n} points near fixed points",
                           "points away from ξ near a fixed point")


def paper_games(rule, hyper, examples) -> Finding:
    """6. Behaviour on the paper's games: the tandem's line, matching pennies, the IPD's loss."""
    from sosverify.runner import run

    return observing("the paper's games", lambda: _paper_games(as_algorithm(rule), hyper, run))


def as_algorithm(rule):
    from sosverify.algorithms import Algorithm

    return rule if isinstance(rule, Algorithm) else Algorithm("rule", rule.fn)


def observing(where: str, observe):
    """``observe()`` (runs of the rule), a rule that fails mid-run turned into a :class:`RuleError` naming ``where``."""
    try:
        return observe()
    except SosverifyError:
        raise
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:
        from sosverify.audit import isolation

        isolation.WATCH.stop("ended", f"it called {isolation.exit_call(exc)} during a run on {where}")
        raise RuleError(f"called {isolation.exit_call(exc)} during a run on {where}"[:300]) from None
    except BaseException as exc:  # a rule that fails after its first step
        from sosverify.audit.isolation import describe

        text = describe(exc)
        kind, _, message = text.partition(": ")
        raise RuleError(f"raised {kind} during a run on {where}: {message}"[:300]) from None


def _paper_games(algo, hyper, run) -> Finding:
    out = {}
    h = run("tandem", algo, alpha=0.1, steps=300, runs=10, seed=0, init_std=0.1, **hyper)
    ok = ~h.diverged
    s = float(h.params[-1][ok].sum(axis=1).mean()) if ok.any() else math.nan
    out["tandem"] = {"x_plus_y": s, "diverged": int(h.diverged.sum())}
    tandem = ("diverged" if not ok.any() else "reaches x + y = 1" if abs(s - 1) < 1e-3
              else f"ends on the shifted line x + y = {s:.4g}")
    h = run("matching-pennies", algo, alpha=1.0, steps=300, runs=10, seed=0, init_std=0.5, **hyper)
    ok = ~h.diverged
    heads = 1 / (1 + numpy.exp(-h.params[:, :, :2]))
    dist = numpy.linalg.norm(heads - 0.5, axis=2)
    first, last = float(dist[0][ok].mean()) if ok.any() else math.nan, float(dist[-1][ok].mean()) if ok.any() else math.nan
    pennies = ("diverges" if not ok.any() else "converges to (½, ½)" if last < 1e-3
               else "moves away from (½, ½)" if last > first else "cycles or converges slowly")
    out["matching_pennies"] = {"initial_distance": first, "final_distance": last, "diverged": int(h.diverged.sum())}
    h = run("ipd", algo, alpha=1.0, steps=200, runs=10, seed=0, init_std=1.0, **hyper)
    ok = ~h.diverged
    loss = float(h.reported_losses[-1][:, ok].mean()) if ok.any() else math.nan
    out["ipd"] = {"average_loss": loss, "diverged": int(h.diverged.sum())}
    summary = (f"tandem: {tandem}; matching pennies: {pennies} (distance {first:.3g} → {last:.3g}); "
               f"IPD: average loss {loss:.3f} after 200 steps (mutual cooperation 1, defection 2)")
    return Finding("paper-games", "observed", summary, details=out)


CHECKS = {"consistency": consistency, "convergence": convergence, "saddles": saddles, "reduction": reduction,
          "alignment": alignment, "paper-games": paper_games}
