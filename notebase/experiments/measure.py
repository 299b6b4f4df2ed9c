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
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any


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
