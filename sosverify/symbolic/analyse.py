"""`sosverify analyse`: the analysis of a user's game, as text or JSON, with an honest status for
every answer.

ξ, H and χ are always given.  The fixed points (ξ = 0) and LOLA's fixed points (LOLA's direction
= 0, App. C) each get one status:

- ``exact``: SymPy's closed-form solutions, and the list is complete: either the number of real
  solutions is certified (Gröbner basis and Sturm, :mod:`sosverify.symbolic.exact`) and matches,
  or (families, LOLA's α-dependent points) a numeric search in the box found nothing else;
- ``numerical``: points found by a numeric search from many starts in the box (each with its
  residual ‖ξ‖ and, where it can be had, a Krawczyk certificate that exactly one zero lies in a
  small box), possibly with exact ones; ``complete`` is true only if a certified count of real
  solutions is met;
- ``none``: proved that there is no real solution;
- ``unknown``: SymPy gave up or ran out of time and the numeric search found nothing.

Each point has a ``kind`` (§2.2), and ``degenerate`` when H is singular at an isolated point (no
convergence promise); a ``family`` is a solution set of positive dimension, ``stable`` when H ⪰ 0 is
proved at every real point of it and ``undecided`` otherwise
(:func:`~sosverify.symbolic.fixed_points.family_kind`).  Every stage has a time limit (``timeout``
seconds, each in a forked child) and reports what it has when it stops.
"""

from __future__ import annotations

import math
import time

import numpy
import sympy

from sosverify.safe_expr import NON_SMOOTH_CLASSES, is_smooth
from sosverify.symbolic.exact import _why, solve_exactly, stream_with_timeout
from sosverify.symbolic.fixed_points import classify, family_kind
from sosverify.symbolic.game import ALPHA, SymGame
from sosverify.symbolic.numeric import drop_dirac, iter_zeros, krawczyk, lambdify_numeric
from sosverify.symbolic.stability import contraction_bound, lookahead_matrix, positive_stability_bound

DEFAULT_BOX = (-10.0, 10.0)
DEFAULT_TIMEOUT = 10.0
DEFAULT_STARTS = 100
NUMERIC_ALPHA = sympy.Rational(1, 10)
MAX_LISTED = 20
#: an argument of abs or sign this close to 0 puts a point on a kink (no ξ, no promise): the side that
#: withholds a promise when in doubt
KINK_TOL = 1e-9


def describe_number(value) -> str:
    """An exact number as text: rationals and radicals as SymPy prints them, a polynomial root
    as 'the root ≈ v of p(alpha)'."""
    if isinstance(value, sympy.CRootOf):
        poly = value.poly.as_expr().subs(value.poly.gen, sympy.Symbol("alpha"))
        return f"{float(sympy.N(value)):.6g} (the real root of {poly} near it)"
    return str(value)


def local_convergence(game: SymGame, H: sympy.Matrix, *, family: bool = True) -> dict:
    """Whether LA/SOS converge locally to a fixed point with Hessian H, and for exactly which α.

    Theorem 4 / Corollary D.3: LA's (and, near fixed points, SOS's) map has Jacobian
    I − αG(α), G = (I − αH_o)H.  :func:`contraction_bound` finds the exact interval
    0 < α < ``alpha_max`` on which every eigenvalue of it lies inside the unit circle, after
    setting aside the eigenvalues 1 of directions along a family of fixed points (``neutral``).
    ``epsilon`` is the positive-stability bound of G itself (Theorem 2).  At an isolated point
    (``family=False``) where H is singular nothing is promised (``degenerate``).
    """
    if H.free_symbols:
        return {"applies": False, "reason": "H depends on the free parameters of the family"}
    singular = H.det() == 0
    if singular and not family:
        return {"applies": False, "singular": True, "degenerate": True,
                "reason": "degenerate: H is singular at this isolated fixed point; no local convergence promise"}
    H_o = H - H.multiply_elementwise(game.same_player)  # H_o of this game's blocks
    G = lookahead_matrix(H, H_o)
    contraction = contraction_bound(G)
    out: dict = {"singular": singular, "neutral_directions": contraction["neutral"]}
    if contraction["neutral"] == H.shape[0]:
        out.update(applies=True, statement="every point nearby is a fixed point: LA and SOS stay where they start")
        return out
    if not singular:
        stable = positive_stability_bound(G)
        out["epsilon"] = describe_number(stable["epsilon"])
        out["epsilon_value"] = None if stable["epsilon"] == sympy.oo else float(sympy.N(stable["epsilon"]))
    if not contraction["stable_for_small_alpha"]:
        out.update(applies=False, reason="LA's map does not contract for small α: no local convergence")
        return out
    bound = contraction["epsilon"]
    out.update(applies=True, alpha_max=describe_number(bound),
               alpha_max_value=None if bound == sympy.oo else float(sympy.N(bound)),
               alpha_max_certified_lower=str(contraction["epsilon_lower"]))
    towards = " (towards the family of fixed points)" if contraction["neutral"] else ""
    shown = "every alpha > 0" if bound == sympy.oo else f"0 < alpha < {describe_number(bound)}"
    out["statement"] = f"LA and SOS converge locally for {shown}{towards}"
    return out


def numeric_local_convergence(H: numpy.ndarray, same_player: numpy.ndarray) -> dict:
    """Local convergence of LA/SOS at a numeric fixed point: the α for which the spectral radius
    of I − αG(α), G = (I − αH_o)H, stays below 1, from a scan of α on a log grid (numerical)."""
    d = H.shape[0]
    scale = max(1.0, float(numpy.abs(H).max()))
    if numpy.linalg.svd(H, compute_uv=False).min() < 1e-8 * scale:
        return {"applies": False, "singular": True, "degenerate": True,
                "reason": "degenerate: H is (numerically) singular here; no local convergence promise"}
    H_o = H * (1 - same_player)

    def radius(a: float) -> float:
        return float(numpy.abs(numpy.linalg.eigvals(numpy.eye(d) - a * (numpy.eye(d) - a * H_o) @ H)).max())

    grid = numpy.logspace(-6, 3, 400)
    rho = numpy.array([radius(a) for a in grid])
    if rho[0] >= 1:
        return {"applies": False, "singular": False,
                "reason": "LA's map does not contract for small α (numerically): no local convergence"}
    bad = numpy.flatnonzero(rho >= 1)
    alpha_max = None
    if bad.size:  # the first crossing, bisected between the last α that contracts and the first that does not
        lo, hi = float(grid[bad[0] - 1]), float(grid[bad[0]])
        while hi - lo > 1e-12 * hi:
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if radius(mid) < 1 else (lo, mid)
        alpha_max = lo  # contracts here: never above the true first crossing (the old scan gave its next grid α)
    shown = f"0 < alpha < {alpha_max:.3g} (numerical scan)" if alpha_max else "every alpha up to 1000 scanned"
    return {"applies": True, "singular": False, "alpha_max_value": alpha_max,
            "statement": f"LA and SOS converge locally for {shown}"}


def numeric_kind(H: numpy.ndarray) -> str:
    """:func:`classify` for a float H, with a tolerance relative to its size.

    Where H is numerically singular (a point of a family of fixed points, or a degenerate one) the
    signs that decide the kind are within rounding of zero: such a point is ``undecided`` unless an
    eigenvalue's real part is clearly negative (a strict saddle whatever the zero ones are).  A
    stable fixed point is H ⪰ 0 *and* invertible (SPEC §1), which floats cannot show at a singular H;
    the exact stage says the same of an isolated point with a singular H ⪰ 0 (:func:`classify`'s
    ``isolated``), so the two stages agree on it.

    >>> numeric_kind(numpy.eye(2)), numeric_kind(numpy.zeros((2, 2))), numeric_kind(numpy.array([[1.0, 0], [1, 0]]))
    ('stable', 'undecided', 'undecided')
    >>> numeric_kind(numpy.array([[0.0, 0], [0, -1]])), numeric_kind(-numpy.eye(2))
    ('strict-saddle', 'unstable')
    """
    tol = 1e-8 * max(1.0, float(numpy.abs(H).max()))
    sym = numpy.linalg.eigvalsh((H + H.T) / 2)
    if numpy.all(sym < -tol):
        return "unstable"
    if numpy.any(numpy.linalg.eigvals(H).real < -tol):
        return "strict-saddle"
    if numpy.linalg.svd(H, compute_uv=False).min() < tol:
        return "undecided"
    if numpy.all(sym >= -tol):
        return "stable"
    return "other"


def _is_family(sol: dict, symbols) -> bool:
    return len(sol) < len(symbols) or any(v.free_symbols & set(symbols) for v in sol.values())


def _text(value) -> str:
    return f"{_real_value(value):.15g}" if value.has(sympy.CRootOf) else str(value)


def _exact_detail(sol: dict, game: SymGame, H) -> dict:
    """Kind and local convergence of one exact solution (run in a child under the time limit)."""
    family = _is_family(sol, game.symbols)
    Hs = H.subs(sol)
    lc = local_convergence(game, Hs, family=family)
    # stable only where proved; an isolated point with H singular is undecided (classify's isolated)
    kind = family_kind(Hs) if family and Hs.free_symbols else classify(Hs, isolated=not family)
    return {"kind": kind, "H": str(Hs.tolist()), "local_convergence": lc,
            "degenerate": bool(lc.get("degenerate", False))}


def _numeric_detail(value, game: SymGame, H) -> dict:
    """The same at an isolated exact point, from float H (when the exact classification ran out of time);
    where H cannot be evaluated there (a pole: x**(4/3)'s second derivative at 0) the point is 'undecided'."""
    try:
        with numpy.errstate(all="ignore"):
            Hn = numpy.array(lambdify_numeric(game.symbols, drop_dirac(H))(*value), dtype=float)
    except (ArithmeticError, ValueError, TypeError):
        Hn = numpy.full((game.dim, game.dim), numpy.nan)
    if not numpy.all(numpy.isfinite(Hn)):
        return {"kind": "undecided", "kind_status": "numerical",
                "H": "not finite here (H has a pole or singularity at this point)",
                "local_convergence": {"applies": False, "reason": "H is not finite at this point: nothing is promised"},
                "degenerate": True}
    lc = numeric_local_convergence(Hn, numpy.array(game.same_player.tolist(), dtype=float))
    return {"kind": numeric_kind(Hn), "kind_status": "numerical", "H": str(numpy.round(Hn, 12).tolist()),
            "local_convergence": lc, "degenerate": bool(lc.get("degenerate", False))}


def _real_value(value) -> float:
    """A real number SymPy may write with I (casus irreducibilis), as a float."""
    return float(sympy.re(sympy.N(value, 30)))


def _on_exact(point, sols, symbols, param_values) -> bool:
    """Whether a numeric point satisfies one of the exact solutions (lies on it)."""
    at = {**dict(zip(symbols, point)), **param_values}
    for sol in sols:
        try:
            if all(abs(_real_value(v.subs(at)) - at[k]) <= 1e-6 * (1 + abs(at[k])) for k, v in sol.items()):
                return True
        except (TypeError, ValueError):
            continue
    return False


def _on_kink(game: SymGame, point) -> bool:
    """Whether an argument of abs or sign in some loss vanishes (to :data:`KINK_TOL`) at ``point``."""
    at = dict(zip(game.symbols, point))
    for loss in game.losses:
        for atom in loss.atoms(*NON_SMOOTH_CLASSES):
            try:
                if abs(float(atom.args[0].subs(at))) < KINK_TOL:
                    return True
            except (TypeError, ValueError):
                return True
    return False


def _exact_on_kink(game: SymGame, sol: dict) -> bool:
    """Whether an argument of abs or sign in some loss vanishes at an exact solution (to
    :data:`KINK_TOL` at a point; identically on a family): SymPy's sign(0) = 0 makes such points
    solve ξ = 0, but ξ is not defined there."""
    for loss in game.losses:
        for atom in loss.atoms(*NON_SMOOTH_CLASSES):
            arg = atom.args[0].subs(sol)
            if arg.free_symbols:  # on a family, or a point of LOLA's that moves with α
                if sympy.expand(arg) == 0:
                    return True
                continue
            try:
                if abs(_real_value(arg)) < KINK_TOL:
                    return True
            except (TypeError, ValueError):
                return True
    return False


def _loss_not_real(value) -> bool:
    """Whether a loss's value (a SymPy number, or a float or complex from NumPy) is not a finite real."""
    try:
        z = complex(value)
    except (TypeError, ValueError):
        return True
    return not (math.isfinite(z.real) and math.isfinite(z.imag)) or abs(z.imag) > 1e-12 * (1 + abs(z.real))


def _exact_outside_domain(game: SymGame, sol: dict) -> bool:
    """Whether some loss is not real (or not finite) at the isolated exact solution ``sol``: ξ may
    vanish where a loss is not defined (L = x²/2 − log x has ξ = x − 1/x = 0 at x = −1, where log x
    is not real), and such a point is no fixed point of the game."""
    for loss in game.losses:
        try:
            if _loss_not_real(sympy.N(loss.subs(sol), 30)):
                return True
        except (TypeError, ValueError, ArithmeticError):
            return True
    return False


def _numeric_outside_domain(losses, value) -> bool:
    """:func:`_exact_outside_domain` at a numerical point, in floating point (``losses``: the losses
    as NumPy functions of the symbols)."""
    for loss in losses:
        try:
            with numpy.errstate(all="ignore"):
                got = loss(*value)
        except (ArithmeticError, ValueError, TypeError):
            return True
        if _loss_not_real(got):
            return True
    return False


def _describe_exact(sol: dict, symbols, game: SymGame | None = None) -> dict:
    """An exact solution as plain data (run in the exact stage's child: evaluating a root of a
    high-degree polynomial to 30 digits is SymPy work too)."""
    point: dict = {"status": "exact", "solution": {str(k): _text(v) for k, v in sol.items()}}
    if game is not None and _exact_on_kink(game, sol):
        point["kink"] = True
    if game is not None and not _is_family(sol, symbols) and not any(v.free_symbols for v in sol.values()):
        point["outside_domain"] = _exact_outside_domain(game, sol)
    if any(v.has(sympy.CRootOf) for v in sol.values()):
        point["algebraic"] = {str(k): str(v) for k, v in sol.items()}
    if _is_family(sol, symbols):
        point["family"] = {"dimension": len(symbols) - len(sol)}
    elif not any(v.free_symbols for v in sol.values()):  # LOLA's points may depend on α
        point["value"] = [_real_value(sol[s]) for s in symbols]
    return point


def _classifications(sols, values, game: SymGame, H):
    """The classification stage, as a generator for :func:`stream_with_timeout`: first the numeric
    classification of every isolated point (cheap), then the exact one point by point."""
    for i, value in enumerate(values):
        if value is not None:
            yield i, _numeric_detail(value, game, H)
    for i, sol in enumerate(sols):
        try:
            yield i, _exact_detail(sol, game, H)
        except Exception:  # SymPy failed on this point: the numeric answer (if any) stands
            continue


def _numeric_points(field, symbols, game: SymGame, sols, param_values, with_details, box, starts, seed, timeout):
    """The numeric stage, as a generator for :func:`stream_with_timeout`: each zero found (not on an
    exact solution) fully described, then ``{"finished": bool}``."""
    started = time.monotonic()
    field = sympy.Matrix(field)
    jac = lambdify_numeric(symbols, drop_dirac(field.jacobian(symbols)))
    losses = [lambdify_numeric(game.symbols, drop_dirac(loss)) for loss in game.losses]
    same = numpy.array(game.same_player.tolist(), dtype=float)
    finished = True
    for p in iter_zeros(field, symbols, box=box, starts=starts, rng=numpy.random.default_rng(seed),
                        deadline=started + timeout):
        if p is None:  # the search stopped at its deadline
            finished = False
            break
        if _on_exact(p["value"], sols, symbols, param_values):
            continue
        point = {"status": "numerical", "solution": {str(s): f"{v:.15g}" for s, v in zip(symbols, p["value"])},
                 "value": p["value"].tolist(), "residual": p["residual"],
                 "certificate": krawczyk(list(field), jac, symbols, p["value"]),
                 "outside_domain": _numeric_outside_domain(losses, p["value"])}
        if with_details:
            lc = numeric_local_convergence(p["jacobian"], same)
            point.update(kind=numeric_kind(p["jacobian"]), degenerate=bool(lc.get("degenerate", False)),
                         H=str(numpy.round(p["jacobian"], 12).tolist()), local_convergence=lc)
        if _on_kink(game, p["value"]):
            point.update(kink=True, certificate=None)
            if with_details:
                point.update(kind="non-smooth", local_convergence=dict(_KINK_NO_PROMISE))
        yield point
    yield {"finished": finished}


_KINK_NO_PROMISE = {"applies": False, "reason": "on a kink of a non-smooth loss (an argument of abs or sign is 0): "
                                                "ξ is not defined here; no convergence promise"}


def _answer(game: SymGame, field, params, *, numeric_field, H, with_details: bool, box, timeout, starts,
            seed, param_values=None) -> dict:
    """One answer (fixed points or LOLA's fixed points) with its status.  Three stages, each in a
    forked child killed at ``timeout`` seconds (:func:`stream_with_timeout`): the exact solve, the
    classification of its points, the numeric search; this process only assembles their plain answers."""
    symbols = game.symbols
    param_values = param_values or {}
    started = time.monotonic()
    exact = solve_exactly(list(field), symbols, params, timeout=timeout,
                          describe=lambda sol: _describe_exact(sol, symbols, game))
    stages = {"exact": exact.get("proof") or exact.get("reason") or "solved by SymPy",
              "exact_status": {"partial": "exact, not proved complete"}.get(exact["status"], exact["status"]),
              "exact_seconds": round(time.monotonic() - started, 2)}
    if exact["status"] == "none":
        return {"status": "none", "complete": True, "points": [], "stages": stages}
    sols = exact.get("solutions", [])
    points = [dict(p) for p in exact.get("described", [])]
    if with_details and sols:
        started = time.monotonic()
        got, end = stream_with_timeout(_classifications, (sols, [p.get("value") for p in points], game, H),
                                       timeout=timeout)
        details: list = [None] * len(sols)
        for i, det in got:
            details[i] = det
        exact_kinds = sum(1 for d in details if d is not None and "kind_status" not in d)
        if exact_kinds < len(sols):
            why = f"timed out after {timeout:g} s" if end == "timeout" else "SymPy failed on some"
            stages["classification"] = (f"{len(sols) - exact_kinds} of {len(sols)} points not classified exactly "
                                        f"({why}); isolated ones are classified numerically")
        stages["classification_seconds"] = round(time.monotonic() - started, 2)
        for point, det in zip(points, details):
            point.update(det or {"kind": "unknown", "degenerate": None, "local_convergence": {
                "applies": False, "reason": f"classification timed out after {timeout:g} s"}})
            if point.get("kink"):
                point.update(kind="non-smooth", local_convergence=dict(_KINK_NO_PROMISE))
    # numeric search: the fallback when SymPy did not answer, and a cross-check of a list not proved complete
    count = exact.get("real_count")
    certified_complete = exact["status"] == "exact" and count is not None
    numeric_points = []
    if not certified_complete:
        started = time.monotonic()
        got, end = stream_with_timeout(_numeric_points, (numeric_field, symbols, game, sols, param_values,
                                                         with_details, box, starts, seed, timeout), timeout=timeout)
        finished = any(isinstance(g, dict) and g.get("finished") for g in got)
        numeric_points = sorted((g for g in got if "status" in g), key=lambda p: tuple(p["value"]))
        if end.startswith("error"):
            stopped = f" (stopped: {end})"
        else:
            stopped = "" if finished else f" (timed out: stopped at the {timeout:g} s limit)"
        stages["numeric"] = f"{starts if finished else 'some'} starts in [{box[0]:g}, {box[1]:g}]^{len(symbols)}{stopped}"
        stages["numeric_seconds"] = round(time.monotonic() - started, 2)
    points += numeric_points
    if exact["status"] == "exact" and not numeric_points:
        status, complete = "exact", True
        stages["completeness"] = ("the number of real solutions is certified" if certified_complete
                                  else "not contradicted by the numeric search")
    elif points:
        status = "numerical"
        certified = sum(1 for p in points if p["status"] == "exact" or p.get("certificate"))
        complete = count is not None and certified == count and len(points) == count
        if count is not None:
            stages["completeness"] = f"{count} real solutions (certified count); {len(points)} found"
    else:
        status, complete = "unknown", False
    # zeros of the field where a loss is not real are no fixed points of the game: left out, and named
    outside = [p for p in points if p.pop("outside_domain", False)]
    answer = {"status": status, "complete": complete, "points": [p for p in points if p not in outside],
              "stages": stages}
    if outside:
        answer["outside_domain"] = outside
        stages["domain"] = (f"{len(outside)} zero{'s' if len(outside) > 1 else ''} of the field left out: "
                            "a loss is not real there")
    return answer


def game_H(game: SymGame):
    return drop_dirac(game.H)


def _derivatives(game: SymGame, alpha):
    """The derivatives stage (in a child): ξ, H, χ and LOLA's direction, as SymPy matrices for the
    later stages and as text and LaTeX for the answer."""
    xi, H, chi = game.xi, game_H(game), drop_dirac(game.chi)
    lola = drop_dirac(game.lola(ALPHA))
    # shown as they hold away from the kinks of abs and sign (the warning says so): sign(y)·y²'s ξ holds
    # y²·δ(y), 0 wherever it is defined, which the parser (rightly) does not read back
    shown = drop_dirac(sympy.Matrix(xi))
    yield {"xi": xi, "H": H, "chi": chi, "lola": lola, "lola_numeric": lola.subs(ALPHA, alpha),
           "text": {"losses": [str(loss) for loss in game.losses], "xi": [str(e) for e in shown],
                    "H": [[str(e) for e in row] for row in H.tolist()],
                    "chi": [str(e) for e in chi]},
           "latex": {"xi": sympy.latex(shown), "H": sympy.latex(H), "chi": sympy.latex(sympy.Matrix(chi))}}


def _check_settings(box, timeout, starts, alpha, seed):
    """Refuse bad settings with one line; returns the box and the timeout as floats and α as an exact
    rational (numbers of any real type are taken, as the command line takes 1/10)."""
    import math

    from sosverify.errors import SosverifyError
    from sosverify.validation import check_count, check_seed, exact_rational, real_number

    if isinstance(box, (str, bytes)) or not hasattr(box, "__len__") or len(box) != 2:
        raise SosverifyError(f"box must be two numbers (lo, hi), got {box!r}"[:200])
    try:
        lo, hi = (real_number("box", v) for v in box)
    except SosverifyError:
        raise SosverifyError(f"box must be two finite numbers (lo, hi), got {box!r}"[:200]) from None
    if not (lo < hi and math.isfinite(hi - lo)):
        raise SosverifyError(f"box must be two finite numbers lo < hi whose difference is finite, got {box!r}"[:200])
    try:
        seconds = real_number("timeout", timeout, positive=True)
    except SosverifyError:
        seconds = math.nan
    if not 0 < seconds <= 3600:
        raise SosverifyError(f"timeout must be a number of seconds in (0, 3600], got {timeout!r}"[:200])
    timeout = seconds
    check_count("starts", starts, 100_000)
    check_seed(seed)
    name = "alpha (for the numeric search of LOLA's points)"
    alpha = exact_rational(name, alpha, positive=True)
    if not sympy.Rational(1, 10**300) <= alpha <= 10**300:  # 1e-5000 would print as a 5000-digit fraction
        raise SosverifyError(f"{name} must be between 1e-300 and 1e300, got {sympy.N(alpha, 3)}")
    return (lo, hi), timeout, alpha


def as_symbolic_game(game) -> SymGame:
    """What ``analyse`` takes, as the command line does: a :class:`SymGame`, the ``--player`` strings
    ("SYMBOLS=LOSS", one per player; a single string is one player, not its letters), or a numeric
    game built from expressions (``from_expressions``/``game_from_specs``, which keep them)."""
    from sosverify.errors import SosverifyError
    from sosverify.game import Game

    if isinstance(game, SymGame):
        return game
    if isinstance(game, str):
        game = [game]
    if isinstance(game, Game):
        params = game.params or {}
        if "losses" in params and "players" in params:
            return SymGame(list(params["losses"]), [list(p) for p in params["players"]], name=game.name)
        raise SosverifyError(f"game {game.name!r} has no loss expressions to analyse symbolically; analyse "
                             'takes a SymGame, "SYMBOLS=LOSS" strings (as --player) or a game built from expressions')
    if isinstance(game, (list, tuple)) and all(isinstance(s, str) for s in game):
        return SymGame.from_specs(list(game))
    raise SosverifyError(f'analyse takes a SymGame or a list of "SYMBOLS=LOSS" strings (as --player, e.g. '
                         f'["x=x*y", "y=-x*y"]), got {type(game).__name__}'[:300])


#: the stages of :func:`analyse`, each limited to ``timeout`` seconds: ξ/H/χ/LOLA's direction; for the
#: fixed points the exact solve, the classification and the numeric search; for LOLA's the exact solve
#: and the numeric search.  ``analyse`` returns within ``STAGES * timeout`` plus the cost of forking.
STAGES = 6


def _not_attempted(why: str) -> dict:
    return {"status": "unknown", "complete": False, "points": [],
            "stages": {"exact": why, "exact_status": "unknown"}}


def analyse(game, *, box=DEFAULT_BOX, timeout: float = DEFAULT_TIMEOUT, starts: int = DEFAULT_STARTS,
            alpha=NUMERIC_ALPHA, seed: int = 0) -> dict:
    """ξ, H, χ, fixed points (classified, with local convergence of LA/SOS) and LOLA's fixed
    points, each answer with its status (see the module docstring).

    ``game`` is a :class:`SymGame` or the ``--player`` strings, e.g. ``["x=x*y", "y=-x*y"]``
    (:func:`as_symbolic_game`).  ``box`` is the search box (lo, hi) for every parameter, ``timeout`` the limit in seconds of
    each stage, ``starts`` the number of numeric starts, ``alpha`` the learning rate at which
    LOLA's fixed points are searched numerically.  Every piece of symbolic work runs in a forked
    child killed at ``timeout`` (there are :data:`STAGES` stages), so ``analyse`` returns within
    about ``STAGES * timeout`` seconds whatever the game; a stage that ran out answers "unknown".
    """
    box, timeout, alpha = _check_settings(box, timeout, starts, alpha, seed)
    game = as_symbolic_game(game)
    warnings = []
    for k, loss in enumerate(game.losses):
        if not is_smooth(loss):
            warnings.append(f"loss {k + 1} is not smooth (abs or sign): ξ, H and χ hold away from the points "
                            "where their argument is 0, and fixed points there are not found")
    common = {"box": list(box), "timeout": timeout, "starts": starts, "seed": seed}
    started = time.monotonic()
    got, end = stream_with_timeout(_derivatives, (game, alpha), timeout=timeout)
    derivatives = {"seconds": round(time.monotonic() - started, 2)}
    if not got:
        why = _why(end, timeout)
        derivatives.update(status="unknown", reason=f"ξ, H and χ: {why}")
        blocked = f"not attempted: ξ, H and χ {why.replace('SymPy', 'their computation')}"
        fixed, lola_answer = _not_attempted(blocked), _not_attempted(blocked)
        # SymPy's ordered printing evaluates constant factors (complex(sin(exp(exp(exp(3))))) never ends):
        # the losses as built, unordered, which evaluates nothing
        text = {"losses": [sympy.sstr(loss, order="none") for loss in game.losses], "xi": None, "H": None,
                "chi": None}
        latex = None
    else:
        d = got[0]
        derivatives["status"] = "exact"
        text, latex = d["text"], d["latex"]
        fixed = _answer(game, d["xi"], (), numeric_field=d["xi"], H=d["H"], with_details=True, box=box,
                        timeout=timeout, starts=starts, seed=seed)
        lola_answer = _answer(game, d["lola"], (ALPHA,), numeric_field=d["lola_numeric"], H=None,
                              with_details=False, box=box, timeout=timeout, starts=starts, seed=seed,
                              param_values={ALPHA: alpha})
    lola_answer["numeric_alpha"] = str(alpha)
    return Analysis({"players": [[str(s) for s in p] for p in game.players],
                     **text, "derivatives": derivatives, "warnings": warnings, "settings": common,
                     "fixed_points": fixed, "lola_fixed_points": lola_answer}, latex=latex)


class Analysis(dict):
    """The result of :func:`analyse`: a plain dict (JSON-ready), shown as LaTeX in a notebook."""

    def __init__(self, data: dict, latex: dict | None):
        super().__init__(data)
        self._latex = latex

    def _repr_latex_(self) -> str:
        fixed, lola = self["fixed_points"], self["lola_fixed_points"]
        if self._latex is None:
            return f"{self['derivatives']['reason']}; fixed points: {fixed['status']}"
        return (rf"$\xi = {self._latex['xi']},\quad H = {self._latex['H']},\quad \chi = {self._latex['chi']}$"
                rf"<br>fixed points: {fixed['status']} ({len(fixed.get('points', []))} listed); "
                rf"LOLA's fixed points: {lola['status']} ({len(lola.get('points', []))} listed)")


def _status_line(title: str, answer: dict) -> str:
    status = answer["status"]
    stages = answer["stages"]
    if status == "none":
        return f"{title}: none (proved: {stages['exact']})"
    if status == "unknown":
        searched = f"; the numeric search, {stages['numeric']}, found none" if "numeric" in stages else ""
        return f"{title}: unknown ({stages['exact']}{searched})"
    extra = "complete" if answer["complete"] else "possibly incomplete"
    why = stages.get("completeness") or stages["exact"]
    return f"{title}: {status}, {extra} ({why})"


def _point_line(fp: dict, field: str = "xi") -> str:
    sol = ", ".join(f"{k} = {v}" if fp["status"] == "exact" else f"{k} ≈ {float(v):.6g}"
                    for k, v in fp["solution"].items()) or "(every point)"
    if "kind" in fp:
        sol += f": {fp['kind']}" + (" (numerically)" if fp.get("kind_status") == "numerical" else "")
    notes = []
    if fp.get("family"):
        notes.append(f"a family of dimension {fp['family']['dimension']}")
    if fp.get("degenerate"):
        notes.append("degenerate")
    if fp.get("kink"):
        notes.append("on a kink")
    if fp["status"] == "numerical":
        cert = fp.get("certificate")
        notes.append(f"numerical, |{field}| = {fp['residual']:.1e}" + (
            f", certified: exactly one zero within {cert['radius']:.1e} ({cert['method']})" if cert else ""))
    return "  " + sol + (f" ({'; '.join(notes)})" if notes else "")


def render_text(result: dict) -> str:
    lines = ["players: " + "; ".join(", ".join(p) for p in result["players"])]
    if result["xi"] is None:
        lines.append(f"xi, H, chi: unknown ({result['derivatives']['reason']})")
    else:
        lines += [f"xi  = [{', '.join(result['xi'])}]", f"H   = {result['H']}", f"chi = [{', '.join(result['chi'])}]"]
    lines += [f"warning: {w}" for w in result["warnings"]]
    lines.append("")
    fixed = result["fixed_points"]
    lines.append(_status_line("fixed points (xi = 0)", fixed))
    for fp in fixed["points"][:MAX_LISTED]:
        lines.append(_point_line(fp))
        lc = fp["local_convergence"]
        lines.append(f"    {lc.get('statement') or lc.get('reason')}")
        if lc.get("epsilon_value"):
            lines.append(f"    (I - alpha H_o) H positive stable for 0 < alpha < {lc['epsilon_value']:.6g}")
    if len(fixed["points"]) > MAX_LISTED:
        lines.append(f"  ... and {len(fixed['points']) - MAX_LISTED} more (see --json)")
    lines += _outside_lines(fixed)
    lines.append("")
    lola = result["lola_fixed_points"]
    title = "LOLA's fixed points (LOLA direction = 0)"
    if lola["status"] != "exact":
        title += f" [numerical search at alpha = {lola['numeric_alpha']}]"
    lines.append(_status_line(title, lola))
    for fp in lola["points"][:MAX_LISTED]:
        lines.append(_point_line(fp, "LOLA direction"))
    if len(lola["points"]) > MAX_LISTED:
        lines.append(f"  ... and {len(lola['points']) - MAX_LISTED} more (see --json)")
    lines += _outside_lines(lola)
    return "\n".join(lines)


def _outside_lines(answer: dict) -> list[str]:
    """The zeros left out because a loss is not real there, one line."""
    outside = answer.get("outside_domain") or []
    if not outside:
        return []
    shown = "; ".join(", ".join(f"{k} = {v}" if p["status"] == "exact" else f"{k} ≈ {float(v):.6g}"
                                for k, v in p["solution"].items()) for p in outside[:MAX_LISTED])
    more = f" and {len(outside) - MAX_LISTED} more" if len(outside) > MAX_LISTED else ""
    return [f"  left out, a loss is not real there: {shown}{more}"]
