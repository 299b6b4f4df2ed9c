"""The app fits the terminal: panels fold away on narrow screens (b and p bring them back),
results tables keep every number whole, the footer keeps Help and Quit in view, the filter
box lets go of the keyboard, q asks before cancelling a run, long rows end in "…"."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from notebase.tui.app import KEYS, make_app
from notebase.tui.runs import RunHandle, RunRequest
from notebase.tui.screens.main import MainScreen
from notebase.tui.screens.modals import ConfirmScreen, HelpScreen
from notebase.tui.screens.questions import QuestionsScreen
from notebase.tui.widgets.note_body import NoteBody, render_markdown
from notebase.tui.widgets.note_list import NoteList
from notebase.tui.widgets.side_panel import SidePanel
from notebase.tui.widgets.table_fit import ColumnNeed, FitTableElement, fit_widths, is_number

from .conftest import settle, wait_for, write_vault

COST = "메타러닝의 비용.md"
RESULTS = "결과 표.md"
LONG = "긴 제목.md"
LONG_TITLE = "메타러닝 알고리즘들의 계산 비용과 메모리 사용량에 대한 아주 긴 비교 노트"
LONG_TAG = "매우-긴-한국어-태그-이름-메타러닝-계산-비용"

NUMBERS = {
    "algorithm": ["maml", "fomaml", "reptile"],
    "inner steps": ["5", "5", "10"],
    "final loss": ["0.012345", "0.023456", "0.034567"],
    "loss std": ["0.001234", "0.002345", "0.003456"],
    "wall time (s)": ["3,456.78", "1,234.56", "987.65"],
    "peak memory (MiB)": ["1,234.5", "789.25", "456.75"],
    "speedup vs maml": ["1.00x", "2.80x", "3.50x"],
    "notes on the run": ["second order", "first order only", "no inner gradient"],
}
HEADERS = list(NUMBERS)
TABLE = (
    "| " + " | ".join(HEADERS) + " |\n|" + "---|" * len(HEADERS) + "\n"
    + "\n".join(
        "| " + " | ".join(NUMBERS[h][row] for h in HEADERS) + " |" for row in range(3)
    )
    + "\n"
)
RESULTS_NOTE = f"""\
---
title: 결과 표
tags: [ml/meta]
---
# 결과 표

<!-- notebase:results experiment=tiny run=20250101T000000Z-abcdef -->

{TABLE}
<!-- /notebase:results -->
"""


def make_vault(tmp_path):
    vault, experiments = write_vault(tmp_path)
    (vault / RESULTS).write_text(RESULTS_NOTE, encoding="utf-8")
    (vault / LONG).write_text(
        f"---\ntitle: {LONG_TITLE}\ntags: [{LONG_TAG}]\n---\n# {LONG_TITLE}\n\n"
        "[[메타러닝의 비용]]을 보라.\n",
        encoding="utf-8",
    )
    return vault, experiments


@pytest.fixture
def app(tmp_path):
    vault, experiments = make_vault(tmp_path)
    return make_app(vault, experiments, watch=False)


def screen_lines(app) -> list[str]:
    """The text of the screen as painted, one string per row."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def body_lines(app) -> list[str]:
    return ["".join(s.text for s in line) for line in app.main_screen.query_one(NoteBody).lines]


def widths(app) -> dict[str, int]:
    """The width of each panel on screen (0 when hidden)."""
    screen = app.main_screen
    return {
        name: screen.query_one(f"#{name}").outer_size.width if screen.panel_shown(name) else 0
        for name in ("left", "note", "side")
    }


async def open_note(app, pilot, path: str) -> None:
    await app.main_screen.open_note(path, push=False)
    await settle(app, pilot)
    assert await wait_for(pilot, lambda: app.main_screen.query_one("#note").rendered_path == path)


# --- layout ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "left", "side"),
    [((60, 20), False, False), ((80, 24), True, False), ((100, 30), True, True),
     ((120, 40), True, True)],
)
async def test_panels_fold_away_as_the_screen_narrows(app, size, left, side):
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await open_note(app, pilot, COST)
        screen = app.main_screen
        assert (screen.panel_shown("left"), screen.panel_shown("side")) == (left, side)
        shown = widths(app)
        assert sum(shown.values()) == size[0]
        if not side:  # panels folded away by the width: the note has most of it
            assert shown["note"] >= 0.6 * size[0], shown
        if not left:  # and the keys, which went to the (hidden) list at start-up
            assert isinstance(app.focused, NoteBody)
        else:
            assert shown["note"] >= 0.45 * size[0], shown
        # The note is rendered at the width it has (no line wider than the pane).
        body = screen.query_one(NoteBody)
        assert body.render_width >= shown["note"] - 4
        assert all(cell_len(line) <= body.render_width for line in body_lines(app))


async def test_b_and_p_show_and_hide_the_panels(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_note(app, pilot, COST)
        screen = app.main_screen
        assert not screen.panel_shown("side")
        await pilot.press("p")
        assert await wait_for(pilot, lambda: screen.panel_shown("side") and widths(app)["side"] > 0)
        await pilot.press("p")
        assert await wait_for(pilot, lambda: not screen.panel_shown("side"))
        # The list has the keys: hiding its panel hands them to the note.
        screen.query_one(NoteList).focus()
        await pilot.press("b")
        assert await wait_for(
            pilot, lambda: not screen.panel_shown("left") and isinstance(app.focused, NoteBody)
        )
        assert await wait_for(pilot, lambda: widths(app)["note"] == 80)
        # Asking for the list (f, t) brings its panel back.
        await pilot.press("f")
        assert await wait_for(
            pilot, lambda: screen.panel_shown("left") and isinstance(app.focused, Input)
        )
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.focused, NoteList))
        await pilot.press("b")
        assert await wait_for(pilot, lambda: not screen.panel_shown("left"))
        await pilot.press("b")
        assert await wait_for(pilot, lambda: screen.panel_shown("left"))


async def test_p_hides_the_side_panel_of_a_wide_screen_and_the_choice_survives_a_resize(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        assert screen.panel_shown("side")
        await pilot.press("p")
        await pilot.pause()
        assert not screen.panel_shown("side")
        assert widths(app)["note"] > 80
        await pilot.resize_terminal(140, 40)
        await settle(app, pilot)
        assert not screen.panel_shown("side")


async def test_narrowing_the_terminal_folds_the_panels_and_moves_the_keys_out(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.query_one(SidePanel).focus()
        await pilot.resize_terminal(80, 24)
        assert await wait_for(pilot, lambda: isinstance(app.focused, NoteBody))
        assert not screen.panel_shown("side") and screen.panel_shown("left")
        await pilot.resize_terminal(60, 24)
        assert await wait_for(pilot, lambda: not screen.panel_shown("left"))
        assert widths(app)["note"] == 60


# --- footer and help -------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
async def test_the_footer_keeps_help_and_quit_in_view(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        footer = screen_lines(app)[-1]
        assert "? Help" in footer and "q Quit" in footer, footer
        assert "/ Search" in footer
        assert "Cancel run" not in footer  # no run: x is not offered (it still says so)
        assert cell_len(footer.rstrip()) <= size[0]


async def test_the_questions_view_keeps_help_in_its_footer_at_80_columns(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "QuestionsScreen"
        footer = screen_lines(app)[-1]
        assert "? Help" in footer and "q Quit" in footer and "esc Back" in footer, footer


async def test_the_footer_offers_x_cancel_run_while_a_run_is_on(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.run_request = RunRequest(note_path=COST, experiment="tiny")
        assert await wait_for(pilot, lambda: "x Cancel run" in screen_lines(app)[-1])
        footer = screen_lines(app)[-1]
        assert "? Help" in footer and "q Quit" in footer, footer
        # Keys that do not fit are left out whole, never cut: each one shown reads in full.
        keys = [key for key in app.screen.query(FooterKey) if key.display]
        assert len(keys) >= 5
        for key in keys:
            assert f"{key.key_display} {key.description}" in footer, (key.key, footer)
        app.run_request = None
        assert await wait_for(pilot, lambda: "Cancel run" not in screen_lines(app)[-1])
        await pilot.press("x")
        assert await wait_for(
            pilot, lambda: any("no run in progress" in m for _, m in app.notification_log)
        )


async def test_help_lists_every_key_bound_by_the_app_and_the_main_screen(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one("Markdown").source
        for key in ("b", "p", "?", "/", "q / ctrl+q / ctrl+c", "Escape / Enter / ↓ in the filter"):
            assert f"`{key}`" in table
        listed = {token.casefold() for row in app.help_keys() for token in row[0].split()}
        for binding in [*MainScreen.BINDINGS, *app.BINDINGS]:
            for key in binding.key.split(","):
                display = app.get_key_display(type(binding)(key, binding.action))
                assert {key.casefold(), display.casefold()} & listed, key
        assert len(app.help_keys()) >= len(KEYS)


# --- results tables --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_a_results_table_keeps_every_number_and_header_whole(app, size):
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await open_note(app, pilot, RESULTS)
        lines = body_lines(app)
        text = "\n".join(lines)
        assert "…" not in text
        # The note pane is ~56 columns at 80, ~64 at 120: the 8 columns need 76 at least,
        # so some go, text first, and the line under the table names them.
        start = next(i for i, line in enumerate(lines) if "hidden" in line)
        hidden_text = " ".join(line.strip() for line in lines[start:])
        assert "b / p hide the panels" in hidden_text
        shown = [h for h in HEADERS if h not in hidden_text]
        assert "notes on the run" not in shown
        wanted = HEADERS[:6] if size[0] >= 120 else HEADERS[:4]
        assert set(wanted) <= set(shown), (shown, text)
        for header in shown:  # headers wrap at spaces, never inside a word
            for word in header.split():
                assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", text), (header, text)
        # Each row's line holds its numbers, whole, in column order.
        for row, name in enumerate(NUMBERS["algorithm"]):
            line = next(line for line in lines if line.split()[:1] == [name])
            values = [NUMBERS[h][row] for h in shown if h != "algorithm"]
            assert line.split()[1:] == values, (line, values)


def test_table_widths_never_cut_a_number_at_any_width():
    source = f"# t\n\n{TABLE}"
    for width in range(12, 130, 3):
        lines = ["".join(s.text for s in line) for line in render_markdown(source, width).lines]
        assert all(cell_len(line) <= width for line in lines), width
        text = "\n".join(lines)
        assert "…" not in text, (width, text)
        for header in HEADERS:
            for value in NUMBERS[header]:
                if is_number(value) and value not in text:
                    # Only a whole column may go, and the note under the table names it.
                    assert header.split()[0] in text.split("hidden", 1)[-1], (width, header)


def test_fit_widths_gives_minimums_then_drops_text_columns_first():
    needs = [ColumnNeed(9, 9, False), ColumnNeed(8, 8, True), ColumnNeed(6, 30, False),
             ColumnNeed(8, 10, True)]
    kept, sizes = fit_widths(needs, 100, 2)
    assert kept == [0, 1, 2, 3] and sizes == [9, 8, 30, 10]
    kept, sizes = fit_widths(needs, 40, 2)
    assert kept == [0, 1, 2, 3] and sizes == [9, 8, 9, 8]  # the 3 spare cells: text first
    kept, sizes = fit_widths(needs, 62, 2)  # text column whole (30), 1 left for the number
    assert kept == [0, 1, 2, 3] and sizes == [9, 8, 30, 9]
    kept, sizes = fit_widths(needs, 30, 2)  # 9+8+6+8+6 = 37 > 30: the text column goes
    assert kept == [0, 1, 3] and sizes == [9, 8, 9]  # the one cell left goes to column 3
    kept, _ = fit_widths(needs, 5, 2)
    assert kept == [0]


@pytest.mark.parametrize(
    ("cell", "number"),
    [("3,456.78", True), ("0.012 ± 0.003", True), ("12 %", True), ("1.5e-3", True),
     ("3.2 s", True), ("2.80x", True), ("120 it/s", True), ("maml", False),
     ("first order only", False), ("k=5", False)],
)
def test_is_number(cell, number):
    assert is_number(cell) is number


def test_a_table_element_renders_without_header_or_rows():
    console = Console(width=40, file=None, force_terminal=True)
    element = FitTableElement()
    assert list(element.__rich_console__(console, console.options)) == []


# --- filter box ----------------------------------------------------------------------------


async def test_escape_in_the_filter_clears_then_leaves_keeping_history(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await open_note(app, pilot, COST)
        screen = app.main_screen
        history = list(screen.history)
        await pilot.press("f", "m", "a")
        box = screen.query_one("#filter", Input)
        assert await wait_for(pilot, lambda: app.focused is box and box.value == "ma")
        await pilot.press("escape")
        assert await wait_for(
            pilot, lambda: box.value == "" and len(screen.query_one(NoteList).rows) == 6
        )
        assert app.focused is box
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.focused, NoteList))
        assert screen.current_path == COST and screen.history == history
        # Keys now act: t goes to the tags, not into the box.
        await pilot.press("t")
        assert await wait_for(pilot, lambda: app.focused is screen.query_one("#tags"))
        assert box.value == ""


async def test_enter_in_the_filter_opens_the_one_match_and_down_goes_to_the_list(app):
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await open_note(app, pilot, COST)
        screen = app.main_screen
        await pilot.press("f", *"일기", "enter")
        assert await wait_for(pilot, lambda: screen.current_path == "일기.md")
        assert isinstance(app.focused, NoteList)
        assert screen.history[-1] == COST
        # Several matches: Enter only moves to the list.
        box = screen.query_one("#filter", Input)
        await pilot.press("f", "backspace", "backspace", *"ml", "enter")
        assert await wait_for(
            pilot,
            lambda: (
                box.value == "ml"
                and isinstance(app.focused, NoteList)
                and len(screen.query_one(NoteList).rows) > 1
            ),
        )
        assert screen.current_path == "일기.md"
        # Down leaves the box with its text.
        await pilot.press("f")
        assert await wait_for(pilot, lambda: app.focused is box)
        await pilot.press("down")
        assert await wait_for(pilot, lambda: isinstance(app.focused, NoteList))
        assert box.value == "ml"
        await pilot.press("o")  # a key for the app again, not a letter in the box
        assert await wait_for(pilot, lambda: isinstance(app.screen, QuestionsScreen))
        assert box.value == "ml"


# --- quitting during a run ---------------------------------------------------------------------


async def test_q_during_a_run_asks_before_cancelling_it(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        request = RunRequest(note_path=COST, experiment="tiny")
        handle = RunHandle(request)
        app.run_request, app.runner = request, handle  # a run in progress, as the worker sets it
        await pilot.press("q")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = app.screen.query_one("#confirm-question").render()
        assert "An experiment is running" in str(question) and "quit and cancel it?" in str(
            question
        )
        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running and not handle.cancelled.is_set()
        # Enter alone answers no (the focused button).
        await pilot.press("q")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert not handle.cancelled.is_set()
        # ctrl+c is q: the same question, no raw markup anywhere.
        await pilot.press("ctrl+c")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert not any("[b]" in m for _, m in app.notification_log)
        await pilot.press("y")
        assert await wait_for(pilot, lambda: app.return_code == 0)
        assert handle.cancelled.is_set()


async def test_ctrl_c_without_a_run_quits(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        assert await wait_for(pilot, lambda: app.return_code == 0)
        assert not any("[b]" in m for _, m in app.notification_log)


# --- long rows -------------------------------------------------------------------------------


def row_text(widget, y: int) -> str:
    return "".join(segment.text for segment in widget.render_line(y))


async def test_a_long_korean_title_ends_in_an_ellipsis_in_the_list_and_the_side_panel(app):
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        note_list = app.main_screen.query_one(NoteList)
        index = next(i for i, row in enumerate(note_list.rows) if row.key == LONG)
        line = row_text(note_list, index - note_list.scroll_offset.y)
        width = note_list.size.width
        assert cell_len(line) == width
        assert line.rstrip().endswith("…"), line
        assert line.startswith("메타러닝 알고리즘")
        # Wide characters are counted: the cut leaves no half character.
        assert cell_len(line.rstrip()) <= width
        await open_note(app, pilot, COST)
        side = app.main_screen.query_one(SidePanel)
        index = next(i for i, row in enumerate(side.rows) if row.key == f"note:{LONG}")
        line = row_text(side, index - side.scroll_offset.y)
        assert line.rstrip().endswith("…") and "← 메타러닝" in line, line
        assert cell_len(line) == side.size.width
        # A row that fits is left alone.
        short = row_text(note_list, 0)
        assert "…" not in short


async def test_a_long_korean_tag_ends_in_an_ellipsis_in_the_tag_tree(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        tree = app.main_screen.query_one("#tags")
        lines = [row_text(tree, y) for y in range(tree.size.height)]
        [line] = [line for line in lines if "매우" in line]
        assert line.rstrip().endswith("…"), line
        assert cell_len(line) <= tree.size.width
        assert any(line.rstrip().endswith("(1)") for line in lines)  # short tags whole
