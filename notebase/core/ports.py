"""The interfaces the domain needs from the outside world, declared here so the core never
imports an adapter.

The search index is the first: the CLI and the app talk to a ``NoteIndex``; the whoosh
adapter in ``notebase.index`` implements it (``notebase.index.open_index``). Nothing in
this module imports whoosh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from notebase.core.note import Note

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: called while notes are (re)indexed, ``total`` notes to do."""


@dataclass(slots=True, frozen=True)
class SearchHit:
    """One note that matched a query, best first."""

    path: str
    """Vault-relative POSIX path of the note (``"ml/maml.md"``)."""
    title: str
    """The note's title as indexed."""
    score: float
    """Relevance (BM25F); only comparable between hits of the same query."""
    snippet: str
    """Plain text around the best match, matched words wrapped in ``«`` ``»``;
    the note's first line of text when no word could be located."""
    segments: tuple[tuple[str, bool], ...] = ()
    """The same snippet as ``(text, is_match)`` pieces, for a screen to style."""


@dataclass(slots=True, frozen=True)
class SearchPage:
    """The best hits of a query and how many notes match in all."""

    hits: list[SearchHit]
    """At most the limit asked for, best first."""
    total: int
    """Every note the query matches (``len(hits)`` when that is all of them)."""


@dataclass(slots=True)
class UpdateStats:
    """What one incremental update (or rebuild) did."""

    notes: int = 0
    """Notes in the index afterwards."""
    added: int = 0
    """Notes indexed for the first time (new files, and the new name of a renamed file)."""
    updated: int = 0
    """Notes whose content changed and were indexed again."""
    removed: int = 0
    """Notes dropped from the index (deleted files, and the old name of a renamed file)."""
    invalid: int = 0
    """Indexed notes that could not be read as notes (broken YAML, not UTF-8); their raw
    text is still searchable."""
    seconds: float = 0.0
    """Wall time of the update, scan included."""

    def as_dict(self) -> dict:
        return {
            "notes": self.notes,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "invalid": self.invalid,
            "seconds": round(self.seconds, 3),
        }


CitedNotes = Callable[[str], Iterable[str]]
"""``cited(text)``: the notes citing a work by the author ``text`` names, or of key
``text`` (`notebase.core.works.Works.notes_citing`); what ``cite:`` finds besides words."""

ParsedNotes = Callable[[str, int, int], Note | None]
"""``parsed(path, mtime_ns, size)``: the caller's parsed note of exactly that file state, or
None. An index uses it instead of parsing the file again (the app's vault just did)."""


@runtime_checkable
class NoteIndex(Protocol):
    """A persistent full-text index over one vault's notes.

    The index decides by itself what changed on disk since it was last updated; callers
    only say when to look (``update``) or which files a watcher saw change
    (``update_paths``).
    """

    def update(
        self, progress: ProgressCallback | None = None, parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        """Scan the vault and (re)index new and changed notes, drop deleted ones.
        ``parsed`` offers notes the caller already parsed (see `ParsedNotes`)."""
        ...

    def update_paths(
        self, paths: Iterable[str], parsed: ParsedNotes | None = None
    ) -> UpdateStats:
        """(Re)index or drop just these vault-relative paths (a file watcher's events)."""
        ...

    def rebuild(self, progress: ProgressCallback | None = None) -> UpdateStats:
        """Throw the index away and index every note again."""
        ...

    def search(
        self, query: str, limit: int = 20, cited: CitedNotes | None = None
    ) -> list[SearchHit]:
        """Notes matching ``query`` (notebase query language), best first; ``cited`` adds
        to ``cite:`` the notes citing a work by that author (see `CitedNotes`).

        Raises ``notebase.errors.UserError`` (a subclass) for a query that cannot be read.
        """
        ...

    def search_page(
        self, query: str, limit: int = 20, cited: CitedNotes | None = None
    ) -> SearchPage:
        """``search`` with the number of notes that match in all."""
        ...

    def close(self) -> None:
        """Release files and searchers. The index stays on disk."""
        ...
