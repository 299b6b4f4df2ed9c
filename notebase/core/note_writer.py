"""The one writer of notes: put a results block into a note on disk, byte-exact, or into its
sidecar; and the atomic file replace everything notebase writes goes through.

Guarantees (each one tested byte for byte):

- Every byte outside the block stays as it was; the frontmatter is never re-serialised.
- The block is made of whole lines and carries its own blank separator lines, so deleting the
  lines from the opening to the closing marker (as an editor does) gives back the note exactly
  as it was before the first run -- also for a note without a final newline: then the newline
  that ends the note's old last line comes with the block, and an editor deleting the block's
  last lines deletes it too.
- Line endings follow the note (CRLF stays CRLF), a UTF-8 BOM stays.
- A new run of the same experiment replaces its block in place (keeping its indentation);
  other blocks stay.
- The note is read at write time, not at run start, so edits made during a run survive; if it
  changes between our read and our rename, the write starts over from what is there now.
- ``hash=`` in the opening marker is a digest of the block's lines. If the user edited the
  block, or a marker is broken (see `notebase.core.results_block` for the grammar,
  `notebase.core.results_edit` for the placement of a new block), nothing is guessed: the note is left alone and the results go to
  ``<note stem>.results.md`` beside it. So do notes that are not UTF-8.
- Writes are atomic: a temporary file in the same folder, flushed and fsynced, then
  ``os.replace``; the file mode is kept, a symlinked note stays a link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from notebase.core.results_block import RenderedBlock
from notebase.core.results_edit import (
    QUESTION_HEADING_PATTERNS,
    SOURCES_HEADING_PATTERNS,
    UnsafeEdit,
    apply_block,
)


@dataclass(slots=True)
class WriteOutcome:
    """Where a run's results went, or why they went nowhere.

    The fields after ``replaced`` are filled in by the run driver
    (`notebase.experiments.note_runs`), not by the writer."""

    status: str
    """``written`` (into the note), ``sidecar`` (into ``<stem>.results.md``), or
    ``not-written`` (the run failed or was interrupted; nothing changed)."""
    note: Path
    """The note the results were meant for."""
    written_to: Path | None = None
    """The file that now holds the block: the note, the sidecar, or None."""
    reason: str | None = None
    """Why the note itself was not written (one line), else None."""
    replaced: bool = False
    """True when an earlier block of the same experiment was replaced."""
    plot: Path | None = None
    """The PNG embedded in the block, when one was made."""
    warnings: list[str] = field(default_factory=list)
    """Things that went wrong without stopping the write (e.g. the plot could not be drawn)."""
    experiment: str | None = None
    """The experiment that ran."""
    run_id: str | None = None
    """The run's id, when the runner got far enough to give one."""
    run_status: str | None = None
    """The run's status: ``ok``, ``failed`` or ``interrupted``."""
    run_error: str | None = None
    """Why the run failed, from its record."""
    record_path: Path | None = None
    """The run record (``experiments/runs/<run_id>.json``)."""
    record: dict | None = None
    """The run record itself (results rows under ``results``)."""


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path``'s content atomically (same-folder temp file, fsync, rename), keeping
    its mode; a symlinked note keeps its link and the target is replaced."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable; not every file system lets a folder be opened
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def sidecar_path(note_file: Path) -> Path:
    """``<note stem>.results.md`` beside the note."""
    return note_file.with_name(note_file.stem + ".results.md")


def write_sidecar(note_file: Path, block: RenderedBlock, reason: str) -> tuple[Path, bool]:
    """Put the block into the note's sidecar (replacing that experiment's block there).

    Returns (the file written, replaced?)."""
    sidecar = sidecar_path(note_file)
    try:
        existing = sidecar.read_bytes()
    except FileNotFoundError:
        existing = None
    if existing is not None:
        try:
            data, replaced = apply_block(existing, block)
            atomic_write(sidecar, data)
            return sidecar, replaced
        except UnsafeEdit:
            # The sidecar is broken too: a file of its own for this run loses nothing.
            sidecar = note_file.with_name(
                f"{note_file.stem}.results.{block.attrs.get('run', 'run')}.md"
            )
    header = (
        f"# Results for {note_file.stem}\n\n"
        f"notebase could not write these results into `{note_file.name}`: {reason}.\n"
        "Move the block into the note by hand, or fix the note and run again.\n\n"
    )
    body = header + "\n".join(block.lines()) + "\n"
    atomic_write(sidecar, body.encode("utf-8"))
    return sidecar, False


def write_block(
    note_file: Path,
    make_block: Callable[[bytes], RenderedBlock],
    *,
    question_patterns: Iterable[str] = QUESTION_HEADING_PATTERNS,
    sources_patterns: Iterable[str] = SOURCES_HEADING_PATTERNS,
    attempts: int = 3,
) -> WriteOutcome:
    """Write a block into the note as it is on disk now, or into its sidecar.

    ``make_block`` gets the note's current bytes (so it can read which questions the block
    answers from the text as it is at write time). If the note changes between our read and
    our rename, the write is redone on the new bytes (up to ``attempts`` times).
    """
    reason = None
    block = None
    for _ in range(attempts):
        try:
            data = note_file.read_bytes()
        except FileNotFoundError:
            block = make_block(b"")
            reason = "the note no longer exists"
            break
        block = make_block(data)
        try:
            new_data, replaced = apply_block(
                data,
                block,
                question_patterns=question_patterns,
                sources_patterns=sources_patterns,
            )
        except UnsafeEdit as exc:
            reason = str(exc)
            break
        try:
            unchanged = note_file.read_bytes() == data
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            continue  # edited while we computed: start over from what is there now
        atomic_write(note_file, new_data)
        return WriteOutcome("written", note_file, written_to=note_file, replaced=replaced)
    else:
        reason = "the note kept changing while the results were being written"
    assert block is not None
    sidecar, replaced = write_sidecar(note_file, block, reason)
    return WriteOutcome("sidecar", note_file, written_to=sidecar, reason=reason, replaced=replaced)
