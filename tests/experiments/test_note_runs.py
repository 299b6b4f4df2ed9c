"""Running a note's experiments: the real runner subprocess on a tiny spec, plus stand-in
runners for the endings a tiny real run cannot produce (a failure, a crash)."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pytest
from results_block_helpers import delete_block_lines, make_record  # in tests/

from notebase.config import VaultConfig
from notebase.core.vault import Vault
from notebase.errors import UserError
from notebase.experiments.note_runs import (
    choose_experiments,
    linked_experiments,
    run_note_experiment,
    stale_results,
    write_record,
)
from notebase.experiments.spec import find_spec, spec_hash

NOTE = """---
title: 내부 단계의 비용
experiments: [tiny-cost]
---
## 내용

2차 MAML은 내부 루프 전체를 미분한다.

## 질문 & 확장

1. 내부 단계가 늘면 메모리는 얼마나 늘어나는가? [[experiments/tiny-cost]]
2. 다른 질문

## 출처

[^1]: Finn, Chelsea, et al. "Model-agnostic meta-learning." *ICML*, 2017.
"""


@pytest.fixture
def vault(tmp_path, write_tiny_spec) -> Path:
    """A vault with one Korean note (Korean file name) and a folder of tiny specs."""
    root = tmp_path / "금고"
    root.mkdir()
    (root / "내부 단계 비용.md").write_bytes(NOTE.encode())
    specs = tmp_path / "experiments"
    specs.mkdir()
    write_tiny_spec(specs, "tiny-cost")
    write_tiny_spec(specs, "tiny-long", iterations=100000)
    return root


def specs_dir(vault: Path) -> Path:
    return vault.parent / "experiments"


def test_linked_experiments_frontmatter_then_questions(vault):
    note_file = vault / "내부 단계 비용.md"
    note_file.write_text(NOTE.replace("2. 다른 질문", "2. 다른 질문 [[experiments/tiny-long]]"))
    note = Vault.load(vault).find("내부 단계 비용")
    assert linked_experiments(note) == ["tiny-cost", "tiny-long"]
    specs = choose_experiments(note, specs_dir(vault))
    assert [s.name for s in specs] == ["tiny-cost", "tiny-long"]
    assert [s.name for s in choose_experiments(note, specs_dir(vault), "tiny-long")] == [
        "tiny-long"
    ]
    with pytest.raises(UserError, match="does not link experiment 'nope'.*tiny-cost, tiny-long"):
        choose_experiments(note, specs_dir(vault), "nope")


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_real_run_writes_block_plot_and_record(vault):
    note_file = vault / "내부 단계 비용.md"
    spec = find_spec(specs_dir(vault), "tiny-cost")
    events = []
    outcome = run_note_experiment(
        vault, note_file, spec, config=VaultConfig.load(vault), quick=False, device="cpu",
        runs_dir=specs_dir(vault) / "runs", on_event=events.append,
    )
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end" and kinds.count("result") == 4
    assert outcome.write.status == "written" and outcome.status == "ok"
    assert outcome.write.written_to == note_file and outcome.run_id == events[0]["run_id"]
    assert outcome.message() == f"tiny-cost: run {outcome.run_id} ok, wrote results into 내부 단계 비용.md"
    record = json.loads(outcome.record_path.read_text())
    assert record["status"] == "ok" and record["quick"] is False
    assert outcome.plot == vault / "attachments" / f"tiny-cost-{outcome.run_id}.png"
    assert outcome.plot.read_bytes().startswith(b"\x89PNG")
    data = note_file.read_bytes()
    assert f"run={outcome.run_id} spec={record['spec_hash']} answers=1 ".encode() in data
    assert f"![[attachments/tiny-cost-{outcome.run_id}.png]]".encode() in data
    assert delete_block_lines(data, "tiny-cost") == NOTE.encode()
    # The core reads the block back: question 1 is answered by this run, question 2 is not.
    reread = Vault.load(vault, use_cache=False)
    questions = reread.find("내부 단계 비용").questions
    assert [(q.status, q.answered_by) for q in questions] == [
        ("answered", outcome.run_id),
        ("open", None),
    ]
    assert stale_results(reread, specs_dir(vault)) == []


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_edit_during_the_run_survives(vault):
    note_file = vault / "내부 단계 비용.md"
    edited = NOTE.replace("2. 다른 질문", "2. 실행 중에 고친 질문")

    def on_event(event):
        if event["event"] == "result" and note_file.read_text() == NOTE:
            note_file.write_text(edited)  # the user saves while the run goes on

    outcome = run_note_experiment(
        vault, note_file, find_spec(specs_dir(vault), "tiny-cost"), config=VaultConfig(),
        quick=False, device="cpu", runs_dir=specs_dir(vault) / "runs", on_event=on_event,
    )
    assert outcome.write.status == "written"
    assert delete_block_lines(note_file.read_bytes(), "tiny-cost") == edited.encode()


@pytest.mark.slow  # a runner subprocess trains (torch start-up)
def test_cancel_interrupts_the_runner_and_leaves_the_note(vault):
    note_file = vault / "내부 단계 비용.md"
    write_record(vault, note_file, make_record("tiny-long", "earlier-good-run"), VaultConfig())
    before = note_file.read_bytes()
    cancel = threading.Event()

    def on_event(event):
        if event["event"] == "progress":
            cancel.set()

    outcome = run_note_experiment(
        vault, note_file, find_spec(specs_dir(vault), "tiny-long"), config=VaultConfig(),
        device="cpu", runs_dir=specs_dir(vault) / "runs", on_event=on_event, cancel=cancel,
    )
    # Messages carry what happened, should this ever fail on a loaded machine.
    assert outcome.write.status == "not-written" and outcome.status == "interrupted", (
        outcome.message()
    )
    assert outcome.ending == "cancelled"
    assert outcome.message().startswith(f"tiny-long: run {outcome.run_id} cancelled")
    assert outcome.message().endswith("; 내부 단계 비용.md is unchanged")
    assert note_file.read_bytes() == before  # the last good block stays
    record = json.loads(outcome.record_path.read_text())
    assert record["status"] == "interrupted" and record["error"], (
        record["status"], record["error"]
    )


def _stand_in_runner(monkeypatch, script: str, *args: str) -> None:
    """Replace the runner subprocess by a small Python script printing JSON events (its
    arguments: the runs folder, then ``args``)."""
    import subprocess

    import notebase.experiments.runner as runner

    def start(spec_path, *, quick, device, runs_dir, **popen_kwargs):
        return subprocess.Popen(
            [sys.executable, "-c", script, str(runs_dir), *args],
            stdout=subprocess.PIPE, text=True, encoding="utf-8",
            **{k: v for k, v in popen_kwargs.items() if k in ("stderr", "start_new_session")},
        )

    monkeypatch.setattr(runner, "start_run_process", start)


FAILING_RUNNER = """
import json, pathlib, sys
runs = pathlib.Path(sys.argv[1]); runs.mkdir(parents=True, exist_ok=True)
record = runs / "r-fail.json"
record.write_text(json.dumps({"run_id": "r-fail", "experiment": "tiny-cost",
                              "status": "failed", "error": "RuntimeError: boom", "results": []}))
for event in ({"event": "start", "run_id": "r-fail", "record": str(record)},
              {"event": "end", "status": "failed", "run_id": "r-fail", "record": str(record),
               "error": "RuntimeError: boom"}):
    print(json.dumps(event), flush=True)
sys.exit(1)
"""

CRASHING_RUNNER = """
import json, sys
print(json.dumps({"event": "start", "run_id": "r-crash"}), flush=True)
sys.exit(3)
"""


@pytest.mark.parametrize(
    ("script", "error"),
    [(FAILING_RUNNER, "RuntimeError: boom"), (CRASHING_RUNNER, "exited with code 3")],
    ids=["failed", "crashed"],
)
def test_failed_run_leaves_the_last_good_block(vault, monkeypatch, script, error):
    note_file = vault / "내부 단계 비용.md"
    write_record(vault, note_file, make_record("tiny-cost", "good-run"), VaultConfig())
    before = note_file.read_bytes()
    _stand_in_runner(monkeypatch, script)
    outcome = run_note_experiment(
        vault, note_file, find_spec(specs_dir(vault), "tiny-cost"), config=VaultConfig(),
        runs_dir=specs_dir(vault) / "runs",
    )
    assert outcome.write.status == "not-written" and outcome.status == "failed"
    assert error in outcome.error and "unchanged" in outcome.write.reason
    assert outcome.ending == "failed" and error in outcome.message()
    assert note_file.read_bytes() == before and b"run=good-run" in before


DYING_RUNNER = """
import json, sys
print(json.dumps({"event": "start", "run_id": "r-dies"}), flush=True)
print("Traceback (most recent call last):", file=sys.stderr)
print("  File \\"train.py\\", line 1", file=sys.stderr)
print("MemoryError: the runner ran out of memory", file=sys.stderr)
print("", file=sys.stderr)
sys.exit(3)
"""


def test_a_runner_dying_without_its_end_says_why_from_its_stderr(vault, monkeypatch, capfd):
    """No end event, no error in a record: the runner's last stderr line is the reason. The
    CLI's sink gets every line as it comes; the app's (None) shows them nowhere."""
    import io

    note_file = vault / "내부 단계 비용.md"
    _stand_in_runner(monkeypatch, DYING_RUNNER)
    spec = find_spec(specs_dir(vault), "tiny-cost")
    sink = io.StringIO()
    for stderr in (sink, None):
        outcome = run_note_experiment(
            vault, note_file, spec, config=VaultConfig(), runs_dir=specs_dir(vault) / "runs",
            stderr=stderr,
        )
        assert outcome.status == "failed" and outcome.write.status == "not-written"
        assert outcome.error == (
            "MemoryError: the runner ran out of memory (the runner exited with code 3)"
        )
        assert outcome.message() == (
            "tiny-cost: run r-dies failed: MemoryError: the runner ran out of memory "
            "(the runner exited with code 3); 내부 단계 비용.md is unchanged"
        )
    assert sink.getvalue().splitlines()[0] == "Traceback (most recent call last):"
    assert "MemoryError" in sink.getvalue()
    assert "MemoryError" not in capfd.readouterr().err  # None: nowhere, not the terminal
    assert note_file.read_bytes() == NOTE.encode()


OK_RUNNER = """
import json, pathlib, sys
runs = pathlib.Path(sys.argv[1]); runs.mkdir(parents=True, exist_ok=True)
record = json.loads(sys.argv[2])
path = runs / (record["run_id"] + ".json")
path.write_text(json.dumps(record))
for event in ({"event": "start", "run_id": record["run_id"], "record": str(path)},
              {"event": "end", "status": "ok", "run_id": record["run_id"], "record": str(path)}):
    print(json.dumps(event), flush=True)
"""


def test_a_note_that_cannot_take_the_block_gets_a_sidecar_and_the_message_says_where(
    vault, monkeypatch
):
    note_file = vault / "내부 단계 비용.md"
    note_file.write_bytes(NOTE.encode() + b"caf\xe9\n")  # not UTF-8: never rewritten
    before = note_file.read_bytes()
    full_run = {**make_record("tiny-cost", "r-ok"), "quick": False}  # a quick one writes nothing
    _stand_in_runner(monkeypatch, OK_RUNNER, json.dumps(full_run))
    outcome = run_note_experiment(
        vault, note_file, find_spec(specs_dir(vault), "tiny-cost"), config=VaultConfig(),
        runs_dir=specs_dir(vault) / "runs",
    )
    assert (outcome.status, outcome.ending) == ("ok", "sidecar")
    assert outcome.write.written_to == vault / "내부 단계 비용.results.md"
    assert outcome.plot == vault / "attachments" / "tiny-cost-r-ok.png" and not outcome.warnings
    assert outcome.message() == (
        f"tiny-cost: run r-ok ok, but the note was left alone ({outcome.write.reason}); "
        "results are in 내부 단계 비용.results.md"
    )
    assert note_file.read_bytes() == before
    assert b"run=r-ok" in outcome.write.written_to.read_bytes()


def test_runner_refusing_to_start_is_a_user_error(vault, monkeypatch):
    _stand_in_runner(
        monkeypatch,
        "import json, sys; print(json.dumps({'event': 'error', 'message': "
        "'device cuda asked for, but no CUDA GPU is available'})); sys.exit(2)",
    )
    note_file = vault / "내부 단계 비용.md"
    with pytest.raises(UserError, match="no CUDA GPU"):
        run_note_experiment(vault, note_file, find_spec(specs_dir(vault), "tiny-cost"),
                            config=VaultConfig(), runs_dir=specs_dir(vault) / "runs")
    assert note_file.read_bytes() == NOTE.encode()


def test_stale_results_when_the_spec_changes(vault):
    note_file = vault / "내부 단계 비용.md"
    current = spec_hash(find_spec(specs_dir(vault), "tiny-cost"))
    record = make_record("tiny-cost", "r1")
    record["spec_hash"] = current
    write_record(vault, note_file, record, VaultConfig())
    write_record(vault, note_file, make_record("gone", "r2"), VaultConfig())
    stale = stale_results(Vault.load(vault, use_cache=False), specs_dir(vault))
    assert stale == [
        {"note": "내부 단계 비용.md", "experiment": "gone", "run_id": "r2",
         "spec_hash": "5pec0000hash", "current_hash": None, "reason": "spec missing"}
    ]
    spec_file = specs_dir(vault) / "tiny-cost.toml"
    spec_file.write_text(spec_file.read_text().replace("hidden = 8", "hidden = 9"))
    stale = stale_results(Vault.load(vault, use_cache=False), specs_dir(vault))
    assert [(s["experiment"], s["reason"]) for s in stale] == [
        ("tiny-cost", "spec changed"),
        ("gone", "spec missing"),
    ]
    spec_file.write_text("name = [broken")
    stale = stale_results(Vault.load(vault, use_cache=False), specs_dir(vault))
    assert [s["reason"] for s in stale] == ["spec invalid", "spec missing"]
    assert note_file.read_bytes().count(b"<!-- notebase:results ") == 2  # read-only


def test_vault_heading_settings_decide_placement(vault):
    (vault / ".notebase.toml").write_text('question_headings = ["^할 일"]\n')
    note_file = vault / "할 일.md"
    original = "# 계획\n\n## 할 일\n\n- 측정 [[experiments/tiny-cost]]\n\n## 메모\n\n끝\n"
    note_file.write_text(original)
    written, _, _ = write_record(
        vault, note_file, make_record("tiny-cost", "r1"), VaultConfig.load(vault)
    )
    text = note_file.read_text()
    assert written.status == "written"
    assert text.index("<!-- notebase:results") < text.index("## 메모")
    assert "answers=1 " in text  # the configured heading's items are the questions
    assert delete_block_lines(note_file.read_bytes(), "tiny-cost") == original.encode()


def test_write_back_writes_nothing_outside_the_vault(vault, tmp_path):
    """A linked attachments/ and a note linked to a file outside the vault: the plot is not
    drawn there, the outside file keeps its bytes, and the block lands in the sidecar."""
    outside = tmp_path / "바깥"
    (outside / "그림").mkdir(parents=True)
    (vault / "attachments").symlink_to(outside / "그림")
    target = outside / "남의 노트.md"
    target.write_text("## 질문\n\n1. 왜? [[experiments/tiny-cost]]\n")
    before = target.read_bytes()
    note_file = vault / "링크 노트.md"
    note_file.symlink_to(target)
    written, plot, warnings = write_record(
        vault, note_file, make_record("tiny-cost", "20261127T151000Z-ab12"), VaultConfig()
    )
    assert plot is None and any(w.startswith("no plot") for w in warnings)
    assert list((outside / "그림").iterdir()) == []
    assert target.read_bytes() == before
    assert written.status == "sidecar" and written.written_to.parent == vault


def test_results_go_beside_the_record_when_the_note_folder_is_read_only(vault, tmp_path):
    folder = vault / "잠긴 폴더"
    folder.mkdir()
    note_file = folder / "노트.md"
    note_file.write_text("## 질문\n\n1. 얼마나? [[experiments/tiny-cost]]\n")
    before = note_file.read_bytes()
    record_path = tmp_path / "runs" / "20261127T151000Z-ab12.json"
    record_path.parent.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK) and os.geteuid() != 0:
            pytest.skip("the folder stays writable here")
        written, _, _ = write_record(
            vault, note_file, make_record("tiny-cost", "20261127T151000Z-ab12"), VaultConfig(),
            record_path=record_path,
        )
    finally:
        folder.chmod(0o755)
    assert note_file.read_bytes() == before
    assert written.status == "not-written" and written.written_to.parent == record_path.parent
    assert str(written.written_to) in written.reason
    assert "notebase:results experiment=tiny-cost" in written.written_to.read_text()
