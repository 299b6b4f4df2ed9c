"""Moving around: back and forward through the history, j/k/g/G, unlinked mentions."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Tree

from notebase.tui.app import make_app
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"
FOMAML = "알고리즘/일차 근사.md"
DIARY = "일기.md"
WALK = "산책.md"
LONG_DAY = "긴 하루.md"


async def visit(app, pilot, path: str) -> None:
    """Open ``path`` as following a link does (the note shown goes on the history)."""
    await app.main_screen.open_note(path)
    await settle(app, pilot, 0)


async def press(app, pilot, key: str) -> str | None:
    await pilot.press(key)
    await settle(app, pilot, 0)
    return app.main_screen.current_path


async def test_back_and_forward_with_brackets_and_alt_arrows(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        main = app.main_screen
        assert main.current_path == MAML
        await visit(app, pilot, COST)
        await visit(app, pilot, FOMAML)
        assert await press(app, pilot, "left_square_bracket") == COST
        assert await press(app, pilot, "alt+left") == MAML
        assert main.forward == [FOMAML, COST]
        assert await press(app, pilot, "right_square_bracket") == COST
        assert await press(app, pilot, "alt+right") == FOMAML
        assert main.forward == []
        assert await press(app, pilot, "right_square_bracket") == FOMAML  # nowhere: the bell
        # Back, then somewhere new: the way forward is forgotten.
        assert await press(app, pilot, "escape") == COST
        assert main.forward == [FOMAML]
        await visit(app, pilot, DIARY)
        assert main.forward == []
        assert main.history == [MAML, COST]
        assert await press(app, pilot, "backspace") == COST
        assert await press(app, pilot, "right_square_bracket") == DIARY


async def test_brackets_typed_in_the_filter_box_stay_text(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, COST)
        await pilot.press("f")
        for key in ("left_square_bracket", "j", "k", "g", "G", "h"):
            await pilot.press(key)
        await settle(app, pilot, 0)
        assert app.main_screen.query_one("#filter", Input).value == "[jkgGh"
        assert app.main_screen.current_path == COST
        assert app.main_screen.query_one(NoteList).shown_count == 0


async def test_j_k_g_G_in_the_note_list_and_the_tag_tree(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        notes = app.main_screen.query_one(NoteList)
        notes.focus()
        keys = [row.key for row in notes.rows]
        assert notes.highlighted_key == keys[0]
        await pilot.press("j")
        assert notes.highlighted_key == keys[1]
        await pilot.press("k")
        assert notes.highlighted_key == keys[0]
        await pilot.press("G")
        assert notes.highlighted_key == keys[-1]
        assert await wait_for(pilot, lambda: app.main_screen.current_path == keys[-1])
        await pilot.press("g")
        assert notes.highlighted_key == keys[0]

        await pilot.press("t")
        tree = app.main_screen.query_one(Tree)
        assert app.focused is tree
        tree.cursor_line = 0
        await pilot.press("j")
        assert tree.cursor_line == 1
        await pilot.press("G")
        assert tree.cursor_line == tree.last_line > 1
        await pilot.press("k")
        assert tree.cursor_line == tree.last_line - 1
        await pilot.press("g")
        assert tree.cursor_line == 0


async def test_j_k_g_G_in_the_side_panel(app):
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, COST)
        side = app.main_screen.query_one(SidePanel)
        side.focus()
        selectable = [row.key for row in side.rows if row.key is not None]
        assert side.highlighted_key == selectable[0]
        await pilot.press("j")
        assert side.highlighted_key == selectable[1]
        await pilot.press("G")
        assert side.highlighted_key == selectable[-1]
        await pilot.press("k")
        assert side.highlighted_key == selectable[-2]
        await pilot.press("g")
        assert side.highlighted_key == selectable[0]


@pytest.fixture
def long_app(vault_dirs):
    vault, experiments = vault_dirs
    lines = "\n\n".join(f"문단 {n}: 메타러닝의 계산 비용 이야기." for n in range(80))
    (vault / "긴 노트.md").write_text(f"# 긴 노트\n\n{lines}\n", encoding="utf-8")
    return make_app(vault, experiments, watch=False)


async def test_j_k_g_G_scroll_the_note_body(long_app):
    app = long_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, "긴 노트.md")
        body = app.main_screen.query_one(NoteBody)
        body.focus()
        assert body.scroll_y == 0
        await pilot.press("j", "j", "j")
        assert await wait_for(pilot, lambda: body.scroll_y == 3)
        await pilot.press("k")
        assert await wait_for(pilot, lambda: body.scroll_y == 2)
        await pilot.press("G")
        assert await wait_for(pilot, lambda: body.scroll_y == body.max_scroll_y > 100)
        assert "문단 79" in "".join(s.text for s in body.lines[-1])
        await pilot.press("g")
        assert await wait_for(pilot, lambda: body.scroll_y == 0)
        assert app.main_screen.current_path == "긴 노트.md"  # the list did not move


@pytest.fixture
def walk_app(vault_dirs):
    """A note titled 산책 that two notes name without linking to it: the diary (산책을
    했다) and a long note, far down, under a heading."""
    vault, experiments = vault_dirs
    (vault / WALK).write_text(
        "---\ntitle: 산책\naliases: [walk]\n---\n# 산책\n\n걷기.\n", encoding="utf-8"
    )
    filler = "\n\n".join(f"문단 {n}." for n in range(40))
    (vault / LONG_DAY).write_text(
        f"# 긴 하루\n\n{filler}\n\n## 저녁\n\n{filler}\n\n저녁에는 walk, 곧 산책.\n",
        encoding="utf-8",
    )
    return make_app(vault, experiments, watch=False)


async def test_unlinked_mentions_in_the_side_panel_open_the_mentioning_note(walk_app):
    app = walk_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, WALK)
        side = app.main_screen.query_one(SidePanel)
        assert await wait_for(pilot, lambda: side.mentions is not None)
        assert [(m.path, m.name, m.line, m.heading) for m in side.mentions] == [
            (LONG_DAY, "walk", 165, "저녁"),
            (DIARY, "산책", 3, "오늘의 일기"),
        ]
        texts = [row.text.plain for row in side.rows]
        assert "Unlinked mentions (2)" in texts
        assert any("산책을 했다" in text for text in texts)
        side.focus()
        await pilot.press("G")  # the last entry: the diary's mention
        assert side.highlighted_key == f"mention:3:{DIARY}"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == DIARY
        assert app.main_screen.history[-1] == WALK
        # The diary's side panel is as empty as 산책's but for the mentions: its own.
        assert side.page.path == DIARY
        assert await wait_for(pilot, lambda: side.mentions == [])
        assert "Unlinked mentions (0)" in [row.text.plain for row in side.rows]

        await pilot.press("escape")
        await settle(app, pilot)
        assert await wait_for(pilot, lambda: side.mentions is not None)
        side.focus()
        side.move_to_key(f"mention:165:{LONG_DAY}")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == LONG_DAY
        body = app.main_screen.query_one(NoteBody)
        shown = ["".join(s.text for s in line) for line in body.lines]
        (at,) = [n for n, text in enumerate(shown) if "저녁에는 walk" in text]
        assert at > body.size.height  # far down: it had to scroll
        # Scrolled to that line (as far as the end of the note lets it).
        assert await wait_for(pilot, lambda: body.scroll_y == min(at, body.max_scroll_y))
        assert body.scroll_y <= at < body.scroll_y + body.size.height


async def test_unlinked_mentions_follow_a_change_in_another_note(walk_app, vault_dirs):
    app = walk_app
    vault, _experiments = vault_dirs
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, WALK)
        side = app.main_screen.query_one(SidePanel)
        assert await wait_for(pilot, lambda: side.mentions is not None and len(side.mentions) == 2)
        new = vault / "새 글.md"
        new.write_text("# 새 글\n\n아침 산책.\n", encoding="utf-8")
        app.apply_changes([str(new)])
        assert await wait_for(pilot, lambda: len(side.mentions) == 3)
        assert ("새 글.md", 3) in [(m.path, m.line) for m in side.mentions]
        new.write_text("# 새 글\n\n아침 [[산책]].\n", encoding="utf-8")  # linked now
        app.apply_changes([str(new)])
        assert await wait_for(pilot, lambda: len(side.mentions) == 2)
        assert app.main_screen.current_path == WALK


async def test_mentions_past_the_limit_say_there_are_more(walk_app):
    app = walk_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, WALK)
        rows, complete = app.session.unlinked_mentions(WALK, limit=1)
        assert ([row.path for row in rows], complete) == ([LONG_DAY], False)
        assert app.session.unlinked_mentions(WALK, limit=2)[1] is True
        side = app.main_screen.query_one(SidePanel)
        side.show_mentions(WALK, rows, complete)
        assert "Unlinked mentions (1+)" in [row.text.plain for row in side.rows]


@pytest.fixture
def block_app(vault_dirs):
    """A long note with a block id far down, and a note linking to that block."""
    vault, experiments = vault_dirs
    filler = "\n\n".join(f"문단 {n}." for n in range(60))
    (vault / "블록 노트.md").write_text(
        f"# 블록 노트\n\n매년 회고 시작은 늦다.\n\n{filler}\n\n**핵심 문장**은 여기에 있다. ^key-1\n\n"
        f"{filler}\n\n- 2024년 회고 시작 ^key-2\n- 다음 항목\n",
        encoding="utf-8",
    )
    (vault / "링크 노트.md").write_text(
        "# 링크 노트\n\n[[블록 노트#^key-1|그 문장]]을 보라.\n", encoding="utf-8"
    )
    return make_app(vault, experiments, watch=False)


async def test_a_link_to_a_block_opens_the_note_at_that_block(block_app):
    app = block_app
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await visit(app, pilot, "링크 노트.md")
        page = app.main_screen.current_note
        (href,) = [h for h in _hrefs(page.markdown) if h.startswith("note:")]
        await app.main_screen.follow(href)
        await settle(app, pilot)
        assert app.main_screen.current_path == "블록 노트.md"
        body = app.main_screen.query_one(NoteBody)
        shown = ["".join(s.text for s in line) for line in body.lines]
        (at,) = [n for n, text in enumerate(shown) if "핵심 문장은 여기에" in text]
        assert "^key-1" not in shown[at] and at > body.size.height
        assert await wait_for(pilot, lambda: body.scroll_y == min(at, body.max_scroll_y))
        # Within the note too: back to the top, then the same block again.
        body.scroll_to(y=0, animate=False)
        await app.main_screen.follow(href)
        assert await wait_for(pilot, lambda: body.scroll_y == min(at, body.max_scroll_y))
        # A list item whose text starts with digits: found by its own words, not by the
        # words left after stripping them ("년 회고 시작" is also on the note's third line).
        (item,) = [n for n, text in enumerate(shown) if "2024년 회고 시작" in text]
        body.scroll_to(y=0, animate=False)
        await app.main_screen.follow(href.replace("key-1", "key-2"))
        assert await wait_for(pilot, lambda: body.scroll_y == min(item, body.max_scroll_y))
        assert body.scroll_y > 0


def _hrefs(markdown: str) -> list[str]:
    import re

    return re.findall(r"\]\(([^)]+)\)", markdown)
