#!/bin/bash
# Issue 19, session 8 (a new machine: the earlier checkpoints are gone): core 0. LA at its chosen setting
# (lr 1e-4, shaping alpha tied to it) on seeds 1 and 2, so that every rule of Figures 4 and 6 has three
# seeds at its chosen setting; then LOLA at alpha = 0.03 on seeds 1 and 2 (SOS there: 14, 16 and one
# blow-up; LOLA blew up on seed 0). Commit c29eba5.
set -u
SRC=${SRC:-/work/gan-search/src-c29eba5}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0 (f): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"; rc=$?
    echo "== $(date -u +%FT%TZ) rc=$rc"
}
run --iterations 8000 --algos la --alpha 1e-4 --shaping-alpha lr --seeds 1
run --iterations 8000 --algos la --alpha 1e-4 --shaping-alpha lr --seeds 2
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
echo "== finished $(date -u +%FT%TZ)"
