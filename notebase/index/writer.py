"""Writing the index: which scanned files changed, and a batch of changes committed with
their manifest entries.

Used by ``WhooshNoteIndex`` with its write lock held. Each commit writes one segment and
takes in the older small segments of comparable size (``merge_small_segments``), so the
segment count grows with the logarithm of the saves since the build, not by one per save
(each segment costs every query its own matcher tree, ~0.3 ms at 10,000 notes). A long
(re)build commits every ``CHUNK_DOCUMENTS`` notes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from whoosh.writing import NO_MERGE

from notebase.core.ports import ParsedNotes, ProgressCallback, UpdateStats
from notebase.index import build_helper, health
from notebase.index import manifest as manifest_file
from notebase.index.fast_writer import MAX_POOL_POSTINGS, FastSegmentWriter
from notebase.index.manifest import DIGEST, MTIME, SIZE, VALID, FileState, Manifest
from notebase.index.scan import ScannedFile, content_digest
from notebase.index.schema import note_document

if TYPE_CHECKING:
    from notebase.index.whoosh_index import WhooshNoteIndex

CHUNK_DOCUMENTS = 5000
"""A long (re)build commits a segment per this many notes: each chunk's postings stay in
memory (~250 MB) instead of whoosh's disk spill. whoosh's optimize() is not used: merging
a 10,000-note index into one segment costs ~25 s of CPU, and a rebuild already writes one
segment per 5,000 notes."""
MERGE_FACTOR = 1
"""A commit takes in an older segment of at most this many times the live notes it holds
so far (its own, then those taken in, smallest segment first). 100 one-note saves at
10,000 notes (bench/search_bench.py --compare-merge, each against the previous policy in
the same run): 1 gives 5.2 segments on average (8 at most) and a median save of 16.6 ms
(previous: 12.4), 2 gives 4.6 (7) and 18.8 ms (11.6), 3 about 4.3 (6) and 22 ms (12.7);
the previous policy (no merge below 10 segments) 7.8 (10). Each segment fewer saves a
query ~0.3 ms; 1 keeps the median save well under 25 ms on a loaded machine."""
MAX_MERGE_NOTES = 1000
"""Segments with this many live notes or more are never merged by a commit (a build's
chunks): whoosh merges in Python, ~2-3 ms per note taken in, so the largest merge a save
can make stays at ~1,500 notes."""
WRITER_MEMORY_MB = 256


def merge_small_segments(writer, segments: list) -> list:
    """whoosh merge policy (``commit(mergetype=...)``): add to ``writer`` the notes of the
    older ``segments`` it should take in, smallest first, and return the rest. A segment
    is taken in when it holds fewer than ``MAX_MERGE_NOTES`` live notes and at most
    ``MERGE_FACTOR`` times the notes gathered so far (a segment whose notes were all
    deleted always is: it only goes). With ``MERGE_FACTOR`` 1 this is a binary counter:
    half the one-note saves merge nothing, a few notes are merged on average (~3 per
    save over 100 saves) and rarely many, and the small segments number at most about
    ``log2(saves)``, each note rewritten about that many times."""
    from whoosh.reading import SegmentReader

    gathered = max(1, writer.docnum)
    kept = []
    for segment in sorted(segments, key=lambda s: s.doc_count()):
        live = segment.doc_count()
        if live == 0 or (live < MAX_MERGE_NOTES and live <= MERGE_FACTOR * gathered):
            if live:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                try:
                    writer.add_reader(reader)
                finally:
                    reader.close()
            gathered += live
        else:
            kept.append(segment)
    return kept


class Batch:
    """Changes to the index of ``owner``: ``replace``/``delete`` notes, then ``commit``
    (or ``cancel``). It uses the owner's index, searcher and locks."""

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
            self.writer = FastSegmentWriter(owner._ix, limitmb=WRITER_MEMORY_MB, compound=False)
            # whoosh spills postings past 1,000,000 items to temporary runs and merges
            # them back in Python: a third of a 10,000-note build. A chunk fits in memory
            # (FastSegmentWriter adds without that check; this is for merges).
            self.writer.pool.maxsize = MAX_POOL_POSTINGS
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

    def write_segment(self) -> None:
        """Write the notes added so far as a segment now; ``commit`` lists it. A large
        build does this before waiting for its helper process, so that this process
        sorts and writes its postings while the helper still works."""
        if self.writer is not None:
            self.writer.write_segment()

    def add_segments(self, segments: list) -> None:
        """List segments written by another process (``build_helper``) in the next commit."""
        self._writer().extra_segments.extend(segments)

    def delete(self, path: str) -> None:
        writer = self._writer()
        with self.owner._search_lock:
            writer.delete_by_term("path", path, searcher=self.searcher)
        self.removed.append(path)

    def commit(self) -> None:
        owner = self.owner
        if self.writer is not None:
            # A segment written early takes in no other: its files are closed.
            early = self.writer.segment_written
            self.writer.commit(mergetype=NO_MERGE if early else merge_small_segments)
            self.writer = None
            owner._refresh_searcher()
            health.record(owner.folder, owner._ix)
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
            try:
                self.writer.cancel()
            except Exception:  # a writer over damaged files; the index is rebuilt anyway
                pass
            self.writer = None


def has_changes(manifest: Manifest, files: list[ScannedFile]) -> bool:
    """Whether any scanned file is new, gone or has another mtime or size."""
    known = manifest.files
    if len(files) != len(known):
        return True
    for file in files:
        state = known.get(file.path)
        if state is None or state[MTIME] != file.mtime_ns or state[SIZE] != file.size:
            return True
    return False


def read_document(
    file: ScannedFile,
    config,
    parsed: ParsedNotes | None = None,
    previous: FileState | None = None,
) -> tuple[dict | None, FileState] | None:
    """``(document to index, manifest entry)`` for ``file``; None when it cannot be read.
    The document is None when the bytes are those ``previous`` recorded (touched, not
    changed). ``parsed`` may give the note already parsed (the app's vault did)."""
    try:
        with open(file.abs_path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    digest = content_digest(data)
    if previous is not None and previous[DIGEST] == digest:
        return None, FileState(file.mtime_ns, file.size, digest, previous[VALID])
    note = parsed(file.path, file.mtime_ns, file.size) if parsed else None
    if note is None:
        # The parser (markdown-it, YAML) loads only when a note must be read: a query
        # in a new process with nothing changed never pays for it.
        from notebase.core.parse import parse_note

        note = parse_note(file.path, data, config)
    raw = None if note.valid else data.decode("utf-8", "replace")
    return note_document(note, raw), FileState(file.mtime_ns, file.size, digest, note.valid)


def apply(
    owner: WhooshNoteIndex,
    files: list[ScannedFile],
    scope: set[str] | None,
    progress: ProgressCallback | None,
    parsed: ParsedNotes | None = None,
) -> UpdateStats:
    """Bring the index of ``owner`` in line with ``files`` (counts of added, updated and
    removed notes). ``scope`` None: ``files`` is the whole vault (anything else indexed
    was deleted); else only paths in ``scope`` are considered. Write lock held.

    A large build of new notes hands its last part to a helper process
    (``build_helper.py``); no segment is committed until its part is back."""
    known = owner._manifest.files
    present = {f.path for f in files}
    removed = [p for p in known if p not in present and (scope is None or p in scope)]
    candidates = [
        f
        for f in files
        if (s := known.get(f.path)) is None or s[MTIME] != f.mtime_ns or s[SIZE] != f.size
    ]
    stats = UpdateStats()
    batch = Batch(owner)
    total = len(candidates)
    helper = None
    if parsed is None and not known and build_helper.wanted(total):
        share = min(total // 2, CHUNK_DOCUMENTS)
        helper = build_helper.Helper(owner.folder, owner.config, candidates[total - share :])
        candidates = candidates[: total - share]
    report_every = max(1, total // 100)
    try:
        for done, file in enumerate(candidates):
            if progress is not None and done % report_every == 0:
                progress(done, total)
            previous = known.get(file.path)
            read = read_document(file, owner.config, parsed, previous)
            if read is None:
                if previous is not None:
                    removed.append(file.path)
                continue
            document, state = read
            batch.changed[file.path] = state
            if document is None:
                continue  # touched, not changed: the new stat is remembered
            batch.replace(file.path, document)
            if previous is None:
                stats.added += 1
            else:
                stats.updated += 1
            if batch.documents >= CHUNK_DOCUMENTS:
                if helper is not None:
                    stats.added += _take_helper(helper, batch, owner.config, progress, total)
                    helper = None
                batch.commit()  # bounded memory; progress survives an interruption
        if helper is not None:
            stats.added += _take_helper(helper, batch, owner.config, progress, total)
            helper = None
        for path in removed:
            batch.delete(path)
        stats.removed = len(removed)
        batch.commit()
    finally:
        if helper is not None:
            helper.stop()
        batch.cancel()
    if progress is not None and total:
        progress(total, total)
    return stats


def _take_helper(helper, batch: Batch, config, progress, total: int) -> int:
    """Wait for ``helper`` and put its segments and manifest entries into ``batch``'s
    next commit; index its notes here if it failed. Returns how many notes it added."""
    if progress is not None:
        progress(total - len(helper.files), total)
    batch.write_segment()  # this process's notes, while the helper may still be working
    result = helper.result()
    if result is None:
        batch.commit()  # this process's notes; the helper's go in the next segment
        added = 0
        for file in helper.files:
            read = read_document(file, config)
            if read is not None:
                batch.replace(file.path, read[0])
                batch.changed[file.path] = read[1]
                added += 1
        return added
    batch.add_segments(result.segments)
    batch.changed.update(result.states)
    return len(result.states)
