"""A whoosh ``SegmentWriter`` that indexes notebase's documents with less Python per term.

Writing the index is most of a full build (10,000 generated notes: ~15 s of ~19 s), and
most of that is whoosh's per-posting bookkeeping. This writer produces the same segment
files as whoosh's own (a test compares both postings and scores) with three changes:

- text fields analysed by ``KoreanAnalyzer`` get their terms and positions from
  ``analysis.term_positions`` (one dict, no Token per term) and are encoded with the
  field's own format (``Positions`` or ``Frequency``); other fields go through whoosh;
- postings go straight into the pool's in-memory list (whoosh checks and sizes each one);
  the pool is still sorted to disk past ``MAX_POOL_POSTINGS``;
- each document's field lengths are kept in lists while adding, so writing the postings
  looks them up there instead of in the length column just written (``doc_field_length``
  per posting was an eighth of a build).
"""

from __future__ import annotations

from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from notebase.index.analysis import KoreanAnalyzer, term_positions

MAX_POOL_POSTINGS = 8_000_000
"""Postings held in memory before the pool sorts them to a temporary run on disk (a
5,000-note chunk of generated notes holds ~1.1 million)."""

_POSITIONS, _FREQUENCY = 1, 2


def _kind(field) -> int | None:
    """How this writer indexes ``field`` itself; None: through whoosh."""
    if not field.indexed or not isinstance(field.analyzer, KoreanAnalyzer):
        return None
    if field.format.field_boost != 1.0:
        return None
    if type(field.format) is Positions:
        return _POSITIONS
    if type(field.format) is Frequency:
        return _FREQUENCY
    return None


def index_field(field, value: str) -> list[tuple[bytes, int, float, bytes]]:
    """``(term bytes, frequency, weight, encoded value)`` of each term of ``value``: what
    ``field.index(value)`` gives, for a field this writer indexes itself."""
    kind = _kind(field)
    if kind is None:
        return [tuple(item) for item in field.index(value)]
    return _index_terms(kind, field.format, value)


def _index_terms(kind: int, format_, value: str) -> list[tuple[bytes, int, float, bytes]]:
    items = []
    if kind == _POSITIONS:
        encode = format_.encode
        for term, positions in term_positions(value).items():
            count = len(positions)
            items.append((term.encode("utf-8"), count, float(count), encode(positions)))
    else:
        for term, positions in term_positions(value).items():
            count = len(positions)
            items.append((term.encode("utf-8"), count, float(count), pack_uint(count)))
    return items


class _Lengths:
    """``doc_field_length`` from the lengths kept while adding documents; the segment's
    length column for documents added otherwise (a merge's)."""

    def __init__(self, kept: dict[str, list[int]], reader) -> None:
        self.kept = kept
        self.reader = reader

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.kept.get(fieldname)
        if lengths is not None and docnum < len(lengths):
            return lengths[docnum]
        if self.reader is None:
            return default
        return self.reader.doc_field_length(docnum, fieldname, default)


class FastSegmentWriter(SegmentWriter):
    """``SegmentWriter`` with a faster ``add_document`` for notebase's schema (module
    docstring). Documents must be added without ``_boost`` or ``_stored_`` keywords."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self._kinds = {name: _kind(field) for name, field in self.schema.items()}
        self._kept: dict[str, list[int]] = {
            name: [0] * self.docnum for name, field in self.schema.items() if field.scorable
        }
        self.extra_segments: list = []
        """Segments another process wrote (``build_helper``), listed by this commit."""
        self.segment_written = False
        """This writer's segment is written (``write_segment``): only deletions and a
        commit that merges nothing may follow."""

    def add_document(self, **fields) -> None:
        kept = self._kept
        if any(len(lengths) != self.docnum for lengths in kept.values()) or any(
            name.startswith("_") for name in fields
        ):
            kept.clear()  # documents came in another way: look lengths up on disk
            super().add_document(**fields)
            return
        self._check_state()
        self._check_fields(self.schema, fields)
        schema = self.schema
        perdocwriter = self.perdocwriter
        pool = self.pool
        postings = pool.current
        docnum = self.docnum
        lengths = dict.fromkeys(kept, 0)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in sorted(fields):
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    kind = self._kinds[fieldname]
                    if kind is None:
                        items = field.index(value)
                    else:
                        items = _index_terms(kind, field.format, value)
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in items:
                        if scorable:
                            length += freq
                        postings.append((fieldname, tbytes, docnum, weight, vbytes))
                    pool.fieldnames.add(fieldname)
                    if scorable:
                        lengths[fieldname] = length
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type is not None:
                    perdocwriter.add_column_value(
                        fieldname, field.column_type, field.to_column_value(value)
                    )
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        for fieldname, length in lengths.items():
            # As the length column gives it back: quantised to one byte.
            kept[fieldname].append(byte_to_length(length_to_byte(length)) if length else 0)
        if len(postings) > MAX_POOL_POSTINGS:
            pool.save()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(self._kept, reader)
        try:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            self.fieldwriter.close()
        finally:
            if reader is not None:
                reader.close()

    def write_segment(self) -> None:
        """Write the documents added so far as this writer's segment now (its files; the
        table of contents at commit, which lists it with ``extra_segments``); nothing when
        none was added. Nothing may be added afterwards, and the commit must merge nothing
        (``NO_MERGE``)."""
        if not self._added:
            return
        self.extra_segments.append(self._finalize_segment())
        self._added = False  # the commit only closes the (closed) files and lists segments
        self.segment_written = True

    def _commit_toc(self, segments) -> None:
        super()._commit_toc(list(segments) + self.extra_segments)
