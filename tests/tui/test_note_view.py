"""The note view scrolls to a heading a ``[[note#heading]]`` link names."""

from __future__ import annotations

import unicodedata

from textual.app import App, ComposeResult

from notebase.tui.views import NotePage
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_view import NoteView

FILLER = "\n".join(f"줄 {i}번의 본문." for i in range(80))
TEXT = f"""# 긴 노트

{FILLER}

## 질문 & 확장: 다음 단계

{FILLER}

## 질문 & 확장: 다음 단계

{FILLER}
"""


class ViewApp(App):
    def compose(self) -> ComposeResult:
        yield NoteView()


async def shown(pilot, view: NoteView) -> NoteBody:
    view.show(NotePage("긴 노트.md", "긴 노트", (), True, (), TEXT))
    await pilot.pause()
    return view.body


async def test_goto_heading_scrolls_to_the_first_heading_of_that_name():
    app = ViewApp()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(NoteView)
        scroll = await shown(pilot, view)
        assert scroll.scroll_y == 0
        # As a link writes it: no ':' or '&', other case, decomposed Hangul (macOS).
        assert view.goto_heading(unicodedata.normalize("NFD", "질문 확장 다음 단계"))
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        headings = [line for line, title in scroll.heading_lines() if title.startswith("질문")]
        assert len(headings) == 2
        # The first of the two headings is the top line of the view, not the second one.
        assert scroll.scroll_y == headings[0] > 0


async def test_goto_an_absent_heading_stays_put():
    app = ViewApp()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(NoteView)
        scroll = await shown(pilot, view)
        assert not view.goto_heading("없는 제목")
        await pilot.pause()
        assert scroll.scroll_y == 0
