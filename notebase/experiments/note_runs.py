"""Run a note's experiments and write what they measured back into the note.

``notebase run NOTE`` lands here (`run_note_command`); the app calls
`run_note_experiment` from a worker thread. Each experiment runs in a subprocess that prints
JSON-lines events (the runner's entry point), so a long run never holds this process's GIL
and Ctrl-C / cancel reach it as SIGINT: the runner then writes an ``interrupted`` record and
the note is left exactly as it was. Only a run that ends ``ok`` writes, through
`notebase.experiments.writeback`, into the note as it is on disk at that moment.

torch is never imported here: the runner module is loaded inside the functions that start runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from notebase.errors import UserError
from notebase.experiments.writeback import WriteOutcome, render_block, write_block

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


def _event_kind(event: dict) -> str:
    return str(event.get("event") or event.get("type") or "")


def _read_record(path: str | Path | None) -> dict | None:
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


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
    """Run one experiment for one note in a subprocess and write its results back.

    ``note_path`` is the note's file (absolute, or relative to the working folder);
    ``on_event`` gets every runner event (called on this thread); ``cancel`` (an Event or a
    callable) stops the run with SIGINT: the note is then untouched and the outcome says
    ``not-written`` with ``run_status='interrupted'``. A KeyboardInterrupt here does the same
    and is re-raised once the runner has stopped. ``config`` is the vault's `VaultConfig`
    (loaded from ``vault_root`` when None). ``stderr`` goes to the runner process (a TUI
    passes ``subprocess.DEVNULL``: tracebacks also arrive as ``log`` events).
    Raises UserError when the runner refuses to start (e.g. ``cuda`` without a GPU).
    """
    from notebase.experiments.runner import iter_events, start_run_process

    vault_root = Path(vault_root)
    note_file = Path(note_path)
    if not note_file.is_absolute() and not note_file.exists():
        note_file = vault_root / note_file
    runs_dir = Path(runs_dir) if runs_dir is not None else Path(spec.path).parent / "runs"
    # Its own session: a Ctrl-C in the terminal reaches us, and we decide what the runner gets.
    proc = start_run_process(
        spec.path,
        quick=quick,
        device=device,
        runs_dir=runs_dir,
        stderr=stderr,
        start_new_session=True,
    )
    watcher = _watch_cancel(proc, cancel)
    end: dict = {}
    refused: str | None = None
    run_id = None
    record_hint = None
    try:
        for event in iter_events(proc):
            kind = _event_kind(event)
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

    if refused is not None and not end:
        raise UserError(refused)
    record_path = end.get("record") or record_hint
    record_path = Path(record_path) if record_path else None
    record = _read_record(record_path)
    status = end.get("status")
    if status is None:  # no end event: the runner died (or was killed) mid-run
        status = "interrupted" if _is_cancelled(cancel) else "failed"
    error = end.get("error") or (record or {}).get("error")
    if status != "ok" and not error:
        error = (
            "cancelled" if _is_cancelled(cancel) else f"the runner exited with code {proc.returncode}"
        )
    outcome = WriteOutcome(
        "not-written",
        note_file,
        reason=None,
        experiment=spec.name,
        run_id=end.get("run_id") or run_id or (record or {}).get("run_id"),
        run_status=status,
        run_error=error,
        record_path=record_path,
        record=record,
    )
    if status != "ok":
        what = "was interrupted" if status == "interrupted" else "failed"
        outcome.reason = f"the run {what}: {error or 'no run record'}; the note is unchanged"
        return outcome
    if record is None:
        outcome.reason = f"the run record {record_path} could not be read; the note is unchanged"
        return outcome
    if _is_cancelled(cancel):  # cancelled just as the run ended: cancel still means no change
        outcome.reason = "cancelled; the note is unchanged"
        return outcome
    written = write_record(vault_root, note_file, record, config=config)
    written.experiment, written.run_id = outcome.experiment, outcome.run_id
    written.run_status, written.record_path, written.record = status, record_path, record
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
    relative = _vault_relative(vault_root, note_file)

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


def _vault_relative(vault_root: Path, path: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(vault_root).resolve()).as_posix()
    except ValueError:
        return Path(path).name


# --------------------------------------------------------------------------- stale results


def stale_results(vault, experiments_dir: Path) -> list[dict[str, Any]]:
    """Results blocks whose experiment spec changed (or vanished) since their run.

    Returns ``[{note, experiment, run_id, spec_hash, current_hash, reason}]`` with ``reason``
    ``spec changed``, ``spec missing`` or ``spec invalid`` (the file no longer loads). Works
    on the parsed notes; reads no note file and writes nothing. Imports no torch.
    """
    from notebase.errors import SpecError
    from notebase.experiments.spec import find_spec, spec_hash

    current: dict[str, tuple[str | None, str]] = {}
    stale = []
    for note in _vault_notes(vault):
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


def _vault_notes(vault) -> Iterable:
    notes = vault.notes
    return notes.values() if isinstance(notes, dict) else notes


# --------------------------------------------------------------------------- CLI


def _progress_printer(experiment: str) -> EventHandler:
    """Runner events for people watching a CLI run: one self-overwriting progress line on a
    terminal, a line per finished sweep point, on stderr."""
    from notebase.cli.experiment_commands import ProgressLine

    line = ProgressLine(sys.stderr)

    def show(event: dict) -> None:
        kind = _event_kind(event)
        if kind == "start":
            line.say(
                f"{experiment}: run {event.get('run_id')} on "
                f"{event.get('device_name') or event.get('device')}, {event.get('points')} points"
            )
        elif kind == "progress":
            fraction = float(event.get("fraction") or 0.0)
            line.show(
                f"{experiment}: {fraction:4.0%} {event.get('algorithm')} "
                f"iteration {event.get('iteration')}/{event.get('iterations')}"
            )
        elif kind == "result":
            row = event.get("row") or {}
            seconds = row.get("seconds_per_iteration")
            timing = f"{seconds * 1000:.2f} ms/it" if isinstance(seconds, int | float) else ""
            line.say(
                f"  {row.get('algorithm', '?'):<8} inner_steps={row.get('inner_steps', '-')!s:<3} "
                f"{timing}"
            )
        elif kind == "log" and "Traceback" in str(event.get("message")):
            line.say(str(event.get("message")).rstrip())
        elif kind == "error":
            line.say(f"{experiment}: {event.get('message')}")

    return show


def _json_run(vault_root: Path, outcome: WriteOutcome) -> dict[str, Any]:
    written_to = None
    if outcome.written_to is not None:
        written_to = _vault_relative(vault_root, outcome.written_to)
    return {
        "run_id": outcome.run_id,
        "experiment": outcome.experiment,
        "status": outcome.run_status,
        "error": outcome.run_error,
        "record": str(outcome.record_path) if outcome.record_path else None,
        "written_to": written_to,
        "write": outcome.status,
        "reason": outcome.reason,
        "plot": _vault_relative(vault_root, outcome.plot) if outcome.plot else None,
        "results": (outcome.record or {}).get("results", []),
    }


def run_note_command(args) -> int:
    """``notebase run NOTE [--experiment NAME] [--quick] [--device D] [--json]``.

    Exit 0 when every run ended ok (its results written to the note or its sidecar), 1 when
    a run failed (that note's last good block stays), 2 for a user error (nothing ran),
    130 when interrupted with Ctrl-C (the interrupted run wrote nothing).
    """
    from notebase.cli.output import print_json
    from notebase.core.vault import Vault

    vault_root = Path(args.vault)
    vault = Vault.load(vault_root)
    note = vault.find(args.note)
    if not note.valid:
        raise UserError(f"note {note.path} cannot be read: {'; '.join(note.errors)}")
    specs = choose_experiments(note, Path(args.experiments), getattr(args, "experiment", None))
    note_file = vault_root / note.path
    runs_dir = Path(args.experiments) / "runs"
    outcomes = []
    # Ctrl-C: the runner (in its own session) gets one SIGINT through `cancel`, records
    # ``interrupted``, and the note stays as it was; later experiments are not started.
    cancel = threading.Event()
    try:
        previous_handler = signal.signal(signal.SIGINT, lambda signum, frame: cancel.set())
    except ValueError:  # not the main thread: Ctrl-C is not ours to catch
        previous_handler = None
    try:
        for spec in specs:
            if cancel.is_set():
                break
            outcome = run_note_experiment(
                vault_root,
                note_file,
                spec,
                quick=bool(getattr(args, "quick", False)),
                device=getattr(args, "device", None) or "auto",
                runs_dir=runs_dir,
                on_event=_progress_printer(spec.name),
                cancel=cancel,
                config=vault.config,
            )
            outcomes.append(outcome)
            if not getattr(args, "json", False):
                _print_outcome(vault_root, outcome)
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    if getattr(args, "json", False):
        print_json({"note": note.path, "runs": [_json_run(vault_root, o) for o in outcomes]})
    if cancel.is_set():
        return 130
    return 0 if all(o.run_status == "ok" for o in outcomes) else 1


def _print_outcome(vault_root: Path, outcome: WriteOutcome) -> None:
    name = outcome.experiment
    if outcome.status == "written":
        verb = "replaced the results block in" if outcome.replaced else "wrote results into"
        print(f"{name}: run {outcome.run_id} ok, {verb} {_vault_relative(vault_root, outcome.note)}")
    elif outcome.status == "sidecar":
        print(
            f"{name}: run {outcome.run_id} ok, but the note was left alone ({outcome.reason}); "
            f"results are in {_vault_relative(vault_root, outcome.written_to)}"
        )
    else:
        print(f"{name}: {outcome.reason}", file=sys.stderr)
        if outcome.record_path:
            print(f"{name}: run record: {outcome.record_path}", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"{name}: {warning}", file=sys.stderr)

