"""The dialogs of the keys that change notes: ``n`` new note, ``F2`` rename (the name, then a
preview of every file the rename rewrites, asked as `ConfirmScreen` asks: ``y`` renames,
Enter alone cancels). ``D`` asks with `ConfirmScreen` itself (modals.py).

They only ask: the app does the writing on a worker (``notebase.tui.write_actions``, mixed
into the app; ``e`` and ``E`` need no dialog here: ``$EDITOR``, ``screens/editor.py``).
The new-note dialog shows, while the title is typed, the file the note will get, and
refuses a title whose file exists already (``VaultSession.new_note_target``: the core's
naming rule)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from notebase.errors import UserError
from notebase.tui.screens.modals import ConfirmScreen
from notebase.tui.session import VaultSession

DIALOG_CSS = """
NewNoteScreen, RenameScreen, RenamePreviewScreen {
    align: center middle;
}
.note-dialog {
    width: 72;
}
.note-dialog Input {
    margin: 0 0 1 0;
}
.dialog-label {
    color: $text-muted;
    height: 1;
}
.dialog-problem {
    color: $error;
    height: auto;
}
.dialog-target {
    color: $success;
    height: auto;
}
#rename-changes {
    height: auto;
    max-height: 16;
    margin: 0 0 1 0;
}
"""


@dataclass(frozen=True)
class NewNote:
    """What the new-note dialog asked for."""

    title: str
    folder: str
    tags: list[str]


def split_tags(text: str) -> list[str]:
    """Tags typed as ``a, b`` or ``#a #b``: the words, ``#`` dropped, in order, once each."""
    words = text.replace(",", " ").split()
    return list(dict.fromkeys(word.lstrip("#") for word in words if word.lstrip("#")))


class NewNoteScreen(ModalScreen[NewNote | None]):
    """Title, folder and tags of a new note; Enter creates it, Escape cancels."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="new_note.cancel")]

    def __init__(
        self,
        session: VaultSession,
        title: str = "",
        folder: str = "",
        tags: list[str] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.initial = (title, folder, " ".join(tags or []))
        self.target: str | None = None
        """The path the note will get; None while the title or folder cannot be used."""

    def compose(self) -> ComposeResult:
        title, folder, tags = self.initial
        with Vertical(id="new-note-box", classes="modal-box note-dialog"):
            yield Static("New note", classes="modal-title")
            yield Static("title", classes="dialog-label")
            yield Input(title, placeholder="제목 / title", id="new-title")
            yield Static("folder (empty: the vault's top folder)", classes="dialog-label")
            yield Input(folder, placeholder="folder", id="new-folder")
            yield Static("tags (space or comma between them)", classes="dialog-label")
            yield Input(tags, placeholder="tags", id="new-tags")
            yield Static("", id="new-target", markup=False)
            yield Static("Enter creates the note · Escape cancels", classes="modal-hint")

    def on_mount(self) -> None:
        self.check()
        self.query_one("#new-title", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.check()

    def check(self) -> None:
        """Show the file the note will get, or why it cannot be created."""
        title = self.query_one("#new-title", Input).value
        folder = self.query_one("#new-folder", Input).value
        shown = self.query_one("#new-target", Static)
        self.target = None
        if not title.strip():
            shown.update("type a title")
            shown.set_classes("dialog-label")
            return
        try:
            self.target = self.session.new_note_target(title, folder)
        except UserError as refusal:
            shown.update(f"✗ {refusal}")
            shown.set_classes("dialog-problem")
            return
        shown.update(f"→ {self.target}")
        shown.set_classes("dialog-target")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.check()
        if self.target is None:
            self.app.bell()
            return
        self.dismiss(
            NewNote(
                self.query_one("#new-title", Input).value.strip(),
                self.query_one("#new-folder", Input).value.strip(),
                split_tags(self.query_one("#new-tags", Input).value),
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)


class RenameScreen(ModalScreen[str | None]):
    """The new name of a note (its file name without ``.md``, or a vault path)."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="rename.cancel")]

    def __init__(self, path: str, stem: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.stem = stem

    def compose(self) -> ComposeResult:
        with Vertical(id="rename-box", classes="modal-box note-dialog"):
            yield Static(f"Rename {self.path}", classes="modal-title", markup=False)
            yield Static(
                "new name (same folder), or a path inside the vault", classes="dialog-label"
            )
            yield Input(self.stem, id="rename-name")
            yield Static("Enter shows the links it rewrites · Escape cancels", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#rename-name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = event.value.strip()
        if not name or name == self.stem:
            self.app.bell()
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RenamePreviewScreen(ConfirmScreen):
    """What a rename changes: the files that move and each note whose links are rewritten,
    with how many. Asked as `ConfirmScreen` asks: y (or the Rename button) carries it out,
    n or Escape cancels, and Enter alone presses the focused Cancel button (so the Enter
    that follows the one of the new name cannot rewrite the vault)."""

    DEFAULT_CSS = DIALOG_CSS

    def __init__(
        self,
        old: str,
        new: str,
        changes: list[tuple[str, int, bool]],
        problems: list[str] | None = None,
        **kwargs,
    ) -> None:
        """``changes``: ``[(path after the rename, links rewritten, moved?)]``;
        ``problems``: links that cannot be rewritten and stay as they are."""
        super().__init__(f"Rename {old} → {new}?", yes="Rename", no="Cancel", **kwargs)
        self.old = old
        self.new = new
        self.changes = changes
        self.problems = problems or []

    def compose(self) -> ComposeResult:
        links = sum(n for _p, n, _m in self.changes)
        notes = sum(1 for _p, n, _m in self.changes if n)
        with Vertical(id="rename-preview-box", classes="modal-box note-dialog"):
            yield Static(self.question, classes="modal-title", markup=False)
            summary = (
                f"{links} link(s) in {notes} note(s) will be rewritten:"
                if links
                else "No link needs rewriting. Files that change:"
            )
            yield Static(summary, classes="dialog-label")
            with VerticalScroll(id="rename-changes"):
                yield Static(
                    "\n".join(_change_line(*change) for change in self.changes),
                    id="rename-change-list",
                    markup=False,
                )
            for problem in self.problems:
                yield Static(f"⚠ {problem}", classes="dialog-problem", markup=False)
            yield from self.compose_buttons()


def _change_line(path: str, links: int, moved: bool) -> str:
    what = [f"{links} link{'s' if links != 1 else ''}"] if links else []
    if moved:
        what.insert(0, "moved")
    return f"  {path}  ({', '.join(what)})"
