#!/bin/bash
# Issue 19, session 6: core 0 after SOS (alpha 0.03, seed 0) taken on to 12k: SOS at alpha = 0.01 on
# seed 2 (the default shaping step's evidence; core 1 trains seed 1: run-shaping-8k-c.sh), then the
# rest of run-extend-12k.sh's extensions. Same OUT.
set -u
SRC=${SRC:-/work/gan-search/src-0deaa0a}
OUT=${OUT:-/work/gan-search/shaping-8k}
WAIT_FILE=${WAIT_FILE:-}   # a task file to wait for; then the sweep WAIT_PID is stopped
WAIT_PID=${WAIT_PID:-}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0: source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
if [ -n "$WAIT_FILE" ]; then
    while [ ! -e "$WAIT_FILE" ] && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 20; done
    kill "$WAIT_PID" 2>/dev/null; sleep 20; echo "== $(date -u +%FT%TZ) $WAIT_FILE written; sweep $WAIT_PID stopped"
fi
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --iterations 8000 --algos sos --alpha 2e-4 --shaping-alpha 0.01 --seeds 2
run --iterations 12000 --extends 8000 --algos nl --alpha 1e-4 --seeds 1 2
run --iterations 12000 --extends 8000 --algos sos --alpha 2e-4 --shaping-alpha 0.03 --seeds 2
run --iterations 12000 --extends 8000 --algos la --alpha 2e-4 --shaping-alpha 0.01 --seeds 0
echo "== finished $(date -u +%FT%TZ)"
