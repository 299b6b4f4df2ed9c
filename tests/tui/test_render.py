"""The note body as the app renders it: links become clickable, code stays as written."""

from __future__ import annotations

from notebase.core.vault import Vault
from notebase.tui.render import note_markdown, parse_href, plain_inline


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
    assert "*[attachment: 그림.png]*" in text
    assert "근거[\\[1\\]](fn:1)" in text
    # Inside fenced code and code spans nothing changes.
    assert "```\n[[다른 노트]] [^1]\n```" in text
    assert "`[[다른 노트]]` 그대로" in text
    assert "\n[\\[1\\]](fn:1) Finn, 2017" in text  # the definition's label is a link too
    assert "[마크다운](note:%EB%8B%A4%EB%A5%B8%20%EB%85%B8%ED%8A%B8.md)" in text
    assert parse_href("https://example.org") is None


def test_plain_inline_for_lists():
    assert (
        plain_inline("메모리는? [[experiments/meta-cost]] 근거[^2] [[MAML|마믈]]")
        == "메모리는? 근거 마믈"
    )


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
    assert plain_inline("[[Experiments/maml]] 질문") == "질문"
