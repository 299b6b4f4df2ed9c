"""Turn a note's body into the Markdown the app renders, with its links made clickable.

Textual's ``Markdown`` widget knows neither ``[[wikilinks]]`` nor footnotes, so before
rendering the body is rewritten (the note on disk is never touched):

- ``[[target|label]]`` -> ``[label](note:PATH)`` when the link resolves to a note
  (``PATH`` percent-encoded), ``[label](missing:target)`` when it is broken;
- ``[[experiments/NAME]]`` -> ``[⚗ NAME](exp:NAME)``;
- ``![[file.png]]`` (attachments) -> an italic placeholder, a terminal shows no images;
- ``[^label]`` references and the ``[^label]:`` of definitions -> ``[[label]](fn:label)``;
- ``[label](other.md)`` -> ``[label](note:PATH)`` when the vault resolved it.

Code spans and fenced code blocks are left exactly as written. Clicks on these links arrive
as ``Markdown.LinkClicked`` with the href; ``parse_href`` reads it back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote, unquote

from notebase.core.note import Link, Note, experiment_link_name

WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]*?)\]\]")
FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")
FOOTNOTE_DEF = re.compile(r"^\[\^([^\]\s]+)\]:\s*")
FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:.+?)\1")
MARKDOWN_LINK = re.compile(r"(?<!!)\[([^\]\n]*)\]\((<[^>\n]*>|[^)\s]+)\)")

SCHEMES = ("note", "missing", "exp", "fn", "q")


def split_wikilink(inner: str) -> tuple[str, str | None, str | None]:
    """``target#heading|label`` -> (target, heading, label), the target normalised as the
    parser stores it (NFC; ``[[a\\|b]]`` inside a table drops its backslash), so that it
    finds the parsed `Link`."""
    label = None
    if "|" in inner:
        inner, label = inner.split("|", 1)
        inner = inner.removesuffix("\\")
        label = label.strip() or None
    heading = None
    if "#" in inner:
        inner, heading = inner.split("#", 1)
        heading = heading.strip() or None
    return unicodedata.normalize("NFC", inner.strip()), heading, label


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


def _link_lookup(links: Iterable[Link]) -> dict[tuple[str, str, str | None], Link]:
    """Parsed links by (kind, target, heading), exact and case-folded."""
    table: dict[tuple[str, str, str | None], Link] = {}
    for link in links:
        table.setdefault((link.kind, link.target, link.heading), link)
        table.setdefault((link.kind, link.target.casefold(), link.heading), link)
    return table


def _rewrite_line(line: str, note: Note, lookup: dict) -> str:
    """Rewrite links and footnote refs of one line, outside inline code."""
    pieces: list[str] = []
    definition = FOOTNOTE_DEF.match(line)
    if definition:  # "[^1]: ..." -> a link that shows the citation, then the text
        label = definition.group(1)
        pieces.append(f"[\\[{escape_label(label)}\\]]({make_href('fn', label)}) ")
        line = line[definition.end() :]
    last = 0
    for code in INLINE_CODE.finditer(line):
        pieces.append(_rewrite_text(line[last : code.start()], note, lookup))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_rewrite_text(line[last:], note, lookup))
    return "".join(pieces)


def _rewrite_text(text: str, note: Note, lookup: dict) -> str:
    def wikilink(match: re.Match) -> str:
        embed, inner = match.group(1), match.group(2)
        target, heading, label = split_wikilink(inner)
        shown = label or (
            f"{target} › {heading}" if target and heading else target or heading or ""
        )
        experiment = experiment_link_name(target)
        if experiment:
            return f"[⚗ {escape_label(label or experiment)}]({make_href('exp', experiment)})"
        link = lookup.get(("wiki", target, heading)) or lookup.get(
            ("wiki", target.casefold(), heading)
        )
        if embed or (link is not None and link.is_attachment):
            return f"*[{escape_label('attachment: ' + (label or target))}]*"
        if not target and heading:  # [[#heading]]: a heading in this note
            return f"[{escape_label(shown)}]({make_href('note', note.path + '#' + heading)})"
        if link is not None and link.resolved:
            value = link.resolved + (f"#{heading}" if heading else "")
            return f"[{escape_label(shown)}]({make_href('note', value)})"
        return f"[{escape_label(shown)}]({make_href('missing', target)})"

    def markdown_link(match: re.Match) -> str:
        destination = match.group(2).strip("<>")
        target, _, heading = unquote(destination).partition("#")
        link = lookup.get(("markdown", target, heading or None))
        if link is None or not link.resolved or link.is_attachment:
            return match.group(0)  # a URL, or something the vault does not know
        value = link.resolved + (f"#{heading}" if heading else "")
        return f"[{match.group(1)}]({make_href('note', value)})"

    text = MARKDOWN_LINK.sub(markdown_link, text)
    text = WIKILINK.sub(wikilink, text)
    return FOOTNOTE_REF.sub(
        lambda m: f"[\\[{escape_label(m.group(1))}\\]]({make_href('fn', m.group(1))})", text
    )


def plain_inline(text: str) -> str:
    """One-line text for lists: ``[[t|label]]`` -> label, experiment links and footnote
    references dropped (the lists show experiments on their own)."""

    def wikilink(match: re.Match) -> str:
        target, heading, label = split_wikilink(match.group(2))
        if experiment_link_name(target):
            return ""
        return label or target or heading or ""

    text = FOOTNOTE_REF.sub("", WIKILINK.sub(wikilink, text))
    return " ".join(text.split())


def note_markdown(note: Note) -> str:
    """The note's body ready for Textual's Markdown widget (see the module docstring)."""
    if not note.valid:
        errors = "\n".join(f"- {escape_label(error)}" for error in note.errors) or "- unreadable"
        return f"**This note could not be read:**\n\n{errors}\n"
    lookup = _link_lookup(note.links)
    out: list[str] = []
    fence: str | None = None
    for line in note.body.split("\n"):
        match = FENCE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            continue
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        if FOOTNOTE_DEF.match(line) and out and out[-1].strip():
            out.append("")  # each definition its own paragraph, not a continuation
        out.append(_rewrite_line(line, note, lookup))
    return "\n".join(out)
