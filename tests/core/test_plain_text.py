"""Note Markdown -> plain text (`notebase.core.plain_text`): what a reader sees, line for line."""

from __future__ import annotations

import time

import pytest

from notebase.core.plain_text import plain_inline, plain_text


@pytest.mark.parametrize(
    ("markdown", "plain"),
    [
        ("[[메타러닝|메타 러닝]]과 [[MAML]]", "메타 러닝과 MAML"),
        ("[[MAML#내부 루프]] [[#출처]]", "MAML > 내부 루프 출처"),
        ("[논문](https://arxiv.org/abs/1703.03400) and [노트](ml/maml.md)", "논문 and 노트"),
        ("![[plot.png]] 그림 ![alt](fig.png)", "그림"),
        ("비용이 크다[^1][^note].", "비용이 크다."),
        ("# 메타러닝의 비용 #", "메타러닝의 비용"),
        ("## **굵은** 제목", "굵은 제목"),
        ("**굵게**를 *기울임*과 _밑줄_, ~~취소~~ ==형광==", "굵게를 기울임과 밑줄, 취소 형광"),
        ('<span style="color:red">빨강</span> 글자<br>끝', "빨강 글자 끝"),
        ("<!-- notebase:results experiment=x run=1 --> 결과", "결과"),
        ("- [ ] 할 일", "할 일"),
        ("1. 첫째\n   - 둘째", "첫째\n둘째"),
        ("[^1]: Finn, *ICML*, 2017.", "Finn, ICML, 2017."),
        ("%% 숨김 %% 보임 ^block-1", "보임"),
        ("snake_case_name 2*3*4 \\*별\\*", "snake_case_name 2*3*4 *별*"),
        ("&lt;tag&gt; &amp;", "<tag> &"),
        ("[[experiments/meta-cost]] 실험", "meta-cost 실험"),
    ],
)
def test_inline_and_line_markup(markdown, plain):
    assert plain_text(markdown) == plain


def test_tables_become_cells_separated_by_spaces():
    table = "| 알고리즘 | 메모리 |\n|:--|--:|\n| [[MAML\\|2차]] | 3 MiB |\n| `a|b` | x |"
    assert plain_text(table) == "알고리즘 메모리\n\n2차 3 MiB\na|b x"


def test_callouts_and_quotes():
    text = "> [!tip]- 먼저 확인하세요\n> 내용은 **굵게**\n>\n> > 인용 안의 인용\n> [!note]"
    assert plain_text(text) == "먼저 확인하세요\n내용은 굵게\n\n인용 안의 인용\nNote"


def test_code_spans_and_blocks_keep_their_text():
    assert plain_text("코드 `**x** [[y]] <b>` 끝") == "코드 **x** [[y]] <b> 끝"
    assert plain_text("``a ` b``") == "a ` b"
    block = "앞\n```python\n# 주석, 제목 아님\nx = [[1]]\n```\n뒤"
    assert plain_text(block) == "앞\n\n# 주석, 제목 아님\nx = [[1]]\n\n뒤"


def test_lines_are_kept_and_plain_inline_joins_them():
    text = "# 제목\n\n---\n본문 [[링크]]\r\n| a | b |"
    assert plain_text(text).split("\n") == ["제목", "", "", "본문 링크", "a b"]
    assert plain_inline(text) == "제목 본문 링크 a b"


def test_experiment_links_can_be_left_out():
    question = "2차 MAML의 메모리는 **선형**인가? [[experiments/meta-cost]]"
    assert plain_inline(question, experiments=False) == "2차 MAML의 메모리는 선형인가?"


@pytest.mark.parametrize(
    "piece", ["[^", "*a", "_a ", "<a ", "`a", "==a", "[x](", "| ", "> ", "**a *b", "[[a|"]
)
def test_hostile_lines_take_linear_time(piece):
    def best_of_three(n: int) -> float:
        times = []
        for _ in range(3):
            start = time.perf_counter()
            plain_text(piece * n)
            times.append(time.perf_counter() - start)
        return min(times)

    small, big = best_of_three(2_000), best_of_three(20_000)
    assert big < 40 * small + 0.01  # linear: ~10x; quadratic: ~100x


def test_closing_hashes_and_html_comments():
    assert plain_text("## 제목 ##  ") == "제목"
    assert plain_text("## C# 언어") == "C# 언어"
    assert plain_text("## 언어 C#") == "언어 C#"
    # only a closing run: an empty heading, as markdown-it reads it
    assert plain_text("## ###") == ""
    assert plain_text("앞 <!--a--> 중간 <!-- b -->뒤 <!-- 열린") == "앞 중간 뒤 <!-- 열린"
    assert plain_text("<!--->x") == "<!--->x"


@pytest.mark.parametrize(
    "line",
    [
        "# x" + " " * 100_000 + "y",  # blanks that are not before a closing "#" run
        "# x" + " \t" * 50_000 + "y",
        "<!--" * 25_000,  # comments that are never closed
        "<!--x" * 20_000,
        ">" * 1_000_000,  # quote markers, each one stripped
    ],
    ids=["heading-blanks", "heading-blanks-tabs", "open-comments", "open-comments-x", "quotes"],
)
def test_long_hostile_lines_take_well_under_a_second(line):
    start = time.perf_counter()
    plain_inline(line)
    assert time.perf_counter() - start < 1.0


def test_list_text_drops_experiment_links_and_footnote_references():
    """What the question lists show (their experiments are shown on their own)."""
    assert (
        plain_inline("메모리는? [[experiments/meta-cost]] 근거[^2] [[MAML|마믈]]", experiments=False)
        == "메모리는? 근거 마믈"
    )
    assert plain_inline("[[Experiments/maml]] 질문", experiments=False) == "질문"
    assert plain_inline("코드 `[[MAML]]` 그대로 [^1]", experiments=False) == "코드 [[MAML]] 그대로"
