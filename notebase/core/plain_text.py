"""Note Markdown -> the plain text a reader sees: one rule for search snippets, the questions
view and whatever else shows note text on one line.

What goes and what stays:

- links show as their text: ``[[a|b]]`` -> ``b``, ``[[a]]`` -> ``a``, ``[[a#h]]`` -> ``a > h``,
  ``[[#h]]`` -> ``h``, ``[x](url)`` -> ``x``; embeds of attachments and footnote references
  (``[^1]``) show nothing; ``[[experiments/NAME]]`` shows ``NAME`` (or nothing, when the caller
  shows experiments on their own). Which text is a link is `notebase.core.links`' decision.
- code spans keep their text exactly, backticks removed; code blocks keep their lines, fences
  removed;
- heading hashes, block-quote ``>``, callout markers (``[!tip]-`` -> its title), list bullets
  and numbers, task boxes, footnote definition labels, table pipes (cells -> spaces) and
  table rules, horizontal rules, HTML tags and comments, ``%% comments %%``, ``^block-ids``,
  emphasis markers (``**`` ``__`` ``*x*`` ``_x_`` ``~~`` ``==x==``) and backslash escapes go.

`plain_text` keeps one output line per input line (a line that shows nothing is empty), so
line numbers still hold; `plain_inline` is the same text on one line. Every regex here is
linear-time: each scan moves forward and no quantified group can backtrack into another.
"""

from __future__ import annotations

import html
import re

from notebase.core.links import code_spans, inline_links, other_markdown_links
from notebase.core.markdown_blocks import code_line_flags, outline
from notebase.core.obsidian_syntax import callout_header, hidden_spans

_SLOT = "\ue000"
"""Stands for a link's or code span's text while the markup around it is removed."""

_QUOTE = re.compile(r"[ \t]{0,3}>[ \t]?")
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_TASK = re.compile(r"\[[ xX]\](?:[ \t]+|$)")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]+|$)")
_FOOTNOTE_DEF = re.compile(r"[ \t]{0,3}\[\^[^\[\]\s]+\]:[ \t]*")
_AUTOLINK = re.compile(r"<((?:https?|mailto|ftp):[^<>\s\ue000]*)>")
_HTML_BREAK = re.compile(r"<br[ \t]*/?>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:[ \t/][^<>\n\ue000]*)?>")
_STRONG = re.compile(r"\*{2,3}|(?<![A-Za-z0-9])_{2,3}|_{2,3}(?![A-Za-z0-9])|~~")
_EMPHASIS_STAR = re.compile(r"(?<![A-Za-z0-9*\\])\*(?=[^\s*])([^*\n]*?[^\s*\\])\*(?![A-Za-z0-9*])")
_EMPHASIS_STAR_ONE = re.compile(r"(?<![A-Za-z0-9*\\])\*([^\s*\\])\*(?![A-Za-z0-9*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9_\\])_(?=[^\s_])([^_\n]*?[^\s_\\])_(?![A-Za-z0-9_])")
_HIGHLIGHT = re.compile(r"==(?=[^\s=])([^=\n]*?[^\s=])==")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"[ \t]+")
_RULE_CHARS = frozenset("-*_= \t")
_TABLE_RULE_CHARS = frozenset("|:- \t")
_FENCE_CHARS = frozenset("`~")


def plain_text(markdown: str, *, experiments: bool = True) -> str:
    """``markdown`` (a note's body, or part of one) as plain text, line for line.

    ``experiments=False`` drops ``[[experiments/NAME]]`` links instead of showing ``NAME``.
    """
    if not markdown:
        return ""
    body = markdown.replace(_SLOT, "")
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    # The block parse (the one code-block rule) costs most of the time here: skip it for
    # text that holds no fence and no indented line, where there can be no code block.
    code_ranges = outline(body).code if _may_hold_code(body) else []
    body = _without_hidden(body, code_ranges)
    lines = body.split("\n")
    code = code_line_flags(code_ranges, len(lines))
    for start, end in code_ranges:
        _blank_fences(lines, start, end)
    in_table = False
    out = []
    for number, line in enumerate(lines):
        if code[number]:
            out.append(_code_line(line))
            in_table = False
            continue
        text, in_table = _block_line(line, in_table)
        out.append(_inline(text, experiments) if text else "")
    return "\n".join(out)


def _may_hold_code(body: str) -> bool:
    """False only when ``body`` has no fence and no line indented enough for code."""
    return (
        "```" in body
        or "~~~" in body
        or "\n    " in body
        or "\n\t" in body
        or body.startswith(("    ", "\t"))
        or ">    " in body
        or ">\t" in body
        or "> \t" in body
    )


def plain_inline(markdown: str, *, experiments: bool = True) -> str:
    """``plain_text`` on one line: lines joined by a space, runs of spaces made one."""
    return " ".join(plain_text(markdown, experiments=experiments).split())


def _without_hidden(body: str, code: list[tuple[int, int]]) -> str:
    """``body`` with ``%% comments %%`` and ``^block-ids`` blanked (line ends kept)."""
    spans = hidden_spans(body, code)
    if not spans:
        return body
    spans.sort()
    out = []
    pos = 0
    for start, end in spans:
        if start < pos:
            start = pos
        if end <= start:
            continue
        out.append(body[pos:start])
        out.append("\n" * body.count("\n", start, end))
        pos = end
    out.append(body[pos:])
    return "".join(out)


def _strip_quotes(line: str) -> str:
    pos = 0
    while (match := _QUOTE.match(line, pos)) is not None:
        pos = match.end()
    return line[pos:]


def _blank_fences(lines: list[str], start: int, end: int) -> None:
    """Empty the opening and closing fence lines of a fenced code block."""
    if start >= len(lines):
        return
    first = _strip_quotes(lines[start]).strip()
    if first[:3] in ("```", "~~~"):
        lines[start] = ""
        last = end - 1
        if last > start and last < len(lines):
            closing = _strip_quotes(lines[last]).strip()
            if closing and set(closing) <= _FENCE_CHARS:
                lines[last] = ""


def _code_line(line: str) -> str:
    return _strip_quotes(line).strip()


def _block_line(line: str, in_table: bool) -> tuple[str, bool]:
    """The line's text without its block markup; whether a table goes on after it."""
    text = _strip_quotes(line)
    stripped = text.strip()
    if not stripped:
        return "", False
    if "|" in stripped and "-" in stripped and set(stripped) <= _TABLE_RULE_CHARS:
        return "", True  # a table's delimiter row
    if len(stripped) >= 3 and set(stripped) <= _RULE_CHARS and len(set(stripped) - {" ", "\t"}) == 1:
        return "", False  # a horizontal rule or a setext underline
    header = callout_header(stripped) if stripped.startswith("[!") else None
    if header is not None:
        return header.title, False
    match = _HEADING.match(text)
    if match is not None:
        return _without_closing_hashes(text[match.end() :]), False
    match = _FOOTNOTE_DEF.match(text)
    if match is not None:
        text = text[match.end() :]
    for _ in range(10):  # nested list markers on one line ("- 1. [ ] x")
        match = _LIST_ITEM.match(text) or _TASK.match(text)
        if match is None:
            break
        text = text[match.end() :]
    table = in_table or stripped.startswith("|")
    return text.strip(), table


def _without_closing_hashes(text: str) -> str:
    """A heading's text without its closing ``#`` run (one that stands alone at the end, or
    is all there is: ``## ###`` is an empty heading, as markdown-it reads it), and the blanks
    around that run. String operations, not a regex: a regex that looks for blanks before
    ``#`` at the end of the line rescans every run of blanks from each of its blanks."""
    trimmed = text.rstrip(" \t")
    before = trimmed.rstrip("#")
    if before != trimmed and (not before or before[-1] in " \t"):
        return before.rstrip(" \t")
    return text


def _without_html_comments(text: str) -> str:
    """``text`` without its one-line HTML comments (``<!-- ... -->``, shortest first).

    A ``str.find`` loop, not a lazy regex: the regex scans to the line's end again from
    every ``<!--`` that is never closed. Here the first ``<!--`` with no ``-->`` after it
    ends the search, as no later one can be closed either.
    """
    if "\n" in text:
        return "\n".join(_without_html_comments(line) for line in text.split("\n"))
    out = []
    pos = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        out.append(text[pos:start])
        pos = end + 3
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def _inline(text: str, experiments: bool) -> str:
    """One line's inline Markdown as plain text."""
    links, refs, _ = inline_links(text)
    edits: list[tuple[int, int, str | None]] = []  # None: delete; a string: shown as is
    for start, end, ticks in code_spans(text):
        content = text[start + ticks : end - ticks]
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        edits.append((start, end, content))
    for link in links:
        edits.append((link.start, link.end, _link_text(link, experiments)))
    for start, end, _ in refs:
        edits.append((start, end, None))
    for start, end, label_start, label_end in other_markdown_links(text, links):
        edits.append((start, label_start, None))  # "[" (or "![") before the label
        edits.append((label_end, end, None))  # "](destination)" after it
    if not edits:
        return _clean(text, [])
    edits.sort(key=lambda edit: edit[0])
    pieces = []
    slots: list[str] = []
    pos = 0
    for start, end, shown in edits:
        if start < pos:
            continue  # inside an earlier edit
        pieces.append(text[pos:start])
        if shown is not None:
            pieces.append(_SLOT)
            slots.append(shown)
        pos = end
    pieces.append(text[pos:])
    return _clean("".join(pieces), slots)


def _link_text(link, experiments: bool) -> str:
    if link.experiment:
        return link.experiment if experiments else ""
    if link.kind == "wiki":
        if link.label:
            return plain_inline(link.label)
        if link.embed and link.is_attachment:
            return ""
        if link.target and link.heading:
            return f"{link.target} > {link.heading.lstrip('^')}"
        return link.target or (link.heading or "").lstrip("^")
    if link.embed and link.is_attachment:
        return ""
    label = link.label or link.target
    return plain_inline(label) if "[" in label or "`" in label or "*" in label else label


def _clean(text: str, slots: list[str]) -> str:
    """Inline markup removed from ``text``; each slot character replaced by its text."""
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
        text = _without_html_comments(text)
        text = _HTML_BREAK.sub(" ", text)
        text = _HTML_TAG.sub("", text)
    if "*" in text or "_" in text or "~" in text:
        text = _EMPHASIS_STAR.sub(r"\1", text)
        text = _EMPHASIS_STAR_ONE.sub(r"\1", text)
        text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
        text = _STRONG.sub("", text)
    if "==" in text:
        text = _HIGHLIGHT.sub(r"\1", text)
    if "|" in text:
        text = _table_cells(text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    if "&" in text:
        text = html.unescape(text)
    text = _SPACES.sub(" ", text).strip()
    if slots:
        parts = text.split(_SLOT)
        out = [parts[0]]
        for index, part in enumerate(parts[1:]):
            out.append(slots[index] if index < len(slots) else "")
            out.append(part)
        text = _SPACES.sub(" ", "".join(out)).strip()
    return text


def _table_cells(text: str) -> str:
    """Table pipes (not escaped ones) -> spaces."""
    return re.sub(r"(?<!\\)\|", " ", text).replace("\\|", "|")
