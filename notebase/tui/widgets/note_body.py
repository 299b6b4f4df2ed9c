"""A note's Markdown drawn by Rich into lines; a frame draws only the lines on screen.

Textual's ``Markdown`` widget mounts a widget per block (a 50-block note: 50 widgets to
style and lay out) and cost 200-800 ms per note on the Obsidian help vault. Here
``render_markdown`` turns the Markdown into lines with Rich (a few ms for most notes; any
thread, so the main screen does it on its page worker) and ``NoteBody`` serves them through
the line API, like ``RowList``. A long note can be rendered in two steps: the top-level
blocks that fill the screen first (``Rendered.complete`` False), then the whole, when it is
scrolled past the first part (at once) or stays open ``COMPLETE_AFTER`` seconds (on a
worker). Not at once on a worker: a thread rendering for 100 ms holds the GIL against the
UI thread, which then takes 5 ms for each hand-back and paints the first part late. Links
keep their ``href``: a click posts ``NoteBody.LinkClicked``. Heading positions are found on
demand from a mark Rich carries through rendering.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial

from markdown_it import MarkdownIt
from rich.console import Console
from rich.markdown import Heading, Markdown
from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer

from notebase.tui.widgets.row_list import LineWidget

HEADING_META = "notebase-heading"
"""Style meta key that marks the text of a heading (its plain text is the value)."""

CACHED_RENDERS = 24
"""Complete renders kept (source and width), so going back and forth renders nothing."""

COMPLETE_AFTER = 0.3
"""Seconds a partly rendered note stays shown before the rest is rendered."""

# Rich's own Markdown parser settings, block rules only: where its top-level blocks end.
_BLOCKS = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
_renders: OrderedDict[tuple[str, int], Rendered] = OrderedDict()
_renders_lock = threading.Lock()
_consoles = threading.local()


class _MarkedHeading(Heading):
    """Rich's heading, its text marked so that the rendered line can be found again."""

    def __rich_console__(self, console, options):
        self.text.stylize(Style(meta={HEADING_META: self.text.plain}))
        yield from super().__rich_console__(console, options)


class _NoteMarkdown(Markdown):
    elements = {**Markdown.elements, "heading_open": _MarkedHeading}


@dataclass(slots=True, frozen=True)
class Rendered:
    """Lines of a note's Markdown at one width."""

    source: str
    width: int
    lines: list[list[Segment]]
    complete: bool
    """False when only the first blocks were rendered (see ``render_markdown``)."""


def render_markdown(source: str, width: int, first_lines: int | None = None) -> Rendered:
    """``source`` rendered by Rich at ``width``; safe on any thread (one console each).

    With ``first_lines`` a long note is rendered only up to the end of the top-level
    block that reaches that many source lines (never fewer rendered lines than that); a
    second call without it renders the whole.
    """
    key = (source, width)
    with _renders_lock:
        cached = _renders.get(key)
        if cached is not None:
            _renders.move_to_end(key)
            return cached
    if first_lines is not None and source.count("\n") > 3 * first_lines:
        cut = _block_end_after(source, first_lines)
        if cut is not None:
            lines = _render(source[:cut], width)
            if len(lines) >= first_lines:
                return Rendered(source, width, lines, complete=False)
    rendered = Rendered(source, width, _render(source, width), complete=True)
    with _renders_lock:
        _renders[key] = rendered
        while len(_renders) > CACHED_RENDERS:
            _renders.popitem(last=False)
    return rendered


def _block_end_after(source: str, line: int) -> int | None:
    """Offset in ``source`` where the first top-level block ending at or past ``line``
    (0-based source line) ends; None when that is the end of the note."""
    for token in _BLOCKS.parse(source):
        if token.level == 0 and token.map and token.map[1] >= line:
            end = token.map[1]
            offset = -1
            for _ in range(end):
                offset = source.find("\n", offset + 1)
                if offset == -1:
                    return None
            return offset
    return None


def _render(source: str, width: int) -> list[list[Segment]]:
    console = getattr(_consoles, "console", None)
    if console is None:  # as Textual's own console, writing nowhere
        console = _consoles.console = Console(
            file=io.StringIO(),
            color_system="truecolor",
            markup=False,
            highlight=False,
            emoji=False,
            legacy_windows=False,
            force_terminal=True,
            safe_box=False,
            soft_wrap=False,
        )
    options = console.options.update(width=width, height=None)
    return console.render_lines(_NoteMarkdown(source, hyperlinks=True), options, pad=False)


class NoteBody(LineWidget, can_focus=True):
    """Scrollable rendered Markdown; ``update(source)`` replaces it."""

    DEFAULT_CSS = """
    NoteBody {
        height: 1fr;
        scrollbar-gutter: stable;
    }
    """

    class LinkClicked(Message):
        """A link of the note was clicked; ``href`` as written in the Markdown."""

        def __init__(self, body: NoteBody, href: str) -> None:
            super().__init__()
            self.body = body
            self.href = href

        @property
        def control(self) -> NoteBody:
            return self.body

    class _Completed(Message):
        """A worker rendered the whole of a partly shown note."""

        def __init__(self, rendered: Rendered) -> None:
            super().__init__()
            self.rendered = rendered

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.source = ""
        """The Markdown shown."""
        self.complete = True
        """False while only the first blocks of a long note are shown."""
        self._lines: list[list[Segment]] = []
        self._width = 0
        self._strips: dict[int, Strip] = {}
        self._completion: Timer | None = None

    @property
    def lines(self) -> list[list[Segment]]:
        """The rendered lines now shown (the first part only while not ``complete``)."""
        return self._lines

    @property
    def render_width(self) -> int:
        """The width lines are rendered at (the scrollbar's gutter is always kept)."""
        return self.scrollable_content_region.width

    # --- content ----------------------------------------------------------------------

    def update(
        self, source: str, rendered: Rendered | None = None, keep_scroll: bool = False
    ) -> None:
        """Show ``source`` (``rendered`` already, when given at this width); from the top
        unless ``keep_scroll``."""
        self.source = source
        width = self.render_width
        if rendered is None or rendered.source != source or rendered.width != width:
            rendered = render_markdown(source, width) if width > 0 else None
        self._show(rendered, width)
        if not keep_scroll:
            self.scroll_to(0, 0, animate=False, force=True)

    def _show(self, rendered: Rendered | None, width: int) -> None:
        self._width = width
        self._strips = {}
        self._lines = rendered.lines if rendered is not None else []
        self.complete = rendered is None or rendered.complete
        self.virtual_size = Size(width, len(self._lines))  # none before the first layout
        self.refresh()
        if self._completion is not None:
            self._completion.stop()
        if not self.complete:
            self._completion = self.set_timer(COMPLETE_AFTER, self._complete_later)

    def _complete_later(self) -> None:
        self.run_worker(
            partial(self._render_whole, self.source, self._width),
            thread=True,
            group="note-body",
            exit_on_error=False,
        )

    def _render_whole(self, source: str, width: int) -> None:
        self.post_message(self._Completed(render_markdown(source, width)))

    @on(_Completed)
    def _completed(self, message: _Completed) -> None:
        rendered = message.rendered
        if not self.complete and (rendered.source, rendered.width) == (self.source, self._width):
            self._show(rendered, self._width)

    def complete_now(self) -> None:
        """Render the whole note now if only its first part is shown."""
        if not self.complete and self._width > 0:
            self._show(render_markdown(self.source, self._width), self._width)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.complete and new_value + self.size.height >= len(self._lines) - 1:
            self.complete_now()

    def on_resize(self) -> None:
        width = self.render_width
        if width != self._width:
            self._show(render_markdown(self.source, width) if width > 0 else None, width)

    def heading_lines(self) -> list[tuple[int, str]]:
        """``(line, heading text)`` of every heading, top to bottom."""
        self.complete_now()
        found = []
        for number, line in enumerate(self._lines):
            for segment in line:
                style = segment.style
                if style is not None and HEADING_META in style.meta:
                    found.append((number, style.meta[HEADING_META]))
                    break
        return found

    def scroll_to_line(self, line: int) -> None:
        self.scroll_to(y=line, animate=False, force=True)

    # --- drawing ----------------------------------------------------------------------

    def _strip(self, index: int) -> Strip:
        strip = self._strips.get(index)
        if strip is None:
            base = self.base_style
            segments = []
            for text, style, control in self._lines[index]:
                if style is not None and style.link:
                    click = Style.from_meta({"@click": f"link({style.link!r})"})
                    style = style.update_link(None) + click
                segments.append(Segment(text, base + style if style else base, control))
            strip = self._strips[index] = Strip(segments)
        return strip

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.base_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._strip(index).crop_extend(scroll_x, scroll_x + width, base)
        return strip.apply_offsets(scroll_x, index)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips = {}  # the base style is in the cached strips

    def action_link(self, href: str) -> None:
        self.post_message(self.LinkClicked(self, href))
