"""One results-block grammar: the parser, the table reader and the writer read every note the
same way, and a re-run never makes a second block."""

from __future__ import annotations

import pytest
from results_block_helpers import korean_block  # in tests/

from notebase.core.note_writer import sidecar_path, write_block
from notebase.core.parse import parse_note
from notebase.core.results_block import Marker, read_marker, scan_body
from notebase.core.results_edit import UnsafeEdit, apply_block, find_blocks
from notebase.experiments.results_table import block_rows

HEAD = """---
title: 결과 블록의 문법
experiments: [meta-cost]
---
## 질문

1. 내부 단계가 늘면 메모리는 얼마나 늘어나는가? [[experiments/meta-cost]]
"""
TAIL = "\n## 출처\n\n- Finn 외, 2017\n"
BLOCK = korean_block(run="옛-실행").lines()


def indented(lines, prefix="    "):
    return [prefix + line if line else line for line in lines]


CASES = {
    # name: (the lines after the questions, is it a block for everyone?)
    "whole-lines": (["", *BLOCK], True),
    "text-after-marker": (["", BLOCK[0] + " 결과는 아래", *BLOCK[1:]], False),
    "marker-over-two-lines": (["", *BLOCK[0].split(" hash=", 1), *BLOCK[1:]], False),
    "indented-under-list-item": (["", *indented(BLOCK)], True),
    "tab-indented-under-list-item": (["", *indented(BLOCK, "\t")], True),
    "in-fenced-code": (["", "## 예시", "", "```markdown", *BLOCK, "```"], False),
    "in-indented-code": (["", "## 예시", "", *indented(BLOCK)], False),
    "ordinary-comment": (["", "<!-- TODO: notebase:results 마커를 설명할 것 -->"], False),
}
BROKEN = {"text-after-marker", "marker-over-two-lines"}


def note_bytes(case: str, newline: str = "\n") -> bytes:
    lines, _ = CASES[case]
    return newline.join([*HEAD.split("\n")[:-1], *lines, *TAIL.split("\n")[1:]]).encode()


def what_each_reader_sees(data: bytes) -> dict:
    note = parse_note("문법.md", data)
    question = note.questions[0]
    try:
        _, replaced = apply_block(data, korean_block(run="새-실행"))
        writer = "replaces" if replaced else "inserts"
    except UnsafeEdit:
        writer = "refuses"
    return {
        "parser": [b.experiment for b in note.results_blocks],
        "answered": question.status == "answered",
        "table": bool(block_rows(note.body, "meta-cost")),
        "finder": [b.experiment for b in find_blocks(data)],
        "writer": writer,
        "problems": bool(note.results_problems),
    }


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_reader_gives_the_same_answer(case, newline):
    is_block = CASES[case][1]
    seen = what_each_reader_sees(note_bytes(case, newline))
    assert seen == {
        "parser": ["meta-cost"] if is_block else [],
        "answered": is_block,
        "table": is_block,
        "finder": ["meta-cost"] if is_block else [],
        "writer": "replaces" if is_block else "refuses" if case in BROKEN else "inserts",
        "problems": case in BROKEN,
    }


@pytest.mark.parametrize("case", list(CASES))
def test_parser_and_writer_agree_on_lines(case):
    data = note_bytes(case)
    parsed = parse_note("문법.md", data).results_blocks
    found = find_blocks(data)
    assert [(b.start_line, b.end_line) for b in parsed] == [(b.start + 1, b.end + 1) for b in found]


@pytest.mark.parametrize("case", list(CASES))
def test_a_rerun_never_makes_a_second_block(tmp_path, case):
    note = tmp_path / "문법.md"
    original = note_bytes(case)
    note.write_bytes(original)
    for run in ("첫-재실행", "둘째-재실행"):
        outcome = write_block(note, lambda data, run=run: korean_block(run=run))
        data = note.read_bytes()
        assert len(find_blocks(data)) <= 1
        assert len(parse_note("문법.md", data).results_blocks) <= 1
        if case in BROKEN:  # the note is left alone; the numbers go beside it
            assert outcome.status == "sidecar" and data == original
            assert f"run={run}" in sidecar_path(note).read_text()
        else:
            assert outcome.status == "written" and f"run={run}".encode() in data
            assert parse_note("문법.md", data).questions[0].status == "answered"
    if case in ("in-fenced-code", "in-indented-code", "ordinary-comment"):
        assert "\n".join(CASES[case][0]).encode() in note.read_bytes()  # the example stays


def test_block_under_a_list_item_is_replaced_in_place_with_its_indentation():
    original = note_bytes("indented-under-list-item")
    new, replaced = apply_block(original, korean_block(run="새-실행"))
    assert replaced
    lines = new.decode().split("\n")
    start = next(i for i, line in enumerate(lines) if "notebase:results experiment" in line)
    end = next(i for i, line in enumerate(lines) if "/notebase:results" in line)
    block = lines[start : end + 1]
    assert block == indented(korean_block(run="새-실행").lines())
    assert lines[:start] == original.decode().split("\n")[:start]
    assert lines[end + 1 :] == original.decode().split("\n")[-len(lines[end + 1 :]) :]
    # Still the list item's block, still not hand-edited: the next run replaces it again.
    again, replaced = apply_block(new, korean_block(run="셋째"))
    assert replaced and again.count(b"notebase:results experiment") == 1
    assert parse_note("문법.md", again).questions[0].status == "answered"


def test_indenting_a_written_block_by_hand_is_not_an_edit():
    whole = note_bytes("whole-lines").decode()
    moved = whole.replace("\n".join(BLOCK), "\n".join(indented(BLOCK)))
    assert find_blocks(moved.encode())[0].indent == "    "
    assert not find_blocks(moved.encode())[0].edited


def test_broken_markers_are_problems_with_file_lines():
    note = parse_note("문법.md", note_bytes("text-after-marker"))
    assert note.results_problems == [
        (9, "broken results marker: text after the marker's `-->`"),
        (20, "results block closed but never opened"),
    ]
    note = parse_note("문법.md", note_bytes("marker-over-two-lines"))
    assert note.results_problems[0] == (
        9, "broken results marker: the marker does not end on its line (no `-->`)"
    )


def test_two_blocks_for_one_experiment():
    block = "\n".join(BLOCK)
    text = HEAD + "\n" + block + "\n\n" + block + "\n" + TAIL
    note = parse_note("둘.md", text.encode())
    assert [b.start_line for b in note.results_blocks] == [9, 22]
    assert note.results_problems == [(9, "2 results blocks for meta-cost (lines 9, 22)")]
    with pytest.raises(UnsafeEdit, match="2 results blocks for meta-cost"):
        apply_block(text.encode(), korean_block())
    other, _ = apply_block(text.encode(), korean_block("다른-실험", answers=()))
    assert b"experiment=\xeb\x8b\xa4\xeb\xa5\xb8-\xec\x8b\xa4\xed\x97\x98" in other


def test_lone_cr_line_ends_count_as_lines_for_everyone():
    data = note_bytes("whole-lines").replace(b"\n", b"\r")
    parsed = parse_note("맥.md", data).results_blocks
    assert [(b.start_line, b.end_line) for b in parsed] == [
        (b.start + 1, b.end + 1) for b in find_blocks(data)
    ] != []
    new, replaced = apply_block(data, korean_block(run="새"))
    assert replaced and b"\n" not in new  # the note's own line end


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("<!-- notebase:results experiment=비용 run=r1 -->", Marker(False, {"experiment": "비용", "run": "r1"}, "")),
        ("\t  <!--notebase:results experiment=x spec=-->  ", Marker(False, {"experiment": "x", "spec": ""}, "\t  ")),
        ("<!-- /notebase:results -->", Marker(True, {}, "")),
        ("    <!--/notebase:results-->", Marker(True, {}, "    ")),
        ("<!-- notebase:results experiment=x --> 끝", "text after the marker's `-->`"),
        ("<!-- notebase:results experiment=x", "the marker does not end on its line (no `-->`)"),
        ("<!-- notebase:results experiment = x -->", "`experiment` is not key=value"),
        ("<!-- notebase:results run=r1 -->", "the marker names no experiment"),
        ("<!-- /notebase:results experiment=x -->", "the closing marker takes no attributes"),
        ("<!-- TODO: explain notebase:results markers -->", None),
        ("<!-- notebase:resultsX experiment=x -->", None),
        ("> <!-- notebase:results experiment=x -->", None),
        ("`<!-- notebase:results experiment=x -->`", None),
        ("본문 <!-- notebase:results experiment=x -->", None),
    ],
)
def test_read_marker(line, expected):
    assert read_marker(line) == expected


def test_scan_body_counts_body_lines():
    body = "\n".join(["# 제목", "", *BLOCK, ""])
    (found,) = scan_body(body).blocks
    assert (found.start, found.end, found.answers) == (2, 2 + len(BLOCK) - 1, [1])
    assert scan_body("본문만 있다\n").blocks == []
