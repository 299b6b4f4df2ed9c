"""Read a footnote definition as a bibliographic reference (authors, title, venue, year).

Best effort, never raises: fields that cannot be found stay empty. Only the first line of
a definition is read (quotes and comments that follow are not part of the reference).
Styles understood:

- Chicago-like (the seed's): ``Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Title."
  *Venue*, 2017.``
- APA-like: ``Finn, C., Abbeel, P., & Levine, S. (2017). Title. *Venue*.`` and
  ``Author (2019). Title. Venue.``
- Short: ``Finn et al., 2017, *Title*.``

Changing what is extracted here changes cached notes: bump ``PARSER_VERSION`` in notebase/config.py.

Authors are given in natural order (``"Chelsea Finn"``, ``"C. Finn"``); an ``et al.`` in
the source is kept as a last ``"et al."`` entry so a reader sees the list is incomplete.
"""

from __future__ import annotations

import re

from notebase.core.note import Citation

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_QUOTED = re.compile(r"[\"“”„«]\s*(.+?)\s*[\"“”»]")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\*)([^*\n]+?)\*(?!\*)|(?<![_\w])_(?!_)([^_\n]+?)_(?![_\w])")
_PAREN_YEAR = re.compile(r"\(\s*(1[5-9]\d\d|20\d\d)[a-z]?(?:,[^)]*)?\s*\)")
_ET_AL = re.compile(r",?\s*\bet\.?\s+al\.?", re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-Z][a-z]?\.?[\s-]*)+$")
_URL = re.compile(r"<?https?://\S+|<?doi:\S+|<?www\.\S+", re.IGNORECASE)
_LATIN_NAME = re.compile(r"^[A-Za-zÀ-ɏ'’. -]+$")
_MARKUP = re.compile(r"\*\*|__|\[\^[^\]]*\]|\[\[|\]\]|\[|\]\([^)\n]{0,500}\)|\]")
ET_AL = "et al."
MAX_CITATION_CHARS = 1000
"""Longer first lines are cut: no reference is that long, and it bounds the regex work."""


def parse_citation(text: str) -> Citation:
    """The citation in a footnote definition's text; empty fields where unsure."""
    try:
        return _parse(text)
    except Exception:  # a citation is a nicety: never let it break a note
        return Citation()


def _parse(text: str) -> Citation:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    line = line[:MAX_CITATION_CHARS]
    if not line or line.startswith(">"):
        return Citation()
    line = _URL.sub("", _MARKUP.sub("", line)).strip()

    # Chicago: authors. "Title." *Venue*, year.
    quoted = _QUOTED.search(line)
    if quoted and quoted.start() > 0:
        authors_part = line[: quoted.start()].strip().rstrip(",;: ")
        rest = line[quoted.end() :]
        venue_match = _ITALIC.search(rest)
        venue = _italic_text(venue_match) if venue_match else _first_segment(rest)
        return Citation(
            authors=_split_authors(authors_part),
            title=quoted.group(1).rstrip(".,"),
            venue=venue,
            year=_last_year(rest) or _last_year(authors_part),
        )

    # Chicago, book: authors. *Title*. Place: Publisher, year.
    italic = _ITALIC.search(line)
    if italic and italic.start() > 0:
        before = line[: italic.start()].rstrip()
        if before.endswith(".") and not _YEAR.search(before) and not _PAREN_YEAR.search(before):
            rest = line[italic.end() :]
            return Citation(
                authors=_split_authors(before),
                title=_italic_text(italic),
                venue=_first_segment(re.sub(r"^[\s.,]*(?:\d+(?:st|nd|rd|th) ed\.\s*)?", "", rest)),
                year=_last_year(rest),
            )

    # APA: authors (year). Title. Venue.
    paren = _PAREN_YEAR.search(line)
    if paren and paren.start() > 0:
        authors_part = line[: paren.start()].strip().rstrip(",;: ")
        rest = line[paren.end() :].lstrip(" .,:")
        title, venue = _title_and_venue(rest)
        return Citation(
            authors=_split_authors(authors_part),
            title=title,
            venue=venue,
            year=int(paren.group(1)),
        )

    # Short: authors, year, *Title*(, venue).
    year_match = _YEAR.search(line)
    if year_match and year_match.start() > 0:
        authors_part = line[: year_match.start()].strip().rstrip(",;:( ")
        rest = line[year_match.end() :].lstrip(" .,:)")
        italic = _ITALIC.search(rest)
        if italic:
            title = _italic_text(italic)
            venue = _first_segment(rest[italic.end() :])
        else:
            title, venue = _title_and_venue(rest)
        return Citation(
            authors=_split_authors(authors_part),
            title=title,
            venue=venue,
            year=int(year_match.group(1)),
        )

    # Nothing recognisable: an italic part is most likely a title.
    italic = _ITALIC.search(line)
    if italic:
        return Citation(title=_italic_text(italic))
    return Citation()


def _italic_text(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or "").strip().rstrip(".,")


def _first_segment(text: str) -> str | None:
    """The first sentence-like piece of ``text`` that is not just a year or punctuation."""
    for piece in re.split(r"(?<=[.;])\s+|,\s+", text):
        piece = piece.strip(" .,;:*_")
        if piece and not _YEAR.fullmatch(piece):
            return piece
    return None


def _title_and_venue(rest: str) -> tuple[str | None, str | None]:
    """APA's tail: ``Title. Venue, pages.`` or ``Title. In *Venue*.``"""
    italic = _ITALIC.search(rest)
    if italic and italic.start() == 0:
        title = _italic_text(italic)
        return title, _first_segment(rest[italic.end() :])
    if italic:
        # Title. In *Venue*: everything before the italic venue is the title.
        title = re.sub(r"[.,]?\s*(?:In:?)?\s*$", "", rest[: italic.start()]).strip()
        return (title or None), _italic_text(italic)
    title_end = re.search(r"[.?!](?:\s|$)", rest)
    if not title_end:
        return (rest.strip(" .") or None), None
    title = rest[: title_end.start() + (1 if rest[title_end.start()] in "?!" else 0)].strip()
    venue = _first_segment(re.sub(r"^\s*In:?\s+", "", rest[title_end.end() :]))
    return (title or None), venue


def _last_year(text: str) -> int | None:
    """A year in parentheses (``(1994): 147-160``) if any, else the last year-like number."""
    in_parens = _PAREN_YEAR.search(text)
    if in_parens:
        return int(in_parens.group(1))
    years = _YEAR.findall(text)
    return int(years[-1]) if years else None


def _split_authors(part: str) -> list[str]:
    """``Finn, Chelsea, Pieter Abbeel, and Sergey Levine`` -> natural-order names."""
    part = part.strip()
    if not part:
        return []
    et_al = bool(_ET_AL.search(part))
    part = _ET_AL.sub("", part).strip(" ,;")
    part = re.sub(r"\s*(?:,\s*)?(?:&|\band\b)\s*", ", ", part)
    pieces = [_clean_name(p) for p in part.split(",")]
    pieces = [p for p in pieces if p]
    names: list[str] = []
    if pieces and all(" " not in p or _INITIALS.match(p) for p in pieces) and _apa_pairs(pieces):
        # APA: Surname, I., Surname, I.
        for surname, initials in zip(pieces[::2], pieces[1::2], strict=False):
            names.append(f"{initials} {surname}")
    else:
        # Chicago: the first author is inverted ("Finn, Chelsea"), the rest are not.
        # Names in other scripts (김철수, 이영희) are never inverted.
        if (
            len(pieces) >= 2
            and " " not in pieces[0]
            and _LATIN_NAME.match(pieces[0])
            and _LATIN_NAME.match(pieces[1])
        ):
            names.append(f"{pieces[1]} {pieces[0]}")
            pieces = pieces[2:]
        names.extend(pieces)
    if et_al:
        names.append(ET_AL)
    return names


def _clean_name(piece: str) -> str:
    """Trim spaces and a sentence dot, but keep an initial's dot (``Timothy M.``)."""
    piece = piece.strip()
    if piece.endswith(".") and not re.search(r"(?:^|[\s.-])[A-Z]\.$", piece):
        piece = piece[:-1].rstrip()
    return piece


def _apa_pairs(pieces: list[str]) -> bool:
    """True for ``[Surname, I., Surname, I.]``: every second piece is initials."""
    return len(pieces) % 2 == 0 and all(_INITIALS.match(p) for p in pieces[1::2])
