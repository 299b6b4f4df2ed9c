#!/usr/bin/env bash
# The CUDA checks, as one prepared script for a lent GPU machine (its time is short): at most
# ~8 minutes in all, each step with its own time limit so that one slow step cannot eat the
# others. Device facts; bench/gpu_scale_bench.py (where a GPU pays: tasks/s against meta-batch
# and width, CPU thread vs GPU eager vs CUDA graphs, chunked peak memory); the MAML bench on
# CUDA (ours / batched reference / per-task loop); meta-cost and gpu-scale --quick on CUDA; a
# one-rank torchrun on NCCL; the meta-gradient and chunking tests. Logs, gpu_scale.txt/.json and
# run records go to $OUT (default ./cuda-check-out). Without CUDA every GPU step says so and
# ends at once. Seen on an H100 (2026-11-27, previous version): quick runs 18 s, torchrun 24 s.
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
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    "$py" -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA')"
} >"$out/summary.txt" 2>&1
if ! "$py" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "== no CUDA device: GPU checks skipped" | tee -a "$out/summary.txt"
    exit 0
fi
step gpu_scale 200 env OUT="$out" "$py" bench/gpu_scale_bench.py --budget 160
step maml_bench 80 "$py" bench/maml_bench.py --device cuda --skip-quality --skip-others \
    --timing-iterations 20 --repeats 3
step quick_runs 50 "$py" -m notebase run --experiment meta-cost --quick --device cuda --json
step gpu_scale_quick 60 "$py" -m notebase.experiments.runner --spec experiments/gpu-scale.toml \
    --quick --device cuda --runs-dir "$runs"
step torchrun 40 "$py" -m torch.distributed.run --nproc_per_node=1 --standalone \
    -m notebase.experiments.runner --spec experiments/digits-fewshot.toml --quick \
    --device cuda --runs-dir "$runs"
step tests 45 "$py" -m pytest -q -p no:cacheprovider -p no:warnings \
    tests/experiments/test_meta_gradients.py tests/experiments/test_chunking.py
cp "$runs"/*.json "$out"/ 2>/dev/null
cat "$out/summary.txt"
