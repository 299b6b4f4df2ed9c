"""The whoosh schema of the search index and how a Note becomes one indexed document.

Bump ``SCHEMA_VERSION`` whenever the fields, the analyser or ``note_document`` change what
is indexed: an index written with another version is rebuilt (with a message) on open.
"""

from __future__ import annotations

from notebase.core.note import Note

SCHEMA_VERSION = 3


def build_schema():
    # whoosh is imported here, not at module level: only the index adapter needs it.
    from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

    from notebase.index.analysis import KoreanAnalyzer

    text = KoreanAnalyzer()
    return Schema(
        path=ID(stored=True, unique=True),
        # Title, aliases and body in one field: free text must match here, so a query is
        # one intersection, not one per field (whoosh scores every matching document in
        # Python; this halves query time). Positions kept for "phrases".
        content=TEXT(analyzer=text),
        # Ranking and field queries (title:, alias: ...). Only the title keeps positions;
        # elsewhere a phrase is matched as all of its words.
        title=TEXT(analyzer=text, stored=True),
        aliases=TEXT(analyzer=text, phrase=False),
        # Exact tags plus every parent of a nested tag ("ml/meta" -> "ml/meta", "ml"),
        # so tag:ml finds ml and ml/... and tag:health never finds life/health.
        tags=KEYWORD(lowercase=True, commas=True, scorable=True),
        headings=TEXT(analyzer=text, phrase=False),
        citations=TEXT(analyzer=text, phrase=False),
        questions=TEXT(analyzer=text, phrase=False),
        # The note text for snippets, not indexed (content indexes it).
        body=STORED(),
    )


PHRASE_FIELDS = frozenset({"content", "title"})
"""Fields indexed with positions: a phrase there is matched exactly."""


def expand_tags(tags: list[str]) -> list[str]:
    """Each tag and all its parents, without ``#``, in order, no duplicates."""
    expanded: dict[str, None] = {}
    for tag in tags:
        parts = [p for p in tag.strip().lstrip("#").split("/") if p]
        for depth in range(len(parts), 0, -1):
            expanded["/".join(parts[:depth])] = None
    return list(expanded)


def note_document(note: Note, raw_text: str | None = None) -> dict[str, str]:
    """The fields whoosh indexes for ``note``. ``raw_text`` stands in for the body of a
    note that could not be parsed, so its words stay searchable."""
    body = note.body
    if not body and not note.valid and raw_text:
        body = raw_text
    citation_parts = []
    for footnote in note.footnotes:
        citation_parts.append(footnote.text)
        if footnote.citation.title and footnote.citation.title not in footnote.text:
            citation_parts.append(footnote.citation.title)
    citation_parts.extend(f"@{key}" for key in dict.fromkeys(c[0] for c in note.citekeys))
    aliases = "\n".join(note.aliases)
    return {
        "path": note.path,
        "content": f"{note.title}\n{aliases}\n{body}",
        "title": note.title,
        "aliases": aliases,
        "tags": ",".join(tag.replace(",", " ") for tag in expand_tags(note.tags)),
        "headings": "\n".join(note.headings),
        "body": body,
        "citations": "\n".join(citation_parts),
        "questions": "\n".join(q.text for q in note.questions),
    }
