"""SVG snapshots of the main screen and the questions view at 120x40.

Update them after an intended change with ``pytest tests/tui/test_snapshots.py
--snapshot-update`` and look at the SVGs before committing. Only vault-relative paths and
the vault folder's name appear on screen, so the tmp folder does not leak into them.
"""

from __future__ import annotations

from notebase.tui.app import make_app

from .conftest import SIZE, settle, write_vault

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
    async def open_note(pilot):
        await settle(pilot.app, pilot)
        await pilot.app.main_screen.open_note(COST, push=False)
        await settle(pilot.app, pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZE, run_before=open_note)


def test_questions_view(snap_compare, tmp_path):
    async def open_questions(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("o")
        await settle(pilot.app, pilot)

    assert snap_compare(build_app(tmp_path), terminal_size=SIZE, run_before=open_questions)
