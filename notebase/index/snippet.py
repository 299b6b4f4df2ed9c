"""Plain-text snippets for search hits: the stretch of a note around its best match, the
matched words wrapped in « ».

whoosh's highlighter re-analyses the whole note per hit (milliseconds each); searching as
the user types needs less. A regex built from the typed words finds them in the text:
Hangul words match with or without spaces between syllables (``메타러닝`` marks
``메타 러닝``), English words match any ending after their stem (``gradients`` marks
``gradient``).
"""

from __future__ import annotations

import re

from notebase.index.analysis import CJK_CHAR_RE, CJK_RANGE, normalize_word

MARK_START = "«"
MARK_END = "»"
SNIPPET_CHARS = 160
"""Target length of a snippet, markers and ellipses not counted."""
_CONTEXT_BEFORE = 40
_MAX_CANDIDATES = 40

_SPACES_RE = re.compile(r"\s+")
_LATIN_WORD_RE = re.compile(r"[^\W_]+")
# Markdown noise that reads badly in a one-line snippet.
_NOISE_RE = re.compile(
    r"^#{1,6}\s+|\[\^[^\]]*\]:?|!?\[\[|\]\]|\*\*|__|^\s*[-*+]\s+\[[ xX]\]\s+", re.M
)


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


def make_snippet(text: str, highlighter: re.Pattern[str] | None) -> str:
    """The best ~160 characters of ``text`` around matches, marked; the opening text when
    nothing matches (e.g. a title-only or tag match)."""
    text = _SPACES_RE.sub(" ", _NOISE_RE.sub("", text)).strip()
    if not text:
        return ""
    matches = list(highlighter.finditer(text)) if highlighter else []
    matches = [m for m in matches if m.end() > m.start()]
    if not matches:
        return _cut(text, 0, SNIPPET_CHARS, [])
    best_start, best_score = 0, -1
    for candidate in matches[:_MAX_CANDIDATES]:
        start = max(0, candidate.start() - _CONTEXT_BEFORE)
        end = start + SNIPPET_CHARS
        inside = {m.group(0).lower() for m in matches if m.start() >= start and m.end() <= end}
        score = len(inside)
        if score > best_score:
            best_start, best_score = start, score
    end = best_start + SNIPPET_CHARS
    return _cut(
        text, best_start, end, [m for m in matches if m.start() >= best_start and m.end() <= end]
    )


def _cut(text: str, start: int, end: int, marks: list[re.Match[str]]) -> str:
    # Move the edges to word boundaries so no word is cut in half.
    if start > 0:
        space = text.rfind(" ", max(0, start - 15), start)
        start = space + 1 if space >= 0 else start
    if end < len(text):
        space = text.find(" ", end, end + 15)
        end = space if space >= 0 else end
    end = min(end, len(text))
    pieces = ["…" if start > 0 else ""]
    cursor = start
    for match in marks:
        if match.start() < cursor or match.end() > end:
            continue
        pieces.append(text[cursor : match.start()])
        pieces.append(MARK_START + match.group(0) + MARK_END)
        cursor = match.end()
    pieces.append(text[cursor:end])
    if end < len(text):
        pieces.append("…")
    return "".join(pieces)
