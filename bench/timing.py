"""What the latency benches print for a list of times in ms. Not a bench."""

from __future__ import annotations

import statistics


def summary(values: list[float], digits: int = 2) -> str:
    """``median …, p95 …, max … (n=…)`` of ``values`` (ms), ``digits`` after the point."""
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered):.{digits}f} ms, p95 {p95:.{digits}f} ms, "
        f"max {ordered[-1]:.{digits}f} ms (n={len(ordered)})"
    )
