#!/bin/bash
# Issue 19, session 8: core 1 after LOLA's seed 1 on to 12k (run-core1-f.sh). LOLA at alpha = 0.03 on
# seeds 1 and 2 (SOS there: 14, 16 and one blow-up; LOLA blew up on seed 0: the rule or the seed?),
# then SOS at the paper preset's setting (2e-4, alpha 0.01) on seed 2, 8k and on to 12k. Core 0's
# script skips a task held here or finished. Commit c29eba5.
set -u
SRC=${SRC:-/work/gan-search/src-c29eba5}
OUT=${OUT:-/work/gan-search/shaping-8k}
WAIT=${WAIT:-}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 1 (g): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
if [ -n "$WAIT" ]; then while kill -0 "$WAIT" 2>/dev/null; do sleep 20; done; echo "== $(date -u +%FT%TZ) $WAIT ended"; fi
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"; rc=$?
    echo "== $(date -u +%FT%TZ) rc=$rc"
}
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
run --iterations 8000 --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
run --iterations 12000 --extends 8000 --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
echo "== finished $(date -u +%FT%TZ)"
