#!/bin/bash
# Issue 19 item 2, measured on the small preset (3 x 64, lr 3e-3, 4000 iterations, autograd, seeds 0 and 1):
# random against tiled real minibatches (NL, SGA), and SGA's lambda normalised by d against the notebook's
# (eps = 0.1 n / d = 8.83e-5 here). Niced, on core 1 beside the paper-size search.
set -u
SRC=${SRC:-/work/gan-search/src-6282b34}
OUT=${OUT:-/work/gan-search/notebook-small}
export PYTHONPATH=$SRC OMP_NUM_THREADS=1
echo "== source $(git -C "$SRC" rev-parse HEAD), out $OUT, started $(date -u +%FT%TZ)"
run() {
    echo "== $(date -u +%FT%TZ) sweep $*"
    nice -n 5 taskset -c 1 /work/venv-gan/bin/python -m sosverify.cli sweep gmm --preset small --alpha 3e-3 \
        --seeds 0 1 --backend autograd --workers 1 --quiet --out "$OUT" "$@"
    echo "== $(date -u +%FT%TZ) rc=$?"
}
run --algos sga --minibatch random
run --algos sga --eps 8.83245928788297e-05
run --algos sga --minibatch tiled
run --algos nl --minibatch random
run --algos nl --minibatch tiled
echo "== finished $(date -u +%FT%TZ)"
