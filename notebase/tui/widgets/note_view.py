"""The open note: a header line (title, tags, path) over the note rendered as Markdown."""

from __future__ import annotations

import re
import unicodedata

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, Static

from notebase.core.note import Note
from notebase.tui.render import note_markdown


def heading_words(text: str) -> tuple[str, ...]:
    """What a heading link must match: its words, NFC and case-folded (links drop ``:``, ``#``...)."""
    return tuple(re.findall(r"\w+", unicodedata.normalize("NFC", text).casefold()))


class NoteView(Vertical):
    """Shows one note; link clicks bubble up as ``Markdown.LinkClicked``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.note_path: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="note-header")
        with VerticalScroll(id="note-scroll"):
            yield Markdown("", id="note-markdown", open_links=False)

    @property
    def markdown(self) -> Markdown:
        return self.query_one("#note-markdown", Markdown)

    def show_message(self, text: str) -> None:
        self.note_path = None
        self.query_one("#note-header", Static).update(Text(text, style="dim"))
        self.markdown.update("")

    async def show(self, note: Note, heading: str | None = None, keep_scroll: bool = False) -> None:
        """Render ``note``; scroll to ``heading`` when given, keep the position on a reload."""
        scroll = self.query_one("#note-scroll", VerticalScroll)
        same_note = keep_scroll and self.note_path == note.path
        position = scroll.scroll_y if same_note else 0
        self.note_path = note.path
        header = Text(note.title or note.path, style="bold")
        if note.tags:
            header.append("  " + " ".join(f"#{tag}" for tag in note.tags), style="cyan")
        header.append(f"\n{note.path}", style="dim")
        self.query_one("#note-header", Static).update(header)
        await self.markdown.update(note_markdown(note))
        if heading:
            self.call_after_refresh(self.goto_heading, heading)
        else:
            self.call_after_refresh(scroll.scroll_to, y=position, animate=False)

    def goto_heading(self, heading: str) -> bool:
        """Scroll the shown note to ``heading`` (its text, as a ``[[note#heading]]`` names it).

        The first heading whose words match (case and punctuation aside) wins; False if none.
        """
        wanted = heading_words(heading)
        for _level, title, block_id in self.markdown.table_of_contents:
            if block_id and heading_words(title) == wanted:
                self.markdown.query_one(f"#{block_id}").scroll_visible(top=True)
                return True
        return False
