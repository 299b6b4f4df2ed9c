"""Where a GPU pays: MAML tasks/s on one CPU thread against a GPU, eager and compiled, as the
meta-batch and the width grow (the `gpu-scale` spec's axes), and peak GPU memory with chunked
task batches.

Every number is `MetaTrainer.step` (sampling + meta-gradient + fused Adam, what a run times),
median of a few meta-iterations after a warm-up. Columns:

- cpu: eager, one torch thread (the spec's ``threads = 1``);
- cuda: eager on the GPU; cuda-graphs: `torch.compile(mode="reduce-overhead")` (CUDA graphs),
  only at the sizes in --compile-points (each compile costs tens of seconds the first time);
- chunk / peak: tasks per chunk (`measure.task_chunk`) and peak GPU memory of one
  meta-gradient, with and without a forced smaller chunk at the largest point.

Targets (issue 16): tiny model (25 tasks, width 40) compiled >= 5x eager GPU; meta-batch >= 512
at width >= 256: GPU >= 30x one CPU thread in tasks/s. On a machine without CUDA the GPU
columns are skipped (the CPU column is still measured, at the small points only). Made to
finish within --budget seconds (default 420): points left when it runs out are listed.

    python bench/gpu_scale_bench.py            # writes $OUT/gpu_scale.txt and .json if OUT is set
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

from notebase.experiments.compiling import compile_now, use_compile_cache
from notebase.experiments.measure import peak_memory, synchronize
from notebase.experiments.params import DEFAULTS
from notebase.experiments.training import MetaTrainer

POINTS = [(25, 40), (128, 128), (512, 256), (1024, 256), (1024, 512), (2048, 512)]
"""(meta_batch, hidden), smallest first."""
CPU_LIMIT = 512 * 256 * 256
"""CPU is measured only up to this meta_batch x hidden^2 without CUDA (seconds a step beyond)."""


def point(meta_batch: int, hidden: int, **extra) -> dict:
    # One batched call per meta-batch (as gpu-scale.toml pins): what a single device does.
    p = dict(DEFAULTS["sinusoid"], meta_batch=meta_batch, hidden=hidden, inner_steps=5,
             threads=0, reduce_groups=1, **extra)
    p["eval_lr"] = p["inner_lr"]
    return p


def step_seconds(trainer: MetaTrainer, iterations: int, device) -> float:
    trainer.step(0)  # warm-up
    seen = []
    for t in range(1, iterations + 1):
        synchronize(device)
        started = time.perf_counter()
        trainer.step(t)
        synchronize(device)
        seen.append(time.perf_counter() - started)
    return statistics.median(seen)


def measure(meta_batch: int, hidden: int, device, iterations: int, compiled: bool = False,
            **extra) -> dict:
    trainer = MetaTrainer("sinusoid", "maml", point(meta_batch, hidden, **extra), device)
    row = {"device": device.type, "meta_batch": meta_batch, "hidden": hidden,
           "task_chunk": trainer.chunk, "compiled": compiled}
    if compiled:
        first = trainer.batch(0)
        part = type(first)(*(t[: trainer.chunk] for t in first.tensors()))
        function, seconds, cache = compile_now(trainer.algorithm, trainer.params, part, device)
        trainer.meta_gradients = trainer.chunked(function)
        row.update(compile_seconds=round(seconds, 1), compile_cache=cache)
    seconds = step_seconds(trainer, iterations, device)
    row.update(seconds_per_iteration=seconds, tasks_per_second=meta_batch / seconds)
    if device.type == "cuda":
        batch = trainer.batch(0)
        _, peak, _ = peak_memory(lambda: trainer.meta_gradients(trainer.params, batch), device)
        row["peak_memory_bytes"] = peak
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--budget", type=float, default=420.0, help="seconds for the whole run")
    parser.add_argument("--compile-points", default="25x40",
                        help="comma-separated BATCHxWIDTH points to also compile on CUDA")
    args = parser.parse_args()
    started = time.perf_counter()
    out = Path(os.environ["OUT"]) if os.environ.get("OUT") else None
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    cuda = torch.cuda.is_available()
    use_compile_cache(Path("experiments"))
    say(f"torch {torch.__version__}; cuda: "
        f"{torch.cuda.get_device_name(0) if cuda else 'not available: GPU columns skipped'}")
    rows: list[dict] = []
    skipped: list[str] = []
    compile_at = {tuple(int(v) for v in p.split("x")) for p in args.compile_points.split(",") if p}
    for meta_batch, hidden in POINTS:
        if time.perf_counter() - started > args.budget:
            skipped.append(f"{meta_batch}x{hidden} (out of --budget {args.budget:.0f} s)")
            continue
        here = {}
        if cuda or meta_batch * hidden * hidden <= CPU_LIMIT:
            torch.set_num_threads(1)
            here["cpu"] = measure(meta_batch, hidden, torch.device("cpu"),
                                  max(2, args.iterations // 2 if meta_batch * hidden > 10**5 else args.iterations))
            torch.set_num_threads(os.cpu_count() or 1)
        if cuda:
            gpu = torch.device("cuda")
            here["cuda"] = measure(meta_batch, hidden, gpu, args.iterations)
            if (meta_batch, hidden) in compile_at:
                try:
                    here["cuda-graphs"] = measure(meta_batch, hidden, gpu, args.iterations * 4,
                                                  compiled=True)
                except Exception as exc:  # report, keep measuring the others
                    say(f"  {meta_batch}x{hidden}: compile failed: {exc!r:.200}")
        if not here:
            skipped.append(f"{meta_batch}x{hidden} (no CUDA; one CPU thread would take minutes)")
            continue
        rows.extend(here.values())
        text = f"meta_batch {meta_batch:>5} width {hidden:>4}:"
        for name, row in here.items():
            text += f"  {name} {row['tasks_per_second']:>10,.0f} tasks/s"
            if "peak_memory_bytes" in row:
                text += f" (chunk {row['task_chunk']}, peak {row['peak_memory_bytes'] / 2**20:,.0f} MiB)"
            if "compile_seconds" in row:
                text += f" [compile {row['compile_seconds']} s, cache {row['compile_cache']}]"
        if "cpu" in here and "cuda" in here:
            text += f"  cuda/cpu {here['cuda']['tasks_per_second'] / here['cpu']['tasks_per_second']:.1f}x"
        if "cuda-graphs" in here:
            text += (f"  cuda-graphs/cuda "
                     f"{here['cuda-graphs']['tasks_per_second'] / here['cuda']['tasks_per_second']:.1f}x")
        say(text)
    if cuda and time.perf_counter() - started < args.budget:
        meta_batch, hidden = POINTS[-1]
        forced = measure(meta_batch, hidden, torch.device("cuda"), 2, task_chunk=128)
        rows.append(forced)
        say(f"chunking at {meta_batch}x{hidden}: task_chunk 128 -> peak "
            f"{forced['peak_memory_bytes'] / 2**20:,.0f} MiB, {forced['tasks_per_second']:,.0f} tasks/s")
    if skipped:
        say(f"not measured: {', '.join(skipped)}")
    say(f"total {time.perf_counter() - started:.0f} s")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "gpu_scale.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        (out / "gpu_scale.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
