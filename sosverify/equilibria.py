"""Nash equilibria of a normal-form game beside its learning dynamics.

:func:`equilibria` asks Gambit (pygambit) for the game's Nash equilibria and says which solver
ran and whether its list is complete.  Each equilibrium is then placed in the logit space where
the learning rules run (:mod:`sosverify.games.normal_form`):

- an **interior** equilibrium (every strategy played with positive probability) is a fixed point
  of ξ at ``θ̄_{i,k} = log(p_{i,k} / p_{i,k_i})``; it gets the class of the game Hessian there
  (:func:`sosverify.symbolic.fixed_points.classify`: ``stable``, ``unstable``, ``strict-saddle``,
  ``other``; ``degenerate`` when H is singular, where nothing is promised) and LA/SOS's local
  convergence bound (:func:`sosverify.symbolic.analyse.local_convergence`, Theorem 4 / Cor. D.3),
  both exact when the equilibrium's probabilities are rational;
- an equilibrium on the boundary (a pure one, or one with an unplayed strategy) is **at infinity**:
  no finite logits reach it, ξ only tends to 0 along the way, and it has no Hessian class.  A pure
  equilibrium is called *strict* when each player's strategy is its unique best response.

:func:`approached` then says which equilibrium each run of :func:`sosverify.runner.run` approaches:
run ``r`` approaches equilibrium ``e`` when, at every kept step of the last ``tail`` fraction of the
run, every probability of the mixed-strategy profile is within ``tol`` of ``e``'s.  Runs that
approach none (cycling, slow drift) and runs that diverged are counted apart.

Gambit is asked about a rescaled copy of the game (each player's payoffs mapped to [0, 1] by a positive
affine map, :meth:`~sosverify.games.normal_form.NormalForm.rescaled`): such a map keeps every Nash
equilibrium, and Gambit finds none, or fails, on a payoff of magnitude 2**31 − 1 or more.  The learning rules
run on the game as given (their dynamics do depend on the payoffs' scale).  Should a solver still return no
equilibrium, or fail, its answer is *unknown* (never a complete empty list: every finite game has a Nash
equilibrium), and so is which equilibrium each run approaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy

from sosverify.errors import SosverifyError
from sosverify.games.normal_form import NormalForm, as_normal_form, gambit, to_gambit

#: Largest difference of any probability (any player, any strategy) from the equilibrium's at which a run is
#: said to be at that equilibrium.
APPROACH_TOL = 0.02
#: The final fraction of a run over which it must stay within :data:`APPROACH_TOL`.
APPROACH_TAIL = 0.25

#: name → (players it applies to, whether its list is complete, what it computes).
SOLVERS = {
    "enummixed": ("two", True,
                  "Gambit's enummixed (exact rational arithmetic): every extreme equilibrium, so every equilibrium of a "
                  "nondegenerate game; in a degenerate game the rest are convex combinations of these"),
    "lcp": ("two", False,
            "Gambit's lcp (Lemke-Howson paths, exact rational arithmetic): the equilibria its paths reach; possibly "
            "incomplete"),
    "enumpoly": ("any", False,
                 "Gambit's enumpoly (support enumeration, polynomial systems solved numerically): possibly incomplete "
                 "(a solver that returns what it finds on each support; Gambit does not certify the list)"),
    "gnm": ("any", False,
            "Gambit's gnm (global Newton method from a random perturbation, floating point): some equilibria, possibly "
            "incomplete"),
}


@dataclass(frozen=True)
class Equilibrium:
    """One Nash equilibrium placed in logit space (see the module docstring)."""

    strategies: tuple  # per player, a tuple of probabilities (Fraction when exact, else float)
    exact: bool
    interior: bool
    pure: bool
    logits: tuple | None = None  # θ̄ when interior
    kind: str | None = None  # classify(H, isolated=True): stable / unstable / strict-saddle / other / undecided
    degenerate: bool | None = None
    local_convergence: dict | None = None
    strict: bool | None = None  # pure equilibria: every player's strategy is its unique best response
    payoffs: tuple = ()

    @property
    def category(self) -> str:
        """``stable``, ``strict-saddle``, ``unstable``, ``degenerate``, ``other`` or ``at infinity``."""
        if not self.interior:
            return "at infinity"
        return "degenerate" if self.degenerate else str(self.kind)

    def as_floats(self) -> list:
        return [[float(p) for p in s] for s in self.strategies]

    def describe(self, nf: NormalForm | None = None) -> str:
        """One line: the profile, where it lies in logit space and its class."""
        def prob(p):
            return str(p) if isinstance(p, Fraction) else f"{p:.4g}"

        labels = nf.strategies if nf is not None else [[str(k + 1) for k in range(len(s))] for s in self.strategies]
        profile = "; ".join("(" + ", ".join(f"{lab} {prob(p)}" for lab, p in zip(ls, s) if p) + ")"
                            for ls, s in zip(labels, self.strategies))
        if not self.interior:
            kind = "pure" if self.pure else "on the boundary"
            strict = "" if self.strict is None else (", strict" if self.strict else ", not strict")
            return f"{profile}: {kind}{strict}, at infinity in logit space (not a fixed point of xi)"
        lc = self.local_convergence or {}
        bound = lc.get("statement") or lc.get("reason") or ""
        return f"{profile}: interior, a fixed point of xi; {self.category}; {bound}"

    def as_dict(self) -> dict:
        return {"strategies": [[str(p) if isinstance(p, Fraction) else f"{p:.6g}" for p in s] for s in self.strategies],
                "exact": self.exact,
                "interior": self.interior, "pure": self.pure, "fixed_point_in_logit_space": self.interior,
                "logits": None if self.logits is None else list(self.logits), "class": self.category,
                "kind": self.kind, "degenerate": self.degenerate, "strict": self.strict,
                "local_convergence": self.local_convergence, "payoffs": [str(v) for v in self.payoffs]}


@dataclass(frozen=True)
class Equilibria:
    """Gambit's equilibria of one game, with the solver that found them and whether the list is complete.

    ``trusted`` is False when the solver's answer cannot be right (it returned no equilibrium, though every
    finite game has one) or it failed: then the list is ``unknown``, never complete."""

    game: NormalForm
    solver: str
    complete: bool
    statement: str
    points: tuple = field(default=())
    trusted: bool = True

    @property
    def status(self) -> str:
        """``complete``, ``possibly incomplete`` or ``unknown`` (the solver's answer is not trusted)."""
        return ("complete" if self.complete else "possibly incomplete") if self.trusted else "unknown"

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self):
        return iter(self.points)

    def __getitem__(self, k):
        return self.points[k]

    def table(self) -> str:
        """The equilibria as text, one per line, after the solver's statement."""
        head = f"{len(self.points)} Nash equilibria ({self.status}: {self.statement})"
        return "\n".join([head] + [f"  E{k + 1}: {e.describe(self.game)}" for k, e in enumerate(self.points)])

    def as_dict(self) -> dict:
        return {"game": self.game.name, "solver": self.solver, "complete": self.complete, "trusted": self.trusted,
                "status": self.status, "statement": self.statement, "equilibria": [e.as_dict() for e in self.points]}


def default_solver(nf: NormalForm) -> str:
    """``enummixed`` for two players (complete), ``enumpoly`` for more (possibly incomplete)."""
    return "enummixed" if nf.n_players == 2 else "enumpoly"


def _solve(nf: NormalForm, solver: str):
    """Gambit's equilibria of ``nf`` rescaled (:meth:`~sosverify.games.normal_form.NormalForm.rescaled`: each
    player's payoffs mapped to [0, 1] by a positive affine map, which keeps every Nash equilibrium): Gambit
    finds none, or fails, on a payoff of magnitude 2**31 − 1 or more (e.g. 1e10)."""
    gbt = gambit()
    g = to_gambit(nf.rescaled())
    if solver == "enummixed":
        return gbt.nash.enummixed_solve(g, rational=True).equilibria
    if solver == "lcp":
        return gbt.nash.lcp_solve(g, rational=True).equilibria
    if solver == "enumpoly":
        return gbt.nash.enumpoly_solve(g).equilibria
    if solver == "gnm":
        return gbt.nash.gnm_solve(g).equilibria
    raise SosverifyError(f"unknown solver {solver!r}; valid solvers: {', '.join(SOLVERS)}")


#: A floating-point equilibrium is replaced by the fraction with denominator at most this nearest to it,
#: when every probability lies within :data:`RATIONAL_MATCH` of it and that profile is a Nash equilibrium exactly.
MAX_DENOMINATOR = 10_000
RATIONAL_MATCH = 1e-9


def is_nash(nf: NormalForm, strategies) -> bool:
    """Whether a profile of exact mixed strategies is a Nash equilibrium: each player's strategies in its
    support earn the best payoff against the others' (exact arithmetic)."""
    for i in range(nf.n_players):
        values = []
        for k in range(nf.shape[i]):
            pure = [list(s) for s in strategies]
            pure[i] = [Fraction(int(j == k)) for j in range(nf.shape[i])]
            values.append(nf.expected_payoffs(pure)[i])
        best = max(values)
        if any(p and v != best for p, v in zip(strategies[i], values)):
            return False
    return True


def rationalise(nf: NormalForm, strategies):
    """A floating-point equilibrium as exact fractions when that is an exact Nash equilibrium within
    :data:`RATIONAL_MATCH`; otherwise as it is."""
    if all(isinstance(p, Fraction) for s in strategies for p in s):
        return strategies
    exact = tuple(tuple(Fraction(float(p)).limit_denominator(MAX_DENOMINATOR) for p in s) for s in strategies)
    close = all(abs(float(q) - float(p)) <= RATIONAL_MATCH for s, e in zip(strategies, exact) for p, q in zip(s, e))
    if close and all(sum(s) == 1 for s in exact) and is_nash(nf, exact):
        return exact
    return strategies


def _probability(value) -> Fraction | float:
    """Gambit's probability as an exact Fraction (its Rational) or a float (its floating-point solvers)."""
    if isinstance(value, float):
        return value
    try:
        return Fraction(str(value))
    except ValueError:
        return float(value)


def equilibria(game, *, solver: str | None = None, classify: bool = True) -> Equilibria:
    """Gambit's Nash equilibria of a normal-form game, each placed in logit space and classified.

    Args:
      game: a :class:`~sosverify.games.normal_form.NormalForm`, a game made by
        :func:`~sosverify.games.normal_form.from_payoffs`, or a path to an ``.nfg`` file.
      solver: one of :data:`SOLVERS` (default :func:`default_solver`).
      classify: compute each interior equilibrium's class and LA/SOS bound (exact SymPy; the slow part).
    """
    nf = as_normal_form(game)
    solver = default_solver(nf) if solver is None else solver
    if solver not in SOLVERS:
        raise SosverifyError(f"unknown solver {solver!r}; valid solvers: {', '.join(SOLVERS)}")
    applies, complete, statement = SOLVERS[solver]
    if applies == "two" and nf.n_players != 2:
        raise SosverifyError(f"solver {solver!r} is for two-player games; this game has {nf.n_players} players "
                             "(use enumpoly or gnm)")
    gambit()  # without pygambit: one clear line, not a solver failure
    try:
        found = _solve(nf, solver)
    except SosverifyError:
        raise
    except Exception as exc:  # Gambit's own errors (e.g. lcp's RuntimeError on payoffs it cannot represent)
        return Equilibria(nf, solver, False, f"Gambit's {solver} failed ({type(exc).__name__}: {exc})"[:300]
                          + "; which equilibria the game has is unknown", (), trusted=False)
    if not found:
        return Equilibria(nf, solver, False, f"Gambit's {solver} returned no equilibrium, though every finite game "
                          "has one: its answer is not trusted and the game's equilibria are unknown", (), trusted=False)
    gbt_players = None
    points = []
    for eq in found:
        gbt_players = gbt_players or list(eq.game.players)
        strategies = rationalise(nf, tuple(tuple(_probability(eq[s]) for s in p.strategies) for p in gbt_players))
        points.append(place(nf, strategies, classify=classify))
    points.sort(key=lambda e: [-float(p) for s in e.strategies for p in s])
    return Equilibria(nf, solver, complete, statement, tuple(points))


def _is_pure(strategies) -> bool:
    return all(sum(1 for p in s if p) == 1 for s in strategies)


def _strict(nf: NormalForm, strategies) -> bool:
    """Whether every player's pure strategy is its unique best response to the others'."""
    chosen = [next(k for k, p in enumerate(s) if p) for s in strategies]
    for i, u in enumerate(nf.payoffs):
        mine = u[tuple(chosen)]
        for k in range(nf.shape[i]):
            if k != chosen[i]:
                other = list(chosen)
                other[i] = k
                if u[tuple(other)] >= mine:
                    return False
    return True


def place(nf: NormalForm, strategies, *, classify: bool = True) -> Equilibrium:
    """An equilibrium (one probability vector per player) placed in logit space and classified."""
    exact = all(isinstance(p, Fraction) for s in strategies for p in s)
    interior = all(float(p) > 0 for s in strategies for p in s)
    pure = _is_pure(strategies)
    payoffs = tuple(nf.expected_payoffs(strategies)) if exact else ()
    if not interior:
        return Equilibrium(tuple(strategies), exact, False, pure, strict=_strict(nf, strategies) if pure else None,
                           payoffs=payoffs)
    at = nf.logits(strategies)
    assert at is not None  # interior: every probability is positive
    logits = tuple(float(v) for v in at)
    if not classify:
        return Equilibrium(tuple(strategies), exact, True, pure, logits=logits, payoffs=payoffs)
    kind, degenerate, lc = (_exact_class if exact else _numeric_class)(nf, strategies)
    return Equilibrium(tuple(strategies), exact, True, pure, logits=logits, kind=kind, degenerate=degenerate,
                       local_convergence=lc, payoffs=payoffs)


def hessian_at(nf: NormalForm, strategies):
    """The game Hessian H in logit space at an interior profile of exact probabilities, exactly
    (``exp(log(r)) = r``: every entry is a rational number)."""
    import sympy

    from sosverify.symbolic.analyse import game_H

    sym = nf.symbolic()
    at = {}
    for group, s in zip(sym.players, strategies):
        last = sympy.Rational(s[-1].numerator, s[-1].denominator)
        for t, p in zip(group, s[:-1]):
            at[t] = sympy.log(sympy.Rational(p.numerator, p.denominator) / last)
    return sym, game_H(sym).subs(at).applyfunc(lambda e: sympy.nsimplify(sympy.expand(e), rational=True))


def _exact_class(nf: NormalForm, strategies):
    from sosverify.symbolic.analyse import local_convergence
    from sosverify.symbolic.fixed_points import classify

    sym, H = hessian_at(nf, strategies)
    lc = local_convergence(sym, H, family=False)
    return classify(H, isolated=True), bool(H.det() == 0), lc  # a singular H ⪰ 0 decides nothing here


def _numeric_class(nf: NormalForm, strategies):
    from sosverify import derivatives as D
    from sosverify.symbolic.analyse import numeric_kind, numeric_local_convergence

    game = nf.game()
    theta = numpy.array([nf.logits([[Fraction(p) for p in s] for s in strategies])])
    H = numpy.asarray(D.hessian(game, theta))[0]
    same = numpy.zeros_like(H)
    for s in game.slices:
        same[s, s] = 1.0
    lc = numeric_local_convergence(H, same)
    return numeric_kind(H), bool(lc.get("degenerate", False)), {**lc, "numerical": True}


def describe_approached(out: dict, solver: str | None = None) -> str:
    """:func:`approached`'s answer in one line: the runs near each equilibrium, near none and diverged;
    or, where the solver's list held no equilibrium, that which one each run approaches is unknown.

    >>> describe_approached({"counts": [3, 0], "none": 1, "diverged": 0}, "enummixed")
    "runs near each of Gambit's 2 equilibria (enummixed): [3, 0]; near none 1; diverged 0"
    >>> describe_approached({"counts": [], "none": None, "diverged": 2, "statement": "unknown: no equilibrium"})
    'unknown: no equilibrium; diverged 2'
    """
    if out.get("none") is None and out.get("statement"):
        return f"{out['statement']}; diverged {out['diverged']}"
    by = f" ({solver})" if solver else ""
    return (f"runs near each of Gambit's {len(out['counts'])} equilibria{by}: {out['counts']}; "
            f"near none {out['none']}; diverged {out['diverged']}")


def approached(history, found: Equilibria, *, tol: float = APPROACH_TOL, tail: float = APPROACH_TAIL) -> dict:
    """Which equilibrium each run of ``history`` approaches (see the module docstring).

    Returns ``{"counts": [runs per equilibrium], "none": runs near none, "unknown": 0, "diverged": runs that
    diverged, "per_run": [index of the equilibrium or None], "tolerance": tol, "tail": tail}``, and what the runs do in
    the tail: ``tail_distance`` per run, the least and the largest distance to the nearest equilibrium over
    the tail (a cycle keeps them apart, a run that settles brings both near 0, one drifting to a boundary
    that is no equilibrium keeps both large), and their medians over the runs, ``tail_distance_median``.

    When ``found`` holds no equilibrium (the solver's answer is not trusted: every finite game has one), which
    equilibrium a run approaches is unknown: ``per_run`` says ``"unknown"`` (or ``"diverged"``), ``"unknown"``
    counts those runs, ``"none"`` is None (not 0: no run is said to be near none) and ``"statement"`` says why.
    """
    if not (0 < tol < 1) or not (0 < tail <= 1):
        raise SosverifyError(f"tol must lie in (0, 1) and tail in (0, 1], got tol={tol!r}, tail={tail!r}")
    if not found.points:  # nothing to compare with (every finite game has an equilibrium: the solver's list failed)
        diverged = [bool(d) for d in numpy.asarray(history.diverged)]
        return {"counts": [], "none": None, "unknown": diverged.count(False), "diverged": sum(diverged),
                "per_run": ["diverged" if d else "unknown" for d in diverged], "tolerance": tol, "tail": tail,
                "tail_distance": [[None, None]] * len(diverged), "tail_distance_median": None,
                "statement": "which equilibrium each run approaches is unknown: no equilibrium to compare with "
                             f"({found.statement})"}
    nf = found.game
    steps = int(history.config["steps"])
    keep = numpy.asarray(history.param_steps) >= (1 - tail) * steps
    window = numpy.asarray(history.params)[keep]  # (K, R, d)
    K, R, _ = window.shape
    mixed = numpy.concatenate(nf.mixed(window.reshape(K * R, -1)), axis=1).reshape(K, R, -1)
    targets = numpy.array([numpy.concatenate([numpy.asarray(s, dtype=float) for s in e.as_floats()])
                           for e in found.points]).reshape(len(found.points), -1)
    per_run: list = []
    counts = [0] * len(found.points)
    diverged = numpy.asarray(history.diverged)
    spread = numpy.full((R, 2), numpy.nan)  # per run: the least and the largest distance to the nearest equilibrium
    for r in range(R):
        if diverged[r]:
            per_run.append("diverged")
            continue
        if len(targets):
            nearest = numpy.abs(mixed[:, r, None, :] - targets[None]).max(axis=2).min(axis=1)  # (K,)
            spread[r] = nearest.min(), nearest.max()
        dist = numpy.abs(mixed[:, r, None, :] - targets[None]).max(axis=2).max(axis=0) if len(targets) else []
        near = [k for k, v in enumerate(dist) if v <= tol]
        if near:
            k = min(near, key=lambda j: dist[j])
            counts[k] += 1
            per_run.append(k)
        else:
            per_run.append(None)
    ok = ~numpy.isnan(spread[:, 0])
    median = [float(numpy.median(spread[ok, 0])), float(numpy.median(spread[ok, 1]))] if ok.any() else None
    return {"counts": counts, "none": sum(1 for v in per_run if v is None), "unknown": 0, "diverged": int(diverged.sum()),
            "per_run": per_run, "tolerance": tol, "tail": tail, "tail_distance": spread.tolist(),
            "tail_distance_median": median}


def analyse_normal_form(game, *, solver: str | None = None, **settings) -> dict:
    """:func:`sosverify.symbolic.analyse.analyse` of a normal-form game's SymGame (``settings``: its box, timeout,
    starts, alpha, seed), with Gambit's equilibria placed in logit space under ``"nash_equilibria"``.

    ``game``: a path to an ``.nfg`` file, a :class:`~sosverify.games.normal_form.NormalForm` or a game from
    :func:`~sosverify.games.normal_form.from_payoffs`.  For ``sosverify analyse FILE.nfg``.
    """
    from sosverify.symbolic.analyse import analyse

    nf = as_normal_form(game)
    result = analyse(nf.symbolic(), **settings)
    result["nash_equilibria"] = equilibria(nf, solver=solver).as_dict()
    return result


def render_normal_form(result: dict) -> str:
    """:func:`analyse_normal_form`'s result as text: the analysis, then the equilibria."""
    from sosverify.symbolic.analyse import render_text

    eq = result["nash_equilibria"]
    status = eq.get("status") or ("complete" if eq["complete"] else "possibly incomplete")
    lines = [render_text(result), "", f"Nash equilibria (Gambit, {eq['solver']}; {status}: {eq['statement']}):"]
    for k, e in enumerate(eq["equilibria"]):
        where = "a fixed point of xi in logit space" if e["interior"] else "at infinity in logit space"
        lc = e.get("local_convergence") or {}
        extra = f"; {e['class']}; {lc.get('statement') or lc.get('reason')}" if e["interior"] else (
            "; pure, strict" if e["pure"] and e["strict"] else ("; pure" if e["pure"] else "; on the boundary"))
        lines.append(f"  E{k + 1}: {' ; '.join('(' + ', '.join(s) + ')' for s in e['strategies'])}: {where}{extra}")
    return "\n".join(lines)


def run_outcomes(history, *, solver: str | None = None, tol: float = APPROACH_TOL, tail: float = APPROACH_TAIL) -> dict:
    """For a run of a normal-form game: which of Gambit's equilibria each run approaches (:func:`approached`),
    with the equilibria's profiles; for ``sosverify run FILE.nfg``, recorded beside the results."""
    found = equilibria(history.game, solver=solver, classify=False)
    out = approached(history, found, tol=tol, tail=tail)
    out["equilibria"] = [e.as_dict()["strategies"] for e in found]
    out["solver"], out["complete"], out["status"] = found.solver, found.complete, found.status
    return out
