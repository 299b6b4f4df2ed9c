"""SVG snapshots of the main screen and the questions view at 120x40, and at 80x24 of the main
screen and a results table (whose baselines the lead generates).

Update them after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing. Only vault-relative paths and
the vault folder's name appear on screen, so the tmp folder does not leak into them.
"""

from __future__ import annotations

from notebase.tui.app import make_app
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle, wait_for, write_vault

COST = "메타러닝의 비용.md"


def build_app(tmp_path):
    vault, experiments = write_vault(tmp_path)
    maml = vault / "알고리즘/MAML.md"
    maml.write_text(
        maml.read_text(encoding="utf-8") + "\n## 질문\n\n1. 헤시안 없이도 되는가?\n\n"
        "<!-- notebase:results experiment=tiny run=20250101T000000Z-abcdef answers=1 -->\n"
        "\n| algorithm | s/it |\n|---|---|\n| fomaml | 0.01 |\n\n<!-- /notebase:results -->\n",
        encoding="utf-8",
    )
    return make_app(vault, experiments, watch=False)


def test_main_screen(snap_compare, tmp_path):
    assert snap_compare(build_app(tmp_path), terminal_size=SIZE, run_before=opening(COST))


def test_questions_view(snap_compare, tmp_path):
    async def open_questions(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("o")
        await settle(pilot.app, pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZE, run_before=open_questions)


RESULTS = "결과 표.md"
RESULTS_NOTE = """\
---
title: 결과 표
tags: [ml/meta]
---
# 결과 표

<!-- notebase:results experiment=tiny run=20250101T000000Z-abcdef -->

| algorithm | inner steps | final loss | wall time (s) | peak memory (MiB) | notes on the run |
|---|---|---|---|---|---|
| maml | 5 | 0.012345 | 3,456.78 | 1,234.5 | second order |
| fomaml | 5 | 0.023456 | 1,234.56 | 789.25 | first order only |
| reptile | 10 | 0.034567 | 987.65 | 456.75 | no inner gradient |

<!-- /notebase:results -->
"""


def build_results_app(tmp_path):
    """The test vault with a note holding a results table (numbers, wide and wrapping headers)."""
    vault, experiments = write_vault(tmp_path)
    (vault / RESULTS).write_text(RESULTS_NOTE, encoding="utf-8")
    return make_app(vault, experiments, watch=False)


def opening(path):
    """Open ``path`` and wait for everything its screen shows, the side panel's unlinked
    mentions (looked for a moment later, on a worker) included."""

    async def open_it(pilot):
        await settle(pilot.app, pilot)
        await pilot.app.main_screen.open_note(path, push=False)
        side = pilot.app.main_screen.query_one(SidePanel)
        assert await wait_for(pilot, lambda: side.mentions is not None)
        await settle(pilot.app, pilot)

    return open_it


def test_main_screen_80x24(snap_compare, tmp_path):
    """At 80 columns the side panel folds away and the note has most of the width."""
    assert snap_compare(build_app(tmp_path), terminal_size=(80, 24), run_before=opening(COST))


def test_results_table_80x24(snap_compare, tmp_path):
    app = build_results_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=opening(RESULTS))


def test_results_table_120x40(snap_compare, tmp_path):
    app = build_results_app(tmp_path)
    assert snap_compare(app, terminal_size=(120, 40), run_before=opening(RESULTS))
