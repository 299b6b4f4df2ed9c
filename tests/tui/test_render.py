"""The note body as the app renders it: links become clickable, code stays as written."""

from __future__ import annotations

from notebase.core.vault import Vault
from notebase.tui.render import make_href, note_markdown, parse_href


def load(tmp_path, files: dict[str, str]) -> Vault:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Vault.load(tmp_path, use_cache=False)


def test_links_footnotes_and_code(tmp_path):
    vault = load(
        tmp_path,
        {
            "노트.md": (
                "# 노트\n\n[[다른 노트|보기]]와 [[없는 노트]], [[experiments/meta-cost]],"
                " ![[그림.png]], 근거[^1].\n\n"
                "```\n[[다른 노트]] [^1]\n```\n\n`[[다른 노트]]` 그대로.\n\n"
                "[마크다운](다른%20노트.md)\n\n[^1]: Finn, 2017, *MAML*.\n"
            ),
            "다른 노트.md": "# 다른\n",
        },
    )
    text = note_markdown(vault.get("노트.md"))
    assert "[보기](note:%EB%8B%A4%EB%A5%B8%20%EB%85%B8%ED%8A%B8.md)" in text
    assert parse_href("note:%EB%8B%A4%EB%A5%B8%20%EB%85%B8%ED%8A%B8.md") == ("note", "다른 노트.md")
    assert "[없는 노트](missing:" in text
    assert "[⚗ meta-cost](exp:meta-cost)" in text
    assert "[🖼 그림.png (missing)](missing:%EA%B7%B8%EB%A6%BC.png)" in text  # no such file
    assert "근거[\\[1\\]](fn:1)" in text
    # Inside fenced code and code spans nothing changes.
    assert "```\n[[다른 노트]] [^1]\n```" in text
    assert "`[[다른 노트]]` 그대로" in text
    assert "\n[\\[1\\]](fn:1) Finn, 2017" in text  # the definition's label is a link too
    assert "[마크다운](note:%EB%8B%A4%EB%A5%B8%20%EB%85%B8%ED%8A%B8.md)" in text
    assert parse_href("https://example.org") is None


def test_rendered_links_agree_with_the_parser(tmp_path):
    """Experiment links by the parser's rule (any case, only at the start), a table's
    ``[[a\\|b]]``, and an NFD-typed target all render as the parser resolved them."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "한글")
    vault = load(
        tmp_path,
        {
            "노트.md": (
                "# 노트\n\n[[Experiments/maml]] [[sub/experiments/x]]\n\n"
                "| a | b |\n|---|---|\n| [[한글\\|표 안]] | 1 |\n\n"
                f"[[{nfd}]]\n"
            ),
            "한글.md": "# 한글\n",
        },
    )
    note = vault.get("노트.md")
    assert [link.experiment for link in note.links if link.experiment] == ["maml"]
    text = note_markdown(note)
    assert "[⚗ maml](exp:maml)" in text
    assert "[sub/experiments/x](missing:sub%2Fexperiments%2Fx)" in text
    assert "[표 안](note:%ED%95%9C%EA%B8%80.md)" in text
    assert "[한글](note:%ED%95%9C%EA%B8%80.md)" in text
    assert "missing:%ED%95%9C" not in text and "\\]](missing" not in text


def test_links_are_replaced_where_the_parser_found_them_and_nothing_else_changes(tmp_path):
    """Headings, list items, quotes, a link on the third line of a paragraph, code spans,
    fenced and indented code: exact output, so text between links is copied verbatim."""
    body = (
        "# 제목과 [[대상]]\n\n"
        "여러 줄\n문단의 둘째 줄\n셋째 줄에 [[대상|보기]] 그리고 [[없음]][^주]\n\n"
        "- 목록 [[대상#절]]\n  이어서 [[experiments/x]]\n\n"
        "> 인용 [[#절]]\n> 둘째 [마크다운](대상.md)\n\n"
        "`[[대상]]` 와 `[^주]` 그대로\n\n"
        "~~~\n[[대상]] [^주]\n~~~\n\n"
        "    [[대상]] 들여쓴 코드\n\n"
        "[^주]: 출처 [[대상]]\n"
    )
    vault = load(tmp_path, {"노트.md": body, "대상.md": "# 대상\n\n## 절\n"})
    target = make_href("note", "대상.md")
    footnote = f"[\\[주\\]]({make_href('fn', '주')})"
    assert note_markdown(vault.get("노트.md")) == (
        f"# 제목과 [대상]({target})\n\n"
        f"여러 줄\n문단의 둘째 줄\n셋째 줄에 [보기]({target}) 그리고 "
        f"[없음]({make_href('missing', '없음')}){footnote}\n\n"
        f"- 목록 [대상 › 절]({make_href('note', '대상.md#절')})\n"
        "  이어서 [⚗ x](exp:x)\n\n"
        f"> 인용 [절]({make_href('note', '노트.md#절')})\n> 둘째 [마크다운]({target})\n\n"
        "`[[대상]]` 와 `[^주]` 그대로\n\n"
        "~~~\n[[대상]] [^주]\n~~~\n\n"
        "    [[대상]] 들여쓴 코드\n\n"
        f"{footnote} 출처 [대상]({target})\n"
    )


def test_a_table_link_an_nfd_target_and_definitions_that_follow_a_line(tmp_path):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "한글")
    vault = load(
        tmp_path,
        {
            "노트.md": (
                "| a | b |\n|---|---|\n| [[한글\\|표 안]] | `[[한글]]` |\n\n"
                f"[[{nfd}]] 다음[^1][^2]\n[^1]: 하나\n[^2]:둘\n"
            ),
            "한글.md": "# 한글\n",
        },
    )
    text = note_markdown(vault.get("노트.md"))
    href = make_href("note", "한글.md")
    assert f"| [표 안]({href}) | `[[한글]]` |" in text
    assert f"[한글]({href}) 다음[\\[1\\]](fn:1)[\\[2\\]](fn:2)\n\n" in text
    # each definition its own paragraph (Textual's Markdown would join them to the line above)
    assert text.endswith("\n\n[\\[1\\]](fn:1) 하나\n\n[\\[2\\]](fn:2) 둘\n")


def test_links_the_vault_cannot_follow_stay_as_written(tmp_path):
    vault = load(
        tmp_path,
        {
            "노트.md": (
                "[웹](https://example.org) ![그림](그림.png) [없는](없는.md) [[]] "
                "[겉 [[대상]]](대상.md)\n"
            ),
            "대상.md": "# 대상\n",
        },
    )
    text = note_markdown(vault.get("노트.md"))
    assert text.startswith(
        "[웹](https://example.org) [🖼 그림 (missing)](missing:%EA%B7%B8%EB%A6%BC.png)"
        " [없는](없는.md) [[]] "
    )
    # a wikilink inside a Markdown link's label: the outer link is the one that is followed
    assert text.endswith(f"[겉 [[대상]]]({make_href('note', '대상.md')})\n")

