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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.color import Color
from rich.console import Console, Group
from rich.markdown import BlockQuote, Heading, Markdown, TextElement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from rich.theme import Theme
from textual import on
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.timer import Timer

from notebase.tui.obsidian_markdown import obsidian_parser
from notebase.tui.render import IMAGE_EXTENSIONS, parse_href
from notebase.tui.widgets.row_list import LineWidget, vim_keys
from notebase.tui.widgets.table_fit import FitTableElement

HEADING_META = "notebase-heading"
"""Style meta key that marks the text of a heading (its plain text is the value)."""

HEADING_LEVEL_META = "notebase-heading-level"
"""Style meta key beside ``HEADING_META``: the heading's level (1 for ``#``)."""

CACHED_RENDERS = 24
"""Complete renders kept (source and width), so going back and forth renders nothing."""

COMPLETE_AFTER = 0.3
"""Seconds a partly rendered note stays shown before the rest is rendered."""

# Rich's own Markdown parser settings, block rules only: where its top-level blocks end.
_BLOCKS = MarkdownIt().enable("strikethrough").enable("table").disable("inline")
_renders: OrderedDict[tuple[str, int], Rendered] = OrderedDict()
_renders_lock = threading.Lock()
_consoles = threading.local()
_parsers = threading.local()

THEME = Theme(
    {
        "markdown.mark": "black on yellow",
        "markdown.math": "italic bright_cyan",
        "markdown.math_block": "italic bright_cyan",
        "markdown.callout_folded": "dim",
    }
)
"""Styles of what Rich's theme lacks: highlights, math, a folded callout's marker."""

CALLOUTS = {
    "note": ("✎", "blue"),
    "abstract": ("≡", "cyan"),
    "info": ("ℹ", "blue"),
    "todo": ("☐", "blue"),
    "tip": ("✦", "cyan"),
    "success": ("✔", "green"),
    "question": ("?", "yellow"),
    "warning": ("⚠", "dark_orange"),
    "failure": ("✘", "red"),
    "danger": ("⚡", "red"),
    "bug": ("✱", "red"),
    "example": ("☰", "purple"),
    "quote": ("❝", "bright_black"),
}
"""Icon and colour of each callout family (`notebase.core.obsidian_syntax.CALLOUT_ALIASES`);
other types look like ``note``."""


class _MathBlock(TextElement):
    """A ``$$`` block: its LaTeX as written, indented, in the math style."""

    style_name = "markdown.math_block"

    @classmethod
    def create(cls, markdown, token):
        block = cls()
        block.source = token.content
        return block

    def __rich_console__(self, console, options):
        style = console.get_style(self.style_name, default="none")
        text = Text(self.source, style=style)
        lines = console.render_lines(text, options.update(width=max(options.max_width - 4, 1)))
        for line in lines:
            yield Segment("    ")
            yield from line
            yield Segment("\n")


def _spaced(elements) -> Group:
    """The blocks of a quote or callout with a blank line between them, as outside."""
    parts = []
    for element in elements:
        if parts:
            parts.append(Text())
        parts.append(element)
    return Group(*parts)


class _Quote(BlockQuote):
    """Rich's block quote, its paragraphs apart (an embed shows a note's paragraphs)."""

    def __rich_console__(self, console, options):
        self.elements = _spaced(self.elements)
        yield from super().__rich_console__(console, options)


class _Callout(TextElement):
    """``> [!type]± title``: a coloured title line, ▾ open or ▸ folded, and (open) the
    body behind a bar of the same colour."""

    @classmethod
    def create(cls, markdown, token):
        callout = cls()
        callout.header = token.meta.get("callout")
        callout.title = token.meta.get("title") or (callout.header.title if callout.header else "")
        callout.elements = []
        return callout

    def on_child_close(self, context, child) -> bool:
        self.elements.append(child)
        return False

    def __rich_console__(self, console, options):
        header = self.header
        icon, colour = CALLOUTS.get(header.family, CALLOUTS["note"]) if header else ("", "blue")
        bar = Style(color=colour)
        title = Text(style=Style(color=colour, bold=True))
        title.append("▸ " if header.folded else "▾ ")
        title.append(f"{icon} {self.title}")
        if header.folded and self.elements:
            title.append(" …", console.get_style("markdown.callout_folded"))
        for line in console.render_lines(title, options.update(width=max(options.max_width, 1))):
            yield from line
            yield Segment("\n")
        if header.folded:
            return
        width = max(options.max_width - 2, 1)
        for line in console.render_lines(_spaced(self.elements), options.update(width=width)):
            yield Segment("▌ ", bar)
            yield from line
            yield Segment("\n")


class _MarkedHeading(Heading):
    """Rich's heading, its text marked so that the rendered line can be found again."""

    def __rich_console__(self, console, options):
        level = int(self.tag[1:]) if self.tag[1:].isdigit() else 1
        self.text.stylize(Style(meta={HEADING_META: self.text.plain, HEADING_LEVEL_META: level}))
        yield from super().__rich_console__(console, options)


ImageFiles = Callable[[str], "Path | None"]
"""An image's vault path (an ``open:`` link's) -> its file, None when it may not be read
(the session's ``attachment_file``: inside the vault only)."""

PREVIEW_WIDTH = 60
PREVIEW_ROWS = 16
"""An image preview's largest size in cells (two pixels a cell, one above the other)."""

MAX_PREVIEW_PIXELS = 40_000_000
"""Larger images get no preview (their link still opens them)."""

PREVIEWED = IMAGE_EXTENSIONS - {"svg"}
"""Images Pillow draws (an SVG stays a link)."""

_previews: OrderedDict[tuple, list[list[Segment]]] = OrderedDict()
_previews_lock = threading.Lock()


def _unmark_quoted_headings(tokens: list[Token]) -> None:
    """Headings inside quotes and callouts (an embedded note's) are drawn as headings but
    not marked: the note's outline and ``[[#heading]]`` links find only its own."""
    depth = 0
    for token in tokens:
        if token.type in ("blockquote_open", "callout_open"):
            depth += 1
        elif token.type in ("blockquote_close", "callout_close"):
            depth -= 1
        elif depth and token.type == "heading_open":
            token.type = "quoted_heading_open"


def _with_previews(tokens: list[Token], images: ImageFiles) -> list[Token]:
    """``tokens`` with an ``image_preview`` token after each paragraph holding image links."""
    out: list[Token] = []
    pending: list[Path] = []
    for token in tokens:
        out.append(token)
        if token.type == "inline" and token.children:
            for child in token.children:
                href = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
                parsed = parse_href(href) if href.startswith("open:") else None
                if parsed and parsed[1].rsplit(".", 1)[-1].lower() in PREVIEWED:
                    file = images(parsed[1])
                    if file is not None:
                        pending.append(file)
        elif token.type == "paragraph_close" and pending:
            preview = Token("image_preview", "", 0)
            preview.meta = {"files": pending}
            preview.level = token.level
            out.append(preview)
            pending = []
    return out


def _preview_lines(file: Path, width: int) -> list[list[Segment]]:
    """An image drawn with half blocks (▀: the upper pixel's colour on the lower's), at most
    ``width`` x ``PREVIEW_ROWS`` cells; no lines when it cannot be read. Kept per file
    version and width up to ``PREVIEW_WIDTH`` (wider is the same preview: not decoded again
    when the terminal is resized above it)."""
    width = min(width, PREVIEW_WIDTH)
    try:
        stat = file.stat()
    except OSError:
        return []
    key = (str(file), stat.st_mtime_ns, stat.st_size, width)
    with _previews_lock:
        if key in _previews:
            return _previews[key]
    try:
        from PIL import Image

        with Image.open(file) as image:
            if image.width * image.height > MAX_PREVIEW_PIXELS:
                return []  # decoding it would take seconds and hundreds of MB
            image.draft("RGB", (width, 2 * PREVIEW_ROWS))  # JPEG: decode small
            columns = max(1, min(width, image.width))
            rows = max(1, round(columns * image.height / image.width / 2))
            if rows > PREVIEW_ROWS:
                columns = max(1, round(columns * PREVIEW_ROWS / rows))
                rows = PREVIEW_ROWS
            pixels = image.convert("RGB").resize((columns, 2 * rows)).load()
    except Exception:  # not an image Pillow reads, truncated, too large: the link stays
        return []
    lines = [
        [
            Segment("▀", Style(color=Color.from_rgb(*pixels[x, 2 * y]),
                               bgcolor=Color.from_rgb(*pixels[x, 2 * y + 1])))
            for x in range(columns)
        ]
        for y in range(rows)
    ]
    with _previews_lock:
        _previews[key] = lines
        while len(_previews) > CACHED_RENDERS:
            _previews.popitem(last=False)
    return lines


class _ImagePreview(TextElement):
    """The images of the paragraph above, drawn in the terminal's cells."""

    @classmethod
    def create(cls, markdown, token):
        preview = cls()
        preview.files = token.meta.get("files", [])
        return preview

    def __rich_console__(self, console, options):
        for file in self.files:
            for line in _preview_lines(file, max(options.max_width, 1)):
                yield from line
                yield Segment("\n")


class _NoteMarkdown(Markdown):
    """Rich's Markdown parsed by `obsidian_parser` (one per thread), with its elements."""

    elements = {
        **Markdown.elements,
        "heading_open": _MarkedHeading,
        "quoted_heading_open": Heading,
        "math_block": _MathBlock,
        "blockquote_open": _Quote,
        "callout_open": _Callout,
        "callout_close": _Callout,
        "image_preview": _ImagePreview,
        "table_open": FitTableElement,  # numbers and header words never cut (table_fit)
    }
    inlines = {*Markdown.inlines, "mark", "math"}

    def __init__(
        self, markup: str, hyperlinks: bool = True, images: ImageFiles | None = None
    ) -> None:
        parser = getattr(_parsers, "parser", None)
        if parser is None:
            parser = _parsers.parser = obsidian_parser()
        self.markup = markup
        self.parsed = parser.parse(markup)
        if ">" in markup:
            _unmark_quoted_headings(self.parsed)
        if images is not None and "open:" in markup:
            self.parsed = _with_previews(self.parsed, images)
        self.code_theme = "monokai"
        self.justify = None
        self.style = "none"
        self.hyperlinks = hyperlinks
        self.inline_code_lexer = None
        self.inline_code_theme = "monokai"


@dataclass(slots=True, frozen=True)
class Rendered:
    """Lines of a note's Markdown at one width."""

    source: str
    width: int
    lines: list[list[Segment]]
    complete: bool
    """False when only the first blocks were rendered (see ``render_markdown``)."""


def render_markdown(
    source: str, width: int, first_lines: int | None = None, images: ImageFiles | None = None
) -> Rendered:
    """``source`` rendered by Rich at ``width``; safe on any thread (one console each).

    With ``first_lines`` a long note is rendered only up to the end of the top-level
    block that reaches that many source lines (never fewer rendered lines than that); a
    second call without it renders the whole. With ``images`` a paragraph of image links
    (``open:`` links to image files, see ``notebase.tui.render``) is followed by a preview
    of each image that ``images`` finds and Pillow can read.
    """
    key = (source, width, images is not None)
    with _renders_lock:
        cached = _renders.get(key)
        if cached is not None:
            _renders.move_to_end(key)
            return cached
    if first_lines is not None and source.count("\n") > 3 * first_lines:
        cut = _block_end_after(source, first_lines)
        if cut is not None:
            lines = _render(source[:cut], width, images)
            if len(lines) >= first_lines:
                return Rendered(source, width, lines, complete=False)
    rendered = Rendered(source, width, _render(source, width, images), complete=True)
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


def _render(source: str, width: int, images: ImageFiles | None = None) -> list[list[Segment]]:
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
            theme=THEME,
        )
    options = console.options.update(width=width, height=None)
    markdown = _NoteMarkdown(source, hyperlinks=True, images=images)
    lines = console.render_lines(markdown, options, pad=False)
    # Rich puts a blank line before a quote, list or callout even when it opens the note
    start = 0
    while start < len(lines) and not "".join(segment.text for segment in lines[start]).strip():
        start += 1
    return lines[start:] if start else lines


class NoteBody(LineWidget, can_focus=True):
    """Scrollable rendered Markdown; ``update(source)`` replaces it."""

    DEFAULT_CSS = """
    NoteBody {
        height: 1fr;
        scrollbar-gutter: stable;
    }
    """

    BINDINGS = [
        *vim_keys("scroll_lines(1)", "scroll_lines(-1)", "scroll_top", "scroll_bottom"),
    ]

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
        self.image_files: ImageFiles | None = None
        """Where image previews are read (the main screen sets the session's); None: none."""

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
            rendered = self._render_note(source, width) if width > 0 else None
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

    def _render_note(self, source: str, width: int) -> Rendered:
        """``source`` rendered whole at ``width``, image previews read through ``image_files``."""
        return render_markdown(source, width, images=self.image_files)

    def _render_whole(self, source: str, width: int) -> None:
        self.post_message(self._Completed(self._render_note(source, width)))

    @on(_Completed)
    def _completed(self, message: _Completed) -> None:
        rendered = message.rendered
        if not self.complete and (rendered.source, rendered.width) == (self.source, self._width):
            self._show(rendered, self._width)

    def complete_now(self) -> None:
        """Render the whole note now if only its first part is shown."""
        if not self.complete and self._width > 0:
            self._show(self._render_note(self.source, self._width), self._width)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.complete and new_value + self.size.height >= len(self._lines) - 1:
            self.complete_now()

    def on_resize(self) -> None:
        width = self.render_width
        if width != self._width:
            rendered = self._render_note(self.source, width) if width else None
            self._show(rendered, width)

    def heading_lines(self) -> list[tuple[int, str]]:
        """``(line, heading text)`` of every heading, top to bottom."""
        return [(line, text) for line, _level, text in self.outline()]

    def outline(self) -> list[tuple[int, int, str]]:
        """``(line, level, heading text)`` of every heading, top to bottom."""
        self.complete_now()
        found = []
        for number, line in enumerate(self._lines):
            for segment in line:
                style = segment.style
                if style is not None and HEADING_META in style.meta:
                    meta = style.meta
                    found.append((number, meta.get(HEADING_LEVEL_META, 1), meta[HEADING_META]))
                    break
        return found

    def scroll_to_line(self, line: int) -> None:
        self.scroll_to(y=line, animate=False, force=True)

    def find_line(self, text: str, start: int = 0) -> int | None:
        """The first rendered line at or after ``start`` whose text contains ``text``
        (case-insensitive); None if none does."""
        self.complete_now()
        wanted = text.casefold()
        for number in range(max(start, 0), len(self._lines)):
            if wanted in "".join(segment.text for segment in self._lines[number]).casefold():
                return number
        return None

    # --- keys (j/k/g/G; arrows and Home/End come with the scroll view) -----------------

    def action_scroll_lines(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_y + lines, animate=False, force=True)

    def action_scroll_top(self) -> None:
        self.scroll_to(y=0, animate=False, force=True)

    def action_scroll_bottom(self) -> None:
        self.complete_now()
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True)

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
