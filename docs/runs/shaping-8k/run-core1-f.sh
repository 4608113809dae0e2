#!/bin/bash
# Issue 19, session 8: core 1. LOLA at the paper preset's setting (lr 2e-4, shaping alpha 0.01), seed 1:
# 8k again (its committed task file, trained on another machine, must come back bit for bit), then on
# to 12k ("LOLA moves away after 8-10k while SOS stays"; seed 0 went 12 -> 13 modes). Commit c29eba5.
set -u
SRC=${SRC:-/work/gan-search/src-c29eba5}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 1 (f): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"; rc=$?
    echo "== $(date -u +%FT%TZ) rc=$rc"
}
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 1
run --iterations 12000 --extends 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 1
echo "== finished $(date -u +%FT%TZ)"
