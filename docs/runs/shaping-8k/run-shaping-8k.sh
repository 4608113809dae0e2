#!/bin/bash
# Issue 19 item 3: learning rate x shaping alpha for SOS, LOLA and LA at paper size on JAX,
# seed 0, 8000 iterations, evaluations every 2000; resumable (each command skips finished tasks
# and continues a stopped training from OUT/checkpoints). Runs the committed source in SRC
# (a clone at one commit, recorded in every task file), pinned to core 1, one thread.
set -u
SRC=${SRC:-/work/gan-search/src-12fc6a2}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
echo "== measured on core 1 (shared): SOS 300 ms/it (40 min per 8k training), LOLA as SOS, LA 237 ms/it (32 min),"
echo "== predicted mode 461 ms/it (61 min): 27 grid trainings + 3 predicted = about 20 h (shared core; less when idle)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
        --eval-every 2000 --seeds 0 --backend jax --workers 1 --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --algos sos --alpha 2e-4 1e-4 --shaping-alpha 0.1 0.03
run --algos sos --alpha 2e-4 --shaping-alpha predicted
run --algos sos --alpha 2e-4 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01
run --algos lola --alpha 2e-4 1e-4 --shaping-alpha 0.1 0.03
run --algos la --alpha 2e-4 1e-4 --shaping-alpha 0.1 0.03
run --algos lola --alpha 2e-4 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01
run --algos la --alpha 2e-4 1e-4 8e-5 --shaping-alpha 0.1 0.03 0.01
run --algos lola la --alpha 2e-4 --shaping-alpha predicted
echo "== finished $(date -u +%FT%TZ)"
