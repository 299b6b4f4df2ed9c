"""NotebaseApp: the keys, the workers and the wiring; screens and widgets do the rest.

The app's keys (``KEYS`` lists every key, ``?`` shows it): ``/`` search, ``t`` tags, ``o``
questions, ``ctrl+o`` the quick switcher (whose "create" row opens ``n``'s dialog), ``r`` /
``R`` / ``ctrl+r`` run the open note's experiment (quick; on several processes), ``x``
cancel it, ``ctrl+p`` the command palette, ``q`` quit. The keys that change notes (``n``,
``e``, ``E``, ``F2``, ``D``) are `WriteActions` (``write_actions.py``, mixed in); the
main screen binds its own (history ``[`` ``]``, ``h`` outline, ``l`` / ``f``, ``b`` /
``p`` panels), and the lists, tag tree and note ``j k g G``.

Start-up paints first, then loads the vault (from its cache) and the search index on
worker threads. A file watcher keeps both current: the files it names are re-read (and
re-indexed) on a worker, which reports what changed; the screens redraw only that.
Experiments run in a subprocess (see ``notebase.tui.runs``), so the app never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.worker import Worker, WorkerState

from notebase.tui.commands import NotebaseCommands
from notebase.tui.messages import IndexReady, RunEvent, RunFinished, VaultChanged, VaultLoaded
from notebase.tui.runs import RunHandle, RunRequest, execute, process_counts
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.modals import ChooseScreen, ConfirmScreen, HelpScreen
from notebase.tui.screens.questions import QuestionsScreen
from notebase.tui.screens.search import SearchScreen
from notebase.tui.screens.switcher import SwitcherScreen
from notebase.tui.session import VaultSession
from notebase.tui.write_actions import WriteActions

KEYS = [
    ("/", 'search the vault: words, "phrases", tag:x, -word; Enter opens a hit'),
    ("t", "focus the tag tree; Enter on a tag lists its notes (nested tags included)"),
    ("o", "questions of the whole vault, open and answered; Enter opens the note"),
    ("r", "run the open note's experiment (choose one if it links several)"),
    ("R", "the same with the spec's [quick] settings"),
    ("ctrl+r", "run on several processes (torchrun, gloo on CPU, NCCL on GPUs): choose how many"),
    ("x", "cancel the running experiment (the note stays unchanged)"),
    ("Enter", "open the highlighted note / follow the side-panel entry"),
    ("Escape / backspace", "back to the previous note; close a dialog"),
    ("[ / alt+←", "back to the previous note"),
    ("] / alt+→", "forward again to the note you went back from"),
    ("ctrl+o", "quick switcher: open a note by title, alias or path (fuzzy; ㅁㅌ finds 메타…)"),
    ("h", "outline of the open note; Enter jumps to the heading"),
    ("j k g G", "down / up / top / bottom in the list, tags, side panel or note"),
    ("ctrl+p", "command palette: every action by name"),
    ("f / l", "focus the filter box / the note list"),
    ("n", "new note: title (Korean welcome), folder (the open note's), tags (the tag shown)"),
    ("e", "edit the open note in $VISUAL / $EDITOR (else vi); shown again when it exits"),
    ("E", "edit the open note here (ctrl+s saves, escape closes, [[ completes a link)"),
    ("F2", "rename the open note; shows the links in other notes it rewrites first"),
    ("D", "move the open note to the vault's .trash/ folder (asks first)"),
    ("Tab", "move between list, tags, note and side panel"),
    ("b", "show / hide the left panel (filter, note list, tags); hidden below 70 columns"),
    ("p", "show / hide the side panel (links, citations, questions); hidden below 100 columns"),
    (
        "Escape / Enter / ↓ in the filter",
        "Escape clears the filter, a second Escape leaves it; Enter goes to the list "
        "(opening the note if only one matches); ↓ goes to the list",
    ),
    ("?", "this help"),
    ("q / ctrl+q / ctrl+c", "quit (asks first while an experiment is running)"),
]
"""Every key of the app (the help screen shows this table)."""

# Notifications stay up this long; errors a little longer.
NOTIFY_SECONDS = 6

# A re-read waits at most this long for the screen to redraw before it re-indexes.
REINDEX_WAIT_SECONDS = 2.0


class NotebaseApp(WriteActions, App):
    """The notebase terminal app; build it with ``make_app``."""

    CSS_PATH = "app.tcss"
    TITLE = "notebase"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("t", "focus_tags", "Tags", id="app.tags"),
        Binding("o", "questions", "Questions", id="app.questions"),
        Binding("r", "run(False)", "Run", id="app.run"),
        Binding("R", "run(True)", "Run quick", show=False, id="app.run_quick"),
        Binding("ctrl+r", "run_distributed", "Run on processes", show=False, id="app.run_nproc"),
        # x: the first while a run is on (in the footer then), else the second, which says
        # there is none (check_action enables exactly one of them).
        Binding("x", "cancel_run", "Cancel run", id="app.cancel_run"),
        Binding("x", "no_run_to_cancel", "Cancel run", show=False, id="app.cancel_none"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("ctrl+o", "switcher", "Open", id="app.switcher"),
        Binding("n", "new_note", "New", id="app.new_note"),
        Binding("e", "edit_external", "Edit", show=False, id="app.edit_external"),
        Binding("E", "edit_here", "Edit here", id="app.edit_here"),
        Binding("f2", "rename_note", "Rename", show=False, id="app.rename_note"),
        Binding("D", "delete_note", "Delete", show=False, id="app.delete_note"),
    ]
    COMMANDS = App.COMMANDS | {NotebaseCommands}

    def __init__(
        self,
        session: VaultSession,
        *,
        watch: bool = True,
        startup_probe: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.watch_files = watch
        self.startup_probe = startup_probe
        self._run_request: RunRequest | None = None
        self.runner: RunHandle | None = None
        self.cancel_requested = False
        """x was pressed before the runner process existed."""
        self.notification_log: list[tuple[str, str]] = []
        """``(severity, message)`` of every notification shown, oldest first."""
        self.main_screen: MainScreen | None = None

    def get_default_screen(self) -> MainScreen:
        self.main_screen = MainScreen(self.session)
        return self.main_screen

    def start_loading(self) -> None:
        """Called by the main screen once it is composed: paint first, then load."""
        if self.startup_probe is not None:
            self.call_after_refresh(self.startup_probe, "painted")
        self.run_worker(self._load_vault, thread=True, group="load", exit_on_error=False)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity="information",
        timeout=None,
        markup: bool = False,
    ) -> None:
        self.notification_log.append((severity, message))
        if timeout is None:
            timeout = NOTIFY_SECONDS * (2 if severity == "error" else 1)
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # --- loading and watching -----------------------------------------------------------------

    def _load_vault(self) -> None:
        self.post_message(VaultLoaded(self.session.load()))

    def _open_index(self) -> None:
        error = self.session.open_index()
        if error:
            self.call_from_thread(self.notify, error, severity="warning")
        self.post_message(IndexReady())

    def on_index_ready(self) -> None:
        if isinstance(self.screen, SearchScreen):
            self.screen.index_ready()

    async def on_vault_loaded(self, message: VaultLoaded) -> None:
        self.main_screen.vault_loaded(message.listing)
        invalid = message.listing.invalid
        if invalid:
            listed = "; ".join(f"{path}: {error}" for path, error in invalid[:3])
            more = f" (+{len(invalid) - 3} more)" if len(invalid) > 3 else ""
            self.notify(
                f"{len(invalid)} note(s) could not be read: {listed}{more}",
                severity="warning",
            )
        if self.startup_probe is not None:
            self.call_after_refresh(self.startup_probe, "loaded")
        # The index is checked once the list is on screen (it stats every note).
        self.call_after_refresh(
            self.run_worker, self._open_index, thread=True, group="index", exit_on_error=False
        )
        if self.watch_files:
            self.run_worker(self._watch_vault, group="watch", exit_on_error=False)

    async def _watch_vault(self) -> None:
        from watchfiles import awatch  # only needed once the app is up

        root = self.session.vault_root

        def in_vault(_change, path: str) -> bool:
            # Any file or folder outside hidden folders (.notebase holds our own cache and
            # index): a renamed folder reports only the folder, and the session re-scans.
            try:
                parts = Path(path).relative_to(root).parts
            except ValueError:
                return False
            return not any(part.startswith(".") for part in parts)

        async for changes in awatch(root, watch_filter=in_vault, debounce=300, step=50):
            self.apply_changes([path for _change, path in changes])

    def apply_changes(self, paths: list[str]) -> None:
        """Re-read the files a watcher named on a worker; the screens redraw what it reports."""
        shown = self.main_screen.tag, self.main_screen.current_path
        self.run_worker(
            partial(self._reread, self.session.apply_changes, paths, *shown),
            thread=True,
            group="refresh",
            exit_on_error=False,
        )

    def refresh_vault(self) -> None:
        """Re-scan the whole vault on a worker (a run wrote a note); the same redraw."""
        shown = self.main_screen.tag, self.main_screen.current_path
        self.run_worker(
            partial(self._reread, self.session.refresh, *shown),
            thread=True,
            group="refresh",
            exit_on_error=False,
        )

    def _reread(self, reread: Callable, *args) -> None:
        update = reread(*args)
        if update is not None:
            message = VaultChanged(update)
            self.post_message(message)
            message.shown.wait(REINDEX_WAIT_SECONDS)  # the screen first, then the index
            self.session.reindex(update.changed)

    def on_vault_changed(self, message: VaultChanged) -> None:
        try:
            self.main_screen.vault_changed(message.update)
        except BaseException:
            message.shown.set()
            raise
        self.main_screen.call_after_refresh(message.shown.set)  # once it is painted
        for path, errors in message.update.broken:
            self.notify(f"{path} could not be read: {errors}", severity="warning")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            what = {
                "load": "loading the vault",
                "index": "opening the search index",
                "watch": "watching the vault",
                "refresh": "re-reading the vault",
                "quit": "closing the vault",
                "run": "the run",
                "write": "changing a note",
            }.get(event.worker.group, event.worker.group)
            self.notify(f"error while {what}: {error}", severity="error")
            if event.worker.group == "run":
                self.run_request = None
                self.runner = None

    # --- screens ---------------------------------------------------------------------------------

    async def _to_main(self) -> None:
        while self.screen is not self.main_screen and len(self.screen_stack) > 1:
            self.pop_screen()

    async def action_search(self) -> None:
        if isinstance(self.screen, SearchScreen):
            return
        await self._to_main()
        self.push_screen(SearchScreen(self.session), callback=self._open_from_screen)

    async def action_questions(self) -> None:
        if isinstance(self.screen, QuestionsScreen):
            return
        await self._to_main()
        self.push_screen(QuestionsScreen(self.session), callback=self._open_question)

    async def _open_from_screen(self, path: str | None) -> None:
        if path:
            await self.main_screen.open_note(path)

    def _open_question(self, chosen: tuple[str, int] | None) -> None:
        """The questions view's ``(path, number)``: the note, scrolled to that question."""
        if chosen:
            self.main_screen.open_question(*chosen)

    async def action_focus_tags(self) -> None:
        await self._to_main()
        self.main_screen.focus_tags()

    async def action_switcher(self) -> None:
        if isinstance(self.screen, SwitcherScreen):
            return
        await self._to_main()
        self.push_screen(SwitcherScreen(self.session, id="switcher"), callback=self._switched)

    def _switched(self, choice: tuple[str, str] | None) -> None:
        """The switcher's ``("open", path)``, or ``("create", name)``: ``n``'s dialog with
        ``name`` as the title."""
        if choice is None:
            return
        what, value = choice
        if what == "open":
            self.main_screen.open_path(value)
        else:
            self.action_new_note(value)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_keys()))

    def help_keys(self) -> list[tuple[str, str]]:
        """``KEYS``, then any key the app or the main screen binds that ``KEYS`` leaves out
        (with its binding's description), so that the help never misses one."""
        named = {token.casefold() for key, _ in KEYS for token in key.split()}
        rows = list(KEYS)
        for binding in Binding.make_bindings([*MainScreen.BINDINGS, *self.BINDINGS]):
            display = self.get_key_display(binding)
            if binding.description and not {display.casefold(), binding.key.casefold()} & named:
                rows.append((display, binding.description))
                named.add(display.casefold())
        return rows

    # --- runs --------------------------------------------------------------------------------------

    def action_run_distributed(self) -> None:
        """``r`` on several processes: how many first (up to the CPUs, or the GPUs)."""
        choices = [(str(n), f"{n} processes") for n in process_counts()]
        if not choices:
            self.notify("this machine has one CPU and at most one GPU", severity="warning")
            return
        self.push_screen(
            ChooseScreen("Run on how many processes?", choices, id="choose-nproc"),
            callback=lambda n: n and self.action_run(False, int(n)),
        )

    def action_run(self, quick: bool, nproc: int = 1) -> None:
        if self.run_request is not None:
            self.notify(
                f"{self.run_request.experiment} is still running (x cancels it)", severity="warning"
            )
            return
        note = self.main_screen.current_note
        if note is None:
            self.notify("open a note first", severity="warning")
            return
        names = self.session.linked_experiments(note)
        if not names:
            self.notify(f"{note.path} links no experiment", severity="warning")
            return
        if len(names) == 1:
            self.start_run(note.path, names[0], quick, nproc)
            return
        choices = [(name, name) for name in names]
        title = f"Run which experiment{' (quick)' if quick else ''}?"
        self.push_screen(
            ChooseScreen(title, choices, id="choose-experiment"),
            callback=lambda name: name and self.start_run(note.path, name, quick, nproc),
        )

    def start_run(self, note_path: str, experiment: str, quick: bool, nproc: int = 1) -> None:
        spec_path, error = self.session.find_spec(experiment)
        if spec_path is None:
            self.notify(error or f"no spec for experiment {experiment}", severity="error")
            return
        request = RunRequest(
            note_path=note_path,
            experiment=experiment,
            quick=quick,
            vault_root=self.session.vault_root,
            experiments_dir=self.session.experiments_dir,
            nproc=nproc,
        )
        self.run_request = request
        self.cancel_requested = False
        self.main_screen.query_one("#run").start(request)
        self.run_worker(partial(self._run, request), thread=True, group="run", exit_on_error=False)

    def _run(self, request: RunRequest) -> None:
        def on_event(event: dict) -> None:
            self.post_message(RunEvent(request, event))

        def handle_ready(handle: RunHandle) -> None:
            self.runner = handle
            if self.cancel_requested:  # x was pressed before the run got its handle
                handle.cancel()

        # The note's real file and the vault's settings, as the session read the notes.
        note_file, config = self.session.run_target(request.note_path)
        outcome = execute(request, note_file, config, on_event, handle_ready)
        self.post_message(RunFinished(request, outcome))

    def on_run_event(self, message: RunEvent) -> None:
        self.main_screen.query_one("#run").show_event(message.event)

    def on_run_finished(self, message: RunFinished) -> None:
        outcome = message.outcome  # a note_runs.RunOutcome
        self.run_request = None
        self.runner = None
        self.main_screen.query_one("#run").finish(outcome)
        severity = {
            "written": "information", "preview": "information", "sidecar": "warning",
            "cancelled": "warning",
        }
        self.notify(outcome.message(), severity=severity.get(outcome.ending, "error"))
        if outcome.ending in ("written", "sidecar"):
            self.refresh_vault()  # show the results block now, without waiting for the watcher

    def action_cancel_run(self) -> None:
        runner = self.runner
        if runner is None:
            if self.run_request is not None:
                self.cancel_requested = True
                self.notify(f"cancelling {self.run_request.experiment}…")
            else:
                self.notify("no run in progress", severity="warning")
            return
        self.notify(f"cancelling {runner.request.experiment}…")
        runner.cancel()  # the run's own thread sends the SIGINT and waits for the runner

    @property
    def run_request(self) -> RunRequest | None:
        """The run in progress, if any (one at a time)."""
        return self._run_request

    @run_request.setter
    def run_request(self, request: RunRequest | None) -> None:
        self._run_request = request
        self.refresh_bindings()  # x Cancel run is in the footer while a run is on

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """x runs one of its two actions: ``cancel_run`` while a run is on (then in the
        footer), else ``no_run_to_cancel`` (never shown); the palette lists only that one."""
        if action == "cancel_run":
            return self._run_request is not None
        if action == "no_run_to_cancel":
            return self._run_request is None
        return True

    def action_no_run_to_cancel(self) -> None:
        self.notify("no run in progress", severity="warning")

    async def action_help_quit(self) -> None:
        """ctrl+c (Textual's own note says "Press [b]ctrl+q[/b]", markup this app's
        ``notify`` shows as typed): the same as q, confirmation included."""
        await self.action_quit()

    async def action_quit(self) -> None:
        """Quit; while an experiment runs, only once the user confirms cancelling it."""
        if isinstance(self.screen, ConfirmScreen):
            return
        if self.run_request is not None:
            question = (
                f"An experiment is running ({self.run_request.experiment}); quit and cancel it?"
            )
            self.push_screen(
                ConfirmScreen(question, yes="Quit and cancel", no="Keep running", id="confirm-quit"),
                callback=self._quit_confirmed,
            )
            return
        self._close()

    def _quit_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._close()

    def _close(self) -> None:
        runner = self.runner
        if runner is not None:
            runner.cancel()
        elif self.run_request is not None:
            self.cancel_requested = True
        # Closing may save the notes cache (~0.8 s at 10,000 notes): not on the UI thread.
        self.run_worker(self._close_and_exit, thread=True, group="quit", exit_on_error=False)

    def _close_and_exit(self) -> None:
        try:
            self.session.close()
        finally:
            self.call_from_thread(self.exit)


def make_app(
    vault_root: Path | str,
    experiments_dir: Path | str,
    *,
    watch: bool = True,
    use_cache: bool = True,
    startup_probe: Callable[[str], None] | None = None,
) -> NotebaseApp:
    """Build the app on a vault folder and an experiments folder (the CLI and tests use this).

    ``watch``: follow changes on disk; ``use_cache``: read unchanged notes from the vault's
    cache; ``startup_probe(stage)`` is called after the first paint (``"painted"``) and once
    the notes are listed (``"loaded"``), for the start-up benchmark.
    """
    session = VaultSession(Path(vault_root), Path(experiments_dir), use_cache=use_cache)
    return NotebaseApp(session, watch=watch, startup_probe=startup_probe)
