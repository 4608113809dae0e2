#!/bin/bash
# Issue 19: the 8k trainings of the search taken on to 12k (sweep gmm --extends 8000), for Figure 7 at
# 12k and "LOLA moves away after 8-10k while SOS stays": SOS beside LOLA at the same setting first.
# Core 0, one thread, same OUT as the search (each extension copies its 8k checkpoint, never changes it).
set -u
SRC=${SRC:-/work/gan-search/src-0deaa0a}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== extend: source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 12000 --extends 8000 \
        --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --algos sos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 0
run --algos sos --alpha 2e-4 --shaping-alpha 0.03 --seeds 0 2
run --algos nl --alpha 1e-4 --seeds 1 2
run --algos la --alpha 2e-4 --shaping-alpha 0.01 --seeds 0
echo "== finished $(date -u +%FT%TZ)"
