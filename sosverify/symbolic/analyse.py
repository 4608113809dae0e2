"""`sosverify analyse`: the symbolic analysis of a user's game, as text or JSON."""

from __future__ import annotations

import sympy

from sosverify.symbolic.fixed_points import fixed_points, lola_fixed_points
from sosverify.symbolic.game import SymGame
from sosverify.symbolic.stability import contraction_bound, lookahead_matrix, positive_stability_bound


def describe_number(value) -> str:
    """An exact number as text: rationals and radicals as SymPy prints them, a polynomial root
    as 'the root ≈ v of p(alpha)'."""
    if isinstance(value, sympy.CRootOf):
        poly = value.poly.as_expr().subs(value.poly.gen, sympy.Symbol("alpha"))
        return f"{float(sympy.N(value)):.6g} (the real root of {poly} near it)"
    return str(value)


def local_convergence(game: SymGame, H: sympy.Matrix) -> dict:
    """Whether LA/SOS converge locally to a fixed point with Hessian H, and for exactly which α.

    Theorem 4 / Corollary D.3: LA's (and, near fixed points, SOS's) map has Jacobian
    I − αG(α), G = (I − αH_o)H.  :func:`contraction_bound` finds the exact interval
    0 < α < ``alpha_max`` on which every eigenvalue of it lies inside the unit circle, after
    setting aside the eigenvalues 1 of directions along a family of fixed points (``neutral``).
    ``epsilon`` is the positive-stability bound of G itself (Theorem 2).
    """
    if H.free_symbols:
        return {"applies": False, "reason": "H depends on the free parameters of the family"}
    H_o = H - H.multiply_elementwise(game.same_player)
    G = lookahead_matrix(H, H_o)
    contraction = contraction_bound(G)
    out: dict = {"singular": H.det() == 0, "neutral_directions": contraction["neutral"]}
    if not out["singular"]:
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
    family = " (towards the family of fixed points)" if contraction["neutral"] else ""
    shown = "every alpha > 0" if bound == sympy.oo else f"0 < alpha < {describe_number(bound)}"
    out["statement"] = f"LA and SOS converge locally for {shown}{family}"
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
