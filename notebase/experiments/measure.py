"""Timing and memory of one meta-iteration.

Memory (``peak_memory_bytes``) is the peak of bytes allocated *above* what was allocated when
the meta-gradient computation started, i.e. the autograd graph plus temporaries of one
meta-iteration, never the whole-process RSS:

- ``memory_kind = "cuda"``: `torch.cuda.max_memory_allocated` after
  `torch.cuda.reset_peak_memory_stats`, minus `torch.cuda.memory_allocated` before.
- ``memory_kind = "cpu-profiler"``: torch's profiler with ``profile_memory=True`` records every
  CPU allocator allocation and free (``[memory]`` events with signed byte counts); the running
  sum of those events in time order is the live-bytes curve, and its maximum is the peak.
  Saved-tensor hooks cannot be used for this: they raise inside `torch.func.grad`.

Timing: `time.perf_counter` around each meta-iteration, CUDA synchronised, median after
warm-up iterations.

Before a run, `check_memory` compares an *estimate* of the run's peak memory with the memory
available (CPU: ``MemAvailable`` of /proc/meminfo, capped by the cgroup's limit; CUDA: free
bytes of the device) and refuses a run that cannot fit, so ``hidden = 30000`` or
``meta_batch = 10**9`` is one line instead of a machine swapping to death. The estimate
(`estimate_bytes`) counts float32 numbers: the model, its gradient and Adam's two moments
(4 x parameters), a meta-batch's data, and the larger of meta-training (per task: copies of
the parameters and activations for each inner step, with per-algorithm factors fitted to
`peak_memory` of 160 sinusoid and digits configurations; second-order MAML grows with
``inner_steps``, the others nearly not) and evaluation (per held-out task: adapted parameters
and activations). On the CPU it came out at 0.9-2.2x the measured peaks of those
configurations, and 0.8-1.2x at hidden = 1024-2048. It leaves out the fixed cost of the
process (torch itself) and of ``torch.compile``: a guard against orders of magnitude, not an
exact number. ``allow_large = true`` in the spec, ``--force`` on ``notebase run`` or
``NOTEBASE_ALLOW_LARGE=1`` run anyway.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from notebase.errors import UserError


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the profiler's C++ start/stop lines on file descriptor 2."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory(fn: Callable[[], Any], device) -> tuple[Any, int, str]:
    """Run `fn` once; return (its result, peak bytes allocated above the start, memory kind)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        result = fn()
        torch.cuda.synchronize(device)
        return result, int(torch.cuda.max_memory_allocated(device) - before), "cuda"

    from torch.profiler import ProfilerActivity, profile

    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    events.sort(key=lambda e: e.start_ns())
    live = peak = 0
    for event in events:
        live += event.nbytes()
        peak = max(peak, live)
    return result, int(peak), "cpu-profiler"


def synchronize(device) -> None:
    if device.type == "cuda":
        import torch

        torch.cuda.synchronize(device)


class IterationTimer:
    """Collects per-iteration seconds and reports the median after warm-up."""

    def __init__(self, device, warmup: int):
        self.device = device
        self.warmup = warmup
        self.seconds: list[float] = []
        self._start = 0.0

    def start(self) -> None:
        synchronize(self.device)
        self._start = time.perf_counter()

    def stop(self) -> float:
        synchronize(self.device)
        elapsed = time.perf_counter() - self._start
        self.seconds.append(elapsed)
        return elapsed

    def median(self) -> float:
        timed = self.seconds[self.warmup :] or self.seconds
        return statistics.median(timed) if timed else float("nan")


# --------------------------------------------------------------------------- memory estimate

BYTES_PER_NUMBER = 4
"""float32."""

_TASK_SHAPES: dict[str, Callable[[dict[str, Any]], tuple[int, int, int]]] = {
    # (input features, outputs, examples per task)
    "sinusoid": lambda p: (1, 1, p["shots"] + p["query"]),
    "digits": lambda p: (64, p["ways"], p["ways"] * (p["shots"] + p["query"])),
}

# Numbers alive per task during one meta-gradient, as (a, b, c, d) in
# (a + b * inner_steps) * parameters + (c + d * inner_steps) * examples * hidden.
_ALGORITHM_FACTORS: dict[str, tuple[float, float, float, float]] = {
    "maml": (4.0, 1.0, 1.0, 2.5),
    "fomaml": (2.0, 0.3, 2.5, 0.0),
    "reptile": (2.0, 0.3, 1.0, 0.6),
    "imaml": (10.0, 0.0, 2.5, 0.0),
    # Refitted for the batched eager ANIL (issue 16; the body is shared, only the head is
    # per task): 1.1-2.1x the measured peak at hidden 40-512, meta-batch 4-32, 1-10 steps.
    "anil": (0.1, 0.02, 6.0, 0.3),
}
_UNKNOWN_ALGORITHM = (10.0, 1.0, 4.0, 2.5)  # a new algorithm: the largest factors


def estimate_bytes(task: str, algorithm: str, point: dict[str, Any], tasks: int | None = None) -> int | None:
    """Estimated peak bytes of meta-training and evaluating `algorithm` at sweep `point`
    (`tasks` of the meta-batch in this process; default all). None for a task this estimate
    does not know (then nothing is refused)."""
    shape = _TASK_SHAPES.get(task)
    if shape is None:
        return None
    inputs, outputs, examples = shape(point)
    hidden = point["hidden"]
    parameters = inputs * hidden + hidden + hidden * hidden + hidden + hidden * outputs + outputs
    tasks = point["meta_batch"] if tasks is None else tasks
    steps = point["inner_steps"]
    a, b, c, d = _ALGORITHM_FACTORS.get(algorithm, _UNKNOWN_ALGORITHM)
    per_task = (a + b * steps) * parameters + (c + d * steps) * examples * hidden
    train = tasks * (per_task + examples * inputs)
    if algorithm == "anil":  # evaluation adapts the head only
        per_eval_task = 0.1 * parameters + 2.0 * examples * hidden
    else:  # adapted copies of every parameter (iMAML's proximal steps keep one more)
        per_eval_task = (4.2 if algorithm == "imaml" else 3.2) * parameters
        per_eval_task += 1.5 * examples * hidden
    evaluation = point["eval_tasks"] * (per_eval_task + examples * inputs)
    return int(BYTES_PER_NUMBER * (4 * parameters + max(train, evaluation)))


CHUNK_BUDGET_BYTES = 4 << 30
"""With ``task_chunk = 0`` (automatic), a meta-batch whose estimated training memory exceeds
this is split into chunks of tasks that fit it (a fixed number, not the memory free at the
moment, so that a run's chunking, and its rounding, does not depend on the machine's load)."""


def _batch_data_bytes(task: str, point: dict[str, Any], tasks: int) -> int:
    """Bytes of `tasks` tasks' sampled examples (inputs and targets)."""
    inputs, outputs, examples = _TASK_SHAPES[task](point)
    return BYTES_PER_NUMBER * tasks * examples * (inputs + outputs)


def task_chunk(task: str, algorithm: str, point: dict[str, Any], tasks: int) -> int:
    """Tasks per chunk of this process's `tasks` (`tasks` itself when no chunking): the
    spec's ``task_chunk`` when set, else as many as fit `CHUNK_BUDGET_BYTES` by the estimate.
    Every algorithm's meta-gradient is a mean over tasks, so chunks are combined exactly
    (`notebase.experiments.training.chunked`) and peak memory is one chunk's."""
    if point.get("task_chunk"):
        return max(1, min(tasks, point["task_chunk"]))
    train_only = dict(point, eval_tasks=0)
    one = estimate_bytes(task, algorithm, train_only, 1)
    two = estimate_bytes(task, algorithm, train_only, 2)
    if one is None or two is None or two <= one:
        return tasks
    return max(1, min(tasks, CHUNK_BUDGET_BYTES // (two - one)))


def _cgroup_limit() -> int | None:
    """Bytes this process's memory cgroup may still use (v2 or v1); None without a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.count(":") < 2:
            continue
        _, controllers, where = line.split(":", 2)
        if controllers == "":  # v2
            folder = Path("/sys/fs/cgroup") / where.lstrip("/")
            limit_file, usage_file = folder / "memory.max", folder / "memory.current"
        elif "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory") / where.lstrip("/")
            limit_file = folder / "memory.limit_in_bytes"
            usage_file = folder / "memory.usage_in_bytes"
        else:
            continue
        try:
            limit = limit_file.read_text(encoding="utf-8").strip()
            usage = int(usage_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 1 << 60:
            return max(0, int(limit) - usage)
    return None


def available_bytes(device) -> int | None:
    """Memory a run on `device` may use now: free CUDA memory, or the CPU's available memory
    (capped by the cgroup limit); None when it cannot be told."""
    if device.type == "cuda":
        import torch

        try:
            return int(torch.cuda.mem_get_info(device)[0])
        except (RuntimeError, AttributeError):
            return None
    available = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    limit = _cgroup_limit()
    return available if limit is None else min(available, limit)


def human_size(count: float) -> str:
    """Bytes in the unit that reads best (``1.5 GiB``)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(count) < 1024 or unit == "PiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} PiB"  # not reached


def check_memory(
    spec, algorithms: Iterable[str], points: Iterable[dict[str, Any]], device,
    world_size: int = 1,
) -> None:
    """`UserError` (one line) when the estimated peak of the largest (algorithm, point) of
    the run exceeds the memory available on `device`. CPU ranks share one machine, so their
    estimates add up; CUDA ranks each have their own device."""
    largest, where = 0, None
    for point in points:
        tasks = math.ceil(point["meta_batch"] / world_size)
        for algorithm in algorithms:
            chunk = task_chunk(spec.task, algorithm, point, tasks)
            estimate = estimate_bytes(spec.task, algorithm, point, chunk)
            if estimate is not None:  # the whole batch is sampled before it is chunked
                estimate += _batch_data_bytes(spec.task, point, tasks - chunk)
            if estimate is not None and estimate > largest:
                largest, where = estimate, (algorithm, point)
    if where is None:
        return
    if device.type != "cuda":
        largest *= world_size
    available = available_bytes(device)
    if available is None or largest <= available:
        return
    algorithm, point = where
    sizes = ", ".join(
        f"{key}={point[key]}"
        for key in ("hidden", "meta_batch", "inner_steps", "shots", "query", "eval_tasks")
    )
    raise UserError(
        f"{spec.path}: needs about {human_size(largest)} of memory ({algorithm} at {sizes}), "
        f"more than the {human_size(available)} available on {device.type}; make it smaller, "
        "or run anyway with --force (or allow_large = true in the spec)"
    )
