"""End to end, real tiny CPU runs into a Korean note: a full run writes findings and claim
verdicts in Korean; MAML's peak memory along inner steps [1, 3, 6, 10] is judged linear; a
quick run is a preview that answers nothing and leaves the full run's block in place; the
block a later full run replaces is kept; ``show --json`` carries statuses, summaries and
verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from notebase.cli import main
from notebase.config import VaultConfig
from notebase.core.results_block import scan_body
from notebase.core.vault import Vault
from notebase.experiments.findings import growth_of
from notebase.experiments.note_runs import run_note_experiment
from notebase.experiments.spec import find_spec

pytestmark = pytest.mark.slow  # runner subprocesses train (torch start-up)

SPEC = """
name = "cost-check"
task = "sinusoid"
algorithms = ["maml", "fomaml"]

[params]
inner_steps = [1, 3, 6, 10]
meta_iterations = 3
meta_batch = 4
eval_tasks = 4
eval_steps = 2
warmup = 1
threads = 1

[quick]
meta_iterations = 2

[[claims]]
id = "memory-explodes"
text = "2차 미분 때문에 메모리가 지수적으로 늘어난다"
growth = { algorithm = "maml", metric = "peak_memory_bytes", along = "inner_steps" }
expect = "exponential"

[[claims]]
id = "more-memory"
text = "MAML은 FOMAML보다 메모리를 더 쓴다"
ratio = { of = "maml", to = "fomaml", metric = "peak_memory_bytes" }
at_least = 1.0
"""

NOTE = """---
title: 비용 주장
experiments: [cost-check]
---
# 비용 주장

2차 미분 때문에 메모리가 지수적으로 늘어난다고들 한다 [[experiments/cost-check#memory-explodes]].
MAML은 FOMAML보다 메모리를 더 쓴다 [[experiments/cost-check#more-memory]].

## 질문

1. MAML의 메모리는 내부 스텝 수에 따라 어떻게 늘어나는가? [[experiments/cost-check]]
2. 아직 아무 실험도 묻지 않은 질문

## 출처

[^1]: Griewank, Andreas, and Andrea Walther. *Evaluating Derivatives*. SIAM, 2008.
"""


@pytest.fixture
def setup(tmp_path):
    vault = tmp_path / "노트"
    vault.mkdir()
    (vault / "비용 주장.md").write_text(NOTE, encoding="utf-8")
    specs = tmp_path / "experiments"
    specs.mkdir()
    (specs / "cost-check.toml").write_text(SPEC, encoding="utf-8")
    return vault, specs


def _run(vault: Path, specs: Path, *, quick: bool):
    return run_note_experiment(
        vault, vault / "비용 주장.md", find_spec(specs, "cost-check"),
        config=VaultConfig(), quick=quick, device="cpu", runs_dir=specs / "runs",
    )


def _block_text(data: bytes) -> str:
    text = data.decode("utf-8")
    start = text.index("<!-- notebase:results")
    return text[start : text.index("<!-- /notebase:results -->", start) + 26]


def test_findings_verdicts_previews_and_replacements(setup, capsys):
    vault, specs = setup
    note_file = vault / "비용 주장.md"

    # A full run: findings and verdicts, in Korean, with figures.
    full = _run(vault, specs, quick=False)
    assert full.ending == "written", full.message()
    data = note_file.read_bytes()
    block = _block_text(data)
    marker = block.split("\n", 1)[0]
    assert "answers=1 " in marker and "status=answered " in marker
    assert "claims=memory-explodes:not-supported,more-memory:supported " in marker
    assert "\n**답:** «2차 미분 때문에 메모리가 지수적으로 늘어난다» 지지되지 않음" in block
    assert "- maml: 최대 메모리: 내부 스텝 수에 따라 선형으로 늘어난다, +" in block
    assert "KiB/스텝 (선형 모형이 지수 모형보다" in block and "점 4개" in block
    assert "- maml/fomaml: 반복당 시간 " in block and "최대 메모리 " in block
    assert "- `memory-explodes` «2차 미분 때문에 메모리가 지수적으로 늘어난다» — **지지되지 않음**" in block
    assert "- `more-memory` «MAML은 FOMAML보다 메모리를 더 쓴다» — **지지됨**: " in block
    assert "(스윕 점 4개 중 4개가 ≥ 1 충족)" in block

    # MAML's peak memory along [1, 3, 6, 10]: linear, clearly, not exponential.
    growth = growth_of(full.record["results"], "maml", "peak_memory_bytes", "inner_steps")
    assert growth.xs == [1, 3, 6, 10]
    assert (growth.model, growth.conclusive, growth.runner_up) == ("linear", True, "exponential")
    assert growth.slope > 0 and growth.strength >= 2

    questions = Vault.load(vault, use_cache=False).find("비용 주장").questions
    assert [(q.status, q.answered_by) for q in questions] == [
        ("answered", full.run_id), ("open", None),
    ]
    assert questions[0].summary.startswith("«2차 미분 때문에 메모리가 지수적으로 늘어난다» 지지되지 않음")

    # A quick run is a preview: the note keeps every byte, nothing new is answered.
    quick = _run(vault, specs, quick=True)
    assert (quick.status, quick.ending, quick.write.status) == ("ok", "preview", "not-written")
    assert note_file.read_bytes() == data
    assert quick.record["quick"] is True and quick.record["results"]
    assert f"{quick.record_path}" in quick.message() and "is unchanged" in quick.message()
    again = Vault.load(vault, use_cache=False).find("비용 주장").questions
    assert again[0].answered_by == full.run_id

    # The next full run replaces the block; the replaced one is kept, byte for byte.
    second = _run(vault, specs, quick=False)
    assert second.ending == "written" and second.write.replaced
    saved = second.replaced_saved
    assert saved == specs / "runs" / f"{second.run_id}.replaced.md"
    assert str(saved) in second.message()
    assert saved.read_bytes().endswith(_block_text(data).encode("utf-8") + b"\n")
    assert not scan_body(saved.read_text(encoding="utf-8")).problems  # pastes back as a block
    assert full.run_id.encode() not in note_file.read_bytes()

    # show --json: per question its status and summary; per block its claims with verdicts
    # and the note's sentences that point at them.
    code = main(["--vault", str(vault), "--experiments", str(specs), "show", "비용 주장", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert code == 0
    q1, q2 = shown["questions"]
    assert (q1["status"], q1["answered_by"]) == ("answered", second.run_id)
    assert "지지되지 않음" in q1["summary"] and (q2["status"], q2["summary"]) == ("open", None)
    (results,) = shown["results_blocks"]
    assert results["status"] == "answered" and results["summary"] == q1["summary"]
    claims = {c["id"]: c for c in results["claims"]}
    assert claims["memory-explodes"]["verdict"] == "not-supported"
    assert claims["more-memory"]["verdict"] == "supported"
    assert claims["more-memory"]["text"] == "MAML은 FOMAML보다 메모리를 더 쓴다"
    assert claims["memory-explodes"]["sentences"] == [{
        "line": 7,
        "text": "2차 미분 때문에 메모리가 지수적으로 늘어난다고들 한다 "
                "[[experiments/cost-check#memory-explodes]].",
    }]

    # Changing the spec makes the answer stale.
    spec_file = specs / "cost-check.toml"
    spec_file.write_text(SPEC.replace("eval_steps = 2", "eval_steps = 3"), encoding="utf-8")
    main(["--vault", str(vault), "--experiments", str(specs), "questions", "--json"])
    statuses = [q["status"] for q in json.loads(capsys.readouterr().out)]
    assert statuses == ["stale", "open"]
