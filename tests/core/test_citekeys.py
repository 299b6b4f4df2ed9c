"""Pandoc citations as the parser reads them: the forms, where they do not count, hostile lines."""

from __future__ import annotations

import time

import pytest

from notebase.core.citekeys import citekeys
from notebase.core.parse import parse_note


def keys(text: str) -> list[tuple[str, int, str, bool]]:
    return parse_note("노트.md", text.encode()).citekeys


def test_the_forms_with_locators_and_lines():
    note = """# 메타러닝

MAML은 2차 미분이 필요하다 [@finn2017model, p. 4].
비교는 [see @nichol2018first, sec. 5; -@rajeswaran2019meta] 참고.
@raghu2020rapid 에 따르면 특징 재사용이 크다 [p. 3].
@ravi2017optimization [pp. 1-2] 와 @{김 2020 메타}.
"""
    assert keys(note) == [
        ("finn2017model", 3, "p. 4", True),
        ("nichol2018first", 4, "sec. 5", True),
        ("rajeswaran2019meta", 4, "", True),
        ("raghu2020rapid", 5, "", False),
        ("ravi2017optimization", 6, "pp. 1-2", False),
        ("김 2020 메타", 6, "", False),
    ]


def test_a_korean_particle_or_a_full_stop_is_not_part_of_the_key():
    assert [k[0] for k in keys("@finn2017model에서 제안했다. 또 @nichol2018first.\n")] == [
        "finn2017model",
        "nichol2018first",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "메일은 kim@snu.ac.kr 로.",
        "메일: <first.last+tag@example.com>",
        "https://medium.com/@author/post",
        "`[@code]` 와 `@inline`",
        "    @indented_code_block",
        "```\n[@fenced]\n```",
        "escaped \\@notakey",
        "[링크](https://x.org/@user) 와 [[노트|@별칭]]",
    ],
)
def test_no_citation_in_code_links_emails_or_escapes(text):
    real_line = 5 + text.count("\n")
    assert keys(f"# 제목\n\n{text}\n\n참고 [@real].\n") == [("real", real_line, "", True)]


def test_a_bracket_without_a_key_in_every_piece_is_text():
    # pandoc reads these as text in brackets holding (or not) an in-text citation
    assert citekeys("[자세한 내용; @finn2017model]") == [("finn2017model", 1, "", False)]
    assert citekeys("[email a@b.com; @c.d]") == [("c.d", 1, "", False)]


@pytest.mark.parametrize(
    "line",
    [
        "[@" * 50_000,
        "[" + "@" * 100_000,
        "@a" * 50_000,
        "[@a] " * 50_000,
        "@" + "a." * 50_000,
        "[" + "@a;" * 50_000 + "]",
        "[@a, " + "p" * 100_000,
    ],
)
def test_hostile_lines_parse_in_linear_time(line):
    start = time.process_time()
    note = parse_note("악성.md", f"# 제목\n\n{line}\n".encode())
    assert time.process_time() - start < 2.0
    assert note.valid
