"""``E``: the open note's whole text (frontmatter included) in a Markdown editor.

``ctrl+s`` saves through the session (`notebase.core.note_save`: the note's BOM and line
endings kept, nothing written when nothing changed, and nothing written over a file that
changed on disk since the editor read it: then the text stays here and the user is told).
``escape`` closes, asking first when there are unsaved changes.

Typing ``[[`` opens a list of the vault's note titles and aliases under the cursor, narrowed
as you type (case-insensitive, titles starting with the text first); ↑/↓ choose, Enter or Tab
inserts ``Title]]``, Escape closes the list. Markdown is highlighted when tree-sitter's
Markdown grammar is installed (a dependency); without it the text is plain.
"""

from __future__ import annotations

import re
from functools import partial

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from notebase.errors import UserError
from notebase.tui.name_folding import fold
from notebase.tui.screens.modals import ConfirmScreen
from notebase.tui.session import VaultSession

COMPLETIONS_SHOWN = 12
"""At most this many titles in the ``[[`` list."""

_OPEN_LINK = re.compile(r"\[\[([^\[\]|#^]*)$")
"""An unfinished ``[[name`` right before the cursor (no ``]``, ``|``, ``#`` yet)."""


def markdown_language() -> str | None:
    """``"markdown"`` when its tree-sitter grammar is installed, else None (plain text)."""
    try:
        import tree_sitter  # noqa: F401
        import tree_sitter_markdown  # noqa: F401
    except ImportError:
        return None
    return "markdown"


class NoteTextArea(TextArea):
    """A TextArea that gives ↑ ↓ Enter Tab Escape to the ``[[`` list while it is open."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.completion: LinkCompletion | None = None

    async def _on_key(self, event: events.Key) -> None:
        # Textual runs this, then TextArea's own ``_on_key`` unless the default is prevented.
        completion = self.completion
        if completion is not None and completion.display and completion.take_key(event.key):
            event.stop()
            event.prevent_default()
        elif event.key == "escape":
            event.prevent_default()  # TextArea would move the focus: it is the screen's key


class LinkCompletion(OptionList):
    """The ``[[`` list: note titles and aliases matching what follows ``[[``."""

    DEFAULT_CSS = """
    LinkCompletion {
        overlay: screen;
        constrain: inside inside;
        position: absolute;
        display: none;
        width: auto;
        min-width: 24;
        max-width: 60;
        height: auto;
        max-height: 14;
        border: round $accent;
        background: $surface;
    }
    """

    class Chosen(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, **kwargs) -> None:
        super().__init__(markup=False, **kwargs)
        self.can_focus = False
        self.targets: list[tuple[str, str, str]] = []
        """``(name to insert, shown, folded name)``: every title, then every alias."""
        self._names: list[str] = []
        """The names of the options shown, in order."""

    def set_targets(self, targets: list[tuple[str, tuple[str, ...]]]) -> None:
        """``[(title, aliases)]`` of the vault's notes."""
        rows = [(title, title) for title, _ in targets]
        rows += [(alias, f"{alias} → {title}") for title, aliases in targets for alias in aliases]
        self.targets = [(name, shown, fold(name)) for name, shown in dict.fromkeys(rows)]

    def show_for(self, query: str) -> bool:
        """Show the names matching ``query``, those it begins first; False (hidden) when none
        does. Compared as the quick switcher does (`name_folding.fold`), so ``[[메ㅌ`` or
        ``[[메탈``, the last syllable half typed, already offers 메타러닝."""
        wanted = fold(query)
        starts = [t for t in self.targets if t[2].startswith(wanted)]
        inside = [t for t in self.targets if wanted in t[2] and not t[2].startswith(wanted)]
        matches = (starts + inside)[:COMPLETIONS_SHOWN]
        self.clear_options()
        if not matches:
            self.display = False
            return False
        self.add_options([Option(shown, id=str(i)) for i, (_n, shown, _k) in enumerate(matches)])
        self._names = [name for name, _s, _k in matches]
        self.highlighted = 0
        self.display = True
        return True

    def take_key(self, key: str) -> bool:
        """Act on a key pressed in the editor while the list is open; False: not ours."""
        if key == "down":
            self.action_cursor_down()
        elif key == "up":
            self.action_cursor_up()
        elif key in ("enter", "tab"):
            if self.highlighted is not None:
                self.post_message(self.Chosen(self._names[self.highlighted]))
            self.display = False
        elif key == "escape":
            self.display = False
        else:
            return False
        return True


class EditorScreen(Screen[None]):
    """Edit note ``path``, read as ``text`` from the bytes ``base``."""

    DEFAULT_CSS = """
    EditorScreen #editor-title {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    EditorScreen #editor-text {
        height: 1fr;
    }
    EditorScreen #editor-hint {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="editor.save"),
        Binding("escape", "close", "Close", id="editor.close"),
    ]

    class Saved(Message):
        """The note ``path`` was written (the app re-reads it)."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, session: VaultSession, path: str, text: str, base: bytes, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.path = path
        self.saved_text = text
        """The text as it is on disk (as read, or as last saved)."""
        self.base = base
        """The note's bytes when ``saved_text`` was read or written: a save needs the file
        to still hold them."""
        self.saving = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="editor-title", markup=False)
            area = NoteTextArea.code_editor(
                self.saved_text,
                language=markdown_language(),
                theme="css",
                soft_wrap=True,
                id="editor-text",
            )
            yield area
            yield Static(
                "ctrl+s save · escape close · [[ links a note", id="editor-hint", markup=False
            )
        completion = LinkCompletion(id="link-completion")
        area.completion = completion
        yield completion

    def on_mount(self) -> None:
        self.show_state()
        self.query_one(NoteTextArea).focus()
        self.load_targets()

    @work(thread=True, group="editor-targets", exit_on_error=False)
    def load_targets(self) -> None:
        targets = [(t.title, tuple(t.aliases)) for t in self.session.switch_targets()]
        self.app.call_from_thread(self.query_one(LinkCompletion).set_targets, targets)

    @property
    def text(self) -> str:
        return self.query_one(NoteTextArea).text

    @property
    def modified(self) -> bool:
        return self.text != self.saved_text

    def show_state(self) -> None:
        mark = " ● modified" if self.modified else ""
        self.query_one("#editor-title", Static).update(f"editing {self.path}{mark}")

    # --- [[ completion ---------------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self.show_state()
        self._complete()

    def on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        # Moving the cursor only updates an open list (or closes it): the arrow keys must
        # not open it while they pass through a link written earlier.
        if self.query_one(LinkCompletion).display:
            self._complete()

    def _complete(self) -> None:
        """Show the list for an unfinished ``[[name`` before the cursor, else hide it."""
        area = self.query_one(NoteTextArea)
        completion = self.query_one(LinkCompletion)
        row, column = area.cursor_location
        found = _OPEN_LINK.search(area.document.get_line(row)[:column])
        if found is None or not area.selection.is_empty or not completion.show_for(found[1]):
            completion.display = False
            return
        x, y = area.cursor_screen_offset
        completion.styles.offset = (max(0, x - len(found[1]) - 2), y + 1)

    def on_link_completion_chosen(self, event: LinkCompletion.Chosen) -> None:
        area = self.query_one(NoteTextArea)
        row, column = area.cursor_location
        line = area.document.get_line(row)
        found = _OPEN_LINK.search(line[:column])
        if found is None:
            return
        start = (row, column - len(found[1]))
        if line[column:].startswith("]]"):  # already closed: insert the name, step past
            area.replace(event.name, start, (row, column))
            area.move_cursor((row, start[1] + len(event.name) + 2))
        else:
            area.replace(event.name + "]]", start, (row, column))
        self.query_one(LinkCompletion).display = False

    # --- saving and closing ------------------------------------------------------------------

    def action_save(self) -> None:
        if self.saving:
            return
        if not self.modified:
            self.app.notify("no changes to save")
            return
        self.saving = True
        self.run_worker(
            partial(self._save, self.text, self.base),
            thread=True,
            group="editor-save",
            exit_on_error=False,
        )

    def _save(self, text: str, base: bytes) -> None:
        """Worker: write the note; the outcome goes back to the UI thread."""
        try:
            written = self.session.save_note_text(self.path, text, base)
        except (UserError, OSError) as refusal:
            self.app.call_from_thread(self._save_failed, str(refusal))
            return
        except Exception as exc:  # never a traceback over the user's unsaved text
            self.app.call_from_thread(self._save_failed, f"saving failed ({exc})")
            return
        self.app.call_from_thread(self._saved, text, written)

    def _saved(self, text: str, written: bytes | None) -> None:
        self.saving = False
        self.saved_text = text
        if written is not None:
            self.base = written
            self.post_message(self.Saved(self.path))
            self.app.notify(f"saved {self.path}")
        self.show_state()

    def _save_failed(self, why: str) -> None:
        self.saving = False
        self.app.notify(why, severity="error")

    def action_close(self) -> None:
        completion = self.query_one(LinkCompletion)
        if completion.display:
            completion.display = False
            return
        if not self.modified:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmScreen(
                f"{self.path} has unsaved changes. Close the editor and lose them?",
                yes="Discard changes",
                no="Keep editing",
                id="confirm-discard",
            ),
            callback=self._close_answered,
        )

    def _close_answered(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(None)
