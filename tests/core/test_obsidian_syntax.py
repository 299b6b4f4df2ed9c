"""Obsidian's syntax rules (comments, block ids, callouts, math, CJK emphasis) and the
sections an embed shows: each case, and linear time on pathological lines."""

from __future__ import annotations

import time

import pytest

from notebase.core.markdown_blocks import outline
from notebase.core.note_sections import block_range, heading_range, section_range
from notebase.core.obsidian_syntax import (
    block_id_spans,
    callout_header,
    comment_spans,
    emphasis_flanking,
    is_cjk,
    math_spans,
)


def test_math_spans_follow_obsidians_dollar_rule():
    text = r"$\nabla_\theta$ 와 $\mathcal{L}^{val}_i$"
    spans = math_spans(text)
    assert [text[s:e] for s, (e, _) in sorted(spans.items())] == [
        r"$\nabla_\theta$",
        r"$\mathcal{L}^{val}_i$",
    ]
    assert math_spans("costs $5 and $10") == {}  # a closing $ before a space / a digit
    assert math_spans("a $ b$ c") == {}  # an opening $ before a space
    assert math_spans("`$x$` and \\$y$") == {}  # code spans, escaped dollars
    display = "before $$x^2_1$$ after"
    assert math_spans(display) == {7: (16, True)}
    assert math_spans("$$ unclosed") == {}


def test_comments_inline_multiline_and_not_in_code():
    body = "a %%숨김%% b\n\n%%\n여러 줄\n\n주석\n%%\n\n`%%코드%%` 그리고\n```\n%%\n```\n끝 %%열린"
    spans = comment_spans(body, outline(body).code)
    assert [body[s:e] for s, e in spans] == ["%%숨김%%", "%%\n여러 줄\n\n주석\n%%", "%%열린"]


def test_block_ids_end_a_line_outside_code():
    body = "문단 ^b15695\n\n```\n코드 ^no\n```\n\n^alone\n\nx^notid\n"
    spans = block_id_spans(body, outline(body).code)
    assert [(body[s:e], name) for s, e, name in spans] == [
        (" ^b15695", "b15695"),
        ("^alone", "alone"),
    ]


@pytest.mark.parametrize(
    ("line", "kind", "fold", "title"),
    [
        ("[!tip]- 제목", "tip", "-", "제목"),
        ("[!note]+ Title", "note", "+", "Title"),
        ("[!warning]", "warning", "", "Warning"),
        ("[!FAQ] 왜?", "faq", "", "왜?"),
    ],
)
def test_callout_headers(line, kind, fold, title):
    header = callout_header(line)
    assert (header.kind, header.fold, header.title) == (kind, fold, title)
    assert header.folded == (fold == "-")


def test_callout_aliases_and_non_callouts():
    assert callout_header("[!faq]").family == "question"
    assert callout_header("[!hint]").family == "tip"
    assert callout_header("그냥 인용") is None
    assert callout_header("[링크](x)") is None


def test_cjk_flanking_lets_bold_close_before_a_particle():
    assert is_cjk("를") and is_cjk("漢") and not is_cjk("a") and not is_cjk("😀")
    # "**그라디언트(Gradient)**를": preceded by ")" and followed by Hangul: it closes
    assert emphasis_flanking(")", "를")[1]
    # "를**(Gradient)**": followed by "(" after Hangul: it opens
    assert emphasis_flanking("를", "(")[0]
    # CommonMark stays as it was without CJK neighbours
    assert emphasis_flanking(")", "a") == (True, False)
    assert emphasis_flanking(" ", " ") == (False, False)


BODY = """# 대상

## 절

절의 본문 [[노트]].

### 아래 절

아래.

## 다른

- 항목 하나 ^item
- 항목 둘

문단 첫 줄
둘째 줄 ^para

| a | b |
|---|---|
| 1 | 2 |

^table
"""


def test_sections_by_heading_and_block():
    def text(found):
        return BODY[found[0] : found[1]] if found else None

    assert text(heading_range(BODY, "절")) == "## 절\n\n절의 본문 [[노트]].\n\n### 아래 절\n\n아래.\n"
    assert text(heading_range(BODY, "대상#다른")).startswith("## 다른\n")
    assert heading_range(BODY, "없음") is None
    assert text(block_range(BODY, "item")) == "- 항목 하나 ^item"
    assert text(block_range(BODY, "para")) == "문단 첫 줄\n둘째 줄 ^para"
    assert text(block_range(BODY, "table")) == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert block_range(BODY, "nope") is None
    assert section_range(BODY, None) == (0, len(BODY))
    assert text(section_range(BODY, "^para")) == text(block_range(BODY, "para"))


@pytest.mark.parametrize(
    "line",
    [
        "$a " * 40_000,
        "$" * 100_000,
        "%%" * 50_000,
        " ^a" * 40_000,
        "$$a $" * 25_000,
        "[!" * 50_000,
    ],
)
def test_pathological_lines_are_fast(line):
    start = time.perf_counter()
    math_spans(line)
    comment_spans(line, [])
    block_id_spans(line, [])
    callout_header(line)
    assert time.perf_counter() - start < 1.0


def test_an_embed_of_a_heading_matches_it_as_a_link_writes_it():
    """Obsidian drops ':' from a heading in a link: ``![[note#Q&A 정리]]`` shows ``## Q&A: 정리``,
    by the same words the note view scrolls to (`markdown_blocks.heading_key`)."""
    from notebase.core.markdown_blocks import heading_key
    from notebase.core.note_sections import section_range

    body = "# 노트\n\n## Q&A: 정리\n\n본문\n\n## 다음\n"
    assert section_range(body, "Q&A 정리") == section_range(body, "Q&A: 정리") is not None
    assert heading_key("Q&A 정리") == heading_key("## q&a: 정리".lstrip("# ")) == ("q", "a", "정리")
