"""parse_note: frontmatter, tags, links, footnotes, questions and results blocks from bytes."""

from __future__ import annotations

import time

import pytest

from notebase.config import VaultConfig
from notebase.core.links import inline_links, mask_code_spans
from notebase.core.parse import is_tag_name, parse_note


def parse(text: str, path: str = "note.md", **kwargs):
    return parse_note(path, text.encode("utf-8"), **kwargs)


# ---- frontmatter and title ---------------------------------------------------------------


def test_frontmatter_fields_and_unknown_keys_are_kept():
    note = parse(
        "---\ntitle: 메타러닝\ntags: [ml/meta, '#미완']\naliases: [meta-learning, 메타 학습]\n"
        "created: 2025-01-02\nexperiments: [meta-cost, digits.toml]\nrating: 5\n---\n본문\n"
    )
    assert note.valid and note.errors == []
    assert note.title == "메타러닝"
    assert note.tags == ["ml/meta", "미완"]
    assert note.aliases == ["meta-learning", "메타 학습"]
    assert note.created == "2025-01-02"
    assert note.experiments == ["meta-cost", "digits"]
    assert note.frontmatter["rating"] == 5
    assert note.body == "본문\n"


@pytest.mark.parametrize(
    ("tags_yaml", "expected"),
    [
        ("tags: a, b/c ,#d", ["a", "b/c", "d"]),
        ("tags: single", ["single"]),
        ("tags: '#한글'", ["한글"]),
        ("tags:\n  - x\n  - '#y/z'", ["x", "y/z"]),
        ("tags: 2024", ["2024"]),
        ("tags:", []),
    ],
)
def test_frontmatter_tags_in_every_shape(tags_yaml, expected):
    assert parse(f"---\n{tags_yaml}\n---\ntext\n").tags == expected


@pytest.mark.parametrize(
    ("aliases_yaml", "expected"),
    [("aliases:", []), ("aliases: 하나", ["하나"]), ("aliases: [a, b]", ["a", "b"])],
)
def test_aliases_list_string_or_empty(aliases_yaml, expected):
    assert parse(f"---\n{aliases_yaml}\n---\n").aliases == expected


def test_title_falls_back_to_first_h1_then_file_name():
    assert parse("intro\n\n# 첫 제목\n\n# second\n").title == "첫 제목"
    assert parse("## only h2\n", path="folder/파일 이름.md").title == "파일 이름"
    assert parse("---\ntitle: ''\n---\n# H1\n").title == "H1"


def test_empty_file_and_frontmatter_only():
    empty = parse("", path="empty.md")
    assert empty.valid and empty.title == "empty" and empty.body == ""
    only = parse("---\ntitle: T\n---\n")
    assert only.valid and only.title == "T" and only.body == ""


def test_bom_and_crlf_are_normalised_and_line_numbers_stay_file_lines():
    text = "\ufeff---\r\ntitle: BOM\r\ntags: [x]\r\n---\r\n본문 [[링크]]\r\n\r\n#태그\r\n"
    note = parse_note("n.md", text.encode("utf-8"))
    assert note.valid
    assert note.title == "BOM"
    assert "\r" not in note.body and not note.body.startswith("\ufeff")
    assert [(link.target, link.line) for link in note.links] == [("링크", 5)]
    assert note.tags == ["x", "태그"]


def test_broken_yaml_makes_the_note_invalid_with_a_clear_message_but_reads_the_body():
    note = parse("---\ntitle: [unclosed\ntags: x\n---\n# Heading\n[[other]]\n")
    assert not note.valid
    assert len(note.errors) == 1 and "broken YAML frontmatter" in note.errors[0]
    assert note.title == "Heading"
    assert [link.target for link in note.links] == ["other"]


def test_frontmatter_that_is_not_a_mapping_is_an_error():
    note = parse("---\n- just\n- a list\n---\nbody\n")
    assert not note.valid and "not a list of 'key: value' lines" in note.errors[0]


def test_non_utf8_file_is_invalid_with_a_clear_message():
    data = "# 제목\n[[링크]]\n".encode() + b"\xff\xfe bad\n"
    note = parse_note("bad.md", data)
    assert not note.valid
    assert "not UTF-8" in note.errors[0] and "0xff" in note.errors[0]
    assert note.title == "제목"
    assert [link.target for link in note.links] == ["링크"]


def test_cp949_korean_file_is_invalid_not_a_crash():
    note = parse_note("euc.md", "# 한국어 제목\n".encode("cp949"))
    assert not note.valid and note.errors


def test_dashes_that_are_not_frontmatter():
    note = parse("text\n---\nmore\n")
    assert note.valid and note.frontmatter == {}
    unclosed = parse("---\ntitle: x\nno closing line\n")
    assert unclosed.valid and unclosed.frontmatter == {}


# ---- tags --------------------------------------------------------------------------------


def test_inline_tags_nested_korean_and_what_is_not_a_tag():
    note = parse(
        "# Heading #headingtag\n"
        "Text #미완 and #ml/메타러닝 and #a/b/c, also (#paren).\n"
        "Not: #1 #2024 C# foo#bar https://x.org/page#frag &#39; `#code` [[#heading]] "
        "[x](#anchor) [y](https://e.com/#t)\n"
        "\n```\n#fenced\n```\n\n    #indented code\n"
    )
    assert note.tags == ["headingtag", "미완", "ml/메타러닝", "a/b/c", "paren"]


def test_heading_hashes_are_not_tags():
    note = parse("# Title\n## 질문\n### Sub\n")
    assert note.tags == []
    assert note.headings == ["Title", "질문", "Sub"]


def test_tags_are_deduplicated_case_insensitively_keeping_the_first_spelling():
    note = parse("---\ntags: [ML]\n---\n#ml #Idea #idea\n")
    assert note.tags == ["ML", "Idea"]


@pytest.mark.parametrize(
    ("text", "is_tag"),
    [
        ("미완", True),
        ("ml/메타러닝", True),
        ("a/b", True),
        ("a//b", True),
        ("2024년", True),
        ("x_1-2", True),
        ("-a", True),
        ("_a_", True),
        ("2024", False),
        ("1/2-3_4", False),
        ("", False),
        ("a b", False),
        ("a,b", False),
        ("#a", False),
        ("/a", False),
        ("a/", False),
        ("a.b", False),
        ("C#", False),
    ],
)
def test_is_tag_name_is_what_the_parser_reads_after_a_hash(text, is_tag):
    assert is_tag_name(text) is is_tag
    assert (parse(f"본문 #{text} 끝\n").tags == [text]) is is_tag


def test_is_tag_name_takes_linear_time():
    start = time.perf_counter()
    assert not is_tag_name("a" * 20_000 + " ")
    assert not is_tag_name("a" * 20_000 + "/")
    assert is_tag_name("가" * 20_000)
    assert time.perf_counter() - start < 0.1


# ---- links -------------------------------------------------------------------------------


def test_wikilink_forms():
    note = parse(
        "[[plain]] [[target|label]] [[target#Heading]] [[#Local heading]] "
        "![[image.png|100]] [[note#Sec|shown]] [[folder/deep note]] ![[other note]]\n"
    )
    got = [(x.target, x.heading, x.label, x.embed, x.is_attachment) for x in note.links]
    assert got == [
        ("plain", None, None, False, False),
        ("target", None, "label", False, False),
        ("target", "Heading", None, False, False),
        ("", "Local heading", None, False, False),
        ("image.png", None, "100", True, True),
        ("note", "Sec", "shown", False, False),
        ("folder/deep note", None, None, False, False),
        ("other note", None, None, True, False),
    ]
    assert all(link.kind == "wiki" and link.resolved is None for link in note.links)


def test_markdown_links_to_notes_and_files_only():
    note = parse(
        "[a](Three%20laws%20of%20motion.md) [b](sub/x.md#Part) ![c](pic.jpg) "
        "[d](<with space.md>) [web](https://example.com/x.md) [mail](mailto:a@b.c) "
        "[plain](no-extension) [frag](#local)\n"
    )
    got = [(x.target, x.heading, x.label, x.embed, x.kind, x.is_attachment) for x in note.links]
    assert got == [
        ("Three laws of motion.md", None, "a", False, "markdown", False),
        ("sub/x.md", "Part", "b", False, "markdown", False),
        ("pic.jpg", None, "c", True, "markdown", True),
        ("with space.md", None, "d", False, "markdown", False),
    ]


def test_no_links_in_fenced_indented_or_inline_code():
    note = parse(
        "real [[one]]\n\n"
        "```md\n[[in fence]] [x](fence.md)\n```\n\n"
        "~~~\n[[tilde fence]]\n~~~\n\n"
        "    [[indented code]]\n\n"
        "inline `[[in code]]` and ``[[double `tick` code]]`` then [[two]]\n"
    )
    assert [link.target for link in note.links] == ["one", "two"]
    assert [link.line for link in note.links] == [1, 13]


def test_links_in_tables_callouts_lists_and_footnotes():
    note = parse(
        "| a | b |\n|---|---|\n| [[table link\\|alias]] | x |\n\n"
        "> [!note] Callout\n> see [[callout link]]\n\n"
        "- item [[list link]]\n\n"
        "Ref[^1].\n\n[^1]: See [[footnote link]].\n"
    )
    got = [(link.target, link.label, link.line) for link in note.links]
    assert got == [
        ("table link", "alias", 3),
        ("callout link", None, 6),
        ("list link", None, 8),
        ("footnote link", None, 12),
    ]


def test_experiment_links_are_not_note_links():
    note = parse("Run [[experiments/meta-cost]] and [[experiments/digits.toml|digits]].\n")
    assert [(x.experiment, x.is_attachment) for x in note.links] == [
        ("meta-cost", False),
        ("digits", False),
    ]


def test_mask_code_spans_keeps_length_and_unclosed_backticks():
    text = "a `b` c ``d`e`` f `unclosed"
    masked = mask_code_spans(text)
    assert len(masked) == len(text)
    assert "b" not in masked[:6] and "d`e" not in masked
    assert masked.endswith("`unclosed")


# ---- footnotes and citations -------------------------------------------------------------


FOOTNOTES = """Claim[^1] and again[^1], named[^note], missing[^ghost].

## 출처

[^1]: Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning." *ICML*, 2017.
    > "A quoted line."
    메타러닝 설명.

    A second paragraph of the same footnote.

[^note]: Nichol, A., Achiam, J., & Schulman, J. (2018). On first-order meta-learning algorithms. *arXiv*.
[^unused]: Finn et al., 2017, *Model-Agnostic Meta-Learning*.
"""


def test_footnotes_numbered_and_named_with_counts_and_multiparagraph_text():
    note = parse(FOOTNOTES)
    by_label = {f.label: f for f in note.footnotes}
    assert list(by_label) == ["1", "note", "unused"]
    assert by_label["1"].references == 2
    assert by_label["note"].references == 1
    assert by_label["1"].text == (
        'Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning." '
        '*ICML*, 2017.\n> "A quoted line."\n메타러닝 설명.\n\n'
        "A second paragraph of the same footnote."
    )
    assert by_label["1"].line == 5
    assert note.undefined_footnotes == ["ghost"]
    assert note.unused_footnotes == ["unused"]


def test_footnote_citations_in_three_styles():
    by_label = {f.label: f.citation for f in parse(FOOTNOTES).footnotes}
    chicago = by_label["1"]
    assert chicago.authors == ["Chelsea Finn", "Pieter Abbeel", "Sergey Levine"]
    assert (chicago.title, chicago.venue, chicago.year) == (
        "Model-agnostic meta-learning",
        "ICML",
        2017,
    )
    apa = by_label["note"]
    assert apa.authors == ["A. Nichol", "J. Achiam", "J. Schulman"]
    assert (apa.title, apa.venue, apa.year) == (
        "On first-order meta-learning algorithms",
        "arXiv",
        2018,
    )
    short = by_label["unused"]
    assert short.authors == ["Finn", "et al."]
    assert (short.title, short.year) == ("Model-Agnostic Meta-Learning", 2017)


def test_footnote_references_in_code_do_not_count():
    note = parse("`[^1]` text\n\n```\n[^2]\n```\n\n[^1]: def\n")
    assert note.unused_footnotes == ["1"]
    assert note.undefined_footnotes == []


# ---- questions and results blocks --------------------------------------------------------


QUESTIONS = """---
title: Q
experiments: [meta-cost]
---
## 내용

1. not a question

## 질문 & 확장

1. 첫 질문 [[experiments/meta-cost]]
   continued line
   - nested detail [[experiments/nested]]
2. 둘째 질문
- [ ] task question [[experiments/digits]] and [[experiments/digits]]

### Sub heading ends the section

- a step, not a question

## 출처

- not a question either
"""


def test_questions_under_matching_headings_with_experiments_and_ids():
    note = parse(QUESTIONS, path="ml/q.md")
    got = [(q.id, q.number, q.text, q.experiments, q.status, q.line) for q in note.questions]
    assert got == [
        (
            "ml/q.md#q1",
            1,
            "첫 질문 [[experiments/meta-cost]] continued line",
            ["meta-cost", "nested"],
            "open",
            11,
        ),
        ("ml/q.md#q2", 2, "둘째 질문", [], "open", 14),
        (
            "ml/q.md#q3",
            3,
            "task question [[experiments/digits]] and [[experiments/digits]]",
            ["digits"],
            "open",
            15,
        ),
    ]
    assert note.experiments == ["meta-cost"]


@pytest.mark.parametrize(
    "heading", ["## Questions", "# Open questions", "### 질문", "## open QUESTIONS"]
)
def test_default_question_heading_patterns(heading):
    level = heading.split(" ")[0]
    note = parse(f"{heading}\n\n- one?\n- two?\n\n{level} Other\n\n- not\n")
    assert [q.text for q in note.questions] == ["one?", "two?"]


def test_question_section_ends_at_a_sub_heading_unless_it_is_a_questions_heading():
    note = parse("## 질문\n- a\n### Sub\n- b\n# Top\n- c\n")
    assert [q.text for q in note.questions] == ["a"]
    note = parse("## 질문\n- a\n### 질문 (추가)\n- b\n### 방법\n1. 단계\n## 출처\n- c\n")
    assert [(q.text, q.heading) for q in note.questions] == [
        ("a", "질문"),
        ("b", "질문 (추가)"),
    ]


def test_configured_question_headings():
    config = VaultConfig(question_heading_patterns=[r"^할 일"])
    note = parse("## 할 일\n- a\n\n## 질문\n- b\n", config=config)
    assert [q.text for q in note.questions] == ["a"]


RESULTS = """## 질문

1. first
2. second
3. third

<!-- notebase:results answers=1,3 run=20250101-abc experiment=meta-cost spec=9f2e -->
| steps | memory |
|---|---|
<!-- /notebase:results -->

```
<!-- notebase:results experiment=in-code run=x answers=2 -->
```

<!-- notebase:results experiment=unclosed -->
"""


def test_results_blocks_and_answered_status():
    note = parse(RESULTS)
    blocks = [
        (b.experiment, b.run_id, b.spec_hash, b.answers, b.start_line, b.end_line)
        for b in note.results_blocks
    ]
    assert blocks == [("meta-cost", "20250101-abc", "9f2e", [1, 3], 7, 10)]
    # The unclosed one is no block: a problem that `notebase check` reports. So is a block
    # without its hash= (typed by hand): a run would not overwrite it.
    assert note.results_problems == [
        (7, "the results block for meta-cost has no hash= (typed by hand?); "
         "its next run writes to a sidecar, not into the note"),
        (16, "results block opened but never closed"),
    ]
    statuses = [(q.number, q.status, q.answered_by) for q in note.questions]
    assert statuses == [
        (1, "answered", "20250101-abc"),
        (2, "open", None),
        (3, "answered", "20250101-abc"),
    ]


# ---- the seed note -------------------------------------------------------------------------


def test_seed_note(shared_dir):
    data = (shared_dir / "seeds" / "000_08b203b1a4a13372.txt").read_bytes()
    note = parse_note("seed.md", data)
    assert note.valid
    assert note.title == "메타 러닝의 계산도가 높은 이유"
    assert note.tags == ["미완"] and note.aliases == [] and note.created == "2025-01-02"
    assert [f.label for f in note.footnotes] == ["1", "2", "3", "4", "5"]
    assert all(f.references == 1 for f in note.footnotes)
    assert note.undefined_footnotes == [] and note.unused_footnotes == []
    first = note.footnotes[0]
    assert first.citation.authors == ["Chelsea Finn", "Pieter Abbeel", "Sergey Levine"]
    assert (
        first.citation.title == "Model-agnostic meta-learning for fast adaptation of deep networks"
    )
    assert first.citation.venue == "International Conference on Machine Learning (ICML)"
    assert first.citation.year == 2017
    assert "\n> " in first.text and first.text.endswith("설명을 제공.")
    second = note.footnotes[1].citation
    assert second.authors == ["Timothy M. Hospedales", "et al."] and second.year == 2021
    assert [q.number for q in note.questions] == [1, 2, 3]
    assert note.questions[2].text.startswith("메타러닝에서 필요한 계산 자원을")
    assert all(q.status == "open" for q in note.questions)


@pytest.mark.parametrize("unit", ["[[a]] ", "[x](b.md) ", "[^1]: [a](b"])
def test_parse_time_grows_linearly_with_repeated_constructs(unit):
    import time

    def best_of_three(count: int) -> float:
        data = (unit * count).encode()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            parse_note("x.md", data)
            times.append(time.perf_counter() - start)
        return min(times)

    small, big = best_of_three(1000), best_of_three(10000)
    assert big < 40 * small  # linear: ~10x; the quadratic versions this guards against: ~100x


# ---- where links sit in the body -----------------------------------------------------------

PLACED = (
    "---\ntitle: 위치\n---\n"
    "# 제목 [[머리]] ##\n\n"
    "첫 줄\n둘째 줄 [[둘째]]\n셋째 줄 [마크](다른%20노트.md) 근거[^1]\n\n"
    "- 항목 [[목록]]\n\t이어서 [[이음]]\n  - 안쪽 [[안쪽]]\n\n"
    "> 인용 [[인용]]\n> 다음 [[다음]]\n\n"
    "`[[코드]]` 뒤 [[뒤]] `[^1]`\n\n"
    "```\n[[울타리]] [^1]\n```\n\n"
    "    [[들여쓴 코드]]\n\n"
    "| a | b |\n|---|---|\n| [[표\\|라벨]] | [[표]] |\n\n"
    "[^1]: 정의 [[정의]]\n"
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_link_and_footnote_knows_its_exact_text_in_the_body(newline):
    note = parse(PLACED.replace("\n", newline))
    body = note.body
    assert [body[link.start : link.end] for link in note.links] == [
        "[[머리]]",
        "[[둘째]]",
        "[마크](다른%20노트.md)",
        "[[목록]]",
        "[[이음]]",  # a continuation line markdown-it re-indents (tab)
        "[[안쪽]]",
        "[[인용]]",
        "[[다음]]",  # the second line of a quote, "> " cut by markdown-it
        "[[뒤]]",
        "[[표\\|라벨]]",
        "[[표]]",
        "[[정의]]",
    ]
    assert [link.line for link in note.links] == [4, 7, 8, 10, 11, 12, 14, 15, 17, 27, 27, 29]
    assert [(body[start:end], label) for start, end, label in note.footnote_spans] == [
        ("[^1]", "1"),
        ("[^1]:", "1"),
    ]
    assert note.footnotes[0].references == 1  # the ones in code do not count


def test_a_link_markdown_it_breaks_over_quote_lines_has_no_place():
    note = parse("> [보기](\n> 노트.md)\n\n[[다음]]\n")
    by_target = {link.target: link for link in note.links}
    assert (by_target["노트.md"].start, by_target["노트.md"].end) == (0, 0)
    placed = by_target["다음"]
    assert note.body[placed.start : placed.end] == "[[다음]]"


def test_inline_links_is_the_grammar_for_any_text():
    text = "질문 [[MAML|마믈]] `[[코드]]` [x](a.md) [웹](https://x.org) [^2] [[]]"
    links, footnotes, blanked = inline_links(text)
    assert [(text[link.start : link.end], link.kind) for link in links] == [
        ("[[MAML|마믈]]", "wiki"),
        ("[x](a.md)", "markdown"),
    ]
    assert [(text[start:end], label) for start, end, label in footnotes] == [("[^2]", "2")]
    assert len(blanked) == len(text) and "MAML" not in blanked and "코드" not in blanked
