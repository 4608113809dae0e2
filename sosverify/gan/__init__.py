"""The Gaussian-mixture GAN of §5 and Appendix F (SPEC §3), in NumPy through the autograd seam.

:func:`gmm_gan` is a :class:`~sosverify.game.Game` like any other (player 1 the
generator, player 2 the discriminator) that draws a minibatch each step and
initialises itself; :mod:`sosverify.gan.evaluate` measures a generator against
the true mixture (KL, modes covered, high-quality samples).
"""

from sosverify.gan.evaluate import evaluate_generator, kl_divergence, mode_coverage
from sosverify.gan.game import GanSpec, Mixture, generate, gmm_gan

__all__ = ["GanSpec", "Mixture", "gmm_gan", "generate", "evaluate_generator", "kl_divergence", "mode_coverage"]
