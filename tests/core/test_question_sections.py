"""Where a questions section ends: at the next heading, a sub-heading too, unless that heading
is a questions heading itself (lists under "### 디버그 정보 수집" are steps, not questions)."""

from __future__ import annotations

import textwrap

import pytest

from notebase.config import VaultConfig
from notebase.core.parse import parse_note

NOTE = textwrap.dedent(
    """\
    ---
    title: 메타러닝 실험 계획
    ---
    # 메타러닝 실험 계획

    ## 질문 & 확장

    1. 내부 스텝이 늘면 메모리는 선형으로 늘어나는가? [[experiments/meta-cost]]
    2. FOMAML은 얼마나 빠른가?

    ### 실험 절차

    1. 스펙을 고른다.
    2. `notebase run`으로 돌린다.

    ### 추가 질문

    - "^질문"으로 시작하지 않는 제목 아래라 질문이 아니다.

    #### 질문: 하위 질문

    - 하위 질문 제목 아래의 목록은 질문이다.

    ## 출처

    - 질문이 아니다.
    """
)


def test_sub_headings_end_the_section_unless_they_are_questions_headings():
    note = parse_note("계획.md", NOTE.encode("utf-8"), VaultConfig())
    assert [(q.number, q.text, q.heading) for q in note.questions] == [
        (1, "내부 스텝이 늘면 메모리는 선형으로 늘어나는가? [[experiments/meta-cost]]", "질문 & 확장"),
        (2, "FOMAML은 얼마나 빠른가?", "질문 & 확장"),
        (3, "하위 질문 제목 아래의 목록은 질문이다.", "질문: 하위 질문"),
    ]
    assert note.questions[0].experiments == ["meta-cost"]
    assert [q.line for q in note.questions] == [8, 9, 22]


def test_obsidian_help_support_note_has_no_steps_as_questions(shared_dir):
    root = shared_dir / "corpora" / "obsidian-help-ko"
    note_file = root / "도움말 및 지원.md"
    if not note_file.is_file():
        pytest.skip(f"{note_file} is not present")
    note = parse_note(note_file.name, note_file.read_bytes(), VaultConfig())
    # Only the list right under "## 질문 및 조언" (three community links); the numbered
    # steps under its "###" sub-headings (20 items before) are not questions.
    assert [q.heading for q in note.questions] == ["질문 및 조언"] * 3
    assert [q.text for q in note.questions][0].startswith("[[샌드박스 보관함")
    assert not any("클립보드" in q.text or "디버그" in q.text for q in note.questions)
