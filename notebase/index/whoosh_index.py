"""The search index of one vault, kept in ``<vault>/.notebase/index/`` with whoosh.

``WhooshNoteIndex`` implements ``notebase.core.ports.NoteIndex``:

- ``update()`` scans the vault (one ``stat`` per file, no parsing), compares with the
  manifest (``manifest.py``) and re-indexes only new and changed notes (mtime + size, then
  a content digest), drops deleted ones; a rename is a delete plus an add.
- ``update_paths(paths)`` does the same for the files a watcher reported.
- ``search(query)`` (``search_page``: with the number of notes that match in all) answers
  from one searcher kept open and refreshed after each update.

The index is a cache: a damaged or version-mismatched index is rebuilt with a one-line
message, never an exception. Damage is found on open (``health.py``: the segment files
are the ones recorded at commit) or when whoosh fails on its files while searching or
updating (``_heal``). The folder must be notebase's own (``folder.py``): a symbolic link or
a folder holding other files is refused, and only files notebase wrote are ever deleted.
Writes from several notebase processes are serialised by a lock on the folder
(``lock.py``). The other parts: ``scan.py`` (the vault scan), ``writer.py`` (a batch of
changes and its commit).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from whoosh import index as whoosh_index

from notebase.config import VaultConfig
from notebase.core.ports import (
    CitedNotes,
    ParsedNotes,
    ProgressCallback,
    SearchHit,
    SearchPage,
    UpdateStats,
)
from notebase.errors import UserError
from notebase.index import folder as index_dir
from notebase.index import health, index_folder, ranking
from notebase.index import manifest as manifest_file
from notebase.index.lock import FolderLock, IndexBusyError
from notebase.index.manifest import VALID, Manifest, ManifestError
from notebase.index.query import compile_query, highlight_terms, parse_query, resolve_citations
from notebase.index.scan import ScannedFile, named_files, scan_note_files, stat_note_files
from notebase.index.schema import SCHEMA_VERSION, build_schema
from notebase.index.snippet import compile_highlighter, marked_snippet, snippet_segments
from notebase.index.writer import apply, has_changes

__all__ = ["WhooshNoteIndex", "IndexBusyError", "ScannedFile", "scan_note_files"]

DEFAULT_LOCK_TIMEOUT = 30.0
NOT_DAMAGE = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EMFILE,
        errno.ENFILE,
        errno.ENOENT,
    }
)
"""OS errors that say nothing about the index files (a full disk, a read-only vault, the
folder removed meanwhile): a rebuild would meet them again, so they are passed on."""

MessageCallback = Callable[[str], None]


def _print_message(message: str) -> None:
    print(f"notebase: {message}", file=sys.stderr, flush=True)


def _outdated(searcher) -> bool:
    """Whether the index on disk has a newer commit than ``searcher`` reads."""
    try:
        return not searcher.up_to_date()
    except Exception:  # a damaged table of contents: the caller's error stands
        return False


def _is_damage(exc: Exception) -> bool:
    """Whether an error from whoosh means its files are damaged (it raises many kinds:
    struct, EOF, KeyError, its own FileFormatError, "Invalid argument" on a short file)."""
    if isinstance(exc, UserError):
        return False
    return not (isinstance(exc, OSError) and exc.errno in NOT_DAMAGE)


class WhooshNoteIndex:
    """A vault's persistent, incremental full-text index. Thread-safe; one per process is
    enough (the app shares it between the UI and the file watcher)."""

    def __init__(
        self,
        vault_root: Path,
        config: VaultConfig | None = None,
        *,
        on_message: MessageCallback | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        verify: bool = False,
    ) -> None:
        self.root = Path(vault_root)
        self.folder = index_folder(self.root)
        self.config = config if config is not None else VaultConfig.load(self.root)
        self.lock_timeout = lock_timeout
        self._message = on_message or _print_message
        self._mutex = threading.RLock()
        """Serialises updates (one writer per process)."""
        self._search_lock = threading.RLock()
        """Guards the shared searcher: a search never waits for a whole update, only
        for a searcher swap or one delete lookup (the app searches while it indexes)."""
        self._ix = None
        self._searcher = None
        self._manifest: Manifest | None = None
        self._lock = FolderLock(self.folder, lock_timeout, self._message)
        self._lock_depth = 0
        index_dir.claim(self.folder)  # a link or a foreign folder is refused here
        self._open(deep=verify)

    # --- opening, rebuilding ----------------------------------------------------------

    def _open(self, deep: bool = False) -> None:
        """Open the index on disk, or create/rebuild it when missing or unusable. ``deep``:
        check every segment file's digest, not only its size."""
        with self._mutex, self._search_lock:  # no search sees a half-opened index
            problem = self._try_open(deep)
            if problem is None:
                return
            with self._write_lock():
                # Another process may have been rewriting it: look again under the lock.
                problem = self._try_open(deep)
                if problem is None:
                    return
                if problem != "missing":
                    self._message(f"search index {problem}; rebuilding it")
                self._create_empty()

    def _try_open(self, deep: bool = False) -> str | None:
        """None when the index opened and matches this version; else why not."""
        self._close_handles()
        try:
            names = os.listdir(self.folder)
        except OSError:
            return "missing"
        # whoosh's exists_in() raises on a damaged table of contents; look for one instead.
        if not any(name.startswith("_MAIN_") and name.endswith(".toc") for name in names):
            return "missing"
        try:
            manifest = manifest_file.load(self.folder)
        except ManifestError as exc:
            return f"manifest is {exc}"
        if manifest.version != SCHEMA_VERSION:
            return f"was written in format {manifest.version}, this notebase uses {SCHEMA_VERSION}"
        if manifest.config != self.config.fingerprint():
            return "was built with other vault settings or by another notebase parser"
        try:
            ix = whoosh_index.open_dir(str(self.folder))
            generation = ix.latest_generation()
            fields = set(ix.schema.names())
            damage = health.problem(self.folder, ix, deep=deep)
        except Exception as exc:  # whoosh raises many kinds (pickle, struct, EOF, Index)
            return f"could not be read ({exc.__class__.__name__})"
        if damage is not None:
            ix.close()
            return damage
        if manifest.generation > generation or fields != set(build_schema().names()):
            ix.close()
            return "does not match its manifest"
        self._ix = ix
        self._manifest = manifest
        return None

    def _create_empty(self) -> None:
        """Delete what notebase wrote in the folder and create an empty index. Lock held."""
        with self._search_lock:
            self._close_handles()
            index_dir.claim(self.folder)
            index_dir.wipe(self.folder)
            self._ix = whoosh_index.create_in(str(self.folder), build_schema())
            health.record(self.folder, self._ix)
            self._manifest = Manifest(
                version=SCHEMA_VERSION,
                config=self.config.fingerprint(),
                generation=self._ix.latest_generation(),
            )
            manifest_file.write_snapshot(self.folder, self._manifest)

    def rebuild(self, progress: ProgressCallback | None = None) -> UpdateStats:
        """Throw the index away and index every note again (one segment per 5,000 notes)."""
        started = time.perf_counter()
        stats = self._rebuild(progress)
        stats.seconds = time.perf_counter() - started
        return stats

    def _rebuild(
        self, progress: ProgressCallback | None = None, parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        with self._write_lock():
            self._create_empty()
            stats = self._apply(scan_note_files(self.root, self.config), None, progress, parsed)
        stats.added, stats.updated = stats.added + stats.updated, 0
        return stats

    def _heal(
        self,
        exc: Exception,
        progress: ProgressCallback | None = None,
        parsed: ParsedNotes | None = None,
    ) -> UpdateStats:
        """whoosh failed on the index's own files: say so in one line and rebuild. If the
        rebuild fails too, its error is raised (no loop)."""
        detail = " ".join(str(exc).split())[:80]
        what = f"{exc.__class__.__name__}: {detail}" if detail else exc.__class__.__name__
        self._message(f"search index is damaged ({what}); rebuilding it")
        return self._rebuild(progress, parsed)

    # --- updating ---------------------------------------------------------------------

    def update(
        self, progress: ProgressCallback | None = None, parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        started = time.perf_counter()
        with self._mutex:
            files = scan_note_files(self.root, self.config)
            try:
                self._follow_other_writers()
                if not self._has_changes(files):
                    stats = self._counts()
                else:
                    with self._write_lock():
                        self._follow_other_writers()
                        stats = self._apply(files, None, progress, parsed)
            except Exception as exc:
                if not _is_damage(exc):
                    raise
                stats = self._heal(exc, progress, parsed)
        stats.seconds = time.perf_counter() - started
        return stats

    def update_paths(
        self, paths: Iterable[str | Path], parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        started = time.perf_counter()
        wanted = named_files(self.root, paths)
        if any(self._names_a_folder(rel, abs_path) for rel, abs_path in wanted.items()):
            # A folder was created, moved or deleted: its notes are not named one by one.
            return self.update(parsed=parsed)
        with self._mutex:
            files = stat_note_files(wanted, self.config)
            try:
                with self._write_lock():
                    self._follow_other_writers()
                    stats = self._apply(files, set(wanted), None, parsed)
            except Exception as exc:
                if not _is_damage(exc):
                    raise
                stats = self._heal(exc, None, parsed)
        stats.seconds = time.perf_counter() - started
        return stats

    def _names_a_folder(self, rel: str, abs_path: str) -> bool:
        """True for a folder of the vault, existing or one the index holds notes under."""
        if rel.lower().endswith(".md"):
            return False
        if os.path.isdir(abs_path):
            return True
        prefix = rel + "/"
        return any(path.startswith(prefix) for path in self._manifest.files)

    def _has_changes(self, files: list[ScannedFile]) -> bool:
        return has_changes(self._manifest, files)

    def _apply(
        self,
        files: list[ScannedFile],
        scope: set[str] | None,
        progress: ProgressCallback | None,
        parsed: ParsedNotes | None = None,
    ) -> UpdateStats:
        """Bring the index in line with ``files`` (``writer.apply``). Write lock held."""
        stats = apply(self, files, scope, progress, parsed)
        counts = self._counts()
        stats.notes, stats.invalid = counts.notes, counts.invalid
        return stats

    def _counts(self) -> UpdateStats:
        files = self._manifest.files
        return UpdateStats(
            notes=len(files), invalid=sum(1 for state in files.values() if not state[VALID])
        )

    def _follow_other_writers(self) -> None:
        """Another process committed since we read the manifest: read it again."""
        try:
            latest = self._ix.latest_generation()
        except Exception:
            latest = -1
        if latest == self._manifest.generation:
            return
        try:
            manifest = manifest_file.load(self.folder)
        except ManifestError:
            manifest = None
        if manifest is not None and manifest.version == SCHEMA_VERSION and latest >= 0:
            self._manifest = manifest
            self._refresh_searcher()
            return
        self._message("search index changed on disk unexpectedly; reopening it")
        self._open()

    # --- searching --------------------------------------------------------------------

    def search(
        self, query: str, limit: int = 20, cited: CitedNotes | None = None
    ) -> list[SearchHit]:
        return self.search_page(query, limit, cited).hits

    def search_page(
        self, query: str, limit: int = 20, cited: CitedNotes | None = None
    ) -> SearchPage:
        parsed = parse_query(query)
        resolve_citations(parsed, cited)
        compiled = compile_query(parsed)
        if compiled is None:
            return SearchPage([], 0)
        highlighter = compile_highlighter(highlight_terms(parsed))
        try:
            return self._search(compiled, highlighter, limit)
        except Exception as exc:
            if not _is_damage(exc):
                raise
            damage = exc
        with self._mutex:
            self._heal(damage)
        return self._search(compiled, highlighter, limit)

    def _search(self, compiled, highlighter, limit: int) -> SearchPage:
        with self._search_lock:
            searcher = self._current_searcher()
            try:
                return self._ranked_page(searcher, compiled, highlighter, limit)
            except Exception:
                if not _outdated(searcher):
                    raise
            # A writer (this process's other thread, or another process) committed while
            # this searched, and its merge removed segment files the searcher had not
            # opened yet (whoosh opens a segment's stored fields lazily): once more on the
            # index as it is now. Damage fails again and is healed by the caller.
            if self._searcher is searcher:
                self._refresh_searcher()
            return self._ranked_page(self._current_searcher(), compiled, highlighter, limit)

    def _ranked_page(self, searcher, compiled, highlighter, limit: int) -> SearchPage:
        """The page of ``searcher``'s best ``limit`` notes. Search lock held."""
        found = ranking.ranked_docs(searcher, compiled, limit)
        if found is None:
            results = searcher.search(compiled, limit=limit)
            found = [(hit.docnum, hit.score) for hit in results], len(results)
        ranked, total = found
        hits = []
        for docnum, score in ranked:
            fields = searcher.stored_fields(docnum)
            segments = tuple(snippet_segments(fields.get("body", ""), highlighter))
            hits.append(
                SearchHit(
                    path=fields["path"],
                    title=fields.get("title", ""),
                    score=float(score),
                    snippet=marked_snippet(segments),
                    segments=segments,
                )
            )
        return SearchPage(hits, max(total, len(hits)))

    def _current_searcher(self):
        with self._search_lock:
            if self._searcher is not None and not self._searcher.up_to_date():
                self._refresh_searcher()  # another process committed
            if self._searcher is None:
                self._searcher = self._ix.searcher()
            return self._searcher

    def _refresh_searcher(self) -> None:
        # Not whoosh's Searcher.refresh(): it reuses the reader of a segment whose
        # deletions changed, so an edited note's old words kept matching.
        with self._search_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    # --- locking, closing -------------------------------------------------------------

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        """The inter-process write lock, re-entrant within this object (a reopen under it)."""
        with self._mutex:
            if self._lock_depth == 0:
                self._lock.acquire()
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    self._lock.release()

    def _close_handles(self) -> None:
        with self._search_lock:
            if self._searcher is not None:
                try:
                    self._searcher.close()
                except Exception:
                    pass
                self._searcher = None
            if self._ix is not None:
                try:
                    self._ix.close()
                except Exception:
                    pass
                self._ix = None

    def segment_count(self) -> int:
        """How many whoosh segments the index has (benchmarks, tests)."""
        return len(self._ix._segments())

    def close(self) -> None:
        with self._mutex, self._search_lock:
            self._close_handles()

    def __enter__(self) -> WhooshNoteIndex:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
