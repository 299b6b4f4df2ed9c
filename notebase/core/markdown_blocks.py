"""The block structure of a note: frontmatter, code blocks and headings, one rule each.

Everything that must know whether a line is code (the parser, the results-block grammar and
its placement, the app's renderer) asks this module, so a fenced or indented code block is
the same lines for all of them. The rule is CommonMark's, as markdown-it-py's *block* parser
(footnote plugin on, inline parsing off) reads it: fences inside list items and block quotes,
indented code, unclosed fences running to the end of their container.

Lines are counted the way markdown-it counts them: ``\\r\\n``, ``\\r`` and ``\\n`` each end a
line, so a CRLF note has the same line numbers as its LF copy.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field


@functools.cache
def block_parser():
    """The block parser only: inline parsing is the parser's own. footnote_tail would move
    definitions to the end of the stream; the parser wants them where they are. Made on first
    use: importing markdown-it is ~15 ms of a `notebase search` process, which never parses."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    parser = MarkdownIt("commonmark").use(footnote_plugin)
    parser.disable(["inline", "text_join", "footnote_tail"])
    # markdown-it compiles its rule lists on the first parse, visibly to other threads while
    # half done ("none of the block rules matched" when several threads parse first at once):
    # it leaves here compiled.
    parser.parse("x\n", {})
    return parser

_FRONTMATTER_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_HEADING_MARKUP = re.compile(r"[*_`]|\[\[|\]\]")
_NEWLINES = re.compile(r"\r\n?")


_WORDS = re.compile(r"\w+")


def normalize_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` -> ``\\n``: same line count as the original."""
    return _NEWLINES.sub("\n", text) if "\r" in text else text


def split_frontmatter(text: str) -> tuple[str | None, str, int]:
    """``(yaml_text or None, body, number of file lines before the body)``.

    Frontmatter is a ``---`` first line up to the next ``---`` (or ``...``) line. ``text``
    has ``\\n`` line ends (`normalize_newlines`) and no BOM.
    """
    if not text.startswith("---"):
        return None, text, 0
    first_newline = text.find("\n")
    if first_newline == -1 or text[3:first_newline].strip():
        return None, text, 0
    end = _FRONTMATTER_END.search(text, first_newline + 1)
    if end is None:
        return None, text, 0
    yaml_text = text[first_newline + 1 : end.start()]
    body_start = end.end() + (1 if text[end.end() : end.end() + 1] == "\n" else 0)
    return yaml_text, text[body_start:], text.count("\n", 0, body_start)


def heading_text(content: str) -> str:
    """A heading's text as the questions/sources patterns see it: emphasis, code and
    wikilink brackets removed, stripped."""
    return _HEADING_MARKUP.sub("", content).strip()


def heading_key(text: str) -> tuple[str, ...]:
    """What a link to a heading must match, the heading's words, NFC and case-folded:
    Obsidian drops ``:``, ``#``, ``|`` and the like from a heading when it writes a link to
    it, so ``[[note#Q&A 정리]]`` names ``## Q&A: 정리``. Every reader of heading links
    (embeds, the note view, the outline) compares these."""
    return tuple(_WORDS.findall(unicodedata.normalize("NFC", text).casefold()))


def code_ranges(tokens) -> list[tuple[int, int]]:
    """``[start, end)`` body-line ranges of the code blocks among markdown-it ``tokens``
    (fenced and indented), in order. The parser passes the tokens it already has."""
    return [
        (token.map[0], token.map[1])
        for token in tokens
        if token.type in ("fence", "code_block") and token.map
    ]


@dataclass(slots=True)
class Outline:
    """What placement and the renderer need of a body: code ranges and headings."""

    code: list[tuple[int, int]] = field(default_factory=list)
    """``[start, end)`` 0-based line ranges of code blocks, in order, not overlapping."""
    headings: list[tuple[int, int, str]] = field(default_factory=list)
    """``(line, level, text)`` of every heading (ATX and setext, `heading_text`)."""
    open_fence_at: int | None = None
    """First line of a fence that is never closed and so runs to the end of the body: a
    line appended after it would be code."""

    def in_code(self, line: int) -> bool:
        return in_ranges(self.code, line)

    def code_lines(self) -> set[int]:
        return {line for start, end in self.code for line in range(start, end)}


def code_line_flags(ranges: Sequence[tuple[int, int]], count: int) -> list[bool]:
    """For each of ``count`` lines, whether it lies in one of the code blocks ``ranges``
    (``[start, end)`` line ranges, as `outline` gives them)."""
    flags = [False] * count
    for start, end in ranges:
        flags[start : min(end, count)] = [True] * max(0, min(end, count) - start)
    return flags


def in_ranges(ranges: Sequence[tuple[int, int]], line: int) -> bool:
    """True when ``line`` lies in one of the sorted, disjoint ``[start, end)`` ranges."""
    at = bisect.bisect_right(ranges, (line, float("inf"))) - 1
    return at >= 0 and ranges[at][0] <= line < ranges[at][1]


def outline(body: str) -> Outline:
    """Code ranges and headings of ``body`` (a note's text after its frontmatter; any line
    ends), from one block parse."""
    body = normalize_newlines(body)
    tokens = block_parser().parse(body, {})
    result = Outline(code=code_ranges(tokens))
    lines = body.split("\n")
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and index + 1 < len(tokens):
            level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
            result.headings.append((token.map[0], level, heading_text(tokens[index + 1].content)))
        elif token.type == "fence" and token.map and token.level == 0:
            # Unclosed at the top level, it runs to the end of the body (one in a list item or
            # a quote ends with its container, which a line without indentation ends).
            if not _closes_fence(lines[token.map[1] - 1], token.markup, token.map):
                result.open_fence_at = token.map[0]
    return result


def _closes_fence(line: str, markup: str, span: list[int]) -> bool:
    """Whether the last line of a top-level fence token is its closing fence (markdown-it
    keeps no flag): up to three spaces, the fence characters (at least as many), nothing
    else but trailing whitespace."""
    if span[1] - span[0] < 2 or not markup:
        return False
    text = line.lstrip(" ")
    if len(line) - len(text) > 3:
        return False
    text = text.rstrip()
    return len(text) >= len(markup) and text == markup[0] * len(text)
