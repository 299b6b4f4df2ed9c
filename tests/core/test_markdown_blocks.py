"""One code-block rule: the outline the parser and the results-block grammar use."""

from __future__ import annotations

from notebase.core.markdown_blocks import outline, split_frontmatter
from notebase.core.parse import parse_note

BODY = """# 코드 예시

```python
print("[[안에 있는 링크]]")
```

- 목록
  ~~~
  [[목록 안 코드]]
  ~~~

> ```
> [[인용 안 코드]]
> ```

    [[들여쓴 코드]]

본문 [[진짜 링크]]
"""


def test_code_ranges_cover_fenced_listed_quoted_and_indented_code():
    shape = outline(BODY)
    lines = BODY.split("\n")
    code_text = [lines[i] for i in sorted(shape.code_lines())]
    assert [line for line in code_text if "[[" in line] == [
        'print("[[안에 있는 링크]]")',
        "  [[목록 안 코드]]",
        "> [[인용 안 코드]]",
        "    [[들여쓴 코드]]",
    ]
    assert not any("진짜" in line for line in code_text)
    assert shape.open_fence_at is None
    assert shape.headings == [(0, 1, "코드 예시")]


def test_crlf_and_lone_cr_give_the_same_lines():
    lf = outline(BODY)
    for newline in ("\r\n", "\r"):
        other = outline(BODY.replace("\n", newline))
        assert (other.code, other.headings) == (lf.code, lf.headings)


def test_unclosed_fence_and_setext_headings():
    shape = outline("질문\n===\n\n본문\n\n```\n닫히지 않은 코드\n")
    assert shape.headings == [(0, 1, "질문")]
    assert shape.open_fence_at == 5 and shape.in_code(6) and not shape.in_code(3)
    assert outline("```\n코드\n```\n").open_fence_at is None
    assert outline("```\n코드\n    ```\n").open_fence_at == 0  # 4 spaces: not a closing fence


def test_frontmatter_split_counts_file_lines():
    yaml_text, body, offset = split_frontmatter("---\ntitle: 제목\n---\n본문\n")
    assert (yaml_text, body, offset) == ("title: 제목\n", "본문\n", 3)
    assert split_frontmatter("--- 아님\n본문\n") == (None, "--- 아님\n본문\n", 0)


def test_the_parser_finds_no_link_in_the_outlines_code():
    note = parse_note("코드.md", BODY.encode())
    assert [link.target for link in note.links] == ["진짜 링크"]


def test_the_block_parser_is_compiled_before_any_thread_gets_it():
    """markdown-it compiles its rule lists on the first parse, visible to other threads while
    half done: several threads parsing first at once then fail ("none of the block rules
    matched", 3 of 300 trials with four threads). `block_parser()` hands out a parser whose
    rule lists are compiled already (markdown-it's ``Ruler.__cache__``)."""
    from notebase.core import markdown_blocks

    markdown_blocks.block_parser.cache_clear()
    try:
        parser = markdown_blocks.block_parser()
        assert parser.core.ruler.__cache__ is not None
        assert parser.block.ruler.__cache__ is not None
    finally:
        markdown_blocks.block_parser.cache_clear()
