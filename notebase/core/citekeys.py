"""Pandoc citations in note text: ``[@key]``, ``[@key, p. 4]``, ``[see @a; -@b]``, ``@key``.

The syntax of pandoc, Zotero/Better BibTeX and Obsidian's citation plugins. `citekeys`
finds them in one inline text whose code spans and links are already blanked (what
`notebase.core.links.inline_links` returns), so nothing inside code or a link's URL counts;
the parser records them on the note (`Note.citekeys`), the vault's works resolve them
against the bibliography (`notebase.core.works`).

- A bracketed group is ``[...]`` whose every ``;``-separated piece holds one ``@key``
  (with an optional prefix, ``-`` to suppress the author, and a locator after it:
  ``[see @doe99, pp. 33-35; also @smith04, chap. 1]``). A bracket with a piece that holds
  no key is plain text (its ``@key`` may still be an in-text citation).
- In text, ``@key`` optionally followed by ``[locator]``.
- ``@`` right after a letter, digit, ``\\``, ``/``, ``.``, ``:`` and the like is not a
  citation: e-mail addresses (``kim@snu.ac.kr``), URLs (``/@user``), escapes.
- A key starts with an ASCII letter, digit or ``_`` and goes on with those and *internal*
  punctuation (``:.#$%&-+?<>~/`` followed by a key character), so a sentence's full stop
  and a Korean particle written right after it (``@finn2017model에서``) are not part of
  it; any other key is written in braces: ``@{키 2020}``.

Every regex is linear-time: no quantifier can backtrack over another.
"""

from __future__ import annotations

import re

_KEY = r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_]|[:.#$%&\-+?<>~/](?=[A-Za-z0-9_]))*|\{[^{}\n]{1,200}\})"
_NOT_AFTER = r"(?<![\w\\@/.:+=&\-'`])"
_GROUP = re.compile(r"\[([^\[\]\n]*)\]")
_PIECE_KEY = re.compile(rf"{_NOT_AFTER}(-?)@({_KEY})")
_IN_TEXT = re.compile(rf"{_NOT_AFTER}@({_KEY})(?:[ \t]?\[([^\[\]@\n]{{0,200}})\])?")

CiteKey = tuple[str, int, str, bool]
"""``(key, line, locator, bracketed)`` of one pandoc citation: the key without ``@`` (and
without braces), the 1-based file line, what follows the key (``p. 4``; ``""`` if
nothing), and True for the bracketed form. Plain tuples: cheap to cache."""


def _key(raw: str) -> str:
    return raw[1:-1].strip() if raw.startswith("{") else raw


def citekeys(text: str, first_line: int = 1) -> list[CiteKey]:
    """The pandoc citations in ``text`` (one inline text, code spans and links blanked),
    in text order; ``first_line`` is the file line of the text's first line."""
    if "@" not in text:
        return []
    found: list[tuple[int, str, str, bool]] = []
    if "[" in text:
        kept: list[str] = []
        pos = 0
        for group in _GROUP.finditer(text):
            inner = group.group(1)
            cites = _group_citations(inner) if "@" in inner else None
            if cites is None:
                continue
            found.extend((group.start(), key, locator, True) for key, locator in cites)
            kept.append(text[pos : group.start()])
            kept.append(" " * (group.end() - group.start()))  # one line: no newline inside
            pos = group.end()
        if kept:
            text = "".join(kept) + text[pos:]
    for match in _IN_TEXT.finditer(text):
        locator = (match.group(2) or "").strip()
        found.append((match.start(), _key(match.group(1)), locator, False))
    found.sort(key=lambda item: item[0])
    # Lines counted on from the previous citation, never from the start: linear.
    result: list[CiteKey] = []
    counted, line = 0, first_line
    for start, key, locator, bracketed in found:
        line += text.count("\n", counted, start)
        counted = start
        result.append((key, line, locator, bracketed))
    return result


def _group_citations(inner: str) -> list[tuple[str, str]] | None:
    """``[(key, locator)]`` of a bracketed group's pieces, or None when a piece holds no
    key (then the brackets are plain text)."""
    cites = []
    for piece in inner.split(";"):
        match = _PIECE_KEY.search(piece)
        if match is None:
            return None
        locator = piece[match.end() :].strip().lstrip(",").strip()
        cites.append((_key(match.group(2)), locator))
    return cites
