"""The main screen: note list and tag tree, the open note, its side panel, the run panel.

Navigation keeps a history: following a link, a search hit or a question pushes the note
you were on; Escape, backspace, ``[`` or alt+left goes back, ``]`` or alt+right forward
again (opening another note any other way forgets the way forward; a rename or a delete
updates both through ``rename_in_history`` / ``forget``). ``h`` shows the open note's
outline, ``l`` focuses the list, ``f`` the filter box; ``b`` and ``p`` show or hide the left
and side panels (which fold away below 70 and 100 columns). The list, the tag tree and the
note move with ``j k g G`` (their own bindings). A moment after a note is shown, a worker
looks for its unlinked mentions (``session.unlinked_mentions``) for the side panel.

Opening a note asks the session for its page on a worker (it may read spec and run-record
files); the page arrives as ``PageLoaded`` and is shown if it is still the note wanted, so
holding an arrow key skips the pages the screen could not keep up with. Once a note is
painted, a worker prepares the pages of the notes above and below it in the list (built
and rendered), so that the arrow keys show them at once. Lists arrive the same way
(``ListingLoaded``; ``vault_changed`` with a ``VaultUpdate``), and only what changed is
redrawn.

Just over 400 lines because the history, the page prefetch and the partial redraws share the
screen's state (the note wanted, the pages held); split apart they would pass it around.
"""

from __future__ import annotations

import subprocess
import sys
from functools import partial
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static, Tree

from notebase.tui.details import citation_markdown, experiment_markdown, question_markdown
from notebase.tui.render import parse_href
from notebase.tui.screens.modals import DetailScreen
from notebase.tui.screens.outline import OutlineScreen
from notebase.tui.screens.questions import question_line
from notebase.tui.session import VaultSession
from notebase.tui.views import Listing, MentionRow, NotePage, VaultUpdate
from notebase.tui.widgets.key_footer import KeyFooter
from notebase.tui.widgets.note_body import NoteBody, Rendered, render_markdown
from notebase.tui.widgets.note_list import FilterBox, NoteList
from notebase.tui.widgets.note_view import NoteView, heading_line
from notebase.tui.widgets.run_panel import RunPanel
from notebase.tui.widgets.side_panel import SidePanel
from notebase.tui.widgets.tag_tree import TagTree


class PageLoaded(Message):
    """A worker built the page of ``path`` (None: there is no such note any more) and
    rendered its body (only the first screen of a long note: ``NoteBody`` renders the rest
    when it is scrolled to, or once the note stays open)."""

    def __init__(
        self,
        path: str,
        page: NotePage | None,
        heading: str | None = None,
        keep_scroll: bool = False,
        rendered: Rendered | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.page = page
        self.heading = heading
        self.keep_scroll = keep_scroll
        self.rendered = rendered


MENTIONS_AFTER = 0.3
"""Seconds a note stays open before its unlinked mentions are looked for (not while an
arrow key is held down the list)."""


class MentionsLoaded(Message):
    """A worker found the unlinked mentions of note ``path`` (``complete``: all of them)."""

    def __init__(self, path: str, mentions: list[MentionRow], complete: bool = True) -> None:
        super().__init__()
        self.path = path
        self.mentions = mentions
        self.complete = complete


class ListingLoaded(Message):
    """A worker built the note list of a tag (or of every note)."""

    def __init__(self, listing: Listing) -> None:
        super().__init__()
        self.listing = listing


def _side_of(page: NotePage) -> tuple:
    """What the side panel shows of a page (a reload that changed none of it redraws none;
    another note always does: its unlinked mentions are its own)."""
    return (
        page.path, page.links, page.backlinks, page.footnotes, page.questions, page.experiments,
        page.sidecars, page.sidecar_of,
    )  # fmt: skip


def open_with_system(file: Path) -> None:
    """Open ``file`` in the system's viewer (``open`` on macOS, else ``xdg-open``), detached."""
    command = "open" if sys.platform == "darwin" else "xdg-open"
    subprocess.Popen(
        [command, str(file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


class MainScreen(Screen):
    """Browse the vault: list, tags, note, side panel."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="main.back"),
        Binding("backspace", "back", "Back", show=False, id="main.backspace"),
        Binding("left_square_bracket,alt+left", "back", "Back", show=False, id="main.back2"),
        Binding(
            "right_square_bracket,alt+right", "forward", "Forward", show=False, id="main.forward"
        ),
        Binding("h", "outline", "Outline", show=False, id="main.outline"),
        Binding("l", "focus_notes", "Notes", show=False, id="main.notes"),
        Binding("f", "focus_filter", "Filter", show=False, id="main.filter"),
        Binding("b", "toggle_panel('left')", "List panel", show=False, id="main.left_panel"),
        Binding("p", "toggle_panel('side')", "Side panel", show=False, id="main.side_panel"),
    ]

    file_opener = staticmethod(open_with_system)
    """Opens an attachment's file (``open:`` links); tests replace it."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-medium"), (100, "-wide")]
    """Below 70 columns the note alone (``b`` and ``p`` bring the panels back), below 100
    no side panel; the panels' widths are shares of the screen between (app.tcss)."""

    def __init__(self, session: VaultSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.current_path: str | None = None
        """The note wanted on screen (its page may still be on its way)."""
        self.page: NotePage | None = None
        """The page shown."""
        self.history: list[str] = []
        """Notes to go back to, most recent last."""
        self.forward: list[str] = []
        """Notes gone back from, to go forward to again, most recent last."""
        self._reveal: MentionRow | None = None
        """A mention to scroll to once its note is shown."""
        self._question: tuple[str, int] | None = None
        """``(path, number)``: a question to scroll to once its note is shown."""
        self._mentions_timer = None
        self.tag: str | None = None
        """The tag the list is narrowed to (None: every note)."""
        self.generation = -1
        """Generation of the listing shown (older ones arriving late are dropped)."""
        self._tags: tuple[list[tuple[str, int]], int] | None = None
        self._ready: dict[str, tuple[int, int, NotePage, Rendered]] = {}
        """Prepared neighbours: path -> (listing generation, width, page, rendered body)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="top-bar")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield FilterBox(placeholder="filter (f)", id="filter")  # fits the narrowest list
                yield Static("", id="list-caption")
                yield NoteList(id="notes")
                yield TagTree(id="tags")
            yield NoteView(id="note")
            yield SidePanel(id="side")
        yield RunPanel(id="run")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#top-bar", Static).update(
            Text.assemble(
                ("notebase", "bold"), f"  {self.session.vault_root.name}/  ", ("loading…", "dim")
            )
        )
        self.query_one(NoteView).show_message("loading the vault…")
        self.query_one(NoteBody).image_files = self.session.attachment_file  # image previews
        self.query_one(NoteView).block_opening = self.session.block_opening  # [[note#^id]]
        self.query_one(NoteList).focus()
        self.app.start_loading()

    # --- vault ------------------------------------------------------------------------------

    @property
    def current_note(self) -> NotePage | None:
        """The page of the open note, once it is shown."""
        page = self.page
        return page if page is not None and page.path == self.current_path else None

    def vault_loaded(self, listing: Listing) -> None:
        self.show_listing(listing)
        first = self.query_one(NoteList).highlighted_key
        if first is not None and self.current_path is None:
            self.open_path(first, push=False)
        elif first is None:
            self.query_one(NoteView).show_message("this vault has no notes")

    def vault_changed(self, update: VaultUpdate) -> None:
        """Redraw what ``update`` changed: list rows, tags, counts, the open note."""
        if not self.show_listing(update.listing):
            return  # a newer update was shown already
        if self.current_path is None or update.page_path != self.current_path:
            return  # the page of the note now wanted is on its way
        if update.page is None:
            self.query_one(NoteView).show_message(f"{self.current_path} was deleted")
            self.query_one(SidePanel).clear_note()
            self.current_path = self.page = None
        elif update.page != self.page:
            self.fetch_page(update.page.path, page=update.page, keep_scroll=True)
        else:  # another note may name it now
            self._schedule_mentions(self.current_path)

    def show_listing(self, listing: Listing) -> bool:
        """Show ``listing`` unless a newer one is shown; False when it was dropped."""
        if listing.generation < self.generation:
            return False
        self.generation = listing.generation
        note_list = self.query_one(NoteList)
        if listing.tag == self.tag:
            note_list.set_notes(
                listing.rows, keep_key=note_list.highlighted_key or self.current_path
            )
        else:  # the tag changed while this was built
            self.request_listing()
        if self._tags != (listing.tag_counts, listing.note_count):
            self._tags = (listing.tag_counts, listing.note_count)
            self.query_one(TagTree).set_tags(listing.tag_counts, listing.note_count)
        self.update_caption()
        top = Text.assemble(
            ("notebase", "bold"), f"  {self.session.vault_root.name}/  {listing.note_count} notes"
        )
        if listing.invalid:
            top.append(f"  ⚠ {len(listing.invalid)} invalid", style="red")
        self.query_one("#top-bar", Static).update(top, layout=False)  # one line, always
        return True

    def request_listing(self) -> None:
        """Fetch the list of the current tag on a worker."""
        self.run_worker(
            partial(self._load_listing, self.tag), thread=True, group="listing", exit_on_error=False
        )

    def _load_listing(self, tag: str | None) -> None:
        self.post_message(ListingLoaded(self.session.listing(tag)))

    def on_listing_loaded(self, message: ListingLoaded) -> None:
        self.show_listing(message.listing)

    def update_caption(self) -> None:
        note_list = self.query_one(NoteList)
        what = f"#{self.tag}" if self.tag else "all notes"
        count = note_list.shown_count
        extra = f" · filter “{note_list.filter_text}”" if note_list.filter_text else ""
        self.query_one("#list-caption", Static).update(
            Text(f"{what} ({count}){extra}", style="dim"),
            layout=False,  # one line, always
        )

    # --- opening notes ----------------------------------------------------------------------

    async def open_note(self, path: str, heading: str | None = None, push: bool = True) -> bool:
        """Show the note at ``path``; remember the current one for Back when ``push``."""
        return self.open_path(path, heading, push)

    def open_path(self, path: str, heading: str | None = None, push: bool = True) -> bool:
        """``open_note`` for callers that do not await: the page comes from a worker."""
        if not self.session.has_note(path):
            self.app.notify(f"no note {path}", severity="warning")
            return False
        if push and self.current_path and self.current_path != path:
            self.history.append(self.current_path)
        if path != self.current_path:
            self.forward = []
        self.current_path = path
        self.query_one(NoteList).move_to_key(path)
        ready = self._ready.get(path)
        width = self.query_one(NoteBody).render_width
        if ready is not None and heading is None and ready[:2] == (self.generation, width):
            self.on_page_loaded(PageLoaded(path, ready[2], rendered=ready[3]))
        else:
            self.fetch_page(path, heading)
        return True

    def fetch_page(
        self,
        path: str,
        heading: str | None = None,
        page: NotePage | None = None,
        keep_scroll: bool = False,
    ) -> None:
        """Build (unless given) and render the page of ``path`` on a worker."""
        body = self.query_one(NoteBody)
        self.run_worker(
            partial(
                self._load_page,
                path,
                heading,
                page,
                keep_scroll,
                body.render_width,
                body.size.height,
            ),
            thread=True,
            group="page",
            exit_on_error=False,
        )

    def _load_page(self, path, heading, page, keep_scroll, width: int, height: int) -> None:
        """Worker: the page, and its body rendered (the first screen of a long note)."""
        if path != self.current_path:
            return  # a held arrow key moved on before this worker started
        page = page or self.session.note_page(path)
        if page is None or width <= 0:
            self.post_message(PageLoaded(path, page, heading, keep_scroll))
            return
        # A heading or a kept position may lie past the first screens.
        first = None if heading or keep_scroll else 2 * max(height, 1)
        rendered = render_markdown(page.markdown, width, first, self.session.attachment_file)
        self.post_message(PageLoaded(path, page, heading, keep_scroll, rendered))

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.path != self.current_path:
            return  # another note was asked for since
        page = message.page
        if page is None:
            self.query_one(NoteView).show_message(f"{message.path} no longer exists")
            self.query_one(SidePanel).clear_note()
            self.page = None
            return
        previous, self.page = self.page, page
        view = self.query_one(NoteView)
        view.show(page, message.heading, message.keep_scroll, message.rendered)
        reveal, self._reveal = self._reveal, None
        if reveal is not None and reveal.path == page.path:
            self._reveal_mention(reveal)
        question, self._question = self._question, None
        if question is not None and question[0] == page.path:
            self._reveal_question(page, question[1])
        if previous is not page:
            self._schedule_mentions(page.path)
            if previous is None or _side_of(previous) != _side_of(page):
                self.query_one(SidePanel).show(page)
            if not page.valid and not message.keep_scroll:  # a reload: the app said it
                self.app.notify(f"{page.path}: {'; '.join(page.errors)}", severity="error")
            self.call_after_refresh(self._prepare_neighbours, page.path)

    def _prepare_neighbours(self, path: str) -> None:
        """Build and render the pages above and below ``path`` in the list, on a worker."""
        if path != self.current_path:
            return
        neighbours = self.query_one(NoteList).adjacent_keys()
        self._ready = {key: self._ready[key] for key in neighbours if key in self._ready}
        wanted = [key for key in neighbours if key not in self._ready]
        body = self.query_one(NoteBody)
        if wanted and body.render_width > 0:
            prepare = partial(
                self._prepare, path, wanted, self.generation, body.render_width, body.size.height
            )
            self.run_worker(prepare, thread=True, group="prepare", exit_on_error=False)

    def _prepare(self, path, wanted, generation: int, width: int, height: int) -> None:
        """Worker: the pages of ``wanted``, while ``path`` is still the note shown."""
        for key in wanted:
            if path != self.current_path:
                return
            page = self.session.note_page(key)
            if page is not None:
                rendered = render_markdown(
                    page.markdown, width, 2 * max(height, 1), self.session.attachment_file
                )
                self._ready[key] = (generation, width, page, rendered)

    async def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(NoteList).focus()
            return
        self._travel(self.history, self.forward)

    def action_forward(self) -> None:
        self._travel(self.forward, self.history)

    def _travel(self, source: list[str], other: list[str]) -> None:
        """Open the latest note of ``source`` that still exists (back: the history; forward:
        the way forward) and keep the one shown on ``other``; the bell when there is none."""
        while source:
            path = source.pop()
            if self.session.has_note(path):
                current, forward = self.current_path, self.forward
                self.open_path(path, push=False)
                self.forward = forward  # open_path forgets it: not here
                if current and current != path:
                    other.append(current)
                return
        self.app.bell()

    def rename_in_history(self, old: str, new: str) -> None:
        """Note ``old`` is now ``new``: the history and the way forward name it so, and it
        stays shown if it was (the way forward kept)."""
        self.history = [new if path == old else path for path in self.history]
        forward = [new if path == old else path for path in self.forward]
        if self.current_path == old:
            self.open_path(new, push=False)
        self.forward = forward

    def forget(self, path: str) -> None:
        """Note ``path`` is gone: drop it from the history and the way forward."""
        self.history = [p for p in self.history if p != path]
        self.forward = [p for p in self.forward if p != path]

    def action_outline(self) -> None:
        """The open note's headings; Enter scrolls the body to one."""
        page = self.current_note
        if page is None:
            self.app.notify("open a note first", severity="warning")
            return
        body = self.query_one(NoteBody)
        self.app.push_screen(
            OutlineScreen(page.title, body.outline(), int(body.scroll_y), id="outline"),
            callback=self._jump_to_line,
        )

    def _jump_to_line(self, line: int | None) -> None:
        if line is not None:
            body = self.query_one(NoteBody)
            body.scroll_to_line(line)
            body.focus()

    def action_focus_notes(self) -> None:
        self.show_panel("left")
        self.query_one(NoteList).focus()

    def action_focus_filter(self) -> None:
        self.show_panel("left")
        self.query_one("#filter", Input).focus()

    def focus_tags(self) -> None:
        self.show_panel("left")
        self.query_one(TagTree).focus()

    # --- panels: b and p, and the width's breakpoints -----------------------------------------

    def panel_shown(self, panel: str) -> bool:
        """Whether the ``left`` (list and tags) or ``side`` panel is on screen now."""
        return bool(self.query_one(f"#{panel}").display)

    def show_panel(self, panel: str, shown: bool = True) -> None:
        """Show (or hide) a panel whatever the width, until ``b`` / ``p`` says otherwise."""
        self.set_class(shown, f"-show-{panel}")
        self.set_class(not shown, f"-hide-{panel}")
        self.call_after_refresh(self._focus_on_screen)

    def action_toggle_panel(self, panel: str) -> None:
        self.show_panel(panel, not self.panel_shown(panel))

    def on_resize(self) -> None:
        self.call_after_refresh(self._focus_on_screen)  # once the breakpoint's class is set

    def _focus_on_screen(self) -> None:
        """Keys must not go to a widget of a hidden panel: the note gets them instead."""
        focused = self.focused
        if focused is None or any(
            not self.panel_shown(panel) and self.query_one(f"#{panel}") in focused.ancestors
            for panel in ("left", "side")
        ):
            self.query_one(NoteBody).focus()

    # --- list, filter, tags -------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one(NoteList).set_filter(event.value)
        self.update_caption()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        """Enter: to the list; the one note the filter leaves is opened at once."""
        note_list = self.query_one(NoteList)
        note_list.focus()
        key = note_list.highlighted_key
        if note_list.shown_count == 1 and key is not None and key != self.current_path:
            self.open_path(key, push=True)

    @on(FilterBox.Leave, "#filter")
    def filter_left(self) -> None:
        self.query_one(NoteList).focus()

    @on(NoteList.Highlighted, "#notes")
    def note_highlighted(self, event: NoteList.Highlighted) -> None:
        """Open the note the cursor moved to, unless the cursor has moved on since (a stale
        message: notes opened back to back would re-open each other for ever)."""
        if event.key != self.current_path and event.key == event.row_list.highlighted_key:
            self.open_path(event.key, push=False)

    @on(NoteList.Selected, "#notes")
    def note_selected(self, event: NoteList.Selected) -> None:
        if event.key != self.current_path:
            self.open_path(event.key, push=True)
        if self.panel_shown("side"):
            self.query_one(SidePanel).focus()
        else:
            self.query_one(NoteBody).focus()

    @on(Tree.NodeSelected, "#tags")
    def tag_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        self.show_tag(event.node.data or None)
        self.query_one(NoteList).focus()

    def show_tag(self, tag: str | None) -> None:
        """Narrow the list to the notes of ``tag`` and its nested tags (None: all notes)."""
        self.tag = tag
        self.request_listing()

    # --- links, citations, questions, experiments ----------------------------------------------

    @on(NoteBody.LinkClicked)
    async def link_clicked(self, event: NoteBody.LinkClicked) -> None:
        event.stop()
        await self.follow(event.href)

    @on(SidePanel.Selected, "#side")
    async def side_selected(self, event: SidePanel.Selected) -> None:
        event.stop()
        mention = self.query_one(SidePanel).mention_of(event.key)
        if mention is not None:
            self.open_mention(mention)
        else:
            await self.follow(event.key)

    # --- unlinked mentions --------------------------------------------------------------------

    def _schedule_mentions(self, path: str) -> None:
        if self._mentions_timer is not None:
            self._mentions_timer.stop()
        self._mentions_timer = self.set_timer(MENTIONS_AFTER, partial(self._start_mentions, path))

    def _start_mentions(self, path: str) -> None:
        if path == self.current_path:
            self.run_worker(
                partial(self._load_mentions, path),
                thread=True,
                group="mentions",
                exit_on_error=False,
            )

    def _load_mentions(self, path: str) -> None:
        """Worker: the unlinked mentions of ``path`` (the session keeps them per version)."""
        if path == self.current_path:
            self.post_message(MentionsLoaded(path, *self.session.unlinked_mentions(path)))

    def on_mentions_loaded(self, message: MentionsLoaded) -> None:
        if message.path == self.current_path:
            side = self.query_one(SidePanel)
            side.show_mentions(message.path, message.mentions, message.complete)

    def open_mention(self, mention: MentionRow) -> None:
        """Open the note that mentions the open one, scrolled to the mention."""
        if mention.path == self.current_path and self.current_note is not None:
            self._reveal_mention(mention)
            return
        self._reveal = mention
        if not self.open_path(mention.path, heading=mention.heading):
            self._reveal = None

    def _reveal_mention(self, mention: MentionRow) -> None:
        """Scroll the body to the first line showing the mentioned name under its heading."""
        body = self.query_one(NoteBody)
        start = (heading_line(body, mention.heading) or 0) if mention.heading else 0
        found = body.find_line(mention.name, start)
        body.scroll_to_line(found if found is not None else start)

    def open_question(self, path: str, number: int) -> bool:
        """Open note ``path`` scrolled to the line of its question ``number``."""
        if path == self.current_path and self.page is not None and self.page.path == path:
            self._reveal_question(self.page, number)
            return True
        self._question = (path, number)
        if not self.open_path(path):
            self._question = None
            return False
        return True

    def _reveal_question(self, page: NotePage, number: int) -> None:
        line = question_line(self.query_one(NoteBody), page, number)
        if line is not None:
            self.query_one(NoteBody).scroll_to_line(line)

    async def follow(self, href: str) -> None:
        """Act on a link of the note or an entry of the side panel."""
        parsed = parse_href(href)
        if parsed is None:
            if href.startswith(("http://", "https://")):
                self.app.open_url(href)
            else:
                self.app.notify(f"not a note link: {href}", severity="warning")
            return
        scheme, value = parsed
        page = self.current_note
        if scheme == "note":
            path, _, heading = value.partition("#")
            if path == self.current_path and heading:
                self.query_one(NoteView).goto_heading(heading)
            else:
                self.open_path(path, heading=heading or None)
        elif scheme == "missing":
            self.app.notify(f"broken link: [[{value}]] names no note", severity="warning")
        elif scheme == "fn" and page is not None:
            self.show_citation(page, value)
        elif scheme == "q" and page is not None and value.isdigit():
            self.show_question(page, int(value))
        elif scheme == "exp" and page is not None:
            self.show_experiment(page, value)
        elif scheme == "open":
            self.open_attachment(value)

    def open_attachment(self, path: str) -> None:
        """Hand an attachment of the vault (an image, a plot) to the system's viewer."""
        file = self.session.attachment_file(path)
        if file is None:
            self.app.notify(f"no such file in the vault: {path}", severity="warning")
            return
        try:
            self.file_opener(file)
        except OSError as exc:
            self.app.notify(f"cannot open {path}: {exc}", severity="error")

    def show_citation(self, page: NotePage, label: str) -> None:
        found = citation_markdown(page, label)
        if found is None:
            self.app.notify(f"footnote [^{label}] has no definition", severity="warning")
            return
        self.app.push_screen(DetailScreen(*found, id="citation"))

    def show_question(self, page: NotePage, number: int) -> None:
        found = question_markdown(page, number)
        if found is not None:
            self.app.push_screen(DetailScreen(*found, id="question"))

    def show_experiment(self, page: NotePage, name: str) -> None:
        self.app.push_screen(DetailScreen(*experiment_markdown(page, name), id="experiment"))
