"""The mixture, the two networks and the GAN as a two-player game (SPEC §3).

- Data ``Q``: 16 Gaussians on a 4×4 grid, centres ``{−1.5, −0.5, 0.5, 1.5}²``, std 0.02.
- Generator ``G``: latent ``z ~ N(0, I_64)`` → ``layers`` hidden ReLU layers of ``hidden``
  units → 2 outputs.  Discriminator ``D``: 2 → the same hidden stack → 1 logit.
- Losses (sigmoid cross-entropy; the generator's is the non-saturating one, so the game is
  not zero-sum), per run over a minibatch of ``batch`` real points and ``batch`` latents:

  ``L_G = mean softplus(−D(G(z)))``,
  ``L_D = mean softplus(−D(x)) + mean softplus(D(G(z)))``.

  At equilibrium ``D ≡ ½``: ``L_D = 2 ln 2`` and ``L_G = ln 2``.
- Initialisation: weights truncated normal (±2 std) with std ``1/√fan_in``, biases 0.
- Real minibatches (``minibatch``): ``"random"`` (the default: each point's mode drawn uniformly,
  SPEC §3) or ``"tiled"`` (the cited notebook, google-deepmind/symplectic-gradient-adjustment: the
  16 centres tiled through the batch, 16 points per mode in a batch of 256, only the Gaussian
  noise drawn).

Parameters of each player are one flat vector per run; :func:`sosverify._autodiff.unflatten`
cuts it into weight matrices with a derivative that is a single concatenation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy

from sosverify._autodiff import batch_matmul, np, relu, unflatten
from sosverify.errors import SosverifyError
from sosverify.game import FLOAT_DTYPES, Game


@dataclass(frozen=True)
class Mixture:
    """An equal-weight mixture of isotropic Gaussians on a ``grid × grid`` lattice with ``spacing``."""

    grid: int = 4
    spacing: float = 1.0
    std: float = 0.02

    @property
    def centres(self) -> numpy.ndarray:
        """``(grid², 2)`` centres; the default grid is ``{−1.5, −0.5, 0.5, 1.5}²``."""
        axis = (numpy.arange(self.grid) - (self.grid - 1) / 2) * self.spacing
        return numpy.array([(a, b) for a in axis for b in axis])

    @property
    def modes(self) -> int:
        return self.grid * self.grid

    def sample(self, rng: numpy.random.Generator, shape: tuple) -> numpy.ndarray:
        """Points of shape ``shape + (2,)``: a uniformly chosen centre plus ``std · N(0, I)``."""
        k = rng.integers(self.modes, size=shape)
        return self.centres[k] + self.std * rng.standard_normal(tuple(shape) + (2,))

    def log_density(self, x) -> numpy.ndarray:
        """Exact ``log q(x)`` for points ``x`` ``(..., 2)`` (log-sum-exp over the components)."""
        x = numpy.asarray(x, dtype=float)
        sq = ((x[..., None, :] - self.centres) ** 2).sum(axis=-1) / (2 * self.std ** 2)
        m = (-sq).max(axis=-1)
        return (m + numpy.log(numpy.exp(-sq - m[..., None]).sum(axis=-1))
                - numpy.log(self.modes) - numpy.log(2 * numpy.pi * self.std ** 2))


@dataclass(frozen=True)
class GanSpec:
    """Sizes of the GAN game; the defaults are the paper's (SPEC §3)."""

    hidden: int = 384
    layers: int = 6
    latent: int = 64
    batch: int = 256
    grid: int = 4
    std: float = 0.02
    dtype: str = "float32"
    minibatch: str = "random"

    def __post_init__(self):
        for name in ("hidden", "layers", "latent", "batch", "grid"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
                raise SosverifyError(f"GAN {name} must be a positive integer, got {value!r}")
        if not (isinstance(self.std, (int, float)) and 0 < self.std < 1):
            raise SosverifyError(f"GAN mixture std must lie in (0, 1), got {self.std!r}")
        if self.dtype not in FLOAT_DTYPES:
            raise SosverifyError(f"GAN dtype must be one of {', '.join(FLOAT_DTYPES)}, got {self.dtype!r}")
        if self.minibatch not in MINIBATCHES:
            raise SosverifyError(f"GAN minibatch must be one of {', '.join(MINIBATCHES)}, got {self.minibatch!r}")

    def as_dict(self) -> dict:
        """The fields as recorded in configurations, checkpoints and sweep task keys; fields added
        later are left out at their default, so that records made before them stay valid."""
        out = asdict(self)
        for name, default in LATER_FIELDS.items():
            if out[name] == default:
                del out[name]
        return out

    @property
    def tensors(self) -> int:
        """Parameter tensors of both networks (a weight matrix and a bias per layer): the reference
        notebook's normaliser of SGA's λ (28 at paper size), where SPEC §2 has the dimension d."""
        return 2 * len(self.generator_shapes)

    @property
    def mixture(self) -> Mixture:
        return Mixture(self.grid, 1.0, self.std)

    def shapes(self, n_in: int, n_out: int) -> tuple:
        """``(W_1, b_1, …, W_{layers+1}, b_{layers+1})`` shapes of an MLP ``n_in → hidden^layers → n_out``."""
        sizes = [n_in] + [self.hidden] * self.layers + [n_out]
        out = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            out += [(a, b), (b,)]
        return tuple(out)

    @property
    def generator_shapes(self) -> tuple:
        return self.shapes(self.latent, 2)

    @property
    def discriminator_shapes(self) -> tuple:
        return self.shapes(2, 1)


MINIBATCHES = ("random", "tiled")
LATER_FIELDS = {"minibatch": "random"}


def notebook_sga_eps(spec: GanSpec, eps: float = 0.1) -> float:
    """SGA's ε that makes SPEC §2's λ = sign(P/d + ε) the reference notebook's sign(P/n + eps),
    n = :attr:`GanSpec.tensors`: the two have the same sign since d, n > 0, so ε = eps·n/d."""
    dim = _size(spec.generator_shapes) + _size(spec.discriminator_shapes)
    return eps * spec.tensors / dim


def tiled_modes(batch: int, modes: int) -> numpy.ndarray:
    """The mode of each real point in a tiled minibatch: ``0, 1, …, modes−1, 0, 1, …`` (each mode
    ``batch/modes`` times when ``modes`` divides ``batch``).

    >>> numpy.bincount(tiled_modes(256, 16)).tolist() == [16] * 16
    True
    """
    return numpy.arange(batch) % modes


def _size(shapes) -> int:
    return int(sum(numpy.prod(s) for s in shapes))


def mlp(flat, shapes: tuple, x):
    """An MLP with ReLU hidden layers, batched over runs: ``flat`` ``(R, size)``, ``x`` ``(R, B, n_in)``."""
    parts = unflatten(flat, shapes)
    h = x
    last = len(parts) - 2
    for k in range(0, len(parts), 2):
        h = batch_matmul(h, parts[k]) + parts[k + 1][:, None, :]
        if k < last:
            h = relu(h)
    return h


def softplus(x):
    """``log(1 + eˣ)``, stable for large ``|x|``."""
    return np.logaddexp(0.0, x)


def truncated_normal(rng: numpy.random.Generator, shape: tuple, std: float) -> numpy.ndarray:
    """``N(0, std²)`` redrawn outside ±2 std (TensorFlow's ``truncated_normal``)."""
    out = rng.standard_normal(shape)
    bad = numpy.abs(out) > 2
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = numpy.abs(out) > 2
    return std * out


def init_mlp(rng: numpy.random.Generator, runs: int, shapes: tuple) -> numpy.ndarray:
    """Weights truncated normal with std ``1/√fan_in``, biases 0; ``(runs, size)``."""
    pieces = []
    for shape in shapes:
        if len(shape) == 2:
            pieces.append(truncated_normal(rng, (runs, shape[0] * shape[1]), 1.0 / numpy.sqrt(shape[0])))
        else:
            pieces.append(numpy.zeros((runs, shape[0])))
    return numpy.concatenate(pieces, axis=1)


def generate(spec: GanSpec, theta_g, z) -> numpy.ndarray:
    """Generator samples ``(R, B, 2)`` from its parameters ``(R, d_G)`` and latents ``(R, B, latent)``."""
    return mlp(numpy.asarray(theta_g), spec.generator_shapes, numpy.asarray(z, dtype=numpy.asarray(theta_g).dtype))


def gmm_gan(hidden: int = 384, layers: int = 6, latent: int = 64, batch: int = 256, grid: int = 4,
            std: float = 0.02, dtype: str = "float32", minibatch: str = "random") -> Game:
    """The Gaussian-mixture GAN (§5, Figures 4–7) as a two-player game: generator, discriminator.

    >>> g = gmm_gan(hidden=8, layers=2, latent=4, batch=16)
    >>> g.dims, g.dtype, g.draws_data
    ((130, 105), 'float32', True)
    >>> theta = g.init(numpy.random.default_rng(0), 3)
    >>> losses = g.draw(numpy.random.default_rng(1), 3).losses(theta)
    >>> losses.shape, losses.dtype
    ((2, 3), dtype('float32'))
    """
    spec = GanSpec(hidden, layers, latent, batch, grid, std, dtype, minibatch)
    mixture = spec.mixture
    g_shapes, d_shapes = spec.generator_shapes, spec.discriminator_shapes
    tiles = mixture.centres[tiled_modes(spec.batch, mixture.modes)]

    def sample(rng, runs):
        if spec.minibatch == "tiled":  # fixed modes, fresh noise
            real = (tiles + spec.std * rng.standard_normal((runs, spec.batch, 2))).astype(spec.dtype)
        else:
            real = mixture.sample(rng, (runs, spec.batch)).astype(spec.dtype)
        z = rng.standard_normal((runs, spec.batch, spec.latent)).astype(spec.dtype)
        return real, z

    def init(rng, runs):
        return numpy.concatenate([init_mlp(rng, runs, g_shapes), init_mlp(rng, runs, d_shapes)],
                                 axis=1).astype(spec.dtype)

    def losses(params, batch):
        real, z = batch
        fake = mlp(params[0], g_shapes, z)
        logits = mlp(params[1], d_shapes, np.concatenate([real, fake], axis=1))[:, :, 0]
        d_real, d_fake = logits[:, :spec.batch], logits[:, spec.batch:]
        loss_g = np.mean(softplus(-d_fake), axis=1)
        loss_d = np.mean(softplus(-d_real), axis=1) + np.mean(softplus(d_fake), axis=1)
        return [loss_g, loss_d]

    return Game("gmm", (_size(g_shapes), _size(d_shapes)), losses, params=spec.as_dict(), sample=sample, init=init,
                dtype=spec.dtype,
                description="GAN on a 4x4 mixture of Gaussians: generator vs discriminator, minibatches (§5, Fig. 4-7)")
