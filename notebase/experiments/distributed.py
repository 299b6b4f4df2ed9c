"""Splitting a meta-batch across processes started by ``torchrun`` (gloo on CPU, NCCL on GPU).

Rank ``r`` of ``W`` takes a contiguous slice of the meta-batch's *global* task indices, so it
samples exactly the tasks the single-process run would give those indices (see
`notebase.experiments.tasks`). Every algorithm's meta-gradient is a mean over tasks, so each
rank weights its local mean by ``local tasks / meta_batch`` and one all-reduce (sum) yields the
meta-gradient of the whole batch; all ranks then take the same optimizer step. Only rank 0
writes the run record and prints events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass
class Ranks:
    """Where this process sits in the group (rank 0 of 1 when not distributed)."""

    rank: int = 0
    """This process's rank."""
    world_size: int = 1
    """Number of processes sharing each meta-batch."""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, meta_batch: int) -> range:
        """This rank's global task indices in a meta-batch of `meta_batch` tasks."""
        start = self.rank * meta_batch // self.world_size
        end = (self.rank + 1) * meta_batch // self.world_size
        return range(start, end)

    def combine(self, grads: dict, loss, local_tasks: int, meta_batch: int):
        """Turn this rank's mean over its tasks into the mean over the whole meta-batch."""
        if self.world_size == 1:
            return grads, loss
        import torch
        import torch.distributed as dist

        weight = local_tasks / meta_batch
        names = list(grads)
        flat = torch.cat([grads[n].reshape(-1) for n in names] + [loss.reshape(1)]) * weight
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        combined, offset = {}, 0
        for name in names:
            size = grads[name].numel()
            combined[name] = flat[offset : offset + size].view_as(grads[name])
            offset += size
        return combined, flat[offset]


def init_from_environment(device_type: str) -> Ranks:
    """Join the process group torchrun describes in the environment (WORLD_SIZE > 1)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Ranks()
    import torch
    import torch.distributed as dist

    if device_type == "cuda":  # one GPU per rank; torch.device("cuda") then means this one
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo")
    return Ranks(rank=dist.get_rank(), world_size=dist.get_world_size())


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
