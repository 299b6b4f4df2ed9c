"""The command palette (ctrl+p) lists notebase's actions and runs them."""

from __future__ import annotations

from textual.actions import parse
from textual.binding import Binding
from textual.command import CommandList, CommandPalette

from notebase.tui.commands import notebase_commands
from notebase.tui.runs import RunRequest
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.outline import OutlineScreen
from notebase.tui.screens.questions import QuestionsScreen
from notebase.tui.screens.switcher import SwitcherScreen

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"


def hits(app) -> list:
    results = app.screen.query_one(CommandList)
    return [results.get_option_at_index(i).hit for i in range(results.option_count)]


async def test_commands_cover_the_actions_with_help_and_keys(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        commands = {command.action: command for command in notebase_commands(app)}
        for action in (
            "search", "switcher", "outline", "back", "forward", "focus_tags", "questions",
            "run(False)", "run(True)", "help", "quit",
        ):  # fmt: skip
            assert action in commands, action
            assert commands[action].help
        # One "Cancel run" (whichever action x runs while no run is on).
        assert [c.title for c in commands.values()].count("Cancel run") == 1
        assert commands["switcher"].help.endswith("· key ^o")
        assert "[" in commands["back"].help and "alt+" in commands["back"].help
        assert commands["outline"].target is app.main_screen
        assert commands["search"].target is app
        # Every key's action is offered (those other parts of the app bind too).
        for target in (app, app.main_screen):
            for binding in Binding.make_bindings(type(target).BINDINGS):
                _ns, name, params = parse(binding.action)
                if target.check_action(name, params) is not False:
                    assert binding.action in commands, binding.action
        # An action nothing defines is not offered.
        assert all(hasattr(c.target, f"action_{c.action.split('(')[0]}") for c in commands.values())


async def test_palette_lists_notebase_actions_and_runs_one(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        # With nothing typed: every command (discovery), ours among Textual's own.
        assert await wait_for(pilot, lambda: len(hits(app)) > 10)
        titles = {hit.text for hit in hits(app)}
        assert {"Quick switcher", "Outline", "Back", "Forward", "Questions"} <= titles
        assert {"Search", "Run experiment", "Cancel run", "Quit"} <= titles
        for char in "questions":
            await pilot.press(char)
        assert await wait_for(pilot, lambda: hits(app) and hits(app)[0].text == "Questions")
        assert "vault" in hits(app)[0].help
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, QuestionsScreen))


async def test_palette_runs_a_main_screen_action_and_the_switcher(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        for char in "outline":
            await pilot.press(char)
        assert await wait_for(pilot, lambda: hits(app) and hits(app)[0].text == "Outline")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, OutlineScreen))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("ctrl+p")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        for char in "quick sw":
            await pilot.press("space" if char == " " else char)
        assert await wait_for(pilot, lambda: hits(app) and hits(app)[0].text == "Quick switcher")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SwitcherScreen))


async def test_one_cancel_run_command_while_a_run_is_on(app):
    """With a run in progress the palette offers x's cancel_run, and only that one "Cancel
    run" (not also the "none is running" one); without a run, only the latter."""
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        cancels = [c.action for c in notebase_commands(app) if c.title == "Cancel run"]
        assert cancels == ["no_run_to_cancel"]
        app.run_request = RunRequest(note_path=COST, experiment="tiny")  # as start_run sets it
        try:
            cancels = [c.action for c in notebase_commands(app) if c.title == "Cancel run"]
            assert cancels == ["cancel_run"]
            await pilot.press("ctrl+p")
            assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            for char in "cancel":
                await pilot.press(char)
            assert await wait_for(
                pilot, lambda: bool(hits(app)) and hits(app)[0].text == "Cancel run"
            )
            assert [hit.text for hit in hits(app)].count("Cancel run") == 1
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: app.cancel_requested)
            assert any("cancelling tiny" in m for _, m in app.notification_log)
        finally:
            app.run_request = None
