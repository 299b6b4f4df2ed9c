"""Splitting a meta-batch across processes started by ``torchrun`` (gloo on CPU, NCCL on GPU),
with the same result for any number of processes.

The meta-batch is cut into fixed *groups* of ``unit`` consecutive global task indices (the
last may be shorter); ``unit`` depends on the spec alone, never on the world size (see
`notebase.experiments.training.reduction_unit`). Rank ``r`` of ``W`` takes a contiguous run of
whole groups, so it samples exactly the tasks the single-process run gives those indices (see
`notebase.experiments.tasks`) in exactly the same batched shapes. Every algorithm's
meta-gradient is a mean over tasks, so each group contributes its mean weighted by
``group size / meta_batch``, flattened with its loss into one vector. The ranks all-gather
those vectors and every rank adds them in global group order (`ordered_sum`); the one-process
path adds the same vectors in the same order. Float addition is not associative, so this —
not an all-reduce, whose order follows the world size — is what makes 1, 2 or N processes
train identically for hundreds of meta-iterations (Adam amplifies any rounding difference).
All ranks then take the same optimizer step. Only rank 0 writes the run record and prints
events.
"""

from __future__ import annotations

import datetime
import math
import os
from dataclasses import dataclass

COLLECTIVE_TIMEOUT_S = 60
"""A collective (the gather of a meta-iteration) waiting longer than this for a rank that
stopped answering fails the run; a rank that dies closes its connections and the others fail
at once (measured: 0.8 s after SIGKILL of rank 1 of 2, gloo on CPU)."""


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

    def describe_failure(self, exc: BaseException) -> str:
        """The record's error for a run that failed on this rank: with several ranks, which
        rank saw it, and that a lost peer means another rank ended (torchrun's failure report
        on stderr names it and its exit code)."""
        text = f"{type(exc).__name__}: {exc}"
        if self.world_size == 1:
            return text
        peer = any(word in str(exc) for word in ("Connection closed", "Connection reset",
                                                 "Timed out", "timed out", "peer"))
        hint = " (another rank ended or stopped answering)" if peer else ""
        return f"rank {self.rank} of {self.world_size}{hint}: {text}"

    def shard(self, meta_batch: int, unit: int) -> range:
        """This rank's global task indices: its contiguous run of whole groups of `unit`."""
        groups = math.ceil(meta_batch / unit)
        first = self.rank * groups // self.world_size
        last = (self.rank + 1) * groups // self.world_size
        return range(min(first * unit, meta_batch), min(last * unit, meta_batch))

    def gather_groups(self, flats: list, size: int, meta_batch: int, unit: int, device) -> list:
        """Every group's weighted vector of the whole meta-batch, in global group order
        (`flats` are this rank's, `size` their length)."""
        if self.world_size == 1:
            return flats
        import torch
        import torch.distributed as dist

        groups = math.ceil(meta_batch / unit)
        most = math.ceil(groups / self.world_size)
        mine = torch.zeros(most, size, dtype=torch.float32, device=device)
        for row, flat in enumerate(flats):
            mine[row] = flat
        every = [torch.empty_like(mine) for _ in range(self.world_size)]
        dist.all_gather(every, mine)
        ordered = []
        for rank, rows in enumerate(every):
            count = (rank + 1) * groups // self.world_size - rank * groups // self.world_size
            ordered.extend(rows[:count])
        return ordered


def ordered_sum(flats: list):
    """The groups' vectors added one by one in global group order: the single order every
    world size uses."""
    total = flats[0].clone()
    for flat in flats[1:]:
        total.add_(flat)
    return total


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
        dist.init_process_group("nccl" if device_type == "cuda" else "gloo",
                                timeout=datetime.timedelta(seconds=COLLECTIVE_TIMEOUT_S))
    return Ranks(rank=dist.get_rank(), world_size=dist.get_world_size())


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
