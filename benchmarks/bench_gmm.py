"""Seconds per iteration of every rule on the GAN (paper size, float32), and the ratios that matter.

    python benchmarks/bench_gmm.py [--preset paper|small] [--repeats K] [--dtype float32|float64]

Prints, per rule, the median seconds of one iteration (direction + RMSProp update) and:
- NL against the *bare matrix products* ξ needs: a hand-written NumPy forward and backward pass
  (generator on the latents, discriminator on real and fake, the two losses' gradients), with no
  autodiff at all.  Aim: within 2×.
- every rule against NL (SOS needs ξ and four Hessian-vector products; aim ≤ 5).
Timings on a shared 2-core machine vary by ±30%; the script prints what it measured.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import asdict, replace

import numpy

from sosverify.algorithms import ALGORITHMS
from sosverify.games.gmm import GanSpec
from sosverify.gan.presets import PRESETS
from sosverify.gan.train import check_gan_algorithm
from sosverify.optimisers import rmsprop


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up: allocations, BLAS threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_xi(spec: GanSpec, theta_g, theta_d, real, z):
    """ξ = (∇_G L_G, ∇_D L_D) by hand: the matrix products alone (one run)."""
    def unpack(flat, shapes):
        out, k = [], 0
        for s in shapes:
            n = int(numpy.prod(s))
            out.append(flat[k:k + n].reshape(s))
            k += n
        return out

    def forward(params, x):
        acts, h = [x], x
        for k in range(0, len(params), 2):
            h = h @ params[k] + params[k + 1]
            if k < len(params) - 2:
                h = numpy.maximum(h, 0)
            acts.append(h)
        return acts

    def backward(params, acts, g, weights=True, input_grad=False):
        grads = [None] * len(params)
        for k in range(len(params) - 2, -1, -2):
            if k < len(params) - 2:
                g = g * (acts[k // 2 + 1] > 0)
            if weights:
                grads[k], grads[k + 1] = acts[k // 2].T @ g, g.sum(axis=0)
            if k > 0 or input_grad:
                g = g @ params[k].T
        return grads, g

    gp, dp = unpack(theta_g, spec.generator_shapes), unpack(theta_d, spec.discriminator_shapes)
    b = spec.batch
    ga = forward(gp, z)
    fake = ga[-1]
    da = forward(dp, numpy.concatenate([real, fake]))
    logits = da[-1][:, 0]
    sig = 1 / (1 + numpy.exp(-logits))
    # L_D = mean softplus(−d_real) + mean softplus(d_fake); L_G = mean softplus(−d_fake)
    g_d = numpy.concatenate([(sig[:b] - 1) / b, sig[b:] / b])[:, None].astype(real.dtype)
    grads_d, _ = backward(dp, da, g_d)
    g_g = numpy.concatenate([numpy.zeros(b), (sig[b:] - 1) / b])[:, None].astype(real.dtype)
    da_fake = [a[b:] for a in da]
    _, g_fake = backward(dp, da_fake, g_g[b:], weights=False, input_grad=True)
    grads_g, _ = backward(gp, ga, g_fake)
    return numpy.concatenate([x.ravel() for x in grads_g + grads_d])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="paper", choices=sorted(PRESETS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--algos", nargs="+", default=["nl", "la", "lola", "sos", "co", "sga", "eg"])
    args = parser.parse_args(argv)
    from sosverify.games.gmm import gmm_gan

    spec = replace(PRESETS[args.preset]["spec"], dtype=args.dtype)
    game = gmm_gan(**asdict(spec))
    rng = numpy.random.default_rng(0)
    theta = game.init(rng, 1)
    bound = game.draw(rng, 1)
    real, z = bound.batch
    print(f"GAN preset {args.preset}: {game.dim:,} parameters ({game.dims[0]:,} + {game.dims[1]:,}), "
          f"{spec.dtype}, batch {spec.batch}, median of {args.repeats}")
    d_g = game.dims[0]
    bare = _median_time(lambda: bare_xi(spec, theta[0, :d_g], theta[0, d_g:], real[0], z[0]), args.repeats)
    # the hand-written ξ is the same ξ: a check that the bare baseline computes what NL needs
    xi_auto = ALGORITHMS["nl"].fn(bound, theta, alpha=1e-4).xi[0]
    xi_bare = bare_xi(spec, theta[0, :d_g], theta[0, d_g:], real[0], z[0])
    scale = numpy.abs(xi_auto).max()
    print(f"bare NumPy ξ: {bare * 1000:.0f} ms   (max |difference| to autograd's ξ: "
          f"{numpy.abs(xi_auto - xi_bare).max() / scale:.1e} of max |ξ|)")
    opt = rmsprop(1e-4)
    state = opt.init(theta)
    times = {}
    for name in args.algos:
        algo = check_gan_algorithm(name)

        def step(algo=algo):
            out = algo.fn(bound, theta, alpha=1e-4, **algo.defaults)
            return theta - opt.update(out.direction, state)[0]

        times[name] = _median_time(step, args.repeats)
        dtype = step().dtype
        nl = times.get("nl")
        extra = f"  {times[name] / nl:4.1f}× NL" if nl else ""
        print(f"{name:<5} {times[name] * 1000:7.0f} ms/iteration  ({dtype}){extra}")
    if "nl" in times:
        print(f"NL / bare matrix products: {times['nl'] / bare:.2f}× (aim ≤ 2)")
    if "sos" in times and "nl" in times:
        print(f"SOS / NL: {times['sos'] / times['nl']:.2f}× (aim ≤ 5)")
        print(f"8k iterations of SOS at this speed: {8000 * times['sos'] / 3600:.1f} h")


if __name__ == "__main__":
    main()
