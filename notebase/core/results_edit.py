"""A results block placed into, or replaced in, a note's bytes: everything else byte-exact.

The block's grammar is `notebase.core.results_block`; this is where a note file's bytes meet
it (BOM, line ends as written, frontmatter), and where a new block goes.

Placement of a new block: at the end of the open-questions section (before the next heading
of the same or a higher level, e.g. before ``## 출처``), after the section's last text and one
blank line when there is one; without a questions section, the same just before a sources
heading (``출처``, ``References``, ...); otherwise at the end of the note. Never inside the
frontmatter, a code block or another block. Headings and code are the parser's
(`notebase.core.markdown_blocks`). The edited note is read back before it is returned, and an
edit that would not read back as exactly the new block, unedited, is refused.

A line ends at ``\\r\\n``, ``\\n`` or a lone ``\\r`` (as for markdown-it and the parser);
new lines take the note's most common line end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from notebase.config import DEFAULT_QUESTION_HEADINGS, DEFAULT_SOURCES_HEADINGS
from notebase.core.markdown_blocks import (
    in_ranges,
    normalize_newlines,
    outline,
    split_frontmatter,
)
from notebase.core.results_block import (
    BlockScan,
    FoundBlock,
    MarkerProblem,
    RenderedBlock,
    scan_lines,
)

BOM = b"\xef\xbb\xbf"

QUESTION_HEADING_PATTERNS: tuple[str, ...] = tuple(DEFAULT_QUESTION_HEADINGS)
"""Headings that open the questions section (regexes searched case-insensitively); the
vault's own settings (``.notebase.toml``) are passed in by the caller."""
SOURCES_HEADING_PATTERNS: tuple[str, ...] = tuple(DEFAULT_SOURCES_HEADINGS)
"""Headings of a sources section, same rules."""

_LINE_END = re.compile(r"(\r\n|\r|\n)")


class UnsafeEdit(Exception):
    """The note cannot be edited without guessing; the message says why (one line)."""


# --------------------------------------------------------------------------- a note's lines


@dataclass(slots=True)
class _Line:
    text: str
    """The line's content, without its terminator."""
    end: str
    """Its terminator as in the file: ``\\r\\n``, ``\\n``, ``\\r`` or ``""`` (last line,
    no newline)."""


def _split_lines(text: str) -> list[_Line]:
    parts = _LINE_END.split(text)
    lines = [_Line(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        lines.append(_Line(parts[-1], ""))
    return lines


def _newline_of(lines: Sequence[_Line]) -> str:
    """The note's most common line end (``\\n`` on a tie or for a one-line note)."""
    counts = {"\n": 0, "\r\n": 0, "\r": 0}
    for line in lines:
        if line.end:
            counts[line.end] += 1
    return max(counts, key=lambda end: counts[end])


@dataclass(slots=True)
class _Layout:
    body_start: int
    """Index of the first line after the frontmatter."""
    headings: list[tuple[int, int, str]]
    """(line index, level, text) of headings outside code and results blocks."""
    code: list[tuple[int, int]]
    open_fence_at: int | None
    scan: BlockScan


def _layout(text: str, lines: Sequence[_Line]) -> _Layout:
    _, body, body_start = split_frontmatter(normalize_newlines(text))
    shape = outline(body)
    code = [(start + body_start, end + body_start) for start, end in shape.code]
    scan = scan_lines([line.text for line in lines], code, start=body_start)
    inside = [(b.start, b.end + 1) for b in scan.blocks]
    headings = [
        (line + body_start, level, heading)
        for line, level, heading in shape.headings
        if not in_ranges(inside, line + body_start)
    ]
    fence = shape.open_fence_at
    return _Layout(body_start, headings, code, None if fence is None else fence + body_start, scan)


def find_blocks(data: bytes) -> list[FoundBlock]:
    """The complete results blocks of a note file's bytes (indices count file lines)."""
    text = (data[len(BOM) :] if data.startswith(BOM) else data).decode("utf-8", "replace")
    return _layout(text, _split_lines(text)).scan.blocks


def _matches(text: str, patterns: Iterable[str]) -> bool:
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in patterns)


def _insertion_index(
    lines: Sequence[_Line],
    layout: _Layout,
    question_patterns: Iterable[str],
    sources_patterns: Iterable[str],
) -> int:
    """Where a new block goes: see the module docstring."""
    headings = layout.headings
    region_start, region_end = layout.body_start, len(lines)
    questions = next((h for h in headings if _matches(h[2], question_patterns)), None)
    if questions is not None:
        q_index, q_level, _ = questions
        region_start = q_index + 1
        region_end = next(
            (i for i, level, _ in headings if i > q_index and level <= q_level), len(lines)
        )
    else:
        sources = next((h for h in headings if _matches(h[2], sources_patterns)), None)
        if sources is not None:
            region_end = sources[0]
    index = region_end
    while index > region_start and not lines[index - 1].text.strip():
        index -= 1
    if index < region_end:
        index += 1  # keep one of the note's blank lines above the block
    for start, end in layout.code:
        if start < index < end:
            index = start  # not between the lines of a code block
    if layout.open_fence_at is not None and index > layout.open_fence_at:
        index = layout.open_fence_at  # an unclosed fence would swallow the block
    return index


# --------------------------------------------------------------------------- editing


def _refusal(problems: Iterable[MarkerProblem], experiment: str) -> str | None:
    mine = [p for p in problems if p.experiment in (None, experiment)]
    if not mine:
        return None
    if all(p.experiment is None for p in mine):
        return "broken results marker: " + "; ".join(str(p) for p in mine)
    return "; ".join(p.message if p.experiment else str(p) for p in mine)


def apply_block(
    data: bytes,
    block: RenderedBlock,
    *,
    question_patterns: Iterable[str] = QUESTION_HEADING_PATTERNS,
    sources_patterns: Iterable[str] = SOURCES_HEADING_PATTERNS,
) -> tuple[bytes, bool]:
    """The note's bytes with ``block`` placed or replaced; everything else byte-identical.

    Returns (new bytes, replaced?). Raises UnsafeEdit when that would need a guess.
    """
    bom = BOM if data.startswith(BOM) else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeEdit(f"the note is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    lines = _split_lines(text)
    layout = _layout(text, lines)
    refusal = _refusal(layout.scan.problems, block.experiment)
    if refusal:
        raise UnsafeEdit(refusal)
    mine = [found for found in layout.scan.blocks if found.experiment == block.experiment]
    newline = _newline_of(lines)
    new_lines = [_Line(line, newline) for line in block.lines()]
    if mine:
        found = mine[0]  # one, not edited by hand: anything else is a refusal above
        for line in new_lines:
            if line.text:
                line.text = found.indent + line.text
        # The block's last line ends the way the old one did (no newline at the end of a note).
        new_lines[-1].end = lines[found.end].end
        lines[found.start : found.end + 1] = new_lines
        at = found.start
    else:
        at = _insertion_index(lines, layout, tuple(question_patterns), tuple(sources_patterns))
        if at == len(lines) and lines and lines[-1].end == "":
            # The note ends without a newline: the newline that separates its last line from
            # the block is the block's, and the block ends without one, as the note did.
            lines[-1].end = newline
            new_lines[-1].end = ""
        lines[at:at] = new_lines
    new_text = "".join(line.text + line.end for line in lines)
    _check_reads_back(new_text, block, at)
    return bom + new_text.encode("utf-8"), bool(mine)


def _check_reads_back(text: str, block: RenderedBlock, at: int) -> None:
    """Refuse an edit whose result would not read back as the block, unedited, where it was
    put, with no marker problem (the last guard against a second block or a swallowed one)."""
    scan = _layout(text, _split_lines(text)).scan
    mine = [found for found in scan.blocks if found.experiment == block.experiment]
    if (
        _refusal(scan.problems, block.experiment)
        or len(mine) != 1
        or mine[0].start != at
        or mine[0].edited
    ):
        raise UnsafeEdit(
            f"the results block for {block.experiment} would not read back as one block here"
        )
