"""What fixed reduction groups cost one process: milliseconds per meta-iteration (task
sampling, meta-gradient, Adam step) of every algorithm at ``reduce_groups`` 1 (one batched
call, the default) and more (each group its own batched call, added in task order; see
`notebase.experiments.distributed`). More groups let more processes share a meta-batch with
results identical to one process; on one process they only cost.

Sinusoid defaults (meta-batch 25, MLP 1-40-40-1, 1 inner step), one CPU thread; median of
--iterations after 5 warm-up iterations; the group counts take turns so load hits them alike.

    .venv/bin/python bench/reduce_groups_bench.py [--groups 1 5 25] [--iterations 100]
        [--meta-batch 25] [--hidden 40] [--inner-steps 1] [--algorithms maml ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from notebase.experiments.params import DEFAULTS
from notebase.experiments.training import MetaTrainer

ALGORITHMS = ("maml", "fomaml", "reptile", "imaml", "anil")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[1, 5, 25])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--meta-batch", type=int, default=DEFAULTS["sinusoid"]["meta_batch"])
    parser.add_argument("--hidden", type=int, default=DEFAULTS["sinusoid"]["hidden"])
    parser.add_argument("--inner-steps", type=int, default=DEFAULTS["sinusoid"]["inner_steps"])
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"sinusoid, meta-batch {args.meta_batch}, width {args.hidden}, "
          f"{args.inner_steps} inner step(s), 1 thread; median ms per meta-iteration")
    for algorithm in args.algorithms:
        point = dict(DEFAULTS["sinusoid"], meta_batch=args.meta_batch, hidden=args.hidden,
                     inner_steps=args.inner_steps)
        trainers = {
            groups: MetaTrainer("sinusoid", algorithm, dict(point, reduce_groups=groups),
                                torch.device("cpu"))
            for groups in args.groups
        }
        seconds: dict[int, list[float]] = {groups: [] for groups in args.groups}
        for iteration in range(5 + args.iterations):
            for groups, trainer in trainers.items():
                started = time.perf_counter()
                trainer.step(iteration)
                if iteration >= 5:
                    seconds[groups].append(time.perf_counter() - started)
        cells = "  ".join(f"{groups:>3} groups {statistics.median(s) * 1e3:8.3f} ms"
                          for groups, s in seconds.items())
        print(f"{algorithm:<8}{cells}", flush=True)


if __name__ == "__main__":
    main()
