"""The outline of the open note (h): its headings, indented by level; Enter jumps to one.

The headings are the ones the note body drew (``NoteBody.outline``: rendered line, level,
text), so a jump lands on the very line, even when two headings share a text. The screen
dismisses with that line (None when closed); the main screen scrolls the body there.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from notebase.tui.widgets.row_list import Row, RowList


def outline_rows(headings: list[tuple[int, int, str]]) -> list[Row]:
    """One row per heading, keyed by its rendered line, indented two spaces a level."""
    top = min((level for _line, level, _text in headings), default=1)
    rows = []
    for line, level, text in headings:
        marker = "#" * level
        rows.append(
            Row(
                str(line),
                Text.assemble("  " * (level - top), (marker + " ", "dim"), text or "(untitled)"),
            )
        )
    return rows


class OutlineScreen(ModalScreen[int | None]):
    """The headings of one note as a keyboard list."""

    DEFAULT_CSS = """
    #outline-box { height: 70%; }
    #outline-list { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="outline.close"),
        Binding("h", "cancel", "Close", show=False, id="outline.toggle"),
    ]

    def __init__(
        self, title: str, headings: list[tuple[int, int, str]], current_line: int = 0, **kwargs
    ) -> None:
        """``headings``: ``(rendered line, level, text)``; the cursor starts on the last one
        at or above ``current_line`` (the top of the body's view)."""
        super().__init__(**kwargs)
        self.note_title = title
        self.headings = headings
        self.current_line = current_line

    def compose(self) -> ComposeResult:
        with Vertical(id="outline-box", classes="modal-box"):
            yield Static(f"Outline · {self.note_title}", classes="modal-title", markup=False)
            yield RowList(empty_text="this note has no headings", id="outline-list")
            yield Static("Enter jumps · j/k move · Escape closes", classes="modal-hint")

    def on_mount(self) -> None:
        rows = self.query_one("#outline-list", RowList)
        here = None
        for line, _level, _text in self.headings:
            if line <= self.current_line:
                here = str(line)
        rows.set_rows(outline_rows(self.headings), keep_key=here)
        rows.focus()

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        event.stop()
        self.dismiss(int(event.key))

    def action_cancel(self) -> None:
        self.dismiss(None)
