"""The search screen tells the truth about counts and shows snippets as plain text
(Pilot, the real index)."""

from __future__ import annotations

from textual.widgets import Input, Static

from notebase.tui.app import make_app
from notebase.tui.screens.search import SearchScreen
from notebase.tui.widgets.row_list import RowList

from .conftest import SIZE, settle, wait_for, write_vault


async def search_for(app, pilot, query: str) -> SearchScreen:
    if not isinstance(app.screen, SearchScreen):
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
    screen = app.screen
    screen.query_one(Input).value = query
    assert await wait_for(pilot, lambda: screen.searched_query == query)
    await pilot.pause()
    return screen


def status_line(screen: SearchScreen) -> str:
    return str(screen.query_one("#search-status", Static).render())


async def test_counts_every_matching_note_and_says_how_many_are_shown(tmp_path):
    vault, experiments = write_vault(tmp_path)
    for number in range(73):
        (vault / f"생성/노트 {number:02d}.md").parent.mkdir(exist_ok=True)
        (vault / f"생성/노트 {number:02d}.md").write_text(
            f"# 노트 {number}\n\n공통어휘가 들어 있는 {number}번째 문장.\n", encoding="utf-8"
        )
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.session.index_state == "ready", app.session.index_error
        screen = await search_for(app, pilot, "공통어휘")
        assert len(screen.results) == 50 and screen.total == 73
        assert screen.status_text == "73 hits, showing 50"
        assert "73 hits, showing 50" in status_line(screen)

        screen = await search_for(app, pilot, "산책")  # one note: 오늘의 일기
        assert [r.path for r in screen.results] == ["일기.md"]
        assert screen.status_text == "1 hit"

        screen = await search_for(app, pilot, "없는낱말")
        assert screen.results == [] and screen.status_text == "no hits for “없는낱말”"
        hits = screen.query_one("#search-hits", RowList)
        assert hits.rows == [] and hits.empty_text == ""  # not "type to search"

        screen = await search_for(app, pilot, "")
        assert screen.status_text == "" and hits.empty_text == "type to search"


async def test_snippets_are_plain_text_and_matches_are_marked_by_segments(tmp_path):
    vault, experiments = write_vault(tmp_path)
    (vault / "표.md").write_text(
        "# 비교\n\n> [!tip]- **요약**\n> [[알고리즘/MAML|2차 MAML]]은 <span style=\"color:red\">"
        "헤시안곱</span>이 필요하다[^1].\n\n| 알고리즘 | 비용 |\n|---|---|\n| [[MAML]] | 헤시안곱 |\n\n"
        "[^1]: 출처.\n",
        encoding="utf-8",
    )
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await search_for(app, pilot, "헤시안곱")
        assert [r.path for r in screen.results] == ["표.md"]
        result = screen.results[0]
        plain = "".join(piece for piece, _ in result.segments)
        assert "2차 MAML은 헤시안곱이 필요하다." in plain
        for noise in ("[[", "]]", "|", "<span", "**", "[!tip]", "[^1]", "#"):
            assert noise not in plain, noise
        assert [piece for piece, hit in result.segments if hit] == ["헤시안곱", "헤시안곱"]
        # The screen shows the same text: matches styled, no marker characters of its own.
        rows = screen.query_one("#search-hits", RowList).rows
        snippet_row = rows[1].text
        assert snippet_row.plain.strip() == plain.strip()
        assert "«" not in snippet_row.plain
        bold = [snippet_row.plain[span.start : span.end] for span in snippet_row.spans
                if "bold" in str(span.style)]
        assert bold == ["헤시안곱", "헤시안곱"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == "표.md"
