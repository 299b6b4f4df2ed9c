#!/usr/bin/env bash
# The CUDA checks, as one prepared script for a lent GPU machine (its time is short):
# device facts, the experiment tests (CUDA ones included), the MAML bench on CUDA, the shipped
# specs run on CUDA (quick, and maml-sinusoid in full) and a one-rank torchrun on NCCL.
# Logs and run records go to $OUT (default ./cuda-check-out). Each step has its own time limit
# so that one slow step cannot eat the others; the tests go last, as the slowest and least
# GPU-specific. Seen on an H100 (2026-11-27): the bench's speed and memory parts ~95 s, its
# quality part ~100 s per inner-steps row at 100 meta-iterations (the plain loop and `higher` are
# launch-bound there), quick runs 18 s, full maml-sinusoid 58 s, torchrun 24 s, and the
# experiment tests over 4 minutes (each runner subprocess imports CUDA torch).
#
#     bash bench/cuda_check.sh            # PYTHON=... to choose the interpreter
set -uo pipefail
out=${OUT:-cuda-check-out}
mkdir -p "$out"
py=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
runs=$(mktemp -d)

step() {  # step NAME SECONDS COMMAND...: run, log to $out/NAME.txt, say how it ended
    local name=$1 limit=$2
    shift 2
    local started=$SECONDS
    timeout "$limit" "$@" >"$out/$name.txt" 2>&1
    echo "== $name: exit $? in $((SECONDS - started)) s" | tee -a "$out/summary.txt"
}

{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
    "$py" -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
} >"$out/summary.txt" 2>&1
step maml_bench 300 "$py" bench/maml_bench.py --device cuda --train-iterations 30 --no-compile
step quick_runs 120 "$py" -m notebase run --experiment meta-cost --quick --device cuda --json
step full_maml 150 "$py" -m notebase.experiments.runner --spec experiments/maml-sinusoid.toml \
    --device cuda --runs-dir "$runs"
step torchrun 120 "$py" -m torch.distributed.run --nproc_per_node=1 --standalone \
    -m notebase.experiments.runner --spec experiments/digits-fewshot.toml --quick \
    --device cuda --runs-dir "$runs"
step tests 300 "$py" -m pytest -v -p no:cacheprovider -p no:warnings tests/experiments
cp "$runs"/*.json "$out"/ 2>/dev/null
cat "$out/summary.txt"
