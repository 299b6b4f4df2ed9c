"""Obsidian's own additions to Markdown, one rule each: comments, highlights, block ids,
callout headers, math spans, and emphasis next to CJK text.

The app's renderer asks this module (it never keeps a copy of these rules): which parts of a
body are ``%% comments %%`` or trailing ``^block-ids`` (hidden), where ``$math$`` starts and
ends in an inline text, whether a line opens or closes a ``$$`` block, what a callout's
``[!type]-`` header says, and when ``**`` can open or close next to Hangul or Han (Obsidian
closes ``**굵게(Bold)**를`` where CommonMark's flanking rule would not). `note_sections`
finds the part of a note an embed shows with the same block-id rule.

Every regex here is linear-time: no nested quantifiers, and every scan moves forward.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from notebase.core.links import mask_code_spans
from notebase.core.markdown_blocks import code_line_flags

# --- emphasis next to CJK text -------------------------------------------------------------

_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def is_cjk(char: str) -> bool:
    """Hangul, Han, kana, CJK punctuation and full-width forms (East Asian wide or
    full-width), not emoji (symbols that happen to be wide)."""
    if not char or ord(char) < 0x1100:
        return False
    return unicodedata.east_asian_width(char) in ("W", "F") and unicodedata.category(char) != "So"


def is_punctuation(char: str) -> bool:
    """CommonMark's Unicode punctuation: ASCII punctuation, or a P* / S* category."""
    if char in _ASCII_PUNCT:
        return True
    return ord(char) > 127 and unicodedata.category(char)[0] in "PS"


def emphasis_flanking(last: str, next_char: str) -> tuple[bool, bool]:
    """``(left_flanking, right_flanking)`` of a delimiter run (``**``, ``_``, ``~~``,
    ``==``) between ``last`` and ``next_char`` (a space for the start or end of the text).

    CommonMark's rule with the CJK-friendly amendment Obsidian follows: a run followed by
    punctuation may still open when a CJK character precedes it, and a run preceded by
    punctuation may still close when a CJK character follows it, so ``**그라디언트(Gradient)**를``
    is bold although Korean puts no space before the particle.
    """
    last_space = last.isspace()
    next_space = next_char.isspace()
    last_punct = is_punctuation(last)
    next_punct = is_punctuation(next_char)
    left = not next_space and (
        not next_punct or last_space or last_punct or is_cjk(last)
    )
    right = not last_space and (
        not last_punct or next_space or next_punct or is_cjk(next_char)
    )
    return left, right


HIGHLIGHT_MARKER = "="
"""``==highlight==``: a run of two, paired like ``~~strikethrough~~``."""

# --- math ----------------------------------------------------------------------------------


def math_spans(text: str) -> dict[int, tuple[int, bool]]:
    """``{start: (end, display)}`` of the math in one inline text (a paragraph).

    ``$$...$$`` is display math; ``$...$`` is inline math when the opening ``$`` is not
    followed by whitespace and the closing one is neither preceded by whitespace (or a
    backslash) nor followed by a digit, Obsidian's rule: "costs $5 and $10" has none.
    Nothing inside code spans counts. Linear: each opening looks its closing up by bisection
    among the ``$`` that can close.
    """
    if "$" not in text:
        return {}
    masked = mask_code_spans(text)
    n = len(masked)
    dollars = [i for i, ch in enumerate(masked) if ch == "$"]
    closers = [
        i
        for i in dollars
        if i > 0
        and not masked[i - 1].isspace()
        and masked[i - 1] not in "\\$"
        and not (i + 1 < n and (masked[i + 1].isdigit() or masked[i + 1] == "$"))
    ]
    doubles = []
    k = 0
    while k < len(dollars) - 1:  # "$$" pairs, left to right, not overlapping
        if dollars[k + 1] == dollars[k] + 1:
            doubles.append(dollars[k])
            k += 2
        else:
            k += 1
    spans: dict[int, tuple[int, bool]] = {}
    pos = 0
    for i in dollars:
        if i < pos or (i > 0 and masked[i - 1] == "\\"):
            continue
        if i + 1 < n and masked[i + 1] == "$":
            at = bisect.bisect_left(doubles, i + 2)
            if at < len(doubles) and doubles[at] > i + 2:
                end = doubles[at] + 2
                spans[i] = (end, True)
                pos = end
            else:
                pos = i + 2  # an unclosed "$$" is text
            continue
        if i + 1 >= n or masked[i + 1].isspace():
            continue
        at = bisect.bisect_left(closers, i + 2)
        if at < len(closers):
            end = closers[at] + 1
            spans[i] = (end, False)
            pos = end
    return spans


def opens_math_block(line: str) -> bool:
    """A line (indentation removed) that starts a ``$$`` display block."""
    return line.startswith("$$")


def closes_math_block(line: str) -> bool:
    """A line of a ``$$`` block that ends it."""
    return line.rstrip().endswith("$$")


# --- comments and block ids -----------------------------------------------------------------

_BLANK_LINE = re.compile(r"\n[ \t]*\n")
BLOCK_ID = re.compile(r"(?:^|[ \t])\^([A-Za-z0-9-]+)[ \t]*$", re.MULTILINE)
"""A block id ``^name`` ending a line (after a space, or alone on its line)."""


def _outside_code(body: str, code: list[tuple[int, int]]) -> str:
    """``body`` (``\\n`` line ends) with code blocks (``[start, end)`` line ranges) and code
    spans blanked out, same length: what the comment and block-id scans read."""
    if code:
        lines = body.split("\n")
        flags = code_line_flags(code, len(lines))
        blanked = zip(lines, flags, strict=True)
        body = "\n".join(" " * len(line) if in_code else line for line, in_code in blanked)
    if "`" not in body:
        return body
    out = []
    pos = 0
    for blank in _BLANK_LINE.finditer(body):  # code spans do not cross paragraphs
        out.append(mask_code_spans(body[pos : blank.start()]))
        out.append(blank.group())
        pos = blank.end()
    out.append(mask_code_spans(body[pos:]))
    return "".join(out)


def comment_spans(body: str, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, end)`` of each ``%% comment %%`` in ``body``, inline or over many lines,
    outside code (``code``: its code blocks' line ranges). An unclosed ``%%`` comments out
    the rest of the note, as in Obsidian."""
    if "%%" not in body:
        return []
    text = _outside_code(body, code)
    spans = []
    pos = text.find("%%")
    while pos != -1:
        end = text.find("%%", pos + 2)
        if end == -1:
            spans.append((pos, len(text)))
            break
        spans.append((pos, end + 2))
        pos = text.find("%%", end + 2)
    return spans


def block_id_spans(body: str, code: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """``(start, end, id)`` of each block id ending a line outside code; the span takes in
    the space before it, so that removing it leaves the line as it reads."""
    if "^" not in body:
        return []
    text = _outside_code(body, code)
    return [(m.start(), m.end(), m.group(1)) for m in BLOCK_ID.finditer(text)]


def hidden_spans(body: str, code: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``(start, end)`` of what Obsidian does not show, outside code: ``%% comments %%`` and
    block ids (`comment_spans`, then `block_id_spans`)."""
    return comment_spans(body, code) + [(s, e) for s, e, _ in block_id_spans(body, code)]


# --- callouts -------------------------------------------------------------------------------

_CALLOUT = re.compile(r"\[!([^\]\s]+)\]([+-]?)[ \t]*([^\n]*)")

CALLOUT_ALIASES = {
    "summary": "abstract", "tldr": "abstract",
    "hint": "tip", "important": "tip",
    "check": "success", "done": "success",
    "help": "question", "faq": "question",
    "caution": "warning", "attention": "warning",
    "fail": "failure", "missing": "failure",
    "error": "danger",
    "cite": "quote",
}  # fmt: skip
"""Obsidian's other names for its callout types (``[!faq]`` is a question)."""


@dataclass(frozen=True, slots=True)
class CalloutHeader:
    """The first line of a callout, ``[!type]± title``."""

    kind: str
    """The type as written, lower case (``tip``)."""
    family: str
    """The type it is an alias of (``hint`` -> ``tip``); unknown types are themselves."""
    fold: str
    """``-`` folded, ``+`` foldable and open, ``""`` not foldable."""
    title: str
    """The title as written; the type's name (``Tip``) when none is given."""

    @property
    def folded(self) -> bool:
        return self.fold == "-"


def callout_header(line: str) -> CalloutHeader | None:
    """The callout a block quote's first line opens (its ``>`` removed), or None."""
    match = _CALLOUT.match(line.strip())
    if match is None:
        return None
    kind = match.group(1).lower()
    title = match.group(3).strip() or kind[:1].upper() + kind[1:]
    return CalloutHeader(kind, CALLOUT_ALIASES.get(kind, kind), match.group(2), title)
