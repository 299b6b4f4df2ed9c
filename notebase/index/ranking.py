"""Top-N ranking computed from whole posting lists, with whoosh's own scores.

whoosh walks its matcher tree one candidate note at a time in Python; a query of common
words (a quoted phrase of common syllable pairs, or an exclusion that leaves only low-scoring
notes, so block-max skipping cannot skip) visits thousands of notes at 25-100 ms at 10,000
notes. Here the same matcher tree whoosh builds is evaluated a whole node at a time: each term
becomes ``{note: score}`` (the scores whoosh's scorer gives, kept for the searcher's lifetime,
which lasts until the index changes), and each node combines its children with the same float
operations whoosh's matcher performs (``a + b``, ``s * boost``), so the scores are identical
bit for bit. Order is whoosh's: score descending, then note number ascending. The notes'
field lengths (for BM25F) are kept per segment for as long as the index object lives
(``_segment_lengths``): a segment's never change, and a save leaves most segments.

A tree with a node not handled here returns None and whoosh searches as before.
"""

from __future__ import annotations

from heapq import nlargest

from whoosh.matching import binary, mcore, wrappers
from whoosh.query.spans import SpanNear2
from whoosh.scoring import BM25FScorer, bm25

MAX_POSTINGS = 1_000_000
"""Postings (note, score) a searcher keeps, over all its terms (about 100 MB at most); the
oldest terms are dropped beyond this."""


class _Cache(dict):
    """Term entries, oldest first, with their postings counted; field lengths apart."""

    def __init__(self, searcher):
        super().__init__()
        self.postings = 0
        self.segments: dict[int, str | None] = {
            id(leaf): _segment_key(leaf) for leaf, _ in searcher.leaf_searchers()
        }
        """id of a leaf searcher -> its segment's id (None: no segment, lengths in
        ``own_lengths``, this searcher's only)."""
        self.lengths = _segment_lengths(searcher, set(self.segments.values()))
        """``{(segment, field): {note: length}}``, shared by the searchers of one index."""
        self.own_lengths: dict = {}

    def add(self, key, entry) -> None:
        size = len(entry[0])
        while self and self.postings + size > MAX_POSTINGS:
            self.postings -= len(self.pop(next(iter(self)))[0])
        self[key] = entry
        self.postings += size


_PHRASE = SpanNear2.SpanNear2Matcher


class _Unsupported(Exception):
    pass


def ranked_docs(searcher, query, limit: int) -> tuple[list[tuple[int, float]], int] | None:
    """``[(docnum, score)]`` of the best ``limit`` notes, best first, as whoosh's full ranking
    orders them (score, then note number), and how many notes match in all (every note
    scored counts); None when the query has a part this module does not evaluate."""
    cache = searcher.__dict__.get("_notebase_term_scores")
    if cache is None:
        cache = searcher._notebase_term_scores = _Cache(searcher)
    scored: list[tuple[int, float]] = []
    total = 0
    try:
        for leaf, offset in searcher.leaf_searchers():
            scores = _evaluate(query.matcher(leaf), leaf, cache)
            total += len(scores)
            if len(scores) > limit:  # the limit-th best score, sorted in C, then only those
                floor = nlargest(limit, scores.values())[-1]
                scored.extend((offset + doc, s) for doc, s in scores.items() if s >= floor)
            else:
                scored.extend((offset + doc, s) for doc, s in scores.items())
    except _Unsupported:
        return None
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored[:limit], total


def _segment_key(leaf) -> str | None:
    """The id of ``leaf``'s segment (whoosh writes a segment's files once: its field
    lengths never change); None for a reader of no segment."""
    segment = leaf.reader().segment()
    return segment.segment_id() if segment is not None else None


def _segment_lengths(searcher, live: set) -> dict:
    """The field lengths kept for ``searcher``'s index: on whoosh's index object, which
    outlives the searcher (a new one after every save), for the segments it still has
    (``live``). A save leaves the large segments as they were (only their deletions
    change), so the first query after it does not read their lengths again (half of its
    time)."""
    ix = getattr(searcher, "_ix", None)
    if ix is None:
        return {}
    kept = ix.__dict__.setdefault("_notebase_lengths", {})
    for key in [key for key in kept if key[0] not in live]:
        del kept[key]
    return kept


def _evaluate(m, leaf, cache) -> dict[int, float]:
    kind = type(m)
    if kind is mcore.NullMatcherClass:
        return {}
    if kind is binary.IntersectionMatcher:
        a, b = _evaluate(m.a, leaf, cache), _evaluate(m.b, leaf, cache)
        small, large = (a, b) if len(a) <= len(b) else (b, a)
        return {doc: a[doc] + b[doc] for doc in small if doc in large}
    if kind is binary.UnionMatcher:
        a, b = _evaluate(m.a, leaf, cache), _evaluate(m.b, leaf, cache)
        merged = dict(b)
        for doc, score in a.items():
            merged[doc] = score + b[doc] if doc in b else score
        return merged
    if kind is binary.AndMaybeMatcher:
        a, b = _evaluate(m.a, leaf, cache), _evaluate(m.b, leaf, cache)
        return {doc: score + b[doc] if doc in b else score for doc, score in a.items()}
    if kind is binary.AndNotMatcher:
        a, b = _evaluate(m.a, leaf, cache), _evaluate(m.b, leaf, cache)
        return {doc: score for doc, score in a.items() if doc not in b}
    if kind is wrappers.WrappingMatcher:
        child, boost = _evaluate(m.child, leaf, cache), m.boost
        return {doc: score * boost for doc, score in child.items()}
    if kind is _PHRASE:
        return _phrase(m, leaf, cache)
    term = _leaf_term(m)
    if term is not None:
        return _term(term, leaf, cache)[0]
    raise _Unsupported(kind.__name__)


def _leaf_term(m):
    """The term a posting-list matcher reads, also one that skips a segment's deleted notes
    (whoosh wraps it in an excluding ``FilterMatcher``); None for any other matcher."""
    if type(m) is wrappers.FilterMatcher and m._exclude and m.boost == 1.0:
        m = m.child
    if type(m).__name__ == "W3LeafMatcher":
        return m.term()
    return None


def _term(term, leaf, cache) -> list:
    """``[{doc: score}, {doc: positions}]`` for ``term`` (positions only of the notes a
    phrase asked about)."""
    key = (id(leaf), term)
    entry = cache.get(key)
    if entry is None:
        # A fresh reader: building the tree may already have moved ``m`` (whoosh's AndNot,
        # AndMaybe and phrase matchers look ahead when they are made).
        fieldname, text = term
        reader = leaf.postings(fieldname, text)  # without deleted notes, as whoosh reads
        scorer = getattr(reader, "scorer", None) or reader.child.scorer
        scores = {}
        if type(scorer) is BM25FScorer:
            # scorer.score(reader), with each note's field length looked up once per searcher
            segment = cache.segments[id(leaf)]
            if segment is None:
                lengths = cache.own_lengths.setdefault((id(leaf), fieldname), {})
            else:
                lengths = cache.lengths.setdefault((segment, fieldname), {})
            dfl, idf, avgfl, b, k1 = scorer.dfl, scorer.idf, scorer.avgfl, scorer.B, scorer.K1
            while reader.is_active():
                doc = reader.id()
                length = lengths.get(doc)
                if length is None:
                    length = lengths[doc] = dfl(doc)
                scores[doc] = bm25(idf, reader.weight(), length, avgfl, b, k1)
                reader.next()
        else:
            while reader.is_active():
                scores[reader.id()] = reader.score()
                reader.next()
        entry = [scores, {}]
        cache.add(key, entry)
    return entry


def _positions(term, leaf, cache, docs: list[int]) -> dict[int, frozenset[int]]:
    """The positions of ``term`` in ``docs`` (ascending, all in its postings)."""
    known = _term(term, leaf, cache)[1]
    missing = [doc for doc in docs if doc not in known]
    if missing:
        fieldname, text = term
        reader = leaf.reader().postings(fieldname, text)
        for doc in missing:
            reader.skip_to(doc)
            known[doc] = frozenset(reader.value_as("positions"))
    return known


def _phrase(m, leaf, cache) -> dict[int, float]:
    """whoosh's ``Phrase``: the words' intersection (its score), kept where the words stand
    at consecutive positions."""
    terms = [_leaf_term(sub) for sub in m.ms]
    if (m.slop, m.ordered, m.mindist) != (1, True, 1) or None in terms:
        raise _Unsupported("phrase")
    candidates = _evaluate(m.child, leaf, cache)
    if m.boost != 1.0:
        raise _Unsupported("boosted span")
    docs = sorted(candidates)
    word_positions = [_positions(term, leaf, cache, docs) for term in terms]
    kept = {}
    for doc, score in candidates.items():
        starts = word_positions[0][doc]
        for k in range(1, len(word_positions)):
            later = word_positions[k][doc]
            starts = [start for start in starts if start + k in later]
            if not starts:
                break
        if starts:
            kept[doc] = score
    return kept
