"""Turn a note's body into the Markdown the app renders, with its links made clickable.

The renderer (``notebase.tui.widgets.note_body``, its parser
``notebase.tui.obsidian_markdown``) knows neither ``[[wikilinks]]`` nor footnotes, so
before rendering the body is rewritten (the note on disk is never touched):

- ``[[target|label]]`` -> ``[label](note:PATH)`` when the link resolves to a note
  (``PATH`` percent-encoded), ``[label](missing:target)`` when it is broken;
- ``[[experiments/NAME]]`` -> ``[⚗ NAME](exp:NAME)``;
- ``![[note]]``, ``![[note#heading]]``, ``![[note#^block]]`` on a line of their own -> that
  part of the note (`notebase.core.note_sections`), rewritten the same way, in a quote
  titled ``↪ note › heading`` (a link to it); ``MAX_EMBED_DEPTH`` deep, an embed already
  being shown is not shown again (a cycle), a missing one says ``missing embed: …``; in
  the middle of text an embed is a link. The notes come from ``embed`` (the session's);
- ``![[plot.png]]``, ``![x](fig.png)`` and links to other files -> ``[🖼 plot.png (click
  to open)](open:PATH)``: the main screen opens it with the system's viewer, and the
  renderer previews images under the link;
- ``%% comments %%`` and trailing ``^block-ids`` (`notebase.core.obsidian_syntax`) ->
  nothing;
- ``[^label]`` references and the ``[^label]:`` of definitions -> ``[[label]](fn:label)``;
- ``[label](other.md)`` -> ``[label](note:PATH)`` when the vault resolved it.

A note that could not be read (broken YAML, not UTF-8) shows its errors, then its text
(undecodable bytes as U+FFFD, as the parser kept it).

Code spans and fenced code blocks are left exactly as written. The links are the parser's
(`notebase.core.links.inline_links`, one grammar): each is replaced where the parser found
it (``Link.start``/``end``, ``Note.footnote_spans``) and the text between is copied as is,
so whatever the parser does not count as a link (anything in code) is never touched. Clicks
on these links arrive as ``NoteBody.LinkClicked`` with the href; ``parse_href`` reads it
back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from operator import itemgetter
from urllib.parse import quote, unquote

from notebase.core.links import FootnoteSpan
from notebase.core.markdown_blocks import outline
from notebase.core.note import Link, Note
from notebase.core.note_sections import section_range
from notebase.core.obsidian_syntax import hidden_spans

SCHEMES = ("note", "missing", "exp", "fn", "q", "open")

IMAGE_EXTENSIONS = frozenset("png jpg jpeg gif bmp svg webp avif tif tiff ico heic".split())


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


class _Hidden:
    """A span the reader never sees: a ``%% comment %%`` or a trailing ``^block-id``."""


_HIDDEN = _Hidden()
_LIST_PREFIX = re.compile(r"([ \t>]*)([-*+]|\d{1,9}[.)])([ \t]+)")


def _rewrite(
    text: str,
    spans: Iterable[tuple[int, int, Link | str | _Hidden]],
    rewrite: Callable[[int, int, Link | str | _Hidden], str | None],
) -> str:
    """``text`` with each span (a `Link`, a footnote's label, or hidden text) replaced by
    ``rewrite(start, end, it)`` (None: keep it as written), in order; the text between
    them is copied verbatim. A span inside an earlier one (a link in a comment, a
    wikilink in a Markdown link's label) goes with it."""
    out: list[str] = []
    last = 0
    for start, end, item in sorted(spans, key=itemgetter(0)):
        if start < last:
            continue  # inside the span before: the outer one wins
        out.append(text[last:start])
        replaced = rewrite(start, end, item)
        out.append(text[start:end] if replaced is None else replaced)
        last = end
    out.append(text[last:])
    return "".join(out)


def _link_spans(links: Iterable[Link], footnotes: Iterable[FootnoteSpan]):
    spans: list[tuple[int, int, Link | str | _Hidden]] = [
        (link.start, link.end, link) for link in links if link.end
    ]
    spans.extend(footnotes)
    return spans


def _footnote_link(label: str) -> str:
    return f"[\\[{escape_label(label)}\\]]({make_href('fn', label)})"


def _link_markdown(link: Link, note_path: str) -> str | None:
    """What a parsed link becomes in the rendered note; None leaves it as written."""
    if link.kind == "markdown":
        if link.is_attachment and (link.embed or link.resolved):
            return _attachment(link)
        if link.is_attachment or not link.resolved:
            return None  # a file the vault does not know
        value = link.resolved + (f"#{link.heading}" if link.heading else "")
        return f"[{link.label or ''}]({make_href('note', value)})"
    target, heading, label = link.target, link.heading, link.label
    if link.experiment:
        return f"[⚗ {escape_label(label or link.experiment)}]({make_href('exp', link.experiment)})"
    if link.is_attachment:
        return _attachment(link)
    shown = label or (f"{target} › {heading}" if target and heading else target or heading or "")
    if not target and heading:  # [[#heading]]: a heading in this note
        return f"[{escape_label(shown)}]({make_href('note', note_path + '#' + heading)})"
    if link.resolved:
        value = link.resolved + (f"#{heading}" if heading else "")
        return f"[{escape_label(shown)}]({make_href('note', value)})"
    return f"[{escape_label(shown)}]({make_href('missing', target)})"


EmbedSource = Callable[[str], "Note | None"]
"""What the renderer may read of other notes: a vault path -> that note (None: no such
note). The session supplies it; without one, embeds of notes show as links."""

MAX_EMBED_DEPTH = 3
"""Embeds inside embeds are shown this deep; deeper ones are links."""

MAX_EMBEDDED_CHARS = 500_000
"""Text all the embeds of one note may bring in (ten embeds of a note that embeds ten ...
would grow tenfold a level); past it, further embeds are links."""


def note_markdown(note: Note, embed: EmbedSource | None = None) -> str:
    """The note's body ready for the renderer (see the module docstring). ``embed`` reads
    the notes that ``![[note]]``, ``![[note#heading]]`` and ``![[note#^block]]`` show."""
    body = _Body(note, 0, len(note.body), embed, ((note.path, None),), [0]).markdown()
    if note.valid:
        return body
    errors = "\n".join(f"- {escape_label(error)}" for error in note.errors) or "- unreadable"
    head = f"**This note could not be read:**\n\n{errors}\n"
    return f"{head}\n---\n\n{body}" if note.body.strip() else head


class _Body:
    """One note's body, or the part of it an embed shows, as Markdown for the renderer."""

    def __init__(self, note, start: int, end: int, embed, stack, shown, depth=0) -> None:
        self.note, self.start, self.end = note, start, end
        self.embed, self.stack, self.depth = embed, stack, depth
        self.shown: list[int] = shown
        """Characters embedded so far in the whole note (shared by all its parts)."""
        self.text = note.body[start:end]

    def markdown(self) -> str:
        note, start, end = self.note, self.start, self.end
        spans = [
            (s - start, e - start, item)
            for s, e, item in _link_spans(note.links, note.footnote_spans)
            if start <= s and e <= end
        ]
        for s, e in self._hidden():
            if start <= s and e <= end:
                spans.append((s - start, e - start, _HIDDEN))
        return _rewrite(self.text, spans, self._rewrite)

    def _hidden(self) -> list[tuple[int, int]]:
        """Comments and block ids of the whole body (a comment may open before the part)."""
        body = self.note.body
        if "%%" not in body and "^" not in body:
            return []
        code = outline(body).code
        return hidden_spans(body, code)

    def _rewrite(self, start: int, end: int, item: Link | str | _Hidden) -> str | None:
        if isinstance(item, _Hidden):
            return ""
        if isinstance(item, str):
            return self._footnote(start, end, item) if not self.depth else None
        if item.embed and not item.experiment:
            return self._embed(start, end, item)
        return _link_markdown(item, self.note.path)

    def _footnote(self, start: int, end: int, label: str) -> str:
        body = self.text
        if not body.endswith(":", 0, end):
            return _footnote_link(label)
        # "[^1]: ..." opens a definition: a link that shows the citation, then the text,
        # in a paragraph of its own (Textual's Markdown would join it to the line above).
        line_start = body.rfind("\n", 0, start) + 1
        previous = body[body.rfind("\n", 0, max(line_start - 1, 0)) + 1 : line_start]
        gap = "\n" if line_start == start and previous.strip() else ""
        space = "" if body[end : end + 1].isspace() else " "
        return f"{gap}{_footnote_link(label)}{space}"

    # --- embeds ---------------------------------------------------------------------------

    def _embed(self, start: int, end: int, link: Link) -> str:
        name = link.label or (
            f"{link.target} › {link.heading}" if link.target and link.heading
            else link.target or link.heading or ""
        )
        if link.is_attachment:
            return _attachment(link)
        path = link.resolved if link.target else self.note.path
        if not path:
            return _missing_embed(name, link.target)
        if self.embed is None:
            return _link_markdown(link, self.note.path) or ""
        source = self.embed(path)
        section = section_range(source.body, link.heading) if source is not None else None
        if section is None:
            return _missing_embed(name, link.target or link.heading or "")
        href = make_href("note", path + (f"#{link.heading}" if link.heading else ""))
        title = f"[↪ {escape_label(name)}]({href})"
        key = (path, link.heading)
        if key in self.stack:
            return f"{title} *(embed cycle: not shown again)*"
        if self.depth >= MAX_EMBED_DEPTH:
            return f"{title} *(embeds nested too deep: not shown)*"
        prefix = self._own_line(start, end)
        if prefix is None:
            return title  # in the middle of text: a link to it
        self.shown[0] += section[1] - section[0]
        if self.shown[0] > MAX_EMBEDDED_CHARS:
            return f"{title} *(too much embedded text: not shown)*"
        stack = (*self.stack, key)
        inner = _Body(source, *section, self.embed, stack, self.shown, self.depth + 1)
        lines = [title, "", *inner.markdown().strip("\n").split("\n")]
        boxed = [f"> {line}" if line else ">" for line in lines]
        return f"\n{prefix}".join([*boxed, ""]).rstrip() + f"\n{prefix.rstrip()}"

    def _own_line(self, start: int, end: int) -> str | None:
        """The prefix that continues the container (quote, list item) of an embed that
        stands alone on its line; None when text shares the line."""
        text = self.text
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        if text[end : len(text) if line_end == -1 else line_end].strip():
            return None
        prefix = text[line_start:start]
        if not prefix.strip(" \t>"):
            return prefix
        marker = _LIST_PREFIX.fullmatch(prefix)
        if marker is None:
            return None
        return marker.group(1) + " " * (len(marker.group(2)) + len(marker.group(3)))


def _attachment(link: Link) -> str:
    """An embedded or linked file: a link that opens it in the system's viewer."""
    name = link.label or link.target.rsplit("/", 1)[-1]
    icon = "🖼" if link.target.rsplit(".", 1)[-1].lower() in IMAGE_EXTENSIONS else "📎"
    if not link.resolved:
        return f"[{icon} {escape_label(name)} (missing)]({make_href('missing', link.target)})"
    return f"[{icon} {escape_label(name)} (click to open)]({make_href('open', link.resolved)})"


def _missing_embed(name: str, target: str) -> str:
    return f"[missing embed: {escape_label(name)}]({make_href('missing', target)})"
