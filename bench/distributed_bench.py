"""Does splitting a meta-batch across processes pay? Tasks/s and time in the gather per
meta-iteration, 1 process against N (default 2), at a small and a larger meta-batch and width.

Every number comes from a real run of the runner under torch's launcher (`notebase run
--nproc N`'s path: gloo on CPU, NCCL with one GPU per rank on CUDA): one spec sweeps
``processes = [1, N]`` over the points, so the 1-process baseline runs in the same launch,
right before the N-process run of the same point (rank 1.. wait without using the CPU). Each
row's time is the median of its meta-iterations (the slowest rank's); the table shows the
median over --rounds launches. Second-order MAML, sinusoid, 5 inner steps, one thread a rank,
4 fixed reduce groups (both world sizes compute the same groups: identical losses).

    .venv/bin/python bench/distributed_bench.py [--nproc 2] [--device cpu|cuda] [--rounds 3]
        [--iterations 30] [--points 8x40 64x256] [--out FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from notebase.experiments.launch import Launch
from notebase.experiments.records import load_record
from notebase.experiments.run_process import run_spec

SPEC = """\
name = "distributed-bench"
title = "1 vs {nproc} processes"
task = "sinusoid"
algorithms = ["maml"]
[params]
processes = {procs}
meta_batch = {batches}
hidden = {widths}
inner_steps = 5
reduce_groups = {groups}
meta_iterations = {iterations}
warmup = 3
eval_tasks = 5
eval_steps = 1
threads = 1
compile = false
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--points", nargs="+", default=["8x40", "64x256"],
                        help="META_BATCHxWIDTH points (each meta-batch with each width)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    pairs = [tuple(int(v) for v in text.split("x")) for text in args.points]
    batches = sorted({b for b, _ in pairs})
    widths = sorted({w for _, w in pairs})
    groups = max(4, args.nproc)
    rows: dict[tuple, list[dict]] = {}
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "experiments" / "distributed-bench.toml"
        spec.parent.mkdir()
        procs = [1] if args.nproc == 1 else [1, args.nproc]
        spec.write_text(SPEC.format(nproc=args.nproc, procs=procs, batches=batches, widths=widths,
                                    groups=groups, iterations=args.iterations), encoding="utf-8")
        for round_ in range(args.rounds):
            started = time.monotonic()
            end = run_spec(spec, device=args.device, runs_dir=Path(folder) / "runs",
                           stderr=None, launch=Launch(nproc=args.nproc))
            if end.status != "ok":
                print(f"round {round_ + 1}: {end.status}: {end.error}", file=sys.stderr)
                return 1
            record = load_record(end.record_path)
            print(f"round {round_ + 1}/{args.rounds}: {time.monotonic() - started:.0f} s "
                  f"({record['device_name']})", file=sys.stderr, flush=True)
            for row in record["results"]:
                key = (row["meta_batch"], row["hidden"], row["world_size"])
                rows.setdefault(key, []).append(row)

    def median(key, field):
        values = [r[field] for r in rows[key] if r.get(field) is not None]
        return statistics.median(values) if values else float("nan")

    lines = [
        f"maml, 5 inner steps, sinusoid; device {args.device}; medians of {args.rounds} "
        f"launches x {args.iterations} meta-iterations; baseline = 1 process, same launch",
        f"{'meta-batch':>10} {'width':>6} {'1 proc tasks/s':>15} {f'{args.nproc} proc tasks/s':>15} "
        f"{'speed-up':>9} {'comm ms/iter':>13} {'comm share':>11} {'loss equal':>10}",
    ]
    for batch in batches:
        for width in widths:
            one, many = (batch, width, 1), (batch, width, args.nproc)
            if one not in rows:
                continue
            if many == one:  # one process only (one GPU): the baseline alone
                lines.append(f"{batch:>10} {width:>6} {median(one, 'tasks_per_second'):>15,.0f}")
                continue
            speedup = median(many, "tasks_per_second") / median(one, "tasks_per_second")
            equal = all(a["post_adaptation_loss"] == b["post_adaptation_loss"]
                        for a, b in zip(rows[one], rows[many], strict=True))
            lines.append(
                f"{batch:>10} {width:>6} {median(one, 'tasks_per_second'):>15,.0f} "
                f"{median(many, 'tasks_per_second'):>15,.0f} {speedup:>8.2f}x "
                f"{median(many, 'communication_seconds_per_iteration') * 1e3:>13.2f} "
                f"{median(many, 'communication_share'):>11.0%} {str(equal):>10}"
            )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
