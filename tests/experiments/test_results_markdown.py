"""A run rendered as Markdown: the table, the provenance line, the block as it lands in a note.

Where the block goes and what the writer guarantees is tested in tests/core/test_note_writer.py.
"""

from __future__ import annotations

from results_block_helpers import delete_block_lines, make_record  # in tests/

from notebase.core.note_writer import write_block
from notebase.core.parse import parse_note
from notebase.core.results_block import block_hash
from notebase.experiments.results_markdown import human_bytes, render_block
from notebase.experiments.results_table import block_rows

NOTE = """---
title: 메타러닝의 비용
experiments: [meta-cost]
---
## 질문 & 확장

1. 내부 단계 수에 따라 메모리는 어떻게 늘어나는가? [[experiments/meta-cost]]
2. FOMAML은 얼마나 빠른가?

## 출처

[^1]: Finn, Chelsea, et al. "Model-agnostic meta-learning." *ICML*, 2017.
"""


def test_rendered_block_in_a_note(tmp_path):
    note = tmp_path / "비용.md"
    note.write_bytes(NOTE.encode())
    record = make_record()
    outcome = write_block(
        note, lambda data: render_block(record, answers=(1,), plot_embed="attachments/meta-cost-r.png")
    )
    assert outcome.status == "written"
    text = note.read_text()
    block = text[text.index("<!-- notebase:results ") : text.index("<!-- /notebase:results -->")]
    assert block.startswith(
        "<!-- notebase:results experiment=meta-cost run=20261127T151000Z-ab12 spec=5pec0000hash "
        "answers=1 date=2026-11-27T15:10:00+00:00 status=answered hash="
    )
    lines = block.split("\n")
    # The answer first (in English: this renders without the note's language), then the
    # findings, then the table. Three sweep points show MAML's growth but not its shape.
    assert lines[1] == "" and lines[2].startswith("**Answer:** fomaml: peak memory flat")
    assert "maml: peak memory inner steps: inconclusive (it grows, but 3 points" in block
    assert "**Findings**" in lines and "| algorithm | inner steps | s/iter | tasks/s |" in block
    assert "| maml | 10 | 0.2 | 125 | 430 KiB (cpu-graph) | 3.21 | 0.05 |" in block
    assert "Run `20261127T151000Z-ab12` of `meta-cost` · 2026-11-27 15:10 UTC" in block
    assert "torch 2.13.0 · commit 0123456789 + uncommitted changes · quick run" in block
    assert "Answers question 1." in block
    assert "![[attachments/meta-cost-r.png]]" in block
    assert lines[-2:] == ["", ""]  # a blank line, then the closing marker's line
    assert delete_block_lines(note.read_bytes(), "meta-cost") == NOTE.encode()
    # What the parser and the table reader make of it.
    parsed = parse_note("비용.md", note.read_bytes())
    assert [q.status for q in parsed.questions] == ["answered", "open"]
    rows = block_rows(parsed.body, "meta-cost")
    assert [(r["algorithm"], r["inner_steps"]) for r in rows][:2] == [("maml", 1), ("maml", 5)]


def test_accuracy_columns_and_no_answers():
    block = render_block(make_record(accuracy=True), answers=(), plot_embed=None)
    text = "\n".join(block.lines())
    assert "| pre acc | post acc |" in text and "| 20.0% | 61.0% |" in text
    assert "answers=" not in text and "Answers" not in text and "![[" not in text
    assert block_hash(block.body) in text


def test_marker_values_never_break_the_marker():
    record = make_record("비용 실험-->x", run_id="run id")
    opening = render_block(record).lines()[0]
    assert "experiment=비용_실험--_x run=run_id " in opening and opening.count("-->") == 1


def test_human_bytes():
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.50 KiB"
    assert human_bytes(40_000) == "39.1 KiB"
    assert human_bytes(3 * 2**20) == "3.00 MiB"
    assert human_bytes(None) == "–"
