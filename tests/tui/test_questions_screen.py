"""The questions view: plain text, long questions wrapped with their experiment in view,
and Enter opens the note at the question (Pilot, real vault)."""

from __future__ import annotations

from notebase.tui.app import make_app
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.questions import QuestionsScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.row_list import RowList

from .conftest import SIZE, settle, wait_for, write_vault

LONG = "긴 노트.md"
FILLER = "메타러닝의 비용에 관한 긴 설명 문단이다. 내용은 질문과 상관없다."


def long_note() -> str:
    before = "\n\n".join(f"{number}. 문단: {FILLER}" for number in range(60))
    after = "\n\n".join(f"맺음 {number}: {FILLER}" for number in range(60))
    return (
        "---\ntitle: 긴 노트\n---\n# 긴 노트\n\n"
        # The second question's first words also stand above its section: not there.
        "둘째 질문은 MAML과 관련 있는가? 라고 본문에서도 한 번 묻는다.\n\n"
        f"{before}\n\n## 질문\n\n"
        "1. 첫 질문은 무엇인가?\n"
        "2. **둘째** 질문은 [[MAML]]과 관련 있는가? [[experiments/tiny]]\n"
        "3. 셋째 질문은 " + "아주 길게 이어지는 질문의 본문이다, " * 12 + "[[experiments/tiny]]\n\n"
        f"## 맺음\n\n{after}\n"
    )


async def open_questions(app, pilot) -> QuestionsScreen:
    await pilot.press("o")
    assert await wait_for(pilot, lambda: isinstance(app.screen, QuestionsScreen) and app.screen.loaded)
    await pilot.pause()
    return app.screen


async def test_enter_opens_the_note_scrolled_to_the_question(tmp_path):
    vault, experiments = write_vault(tmp_path)
    (vault / LONG).write_text(long_note(), encoding="utf-8")
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_questions(app, pilot)
        screen.query_one(RowList).move_to_key(f"{LONG}#q2")
        await pilot.press("enter")
        body = app.main_screen.query_one(NoteBody)
        assert await wait_for(
            pilot,
            lambda: isinstance(app.screen, MainScreen)
            and app.main_screen.page is not None
            and app.main_screen.page.path == LONG
            and body.scroll_y > 0,
        )
        await pilot.pause()
        top = int(body.scroll_y)
        shown = "".join(segment.text for segment in body.lines[top])
        assert "둘째 질문은 MAML과 관련 있는가?" in shown, shown
        # its experiment link is on screen with it (on this line, or the next when wrapped)
        around = " ".join("".join(s.text for s in body.lines[n]) for n in (top, top + 1))
        assert "⚗ tiny" in around, around
        # the line is the question's, below its heading, not the sentence above the section
        heading = next(line for line, text in body.heading_lines() if text == "질문")
        assert heading < top < heading + 6


async def test_long_questions_wrap_with_their_experiment_in_view_as_plain_text(tmp_path):
    vault, experiments = write_vault(tmp_path)
    (vault / LONG).write_text(long_note(), encoding="utf-8")
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_questions(app, pilot)
        row_list = screen.query_one(RowList)
        width = row_list.scrollable_content_region.width
        rows = row_list.rows
        start = next(i for i, row in enumerate(rows) if row.key == f"{LONG}#q3")
        question = [rows[start]]
        for row in rows[start + 1 :]:
            if row.key is not None or row.heading:
                break
            question.append(row)
        assert len(question) > 1  # wrapped, not cut
        assert all(row.text.cell_len <= width for row in question)
        assert "⚗ tiny" in question[-1].text.plain
        text = " ".join(row.text.plain.strip() for row in question)
        assert "아주 길게 이어지는" in text and "[[" not in text
        second = next(row for row in rows if row.key == f"{LONG}#q2").text.plain
        assert "2. 둘째 질문은 MAML과 관련 있는가?" in second and "⚗ tiny" in second
        assert "**" not in second and "[[" not in second
        row_list.move_to_key(f"{LONG}#q2")
        await pilot.pause()
        detail = str(screen.query_one("#questions-detail").render())
        assert "둘째 질문은 MAML과 관련 있는가?" in detail and "**" not in detail
