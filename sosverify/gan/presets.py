"""The GAN's presets (network size and schedule) and each rule's learning rate per preset.

Read by the reproduction (:mod:`sosverify.reproduce.gmm`) and the sweeps (:mod:`sosverify.sweep`).
"""

from __future__ import annotations

from sosverify.errors import unknown_name
from sosverify.games.gmm import GanSpec

# ``figure7_iterations``: the algorithms of Figure 7 train on to this many iterations, logging ‖ξ‖
# (the paper's Figure 7 runs to 12k; Figures 4/6 evaluate to ``iterations``); None: no further.
PRESETS = {
    "paper": {"spec": GanSpec(), "iterations": 8000, "eval_every": 2000, "checkpoint_every": 500,
              "figure7_iterations": 12000},
    "small": {"spec": GanSpec(hidden=64, layers=3, latent=16, batch=128), "iterations": 4000, "eval_every": 1000,
              "checkpoint_every": 500, "figure7_iterations": None},
}
# Learning rates (RMSProp) per preset and algorithm, from grid searches at each preset's full length
# (docs/gmm.md has the tables; `experiments/gmm_grid_table.py` tabulates a sweep).  `paper`: the
# 8k-iteration grid on JAX, seed 0 (`sosverify sweep gmm --preset paper --iterations 8000 ...`; the
# paper's grid was {1e-5, 2e-5, 5e-5, 8e-5, 1e-4, 2e-4, 5e-4}): NL's lowest final KL of 5e-5, 1e-4,
# 2e-4, 5e-4 is at 1e-4, SOS's of 5e-5, 1e-4, 2e-4, 5e-4 at 2e-4.  LOLA takes SOS's rate: up to 2e-4
# SOS's p was 1 at every iteration (‖ξ‖ ≫ b), and then SOS's step is LOLA's, bit for bit.  LA's
# of 1e-4 and 2e-4 is at 1e-4; CO's of 1e-4, 2e-4, 5e-4 at 2e-4; SGA's of 1e-4, 2e-4 at 2e-4.
# p-LOLA and EG (not in Figure 4) keep 1e-4 without a grid.  Since the search over seeds a test keeps
# each searched rule's rate on that search's ranking (below): CO's is 1e-4 there, 15, 15, 16 modes on
# seeds 0-2 against 2e-4's 12, 13, 9.
# `small` uses 3e-3, the best final KL of every one of the six algorithms in `reproduce gmm --preset
# small --grid 3e-4 1e-3 3e-3` (seed 0, 4000 iterations): at 3e-4 and 1e-3 no algorithm resolves
# the modes in 4000 iterations.
DEFAULT_LR = {
    "paper": {"nl": 1e-4, "co": 1e-4, "sos": 2e-4, "la": 1e-4, "lola": 2e-4, "sga": 2e-4, "plola": 1e-4, "eg": 1e-4},
    "small": {"nl": 3e-3, "co": 3e-3, "sos": 3e-3, "la": 3e-3, "lola": 3e-3, "sga": 3e-3, "plola": 3e-3, "eg": 3e-3},
}


def preset_settings(name: str) -> dict:
    """A copy of the preset called ``name`` (``paper``, ``small``); an unknown name lists the valid ones."""
    if name not in PRESETS:
        raise unknown_name("preset", name, PRESETS)
    return dict(PRESETS[name])


# The shaping step α inside the rules that predict a step (LA, LOLA, p-LOLA, SOS, EG), per preset and
# rule: the default of ``reproduce gmm`` and ``sweep gmm`` (``--shaping-alpha preset``); a rule not
# named here has α tied to its learning rate (``"lr"``).  Chosen from the searches over seeds
# (docs/gmm.md, "Over seeds": `experiments/gmm_grid_table.py docs/runs/paper-grid-8k docs/runs/shaping-8k`,
# and `docs/runs/shaping-small` for the small preset, ranks each rule's settings, fewer blow-ups first,
# then more modes, high-quality share, lower KL; a test keeps the pair (DEFAULT_LR, DEFAULT_SHAPING_ALPHA)
# of every searched rule equal to its first).
# `paper`: SOS at 2e-4 with α = 0.01 covered 11, 11, 10 modes on seeds 0–2 and never blew up; α = 0.03
# covered 14 and 16 and blew up on seed 1; α tied to the rate (SOS = LOLA but where p bound, on at most
# 16 of 8000 iterations) at most 7 at any of four rates.  LOLA at 2e-4: α = 0.01 12, 9, 11 modes (seeds
# 0–2), 0.03 blew up (seed 0).  LA: 1e-4 tied (4, 3, 4 modes on seeds 0–2, never blown up) ranks above
# 2e-4 at α = 0.01 (4 modes on seed 0, blown up on seeds 1 and 2) and 0.03 (blew up, seed 0).  p-LOLA
# and EG were not searched and stay tied.
# `small` (`docs/runs/shaping-small`: SOS, LOLA, LA at 3e-3 × α ∈ {lr, 0.1, 0.03} × seeds 0–2, 4000
# iterations, JAX): α = 0.03 first for all three (SOS 14, 13, 9 modes; LOLA 10, 13, 9; LA 9, 8, 8),
# against tied (SOS = LOLA 9, 6, 4; LA 6, 6, 8) and 0.1 (SOS 10, 13, 11; LOLA and LA ran off: KL up to
# 1e10 and 1e8).
DEFAULT_SHAPING_ALPHA: dict = {
    "paper": {"sos": 0.01, "lola": 0.01},
    "small": {"sos": 0.03, "lola": 0.03, "la": 0.03},
}


def preset_shaping_alpha(preset: str, algorithm: str):
    """α inside ``algorithm`` by default on ``preset``: a number, or ``"lr"`` (tied to its rate; every
    rule of a preset that :data:`DEFAULT_SHAPING_ALPHA` does not name)."""
    return DEFAULT_SHAPING_ALPHA.get(preset, {}).get(algorithm, "lr")


def shaping_defaults_text() -> str:
    """The defaults in words for help texts, e.g. ``paper: sos 0.01, lola 0.01, others tied; ...``."""
    parts = []
    for name, chosen in DEFAULT_SHAPING_ALPHA.items():
        values = ", ".join(f"{a} {v:g}" if not isinstance(v, str) else f"{a} {v}" for a, v in chosen.items())
        parts.append(f"{name}: {values + ', others tied' if values else 'all tied'}")
    return "; ".join(parts)
