"""The part of a note that ``![[note#heading]]`` or ``![[note#^block]]`` shows: one rule.

A heading's section runs from the heading line to the next heading of the same or a higher
level (Obsidian's rule; the heading itself is included). A block is the paragraph, list item,
table, quote or heading whose last line ends with ``^id``; an id alone on its own line (after
a blank line) names the block just above it. Block ids are found by
`notebase.core.obsidian_syntax.block_id_spans`, headings and code by
`notebase.core.markdown_blocks`, so every reader agrees on what is code and what a heading is.
Offsets are into ``Note.body`` (``\\n`` line ends), so link offsets there stay usable.
"""

from __future__ import annotations

from itertools import accumulate

from notebase.core.markdown_blocks import block_parser, code_ranges, heading_key, outline
from notebase.core.obsidian_syntax import block_id_spans

_BLOCK_TOKENS = (
    "paragraph_open", "heading_open", "list_item_open", "table_open",
    "blockquote_open", "fence", "code_block", "bullet_list_open", "ordered_list_open",
)  # fmt: skip


def _line_starts(body: str) -> list[int]:
    """Offset of each line's start, plus one past the end of the body."""
    return [0, *accumulate(len(line) + 1 for line in body.split("\n"))]


def _range(body: str, starts: list[int], first: int, end_line: int) -> tuple[int, int]:
    """Body offsets of lines ``[first, end_line)``, without the last newline."""
    end = min(starts[min(end_line, len(starts) - 1)], len(body) + 1)
    return starts[first], max(starts[first], end - 1)


def heading_range(body: str, heading: str) -> tuple[int, int] | None:
    """``(start, end)`` of the section under ``heading`` (its text as `heading_text` reads
    it, case and spacing ignored; ``a#b`` means heading b under a), or None."""
    wanted = [heading_key(part) for part in heading.split("#") if part.strip()]
    if not wanted:
        return None
    headings = outline(body).headings
    at = 0
    found = None
    for part in wanted:  # each part searched after the previous one
        found = next(
            (i for i in range(at, len(headings)) if heading_key(headings[i][2]) == part), None
        )
        if found is None:
            return None
        at = found + 1
    line, level, _ = headings[found]
    end_line = next(
        (h_line for h_line, h_level, _ in headings[found + 1 :] if h_level <= level),
        body.count("\n") + 1,
    )
    return _range(body, _line_starts(body), line, end_line)


def block_range(body: str, block_id: str) -> tuple[int, int] | None:
    """``(start, end)`` of the block marked ``^block_id`` (the id text included), or None."""
    tokens = block_parser().parse(body, {})
    spans = block_id_spans(body, code_ranges(tokens))
    match = next((span for span in spans if span[2].casefold() == block_id.casefold()), None)
    if match is None:
        return None
    starts = _line_starts(body)
    line = body.count("\n", 0, match[1])  # the line the id ends
    # The innermost block holding that line; a list item rather than its paragraph.
    best = None
    for index, token in enumerate(tokens):
        if token.type in _BLOCK_TOKENS and token.map and token.map[0] <= line < token.map[1]:
            best = index
    if best is None:
        return None
    token = tokens[best]
    if token.type == "paragraph_open":
        if best > 0 and tokens[best - 1].type == "list_item_open":
            token = tokens[best - 1]
        elif body[starts[line] : match[1]].strip().startswith("^") and token.map[0] == line:
            # an id alone on its line names the top-level block above it
            above = [
                t for t in tokens if t.level == 0 and t.map and t.map[1] <= line and t.nesting >= 0
            ]
            if above:
                token = above[-1]
    return _range(body, starts, token.map[0], token.map[1])


def section_range(body: str, fragment: str | None) -> tuple[int, int] | None:
    """What an embed ``![[note#fragment]]`` shows of ``body``: all of it (no fragment),
    a block (``^id``) or a heading's section; None when there is no such part."""
    if not fragment:
        return 0, len(body)
    fragment = fragment.strip()
    if fragment.startswith("^"):
        return block_range(body, fragment[1:])
    return heading_range(body, fragment)



def block_opening(body: str, block_id: str) -> str | None:
    """The first line of the block marked ``^block_id`` (Markdown as written), so a reader
    can find where ``[[note#^block_id]]`` lands; None when there is no such block."""
    span = block_range(body, block_id)
    if span is None:
        return None
    return body[span[0] : span[1]].lstrip("\n").split("\n", 1)[0]
