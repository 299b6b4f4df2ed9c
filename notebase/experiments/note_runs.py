"""Run a note's experiments and write what they measured back into the note: the one driver
(`run_note_experiment`) of ``notebase run NOTE`` and of the app's ``r``, and the one outcome
type (`RunOutcome`) both report from.

Each experiment runs in a subprocess that prints JSON-lines events
(`notebase.experiments.run_process.run_spec`), so a long run never holds this process's
GIL and Ctrl-C / cancel reach it as SIGINT: the runner then writes an ``interrupted`` record
and the note is left exactly as it was. Only a run that ends ``ok`` writes, through
`notebase.core.note_writer`, into the note as it is on disk at that moment, with the
vault's heading settings.

torch is never imported here: the runner module is loaded inside the functions that start runs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from notebase.core.note_writer import WriteOutcome, write_block
from notebase.core.vault_files import sidecar_name
from notebase.errors import UserError
from notebase.experiments.launch import ONE, Launch
from notebase.experiments.results_markdown import render_block
from notebase.experiments.run_process import (
    PROCESS_STDERR,
    Cancel,
    EventHandler,
    is_cancelled,
    run_spec,
)


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


@dataclass(slots=True)
class RunOutcome:
    """How one run of a note's experiment ended and where its results went: the run's facts,
    the write's (``write``), and `message`, the one wording of both for people (the CLI's
    text output and the app's notification)."""

    experiment: str
    note_path: str
    """The note, vault-relative (NFC), as people name it."""
    vault_root: Path
    status: str
    """The run's: ``ok``, ``failed`` or ``interrupted``."""
    write: WriteOutcome
    """Where the block went (``written``, ``sidecar``), or why nowhere (``not-written``)."""
    run_id: str | None = None
    """The run's id, when the runner got far enough to give one."""
    error: str | None = None
    """Why the run failed or stopped: its record's error, or a crashed runner's last line."""
    record_path: Path | None = None
    """The run record (``<experiments>/runs/<run_id>.json``)."""
    record: dict | None = None
    """The run record itself (results rows under ``results``)."""
    plot: Path | None = None
    """The PNG embedded in the block, when one was made."""
    warnings: list[str] = field(default_factory=list)
    """What went wrong without stopping the write (e.g. the plot could not be drawn)."""
    cancelled: bool = False
    """The caller asked the run to stop (Ctrl-C in the CLI, x in the app): nothing is
    written, even when the run had just ended ``ok``."""
    quick: bool = False
    """A ``--quick`` run: a preview that never touches the note (its rows are in the record
    and in what the CLI and the app show)."""
    replaced_saved: Path | None = None
    """Where the block this run replaced was saved (``<runs>/<run_id>.replaced.md``)."""

    @classmethod
    def not_started(
        cls, experiment: str, vault_root: Path, note_file: Path, error: str
    ) -> RunOutcome:
        """A run that could not start (the runner refused, or could not be launched)."""
        return cls(
            experiment,
            vault_relative(vault_root, note_file),
            Path(vault_root),
            "failed",
            WriteOutcome("not-written", Path(note_file), reason=_unchanged("failed", error)),
            error=error,
        )

    @property
    def ending(self) -> str:
        """How it ended, in one word: ``written``, ``sidecar`` (the run was ok), ``preview``
        (a quick run ok: the note is unchanged), ``cancelled``,
        ``interrupted`` (by someone else), ``failed``, or ``not-written`` (ok, but its
        results could not be written)."""
        if self.write.status in ("written", "sidecar"):
            return self.write.status
        if self.quick and self.status == "ok" and not self.cancelled:
            return "preview"
        if self.cancelled:
            return "cancelled"
        if self.status in ("interrupted", "failed"):
            return self.status
        return "not-written"

    def message(self) -> str:
        """One line for a person: what ran, how it ended, where the results are."""
        run = f"run {self.run_id}" if self.run_id else "the run"
        ending = self.ending
        if ending == "written":
            verb = "replaced the results block in" if self.write.replaced else "wrote results into"
            text = f"{run} ok, {verb} {self.note_path}"
            if self.replaced_saved is not None:
                text += f" (the block it replaced is saved in {self.replaced_saved})"
        elif ending == "preview":
            text = (
                f"quick {run} ok (a preview: it answers nothing); {self.note_path} is unchanged"
                f"; its rows are in {self.record_path}"
            )
        elif ending == "sidecar":
            written_to = vault_relative(self.vault_root, self.write.written_to)
            text = (
                f"{run} ok, but the note was left alone ({self.write.reason}); "
                f"results are in {written_to}"
            )
        elif ending in ("failed", "cancelled", "interrupted"):
            why = "" if self.error in (None, "cancelled") else f": {self.error}"
            text = f"{run} {ending}{why}; {self.note_path} is unchanged"
        else:
            text = f"{run} ok, but its results were not written: {self.write.reason}"
        record = str(self.record_path) if self.record_path is not None else None
        if ending in ("failed", "not-written") and record and record not in text:
            text += f" (run record: {record})"
        if self.warnings:
            text += f" ({'; '.join(self.warnings)})"
        return f"{self.experiment}: {text}"


def _unchanged(status: str, error: str | None) -> str:
    what = "was interrupted" if status == "interrupted" else "failed"
    return f"the run {what}: {error or 'no run record'}; the note is unchanged"


def run_note_experiment(
    vault_root: Path,
    note_file: Path,
    spec,
    *,
    config,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path | None = None,
    on_event: EventHandler | None = None,
    cancel: Cancel = None,
    stderr: IO[str] | None = PROCESS_STDERR,
    launch: Launch = ONE,
) -> RunOutcome:
    """Run one experiment for one note (`run_spec`) and write its results back: the one
    driver of ``notebase run NOTE`` and of the app's ``r``.

    ``note_file`` is the note's real file (`Vault.file_path`: macOS names it in NFD);
    ``config`` the vault's `VaultConfig` (its question and sources headings place the block
    and decide which questions it answers). A failed or cancelled run leaves the note
    untouched: the outcome's write is ``not-written``. ``on_event``, ``cancel`` and
    ``stderr`` are `run_spec`'s (the CLI shows the runner's stderr, the app passes None).
    Raises UserError when the runner refuses to start (e.g. ``cuda`` without a GPU).
    """
    vault_root = Path(vault_root)
    note_file = Path(note_file)
    runs_dir = Path(runs_dir) if runs_dir is not None else Path(spec.path).parent / "runs"
    run = run_spec(
        spec.path, quick=quick, device=device, runs_dir=runs_dir, on_event=on_event,
        cancel=cancel, stderr=stderr, launch=launch,
    )
    outcome = RunOutcome(
        spec.name,
        vault_relative(vault_root, note_file),
        vault_root,
        run.status,
        WriteOutcome("not-written", note_file),
        run_id=run.run_id,
        error=run.error,
        record_path=run.record_path,
        record=run.record,
        cancelled=is_cancelled(cancel),
        quick=quick,
    )
    if run.status != "ok":
        outcome.write.reason = _unchanged(run.status, run.error)
    elif run.record is None:
        outcome.write.reason = (
            f"the run record {run.record_path} could not be read; the note is unchanged"
        )
    elif outcome.cancelled:  # cancelled just as the run ended: cancel still means no change
        outcome.write.reason = "cancelled; the note is unchanged"
    elif quick or run.record.get("quick"):  # a preview never replaces or answers anything
        outcome.write.reason = "a quick run is a preview; the note is unchanged"
    else:
        try:
            outcome.write, outcome.plot, outcome.warnings = write_record(
                vault_root, note_file, run.record, config, record_path=run.record_path
            )
            outcome.replaced_saved = replaced_path(run.record_path, outcome.record)
        except OSError as exc:  # a read-only folder, a full disk: the record stays on disk
            outcome.write.reason = f"could not write: {exc}; the note is unchanged"
    return outcome


def write_record(
    vault_root: Path, note_file: Path, record: dict, config, *, record_path: Path | None = None
) -> tuple[WriteOutcome, Path | None, list[str]]:
    """Plot a finished run and write its block into the note (or its sidecar).

    The questions the block answers are read from the note as it is at write time, with the
    vault's heading settings (``config``, a `VaultConfig`), and so is the findings'
    language. A block of this experiment that the new one replaces is first kept, byte for
    byte, beside the run record (``record_path``) as ``<run_id>.replaced.md``: nothing
    published vanishes. Nothing is written outside the vault; when neither the note nor its
    sidecar can take the block, it goes beside the run record as ``<run_id>.results.md``.
    Returns where the block went, the plot (None when it could not be drawn) and the
    warnings (why not).
    """
    from notebase.core.parse import parse_note
    from notebase.core.results_edit import find_blocks
    from notebase.experiments.finding_text import language_of
    from notebase.experiments.plot import plot_path, plot_record

    vault_root = Path(vault_root)
    experiment = str(record["experiment"])
    warnings: list[str] = []
    embed = None
    try:  # a hand-edited record's bad name or run id is "no plot", not a crash
        plot_file = plot_path(vault_root, experiment, str(record.get("run_id")))
        plot_record(record, plot_file, vault_root=vault_root)
        embed = plot_file.relative_to(vault_root).as_posix()
    except Exception as exc:  # a plot is a nicety: the numbers still get written
        warnings.append(f"no plot: {exc}")
        plot_file = None
    relative = vault_relative(vault_root, note_file)
    old_block: list[bytes] = []

    def make_block(data: bytes):
        # The findings speak the note's language (`finding_text.language_of`); the block
        # this one replaces is kept to be saved (nothing published vanishes).
        old_block.clear()
        try:
            answers = answered_questions(parse_note(relative, data, config), experiment)
            language = language_of(data.decode("utf-8-sig"))
            lines = data.splitlines(keepends=True)
            old_block.extend(
                b"".join(lines[found.start : found.end + 1])
                for found in find_blocks(data) if found.experiment == experiment
            )
        except Exception:  # an unreadable note: the write itself will go to the sidecar
            answers, language = [], "en"
        return render_block(record, answers=answers, plot_embed=embed, language=language)

    written = write_block(
        note_file,
        make_block,
        question_patterns=config.question_heading_patterns,
        sources_patterns=config.sources_heading_patterns,
        vault_root=vault_root,
        fallback=(
            record_path.with_name(sidecar_name(record_path.stem)) if record_path else None
        ),
    )
    if written.replaced and written.status == "written" and old_block and record_path:
        saved = Path(record_path).with_name(f"{record.get('run_id')}.replaced.md")
        _save_replaced(saved, relative, old_block[0], warnings)
    return written, plot_file, warnings


def replaced_path(record_path: Path | None, record: dict | None) -> Path | None:
    """``<runs>/<run_id>.replaced.md``, where a run keeps the block it replaced; None when
    this run replaced none."""
    if record_path is None or record is None:
        return None
    path = Path(record_path).with_name(f"{record.get('run_id')}.replaced.md")
    return path if path.is_file() else None


def _save_replaced(path: Path, note: str, block: bytes, warnings: list[str]) -> None:
    """Keep a replaced block, byte for byte, beside the run record that replaced it."""
    header = (
        f"<!-- the results block of {note} that this run replaced; paste it back into the "
        "note to restore it -->\n"
    ).encode()
    try:
        path.write_bytes(header + block)
    except OSError as exc:
        warnings.append(f"the replaced block could not be saved: {exc}")


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
