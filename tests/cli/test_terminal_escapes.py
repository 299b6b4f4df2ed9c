"""Issue 11, defect 9: text from the vault (titles, questions, tags, file names, link
targets, footnotes, snippets) never reaches the terminal as control characters; ``--json``
keeps the text as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from notebase.cli import main
from notebase.cli.output import terminal_text

ESC = "\x1b"
OSC_TITLE = f"{ESC}]0;pwned\a"  # sets the terminal window's title
CLEAR = f"{ESC}[2J"  # clears the screen
RLO = "\u202e"  # right-to-left override: shows "gnp.exe" as "exe.png"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""What must not be printed (the line feed ending each line excepted)."""


@pytest.fixture
def hostile_vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    root.mkdir()
    (root / f"evil{CLEAR}name.md").write_text(
        # YAML's own escapes: the raw characters are not allowed in YAML text.
        '---\ntitle: "악성 \\e]0;pwned\\a\\e[2J제목"\ntags: ["tag\\e[31m"]\n---\n'
        f"# 질문\n\n1. 왜 {ESC}[31m빨강{ESC}[0m{RLO}?\n\n"
        f"[[missing{ESC}[5m]] 메타러닝 본문{CLEAR} 설명[^a].\n\n[^a]: 각주 {OSC_TITLE}\n",
        encoding="utf-8",
    )
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [
        ["show", f"evil{CLEAR}name.md"],
        ["tags"],
        ["questions"],
        ["check"],
        ["search", "메타러닝"],
        ["index"],
        ["show", f"no such {CLEAR}"],  # the error line quotes what was asked for
    ],
    ids=["show", "tags", "questions", "check", "search", "index", "error"],
)
def test_text_output_escapes_control_characters(hostile_vault, capsys, argv):
    code, out, err = _run(capsys, "--vault", str(hostile_vault), *argv)
    assert code in (0, 2)
    assert out + err, "the command printed nothing"
    assert not UNSAFE.search(out), ascii(out)
    assert not UNSAFE.search(err), ascii(err)


def test_the_escapes_are_visible_in_the_text(hostile_vault, capsys):
    _, out, _ = _run(capsys, "--vault", str(hostile_vault), "show", f"evil{CLEAR}name.md")
    assert "악성 \\x1b]0;pwned\\x07\\x1b[2J제목" in out
    assert "\\u202e" in out
    assert "evil\\x1b[2Jname.md" in out


def test_json_output_keeps_the_text(hostile_vault, capsys):
    _, out, _ = _run(capsys, "--vault", str(hostile_vault), "show", f"evil{CLEAR}name.md", "--json")
    data = json.loads(out)
    assert data["title"] == f"악성 {OSC_TITLE}{CLEAR}제목"
    assert data["questions"][0]["text"].endswith(f"{RLO}?")


def test_terminal_text_keeps_ordinary_text():
    text = "메타러닝 — naïve 日本語 emoji 👩‍💻 tab-free"
    assert terminal_text(text) == text
    assert terminal_text("a\tb\nc\rd\x00\x7f\x9b") == "a\\tb\\nc\\rd\\x00\\x7f\\x9b"
    assert terminal_text("bad\udcff\udcfe.md") == "bad\\xff\\xfe.md"
    assert terminal_text("\u2066x\u2069") == "\\u2066x\\u2069"
