"""The main screen: note list and tag tree, the open note, its side panel, the run panel.

Navigation keeps a history: following a link, a search hit or a question pushes the note
you were on; Escape or backspace goes back.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Markdown, Static, Tree

from notebase.core.note import Note
from notebase.tui.plot import results_chart
from notebase.tui.render import parse_href
from notebase.tui.screens.modals import DetailScreen
from notebase.tui.session import VaultSession
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.note_view import NoteView
from notebase.tui.widgets.run_panel import RunPanel
from notebase.tui.widgets.side_panel import SidePanel
from notebase.tui.widgets.tag_tree import TagTree

# Moving through the list shows each note after this pause, so holding a key stays fluid.
PREVIEW_DELAY_SECONDS = 0.08


def citation_markdown(note: Note, label: str) -> tuple[str, str] | None:
    """Title and Markdown body of the detail view for footnote ``label`` of ``note``."""
    for footnote in note.footnotes:
        if footnote.label == label:
            citation = footnote.citation
            lines = [footnote.text.strip() or "*(empty definition)*", ""]
            fields = [
                ("authors", ", ".join(citation.authors)),
                ("title", citation.title or ""),
                ("venue", citation.venue or ""),
                ("year", str(citation.year or "")),
                ("cited", f"{footnote.references}× in this note"),
            ]
            lines += ["| | |", "|---|---|"]
            lines += [f"| {name} | {value.replace('|', '/')} |" for name, value in fields if value]
            return f"[^{label}] · {note.title}", "\n".join(lines) + "\n"
    return None


class MainScreen(Screen):
    """Browse the vault: list, tags, note, side panel."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="main.back"),
        Binding("backspace", "back", "Back", show=False, id="main.backspace"),
        Binding("n", "focus_notes", "Notes", show=False, id="main.notes"),
        Binding("f", "focus_filter", "Filter", show=False, id="main.filter"),
    ]

    def __init__(self, session: VaultSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.current_path: str | None = None
        self.history: list[str] = []
        """Notes to go back to, most recent last."""
        self.tag: str | None = None
        """The tag the list is narrowed to (None: every note)."""
        self._preview_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="top-bar")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Input(placeholder="filter notes (f)", id="filter")
                yield Static("", id="list-caption")
                yield NoteList(id="notes")
                yield TagTree(id="tags")
            yield NoteView(id="note")
            yield SidePanel(id="side")
        yield RunPanel(id="run")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#top-bar", Static).update(
            Text.assemble(
                ("notebase", "bold"), f"  {self.session.vault_root.name}/  ", ("loading…", "dim")
            )
        )
        self.query_one(NoteView).show_message("loading the vault…")
        self.query_one(NoteList).focus()
        self.app.start_loading()

    # --- vault ------------------------------------------------------------------------------

    @property
    def current_note(self) -> Note | None:
        return self.session.note(self.current_path) if self.current_path else None

    async def vault_loaded(self) -> None:
        self.refresh_lists()
        note_list = self.query_one(NoteList)
        first = note_list.highlighted_key
        if first is not None and self.current_path is None:
            await self.open_note(first, push=False)
        elif first is None:
            self.query_one(NoteView).show_message("this vault has no notes")

    async def vault_changed(self, paths: list[str]) -> None:
        self.refresh_lists()
        if self.current_path and self.current_path in paths:
            note = self.current_note
            if note is None:
                self.query_one(NoteView).show_message(f"{self.current_path} was deleted")
                self.query_one(SidePanel).clear_note()
                self.current_path = None
            else:
                await self.query_one(NoteView).show(note, keep_scroll=True)
                self.query_one(SidePanel).show(note, self.session)
        elif self.current_note is not None:
            # Backlinks and titles of other notes may have changed.
            self.query_one(SidePanel).show(self.current_note, self.session)

    def refresh_lists(self) -> None:
        rows = self.session.rows(self.tag)
        note_list = self.query_one(NoteList)
        note_list.set_notes(rows, keep_key=note_list.highlighted_key or self.current_path)
        all_count = self.session.note_count() if self.tag else len(rows)
        self.query_one(TagTree).set_tags(self.session.tag_counts(), all_count)
        self.update_caption()
        invalid = len(self.session.invalid_notes())
        top = Text.assemble(
            ("notebase", "bold"), f"  {self.session.vault_root.name}/  {all_count} notes"
        )
        if invalid:
            top.append(f"  ⚠ {invalid} invalid", style="red")
        self.query_one("#top-bar", Static).update(top)

    def update_caption(self) -> None:
        note_list = self.query_one(NoteList)
        what = f"#{self.tag}" if self.tag else "all notes"
        count = note_list.shown_count
        extra = f" · filter “{note_list.filter_text}”" if note_list.filter_text else ""
        self.query_one("#list-caption", Static).update(
            Text(f"{what} ({count}){extra}", style="dim")
        )

    # --- opening notes ----------------------------------------------------------------------

    async def open_note(self, path: str, heading: str | None = None, push: bool = True) -> bool:
        """Show the note at ``path``; remember the current one for Back when ``push``."""
        note = self.session.note(path)
        if note is None:
            self.app.notify(f"no note {path}", severity="warning")
            return False
        if push and self.current_path and self.current_path != path:
            self.history.append(self.current_path)
        self.current_path = path
        self.query_one(NoteList).move_to_key(path)
        self.query_one(SidePanel).show(note, self.session)
        await self.query_one(NoteView).show(note, heading=heading)
        if not note.valid:
            self.app.notify(f"{path}: {'; '.join(note.errors)}", severity="error")
        return True

    async def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(NoteList).focus()
            return
        while self.history:
            path = self.history.pop()
            if self.session.note(path) is not None:
                await self.open_note(path, push=False)
                return
        self.app.bell()

    def action_focus_notes(self) -> None:
        self.query_one(NoteList).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def focus_tags(self) -> None:
        self.query_one(TagTree).focus()

    # --- list, filter, tags -------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_one(NoteList).set_filter(event.value)
        self.update_caption()

    @on(Input.Submitted, "#filter")
    def filter_submitted(self) -> None:
        self.query_one(NoteList).focus()

    @on(NoteList.Highlighted, "#notes")
    def note_highlighted(self, event: NoteList.Highlighted) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        key = event.key
        self._preview_timer = self.set_timer(PREVIEW_DELAY_SECONDS, lambda: self._preview(key))

    async def _preview(self, path: str) -> None:
        if path != self.current_path:
            await self.open_note(path, push=False)

    @on(NoteList.Selected, "#notes")
    async def note_selected(self, event: NoteList.Selected) -> None:
        if event.key != self.current_path:
            await self.open_note(event.key, push=True)
        self.query_one(SidePanel).focus()

    @on(Tree.NodeSelected, "#tags")
    def tag_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        tag = event.node.data or None
        self.show_tag(tag)
        self.query_one(NoteList).focus()

    def show_tag(self, tag: str | None) -> None:
        """Narrow the list to the notes of ``tag`` and its nested tags (None: all notes)."""
        self.tag = tag
        note_list = self.query_one(NoteList)
        note_list.set_notes(self.session.rows(tag))
        self.update_caption()

    # --- links, citations, questions, experiments ----------------------------------------------

    @on(Markdown.LinkClicked)
    async def link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        await self.follow(event.href)

    @on(SidePanel.Selected, "#side")
    async def side_selected(self, event: SidePanel.Selected) -> None:
        event.stop()
        await self.follow(event.key)

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
        note = self.current_note
        if scheme == "note":
            path, _, heading = value.partition("#")
            if path == self.current_path and heading:
                self.query_one(NoteView).goto_heading(heading)
            else:
                await self.open_note(path, heading=heading or None)
        elif scheme == "missing":
            self.app.notify(f"broken link: [[{value}]] names no note", severity="warning")
        elif scheme == "fn" and note is not None:
            self.show_citation(note, value)
        elif scheme == "q" and note is not None and value.isdigit():
            self.show_question(note, int(value))
        elif scheme == "exp" and note is not None:
            self.show_experiment(note, value)

    def show_citation(self, note: Note, label: str) -> None:
        found = citation_markdown(note, label)
        if found is None:
            self.app.notify(f"footnote [^{label}] has no definition", severity="warning")
            return
        self.app.push_screen(DetailScreen(*found, id="citation"))

    def show_question(self, note: Note, number: int) -> None:
        for question in note.questions:
            if question.number == number:
                lines = [question.text, ""]
                if question.status == "answered":
                    lines.append(f"**answered** by run `{question.answered_by}`")
                else:
                    lines.append("**open**")
                if question.experiments:
                    lines.append(
                        "\nexperiments: " + ", ".join(f"`{e}`" for e in question.experiments)
                    )
                self.app.push_screen(
                    DetailScreen(f"Q{number} · {note.title}", "\n".join(lines), id="question")
                )
                return

    def show_experiment(self, note: Note, name: str) -> None:
        summaries = {s.name: s for s in self.session.experiment_summaries(note)}
        summary = summaries.get(name)
        if summary is None:
            spec = self.session.spec_path(name)
            lines = [f"spec: `{spec.name}`" if spec else "**no spec of this name**"]
        else:
            spec_text = f"`{summary.spec_path.name}`" if summary.spec_path else "**missing**"
            lines = [f"spec: {spec_text}"]
            if summary.run_id:
                lines.append(f"last run: `{summary.run_id}` ({summary.status or 'no record'})")
                chart = results_chart(summary.results)
                if chart:
                    lines += ["", "```", chart, "```"]
            else:
                lines.append("not run yet for this note")
        lines.append("\n`r` runs it, `R` runs it quick")
        self.app.push_screen(DetailScreen(f"⚗ {name}", "\n".join(lines), id="experiment"))
