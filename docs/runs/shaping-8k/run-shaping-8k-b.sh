#!/bin/bash
# Issue 19, session 5 onward: the rest of the search on commit 8df2ed3 (first_order by blocks:
# the GAN's first-order pass about twice as fast on JAX, same mathematics). Same OUT as
# run-shaping-8k.sh: finished tasks are skipped, a stopped training resumes from its checkpoint
# (its task file then records the commit that finished it and where it resumed).
set -u
SRC=${SRC:-/work/gan-search/src-8df2ed3}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
        --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
# the seeds the verdict needs first, then the rest of the grid
run --algos co --alpha 2e-4 --seeds 1 2
run --algos sga --alpha 2e-4 --seeds 1 2
run --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 1 2
run --algos lola la --alpha 2e-4 --shaping-alpha 0.01 --seeds 1 2
run --algos sos --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 2e-4 --shaping-alpha 0.1 predicted --seeds 0
echo "== finished $(date -u +%FT%TZ)"
