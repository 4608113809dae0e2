"""SGA's lambda at paper size: the share of iterations with lambda = -1 under SPEC's normaliser (d) and the
notebook's (n tensors: eps = 0.1 n / d), seed 0, lr 2e-4 (DEFAULT_LR), JAX, the first ITERATIONS iterations."""
import json
import sys

from sosverify.gan.game import GanSpec, notebook_sga_eps

from sosverify.backends import use_backend
from sosverify.gan.train import train
from sosverify.results import source_commit

iterations = int(sys.argv[1])
out = {"iterations": iterations, "commit": source_commit(), "lr": 2e-4, "seed": 0}
with use_backend("jax"):
    for name, eps in (("dimension", 0.1), ("tensors", notebook_sga_eps(GanSpec()))):
        t = train("sga", 2e-4, spec=GanSpec(), iterations=iterations, eval_every=iterations, seed=0, hyper={"eps": eps})
        out[name] = {"eps": eps, **{k: t.summary()[k] for k in ("lambda_negative_share", "final_kl", "final_xi_norm",
                                                                 "seconds_per_iteration")},
                     "lambda_negative_iterations": [int(i) for i in (t.lam < 0).nonzero()[0]][:50]}
        print(name, out[name], flush=True)
print(json.dumps(out))
