"""The side panel shows what a run found: an answered question with its one-line answer, an
inconclusive one marked apart from open ones, and a stale one once its spec changes."""

from __future__ import annotations

from results_block_helpers import make_record  # in tests/

from notebase.core.note_writer import write_block
from notebase.experiments.results_markdown import render_block
from notebase.experiments.spec import load_spec, spec_hash
from notebase.tui.app import make_app
from notebase.tui.screens.questions import question_rows
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle, write_vault

NOTE = "답한 노트.md"
TEXT = """---
title: 답한 노트
---
# 답한 노트

## 질문

1. 메모리는 어떻게 늘어나는가? [[experiments/meta-cost]]
2. 한 점만으로 알 수 있는가? [[experiments/one-point]]
3. 아직 열린 질문
"""


async def test_side_panel_shows_answers_and_inconclusive_questions(tmp_path):
    vault, experiments = write_vault(tmp_path)
    hashes = {}
    for name in ("meta-cost", "one-point"):  # the specs the blocks were run with
        path = experiments / f"{name}.toml"
        path.write_text('task = "sinusoid"\nalgorithms = ["maml", "fomaml"]\n')
        hashes[name] = spec_hash(load_spec(path))
    note = vault / NOTE
    note.write_text(TEXT, encoding="utf-8")
    full = {**make_record(), "quick": False, "spec_hash": hashes["meta-cost"]}
    write_block(note, lambda _: render_block(full, answers=(1,), language="ko"))
    # One algorithm at one sweep point: nothing to compare, nothing it learnt: inconclusive.
    one = {**make_record("one-point", "r-one"), "quick": False, "spec_hash": hashes["one-point"]}
    one["results"] = [{**one["results"][0], "post_adaptation_loss": 3.3}]
    one["spec"] = {"params": {}}
    write_block(note, lambda _: render_block(one, answers=(2,), language="ko"))
    app = make_app(vault, experiments, watch=False, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note(NOTE, push=False)
        await settle(app, pilot)
        rows = [row.text.plain for row in app.main_screen.query_one(SidePanel).rows]
        # The spec of question 1's run changes: that answer is stale.
        (experiments / "meta-cost.toml").write_text('task = "sinusoid"\nalgorithms = ["maml"]\n')
        page = app.session.note_page(NOTE)
        assert [q.status for q in page.questions] == ["stale", "inconclusive", "open"]
        # The vault-wide questions view says the same, with the answers under them.
        mine = [q for q in app.session.questions() if q.note_path == NOTE]
        listed = [row.text.plain for row in question_rows(mine, open_only=True)]
    assert listed[1].startswith("  ◌ 1. 메모리는 어떻게 늘어나는가?  stale")
    assert listed[2].startswith("      → fomaml: 최대 메모리 일정")
    assert listed[3].startswith("  ◐ 2. 한 점만으로 알 수 있는가?  inconclusive")
    assert listed[4:] == ["      → 결론 없음", "  ○ 3. 아직 열린 질문"]
    first = rows.index("● 1. 메모리는 어떻게 늘어나는가?")
    assert rows[first + 1].startswith("   → fomaml: 최대 메모리 일정")
    second = rows.index("◐ 2. 한 점만으로 알 수 있는가?")
    assert rows[second + 1] == "   → 결론 없음"
    assert "○ 3. 아직 열린 질문" in rows
    assert "Questions (2 open / 3)" in rows
