"""What the app adds to running a note's experiment: the request (`RunRequest`), a handle
that cancels it from the UI thread (`RunHandle`), and `execute`, which hands both to the
one run driver, `notebase.experiments.note_runs.run_note_experiment` (the CLI's too).

Training holds the GIL for seconds at a time and torch takes a second to import, so the
app never runs an experiment in its own process: the driver runs the spec's runner
subprocess and writes the block into the note as it is on disk then (or into a sidecar,
and says why); `execute` runs on a worker thread. The runner's stderr is shown nowhere (in
a full-screen app it would scribble over the screen); the driver keeps its last line for
the message of a crash. This module is the app's one door to the experiments package
besides the session (import-linter ``app-boundary``); it imports no torch and no Textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from notebase.experiments.processes import usable_cpus

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.config import VaultConfig
    from notebase.experiments.note_runs import RunOutcome


@dataclass(slots=True)
class RunRequest:
    """One experiment to run for one note."""

    note_path: str
    """Vault-relative path of the note the results go into."""
    experiment: str
    quick: bool = False
    """Use the spec's ``[quick]`` overrides (seconds on a CPU)."""
    vault_root: Path = field(default_factory=Path)
    experiments_dir: Path = field(default_factory=Path)
    device: str = "auto"
    nproc: int = 1
    """Runner ranks started through torch's launcher (``notebase run --nproc``)."""

    @property
    def runs_dir(self) -> Path:
        """Run records go to ``<experiments>/runs/`` (as for ``notebase run``)."""
        return self.experiments_dir / "runs"


def process_counts(limit: int = 8) -> list[int]:
    """The process counts worth offering for a run on this machine (2 up to its CPUs, at
    most ``limit``), without importing torch: one rank a CPU; a GPU run takes one GPU a
    rank and says so itself when there are too few."""
    return [n for n in (2, 3, 4, 6, 8) if n <= min(usable_cpus(), limit)]


class RunHandle:
    """What the app holds of a running request: a way to cancel it from another thread."""

    def __init__(self, request: RunRequest) -> None:
        self.request = request
        self.cancelled = threading.Event()
        """Set once the user asked to cancel: the runner gets one SIGINT and the note stays
        as it was."""

    def cancel(self) -> None:
        self.cancelled.set()


def preview_lines(record: dict) -> list[str]:
    """A quick run's findings, for the run panel (a quick run is shown, never written)."""
    from notebase.experiments.results_markdown import findings_lines

    return [line for line in findings_lines(record, "en")[0] if line]


def event_kind(event: dict) -> str:
    """The event's type (``start``, ``progress``, ``log``, ``result``, ``end``, ``error``);
    an untyped event counts as a log line."""
    from notebase.experiments.run_process import event_kind as runner_event_kind

    return runner_event_kind(event) or "log"


def execute(
    request: RunRequest,
    note_file: Path,
    config: VaultConfig,
    on_event: Callable[[dict], None],
    handle_ready: Callable[[RunHandle], None] | None = None,
) -> RunOutcome:
    """Run the request to its end with the one driver (call on a worker thread).

    ``note_file`` and ``config`` come from the session: the note's real file on disk
    (possibly an NFD name) and the vault's settings the app reads notes with. ``on_event``
    gets every runner event; ``handle_ready`` gets the handle that cancels the run. A run
    that cannot start (the spec became invalid, the runner refused ``cuda`` without a GPU,
    Python could not be launched) is a ``failed`` outcome, never an exception.
    """
    from notebase.errors import UserError
    from notebase.experiments.launch import Launch
    from notebase.experiments.note_runs import RunOutcome, run_note_experiment
    from notebase.experiments.spec import find_spec  # tomllib only; torch loads in the child

    handle = RunHandle(request)
    if handle_ready is not None:
        handle_ready(handle)
    try:
        spec = find_spec(request.experiments_dir, request.experiment)
        return run_note_experiment(
            request.vault_root,
            note_file,
            spec,
            config=config,
            quick=request.quick,
            device=request.device,
            runs_dir=request.runs_dir,
            on_event=on_event,
            cancel=handle.cancelled,
            stderr=None,
            launch=Launch(nproc=request.nproc),
        )
    except UserError as exc:
        error = str(exc)
    except OSError as exc:
        error = f"could not start the runner: {exc}"
    return RunOutcome.not_started(request.experiment, request.vault_root, note_file, error)
