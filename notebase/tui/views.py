"""What the screens show, as plain data: rows, a note's page, a listing, an update; and
how a core ``Note`` becomes them (``note_row``, ``note_page``, ``question_row``).

``VaultSession`` builds these in worker threads from the vault, the index and the
experiments folder; screens and widgets render them and never hold a core ``Note``. They
are treated as immutable once built: a changed note gets new objects, so a widget can tell
by identity or equality what it must redraw. Imports no Textual; of core only types, and
the plain-text rule (`notebase.core.plain_text`, for question texts) when a page is built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.core.note import Footnote, Note, Question


@dataclass(slots=True, eq=False)
class NoteRow:
    """One line of the note list. Compared by identity: an unchanged note keeps its row
    object from one listing to the next, so the list re-renders only the new ones."""

    path: str
    """Vault-relative path of the note."""
    title: str
    tags: tuple[str, ...]
    valid: bool = True
    """False for a note that could not be read (broken YAML, not UTF-8)."""

    @property
    def sort_key(self) -> tuple[str, str]:
        """The list's order: title (case-insensitive), then path."""
        return (self.title.casefold(), self.path)


@dataclass(slots=True)
class Listing:
    """The note list of one moment: rows (of one tag, or all), tags, counts."""

    generation: int
    """Counts the vault's changes: a listing older than the one shown is dropped."""
    tag: str | None
    """The tag the rows are narrowed to (None: every note)."""
    rows: list[NoteRow]
    """Sorted by title, then path."""
    tag_counts: list[tuple[str, int]]
    """``(tag, notes)`` with parents counted for their children's notes, by name."""
    note_count: int
    invalid: list[tuple[str, str]]
    """``(path, error)`` of every note that could not be read."""


@dataclass(slots=True)
class LinkEntry:
    """One outgoing link of a note, as the side panel lists it."""

    target: str
    """The target as written (shown for a broken link)."""
    path: str | None = None
    """The note it resolves to; None when broken."""
    title: str = ""
    """That note's title (or path)."""


@dataclass(slots=True)
class CitedWork:
    """The work a footnote cites, as the whole vault knows it (`notebase.core.works`)."""

    key: str
    in_bibliography: bool = False
    others: tuple[tuple[str, str], ...] = ()
    """``(path, title)`` of the other notes citing the same work."""
    problems: tuple[str, ...] = ()
    """One line per conflict or misattribution of this footnote's citation, saying what the
    other notes or the bibliography write (`work_report.citation_problems`)."""


@dataclass(slots=True)
class FootnoteView:
    """A footnote definition, read as a citation where it can be."""

    label: str
    text: str
    references: int = 0
    """How often the note cites it."""
    authors: tuple[str, ...] = ()
    title: str | None = None
    venue: str | None = None
    year: int | None = None
    work: CitedWork | None = None
    """The work it cites; None when it reads as no citation (or works are not known yet)."""


@dataclass(slots=True)
class QuestionView:
    """One question of a note."""

    number: int
    text: str
    status: str
    """``open``, ``answered``, ``inconclusive`` (`notebase.core.note.Question.status`) or
    ``stale`` (its run's spec changed since)."""
    experiments: tuple[str, ...] = ()
    answered_by: str | None = None
    """Run id of the results block that answers it."""
    summary: str | None = None
    """That block's one-line answer (its findings or claims' verdicts)."""
    plain: str = ""
    """``text`` as a reader sees it, without the experiment links (listed apart)."""
    heading: str = ""
    """The questions heading it stands under."""


@dataclass(slots=True)
class ExperimentSummary:
    """An experiment a note names, with what the last run wrote (when it can be read)."""

    name: str
    spec_path: Path | None
    """The spec file; None when no spec of that name exists."""
    run_id: str | None = None
    """Run id of the note's results block for this experiment, if any."""
    results: list[dict] = field(default_factory=list)
    """The sweep results of that run's record (``experiments/runs/<run_id>.json``), or the
    numbers of the note's table when the record is not there."""
    status: str | None = None
    """The record's status (``ok``, ``failed``, ``interrupted``), if found."""
    linked: bool = True
    """True for the experiments ``notebase run`` would run for the note (frontmatter and
    questions); False for one only linked in the text."""


@dataclass(slots=True)
class NotePage:
    """Everything the main screen shows of one note: header, body, side panel, details."""

    path: str
    title: str
    tags: tuple[str, ...]
    valid: bool
    errors: tuple[str, ...]
    markdown: str
    """The body as the note view renders it (``notebase.tui.render.note_markdown``)."""
    links: tuple[LinkEntry, ...] = ()
    """Outgoing note links, each target once, in order (not experiments or attachments)."""
    backlinks: tuple[tuple[str, str], ...] = ()
    """``(path, title)`` of the notes that link here."""
    footnotes: tuple[FootnoteView, ...] = ()
    questions: tuple[QuestionView, ...] = ()
    experiments: tuple[ExperimentSummary, ...] = ()
    """Linked experiments first (those ``r`` runs), then ones only named in the text."""
    sidecars: tuple[str, ...] = ()
    """Vault paths of the note's results sidecars (``<stem>.results.md``: results a run
    could not write into the note); shown beside it, never as notes."""
    sidecar_of: tuple[str, str] | None = None
    """For the read-only page of a results sidecar: ``(path, title)`` of its note."""

    @property
    def linked_experiments(self) -> list[str]:
        """The experiments ``r`` runs for this note, in order."""
        return [summary.name for summary in self.experiments if summary.linked]


@dataclass(slots=True)
class VaultUpdate:
    """What one re-read of changed files did, for the screens to redraw only that."""

    listing: Listing
    changed: list[str]
    """Vault-relative paths of the notes re-read, added or removed."""
    page_path: str | None = None
    """The note that was open when the update was built."""
    page: NotePage | None = None
    """Its page now; None when it is gone."""
    broken: list[tuple[str, str]] = field(default_factory=list)
    """``(path, error)`` of the changed notes that could not be read."""


@dataclass(slots=True)
class SearchResult:
    """One search hit as the app shows it."""

    path: str
    title: str
    score: float = 0.0
    snippet: str = ""
    segments: tuple[tuple[str, bool], ...] = ()
    """The snippet as ``(text, is_match)`` pieces: the screen styles the matches."""


@dataclass(slots=True)
class SearchResults:
    """The answer to one query: the best hits and how many notes match in all."""

    results: list[SearchResult]
    total: int = 0
    """Every note that matches (more than ``results`` when the limit cut them)."""


@dataclass(slots=True, frozen=True)
class MentionRow:
    """A line of another note that names the open note without linking to it
    (`notebase.core.mentions`)."""

    path: str
    title: str
    """The mentioning note's title."""
    line: int
    """1-based line of its body."""
    name: str
    """The name found, as written."""
    context: str
    """The line around the mention."""
    heading: str | None = None
    """The nearest heading above it (the note opens there)."""


@dataclass(slots=True, frozen=True)
class SwitchTarget:
    """A note as the quick switcher matches it: path, title and aliases."""

    path: str
    title: str
    aliases: tuple[str, ...] = ()


@dataclass(slots=True)
class QuestionRow:
    """One question of the vault-wide questions view."""

    note_path: str
    note_title: str
    number: int
    text: str
    status: str
    """``open`` or ``answered``."""
    experiments: list[str] = field(default_factory=list)
    answered_by: str | None = None
    """Run id of the results block that answers it."""
    answered_experiment: str | None = None
    """The experiment of that results block, when the note names it."""
    summary: str | None = None
    """That block's one-line answer."""
    plain: str = ""
    """``text`` as a reader sees it (no ``**``, links as their text), without the
    experiment links: ``experiments`` lists them."""
    heading: str = ""
    """The questions heading it stands under (the note opens there)."""


def note_row(note: Note) -> NoteRow:
    return NoteRow(note.path, note.title or note.path, tuple(note.tags), note.valid)


def _links(note: Note, title_of: Callable[[str], str]) -> list[LinkEntry]:
    """The note's outgoing note links, each target once, in order (not experiments,
    embeds, attachments or links to itself)."""
    seen: set[str] = set()
    entries = []
    for link in note.links:
        if link.experiment or link.embed or link.is_attachment:
            continue
        if link.resolved:
            if link.resolved in seen or link.resolved == note.path:
                continue
            seen.add(link.resolved)
            entries.append(LinkEntry(link.target, link.resolved, title_of(link.resolved)))
        elif link.target and f"missing:{link.target}" not in seen:
            seen.add(f"missing:{link.target}")
            entries.append(LinkEntry(link.target))
    return entries


def _footnote(footnote: Footnote, works: Callable[[str], CitedWork | None] | None) -> FootnoteView:
    citation = footnote.citation
    return FootnoteView(
        label=footnote.label,
        text=footnote.text,
        references=footnote.references,
        authors=tuple(citation.authors),
        title=citation.title,
        venue=citation.venue,
        year=citation.year,
        work=works(footnote.label) if works is not None else None,
    )


def note_page(
    note: Note,
    markdown: str,
    title_of: Callable[[str], str],
    backlinks: Iterable[tuple[str, str]],
    experiments: Iterable[ExperimentSummary],
    works: Callable[[str], CitedWork | None] | None = None,
    stale_runs: Iterable[str | None] = (),
    sidecars: tuple[str, ...] = (),
) -> NotePage:
    """The page of ``note``: ``markdown`` its rendered body, ``title_of(path)`` the title of
    a linked note, ``backlinks`` ``(path, title)``, ``experiments`` their summaries,
    ``works(label)`` the work footnote ``label`` cites, ``stale_runs`` the runs whose spec
    changed since (their questions show as stale)."""
    return NotePage(
        path=note.path,
        title=note.title or note.path,
        tags=tuple(note.tags),
        valid=note.valid,
        errors=tuple(note.errors),
        markdown=markdown,
        links=tuple(_links(note, title_of)),
        backlinks=tuple(backlinks),
        footnotes=tuple(_footnote(footnote, works) for footnote in note.footnotes),
        questions=tuple(_question(question, set(stale_runs)) for question in note.questions),
        experiments=tuple(experiments),
        sidecars=tuple(sidecars),
    )


def sidecar_page(sidecar: Note, markdown: str, owner: str, owner_title: str) -> NotePage:
    """The read-only page of a results sidecar (parsed like a note to render it, but no
    note: no links, questions or experiments of its own), pointing at note ``owner``."""
    return NotePage(
        path=sidecar.path,
        title=sidecar.title or sidecar.path,
        tags=(),
        valid=sidecar.valid,
        errors=tuple(sidecar.errors),
        markdown=markdown,
        sidecar_of=(owner, owner_title),
    )


def _status(question: Question, stale_runs: set) -> str:
    """The parser's status, or ``stale`` when its run's spec changed since."""
    if question.status != "open" and question.answered_by in stale_runs:
        return "stale"
    return question.status


def _question(question: Question, stale_runs: set) -> QuestionView:
    from notebase.core.plain_text import plain_inline  # markdown-it: not at app start

    return QuestionView(
        number=question.number,
        text=question.text,
        status=_status(question, stale_runs),
        experiments=tuple(question.experiments),
        answered_by=question.answered_by,
        summary=question.summary,
        plain=plain_inline(question.text, experiments=False),
        heading=question.heading,
    )


def question_row(note: Note, question: Question, stale_runs: set = frozenset()) -> QuestionRow:
    """A question of the vault-wide view, with the experiment whose results answer it."""
    from notebase.core.plain_text import plain_inline

    answered_experiment = None
    if question.answered_by:
        for block in note.results_blocks:
            if block.run_id == question.answered_by:
                answered_experiment = block.experiment
                break
    if answered_experiment is None and question.status == "answered":
        for block in note.results_blocks:
            if question.number in block.answers:
                answered_experiment = block.experiment
                break
    return QuestionRow(
        note_path=note.path,
        note_title=note.title or note.path,
        number=question.number,
        text=question.text,
        status=_status(question, stale_runs),
        experiments=list(question.experiments),
        answered_by=question.answered_by,
        answered_experiment=answered_experiment,
        summary=question.summary,
        plain=plain_inline(question.text, experiments=False),
        heading=question.heading,
    )
