"""One run result as short text: seconds per iteration, bytes, the (algorithm, point) label.

Shared by the side panel, the run panel and the terminal bar charts.
"""

from __future__ import annotations


def format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms/it"
    return f"{seconds:.2f} s/it"


def format_bytes(count: float | None) -> str:
    """Binary units like the note's results table, always one decimal (``811.2 KiB``; the
    table's ``results_markdown.human_bytes`` keeps 3 significant digits: ``811 KiB``)."""
    if count is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def result_line(result: dict) -> str:
    """One sweep result: ``maml k=5  12.3 ms/it  1.2 MB  loss 0.41``."""
    line = f"{point_label(result)}  {format_seconds(result.get('seconds_per_iteration'))}"
    line += f"  {format_bytes(result.get('peak_memory_bytes'))}"
    loss = result.get("post_adaptation_loss")
    if isinstance(loss, int | float):
        line += f"  loss {loss:.3g}"
    return line


def point_label(result: dict) -> str:
    """``maml k=5``: the algorithm and its inner steps."""
    label = str(result.get("algorithm", "?"))
    if result.get("inner_steps") is not None:
        label += f" k={result['inner_steps']}"
    return label
