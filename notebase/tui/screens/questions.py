"""The vault's questions, grouped by note: open ones, and answered ones with their run.

Enter jumps to the question's note (the screen dismisses with its path); ``f`` shows only
open questions or all of them. The questions are gathered on a worker (``QuestionsLoaded``):
they walk every note.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from notebase.tui.render import plain_inline
from notebase.tui.session import VaultSession
from notebase.tui.views import QuestionRow
from notebase.tui.widgets.key_footer import KeyFooter
from notebase.tui.widgets.row_list import Row, RowList


def question_rows(questions: list[QuestionRow], open_only: bool) -> list[Row]:
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
        key = f"{question.note_path}#q{question.number}"
        if question.status == "answered":
            text = Text.assemble(
                ("  ● ", "green"), f"{question.number}. {plain_inline(question.text)}"
            )
            by = question.answered_experiment or "results"
            text.append(f"  ✓ {by}", style="green")
            if question.answered_by:
                text.append(f" run {question.answered_by}", style="dim")
        else:  # open, inconclusive (◐) or stale (◌: its spec changed since the run)
            mark = {"inconclusive": "  ◐ ", "stale": "  ◌ "}.get(question.status, "  ○ ")
            text = Text.assemble(
                (mark, "yellow"), f"{question.number}. {plain_inline(question.text)}"
            )
            if question.status != "open":
                text.append(f"  {question.status}", style="yellow")
            if question.experiments:
                text.append("  ⚗ " + ", ".join(question.experiments), style="magenta")
        rows.append(Row(key, text))
        if question.summary:  # the run's one-line answer
            rows.append(Row(None, Text(f"      → {question.summary}", style="dim")))
    return rows


class QuestionsLoaded(Message):
    """Every question of the vault, gathered by a worker."""

    def __init__(self, questions: list[QuestionRow]) -> None:
        super().__init__()
        self.questions = questions


class QuestionsScreen(Screen[str | None]):
    """All questions of the vault; dismisses with a note path (Enter) or None (Escape)."""

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
        row_list.set_rows(question_rows(self.questions, self.open_only))
        self.show_detail(row_list.highlighted_key)

    def show_detail(self, key: str | None) -> None:
        detail = self.query_one("#questions-detail", Static)
        for question in self.questions:
            if key == f"{question.note_path}#q{question.number}":
                text = Text.assemble(
                    (f"{question.note_title} · Q{question.number}: ", "bold"), question.text
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
        self.dismiss(event.key.rsplit("#q", 1)[0])

    def action_toggle_open(self) -> None:
        self.open_only = not self.open_only
        self.refresh_rows()

    def action_close(self) -> None:
        self.dismiss(None)
