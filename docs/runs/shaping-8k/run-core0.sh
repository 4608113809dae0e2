#!/bin/bash
# Issue 19: CO at its paper-size rate on seeds 1 and 2, on core 0 beside run-shaping-8k.sh (core 1);
# same OUT and source, so either script skips what the other finished.
set -u
SRC=${SRC:-/work/gan-search/src-6942ab8}
OUT=${OUT:-/work/gan-search/shaping-8k}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
cd /work/gan-search
echo "== core 0: source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
for seed in 1 2; do
  echo "== $(date -u +%FT%TZ) co seed $seed"
  taskset -c 0 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset paper --iterations 8000 \
      --eval-every 2000 --workers 1 --backend jax --quiet --out "$OUT" --algos co --alpha 2e-4 --seeds $seed
  echo "== $(date -u +%FT%TZ) rc=$?"
done
