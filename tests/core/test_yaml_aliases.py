"""Issue 11, defect 10: a YAML alias bomb (or an alias that makes frontmatter contain
itself) makes the note invalid with a message; reading, caching and printing stay fast."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from yaml_bomb import alias_bomb  # in tests/

from notebase.core import cache as note_cache
from notebase.core.parse import parse_note
from notebase.core.vault import Vault
from notebase.core.yaml_aliases import alias_problem

BOMB = alias_bomb()
SELF = "---\na: &a [1, *a]\nb: &b {x: *b}\n---\n본문\n"


def test_the_bomb_is_as_small_as_the_reported_one():
    assert len(BOMB.encode()) < 400


@pytest.mark.parametrize(
    ("text", "words"),
    [(BOMB, "expand to more than 100,000 values"), (SELF, "contains itself")],
    ids=["bomb", "self"],
)
def test_the_note_is_invalid_with_a_message(text, words):
    started = time.perf_counter()
    note = parse_note("x.md", text.encode())
    assert time.perf_counter() - started < 0.5
    assert not note.valid
    assert any(words in error for error in note.errors), note.errors
    assert note.frontmatter == {}
    assert note.title == "폭탄" or note.title == "x"  # the body is still read


def test_shared_values_within_the_bound_are_fine():
    note = parse_note(
        "ok.md",
        b"---\nbase: &base {lr: 0.1, steps: [1, 2, 3]}\nrun1: *base\nrun2: *base\n"
        b"tags: [a, b]\n---\n",
    )
    assert note.valid, note.errors
    assert note.frontmatter["run2"] == {"lr": 0.1, "steps": [1, 2, 3]}
    assert note.tags == ["a", "b"]


def test_big_frontmatter_without_aliases_is_not_refused():
    assert alias_problem({"tags": [f"t{i}" for i in range(200_000)]}) is None


def test_deep_nesting_is_refused_without_recursion():
    deep: list = []
    node = deep
    for _ in range(100_000):
        child: list = []
        node.append(child)
        node = child
    assert "deeper than 100 levels" in alias_problem(deep)
    note = parse_note("deep.md", ("---\na: " + "[" * 600 + "]" * 600 + "\n---\n").encode())
    assert not note.valid and "deeper than 100 levels" in note.errors[0]
    assert parse_note("ok.md", ("---\na: " + "[" * 99 + "]" * 99 + "\n---\n").encode()).valid
    # Depth reached through an alias counts too.
    nested = "[" * 60 + "]" * 60
    via_alias = f"---\na: &a {nested}\nb: {'[' * 50}*a{']' * 50}\n---\n"
    assert "deeper than 100" in parse_note("alias.md", via_alias.encode()).errors[0]


def test_the_cache_saves_and_loads_the_vault_quickly(tmp_path: Path):
    (tmp_path / "bomb.md").write_text(BOMB, encoding="utf-8")
    (tmp_path / "self.md").write_text(SELF, encoding="utf-8")
    (tmp_path / "ok.md").write_text("---\ntags: [x]\n---\n", encoding="utf-8")
    started = time.perf_counter()
    vault = Vault.load(tmp_path)
    assert note_cache.cache_path(tmp_path).exists()  # one odd note does not cost the cache
    again = Vault.load(tmp_path)
    assert time.perf_counter() - started < 2.0
    assert not again.notes["bomb.md"].valid and not again.notes["self.md"].valid
    assert vault.tag_counts() == again.tag_counts() == [("x", 1)]


@pytest.mark.parametrize("command", ["tags", "check", "index"])
def test_commands_stay_fast(tmp_path: Path, command: str):
    (tmp_path / "bomb.md").write_text(BOMB, encoding="utf-8")
    (tmp_path / "self.md").write_text(SELF, encoding="utf-8")
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "notebase", "--vault", str(tmp_path), command],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"notebase {command} ran for more than 20 s")
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert seconds < 5.0  # a new process; the parse itself takes milliseconds
    if command == "check":
        assert "bomb.md: invalid note: frontmatter aliases expand" in done.stdout
        assert "self.md: invalid note: frontmatter contains itself" in done.stdout
