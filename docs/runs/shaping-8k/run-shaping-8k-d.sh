#!/bin/bash
# Issue 19, session 7: core 1 after run-shaping-8k-c.sh's LA at alpha = 0.01 seed 2 (stopped there).
# LA's preset setting (lr 1e-4, alpha tied) on seeds 1 and 2 (seed 0 ran in the first grid,
# docs/runs/paper-grid-8k, without a checkpoint), LA at 1e-4 with alpha = 0.01 on seed 0 (LA at 2e-4,
# alpha 0.01 blew up on seed 1), then the rest of the grid. Commit 70c8dc6 (its blow-up bound is 1e6:
# the tables judge every result by the final |xi| against the current bound).
set -u
SRC=${SRC:-/work/gan-search/src-70c8dc6}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 1 (d): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
        --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --algos la --alpha 1e-4 --shaping-alpha lr --seeds 1 2
run --algos la --alpha 1e-4 --shaping-alpha 0.01 --seeds 0
run --algos sos --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 2e-4 --shaping-alpha 0.1 predicted --seeds 0
echo "== finished $(date -u +%FT%TZ)"
