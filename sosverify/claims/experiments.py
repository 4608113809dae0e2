"""The experimental claims at reduced scale (seconds); `sosverify reproduce` runs them at paper scale."""

from __future__ import annotations

import numpy

from sosverify.claims.base import Evidence
from sosverify.reproduce.ipd import STATES, run_ipd, tit_for_tat_by_state
from sosverify.reproduce.tandem import run_tandem

#: the regimes of SGA's λ = sign(P/d + ε), P = ⟨ξ, Hᵀξ⟩⟨Aᵀξ, Hᵀξ⟩, d the number of parameters: where
#: |P/d| > ε a flipped A flips λ too and the direction comes out right, and only P/d in (−ε, −2ε/d)
#: makes λ = +1 depend on the /d (P + ε and P/2 + ε are negative there); the cross-check takes one
#: point in each (a review found SGA with A flipped, without /d or with d the number of players
#: passing the 4 random points it used, all with |P/d| > ε)
SGA_REGIMES = ("P/d > ε", "0 ≤ P/d < ε", "−ε < P/d < −2ε/d", "P/d < −ε")


def _sga_regime_points(g, rng, candidates: int = 4000):
    """One point of ``g`` in each of :data:`SGA_REGIMES` (the first of ``candidates`` drawn at scales
    e⁻⁴ to e), and the regimes' names with their P/d."""
    from sosverify import algorithms as A
    from sosverify import derivatives as D

    eps, d = A.SGA_EPS.default, g.dim
    z = rng.normal(size=(candidates, d)) * numpy.exp(rng.uniform(-4, 1, size=(candidates, 1)))
    s = D.second_order(g, z, ("H_xi", "Ht_xi"))
    adj = 0.5 * (s.Ht_xi - s.H_xi)
    q = (s.first.xi * s.Ht_xi).sum(axis=1) * (adj * s.Ht_xi).sum(axis=1) / d
    masks = (q > eps, (q >= 0) & (q < eps), (q > -eps) & (q < -2 * eps / d), q < -eps)
    picked = [int(numpy.flatnonzero(m)[0]) for m in masks if m.any()]
    shown = ", ".join(f"{name}: {q[i]:.3g}" for name, m, i in zip(SGA_REGIMES, (m for m in masks if m.any()), picked))
    return z[picked], shown


def check_exp_ipd(runs: int = 60, steps: int = 100, seed: int = 0, tft_floor: float = 0.7) -> Evidence:
    """§5, Figure 2: SOS and LOLA *mostly* play tit-for-tat, state by state; the others mostly defect.

    Tit-for-tat is asserted per state, as Figure 2A shows it: in each of the 5 states, for both players, at
    least ``tft_floor`` of the runs put probability > ½ on tit-for-tat's action (always-cooperate fails the
    CD, DC and DD states).  Seed 0 at this scale: 0.80 to 0.97 for SOS, 0.85 to 0.97 for LOLA.
    """
    ev = Evidence()
    # the baselines run are the project's CO and SGA: numeric rule = SymGame rule on a drawn cubic game
    import sympy

    from sosverify import algorithms as A
    from sosverify.claims.generic import random_polynomial_game
    rng = numpy.random.default_rng(17)
    sg = random_polynomial_game(rng, (1, 2), 3)
    g, drawn = sg.numeric(), rng.normal(size=(4, sum((1, 2))))
    chosen, regimes = _sga_regime_points(g, rng)
    theta = numpy.concatenate([drawn, chosen])
    co, sga = A.consensus(g, theta, alpha=0.1, gamma=1.0).direction, A.sga(g, theta, alpha=0.1).direction
    worst = 0.0
    for r in range(len(theta)):
        at = dict(zip(sg.symbols, (sympy.Float(v, 30) for v in theta[r])))
        xi, HT_xi, adj = (numpy.array(m.subs(at).evalf(), dtype=float).ravel()
                          for m in (sg.xi, sg.H.T * sg.xi, sg.sga_adjustment()))
        lam = numpy.sign(xi @ HT_xi * (adj @ HT_xi) / g.dim + A.SGA_EPS.default)
        worst = max(worst, numpy.abs(co[r] - (xi + HT_xi)).max(), numpy.abs(sga[r] - (xi + lam * adj)).max())
    ev.expect("the CO and SGA rules run here equal SymGame's ξ + γHᵀξ and ξ + λAᵀξ (λ from its alignment sign), "
              f"drawn cubic game, 4 points drawn and one in each regime of λ's test ({regimes}), error < 1e-9",
              worst < 1e-9 and len(chosen) == len(SGA_REGIMES), f"{worst:.1e}")
    rep = run_ipd(runs=runs, steps=steps, seed=seed)
    s = rep.summary["algorithms"]
    ev.note(f"reduced scale: {runs} runs × {steps} steps, seed {seed} (paper: 300 × 200)")
    for name in ("sos", "lola"):
        loss = s[name]["final_loss_mean"][0]
        fractions = tit_for_tat_by_state(rep.histories[name].params[-1])
        shown = "; ".join(f"player {i + 1}: " + ", ".join(f"{st} {f:.2f}" for st, f in zip(STATES, fractions[i]))
                          for i in range(2))
        ev.expect(f"{name.upper()} plays tit-for-tat: in every state, for both players, ≥ {tft_floor:.0%} of runs put "
                  "probability > ½ on tit-for-tat's action, and mean (1−γ)L₁ ≤ 1.2",
                  bool(numpy.all(fractions >= tft_floor)) and loss <= 1.2, f"L₁ {loss:.3f}; {shown}")
        ev.note(f"{name.upper()}: runs in strict tit-for-tat (prescribed action ≥ 0.9 in all 10 (player, state) "
                "pairs)", f"{s[name]['outcomes']['tft']:.0%}")
    for name, floor in (("la", 1.7), ("co", 1.45), ("sga", 1.7), ("nl", 1.9)):
        loss = s[name]["final_loss_mean"][0]
        ev.expect(f"{name.upper()} mostly defects: mean (1−γ)L₁ ≥ {floor}", loss >= floor, f"{loss:.3f}")
    sos, lola = (numpy.array(s[n]["final_loss_mean"]) for n in ("sos", "lola"))
    others = min(min(s[n]["final_loss_mean"]) for n in ("la", "co", "sga", "nl"))
    ev.expect("§5.2: SOS's losses are almost LOLA's (within 0.05 per player) and both are below every other rule's",
              bool(numpy.all(numpy.abs(sos - lola) < 0.05)) and max(sos.max(), lola.max()) < others,
              f"SOS {sos.round(3).tolist()}, LOLA {lola.round(3).tolist()}, best other {others:.3f}")
    ev.figures.append(("figure2b_losses", rep.figures["figure2b_losses"]))
    return ev


def check_exp_tandem(runs: int = 100, steps: int = 30, seed: int = 0) -> Evidence:
    ev = Evidence()
    rep = run_tandem(runs=runs, steps=steps, seed=seed)
    s = rep.summary["algorithms"]
    ev.note(f"reduced scale: {runs} runs × {steps} steps, seed {seed} (paper: 300 × 30), α = 0.1, a = b = 0.5")
    ev.expect("SOS: average loss → 0 and x + y → 1 (within 0.01)",
              abs(s["sos"]["final_average_loss_mean"]) < 0.01 and abs(s["sos"]["final_sum_mean"] - 1) < 0.01,
              f"{s['sos']['final_average_loss_mean']:.5f}, {s['sos']['final_sum_mean']:.5f}")
    ev.expect("LOLA: average loss → 4/9 and x + y → 4/3 (within 0.01)",
              abs(s["lola"]["final_average_loss_mean"] - 4 / 9) < 0.01 and abs(s["lola"]["final_sum_mean"] - 4 / 3) < 0.01,
              f"{s['lola']['final_average_loss_mean']:.5f}, {s['lola']['final_sum_mean']:.5f}")
    p = rep.histories["sos"].diagnostics["p"]
    mean_p = numpy.nanmean(p, axis=1)
    ev.expect("SOS decays p: mean p falls from 1 to below 1e-6", mean_p[0] > 0.9 and mean_p[-1] < 1e-6,
              f"{mean_p[0]:.3g} → {mean_p[-1]:.3g}")
    from sosverify.runner import run

    robust = []
    for a, b in ((0.1, 0.1), (0.9, 0.9), (0.1, 0.9), (0.9, 0.1)):
        h = run("tandem", "sos", alpha=0.1, steps=steps, runs=runs, seed=seed, init_std=0.1, a=a, b=b)
        robust.append(float(numpy.abs(h.losses[-1].mean(axis=0)).max()))
    ev.expect("§5.1 'robust to a, b': SOS's average loss → 0 (within 1e-3) at (a, b) = (0.1, 0.1), (0.9, 0.9), "
              "(0.1, 0.9), (0.9, 0.1)", max(robust) < 1e-3, ", ".join(f"{v:.1e}" for v in robust))
    target = (1 - 2 * 0.1) / (1 - 4 * 0.1)
    start = numpy.array([[target / 2, target / 2], [target, 0.0], [-1.0, target + 1.0]])
    h = run("tandem", "sos", alpha=0.1, steps=200, init=start, a=0.5, b=0.5)
    sums = h.params[-1].sum(axis=1)
    ev.expect("§5: SOS started at LOLA's fixed points (x + y = 4/3) leaves them for the stable line x + y = 1 "
              "(within 1e-8)", bool(numpy.all(numpy.abs(sums - 1) < 1e-8)), ", ".join(f"{v:.10f}" for v in sums))
    ev.figures.append(("figure3_tandem", rep.figures["figure3_tandem"]))
    return ev


def check_exp_gmm(seeds=(0, 1), runs: int = 4, steps: int = 60, alphas=(1.0, 10.0)) -> Evidence:
    """exp-gmm at reduced scale: what the GAN experiment rests on, checked on the GAN itself.

    - SOS's guarantee on a non-zero-sum network game with minibatches: at states along short
      trainings (a 2 × 32 float64 GAN, RMSProp), 0 ≤ p ≤ 1 and ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖², with the
      alignment branch of p1 exercised and LOLA (p = 1) violating the inequality at some of them;
    - the KL estimator used for Figures 4/6 on known answers (Q itself: 0; one component: ln 16).

    The comparison of Figures 4/6 (which algorithms cover the modes) shows after thousands of
    iterations, minutes in all: it is the long claim ``exp-gmm-modes`` (``verify --long``).
    """
    from dataclasses import asdict

    from sosverify import derivatives as D
    from sosverify.algorithms import ALGORITHMS, sos_p
    from sosverify.games.gmm import GanSpec, Mixture, gmm_gan
    from sosverify.gan.evaluate import kl_divergence
    from sosverify.optimisers import rmsprop
    from sosverify.runner import initial_parameters, trajectory

    ev = Evidence()
    a, b = 0.5, 0.1
    spec = GanSpec(hidden=32, layers=2, latent=8, batch=64, dtype="float64")
    game = gmm_gan(**asdict(spec))
    ev.note("GAN", f"{game.dim:,} parameters (2 × 32 ReLU layers), batch 64, seeds {list(seeds)}, {runs} runs each, "
                   f"states every 20 of {steps} RMSProp iterations, α ∈ {list(alphas)}, a = {a}, b = {b}")
    p_ok, aligned, lola_ok, p1_binds, checked = True, True, True, 0, 0
    worst = numpy.inf
    for seed in seeds:
        rng = numpy.random.default_rng(seed)
        theta0 = initial_parameters(game, runs, rng)
        for s in trajectory(game, ALGORITHMS["nl"], theta0, alpha=1e-3, steps=steps, optimiser=rmsprop(1e-3), rng=rng):
            if s.t % 20:
                continue
            bound = game.draw(numpy.random.default_rng([seed, s.t]), runs)
            sec = D.second_order(bound, s.theta, ("H_o_xi", "chi"))
            xi, chi = sec.first.xi, sec.chi
            for alpha in alphas:
                xi_0 = xi - alpha * sec.H_o_xi
                p = sos_p(xi, xi_0, chi, alpha=alpha, a=a, b=b)
                xi_p = xi_0 - (p * alpha)[:, None] * chi
                sq = numpy.einsum("rd,rd->r", xi_0, xi_0)
                lhs = numpy.einsum("rd,rd->r", xi_p, xi_0)
                # float64 rounding of inner products over ~5,000 terms: 1e-9 of ‖ξ_0‖²
                aligned &= bool(numpy.all(lhs >= (1 - a) * sq - 1e-9 * sq))
                worst = min(worst, float(numpy.min(lhs / sq)))
                p_ok &= bool(numpy.all((p >= 0) & (p <= 1)))
                lola = numpy.einsum("rd,rd->r", xi_0 - alpha * chi, xi_0)
                lola_ok &= bool(numpy.all(lola >= (1 - a) * sq))
                p1_binds += int(numpy.sum(p < 1))
                checked += runs
    ev.expect("SOS on the GAN: 0 ≤ p ≤ 1 at every state", p_ok, f"{checked} (state, α) pairs")
    ev.expect("SOS on the GAN: ⟨ξ_p, ξ_0⟩ ≥ (1 − a)‖ξ_0‖² at every state", aligned,
              f"smallest ⟨ξ_p, ξ_0⟩/‖ξ_0‖² = {worst:.4f} (bound {1 - a})")
    ev.expect("the alignment branch of p1 is exercised (p < 1 somewhere)", p1_binds > 0, f"{p1_binds} of {checked}")
    ev.expect("LOLA (p = 1) violates the inequality somewhere: the check tells SOS from LOLA", not lola_ok)
    m = Mixture()
    kl_q = kl_divergence(m.sample(numpy.random.default_rng(0), (25_600,)), m)
    one = m.centres[0] + m.std * numpy.random.default_rng(1).standard_normal((25_600, 2))
    kl_one = kl_divergence(one, m)
    ev.expect("KL estimator: samples of Q give |KL| < 0.05", abs(kl_q) < 0.05, f"{kl_q:.4f}")
    ev.expect("KL estimator: one component gives ln 16 ± 0.05", abs(kl_one - numpy.log(16)) < 0.05,
              f"{kl_one:.4f} (ln 16 = {numpy.log(16):.4f})")
    ev.note("not checked here", "Figures 4/6's mode coverage (NL collapses; SOS, CO, SGA, LOLA cover most of the 16 "
            "modes) needs trainings of thousands of iterations: the long claim exp-gmm-modes (`sosverify verify "
            "--long`), `sosverify reproduce gmm --preset small` or `--preset paper`")
    return ev


# exp-gmm-modes: the cheapest setting found where Figures 4/6's mode coverage shows on every seed
# tried (a search over 2-3 layers of 32-64, batch 64-128, lr 3e-3 to 1e-2, 1500-3000 iterations;
# docs/gmm.md): modes covered at 3000, seeds 0-5, NL 5/5/8/4/2/5 against CO 9/15/9/15/13/14.
MODES_SPEC: dict = {"hidden": 32, "layers": 3, "latent": 16, "batch": 128}
MODES_SEEDS, MODES_ITERATIONS, MODES_LR, MODES_MARGIN = (0, 1, 2, 3), 3000, 3e-3, 3.0
# SOS with a shaping step of its own (issue 19): at α = 0.03 its p bound on 10, 25, 19, 19 % of the
# iterations at seeds 0-3 on the machine of the search, and on 4.5 and 1.1 % at seeds 0 and 1 on
# another (an AMD EPYC with AVX-512: float32 sums in another order change a GAN training, and how
# often p binds moves with it); α tied to the rate, 3e-3: p = 1 throughout, SOS runs as LOLA bit for
# bit. So the share is not the claim: p < 1 on at least MODES_P_ITERATIONS iterations is (0 under the
# tied reading), and that SOS ends away from LOLA. α = 0.1 fails at this size (‖ξ‖ 400, no mode).
# Modes 4/3/4/0 (5/9 on seeds 0/1 on the second machine) against NL's 5/5/8/4: at this size SOS does
# not cover more modes than NL on every seed, so that is not asserted. docs/gmm.md has the search.
MODES_SHAPING_ALPHA, MODES_SOS_SEEDS, MODES_P_ITERATIONS = 0.03, (0, 1), 10
# SOS against LOLA at the same shaping α, seed 0: p < 1 is only where the two steps part; that they
# part is asserted on the trained parameters, ‖θ_SOS − θ_LOLA‖ / ‖θ_LOLA‖ at the last iteration
# (where p = 1 throughout the two trainings are the same bit for bit: 0)
MODES_APART = 1e-3
MODES_STATEMENT = (f"GAN ({MODES_SPEC['layers']} × {MODES_SPEC['hidden']} networks, {MODES_ITERATIONS} iterations, "
                   f"{len(MODES_SEEDS)} seeds): CO covers on average at least {MODES_MARGIN:g} more of the 16 modes "
                   f"than NL; SOS with its own shaping step α = {MODES_SHAPING_ALPHA:g} binds p < 1 on at least "
                   f"{MODES_P_ITERATIONS} of the iterations on seeds {', '.join(map(str, MODES_SOS_SEEDS))}, and its "
                   f"parameters end at least {MODES_APART:g} (relative) away from LOLA's at the same α")


def check_exp_gmm_modes(seeds=MODES_SEEDS, iterations: int = MODES_ITERATIONS, lr: float = MODES_LR,
                        margin: float = MODES_MARGIN) -> Evidence:
    """exp-gmm, the comparison itself (long: 4-7 minutes): NL collapses onto a few modes while CO
    spreads over most of the 16 (Figures 4/6); what is asserted is the margin between them.

    Each of NL and CO trains from the same initial parameters and minibatches (one seed each) on
    small networks (3 × 32, latent 16, batch 128, float32, RMSProp at ``lr``); the claim is that the
    mean over ``seeds`` of the modes covered at the last iteration is at least ``margin`` higher
    for CO. Per-seed counts are shown, not asserted: one seed's training can land either way.
    Then SOS with a shaping step of its own (:func:`_sos_binds`): its p binds, and it ends away from
    LOLA. SOS's modes are shown, not asserted: at this size it covers about as many as NL (docs/gmm.md).
    """
    from sosverify.games.gmm import GanSpec
    from sosverify.gan.train import train

    ev = Evidence()
    spec = GanSpec(**MODES_SPEC, dtype="float32")
    ev.note("GAN", f"{spec.layers} × {spec.hidden} ReLU layers, latent {spec.latent}, batch {spec.batch}, float32; "
                   f"RMSProp lr {lr:g}, {iterations} iterations, seeds {list(seeds)}")
    modes: dict = {}
    diverged = []
    for name in ("nl", "co"):
        runs = [train(name, lr, spec=spec, iterations=iterations, eval_every=iterations, seed=s) for s in seeds]
        diverged += [f"{name.upper()} seed {s} at {r.diverged_at}" for s, r in zip(seeds, runs) if r.diverged_at is not None]
        modes[name] = [r.evaluations[-1]["modes_covered"] for r in runs if r.diverged_at is None]
        ev.note(f"{name.upper()}: modes covered at {iterations} (of 16), per seed", modes[name])
    if not ev.expect("every training finished (a diverged one has no final modes)", not diverged,
                     ", ".join(diverged) or "none diverged"):
        return ev
    nl, co = float(numpy.mean(modes["nl"])), float(numpy.mean(modes["co"]))
    ev.expect(f"CO covers on average at least {margin:g} more of the 16 modes than NL", co >= nl + margin,
              f"CO {co:.2f}, NL {nl:.2f}")
    _sos_binds(ev, spec, iterations, lr)
    return ev


def _sos_binds(ev: Evidence, spec, iterations: int, lr: float) -> None:
    """SOS with the shaping step :data:`MODES_SHAPING_ALPHA` (read when called: the twin
    ``sos-shaping-tied-to-lr`` sets it to ``"lr"``): p < 1 on at least :data:`MODES_P_ITERATIONS`
    iterations on every seed of :data:`MODES_SOS_SEEDS`, so that its steps are not LOLA's (p = 1 is
    LOLA's step exactly), and, trained beside LOLA at the same α from the same seed, its parameters
    end at least :data:`MODES_APART` (relative) away from LOLA's.  Its modes are shown beside NL's,
    not asserted: at this size SOS covers about as many as NL (docs/gmm.md)."""
    from sosverify.gan.train import train

    shaping = MODES_SHAPING_ALPHA
    runs = [train("sos", lr, spec=spec, iterations=iterations, eval_every=iterations, seed=s, shaping_alpha=shaping)
            for s in MODES_SOS_SEEDS]
    bound = [int(numpy.sum(numpy.asarray(r.p) < 1)) for r in runs]
    ev.note(f"SOS (shaping α {shaping}): modes covered at {iterations}, per seed {list(MODES_SOS_SEEDS)}",
            [None if r.diverged_at is not None else r.evaluations[-1]["modes_covered"] for r in runs])
    ev.expect(f"SOS's p < 1 on at least {MODES_P_ITERATIONS} iterations on every seed (where p = 1 SOS "
              "steps as LOLA)", all(r.diverged_at is None for r in runs) and min(bound) >= MODES_P_ITERATIONS,
              ", ".join(f"seed {s}: {x} of {iterations} ({x / iterations:.1%})"
                        + ("" if r.diverged_at is None else f" (diverged at {r.diverged_at})")
                        for s, x, r in zip(MODES_SOS_SEEDS, bound, runs)))
    seed = MODES_SOS_SEEDS[0]
    lola = train("lola", lr, spec=spec, iterations=iterations, eval_every=iterations, seed=seed, shaping_alpha=shaping)
    if not ev.expect(f"SOS and LOLA (shaping α {shaping}, seed {seed}) both finished", lola.diverged_at is None and
                     runs[0].diverged_at is None, f"LOLA diverged at {lola.diverged_at}, SOS at {runs[0].diverged_at}"):
        return
    apart = float(numpy.linalg.norm(runs[0].theta - lola.theta) / numpy.linalg.norm(lola.theta))
    ev.expect(f"SOS's parameters end at least {MODES_APART:g} (relative) away from LOLA's at the same α and seed",
              apart >= MODES_APART, f"‖θ_SOS − θ_LOLA‖ / ‖θ_LOLA‖ = {apart:.3g} at {iterations} (seed {seed}); "
              f"LOLA covers {lola.evaluations[-1]['modes_covered']} modes")
