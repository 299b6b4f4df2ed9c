"""Read a results block's Markdown table back into result rows.

The side panel and the experiment view show a run's numbers from its record
(``experiments/runs/<run_id>.json``), but records are not committed: in a fresh clone only
the note holds the numbers. This reads them from the table a run put there
(``notebase.experiments.results_markdown.render_table``), best effort, in the block that
`notebase.core.results_block` finds (the grammar the parser and the writer use too). It lives
here, beside the rendering, so that the app reads no note syntax itself. Imports no torch.
"""

from __future__ import annotations

import re

from notebase.core.results_block import scan_body

UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
MEMORY = re.compile(r"^([\d.,]+)\s*(B|KiB|MiB|GiB|TiB)(?:\s*\((.+)\))?$")
COLUMNS = {
    "s/iter": "seconds_per_iteration",
    "tasks/s": "tasks_per_second",
    "pre loss": "pre_adaptation_loss",
    "post loss": "post_adaptation_loss",
}


def _number(text: str) -> float | int | None:
    text = text.replace(",", "").strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def block_rows(body: str, experiment: str) -> list[dict]:
    """Result rows of the table in ``experiment``'s results block of a note body (``\\n``
    line ends, as `Note.body` has them): the first such block, as the parser lists it."""
    found = next((b for b in scan_body(body).blocks if b.experiment == experiment), None)
    if found is None:
        return []
    table: list[str] = []
    for line in body.split("\n")[found.start + 1 : found.end]:
        if line.lstrip().startswith("|"):
            table.append(line)
        elif table:
            break  # the first table only
    if len(table) < 3:
        return []
    header = _cells(table[0])
    if not header or header[0] != "algorithm":
        return []
    rows = []
    for line in table[2:]:
        cells = _cells(line)
        row: dict = {}
        for name, cell in zip(header, cells, strict=False):
            if name == "algorithm":
                row["algorithm"] = cell
            elif name == "peak memory":
                match = MEMORY.match(cell)
                if match:
                    row["peak_memory_bytes"] = float(match.group(1)) * UNITS[match.group(2)]
                    if match.group(3):
                        row["memory_kind"] = match.group(3)
            elif name in COLUMNS:
                row[COLUMNS[name]] = _number(cell)
            elif name not in ("pre acc", "post acc"):
                row[name.replace(" ", "_")] = _number(cell) if _number(cell) is not None else cell
        rows.append(row)
    return rows
