#!/bin/bash
# Issue 19, session 7: core 0 after run-core0-c.sh (LA on to 12k). First the small preset's shaping
# step (the evidence for its default: SOS, LOLA, LA x alpha {lr, 0.1, 0.03} x seeds 0-2, lr 3e-3,
# 4000 iterations, JAX), then the paper-size alpha = 0.01 seed 2 of LOLA and LA (core 1's script
# reaches them later and skips a task held here or finished). Commit 70c8dc6.
set -u
SRC=${SRC:-/work/gan-search/src-70c8dc6}
OUT=${OUT:-/work/gan-search/shaping-8k}
SMALL=${SMALL:-/work/gan-search/shaping-small}
WAIT=${WAIT:-}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0 (d): source $(git -C "$SRC" rev-parse HEAD), started $(date -u +%FT%TZ)"
if [ -n "$WAIT" ]; then while kill -0 "$WAIT" 2>/dev/null; do sleep 30; done; echo "== $(date -u +%FT%TZ) $WAIT ended"; fi
small() {
    echo "== $(date -u +%FT%TZ) small sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset small --alpha 3e-3 --workers 1 \
        --backend jax --quiet --out "$SMALL" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
paper() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
        --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
small --algos sos lola la --shaping-alpha lr 0.1 0.03 --seeds 0 1 2
paper --algos lola la --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
paper --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
echo "== finished $(date -u +%FT%TZ)"
