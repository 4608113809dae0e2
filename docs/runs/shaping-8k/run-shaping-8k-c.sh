#!/bin/bash
# Issue 19, session 6: core 1 after SGA seed 2 (run-shaping-8k-b.sh's sweep, left to finish): the
# alpha = 0.01 seeds the default shaping step needs, split with core 0 (which trains SOS seed 2:
# run-core0-c.sh), so that no task is trained by both. Same OUT and commit as run-shaping-8k-b.sh.
set -u
SRC=${SRC:-/work/gan-search/src-8df2ed3}
OUT=${OUT:-/work/gan-search/shaping-8k}
WAIT=${WAIT:-}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
if [ -n "$WAIT" ]; then while kill -0 "$WAIT" 2>/dev/null; do sleep 30; done; echo "== $(date -u +%FT%TZ) $WAIT ended"; fi
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
        --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --algos sga --alpha 2e-4 --seeds 2
run --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 1
run --algos lola --alpha 2e-4 --shaping-alpha 0.01 --seeds 1
run --algos la --alpha 2e-4 --shaping-alpha 0.01 --seeds 1
run --algos lola la --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
run --algos sos --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01 --seeds 0
run --algos lola la --alpha 2e-4 --shaping-alpha 0.1 predicted --seeds 0
echo "== finished $(date -u +%FT%TZ)"
