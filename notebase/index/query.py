"""The search query language: read a query string into clauses, then into a whoosh query.

Syntax (documented in the README's search section)::

    메타러닝 gradient          words: every word must match (AND), in any text field
    "inner loop"               a phrase: these words next to each other
    tag:ml                     notes tagged ml or ml/anything (nested tags)
    title:MAML                 the word (or title:"a phrase") in the title only
    alias: heading: body: cite: question: path:   other fields (path: is a prefix)
    cite:Finn                  also every note citing a work by Finn (see resolve_citations)
    -draft  -tag:초안          exclude notes that match
    maml OR reptile            either one

A query that cannot be read raises ``QuerySyntaxError`` (a ``UserError``: one line, exit 2).

Korean handling on the query side: a word is searched as the phrase of its character
bigrams (what the index stores), a trailing particle is dropped (``메타러닝에서`` searches
``메타러닝``), and a one-syllable Hangul word is glued to its neighbour (``빛 공해`` ->
``빛공해``) because a single syllable has no bigram of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notebase.core.ports import CitedNotes
from notebase.errors import UserError
from notebase.index.analysis import (
    CJK_CHAR_RE,
    CJK_RANGE,
    cjk_grams,
    index_tokens,
    normalize_word,
    query_segments,
    strip_particle,
)
from notebase.index.schema import PHRASE_FIELDS


class QuerySyntaxError(UserError):
    """A search query that cannot be read (unbalanced quote, unknown field ...)."""


# Field names users type -> index field.
FIELD_NAMES = {
    "tag": "tags",
    "tags": "tags",
    "title": "title",
    "alias": "aliases",
    "aliases": "aliases",
    "heading": "headings",
    "headings": "headings",
    "body": "content",
    "text": "content",
    "cite": "citations",
    "citation": "citations",
    "footnote": "citations",
    "question": "questions",
    "questions": "questions",
    "path": "path",
}
USER_FIELDS = "tag:, title:, alias:, heading:, body:, cite:, question:, path:"
"""For error messages. ``body:`` (or ``text:``) searches the whole text, title and aliases
included; ``cite:`` footnote definitions; ``question:`` the open-question list items."""

_FIELD_PREFIX_RE = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_HANGUL_WORD_RE = re.compile(f"[{CJK_RANGE}]+")


@dataclass(slots=True)
class Clause:
    """One searched item: a word, a phrase, or a field:value."""

    text: str
    """The word or phrase as typed (without quotes, ``-`` or field prefix)."""
    field: str | None = None
    """Index field name (``tags``, ``title`` ...), None for free text."""
    phrase: bool = False
    """True when the text was quoted."""
    negated: bool = False
    """True for ``-clause``: notes that match are excluded."""
    paths: frozenset[str] | None = None
    """For ``cite:``: the notes the caller's works say cite it (`resolve_citations`);
    they match as well as the notes whose citations contain the words."""


@dataclass(slots=True)
class ParsedQuery:
    """A query read into AND-ed groups; each group is a list of OR-ed clauses."""

    groups: list[list[Clause]] = field(default_factory=list)

    def positive_clauses(self) -> list[Clause]:
        return [c for group in self.groups for c in group if not c.negated]


def parse_query(text: str) -> ParsedQuery:
    """Read a query string; raise QuerySyntaxError for what cannot be read."""
    items = _tokenize(text)
    groups: list[list[Clause]] = []
    pending_or = False
    for item in items:
        if item == "OR":
            if not groups or pending_or:
                raise QuerySyntaxError("OR needs a search term on both sides")
            pending_or = True
            continue
        if pending_or:
            groups[-1].append(item)
            pending_or = False
        else:
            groups.append([item])
    if pending_or:
        raise QuerySyntaxError("OR needs a search term on both sides")
    if not groups:
        raise QuerySyntaxError("empty query")
    for group in groups:
        if len(group) > 1 and any(c.negated for c in group):
            raise QuerySyntaxError("'-' cannot be combined with OR; exclude terms separately")
    if all(c.negated for group in groups for c in group):
        raise QuerySyntaxError("a query needs at least one term that is not excluded with '-'")
    _glue_single_syllables(groups)
    return ParsedQuery(groups)


def _tokenize(text: str) -> list[Clause | str]:
    items: list[Clause | str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch == "-":
            negated = True
            i += 1
            if i >= n or text[i].isspace():
                raise QuerySyntaxError("'-' must be followed by the term to exclude, e.g. -draft")
        if text[i] == '"':
            phrase, i = _read_quoted(text, i)
            if phrase.strip():
                items.append(Clause(phrase, phrase=True, negated=negated))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = text[start:i]
        match = _FIELD_PREFIX_RE.fullmatch(word)
        if match and (match.group(2) or (i < n and text[i] == '"') or i >= n or text[i].isspace()):
            name = match.group(1).lower()
            if name not in FIELD_NAMES:
                raise QuerySyntaxError(f"unknown field '{match.group(1)}:' (fields: {USER_FIELDS})")
            value = match.group(2)
            phrase = False
            if not value and i < n and text[i] == '"':
                value, i = _read_quoted(text, i)
                phrase = True
            if not value.strip():
                raise QuerySyntaxError(f"'{match.group(1)}:' needs a value, e.g. {name}:ml")
            items.append(Clause(value, field=FIELD_NAMES[name], phrase=phrase, negated=negated))
            continue
        if word == "OR" and not negated:
            items.append("OR")
            continue
        items.append(Clause(word, negated=negated))
    return items


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    end = text.find('"', i + 1)
    if end < 0:
        raise QuerySyntaxError('unbalanced quote: a phrase needs a closing "')
    return text[i + 1 : end], end + 1


def _is_plain_hangul(clause: Clause) -> bool:
    return (
        clause.field is None
        and not clause.phrase
        and not clause.negated
        and _HANGUL_WORD_RE.fullmatch(clause.text) is not None
    )


def _glue_single_syllables(groups: list[list[Clause]]) -> None:
    """``빛 공해`` -> ``빛공해``: a lone syllable joins the next plain Hangul word, else the
    previous one (the index joins words across spaces, so the glued form matches both
    spellings)."""
    i = 0
    while i < len(groups):
        group = groups[i]
        if len(group) == 1 and _is_plain_hangul(group[0]) and len(group[0].text) == 1:
            nxt = groups[i + 1] if i + 1 < len(groups) else None
            prev = groups[i - 1] if i > 0 else None
            if nxt and len(nxt) == 1 and _is_plain_hangul(nxt[0]):
                nxt[0].text = group[0].text + nxt[0].text
                del groups[i]
                continue
            if prev and len(prev) == 1 and _is_plain_hangul(prev[0]):
                prev[0].text = prev[0].text + group[0].text
                del groups[i]
                continue
        i += 1


def resolve_citations(parsed: ParsedQuery, cited: CitedNotes | None) -> None:
    """Give each ``cite:`` clause the notes ``cited`` names for its text: the notes citing a
    work by that author (any spelling the vault's works joined) or of that key. Per-note
    index fields cannot hold that (it depends on every other note), so it is looked up
    here, at query time, from the caller's grouping."""
    if cited is None:
        return
    for group in parsed.groups:
        for clause in group:
            if clause.field == "citations":
                clause.paths = frozenset(cited(clause.text))


# --- Query-side analysis --------------------------------------------------------------


def word_tokens(word: str) -> list[str]:
    """Index tokens a typed word must match, in order (a phrase when more than one).

    A one-syllable Hangul piece right after a Latin word is a particle (``MAML은``) and is
    dropped; a trailing particle of a Hangul word is dropped (``strip_particle``).
    """
    segments = query_segments(word)
    tokens: list[str] = []
    for index, (kind, piece) in enumerate(segments):
        if kind == "word":
            normalized = normalize_word(piece)
            if normalized is not None:
                tokens.append(normalized)
            continue
        if len(piece) == 1 and index > 0:
            continue
        if index == len(segments) - 1:
            piece = strip_particle(piece)
        tokens.extend(cjk_grams(piece))
    return tokens


def highlight_terms(parsed: ParsedQuery) -> list[str]:
    """The words and phrases whose occurrences a snippet should mark."""
    terms = []
    for clause in parsed.positive_clauses():
        if clause.field in ("tags", "path"):
            continue
        if clause.phrase:
            terms.append(clause.text)
            continue
        segments = query_segments(clause.text)
        for kind, piece in segments:
            if kind == "cjk":
                if len(piece) > 1 or len(segments) == 1:
                    terms.append(strip_particle(piece))
            elif normalize_word(piece) is not None:
                terms.append(piece)
    return terms


# --- Compilation to whoosh -------------------------------------------------------------

WORD_AS_PHRASE = False
"""Match a typed word's tokens as a phrase (adjacent) instead of all of them anywhere in
the field. Off: measured 3-4x slower on common words for no recall gain
(bench/search_quality.py compares both)."""

RANK_BOOSTS = (("title", 3.0), ("aliases", 3.0))
"""Free text must match ``content`` (title + aliases + body); a match in these fields as
well ranks the note higher."""


def compile_query(parsed: ParsedQuery):
    """The whoosh query for ``parsed``; None when nothing searchable is left (a query of
    stop words only).

    Shape: ``AndMaybe(And(required...), Or(rank boosts...))`` minus ``Or(excluded...)``.
    A word is the conjunction of its tokens (a Hangul word's bigrams need not be adjacent:
    whoosh checks positions in Python and a phrase per word made common queries 3-4x
    slower); a quoted phrase checks positions.
    """
    from whoosh import query as wq  # the adapter's engine; callers already imported it

    required, excluded, boosts = [], [], []
    for group in parsed.groups:
        alternatives = []
        for clause in group:
            compiled = _clause_query(wq, clause)
            if compiled is None:
                continue
            alternatives.append(compiled[0])
            if not clause.negated:
                boosts.extend(compiled[1])
        if not alternatives:
            continue
        combined = alternatives[0] if len(alternatives) == 1 else wq.Or(alternatives)
        (excluded if group[0].negated else required).append(combined)
    if not required:
        return None
    result = required[0] if len(required) == 1 else wq.And(required)
    if boosts:
        result = wq.AndMaybe(result, boosts[0] if len(boosts) == 1 else wq.Or(boosts))
    if excluded:
        result = wq.AndNot(result, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
    return result


def _clause_query(wq, clause: Clause):
    """``(query that must match, [optional ranking queries])`` or None when the clause
    has no searchable token (a stop word); a ``cite:`` clause also matches its notes."""
    compiled = _words_query(wq, clause)
    if not clause.paths:
        return compiled
    notes = wq.Or([wq.Term("path", path) for path in sorted(clause.paths)])
    if compiled is None:
        return notes, []
    return wq.Or([compiled[0], notes]), compiled[1]


def _words_query(wq, clause: Clause):
    if clause.field == "tags":
        tag = clause.text.strip().lstrip("#").strip("/").lower()
        return (wq.Term("tags", tag), []) if tag else None
    if clause.field == "path":
        return wq.Prefix("path", clause.text.strip().lstrip("/")), []
    if clause.phrase:
        tokens = index_tokens(clause.text)  # a phrase is analysed exactly like note text
        single_syllable = False
    else:
        tokens = word_tokens(clause.text)
        single_syllable = len(tokens) == 1 and CJK_CHAR_RE.fullmatch(tokens[0]) is not None
    if not tokens:
        return None
    if clause.field is not None:
        return _tokens_query(wq, clause.field, tokens, 1.0, clause.phrase, single_syllable), []
    must = _tokens_query(wq, "content", tokens, 1.0, clause.phrase, single_syllable)
    boosts = [
        _tokens_query(wq, name, tokens, boost, clause.phrase, single_syllable)
        for name, boost in RANK_BOOSTS
    ]
    return must, boosts


def _tokens_query(wq, fieldname, tokens, boost, phrase, single_syllable):
    if single_syllable:
        # A lone syllable is indexed only when it stood alone; otherwise it starts a bigram.
        return wq.Or(
            [wq.Term(fieldname, tokens[0]), _bounded_prefix(wq)(fieldname, tokens[0])],
            boost=boost,
        )
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0], boost=boost)
    if (phrase or WORD_AS_PHRASE) and fieldname in PHRASE_FIELDS:
        return wq.Phrase(fieldname, tokens, boost=boost)
    return wq.And([wq.Term(fieldname, token) for token in tokens], boost=boost)


PREFIX_POSTINGS_BUDGET = 5_000
"""A lone syllable matches the bigrams it starts; a very common one (``이``, ``가``)
starts hundreds, whose union whoosh walks in Python (120 ms at 10,000 notes, on the first
keystroke of a search-as-you-type). The rarest continuations are kept up to this many
postings in all."""

_BOUNDED_PREFIX = None


def _bounded_prefix(wq):
    global _BOUNDED_PREFIX
    if _BOUNDED_PREFIX is None:

        class BoundedPrefix(wq.Prefix):
            """``Prefix`` expanding to its rarest terms within PREFIX_POSTINGS_BUDGET,
            scored like terms (constantscore=False keeps whoosh's block-max skipping)."""

            def __init__(self, fieldname, text, boost=1.0):
                super().__init__(fieldname, text, boost=boost, constantscore=False)

            def _btexts(self, ixreader):
                terms = sorted(
                    (ixreader.doc_frequency(self.fieldname, text), text)
                    for text in ixreader.expand_prefix(self.fieldname, self.text)
                )
                total = 0
                for frequency, text in terms:
                    total += frequency
                    if total > PREFIX_POSTINGS_BUDGET and total != frequency:
                        return
                    yield text

        _BOUNDED_PREFIX = BoundedPrefix
    return _BOUNDED_PREFIX
