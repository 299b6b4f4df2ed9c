"""Issue 11, "Must show": hostile note text thrown at the parser, ``check`` and ``index``,
each within a time budget of 2 s.

The inputs are what an adversarial pass tried (a YAML alias bomb, ``[^`` 50,000 times on
one line) and their relatives: long runs of every character the parser's regexes and
markdown-it treat specially, huge lines, deep nesting of lists and quotes, many markers.
Time is this process's CPU time, so a busy shared machine does not make the budget
flaky. The parser cases run in the quick suite; the CLI ones (each builds a vault and an
index) are marked slow.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest
from yaml_bomb import alias_bomb  # in tests/

from notebase.cli import main
from notebase.core.parse import parse_note

BUDGET_SECONDS = 2.0
RUN = 50_000


INPUTS: dict[str, str | bytes] = {
    # frontmatter
    "yaml alias bomb": alias_bomb(),
    "yaml self alias": "---\na: &a [1, *a]\n---\n",
    "yaml deep nesting": "---\na: " + "[" * 5_000 + "]" * 5_000 + "\n---\n",
    "yaml unclosed": "---\n" + "a: [" * 5_000,
    "yaml many keys": "---\n" + "".join(f"k{i}: v\n" for i in range(50_000)) + "---\n",
    "yaml many anchors": "---\n" + "".join(f"a{i}: &x{i} v\n" for i in range(20_000)) + "---\n",
    "yaml tags of hashes": "---\ntags: " + "#" * RUN + "\n---\n",
    # one long line of a special character or opener
    "footnote refs [^ (defect 11)": "[^" * RUN,
    "pandoc citation openers [@": "[@" * RUN,
    "pandoc citations [@a; @b]": "[@a; @b] " * (RUN // 2),
    "wikilink openers [[": "[[" * RUN,
    "embed openers ![[": "![[" * RUN,
    "link middles ](": "](" * RUN,
    "link with open parens": "[x](" + "(" * RUN,
    "wikilink of pipes": "[[" + "a|" * RUN + "]]",
    "comment openers <!--": "<!--" * RUN,
    "hashes #": "#" * RUN,
    "tags #a": "#a " * RUN,
    "tag paths #a/": "#a/" * RUN,
    "backticks": "`" * RUN,
    "stars": "*" * RUN,
    "underscores": "_" * RUN,
    "emphasis mix": "*a _b " * RUN,
    "pipes": "|" * RUN,
    "brackets": "[" * 2 * RUN,
    "backslashes": "\\" * 2 * RUN,
    "angle brackets": "<" * 2 * RUN,
    "autolink openers": "<http://" * RUN,
    "html openers": "<div>" * RUN,
    "dollars": "$" * 2 * RUN,
    "results marker, long name": "<!-- notebase:results experiment=" + "a" * 100_000 + " -->\n",
    # huge lines and many lines
    "a 3 MB Korean line": "가나다 " * 300_000,
    "a 1 MB footnote": "[^a]: " + "x" * 1_000_000 + "\n\n[^a]\n",
    "many headings": "# h\n" * RUN,
    "many fences": "```\n" * RUN,
    "many tilde fences": "~~~\n" * RUN,
    "many results markers": "<!-- notebase:results experiment=e run=r answers=1 -->\n" * 20_000,
    "many questions": "## 질문\n" + "1. q [[experiments/x]]\n" * 20_000,
    "a big table": "|a|b|\n|-|-|\n" + "|[[x]]|[^1]|\n" * 20_000,
    "lone carriage returns": "a\r" * 100_000,
    "NUL bytes": "\x00" * 100_000,
    "not UTF-8": b"\xff\xfe" * 100_000,
    # deep nesting
    "quotes 10,000 deep": "> " * 10_000 + "x",
    "list items 10,000 deep on a line": "- " * 10_000 + "x",
    "ordered items 10,000 deep": "1. " * 10_000 + "x",
    "nested list lines 2,000 deep": "".join("  " * i + "- x\n" for i in range(2_000)),
    "nested quote lines 2,000 deep": "".join(">" * i + " x\n" for i in range(2_000)),
}


def _data(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


@pytest.mark.parametrize("name", list(INPUTS))
def test_parse_note_stays_within_budget(name):
    data = _data(INPUTS[name])
    started = time.process_time()
    note = parse_note("hostile.md", data)
    seconds = time.process_time() - started
    assert seconds <= BUDGET_SECONDS, f"{name}: {seconds:.2f} s"
    # parse_note turns its own crashes into an invalid note: none must happen here.
    assert not any(error.startswith("could not parse the note") for error in note.errors)


def _timed(vault: Path, *argv: str) -> tuple[float, int, str]:
    output = io.StringIO()
    started = time.process_time()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = main(["--vault", str(vault), *argv])
    return time.process_time() - started, code, output.getvalue()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(INPUTS))
def test_check_and_index_stay_within_budget(tmp_path, name):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "hostile.md").write_bytes(_data(INPUTS[name]))
    (vault / "ordinary.md").write_text("# 보통 노트\n메타러닝 본문\n", encoding="utf-8")
    for argv in (["check"], ["index"]):
        seconds, code, output = _timed(vault, *argv)
        assert code == 0, output
        assert "Traceback" not in output
        assert seconds <= BUDGET_SECONDS, f"{name}: {argv[0]} took {seconds:.2f} s"
        assert output.splitlines()[-1].startswith("2 notes"), output[-300:]
    seconds, code, output = _timed(vault, "search", "메타러닝")
    assert code == 0 and output.startswith("ordinary.md"), output[-300:]
