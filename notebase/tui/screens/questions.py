"""The vault's questions, grouped by note: open ones, and answered ones with their run.

Enter opens the question's note scrolled to the question (the screen dismisses with
``(path, number)``; the main screen finds the line with `question_line`); ``f`` shows only
open questions or all of them. A question is shown as plain text (the session's, no ``**``
or ``[[`` ``]]``) and wrapped to the list's width, so its experiments and answer, at its end,
are always on screen. The questions are gathered on a worker (``QuestionsLoaded``): they
walk every note.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from notebase.tui.session import VaultSession
from notebase.tui.views import NotePage, QuestionRow
from notebase.tui.widgets.key_footer import KeyFooter
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_view import heading_line
from notebase.tui.widgets.row_list import Row, RowList

LEAD_CHARS = 16
"""How much of a question's start is looked for in the rendered note (kept short: one
rendered line must hold it)."""


def question_key(question: QuestionRow) -> str:
    return f"{question.note_path}#q{question.number}"


def _question_text(question: QuestionRow) -> tuple[Text, int]:
    """The question's line before wrapping, and the width of its mark and number."""
    if question.status == "answered":
        mark, style = "  ● ", "green"
    else:  # open, inconclusive (◐) or stale (◌: its spec changed since the run)
        mark = {"inconclusive": "  ◐ ", "stale": "  ◌ "}.get(question.status, "  ○ ")
        style = "yellow"
    prefix = f"{question.number}. "
    text = Text.assemble((mark, style), prefix, question.plain or question.text)
    if question.status == "answered":
        by = question.answered_experiment or "results"
        text.append(f"  ✓ {by}", style="green")
        if question.answered_by:
            text.append(f" run {question.answered_by}", style="dim")
    else:
        if question.status != "open":
            text.append(f"  {question.status}", style="yellow")
        if question.experiments:
            text.append("  ⚗ " + ", ".join(question.experiments), style="magenta")
    return text, len(mark) + len(prefix)


def question_rows(
    questions: list[QuestionRow], open_only: bool, width: int = 0, console: Console | None = None
) -> list[Row]:
    """The list's rows; with ``width`` (and a ``console`` to measure with) a long question
    goes on over more rows, indented, instead of being cut."""
    rows: list[Row] = []
    current_note = None
    for question in questions:
        if open_only and question.status == "answered":
            continue
        if question.note_path != current_note:
            current_note = question.note_path
            rows.append(
                Row(
                    None,
                    Text.assemble(question.note_title, ("  " + question.note_path, "dim")),
                    heading=True,
                )
            )
        text, indent = _question_text(question)
        key = question_key(question)
        if width > indent + 10 and console is not None and text.cell_len > width:
            head, body = text[:indent], text[indent:]
            for index, line in enumerate(body.wrap(console, width - indent)):
                line.rstrip()
                lead = head if index == 0 else Text(" " * indent)
                rows.append(Row(key if index == 0 else None, Text.assemble(lead, line)))
        else:
            rows.append(Row(key, text))
        if question.summary:  # the run's one-line answer
            rows.append(Row(None, Text(f"      → {question.summary}", style="dim")))
    return rows


def _lead(plain: str) -> str:
    """The first words of a question, about ``LEAD_CHARS`` characters."""
    lead = ""
    for word in plain.split():
        if lead and len(lead) + 1 + len(word) > LEAD_CHARS:
            break
        lead = f"{lead} {word}" if lead else word
    return lead[: 2 * LEAD_CHARS]


def question_line(body: NoteBody, page: NotePage, number: int) -> int | None:
    """The rendered line of ``body`` (showing ``page``) where question ``number`` begins:
    below its questions heading, each question of that section up to it found in turn by
    its first words. None when the question is not in the page."""
    target = next((q for q in page.questions if q.number == number), None)
    if target is None:
        return None
    line = (heading_line(body, target.heading) or 0) if target.heading else 0
    for question in page.questions:
        if question.heading != target.heading or question.number > number:
            continue
        lead = _lead(question.plain or question.text)
        found = body.find_line(lead, line + 1) if lead else None
        if found is not None:
            line = found
    return line


class QuestionsLoaded(Message):
    """Every question of the vault, gathered by a worker."""

    def __init__(self, questions: list[QuestionRow]) -> None:
        super().__init__()
        self.questions = questions


class QuestionsScreen(Screen[tuple[str, int] | None]):
    """All questions of the vault; dismisses with ``(note path, question number)`` (Enter)
    or None (Escape)."""

    BINDINGS = [
        Binding("escape", "close", "Back", id="questions.back"),
        Binding("backspace", "close", "Back", show=False, id="questions.backspace"),
        Binding("f", "toggle_open", "Open only / all", id="questions.filter"),
    ]

    def __init__(self, session: VaultSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.open_only = False
        self.questions: list[QuestionRow] = []
        self.loaded = False
        """True once the questions arrived (tests wait on it)."""
        self._width = 0
        """The list width the rows were wrapped to."""

    def compose(self) -> ComposeResult:
        yield Static("", id="questions-title")
        yield RowList(empty_text="no questions in this vault", id="questions-list")
        yield Static("", id="questions-detail")
        yield KeyFooter()  # ? Help and q Quit in view at any width

    def on_mount(self) -> None:
        row_list = self.query_one("#questions-list", RowList)
        row_list.empty_text = "gathering the questions…"
        row_list.focus()
        self.run_worker(self._gather, thread=True, group="questions", exit_on_error=False)

    def _gather(self) -> None:
        self.post_message(QuestionsLoaded(self.session.questions()))

    def on_questions_loaded(self, message: QuestionsLoaded) -> None:
        self.questions = message.questions
        self.query_one("#questions-list", RowList).empty_text = "no questions in this vault"
        self.refresh_rows()
        self.loaded = True

    def refresh_rows(self) -> None:
        open_count = sum(q.status != "answered" for q in self.questions)
        answered = len(self.questions) - open_count
        notes = len({q.note_path for q in self.questions})
        shown = "open only" if self.open_only else "open and answered"
        self.query_one("#questions-title", Static).update(
            Text.assemble(
                ("Questions  ", "bold"),
                f"{open_count} open · {answered} answered · {notes} notes   ",
                (f"showing {shown} (f toggles) · Enter opens the note", "dim"),
            )
        )
        row_list = self.query_one("#questions-list", RowList)
        width = row_list.scrollable_content_region.width
        rows = question_rows(self.questions, self.open_only, width, self.app.console)
        row_list.set_rows(rows)
        self._width = width
        self.show_detail(row_list.highlighted_key)

    def on_resize(self) -> None:
        row_list = self.query_one("#questions-list", RowList)
        if self.loaded and row_list.scrollable_content_region.width != self._width:
            self.refresh_rows()  # wrapped again to the new width

    def show_detail(self, key: str | None) -> None:
        detail = self.query_one("#questions-detail", Static)
        for question in self.questions:
            if key == question_key(question):
                text = Text.assemble(
                    (f"{question.note_title} · Q{question.number}: ", "bold"),
                    question.plain or question.text,
                )
                if question.status == "answered":
                    text.append(
                        f"\nanswered by {question.answered_experiment or 'a results block'}"
                        + (f", run {question.answered_by}" if question.answered_by else ""),
                        style="green",
                    )
                elif question.experiments:
                    text.append(
                        "\nexperiments: " + ", ".join(question.experiments), style="magenta"
                    )
                detail.update(text)
                return
        detail.update("")

    def on_row_list_highlighted(self, event: RowList.Highlighted) -> None:
        self.show_detail(event.key)

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        event.stop()
        path, _, number = event.key.rpartition("#q")
        self.dismiss((path, int(number)))

    def action_toggle_open(self) -> None:
        self.open_only = not self.open_only
        self.refresh_rows()

    def action_close(self) -> None:
        self.dismiss(None)
