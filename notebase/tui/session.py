"""The app's one door to the vault, the search index and the experiments folder.

Screens get view data (``notebase.tui.views``) from here: rows, a note's page, listings,
updates; never a core ``Note``, the ``Vault`` or the index.

Threads. The UI thread calls ``has_note``, ``index_state`` and ``linked_experiments``:
they answer from memory (an attribute or one dict lookup, atomic under the GIL), take no
lock and touch no file, so the UI never waits on a worker. The one exception is
``find_spec`` when a run starts (a key press, not a preview): it lists the experiments
folder and may read the spec. Every other method is for worker threads: it may read files
(notes, specs, run records, the index) and holds ``_lock`` while it reads or changes the
vault, so that no reader sees a change half done (committing a change resolves links in
place). The index has its own ``_index_lock``, held while it updates or answers; a search
waits for an update.

Imports no Textual and no torch; the core parser, whoosh and the spec reader are imported
inside the methods that need them, so importing the app stays cheap. Over 400 lines because
it is the app's only door to the index and experiments (an import-linter contract): what
reads their files (spec and record caches, the index's opening) has to live here.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebase.experiments.results_table import block_rows
from notebase.tui.views import (
    CitedWork,
    ExperimentSummary,
    Listing,
    MentionRow,
    NotePage,
    NoteRow,
    QuestionRow,
    SearchResult,
    SearchResults,
    SwitchTarget,
    VaultUpdate,
    note_page,
    note_row,
    question_row,
    sidecar_page,
)

# Unlinked mentions read at most (the side panel lists them; reading stops past this many).
MENTIONS_LIMIT = 200

# From this many notes on, a missing index is built by a subprocess (see open_index).
SUBPROCESS_BUILD_MIN_NOTES = 1000

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.core.note import Note


class SearchUnavailable(Exception):
    """The index cannot answer yet (still opening) or at all; the message says which."""


class VaultSession:
    """The vault, its search index and the experiments folder, shared by all screens."""

    def __init__(self, vault_root: Path, experiments_dir: Path, *, use_cache: bool = True):
        self.vault_root = Path(vault_root)
        self.experiments_dir = Path(experiments_dir)
        self.use_cache = use_cache
        self.index_error: str | None = None
        self.index_messages: list[str] = []
        """One-line notices of the index (a rebuild, a wait for another process's lock)."""
        self._vault: Any = None
        self._index: Any = None
        self._index_state = "loading"
        self._lock = threading.RLock()
        """Held by workers while they read or change the vault (see the module docstring)."""
        self._index_lock = threading.Lock()
        """Held while the index updates or answers."""
        self._rows: dict[str, NoteRow] = {}
        self._sorted: list[NoteRow] = []
        """Every row by title; replaced, never changed, so a listing can share it."""
        self._generation = 0
        self._cache_dirty = False
        self._unindexed: set[str] = set()
        """Paths changed while the index was still opening."""
        self._specs = _SpecAnswers(self.experiments_dir)
        self._records = _RecordFiles(self.experiments_dir / "runs")
        self._works: tuple[tuple, Any] = ((), None)
        """``(stamp, works)``: the vault's works (`notebase.core.works`) as of that stamp."""
        self._bibliography: tuple[tuple, Any] = ((), None)
        """``((file stamp,), bibliography)``: its BibTeX file as last read."""
        self._targets: tuple[tuple, list[SwitchTarget]] = ((), [])
        """``(vault stamp, targets)``: the quick switcher's notes as of that stamp."""
        self._sidecars: dict[str, tuple[str, ...]] = {}
        """Note path -> its results sidecars (vault paths; they are no notes)."""
        self._sidecar_owner: dict[str, str] = {}
        """Sidecar path -> its note (read by ``has_note`` on the UI thread: replaced whole)."""
        self._mentions: tuple[tuple, tuple[list[MentionRow], bool]] = ((), ([], True))
        """``((path, vault stamp, limit), (rows, complete))``: the unlinked mentions last
        asked for."""

    # --- UI thread: answers from memory --------------------------------------------------

    def has_note(self, path: str) -> bool:
        """A note of the vault, or a note's results sidecar (its page is read-only)."""
        vault = self._vault
        return vault is not None and (path in vault.notes or path in self._sidecar_owner)

    @property
    def index_state(self) -> str:
        """``loading``, ``ready`` or ``unavailable`` (then ``index_error`` says why)."""
        return self._index_state

    def linked_experiments(self, page: NotePage) -> list[str]:
        """The experiments ``r`` runs for the note (frontmatter, then questions)."""
        return page.linked_experiments

    def block_opening(self, path: str, block_id: str) -> str | None:
        """The plain text of the first line of note ``path``'s block ``^block_id``, for the
        note view to find where ``[[note#^block_id]]`` lands; None when there is none. One
        parse of one note: for a click."""
        from notebase.core.note_sections import block_opening
        from notebase.core.plain_text import plain_inline

        note = self._vault.notes.get(path) if self._vault is not None else None
        opening = block_opening(note.body, block_id) if note is not None else None
        return plain_inline(opening) if opening else None

    def attachment_file(self, path: str) -> Path | None:
        """The file of attachment ``path`` (vault-relative, as a note's ``open:`` link names
        it) to hand to the system's viewer; None unless it is one of the vault's attachments
        and, symlinks followed, a file inside the vault. Also where image previews are read
        (`notebase.tui.widgets.note_body`). Like ``find_spec`` it touches the file system:
        for a click, a worker rendering a page, or a resize."""
        vault = self._vault
        if vault is None or path not in vault.attachments:
            return None
        root = self.vault_root.resolve()
        try:
            file = (root / path).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return file if file.is_relative_to(root) and file.is_file() else None

    # --- workers: loading, changes, the index --------------------------------------------

    def load(self) -> Listing:
        """Load the vault (cache allowed); the listing of every note."""
        from notebase.core.vault import Vault  # parsing stack: kept off the import path

        vault = Vault.load(self.vault_root, use_cache=self.use_cache)
        # The notes live as long as the app: keep the collector from walking them again and
        # again (a full collection over 10,000 notes' objects costs ~0.2 s).
        gc.freeze()
        # Saving the cache costs ~0.8 s at 10,000 notes; it is saved once, on close.
        vault.use_cache = False
        with self._lock:
            self._vault = vault
            self._rows = {path: note_row(note) for path, note in vault.notes.items()}
            self._resort()
            self._find_sidecars()
            return self._listing(None)

    def listing(self, tag: str | None) -> Listing:
        """The notes carrying ``tag`` or one of its nested tags (None: every note)."""
        with self._lock:
            return self._listing(tag)

    def apply_changes(
        self, paths: Iterable[str | Path], tag: str | None = None, open_path: str | None = None
    ) -> VaultUpdate | None:
        """Re-read the files a watcher saw change (absolute paths): just those notes, or the
        whole folder when a folder or an attachment changed. None when nothing did.

        ``tag`` and ``open_path`` say what the screen shows, for the update's listing and page.
        """
        with self._lock:
            vault = self._vault
            if vault is None:
                return None
            notes, rescan = self._sort_events(vault, paths)
            if rescan:
                changed = vault.refresh()
            else:
                changed = vault.reload_paths(notes) if notes else []
                if not changed:
                    return None
            self._find_sidecars()
            update = self._update(changed, tag, open_path)
        _collect_garbage()
        return update

    def refresh(self, tag: str | None = None, open_path: str | None = None) -> VaultUpdate | None:
        """Re-scan the whole folder (after a run wrote a note); None when nothing changed."""
        with self._lock:
            if self._vault is None:
                return None
            before = self._sidecars
            changed = self._vault.refresh()
            moved = self._find_sidecars(before)  # a run may have written only a sidecar
            if not changed and not moved:
                return None
            update = self._update(sorted({*changed, *moved}), tag, open_path)
        _collect_garbage()
        return update

    def _find_sidecars(self, before: dict[str, tuple[str, ...]] | None = None) -> list[str]:
        """Index the results sidecars among the vault's other files by their note (`_lock`
        held); the notes whose sidecars changed since ``before``."""
        from notebase.core.vault_files import sidecar_owner

        vault = self._vault
        found: dict[str, list[str]] = {}
        for path in vault.attachments:
            owner = sidecar_owner(path)
            if owner is not None and owner in vault.notes:
                found.setdefault(owner, []).append(path)
        sidecars = {owner: tuple(sorted(paths)) for owner, paths in found.items()}
        self._sidecars = sidecars
        self._sidecar_owner = {path: owner for owner, paths in sidecars.items() for path in paths}
        if before is None:
            return []
        return [p for p in {*before, *sidecars} if before.get(p) != sidecars.get(p)]

    def _sort_events(self, vault, paths: Iterable[str | Path]) -> tuple[list[Path], bool]:
        """(note files to re-read, whether the whole folder must be re-scanned)."""
        from notebase.core.vault_files import is_sidecar_name

        notes: list[Path] = []
        attachments = None
        for raw in paths:
            path = Path(raw)
            if path.name.lower().endswith(".md") and not path.is_dir():
                if not is_sidecar_name(path.name):
                    notes.append(path)
                    continue
                # a results sidecar: one of the other files (its note lists it)
            try:
                rel = path.relative_to(self.vault_root).as_posix()
            except ValueError:
                continue
            if path.is_dir() or any(p.startswith(rel + "/") for p in vault.notes):
                return notes, True  # a folder made, moved or deleted: its notes are not named
            attachments = attachments if attachments is not None else set(vault.attachments)
            if path.exists() or rel in attachments:
                return notes, True  # links to the attachment may resolve differently now
            # else: an editor's temporary file, gone already
        return notes, False

    def _update(self, changed: list[str], tag: str | None, open_path: str | None) -> VaultUpdate:
        """The update for ``changed`` (`_lock` held, the sidecars found again already)."""
        notes = self._vault.notes
        broken = []
        rows_changed = False
        for path in changed:
            note = notes.get(path)
            if note is None:
                rows_changed |= self._rows.pop(path, None) is not None
                continue
            row, old = note_row(note), self._rows.get(path)
            if old is None or (old.title, old.tags, old.valid) != (row.title, row.tags, row.valid):
                self._rows[path] = row
                rows_changed = True
            if not note.valid:
                broken.append((path, "; ".join(note.errors) or "invalid"))
        if rows_changed:  # else the list stays the very same object: nothing to redraw
            self._resort()
        self._generation += 1
        self._cache_dirty = True
        page = self._page_locked(open_path) if open_path else None
        return VaultUpdate(self._listing(tag), list(changed), open_path, page, broken)

    def _resort(self) -> None:
        self._sorted = sorted(self._rows.values(), key=lambda row: row.sort_key)

    def _listing(self, tag: str | None) -> Listing:
        vault = self._vault
        if tag is None:
            rows = self._sorted
        else:
            rows = [self._rows[note.path] for note in vault.notes_with_tag(tag)]
            rows.sort(key=lambda row: row.sort_key)
        invalid = [
            (row.path, "; ".join(vault.notes[row.path].errors) or "invalid")
            for row in self._sorted
            if not row.valid
        ]
        tags = sorted(vault.tag_counts())
        return Listing(self._generation, tag, rows, tags, len(self._rows), invalid)

    def open_index(self) -> str | None:
        """Open the persisted search index and bring it up to date; returns an error or None.

        Until it is open, and if it cannot be opened, ``search`` raises ``SearchUnavailable``.
        """
        try:
            from notebase.index import index_folder, open_index  # imports whoosh: only here

            vault = self._vault
            if not index_folder(self.vault_root).exists() and len(vault.notes) >= (
                SUBPROCESS_BUILD_MIN_NOTES
            ):
                self._build_index_in_subprocess()
            # Notices (rebuilding, waiting for a lock) must not print over the screen.
            index = open_index(self.vault_root, vault.config, on_message=self.index_messages.append)
            with self._index_lock:
                index.update(parsed=vault.parsed_note)
                self._index = index
                self._index_state = "ready"
                self.index_error = None
            self.reindex(())  # what changed meanwhile
        except Exception as exc:  # the app must keep working without its index
            self.index_error = f"search index unavailable ({exc})"
            self._index_state = "unavailable"
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

    def reindex(self, paths: Iterable[str]) -> None:
        """Bring the index up to date for these vault-relative paths (after a change)."""
        with self._index_lock:
            self._unindexed.update(paths)
            index = self._index
            if index is None or not self._unindexed:
                return  # kept for when it opens
            paths, self._unindexed = sorted(self._unindexed), set()
            try:
                index.update_paths(paths, parsed=self._vault.parsed_note)
            except Exception as exc:  # keep browsing; search says why it cannot answer
                self.index_error = f"search index update failed ({exc})"
                self._index_state = "unavailable"
                self._index = None

    def close(self) -> None:
        """Close the index; save the notes cache if notes changed since the load."""
        with self._index_lock:
            if self._index is not None:
                try:
                    self._index.close()
                finally:
                    self._index = None
        with self._lock:
            if self._cache_dirty and self.use_cache and self._vault is not None:
                self._vault.save_cache()
                self._cache_dirty = False

    # --- workers: what the screens show ---------------------------------------------------

    def note_page(self, path: str) -> NotePage | None:
        """Everything the main screen shows of note ``path``; None if there is no such note."""
        with self._lock:
            page = self._page_locked(path)
        return page

    def _page_locked(self, path: str) -> NotePage | None:
        from notebase.tui.render import note_markdown  # link rewriting reads resolved links

        vault = self._vault
        note = vault.notes.get(path) if vault is not None else None
        if note is None:
            owner = self._sidecar_owner.get(path) if vault is not None else None
            return self._sidecar_page(path, owner) if owner is not None else None
        backlinks = [(p, self._title_of(p)) for p in vault.backlinks(note.path)]
        return note_page(
            note,
            note_markdown(note, embed=vault.notes.get),  # embeds read the vault's notes
            self._title_of,
            backlinks,
            self._experiments(note),
            self._cited_works(note) if note.footnotes else None,
            stale_runs=self._stale_runs(note),
            sidecars=self._sidecars.get(path, ()),
        )

    def _sidecar_page(self, path: str, owner: str) -> NotePage | None:
        """The read-only page of results sidecar ``path`` of note ``owner``: the file as
        written (its results block rendered), nothing of it counted as a note."""
        from notebase.core.parse import parse_note
        from notebase.tui.render import note_markdown

        file = self.attachment_file(path)
        try:
            data = file.read_bytes() if file is not None else None
        except OSError:
            data = None
        if data is None:
            return None
        note = parse_note(path, data, self._vault.config)
        return sidecar_page(note, note_markdown(note), owner, self._title_of(owner))

    def _stale_runs(self, note: Note) -> set[str | None]:
        """Runs of the note's blocks whose spec changed (or went) since: their questions show
        as stale (`notebase.experiments.answers`; the CLI derives it the same way)."""
        if not note.results_blocks or not self.experiments_dir.is_dir():
            return set()
        return {
            block.run_id
            for block in note.results_blocks
            if block.spec_hash is not None  # a hand-typed block names no spec: never stale
            and self._specs.hash_of(block.experiment) != block.spec_hash
        }

    def _vault_works(self):
        """The vault's works, grouped again only once the notes or the bibliography changed
        (~60 ms at 10,000 notes, on a worker; ``_lock`` held); the bibliography is read
        again only once its file changed (5,000 entries: ~0.85 s)."""
        from notebase.core.bibliography import read_bibliography
        from notebase.core.works import group_works  # rapidfuzz: only once citations show

        vault = self._vault
        rel = vault.config.bibliography_path
        try:
            info = (self.vault_root / rel).stat() if rel else None
        except OSError:
            info = None
        bib_stamp = info and (info.st_mtime_ns, info.st_size, info.st_ino)
        if self._bibliography[0] != (bib_stamp,):
            self._bibliography = (bib_stamp,), read_bibliography(vault.root, vault.config)
        stamp = (id(vault), self._generation, bib_stamp)
        if self._works[0] != stamp:
            self._works = stamp, group_works(vault.notes.values(), self._bibliography[1])
        return self._works[1]

    def _cited_works(self, note: Note):
        """``label -> CitedWork`` for the footnotes of ``note``: the work each cites, the
        other notes citing it, and what conflicts with or contradicts its citation."""
        from notebase.core.work_report import citation_problems

        works = self._vault_works()
        bibliography = works.bibliography.path if works.bibliography else None

        def cited(label: str) -> CitedWork | None:
            work = works.work_of(note.path, label)
            if work is None:
                return None
            here = [c for c in work.cited_by if c.note == note.path and c.label == label]
            problems = citation_problems(work, here[0], bibliography) if here else []
            others = tuple((p, self._title_of(p)) for p in work.notes if p != note.path)
            return CitedWork(work.key, work.in_bibliography, others, tuple(problems))

        return cited

    def _title_of(self, path: str) -> str:
        note = self._vault.notes.get(path)
        return note.title if note is not None and note.title else path

    def _experiments(self, note: Note) -> list[ExperimentSummary]:
        """Summaries of the experiments the note names; specs and records come from caches
        checked by file time, so a note viewed again costs a few stats."""
        from notebase.experiments.note_runs import linked_experiments  # no torch

        linked = linked_experiments(note)
        named = [link.experiment for link in note.links if link.experiment]
        blocks = {block.experiment: block for block in note.results_blocks}
        summaries = []
        for name in dict.fromkeys([*linked, *named]):
            summary = ExperimentSummary(name, self.find_spec(name)[0], linked=name in linked)
            block = blocks.get(name)
            if block is not None:
                summary.run_id = block.run_id
                record = self._records.get(block.run_id)
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

    def find_spec(self, name: str) -> tuple[Path | None, str | None]:
        """The spec file of an experiment name, or None and why (unknown, invalid)."""
        return self._specs.find(name)

    def run_target(self, path: str) -> tuple[Path, Any]:
        """What a run writes note ``path``'s results with: the note's file (its real name on
        disk, maybe NFD) and the vault's `VaultConfig` (the headings the notes are read with)."""
        with self._lock:
            if self._vault is None:
                raise RuntimeError("the vault is not loaded yet")
            return self._vault.file_path(path), self._vault.config

    def switch_targets(self) -> list[SwitchTarget]:
        """Every note as the quick switcher matches it (path, title, aliases), in list
        order; built once per vault version (a list of 10,000 costs ~10 ms)."""
        with self._lock:
            vault = self._vault
            if vault is None:
                return []
            stamp = (id(vault), self._generation)
            if self._targets[0] != stamp:
                targets = [
                    SwitchTarget(row.path, row.title, tuple(vault.notes[row.path].aliases))
                    for row in self._sorted
                ]
                self._targets = stamp, targets
            return self._targets[1]

    def unlinked_mentions(
        self, path: str, limit: int = MENTIONS_LIMIT
    ) -> tuple[list[MentionRow], bool]:
        """Lines of other notes that name note ``path`` (title or alias) without linking to
        it (`notebase.core.mentions`), by note then line, and whether that is all of them
        (reading stops past ``limit``); kept until the vault changes. Scans the notes
        outside ``_lock`` (~60 ms for the most-mentioned note of the Obsidian help vault;
        up to ~0.1 s at 10,000 notes, the limit reached): a worker's job."""
        from notebase.core.mentions import unlinked_mentions

        with self._lock:
            vault = self._vault
            note = vault.notes.get(path) if vault is not None else None
            if note is None:
                return [], True
            key = (path, id(vault), self._generation, limit)
            if self._mentions[0] == key:
                return self._mentions[1]
            notes = list(vault.notes.values())
        found = unlinked_mentions(note, notes, limit)
        with self._lock:
            rows = [
                MentionRow(m.path, self._title_of(m.path), m.line, m.name, m.context, m.heading)
                for m in found[:limit]
            ]
            self._mentions = key, (rows, len(found) <= limit)
        return self._mentions[1]

    def questions(self) -> list[QuestionRow]:
        """Every question of the vault, grouped by note (note title order), open and answered."""
        with self._lock:
            if self._vault is None:
                return []
            pairs = list(self._vault.questions(open_only=False))
            rows = [
                question_row(note, question, self._stale_runs(note)) for note, question in pairs
            ]
        rows.sort(key=lambda row: (row.note_title.casefold(), row.note_path, row.number))
        return rows

    def search(self, query: str, limit: int = 50) -> list[SearchResult]:
        """``search_page``'s hits."""
        return self.search_page(query, limit).results

    def search_page(self, query: str, limit: int = 50) -> SearchResults:
        """Search with the index (the CLI's engine): the best ``limit`` hits and how many
        notes match in all. ``UserError`` for a query it cannot read; ``SearchUnavailable``
        while the index opens, or when it could not be opened."""
        from notebase.errors import UserError

        query = query.strip()
        if not query:
            return SearchResults([], 0)
        cited = None
        if any(f"{name}:" in query.casefold() for name in ("cite", "citation", "footnote")):
            with self._lock:  # taken before the index's lock, never inside it
                cited = self._vault_works().notes_citing if self._vault is not None else None
        with self._index_lock:
            index = self._index
            if index is None:
                if self._index_state == "loading":
                    raise SearchUnavailable("the search index is loading…")
                raise SearchUnavailable(self.index_error or "the search index is unavailable")
            try:
                page = index.search_page(query, limit=limit, cited=cited)
            except UserError:
                raise
            except Exception as exc:  # a broken index must not take the app down
                raise SearchUnavailable(f"search failed ({exc})") from exc
        results = [
            SearchResult(h.path, h.title, float(h.score), h.snippet, h.segments)
            for h in page.hits
        ]
        return SearchResults(results, page.total)

    # --- writing notes (n, e, E, F2, D) ---------------------------------------------------
    # Every write goes through notebase.core (note_create, note_rename, note_trash,
    # note_save), which raises NoteOpError (a UserError: one line for the user). The caller
    # then re-reads the files written with ``apply_changes``, so the screen shows them at
    # once instead of waiting for the watcher. All but ``new_note_target`` and ``note_file``
    # are for workers.

    def new_note_target(self, title: str, folder: str = "") -> str:
        """The vault-relative path a note titled ``title`` in ``folder`` would get
        (`notebase.core.note_create.note_target`: an NFD folder on disk is that folder).
        NoteOpError when the title leaves no file name, the folder is not the vault's, or
        a file of that name exists (as links compare names). For the UI thread while the
        title is typed: one listing of the folder."""
        from notebase.core.note_create import note_target

        vault = self._vault
        return note_target(self.vault_root, title, folder, vault.config if vault else None)

    def create_note(self, title: str, *, folder: str = "", tags: Iterable[str] = ()) -> str:
        """Create note ``title`` (frontmatter title, created, tags); its vault-relative path."""
        from notebase.core.note_create import create_note

        return create_note(self.vault_root, title, folder=folder, tags=tuple(tags))

    def note_file(self, path: str) -> Path:
        """The file of note ``path`` on disk (its real, maybe NFD, name): what ``e`` edits.
        For the UI thread too: one dict lookup, no lock, no file touched."""
        vault = self._vault
        if vault is None:
            raise RuntimeError("the vault is not loaded yet")
        if path in self._sidecar_owner:
            from notebase.core.note_ops import NoteOpError

            raise NoteOpError(f"{path} is a results sidecar: shown read-only, not edited here")
        return vault.file_path(path)

    def read_note_text(self, path: str) -> tuple[str, bytes]:
        """``(text, bytes)`` of note ``path`` for the in-app editor: the text as it edits it
        (`notebase.core.note_save.editable_text`) and the bytes it was read from, to hand
        back to ``save_note_text``."""
        from notebase.core.note_ops import NoteOpError
        from notebase.core.note_save import editable_text

        try:
            base = self.note_file(path).read_bytes()
        except OSError as exc:
            raise NoteOpError(f"{path} cannot be read ({exc.strerror})") from None
        return editable_text(base), base

    def save_note_text(self, path: str, text: str, base: bytes) -> bytes | None:
        """Save the editor's ``text`` of note ``path`` over ``base`` (what ``read_note_text``
        gave): the note's new bytes, or None when the text was unchanged and nothing was
        written. NoteOpError (the file changed on disk meanwhile, read-only ...)."""
        from notebase.core.note_save import restored_bytes, save_note_text

        file = self.note_file(path)
        if not save_note_text(self.vault_root, file, text, base):
            return None
        return restored_bytes(base, text)

    def plan_rename(self, old: str, new: str):
        """`notebase.core.note_rename.RenamePlan`: the files a rename of note ``old`` to
        ``new`` (a title or file name in the same folder, or a vault path) would change.
        Planned on the loaded vault; the files are read again when it is applied."""
        from notebase.core.note_rename import plan_rename

        with self._lock:
            return plan_rename(self.vault_root, old, new, vault=self._vault)

    def apply_rename(self, plan) -> tuple[list[str], str | None]:
        """Carry out ``plan``: ``(vault-relative paths changed, None)``, or with the one-line
        reason when some notes were left as they were (changed on disk since the plan): the
        note is renamed then all the same. NoteOpError when nothing was renamed."""
        from notebase.core.note_rename import RenameIncomplete, apply_rename

        moved = [path for move in plan.moves for path in move]
        try:
            return [*moved, *apply_rename(self.vault_root, plan)], None
        except RenameIncomplete as partly:
            return [*moved, *partly.written], str(partly)

    def trash_note(self, path: str) -> tuple[str, list[str]]:
        """Move note ``path`` (and its results sidecar) to the vault's ``.trash/``:
        ``(where the note went, vault-relative paths changed)``."""
        from notebase.core.note_trash import trash_note
        from notebase.core.note_writer import sidecar_path

        sidecar = sidecar_path(Path(path)).as_posix()
        return trash_note(self.vault_root, path), [path, sidecar]


class _SpecAnswers:
    """``spec.find_spec`` answers by name, kept while no ``*.toml`` of the experiments folder
    changed (one listing of the folder per question instead of reading and checking TOML)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._state: tuple | None = None
        self._answers: dict[str, tuple[Path | None, str | None]] = {}
        self._hashes: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def _folder_state(self) -> tuple:
        try:
            entries = [e for e in os.scandir(self.folder) if e.name.endswith(".toml")]
            return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries))
        except OSError:
            return ()

    def hash_of(self, name: str) -> str | None:
        """The current `spec_hash` of experiment ``name``; None when it has no valid spec."""
        self.find(name)
        with self._lock:
            return self._hashes.get(name)

    def find(self, name: str) -> tuple[Path | None, str | None]:
        from notebase.experiments.spec import find_spec, spec_hash  # tomllib only, no torch

        state = self._folder_state()
        with self._lock:
            if state != self._state:
                self._state, self._answers, self._hashes = state, {}, {}
            if name in self._answers:
                return self._answers[name]
        digest: str | None = None
        try:
            spec = find_spec(self.folder, name)  # hashed here: the one read of its TOML
            answer: tuple[Path | None, str | None] = (Path(spec.path), None)
            digest = spec_hash(spec)
        except Exception as exc:  # SpecError: unknown name, or a spec that does not validate
            answer = (None, str(exc))
        with self._lock:
            if state == self._state:
                self._answers[name], self._hashes[name] = answer, digest
        return answer


class _RecordFiles:
    """Run records (``<experiments>/runs/<run_id>.json``) kept by file time and size (not
    a ``running`` one: it is read as interrupted once its runner is gone, file unchanged)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._records: dict[str, tuple[tuple[int, int], dict | None]] = {}

    def get(self, run_id: str | None) -> dict | None:
        from notebase.experiments.records import record_path, try_load_record  # no torch

        if not run_id:
            return None
        try:
            path = record_path(self.folder, run_id)
            info = path.stat()
        except (OSError, ValueError):  # no record, or not a run id (written in a note)
            return None
        key = (info.st_mtime_ns, info.st_size)
        cached = self._records.get(run_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        record = try_load_record(path)
        if record is None or record.get("status") != "running":
            self._records[run_id] = (key, record)
        return record


def _collect_garbage() -> None:
    """A full collection, on the worker that re-read notes, before the screen redraws.

    Re-reading one note rebuilds the vault's name and backlink indexes (~50,000 objects at
    10,000 notes), which sets off a full collection (~50 ms) a moment later, in whatever
    thread allocates next: measured, 1 re-read in 20 paid it on the UI thread, mid-redraw.
    Done here, it lands where nothing waits for it yet."""
    gc.collect()
