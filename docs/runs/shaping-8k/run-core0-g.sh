#!/bin/bash
# Issue 19, session 8: core 0 after LA's seeds 1 and 2 (run-core0-f.sh, stopped once LA's seed 2 has
# landed). NL at its chosen setting (1e-4) on seed 0 on JAX (the first grid's seed-0 task file was lost
# with its machine); CO at 1e-4 on seeds 1 and 2 (15 modes on seed 0, above 2e-4's 12 there: the
# contender the ranking over seeds had not taken on); then LOLA at alpha = 0.03 on seeds 1 and 2.
# Commit c29eba5.
set -u
SRC=${SRC:-/work/gan-search/src-c29eba5}
OUT=${OUT:-/work/gan-search/shaping-8k}
WAIT_FILE_GLOB=${WAIT_FILE_GLOB:-$OUT/tasks/la-a0.0001-s2-*.json}
WAIT_PID=${WAIT_PID:-}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0 (g): source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
if [ -n "$WAIT_PID" ]; then
    while ! compgen -G "$WAIT_FILE_GLOB" >/dev/null && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 15; done
    pkill -TERM -P "$WAIT_PID"; kill "$WAIT_PID" 2>/dev/null; sleep 2
    pkill -f "sosverify.cli sweep gmm.*--algos lola --alpha 2e-4 --shaping-alpha 0.03" ; sleep 20
    echo "== $(date -u +%FT%TZ) LA's seed 2 landed; $WAIT_PID stopped"
fi
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --eval-every 2000 --workers 1 \
        --backend jax --quiet --out "$OUT" "$@"; rc=$?
    echo "== $(date -u +%FT%TZ) rc=$rc"
}
run --iterations 8000 --algos nl --alpha 1e-4 --seeds 0
run --iterations 8000 --algos co --alpha 1e-4 --seeds 1 2
run --iterations 8000 --algos lola --alpha 2e-4 --shaping-alpha 0.03 --seeds 1 2
echo "== finished $(date -u +%FT%TZ)"
