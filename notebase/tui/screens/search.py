"""The search screen: type a query (words, ``"phrases"``, ``tag:x``, ``-term``), pick a hit.

Results follow the typing after a short pause (the pause keeps the list from flickering);
the index answers on a worker (``SearchDone``). Enter in the box or on a hit opens it; the
screen dismisses with the note's path. While the index is still opening the screen says
so and searches again once it is ready (the app calls ``index_ready``).

The status line counts every note that matches (``73 hits, showing 50``, ``1 hit``,
``no hits for “x”``), not only those listed. Snippets come from the session as plain-text
pieces ``(text, is_match)``; the screen only styles the matches.
"""

from __future__ import annotations

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
from notebase.tui.views import SearchResult, SearchResults
from notebase.tui.widgets.row_list import Row, RowList

DEBOUNCE_SECONDS = 0.15
LIMIT = 50
"""Hits listed; the status line says how many notes match in all."""
EMPTY_QUERY_TEXT = "type to search"


def snippet_text(segments: tuple[tuple[str, bool], ...]) -> Text:
    """A hit's snippet (``(text, is_match)`` pieces, plain text) as dim text, matches bold."""
    text = Text(style="dim")
    for piece, is_match in segments:
        text.append(piece, style="bold yellow" if is_match else None)
    return text


def hit_rows(results: list[SearchResult]) -> list[Row]:
    rows = []
    for result in results:
        rows.append(Row(result.path, Text.assemble(result.title, ("  " + result.path, "dim"))))
        if result.segments:
            line = Text("    ")
            line.append_text(snippet_text(result.segments))
            rows.append(Row(None, line))
    return rows


def count_text(query: str, answer: SearchResults) -> str:
    """``73 hits, showing 50``, ``1 hit``, ``no hits for "x"``; nothing for no query."""
    if not query.strip():
        return ""
    shown, total = len(answer.results), max(answer.total, len(answer.results))
    if total == 0:
        return f"no hits for “{query.strip()}”"
    counted = "1 hit" if total == 1 else f"{total:,} hits"
    return counted if shown >= total else f"{counted}, showing {shown}"


class SearchDone(Message):
    """The answer to ``query``: hits, or why there are none (``error``, ``unavailable``)."""

    def __init__(
        self, query: str, answer: SearchResults, error: str = "", unavailable: str = ""
    ) -> None:
        super().__init__()
        self.query = query
        self.answer = answer
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
        self.total = 0
        """How many notes the shown query matches in all."""
        self.status_text = ""
        """The status line: ``73 hits, showing 50``, ``1 hit``, ``no hits for …``."""
        self.searched_query: str | None = None
        """The query the shown results answer (tests wait on it)."""
        self._open_first = False
        """Enter came before the results: open the first hit when they arrive."""

    def compose(self) -> ComposeResult:
        with Vertical(id="search-box", classes="modal-box"):
            yield Static('Search  (words · "phrase" · tag:x · -word)', classes="modal-title")
            yield Input(placeholder="메타러닝, tag:ml/meta, ...", id="search-input")
            yield Static("", id="search-status")
            yield RowList(empty_text=EMPTY_QUERY_TEXT, id="search-hits")

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
            done = SearchDone(query, self.session.search_page(query, limit=LIMIT))
        except UserError as exc:  # a malformed query is the user's: say so, keep the screen
            done = SearchDone(query, SearchResults([]), error=str(exc))
        except SearchUnavailable as exc:
            done = SearchDone(query, SearchResults([]), unavailable=str(exc))
        self.post_message(done)

    def on_search_done(self, message: SearchDone) -> None:
        if message.query != self.query_one("#search-input", Input).value:
            return  # the query changed since; its own search is on its way
        status = self.query_one("#search-status", Static)
        hits = self.query_one("#search-hits", RowList)
        if message.error:
            line, style = f"query error: {message.error}", "red"
        elif message.unavailable:
            line, style = message.unavailable, "yellow"
        else:
            line, style = count_text(message.query, message.answer), "dim"
        self.status_text = line
        status.update(Text(line, style=style))
        # An empty list says why: nothing typed yet, or the status line's answer.
        hits.empty_text = EMPTY_QUERY_TEXT if not message.query.strip() else ""
        self.results = message.answer.results
        self.total = message.answer.total
        hits.set_rows(hit_rows(self.results))
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
