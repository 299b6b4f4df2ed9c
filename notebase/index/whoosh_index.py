"""The search index of one vault, kept in ``<vault>/.notebase/index/`` with whoosh.

``WhooshNoteIndex`` implements ``notebase.core.ports.NoteIndex``:

- ``update()`` scans the vault (one ``stat`` per file, no parsing), compares with the
  manifest (``manifest.py``) and re-indexes only new and changed notes (mtime + size, then
  a content digest), drops deleted ones; a rename is a delete plus an add.
- ``update_paths(paths)`` does the same for the files a watcher reported.
- ``search(query)`` answers from one searcher kept open and refreshed after each update.

The index is a cache: a damaged or version-mismatched index is rebuilt with a message,
never an exception. Writes from several notebase processes are serialised by a lock file
(``notebase.lock``); a process that finds it held says so and waits (``lock_timeout``),
then gives up with a ``UserError``. Commits do not merge segments (a save stays fast);
small segments are merged once they pile up; ``rebuild()`` writes one segment per 5,000
notes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from whoosh import index as whoosh_index

from notebase.config import VaultConfig
from notebase.core.ports import ParsedNotes, ProgressCallback, SearchHit, UpdateStats
from notebase.core.vault import is_note_path
from notebase.errors import UserError
from notebase.index import index_folder
from notebase.index import manifest as manifest_file
from notebase.index.manifest import DIGEST, MTIME, SIZE, VALID, FileState, Manifest, ManifestError
from notebase.index.query import compile_query, highlight_terms, parse_query
from notebase.index.schema import SCHEMA_VERSION, build_schema, note_document
from notebase.index.snippet import compile_highlighter, make_snippet

LOCK_NAME = "notebase.lock"
MAX_SEGMENTS = 10
"""Past this many segments a commit merges the small ones (whoosh's MERGE_SMALL)."""
CHUNK_DOCUMENTS = 5000
"""A long (re)build commits a segment per this many notes: each chunk's postings stay in
memory (~250 MB) instead of whoosh's disk spill. whoosh's optimize() is not used: merging
a 10,000-note index into one segment costs ~25 s of CPU, and a rebuild already writes one
segment per 5,000 notes."""
DEFAULT_LOCK_TIMEOUT = 30.0
WRITER_MEMORY_MB = 256

MessageCallback = Callable[[str], None]


class IndexBusyError(UserError):
    """Another notebase process kept the index locked for longer than we would wait."""


def _print_message(message: str) -> None:
    print(f"notebase: {message}", file=sys.stderr, flush=True)


class ScannedFile(NamedTuple):
    """One note file as ``stat`` sees it (``notebase.core.vault.NoteFile`` without the
    ``Path`` object, whose construction was half the scan time at 10,000 notes)."""

    path: str
    """Vault-relative POSIX path, NFC."""
    abs_path: str
    mtime_ns: int
    size: int


def scan_note_files(root: Path, config: VaultConfig) -> list[ScannedFile]:
    """Every note file under ``root`` with the same rules as
    ``notebase.core.vault.scan_files`` (``*.md``; dot-folders, ``config.ignore_dirs`` and
    symlinked folders skipped; names NFC), a test keeps the two in agreement. This runs
    before every CLI query, so it is written for speed."""
    found: list[ScannedFile] = []
    pending = [(str(root), "")]
    while pending:
        folder, rel = pending.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue  # an unreadable folder hides only itself
        with entries:
            for entry in entries:
                name = entry.name
                if not name.isascii():
                    name = unicodedata.normalize("NFC", name)
                rel_path = rel + name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not config.skips_folder(name, rel_path):
                            pending.append((entry.path, rel_path + "/"))
                        continue
                    if name.startswith(".") or name[-3:].lower() != ".md" or not entry.is_file():
                        continue
                    info = entry.stat()
                except OSError:
                    continue
                found.append(ScannedFile(rel_path, entry.path, info.st_mtime_ns, info.st_size))
    return found


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


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
        self._lock_depth = 0
        self._open()

    # --- opening, rebuilding ----------------------------------------------------------

    def _open(self) -> None:
        """Open the index on disk, or create/rebuild it when missing or unusable."""
        with self._search_lock:  # no search sees a half-opened index
            problem = self._try_open()
            if problem is None:
                return
            with self._write_lock():
                # Another process may have been rewriting it: look again under the lock.
                problem = self._try_open()
                if problem is None:
                    return
                if problem != "missing":
                    self._message(f"search index {problem}; rebuilding it")
                self._create_empty()

    def _try_open(self) -> str | None:
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
        except Exception as exc:  # whoosh raises many kinds (pickle, struct, EOF, Index)
            return f"could not be read ({exc.__class__.__name__})"
        if manifest.generation > generation or fields != set(build_schema().names()):
            ix.close()
            return "does not match its manifest"
        self._ix = ix
        self._manifest = manifest
        return None

    def _create_empty(self) -> None:
        """Wipe the folder (lock file excepted) and create an empty index. Lock held."""
        with self._search_lock:
            self._close_handles()
            self.folder.mkdir(parents=True, exist_ok=True)
            for entry in os.scandir(self.folder):
                if entry.name == LOCK_NAME:
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        import shutil

                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.remove(entry.path)
                except OSError:
                    pass
            self._ix = whoosh_index.create_in(str(self.folder), build_schema())
            self._manifest = Manifest(
                version=SCHEMA_VERSION,
                config=self.config.fingerprint(),
                generation=self._ix.latest_generation(),
            )
            manifest_file.write_snapshot(self.folder, self._manifest)

    def rebuild(self, progress: ProgressCallback | None = None) -> UpdateStats:
        """Throw the index away and index every note again (one segment per 5,000 notes)."""
        started = time.perf_counter()
        with self._mutex, self._write_lock():
            self._create_empty()
            stats = self._apply(scan_note_files(self.root, self.config), None, progress)
        stats.added, stats.updated = stats.added + stats.updated, 0
        stats.seconds = time.perf_counter() - started
        return stats

    # --- updating ---------------------------------------------------------------------

    def update(
        self, progress: ProgressCallback | None = None, parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        started = time.perf_counter()
        with self._mutex:
            files = scan_note_files(self.root, self.config)
            self._follow_other_writers()
            if not self._has_changes(files):
                stats = self._counts()
            else:
                with self._write_lock():
                    self._follow_other_writers()
                    stats = self._apply(files, None, progress, parsed)
        stats.seconds = time.perf_counter() - started
        return stats

    def update_paths(
        self, paths: Iterable[str | Path], parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        started = time.perf_counter()
        wanted = {p for p in (self._relative(raw) for raw in paths) if p is not None}
        if any(self._names_a_folder(p) for p in wanted):
            # A folder was created, moved or deleted: its notes are not named one by one.
            return self.update(parsed=parsed)
        with self._mutex:
            files = []
            for rel in sorted(wanted):
                if not self._is_note_path(rel):
                    continue
                abs_path = str(self.root / rel)
                try:
                    info = os.stat(abs_path)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode):
                    files.append(ScannedFile(rel, abs_path, info.st_mtime_ns, info.st_size))
            with self._write_lock():
                self._follow_other_writers()
                stats = self._apply(files, wanted, None, parsed)
        stats.seconds = time.perf_counter() - started
        return stats

    def _names_a_folder(self, rel: str) -> bool:
        """True for a folder of the vault, existing or one the index holds notes under."""
        if rel.lower().endswith(".md"):
            return False
        if (self.root / rel).is_dir():
            return True
        prefix = rel + "/"
        return any(path.startswith(prefix) for path in self._manifest.files)

    def _relative(self, raw: str | Path) -> str | None:
        path = Path(raw)
        if path.is_absolute():
            try:
                path = path.relative_to(self.root)
            except ValueError:
                try:
                    path = path.resolve().relative_to(self.root.resolve())
                except ValueError:
                    return None
        return unicodedata.normalize("NFC", PurePosixPath(*path.parts).as_posix())

    def _is_note_path(self, rel: str) -> bool:
        return is_note_path(rel, self.config)

    def _has_changes(self, files: list[ScannedFile]) -> bool:
        known = self._manifest.files
        if len(files) != len(known):
            return True
        for file in files:
            state = known.get(file.path)
            if state is None or state[MTIME] != file.mtime_ns or state[SIZE] != file.size:
                return True
        return False

    def _apply(
        self,
        files: list[ScannedFile],
        scope: set[str] | None,
        progress: ProgressCallback | None,
        parsed: ParsedNotes | None = None,
    ) -> UpdateStats:
        """Bring the index in line with ``files``. ``scope`` None: ``files`` is the whole
        vault (anything else indexed was deleted); else only paths in ``scope`` are
        considered. Write lock held."""
        known = self._manifest.files
        present = {f.path for f in files}
        removed = [p for p in known if p not in present and (scope is None or p in scope)]
        candidates = [
            f
            for f in files
            if (s := known.get(f.path)) is None or s[MTIME] != f.mtime_ns or s[SIZE] != f.size
        ]
        # The parser (markdown-it, YAML) loads only when a note must be read: a query
        # in a new process with nothing changed never pays for it.
        from notebase.core.parse import parse_note

        stats = UpdateStats()
        batch = _Batch(self)
        total = len(candidates)
        report_every = max(1, total // 100)
        try:
            for done, file in enumerate(candidates):
                if progress is not None and done % report_every == 0:
                    progress(done, total)
                try:
                    with open(file.abs_path, "rb") as handle:
                        data = handle.read()
                except OSError:
                    if file.path in known:
                        removed.append(file.path)
                    continue
                digest = _digest(data)
                previous = known.get(file.path)
                if previous is not None and previous[DIGEST] == digest:
                    # Touched, not changed: remember the new stat, index nothing.
                    batch.changed[file.path] = FileState(
                        file.mtime_ns, file.size, digest, previous[VALID]
                    )
                    continue
                note = parsed(file.path, file.mtime_ns, file.size) if parsed else None
                if note is None:
                    note = parse_note(file.path, data, self.config)
                raw = None if note.valid else data.decode("utf-8", "replace")
                batch.replace(file.path, note_document(note, raw))
                batch.changed[file.path] = FileState(file.mtime_ns, file.size, digest, note.valid)
                if previous is None:
                    stats.added += 1
                else:
                    stats.updated += 1
                if batch.documents >= CHUNK_DOCUMENTS:
                    batch.commit()  # bounded memory; progress survives an interruption
            for path in removed:
                batch.delete(path)
            stats.removed = len(removed)
            batch.commit()
        finally:
            batch.cancel()
        if progress is not None and total:
            progress(total, total)
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

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        parsed = parse_query(query)
        compiled = compile_query(parsed)
        if compiled is None:
            return []
        highlighter = compile_highlighter(highlight_terms(parsed))
        with self._search_lock:
            searcher = self._current_searcher()
            results = searcher.search(compiled, limit=limit)
            hits = []
            for hit in results:
                fields = hit.fields()
                hits.append(
                    SearchHit(
                        path=fields["path"],
                        title=fields.get("title", ""),
                        score=float(hit.score),
                        snippet=make_snippet(fields.get("body", ""), highlighter),
                    )
                )
        return hits

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

    def _write_lock(self) -> _WriteLock:
        return _WriteLock(self, self.folder / LOCK_NAME, self.lock_timeout, self._message)

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


class _Batch:
    """One whoosh writer's worth of changes, committed together with their manifest
    entries. Write lock held by the caller."""

    def __init__(self, owner: WhooshNoteIndex) -> None:
        self.owner = owner
        self.writer = None
        self.searcher = None
        self.index_empty = False
        self.documents = 0
        """Documents added since the last commit."""
        self.changed: dict[str, FileState] = {}
        self.removed: list[str] = []

    def _writer(self):
        if self.writer is None:
            owner = self.owner
            # compound=False: whoosh reads a compound segment through BytesIO copies of
            # its parts, ~20 ms per new process at 10,000 notes; plain files are not copied.
            self.writer = owner._ix.writer(limitmb=WRITER_MEMORY_MB, compound=False)
            # whoosh spills postings past 1,000,000 items to temporary runs and merges
            # them back in Python: a third of a 10,000-note build. A chunk fits in memory.
            self.writer.pool.maxsize = 8_000_000
            # update_document() would open a fresh searcher over every segment for each
            # call (8 ms at 10,000 notes); ours is at the writer's generation.
            self.searcher = owner._current_searcher()
            self.index_empty = self.searcher.doc_count_all() == 0
        return self.writer

    def replace(self, path: str, document: dict) -> None:
        """Index ``document``, dropping any copy of ``path`` (even one the manifest does
        not know of: a process may have died between a commit and its manifest)."""
        writer = self._writer()
        if not self.index_empty:
            with self.owner._search_lock:  # the searcher is shared with search()
                writer.delete_by_term("path", path, searcher=self.searcher)
        writer.add_document(**document)
        self.documents += 1

    def delete(self, path: str) -> None:
        writer = self._writer()
        with self.owner._search_lock:
            writer.delete_by_term("path", path, searcher=self.searcher)
        self.removed.append(path)

    def commit(self) -> None:
        owner = self.owner
        if self.writer is not None:
            if len(self.writer.segments) >= MAX_SEGMENTS:
                self.writer.commit()  # merge the small segments that piled up
            else:
                self.writer.commit(merge=False)  # a save stays fast
            self.writer = None
            owner._refresh_searcher()
        if self.changed or self.removed:
            manifest_file.append(
                owner.folder,
                owner._manifest,
                owner._ix.latest_generation(),
                self.changed,
                self.removed,
            )
        self.changed, self.removed, self.documents = {}, [], 0

    def cancel(self) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None


class _WriteLock:
    """An exclusive lock file shared by every notebase process writing this index.

    Held across read-manifest / write-index / write-manifest so two processes never
    interleave. Waits up to ``timeout`` seconds, saying once that it waits.
    """

    POLL_SECONDS = 0.05

    def __init__(
        self, owner: WhooshNoteIndex, path: Path, timeout: float, message: MessageCallback
    ) -> None:
        self.owner = owner
        self.path = path
        self.timeout = timeout
        self.message = message
        self._lock = None

    def __enter__(self) -> _WriteLock:
        from whoosh.util.filelock import FileLock

        self.owner._lock_depth += 1
        if self.owner._lock_depth > 1:
            return self  # this object already holds it (re-entered, e.g. a reopen)
        try:
            self._acquire(FileLock)
        except BaseException:
            self.owner._lock_depth -= 1
            raise
        return self

    def _acquire(self, FileLock) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.path))
        if not lock.acquire(blocking=False):
            self.message("index is being updated by another notebase process, waiting...")
            deadline = time.monotonic() + self.timeout
            while not lock.acquire(blocking=False):
                if time.monotonic() >= deadline:
                    raise IndexBusyError(
                        f"the search index is still locked by another notebase process "
                        f"after {self.timeout:g} s ({self.path}); try again when it has finished"
                    )
                time.sleep(self.POLL_SECONDS)
        self._lock = lock

    def __exit__(self, *exc_info) -> None:
        self.owner._lock_depth -= 1
        if self._lock is not None:
            self._lock.release()
            self._lock = None
