"""Deleting a note moves it (and its sidecar) into .trash/; nothing is ever removed."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from notebase.config import VaultConfig
from notebase.core.note_ops import NoteOpError
from notebase.core.note_trash import trash_note
from notebase.core.vault import Vault
from notebase.core.vault_files import is_note_path, scan_files


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_trash_keeps_the_name_and_numbers_collisions(tmp_path: Path) -> None:
    write(tmp_path, "ml/메모.md", "one\n")
    assert trash_note(tmp_path, "ml/메모.md") == ".trash/메모.md"
    write(tmp_path, "메모.md", "two\n")
    assert trash_note(tmp_path, "메모.md") == ".trash/메모 1.md"
    write(tmp_path, "other/메모.md", "three\n")
    assert trash_note(tmp_path, "other/메모.md") == ".trash/메모 2.md"
    trash = tmp_path / ".trash"
    assert {p.name: p.read_text() for p in trash.iterdir()} == {
        "메모.md": "one\n",
        "메모 1.md": "two\n",
        "메모 2.md": "three\n",
    }
    assert not (tmp_path / "메모.md").exists()


def test_the_sidecar_goes_along_numbered_alike(tmp_path: Path) -> None:
    write(tmp_path, ".trash/실험.results.md", "older results\n")
    write(tmp_path, "실험.md", "note\n")
    write(tmp_path, "실험.results.md", "results\n")
    assert trash_note(tmp_path, "실험.md") == ".trash/실험 1.md"
    assert (tmp_path / ".trash/실험 1.results.md").read_text() == "results\n"
    assert (tmp_path / ".trash/실험.results.md").read_text() == "older results\n"
    assert not (tmp_path / "실험.results.md").exists()


def test_each_runs_sidecar_goes_along_numbered_alike(tmp_path: Path) -> None:
    write(tmp_path, ".trash/실험.results.20261129T083840Z-1.md", "older run\n")
    write(tmp_path, "실험.md", "note\n")
    write(tmp_path, "실험.results.20261129T083840Z-1.md", "run 1\n")
    write(tmp_path, "실험.results.run.md", "no run id\n")
    write(tmp_path, "실험 2.results.md", "another note's\n")
    assert trash_note(tmp_path, "실험.md") == ".trash/실험 1.md"
    assert {p.name: p.read_text() for p in (tmp_path / ".trash").iterdir()} == {
        "실험.results.20261129T083840Z-1.md": "older run\n",
        "실험 1.md": "note\n",
        "실험 1.results.20261129T083840Z-1.md": "run 1\n",
        "실험 1.results.run.md": "no run id\n",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == [".trash", "실험 2.results.md"]


def test_trash_is_not_part_of_the_vault(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "[[b]]\n")
    write(tmp_path, "b.md", "b\n")
    trash_note(tmp_path, "b.md")
    notes, others = scan_files(tmp_path)
    assert [f.path for f in notes] == ["a.md"] and others == []
    assert not is_note_path(".trash/b.md", VaultConfig())
    assert Vault.load(tmp_path, use_cache=False).check()["broken_links"] == [
        {"note": "a.md", "target": "b", "line": 1}
    ]


def test_an_nfd_name_is_found(tmp_path: Path) -> None:
    write(tmp_path, unicodedata.normalize("NFD", "한글.md"), "x\n")
    trash = trash_note(tmp_path, "한글.md")
    assert unicodedata.normalize("NFC", trash) == ".trash/한글.md"
    assert os.listdir(tmp_path) == [".trash"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing.md", "no note"),
        ("../outside.md", "leaves the vault"),
        ("/etc/passwd", "absolute path"),
        ("attachment.png", "not a note"),
        (".trash/old.md", "dot folder"),
        ("folder.md", "not a file"),
    ],
)
def test_refusals_move_nothing(tmp_path: Path, path: str, message: str) -> None:
    vault = tmp_path / "v"
    write(vault, "attachment.png", "png")
    write(vault, ".trash/old.md", "old")
    (vault / "folder.md").mkdir()
    write(tmp_path, "outside.md", "outside")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    with pytest.raises(NoteOpError, match=message):
        trash_note(vault, path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_a_trash_that_is_a_link_is_refused(tmp_path: Path) -> None:
    vault, outside = tmp_path / "v", tmp_path / "outside"
    outside.mkdir()
    write(vault, "a.md", "x\n")
    os.symlink(outside, vault / ".trash")
    with pytest.raises(NoteOpError, match="not a folder"):
        trash_note(vault, "a.md")
    assert (vault / "a.md").exists() and list(outside.iterdir()) == []


def test_a_linked_note_moves_as_a_link(tmp_path: Path) -> None:
    vault = tmp_path / "v"
    target = write(vault, "real/target.md", "x\n")
    os.symlink(target, vault / "alias.md")
    assert trash_note(vault, "alias.md") == ".trash/alias.md"
    assert os.path.islink(vault / ".trash/alias.md")
    assert target.read_text() == "x\n"
