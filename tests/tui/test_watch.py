"""Files changed under the running app: only they are re-read, and the screen follows.

Real files in a tmp vault, the real watcher (``watchfiles``) and index; the vault's folder
scan and note reader are wrapped to count what the app reads after it has loaded.
"""

from __future__ import annotations

import threading

import pytest
from textual.widgets import Input, Static

from notebase.core import vault as vault_module
from notebase.tui.app import make_app
from notebase.tui.screens.search import SearchScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.tag_tree import TagTree

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"


@pytest.fixture
def reads(monkeypatch) -> dict[str, list]:
    """Every folder scan and every note read by the vault, from the moment it is created."""
    seen: dict[str, list] = {"scans": [], "notes": []}
    scan, read = vault_module.scan_files, vault_module.read_note_file

    def counted_scan(root, config=None):
        seen["scans"].append(root)
        return scan(root, config)

    def counted_read(file, config):
        seen["notes"].append(file.path)
        return read(file, config)

    monkeypatch.setattr(vault_module, "scan_files", counted_scan)
    monkeypatch.setattr(vault_module, "read_note_file", counted_read)
    return seen


def listed(app) -> list[str]:
    return [row.key for row in app.main_screen.query_one(NoteList).rows]


def tags(app) -> set[str]:
    found, stack = set(), [app.main_screen.query_one(TagTree).root]
    while stack:
        node = stack.pop()
        found.add(node.data)
        stack.extend(node.children)
    return found


async def test_an_edited_note_is_re_read_alone_and_redrawn(vault_dirs, reads):
    vault, experiments = vault_dirs
    app = make_app(vault, experiments, watch=True, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)
        assert reads["scans"] and len(reads["notes"]) == 4  # the load
        reads["scans"].clear()
        reads["notes"].clear()

        note = vault / COST
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("내부 루프 때문이다", "외부 루프의 새로운 문장이다"), "utf-8")
        maml = vault / MAML
        maml.write_text(maml.read_text("utf-8").replace("title: MAML", "title: 마믈"), "utf-8")

        body = app.main_screen.query_one(NoteBody)
        assert await wait_for(
            pilot,
            lambda: (
                "새로운 문장" in body.source
                and "마믈" in [row.title for row in app.main_screen.query_one(NoteList).all_rows]
            ),
        )
        assert reads["scans"] == []  # no look at the whole folder
        assert set(reads["notes"]) == {COST, MAML}  # no other note parsed
        # The open note's side panel shows the linked note's new title.
        side = [row.text.plain for row in app.main_screen.query_one("#side").rows]
        assert "→ 마믈" in side


async def test_a_deleted_note_goes_and_an_added_one_comes(vault_dirs, reads):
    vault, experiments = vault_dirs
    app = make_app(vault, experiments, watch=True, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note("일기.md", push=False)
        await settle(app, pilot)
        assert "life" in tags(app)
        reads["scans"].clear()

        (vault / "일기.md").unlink()
        (vault / "양자.md").write_text(
            "---\ntitle: 양자 얽힘\ntags: [물리]\n---\n얽힘은 [[MAML]]과 무관하다.\n", "utf-8"
        )
        assert await wait_for(
            pilot, lambda: "양자.md" in listed(app) and "일기.md" not in listed(app)
        )
        assert "물리" in tags(app) and "life" not in tags(app)
        note_view = app.main_screen.query_one("#note")
        header = note_view.query_one("#note-header", Static)
        assert "일기.md was deleted" in str(header.render())
        assert app.main_screen.current_path is None
        assert reads["scans"] == []

        # The new note is in the index: the search screen finds it, through the session.
        await pilot.press("slash")
        app.screen.query_one(Input).value = "얽힘"
        assert await wait_for(pilot, lambda: app.screen.searched_query == "얽힘")
        assert [hit.path for hit in app.screen.results] == ["양자.md"]
        # And it links MAML: MAML's page lists it as a backlink.
        maml = app.session.note_page(MAML)
        assert ("양자.md", "양자 얽힘") in maml.backlinks


async def test_search_waits_for_the_index_and_then_answers(vault_dirs):
    vault, experiments = vault_dirs
    app = make_app(vault, experiments, watch=False)
    release = threading.Event()
    open_index = app.session.open_index

    def held_open_index():
        release.wait(30)
        return open_index()

    app.session.open_index = held_open_index
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main_screen.current_path is not None)
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        app.screen.query_one(Input).value = "산책"
        status = app.screen.query_one("#search-status", Static)
        assert await wait_for(pilot, lambda: app.screen.searched_query == "산책")
        assert app.screen.results == []
        assert "loading" in str(status.render())
        release.set()
        assert await wait_for(pilot, lambda: [h.path for h in app.screen.results] == ["일기.md"])
        assert str(status.render()) == "1 hit"  # not "1 hits"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == "일기.md"
