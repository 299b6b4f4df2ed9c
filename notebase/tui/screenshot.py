"""Save an SVG screenshot of the app (the README's image) without a terminal.

    python -m notebase.tui.screenshot docs/screenshot.svg [--vault notes]
        [--experiments experiments] [--note PATH] [--size 120x40]

Runs the app headless on the vault, opens ``--note`` (default: the first note that links an
experiment), waits for the vault and the index, and writes Textual's SVG export.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from notebase.tui.app import make_app


async def take(
    out: Path, vault: Path, experiments: Path, note: str | None, size: tuple[int, int]
) -> str:
    app = make_app(vault.resolve(), experiments.resolve(), watch=False)
    async with app.run_test(size=size) as pilot:
        for _ in range(3):
            pending = [w for w in app.workers if not w.is_finished]
            if pending:
                await app.workers.wait_for_complete(pending)
            await pilot.pause()
        if note is None:
            linked = (
                row.path
                for row in app.session.listing(None).rows
                if (page := app.session.note_page(row.path)) and page.linked_experiments
            )
            note = next(linked, app.main_screen.current_path)
        if note and await app.main_screen.open_note(note, push=False):
            view = app.main_screen.query_one("#note")
            while view.rendered_path != note:
                await pilot.pause(0.05)
        await pilot.pause(0.5)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(app.export_screenshot(title="notebase"), encoding="utf-8")
        return note or ""


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m notebase.tui.screenshot")
    parser.add_argument("out", type=Path)
    parser.add_argument("--vault", type=Path, default=Path("notes"))
    parser.add_argument("--experiments", type=Path, default=Path("experiments"))
    parser.add_argument("--note", default=None, help="vault-relative path of the note to show")
    parser.add_argument("--size", default="120x40", help="WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.lower().split("x"))
    shown = asyncio.run(take(args.out, args.vault, args.experiments, args.note, (width, height)))
    print(f"wrote {args.out} showing {shown}")


if __name__ == "__main__":
    main()
