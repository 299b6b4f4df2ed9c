"""Running a note's experiment from the app: the real runner subprocess, tiny torch runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Markdown

from notebase.config import VaultConfig
from notebase.tui.app import make_app
from notebase.tui.runs import RunRequest, event_kind, execute
from notebase.tui.screens.modals import ChooseScreen, DetailScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.run_panel import RunPanel
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle, wait_for, write_vault

COST = "메타러닝의 비용.md"

pytestmark = pytest.mark.slow


async def test_full_run_writes_results_into_the_note_and_reloads_it(tmp_path):
    vault, experiments = write_vault(tmp_path)
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)  # its page comes from a worker
        await pilot.press("r")
        await pilot.pause()
        assert app.run_request is not None and not app.run_request.quick
        panel = app.main_screen.query_one(RunPanel)
        assert panel.has_class("-active")
        # Still browsable while it runs.
        await app.main_screen.open_note("일기.md")
        assert app.main_screen.current_path == "일기.md"
        # The run, then the refresh it starts.
        assert await wait_for(pilot, lambda: app.run_request is None, 120)
        await settle(app, pilot)
        done = [m for s, m in app.notification_log if "wrote results into" in m]
        assert done and done[0].endswith(f"ok, wrote results into {COST}"), app.notification_log
        text = (vault / COST).read_text(encoding="utf-8")
        assert "<!-- notebase:results experiment=tiny" in text
        page = app.session.note_page(COST)
        [summary] = page.experiments
        assert summary.name == "tiny" and summary.run_id and summary.status == "ok"
        # The question that names the experiment is now addressed by a full run (answered, or
        # inconclusive: 3 iterations of one algorithm need not find anything).
        assert page.questions[0].status in ("answered", "inconclusive")
        await app.main_screen.open_note(COST)
        await settle(app, pilot)
        side = app.main_screen.query_one(SidePanel)
        row = next(r for r in side.rows if r.key == "exp:tiny")
        assert f"run {summary.run_id}" in row.text.plain
        # The run record's numbers are shown under it.
        assert any("fomaml k=1" in r.text.plain for r in side.rows)
        assert "notebase:results" in app.main_screen.query_one(NoteBody).source
        # Enter on the experiment shows the last run's numbers as a bar chart.
        side.focus()
        side.move_to_key("exp:tiny")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        assert "time per meta-iteration" in app.screen.query_one(Markdown).source


async def test_quick_run_is_a_preview_that_leaves_the_note(tmp_path):
    """R: a quick run is shown in the run panel, and the note keeps every byte."""
    vault, experiments = write_vault(tmp_path)
    before = (vault / COST).read_bytes()
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)
        await pilot.press("R")
        await pilot.pause()
        assert app.run_request is not None and app.run_request.quick
        assert await wait_for(pilot, lambda: app.run_request is None, 120)
        await settle(app, pilot)
        done = [m for _, m in app.notification_log if "a preview" in m]
        assert done and f"{COST} is unchanged" in done[0], app.notification_log
        assert (vault / COST).read_bytes() == before
        assert app.session.note_page(COST).questions[0].status == "open"


async def test_cancel_leaves_the_note_unchanged(tmp_path):
    vault, experiments = write_vault(tmp_path, iterations=200000)
    before = (vault / COST).read_bytes()
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)  # its page comes from a worker
        await pilot.press("r")
        panel = app.main_screen.query_one(RunPanel)
        # Torch starts in the subprocess (a few seconds), then progress events come.
        assert await wait_for(pilot, lambda: panel.progress_events, 60), app.notification_log
        await pilot.press("x")
        await settle(app, pilot)
        assert app.run_request is None
        assert any(
            s == "warning" and "cancelled" in m and "unchanged" in m
            for s, m in app.notification_log
        ), app.notification_log
    assert (vault / COST).read_bytes() == before
    records = [json.loads(p.read_text()) for p in (experiments / "runs").glob("*.json")]
    assert [r["status"] for r in records] == ["interrupted"]


async def test_several_experiments_ask_which_one(tmp_path):
    vault, experiments = write_vault(tmp_path)
    note = vault / COST
    note.write_text(
        note.read_text(encoding="utf-8").replace(
            "experiments: [tiny]", "experiments: [tiny, other]"
        ),
        encoding="utf-8",
    )
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)  # its page comes from a worker
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ChooseScreen)
        await pilot.press("down", "enter")  # "other": no such spec
        await pilot.pause()
        assert app.run_request is None
        assert any(s == "error" and "other" in m for s, m in app.notification_log)


async def test_cancel_right_after_start_also_cancels(tmp_path):
    vault, experiments = write_vault(tmp_path, iterations=200000)
    before = (vault / COST).read_bytes()
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)  # its page comes from a worker
        await pilot.press("r", "x")  # most likely before the runner process even exists
        await settle(app, pilot)
        assert app.run_request is None
        assert any("cancelled" in m for _, m in app.notification_log), app.notification_log
    assert (vault / COST).read_bytes() == before


def test_a_failed_run_says_why_and_leaves_the_note(tmp_path):
    """The runner refuses ``--device cuda`` without a GPU: the outcome carries its reason."""
    if Path("/dev/nvidia0").exists():
        pytest.skip("a GPU is present: the cuda run would succeed")
    vault, experiments = write_vault(tmp_path)
    before = (vault / COST).read_bytes()
    request = RunRequest(
        note_path=COST,
        experiment="tiny",
        quick=True,
        vault_root=vault,
        experiments_dir=experiments,
        device="cuda",
    )
    events: list[dict] = []
    outcome = execute(request, vault / COST, VaultConfig(), events.append)
    assert outcome.status == "failed" and outcome.ending == "failed"
    message = outcome.message()
    assert message.startswith("tiny: the run failed: ") and "cuda" in message.lower()
    assert message.endswith(f"; {COST} is unchanged")
    assert any(event_kind(e) == "error" for e in events)
    assert (vault / COST).read_bytes() == before


PLAN = """\
---
title: 설정 노트
experiments: [tiny]
---
# 설정 노트

## 실험 계획

1. 작은 실행은 얼마나 걸리는가? [[experiments/tiny]]

## 메모

끝
"""


async def test_a_run_writes_with_the_vaults_settings_into_the_notes_real_file(tmp_path):
    """``.notebase.toml`` makes "실험 계획" a questions heading, and the note's file name is
    decomposed (NFD, as macOS writes it). The block goes into that very file, under the
    configured heading, answering its question: the run writes with the settings and the
    file the app read the notes with (the settings file changing meanwhile changes
    nothing until the app is restarted)."""
    import unicodedata

    vault, experiments = write_vault(tmp_path)
    settings = vault / ".notebase.toml"
    settings.write_text('question_headings = ["^실험 계획"]\n', encoding="utf-8")
    name = "설정 노트.md"
    note_file = vault / unicodedata.normalize("NFD", name)
    note_file.write_text(PLAN, encoding="utf-8")
    app = make_app(vault, experiments, watch=False, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        settings.unlink()  # read once, at start
        await app.main_screen.open_note(name, push=False)
        await settle(app, pilot)  # its page comes from a worker
        await pilot.press("r")  # a full run: a quick one (R) is a preview, never written
        assert await wait_for(pilot, lambda: app.run_request is None, 120)
        await settle(app, pilot)
        assert app.notification_log[-1][1].endswith(f"ok, wrote results into {name}"), (
            app.notification_log
        )
        page = app.session.note_page(name)
        assert [q.status for q in page.questions] != ["open"]
    # The decomposed file took the block: no composed twin, no sidecar.
    assert sorted(p.name for p in vault.glob("*.md")) == sorted([COST, "일기.md", note_file.name])
    text = note_file.read_text(encoding="utf-8")
    assert "<!-- notebase:results experiment=tiny " in text and " answers=1 " in text
    assert text.index("## 실험 계획") < text.index("<!-- notebase:results") < text.index("## 메모")


async def test_ctrl_r_runs_on_the_chosen_number_of_processes(tmp_path, monkeypatch):
    """The app's way to `notebase run --nproc N`: choose the process count, the run goes
    through torch's launcher, the note gets the results and the record says world_size 2."""
    import notebase.tui.app as app_module

    monkeypatch.setattr(app_module, "process_counts", lambda: [2, 4])  # whatever the CPUs
    vault, experiments = write_vault(tmp_path)
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(COST, push=False)
        await settle(app, pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ChooseScreen)
        await pilot.press("enter")  # 2 processes
        await pilot.pause()
        assert app.run_request is not None and app.run_request.nproc == 2
        assert await wait_for(pilot, lambda: app.run_request is None, 180)
        done = [m for s, m in app.notification_log if "wrote results into" in m]
        assert done and done[0].endswith(f"ok, wrote results into {COST}"), app.notification_log
    (record_file,) = (experiments / "runs").glob("*.json")
    record = json.loads(record_file.read_text(encoding="utf-8"))
    assert record["world_size"] == 2 and record["status"] == "ok"
    assert "<!-- notebase:results experiment=tiny" in (vault / COST).read_text(encoding="utf-8")
