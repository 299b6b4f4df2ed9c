"""One (algorithm, sweep point) being meta-trained: the model, Adam, this rank's tasks and one
meta-iteration (`MetaTrainer.step`: sample the tasks, meta-gradient, optimizer step).

The runner times `step`; `bench/maml_bench.py` times the same `step` against its references, so
what the bench measures is what a run pays.
"""

from __future__ import annotations

from typing import Any

import torch

from notebase.experiments.algorithms import ALGORITHMS
from notebase.experiments.distributed import Ranks
from notebase.experiments.measure import task_chunk
from notebase.experiments.tasks import TaskBatch, make_task


def meta_optimizer(parameters, lr: float) -> torch.optim.Optimizer:
    """Adam, fused into one kernel per parameter where torch has that (CPU since torch 2.4,
    CUDA). Measured on the sinusoid MLP, one CPU thread: 31-34 us a step fused against
    100-105 us for the default single-tensor Adam and 80-83 us foreach, ~7% of a
    meta-iteration at 1 inner step. Equal to plain Adam up to float rounding."""
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, lr=lr, fused=True)
    except (RuntimeError, ValueError, TypeError):  # a device or dtype without the fused kernel
        return torch.optim.Adam(parameters, lr=lr)


def chunked(meta_gradients, chunk: int):
    """`meta_gradients(params, batch)` computed `chunk` tasks at a time: every algorithm's
    meta-gradient and loss are means over tasks, so the chunks' means weighted by their share
    of the batch are the batch's (up to float rounding); only one chunk's graph is alive at a
    time."""

    def run(params, batch: TaskBatch):
        total = batch.size
        grads, loss = None, None
        for start in range(0, total, chunk):
            part = TaskBatch(*(t[start : start + chunk] for t in batch.tensors()))
            part_grads, part_loss = meta_gradients(params, part)
            weight = part.size / total
            if grads is None:
                grads = {n: g * weight for n, g in part_grads.items()}
                loss = part_loss * weight
            else:
                for name, g in part_grads.items():
                    grads[name].add_(g, alpha=weight)
                loss = loss + part_loss * weight
        return grads, loss

    return run


class MetaTrainer:
    """Model (seeded by ``point["seed"]``), its parameters as a dict of detached views (Adam
    updates them in place), the algorithm, Adam and this rank's share of every meta-batch.

    `meta_gradients` is the algorithm's eager one until a caller swaps in a compiled one.
    """

    def __init__(
        self, task_name: str, algorithm_name: str, point: dict[str, Any], device,
        ranks: Ranks | None = None,
    ):
        if point.get("threads"):
            torch.set_num_threads(point["threads"])
        self.point = point
        self.device = device
        self.task = make_task(task_name, point)
        torch.manual_seed(point["seed"])
        self.model = self.task.make_model().to(device)
        self.named_parameters = list(self.model.named_parameters())
        # Detached views share storage with the model's parameters, which Adam updates in place.
        self.params = {name: p.detach() for name, p in self.named_parameters}
        self.algorithm = ALGORITHMS[algorithm_name](self.model, self.task, point)
        self.optimizer = meta_optimizer(self.model.parameters(), point["meta_lr"])
        self.ranks = ranks or Ranks()
        self.meta_batch: int = point["meta_batch"]
        self.my_tasks = self.ranks.shard(self.meta_batch)
        self.chunk = task_chunk(task_name, algorithm_name, point, len(self.my_tasks))
        """Tasks per chunk of this rank's share (its size when not chunked)."""
        self.meta_gradients = self.chunked(self.algorithm.meta_gradients)

    def chunked(self, meta_gradients):
        """`meta_gradients` over chunks of `chunk` tasks, combined (`chunked`)."""
        return chunked(meta_gradients, self.chunk) if self.chunk < len(self.my_tasks) else meta_gradients

    def batch(self, iteration: int, split: str = "train", tasks=None) -> TaskBatch:
        """This rank's tasks of meta-iteration `iteration` (or `tasks`), on the device."""
        batch = self.task.sample(split, iteration, self.my_tasks if tasks is None else tasks)
        return batch if self.device.type == "cpu" else batch.to(self.device)

    def step(self, iteration: int) -> torch.Tensor:
        """One meta-iteration; returns the mean query loss of the meta-batch (a tensor)."""
        grads, loss = self.meta_gradients(self.params, self.batch(iteration))
        grads, loss = self.ranks.combine(grads, loss, len(self.my_tasks), self.meta_batch)
        self.apply(grads)
        return loss

    def apply(self, grads: dict[str, torch.Tensor]) -> None:
        """Adam step with these gradients. They are made contiguous first: torch's fused CPU
        Adam reads a gradient's storage in memory order, ignoring its strides (torch 2.13:
        the transposed gradient of ``body.2.weight`` was applied to the wrong elements)."""
        for name, parameter in self.named_parameters:
            parameter.grad = grads[name].contiguous()
        self.optimizer.step()

    def evaluate(self) -> dict[str, float]:
        """Pre/post-adaptation scores on the held-out tasks (all of them, on every rank)."""
        point = self.point
        held_out = self.batch(0, "eval", range(point["eval_tasks"]))
        return self.algorithm.evaluate(self.params, held_out, point["eval_steps"], point["eval_lr"])
