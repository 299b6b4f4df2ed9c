"""How fast is the app to use? Moving between notes, and a file changing under it.

Drives the real app headless with Pilot (``App.run_test()``).

- ``nav`` (default): on a copy of ``obsidian-help-ko`` (173 notes), with the note list
  focused, presses ``down`` N times. Each press is timed from the key until the note view
  has painted the new note (``NoteView.rendered_path`` and ``rendered_at``, set after the
  screen refresh that shows it), waiting for the app to be idle between presses. Then the
  same for a held key: ``--burst`` presses 30 ms apart, timed until the last note is painted.
- ``watch``: on a generated vault (``gen_vault.py``, 10,000 notes by default; kept in the
  temporary folder between runs, the search index too), with the file watcher on, appends
  a line to a note, R times, and measures the CPU time of the UI thread
  (``time.thread_time()`` on the event loop's thread) from the write until the screen has
  redrawn the change (the main screen's ``vault_changed`` ran, then one screen refresh;
  waited on, not polled), minus the CPU time of an idle window as long (timers, the
  watcher's own polling). For a line added to a note that is not open, to the open note
  (drawn again: until its new page is painted), and for a changed title (the list re-sorts
  and its changed row is drawn).

Usage::

    .venv/bin/python bench/app_navigation_bench.py [nav] [--presses 150]
    .venv/bin/python bench/app_navigation_bench.py watch [--notes 10000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpora" / "obsidian-help-ko"
GEN_VAULT = SHARED / "bench" / "gen_vault.py"
SIZE = (120, 40)

import timing  # noqa: E402  (bench/, beside this script)

from notebase.tui.app import make_app  # noqa: E402


def summary(values: list[float]) -> str:
    return timing.summary(values, 1)


async def settle(app, pilot) -> None:
    """Until the workers are done (the watcher aside) and the screen caught up."""
    for _ in range(3):
        pending = [w for w in app.workers if w.group != "watch" and not w.is_finished]
        if pending:
            await app.workers.wait_for_complete(pending)
        await pilot.pause()


async def painted(pilot, view, path: str, timeout: float = 30.0) -> float:
    """Wait until the note view has painted ``path``; its paint time (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while view.rendered_path != path:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{path} was not shown within {timeout} s")
        await pilot.pause(0.001)
    return view.rendered_at


# --- moving between notes -------------------------------------------------------------


async def navigate(vault: Path, presses: int, burst: int, rounds: int) -> None:
    app = make_app(vault, vault.parent / "experiments", watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        note_list = screen.query_one("#notes")
        view = screen.query_one("#note")
        note_list.focus()
        await painted(pilot, view, screen.current_path)
        await pilot.pause()

        single: list[float] = []
        for _ in range(presses):
            if note_list.cursor >= len(note_list.rows) - 1:
                await pilot.press("home")
                await painted(pilot, view, note_list.highlighted_key)
                await pilot.pause()
            target = note_list.rows[note_list.cursor + 1].key
            started = time.perf_counter()
            await pilot.press("down")
            single.append((await painted(pilot, view, target) - started) * 1000)
            await pilot.pause()
        print(f"one press, until the note is painted: {summary(single)}")

        held: list[float] = []
        for _ in range(rounds):
            await pilot.press("home")
            await painted(pilot, view, note_list.highlighted_key)
            await pilot.pause()
            for _ in range(burst):
                last = time.perf_counter()
                await pilot.press("down")
                await asyncio.sleep(max(0.0, 0.03 - (time.perf_counter() - last)))
            target = note_list.highlighted_key
            held.append((await painted(pilot, view, target) - last) * 1000)
            await pilot.pause()
        print(f"held key ({burst} presses 30 ms apart), last press until painted: {summary(held)}")


# --- a file changing under the app ------------------------------------------------------


def generated_vault(notes: int) -> Path:
    root = Path(tempfile.gettempdir()) / f"notebase-nav-bench-{notes}"
    vault = root / "vault"
    if not vault.is_dir():
        vault.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, str(GEN_VAULT), str(vault), "--n", str(notes)]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return vault


async def refreshed(widget) -> None:
    """Until the screen has refreshed once more (``call_after_refresh``)."""
    done = asyncio.get_running_loop().create_future()
    widget.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


async def watch(vault: Path, rounds: int) -> None:
    app = make_app(vault, vault.parent / "experiments", watch=True)
    async with app.run_test(size=SIZE) as pilot:
        started = time.perf_counter()
        while app.session.index_state == "loading":
            await settle(app, pilot)
            await pilot.pause(0.1)
        await settle(app, pilot)
        print(
            f"{len(app.main_screen.query_one('#notes').rows)} notes, index "
            f"{app.session.index_state}, ready after {time.perf_counter() - started:.1f} s"
        )
        screen = app.main_screen
        view = screen.query_one("#note")
        await painted(pilot, view, screen.current_path)
        open_file = vault / screen.current_path  # generated names: ASCII
        others = sorted(vault.glob("*.md"))[-rounds:]

        handler: list[float] = []
        changed: list[asyncio.Future] = []
        real = screen.vault_changed
        loop = asyncio.get_running_loop()

        def timed(update) -> None:
            began = time.perf_counter()
            real(update)
            handler.append((time.perf_counter() - began) * 1000)
            if changed and not changed[-1].done():
                changed[-1].set_result(None)

        screen.vault_changed = timed
        titled = [
            p for p in sorted(vault.glob("*.md"))[-2 * rounds - 1 : -rounds] if p != open_file
        ]
        run = time.strftime("%H%M%S")  # every title written differs from the one on disk
        scenarios = (
            ("a line added to a note not open", others, False),
            ("a line added to the open note", [open_file] * rounds, False),
            ("the title of a note not open (the list re-sorts)", titled, True),
        )
        for label, files, retitle in scenarios:
            cpu: list[float] = []
            idle: list[float] = []
            walls: list[float] = []
            handler.clear()
            for number, path in enumerate(files[:rounds]):
                changed.append(loop.create_future())
                began, wall = time.thread_time(), time.perf_counter()
                if retitle:
                    text = path.read_text(encoding="utf-8")
                    start = text.index("title: ") + len("title: ")
                    end = text.index("\n", start)
                    path.write_text(f"{text[:start]}{number} 새 제목 {run}{text[end:]}", "utf-8")
                else:
                    with path.open("a", encoding="utf-8") as handle:
                        handle.write(f"\n벤치마크 줄 {number} — one more line\n")
                await asyncio.wait_for(changed[-1], 60)
                if path == open_file:  # its new page comes from a worker, then is painted
                    while view.rendered_at < wall:
                        await refreshed(view)
                await refreshed(view)
                cpu.append((time.thread_time() - began) * 1000)
                walls.append(time.perf_counter() - wall)
                # An idle window as long: what the UI thread spends anyway.
                began = time.thread_time()
                await asyncio.sleep(walls[-1])
                idle.append((time.thread_time() - began) * 1000)
                walls[-1] *= 1000
                await settle(app, pilot)
            extra = [spent - base for spent, base in zip(cpu, idle, strict=True)]
            print(f"file change, {label}:")
            print(f"    UI-thread CPU, write until redrawn, minus idle: {summary(extra)}")
            print(f"    (raw {summary(cpu)}; idle {summary(idle)})")
            print(f"    the redraw handler (vault_changed) alone: {summary(handler)}")
            print(
                f"    wall, write until redrawn (300 ms watcher debounce in it): {summary(walls)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=["nav", "watch"], default="nav")
    parser.add_argument("--presses", type=int, default=150)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--notes", type=int, default=10000)
    args = parser.parse_args()
    if args.mode == "nav":
        with tempfile.TemporaryDirectory() as tmp:
            vault = Path(tmp) / "vault"
            shutil.copytree(CORPUS, vault, ignore=shutil.ignore_patterns(".notebase"))
            (Path(tmp) / "experiments").mkdir()
            asyncio.run(navigate(vault, args.presses, args.burst, args.rounds))
    else:
        vault = generated_vault(args.notes)
        (vault.parent / "experiments").mkdir(exist_ok=True)
        asyncio.run(watch(vault, args.rounds))


if __name__ == "__main__":
    main()
