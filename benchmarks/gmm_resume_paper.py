"""Checkpoint and resume at paper size: N iterations straight against N/2, a checkpoint, then N/2 more.

    python benchmarks/gmm_resume_paper.py [--algo nl] [--iterations 20]

Trains the paper-size GAN (1.5 M parameters, float32, RMSProp) twice from the same seed and prints
whether the final parameters, the per-iteration losses and ‖ξ‖ are bit-for-bit identical, the
checkpoint's size and the seconds per iteration.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy

from sosverify.games.gmm import GanSpec
from sosverify.gan.train import train


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--algo", default="nl")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--lr", type=float, default=1e-4)
    args = parser.parse_args(argv)
    spec, n = GanSpec(), args.iterations
    with tempfile.TemporaryDirectory() as tmp:
        ck = Path(tmp) / "paper.npz"
        start = time.perf_counter()
        straight = train(args.algo, args.lr, spec=spec, iterations=n, eval_every=n, seed=0)
        per_it = (time.perf_counter() - start) / n
        train(args.algo, args.lr, spec=spec, iterations=n // 2, eval_every=n, seed=0, checkpoint=ck,
              checkpoint_every=n // 2)
        size = ck.stat().st_size
        resumed = train(args.algo, args.lr, spec=spec, iterations=n, eval_every=n, seed=0, checkpoint=ck,
                        checkpoint_every=n // 2, resume=True)
    same = (numpy.array_equal(straight.theta, resumed.theta) and numpy.array_equal(straight.losses, resumed.losses)
            and numpy.array_equal(straight.xi_norm, resumed.xi_norm))
    print(f"{args.algo} at paper size ({straight.theta.size:,} parameters, {straight.theta.dtype}): "
          f"{per_it:.2f} s/iteration (including the final evaluation); checkpoint {size / 1e6:.1f} MB")
    print(f"{n} straight == {n // 2} + resume from iteration {resumed.resumed_from} + {n - n // 2}: "
          f"{'identical, bit for bit' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
