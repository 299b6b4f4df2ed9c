"""Running a note's experiment from the app: the runner subprocess and the write-back.

Training holds the GIL for seconds at a time and torch takes a second to import, so the
app never runs an experiment in its own process: on a worker thread it runs the spec through
``note_runs.run_spec`` (the runner subprocess and its JSON-lines events, as the CLI does), and
when the run ended ``ok`` hands the record to ``note_runs.write_record``, which writes the
block into the note as it is on disk then (or into a sidecar, and says why). The runner's
stderr goes to a temporary file: in a full-screen app it would scribble over the screen.
Nothing here imports torch or Textual.
"""

from __future__ import annotations

import tempfile
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


class RunHandle:
    """What the app holds of a running request: a way to cancel it from another thread."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self.cancelled = threading.Event()
        """Set once the user asked to cancel: the runner gets one SIGINT (the outcome is then
        ``cancelled``)."""

    def cancel(self) -> None:
        self.cancelled.set()


def event_kind(event: dict) -> str:
    """The event's type (``start``, ``progress``, ``log``, ``result``, ``end``, ``error``);
    an untyped event counts as a log line."""
    from notebase.experiments.note_runs import event_kind as runner_event_kind

    return runner_event_kind(event) or "log"


def execute(
    request: RunRequest,
    on_event: Callable[[dict], None],
    handle_ready: Callable[[RunHandle], None] | None = None,
) -> RunOutcome:
    """Run the request to its end (call on a worker thread; `note_runs.run_spec`), then write
    the results back.

    ``on_event`` gets every runner event; ``handle_ready`` gets the handle that cancels it.
    The runner's stderr goes to a temporary file: its last line explains a crash.
    """
    from notebase.errors import UserError
    from notebase.experiments.note_runs import run_spec  # torch loads in the child

    handle = RunHandle(request)
    if handle_ready is not None:
        handle_ready(handle)
    unchanged = f"{request.note_path} unchanged"
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        try:
            run = run_spec(
                request.spec_path, quick=request.quick, device=request.device,
                runs_dir=request.runs_dir, on_event=on_event, cancel=handle.cancelled,
                stderr=stderr,
            )
        except UserError as exc:  # the runner refused (e.g. cuda without a GPU)
            return RunOutcome("failed", f"{request.experiment}: run failed: {exc}; {unchanged}")
        except OSError as exc:
            return RunOutcome("failed", f"could not start the runner: {exc}")
        stderr.seek(0)
        last_stderr_line = _last_line(stderr.read().splitlines()[-20:])
    if handle.cancelled.is_set() or run.status == "interrupted":
        return RunOutcome("cancelled", f"{request.experiment}: run cancelled; {unchanged}", run.run_id)
    if run.status != "ok":
        reason = run.error if run.ended else (last_stderr_line or run.error)
        return RunOutcome(
            "failed", f"{request.experiment}: run failed: {reason}; {unchanged}", run.run_id
        )
    return write_back(request, run.run_id, run.record, run.record_path)


def _last_line(lines: list[str]) -> str:
    for line in reversed(lines):
        if line.strip():
            return line.strip()
    return ""


def write_back(
    request: RunRequest, run_id: str | None, record: dict | None, record_path: Path | None
) -> RunOutcome:
    """Write a finished run's record into the note (``note_runs.write_record``)."""
    from notebase.experiments.note_runs import vault_relative, write_record  # no torch

    if record is None:
        return RunOutcome(
            "not-written", f"run {run_id} finished but its record {record_path} is unreadable",
            run_id,
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

