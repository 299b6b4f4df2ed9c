"""The open note: a header line (title, tags, path) over the note's rendered Markdown.

It shows a ``NotePage`` the session built on a worker; showing one reads no file and
renders only the body (``NoteBody``). ``rendered_path`` and ``rendered_at`` say which note
the screen last painted, and when (tests and ``bench/app_navigation_bench.py`` wait on it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from notebase.core.markdown_blocks import heading_key
from notebase.tui.views import NotePage
from notebase.tui.widgets.note_body import NoteBody, Rendered


def heading_words(text: str) -> tuple[str, ...]:
    """What a heading link must match (`markdown_blocks.heading_key`); of ``a#b`` (heading b
    under a), the last heading's."""
    return heading_key(text.rpartition("#")[2] or text)


def heading_line(body: NoteBody, heading: str) -> int | None:
    """The rendered line of ``body``'s first heading whose words match ``heading``'s
    (`heading_words`); None when none does."""
    wanted = heading_words(heading)
    return next((line for line, text in body.heading_lines() if heading_words(text) == wanted), None)


class NoteView(Vertical):
    """Shows one note; link clicks bubble up as ``NoteBody.LinkClicked``."""

    block_opening: Callable[[str, str], str | None] = staticmethod(lambda path, block_id: None)
    """``(note path, block id)`` -> the plain first line of that block (the session's)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.note_path: str | None = None
        self.rendered_path: str | None = None
        """The note on screen once the frame that shows it was painted."""
        self.rendered_at = 0.0
        """``time.perf_counter()`` when that frame was painted."""
        self._header: Text | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="note-header")
        yield NoteBody(id="note-body")

    @property
    def body(self) -> NoteBody:
        return self.query_one("#note-body", NoteBody)

    def show_message(self, text: str) -> None:
        self.note_path = None
        self._header = None
        self.query_one("#note-header", Static).update(Text(text, style="dim"))
        self.body.update("")

    def show(
        self,
        page: NotePage,
        heading: str | None = None,
        keep_scroll: bool = False,
        rendered: Rendered | None = None,
    ) -> None:
        """Show ``page`` (its body ``rendered`` already, when given); scroll to ``heading``
        when given, keep the position on a reload of the same note (then an unchanged
        header or body is not drawn again)."""
        same_note = self.note_path == page.path
        self.note_path = page.path
        header = Text(page.title, style="bold")
        if page.tags:
            header.append("  " + " ".join(f"#{tag}" for tag in page.tags), style="cyan")
        header.append(f"\n{page.path}", style="dim")
        if header != self._header:
            self._header = header
            self.query_one("#note-header", Static).update(header)
        body = self.body
        if rendered is not None or not same_note or body.source != page.markdown:
            body.update(page.markdown, rendered, keep_scroll=same_note and keep_scroll)
        if heading:
            self.goto_heading(heading)
        self.call_after_refresh(self._painted, page.path)

    def _goto_block(self, block_id: str) -> bool:
        opening = self.block_opening(self.note_path, block_id) if self.note_path else None
        words = " ".join((opening or "").split()[:3])  # plain text: no list marker left
        line = self.body.find_line(words) if words else None
        if line is None:
            return False
        self.body.scroll_to_line(line)
        return True

    def _painted(self, path: str) -> None:
        if path == self.note_path:
            self.rendered_path = path
            self.rendered_at = time.perf_counter()

    def goto_heading(self, heading: str) -> bool:
        """Scroll the shown note to ``heading`` (its text, as a ``[[note#heading]]`` names it),
        or to block ``^id`` (the line its block's first words are drawn on, asked of
        ``block_opening``).

        The first heading whose words match (case and punctuation aside) wins; False if none.
        """
        if heading.startswith("^"):
            return self._goto_block(heading[1:])
        line = heading_line(self.body, heading)
        if line is None:
            return False
        self.body.scroll_to_line(line)
        return True
