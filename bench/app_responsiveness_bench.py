"""Does the app stay responsive while an experiment runs? Key latency and event-loop lag.

Runs the app headless (Pilot) on a small Korean vault with a tiny sinusoid spec, starts the
note's experiment with ``r`` (the real runner subprocess, then the write-back and plot),
and meanwhile presses up/down in the note list every 0.2 s. Reports:

- key latency: from ``simulate_key`` to the list's cursor having moved (the key handled);
- event-loop lag: lateness of a 20 ms interval timer, idle (2 s before the run) vs during it.

Usage::

    .venv/bin/python bench/app_responsiveness_bench.py [--iterations 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "tui"))

import timing  # noqa: E402  (bench/, beside this script)
from conftest import write_vault  # noqa: E402  (the tests' Korean vault and tiny spec)

from notebase.tui.app import make_app  # noqa: E402

TICK = 0.02


def summary(values: list[float]) -> str:
    return timing.summary(values, 1)


async def measure(root: Path, iterations: int) -> None:
    vault, experiments = write_vault(root, iterations=iterations)
    app = make_app(vault, experiments, watch=False)
    lateness: dict[str, list[float]] = {"idle": [], "run": []}
    phase = "idle"
    last: list[float | None] = [None]

    def tick() -> None:
        now = time.perf_counter()
        if last[0] is not None:
            lateness[phase].append((now - last[0] - TICK) * 1000)
        last[0] = now

    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3):
            pending = [w for w in app.workers if not w.is_finished]
            if pending:
                await app.workers.wait_for_complete(pending)
            await pilot.pause()
        await app.main_screen.open_note("메타러닝의 비용.md")
        app.set_interval(TICK, tick)
        await pilot.pause(2)
        phase = "run"
        started = time.perf_counter()
        await pilot.press("r")
        note_list = app.main_screen.query_one("#notes")
        note_list.focus()
        keys: list[float] = []
        presses = 0
        while app.run_request is not None:
            before = note_list.cursor
            pressed = time.perf_counter()
            app.simulate_key("down" if presses % 2 == 0 else "up")
            presses += 1
            while note_list.cursor == before and time.perf_counter() - pressed < 10:
                await asyncio.sleep(0.002)
            keys.append((time.perf_counter() - pressed) * 1000)
            await asyncio.sleep(0.2)
        seconds = time.perf_counter() - started
        outcome = app.notification_log[-1][1] if app.notification_log else "?"
    print(f"run: {seconds:.1f} s ({outcome})")
    print(f"key handled during the run: {summary(keys)}")
    print(f"timer lateness, idle:       {summary(lateness['idle'])}")
    print(f"timer lateness, during run: {summary(lateness['run'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=300, help="meta-iterations of the run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        asyncio.run(measure(Path(root), args.iterations))
    return 0


if __name__ == "__main__":
    sys.exit(main())
