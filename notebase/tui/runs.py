"""Running a note's experiment from the app: the runner subprocess and the write-back.

Training holds the GIL for seconds at a time and torch takes a second to import, so the
app never runs an experiment in its own process: it starts
``python -m notebase.experiments.runner`` (``runner.start_run_process``, the entry the CLI
uses), reads its JSON-lines events on a worker thread, and when the run ended ``ok`` hands
the record to ``note_runs.write_record``, which writes the block into the note as it is on
disk then (or into a sidecar, and says why). The runner's stderr is captured: in a
full-screen app it would scribble over the screen. Nothing here imports torch or Textual.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class RunRequest:
    """One experiment to run for one note."""

    note_path: str
    """Vault-relative path of the note the results go into."""
    experiment: str
    spec_path: Path
    quick: bool = False
    """Use the spec's ``[quick]`` overrides (seconds on a CPU)."""
    vault_root: Path = field(default_factory=Path)
    experiments_dir: Path = field(default_factory=Path)
    device: str = "auto"
    note_file: Path | None = None
    """The note on disk (`Vault.file_path`: its real, possibly NFD, name); when None,
    ``vault_root / note_path``."""

    @property
    def runs_dir(self) -> Path:
        """Run records go to ``<experiments>/runs/`` (as for ``notebase run``)."""
        return self.experiments_dir / "runs"


@dataclass(slots=True)
class RunOutcome:
    """How a run from the app ended, in the words the notification shows."""

    status: str
    """``written`` (into the note), ``sidecar``, ``failed``, ``cancelled`` or
    ``not-written`` (ran, but nothing could be written)."""
    message: str
    run_id: str | None = None
    written_to: str | None = None
    """Vault-relative path of the file that received the results (the note or a sidecar)."""


class RunnerProcess:
    """The runner subprocess of one request: start it, read its events, cancel it."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self.process: subprocess.Popen | None = None
        self.cancelled = threading.Event()
        """Set once the user asked to cancel (the outcome is then ``cancelled``)."""
        self.stderr_tail: list[str] = []
        """The runner's last stderr lines (its tracebacks and warnings)."""

    def start(self) -> None:
        from notebase.experiments.runner import start_run_process  # torch loads in the child

        self.process = start_run_process(
            self.request.spec_path,
            quick=self.request.quick,
            device=self.request.device,
            runs_dir=self.request.runs_dir,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            errors="replace",
            # Its own session: a signal meant for the app's terminal does not hit the run.
            start_new_session=True,
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_tail.append(line.rstrip("\n"))
            del self.stderr_tail[:-20]

    def events(self):
        from notebase.experiments.runner import iter_events

        assert self.process is not None
        return iter_events(self.process)

    def cancel(self) -> None:
        """SIGINT (the runner records ``interrupted``), then wait; harder signals if needed."""
        from notebase.experiments.note_runs import stop_process

        self.cancelled.set()
        if self.process is not None:
            stop_process(self.process)


def event_kind(event: dict) -> str:
    """The event's type (``start``, ``progress``, ``log``, ``result``, ``end``, ``error``);
    an untyped event counts as a log line."""
    from notebase.experiments.note_runs import event_kind as runner_event_kind

    return runner_event_kind(event) or "log"


def execute(
    request: RunRequest,
    on_event: Callable[[dict], None],
    process_ready: Callable[[RunnerProcess], None] | None = None,
) -> RunOutcome:
    """Run the request to its end (call on a worker thread), then write the results back.

    ``on_event`` gets every runner event; ``process_ready`` gets the runner so that the
    caller can cancel it from another thread.
    """
    runner = RunnerProcess(request)
    try:
        runner.start()
    except OSError as exc:
        return RunOutcome("failed", f"could not start the runner: {exc}")
    if process_ready is not None:
        process_ready(runner)
    end: dict = {}
    error_message = None
    for event in runner.events():
        kind = event_kind(event)
        if kind == "end":
            end = event
        elif kind == "error":
            error_message = event.get("message")
        on_event(event)
    code = runner.process.wait()
    run_id = end.get("run_id")
    if runner.cancelled.is_set() or end.get("status") == "interrupted":
        return RunOutcome(
            "cancelled",
            f"{request.experiment}: run cancelled; {request.note_path} unchanged",
            run_id,
        )
    if end.get("status") != "ok":
        reason = (
            end.get("error")
            or error_message
            or _last_line(runner.stderr_tail)
            or f"the runner exited with code {code}"
        )
        return RunOutcome(
            "failed",
            f"{request.experiment}: run failed: {reason}; {request.note_path} unchanged",
            run_id,
        )
    return write_back(request, end)


def _last_line(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def write_back(request: RunRequest, end: dict) -> RunOutcome:
    """Write a finished run's record into the note (``note_runs.write_record``)."""
    from notebase.experiments.note_runs import vault_relative, write_record  # no torch
    from notebase.experiments.records import load_record

    run_id = end.get("run_id")
    try:
        record = load_record(end["record"])
    except (KeyError, TypeError, OSError, ValueError) as exc:
        return RunOutcome(
            "not-written", f"run {run_id} finished but its record is unreadable ({exc})", run_id
        )
    note_file = request.note_file or request.vault_root / request.note_path
    try:
        outcome = write_record(request.vault_root, note_file, record)
    except Exception as exc:  # user data: say why, never crash the app
        return RunOutcome(
            "not-written", f"run {run_id} done, not written to {request.note_path}: {exc}", run_id
        )
    written = (
        vault_relative(request.vault_root, outcome.written_to) if outcome.written_to else None
    )
    warnings = f" ({'; '.join(outcome.warnings)})" if outcome.warnings else ""
    if outcome.status == "written":
        verb = "replaced in" if outcome.replaced else "written into"
        message = f"{request.experiment}: run {run_id} results {verb} {written}{warnings}"
    elif outcome.status == "sidecar":
        message = (
            f"{request.experiment}: run {run_id} results written to {written}, "
            f"not into the note: {outcome.reason}{warnings}"
        )
    else:
        message = f"{request.experiment}: run {run_id} not written: {outcome.reason}{warnings}"
    return RunOutcome(outcome.status, message, run_id, written)

