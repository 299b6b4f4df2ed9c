"""Issue 11, defect 1: notebase never deletes what it did not write. A symbolic link at
``.notebase`` or ``.notebase/index``, or an index folder holding other files, is refused
(one line, exit 2) and left exactly as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from index_helpers import paths, write_note

from notebase.cli import main
from notebase.index import index_folder, open_index


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "precious"
    (folder / "sub").mkdir(parents=True)
    (folder / "keep.txt").write_text("내 파일\n", encoding="utf-8")
    (folder / "sub" / "photo.jpg").write_bytes(b"\xff\xd8 not really")
    return folder


def _run(capsys, vault: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--vault", str(vault), *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [["search", "메타러닝"], ["index"], ["index", "--rebuild"]])
@pytest.mark.parametrize("link_at", ["index", ".notebase"])
def test_a_symlinked_index_folder_is_refused_and_left_alone(
    vault, user_folder, capsys, command, link_at
):
    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    if link_at == "index":
        (vault / ".notebase").mkdir()
        (vault / ".notebase" / "index").symlink_to(user_folder, target_is_directory=True)
    else:
        (vault / ".notebase").symlink_to(user_folder, target_is_directory=True)
    before = _snapshot(user_folder)
    code, out, err = _run(capsys, vault, *command)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "symbolic link" in err, err
    assert _snapshot(user_folder) == before


@pytest.mark.parametrize("command", [["search", "메타러닝"], ["index", "--rebuild"]])
def test_a_folder_with_other_files_is_refused_and_left_alone(vault, capsys, command):
    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    folder = index_folder(vault)
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("내 파일\n", encoding="utf-8")
    before = _snapshot(folder)
    code, _, err = _run(capsys, vault, *command)
    assert code == 2
    assert err.count("\n") == 1 and "'keep.txt'" in err and "did not write" in err, err
    assert _snapshot(folder) == before


def test_a_file_dropped_into_our_index_survives_a_rebuild(vault, capsys):
    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    assert _run(capsys, vault, "index")[0] == 0
    stray = index_folder(vault) / "notes about the index.txt"
    stray.write_text("손대지 마세요\n", encoding="utf-8")
    assert _run(capsys, vault, "index", "--rebuild")[0] == 0
    assert stray.read_text(encoding="utf-8") == "손대지 마세요\n"
    code, out, _ = _run(capsys, vault, "search", "메타러닝")
    assert code == 0 and out.startswith("a.md")


def test_an_index_from_before_the_marker_is_adopted_quietly(vault, open_vault_index, messages):
    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    open_vault_index().update()
    marker = [p for p in index_folder(vault).iterdir() if p.name.startswith("notebase-index")]
    assert len(marker) == 1
    marker[0].unlink()  # as an older notebase left it: only files notebase writes
    index = open_vault_index()
    assert index.update().added == 0 and messages == []
    assert paths(index.search("메타러닝")) == ["a.md"]


def test_an_empty_folder_is_used(vault, open_vault_index):
    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    index_folder(vault).mkdir(parents=True)
    assert open_vault_index().update().added == 1


def test_the_error_is_a_user_error_for_every_caller(vault, user_folder):
    from notebase.errors import UserError

    (vault / ".notebase").mkdir()
    os.symlink(user_folder, vault / ".notebase" / "index")
    with pytest.raises(UserError, match="symbolic link"):
        open_index(vault)
    assert _snapshot(user_folder) == {
        "keep.txt": "내 파일\n".encode(),
        "sub/photo.jpg": b"\xff\xd8 not really",
    }


def test_the_notes_cache_is_not_written_through_a_symlinked_dot_folder(vault, user_folder):
    from notebase.core.vault import Vault

    write_note(vault, "a.md", "메타러닝 노트\n", title="a")
    (vault / ".notebase").symlink_to(user_folder, target_is_directory=True)
    before = _snapshot(user_folder)
    assert Vault.load(vault).get("a.md").title == "a"
    assert _snapshot(user_folder) == before
    # Nor read through it: a cache placed there is not used.
    from notebase.core import cache as note_cache

    (vault / ".notebase").unlink()
    fingerprint = Vault.load(vault)._fingerprint()
    assert note_cache.load_cache(vault, fingerprint)
    (vault / ".notebase").rename(user_folder.parent / "elsewhere")
    (vault / ".notebase").symlink_to(user_folder.parent / "elsewhere", target_is_directory=True)
    assert note_cache.load_cache(vault, fingerprint) == {}
