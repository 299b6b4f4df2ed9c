"""A run's cost at a glance: time per iteration and peak memory against the sweep parameter.

Drawn with matplotlib's Agg canvas through the object API (no pyplot, no global backend
switch), so it is safe from a worker thread of the app. matplotlib is imported inside the
function: the app and the CLI start without it.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from pathlib import Path

from notebase.core.note_writer import atomic_write
from notebase.experiments.results_markdown import sweep_keys
from notebase.experiments.spec import check_name, is_valid_name


def plot_path(vault_root: Path, experiment: str, run_id: str) -> Path:
    """``<vault>/attachments/<experiment>-<run_id>.png``, always inside the attachments folder.

    ValueError (before anything is written) when `experiment` is not an experiment name
    (`spec.check_name`: ``../../x`` and ``/abs/x`` are not) or `run_id` is not a plain name of
    the same kind: a record's fields never choose where a file goes."""
    problem = check_name(experiment)
    if problem is None and not is_valid_name(run_id):
        problem = f"the run id {run_id!r} is not a plain name"
    if problem is not None:
        raise ValueError(f"no plot file for experiment {experiment!r}: {problem}")
    return Path(vault_root) / "attachments" / f"{experiment}-{run_id}.png"


def plot_record(record: dict, out_path: Path, *, vault_root: Path | None = None) -> Path:
    """Draw seconds per iteration and peak memory (KiB or MiB) per algorithm against the first swept
    parameter (``inner_steps`` for the cost question) and save a PNG at ``out_path``.

    Without a swept parameter each algorithm is one point at x = 0. The PNG is written
    atomically; the folder is created when missing.
    """
    # Imported here: matplotlib costs ~0.3 s and only runs need it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = record.get("results") or []
    keys = sweep_keys(record)
    x_key = keys[0] if keys else None
    series: dict[str, list[tuple[float, float | None, float | None]]] = defaultdict(list)
    for row in rows:
        label = str(row.get("algorithm", "?"))
        # Other swept parameters make separate lines, named after their values.
        extra = [f"{k}={row.get(k)}" for k in keys[1:]]
        if extra:
            label += " (" + ", ".join(extra) + ")"
        x = row.get(x_key, 0) if x_key else 0
        seconds = row.get("seconds_per_iteration")
        memory = row.get("peak_memory_bytes")
        series[label].append((float(x), seconds, None if memory is None else float(memory)))
    # Memory in the unit that keeps the axis readable (a quick CPU run is a few hundred KiB).
    largest = max((p[2] for points in series.values() for p in points if p[2]), default=0)
    unit, scale = ("MiB", 2**20) if largest >= 2**20 else ("KiB", 2**10)
    for points in series.values():
        points[:] = [(x, s, None if m is None else m / scale) for x, s, m in points]

    figure = Figure(figsize=(9, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    time_axes, memory_axes = figure.subplots(1, 2)
    for label, points in sorted(series.items()):
        points.sort(key=lambda point: point[0])
        xs = [p[0] for p in points]
        time_axes.plot(xs, [p[1] for p in points], marker="o", label=label)
        memory_axes.plot(xs, [p[2] for p in points], marker="o", label=label)
    x_label = x_key.replace("_", " ") if x_key else "(no sweep)"
    kinds = sorted({str(row.get("memory_kind")) for row in rows if row.get("memory_kind")})
    time_axes.set(xlabel=x_label, ylabel="seconds per meta-iteration", title="Time per iteration")
    memory_axes.set(
        xlabel=x_label,
        ylabel=f"peak memory ({unit})",
        title="Peak memory" + (f" ({', '.join(kinds)})" if kinds else ""),
    )
    for axes in (time_axes, memory_axes):
        axes.grid(True, alpha=0.3)
        if x_key:
            axes.set_xticks(sorted({p[0] for points in series.values() for p in points}))
    if series:
        memory_axes.legend(fontsize="small")
    figure.suptitle(f"{record.get('experiment', '?')} · run {record.get('run_id', '?')}")
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a Korean experiment name without a CJK font: boxes, fine
        warnings.filterwarnings("ignore", message="Glyph .* missing")
        figure.savefig(buffer, format="png")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # With vault_root, nothing is written through a link out of the vault (a linked attachments/).
    atomic_write(out_path, buffer.getvalue(), vault_root=vault_root, label="the plot")
    return out_path
