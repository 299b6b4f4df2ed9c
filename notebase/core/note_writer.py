"""The one writer of notes: put a results block into a note on disk, byte-exact, or into its
sidecar. How a file is replaced (atomic, inside the vault, owner kept, concurrent edits not
lost) is `notebase.core.file_replace`, which everything notebase writes goes through.

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
  changes before our rename (or, on Linux, in the instant of it), the write starts over from
  what is there now.
- ``hash=`` in the opening marker is a digest of the block's lines. If the user edited the
  block, or a marker is broken (see `notebase.core.results_block` for the grammar,
  `notebase.core.results_edit` for the placement of a new block), nothing is guessed: the
  note is left alone and the results go to ``<note stem>.results.md`` beside it. So do notes
  that are not UTF-8, read-only notes, notes that are not regular files, and -- with
  ``vault_root`` -- notes whose real path is outside the vault.
- Results are never lost: when the sidecar cannot be written either (read-only folder, a name
  too long, a link out of the vault) they go to a file of the run's own beside the note, then
  to the caller's ``fallback`` file; the outcome says where, and why, in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from notebase.core.file_replace import (
    Moved,
    WriteRefused,
    atomic_write,
    open_place,
    read_current,
    replace,
)
from notebase.core.results_block import RenderedBlock
from notebase.core.results_edit import (
    QUESTION_HEADING_PATTERNS,
    SOURCES_HEADING_PATTERNS,
    UnsafeEdit,
    apply_block,
)
from notebase.core.vault_files import sidecar_name


@dataclass(slots=True)
class WriteOutcome:
    """Where a block went, or why it went nowhere. The run that made it is described by
    `notebase.experiments.note_runs.RunOutcome`, which holds one of these."""

    status: str
    """``written`` (into the note), ``sidecar`` (into ``<stem>.results.md``), or
    ``not-written``: nothing in the note or beside it changed -- set by the run driver when
    the run failed or was interrupted, and by the writer when neither the note nor a sidecar
    could be written (``written_to`` is then the caller's fallback file, or None)."""
    note: Path
    """The note the results were meant for."""
    written_to: Path | None = None
    """The file that now holds the block: the note, the sidecar, or None."""
    reason: str | None = None
    """Why the note itself was not written (one line), else None."""
    replaced: bool = False
    """True when an earlier block of the same experiment was replaced."""


def sidecar_path(note_file: Path) -> Path:
    """``<note stem>.results.md`` beside the note (`vault_files.sidecar_name`)."""
    return note_file.with_name(sidecar_name(note_file.stem))


def _run_file(note_file: Path, block: RenderedBlock) -> Path:
    """``<note stem>.results.<run>.md``: a file of this run's own, when the sidecar is broken."""
    return note_file.with_name(sidecar_name(note_file.stem, block.attrs.get("run", "")))


def _guarded_write(
    path: Path,
    compute: Callable[[bytes | None], bytes],
    *,
    vault_root: Path | None,
    label: str,
    attempts: int,
) -> str | None:
    """Write ``compute(the file's bytes now, or None)`` into ``path`` (`file_replace.replace`),
    starting over when the file changes meanwhile. ``compute`` may raise UnsafeEdit or
    WriteRefused. Returns None when written, else why not (one line)."""
    busy = False
    for _ in range(attempts):
        try:
            with open_place(path, vault_root, label=label) as place:
                current = read_current(place)
                try:
                    data = compute(None if current is None else current.data)
                    if replace(place, data, current):
                        return None
                    busy = place.busy
                finally:
                    if current is not None:
                        current.close()
        except Moved:
            continue
        except (UnsafeEdit, WriteRefused) as refusal:
            return str(refusal)
    if busy:
        return f"another program kept {label} open for writing"
    return f"{label} kept changing while the results were being written"


def _with_header(note_file: Path, block: RenderedBlock, reason: str) -> bytes:
    header = (
        f"# Results for {note_file.stem}\n\n"
        f"notebase could not write these results into `{note_file.name}`: {reason}.\n"
        "Move the block into the note by hand, or fix the note and run again.\n\n"
    )
    return (header + "\n".join(block.lines()) + "\n").encode("utf-8")


def write_sidecar(
    note_file: Path, block: RenderedBlock, reason: str, *, vault_root: Path | None = None
) -> tuple[Path, bool]:
    """Put the block into the note's sidecar (replacing that experiment's block there); when
    the sidecar is broken, into a file of this run's own.

    Returns (the file written, replaced?). Raises WriteRefused when neither can be written."""
    sidecar = sidecar_path(note_file)
    replaced = False

    def into_sidecar(existing: bytes | None) -> bytes:
        nonlocal replaced
        if existing is None:
            return _with_header(note_file, block, reason)
        data, replaced = apply_block(existing, block)
        return data

    why = _guarded_write(
        sidecar, into_sidecar, vault_root=vault_root, label="the sidecar", attempts=3
    )
    if why is None:
        return sidecar, replaced
    own, label = _run_file(note_file, block), "the run's results file"
    again = _guarded_write(
        own,
        lambda _: _with_header(note_file, block, reason),
        vault_root=vault_root,
        label=label,
        attempts=3,
    )
    if again is None:
        return own, False
    same = again.replace(label, "the sidecar") == why  # e.g. both in a read-only folder
    raise WriteRefused(why if same else f"{why}; {again}")


def _loose_read(note_file: Path) -> bytes:
    """The note's bytes for the block's answers when the writer could not read it itself
    (e.g. a link out of the vault: read, never written); empty when that fails too."""
    try:
        return note_file.read_bytes() if note_file.is_file() else b""
    except OSError:
        return b""


def write_block(
    note_file: Path,
    make_block: Callable[[bytes], RenderedBlock],
    *,
    question_patterns: Iterable[str] = QUESTION_HEADING_PATTERNS,
    sources_patterns: Iterable[str] = SOURCES_HEADING_PATTERNS,
    attempts: int = 5,
    vault_root: Path | None = None,
    fallback: Path | None = None,
) -> WriteOutcome:
    """Write a block into the note as it is on disk now, or into its sidecar.

    ``make_block`` gets the note's current bytes (so it can read which questions the block
    answers from the text as it is at write time). If the note changes before our rename, the
    write is redone on the new bytes (up to ``attempts`` times). With ``vault_root``, nothing
    is written outside that folder. When neither the note nor a sidecar can be written, the
    block goes to ``fallback`` (e.g. beside the run record) when given; the outcome is then
    ``not-written`` and its reason says where the block is.
    """
    block: RenderedBlock | None = None
    replaced = False

    def into_note(data: bytes | None) -> bytes:
        nonlocal block, replaced
        if data is None:
            raise WriteRefused("the note no longer exists")
        block = make_block(data)
        new_data, replaced = apply_block(
            data, block, question_patterns=question_patterns, sources_patterns=sources_patterns
        )
        return new_data

    reason = _guarded_write(
        note_file, into_note, vault_root=vault_root, label="the note", attempts=attempts
    )
    if reason is None:
        return WriteOutcome("written", note_file, written_to=note_file, replaced=replaced)
    if block is None:  # refused before the note could be read
        block = make_block(_loose_read(note_file))
    try:
        sidecar, replaced = write_sidecar(note_file, block, reason, vault_root=vault_root)
        return WriteOutcome(
            "sidecar", note_file, written_to=sidecar, reason=reason, replaced=replaced
        )
    except WriteRefused as refusal:
        reason = f"{reason}; no sidecar either: {refusal}"
    if fallback is not None:
        try:
            atomic_write(
                fallback, _with_header(note_file, block, reason), label="the fallback file"
            )
            return WriteOutcome(
                "not-written",
                note_file,
                written_to=fallback,
                reason=f"{reason}; the results block is in {fallback}",
            )
        except WriteRefused as refusal:
            reason = f"{reason}; {refusal}"
    return WriteOutcome("not-written", note_file, reason=reason)
