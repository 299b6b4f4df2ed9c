"""Write-back, byte for byte: placement, replacement, line endings, safety, atomicity."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_writeback_helpers import delete_block_lines, make_record  # beside this file

from notebase.experiments.writeback import (
    BOM,
    UnsafeEdit,
    apply_block,
    block_hash,
    find_blocks,
    human_bytes,
    render_block,
    sidecar_path,
    write_block,
)

NOTE = """---
title: 메타러닝의 비용
tags: [meta, 비용]
experiments: [meta-cost]
---
## 내용

MAML은 내부 루프를 미분한다[^1].

## 질문 & 확장

1. 내부 단계 수에 따라 메모리는 어떻게 늘어나는가? [[experiments/meta-cost]]
2. FOMAML은 얼마나 빠른가?

## 출처

[^1]: Finn, Chelsea, et al. "Model-agnostic meta-learning." *ICML*, 2017.
"""


def block_for(record=None, answers=(1,), embed="attachments/meta-cost-r.png"):
    record = record or make_record()
    return render_block(record, answers=answers, plot_embed=embed)


def write(path, record=None, answers=(1,)):
    return write_block(path, lambda data: block_for(record, answers))


def test_first_run_places_block_after_questions_before_sources(tmp_path):
    note = tmp_path / "비용.md"
    note.write_bytes(NOTE.encode())
    outcome = write(note)
    assert outcome.status == "written" and outcome.written_to == note and not outcome.replaced
    text = note.read_text()
    before, _, after = text.partition("<!-- notebase:results ")
    assert before == NOTE.split("## 출처")[0]  # after the questions and their blank line
    block, _, rest = after.partition("<!-- /notebase:results -->\n")
    assert rest == "## 출처\n\n" + NOTE.split("## 출처\n\n")[1]
    assert block.startswith("experiment=meta-cost run=20261127T151000Z-ab12 spec=5pec0000hash ")
    assert "answers=1 " in block and "hash=" in block
    lines = block.split("\n")
    assert lines[1] == "" and lines[2].startswith("| algorithm | inner steps | s/iter |")
    assert "| maml | 10 | 0.2 | 125 | 430 KiB (cpu-graph) | 3.21 | 0.05 |" in block
    assert "Run `20261127T151000Z-ab12` of `meta-cost` · 2026-11-27 15:10 UTC" in block
    assert "torch 2.13.0 · commit 0123456789 + uncommitted changes · quick run" in block
    assert "Answers question 1." in block
    assert "![[attachments/meta-cost-r.png]]" in block
    assert lines[-2:] == ["", ""]  # a blank line, then the closing marker's line
    assert delete_block_lines(note.read_bytes(), "meta-cost") == NOTE.encode()


def test_second_run_replaces_block_in_place(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record(run_id="run-1"))
    first = note.read_bytes()
    outcome = write(note, make_record(run_id="run-2"))
    assert outcome.status == "written" and outcome.replaced
    second = note.read_bytes()
    assert second.count(b"<!-- notebase:results ") == 1
    assert b"run=run-2" in second and b"run-1" not in second
    # Bytes before and after the block are the same as after the first run.
    assert second[: first.index(b"<!-- notebase")] == first[: first.index(b"<!-- notebase")]
    tail = b"<!-- /notebase:results -->\n"
    assert second.split(tail)[1] == first.split(tail)[1]
    assert delete_block_lines(second, "meta-cost") == NOTE.encode()


def test_same_run_twice_is_byte_identical(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note)
    once = note.read_bytes()
    write(note)
    assert note.read_bytes() == once


def test_two_experiments_in_one_note(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record("meta-cost", "a1"), answers=(1,))
    write(note, make_record("fomaml-speed", "b1"), answers=(2,))
    both = note.read_bytes()
    assert both.index(b"experiment=meta-cost") < both.index(b"experiment=fomaml-speed")
    assert both.index(b"experiment=fomaml-speed") < both.index(b"## \xec\xb6\x9c\xec\xb2\x98")
    # Re-running the first one leaves the second block's bytes alone.
    write(note, make_record("meta-cost", "a2"), answers=(1,))
    again = note.read_bytes()
    second_block = both[both.index(b"<!-- notebase:results experiment=fomaml") :]
    assert again.endswith(second_block)
    assert b"run=a2" in again and b"run=a1" not in again
    restored = delete_block_lines(delete_block_lines(again, "meta-cost"), "fomaml-speed")
    assert restored == NOTE.encode()
    assert [b.experiment for b in find_blocks(again)] == ["meta-cost", "fomaml-speed"]


def test_crlf_note_gets_crlf_block(tmp_path):
    original = NOTE.replace("\n", "\r\n").encode()
    note = tmp_path / "crlf.md"
    note.write_bytes(original)
    write(note)
    data = note.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare LF anywhere
    assert delete_block_lines(data, "meta-cost") == original
    write(note, make_record(run_id="second"))
    data = note.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")
    assert delete_block_lines(data, "meta-cost") == original


@pytest.mark.parametrize(
    "original",
    [
        "# 제목\n\n본문 마지막 줄",  # no questions, no sources: block at the end
        "## 질문\n\n1. 왜?",  # questions section runs to the end of the note
        "",  # empty note
        "no newline, one line",
    ],
)
def test_note_without_trailing_newline(tmp_path, original):
    note = tmp_path / "n.md"
    note.write_bytes(original.encode())
    write(note)
    data = note.read_bytes()
    assert data.endswith(b"<!-- /notebase:results -->") or original == ""
    assert delete_block_lines(data, "meta-cost") == original.encode()
    write(note, make_record(run_id="again"))  # replacing keeps the missing newline missing
    data = note.read_bytes()
    assert b"run=again" in data and data.count(b"notebase:results experiment") == 1
    assert delete_block_lines(data, "meta-cost") == original.encode()


def test_bom_and_frontmatter_bytes_untouched(tmp_path):
    # Odd but valid frontmatter formatting that a YAML dump would rewrite.
    original = BOM + b"---\ntitle:   'x'   \ntags: [a,b]\n# comment\n---\nbody\n"
    note = tmp_path / "bom.md"
    note.write_bytes(original)
    write(note)
    data = note.read_bytes()
    assert data.startswith(original)  # the block goes after the body
    assert delete_block_lines(data, "meta-cost") == original


def test_block_never_lands_in_frontmatter_or_code(tmp_path):
    original = (
        "---\ntitle: t\n---\n```markdown\n## 질문\n<!-- /notebase:results -->\n```\n"
        "text\n\n## Sources\n\nref\n"
    )
    note = tmp_path / "n.md"
    note.write_text(original)
    outcome = write(note)
    assert outcome.status == "written"  # the fenced marker is an example, not a marker
    data = note.read_text()
    assert data.index("<!-- notebase:results") > data.index("text\n")
    assert data.index("<!-- notebase:results") < data.index("## Sources")
    assert delete_block_lines(note.read_bytes(), "meta-cost") == original.encode()


def test_questions_section_ends_at_next_heading_of_same_level(tmp_path):
    original = "# T\n\n## Open questions\n\n- why?\n\n### detail\n\nmore\n\n## Next\n\ntext\n"
    note = tmp_path / "n.md"
    note.write_text(original)
    write(note)
    data = note.read_text()
    assert data.index("more\n\n<!-- notebase:results") < data.index("## Next")
    assert delete_block_lines(note.read_bytes(), "meta-cost") == original.encode()


def test_edit_made_during_the_run_survives(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record(run_id="first"))
    # The user edits text outside the block while the next run goes on...
    edited = note.read_bytes().replace("FOMAML은".encode(), "Reptile은".encode())
    edited = edited.replace(b"## \xeb\x82\xb4\xec\x9a\xa9", b"## \xeb\x82\xb4\xec\x9a\xa9 (v2)")
    note.write_bytes(edited)
    # ...and another edit lands between our read and our rename: the write starts over.
    calls = []

    def make(data):
        calls.append(data)
        if len(calls) == 1:
            note.write_bytes(data + "추가한 줄\n".encode())
        return block_for(make_record(run_id="second"))

    outcome = write_block(note, make)
    assert outcome.status == "written" and len(calls) == 2
    data = note.read_bytes()
    assert "Reptile은".encode() in data and b"(v2)" in data and data.endswith("추가한 줄\n".encode())
    assert b"run=second" in data
    expected = NOTE.replace("FOMAML은", "Reptile은").replace("## 내용", "## 내용 (v2)") + "추가한 줄\n"
    assert delete_block_lines(data, "meta-cost") == expected.encode()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d.replace(b"| maml | 1 |", b"| maml | one |"), id="edited-table"),
        pytest.param(lambda d: d.replace(b"\nAnswers", b"\nmy note\nAnswers"), id="added-line"),
        pytest.param(lambda d: d.replace(b"<!-- /notebase:results -->\n", b""), id="no-closing"),
        pytest.param(lambda d: d.replace(b"<!-- notebase:results experiment", b"<!-- x"), id="no-opening"),
        pytest.param(lambda d: d.replace(b" hash=", b" h="), id="hash-removed"),
        pytest.param(lambda d: d.replace(b" -->\n\n|", b"\n\n|", 1), id="unparsable-marker"),
        pytest.param(
            lambda d: d + d[d.index(b"<!-- notebase") : d.index(b"## \xec\xb6\x9c")], id="duplicate"
        ),
    ],
)
def test_edited_block_or_broken_marker_goes_to_sidecar(tmp_path, damage):
    note = tmp_path / "노트.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record(run_id="first"))
    damaged = damage(note.read_bytes())
    note.write_bytes(damaged)
    outcome = write(note, make_record(run_id="second"))
    assert note.read_bytes() == damaged  # not a byte changed
    assert outcome.status == "sidecar" and outcome.reason
    assert outcome.written_to == sidecar_path(note) == tmp_path / "노트.results.md"
    sidecar = outcome.written_to.read_text()
    assert "run=second" in sidecar and outcome.reason in sidecar
    # A later run updates the sidecar's block rather than piling up copies.
    outcome = write(note, make_record(run_id="third"))
    sidecar = outcome.written_to.read_text()
    assert "run=third" in sidecar and "run=second" not in sidecar
    assert note.read_bytes() == damaged


def test_unsafe_edit_messages_are_one_line():
    data = (NOTE + "<!-- notebase:results experiment=meta-cost run=x -->\n").encode()
    with pytest.raises(UnsafeEdit, match="opened but never closed") as info:
        apply_block(data, block_for())
    assert "\n" not in str(info.value)
    with pytest.raises(UnsafeEdit, match="not valid UTF-8"):
        apply_block(b"caf\xe9\n", block_for())


def test_non_utf8_note_goes_to_sidecar(tmp_path):
    note = tmp_path / "latin1.md"
    note.write_bytes(b"caf\xe9\n")
    outcome = write(note)
    assert outcome.status == "sidecar" and note.read_bytes() == b"caf\xe9\n"


def test_mode_is_kept_and_no_temp_files_left(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    os.chmod(note, 0o640)
    write(note)
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.md"]


def test_symlinked_note_stays_a_link(tmp_path):
    real = tmp_path / "real.md"
    real.write_bytes(NOTE.encode())
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write(link)
    assert link.is_symlink() and b"notebase:results" in real.read_bytes()


def test_other_experiment_blocks_may_be_edited_freely(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record("other", "o1"), answers=())
    hand_edited = note.read_bytes().replace(b"| maml | 1 |", b"| MAML! | 1 |")
    note.write_bytes(hand_edited)
    outcome = write(note, make_record("meta-cost", "m1"))
    assert outcome.status == "written"
    assert b"| MAML! | 1 |" in note.read_bytes()


def test_accuracy_columns_and_no_answers():
    block = render_block(make_record(accuracy=True), answers=(), plot_embed=None)
    text = "\n".join(block.lines())
    assert "| pre acc | post acc |" in text and "| 20.0% | 61.0% |" in text
    assert "answers=" not in text and "Answers" not in text and "![[" not in text
    assert block_hash(block.body) in text


def test_human_bytes():
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.50 KiB"
    assert human_bytes(40_000) == "39.1 KiB"
    assert human_bytes(3 * 2**20) == "3.00 MiB"
    assert human_bytes(None) == "–"


# Notes made of lines that matter for placement, in any order, with any line ending.
_LINE = st.sampled_from(
    [
        "",
        "text",
        "  ",
        "## 질문 & 확장",
        "# Title",
        "### sub",
        "## 출처",
        "1. 왜?",
        "```",
        "---",
        "[^1]: ref",
        "<!-- note -->",
        "한국어 문장",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_LINE, max_size=12),
    newline=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
    bom=st.booleans(),
)
def test_deleting_the_block_lines_always_restores_the_note(lines, newline, final_newline, bom):
    text = newline.join(lines) + (newline if final_newline and lines else "")
    original = (BOM if bom else b"") + text.encode()
    first, replaced = apply_block(original, block_for(make_record(run_id="a")))
    assert not replaced
    assert delete_block_lines(first, "meta-cost") == original
    second, replaced = apply_block(first, block_for(make_record(run_id="b")))
    assert replaced
    assert delete_block_lines(second, "meta-cost") == original
    assert len(find_blocks(second)) == 1


@settings(max_examples=300, deadline=None)
@given(text=st.text(), bom=st.booleans())
def test_arbitrary_text_keeps_every_byte(text, bom):
    """Any text at all (lone CRs, form feeds, U+2028, NULs ...): the block adds whole lines and
    nothing else; marker-like text is refused rather than guessed at."""
    original = (BOM if bom else b"") + text.encode("utf-8", "surrogatepass")
    try:
        written, _ = apply_block(original, block_for())
    except UnsafeEdit as refusal:
        reason = str(refusal)
        if "notebase:results" in text:
            return
        assert "not valid UTF-8" in reason or "lone carriage return" in reason, reason
        return
    assert delete_block_lines(written, "meta-cost") == original


def test_line_ending_conversion_is_not_an_edit(tmp_path):
    """A tool that turns the whole note to CRLF (git autocrlf, an editor) does not make the
    block look hand-edited: the next run still replaces it in place, in CRLF."""
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, make_record(run_id="lf-run"))
    note.write_bytes(note.read_bytes().replace(b"\n", b"\r\n"))
    outcome = write(note, make_record(run_id="crlf-run"))
    assert outcome.status == "written" and outcome.replaced
    data = note.read_bytes()
    assert b"run=crlf-run" in data and data.count(b"\n") == data.count(b"\r\n")
    assert delete_block_lines(data, "meta-cost") == NOTE.replace("\n", "\r\n").encode()
