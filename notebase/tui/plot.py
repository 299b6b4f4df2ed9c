"""Terminal bar charts of a run's results: time per iteration and peak memory per
(algorithm, sweep point), the same numbers as the PNG plot in the note."""

from __future__ import annotations

from notebase.tui.result_text import format_bytes, format_seconds, point_label

BAR_WIDTH = 28
EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A bar of ``width`` cells at most, in eighths of a cell."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = round(value / largest * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


def results_chart(results: list[dict]) -> str:
    """Two bar charts (seconds per iteration, peak memory) as plain text lines."""
    rows = [r for r in results if isinstance(r, dict)]
    if not rows:
        return ""
    width = max(len(point_label(r)) for r in rows)
    lines: list[str] = []
    for title, key, fmt in (
        ("time per meta-iteration", "seconds_per_iteration", format_seconds),
        ("peak memory", "peak_memory_bytes", format_bytes),
    ):
        values = [r.get(key) if isinstance(r.get(key), int | float) else None for r in rows]
        if all(v is None for v in values):
            continue
        largest = max(v for v in values if v is not None)
        if lines:
            lines.append("")
        kind = rows[0].get("memory_kind") if key == "peak_memory_bytes" else None
        lines.append(title + (f" ({kind})" if kind else ""))
        for row, value in zip(rows, values, strict=True):
            shown = fmt(value) if value is not None else "-"
            drawn = bar(value or 0, largest)
            lines.append(f"{point_label(row):<{width}}  {drawn:<{BAR_WIDTH}}  {shown}")
    return "\n".join(lines)
