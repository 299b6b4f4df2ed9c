"""Notes opened back to back (links followed, [ ] held, a rename then a delete) each move
the list's cursor, and each move posts a ``Highlighted`` that reaches the screen later. A
stale one must not open its note again: two of them re-opened each other for ever (the
app at 100% CPU, its memory growing), found while testing the history after a delete,
which is tested here too (``MainScreen.forget``)."""

from __future__ import annotations

import asyncio

from notebase.tui.widgets.note_list import NoteList

from .conftest import SIZE, settle

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"
DIARY = "일기.md"


async def test_notes_opened_back_to_back_do_not_reopen_each_other(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        for path in (MAML, DIARY, COST, DIARY):
            screen.open_path(path)  # no turn of the event loop between them
        await asyncio.wait_for(settle(app, pilot), 20)  # hung for ever before
        assert screen.current_path == DIARY
        assert screen.query_one(NoteList).highlighted_key == DIARY
        assert screen.history[-3:] == [MAML, DIARY, COST]
        assert screen.current_note is not None and screen.current_note.path == DIARY


async def test_delete_forgets_the_note_in_the_history_and_keeps_the_way_forward(app):
    from notebase.tui.screens.modals import ConfirmScreen

    from .conftest import wait_for

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        for path in (MAML, DIARY, COST, DIARY):  # DIARY twice in the history
            screen.open_path(path)
            assert await wait_for(
                pilot,
                lambda p=path: screen.current_note is not None and screen.current_note.path == p,
            )
        await pilot.press("left_square_bracket")  # back to COST: DIARY is the way forward
        assert await wait_for(pilot, lambda: screen.current_path == COST)
        await pilot.press("left_square_bracket")  # back to DIARY: COST, DIARY forward
        assert await wait_for(pilot, lambda: screen.current_path == DIARY)
        assert screen.forward == [DIARY, COST]
        await settle(app, pilot)

        await pilot.press("D")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        assert await wait_for(pilot, lambda: screen.current_path == MAML)
        assert DIARY not in screen.history and screen.forward == [COST]
        await pilot.press("right_square_bracket")
        assert await wait_for(pilot, lambda: screen.current_path == COST)
