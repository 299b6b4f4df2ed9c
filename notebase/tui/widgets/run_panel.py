"""The run panel: what runs, a progress bar, and the runner's latest log lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Log, ProgressBar, Static

from notebase.tui.result_text import result_line
from notebase.tui.runs import RunRequest, event_kind, preview_lines

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.tui.runs import RunOutcome  # notebase.experiments.note_runs.RunOutcome


def describe_progress(event: dict) -> str:
    """``maml · point 2/3 · iteration 12/20`` from a progress event."""
    parts = []
    if event.get("algorithm") is not None:
        parts.append(str(event["algorithm"]))
    if isinstance(event.get("point"), int) and event.get("points"):
        parts.append(f"point {event['point'] + 1}/{event['points']}")
    if event.get("iteration") is not None and event.get("iterations"):
        parts.append(f"iteration {event['iteration']}/{event['iterations']}")
    return " · ".join(parts)


def overall_fraction(event: dict) -> float | None:
    """Progress of the whole run, 0..1: the runner's ``fraction`` already covers every point."""
    fraction = event.get("fraction")
    if not isinstance(fraction, int | float) or isinstance(fraction, bool):
        return None
    return max(0.0, min(1.0, float(fraction)))


class RunPanel(Vertical):
    """Hidden until a run starts; stays up after it ends, showing how it ended."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.progress_events = 0
        """Progress events of the current run so far."""

    def compose(self) -> ComposeResult:
        yield Static("", id="run-title")
        with Horizontal(id="run-bar"):
            yield ProgressBar(total=100, show_eta=False, id="run-progress")
            yield Static("", id="run-step")
        yield Log(max_lines=200, id="run-log")

    def start(self, request: RunRequest) -> None:
        mode = " (quick)" if request.quick else ""
        self.query_one("#run-title", Static).update(
            Text.assemble(
                ("▶ running ", "bold"),
                (request.experiment, "bold magenta"),
                mode,
                f" for {request.note_path}   ",
                ("x cancels", "dim"),
            )
        )
        self.query_one("#run-progress", ProgressBar).update(total=100, progress=0)
        self.query_one("#run-step", Static).update("")
        self.progress_events = 0
        self.query_one("#run-log", Log).clear()
        self.add_class("-active")

    def show_event(self, event: dict) -> None:
        kind = event_kind(event)
        log = self.query_one("#run-log", Log)
        if kind == "progress":
            self.progress_events += 1
            fraction = overall_fraction(event)
            if fraction is not None:
                self.query_one("#run-progress", ProgressBar).update(progress=100 * fraction)
            self.query_one("#run-step", Static).update(Text(describe_progress(event), style="dim"))
            return  # progress lines would flood the log; the bar shows them
        if kind == "log":
            log.write_line(str(event.get("message", "")))
        elif kind == "result":
            row = event.get("row") or event.get("result") or event
            log.write_line("result: " + result_line(row))
        elif kind == "start":
            log.write_line(f"started run {event.get('run_id', '')} on {event.get('device', '?')}")
        elif kind == "error":
            log.write_line(f"error: {event.get('message', '')}")
        elif kind == "end":
            log.write_line(
                f"ended: {event.get('status')}"
                + (f" ({event['error']})" if event.get("error") else "")
            )

    def finish(self, outcome: RunOutcome) -> None:
        ending = outcome.ending
        style = {
            "written": "bold green", "preview": "bold cyan", "sidecar": "bold yellow",
            "cancelled": "bold yellow",
        }.get(ending, "bold red")
        self.query_one("#run-title", Static).update(
            Text.assemble((f"■ {ending} ", style), outcome.message())
        )
        if ending == "preview" and outcome.record:  # a quick run: shown here, never written
            log = self.query_one("#run-log", Log)
            for line in preview_lines(outcome.record):
                log.write_line(line)
        if ending in ("written", "sidecar", "preview"):
            self.query_one("#run-progress", ProgressBar).update(progress=100)
