"""Creating a note: its file name, frontmatter, templates, and what it refuses."""

from __future__ import annotations

import os
import time
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from notebase.core.note_create import create_note
from notebase.core.note_ops import NoteOpError, note_file_name
from notebase.core.parse import parse_note
from notebase.core.vault import Vault

DAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("메타러닝의 계산 비용", "메타러닝의 계산 비용.md"),
        (unicodedata.normalize("NFD", "한글 노트"), "한글 노트.md"),  # NFC
        ('A/B: "why?" <x> | #tag ^blk [[y]] *z*', "A B why x tag blk y z.md"),
        ("back\\slash", "back slash.md"),
        ("..hidden", "hidden.md"),
        ("  spaced \t out  ", "spaced out.md"),
        ("line\nbreak\x1b[31m", "line break 31m.md"),
        ("note.md", "note.md"),
        ("trailing dot.", "trailing dot.md"),
        ("\u202eevil", "evil.md"),
    ],
)
def test_file_names(title: str, name: str) -> None:
    assert note_file_name(title) == name


def test_long_titles_are_cut_on_a_character() -> None:
    name = note_file_name("가" * 300)
    assert name.endswith(".md")
    assert len(name.encode()) <= 255
    assert set(name[:-3]) == {"가"}


@pytest.mark.parametrize("title", ["", "   ", "...", "???", "[[]]", "\x00\x01"])
def test_a_title_with_no_name_is_refused(title: str) -> None:
    with pytest.raises(NoteOpError, match="no file name"):
        note_file_name(title)


def test_create_writes_frontmatter_and_heading(tmp_path: Path) -> None:
    path = create_note(
        tmp_path, "메타러닝: 비용?", folder="ml/새 폴더", tags=["ml/meta", "#미완"], today=DAY
    )
    assert path == "ml/새 폴더/메타러닝 비용.md"
    data = (tmp_path / path).read_bytes()
    assert data.decode() == (
        "---\ntitle: '메타러닝: 비용?'\ncreated: 2026-11-29\ntags: [ml/meta, 미완]\n---\n"
        "# 메타러닝: 비용?\n"
    )
    note = parse_note(path, data)
    assert (note.title, note.created, note.tags) == (
        "메타러닝: 비용?",
        "2026-11-29",
        ["ml/meta", "미완"],
    )
    assert note.valid
    assert Vault.load(tmp_path, use_cache=False).find("메타러닝: 비용?").path == path


def test_titles_that_yaml_would_misread_are_quoted(tmp_path: Path) -> None:
    for title in ("null", "2024", "yes", "- item", "it's"):
        path = create_note(tmp_path, title, today=DAY)
        assert parse_note(path, (tmp_path / path).read_bytes()).title == title


def test_no_tags_no_tags_key(tmp_path: Path) -> None:
    path = create_note(tmp_path, "x", today=DAY)
    assert "tags" not in (tmp_path / path).read_text()


@pytest.mark.parametrize("tag", ["a b", "123", "", "#", "a,b", "/", "2024/01", "a.b"])
def test_bad_tags_are_refused(tmp_path: Path, tag: str) -> None:
    with pytest.raises(NoteOpError, match="not a tag"):
        create_note(tmp_path, "x", tags=[tag])
    assert list(tmp_path.iterdir()) == []


def test_tags_nested_korean_and_long_are_taken_quickly(tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(NoteOpError, match="not a tag"):
        create_note(tmp_path, "x", tags=["a" * 20_000 + ","])
    assert time.perf_counter() - start < 0.5
    path = create_note(tmp_path, "y", tags=["/연구/메타러닝/", "#2024년", "a" * 20_000], today=DAY)
    assert "tags: [연구/메타러닝, 2024년, " + "a" * 20_000 + "]" in (tmp_path / path).read_text()


def test_template(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "회의.md").write_bytes(
        "---\r\ntags: [회의]\r\nstatus: draft\r\n---\r\n# {{title}}\r\n날짜: {{date}}\r\n".encode()
    )
    path = create_note(tmp_path, "주간 회의", template="회의", today=DAY)
    assert (tmp_path / path).read_bytes() == (
        "---\r\ntitle: 주간 회의\r\ncreated: 2026-11-29\r\ntags: [회의]\r\nstatus: draft\r\n---\r\n"
        "# 주간 회의\r\n날짜: 2026-11-29\r\n"
    ).encode()
    with pytest.raises(NoteOpError, match="sets tags itself"):
        create_note(tmp_path, "또", template="회의", tags=["x"], today=DAY)


def test_template_without_frontmatter(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "plain.md").write_text("## {{ title }} 요약\n")
    path = create_note(tmp_path, "요약", template="plain.md", today=DAY)
    assert (
        tmp_path / path
    ).read_text() == "---\ntitle: 요약\ncreated: 2026-11-29\n---\n## 요약 요약\n"


def test_missing_template(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "회의.md").write_text("x")
    with pytest.raises(NoteOpError, match="no template 'nope'.*회의"):
        create_note(tmp_path, "x", template="nope")
    with pytest.raises(NoteOpError, match="leaves the vault"):
        create_note(tmp_path, "x", template="../../etc/passwd")


@pytest.mark.parametrize("existing", ["메모.md", "메모.MD", "MEMO.md"])
def test_never_over_an_existing_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_text("mine\n")
    title = "memo" if existing.startswith("MEMO") else "메모"
    with pytest.raises(NoteOpError, match="already exists"):
        create_note(tmp_path, title)
    assert (tmp_path / existing).read_text() == "mine\n"


def test_never_over_an_nfd_name(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "한글.md")
    (tmp_path / nfd).write_text("mine\n")
    with pytest.raises(NoteOpError, match="already exists"):
        create_note(tmp_path, "한글")
    assert os.listdir(tmp_path) == [nfd]


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("../out", "leaves the vault"),
        ("a/../../out", "leaves the vault"),
        ("/tmp", "absolute path"),
        (".trash", "skipped"),
        (".notebase/x", "skipped"),
        ("a/.hidden", "skipped"),
        ("폴더: 이름", "does not allow"),
        ("새 폴더/#태그", "does not allow"),
    ],
)
def test_folders_outside_the_notes_are_refused(tmp_path: Path, folder: str, message: str) -> None:
    vault = tmp_path / "v"
    vault.mkdir()
    with pytest.raises(NoteOpError, match=message):
        create_note(vault, "x", folder=folder)
    assert list(vault.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"]


def test_a_folder_linked_out_of_the_vault_is_refused(tmp_path: Path) -> None:
    vault, outside = tmp_path / "v", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    os.symlink(outside, vault / "link")
    with pytest.raises(NoteOpError, match="symbolic link"):
        create_note(vault, "x", folder="link")
    with pytest.raises(NoteOpError, match="symbolic link"):
        create_note(vault, "x", folder="link/deeper")
    assert list(outside.iterdir()) == []


def test_a_folder_linked_inside_the_vault_is_refused_too(tmp_path: Path) -> None:
    """The scan does not follow linked folders: a note made there would not be seen."""
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    with pytest.raises(NoteOpError, match="symbolic link"):
        create_note(tmp_path, "x", folder="link")
    assert list((tmp_path / "real").iterdir()) == []


def test_a_title_ending_in_md(tmp_path: Path) -> None:
    path = create_note(tmp_path, "README.md", today=DAY)
    assert path == "README.md"
    assert (
        tmp_path / path
    ).read_text() == "---\ntitle: README\ncreated: 2026-11-29\n---\n# README\n"


def test_configured_ignored_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".notebase.toml").write_text('ignore_dirs = ["archive"]\n')
    with pytest.raises(NoteOpError, match="skipped"):
        create_note(tmp_path, "x", folder="archive")


def test_an_existing_folder_with_an_odd_name_is_used(tmp_path: Path) -> None:
    (tmp_path / "C# notes").mkdir()
    assert create_note(tmp_path, "x", folder="C# notes", today=DAY) == "C# notes/x.md"


def test_an_nfd_folder_is_used_not_doubled(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "알고리즘")
    (tmp_path / nfd).mkdir()
    assert create_note(tmp_path, "MAML", folder="알고리즘", today=DAY) == "알고리즘/MAML.md"
    assert os.listdir(tmp_path) == [nfd]
    assert os.listdir(tmp_path / nfd) == ["MAML.md"]


def test_an_nfd_symlinked_folder_is_refused(tmp_path: Path) -> None:
    vault, outside = tmp_path / "v", tmp_path / "outside"
    vault.mkdir()
    outside.mkdir()
    os.symlink(outside, vault / unicodedata.normalize("NFD", "바깥"))
    with pytest.raises(NoteOpError, match="symbolic link"):
        create_note(vault, "x", folder="바깥/안")
    assert list(outside.iterdir()) == []


def test_note_target_says_where_without_writing(tmp_path: Path) -> None:
    from notebase.core.note_create import note_target

    nfd = unicodedata.normalize("NFD", "알고리즘")
    (tmp_path / nfd).mkdir()
    (tmp_path / nfd / "MAML.md").write_text("x")
    assert note_target(tmp_path, "Reptile: 1차", "알고리즘") == "알고리즘/Reptile 1차.md"
    with pytest.raises(NoteOpError, match="알고리즘/MAML.md already exists"):
        note_target(tmp_path, "maml", "알고리즘")
    assert os.listdir(tmp_path / nfd) == ["MAML.md"]
