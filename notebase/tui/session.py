"""What the app knows about the vault: the loaded notes, the search index, the experiments.

The app's screens ask this object, never the core or the index directly, so that the
threading rule lives in one place: the vault and the index are loaded, refreshed and
updated in worker threads, and every read or write of them holds ``lock``.

Imports no Textual and no torch. The core, the index (whoosh) and the spec reader are
imported inside the methods that need them, so importing the app stays cheap.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebase.experiments.results_table import block_rows

# From this many notes on, a missing index is built by a subprocess (see open_index).
SUBPROCESS_BUILD_MIN_NOTES = 1000

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.core.note import Note, Question


@dataclass(slots=True)
class NoteRow:
    """One line of the note list."""

    path: str
    """Vault-relative path of the note."""
    title: str
    tags: list[str]
    valid: bool = True
    """False for a note that could not be read (broken YAML, not UTF-8)."""


@dataclass(slots=True)
class SearchResult:
    """One search hit as the app shows it."""

    path: str
    title: str
    score: float = 0.0
    snippet: str = ""


@dataclass(slots=True)
class QuestionRow:
    """One question of the vault-wide questions view."""

    note_path: str
    note_title: str
    number: int
    text: str
    status: str
    """``open`` or ``answered``."""
    experiments: list[str] = field(default_factory=list)
    answered_by: str | None = None
    """Run id of the results block that answers it."""
    answered_experiment: str | None = None
    """The experiment of that results block, when the note names it."""


@dataclass(slots=True)
class ExperimentSummary:
    """A linked experiment of a note, with what the last run wrote (when it can be read)."""

    name: str
    spec_path: Path | None
    """The spec file; None when no spec of that name exists."""
    run_id: str | None = None
    """Run id of the note's results block for this experiment, if any."""
    results: list[dict] = field(default_factory=list)
    """The sweep results of that run's record (``experiments/runs/<run_id>.json``), if found."""
    status: str | None = None
    """The record's status (``ok``, ``failed``, ``interrupted``), if found."""


class VaultSession:
    """The vault, its search index and the experiments folder, shared by all screens."""

    def __init__(self, vault_root: Path, experiments_dir: Path, *, use_cache: bool = True):
        self.vault_root = Path(vault_root)
        self.experiments_dir = Path(experiments_dir)
        self.use_cache = use_cache
        self.vault: Any = None
        self.index: Any = None
        self.index_error: str | None = None
        self.index_messages: list[str] = []
        """One-line notices of the index (a rebuild, a wait for another process's lock)."""
        self.lock = threading.RLock()
        """Held while the vault is read or changed."""
        self.index_lock = threading.Lock()
        """Held while the index updates (a first build of a big vault takes a while) or
        answers; a search that finds it busy scans the notes instead of waiting."""

    # --- loading (worker threads) -------------------------------------------------

    def load(self) -> list[tuple[str, str]]:
        """Load the vault (cache allowed); returns ``[(path, error)]`` of the invalid notes."""
        from notebase.core.vault import Vault  # parsing stack: kept off the import path

        vault = Vault.load(self.vault_root, use_cache=self.use_cache)
        # The notes live as long as the app: keep the collector from walking them again and
        # again (a full collection over 10,000 notes' objects costs ~0.2 s).
        gc.freeze()
        with self.lock:
            self.vault = vault
        return self.invalid_notes()

    def open_index(self) -> str | None:
        """Open the persisted search index and bring it up to date; returns an error or None.

        When the index cannot be opened the app still searches, with a plain scan of the
        loaded notes (see ``search``).
        """
        try:
            from notebase.index import index_folder, open_index  # imports whoosh: only here

            if not index_folder(self.vault_root).exists() and len(self.vault.notes) >= (
                SUBPROCESS_BUILD_MIN_NOTES
            ):
                self._build_index_in_subprocess()
            # Notices (rebuilding, waiting for a lock) must not print over the screen.
            index = open_index(
                self.vault_root,
                getattr(self.vault, "config", None),
                on_message=self.index_messages.append,
            )
            with self.index_lock:
                index.update(parsed=self.vault.parsed_note)
            self.index = index
            self.index_error = None
        except Exception as exc:  # the app must keep working without its index
            self.index_error = f"search index unavailable ({exc}); using a plain scan"
        return self.index_error

    def _build_index_in_subprocess(self) -> None:
        """First build of a big vault's index: ``notebase index`` in its own process.

        whoosh is pure Python; building 10,000 notes takes a minute and would hold this
        process's GIL against the UI all that time. If it fails, ``update()`` does the work.
        """
        command = [sys.executable, "-m", "notebase", "--vault", str(self.vault_root), "index"]
        command.append("--json")  # no progress bar on a terminal the app owns
        try:
            subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL, timeout=3600)
        except (OSError, subprocess.SubprocessError) as exc:
            self.index_messages.append(f"index build in a subprocess failed: {exc}")

    def refresh(self) -> list[str]:
        """Re-read notes changed on disk; re-index them. Returns the changed paths."""
        with self.lock:
            if self.vault is None:
                return []
            changed = list(self.vault.refresh() or [])
        if changed and self.index is not None:
            with self.index_lock:
                try:
                    self.index.update_paths(changed, parsed=self.vault.parsed_note)
                except Exception as exc:  # keep browsing; search falls back to a scan
                    self.index_error = f"search index update failed ({exc})"
                    self.index = None
        return changed

    def close(self) -> None:
        with self.index_lock:
            if self.index is not None:
                try:
                    self.index.close()
                finally:
                    self.index = None

    # --- reading (UI thread) -------------------------------------------------------
    # Cheap reads take no lock, so that moving through the list never waits for a refresh
    # of a big vault (~0.5 s at 10,000 notes): a dict lookup, or copying a dict's values
    # with list(), happens within one C call under the GIL and cannot see a half-done
    # change. Reads that walk the notes in Python (tags, questions) take the lock.

    def _notes(self) -> list[Note]:
        vault = self.vault
        return [] if vault is None else list(vault.notes.values())

    def note_count(self) -> int:
        vault = self.vault
        return 0 if vault is None else len(vault.notes)

    def note_file(self, path: str) -> Path | None:
        """The note's file on disk (its real name), None before the vault is loaded."""
        vault = self.vault
        return None if vault is None else vault.file_path(path)

    def note(self, path: str) -> Note | None:
        vault = self.vault
        return None if vault is None else vault.notes.get(path)

    def invalid_notes(self) -> list[tuple[str, str]]:
        return [
            (note.path, "; ".join(note.errors) or "invalid")
            for note in self._notes()
            if not note.valid
        ]

    def rows(self, tag: str | None = None) -> list[NoteRow]:
        """The note list, sorted by title; only notes carrying ``tag`` (or a child) when given."""
        if tag is None:
            notes = self._notes()
        else:
            with self.lock:
                notes = list(self.vault.notes_with_tag(tag)) if self.vault is not None else []
        rows = [NoteRow(n.path, n.title or n.path, list(n.tags), n.valid) for n in notes]
        rows.sort(key=lambda row: (row.title.casefold(), row.path))
        return rows

    def tag_counts(self) -> list[tuple[str, int]]:
        with self.lock:
            if self.vault is None:
                return []
            return sorted(self.vault.tag_counts())

    def backlinks(self, path: str) -> list[str]:
        vault = self.vault
        return [] if vault is None else sorted(vault.backlinks(path))

    def title_of(self, path: str) -> str:
        note = self.note(path)
        return note.title if note is not None and note.title else path

    def find(self, ref: str) -> str | None:
        """A note path for a reference as a user writes it (path, name, title, alias)."""
        with self.lock:
            if self.vault is None:
                return None
            try:
                return self.vault.find(ref).path
            except Exception:  # NoteError: none or several
                return None

    def questions(self) -> list[QuestionRow]:
        """Every question of the vault, grouped by note (note title order), open and answered."""
        with self.lock:
            if self.vault is None:
                return []
            pairs = list(self.vault.questions(open_only=False))
        rows = [_question_row(note, question) for note, question in pairs]
        rows.sort(key=lambda row: (row.note_title.casefold(), row.note_path, row.number))
        return rows

    def search(self, query: str, limit: int = 50) -> list[SearchResult]:
        """Search with the index (same engine as the CLI); a plain scan while it is busy
        or missing. A query the index cannot read raises ``UserError``."""
        from notebase.errors import UserError

        query = query.strip()
        if not query:
            return []
        index = self.index
        if index is not None and self.index_lock.acquire(blocking=False):
            try:
                hits = index.search(query, limit=limit)
                return [SearchResult(h.path, h.title, float(h.score), h.snippet) for h in hits]
            except UserError:
                raise
            except Exception as exc:  # a broken index must not take the app down
                self.index_error = f"search failed ({exc}); using a plain scan"
            finally:
                self.index_lock.release()
        return self._scan(query, limit)

    def _scan(self, query: str, limit: int) -> list[SearchResult]:
        """Substring search over titles, tags and bodies: the fallback without an index."""
        tags = [w[4:] for w in query.split() if w.startswith("tag:")]
        words = [w.casefold() for w in query.split() if not w.startswith("tag:")]
        vault = self.vault
        if vault is None:
            return []
        notes = list(vault.notes.values())
        for tag in tags:  # the vault's own tag rule (nested tags, case, NFC)
            with self.lock:
                tagged = {note.path for note in vault.notes_with_tag(tag)}
            notes = [note for note in notes if note.path in tagged]
        results = []
        for note in notes:
            haystack = f"{note.title}\n{note.body}".casefold()
            if all(w in haystack for w in words):
                score = sum(w in note.title.casefold() for w in words) + 1.0
                results.append(SearchResult(note.path, note.title, score, ""))
        results.sort(key=lambda r: (-r.score, r.title))
        return results[:limit]

    # --- experiments ------------------------------------------------------------------

    def linked_experiments(self, note: Note) -> list[str]:
        """The note's experiments as ``notebase run`` sees them (frontmatter, then questions)."""
        from notebase.experiments.note_runs import linked_experiments  # no torch

        return linked_experiments(note)

    def find_spec(self, name: str) -> tuple[Path | None, str | None]:
        """The spec file of an experiment name, or None and why (unknown, invalid)."""
        from notebase.experiments.spec import find_spec  # tomllib only, no torch

        try:
            return Path(find_spec(self.experiments_dir, name).path), None
        except Exception as exc:  # SpecError: unknown name, or a spec that does not validate
            return None, str(exc)

    def spec_path(self, name: str) -> Path | None:
        return self.find_spec(name)[0]

    def experiment_summaries(self, note: Note) -> list[ExperimentSummary]:
        summaries = []
        blocks = {block.experiment: block for block in note.results_blocks}
        for name in self.linked_experiments(note):
            block = blocks.get(name)
            summary = ExperimentSummary(name, self.spec_path(name))
            if block is not None:
                summary.run_id = block.run_id
                record = self.run_record(block.run_id)
                if record:
                    summary.results = list(record.get("results") or [])
                    summary.status = record.get("status")
                else:  # records are not committed: read the numbers from the note's table
                    summary.results = block_rows(note.body, name)
                    summary.status = (
                        "record not found; numbers from the note" if summary.results else None
                    )
            summaries.append(summary)
        return summaries

    def run_record(self, run_id: str | None) -> dict | None:
        """The JSON run record of a run id from ``<experiments>/runs/``, if readable."""
        from notebase.experiments.records import record_path, try_load_record  # no torch

        if not run_id:
            return None
        return try_load_record(record_path(self.experiments_dir / "runs", run_id))


def _question_row(note: Note, question: Question) -> QuestionRow:
    answered_experiment = None
    if question.answered_by:
        for block in note.results_blocks:
            if block.run_id == question.answered_by:
                answered_experiment = block.experiment
                break
    if answered_experiment is None and question.status == "answered":
        for block in note.results_blocks:
            if question.number in block.answers:
                answered_experiment = block.experiment
                break
    return QuestionRow(
        note_path=note.path,
        note_title=note.title or note.path,
        number=question.number,
        text=question.text,
        status=question.status,
        experiments=list(question.experiments),
        answered_by=question.answered_by,
        answered_experiment=answered_experiment,
    )
