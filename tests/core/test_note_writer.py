"""The note writer, byte for byte: placement, replacement, line endings, safety, atomicity."""

from __future__ import annotations

import os
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from results_block_helpers import delete_block_lines, korean_block  # in tests/

from notebase.core.note_writer import atomic_write, sidecar_path, write_block
from notebase.core.results_edit import BOM, UnsafeEdit, apply_block, find_blocks

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


def write(path, experiment="meta-cost", run="r1", answers=(1,)):
    return write_block(path, lambda data: korean_block(experiment, run, answers))


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
    assert block.startswith("experiment=meta-cost run=r1 spec=5pec0000hash answers=1 hash=")
    assert block.split("\n")[-2:] == ["", ""]  # a blank line, then the closing marker's line
    assert delete_block_lines(note.read_bytes(), "meta-cost") == NOTE.encode()


def test_second_run_replaces_block_in_place(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, run="run-1")
    first = note.read_bytes()
    outcome = write(note, run="run-2")
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
    write(note, "meta-cost", "a1", answers=(1,))
    write(note, "fomaml-speed", "b1", answers=(2,))
    both = note.read_bytes()
    assert both.index(b"experiment=meta-cost") < both.index(b"experiment=fomaml-speed")
    assert both.index(b"experiment=fomaml-speed") < both.index("## 출처".encode())
    # Re-running the first one leaves the second block's bytes alone.
    write(note, "meta-cost", "a2", answers=(1,))
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
    write(note, run="second")
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
        "# 제목\r\r옛 맥의 줄 끝\r",  # lone CRs end lines, for markdown-it as for the writer
    ],
)
def test_note_without_trailing_newline(tmp_path, original):
    note = tmp_path / "n.md"
    note.write_bytes(original.encode())
    write(note)
    data = note.read_bytes()
    assert data.endswith(b"<!-- /notebase:results -->") or original in ("", "# 제목\r\r옛 맥의 줄 끝\r")
    assert delete_block_lines(data, "meta-cost") == original.encode()
    write(note, run="again")  # replacing keeps the missing newline missing
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


@pytest.mark.parametrize(
    "original",
    [
        "# 제목\n\n본문\n\n```python\nprint('열린 채로 끝나는 코드')\n",  # unclosed: runs to the end
        "## 질문\n\n- 왜?\n\n  ```\n  목록 안의 코드\n",  # unclosed inside a list item
        "# 제목\n\n> ```\n> 인용 안의 코드\n",  # unclosed inside a block quote
    ],
)
def test_block_never_lands_in_an_unclosed_fence(tmp_path, original):
    note = tmp_path / "n.md"
    note.write_text(original)
    assert write(note).status == "written"
    data = note.read_bytes()
    assert len(find_blocks(data)) == 1  # read back as a block, not swallowed by the code
    assert delete_block_lines(data, "meta-cost") == original.encode()


def test_questions_section_ends_at_next_heading_of_same_level(tmp_path):
    original = "# T\n\n## Open questions\n\n- why?\n\n### detail\n\nmore\n\n## Next\n\ntext\n"
    note = tmp_path / "n.md"
    note.write_text(original)
    write(note)
    data = note.read_text()
    assert data.index("more\n\n<!-- notebase:results") < data.index("## Next")
    assert delete_block_lines(note.read_bytes(), "meta-cost") == original.encode()


def test_setext_question_heading_counts_as_the_parser_reads_it(tmp_path):
    original = "질문\n===\n\n1. 왜?\n\n출처\n===\n\n참고 문헌\n"
    note = tmp_path / "n.md"
    note.write_text(original)
    write(note)
    data = note.read_text()
    assert data.index("1. 왜?\n\n<!-- notebase:results") < data.index("출처\n===")


def test_edit_made_during_the_run_survives(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, run="first")
    # The user edits text outside the block while the next run goes on...
    edited = note.read_bytes().replace("FOMAML은".encode(), "Reptile은".encode())
    edited = edited.replace("## 내용".encode(), "## 내용 (v2)".encode())
    note.write_bytes(edited)
    # ...and another edit lands between our read and our rename: the write starts over.
    calls = []

    def make(data):
        calls.append(data)
        if len(calls) == 1:
            note.write_bytes(data + "추가한 줄\n".encode())
        return korean_block(run="second")

    outcome = write_block(note, make)
    assert outcome.status == "written" and len(calls) == 2
    data = note.read_bytes()
    assert "Reptile은".encode() in data and b"(v2)" in data and data.endswith("추가한 줄\n".encode())
    assert b"run=second" in data
    expected = NOTE.replace("FOMAML은", "Reptile은").replace("## 내용", "## 내용 (v2)") + "추가한 줄\n"
    assert delete_block_lines(data, "meta-cost") == expected.encode()


def test_a_note_that_keeps_changing_goes_to_the_sidecar(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())

    def make(data):
        note.write_bytes(data + "또 바뀜\n".encode())  # every read sees a new note
        return korean_block()

    outcome = write_block(note, make, attempts=2)
    assert outcome.status == "sidecar" and "kept changing" in outcome.reason
    assert b"notebase:results" not in note.read_bytes()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda d: d.replace(b"| maml | 1 |", b"| maml | one |"), id="edited-table"),
        pytest.param(lambda d: d.replace("\n질문 1에".encode(), "\n메모\n질문 1에".encode()), id="added-line"),
        pytest.param(lambda d: d.replace(b"<!-- /notebase:results -->\n", b""), id="no-closing"),
        pytest.param(lambda d: d.replace(b"<!-- notebase:results experiment", b"<!-- x"), id="no-opening"),
        pytest.param(lambda d: d.replace(b" hash=", b" h="), id="hash-removed"),
        pytest.param(lambda d: d.replace(b" -->\n\n|", b"\n\n|", 1), id="unparsable-marker"),
        pytest.param(lambda d: d.replace(b" -->\n\n|", " --> 결과\n\n|".encode(), 1), id="text-after"),
        pytest.param(lambda d: d.replace(b" hash=", b"\nhash=", 1), id="two-lines"),
        pytest.param(
            lambda d: d + d[d.index(b"<!-- notebase") : d.index("## 출처".encode())], id="duplicate"
        ),
    ],
)
def test_edited_block_or_broken_marker_goes_to_sidecar(tmp_path, damage):
    note = tmp_path / "노트.md"
    note.write_bytes(NOTE.encode())
    write(note, run="first")
    damaged = damage(note.read_bytes())
    note.write_bytes(damaged)
    outcome = write(note, run="second")
    assert note.read_bytes() == damaged  # not a byte changed
    assert outcome.status == "sidecar" and outcome.reason
    assert outcome.written_to == sidecar_path(note) == tmp_path / "노트.results.md"
    sidecar = outcome.written_to.read_text()
    assert "run=second" in sidecar and outcome.reason in sidecar
    # A later run updates the sidecar's block rather than piling up copies.
    outcome = write(note, run="third")
    sidecar = outcome.written_to.read_text()
    assert "run=third" in sidecar and "run=second" not in sidecar
    assert note.read_bytes() == damaged


def test_broken_sidecar_gets_a_file_of_its_own(tmp_path):
    note = tmp_path / "노트.md"
    note.write_bytes(b"<!-- notebase:results experiment=meta-cost --> \xea\xb9\xa8\xec\xa7\x90\n")
    sidecar_path(note).write_text("<!-- notebase:results experiment=meta-cost run=x\n")
    outcome = write(note, run="r9")
    assert outcome.status == "sidecar" and outcome.written_to == tmp_path / "노트.results.r9.md"
    assert "run=r9" in outcome.written_to.read_text()


def test_unsafe_edit_messages_are_one_line():
    data = (NOTE + "<!-- notebase:results experiment=meta-cost run=x -->\n").encode()
    with pytest.raises(UnsafeEdit, match="opened but never closed") as info:
        apply_block(data, korean_block())
    assert "\n" not in str(info.value)
    with pytest.raises(UnsafeEdit, match="not valid UTF-8"):
        apply_block(b"caf\xe9\n", korean_block())


def test_non_utf8_note_goes_to_sidecar(tmp_path):
    note = tmp_path / "latin1.md"
    note.write_bytes(b"caf\xe9\n")
    outcome = write(note)
    assert outcome.status == "sidecar" and note.read_bytes() == b"caf\xe9\n"


def test_missing_note_goes_to_sidecar(tmp_path):
    outcome = write(tmp_path / "사라진 노트.md")
    assert outcome.status == "sidecar" and outcome.reason == "the note no longer exists"
    assert outcome.written_to == tmp_path / "사라진 노트.results.md"


def test_mode_is_kept_and_no_temp_files_left(tmp_path):
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    os.chmod(note, 0o640)
    write(note)
    assert stat.S_IMODE(note.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["n.md"]


def test_atomic_write_of_a_new_file_follows_the_umask(tmp_path):
    umask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "그림.png", b"\x89PNG")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "그림.png").stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["그림.png"]


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
    write(note, "other", "o1", answers=())
    hand_edited = note.read_bytes().replace(b"| maml | 1 |", b"| MAML! | 1 |")
    note.write_bytes(hand_edited)
    outcome = write(note, "meta-cost", "m1")
    assert outcome.status == "written"
    assert b"| MAML! | 1 |" in note.read_bytes()


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
        "- 목록",
        "    들여쓴 코드",
        "> 인용",
        "```",
        "~~~",
        "---",
        "===",
        "[^1]: ref",
        "<!-- note -->",
        "<!-- TODO: notebase:results 설명 -->",
        "한국어 문장",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(_LINE, max_size=12),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    final_newline=st.booleans(),
    bom=st.booleans(),
)
def test_deleting_the_block_lines_always_restores_the_note(lines, newline, final_newline, bom):
    text = newline.join(lines) + (newline if final_newline and lines else "")
    original = (BOM if bom else b"") + text.encode()
    first, replaced = apply_block(original, korean_block(run="a"))
    assert not replaced
    assert delete_block_lines(first, "meta-cost") == original
    second, replaced = apply_block(first, korean_block(run="b"))
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
        written, _ = apply_block(original, korean_block())
    except UnsafeEdit as refusal:
        reason = str(refusal)
        if "notebase:results" in text:
            return
        assert "not valid UTF-8" in reason, reason
        return
    assert delete_block_lines(written, "meta-cost") == original


def test_line_ending_conversion_is_not_an_edit(tmp_path):
    """A tool that turns the whole note to CRLF (git autocrlf, an editor) does not make the
    block look hand-edited: the next run still replaces it in place, in CRLF."""
    note = tmp_path / "n.md"
    note.write_bytes(NOTE.encode())
    write(note, run="lf-run")
    note.write_bytes(note.read_bytes().replace(b"\n", b"\r\n"))
    outcome = write(note, run="crlf-run")
    assert outcome.status == "written" and outcome.replaced
    data = note.read_bytes()
    assert b"run=crlf-run" in data and data.count(b"\n") == data.count(b"\r\n")
    assert delete_block_lines(data, "meta-cost") == NOTE.replace("\n", "\r\n").encode()
