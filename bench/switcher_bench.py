"""How fast does the quick switcher answer a keystroke? And what do unlinked mentions cost?

On a copy of ``obsidian-help-ko`` (173 notes; or a generated vault with ``--notes N``,
``gen_vault.py``):

1. ``score``: the switcher's keys are prepared once (``Matcher`` over
   ``session.switch_targets()``, as the screen does on its worker), then every query of
   ``QUERIES`` is typed one keystroke at a time (a Korean syllable is one keystroke, as a
   terminal's input method commits it) and each keystroke's query is answered by
   ``Matcher.search``, the very function the screen calls on the UI thread; ``--rounds``
   times over. Prints median, p95 and max per keystroke.
2. ``pilot``: the real app headless (``App.run_test()``): ctrl+o, then the same queries
   pressed key by key, each timed from the key press until the switcher has painted the
   list for the new query (``SwitcherScreen.painted_query`` and ``painted_at``, set after
   the screen refresh that shows it).
3. ``mentions``: ``session.unlinked_mentions`` (the side panel's section, computed on a
   worker; reading stops past ``MENTIONS_LIMIT``, shown as ``200+``) for every note (at
   most ``--mention-notes``, evenly spread over the list), cache aside: median, max, and
   the note with the most mentions.

Usage::

    .venv/bin/python bench/switcher_bench.py [--notes N] [--rounds 20] [--skip-pilot]
        [--mention-notes 200]
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
from notebase.tui.screens.switcher import Matcher, SwitcherScreen  # noqa: E402
from notebase.tui.session import VaultSession  # noqa: E402

QUERIES = [
    "설정",
    "템플릿",
    "플러그인 보안",
    "단축키",
    "ㅅㅈ",  # initials of 설정
    "ㅍㄹㄱㅇ",  # 플러그인
    "obsidian sync",
    "publish",
    "canvas",
    "Obsidan",  # a typo
    "bases 보기",
    "웹 클리퍼",
    "메타러닝",
    "zzz 없는 노트",
]


def summary(values: list[float]) -> str:
    return timing.summary(values, 2)


def keystrokes(query: str) -> list[str]:
    """The box's text after each keystroke of ``query``."""
    return [query[: n + 1] for n in range(len(query))]


def bench_score(session: VaultSession, rounds: int) -> None:
    started = time.perf_counter()
    targets = session.switch_targets()
    matcher = Matcher(targets)
    prepared = (time.perf_counter() - started) * 1000
    print(f"keys prepared once: {prepared:.1f} ms for {len(targets)} notes")
    times: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            for typed in keystrokes(query):
                started = time.perf_counter()
                matcher.search(typed)
                times.append((time.perf_counter() - started) * 1000)
    print(f"score per keystroke (Matcher.search): {summary(times)}")
    for query in QUERIES:
        best = matcher.search(query)[:3]
        print(f"  {query!r}: " + ", ".join(f"{m.title} ({m.path})" for m in best))


async def bench_pilot(vault: Path, experiments: Path) -> None:
    app = make_app(vault, experiments, watch=False, use_cache=False)
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(1200):  # the list, and the index (a worker that holds the GIL)
            if app.main_screen.current_path and app.session.index_state != "loading":
                break
            await pilot.pause(0.05)
        await pilot.press("ctrl+o")
        screen = app.screen
        assert isinstance(screen, SwitcherScreen)
        while screen.matcher is None:
            await pilot.pause(0.01)
        box = screen.query_one("#switcher-input")
        for query in QUERIES:
            box.value = ""
            while screen.painted_query != "":
                await pilot.pause(0.005)
            for char in query:
                typed = box.value + char
                started = time.perf_counter()
                await pilot.press("space" if char == " " else char)
                while screen.painted_query != typed:
                    await pilot.pause(0.001)
                times.append((screen.painted_at - started) * 1000)
    print(f"Pilot key press -> list painted: {summary(times)}")


def bench_mentions(session: VaultSession, most: int) -> None:
    times = []
    paths = list(session._vault.notes)
    step = max(1, len(paths) // most)
    for path in paths[::step][:most]:
        session._mentions = ((), [])  # the cache aside
        started = time.perf_counter()
        rows, complete = session.unlinked_mentions(path)
        count = f"{len(rows)}{'' if complete else '+'}"
        times.append(((time.perf_counter() - started) * 1000, count, path))
    most = max(times, key=lambda item: int(item[1].rstrip("+")))
    slowest = max(times)
    print(f"unlinked mentions per note: {summary([t for t, _n, _p in times])}")
    print(f"  most mentions: {most[2]} ({most[1]} mentions) in {most[0]:.1f} ms")
    print(f"  slowest: {slowest[2]} ({slowest[1]} mentions) in {slowest[0]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, help="a generated vault of N notes instead")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-pilot", action="store_true")
    parser.add_argument("--mention-notes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        if args.notes:
            if not GEN_VAULT.exists():
                sys.exit(f"{GEN_VAULT} is missing")
            command = [sys.executable, str(GEN_VAULT), str(vault), "--n", str(args.notes)]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        else:
            if not CORPUS.is_dir():
                sys.exit(f"{CORPUS} is missing")
            shutil.copytree(CORPUS, vault)  # the app writes its index into the vault
        experiments = Path(tmp) / "experiments"
        experiments.mkdir()
        session = VaultSession(vault, experiments, use_cache=False)
        session.load()
        print(f"vault: {vault.name} ({len(session.switch_targets())} notes)")
        bench_score(session, args.rounds)
        if not args.skip_pilot:
            asyncio.run(bench_pilot(vault, experiments))
        bench_mentions(session, args.mention_notes)


if __name__ == "__main__":
    main()
