"""Snippets: the best stretch of text, matched words marked « », Korean spacing and
English endings tolerated."""

from __future__ import annotations

from notebase.index.snippet import (
    SNIPPET_CHARS,
    compile_highlighter,
    marked_snippet,
    snippet_segments,
)


def _snippet(text, highlighter):
    """What a search hit shows (`notebase.index.whoosh_index`): the segments, marked « »."""
    return marked_snippet(snippet_segments(text, highlighter))


def test_marks_spacing_variants_and_english_endings():
    text = "처음에 메타 러닝을 배웠고, 나중에 gradients를 계산했다."
    snippet = _snippet(text, compile_highlighter(["메타러닝", "gradient"]))
    assert snippet == "처음에 «메타 러닝»을 배웠고, 나중에 «gradients»를 계산했다."


def test_picks_the_window_with_most_matches_and_cuts_at_spaces():
    filler = "관계없는 문장입니다. " * 40
    text = filler + "역색인 구조와 BM25 점수 함수를 쓰는 역색인 검색 엔진. " + filler
    snippet = _snippet(text, compile_highlighter(["역색인", "bm25"]))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert snippet.count("«역색인»") == 2 and "«BM25»" in snippet
    assert len(snippet) <= SNIPPET_CHARS + 40


def test_no_match_gives_the_opening_text_without_markdown_noise():
    text = "# 제목\n\n본문의 [[링크]]와 각주[^1].\n\n[^1]: 출처"
    snippet = _snippet(text, compile_highlighter(["없는단어"]))
    assert snippet == "제목 본문의 링크와 각주. 출처"
    assert _snippet("", None) == ""


def test_snippets_are_plain_text_with_matches_as_segments():
    text = (
        "## 비교 표\n\n> [!tip]- **메타러닝** 요약\n> [[MAML|2차 MAML]]은 <span class=\"x\">"
        "메모리</span>를 더 쓴다[^1].\n\n| 알고리즘 | 메모리 |\n|---|---|\n| [[FOMAML]] | 적다 |\n"
    )
    segments = snippet_segments(text, compile_highlighter(["메모리"]))
    plain = "".join(piece for piece, _ in segments)
    assert plain == "비교 표 메타러닝 요약 2차 MAML은 메모리를 더 쓴다. 알고리즘 메모리 FOMAML 적다"
    assert [piece for piece, hit in segments if hit] == ["메모리", "메모리"]
    for noise in ("[[", "]]", "|", "<span", "**", "[!tip]", "#", "[^1]", ">"):
        assert noise not in plain
    assert _snippet(text, compile_highlighter(["적다"])).endswith("FOMAML «적다»")


def test_a_match_deep_in_a_long_note_is_found_and_cut_on_both_sides():
    filler = "**관계없는** [[문장|문장]]입니다.\n" * 400
    text = filler + "| 역색인 | `BM25` |\n" + filler
    snippet = _snippet(text, compile_highlighter(["bm25"]))
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "역색인 «BM25»" in snippet and "**" not in snippet and "[[" not in snippet
