"""How long the app takes to draw the largest note of a vault (default: the Obsidian help
vault in Korean, ../shared/corpora/obsidian-help-ko): ``note_markdown`` (links, embeds,
comments rewritten) and ``render_markdown`` (parsed and drawn by Rich at 100 columns, the
render cache emptied each time). Medians of CPU time of the rendering thread, so that other
processes on the machine count less.

    .venv/bin/python bench/render_bench.py [VAULT] [--repeat 21]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from notebase.core.vault import Vault
from notebase.tui.render import note_markdown
from notebase.tui.widgets import note_body

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "obsidian-help-ko"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    if not args.vault.is_dir():
        print(f"no vault at {args.vault}", file=sys.stderr)
        return 1
    vault = Vault.load(args.vault, use_cache=False)
    path = max(vault.notes, key=lambda p: len(vault.notes[p].body))
    note = vault.notes[path]
    rewrite, render = [], []
    for _ in range(args.repeat):
        start = time.thread_time()
        markdown = note_markdown(note, embed=vault.notes.get)
        rewrite.append(time.thread_time() - start)
        note_body._renders.clear()
        start = time.thread_time()
        rendered = note_body.render_markdown(markdown, 100)
        render.append(time.thread_time() - start)
    print(f"{path}: {len(note.body):,} characters, {len(rendered.lines):,} lines at 100 columns")
    print(f"note_markdown   median {statistics.median(rewrite) * 1000:6.1f} ms")
    print(f"render_markdown median {statistics.median(render) * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
