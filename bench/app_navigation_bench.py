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
  redrawn the change, minus the same window idle. Once for a note that is not open, once
  for the open note (which is drawn again).

Usage::

    .venv/bin/python bench/app_navigation_bench.py [nav] [--presses 150]
    .venv/bin/python bench/app_navigation_bench.py watch [--notes 10000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
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

from notebase.tui.app import make_app  # noqa: E402


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"median {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms (n={len(ordered)})"
    )


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


async def ui_cpu_while(pilot, done, timeout: float = 60.0) -> tuple[float, float]:
    """UI-thread CPU ms until ``done()`` holds and one more frame was drawn; and wall ms."""
    cpu, wall = time.thread_time(), time.perf_counter()
    deadline = wall + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the change did not reach the screen")
        await pilot.pause(0.005)
    await pilot.pause()
    return (time.thread_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


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
        open_file = app.session.note_file(screen.current_path)
        others = sorted(vault.glob("*.md"))[-rounds:]

        idle: list[float] = []
        handler: list[float] = []
        real = screen.vault_changed

        def timed(update) -> None:
            began = time.perf_counter()
            real(update)
            handler.append((time.perf_counter() - began) * 1000)

        screen.vault_changed = timed
        for label, files in (("a note not open", others), ("the open note", [open_file] * rounds)):
            cpu: list[float] = []
            walls: list[float] = []
            handler.clear()
            for number, path in enumerate(files):
                generation = screen.generation
                # The same window with nothing changing: timers, the watcher's own loop.
                target = time.perf_counter() + 0.35
                idle.append(
                    (await ui_cpu_while(pilot, lambda t=target: time.perf_counter() > t))[0]
                )
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(f"\n벤치마크 줄 {number} — one more line\n")
                spent, wall = await ui_cpu_while(pilot, lambda g=generation: screen.generation > g)
                cpu.append(spent)
                walls.append(wall)
                if path == open_file:
                    await painted(pilot, view, screen.current_path)
                await settle(app, pilot)
            print(f"file change, {label}: UI-thread CPU {summary(cpu)}")
            print(f"    of which the redraw handler (vault_changed): {summary(handler)}")
            print(
                f"    write until redrawn (wall, watcher debounce 300 ms included): {summary(walls)}"
            )
        print(f"idle baseline, same window (~0.35 s): UI-thread CPU {summary(idle)}")


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
