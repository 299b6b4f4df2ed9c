"""Unlinked mentions: where other notes name a note (its title or an alias) without linking to it.

The rule, in one place (the app's side panel asks it through the session):

- The names of a note are its title and its aliases (NFC), each at least ``MIN_NAME``
  characters long (a one-syllable title would be found everywhere).
- A note that links to the target (any link resolving to it) is not listed, nor the target
  itself, nor a note that could not be read.
- The text searched is the body outside code blocks (`markdown_blocks.outline`, the one
  code-block rule), with inline code spans and every link blanked by the one link grammar
  (`links.inline_links`), and bare ``http(s)://`` URLs blanked.
- A name matches case-insensitively (Latin; Hangul has no case, so it matches exactly). At
  an end of the name that is a letter or digit of a script that separates words with
  spaces (Latin, Greek, Cyrillic, digits), the text must not go on with such a character:
  whole words, so ``MAML`` is not found in ``MAMLs`` or ``fomaml``. At a Hangul (or other
  CJK) end there is no such check: Korean attaches particles (``메타러닝은``), so a Korean
  name is found as a substring. A Latin name followed by a Korean particle (``MAML과``)
  is a whole word.

Only plain ``str`` operations and one literal alternation regex (linear: no quantifier), so
the cost is linear in the text read. Notes are first tested with ``str.find`` (on the
lower-cased body when a name has case); only those with a hit are parsed for code blocks
and links (a block parse, ~0.5 ms a
note: what a name found in thousands of notes costs, hence ``limit``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from notebase.core.links import inline_links
from notebase.core.markdown_blocks import code_line_flags, outline
from notebase.core.note import Note

MIN_NAME = 2
"""Names shorter than this many characters are not looked for."""

CONTEXT = 60
"""Characters of the line kept on each side of a mention for its ``context``."""

_URL = re.compile(r"https?://[^\s<>()\[\]]*")


@dataclass(frozen=True, slots=True)
class Mention:
    """One line of another note that names the target without linking to it."""

    path: str
    """The mentioning note."""
    line: int
    """1-based line of the note's body (the text after its frontmatter)."""
    name: str
    """The name found, as the text writes it."""
    context: str
    """The line around the mention, whitespace collapsed (``…`` where it was cut)."""
    heading: str | None = None
    """The nearest heading above the mention, if any (to open the note near it)."""


def _no_word_break(char: str) -> bool:
    """True for a character of a script whose words are separated by spaces: a name ending
    on one must not be followed (or preceded) by another."""
    if not (char.isalnum() or char == "_"):
        return False
    code = ord(char)
    return not (
        0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0x3040 <= code <= 0x30FF  # kana
        or 0x3130 <= code <= 0x318F  # Hangul compatibility jamo
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xA960 <= code <= 0xA97F
        or 0xAC00 <= code <= 0xD7FF  # Hangul syllables and jamo extended-B
        or 0xF900 <= code <= 0xFAFF
    )


def mention_names(note: Note) -> list[str]:
    """The names looked for: title and aliases, NFC, each once (case aside), longest first."""
    seen: dict[str, str] = {}
    for name in [note.title, *note.aliases]:
        name = unicodedata.normalize("NFC", (name or "").strip())
        if len(name) >= MIN_NAME:
            seen.setdefault(name.casefold(), name)
    return sorted(seen.values(), key=len, reverse=True)


def _nfc(text: str) -> str:
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _pattern(names: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(name) for name in names), re.IGNORECASE)


def _whole(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` stands apart at its ends (see the module docstring)."""
    if _no_word_break(text[start]) and start > 0 and _no_word_break(text[start - 1]):
        return False
    return not (_no_word_break(text[end - 1]) and end < len(text) and _no_word_break(text[end]))


def _context(line: str, start: int, end: int) -> str:
    left = max(0, start - CONTEXT)
    right = min(len(line), end + CONTEXT)
    text = " ".join(line[left:right].split())
    return ("…" if left > 0 else "") + text + ("…" if right < len(line) else "")


def _chunks(lines: list[str], code: list[tuple[int, int]]) -> Iterable[tuple[int, list[str]]]:
    """``(first line, lines)`` of each paragraph outside code blocks (blank lines split)."""
    in_code = code_line_flags(code, len(lines))
    chunk: list[str] = []
    first = 0
    for number, line in enumerate(lines):
        if in_code[number] or not line.strip():
            if chunk:
                yield first, chunk
            chunk = []
            continue
        if not chunk:
            first = number
        chunk.append(line)
    if chunk:
        yield first, chunk


def mentions_in(note: Note, pattern: re.Pattern[str]) -> list[Mention]:
    """The lines of ``note`` where ``pattern`` (the names, see `_pattern`) matches as a
    mention: one per line, the first name found on it, in line order."""
    body = _nfc(note.body)
    blocks = outline(body)
    lines = body.split("\n")
    found: list[Mention] = []
    headings = blocks.headings
    for first, chunk in _chunks(lines, blocks.code):
        masked = inline_links("\n".join(chunk))[2]
        if "://" in masked:
            masked = _URL.sub(lambda m: " " * len(m.group()), masked)
        for offset, text in enumerate(masked.split("\n")):
            pos = 0
            while True:
                match = pattern.search(text, pos)
                if match is None:
                    break
                start, end = match.span()
                if _whole(text, start, end):
                    number = first + offset
                    original = chunk[offset]
                    heading = None
                    for line, _level, title in headings:
                        if line > number:
                            break
                        heading = title
                    found.append(
                        Mention(
                            note.path,
                            number + 1,
                            original[start:end],
                            _context(original, start, end),
                            heading,
                        )
                    )
                    break
                pos = start + 1
    return found


def unlinked_mentions(
    target: Note, notes: Iterable[Note], limit: int | None = None
) -> list[Mention]:
    """Where ``notes`` name ``target`` (title or alias) without linking to it, by path then
    line (the rule: the module docstring). ``target`` must be a note of the vault whose
    links were resolved (`Link.resolved`). With ``limit``, ``notes`` are read in path
    order and reading stops once more than ``limit`` mentions were found: more than
    ``limit`` returned means there may be others."""
    names = mention_names(target)
    if not names:
        return []
    pattern = _pattern(names)
    # A quick test first (str.find runs at C speed; the regex with IGNORECASE does not):
    # lower-cased only when a name has case.
    cased = any(name.lower() != name for name in names) or any(
        name.upper() != name for name in names
    )
    lowered = [name.lower() for name in names]
    found: list[Mention] = []
    if limit is not None:
        notes = sorted(notes, key=lambda note: note.path)
    for note in notes:
        if note.path == target.path or not note.valid or not note.body:
            continue
        body = _nfc(note.body)
        text = body.lower() if cased else body
        if not any(name in text for name in lowered):
            continue
        if any(link.resolved == target.path for link in note.links):
            continue
        found.extend(mentions_in(note, pattern))
        if limit is not None and len(found) > limit:
            break
    found.sort(key=lambda mention: (mention.path, mention.line))
    return found
