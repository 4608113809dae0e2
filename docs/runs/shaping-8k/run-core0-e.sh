#!/bin/bash
# Issue 19, session 7: core 0 after the small preset's shaping sweep (run-core0-d.sh, stopped after it):
# LOLA at alpha = 0.01 seed 2, SOS at the paper preset's default (2e-4, alpha 0.01) on to 12k on seeds
# 1 and 2 (Figure 7 and "SOS stays" at the chosen setting), LA at alpha = 0.01 seed 2, then LOLA at
# alpha = 0.03 on seeds 1 and 2. Core 1's script skips a task held here or finished. Commit 70c8dc6.
set -u
SRC=${SRC:-/work/gan-search/src-70c8dc6}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0 (e): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
run --iterations 12000 --extends 8000 --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 1 2
run --iterations 8000 --algos la --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
echo "== finished $(date -u +%FT%TZ)"
