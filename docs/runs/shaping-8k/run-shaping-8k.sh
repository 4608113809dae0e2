#!/bin/bash
# Issue 19 item 3: learning rate x shaping alpha for SOS, LOLA and LA at paper size on JAX,
# 8000 iterations, evaluations every 2000; resumable (each command skips finished tasks and
# continues a stopped training from OUT/checkpoints). Runs the committed source in SRC (a clone at
# one commit, recorded in every task file), pinned to core 1, one thread.
#
# Ordered by what the verdict needs first (one training is 40-95 min on the shared core, so the
# grid runs across sessions): SOS where p can bind without blowing up, LOLA beside it (SOS != LOLA),
# the predicted-step extension, LA, then the rest of the grid, then seeds 1 and 2.
# The first training (SOS lr 2e-4, alpha 0.1, commit 12fc6a2) blew up at iteration ~541.
set -u
SRC=${SRC:-/work/gan-search/src-6942ab8}
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
# Sessions 2-3 (seed 0, done): SOS alpha 0.03, 0.01, LOLA 0.03, SOS at 1e-4, the predicted step, LA, LOLA 0.01.
run --algos sos --alpha 2e-4 --shaping-alpha 0.03 --seeds 0
run --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 0
run --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 0
run --algos sos --alpha 1e-4 --shaping-alpha 0.03 --seeds 0
run --algos sos --alpha 2e-4 --shaping-alpha predicted --seeds 0
run --algos la --alpha 2e-4 --shaping-alpha 0.03 0.01 --seeds 0
# Session 4 order: finish LOLA alpha 0.01, then the seeds the verdict needs (SOS at its best
# setting, then NL, CO and SGA of Figures 4 and 6 at theirs), then the rest of the grid.
run --algos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 0
run --algos sos --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
run --algos nl --alpha 1e-4 --seeds 1 2
run --algos co --alpha 2e-4 --seeds 1 2
run --algos sga --alpha 2e-4 --seeds 1 2
run --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 1 2
run --algos lola la --alpha 2e-4 --shaping-alpha 0.01 --seeds 1 2
run --algos sos --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 2e-4 --shaping-alpha 0.1 predicted --seeds 0
echo "== finished $(date -u +%FT%TZ)"
