"""What a work shows (its fields and key) and what is wrong with its citations, and the
words and JSON for both.

`describe` picks the fields a work shows: its bibliography entry's, else its citations'
(no citation wins a conflict: the fullest title and author list, the most frequent year,
ties to the first by note path). `assign_keys` gives each work without an entry a
Google-Scholar-style key (``finn2017model``), unique and the same for the same vault.

`find_conflicts`: the work's citations disagree on the first author, the author list or the
year. Versions are clustered by what can be the same (``C. Finn`` and ``Chelsea Finn`` are one
version; ``Tianqi Chen`` and ``Yutian Chen`` two); more than one cluster is a conflict, with
every version and where it appears. No version wins: only the bibliography entry, when the
work has one, marks the version it agrees with (``ConflictValue.bibliography``). The author
list is compared only when the first authors agree (a different first author already says
the lists differ).

`find_misattributions`: for a work in the bibliography, each citation whose first author,
author list or year is not the entry's.

`conflict_text`, `misattribution_text` and `citation_problems` (one citation's, for the
app's panel) are the one wording of both, for the CLI (``citations``, ``check``) and the
app; the JSON shapes are `notebase.core.work_json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from notebase.core.work_match import (
    ET_AL,
    TITLE_STOPWORDS,
    Person,
    authors_compatible,
    family_key,
    key_word,
    person,
    persons,
    title_key,
    title_words,
    venue_key,
)

if TYPE_CHECKING:
    from notebase.core.works import Citing, Version, Work

FIELD_WORDS = {"first_author": "first author", "authors": "authors", "year": "year"}


@dataclass(slots=True)
class ConflictValue:
    """One version of a field and the citations that write it."""

    value: str | list[str] | int
    """A name (first author), a list of names (authors) or a year."""
    where: list[Citing] = field(default_factory=list)
    bibliography: bool = False
    """True when the work's bibliography entry agrees with this version."""

    @property
    def notes(self) -> list[str]:
        return sorted({c.note for c in self.where})


@dataclass(slots=True)
class Conflict:
    """The citations of one work disagree on ``field`` (``first_author``, ``authors``,
    ``year``): every version, in order of first appearance."""

    field: str
    values: list[ConflictValue]


@dataclass(slots=True)
class Misattribution:
    """A citation that contradicts the work's bibliography entry on ``field``."""

    where: Citing
    field: str
    cited: str | list[str] | int
    bibliography: str | list[str] | int


def describe(work: Work, tally: Tally | None = None) -> None:
    """A work's shown fields: the entry's, else its citations' (the fullest title and
    author list, the most frequent year; ties go to the first citation by note path)."""
    entry = work.entry
    if entry is not None:
        work.authors, work.title, work.venue, work.year = (
            entry.authors,
            entry.title,
            entry.venue,
            entry.year,
        )
        return
    tally = tally or Tally(work.versions)
    titles = tally.titles
    work.title = max(titles, key=lambda t: len(title_words(t))) if titles else None
    listed = tally.author_lists
    work.authors = max(listed, key=_fullness) if listed else ()
    if tally.by_year:
        work.year = max(tally.by_year, key=lambda y: _count(tally.by_year[y]))
    if tally.by_venue:
        counts: dict[str, int] = {}
        for venue, versions in tally.by_venue.items():
            key = venue_key(venue)
            counts[key] = counts.get(key, 0) + _count(versions)
        work.venue = max(tally.by_venue, key=lambda venue: counts[venue_key(venue)])


class Tally:
    """A work's versions sorted by what they say, in one pass (describe and conflicts
    read it): by first author, by author list, by year, by venue; titles and author lists
    once each. Every list holds versions in order of first appearance."""

    __slots__ = ("by_first", "by_list", "by_year", "by_venue", "titles", "author_lists")

    def __init__(self, versions: list[Version]) -> None:
        by_first: dict[Person, list[Version]] = {}
        by_list: dict[tuple, list[Version]] = {}
        by_year: dict[int, list[Version]] = {}
        by_venue: dict[str, list[Version]] = {}
        titles: dict[str, None] = {}
        author_lists: dict[tuple[str, ...], None] = {}
        for v in versions:
            if v.first is not None:
                by_first.setdefault(v.first, []).append(v)
            if v.people[0]:
                by_list.setdefault(v.people, []).append(v)
            if v.year is not None:
                by_year.setdefault(v.year, []).append(v)
            if v.venue:
                by_venue.setdefault(v.venue, []).append(v)
            if v.title:
                titles[v.title] = None
            if v.authors:
                author_lists[v.authors] = None
        self.by_first, self.by_list, self.by_year, self.by_venue = (
            by_first,
            by_list,
            by_year,
            by_venue,
        )
        self.titles, self.author_lists = titles, author_lists


def _count(versions: list[Version]) -> int:
    return sum(len(v.places) for v in versions)


def _places(versions: list[Version]) -> list[Citing]:
    return [c for v in versions for c in v.places]


def _fullness(authors: tuple[str, ...]) -> tuple[int, bool, int]:
    """How much an author list says: people named, no ``et al.``, given names spelled out."""
    people = persons(authors)[0]
    return len(people), authors[-1] != ET_AL, sum(p.completeness for p in people)


def generated_key(work: Work) -> str:
    """``finn2017model``: first author's family name, year, the title's first word that is
    not a stop word (Google Scholar's style); the venue stands in for a missing title."""
    family = key_word(family_key(work.authors[0])) if work.authors else ""
    word = ""
    for candidate in title_words(work.title or ""):
        if candidate not in TITLE_STOPWORDS:
            word = key_word(candidate)
            break
    if not word and work.venue:
        word = venue_key(work.venue)[:12]
    return f"{family or 'anon'}{work.year or ''}{word}"


def assign_keys(works: list[Work]) -> None:
    """Entry keys as they are; generated keys made unique with ``a``, ``b`` ... in the
    order of the works' titles and authors, so the same vault always gets the same keys."""
    taken = {w.key.casefold() for w in works if w.entry is not None}
    pending: dict[str, list[Work]] = {}
    for work in works:
        if work.entry is None:
            pending.setdefault(generated_key(work), []).append(work)
    for base, group in sorted(pending.items()):
        if len(group) == 1 and base.casefold() not in taken:
            group[0].key = base
            taken.add(base.casefold())
            continue
        group.sort(key=lambda w: (title_key(w.title or ""), w.authors, w.year or 0, w.cited_by))
        suffixes = (chr(ord("a") + i) if i < 26 else str(i) for i in range(10**6))
        for work in group:
            key = base + next(suffixes)
            while key.casefold() in taken:
                key = base + next(suffixes)
            work.key = key
            taken.add(key.casefold())


def find_conflicts(work: Work, tally: Tally | None = None) -> list[Conflict]:
    versions = work.versions
    if len(versions) < 2:
        return []  # every citation of it written the same way
    tally = tally or Tally(versions)
    entry = work.entry
    conflicts: list[Conflict] = []

    # First author: clusters of compatible names, the most complete name first. Each
    # distinct name is compared once (a work cited 500 times has a handful of spellings).
    by_first = tally.by_first
    clusters = _clusters(
        sorted(by_first, key=lambda p: (-p.completeness, by_first[p][0].places[0])),
        lambda rep, other: rep.compatible(other),
        lambda first: ConflictValue(by_first[first][0].authors[0], _places(by_first[first])),
        lambda first: _places(by_first[first]),
    )
    if len(clusters) > 1:
        entry_first = person(entry.authors[0]) if entry and entry.authors else None
        for rep, value in clusters:
            value.bibliography = entry_first is not None and rep.compatible(entry_first)
        conflicts.append(Conflict("first_author", _ordered(v for _, v in clusters)))
    else:
        by_list = tally.by_list
        groups = _clusters(
            sorted(by_list, key=lambda p: (-len(p[0]), p[1], by_list[p][0].places[0])),
            authors_compatible,
            lambda people: ConflictValue(
                list(by_list[people][0].authors), _places(by_list[people])
            ),
            lambda people: _places(by_list[people]),
        )
        if len(groups) > 1:
            entry_people = persons(entry.authors) if entry and entry.authors else None
            for rep, value in groups:
                value.bibliography = entry_people is not None and authors_compatible(
                    rep, entry_people
                )
            conflicts.append(Conflict("authors", _ordered(v for _, v in groups)))

    if len(tally.by_year) > 1:
        years = [
            ConflictValue(year, _places(found), entry is not None and entry.year == year)
            for year, found in tally.by_year.items()
        ]
        conflicts.append(Conflict("year", _ordered(years)))
    return conflicts


def _clusters(items, compatible, make, places) -> list[tuple[object, ConflictValue]]:
    """Greedy clusters of ``items`` (most complete first): each joins the first cluster
    whose representative it is ``compatible`` with, else starts one (``make``)."""
    clusters: list[tuple[object, ConflictValue]] = []
    for item in items:
        for rep, value in clusters:
            if compatible(rep, item):
                value.where.extend(places(item))
                break
        else:
            clusters.append((item, make(item)))
    return clusters


def _ordered(values) -> list[ConflictValue]:
    values = list(values)
    for value in values:
        value.where.sort()
    return sorted(values, key=lambda v: v.where[0])


def find_misattributions(work: Work) -> list[Misattribution]:
    entry = work.entry
    if entry is None:
        return []
    found: list[Misattribution] = []
    entry_people = persons(entry.authors)
    entry_first = entry_people[0][0] if entry_people[0] else None
    for version in work.versions:
        wrong: list[tuple[str, object, object]] = []
        first = version.first
        if first is not None and entry_first is not None:
            if not first.compatible(entry_first):
                wrong.append(("first_author", version.authors[0], entry.authors[0]))
            elif not authors_compatible(version.people, entry_people):
                wrong.append(("authors", list(version.authors), list(entry.authors)))
        if version.year is not None and entry.year is not None and version.year != entry.year:
            wrong.append(("year", version.year, entry.year))
        found += [Misattribution(where, *what) for where in version.places for what in wrong]
    found.sort(key=lambda m: m.where)
    return found


# ---- wording ---------------------------------------------------------------------------


def value_text(value: str | list[str] | int) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def versions_text(conflict: Conflict, bibliography: str | None = None) -> str:
    """``2019 (a.md); 2017 (b.md, c.md) <- references.bib``: every version with the notes
    writing it; the one the bibliography agrees with is marked."""
    parts = []
    for value in conflict.values:
        mark = f" <- {bibliography}" if value.bibliography and bibliography else ""
        parts.append(f"{value_text(value.value)} ({', '.join(value.notes)}){mark}")
    return "; ".join(parts)


def conflict_text(conflict: Conflict, bibliography: str | None = None) -> str:
    """``year: 2019 (a.md); 2017 (b.md, c.md) <- references.bib`` (see `versions_text`)."""
    return f"{FIELD_WORDS[conflict.field]}: {versions_text(conflict, bibliography)}"


def citation_problems(work: Work, citing: Citing, bibliography: str | None) -> list[str]:
    """What is wrong with one citation of ``work``, one line each: for a work in the
    bibliography, where it contradicts the entry (``first author "Yoshua Bengio", but
    references.bib (ravi2017optimization) says "Sachin Ravi"``; a citation that agrees with
    it has nothing wrong); else where the other notes write otherwise (``year: 2019 here;
    2017 in a.md``). The same split as ``check``."""
    if work.entry is not None:
        return [
            misattribution_text(found, work.key, bibliography or "the bibliography")
            for found in work.misattributions
            if found.where == citing
        ]
    lines = []
    for conflict in work.conflicts:
        here = [v for v in conflict.values if citing in v.where]
        if not here:
            continue
        parts = []
        for value in [here[0], *(v for v in conflict.values if v is not here[0])]:
            where = "here" if value is here[0] else f"in {', '.join(value.notes)}"
            parts.append(f"{value_text(value.value)} {where}")
        lines.append(f"{FIELD_WORDS[conflict.field]}: " + "; ".join(parts))
    return lines


def misattribution_text(found: Misattribution, key: str, bibliography: str) -> str:
    """``first author "Yoshua Bengio", but references.bib (ravi2017optimization) says
    "Sachin Ravi"``."""
    what = FIELD_WORDS[found.field]
    return (
        f'{what} "{value_text(found.cited)}", but {bibliography} ({key}) says '
        f'"{value_text(found.bibliography)}"'
    )
