"""Plain-text snippets for search hits: the stretch of a note around its best match, as
segments ``(text, is_hit)``; `marked_snippet` writes them with the matched words in « ».

The note's Markdown is shown as the text a reader sees (`notebase.core.plain_text`, the one
rule): no ``[[`` ``]]``, table pipes, HTML tags, heading hashes or emphasis markers. Only the
lines around the best match are converted, so a hit costs the same in a long note.

whoosh's highlighter re-analyses the whole note per hit (milliseconds each); searching as
the user types needs less. A regex built from the typed words finds them in the text:
Hangul words match with or without spaces between syllables (``메타러닝`` marks
``메타 러닝``), English words match any ending after their stem (``gradients`` marks
``gradient``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from notebase.core.plain_text import plain_inline
from notebase.index.analysis import CJK_CHAR_RE, CJK_RANGE, normalize_word

MARK_START = "«"
MARK_END = "»"
SNIPPET_CHARS = 160
"""Target length of a snippet, markers and ellipses not counted."""
_CONTEXT_BEFORE = 40
_MAX_CANDIDATES = 40

_LATIN_WORD_RE = re.compile(r"[^\W_]+")
_REGION_BEFORE = 200
_REGION_AFTER = 400
"""Raw note text converted around the best raw match (characters, widened to whole lines
when they are not too long)."""

Segment = tuple[str, bool]
"""A piece of a snippet and whether it is a matched word."""


def term_pattern(term: str) -> str | None:
    """A regex fragment matching ``term`` in note text, or None if it has nothing to match."""
    parts = []
    for piece in re.findall(r"\S+", term):
        chars = []
        for ch in piece:
            if CJK_CHAR_RE.match(ch):
                chars.append(re.escape(ch))
            else:
                chars.append(None)
        if all(c is not None for c in chars):
            parts.append(r"\s*".join(chars))
            continue
        # Latin (or mixed) word: its stem followed by any word characters.
        words = []
        for word in _LATIN_WORD_RE.findall(piece):
            stem = normalize_word(word) if word.isascii() else word.lower()
            if stem is None:
                continue
            prefix = stem if word.lower().startswith(stem) else word.lower()
            # Any ending, but not a particle written straight after it (gradients를).
            words.append(re.escape(prefix) + f"[^\\W{CJK_RANGE}]*")
        if words:
            parts.append(r"\W*".join(words))
    if not parts:
        return None
    return r"\s*".join(parts)


def compile_highlighter(terms: list[str]) -> re.Pattern[str] | None:
    """One alternation of all the terms, longest first; None when there is nothing."""
    patterns = sorted({p for p in (term_pattern(t) for t in terms) if p}, key=len, reverse=True)
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def marked_snippet(segments) -> str:
    """Segments as one string, matched words wrapped in « »."""
    return "".join(f"{MARK_START}{piece}{MARK_END}" if hit else piece for piece, hit in segments)


def snippet_segments(text: str, highlighter: re.Pattern[str] | None) -> list[Segment]:
    """The best ~160 characters of note Markdown ``text`` around matches, as plain text in
    segments ``(text, is_hit)``; the opening text when nothing matches (e.g. a title-only
    or tag match). ``…`` marks a cut."""
    if not text:
        return []
    raw = _matches(highlighter, text)
    if raw:
        start = _best_window(raw)
        first = _line_start(text, start - _REGION_BEFORE)
        region = text[first : _line_end(text, start + SNIPPET_CHARS + _REGION_AFTER)]
        cut_before = first > 0
    else:
        region = text[: _line_end(text, 4 * SNIPPET_CHARS)]
        cut_before = False
    plain = plain_inline(region)
    if not plain:
        return []
    matches = _matches(highlighter, plain)
    if not matches:
        return _cut(plain, 0, SNIPPET_CHARS, [], cut_before)
    best_start = _best_window(matches)
    end = best_start + SNIPPET_CHARS
    inside = [m for m in matches if m.start() >= best_start and m.end() <= end]
    return _cut(plain, best_start, end, inside, cut_before)


def _matches(highlighter: re.Pattern[str] | None, text: str) -> list[re.Match[str]]:
    """The non-empty matches of ``highlighter`` in ``text`` (none without one)."""
    if highlighter is None:
        return []
    return [m for m in highlighter.finditer(text) if m.end() > m.start()]


def _best_window(matches: list[re.Match[str]]) -> int:
    """The start of the window holding the most different matched words.

    ``matches`` come from ``finditer``: in order and not overlapping, so both their starts
    and their ends ascend and the matches inside a window are one slice, found by bisection
    (a common word matches hundreds of times in a long note)."""
    starts = [m.start() for m in matches]
    ends = [m.end() for m in matches]
    words: list[str] | None = None
    best_start, best_score = 0, -1
    for candidate in matches[:_MAX_CANDIDATES]:
        start = max(0, candidate.start() - _CONTEXT_BEFORE)
        end = start + SNIPPET_CHARS
        first, last = bisect_left(starts, start), bisect_right(ends, end)
        if last - first <= best_score:
            continue  # fewer matches than the best has different words
        if words is None:
            words = [m.group(0).lower() for m in matches]
        score = len(set(words[first:last]))
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def _line_start(text: str, pos: int) -> int:
    """The start of the line holding ``pos``, unless that is far before it."""
    if pos <= 0:
        return 0
    found = text.rfind("\n", max(0, pos - _REGION_BEFORE), pos)
    return found + 1 if found >= 0 else pos


def _line_end(text: str, pos: int) -> int:
    """The end of the line holding ``pos``, unless that is far after it."""
    if pos >= len(text):
        return len(text)
    found = text.find("\n", pos, pos + _REGION_AFTER)
    return found if found >= 0 else pos


def _cut(
    text: str, start: int, end: int, marks: list[re.Match[str]], cut_before: bool = False
) -> list[Segment]:
    # Move the edges to word boundaries so no word is cut in half.
    if start > 0:
        space = text.rfind(" ", max(0, start - 15), start)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.find(" ", end, end + 15)
        end = space if space >= 0 else end
    end = min(end, len(text))
    segments: list[Segment] = []
    pieces = ["…" if start > 0 or cut_before else ""]
    cursor = start
    for match in marks:
        if match.start() < cursor or match.end() > end:
            continue
        pieces.append(text[cursor : match.start()])
        segments.append(("".join(pieces), False))
        segments.append((match.group(0), True))
        pieces = []
        cursor = match.end()
    pieces.append(text[cursor:end])
    if end < len(text):
        pieces.append("…")
    segments.append(("".join(pieces), False))
    return [segment for segment in segments if segment[0]]
