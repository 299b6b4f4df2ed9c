"""The search screen: type a query (words, ``"phrases"``, ``tag:x``, ``-term``), pick a hit.

Results follow the typing after a short pause (the index answers in a few ms; the pause
keeps the list from flickering). Enter in the box or on a hit opens it; the screen
dismisses with the note's path.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Static

from notebase.tui.session import SearchResult, VaultSession
from notebase.tui.widgets.row_list import Row, RowList

DEBOUNCE_SECONDS = 0.15
MATCH = re.compile(r"«(.*?)»")


def snippet_text(snippet: str) -> Text:
    """The index's snippet (matched words wrapped in ``«`` ``»``) as dim text, matches bold."""
    snippet = " ".join(snippet.split())
    text = Text(style="dim")
    pos = 0
    for match in MATCH.finditer(snippet):
        text.append(snippet[pos : match.start()])
        text.append(match.group(1), style="bold yellow")
        pos = match.end()
    text.append(snippet[pos:])
    return text


def hit_rows(results: list[SearchResult]) -> list[Row]:
    rows = []
    for result in results:
        rows.append(Row(result.path, Text.assemble(result.title, ("  " + result.path, "dim"))))
        if result.snippet:
            line = Text("    ")
            line.append_text(snippet_text(result.snippet))
            rows.append(Row(None, line))
    return rows


class SearchScreen(ModalScreen[str | None]):
    """Query box over a list of hits."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="search.close"),
        Binding("down", "focus_hits", "Hits", show=False, id="search.hits"),
    ]

    def __init__(self, session: VaultSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self._timer: Timer | None = None
        self.results: list[SearchResult] = []
        self.searched_query: str | None = None
        """The query the shown results answer (tests wait on it)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box", classes="modal-box"):
            yield Static('Search  (words · "phrase" · tag:x · -word)', classes="modal-title")
            yield Input(placeholder="메타러닝, tag:ml/meta, ...", id="search-input")
            yield Static("", id="search-status")
            yield RowList(empty_text="type to search", id="search-hits")

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.run_search)

    def run_search(self) -> None:
        query = self.query_one("#search-input", Input).value
        status = self.query_one("#search-status", Static)
        try:
            self.results = self.session.search(query, limit=50)
        except Exception as exc:  # a malformed query is the user's: say so, keep the screen
            self.results = []
            status.update(Text(f"query error: {exc}", style="red"))
        else:
            if not query.strip():
                status.update("")
            else:
                note = "" if self.session.index is not None else "  (plain scan: index not ready)"
                status.update(Text(f"{len(self.results)} hits{note}", style="dim"))
        self.query_one("#search-hits", RowList).set_rows(hit_rows(self.results))
        self.searched_query = query

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        if self.searched_query != event.value:
            self.run_search()
        key = self.query_one("#search-hits", RowList).highlighted_key
        if key is not None:
            self.dismiss(key)

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        event.stop()
        self.dismiss(event.key)

    def action_focus_hits(self) -> None:
        self.query_one("#search-hits", RowList).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
