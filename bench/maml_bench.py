"""MAML benchmark: notebase's MAML against a plain loop and against `higher`.

"ours" is `MAML.meta_gradients` (eager: task losses under `vmap`, per-task parameters, nested
`torch.autograd.grad`); "compiled" is `MAML.functional_meta_gradients` (all `torch.func`) under
`torch.compile`.

Sinusoid (Finn et al. 2017), meta-batch 25, one CPU thread, inner steps 1/5/10, same seed and
same batches for everyone. Equal quality first: the meta-gradients at initialisation must
agree to 1e-6 and the held-out losses after a short meta-training must match; then speed
(meta-iterations per second, median of 3 repeats) and memory (peak bytes above the start of one
meta-gradient, torch profiler on CPU / max allocated on CUDA, see notebase.experiments.measure).

Also: memory against inner steps for every algorithm, and what summing all task losses before
one backward costs against a backward per task.

    .venv/bin/python bench/maml_bench.py [--device cpu|cuda] [--train-iterations 100]

`higher` (pip install higher==0.2.1) is optional: the bench skips it when not installed.
The CPU may be shared with other work: compare ratios measured in the same process.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

import torch
from torch.nn import functional as F

from notebase.experiments.algorithms import ALGORITHMS
from notebase.experiments.algorithms.base import compiled_meta_gradients
from notebase.experiments.measure import peak_memory, synchronize
from notebase.experiments.spec import DEFAULTS
from notebase.experiments.tasks import make_task

META_BATCH = 25
INNER_STEPS = (1, 5, 10)
REPEATS = 3


# -- the plain reference, written the way a user would ---------------------------------------


def forward(params: dict, x: torch.Tensor) -> torch.Tensor:
    hidden = F.relu(F.linear(x, params["body.0.weight"], params["body.0.bias"]))
    hidden = F.relu(F.linear(hidden, params["body.2.weight"], params["body.2.bias"]))
    return F.linear(hidden, params["head.weight"], params["head.bias"])


def mse(pred, target):
    return ((pred - target) ** 2).mean()


def plain_task_query_loss(model, sx, sy, qx, qy, steps, lr):
    fast = dict(model.named_parameters())
    for _ in range(steps):
        loss = mse(forward(fast, sx), sy)
        grads = torch.autograd.grad(loss, list(fast.values()), create_graph=True)
        fast = {name: p - lr * g for (name, p), g in zip(fast.items(), grads, strict=True)}
    return mse(forward(fast, qx), qy)


def plain_summed(model, batch, steps, lr):
    """Python loop over tasks, task losses summed, one backward (fills .grad)."""
    total = 0.0
    for sx, sy, qx, qy in zip(*batch.tensors(), strict=True):
        total = total + plain_task_query_loss(model, sx, sy, qx, qy, steps, lr)
    (total / batch.size).backward()


def plain_per_task(model, batch, steps, lr):
    """Same loop, but a backward per task: only one task's graph is alive at a time."""
    for sx, sy, qx, qy in zip(*batch.tensors(), strict=True):
        (plain_task_query_loss(model, sx, sy, qx, qy, steps, lr) / batch.size).backward()


def higher_step(model, batch, steps, lr):
    """`higher`'s documented pattern: innerloop_ctx per task, backward per task."""
    import higher

    inner_optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for sx, sy, qx, qy in zip(*batch.tensors(), strict=True):
        with higher.innerloop_ctx(model, inner_optimizer, copy_initial_weights=False) as (
            fmodel,
            diffopt,
        ):
            for _ in range(steps):
                diffopt.step(mse(fmodel(sx), sy))
            (mse(fmodel(qx), qy) / batch.size).backward()


# -- methods under one interface: fill model .grad from a batch -------------------------------


def make_setup(steps: int, device, seed: int = 0):
    point = dict(DEFAULTS["sinusoid"], inner_steps=steps, meta_batch=META_BATCH, seed=seed)
    point["eval_lr"] = point["inner_lr"]
    task = make_task("sinusoid", point)
    torch.manual_seed(seed)
    model = task.make_model().to(device)
    return point, task, model


def ours_step(algorithm, model, params, compiled=False):
    meta_gradients = compiled_meta_gradients(algorithm) if compiled else algorithm.meta_gradients

    def step(batch):
        grads, _ = meta_gradients(params, batch)
        for name, parameter in model.named_parameters():
            parameter.grad = grads[name]

    return step


def method_steps(name, steps, device):
    """(point, task, model, params, algorithm, fill_grads(batch)) for a fresh model."""
    point, task, model = make_setup(steps, device)
    params = {n: p.detach() for n, p in model.named_parameters()}
    algorithm = ALGORITHMS["maml"](model, task, point)
    lr = point["inner_lr"]
    fill = {
        "ours": ours_step(algorithm, model, params),
        "compiled": ours_step(algorithm, model, params, compiled=True),
        "plain": lambda batch: plain_summed(model, batch, steps, lr),
        "higher": lambda batch: higher_step(model, batch, steps, lr),
    }[name]
    return point, task, model, params, algorithm, fill


def grads_of(fill, model, batch):
    for p in model.parameters():
        p.grad = None
    fill(batch)
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def meta_train(name, steps, device, iterations):
    """Adam meta-training on the same batches; returns held-out losses (same evaluation)."""
    point, task, model, params, algorithm, fill = method_steps(name, steps, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=point["meta_lr"])
    for t in range(iterations):
        optimizer.zero_grad(set_to_none=True)
        fill(task.sample("train", t, range(META_BATCH)).to(device))
        optimizer.step()
    held_out = task.sample("eval", 0, range(100)).to(device)
    return algorithm.evaluate(params, held_out, point["eval_steps"], point["eval_lr"])


def iterations_per_second(methods, steps, device, iterations_per_repeat):
    """Meta-iterations/s of each method, median of REPEATS; the methods take turns inside
    every repeat so that load from other processes hits them alike. Also returns each
    method's first-call seconds (compilation for `compiled`) and its meta-gradient on the
    first batch (same initialisation for all)."""
    runs, first_call, first_grads = {}, {}, {}
    for name in methods:
        point, task, model, params, algorithm, fill = method_steps(name, steps, device)
        optimizer = torch.optim.Adam(model.parameters(), lr=point["meta_lr"])
        batches = [task.sample("train", t, range(META_BATCH)).to(device)
                   for t in range(iterations_per_repeat)]
        started = time.perf_counter()
        first_grads[name] = grads_of(fill, model, batches[0])  # warm-up (and compilation)
        first_call[name] = time.perf_counter() - started
        runs[name] = (fill, optimizer, batches)
    rates = {name: [] for name in methods}
    for _ in range(REPEATS):
        for name, (fill, optimizer, batches) in runs.items():
            synchronize(device)
            start = time.perf_counter()
            for batch in batches:
                optimizer.zero_grad(set_to_none=True)
                fill(batch)
                optimizer.step()
            synchronize(device)
            rates[name].append(len(batches) / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in rates.items()}, first_call, first_grads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--train-iterations", type=int, default=100)
    parser.add_argument("--timing-iterations", type=int, default=10)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile row")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device(args.device)
    try:
        import higher  # noqa: F401

        methods = ["ours", "plain", "higher"]
    except ImportError:
        print("higher is not installed: comparing against the plain loop only")
        methods = ["ours", "plain"]
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"meta-batch {META_BATCH}, sinusoid")

    print("\n== equal quality: meta-gradient at initialisation (max abs difference to ours) ==")
    for steps in INNER_STEPS:
        reference = None
        line = f"inner_steps={steps:<3}"
        for name in methods:
            point, task, model, params, algorithm, fill = method_steps(name, steps, device)
            grads = grads_of(fill, model, task.sample("train", 0, range(META_BATCH)).to(device))
            if reference is None:
                reference = grads
                continue
            diff = max((grads[n] - reference[n]).abs().max().item() for n in grads)
            line += f"  {name}: {diff:.2e} ({'ok' if diff <= 1e-6 else 'OVER 1e-6'})"
        print(line)

    if not args.skip_quality:
        print(f"\n== equal quality: held-out MSE after {args.train_iterations} meta-iterations "
              "(100 tasks, 10 test steps) ==")
        for steps in INNER_STEPS:
            line = f"inner_steps={steps:<3}"
            for name in methods:
                scores = meta_train(name, steps, device, args.train_iterations)
                line += (f"  {name}: {scores['pre_adaptation_loss']:.5f} -> "
                         f"{scores['post_adaptation_loss']:.5f}")
            print(line)

    timed = methods + ([] if args.no_compile else ["compiled"])
    print(f"\n== speed: meta-iterations/s (median of {REPEATS} x {args.timing_iterations}) ==")
    print("ours = eager (vmap + autograd); compiled = the torch.func formulation under "
          "torch.compile (inductor)")
    for steps in INNER_STEPS:
        rates, first_call, first_grads = iterations_per_second(
            timed, steps, device, args.timing_iterations
        )
        ratios = "  ".join(
            f"{a}/{b} {rates[a] / rates[b]:.1f}x"
            for a in ("ours", "compiled") if a in rates
            for b in methods[1:]
        )
        print(f"inner_steps={steps:<3} " + "  ".join(f"{n} {r:7.1f}" for n, r in rates.items())
              + f"   {ratios}")
        if "compiled" in rates:
            diff = max((first_grads["compiled"][n] - first_grads["ours"][n]).abs().max().item()
                       for n in first_grads["ours"])
            print(f"    compiled: first call (compilation) {first_call['compiled']:.1f} s, "
                  f"meta-gradient max abs difference to eager {diff:.1e}")

    print("\n== memory of one meta-gradient vs inner steps (peak bytes above start) ==")
    base_point = dict(DEFAULTS["sinusoid"], meta_batch=META_BATCH)
    for algorithm_name in ALGORITHMS:
        sizes = []
        for steps in INNER_STEPS:
            point, task, model = make_setup(steps, device)
            point = dict(base_point, inner_steps=steps)
            params = {n: p.detach() for n, p in model.named_parameters()}
            algorithm = ALGORITHMS[algorithm_name](model, task, point)
            batch = task.sample("train", 0, range(META_BATCH)).to(device)
            algorithm.meta_gradients(params, batch)
            _, size, kind = peak_memory(
                functools.partial(algorithm.meta_gradients, params, batch), device
            )
            sizes.append(size)
        print(f"{algorithm_name:<8} " + "  ".join(f"{s / 1e6:7.2f} MB" for s in sizes)
              + f"   x{sizes[-1] / sizes[0]:.1f} from 1 to 10 steps  ({kind})")

    print("\n== plain loop: losses summed + one backward vs a backward per task (MAML) ==")
    for steps in INNER_STEPS:
        point, task, model = make_setup(steps, device)
        batch = task.sample("train", 0, range(META_BATCH)).to(device)
        lr = point["inner_lr"]
        plain_summed(model, batch, steps, lr)
        _, summed, kind = peak_memory(
            functools.partial(plain_summed, model, batch, steps, lr), device
        )
        _, per_task, _ = peak_memory(
            functools.partial(plain_per_task, model, batch, steps, lr), device
        )
        print(f"inner_steps={steps:<3} summed {summed / 1e6:7.2f} MB  per-task "
              f"{per_task / 1e6:6.2f} MB  ratio x{summed / per_task:.1f}  ({kind})")


if __name__ == "__main__":
    main()
