"""Results sidecars (``<stem>.results.md``) are no notes: not listed, not indexed, not
checked; the vault keeps them among its other files and knows their note."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from notebase.cli import main
from notebase.config import VaultConfig
from notebase.core.note_writer import sidecar_path, write_sidecar
from notebase.core.vault import Vault
from notebase.core.vault_files import (
    is_note_path,
    is_sidecar_name,
    scan_files,
    sidecar_name,
    sidecar_owner,
)
from notebase.index import open_index
from tests.results_block_helpers import korean_block

NOTE = "실험/내부 단계 비용.md"
SIDECAR = "실험/내부 단계 비용.results.md"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    note = root / NOTE
    note.parent.mkdir(parents=True)
    note.write_text(
        "---\ntitle: 내부 단계 비용\n---\n# 내부 단계 비용\n\n메모리 측정 노트.\n\n"
        "## 질문\n\n1. 메모리는 선형인가? [[experiments/meta-cost]]\n",
        encoding="utf-8",
    )
    # what a run writes when it cannot write into the note
    written, _ = write_sidecar(note, korean_block(), "the block was edited by hand")
    assert written == sidecar_path(note) == root / SIDECAR
    return root


def test_the_writers_sidecar_names_are_sidecars_of_their_note():
    note = Path("실험/내부 단계 비용.md")
    assert sidecar_owner(sidecar_path(note).as_posix()) == note.as_posix()
    assert sidecar_owner("노트.results.20261129T101010Z-0a1b2c.md") == "노트.md"  # a run's own
    for name in ("노트.md", "results.md", ".results.md", "노트.results.txt", "노트.results..x.md"):
        assert not is_sidecar_name(name), name
    assert not is_note_path(SIDECAR, VaultConfig()) and is_note_path(NOTE, VaultConfig())


@pytest.mark.parametrize(
    "run",
    ["20261129T083840Z-248717", "run", "", ".hidden", "메타 러닝/1", "a b\\c:d", "x.results"],
)
@pytest.mark.parametrize("stem", ["노트", "내부 단계 비용", "a.results b"])
def test_every_run_file_name_the_writer_makes_is_read_as_its_notes(stem: str, run: str):
    """Whatever the run id, the name of a run's own results file is one the reader knows as
    a sidecar of the note (the writer cleans the run id, the reader accepts what is left)."""
    name = sidecar_name(stem, run)
    assert "/" not in name and name.startswith(f"{stem}.results.") and name.endswith(".md")
    assert sidecar_owner(name) == f"{stem}.md"
    assert sidecar_owner(f"폴더/{name}") == f"폴더/{stem}.md"
    assert sidecar_owner(sidecar_name(stem)) == f"{stem}.md"


def test_a_sidecar_is_not_a_note_but_one_of_the_vaults_files(vault: Path, capsys):
    loaded = Vault.load(vault, use_cache=False)
    assert list(loaded.notes) == [NOTE]
    assert SIDECAR in loaded.attachments
    assert main(["--vault", str(vault), "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["notes"] == 1 and report["invalid_notes"] == []
    assert main(["--vault", str(vault), "questions", "--json"]) == 0
    assert [q["note"] for q in json.loads(capsys.readouterr().out)] == [NOTE]


def test_the_index_leaves_sidecars_out_and_drops_one_an_older_version_indexed(
    vault: Path, monkeypatch
):
    # An older notebase read the sidecar as a note: index it that way first.
    monkeypatch.setattr("notebase.index.scan.is_sidecar_name", lambda name: False)
    with open_index(vault) as index:
        index.update()
        assert {h.path for h in index.search("질문")} == {NOTE, SIDECAR}
    monkeypatch.undo()
    with open_index(vault) as index:
        stats = index.update()
        assert stats.notes == 1 and stats.removed == 1
        page = index.search_page("질문")
        assert [h.path for h in page.hits] == [NOTE] and page.total == 1
        assert index.search("답한다") == []  # words only the sidecar holds
        index.update_paths([SIDECAR])  # a watcher naming the sidecar adds nothing
        assert [h.path for h in index.search("질문")] == [NOTE]


NAMES = [
    "노트.md",
    "노트.results.md",
    "노트.RESULTS.MD",
    "노트.results.20261129T083840Z-1.md",
    "노트.results.run.md",
    "노트.reſults.md",  # a long s is no ASCII s: a note
    "노트.results..x.md",
    "my.results note.md",
]


def test_the_index_scan_and_the_vault_scan_agree_on_sidecars(tmp_path: Path, monkeypatch):
    """One rule decides what is a sidecar (`vault_files.is_sidecar_name`, asked about every
    ``.md`` name): the search index's scan reads the same notes as the vault's."""
    from notebase.index import scan

    for name in NAMES:
        (tmp_path / name).write_text("x\n", encoding="utf-8")
    asked: list[str] = []

    def is_sidecar(name: str) -> bool:
        asked.append(name)
        return is_sidecar_name(name)

    monkeypatch.setattr(scan, "is_sidecar_name", is_sidecar)
    indexed = sorted(f.path for f in scan.scan_note_files(tmp_path, VaultConfig()))
    assert sorted(asked) == sorted(NAMES)
    assert indexed == [f.path for f in scan_files(tmp_path)[0]]
    assert indexed == sorted(
        ["노트.md", "노트.reſults.md", "노트.results..x.md", "my.results note.md"]
    )


def test_a_runs_fallback_file_is_named_as_a_sidecar(tmp_path: Path, monkeypatch):
    """When neither the note nor its sidecars take a block, it goes beside the run record,
    named by `vault_files.sidecar_name` (the one spelling of a sidecar's name)."""
    from notebase.core import vault_files
    from notebase.experiments import note_runs

    seen: dict[str, Path | None] = {}

    def write_block(note_file, make_block, *, fallback=None, **_):
        seen["fallback"] = fallback
        return SimpleNamespace(replaced=False, status="failed")

    monkeypatch.setattr(note_runs, "write_block", write_block)
    monkeypatch.setattr(vault_files, "SIDECAR_SUFFIX", ".결과")
    record = {"experiment": "meta-cost", "run_id": "20261129T083840Z-1"}
    runs = tmp_path / "runs"
    note_runs.write_record(
        tmp_path, tmp_path / "노트.md", record, VaultConfig(), record_path=runs / "r1.json"
    )
    assert seen["fallback"] == runs / "r1.결과.md"
