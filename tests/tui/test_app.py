"""Pilot tests of the app's flows on a small Korean vault (real core, real whoosh)."""

from __future__ import annotations

from textual.widgets import Input, Markdown, Tree

from notebase.tui.app import KEYS, make_app
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.modals import DetailScreen, HelpScreen
from notebase.tui.screens.questions import QuestionsScreen
from notebase.tui.screens.search import SearchScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.row_list import RowList
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"


def listed(app) -> list[str]:
    return [row.key for row in app.main_screen.query_one(NoteList).rows]


def messages(app) -> str:
    return "\n".join(message for _, message in app.notification_log)


async def open_cost_note(app, pilot) -> None:
    await app.main_screen.open_note(COST, push=False)
    await settle(app, pilot)


async def test_starts_with_every_note_listed_and_the_first_open(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert sorted(listed(app)) == sorted(
            ["메타러닝의 비용.md", MAML, "알고리즘/일차 근사.md", "일기.md"]
        )
        # Sorted by title: "MAML" first, and it is shown.
        assert listed(app)[0] == MAML
        assert app.main_screen.current_path == MAML
        assert app.session.index_state == "ready", app.session.index_error
        assert not [m for s, m in app.notification_log if s == "error"]


async def test_search_korean_word_with_particle_and_open_hit(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.session.index_state == "ready", app.session.index_error  # the real index
        await pilot.press("slash")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen)
        # "계산량" only occurs with a particle attached ("계산량이") in the note.
        app.screen.query_one(Input).value = "계산량"
        await wait_for(pilot, lambda: app.screen.searched_query == "계산량")
        assert app.screen.searched_query == "계산량"
        assert [r.path for r in app.screen.results][:1] == [COST]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.current_path == COST
        assert app.main_screen.history == [MAML]


async def test_search_by_nested_tag_then_escape_closes(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        for key in "tag:ml/meta":
            await pilot.press(key if key not in "/:" else {"/": "slash", ":": "colon"}[key])
        await wait_for(pilot, lambda: app.screen.searched_query == "tag:ml/meta")
        assert isinstance(app.screen, SearchScreen)
        assert sorted(r.path for r in app.screen.results) == sorted(
            [COST, MAML, "알고리즘/일차 근사.md"]
        )
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.current_path == MAML  # nothing opened


async def test_tag_tree_lists_notes_of_a_tag_and_its_nested_tags(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await pilot.pause()
        tree = app.main_screen.query_one(Tree)
        assert app.focused is tree
        ml = next(node for node in tree.root.children if node.data == "ml")
        tree.move_cursor(ml)
        await pilot.press("enter")
        await settle(app, pilot)
        assert sorted(listed(app)) == sorted([COST, MAML, "알고리즘/일차 근사.md"])
        assert isinstance(app.focused, NoteList)
        # Back to every note through the root.
        tree.move_cursor(tree.root)
        tree.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert len(listed(app)) == 4


async def test_filter_box_narrows_the_list_and_typing_q_does_not_quit(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f")
        for key in "qmaml":
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running
        assert listed(app) == []
        for _ in range(5):
            await pilot.press("backspace")
        await pilot.pause()
        assert len(listed(app)) == 4
        app.main_screen.query_one("#filter", Input).value = "일기"
        await pilot.pause()
        assert listed(app) == ["일기.md"]


async def test_follow_wikilink_by_click_event_and_by_side_panel_then_go_back(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_cost_note(app, pilot)
        body = app.main_screen.query_one(NoteBody)
        # The wikilink is rendered as a Markdown link with the app's note: scheme.
        assert "[MAML](note:%EC%95%8C%EA%B3%A0%EB%A6%AC%EC%A6%98%2FMAML.md)" in body.source
        assert "[FOMAML 노트](note:" in body.source
        body.post_message(
            NoteBody.LinkClicked(body, "note:%EC%95%8C%EA%B3%A0%EB%A6%AC%EC%A6%98%2FMAML.md")
        )
        await settle(app, pilot)
        assert app.main_screen.current_path == MAML
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.main_screen.current_path == COST

        # Keyboard: the side panel's first entry is the first link.
        side = app.main_screen.query_one(SidePanel)
        side.focus()
        assert side.highlighted_key == f"note:{MAML}"
        await pilot.press("down")
        assert side.highlighted_key == "note:알고리즘/일차 근사.md"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == "알고리즘/일차 근사.md"
        await pilot.press("backspace")
        await settle(app, pilot)
        assert app.main_screen.current_path == COST


async def show_side_entry(app, pilot, key: str) -> str:
    """Open the cost note, press Enter on the side panel's ``key`` entry: the detail shown."""
    await settle(app, pilot)
    await open_cost_note(app, pilot)
    side = app.main_screen.query_one(SidePanel)
    side.focus()
    assert side.move_to_key(key)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, DetailScreen)
    return app.screen.query_one(Markdown).source


async def close_detail(app, pilot) -> None:
    await pilot.press("escape")
    await pilot.pause()
    assert isinstance(app.screen, MainScreen)


async def test_side_panel_question_shows_its_text(app):
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_side_entry(app, pilot, "q:2")
        assert "분산 학습으로 비용을 줄일 수 있는가?" in shown and "**open**" in shown
        await close_detail(app, pilot)


async def test_citation_shows_the_full_definition(app):
    async with app.run_test(size=SIZE) as pilot:
        shown = await show_side_entry(app, pilot, "fn:1")
        assert "Model-agnostic meta-learning for fast adaptation" in shown
        assert "an outer optimization loop" in shown  # the quoted continuation line
        assert "Chelsea Finn" in shown and "2017" in shown
        await close_detail(app, pilot)
        # The footnote reference in the text is a link too.
        body = app.main_screen.query_one(NoteBody)
        assert "(fn:1)" in body.source
        body.post_message(NoteBody.LinkClicked(body, "fn:1"))
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)


async def test_questions_view_groups_open_and_answered_and_jumps_to_note(vault_dirs):
    vault, experiments = vault_dirs
    maml = vault / MAML
    maml.write_text(
        maml.read_text(encoding="utf-8") + "\n## 질문\n\n1. 헤시안 없이도 되는가?\n2. 메모리는?\n\n"
        "<!-- notebase:results experiment=tiny run=RUN42 answers=1 -->\n\n| a |\n|---|\n| 1 |\n\n"
        "<!-- /notebase:results -->\n",
        encoding="utf-8",
    )
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, QuestionsScreen) and app.screen.loaded
        rows = app.screen.query_one(RowList).rows
        text = [row.text.plain for row in rows]
        headings = [row.text.plain for row in rows if row.heading]
        assert any("MAML" in h for h in headings) and any(
            "메타러닝의 계산 비용" in h for h in headings
        )
        answered = next(t for t in text if "헤시안 없이도" in t)
        assert "✓ tiny" in answered and "RUN42" in answered
        assert any("○ 2. 메모리는?" in t for t in text)
        # Experiment links are shown by name, not as raw [[...]].
        assert not any("[[" in t for t in text)
        await pilot.press("f")  # open only
        assert not any(
            "헤시안 없이도" in row.text.plain for row in app.screen.query_one(RowList).rows
        )
        app.screen.query_one(RowList).move_to_key(f"{COST}#q2")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert app.main_screen.current_path == COST


async def test_invalid_note_is_reported_and_the_app_keeps_working(vault_dirs):
    vault, experiments = vault_dirs
    (vault / "깨진 노트.md").write_text("---\ntitle: [닫히지 않음\n---\n본문\n", encoding="utf-8")
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        warnings = [m for s, m in app.notification_log if s == "warning"]
        assert any("깨진 노트.md" in m for m in warnings), app.notification_log
        assert len(listed(app)) == 5
        await app.main_screen.open_note("깨진 노트.md")
        await settle(app, pilot)
        assert "could not be read" in app.main_screen.query_one(NoteBody).source
        await open_cost_note(app, pilot)
        assert app.main_screen.current_path == COST


async def test_file_changed_on_disk_is_picked_up(vault_dirs):
    vault, experiments = vault_dirs
    app = make_app(vault, experiments, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_cost_note(app, pilot)
        note = vault / COST
        note.write_text(
            note.read_text(encoding="utf-8").replace(
                "내부 루프 때문이다", "외부 루프의 새로운 문장이다"
            ),
            encoding="utf-8",
        )
        (vault / "새 노트.md").write_text(
            "---\ntitle: 새로 쓴 노트\ntags: [ml]\n---\n양자 얽힘\n", encoding="utf-8"
        )
        body = app.main_screen.query_one(NoteBody)
        await wait_for(pilot, lambda: "새로운 문장" in body.source and "새 노트.md" in listed(app))
        assert "새로운 문장" in body.source
        assert "새 노트.md" in listed(app)
        # Re-indexed: the new words are found by the index.
        await pilot.press("slash")
        app.screen.query_one(Input).value = "양자"
        await wait_for(pilot, lambda: app.screen.searched_query == "양자")
        assert [r.path for r in app.screen.results] == ["새 노트.md"]


async def test_folder_renamed_on_disk_moves_its_notes(vault_dirs):
    vault, experiments = vault_dirs
    app = make_app(vault, experiments, watch=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        (vault / "알고리즘").rename(vault / "방법")
        moved = await wait_for(pilot, lambda: "방법/MAML.md" in listed(app))
        assert moved, listed(app)
        assert MAML not in listed(app)
        # Links follow: the hub note's side panel now points at the new path.
        await open_cost_note(app, pilot)
        assert app.main_screen.query_one(SidePanel).highlighted_key == "note:방법/MAML.md"


async def test_help_lists_every_key_and_the_footer_shows_them(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        footer_keys = {b.key for b in app.BINDINGS if b.show}
        # R (quick run) is a secondary key: in the help, not the footer (test_layout.py).
        assert {"q", "slash", "t", "o", "r", "x", "question_mark"} <= footer_keys
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one(Markdown).source
        for key, _ in KEYS:
            assert f"`{key}`" in table
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_run_on_a_note_without_experiment_says_so(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note("일기.md")
        await settle(app, pilot)  # the page comes from a worker
        await pilot.press("r")
        await pilot.pause()
        assert "links no experiment" in messages(app)
        assert app.run_request is None
        await pilot.press("x")
        assert "no run in progress" in messages(app)


async def test_quit_key(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        # Told to exit (return code None until then) once the session closed on a worker.
        assert await wait_for(pilot, lambda: app.return_code == 0)
        assert await wait_for(pilot, lambda: not app.is_running)
