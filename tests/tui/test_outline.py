"""The outline (h): the open note's headings, indented by level; Enter scrolls the body."""

from __future__ import annotations

import pytest

from notebase.tui.app import make_app
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.outline import OutlineScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.row_list import RowList

from .conftest import SIZE, settle, wait_for

LONG = "긴 노트.md"


def long_note() -> str:
    parts = ["---\ntitle: 긴 노트\n---\n# 긴 노트\n"]
    for section in ("첫째", "둘째", "셋째"):
        parts.append(f"## {section}\n")
        parts.append(f"### 요약\n\n{section} 절의 요약.\n")  # the same text three times
        parts.extend(f"{section} 문단 {n}: 내용이 이어진다.\n" for n in range(25))
    return "\n".join(parts)


@pytest.fixture
def long_app(vault_dirs):
    vault, experiments = vault_dirs
    (vault / LONG).write_text(long_note(), encoding="utf-8")
    return make_app(vault, experiments, watch=False)


def line_text(body: NoteBody, line: int) -> str:
    return "".join(segment.text for segment in body.lines[line])


async def open_long(app, pilot) -> NoteBody:
    await settle(app, pilot)
    await app.main_screen.open_note(LONG, push=False)
    await settle(app, pilot)
    body = app.main_screen.query_one(NoteBody)
    assert await wait_for(pilot, lambda: body.source and "셋째" in body.source)
    return body


async def test_outline_lists_headings_indented_and_jumps(long_app):
    app = long_app
    async with app.run_test(size=SIZE) as pilot:
        body = await open_long(app, pilot)
        assert body.scroll_y == 0
        await pilot.press("h")
        assert await wait_for(pilot, lambda: isinstance(app.screen, OutlineScreen))
        rows = app.screen.query_one("#outline-list", RowList)
        texts = [row.text.plain for row in rows.rows]
        assert texts[:3] == ["# 긴 노트", "  ## 첫째", "    ### 요약"]
        assert len(texts) == 7
        assert rows.highlighted_key == rows.rows[0].key  # at the top: the first heading
        # The third "요약": the same text as two others, its own line.
        for _ in range(6):
            await pilot.press("j")
        assert rows.highlighted_key == rows.rows[6].key
        target = int(rows.rows[6].key)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert await wait_for(pilot, lambda: body.scroll_y == target)
        assert target > body.size.height  # it did scroll
        assert "요약" in line_text(body, int(body.scroll_y))
        assert "셋째" in line_text(body, int(body.scroll_y) + 2)
        assert app.focused is body
        # Opened again, the outline starts on the heading shown at the top.
        await pilot.press("h")
        assert await wait_for(pilot, lambda: isinstance(app.screen, OutlineScreen))
        assert app.screen.query_one("#outline-list", RowList).highlighted_key == str(target)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert body.scroll_y == target


async def test_outline_of_a_note_without_headings_says_so(vault_dirs):
    vault, experiments = vault_dirs
    (vault / "평문.md").write_text("그냥 문장.\n", encoding="utf-8")
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note("평문.md", push=False)
        await settle(app, pilot)
        await pilot.press("h")
        assert await wait_for(pilot, lambda: isinstance(app.screen, OutlineScreen))
        rows = app.screen.query_one("#outline-list", RowList)
        assert rows.rows == [] and "no headings" in rows.empty_text
        await pilot.press("enter")  # nothing to jump to
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
