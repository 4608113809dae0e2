"""Training and evaluating the Gaussian-mixture GAN of §5 and Appendix F (SPEC §3).

The game itself, :func:`~sosverify.games.gmm.gmm_gan`, lives with the other games
(:mod:`sosverify.games.gmm`: a :class:`~sosverify.game.Game` like any other, player 1 the
generator, player 2 the discriminator, that draws a minibatch each step).  Here:
:mod:`sosverify.gan.train` trains it under RMSProp with checkpoints, and
:mod:`sosverify.gan.evaluate` measures a generator against the true mixture (KL, modes covered,
high-quality samples).
"""

from sosverify.games.gmm import GanSpec, Mixture, generate, gmm_gan
from sosverify.gan.evaluate import evaluate_generator, kl_divergence, mode_coverage

__all__ = ["GanSpec", "Mixture", "gmm_gan", "generate", "evaluate_generator", "kl_divergence", "mode_coverage"]
