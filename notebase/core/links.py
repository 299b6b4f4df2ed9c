"""The one grammar of links in note text: wikilinks, Markdown links, footnote references.

`inline_links` finds them in one inline text (a paragraph or heading as markdown-it gives
it), skipping code spans (`mask_code_spans`). The parser records what it returns, with
offsets moved into the note's body; the app's renderer and list texts use the same function
or those offsets, so what counts as a link is decided here and nowhere else. Every regex is
linear-time (no nested quantifier that can backtrack).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from notebase.core.note import Link, experiment_link_name

_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
# [label](dest "title") with dest either <...> or without spaces (balanced parens allowed).
_MD_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
_FOOTNOTE_REF = re.compile(r"\[\^([^\[\]\s]+)\]")
_URL_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
_CODE_SPAN_TICKS = re.compile(r"`+")
_NOT_NEWLINE = re.compile(r"[^\n]")

ATTACHMENT_EXTENSIONS = frozenset(
    """png jpg jpeg gif bmp svg webp avif tif tiff ico heic
    mp3 wav m4a ogg oga opus 3gp flac aac webm mp4 m4v mkv mov ogv avi
    pdf canvas base csv tsv json xml yaml yml toml txt log zip gz tar 7z
    doc docx xls xlsx ppt pptx odt ods epub html htm excalidraw ipynb py""".split()
)


def link_target_span(link_text: str, kind: str) -> tuple[int, int, str, bool] | None:
    """``(start, end, as written, in angle brackets)`` of the note target inside the text of
    one link of `Link.kind` ``kind`` (offsets into ``link_text``: the part a rename rewrites,
    without ``#heading``, ``|label`` or the angle brackets); None if it has none."""
    masked = mask_code_spans(link_text)
    if kind == "wiki":
        match = _WIKILINK.fullmatch(masked)
        if match is None:
            return None
        inner_start = match.start(2)
        inner = link_text[inner_start : match.end(2)]
        part = _wiki_parts(inner)[0]
        angle = False
    else:
        match = _MD_LINK.fullmatch(masked)
        if match is None:
            return None
        inner_start = match.start(3)
        inner = link_text[inner_start : match.end(3)]
        angle = inner.startswith("<") and inner.endswith(">")
        if angle:
            inner_start += 1
            inner = inner[1:-1]
        part = inner.partition("#")[0]
    lead = len(part) - len(part.lstrip())
    core = part.strip()
    if not core:
        return None
    start = inner_start + lead
    return start, start + len(core), core, angle


def is_attachment_target(target: str) -> bool:
    """True when ``target`` names a non-note file by its extension (``fig.png``)."""
    name = target.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1 :].lower() in ATTACHMENT_EXTENSIONS


def code_spans(text: str) -> list[tuple[int, int, int]]:
    """``(start, end, ticks)`` of each inline code span of ``text``, backticks included,
    ``ticks`` the width of its backtick runs.

    CommonMark: a run of N backticks opens a span closed by the next run of exactly N.
    """
    if "`" not in text:
        return []
    spans = []
    runs = list(_CODE_SPAN_TICKS.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        width = len(opening.group())
        closing_index = next(
            (j for j in range(i + 1, len(runs)) if len(runs[j].group()) == width), None
        )
        if closing_index is None:
            i += 1
            continue
        spans.append((opening.start(), runs[closing_index].end(), width))
        i = closing_index + 1
    return spans


def mask_code_spans(text: str) -> str:
    """``text`` with the inside of inline code spans replaced by spaces (same length)."""
    spans = code_spans(text)
    if not spans:
        return text
    out = []
    pos = 0
    for start, end, _ in spans:
        out.append(text[pos:start])
        out.append(_NOT_NEWLINE.sub(" ", text[start:end]))
        pos = end
    out.append(text[pos:])
    return "".join(out)


def other_markdown_links(text: str, links: list[Link]) -> list[tuple[int, int, int, int]]:
    """``(start, end, label_start, label_end)`` of the Markdown links ``[label](dest)`` of
    one inline text that `inline_links` does not count (web addresses, ``#anchors``, other
    files); ``links`` are the ones it counted there (offset 0). What shows links as text
    needs these; nothing else does."""
    if "](" not in text:
        return []
    masked = mask_code_spans(text)
    if "[[" in masked:
        masked = _WIKILINK.sub(lambda match: " " * len(match.group()), masked)
    counted = {link.start for link in links if link.kind == "markdown"}
    return [
        (m.start(), m.end(), m.start(2), m.end(2))
        for m in _MD_LINK.finditer(masked)
        if m.start() not in counted
    ]


FootnoteSpan = tuple[int, int, str]
"""``(start, end, label)`` of a footnote reference ``[^label]`` (see `Note.footnote_spans`)."""


def inline_links(
    text: str, first_line: int = 1, offset: int = 0
) -> tuple[list[Link], list[FootnoteSpan], str]:
    """The one link grammar, for the parser and for whatever shows note text.

    ``text`` is one inline text (a paragraph or heading as markdown-it gives it). Returns
    the links that count (`Link`, with ``start``/``end`` offsets into ``text`` plus
    ``offset``, and the line it starts on, ``first_line`` being the text's first), the
    footnote references (offsets likewise), both outside code spans, and the text with code
    spans and links blanked (same length), which the tag scan reads. URLs and empty ``[[]]``
    are not links.
    """
    source = text
    text = mask_code_spans(text)
    links: list[Link] = []
    if "[[" in text:
        collect = _link_collector(links, text, source, first_line, offset, _wikilink)
        text = _WIKILINK.sub(collect, text)
    if "](" in text:
        collect = _link_collector(links, text, source, first_line, offset, _markdown_link)
        text = _MD_LINK.sub(collect, text)
    refs: list[FootnoteSpan] = []
    if "[^" in text:
        refs = [
            (m.start() + offset, m.end() + offset, m.group(1)) for m in _FOOTNOTE_REF.finditer(text)
        ]
    return links, refs, text


def _link_collector(
    links: list[Link], text: str, source: str, first_line: int, offset: int, make_link
):
    """A ``re.sub`` callback over ``text`` (``source`` with code spans, maybe links,
    blanked) that records each link (with its place and file line) and blanks it out, so
    later scans (Markdown links, tags) do not see it. Linear in the text: the line number
    is counted on from the previous match, never from the start."""
    state = [0, first_line]  # position counted up to, its line

    def collect(match: re.Match[str]) -> str:
        start = match.start()
        state[1] += text.count("\n", state[0], start)
        state[0] = start
        link = make_link(match, state[1], source)
        if link is not None:
            link.start, link.end = start + offset, match.end() + offset
            links.append(link)
        matched = match.group()
        return _NOT_NEWLINE.sub(" ", matched) if "\n" in matched else " " * len(matched)

    return collect


def _wiki_parts(inner: str) -> tuple[str, str | None, str]:
    """``(target, heading, label)`` of the text inside ``[[...]]``, as written (unstripped):
    the heading None when there is no ``#``. The target is what `link_target_span` gives a
    rename to rewrite."""
    target_part, _, label = inner.partition("|")
    target_part = target_part.removesuffix("\\")  # [[a\|b]] inside a table
    target, hash_sign, heading = target_part.partition("#")
    return target, (heading if hash_sign else None), label


def _wikilink(match: re.Match[str], line: int, source: str) -> Link | None:
    target, heading, label = _wiki_parts(match.group(2))
    target = unicodedata.normalize("NFC", target.strip())
    heading = heading.strip() if heading is not None else None
    if not target and not heading:
        return None
    link = Link(
        target=target,
        heading=heading or None,
        label=label.strip() or None,
        embed=bool(match.group(1)),
        kind="wiki",
        line=line,
    )
    name = experiment_link_name(target)
    if name:
        link.experiment = name
        return link
    link.is_attachment = is_attachment_target(target)
    return link


def _markdown_link(match: re.Match[str], line: int, source: str) -> Link | None:
    destination = match.group(3).strip()
    if destination.startswith("<") and destination.endswith(">"):
        destination = destination[1:-1].strip()
    if not destination or destination.startswith("#") or _URL_SCHEME.match(destination):
        return None
    path_part, hash_sign, heading = destination.partition("#")
    target = unicodedata.normalize("NFC", unquote(path_part))
    attachment = is_attachment_target(target)
    if not attachment and not target.lower().endswith(".md"):
        return None  # only links to notes and files count; other links are web-ish
    return Link(
        target=target,
        heading=unquote(heading) if hash_sign and heading else None,
        # as written: code spans and wikilinks in a label are kept, not blanked
        label=source[match.start(2) : match.end(2)].strip() or None,
        embed=bool(match.group(1)),
        kind="markdown",
        line=line,
        is_attachment=attachment,
    )
