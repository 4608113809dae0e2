"""The audit on the user's own normal-form game (``sosverify audit RULE --game FILE.nfg``).

The judged properties of :mod:`sosverify.audit.properties` are the rule's general guarantees,
checked on drawn games.  On one game of the user's they mean something only where that game has
fixed points of ξ: its **interior** Nash equilibria (every strategy played with positive
probability), placed in logit space by :func:`sosverify.equilibria.equilibria`.  A pure or boundary
equilibrium lies at infinity in logit space: no local property applies there, and only the runs
say whether the rule heads for it.  So two more properties:

- ``game-equilibria`` (judged): at each interior equilibrium ``θ̄`` the direction is 0
  (consistency, α = 0.1, 0.3) and ⟨direction, ξ⟩ ≥ 0 at the ``2d`` points ``θ̄ ± 10⁻⁴ e_k``
  (alignment); at a *stable* one (not degenerate) the update map contracts for some α ≤ 0.3
  (convergence); at a *strict saddle* or *unstable* one it has an eigenvalue of modulus > 1 at
  α = 0.01 and 0.001 (saddles); and at random logits the direction at α = 0 is ξ (reduction, which
  holds or fails on any game).  A degenerate equilibrium (H singular) gets only consistency and
  alignment: nothing more is promised there.
- ``game-runs`` (observed): the rule from ``runs`` random logits ``N(0, 1)`` (seed 0; 20, 100 or 300
  runs by profile) for ``steps`` steps of ``alpha``, and how many runs approach each of Gambit's
  equilibria, how many none (cycling, slow drift) and how many diverged
  (:func:`sosverify.equilibria.run_outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy

from sosverify import derivatives as D
from sosverify.audit import properties as P
from sosverify.errors import SosverifyError
from sosverify.games.normal_form import NormalForm, as_normal_form
from sosverify.settings import GAME_ALPHA, GAME_STEPS

GAME_PROPERTIES = ("game-equilibria", "game-runs")
OBSERVED = ("paper-games", "game-runs")  # what a rule does, not a property that holds or fails
RUNS = {"quick": 20, "default": 100, "long": 300}  # game-runs' runs per profile
ALPHA, STEPS = GAME_ALPHA.default, GAME_STEPS.default  # game-runs' learning rate and steps (defaults)


@dataclass(frozen=True)
class GameSetup:
    """The user's game and how ``game-runs`` runs the rule on it."""

    nf: NormalForm
    alpha: float = ALPHA
    steps: int = STEPS
    runs: int = RUNS["default"]


def load_game(game) -> NormalForm:
    """A path to a Gambit ``.nfg`` file, a :class:`NormalForm` or a game from ``from_payoffs``; else one line."""
    from pathlib import Path

    if isinstance(game, (str, Path)) and not str(game).lower().endswith(".nfg"):
        raise SosverifyError(f"a game to audit on is a Gambit FILE.nfg, "
                             f"got {str(game)[:200]!r}")
    return as_normal_form(game)


def _profile(e) -> str:
    """``(1/3, 2/3) ; (1/3, 2/3)``: each player's probabilities, as Gambit gave them."""
    return " ; ".join("(" + ", ".join(s) + ")" for s in e.as_dict()["strategies"])


def _at_equilibrium(rule, game, e, hyper) -> tuple:
    """``(None | failure text, what was checked)`` at one interior equilibrium."""
    point = numpy.array(e.logits, dtype=float)
    xi0 = float(numpy.abs(D.xi(game, point[None, :])).max())
    tol = P.CONSISTENCY_ATOL + 100 * xi0  # θ̄ is a float: ξ(θ̄) is rounding, not 0
    for alpha in P.CONSISTENCY_ALPHAS:
        move = float(numpy.abs(P.call(rule, game, point[None, :], alpha, hyper)).max())
        if move > tol:
            return f"direction {move:.3g} ≠ 0 at this fixed point of ξ with α = {alpha} (consistency)", ["consistency"]
    checked = ["consistency"]
    if not e.degenerate and e.kind == "stable":
        works = [a for a in P.ALPHAS
                 if P.spectral_radius(P.update_jacobian(rule, game, point, a, hyper)) < 1]
        checked.append("convergence")
        if not works:
            radius = P.spectral_radius(P.update_jacobian(rule, game, point, P.ALPHAS[-1], hyper))
            return (f"spectral radius of the map's Jacobian ≥ 1 for every α ≥ {P.ALPHAS[-1]:g} ({radius:.12g} there) "
                    "at this stable equilibrium (convergence)"), checked
    if not e.degenerate and e.kind in ("strict-saddle", "unstable"):
        checked.append("saddles")
        for alpha in P.SADDLE_ALPHAS:
            radius = P.spectral_radius(P.update_jacobian(rule, game, point, alpha, hyper))
            if not radius > 1:
                return (f"every eigenvalue of the map's Jacobian has modulus ≤ 1 at α = {alpha} ({radius:.12g}) at "
                        f"this {e.kind} equilibrium (saddles)"), checked
    d = len(point)
    offsets = P.ALIGNMENT_OFFSET * numpy.concatenate([numpy.eye(d), -numpy.eye(d)])
    theta = point[None, :] + offsets
    xi = D.xi(game, theta)
    inner = (P.call(rule, game, theta, P.ALIGNMENT_ALPHA, hyper) * xi).sum(axis=1)
    checked.append("alignment")
    bad = numpy.flatnonzero(inner < -1e-12 * (1 + (xi * xi).sum(axis=1)))
    if bad.size:
        return (f"⟨direction, ξ⟩ = {inner[bad[0]]:.3g} < 0 at {P.ALIGNMENT_OFFSET:g} from it along "
                f"{'+' if bad[0] < d else '-'}e{bad[0] % d + 1} (α = {P.ALIGNMENT_ALPHA}; alignment)"), checked
    return None, checked


def _reduction(rule, game, hyper, examples: int):
    theta = numpy.random.default_rng(0).normal(size=(examples, game.dim))
    gap = numpy.abs(P.call(rule, game, theta, 0.0, hyper) - D.xi(game, theta)).max(axis=1)
    xi = numpy.abs(D.xi(game, theta)).max(axis=1)
    bad = numpy.flatnonzero(gap > P.REDUCTION_RTOL * (1 + xi))
    if bad.size:
        return f"at α = 0 the direction differs from ξ by {gap[bad[0]]:.3g} at logits {theta[bad[0]].round(4).tolist()}"
    return None


def game_equilibria(rule, hyper, examples, setup: GameSetup) -> P.Finding:
    """The local properties at the game's interior equilibria, and reduction at random logits (module docstring).
    Every failure is named (the first at each equilibrium, and reduction's), not only the first of all."""
    from sosverify.equilibria import equilibria

    nf = setup.nf
    game = nf.game()
    found = equilibria(nf)
    listed = f"Gambit's {found.solver}: {'complete' if found.complete else 'possibly incomplete'}"
    per, failures, held = [], [], []
    for k, e in enumerate(found):
        row = {"equilibrium": f"E{k + 1}", "strategies": e.as_dict()["strategies"], "class": e.category}
        if e.interior:
            text, row["checked"] = _at_equilibrium(rule, game, e, hyper)
            row["result"] = text or "holds"
            row["logits"] = list(e.logits)
            if text:
                failures.append(f"at E{k + 1} {_profile(e)} ({e.category}): {text}")
            else:
                held.append(f"E{k + 1} ({e.category}): {', '.join(row['checked'])}")
        per.append(row)
    text = _reduction(rule, game, hyper, examples)
    if text:
        failures.append(f"{text} (reduction)")
    interior = sum(1 for e in found if e.interior)
    details = {"game": nf.name, "solver": found.solver, "complete": found.complete, "equilibria": per,
               "interior": interior, "at_infinity": len(found) - interior, "reduction_points": examples,
               "reduction": text or "holds"}
    where = (f"on {nf.name} ({len(found)} equilibri{'um' if len(found) == 1 else 'a'}, {listed}; "
             f"{interior} interior, {len(found) - interior} at infinity, where no local property applies)")
    if failures:
        also = f"; held at {'; '.join(held)}" if held else ""
        return P.Finding("game-equilibria", "fails", f"{where}: " + "; ".join(failures) + also, details=details)
    return P.Finding("game-equilibria", "holds",
                     f"{where}: " + (f"at {'; '.join(held)} hold" if held
                                     else "no interior equilibrium, so no fixed point of ξ to check at")
                     + f"; rule(α = 0) = ξ at {examples} random logits", details=details)


def game_runs(rule, hyper, examples, setup: GameSetup) -> P.Finding:
    """Where the rule's runs go on the game: which of Gambit's equilibria each approaches (module docstring)."""
    from sosverify.equilibria import run_outcomes
    from sosverify.runner import run

    nf, steps = setup.nf, setup.steps
    h = P.observing(f"{nf.name}", lambda: run(nf.game(), P.as_algorithm(rule), alpha=setup.alpha, steps=steps,
                                              runs=setup.runs, seed=0, params_every=max(1, steps // 100), **hyper))
    out = run_outcomes(h)
    if out.get("none") is None and out.get("statement"):  # the solver's list held no equilibrium
        return P.Finding("game-runs", "inconclusive", f"on {nf.name}: {out['statement']}",
                         details={"game": nf.name, "solver": out.get("solver")})
    near = [f"E{k + 1} ({' ; '.join('(' + ', '.join(s) + ')' for s in eq)}): {c}"
            for k, (eq, c) in enumerate(zip(out["equilibria"], out["counts"])) if c]
    rest = len(out["counts"]) - len(near)
    summary = (f"on {nf.name}, {setup.runs} runs of {steps} steps at α = {setup.alpha:g} from N(0, 1) logits: "
               f"near {', '.join(near) or 'no equilibrium'}" + (f" (0 near each of the other {rest})" if near and rest
                                                                 else "")
               + f"; near none {out['none']}; diverged {out['diverged']} "
               f"({len(out['counts'])} equilibria by Gambit's {out['solver']}, "
               f"{'complete' if out['complete'] else 'possibly incomplete'})")
    details = {"game": nf.name, "alpha": setup.alpha, "steps": steps, "runs": setup.runs, "seed": 0,
               **{k: out[k] for k in ("equilibria", "counts", "none", "diverged", "per_run", "solver", "complete",
                                       "tolerance", "tail", "tail_distance_median")}}
    return P.Finding("game-runs", "observed", summary, details=details)


GAME_CHECKS = {"game-equilibria": game_equilibria, "game-runs": game_runs}
