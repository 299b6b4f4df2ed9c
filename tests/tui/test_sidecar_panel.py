"""A note's results sidecar is listed beside the note, never as a note, and Enter shows it
read-only with its results block rendered (Pilot, real vault)."""

from __future__ import annotations

import pytest

from notebase.core.note_writer import write_sidecar
from notebase.tui.app import make_app
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.side_panel import SidePanel
from tests.results_block_helpers import korean_block

from .conftest import SIZE, settle, wait_for, write_vault

COST = "메타러닝의 비용.md"
SIDECAR = "메타러닝의 비용.results.md"


async def test_sidecar_is_listed_beside_its_note_and_opens_read_only(tmp_path):
    vault, experiments = write_vault(tmp_path)
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)
        assert app.main_screen.page.sidecars == ()
        # A run could not write into the note: its results went beside it.
        write_sidecar(vault / COST, korean_block(), "the block was edited by hand")
        update = app.session.refresh(open_path=COST)  # what the app does after a run
        assert update is not None and update.page.sidecars == (SIDECAR,)
        app.main_screen.vault_changed(update)
        await settle(app, pilot)

        assert SIDECAR not in [row.key for row in app.main_screen.query_one(NoteList).rows]
        assert len(app.main_screen.query_one(NoteList).rows) == 4
        side = app.main_screen.query_one(SidePanel)
        texts = [row.text.plain for row in side.rows]
        assert f"⚠ results sidecar: {SIDECAR}" in texts
        side.focus()
        assert side.move_to_key(f"note:{SIDECAR}")
        await pilot.press("enter")
        body = app.main_screen.query_one(NoteBody)
        assert await wait_for(
            pilot,
            lambda: app.main_screen.page is not None and app.main_screen.page.path == SIDECAR,
        )
        await settle(app, pilot)
        page = app.main_screen.page
        assert page.sidecar_of == (COST, "메타러닝의 계산 비용")
        shown = "\n".join("".join(s.text for s in line) for line in body.lines)
        assert "Results for 메타러닝의 비용" in shown
        assert "peak memory" in shown and "39.1 KiB" in shown  # the block's table, rendered
        assert "<!--" not in shown and "notebase:results" not in shown
        texts = [row.text.plain for row in side.rows]
        assert "Results sidecar (read only)" in texts
        assert "← results of 메타러닝의 계산 비용" in texts
        assert page.experiments == () and page.questions == ()  # nothing to run or answer
        # Back to the note from the sidecar's panel.
        side.focus()
        assert side.move_to_key(f"note:{COST}")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.main_screen.page.path == COST)


def test_a_watched_sidecar_change_updates_its_notes_page_not_the_list(tmp_path):
    from notebase.tui.session import VaultSession

    vault, experiments = write_vault(tmp_path)
    session = VaultSession(vault, experiments, use_cache=False)
    listing = session.load()
    try:
        sidecar, _ = write_sidecar(vault / COST, korean_block(), "a broken marker")
        update = session.apply_changes([sidecar], open_path=COST)  # the watcher's event
        assert update is not None and update.page.sidecars == (SIDECAR,)
        assert [row.path for row in update.listing.rows] == [row.path for row in listing.rows]
        assert session.has_note(SIDECAR) and session.note_page(SIDECAR).sidecar_of[0] == COST
        sidecar.unlink()
        update = session.apply_changes([sidecar], open_path=COST)
        assert update is not None and update.page.sidecars == ()
        assert not session.has_note(SIDECAR) and session.note_page(SIDECAR) is None
    finally:
        session.close()


def test_a_sidecar_is_not_handed_to_the_editor(tmp_path):
    from notebase.core.note_ops import NoteOpError
    from notebase.tui.session import VaultSession

    vault, experiments = write_vault(tmp_path)
    write_sidecar(vault / COST, korean_block(), "a broken marker")
    session = VaultSession(vault, experiments, use_cache=False)
    session.load()
    try:
        assert session.note_file(COST) == vault / COST
        with pytest.raises(NoteOpError, match="read-only"):
            session.note_file(SIDECAR)
    finally:
        session.close()
