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

``reduce_groups`` left at 0 (the default) is `default_groups`: one group per
`TASKS_PER_GROUP` tasks, at most `MOST_DEFAULT_GROUPS`, so a meta-batch of 64 trains exactly
alike on 1 or 2 processes, of 128 on 1 to 4 and of 256 or more on 1 to 8, while a small one
(25, the sinusoid default) stays one batched call on one process, where a meta-iteration of a tiny model is
overhead-bound and every extra call costs (`bench/reduce_groups_bench.py`). Given more processes
than that, the run uses one group per process (`runner.fix_groups`) and trains like one process
with ``reduce_groups`` = the process count, which the record holds. A spec that pins
``reduce_groups`` (``distributed-cost``: 4) trains exactly alike on 1 to that many processes;
more are refused in one line. A sweep point's ``processes`` trains on the first ranks only (their own process group);
the others wait on torchrun's store, not in a collective. After each point the ranks gather
their numbers: time is the slowest rank's, memory the largest rank's, tasks/s the total, and
``communication_seconds_per_iteration`` the median time in the gather (waiting for the
slowest rank included; the largest over ranks).

Faults: a rank whose run raises leaves its error in torchrun's store (hosted by torchrun's
agent, so it outlives the rank) before it exits; a rank stopped by a signal says so; rank 0,
seeing a lost peer, names that rank and its error in the record, or the rank whose process
died without a word (`peer_state`).
"""

from __future__ import annotations

import datetime
import math
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from notebase.experiments.processes import process_alive

TASKS_PER_GROUP = 32
"""Fewest tasks in a default group. Each group is its own batched call, and a tiny model's
meta-iteration is overhead-bound (`bench/reduce_groups_bench.py`, 1-40-40-1 sinusoid MLP, one
thread): at meta-batch 25, 4 groups of 6-7 tasks cost one process 2.1-2.6x (MAML 0.90 -> 2.10
ms); at 128 tasks, 4 groups of 32 cost 1.0-1.3x (ANIL 1.7x) and 8 of 16 cost 1.2-2.6x; from
width 128 up groups are faster (smaller working sets: 64 x 128 MAML 14.9 -> 11.6 ms)."""

MOST_DEFAULT_GROUPS = 8
"""Most default groups: one per GPU of an eight-GPU machine."""


def default_groups(meta_batch: int) -> int:
    """Groups of a meta-batch whose spec leaves ``reduce_groups`` at 0: a function of the
    meta-batch alone, so every world size up to it adds the same groups."""
    return max(1, min(MOST_DEFAULT_GROUPS, meta_batch // TASKS_PER_GROUP))


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
    group: Any = None
    """The process group of these ranks (None: torchrun's whole group)."""
    collective_seconds: list[float] = field(default_factory=list)
    """Seconds this rank spent in each gather (`gather_groups`), waiting included."""

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def describe_failure(self, exc: BaseException) -> str:
        """The record's error for a run that failed on this rank, when no other rank is
        known to have failed first (`peer_state`): with several ranks, which rank it was,
        and whether a lost peer is all it saw."""
        text = f"{type(exc).__name__}: {exc}"
        if self.world_size == 1:
            return text
        if lost_peer(exc):
            return (f"rank {self.rank} of {self.world_size} (another rank ended or stopped "
                    f"answering): {text}")
        return f"rank {self.rank} of {self.world_size} failed: {text}"

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
        if mine.device.type == "cuda":  # time the collective, not the compute queued before it
            torch.cuda.synchronize(mine.device)
        started = time.perf_counter()
        dist.all_gather(every, mine, group=self.group)
        if mine.device.type == "cuda":
            torch.cuda.synchronize(mine.device)
        self.collective_seconds.append(time.perf_counter() - started)
        ordered = []
        for rank, rows in enumerate(every):
            count = (rank + 1) * groups // self.world_size - rank * groups // self.world_size
            ordered.extend(rows[:count])
        return ordered

    def subset(self, size: int, groups: dict[int, Any]) -> Ranks | None:
        """These ranks restricted to the first `size` (None for a rank outside them): a sweep
        point's ``processes``. `groups` holds the process group made for each size."""
        if size >= self.world_size:
            return Ranks(self.rank, self.world_size)
        if self.rank >= size:
            return None
        return Ranks(self.rank, size, groups.get(size))

    def gather_numbers(self, numbers: list[float]) -> list[list[float]]:
        """Every rank's `numbers` (the same length on each), by rank."""
        if self.world_size == 1:
            return [list(numbers)]
        import torch
        import torch.distributed as dist

        mine = torch.tensor(numbers, dtype=torch.float64)
        if dist.get_backend(self.group) == "nccl":
            mine = mine.cuda()
        every = [torch.empty_like(mine) for _ in range(self.world_size)]
        dist.all_gather(every, mine, group=self.group)
        return [row.cpu().tolist() for row in every]


_PEER_WORDS = ("Connection closed", "Connection reset", "Timed out", "timed out", "peer",
               "NCCL communicator was aborted")


def lost_peer(exc: BaseException) -> bool:
    """Whether `exc` is a collective failing because another rank went away."""
    return any(word in str(exc) for word in _PEER_WORDS)


FAILED_KEY = "notebase/failed/{rank}"
"""Store key under which a rank that raised leaves its error for rank 0."""
STOPPED_KEY = "notebase/stopped/{rank}"
"""Store key under which a rank stopped by a signal or cancel says so (it did not fail)."""
WHO_KEY = "notebase/rank/{rank}"
"""Store key under which every rank leaves ``host pid`` (to tell a dead rank)."""
POINT_KEY = "notebase/point/{index}"
"""Store key rank 0 sets when a sweep point is done (ranks sitting it out wait for it)."""
PEER_WAIT_S = 3.0
"""How long rank 0, seeing a lost peer, waits for that rank's own error to arrive."""


def _store():
    """torchrun's key-value store of the group (hosted by torchrun's agent, so it outlives a
    rank that died); None when there is none."""
    try:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()):
            return None
        return dist.distributed_c10d._get_default_store()
    except Exception:  # a torch without it: failures are then described by the seeing rank
        return None


def _leave(ranks: Ranks, key: str, value: str) -> None:
    """Leave ``value`` under this rank's ``key`` in the store (nothing with one process or
    no store; a store that is gone too is no reason to fail: rank 0 says what it saw)."""
    store = _store()
    if store is None or ranks.world_size == 1:
        return
    try:
        store.set(key.format(rank=ranks.rank), value)
    except Exception:
        pass


def announce(ranks: Ranks) -> None:
    """Leave this rank's host and pid in the store (`peer_state` reads them)."""
    _leave(ranks, WHO_KEY, f"{socket.gethostname()} {os.getpid()}")


def report_failure(ranks: Ranks, exc: BaseException) -> None:
    """A rank whose run raised (not a lost peer) leaves its error for rank 0's record."""
    _leave(ranks, FAILED_KEY, f"{type(exc).__name__}: {exc}")


def report_stopped(ranks: Ranks) -> None:
    """A rank stopped by a signal (Ctrl-C, cancel, its parent's end) says so, so that its
    exit is not taken for a failure."""
    _leave(ranks, STOPPED_KEY, "stopped")


def _dead(host: str, pid: int) -> bool:
    """Whether process `pid` on this machine has ended (a zombie counts as ended)."""
    return host == socket.gethostname() and not process_alive(pid)


def peer_state(ranks: Ranks, wait_s: float = 0.0) -> tuple[str, str] | None:
    """How another rank ended, as the record says it: ``("failed", "rank R of W failed:
    ERROR")`` for a rank that raised (it leaves its error before it exits), ``("failed",
    "rank R of W died ...")`` for one that ended without a word (killed, or a crash outside
    Python), ``("interrupted", ...)`` for one stopped by a signal; None when no other rank is
    known to have ended within `wait_s`."""
    store = _store()
    if store is None or ranks.world_size == 1:
        return None
    others = [rank for rank in range(ranks.world_size) if rank != ranks.rank]
    total = ranks.world_size

    def look() -> tuple[str, str] | None:
        for rank in others:
            key = FAILED_KEY.format(rank=rank)
            if store.check([key]):
                error = store.get(key).decode("utf-8", "replace")
                return "failed", f"rank {rank} of {total} failed: {error}"
        for rank in others:
            if store.check([STOPPED_KEY.format(rank=rank)]):
                return "interrupted", f"rank {rank} of {total} was stopped"
        return None

    def died() -> tuple[str, str] | None:
        for rank in others:
            key = WHO_KEY.format(rank=rank)
            if store.check([key]):
                host, pid = store.get(key).decode().rsplit(" ", 1)
                if _dead(host, int(pid)):
                    return "failed", (f"rank {rank} of {total} died without reporting an "
                                      f"error (pid {pid}: killed, or crashed outside Python)")
        return None

    deadline = time.monotonic() + wait_s
    try:
        while True:
            found = look()
            if found:
                return found
            dead = died()
            if dead:  # a rank leaves its word before it exits: look once more
                return look() or dead
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)
    except Exception:  # the store itself is gone (torchrun's agent ended)
        return None


def point_done(ranks: Ranks, index: int) -> None:
    """Rank 0 says sweep point `index` is finished (ranks outside it wait for that)."""
    store = _store()
    if store is not None and ranks.is_main:
        store.set(POINT_KEY.format(index=index), "done")


def wait_for_point(index: int, poll_s: float = 0.1) -> None:
    """A rank that sits out sweep point `index` (``processes`` below the world size) waits
    here, without a collective (whose timeout a long point would pass), until rank 0 is done
    with it (when rank 0 fails instead, torchrun ends this rank)."""
    store = _store()
    if store is None:
        return
    key = POINT_KEY.format(index=index)
    while not store.check([key]):
        time.sleep(poll_s)


def make_groups(sizes: set[int], world_size: int) -> dict[int, Any]:
    """A process group of the first `size` ranks for each size below the world size (every
    rank must call this, in the same order)."""
    if world_size == 1:
        return {}
    import torch.distributed as dist

    return {size: dist.new_group(list(range(size))) for size in sorted(sizes)
            if 1 < size < world_size}


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
