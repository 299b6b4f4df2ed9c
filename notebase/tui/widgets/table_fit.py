"""Markdown tables that fit the note pane without cutting a number or a header word.

Rich's own Markdown table shrinks every column evenly when the table is wider than the
pane and cuts what no longer fits with "…": a results table (``| algorithm | steps | loss |
time |``) came out as ``maml  5  0.0…  3,…`` at 120 columns. ``FitTableElement`` replaces it
in the note body (``note_body._NoteMarkdown``). It chooses the column widths itself:

- a cell that reads as a number (``3,456.78``, ``0.012 ± 0.003``, ``12 %``, ``1.5e-3``,
  ``3.2 s``) is never wrapped or cut: its column is at least as wide as it, and numbers are
  right-aligned unless the table says otherwise;
- text (headers included) wraps at spaces, never inside a word shorter than the pane;
- when even that is wider than the pane, columns are dropped, text columns before number
  columns, from the right, never the first (the row's label); a line under the table says
  how many and which, and how to get room (``b`` and ``p`` hide the side panels).

``fit_widths`` holds the arithmetic (plain numbers in, widths out) so it can be tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import TableElement
from rich.table import Table
from rich.text import Text

NUMBER = re.compile(
    r"""^[\s(~≈<>≤≥]*                       # an opening bracket or an approximation sign
    [-+−]?\d[\d,._']*(?:[eE][-+−]?\d+)?      # 3,456.78  1.5e-3  1_000
    (?:\s*(?:±|\+/-|\+-|/|x|×|–|-|~)\s*      # 0.5 ± 0.1  3/4  2x3  1-2
       [-+−]?\d[\d,._']*(?:[eE][-+−]?\d+)?)*
    \s*(?:%|‰|[a-zA-Zµ/]{1,6}|[a-zA-Zµ]{1,4}\s*/\s*[a-zA-Zµ]{1,4})?   # a unit: % s ms it/s MiB
    [\s)]*$""",
    re.VERBOSE,
)
"""A cell that is a number, a range or a number with its unit: kept on one line, whole."""

EMPTY_CELLS = {"", "-", "–", "—", "n/a", "N/A", "?", "·"}
"""Cells that say "no value": they neither make a column textual nor need any width."""

MIN_TEXT_WIDTH = 6
"""A text column is never made narrower than this (or its widest cell, if less)."""


def is_number(text: str) -> bool:
    """Whether a cell reads as a number (possibly with a unit, a ± or a range)."""
    return bool(NUMBER.match(text.strip()))


@dataclass(slots=True)
class ColumnNeed:
    """What one column needs: at least ``minimum`` cells, at best ``maximum`` (no wrapping)."""

    minimum: int
    maximum: int
    numeric: bool


def column_need(header: Text, cells: list[Text]) -> ColumnNeed:
    """The widths a column needs: numbers whole, text no narrower than its longest word."""
    values = [cell for cell in cells if cell.plain.strip() not in EMPTY_CELLS]
    numeric = bool(values) and all(is_number(cell.plain) for cell in values)
    minimum = 1
    maximum = 1
    for text in [header, *cells]:
        plain = text.plain.strip()
        maximum = max(maximum, text.cell_len)
        if text is not header and numeric:
            minimum = max(minimum, text.cell_len)  # a number: the whole of it
        else:
            words = plain.split()
            longest = max((Text(word).cell_len for word in words), default=1)
            minimum = max(minimum, longest)
    if not numeric:
        minimum = max(minimum, min(MIN_TEXT_WIDTH, maximum))
    return ColumnNeed(minimum, maximum, numeric)


def fit_widths(needs: list[ColumnNeed], room: int, gap: int) -> tuple[list[int], list[int]]:
    """Widths for the columns of a table in ``room`` cells, ``gap`` cells between columns.

    Returns ``(kept, widths)``: the indexes of the columns shown and the width of each. Every
    kept column gets at least its minimum; what is left goes to the text columns that would
    wrap, in proportion to what they still lack, then to the number columns' headers.
    Columns are dropped, text before numbers, the rightmost first, never column 0, while the
    minimums do not fit.
    """
    kept = list(range(len(needs)))

    def total(indexes: list[int]) -> int:
        return sum(needs[i].minimum for i in indexes) + gap * max(len(indexes) - 1, 0)

    while len(kept) > 1 and total(kept) > room:
        droppable = [i for i in kept[1:] if not needs[i].numeric] or kept[1:]
        kept.remove(droppable[-1])
    widths = [needs[i].minimum for i in kept]
    spare = room - total(kept)
    # Text columns first (a narrow one wraps every row), then numbers (only their header).
    for numeric in (False, True):
        group = [p for p, i in enumerate(kept) if needs[i].numeric is numeric]
        lacking = {p: needs[kept[p]].maximum - widths[p] for p in group}
        share = sum(lacking.values())
        if spare <= 0 or share <= 0:
            continue
        if spare >= share:
            given = lacking
        else:
            given = {p: spare * lack // share for p, lack in lacking.items()}
            left = spare - sum(given.values())
            for p in sorted(group, key=lambda p: -lacking[p]):
                if left <= 0:
                    break
                if given[p] < lacking[p]:
                    given[p] += 1
                    left -= 1
        for p, extra in given.items():
            widths[p] += extra
        spare -= sum(given.values())
    return kept, widths


def hidden_note(headers: list[str]) -> str:
    """The line under a table that had to leave columns out."""
    count = len(headers)
    which = ", ".join(headers)
    noun = "column" if count == 1 else "columns"
    return f"{count} {noun} hidden: {which} (widen the window; b / p hide the panels)"


class FitTableElement(TableElement):
    """Rich's Markdown table, with column widths that keep numbers and header words whole."""

    GAP = 2
    """Cells between two columns: one of padding, one of (blank) border."""
    EDGES = 2
    """Cells of the table's (blank) left and right edges."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        headers = []
        if self.header is not None and self.header.row is not None:
            headers = [cell.content.copy() for cell in self.header.row.cells]
        rows = [[cell.content for cell in row.cells] for row in (self.body.rows if self.body else [])]
        columns = max([len(headers), *(len(row) for row in rows)], default=0)
        if columns == 0:
            return
        headers += [Text("") for _ in range(columns - len(headers))]
        rows = [row + [Text("") for _ in range(columns - len(row))] for row in rows]
        needs = [
            column_need(headers[index], [row[index] for row in rows]) for index in range(columns)
        ]
        kept, widths = fit_widths(needs, options.max_width - self.EDGES, self.GAP)
        table = Table(
            box=box.SIMPLE,
            pad_edge=False,
            style="markdown.table.border",
            show_edge=True,
            collapse_padding=True,
        )
        for index, width in zip(kept, widths, strict=True):
            heading = headers[index]
            heading.stylize("markdown.table.header")
            numeric = needs[index].numeric
            if numeric and heading.justify in (None, "default"):
                heading.justify = "right"
            table.add_column(
                heading,
                width=width,
                overflow="fold",
                justify="right" if numeric else "left",
            )
        for row in rows:
            cells = []
            for index in kept:
                cell = row[index]
                if needs[index].numeric and cell.justify in (None, "default"):
                    cell = cell.copy()
                    cell.justify = "right"
                cells.append(cell)
            table.add_row(*cells)
        yield table
        dropped = [headers[index].plain.strip() or f"#{index + 1}" for index in range(columns)
                   if index not in kept]
        if dropped:
            yield Text(hidden_note(dropped), style="dim italic")
