"""The two backends side by side: autograd (the reference) and JAX (compiled), same code, this machine.

    python benchmarks/bench_backends.py [--part ipd gan expressions] [--gan-preset paper|small]

Prints, in one run:

- IPD, every rule, 300 runs x 200 steps: microseconds per run-step on autograd, on JAX one
  compiled step per call, and on JAX with the whole run one compiled loop (the default there;
  compile time apart), the loop's ratio to autograd and to the PyTorch reference
  (1.86 ms per run-step, SOS, one run at a time), and for SOS and LA the same step written
  directly in JAX with no project code (``plain_jax.py``: the compiled limit) and the project's
  ratio to it.
- GAN (paper size, float32): seconds per iteration of each rule that runs on the GAN on both
  backends, their ratio, and the time to train the paper's six rules to 8k iterations,
  measured per iteration and projected; and ξ and the SOS direction written directly in JAX
  (``plain_gan.py``, no project code: the compiled limit) beside the project's jitted NL and SOS
  directions.
- A sweep of 12 small GAN trainings on a 2-worker local Dask cluster against the same 12 run
  one after another.
- A game typed as expressions (a 2 x 2 bimatrix game under the sigmoid parametrisation, given as
  ``--player`` strings), LA, 4 runs: milliseconds per step on both backends.

Timings are the median of the steps after the first (which compiles on JAX); on a shared 2-core
machine they vary by tens of percent.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy

from sosverify.algorithms import ALGORITHMS, get_algorithm
from sosverify.backends import describe
from sosverify.expressions import game_from_specs
from sosverify.games import get_game
from sosverify.runner import trajectory

REFERENCE_US_PER_RUN_STEP = 1860.0  # PyTorch reference notebook, SOS on the IPD (see bench_ipd.py)
BACKENDS = ("autograd", "jax")
PAPER_SIX = ("nl", "co", "sga", "la", "lola", "sos")


def step_times(game, rule: str, theta0, steps: int, backend: str, rng=None):
    """(seconds of the first step, median seconds of the later ones) through the runner, one step per call."""
    algo = get_algorithm(rule)
    stamps = [time.perf_counter()]
    for s in trajectory(game, algo, theta0, alpha=1e-4 if game.draws_data else 1.0, steps=steps,
                        hyper=algo.defaults, rng=rng, backend=backend, chunk=1):
        stamps.append(time.perf_counter())
        if s.t == steps - 1:
            break
    gaps = numpy.diff(stamps)
    return float(gaps[0]), float(statistics.median(gaps[1:]))


def loop_times(game, rule: str, theta0, steps: int, backend: str = "jax", repeats: int = 2):
    """(seconds of the first whole run, which compiles; seconds of the best of ``repeats`` more) of a
    run in compiled chunks of the default length (the program is cached between runs of the same setting)."""
    algo = get_algorithm(rule)
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        for _ in trajectory(game, algo, theta0, alpha=1.0, steps=steps, hyper=algo.defaults, backend=backend,
                            ):
            pass
        times.append(time.perf_counter() - start)
    return times[0], min(times[1:])


def plain_times(rule: str, theta0, steps: int):
    """(seconds of the first step, which compiles; median seconds of the later ones) of the plain
    jitted step of ``rule`` (``plain_jax.py``), one call per step."""
    import plain_jax

    step = plain_jax.STEPS[rule]
    theta = plain_jax.jnp.asarray(theta0)
    stamps = [time.perf_counter()]
    for _ in range(steps):
        theta = step(theta, 1.0)
        theta.block_until_ready()
        stamps.append(time.perf_counter())
    gaps = numpy.diff(stamps)
    return float(gaps[0]), float(statistics.median(gaps[1:]))


def ipd(args) -> None:
    game = get_game("ipd")
    theta0 = numpy.random.default_rng(0).standard_normal((args.runs, game.dim))
    print(f"IPD, {args.runs} runs x {args.steps} steps, microseconds per run-step "
          f"(autograd {describe('autograd')['version']}, jax {describe('jax')['version']}); "
          "jax steps: one compiled step per call; jax loop: the whole run one compiled loop (the default)")
    print(f"{'rule':<6}{'autograd':>10}{'jax steps':>11}{'jax loop':>10}{'compile s':>11}{'loop/autograd':>15}"
          f"{'loop vs reference':>19}{'plain step':>12}{'loop/plain':>12}{'steps/plain':>13}")
    for rule in args.algos:
        _, ag = step_times(game, rule, theta0, args.steps, "autograd")
        _, jx = step_times(game, rule, theta0, args.steps, "jax")
        first, whole = loop_times(game, rule, theta0, args.steps)
        limit = ""
        if rule in ("sos", "la"):
            # the project's loop and the plain step measured in turn, the best of three each: a
            # shared machine's noise (tens of percent between minutes) then hits both alike
            pl = plain_times(rule, theta0, args.steps)[1]
            for _ in range(2):
                whole = min(whole, loop_times(game, rule, theta0, args.steps, repeats=1)[1])
                pl = min(pl, plain_times(rule, theta0, args.steps)[1])
            pl_us = pl / args.runs * 1e6
        ag_us, jx_us, lp_us = (x / args.runs * 1e6 for x in (ag, jx, whole / args.steps))
        if rule in ("sos", "la"):
            limit = f"{pl_us:>12.2f}{lp_us / pl_us:>11.2f}x{jx_us / pl_us:>12.2f}x"
        print(f"{rule:<6}{ag_us:>10.2f}{jx_us:>11.2f}{lp_us:>10.2f}{first - whole:>11.2f}{ag_us / lp_us:>14.1f}x"
              f"{REFERENCE_US_PER_RUN_STEP / lp_us:>18.0f}x{limit}", flush=True)


def gan(args) -> None:
    from sosverify.gan.presets import PRESETS

    spec = PRESETS[args.gan_preset]["spec"]
    game = get_game("gmm", **{k: getattr(spec, k) for k in ("hidden", "layers", "latent", "batch")})
    theta0 = game.init(numpy.random.default_rng(0), 1)
    print(f"\nGAN ({args.gan_preset}: {game.dim} parameters, {game.dtype}), seconds per iteration")
    print(f"{'rule':<6}{'jax compile s':>14}{'autograd s':>12}{'jax s':>9}{'jax/autograd':>13}")
    per = {}
    for rule in args.gan_algos:
        _, ag = step_times(game, rule, theta0, args.gan_steps, "autograd", numpy.random.default_rng(1))
        compile_s, jx = step_times(game, rule, theta0, args.gan_steps, "jax", numpy.random.default_rng(1))
        per[rule] = (ag, jx)
        print(f"{rule:<6}{compile_s:>14.1f}{ag:>12.3f}{jx:>9.3f}{ag / jx:>12.2f}x", flush=True)
    limit = gan_limit(game, theta0, args.gan_steps)
    for rule in ("nl", "sos"):
        print(f"{rule} direction on JAX, jitted, median of {max(3, args.gan_steps)}: written directly (plain_gan.py) "
              f"{limit['plain ' + rule] * 1000:.0f} ms, the project's {limit[rule] * 1000:.0f} ms "
              f"({limit[rule] / limit['plain ' + rule]:.2f}x; max |difference| "
              f"{limit[rule + ' difference']:.1e} of max |direction|)")
    six = [r for r in PAPER_SIX if r in per]
    for k, name in enumerate(BACKENDS):
        total = sum(per[r][k] for r in six) * 8000
        print(f"train {', '.join(six)} to 8k iterations on {name}: {total / 3600:.1f} h "
              f"(one: {per[six[0]][k] * 8000 / 60:.0f} min for {six[0]})")


def gan_limit(game, theta0, repeats: int):
    """Seconds of ξ and of the SOS direction written directly in JAX (``plain_gan.py``, no project
    code) and of the project's NL and SOS directions, all jitted, one minibatch, median of
    ``repeats``: ``{"plain nl": s, "plain sos": s, "nl": s, "sos": s}``."""
    import jax
    import jax.numpy as jnp
    import plain_gan

    from sosverify.backends import use_backend

    with use_backend("jax"):
        batch = tuple(jnp.asarray(b) for b in game.draw(numpy.random.default_rng(1), 1).batch)
        theta, d_g = jnp.asarray(theta0), game.dims[0]
        spec = game.params
        from sosverify.games.gmm import GanSpec

        shapes = GanSpec(**spec)
        plain_xi, plain_sos = plain_gan.make(shapes.generator_shapes, shapes.discriminator_shapes, shapes.batch)
        calls = {
            "plain nl": lambda: jnp.concatenate(plain_xi(theta[0, :d_g], theta[0, d_g:], batch[0][0], batch[1][0])),
            "plain sos": lambda: plain_sos(theta[0, :d_g], theta[0, d_g:], batch[0][0], batch[1][0], 1e-4),
        }
        for rule in ("nl", "sos"):
            algo = ALGORITHMS[rule]
            fn = jax.jit(lambda th, batch, algo=algo: algo.fn(game.bind(batch), th, alpha=1e-4,
                                                               **algo.defaults).direction)
            calls[rule] = lambda fn=fn: fn(theta, batch)
        out = {}
        for rule in ("nl", "sos"):  # the limit computes the same direction
            plain, ours = calls["plain " + rule](), calls[rule]()[0]
            out[rule + " difference"] = float(jnp.abs(plain - ours).max() / jnp.abs(ours).max())
        for name, call in calls.items():
            jax.block_until_ready(call())  # compiles
            times = []
            for _ in range(max(3, repeats)):
                start = time.perf_counter()
                jax.block_until_ready(call())
                times.append(time.perf_counter() - start)
            out[name] = statistics.median(times)
    return out


def expressions(args) -> None:
    # matching pennies as a bimatrix game, typed: p = sigmoid(x), q = sigmoid(y)
    p, q = "1/(1+exp(-x))", "1/(1+exp(-y))"
    l1 = f"({p})*({q}) - ({p})*(1-{q}) - (1-{p})*({q}) + (1-{p})*(1-{q})"
    game = game_from_specs([f"x={l1}", f"y=-({l1})"])
    theta0 = numpy.random.default_rng(0).standard_normal((4, 2))
    print("\nbimatrix game typed as expressions (sigmoid parametrisation), LA, 4 runs: ms per step")
    for name in BACKENDS:
        _, t = step_times(game, "la", theta0, 200, name)
        print(f"{name:<9} one step per call {t * 1e3:>8.3f} ms", flush=True)
    first, whole = loop_times(game, "la", theta0, 2000)
    print(f"jax      compiled loop     {whole / 2000 * 1e3:>8.4f} ms (2000 steps; compile {first - whole:.1f} s)")


def sweep_part(args) -> None:
    import tempfile
    from dataclasses import asdict

    from sosverify.gan.presets import PRESETS
    from sosverify.sweep import grid, run_task, sweep

    spec = asdict(PRESETS["small"]["spec"])
    tasks = grid("gmm", ["nl", "sos"], [1e-3, 3e-3, 1e-2], [0, 1], spec=spec, iterations=args.sweep_iterations,
                 eval_every=args.sweep_iterations, hyper={}, backend="autograd")
    print(f"\n{len(tasks)} small GAN trainings ({args.sweep_iterations} iterations each): one after another "
          f"against a {args.workers}-worker local Dask cluster")
    start = time.perf_counter()
    for t in tasks:
        run_task(t)
    serial = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        report = sweep(tasks, out, workers=args.workers)
        parallel = time.perf_counter() - start
    print(f"one after another {serial:.1f} s, sweep {parallel:.1f} s (cluster start included): "
          f"{serial / parallel:.2f}x; {report['done']} done, {len(report['failed'])} failed")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", nargs="+", default=["ipd", "expressions", "gan", "sweep"],
                        choices=("ipd", "gan", "expressions", "sweep"))
    parser.add_argument("--sweep-iterations", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--algos", nargs="+", default=list(ALGORITHMS))
    parser.add_argument("--gan-preset", default="paper", choices=("paper", "small"))
    parser.add_argument("--gan-steps", type=int, default=4, help="iterations timed per rule (the first compiles)")
    parser.add_argument("--gan-algos", nargs="+", default=["nl", "la", "lola", "sos", "co", "sga", "eg"])
    args = parser.parse_args(argv)
    for part in args.part:
        {"ipd": ipd, "gan": gan, "expressions": expressions, "sweep": sweep_part}[part](args)


if __name__ == "__main__":
    main()
