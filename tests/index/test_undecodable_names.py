"""Issue 11, defect 13: a note whose file name is not valid UTF-8 (``bad\\xff\\xfe.md``)
broke ``index`` and every ``search`` (UnicodeEncodeError). Such a note is read and indexed
under its name with the undecodable bytes written as ``\\xNN``, the same name everywhere
(vault, check, search, JSON), while reads and writes use the real file."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from index_helpers import paths, write_note

from notebase.cli import main
from notebase.config import VaultConfig
from notebase.core.vault import Vault
from notebase.core.vault_files import iter_note_files
from notebase.index.scan import scan_note_files

pytestmark = pytest.mark.skipif(
    sys.platform == "darwin", reason="macOS file systems refuse names that are not UTF-8"
)
SHOWN = "bad\\xff\\xfe.md"
"""The note's vault path: the two bytes that are not UTF-8 written as escapes."""


def _bad_file(vault: Path, text: str, name: bytes = b"bad\xff\xfe.md") -> bytes:
    raw = os.fsencode(vault) + b"/" + name
    with open(raw, "wb") as handle:
        handle.write(text.encode("utf-8"))
    return raw


@pytest.fixture
def odd_vault(vault: Path) -> Path:
    write_note(vault, "good.md", "메타러닝 좋은 노트\n", title="good")
    _bad_file(vault, "---\ntitle: 이상한 이름\n---\n메타러닝 이름이 이상한 노트 [[good]]\n")
    return vault


def _run(capsys, vault: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--vault", str(vault), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_index_and_search_work_and_show_the_escaped_name(odd_vault, capsys):
    code, out, err = _run(capsys, odd_vault, "index")
    assert code == 0, err
    assert out.startswith("2 notes indexed (2 added")
    code, out, err = _run(capsys, odd_vault, "search", "메타러닝", "--json")
    assert code == 0, err
    assert sorted(hit["path"] for hit in json.loads(out)) == [SHOWN, "good.md"]
    code, out, err = _run(capsys, odd_vault, "search", "이상한")
    assert code == 0 and err == ""
    assert out.startswith(f"{SHOWN}  이상한 이름")


def test_the_vault_uses_the_same_name_and_the_real_file(odd_vault, capsys):
    vault = Vault.load(odd_vault)
    note = vault.get(SHOWN)
    assert note.title == "이상한 이름" and note.valid
    assert vault.file_path(SHOWN).read_bytes().startswith(b"---\ntitle:")
    assert vault.backlinks("good.md") == [SHOWN]
    code, out, _ = _run(capsys, odd_vault, "check", "--json")
    assert code == 0 and json.loads(out)["invalid_notes"] == []
    code, out, _ = _run(capsys, odd_vault, "show", "이상한 이름")
    assert code == 0 and out.startswith(f"이상한 이름  ({SHOWN})")


def test_the_index_scan_agrees_with_the_vault_scan(odd_vault):
    config = VaultConfig()
    core = {(f.path, f.mtime_ns, f.size) for f in iter_note_files(odd_vault, config)}
    ours = {(f.path, f.mtime_ns, f.size) for f in scan_note_files(odd_vault, config)}
    assert ours == core and len(ours) == 2


def test_a_watcher_reporting_the_real_path_updates_the_note(odd_vault, open_vault_index):
    index = open_vault_index()
    index.update()
    raw = _bad_file(odd_vault, "바뀐 내용: 포도\n")
    stats = index.update_paths([os.fsdecode(raw)])
    assert (stats.updated, stats.removed) == (1, 0)
    assert paths(index.search("포도")) == [SHOWN]
    os.unlink(raw)
    assert index.update_paths([os.fsdecode(raw)]).removed == 1
    assert paths(index.search("포도")) == []
