"""Turn a note's body into the Markdown the app renders, with its links made clickable.

Textual's ``Markdown`` widget knows neither ``[[wikilinks]]`` nor footnotes, so before
rendering the body is rewritten (the note on disk is never touched):

- ``[[target|label]]`` -> ``[label](note:PATH)`` when the link resolves to a note
  (``PATH`` percent-encoded), ``[label](missing:target)`` when it is broken;
- ``[[experiments/NAME]]`` -> ``[⚗ NAME](exp:NAME)``;
- ``![[file.png]]`` (attachments) -> an italic placeholder, a terminal shows no images;
- ``[^label]`` references and the ``[^label]:`` of definitions -> ``[[label]](fn:label)``;
- ``[label](other.md)`` -> ``[label](note:PATH)`` when the vault resolved it.

Code spans and fenced code blocks are left exactly as written. The links are the parser's
(`notebase.core.links.inline_links`, one grammar): each is replaced where the parser found
it (``Link.start``/``end``, ``Note.footnote_spans``) and the text between is copied as is,
so whatever the parser does not count as a link (anything in code) is never touched. Clicks
on these links arrive as ``Markdown.LinkClicked`` with the href; ``parse_href`` reads it
back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import itemgetter
from urllib.parse import quote, unquote

from notebase.core.links import FootnoteSpan, inline_links
from notebase.core.note import Link, Note

SCHEMES = ("note", "missing", "exp", "fn", "q")


def escape_label(text: str) -> str:
    """Make text safe inside ``[...]`` of a Markdown link."""
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)


def make_href(scheme: str, value: str) -> str:
    return f"{scheme}:{quote(value, safe='')}"


def parse_href(href: str) -> tuple[str, str] | None:
    """``note:ml%2Fmaml.md`` -> (``note``, ``ml/maml.md``); None for other links (URLs)."""
    scheme, sep, rest = href.partition(":")
    if not sep or scheme not in SCHEMES:
        return None
    return scheme, unquote(rest)


def _rewrite(
    text: str,
    links: Iterable[Link],
    footnotes: Iterable[FootnoteSpan],
    rewrite: Callable[[int, int, Link | str], str | None],
) -> str:
    """``text`` with each placed link and footnote span (a `Link`, or a footnote's label)
    replaced by ``rewrite(start, end, it)`` (None: keep it as written), in order; the text
    between them is copied verbatim."""
    spans: list[tuple[int, int, Link | str]] = [
        (link.start, link.end, link) for link in links if link.end
    ]
    spans.extend(footnotes)
    spans.sort(key=itemgetter(0))
    out: list[str] = []
    last = 0
    for start, end, item in spans:
        if start < last:
            continue  # a wikilink inside a Markdown link's label: the outer link wins
        out.append(text[last:start])
        replaced = rewrite(start, end, item)
        out.append(text[start:end] if replaced is None else replaced)
        last = end
    out.append(text[last:])
    return "".join(out)


def _footnote_link(label: str) -> str:
    return f"[\\[{escape_label(label)}\\]]({make_href('fn', label)})"


def _link_markdown(link: Link, note_path: str) -> str | None:
    """What a parsed link becomes in the rendered note; None leaves it as written."""
    if link.kind == "markdown":
        if link.embed or link.is_attachment or not link.resolved:
            return None  # an image, or a file the vault does not know
        value = link.resolved + (f"#{link.heading}" if link.heading else "")
        return f"[{link.label or ''}]({make_href('note', value)})"
    target, heading, label = link.target, link.heading, link.label
    if link.experiment:
        return f"[⚗ {escape_label(label or link.experiment)}]({make_href('exp', link.experiment)})"
    if link.embed or link.is_attachment:
        return f"*[{escape_label('attachment: ' + (label or target))}]*"
    shown = label or (f"{target} › {heading}" if target and heading else target or heading or "")
    if not target and heading:  # [[#heading]]: a heading in this note
        return f"[{escape_label(shown)}]({make_href('note', note_path + '#' + heading)})"
    if link.resolved:
        value = link.resolved + (f"#{heading}" if heading else "")
        return f"[{escape_label(shown)}]({make_href('note', value)})"
    return f"[{escape_label(shown)}]({make_href('missing', target)})"


def plain_inline(text: str) -> str:
    """One-line text for lists: ``[[t|label]]`` -> label, experiment links and footnote
    references dropped (the lists show experiments on their own), code spans and other
    links as written."""

    def rewrite(start: int, end: int, item: Link | str) -> str | None:
        if isinstance(item, str) or item.experiment:
            return ""
        if item.kind == "wiki":
            return item.label or item.target or item.heading or ""
        return None

    links, footnotes, _ = inline_links(text)
    return " ".join(_rewrite(text, links, footnotes, rewrite).split())


def note_markdown(note: Note) -> str:
    """The note's body ready for Textual's Markdown widget (see the module docstring)."""
    if not note.valid:
        errors = "\n".join(f"- {escape_label(error)}" for error in note.errors) or "- unreadable"
        return f"**This note could not be read:**\n\n{errors}\n"
    body = note.body

    def rewrite(start: int, end: int, item: Link | str) -> str | None:
        if not isinstance(item, str):
            return _link_markdown(item, note.path)
        if not body.endswith(":", 0, end):
            return _footnote_link(item)
        # "[^1]: ..." opens a definition: a link that shows the citation, then the text,
        # in a paragraph of its own (Textual's Markdown would join it to the line above).
        line_start = body.rfind("\n", 0, start) + 1
        previous = body[body.rfind("\n", 0, max(line_start - 1, 0)) + 1 : line_start]
        gap = "\n" if line_start == start and previous.strip() else ""
        space = "" if body[end : end + 1].isspace() else " "
        return f"{gap}{_footnote_link(item)}{space}"

    return _rewrite(body, note.links, note.footnote_spans, rewrite)
