"""A keyboard list of one-line rows that renders only the rows on screen.

Textual's ``ListView`` mounts a widget per row and ``OptionList`` measures every option
before its first paint; both grow with the vault (see FACTS.md: ~1 s for 10,000 options).
This widget uses the line API: setting 100,000 rows costs a list assignment, a frame
renders ~40 rows. Rows whose ``key`` is None are headings: shown, never selectable.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(slots=True)
class Row:
    """One line of a RowList."""

    key: str | None
    """What a selection reports (e.g. a note path); None for a heading row."""
    text: Text
    """The line as shown (cut to the widget's width, ending in "…", when longer)."""
    heading: bool = False
    """Shown in the heading style (section titles, note titles in a grouped list)."""


class RowMessage(Message):
    """What ``RowList.Highlighted`` and ``RowList.Selected`` carry: the list and the row's key."""

    def __init__(self, row_list: RowList, key: str) -> None:
        super().__init__()
        self.row_list = row_list
        self.key = key
        """The row's ``Row.key``."""

    @property
    def control(self) -> RowList:
        return self.row_list


class LineWidget(ScrollView):
    """A line-API scroll view that keeps its ``rich_style``: the property walks every
    ancestor (~70 µs), which once per drawn line was a third of a frame. Kept until the
    styles change, as Textual keeps its component styles."""

    _base_style: Style | None = None

    @property
    def base_style(self) -> Style:
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None


def vim_keys(down: str, up: str, top: str, bottom: str) -> list[Binding]:
    """``j``/``k``/``g``/``G`` bound to a widget's own down, up, top and bottom actions."""
    return [
        Binding("j", down, "Down", show=False),
        Binding("k", up, "Up", show=False),
        Binding("g", top, "Top", show=False),
        Binding("G", bottom, "Bottom", show=False),
    ]


class RowList(LineWidget, can_focus=True):
    """A virtual list of ``Row``s with a cursor; Enter or a click selects."""

    DEFAULT_CSS = """
    RowList {
        height: 1fr;
        background: $surface;
    }
    RowList > .row-list--cursor {
        background: $block-cursor-blurred-background;
    }
    RowList:focus > .row-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    RowList > .row-list--heading {
        color: $text-accent;
        text-style: bold;
    }
    RowList > .row-list--empty {
        color: $text-muted;
        text-style: italic;
    }
    """

    COMPONENT_CLASSES = {"row-list--cursor", "row-list--heading", "row-list--empty"}

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
        *vim_keys("cursor_down", "cursor_up", "first", "last"),
    ]

    class Highlighted(RowMessage):
        """The cursor moved onto a selectable row."""

    class Selected(RowMessage):
        """A row was chosen (Enter or click)."""

    def __init__(self, empty_text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[Row] = []
        self.cursor: int = -1
        """Index of the highlighted row; -1 when nothing is selectable."""
        self.empty_text = empty_text

    # --- content ----------------------------------------------------------------------

    def set_rows(self, rows: list[Row], keep_key: str | None = None) -> None:
        """Replace the rows; keep the cursor on ``keep_key`` (or the current key) if present."""
        current = keep_key if keep_key is not None else self.highlighted_key
        self.rows = rows
        self.virtual_size = Size(0, len(rows))  # no sideways scrolling: long rows end in "…"
        self.cursor = -1
        if current is not None:
            for index, row in enumerate(rows):
                if row.key == current:
                    self.cursor = index
                    break
        if self.cursor == -1:
            self.cursor = self._next_selectable(0, 1)
        if self.cursor == self._next_selectable(0, 1):
            self.scroll_to(y=0, animate=False, force=True)  # keep headings above it in view
        else:
            # The size may not be known before the next layout.
            self.call_after_refresh(self._scroll_to_cursor)
        self.refresh()

    @property
    def highlighted_key(self) -> str | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor].key
        return None

    def adjacent_keys(self) -> list[str]:
        """The keys of the selectable rows just above and below the cursor."""
        if self.cursor < 0:
            return []
        found = (
            self._next_selectable(self.cursor - 1, -1),
            self._next_selectable(self.cursor + 1, 1),
        )
        return [self.rows[index].key for index in found if index != -1]

    def move_to_key(self, key: str) -> bool:
        for index, row in enumerate(self.rows):
            if row.key == key:
                self._move(index)
                return True
        return False

    # --- rendering ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.base_style
        if not self.rows:
            if y == 0 and self.empty_text:
                style = base + self.get_component_rich_style("row-list--empty")
                strip = Strip([Segment(" " + self.empty_text, style)])
                return strip.crop_extend(0, width, base)
            return Strip.blank(width, base)
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        style = base
        if row.heading:
            style = base + self.get_component_rich_style("row-list--heading")
        if index == self.cursor:
            style = style + self.get_component_rich_style("row-list--cursor")
        text = row.text
        if text.cell_len > width:  # cut to the width with "…", wide (Korean) characters counted
            text = text.copy()
            text.truncate(width, overflow="ellipsis")
        segments = list(text.render(self.app.console, end=""))
        segments = list(Segment.apply_style(segments, style))
        strip = Strip(segments).crop_extend(scroll_x, scroll_x + width, style)
        return strip.apply_offsets(scroll_x, index)

    # --- movement ------------------------------------------------------------------------

    def _next_selectable(self, start: int, step: int) -> int:
        index = start
        while 0 <= index < len(self.rows):
            if self.rows[index].key is not None:
                return index
            index += step
        return -1

    def _move(self, index: int) -> None:
        if index == -1 or index == self.cursor:
            self._scroll_to_cursor()
            return
        old, self.cursor = self.cursor, index
        key = self.highlighted_key
        if key is not None:
            self.announce(self.Highlighted(self, key))
        scrolled = self.scroll_offset
        self._scroll_to_cursor()
        if old >= 0 and self.scroll_offset == scrolled:
            self.refresh_line(old)  # only the two rows whose look changed
            self.refresh_line(index)
        else:
            self.refresh()

    def announce(self, message: RowMessage) -> None:
        """Post ``Highlighted`` (it bubbles up like any message)."""
        self.post_message(message)

    def _scroll_to_cursor(self) -> None:
        if self.cursor >= 0 and self.cursor == self._next_selectable(0, 1):
            self.scroll_to(y=0, animate=False, force=True)
        elif self.cursor >= 0:
            self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True)

    def _step(self, start: int, step: int) -> None:
        target = self._next_selectable(start, step)
        if target == -1:
            target = self._next_selectable(start, -step)
        self._move(target)

    def action_cursor_up(self) -> None:
        if self.cursor > 0:
            target = self._next_selectable(self.cursor - 1, -1)
            if target != -1:
                self._move(target)
            else:
                self.scroll_home(animate=False)

    def action_cursor_down(self) -> None:
        target = self._next_selectable(self.cursor + 1, 1)
        if target != -1:
            self._move(target)

    def action_page_up(self) -> None:
        self._step(max(0, self.cursor - max(1, self.size.height - 1)), -1)

    def action_page_down(self) -> None:
        self._step(min(len(self.rows) - 1, self.cursor + max(1, self.size.height - 1)), 1)

    def action_first(self) -> None:
        self._step(0, 1)

    def action_last(self) -> None:
        self._step(len(self.rows) - 1, -1)

    def action_select(self) -> None:
        key = self.highlighted_key
        if key is not None:
            self.post_message(self.Selected(self, key))

    def on_click(self, event: Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows) and self.rows[index].key is not None:
            self._move(index)
            self.action_select()
