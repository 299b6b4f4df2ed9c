"""MAML benchmark: notebase's meta-iteration against the batched plain-autograd reference and a
per-task loop, end to end (task sampling + meta-gradient + Adam step).

- "ours": `MetaTrainer.step` of `notebase.experiments.training`, exactly what a run times:
  counter-based per-task sampling (`tasks.task_bits`), `MAML.meta_gradients` (eager, batched
  autograd), fused Adam (`training.meta_optimizer`).
- "reference": `bench/maml_reference.py`, the anchor: the batched plain-autograd MAML a user
  would write (tasks stacked, `baddbmm`, `autograd.grad(create_graph=True)`, one generator for
  the batch, plain Adam).
- "loop": a Python loop over tasks, `autograd.grad` per task, losses summed, one backward.
- "compiled" (with --compile): ours with `MAML.functional_meta_gradients` under
  `torch.compile`, its first-call (compile) time printed; torch's compile caches apply.

Sinusoid (Finn et al. 2017), MLP 1-40-40-1, meta-batch 25, 10+10 shots, one CPU thread, inner
steps 1/5/10. Equal quality first: the meta-gradients on one batch must agree to 1e-6, and
ours and the reference meta-trained on the same batches must reach the same held-out losses.
Speed: meta-iterations per second, median of --repeats; the methods take turns inside every
repeat, so load from other processes hits them alike: compare ratios measured in one run.

    .venv/bin/python bench/maml_bench.py [--device cpu|cuda] [--compile] [--memory]
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import maml_reference as reference  # noqa: E402

from notebase.experiments.algorithms import ALGORITHMS  # noqa: E402
from notebase.experiments.algorithms.base import compiled_meta_gradients  # noqa: E402
from notebase.experiments.compiling import use_compile_cache  # noqa: E402
from notebase.experiments.measure import peak_memory, synchronize  # noqa: E402
from notebase.experiments.params import DEFAULTS  # noqa: E402
from notebase.experiments.training import MetaTrainer, meta_optimizer  # noqa: E402

META_BATCH = 25
INNER_STEPS = (1, 5, 10)


def point_for(steps: int) -> dict:
    point = dict(DEFAULTS["sinusoid"], inner_steps=steps, meta_batch=META_BATCH)
    point["eval_lr"] = point["inner_lr"]
    return point


# -- the per-task loop, written the way a user would -----------------------------------------


def loop_meta_gradient(weights, batch, steps, lr):
    """Python loop over tasks on the reference's weights, losses summed, one backward."""
    total = 0.0
    for sx, sy, qx, qy in zip(*batch, strict=True):
        fast = list(weights)
        for _ in range(steps):
            loss = ((reference.forward([w.unsqueeze(0) for w in fast], sx[None]) - sy) ** 2).mean()
            grads = torch.autograd.grad(loss, fast, create_graph=True)
            fast = [w - lr * g for w, g in zip(fast, grads, strict=True)]
        total = total + ((reference.forward([w.unsqueeze(0) for w in fast], qx[None]) - qy) ** 2).mean()
    loss = total / len(batch[0])
    return torch.autograd.grad(loss, weights), loss.detach()


class Loop(reference.Reference):
    def step(self, batch=None):
        p = self.point
        if batch is None:
            batch = reference.sample(self.generator, p["meta_batch"], p["shots"], p["query"])
        grads, loss = loop_meta_gradient(self.weights, batch, p["inner_steps"], p["inner_lr"])
        for w, g in zip(self.weights, grads, strict=True):
            w.grad = g
        self.optimizer.step()
        return loss


# -- the methods under one interface -----------------------------------------------------------


class Ours:
    def __init__(self, steps, device, compiled=False, algorithm="maml", functional=False):
        self.trainer = MetaTrainer("sinusoid", algorithm, point_for(steps), device)
        if compiled:
            self.trainer.meta_gradients = compiled_meta_gradients(self.trainer.algorithm)
        elif functional:  # the torch.func formulation, eagerly (the eager path before batching)
            self.trainer.meta_gradients = self.trainer.algorithm.functional_meta_gradients
        self.iteration = 0

    def step(self):
        self.iteration += 1
        return self.trainer.step(self.iteration)

    def gradients(self, batch):
        return self.trainer.meta_gradients(self.trainer.params, batch)[0]


class Anchor:
    def __init__(self, steps, device, kind=reference.Reference, algorithm="maml"):
        trainer = MetaTrainer("sinusoid", algorithm, point_for(steps), device)  # same init
        self.method = kind(trainer.model, trainer.point, algorithm=algorithm)
        self.meta_gradient = (loop_meta_gradient if kind is Loop else
                              functools.partial(reference.meta_gradient, algorithm=algorithm))
        self.point = trainer.point

    def step(self):
        return self.method.step()

    def gradients(self, batch):
        grads, _ = self.meta_gradient(self.method.weights, batch.tensors(), self.point["inner_steps"],
                                      self.point["inner_lr"])
        return reference.to_model_layout(grads)


METHODS = {"ours": Ours, "reference": Anchor,
           "loop": functools.partial(Anchor, kind=Loop),
           "compiled": functools.partial(Ours, compiled=True)}


def max_difference(a, b):
    return max((a[n] - b[n]).abs().max().item() for n in a)


def gradient_check(steps, device, names=("reference", "loop")):
    """Max abs difference of each method's meta-gradient to ours, on ours' first batch."""
    ours = METHODS["ours"](steps, device)
    batch = ours.trainer.batch(0)
    want = ours.gradients(batch)
    return {name: max_difference(METHODS[name](steps, device).gradients(batch), want)
            for name in names}


def held_out_losses(steps, device, iterations):
    """Ours and the reference meta-trained on the same batches (ours' sampling), evaluated
    alike on the same 100 held-out tasks: (pre, post) losses of each. In float64: Adam divides
    each gradient entry by its own magnitude, so in float32 an entry that is ~1e-8 (a unit
    nearly dead for every task) can step +lr in one and -lr in the other from rounding alone,
    and the runs drift apart; float64 shows whether the algorithms are the same."""
    ours, anchor = Ours(steps, device), Anchor(steps, device)
    trainer = ours.trainer
    trainer.model.double()
    trainer.params = {n: p.detach() for n, p in trainer.model.named_parameters()}
    trainer.named_parameters = list(trainer.model.named_parameters())
    trainer.optimizer = meta_optimizer(trainer.model.parameters(), trainer.point["meta_lr"])
    anchor.method.weights = [torch.nn.Parameter(w.detach().double()) for w in anchor.method.weights]
    anchor.method.optimizer = torch.optim.Adam(anchor.method.weights, lr=trainer.point["meta_lr"])

    def double(batch):
        return type(batch)(*(t.double() for t in batch.tensors()))

    for t in range(iterations):
        batch = double(trainer.batch(t))
        trainer.apply(trainer.meta_gradients(trainer.params, batch)[0])
        anchor.method.step(batch.tensors())
    held_out = double(trainer.batch(0, "eval", range(100)))
    scores = {}
    for name, params in (("ours", trainer.params),
                         ("reference", reference.to_model_layout(anchor.method.weights))):
        s = trainer.algorithm.evaluate({n: p.detach() for n, p in params.items()}, held_out,
                                       trainer.point["eval_steps"], trainer.point["eval_lr"])
        scores[name] = (s["pre_adaptation_loss"], s["post_adaptation_loss"])
    return scores


def rates(names, steps, device, iterations, repeats):
    """Meta-iterations/s of each method (median of `repeats`, interleaved) and first-call s."""
    methods, first_call = {}, {}
    for name in names:
        started = time.perf_counter()
        method = METHODS[name](steps, device)
        method.step()  # warm-up (compilation for `compiled`)
        synchronize(device)
        first_call[name] = time.perf_counter() - started
        methods[name] = method
    seen = {name: [] for name in names}
    for _ in range(repeats):
        for name, method in methods.items():
            synchronize(device)
            start = time.perf_counter()
            for _ in range(iterations):
                method.step()
            synchronize(device)
            seen[name].append(iterations / (time.perf_counter() - start))
    return {name: statistics.median(r) for name, r in seen.items()}, first_call


def others_section(device, args):
    """FOMAML, Reptile and ANIL against their batched references (`maml_reference`), and
    against their torch.func formulations (the eager path before batching)."""
    global METHODS
    saved = METHODS
    print("\n== other algorithms, end to end: meta-iterations/s (same protocol); "
          "gradient check to ours ==")
    try:
        for algorithm in ("fomaml", "reptile", "anil"):
            METHODS = {"ours": functools.partial(Ours, algorithm=algorithm),
                       "functional": functools.partial(Ours, algorithm=algorithm, functional=True)}
            METHODS["reference"] = functools.partial(Anchor, algorithm=algorithm)
            for steps in INNER_STEPS:
                others = [n for n in METHODS if n != "ours"]
                diffs = gradient_check(steps, device, others)
                seen, _ = rates(list(METHODS), steps, device, args.timing_iterations, args.repeats)
                base = "reference"
                print(f"{algorithm:<8} inner_steps={steps:<3}"
                      + "".join(f"  {n} {r:7.1f}" for n, r in seen.items())
                      + f"   ours/{base} {seen['ours'] / seen[base]:.2f}x  max |grad diff| "
                      + " ".join(f"{n} {d:.1e}" for n, d in diffs.items()))
    finally:
        METHODS = saved


def memory_section(device):
    print("\n== memory of one meta-gradient vs inner steps (peak bytes above start) ==")
    for algorithm_name in ALGORITHMS:
        sizes, kind = [], ""
        for steps in INNER_STEPS:
            trainer = MetaTrainer("sinusoid", algorithm_name, point_for(steps), device)
            batch = trainer.batch(0)
            trainer.meta_gradients(trainer.params, batch)
            _, size, kind = peak_memory(
                functools.partial(trainer.meta_gradients, trainer.params, batch), device
            )
            sizes.append(size)
        print(f"{algorithm_name:<8} " + "  ".join(f"{s / 1e6:7.2f} MB" for s in sizes)
              + f"   x{sizes[-1] / sizes[0]:.1f} from 1 to 10 steps  ({kind})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--train-iterations", type=int, default=100)
    parser.add_argument("--timing-iterations", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--compile", action="store_true", help="add the torch.compile row")
    parser.add_argument("--memory", action="store_true", help="add every algorithm's memory")
    parser.add_argument("--skip-others", action="store_true",
                        help="leave out FOMAML, Reptile and ANIL")
    args = parser.parse_args()
    torch.set_num_threads(1)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing to measure on cuda (skipped)")
        return
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, "
          f"meta-batch {META_BATCH}, sinusoid 1-40-40-1, 10+10 shots")

    print("\n== equal meta-gradients (max abs difference to ours, one batch) ==")
    for steps in INNER_STEPS:
        diffs = gradient_check(steps, device)
        print(f"inner_steps={steps:<3}" + "".join(
            f"  {name}: {d:.1e} ({'ok' if d <= 1e-6 else 'OVER 1e-6'})" for name, d in diffs.items()))

    if not args.skip_quality:
        print(f"\n== equal held-out MSE after {args.train_iterations} meta-iterations on the same "
              "batches, float64 (100 tasks, pre -> post 10 test steps) ==")
        for steps in INNER_STEPS:
            scores = held_out_losses(steps, device, args.train_iterations)
            gap = max(abs(a - b) for a, b in zip(scores["ours"], scores["reference"], strict=True))
            print(f"inner_steps={steps:<3}" + "".join(
                f"  {name}: {pre:.5f} -> {post:.5f}" for name, (pre, post) in scores.items())
                + f"  |difference| {gap:.1e}")

    if args.compile:  # the runs' compile cache (experiments/.cache/torch): warm after a run
        use_compile_cache(Path(__file__).resolve().parents[1] / "experiments")
    names = ["ours", "reference", "loop"] + (["compiled"] if args.compile else [])
    print(f"\n== speed, end to end (sampling + meta-gradient + Adam): meta-iterations/s, median "
          f"of {args.repeats} x {args.timing_iterations}, interleaved ==")
    for steps in INNER_STEPS:
        seen, first_call = rates(names, steps, device, args.timing_iterations, args.repeats)
        ratios = f"ours/reference {seen['ours'] / seen['reference']:.2f}x  " \
                 f"ours/loop {seen['ours'] / seen['loop']:.1f}x"
        if "compiled" in seen:
            ratios += f"  compiled/reference {seen['compiled'] / seen['reference']:.2f}x" \
                      f" (first call {first_call['compiled']:.1f} s)"
        print(f"inner_steps={steps:<3}" + "".join(f"  {n} {r:7.1f}" for n, r in seen.items())
              + f"   {ratios}")
        ms = "  ".join(f"{n} {1000 / r:.2f} ms" for n, r in seen.items() if math.isfinite(r))
        print(f"    per meta-iteration: {ms}")

    if not args.skip_others:
        others_section(device, args)
    if args.memory:
        memory_section(device)


if __name__ == "__main__":
    main()
