"""The search screen: type a query (words, ``"phrases"``, ``tag:x``, ``-term``), pick a hit.

Results follow the typing after a short pause (the pause keeps the list from flickering);
the index answers on a worker (``SearchDone``). Enter in the box or on a hit opens it; the
screen dismisses with the note's path. While the index is still opening the screen says
so and searches again once it is ready (the app calls ``index_ready``).
"""

from __future__ import annotations

import re
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Static

from notebase.tui.session import SearchUnavailable, VaultSession
from notebase.tui.views import SearchResult
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


class SearchDone(Message):
    """The answer to ``query``: hits, or why there are none (``error``, ``unavailable``)."""

    def __init__(
        self, query: str, results: list[SearchResult], error: str = "", unavailable: str = ""
    ) -> None:
        super().__init__()
        self.query = query
        self.results = results
        self.error = error
        """The query could not be read (the user's to fix)."""
        self.unavailable = unavailable
        """The index cannot answer (loading, or broken)."""


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
        self._open_first = False
        """Enter came before the results: open the first hit when they arrive."""

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
        """Ask the index on a worker; ``SearchDone`` brings the answer."""
        query = self.query_one("#search-input", Input).value
        self.run_worker(
            partial(self._search, query), thread=True, group="search", exit_on_error=False
        )

    def _search(self, query: str) -> None:
        from notebase.errors import UserError

        try:
            done = SearchDone(query, self.session.search(query, limit=50))
        except UserError as exc:  # a malformed query is the user's: say so, keep the screen
            done = SearchDone(query, [], error=str(exc))
        except SearchUnavailable as exc:
            done = SearchDone(query, [], unavailable=str(exc))
        self.post_message(done)

    def on_search_done(self, message: SearchDone) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # the query changed since; its own search is on its way
        status = self.query_one("#search-status", Static)
        if message.error:
            status.update(Text(f"query error: {message.error}", style="red"))
        elif message.unavailable:
            status.update(Text(message.unavailable, style="yellow"))
        elif not message.query.strip():
            status.update("")
        else:
            status.update(Text(f"{len(message.results)} hits", style="dim"))
        self.results = message.results
        self.query_one("#search-hits", RowList).set_rows(hit_rows(self.results))
        self.searched_query = message.query
        if self._open_first:
            self._open_first = False
            self._open_highlighted()

    def index_ready(self) -> None:
        """The index opened: answer the query typed while it was loading."""
        if self.query_one("#search-input", Input).value.strip():
            self.run_search()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        if self.searched_query != event.value:
            self._open_first = True
            self.run_search()
        else:
            self._open_highlighted()

    def _open_highlighted(self) -> None:
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
