"""The quick switcher (ctrl+o): its matcher, and the real app through Pilot."""

from __future__ import annotations

from textual.widgets import Input

from notebase.tui.name_folding import fold, initials
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.note_dialogs import NewNoteScreen
from notebase.tui.screens.switcher import CREATE_KEY, Matcher, SwitcherScreen
from notebase.tui.views import SwitchTarget
from notebase.tui.widgets.row_list import RowList

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"
FOMAML = "알고리즘/일차 근사.md"

TARGETS = [
    SwitchTarget("a/maml.md", "MAML", ("model-agnostic",)),
    SwitchTarget("메타러닝.md", "메타러닝", ()),
    SwitchTarget("비용.md", "메타러닝의 계산 비용", ("meta cost",)),
    SwitchTarget("닭.md", "닭갈비", ()),
    SwitchTarget("x/notes about maml.md", "Notes", ()),
]


def paths(matches) -> list[str]:
    return [match.path for match in matches]


def test_fold_splits_syllables_and_compound_jamo():
    assert fold("닭 MAML") == "ㄷㅏㄹㄱ maml"
    assert fold("과") == "ㄱㅗㅏ"
    assert initials("메타 러닝") == "ㅁㅌ ㄹㄴ"


def test_matcher_ranks_prefix_and_title_first():
    matcher = Matcher(TARGETS)
    assert paths(matcher.search("메타러닝")) == ["메타러닝.md", "비용.md"]  # shorter first
    assert paths(matcher.search("maml"))[:1] == ["a/maml.md"]  # title before a path
    assert "x/notes about maml.md" in paths(matcher.search("maml"))


def test_matcher_korean_partial_syllables_initials_and_aliases():
    matcher = Matcher(TARGETS)
    assert paths(matcher.search("닭"))[:1] == ["닭.md"]
    assert paths(matcher.search("달"))[:1] == ["닭.md"]  # 닭 half typed: ㄷㅏㄹ
    assert paths(matcher.search("메탈"))[:1] == ["메타러닝.md"]  # 메타러 half typed
    assert paths(matcher.search("ㅁㅌㄹㄴ"))[:2] == ["메타러닝.md", "비용.md"]
    assert paths(matcher.search("ㄱㅅ")) == ["비용.md"]  # 계산
    (alias,) = matcher.search("META COST")
    assert (alias.path, alias.via) == ("비용.md", "meta cost")
    assert paths(matcher.search("비용 메타")) == ["비용.md"]  # words in any order


def test_matcher_typos_and_no_match():
    matcher = Matcher(TARGETS)
    assert paths(matcher.search("modle-agnostic"))[:1] == ["a/maml.md"]
    assert matcher.search("zzzz") == []
    assert matcher.search("   ") == []


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def open_switcher(app, pilot) -> SwitcherScreen:
    await pilot.press("ctrl+o")
    assert await wait_for(pilot, lambda: isinstance(app.screen, SwitcherScreen))
    screen = app.screen
    assert await wait_for(pilot, lambda: screen.matcher is not None)
    return screen


async def test_korean_query_typed_and_opened(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.main_screen.current_path == MAML
        screen = await open_switcher(app, pilot)
        await type_text(pilot, "계산")
        assert await wait_for(pilot, lambda: screen.shown_query == "계산")
        assert screen.query_one("#switcher-list", RowList).highlighted_key == COST
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.current_path == COST
        assert app.main_screen.history == [MAML]


async def test_initials_and_arrow_keys_choose_among_matches(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_switcher(app, pilot)
        await type_text(pilot, "ㅇ")  # 일기 (오늘의 일기), 일차 근사, 메타러닝의…: several
        assert await wait_for(pilot, lambda: screen.shown_query == "ㅇ")
        keys = [row.key for row in screen.query_one("#switcher-list", RowList).rows]
        assert len(keys) >= 2, keys
        assert screen.query_one("#switcher-list", RowList).highlighted_key == keys[0]
        await pilot.press("down")
        assert screen.query_one("#switcher-list", RowList).highlighted_key == keys[1]
        await pilot.press("up")
        assert screen.query_one("#switcher-list", RowList).highlighted_key == keys[0]
        await type_text(pilot, "ㅊㄱ")  # 일차 근사: ㅇㅊ ㄱㅅ
        assert await wait_for(pilot, lambda: screen.shown_query == "ㅇㅊㄱ")
        assert [row.key for row in screen.query_one("#switcher-list", RowList).rows] == [FOMAML]
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == FOMAML


async def test_alias_match_shows_the_alias_and_escape_closes(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_switcher(app, pilot)
        await type_text(pilot, "meta cost")
        assert await wait_for(pilot, lambda: screen.shown_query == "meta cost")
        (first, *_rest) = screen.query_one("#switcher-list", RowList).rows
        assert first.key == COST
        assert "= meta cost" in first.text.plain
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.current_path == MAML  # nothing opened


async def test_no_match_offers_to_create_the_note(app, vault_dirs):
    """The "create note" row opens n's new-note dialog with the query as the title (Escape
    there creates nothing; test_write_actions creates one this way)."""
    vault, _experiments = vault_dirs
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = await open_switcher(app, pilot)
        await type_text(pilot, "새 노트")
        assert await wait_for(pilot, lambda: screen.shown_query == "새 노트")
        rows = screen.query_one("#switcher-list", RowList).rows
        assert [row.key for row in rows] == [CREATE_KEY]
        assert "새 노트" in rows[0].text.plain
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, NewNoteScreen))
        assert app.screen.query_one("#new-title", Input).value == "새 노트"
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(app, pilot)
        assert not (vault / "새 노트.md").exists()


async def test_ctrl_o_works_in_the_filter_box_and_not_over_a_dialog(app):
    """Over a modal screen (a search, an editor) the app's keys are off, ctrl+o too: a
    dialog holding typing is never closed under the user."""
    from notebase.tui.screens.search import SearchScreen

    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f")  # typing in the filter box
        await pilot.press("ctrl+o")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SwitcherScreen))
        await pilot.press("escape")  # closes the switcher: back in the filter box
        await pilot.press("escape")  # out of the box, to the list
        await pilot.press("slash")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press("ctrl+o")
        await settle(app, pilot, 0)
        assert isinstance(app.screen, SearchScreen)
