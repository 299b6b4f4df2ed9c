"""Works: every citation in the vault grouped by the paper (book, article ...) it cites.

`group_works(notes, bibliography)` reads each note's footnote citations (`Footnote.citation`)
and pandoc citations (`Note.citekeys`) and returns `Works`: one `Work` per cited work, with
a stable BibTeX-style key, its authors, title, venue and year, every place that cites it,
the conflicts between those citations and, when the bibliography has the work, the
citations that misattribute it. Nothing here reads a file or is computed at vault load:
callers group when they need to (``notebase citations``, ``check``, ``search cite:``, the
app's panel), and a work's conflicts and misattributions are worked out when first asked for
(``search cite:`` never asks; the panel asks for the open note's works only).

How citations join a work (comparisons in `notebase.core.work_match`):

1. Each bibliography entry is a work from the start.
2. A footnote citation with a title joins the work of the same title (case, accents,
   punctuation and spaces aside), unless its first author, year and venue are all known and
   all differ from every citation of that work (two books called "Deep learning"). Else it
   joins a work whose title is a typo away and which shares its first author or year, else
   one whose title starts with its title (or the other way round) with the same first
   author and year (``*Model-Agnostic Meta-Learning*`` for the full MAML title). Where
   several works qualify, the one agreeing on most of first author, year and venue.
3. A citation without a title joins the one work of its first author and year (and venue,
   when several); otherwise it is a work of its own.
4. ``[@key]`` joins the work of the bibliography entry ``key``; an unknown key is reported.

A footnote is a citation when it has a title, or authors and a year.

Conflicts (`Conflict`): the citations of one work name different first authors, author
lists or years; each version is listed with where it appears, and only the bibliography,
when it has the work, marks which is right. Misattributions (`Misattribution`): a citation
of a work in the bibliography whose first author, authors or year are not the entry's.

Over 400 lines because the grouping rules above are one pass (`_Grouper`) over the `Work`s
and `Works` it fills; comparisons are `work_match`, reports `work_report` and `work_json`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from notebase.core.bibliography import BibEntry, Bibliography, read_bibliography
from notebase.core.note import Note
from notebase.core.work_json import check_report
from notebase.core.work_match import (
    Person,
    family_key,
    is_short_form,
    person,
    persons,
    similar_titles,
    title_words,
    venue_key,
)
from notebase.core.work_report import (
    assign_keys,
    describe,
    find_conflicts,
    find_misattributions,
)


class Citing(NamedTuple):
    """One place that cites a work: a note, the line, the footnote label (``@key`` for a
    pandoc citation). Sorts by note, then line."""

    note: str
    line: int
    label: str


class Version:
    """A citation as written (authors, title, venue, year), one of a work's citations, and
    every place that writes exactly it: identical citations are compared once (a vault of
    10,000 notes has ~15,000 citations, many of them copies)."""

    __slots__ = ("places", "authors", "title", "venue", "year", "people", "first", "family")

    def __init__(self, where: Citing, authors, title: str | None, venue, year: int | None):
        self.places: list[Citing] = [where]
        """Where it is written, the first place first (by note path)."""
        self.authors: tuple[str, ...] = tuple(authors)
        self.title = title
        self.venue: str | None = venue
        self.year = year
        self.people: tuple[tuple[Person, ...], bool]
        """The people it names and whether it ends in ``et al.``"""
        self.first: Person | None
        self.family: str
        self.people, self.first, self.family = _author_facts(self.authors)


@lru_cache(maxsize=65536)
def _author_facts(authors: tuple[str, ...]) -> tuple[tuple, Person | None, str]:
    """``(people, first person, first family name)`` of an author list."""
    people = persons(authors)
    first = people[0][0] if people[0] else None
    return people, first, first.family if first is not None else ""


@dataclass(slots=True)
class Work:
    """One cited work. Fields come from the bibliography entry when there is one, else
    from its citations (see `work_report.describe`); ``key`` is the entry's or a generated one."""

    key: str
    authors: tuple[str, ...] = ()
    title: str | None = None
    venue: str | None = None
    year: int | None = None
    entry: BibEntry | None = None
    versions: list[Version] = field(default_factory=list)
    """Its footnote citations, each way of writing it once, by where it first appears."""
    citekeys: list[Citing] = field(default_factory=list)
    """Its pandoc citations (``label`` is ``@key``)."""
    _conflicts: list | None = field(default=None, repr=False)
    _misattributions: list | None = field(default=None, repr=False)
    _cited_by: list[Citing] | None = field(default=None, repr=False)

    @property
    def conflicts(self) -> list:
        """`notebase.core.work_report.Conflict` for each field its citations disagree on
        (worked out when first asked: ``search cite:`` never needs them, the app's panel
        only for the open note's works)."""
        if self._conflicts is None:
            self._conflicts = find_conflicts(self)
        return self._conflicts

    @property
    def misattributions(self) -> list:
        """`notebase.core.work_report.Misattribution` of each citation the bibliography
        entry contradicts, by place (worked out when first asked)."""
        if self._misattributions is None:
            self._misattributions = find_misattributions(self)
        return self._misattributions

    @property
    def cited_by(self) -> list[Citing]:
        """Every place citing it (footnotes and pandoc citations), by note and line."""
        if self._cited_by is None:
            places = [c for v in self.versions for c in v.places]
            self._cited_by = sorted(places + self.citekeys)
        return self._cited_by

    @property
    def in_bibliography(self) -> bool:
        return self.entry is not None

    @property
    def notes(self) -> list[str]:
        """The notes citing it, each once, by path."""
        return sorted({c.note for c in self.cited_by})


@dataclass(slots=True)
class Works:
    """Every work of a vault, by key, and what could not be resolved."""

    works: list[Work]
    bibliography: Bibliography | None = None
    unknown_keys: list[Citing] = field(default_factory=list)
    """Pandoc citations whose key is not in the bibliography (``label`` is ``@key``)."""
    _by_citation: dict[tuple[str, str], Work] | None = field(default=None, repr=False)
    """Built on the first `work_of` (the app's panel asks; ``citations`` and ``check`` not)."""
    _by_key: dict[str, Work] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_key = {work.key.casefold(): work for work in self.works}

    def get(self, key: str) -> Work | None:
        return self._by_key.get(key.casefold())

    def work_of(self, note: str, label: str) -> Work | None:
        """The work footnote ``label`` (or ``@key``) of ``note`` cites, if any."""
        if self._by_citation is None:
            self._by_citation = {}
            for work in self.works:
                for citing in work.cited_by:
                    self._by_citation.setdefault((citing.note, citing.label), work)
        return self._by_citation.get((note, label))

    @property
    def problems(self) -> list[str]:
        return list(self.bibliography.problems) if self.bibliography else []

    def check(self) -> dict:
        """The citation part of ``notebase check --json`` (`work_json.check_report`)."""
        return check_report(self)

    def notes_citing(self, query: str) -> set[str]:
        """The notes citing a work by the author ``query`` names (``Finn``, ``C. Finn``,
        ``Chelsea Finn``, ``Finn, Chelsea``), under any spelling in that work's citations or
        bibliography entry, or citing the work of key ``query``."""
        text = query.strip()
        if not text:
            return set()
        wanted = person(text)
        single = wanted is not None and not wanted.given and " " not in text and "," not in text
        found: set[str] = set()
        for work in self.works:
            if work.key.casefold() == text.casefold() or _names_author(work, wanted, single, text):
                found.update(work.notes)
        return found


def _names_author(work: Work, wanted: Person | None, single: bool, text: str) -> bool:
    if wanted is None:
        return False
    names = list(work.entry.authors) if work.entry else []
    for version in work.versions:
        names.extend(version.authors)
    for name in names:
        found = person(name)
        if found is None:
            continue
        if single:
            if wanted.family in (found.family, *[g for g in found.given if len(g) > 1]):
                return True
        elif wanted.compatible(found):
            return True
    return False


# ---- grouping ------------------------------------------------------------------------------


def is_citation(authors, title, year) -> bool:
    """Whether a footnote reads as a citation: a title, or authors and a year."""
    return bool(title) or (bool(authors) and year is not None)


class _Group:
    """A work being built: its members and what they say, for matching the next one."""

    __slots__ = ("work", "families", "years", "venues", "titles", "pairs", "spellings")

    def __init__(self, work: Work) -> None:
        self.work = work
        self.families: set[str] = set()
        self.years: set[int] = set()
        self.venues: set[str] = set()
        self.titles: list[tuple[str, ...]] = []
        self.pairs: set[tuple[str, int]] = set()
        """``(first author's family name, year)`` pairs seen (`_Grouper.by_author_year`)."""
        self.spellings: set[str] = set()
        """Titles as written, seen (their words are in ``titles``)."""

    def score(self, family: str, year: int | None, venue: str) -> int:
        return (
            2 * (family in self.families)
            + (year in self.years)
            + (bool(venue) and venue in self.venues)
        )

    def all_differ(self, family: str, year: int | None, venue: str) -> bool:
        """True when the first author, the year and the venue are all known on both sides
        and none matches: another work of the same title."""
        return (
            bool(
                family
                and self.families
                and year is not None
                and self.years
                and venue
                and self.venues
            )
            and family not in self.families
            and year not in self.years
            and venue not in self.venues
        )


class _Grouper:
    def __init__(self) -> None:
        self.groups: list[_Group] = []
        self.by_title: dict[str, list[_Group]] = {}
        self.by_end: dict[str, list[_Group]] = {}
        """Title keys by their first and by their last 6 characters (a typo rarely hits both)."""
        self.by_author_year: dict[tuple[str, int], list[_Group]] = {}
        self.by_entry: dict[str, _Group] = {}

    def new(self, work: Work) -> _Group:
        group = _Group(work)
        self.groups.append(group)
        return group

    def note_facts(self, group: _Group, family: str, title, venue: str, year) -> None:
        """Remember what a new member of ``group`` says, for matching later citations."""
        if family and year is not None and (family, year) not in group.pairs:
            group.pairs.add((family, year))
            self.by_author_year.setdefault((family, year), []).append(group)
        if family:
            group.families.add(family)
        if year is not None:
            group.years.add(year)
        if venue:
            group.venues.add(venue)
        if not title or title in group.spellings:
            return
        group.spellings.add(title)
        words = title_words(title)
        key = "".join(words)
        if key and words not in group.titles:
            group.titles.append(words)
            self.by_title.setdefault(key, []).append(group)
            for end in {key[:6], key[-6:]}:
                self.by_end.setdefault(end, []).append(group)

    def seed(self, entry: BibEntry) -> None:
        group = self.new(Work(key=entry.key, entry=entry))
        self.by_entry.setdefault(entry.key, group)
        family = family_key(entry.authors[0]) if entry.authors else ""
        self.note_facts(group, family, entry.title, venue_key(entry.venue), entry.year)

    def add(self, version: Version) -> None:
        family = version.family
        venue = venue_key(version.venue)
        year = version.year
        candidates = self._candidates(version, family, year)
        candidates = [g for g in candidates if not g.all_differ(family, year, venue)]
        if len(candidates) == 1:
            group = candidates[0]
        elif candidates:
            group = max(
                candidates,
                key=lambda g: (g.score(family, year, venue), g.work.entry is not None),
            )
        else:
            group = self.new(Work(key=""))
        group.work.versions.append(version)
        self.note_facts(group, family, version.title, venue, year)

    def _candidates(self, version: Version, family: str, year: int | None) -> list[_Group]:
        if not version.title:
            return self._untitled(version, family, year)
        words = title_words(version.title)
        key = "".join(words)
        exact = self.by_title.get(key)
        if exact:
            return exact
        near = {
            id(g): g
            for end in (key[:6], key[-6:])
            for g in self.by_end.get(end, ())
            if any(similar_titles(key, "".join(t)) for t in g.titles)
            and (family in g.families or year in g.years)
        }
        if near:
            return list(near.values())
        if family and year is not None:
            return [
                g
                for g in self.by_author_year.get((family, year), ())
                if any(is_short_form(words, t) or is_short_form(t, words) for t in g.titles)
            ]
        return []

    def _untitled(self, version: Version, family: str, year: int | None) -> list[_Group]:
        if not family or year is None:
            return []
        candidates = self.by_author_year.get((family, year), [])
        venue = venue_key(version.venue)
        if len(candidates) > 1 and venue:
            candidates = [g for g in candidates if venue in g.venues]
        return candidates[:1] if len(candidates) == 1 else []


def group_works(notes: Iterable[Note], bibliography: Bibliography | None = None) -> Works:
    """Group every citation of ``notes`` into works (see the module docstring)."""
    # Like loading the vault: the cyclic collector would walk every note again and again
    # while ~15,000 small objects are made (measured: 0.1 s -> 0.4 s at 10,000 notes);
    # nothing made here forms a cycle.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _group(sorted(notes, key=lambda n: n.path), bibliography)
    finally:
        if was_enabled:
            gc.enable()


def _group(notes: list[Note], bibliography: Bibliography | None) -> Works:
    grouper = _Grouper()
    for entry in bibliography.entries if bibliography else ():
        grouper.seed(entry)
    untitled: list[Version] = []
    written: dict[tuple, Version] = {}
    for note in notes:
        for footnote in note.footnotes:
            c = footnote.citation
            if not c.title and (not c.authors or c.year is None):
                continue  # not a citation (see is_citation)
            where = Citing(note.path, footnote.line, footnote.label)
            authors = tuple(c.authors)
            version = written.get((authors, c.title, c.venue, c.year))
            if version is not None:  # written the same way before: the same work
                version.places.append(where)
                continue
            version = Version(where, authors, c.title, c.venue, c.year)
            written[authors, c.title, c.venue, c.year] = version
            (grouper.add(version) if c.title else untitled.append(version))
    for version in untitled:  # after every titled one: they join works by author and year
        grouper.add(version)
    unknown: list[Citing] = []
    has_bibliography = bool(bibliography and bibliography.entries)
    for note in notes:
        for key, line, _locator, bracketed in note.citekeys:
            entry = bibliography.get(key) if bibliography else None
            where = Citing(note.path, line, "@" + key)
            if entry is not None:
                grouper.by_entry[entry.key].work.citekeys.append(where)
            elif bracketed or has_bibliography:
                unknown.append(where)  # a bare @word counts once there is a bibliography
    works = [g.work for g in grouper.groups]
    for work in works:
        describe(work)  # conflicts and misattributions: when asked for
    assign_keys(works)
    works.sort(key=lambda w: w.key.casefold())
    return Works(works, bibliography, unknown)


def vault_works(root, config, notes: Iterable[Note]) -> Works:
    """The works of a vault: its bibliography read (`read_bibliography`), its notes grouped."""
    return group_works(notes, read_bibliography(root, config))
