"""`sosverify analyse`: the symbolic analysis of a user's game, as text or JSON."""

from __future__ import annotations

import numpy
import sympy

from sosverify.symbolic.fixed_points import fixed_points, lola_fixed_points
from sosverify.symbolic.game import ALPHA, SymGame
from sosverify.symbolic.stability import lookahead_matrix, positive_stability_bound


def local_convergence(game: SymGame, H: sympy.Matrix) -> dict:
    """Whether LA/SOS converge locally to a fixed point with Hessian H, and for which α.

    Theorem 4 / Corollary D.3: LA's (and, near fixed points, SOS's) map has Jacobian
    I − αG(α), G = (I − αH_o)H; it contracts iff every eigenvalue λ of αG(α) satisfies
    |1 − λ| < 1.  ``epsilon`` is the exact positive-stability bound of G (Routh–Hurwitz);
    ``alpha_max`` the largest α on a grid of 2000 points in (0, min(ε, 2)) below which the
    spectral radius stays < 1.  Zero eigenvalues of a singular H (directions along a family of
    fixed points) are set aside and reported.
    """
    if H.free_symbols:
        return {"applies": False, "reason": "H depends on the free parameters of the family"}
    H_o = H - H.multiply_elementwise(game.same_player)
    G = lookahead_matrix(H, H_o)
    singular = H.det() == 0
    out: dict = {"singular": bool(singular)}
    if not singular:
        bound = positive_stability_bound(G)
        out["positive_stable_for_small_alpha"] = bool(bound["stable_for_small_alpha"])
        out["epsilon"] = str(bound["epsilon"])
        out["epsilon_value"] = float(sympy.N(bound["epsilon"])) if bound["epsilon"] != sympy.oo else None
        if not bound["stable_for_small_alpha"]:
            out["applies"] = False
            out["reason"] = "(I − αH_o)H is not positive stable for small α: no local convergence"
            return out
        top = min(out["epsilon_value"] or 2.0, 2.0)
    else:
        top = 2.0
    Gf = sympy.lambdify(ALPHA, G, modules="numpy")
    ok_until = 0.0
    for a in numpy.linspace(top / 2000, top, 2000)[:-1]:
        ev = numpy.linalg.eigvals(numpy.array(Gf(a), dtype=float))
        ev = ev[numpy.abs(ev) > 1e-12] if singular else ev
        if ev.size and numpy.all(numpy.abs(1 - a * ev) < 1):
            ok_until = float(a)
        else:
            break
    out["applies"] = ok_until > 0
    out["alpha_max"] = ok_until
    out["statement"] = (f"LA and SOS converge locally for 0 < alpha < {ok_until:.4g}"
                        + (" (towards the family of fixed points; H is singular along it)" if singular else "")
                        if ok_until > 0 else "no α on the grid gives a contraction")
    return out


def analyse(game: SymGame) -> dict:
    """ξ, H, χ, fixed points (classified, with local convergence of LA/SOS) and LOLA's fixed points."""
    fps = []
    for fp in fixed_points(game):
        fps.append({"solution": {str(k): str(v) for k, v in fp["solution"].items()}, "kind": fp["kind"],
                    "H": str(fp["H"].tolist()), "local_convergence": local_convergence(game, fp["H"])})
    lola = [{"solution": {str(k): str(v) for k, v in s["solution"].items()}} for s in lola_fixed_points(game)]
    return {"players": [[str(s) for s in p] for p in game.players],
            "losses": [str(loss) for loss in game.losses],
            "xi": [str(e) for e in game.xi], "H": [[str(e) for e in row] for row in game.H.tolist()],
            "chi": [str(e) for e in game.chi], "fixed_points": fps, "lola_fixed_points": lola}


def render_text(result: dict) -> str:
    lines = ["players: " + "; ".join(", ".join(p) for p in result["players"])]
    lines += [f"xi  = [{', '.join(result['xi'])}]", f"H   = {result['H']}", f"chi = [{', '.join(result['chi'])}]", ""]
    lines.append("fixed points (xi = 0):" if result["fixed_points"] else "fixed points: none found")
    for fp in result["fixed_points"]:
        sol = ", ".join(f"{k} = {v}" for k, v in fp["solution"].items()) or "(every point)"
        lines.append(f"  {sol}: {fp['kind']}")
        lc = fp["local_convergence"]
        lines.append(f"    {lc.get('statement') or lc.get('reason')}")
        if lc.get("epsilon_value"):
            lines.append(f"    (I - alpha H_o) H positive stable for 0 < alpha < {lc['epsilon_value']:.6g}")
    lines.append("")
    lines.append("LOLA's fixed points (LOLA direction = 0):" if result["lola_fixed_points"] else
                 "LOLA's fixed points: none found")
    for fp in result["lola_fixed_points"]:
        lines.append("  " + ", ".join(f"{k} = {v}" for k, v in fp["solution"].items()))
    return "\n".join(lines)
