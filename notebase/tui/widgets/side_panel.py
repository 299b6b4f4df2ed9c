"""The side panel of the open note: links, backlinks, citations, questions, experiments.

Every entry is a row of a keyboard list: Enter follows a link, shows a citation's full
definition, a question's text or an experiment's last results. Row keys say what to do:
``note:PATH``, ``missing:TARGET``, ``fn:LABEL``, ``q:NUMBER``, ``exp:NAME``. Under a
citation: the work it cites (`views.CitedWork`), its problems marked ⚠, and the other notes
citing it (``note:PATH``). Last, the unlinked mentions (`views.MentionRow`, keys
``mention:LINE:PATH``), which arrive after the rest (``show_mentions``). First, when the
note has results sidecars (results a run could not write into it), a row for each
(``note:PATH``: Enter shows it read-only); on a sidecar's own page, the note it belongs to.
"""

from __future__ import annotations

from rich.text import Text

from notebase.tui.result_text import result_line
from notebase.tui.views import ExperimentSummary, FootnoteView, MentionRow, NotePage
from notebase.tui.widgets.row_list import Row, RowList


def short_citation(footnote: FootnoteView) -> str:
    """``Finn 2017 · Model-agnostic meta-learning…`` or the definition's first line."""
    parts = []
    if footnote.authors:
        first = footnote.authors[0].split(",")[0].strip()
        parts.append(first + (" et al." if len(footnote.authors) > 1 else ""))
    if footnote.year:
        parts.append(str(footnote.year))
    head = " ".join(parts)
    if footnote.title:
        return f"{head} · {footnote.title}" if head else footnote.title
    first_line = footnote.text.strip().split("\n", 1)[0]
    return first_line or "(empty)"


def citation_rows(fn: FootnoteView) -> list[Row]:
    """A footnote, then the work it cites across the vault: its key, a ⚠ line for each
    conflict or misattribution (what the other notes or the bibliography write), and a row
    per other note citing it (Enter opens it)."""
    work = fn.work
    text = Text.assemble((f"[{fn.label}] ", "cyan"), short_citation(fn))
    if work is not None and work.problems:
        text.append(" ⚠", style="bold red")
    rows = [Row(f"fn:{fn.label}", text)]
    if work is None:
        return rows
    where = " · in the bibliography" if work.in_bibliography else ""
    rows.append(Row(None, Text(f"    {work.key}{where}", style="dim")))
    for problem in work.problems:
        rows.append(Row(None, Text.assemble(("    ⚠ ", "bold red"), (problem, "red"))))
    for path, title in work.others:
        rows.append(Row(f"note:{path}", Text.assemble(("    ↳ ", "green"), title)))
    return rows


def experiment_rows(summary: ExperimentSummary) -> list[Row]:
    text = Text.assemble(("⚗ ", "magenta"), summary.name)
    if summary.spec_path is None:
        text.append("  no spec", style="red")
    elif summary.run_id:
        text.append(f"  run {summary.run_id}", style="dim")
    else:
        text.append("  not run yet", style="dim")
    rows = [Row(f"exp:{summary.name}", text)]
    for result in summary.results[:12]:
        rows.append(Row(None, Text("  " + result_line(result), style="dim")))
    return rows


def sidecar_rows(page: NotePage) -> list[Row]:
    """``results sidecar: NAME`` for each sidecar of the note (Enter opens it, read-only);
    on a sidecar's page, what it is and the note it belongs to."""
    if page.sidecar_of is not None:
        path, title = page.sidecar_of
        return [
            Row(None, Text("Results sidecar (read only)"), heading=True),
            Row(f"note:{path}", Text.assemble(("← ", "yellow"), "results of ", (title, "bold"))),
        ]
    rows = []
    for path in page.sidecars:
        name = path.rsplit("/", 1)[-1]
        rows.append(
            Row(f"note:{path}", Text.assemble(("⚠ ", "yellow"), "results sidecar: ", name))
        )
    if rows:
        rows.insert(0, Row(None, Text(f"Results sidecars ({len(rows)})"), heading=True))
    return rows


def mention_key(mention: MentionRow) -> str:
    return f"mention:{mention.line}:{mention.path}"


def mention_rows(mentions: list[MentionRow]) -> list[Row]:
    """A row per mention (the note's title and line; Enter opens it there), its line's
    text under it."""
    rows = []
    for mention in mentions:
        text = Text.assemble(("≈ ", "cyan"), mention.title, (f" :{mention.line}", "dim"))
        rows.append(Row(mention_key(mention), text))
        rows.append(Row(None, Text("    " + mention.context, style="dim")))
    return rows


class SidePanel(RowList):
    """What the open note links to and what links to it, as a keyboard list."""

    def __init__(self, **kwargs) -> None:
        super().__init__(empty_text="no note open", **kwargs)
        self.page: NotePage | None = None
        self.mentions: list[MentionRow] | None = None
        """The unlinked mentions of ``page`` (None until they arrive)."""
        self.mentions_complete = True
        """False when there are more than ``mentions`` (the session stopped reading)."""
        self._mentions_by_key: dict[str, MentionRow] = {}

    def show_mentions(self, path: str, mentions: list[MentionRow], complete: bool = True) -> None:
        """The unlinked mentions of note ``path`` arrived: show them if it is still shown."""
        if self.page is not None and self.page.path == path and mentions is not self.mentions:
            self.mentions, self.mentions_complete = mentions, complete
            self._mentions_by_key = {mention_key(m): m for m in mentions}
            self.show(self.page)

    def mention_of(self, key: str) -> MentionRow | None:
        """The mention a row key names (None for any other row)."""
        return self._mentions_by_key.get(key)

    def show(self, page: NotePage) -> None:
        if self.page is None or self.page.path != page.path:
            self.mentions, self._mentions_by_key = None, {}
        self.page = page
        rows: list[Row] = []

        def section(title: str, entries: list[Row], count: int | None = None) -> None:
            count = len(entries) if count is None else count
            rows.append(Row(None, Text(f"{title} ({count})"), heading=True))
            rows.extend(entries or [Row(None, Text("  –", style="dim"))])

        rows.extend(sidecar_rows(page))

        links = [
            Row(f"note:{link.path}", Text.assemble(("→ ", "green"), link.title))
            if link.path
            else Row(f"missing:{link.target}", Text.assemble(("✗ ", "red"), (link.target, "red")))
            for link in page.links
        ]
        section("Links", links)

        backlinks = [
            Row(f"note:{path}", Text.assemble(("← ", "yellow"), title))
            for path, title in page.backlinks
        ]
        section("Backlinks", backlinks)

        citations = []
        for fn in page.footnotes:
            citations.extend(citation_rows(fn))
        section("Citations", citations, len(page.footnotes))

        marks = {"answered": "● ", "inconclusive": "◐ ", "stale": "◌ "}  # open: ○
        questions = []
        for question in page.questions:
            questions.append(
                Row(
                    f"q:{question.number}",
                    Text.assemble(
                        (marks.get(question.status, "○ "), "yellow"),
                        f"{question.number}. {question.plain or question.text}",
                    ),
                )
            )
            if question.summary:  # the run's one-line answer, under its question
                questions.append(Row(None, Text(f"   → {question.summary}", style="dim")))
        open_count = sum(q.status != "answered" for q in page.questions)
        rows.append(
            Row(None, Text(f"Questions ({open_count} open / {len(page.questions)})"), heading=True)
        )
        rows.extend(questions or [Row(None, Text("  –", style="dim"))])

        experiments: list[Row] = []
        summaries = [summary for summary in page.experiments if summary.linked]
        for summary in summaries:
            experiments.extend(experiment_rows(summary))
        section("Experiments", experiments, len(summaries))

        if self.mentions is None:
            rows.append(Row(None, Text("Unlinked mentions (…)"), heading=True))
        else:
            more = "" if self.mentions_complete else "+"
            rows.append(
                Row(None, Text(f"Unlinked mentions ({len(self.mentions)}{more})"), heading=True)
            )
            rows.extend(mention_rows(self.mentions) or [Row(None, Text("  –", style="dim"))])
        self.set_rows(rows)

    def clear_note(self) -> None:
        self.page, self.mentions, self._mentions_by_key = None, None, {}
        self.set_rows([])
