"""The command palette's notebase commands (ctrl+p): every action of the app by name.

``NotebaseCommands`` lists the actions of ``ACTIONS`` and every other bound action of the app
and of the main screen (so an action another part of the app binds later shows up too),
each with a help text and its key. An action that neither the app nor the main screen has
is skipped, and so is one its ``check_action`` disables now: of x's two "Cancel run"
actions only one is listed, ``cancel_run`` while a run is on, else ``no_run_to_cancel``
(which says none is running). Choosing one runs it as its key would (on the app, or on the
main screen after the palette closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.actions import ActionError, parse
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

ACTIONS: list[tuple[str, str, str]] = [
    ("search", "Search", 'full-text search: words, "phrases", tag:x, -word'),
    ("switcher", "Quick switcher", "open a note by title, alias or path (fuzzy, 한글 초성)"),
    ("outline", "Outline", "the open note's headings; Enter jumps to one"),
    ("back", "Back", "the previous note of the history"),
    ("forward", "Forward", "the note gone back from"),
    ("focus_tags", "Tags", "the tag tree; Enter on a tag lists its notes"),
    ("questions", "Questions", "every question of the vault, open and answered"),
    ("run(False)", "Run experiment", "run the open note's experiment, results into the note"),
    ("run(True)", "Run experiment (quick)", "the same with the spec's [quick] settings"),
    ("run_distributed", "Run on several processes", "the same through torchrun: choose how many"),
    ("cancel_run", "Cancel run", "stop the running experiment; the note stays unchanged"),
    ("no_run_to_cancel", "Cancel run", "stop the running experiment (none is running now)"),
    ("new_note", "New note", "create a note (in the open note's folder)"),
    ("edit_external", "Edit note", "the open note in $VISUAL / $EDITOR"),
    ("edit_here", "Edit note here", "the open note in the app's own editor"),
    ("rename_note", "Rename note", "rename the open note"),
    ("delete_note", "Delete note", "delete the open note"),
    ("toggle_panel('left')", "Toggle left panel", "show or hide the note list and tags"),
    ("toggle_panel('side')", "Toggle side panel", "show or hide links, backlinks and the rest"),
    ("focus_notes", "Focus note list", "move to the note list"),
    ("focus_filter", "Filter notes", "type to narrow the note list"),
    ("help", "Help", "every key of the app"),
    ("quit", "Quit", "close the vault and leave"),
]
"""``(action, title, help)`` of the commands listed first, in this order."""


@dataclass(frozen=True, slots=True)
class Command:
    """One command: its title, help text (with its key) and what runs it."""

    title: str
    help: str
    action: str
    target: object
    """The app or the main screen: where ``action`` is run."""


def notebase_commands(app) -> list[Command]:
    """The commands the app can run now, known ones first, then other bound actions."""
    main = getattr(app, "main_screen", None)
    targets = [app] + ([main] if main is not None else [])
    keys: dict[str, list[str]] = {}
    described: dict[str, str] = {}
    for target in targets:
        for binding in Binding.make_bindings(getattr(type(target), "BINDINGS", [])):
            keys.setdefault(binding.action, []).append(app.get_key_display(binding))
            if binding.description:
                described.setdefault(binding.action, binding.description)

    def target_of(action: str):
        try:
            _namespace, name, parameters = parse(action)
        except ActionError:
            return None
        for target in targets:
            if hasattr(target, f"action_{name}"):
                enabled = target.check_action(name, parameters)
                return target if enabled is not False else None
        return None

    commands: list[Command] = []
    seen: set[str] = set()
    known = [(action, title, text) for action, title, text in ACTIONS]
    known += [(action, described[action], "") for action in keys if action in described]
    for action, title, text in known:
        target = target_of(action)
        if action in seen or target is None:
            continue
        seen.add(action)
        bound = keys.get(action)
        help_text = text or title
        if bound:
            help_text += f"  · key {' / '.join(dict.fromkeys(bound))}"
        commands.append(Command(title, help_text, action, target))
    return commands


class NotebaseCommands(Provider):
    """notebase's actions in Textual's command palette."""

    def _commands(self) -> list[Command]:
        return notebase_commands(self.app)

    def _run(self, command: Command):
        return self.app.run_action(command.action, command.target)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(
                escape(command.title),
                partial(self._run, command),
                text=command.title,
                help=escape(command.help),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = max(matcher.match(command.title), matcher.match(command.help) * 0.5)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self._run, command),
                    text=command.title,
                    help=escape(command.help),
                )
