"""The note body: Rich-rendered lines, clickable links, long notes rendered in two steps."""

from __future__ import annotations

from textual.app import App, ComposeResult

from notebase.tui.widgets.note_body import NoteBody, render_markdown

from .conftest import wait_for

LONG = "# 긴 노트\n\n" + "\n\n".join(f"문단 {i}: 한국어 본문이 이어진다." for i in range(300))


class BodyApp(App):
    def __init__(self) -> None:
        super().__init__()
        self.clicked: list[str] = []

    def compose(self) -> ComposeResult:
        yield NoteBody()

    def on_note_body_link_clicked(self, message: NoteBody.LinkClicked) -> None:
        self.clicked.append(message.href)


def find(body: NoteBody, text: str) -> tuple[int, int]:
    """(x, y) on screen of the first cell of ``text`` in the rendered lines."""
    for y, line in enumerate(body.lines):
        plain = "".join(segment.text for segment in line)
        if text in plain:
            before = plain[: plain.index(text)]
            return sum(2 if ord(ch) > 0x1100 else 1 for ch in before), y
    raise AssertionError(f"{text!r} is not rendered")


async def test_a_click_on_a_link_posts_its_href():
    app = BodyApp()
    async with app.run_test(size=(60, 12)) as pilot:
        body = app.query_one(NoteBody)
        body.update("메타러닝은 [MAML 노트](note:ml%2Fmaml.md)에서 다룬다.")
        await pilot.pause()
        x, y = find(body, "MAML")
        await pilot.click(NoteBody, offset=(x + 1, y))
        assert app.clicked == ["note:ml%2Fmaml.md"]
        await pilot.click(NoteBody, offset=(0, y))  # the text before it is not a link
        assert app.clicked == ["note:ml%2Fmaml.md"]


async def test_a_long_note_shows_its_first_screens_then_the_rest():
    app = BodyApp()
    async with app.run_test(size=(60, 12)) as pilot:
        body = app.query_one(NoteBody)
        width = body.render_width
        first = render_markdown(LONG, width, first_lines=2 * body.size.height)
        assert not first.complete and 2 * body.size.height <= len(first.lines) < 100
        whole = render_markdown(LONG, width)
        assert whole.complete and len(whole.lines) > 500
        # The first part is the whole's beginning, line for line.
        assert [s.text for s in first.lines[5]] == [s.text for s in whole.lines[5]]

        body.update(LONG, first)
        await pilot.pause()
        assert not body.complete and body.virtual_size.height == len(first.lines)
        body.scroll_end(animate=False)  # scrolling to its end renders the rest at once
        await pilot.pause()
        assert body.complete and body.virtual_size.height == len(whole.lines)
        assert "문단 299" in "".join(s.text for s in body.lines[-1] + body.lines[-2])


async def test_a_long_note_left_open_is_completed_by_a_worker():
    source = LONG.replace("긴 노트", "다른 긴 노트")  # not in the cache of complete renders
    app = BodyApp()
    async with app.run_test(size=(60, 12)) as pilot:
        body = app.query_one(NoteBody)
        body.update(source, render_markdown(source, body.render_width, 2 * body.size.height))
        assert not body.complete
        # After COMPLETE_AFTER seconds a worker renders the rest; the view stays put.
        assert await wait_for(pilot, lambda: body.complete)
        assert body.scroll_y == 0 and body.virtual_size.height > 500
