"""Run a note's experiments and write what they measured back into the note.

``notebase run NOTE`` (`notebase.cli.experiment_commands.run_note_command`) calls
`run_note_experiment`; the app hands a finished run's record to `write_record`. Each
experiment runs in a subprocess that prints JSON-lines events (the runner's entry point), so
a long run never holds this process's GIL and Ctrl-C / cancel reach it as SIGINT: the runner
then writes an ``interrupted`` record and the note is left exactly as it was. Only a run that
ends ``ok`` writes, through `notebase.core.note_writer`, into the note as it is on disk
at that moment.

torch is never imported here: the runner module is loaded inside the functions that start runs.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notebase.core.note_writer import WriteOutcome, write_block
from notebase.errors import UserError
from notebase.experiments.records import try_load_record
from notebase.experiments.results_markdown import render_block

EventHandler = Callable[[dict], None]
Cancel = threading.Event | Callable[[], bool] | None

INTERRUPT_GRACE_S = 15.0
"""How long a cancelled run may take to write its ``interrupted`` record after SIGINT."""


def linked_experiments(note) -> list[str]:
    """The experiments a note links: frontmatter ``experiments`` first, then those its
    questions name inline (``[[experiments/NAME]]``), in order, without duplicates."""
    names: list[str] = []
    for name in [*note.experiments, *(n for q in note.questions for n in q.experiments)]:
        if name and name not in names:
            names.append(name)
    return names


def answered_questions(note, experiment: str) -> list[int]:
    """Numbers of the note's questions that name ``experiment`` inline."""
    return [q.number for q in note.questions if experiment in q.experiments]


def choose_experiments(note, experiments_dir: Path, only: str | None = None) -> list:
    """The specs to run for a note (all it links, or the one named), checked before any run.

    Raises UserError when the note links none, does not link ``only``, or links a spec that
    does not exist; nothing has run and nothing was written at that point.
    """
    from notebase.experiments.spec import find_spec

    linked = linked_experiments(note)
    if not linked:
        raise UserError(
            f"note {note.path} links no experiment (add `experiments: [NAME]` to its "
            "frontmatter or [[experiments/NAME]] to a question)"
        )
    if only is not None:
        if only not in linked:
            raise UserError(
                f"note {note.path} does not link experiment '{only}' (it links: {', '.join(linked)})"
            )
        linked = [only]
    return [find_spec(experiments_dir, name) for name in linked]


def _is_cancelled(cancel: Cancel) -> bool:
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def stop_process(proc: subprocess.Popen, grace_s: float = INTERRUPT_GRACE_S) -> None:
    """SIGINT (the runner records ``interrupted`` and exits), then wait; SIGTERM, then SIGKILL
    only if it does not stop in time."""
    for action in (lambda: proc.send_signal(signal.SIGINT), proc.terminate, proc.kill):
        if proc.poll() is not None:
            return
        try:
            action()
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            grace_s = 5.0


def _watch_cancel(proc: subprocess.Popen, cancel: Cancel) -> threading.Thread | None:
    """A daemon thread that stops ``proc`` once ``cancel`` says so."""
    if cancel is None:
        return None

    def watch() -> None:
        while proc.poll() is None:
            if _is_cancelled(cancel):
                stop_process(proc)
                return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, name="notebase-run-cancel", daemon=True)
    thread.start()
    return thread


def event_kind(event: dict) -> str:
    """A runner event's type (``start``, ``progress``, ``result``, ``log``, ``end``,
    ``error``); ``""`` when it has none."""
    return str(event.get("event") or event.get("type") or "")


@dataclass(slots=True)
class RunEnd:
    """How one runner subprocess ended."""

    status: str
    """``ok``, ``failed`` or ``interrupted``."""
    error: str | None
    run_id: str | None
    record_path: Path | None
    record: dict | None
    """The run record as the runner left it; None when it cannot be read."""
    ended: bool
    """The runner reported its own end (else it died or was killed mid-run)."""


def run_spec(
    spec_path: Path,
    *,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path,
    on_event: EventHandler | None = None,
    cancel: Cancel = None,
    stderr=None,
) -> RunEnd:
    """Run one spec in the runner subprocess, to its end.

    The runner gets its own session: a Ctrl-C in the terminal reaches this process, and
    ``cancel`` (an Event or a callable) decides what the runner gets (one SIGINT: it records
    ``interrupted``). A KeyboardInterrupt here stops the runner too and is re-raised.
    ``on_event`` gets every runner event, on this thread; ``stderr`` goes to the runner.
    Raises UserError when the runner refuses to start (e.g. ``cuda`` without a GPU).
    """
    from notebase.experiments.runner import iter_events, start_run_process

    proc = start_run_process(
        spec_path, quick=quick, device=device, runs_dir=runs_dir, stderr=stderr,
        stdin=subprocess.DEVNULL,  # never the terminal an app is reading
        start_new_session=True,
    )
    watcher = _watch_cancel(proc, cancel)
    end: dict = {}
    refused: str | None = None
    run_id = None
    record_hint = None
    try:
        for event in iter_events(proc):
            kind = event_kind(event)
            run_id = event.get("run_id") or run_id
            record_hint = event.get("record") or record_hint
            if kind == "end":
                end = event
            elif kind == "error":
                refused = str(event.get("message") or "the run could not start")
            if on_event is not None:
                on_event(event)
        proc.wait()
    except KeyboardInterrupt:
        stop_process(proc)
        raise
    finally:
        if proc.poll() is None:
            stop_process(proc)
        if watcher is not None:
            watcher.join(timeout=1.0)

    if not end and (refused is not None or proc.returncode == 2):
        raise UserError(refused or "the experiment runner rejected its arguments")
    record_path = end.get("record") or record_hint
    record_path = Path(record_path) if record_path else None
    record = try_load_record(record_path)
    status = end.get("status")
    if status is None:  # no end event: the runner died (or was killed) mid-run
        status = "interrupted" if _is_cancelled(cancel) else "failed"
    error = end.get("error") or (record or {}).get("error")
    if status != "ok" and not error:
        error = (
            "cancelled" if _is_cancelled(cancel) else f"the runner exited with code {proc.returncode}"
        )
    run_id = end.get("run_id") or run_id or (record or {}).get("run_id")
    return RunEnd(status, error, run_id, record_path, record, ended=bool(end))


def run_note_experiment(
    vault_root: Path,
    note_path: Path,
    spec,
    *,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path | None = None,
    on_event: EventHandler | None = None,
    cancel: Cancel = None,
    config=None,
    stderr=None,
) -> WriteOutcome:
    """Run one experiment for one note (`run_spec`) and write its results back.

    ``note_path`` is the note's file (absolute, or relative to the working folder). A
    cancelled run leaves the note untouched: the outcome says ``not-written`` with
    ``run_status='interrupted'``. ``config`` is the vault's `VaultConfig` (loaded from
    ``vault_root`` when None). ``on_event``, ``cancel`` and ``stderr`` are `run_spec`'s.
    Raises UserError when the runner refuses to start (e.g. ``cuda`` without a GPU).
    """
    vault_root = Path(vault_root)
    note_file = Path(note_path)
    if not note_file.is_absolute() and not note_file.exists():
        note_file = vault_root / note_file
    runs_dir = Path(runs_dir) if runs_dir is not None else Path(spec.path).parent / "runs"
    run = run_spec(
        spec.path, quick=quick, device=device, runs_dir=runs_dir, on_event=on_event,
        cancel=cancel, stderr=stderr,
    )
    outcome = WriteOutcome(
        "not-written",
        note_file,
        reason=None,
        experiment=spec.name,
        run_id=run.run_id,
        run_status=run.status,
        run_error=run.error,
        record_path=run.record_path,
        record=run.record,
    )
    if run.status != "ok":
        what = "was interrupted" if run.status == "interrupted" else "failed"
        outcome.reason = f"the run {what}: {run.error or 'no run record'}; the note is unchanged"
        return outcome
    if run.record is None:
        outcome.reason = (
            f"the run record {run.record_path} could not be read; the note is unchanged"
        )
        return outcome
    if _is_cancelled(cancel):  # cancelled just as the run ended: cancel still means no change
        outcome.reason = "cancelled; the note is unchanged"
        return outcome
    written = write_record(vault_root, note_file, run.record, config=config)
    written.experiment, written.run_id = outcome.experiment, outcome.run_id
    written.run_status, written.record_path, written.record = (
        run.status, run.record_path, run.record
    )
    return written


def write_record(vault_root: Path, note_file: Path, record: dict, *, config=None) -> WriteOutcome:
    """Plot a finished run and write its block into the note (or its sidecar).

    The questions the block answers are read from the note as it is at write time, with the
    vault's heading settings (``config``, loaded from ``vault_root`` when None).
    """
    from notebase.config import VaultConfig
    from notebase.core.parse import parse_note
    from notebase.experiments.plot import plot_path, plot_record

    vault_root = Path(vault_root)
    config = config or VaultConfig.load(vault_root)
    experiment = str(record["experiment"])
    warnings: list[str] = []
    embed = None
    plot_file = plot_path(vault_root, experiment, str(record.get("run_id")))
    try:
        plot_record(record, plot_file)
        embed = plot_file.relative_to(vault_root).as_posix()
    except Exception as exc:  # a plot is a nicety: the numbers still get written
        warnings.append(f"no plot: {exc}")
        plot_file = None
    relative = vault_relative(vault_root, note_file)

    def make_block(data: bytes):
        try:
            answers = answered_questions(parse_note(relative, data, config), experiment)
        except Exception:  # an unreadable note: the write itself will go to the sidecar
            answers = []
        return render_block(record, answers=answers, plot_embed=embed)

    outcome = write_block(
        note_file,
        make_block,
        question_patterns=config.question_heading_patterns,
        sources_patterns=config.sources_heading_patterns,
    )
    outcome.plot = plot_file
    outcome.warnings.extend(warnings)
    return outcome


def vault_relative(vault_root: Path, path: Path) -> str:
    """``path`` relative to the vault as a POSIX string, NFC like every vault path (a file may
    be named in NFD on disk); its bare name when it lies outside."""
    try:
        relative = Path(path).resolve().relative_to(Path(vault_root).resolve()).as_posix()
    except ValueError:
        relative = Path(path).name
    return unicodedata.normalize("NFC", relative)


# --------------------------------------------------------------------------- stale results


def stale_results(vault, experiments_dir: Path) -> list[dict[str, Any]]:
    """Results blocks whose experiment spec changed (or vanished) since their run.

    Returns ``[{note, experiment, run_id, spec_hash, current_hash, reason}]`` with ``reason``
    ``spec changed``, ``spec missing`` or ``spec invalid`` (the file no longer loads). Works
    on the parsed notes of ``vault`` (a loaded `Vault`); reads no note file and writes
    nothing. Imports no torch.
    """
    from notebase.errors import SpecError
    from notebase.experiments.spec import find_spec, spec_hash

    current: dict[str, tuple[str | None, str]] = {}
    stale = []
    for note in vault.notes.values():
        for block in note.results_blocks:
            name = block.experiment
            if name not in current:
                try:
                    current[name] = (spec_hash(find_spec(experiments_dir, name)), "spec changed")
                except SpecError:
                    exists = (Path(experiments_dir) / f"{name}.toml").is_file()
                    current[name] = (None, "spec invalid" if exists else "spec missing")
            now, reason = current[name]
            if now == block.spec_hash:
                continue
            stale.append(
                {
                    "note": note.path,
                    "experiment": name,
                    "run_id": block.run_id,
                    "spec_hash": block.spec_hash,
                    "current_hash": now,
                    "reason": reason,
                }
            )
    return stale
