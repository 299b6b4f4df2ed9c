"""The keys that change notes, as actions of the app: ``n`` new note, ``e`` edit in
``$VISUAL``/``$EDITOR``, ``E`` the in-app editor, ``F2`` rename, ``D`` to the trash.

A mixin of `notebase.tui.app.NotebaseApp` (kept apart so that the app module stays the
wiring of reading and runs). The dialogs ask (``screens/note_dialogs.py``,
``screens/editor.py``); the session writes through ``notebase.core`` on a worker (group
``write``), then re-reads the files written the way the watcher's changes are re-read
(``NotebaseApp._reread``), so the main screen shows the result at once; the watcher, seeing
the same files later, finds nothing new. A refusal of the core (``NoteOpError``, a
``UserError``: one line) is a notification, never a traceback.

Which notes: the keys act on the open note of the main screen, and only while the main
screen is on top (in the editor ``F2`` or ``D`` do nothing); on a results sidecar (shown
read-only) they only say so. A new note goes into the open
note's folder (editable in the dialog) with the tag the list is narrowed to.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from textual.app import SuspendNotSupported

from notebase.errors import UserError
from notebase.tui.screens.editor import EditorScreen
from notebase.tui.screens.modals import ConfirmScreen
from notebase.tui.screens.note_dialogs import (
    NewNote,
    NewNoteScreen,
    RenamePreviewScreen,
    RenameScreen,
)
from notebase.tui.views import NotePage


class WriteActions:
    """``action_new_note``, ``action_edit_external``, ``action_edit_here``,
    ``action_rename_note``, ``action_delete_note`` and what they run on workers. Mixed into
    a Textual ``App`` that has ``session``, ``main_screen``, ``apply_changes`` and
    ``_reread`` (`notebase.tui.app.NotebaseApp`)."""

    def _note_to_change(self) -> NotePage | None:
        """The open note, when a key that changes it may act now (on the main screen): not
        a results sidecar, which is shown read-only."""
        if self.screen is not self.main_screen:
            return None
        page = self.main_screen.current_note
        if page is None:
            self.notify("open a note first", severity="warning")
        elif page.sidecar_of:
            self.notify(f"{page.path} is a results sidecar (read only)", severity="warning")
            return None
        return page

    def _write(
        self,
        write: Callable[[], Any],
        changed: Callable[[Any], list[str]],
        done: Callable[[Any], Any],
        shown: str | None = None,
    ) -> None:
        """On a worker: ``write()``, re-read the vault-relative paths ``changed(result)``
        (the update carries the page of ``shown``), show the update, then ``done(result)``."""
        self.run_worker(
            partial(self._write_worker, write, changed, done, shown),
            thread=True,
            group="write",
            exit_on_error=False,
        )

    def _write_worker(self, write, changed, done, shown: str | None) -> None:
        try:
            result = write()
        except (UserError, OSError) as refusal:
            self.call_from_thread(self.notify, str(refusal), severity="error")
            return
        root = self.session.vault_root
        paths = [root.joinpath(*path.split("/")) for path in changed(result)]
        self._reread(self.session.apply_changes, paths, self.main_screen.tag, shown)
        self.call_from_thread(done, result)

    def action_new_note(self, title: str = "") -> None:
        """``n`` (or "create" in the switcher, with its text): the new-note dialog, in the
        open note's folder, tagged with the tag the list shows."""
        if self.screen is not self.main_screen:
            return
        screen = self.main_screen
        current = screen.current_path
        folder = current.rpartition("/")[0] if current else ""
        tags = [screen.tag] if screen.tag else []
        self.push_screen(
            NewNoteScreen(self.session, title, folder, tags, id="new-note"),
            callback=self._create_note,
        )

    def _create_note(self, new: NewNote | None) -> None:
        if new is None:
            return
        create = partial(self.session.create_note, new.title, folder=new.folder, tags=new.tags)
        self._write(create, lambda path: [path], self._created)

    def _created(self, path: str) -> None:
        self.notify(f"created {path}")
        self.main_screen.open_path(path)

    def action_edit_external(self) -> None:
        """``e``: the open note in ``$VISUAL`` / ``$EDITOR`` (else ``vi``), the app suspended
        while it runs; then the note is re-read and shown. Where the app cannot hand the
        terminal over (headless, ``textual serve``) the editor runs without it."""
        page = self._note_to_change()
        if page is None:
            return
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            self.notify(f"cannot read the editor command {command!r} ({exc})", severity="error")
            return
        if not argv or shutil.which(argv[0]) is None:
            self.notify(f"editor {command!r} not found: set $VISUAL or $EDITOR", severity="error")
            return
        try:
            file = self.session.note_file(page.path)
        except UserError as refusal:
            self.notify(str(refusal), severity="error")
            return
        try:
            try:
                with self.suspend():
                    code = subprocess.call([*argv, str(file)])
            except SuspendNotSupported:
                code = subprocess.call(
                    [*argv, str(file)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        except OSError as exc:
            self.notify(f"cannot start {argv[0]} ({exc.strerror})", severity="error")
            return
        if code != 0:
            self.notify(f"{argv[0]} exited with status {code}", severity="warning")
        self.apply_changes([str(file)])

    def action_edit_here(self) -> None:
        """``E``: the open note's text in the in-app editor (read on a worker)."""
        page = self._note_to_change()
        if page is not None:
            self.run_worker(
                partial(self._open_editor, page.path),
                thread=True,
                group="write",
                exit_on_error=False,
            )

    def _open_editor(self, path: str) -> None:
        try:
            text, base = self.session.read_note_text(path)
        except UserError as refusal:
            self.call_from_thread(self.notify, str(refusal), severity="error")
            return
        editor = EditorScreen(self.session, path, text, base, id="editor")
        self.call_from_thread(self.push_screen, editor)

    def on_editor_screen_saved(self, message: EditorScreen.Saved) -> None:
        self.apply_changes([str(self.session.note_file(message.path))])

    def action_rename_note(self) -> None:
        """``F2``: the new name, then what the rename rewrites, then the rename."""
        page = self._note_to_change()
        if page is None:
            return
        stem = PurePosixPath(page.path).stem
        self.push_screen(
            RenameScreen(page.path, stem, id="rename"),
            callback=partial(self._plan_rename, page.path),
        )

    def _plan_rename(self, old: str, new: str | None) -> None:
        if new:
            self.run_worker(
                partial(self._planning, old, new), thread=True, group="write", exit_on_error=False
            )

    def _planning(self, old: str, new: str) -> None:
        try:
            plan = self.session.plan_rename(old, new)
        except (UserError, OSError) as refusal:
            self.call_from_thread(self.notify, str(refusal), severity="error")
            return
        moved = {new for _old, new in plan.moves}
        changes = [(change.path, change.links, change.path in moved) for change in plan.changes]
        preview = RenamePreviewScreen(
            plan.old, plan.new, changes, plan.problems, id="rename-preview"
        )
        confirmed = partial(self._rename_confirmed, plan)
        self.call_from_thread(partial(self.push_screen, preview, callback=confirmed))

    def _rename_confirmed(self, plan, yes: bool | None) -> None:
        if yes:
            self._write(
                partial(self.session.apply_rename, plan),
                lambda outcome: outcome[0],
                partial(self._renamed, plan),
                shown=plan.new,
            )

    def _renamed(self, plan, outcome: tuple[list[str], str | None]) -> None:
        """Show the renamed note; the history and the way forward name it by its new path."""
        old, new = plan.old, plan.new
        self.main_screen.rename_in_history(old, new)
        changed, problem = outcome
        if problem:
            self.notify(problem, severity="error")
            return
        moved = {path for move in plan.moves for path in move}
        others = len({path for path in changed if path not in moved})
        self.notify(
            f"renamed {old} → {new}" + (f"; links updated in {others} note(s)" if others else "")
        )

    def action_delete_note(self) -> None:
        """``D``: move the open note to ``.trash/`` once the user confirms."""
        page = self._note_to_change()
        if page is None:
            return
        question = f"Move “{page.title}” ({page.path}) to the vault's .trash/ folder?"
        self.push_screen(
            ConfirmScreen(question, yes="Move to trash", no="Keep", id="confirm-delete"),
            callback=partial(self._delete_confirmed, page.path),
        )

    def _delete_confirmed(self, path: str, yes: bool | None) -> None:
        if yes:
            self._write(
                partial(self.session.trash_note, path),
                lambda outcome: outcome[1],
                partial(self._deleted, path),
                shown=path,
            )

    async def _deleted(self, path: str, outcome: tuple[str, list[str]]) -> None:
        """Back to the previous note still there (if any)."""
        self.notify(f"moved {path} to {outcome[0]}")
        screen = self.main_screen
        screen.forget(path)
        if screen.current_path is None and any(map(self.session.has_note, screen.history)):
            await screen.action_back()
