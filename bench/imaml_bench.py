"""iMAML's two eager meta-gradients, milliseconds per call: `IMAML.meta_gradients` (batched
plain autograd, every task at once on per-task parameters, the default) against
`functional_meta_gradients` (torch.func: vmap over tasks of grad, jvp HVPs; the form
torch.compile traces), on the same sinusoid batch, with how far apart they are.

The two take turns inside every repeat, so load from other processes hits them alike; one CPU
thread. The relative difference is float32 conjugate gradient's own sensitivity (see
tests/experiments/test_imaml_batched.py), not a disagreement of the formulations.

    .venv/bin/python bench/imaml_bench.py [--iterations 30] [--meta-batch 25] [--hidden 40]
        [--inner-steps 1] [--cg-steps 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing  # noqa: E402  (bench/, beside this script)

from notebase.experiments.algorithms import ALGORITHMS  # noqa: E402
from notebase.experiments.params import DEFAULTS  # noqa: E402
from notebase.experiments.tasks import make_task  # noqa: E402


def main() -> None:
    defaults = DEFAULTS["sinusoid"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--meta-batch", type=int, default=defaults["meta_batch"])
    parser.add_argument("--hidden", type=int, default=defaults["hidden"])
    parser.add_argument("--inner-steps", type=int, default=defaults["inner_steps"])
    parser.add_argument("--cg-steps", type=int, default=defaults["cg_steps"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    point = dict(defaults, meta_batch=args.meta_batch, hidden=args.hidden,
                 inner_steps=args.inner_steps, cg_steps=args.cg_steps)
    task = make_task("sinusoid", point)
    torch.manual_seed(point["seed"])
    model = task.make_model()
    params = {name: p.detach() for name, p in model.named_parameters()}
    batch = task.sample("train", 0, range(point["meta_batch"]))
    algorithm = ALGORITHMS["imaml"](model, task, point)
    ways = {"batched": algorithm.meta_gradients, "functional": algorithm.functional_meta_gradients}

    grads = {name: way(params, batch)[0] for name, way in ways.items()}  # also the warm-up
    want = grads["functional"]
    relative = max(((grads["batched"][n] - want[n]).abs().max() / want[n].abs().max()).item()
                   for n in want)
    ms: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.iterations):
        for name, way in ways.items():
            started = time.perf_counter()
            way(params, batch)
            ms[name].append((time.perf_counter() - started) * 1e3)
    print(f"sinusoid, meta-batch {args.meta_batch}, width {args.hidden}, {args.inner_steps} "
          f"inner step(s), {args.cg_steps} CG steps, 1 thread; relative difference {relative:.1e}")
    for name, values in ms.items():
        print(f"{name:<11}{timing.summary(values)}")


if __name__ == "__main__":
    main()
