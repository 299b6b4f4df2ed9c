#!/usr/bin/env bash
# Distributed meta-training on one machine with G GPUs: torchrun --nproc_per_node=G (NCCL, one
# GPU per rank), through `notebase run --nproc G`'s own path (bench/distributed_bench.py): tasks/s,
# time in the gather per meta-iteration and its share, 1 GPU against G, at a small and a larger
# meta-batch and width (second-order MAML, 5 inner steps). Finishes within ~6 minutes; writes
# its output under $OUT (default: bench/results/). With one GPU it measures the 1-GPU baseline
# only and says so (NCCL needs a GPU per rank).
#
#     bash bench/gpu_torchrun.sh
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-bench/results}"
mkdir -p "$OUT"
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=python3
STAMP="$(date -u +%Y-%m-%dT%H%M%SZ)"
LOG="$OUT/gpu-torchrun-$STAMP.txt"
GPUS="$("$PY" -c 'import torch; print(torch.cuda.device_count())' 2>/dev/null || echo 0)"
{
  echo "# bench/gpu_torchrun.sh $STAMP"
  nvidia-smi --query-gpu=index,name,memory.total --format=csv 2>&1 || true
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "nccl", torch.cuda.nccl.version() if torch.cuda.is_available() else None)'
  git log -1 --format='commit %H' 2>/dev/null || true
  echo "GPUs: $GPUS"
} > "$LOG" 2>&1
if [ "$GPUS" -lt 1 ]; then
  echo "no CUDA device: nothing measured" | tee -a "$LOG"
  exit 1
fi
if [ "$GPUS" -lt 2 ]; then
  echo "one GPU: NCCL needs one GPU per rank, so only the 1-process baseline is measured" | tee -a "$LOG"
  NPROC=1
else
  NPROC="$GPUS"
fi
# Points: launch-bound (8x40), mid (64x256), large (1024x512); 3 launches each, medians.
timeout 330 "$PY" bench/distributed_bench.py --device cuda --nproc "$NPROC" --rounds 3 \
  --iterations 30 --points 8x40 64x256 1024x512 --out "$OUT/gpu-torchrun-$STAMP.table.txt" \
  >> "$LOG" 2>&1
echo "exit $?" >> "$LOG"
cat "$LOG"
