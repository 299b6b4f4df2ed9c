"""One (algorithm, sweep point) being meta-trained: the model, Adam, this rank's tasks and one
meta-iteration (`MetaTrainer.step`: sample the tasks, meta-gradient, optimizer step).

The runner times `step`; `bench/maml_bench.py` times the same `step` against its references, so
what the bench measures is what a run pays.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from notebase.experiments.algorithms import ALGORITHMS
from notebase.experiments.distributed import Ranks, default_groups, ordered_sum
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


def reduction_unit(task: str, algorithm: str, point: dict[str, Any]) -> int:
    """Tasks per group of a meta-batch (see `notebase.experiments.distributed`): the batch cut
    into ``reduce_groups`` groups (`distributed.default_groups` when 0), smaller when one
    group's estimated memory needs it (`measure.task_chunk` of the whole batch). A function of
    the spec alone, so every world size computes and adds the same groups."""
    meta_batch = point["meta_batch"]
    groups = max(1, min(meta_batch, point.get("reduce_groups") or default_groups(meta_batch)))
    return max(1, min(math.ceil(meta_batch / groups), task_chunk(task, algorithm, point, meta_batch)))


class Chunked:
    """`meta_gradients(params, batch)` computed `chunk` tasks at a time: every algorithm's
    meta-gradient and loss are means over tasks, so each chunk's mean weighted by its share of
    the meta-batch (``total`` tasks; the batch's own size by default), flattened with its loss
    (`flats`) and added in task order (`distributed.ordered_sum`) is the batch's, up to float
    rounding; only one chunk's graph is alive at a time. Calling it gives ``(grads, loss)``."""

    def __init__(self, meta_gradients, chunk: int, total: int | None = None):
        self.meta_gradients, self.chunk, self.total = meta_gradients, chunk, total

    def flats(self, params, batch: TaskBatch) -> tuple[list[str], list[torch.Tensor]]:
        """The parameter names and one weighted vector (gradients, then loss) per chunk."""
        total = self.total or batch.size
        names, flats = list(params), []
        for start in range(0, batch.size, self.chunk):
            part = TaskBatch(*(t[start : start + self.chunk] for t in batch.tensors()))
            grads, loss = self.meta_gradients(params, part)
            flat = torch.cat([grads[n].reshape(-1) for n in names] + [loss.reshape(1)])
            flats.append(flat * (part.size / total))
        return names, flats

    def __call__(self, params, batch: TaskBatch):
        if batch.size <= self.chunk and (self.total or batch.size) == batch.size:
            # One chunk, the whole batch: its weight is 1 and nothing is added, so the
            # flattening would give back the same numbers (tens of us of a ~0.6 ms iteration).
            return self.meta_gradients(params, batch)
        names, flats = self.flats(params, batch)
        return unflatten(params, names, ordered_sum(flats))


def chunked(meta_gradients, chunk: int) -> Chunked:
    """`Chunked` over a whole batch (its own size is the total)."""
    return Chunked(meta_gradients, chunk)


def unflatten(params, names: list[str], flat: torch.Tensor):
    """``(grads, loss)`` from a vector of the gradients in `names` order, then the loss."""
    grads, offset = {}, 0
    for name in names:
        size = params[name].numel()
        grads[name] = flat[offset : offset + size].view_as(params[name])
        offset += size
    return grads, flat[offset]


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
        self.chunk = reduction_unit(task_name, algorithm_name, point)
        """Tasks per group (`reduction_unit`); this rank computes whole groups."""
        self.my_tasks = self.ranks.shard(self.meta_batch, self.chunk)
        self.meta_gradients = self.chunked(self.algorithm.meta_gradients)

    def chunked(self, meta_gradients) -> Chunked:
        """`meta_gradients` over this rank's groups of `chunk` tasks (`Chunked`)."""
        return Chunked(meta_gradients, self.chunk, self.meta_batch)

    def batch(self, iteration: int, split: str = "train", tasks=None) -> TaskBatch:
        """This rank's tasks of meta-iteration `iteration` (or `tasks`), on the device."""
        batch = self.task.sample(split, iteration, self.my_tasks if tasks is None else tasks)
        return batch if self.device.type == "cpu" else batch.to(self.device)

    def step(self, iteration: int) -> torch.Tensor:
        """One meta-iteration; returns the mean query loss of the meta-batch (a tensor)."""
        if self.ranks.world_size == 1:
            grads, loss = self.meta_gradients(self.params, self.batch(iteration))
        else:
            flats = []
            if self.my_tasks:  # a rank with no group still joins the gather
                _, flats = self.meta_gradients.flats(self.params, self.batch(iteration))
            size = sum(p.numel() for p in self.params.values()) + 1
            flats = self.ranks.gather_groups(flats, size, self.meta_batch, self.chunk, self.device)
            grads, loss = unflatten(self.params, list(self.params), ordered_sum(flats))
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
